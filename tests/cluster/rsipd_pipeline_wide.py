#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Changes wider than the pipeline, and a race for one port through it
(docs/cluster.md, "Pipelined commits"), driven by
test_rsipd_pipeline_wide.sh from inside the etcd test cluster's namespace.
Usage: rsipd_pipeline_wide.py BUILD DIR ENDPOINTS PREFIX. Prints what it
checks; exit 0 or 1.

1. n1 runs --etcd-inflight 1. Every member is stopped (SIGSTOP), 250 hosts
   send a REGISTER at once: the first iteration's transaction hangs, the
   others' hosts pile up (more than the 100 operations one transaction
   carries); the members resume. Every host must get its answer and etcd
   must hold all 250 (a gateway that waited until every transaction of a
   change fits in flight at once never sends them: it hung here).
2. n1 restarts with --etcd-inflight 16; each of the 250 hosts asks for the
   same specific port (20000) at once, so that the requests go out in
   several transactions in flight together: exactly one host gets it, the
   others an error, and etcd records port 20000 for that host alone."""

import os
import select
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from rsipd_gw import PORT as R_PORT  # noqa: E402
from rsipd_gw import Gateway, Host, driver_env, stop_all  # noqa: E402
from rsipd_load import etcd_bindings  # noqa: E402
import rsiplib as R  # noqa: E402

env, members = driver_env()
check = env.check
N = 250
PORT_WANTED = 20000
POOL = ["--public", "192.0.2.10", "--port-range", "20000-29999", "--lease", "60",
        "--etcd-timeout", "5000", "--etcd-connect-timeout", "1000"]
ALL = env.every_member()


def burst(hosts, build, accept, seconds=30):
    """Send build(host) from every host at once (same counter on each
    retransmission, every 0.5 s) until accept(host, msg) takes an answer;
    host -> answer."""
    for h in hosts:
        h.counter += 1
        h.pending = build(h)
    by_fd = {h.sock.fileno(): h for h in hosts}
    got, sent_at = {}, {}
    deadline = time.monotonic() + seconds
    while len(got) < len(hosts) and time.monotonic() < deadline:
        now = time.monotonic()
        for h in hosts:
            if h not in got and now - sent_at.get(h, -1) >= 0.5:
                h.sock.sendto(h.pending, (h.gw.addr, R_PORT))
                sent_at[h] = now
        ready, _, _ = select.select(list(by_fd), [], [], 0.05)
        for fd in ready:
            h = by_fd[fd]
            h.sock.setblocking(False)
            try:
                m = R.decode(h.sock.recv(65536))
            except BlockingIOError:
                continue
            if m.counter == h.counter and h not in got and accept(h, m):
                got[h] = m
    return got


n1 = Gateway(env, "n1", "127.0.2.1", members, POOL + ["--etcd-inflight", "1"])
n1.set_role("MASTER")
try:
    n1.start()
    env.wait_for("n1 active", lambda: n1.cluster()["role"] == "active", timeout=20)
    hosts = [Host("127.0.4.%d" % (i + 1), n1) for i in range(N)]
    before = n1.cluster()["store"]

    print("== --etcd-inflight 1: every member stopped, %d hosts REGISTER at once" % N)
    env.etcd("pause " + ALL)
    # Send once while the members are stopped, then resume them within the
    # 5 s deadline of the transaction in flight.
    for h in hosts:
        h.counter += 1
        h.sock.sendto(R.register_request(counter=h.counter), (n1.addr, R_PORT))
    time.sleep(1.0)  # no status here: it asks etcd, and would wait for it
    env.etcd("resume " + ALL)
    for h in hosts:
        h.counter -= 1  # burst() sends the same REGISTER again (the same counter)
    got = burst(hosts, lambda h: R.register_request(counter=h.counter),
                lambda h, m: m.type == R.REGISTER_RESPONSE)
    for h, m in got.items():
        h.client_id = m.client_id
    st = n1.cluster()["store"]
    commits = st["commits"] - before["commits"]
    waited = st["committed"]["waits_full"] - before["committed"]["waits_full"]
    print("after the resume: %d of %d hosts registered; %d commits, %d pending, %d "
          "iteration(s) waited for the one transaction in flight"
          % (len(got), N, commits, st["pending"], waited))
    check(len(got) == N, "%d host(s) never registered: a change wider than the pipeline "
          "was never sent" % (N - len(got)))
    check(commits >= 3 and waited > 0, "the hosts did not pile up behind the transaction "
          "in flight (%d commits, %d waits): nothing tested" % (commits, waited))
    keys = env.etcd_get("bind/")
    ids = {"%08x" % h.client_id for h in hosts}
    in_etcd = {k.rsplit("/", 1)[-1] for k in keys}
    check(ids <= in_etcd, "%d registered host(s) missing from etcd" % len(ids - in_etcd))
    print("etcd holds every one of the %d hosts" % N)
    n1.stop()

    print("== --etcd-inflight 16: %d hosts ask for port %d at once" % (N, PORT_WANTED))
    n1.extra = POOL + ["--etcd-inflight", "16"]
    n1.start()
    env.wait_for("n1 active", lambda: n1.cluster()["role"] == "active", timeout=20)
    before = n1.cluster()["store"]
    got = burst(hosts, lambda h: R.assign_rsap_ip(
        h.client_id, local_addr=R.p_addr_v4("192.0.2.10"),
        local_ports=R.p_ports_range(PORT_WANTED), counter=h.counter),
        lambda h, m: m.type in (R.ASSIGN_RESPONSE_RSAP_IP, R.ERROR_RESPONSE))
    st = n1.cluster()["store"]
    winners = [h for h, m in got.items() if m.type == R.ASSIGN_RESPONSE_RSAP_IP]
    print("%d answers: %d grant(s), %d errors; %d commits, at most %d transactions in "
          "flight" % (len(got), len(winners), len(got) - len(winners),
                      st["commits"] - before["commits"], st["in_flight_max"]))
    check(len(got) == N, "%d host(s) got no answer" % (N - len(got)))
    check(st["in_flight_max"] >= 2, "never two transactions in flight: the race was not "
          "pipelined (%r)" % st)
    check(len(winners) == 1, "port %d granted %d times" % (PORT_WANTED, len(winners)))
    w = winners[0]
    check(set(got[w].local_ports.expand()) == {PORT_WANTED}, "the grant is not port %d: %r"
          % (PORT_WANTED, got[w]))
    holders = {cid for cid, nb, ports in etcd_bindings(env).values()
               if nb == "192.0.2.10" and PORT_WANTED in ports}
    check(holders == {w.client_id}, "etcd records port %d for %r, granted to %08x"
          % (PORT_WANTED, sorted("%08x" % c for c in holders), w.client_id))
    print("port %d: granted once (to %08x), and etcd records it for that host alone"
          % (PORT_WANTED, w.client_id))
    print("PASS: a change wider than the pipeline is written; one port, one holder")
except SystemExit:
    raise
except Exception as e:  # noqa: BLE001
    env.fail("%s: %s" % (type(e).__name__, e))
finally:
    if n1.proc and n1.proc.poll() is None:
        stop_all([n1])
