#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""The fence of a gateway cluster (docs/cluster.md, "The fence"), driven by
test_rsipd_fence.sh from inside the etcd test cluster's namespace. Usage:
rsipd_fence.py BUILD DIR ENDPOINTS PREFIX. Prints what it checks; exit 0 or 1.

Two real rsipd, n1 (127.0.2.1, etcd members in the order 1 2 3) and n2
(127.0.2.2, order 2 3 1), one small pool (one Nb, 1000 ports, 768 SPIs) so
that two allocators that did not know each other would lend the same ports:

1. split brain under load: five hosts register and assign without pause at
   n1 (MASTER), five at n2 (BACKUP, answers nothing); n2's role file turns
   MASTER too while they run - both now believe they are active. n2 takes
   the fence, n1 is fenced and stops answering. Checked: no (Nb, port) or
   (Nb, SPI) was granted twice across the two, no Client ID was given to two
   hosts, every grant a host received is in etcd, etcd's records do not
   overlap, and both gateways' bindings (rsipctl) are etcd's.
2. the last MASTER wins: n1 BACKUP then MASTER takes the fence back from a
   live n2, which sees it move and becomes standby.
3. a demoted gateway's write is refused and logged: the etcd member n1's
   watch streams from is paused (a hung member: the stream stays open and
   says nothing); n2 is made MASTER again and takes the fence through the
   other two. n1 has not seen it; a host registers at n1: n1's write (on
   another member, or on the paused one, timing out, then again elsewhere)
   is refused by the fence; the log says so, n1 becomes standby, the host
   never got a grant.
4. the holder dies (kill -9 n2): n1, whose role file still says MASTER,
   takes the fence once n2's member key has expired, and lends again.
