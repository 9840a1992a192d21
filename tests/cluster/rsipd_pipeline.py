#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Pipelined commits never answer before their commit (docs/cluster.md,
"Pipelined commits"), driven by test_rsipd_pipeline.sh from inside the etcd
test cluster's namespace. Usage: rsipd_pipeline.py BUILD DIR ENDPOINTS
PREFIX. Prints what it checks; exit 0 or 1.

One real rsipd (n1, active) on 3 real members; 8 hosts register, assign and
free without pause (each request retransmitted until answered), so that
several transactions are in flight at once (status in_flight_max >= 2).
Mid-flood every member is stopped (SIGSTOP): nothing can commit. Once the
gateway's commit counter has stopped moving (read twice, 3 s apart, and
equal), no grant may reach a host until the members run again - hosts keep
asking and may get RSIP 104, never a grant (a reply that left before its
commit would show here). Then SIGCONT: every request is answered, every
binding a host holds is in etcd, none it freed is, and the gateway's
bindings are etcd's. Last, the flood again, every member stopped, rsipd
killed with SIGKILL, the members resumed: every binding a host was told of
(and did not free or ask to free) is in etcd."""

import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from rsipd_gw import Gateway, Host, driver_env, stop_all  # noqa: E402
from rsipd_load import Load, check_answered, check_etcd, etcd_bindings  # noqa: E402

env, members = driver_env()
check = env.check
POOL = ["--public", "192.0.2.10", "--port-range", "20000-29999", "--lease", "60"]
ALL = env.every_member()

n1 = Gateway(env, "n1", "127.0.2.1", members, POOL)
n1.set_role("MASTER")
loads = []
try:
    n1.start()
    env.wait_for("n1 active", lambda: n1.cluster()["role"] == "active", timeout=20)
    loads = [Load(Host("127.0.3.%d" % (i + 1), n1)) for i in range(8)]
    for ld in loads:
        ld.start()
    time.sleep(3.0)
    st = n1.cluster()["store"]
    print("before the stop: %d commits, at most %d transactions in flight at once"
          % (st["commits"], st["in_flight_max"]))
    check(st["in_flight_max"] >= 2, "never two transactions in flight: not pipelined (%r)" % st)

    print("== every member stopped (SIGSTOP) mid-flood")
    env.etcd("pause " + ALL)
    time.sleep(1.5)  # the transactions in flight reach their deadline
    c1 = n1.cluster()["store"]["commits"]
    t1 = time.monotonic()
    time.sleep(3.0)
    c2 = n1.cluster()["store"]["commits"]
    t2 = time.monotonic()
    check(c1 == c2, "commits went on while every member was stopped: %d -> %d" % (c1, c2))
    # Replies that left before c1 was read may still be on their way for a
    # moment: the window starts 0.3 s later.
    during = sum(1 for ld in loads for t in ld.grant_times if t1 + 0.3 < t < t2)
    asked = sum(1 for ld in loads for t in ld.answers if t1 + 0.3 < t < t2)
    print("while stopped (commits %d, unchanged): %d answers, %d of them grants"
          % (c1, asked, during))
    check(during == 0, "%d grant(s) reached hosts while nothing could commit" % during)

    print("== every member resumed (SIGCONT)")
    env.etcd("resume " + ALL)
    time.sleep(3.0)
    for ld in loads:
        ld.stop.set()
    for ld in loads:
        ld.join(90)
        check(not ld.is_alive(), "a host is still waiting for an answer after 90 s")
    check_answered(env, loads, "after the resume")
    st = n1.cluster()["store"]
    check(st["commits"] > c2, "no commit after the resume: %r" % st)
    check_etcd(env, n1, loads, "after the resume")

    print("== flood again, every member stopped, kill -9 n1, members resumed")
    hosts = [ld.host for ld in loads]
    loads2 = [Load(h) for h in hosts]
    for ld in loads2:
        ld.start()
    time.sleep(2.0)
    env.etcd("pause " + ALL)
    time.sleep(1.5)
    n1.kill9()
    for ld in loads2:
        ld.stop.set()
    env.etcd("resume " + ALL)
    # What a dead rsipd had sent and the members get to now is refused by
    # the fence or applied; nothing else writes. Every binding a host was
    # told of and did not free must be in etcd.
    time.sleep(2.0)
    eb = etcd_bindings(env)
    held = {}
    for ld in loads + loads2:
        for g in ld.live:
            held[g[1]] = g
    for ld in loads + loads2:
        for g in ld.freed + ([ld.freeing] if ld.freeing else []):
            held.pop(g[1], None)  # a FREE never answered may be in etcd
    missing = [g for b, g in held.items() if eb.get(b) != (g[0], g[2], g[3])]
    print("after kill -9 with every member stopped: %d bindings held by hosts, %d in etcd, "
          "%d missing" % (len(held), len(eb), len(missing)))
    check(not missing, "granted but not in etcd: %r" % missing[:3])
    print("PASS: no reply before its commit; nothing lost")
except SystemExit:
    raise
except Exception as e:  # noqa: BLE001
    env.fail("%s: %s" % (type(e).__name__, e))
finally:
    for ld in loads:
        ld.stop.set()
    if n1.proc and n1.proc.poll() is None:
        stop_all([n1])
