#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""A hung etcd member cannot stall a gateway (docs/cluster.md, "A hung
member"), driven by test_rsipd_hung_member.sh from inside the etcd test
cluster's namespace. Usage: rsipd_hung.py BUILD DIR ENDPOINTS PREFIX.
Prints what it checks; exit 0 or 1.

One real rsipd (n1, active) on 3 real members; 8 hosts register, assign and
free without pause, each request retransmitted (same counter) until answered.
The member rsipd sends its requests to and streams its watch from is
stopped with SIGSTOP: the process hangs, its kernel keeps accepting
connections, so nothing ends by itself. Checked: every request got its
answer (a grant, or RSIP 104 while etcd could not take a write - an
answer all the same); hosts got grants after the stop; rsipd's status
names another member for its requests and for its watch, and counts the
switches and the hung probe; both switches are logged; every grant a host
received is in etcd; the gateway's bindings are etcd's. Then SIGCONT, more
load, and the same checks: nothing lost.

Without the request deadline the loop waits on the stopped member for
good (no answers); without the watch's probe the stream stays on it (the
status check fails)."""

import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from rsipd_gw import Gateway, Host, driver_env, stop_all  # noqa: E402
from rsipd_load import Load, check_answered, check_etcd  # noqa: E402

env, members = driver_env()
check, fail = env.check, env.fail
POOL = ["--public", "192.0.2.10", "--port-range", "20000-29999", "--lease", "60"]
HOSTS = 8


def run_load(seconds, during=None):
    loads = [Load(h) for h in hosts]
    for ld in loads:
        ld.start()
    t0 = time.monotonic()
    if during:
        during()
    time.sleep(max(0.0, seconds - (time.monotonic() - t0)))
    for ld in loads:
        ld.stop.set()
    for ld in loads:
        ld.join(90)
        check(not ld.is_alive(), "a host is still waiting for an answer after 90 s")
    return loads


def member_of(url):
    found = [i for i, m in enumerate(members) if url.endswith("//" + m)]
    check(len(found) == 1, "%r is not one member" % url)
    return found[0] + 1


n1 = Gateway(env, "n1", "127.0.2.1", members, POOL)
n1.set_role("MASTER")
hosts = [Host("127.0.3.%d" % (i + 1), n1) for i in range(HOSTS)]
try:
    n1.start()
    env.wait_for("n1 active", lambda: n1.cluster()["role"] == "active", timeout=20)
    st = env.wait_for("n1's watch streaming", lambda: (lambda c: c["sync"]["streaming"] and c)(
        n1.cluster()))
    stuck = member_of(st["store"]["endpoint"])
    check(member_of(st["sync"]["endpoint"]) == stuck,
          "requests (%s) and watch (%s) on different members at start"
          % (st["store"]["endpoint"], st["sync"]["endpoint"]))
    before = (st["store"]["failovers"], st["sync"]["reconnects"])

    print("== load, then member %d (n1's requests and watch) stopped with SIGSTOP" % stuck)
    t_stop = []

    def stop_member():
        time.sleep(2.0)
        env.etcd("pause %d" % stuck)
        t_stop.append(time.monotonic())

    loads = run_load(14.0, stop_member)
    check_answered(env, loads, "member %d stopped" % stuck)
    after = sum(1 for ld in loads for t in ld.answers if t > t_stop[0] + 0.5)
    print("answers received more than 0.5 s after the stop: %d" % after)
    check(after > 0, "no answer after member %d stopped" % stuck)
    c = env.wait_for("n1's requests and watch off member %d" % stuck, lambda: (
        lambda c: member_of(c["store"]["endpoint"]) != stuck
        and member_of(c["sync"]["endpoint"]) != stuck and c["sync"]["streaming"] and c)(
        n1.cluster()), timeout=20)
    print("n1 now: requests to %s (failovers %d -> %d), watch on %s (reconnects %d -> %d, "
          "hung probes %d)" % (c["store"]["endpoint"], before[0], c["store"]["failovers"],
                               c["sync"]["endpoint"], before[1], c["sync"]["reconnects"],
                               c["sync"]["hung"]))
    check(c["store"]["failovers"] > before[0], "no request switch counted")
    check(c["sync"]["hung"] >= 1, "the watch's hung member was not found by its probe")
    log = n1.log_text()
    for what in ("etcd requests now go to", "the etcd watch resumes on"):
        line = [x for x in log.splitlines() if what in x]
        check(line, "n1 did not log '%s'" % what)
        print("n1 log: " + line[0].strip())
    check_etcd(env, n1, loads, "member %d stopped" % stuck)

    print("== member %d resumed (SIGCONT), more load" % stuck)
    env.etcd("resume %d" % stuck)
    loads2 = run_load(3.0)
    check_answered(env, loads2, "member %d resumed" % stuck)
    check_etcd(env, n1, loads + loads2, "member %d resumed" % stuck)
    print("PASS: a hung member stalls neither requests nor the watch; nothing lost")
except SystemExit:
    raise
except Exception as e:  # noqa: BLE001
    fail("%s: %s" % (type(e).__name__, e))
finally:
    stop_all([n1])