"""

import ipaddress
import json
import os
import sys
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from rsipd_gw import Gateway, Host, R, driver_env, runs, stop_all  # noqa: E402

env, members = driver_env()
check, fail = env.check, env.fail
POOL = ["--public", "192.0.2.10", "--port-range", "20000-20999", "--spi-range", "0x100-0x3ff",
        "--lease", "60"]


class Load(threading.Thread):
    """One host: REGISTER, then ASSIGN RSAP-IP (2 ports) and RSIPSEC (1 SPI)
    in turn, one every 50 ms, until stopped or 40 grants (the pool lasts
    through the test)."""

    def __init__(self, addr, gw, grants, regs, lock):
        super().__init__(daemon=True)
        self.host = Host(addr, gw)
        self.grants, self.regs, self.lock = grants, regs, lock
        self.times = []
        self.stop = threading.Event()

    def run(self):
        h, n = self.host, 0
        while not self.stop.is_set() and n < 40:
            if h.client_id is None:
                m = h.call(R.register_request, tries=1, wait=0.2)
                if m is not None and m.type == R.REGISTER_RESPONSE:
                    h.client_id = m.client_id
                    with self.lock:
                        self.regs.append((h.gw.name, h.addr, m.client_id))
                continue
            if n % 2 == 0:
                m = h.call(R.assign_rsap_ip, h.client_id, local_ports=R.p_ports_any(2),
                           tries=1, wait=0.2)
                ok = m is not None and m.type == R.ASSIGN_RESPONSE_RSAP_IP
                ports, spis = (set(m.local_ports.expand()) if ok else set()), set()
            else:
                m = h.call(R.assign_rsipsec, h.client_id, R.p_spi_any(1), tries=1, wait=0.2)
                ok = m is not None and m.type == R.ASSIGN_RESPONSE_RSIPSEC
                ports, spis = set(), (set(m.spi.expand()) if ok else set())
            if ok:
                n += 1
                with self.lock:
                    self.grants.append((h.gw.name, h.client_id, m.bind_id,
                                        str(m.local_addr.value), ports, spis))
                    self.times.append((h.gw.name, time.monotonic()))
            time.sleep(0.05)


def overlaps(grants):
    """(what, first, second) for every (Nb, port) / (Nb, SPI) in two bindings."""
    seen, out = {}, []
    for g in grants:
        _, _, bind_id, nb, ports, spis = g
        for kind, values in (("port", ports), ("spi", spis)):
            for v in values:
                k = (kind, nb, v)
                if k in seen and seen[k][2] != bind_id:
                    out.append((k, seen[k], g))
                seen.setdefault(k, g)
    return out


def etcd_bindings():
    """bind_id -> (client_id, nb, ports, spis) from the records in etcd."""
    out = {}
    for key, val in env.etcd_get("bind/").items():
        doc = json.loads(val)
        for b in doc["bindings"]:
            nb = b["nb"] if isinstance(b["nb"], str) else str(ipaddress.IPv4Address(b["nb"]))
            out[b["bind_id"]] = (doc["client_id"], nb, set(b["ports"]), set(b["spis"]))
    return out


def gw_bindings(gw):
    return {k: (b["client_id"], b["nb"], runs(b["ports"]), runs(b["spis"]))
            for k, b in gw.bindings().items()}


def active(gw):
    return gw.cluster()["role"] == "active"


def rise(gw):
    """keepalived: BACKUP, then MASTER again (a rise the gateway sees)."""
    gw.set_role("BACKUP")
    env.wait_for(gw.name + " sees BACKUP", lambda: not gw.cluster()["fence"]["wanted"])
    gw.set_role("MASTER")


order2 = members[1:] + members[:1]
# n1's watch never probes its member here: step 3 stages a gateway that has
# not yet seen the fence move (a hung watch member, noticed only after
# --etcd-watch-idle; test_rsipd_hung_member.sh covers the noticing).
n1 = Gateway(env, "n1", "127.0.2.1", members, POOL + ["--etcd-watch-idle", "3600000"])
n2 = Gateway(env, "n2", "127.0.2.2", order2, POOL)
n1.set_role("MASTER")
n2.set_role("BACKUP")
try:
    n1.start()
    n2.start()
    env.wait_for("n1 active", lambda: active(n1))
    check(not active(n2), "n2 (BACKUP) is active")
    check(n1.cluster()["fence"]["holder"] == "n1", "the fence is not n1's: %r"
          % n1.cluster()["fence"])

    print("== split brain under load: hosts at n1 and n2, n2 turns MASTER too")
    grants, regs, lock = [], [], threading.Lock()
    loads = [Load("127.0.3.%d" % (i + 1), n1, grants, regs, lock) for i in range(5)]
    loads += [Load("127.0.3.%d" % (i + 11), n2, grants, regs, lock) for i in range(5)]
    for ld in loads:
        ld.start()
    time.sleep(1.0)
    t_switch = time.monotonic()
    n2.set_role("MASTER")  # both role files say MASTER from now on
    env.wait_for("n2 active", lambda: active(n2), timeout=15)
    time.sleep(2.5)
    for ld in loads:
        ld.stop.set()
    for ld in loads:
        ld.join(10)
    by = {g: sum(1 for x in grants if x[0] == g) for g in ("n1", "n2")}
    print("grants received: %d from n1, %d from n2; registrations %d" % (by["n1"], by["n2"],
                                                                         len(regs)))
    check(by["n1"] > 0 and by["n2"] > 0, "the load did not reach both gateways: %r" % by)
    last1 = max(t for ld in loads for g, t in ld.times if g == "n1")
    check(last1 > t_switch - 0.3, "n1 stopped lending %.2f s before n2 turned MASTER: "
          "not a split brain under load" % (t_switch - last1))
    print("n1's last grant %+.0f ms from n2's turn to MASTER" % ((last1 - t_switch) * 1000))
    env.wait_for("n1 standby", lambda: not active(n1))
    f1 = n1.cluster()["fence"]
    check(f1["holder"] == "n2" and f1["wanted"], "n1's view of the fence: %r" % f1)
    check("n1 is now standby (fenced" in n1.log_text(), "n1 did not log that it is fenced")
    # The checker can fail: a port lent twice is found.
    check(overlaps([("a", 1, 1, "nb", {5}, set()), ("b", 2, 2, "nb", {5}, set())]),
          "the overlap checker finds nothing in an overlap")
    bad = overlaps(grants)
    check(not bad, "granted twice: %r" % bad[:3])
    ids = {}
    for gwname, addr, cid in regs:
        check(cid not in ids, "Client ID %08x given to %s and %s" % (cid, ids.get(cid), addr))
        ids[cid] = addr
    eb = etcd_bindings()
    for gwname, cid, bind_id, nb, ports, spis in grants:
        check(eb.get(bind_id) == (cid, nb, ports, spis),
              "%s granted binding %d (%s %r %r) to %08x; etcd has %r"
              % (gwname, bind_id, nb, sorted(ports), sorted(spis), cid, eb.get(bind_id)))
    check(not overlaps([("etcd", v[0], k, v[1], v[2], v[3]) for k, v in eb.items()]),
          "etcd's records overlap")
    env.wait_for("n1 and n2 hold what etcd holds",
                 lambda: gw_bindings(n1) == eb and gw_bindings(n2) == eb, timeout=15)
    for g in (n1, n2):  # each record applied: the allocators know every grant
        check(g.cluster()["sync"]["hosts_refused"] == 0,
              "%s could not mirror a record: %r" % (g.name, g.cluster()["sync"]))
    print("no overlap: %d bindings in etcd, %d ports and %d SPIs, the same at n1 and n2"
          % (len(eb), sum(len(v[2]) for v in eb.values()), sum(len(v[3]) for v in eb.values())))

    print("== the last MASTER wins: n1 takes the fence back from a live n2")
    rise(n1)
    env.wait_for("n1 active again", lambda: active(n1), timeout=15)
    env.wait_for("n2 standby", lambda: not active(n2), timeout=15)
    check("n2 is now standby (fenced" in n2.log_text(), "n2 did not log that it is fenced")
    check(n1.cluster()["fence"]["takeovers"] >= 1, "n1 counted no takeover")

    print("== a fenced gateway's write is refused: n1's watch member paused, n2 takes the fence")
    sync = env.wait_for("n1's watch streaming", lambda: (lambda s: s["streaming"] and s)(
        n1.cluster()["sync"]))
    stuck = [i for i, m in enumerate(members) if sync.get("endpoint", "").endswith("//" + m)]
    check(len(stuck) == 1, "n1's watch endpoint %r is not a member" % sync.get("endpoint"))
    stuck = stuck[0] + 1
    print("n1's watch streams from member %d: paused" % stuck)
    env.etcd("pause %d" % stuck)
    rise(n2)
    env.wait_for("n2 active through member 2", lambda: active(n2), timeout=20)
    # n1's keepalive to member 1 may time out first: while it backs off,
    # it answers 104 (nothing lent); the host asks again until n1 writes.
    h = Host("127.0.3.30", n1)
    t0 = time.monotonic()
    refused = "etcd refused gateway n1's write"
    before = n1.log_text().count(refused)
    counted = n1.cluster()["fence"]["writes_refused"]
    while n1.log_text().count(refused) == before:
        check(time.monotonic() - t0 < 20, "n1 never tried to write (no refusal logged)")
        m = h.call(R.register_request, tries=3, wait=0.3)
        check(m is None or (m.type == R.ERROR_RESPONSE and m.error == 104),
              "n1 answered after n2 took the fence: %r" % m)
    text = n1.log_text()
    line = [x for x in text.splitlines() if refused in x][-1]
    print("n1 log (%.1f s after the request): %s" % (time.monotonic() - t0, line.strip()))
    env.etcd("resume %d" % stuck)
    env.wait_for("n1 standby", lambda: not active(n1), timeout=15)
    st = n1.cluster()["fence"]
    env.wait_for("n1 sees n2 hold the fence", lambda: n1.cluster()["fence"]["holder"] == "n2")
    st = n1.cluster()["fence"]
    check(st["writes_refused"] > counted, "n1 did not count the refused write: %r" % st)
    eb = etcd_bindings()
    env.wait_for("n1 and n2 hold what etcd holds after the refused write",
                 lambda: gw_bindings(n1) == eb and gw_bindings(n2) == eb, timeout=15)
    print("n1 fenced: %d write(s) refused, standby, %d bindings as in etcd"
          % (st["writes_refused"], len(eb)))

    print("== the holder dies: n1 (still MASTER, no new rise) takes the free fence")
    t0 = time.monotonic()
    n2.kill9()
    env.wait_for("n1 active after n2's member key expired", lambda: active(n1), timeout=15)
    took = time.monotonic() - t0
    check(n1.cluster()["fence"]["holder"] == "n1", "n1 active without the fence")
    m = h.call(R.register_request)
    check(m is not None and m.type == R.REGISTER_RESPONSE, "REGISTER at n1 after n2 died: %r" % m)
    env.wait_for("the registration in etcd",
                 lambda: "bind/%08x" % m.client_id in "".join(env.etcd_get("bind/")))
    print("n1 active %.1f s after kill -9 of n2 (its member lease: 5 s); it lends again" % took)
finally:
    stop_all((n1, n2))
print("PASS")
