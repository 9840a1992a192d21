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

import ipaddress
import json
import os
import signal
import sys
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from rsipd_gw import Env, Gateway, Host, R, runs, stop_all  # noqa: E402

BUILD, DIR, ENDPOINTS, PREFIX = sys.argv[1:5]
members = ENDPOINTS.split(",")
env = Env(BUILD, DIR, members, PREFIX)
check, fail = env.check, env.fail
POOL = ["--public", "192.0.2.10", "--port-range", "20000-29999", "--lease", "60"]
HOSTS = 8


class Load(threading.Thread):
    """One host: REGISTER (once), then ASSIGN RSAP-IP (1 port) again and
    again, FREEing its oldest binding past 16, each request sent until
    answered (at most 60 s of retransmissions, every 0.3 s: a hung request
    is a failure, not a wait). live: the bindings it holds; freed: those it
    was told are gone."""

    def __init__(self, host):
        super().__init__(daemon=True)
        self.host = host
        self.live, self.freed, self.grants = [], [], 0
        self.errors, self.unanswered, self.answers = 0, 0, []
        self.stop = threading.Event()

    def ask(self, build, *args, **kw):
        m = self.host.call(build, *args, tries=200, wait=0.3, **kw)
        if m is None:
            self.unanswered += 1
        else:
            self.answers.append(time.monotonic())
            if m.type == R.ERROR_RESPONSE:
                self.errors += 1
        return m

    def run(self):
        h = self.host
        while not self.stop.is_set():
            if h.client_id is None:
                m = self.ask(R.register_request)
                if m is not None and m.type == R.REGISTER_RESPONSE:
                    h.client_id = m.client_id
                continue
            if len(self.live) > 16:
                old = self.live[0]
                m = self.ask(R.free_request, h.client_id, old[1])
                if m is not None and m.type == R.FREE_RESPONSE:
                    self.freed.append(self.live.pop(0))
                continue
            m = self.ask(R.assign_rsap_ip, h.client_id, local_ports=R.p_ports_any(1))
            if m is not None and m.type == R.ASSIGN_RESPONSE_RSAP_IP:
                self.grants += 1
                self.live.append((h.client_id, m.bind_id, str(m.local_addr.value),
                                  set(m.local_ports.expand())))
            time.sleep(0.02)


def etcd_bindings():
    """bind_id -> (client_id, nb, ports) from the records in etcd."""
    out = {}
    for key, val in env.etcd_get("bind/").items():
        doc = json.loads(val)
        for b in doc["bindings"]:
            nb = b["nb"] if isinstance(b["nb"], str) else str(ipaddress.IPv4Address(b["nb"]))
            out[b["bind_id"]] = (doc["client_id"], nb, set(b["ports"]))
    return out


def gw_bindings(gw):
    return {k: (b["client_id"], b["nb"], runs(b["ports"])) for k, b in gw.bindings().items()}


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


def check_answered(loads, what):
    asked = sum(len(ld.answers) + ld.unanswered for ld in loads)
    lost = sum(ld.unanswered for ld in loads)
    grants = sum(ld.grants for ld in loads)
    frees = sum(len(ld.freed) for ld in loads)
    errors = sum(ld.errors for ld in loads)
    print("%s: %d requests, %d answered (%d grants, %d frees, %d RSIP errors), %d unanswered"
          % (what, asked, asked - lost, grants, frees, errors, lost))
    check(lost == 0, "%s: %d request(s) never answered" % (what, lost))
    check(grants > 0, "%s: no grant at all" % what)


def check_etcd(loads, what):
    """Every binding a host holds is in etcd as granted, none it was told
    is freed is; the gateway holds what etcd holds."""
    eb = etcd_bindings()
    live = {}
    for ld in loads:
        for cid, bind_id, nb, ports in ld.freed:
            live.pop(bind_id, None)
        for g in ld.live:
            live[g[1]] = g
    freed = {g[1] for ld in loads for g in ld.freed} - set(live)
    for cid, bind_id, nb, ports in live.values():
        check(eb.get(bind_id) == (cid, nb, ports),
              "%s: binding %d (%s %r) granted to %08x; etcd has %r"
              % (what, bind_id, nb, sorted(ports), cid, eb.get(bind_id)))
    gone = sorted(b for b in freed if b in eb)
    check(not gone, "%s: bindings freed (answered) still in etcd: %r" % (what, gone[:5]))
    env.wait_for("%s: n1 holds what etcd holds" % what, lambda: gw_bindings(n1) == etcd_bindings(),
                 timeout=15)
    print("%s: the %d bindings hosts hold are in etcd, the %d freed are not; n1's bindings "
          "are etcd's" % (what, len(live), len(freed)))


def member_of(url):
    found = [i for i, m in enumerate(members) if url.endswith("//" + m)]
    check(len(found) == 1, "%r is not one member" % url)
    return found[0] + 1


signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
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
    check_answered(loads, "member %d stopped" % stuck)
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
    check_etcd(loads, "member %d stopped" % stuck)

    print("== member %d resumed (SIGCONT), more load" % stuck)
    env.etcd("resume %d" % stuck)
    loads2 = run_load(3.0)
    check_answered(loads2, "member %d resumed" % stuck)
    check_etcd(loads + loads2, "member %d resumed" % stuck)
    print("PASS: a hung member stalls neither requests nor the watch; nothing lost")
except SystemExit:
    raise
except Exception as e:  # noqa: BLE001
    fail("%s: %s" % (type(e).__name__, e))
finally:
    stop_all([n1])
