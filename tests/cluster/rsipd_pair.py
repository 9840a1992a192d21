#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Two real rsipd gateways sharing their leases through etcd (--store
etcd://...), driven by test_rsipd_store_takeover.sh from inside the etcd
test cluster's namespace (the members on 127.0.1.1-3). Usage:
rsipd_pair.py BUILD DIR ENDPOINTS PREFIX. Prints what it checks; exit 0 or 1.

N1 (active: its role file says MASTER) and N2 (standby: BACKUP) listen on
127.0.2.1 and 127.0.2.2; hosts are scripted RSIP clients (rsiplib) on
127.0.3.x. The address move itself is keepalived's (test_keepalived_takeover
.sh): here a host simply turns to N2 when N1 is gone, as it would when Na
moved. Data plane none: the maps' side is the same restore path a restart
uses (tests/netns)."""

import json
import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from rsipd_gw import Gateway, Host, R, driver_env, stop_all  # noqa: E402

env, members = driver_env()
check, fail, wait_for, etcd = env.check, env.fail, env.wait_for, env.etcd
POOL = ["--public", "192.0.2.10,192.0.2.11", "--lease", "60"]


def same_bindings(a, b):
    def key(x):
        return {k: (v["client_id"], v["nb"], v.get("ports"), v.get("spis"))
                for k, v in x.items()}
    return key(a) == key(b)


n1 = Gateway(env, "n1", "127.0.2.1", members, POOL)
n2 = Gateway(env, "n2", "127.0.2.2", members, POOL)
n1.set_role("MASTER")
n2.set_role("BACKUP")
try:
    n1.start()
    n2.start()
    check(n1.status()["cluster"]["role"] == "active", "n1 is not active")
    check(n2.status()["cluster"]["role"] == "standby", "n2 is not standby")

    print("== n1 (active) lends; n2 (standby) mirrors every binding")
    hosts, grants = [], {}
    for i in range(8):
        h = Host("127.0.3.%d" % (i + 1), n1)
        m = h.call(R.register_request)
        check(m is not None and m.type == R.REGISTER_RESPONSE, "host %d: no registration" % i)
        h.client_id = m.client_id
        a = h.call(R.assign_rsap_ip, h.client_id, local_ports=R.p_ports_any(4))
        check(a is not None and a.type == R.ASSIGN_RESPONSE_RSAP_IP, "host %d: ASSIGN %r" % (i, a))
        s = h.call(R.assign_rsipsec, h.client_id, R.p_spi_any(1))
        check(s is not None and s.type == R.ASSIGN_RESPONSE_RSIPSEC, "host %d: RSIPSEC %r" % (i, s))
        grants[h.client_id] = (a.bind_id, a.ports[0].expand(), s.bind_id, s.spi.expand())
        hosts.append(h)
    b1 = n1.bindings()
    check(len(b1) == 16, "n1 holds %d bindings, not 16" % len(b1))
    wait_for("n2 mirrors n1's 16 bindings", lambda: same_bindings(n2.bindings(), b1))
    st = n2.status()
    print("n2 status: clients %d bindings %d, sync %s" % (st["clients"], st["bindings"],
                                                         json.dumps(st["cluster"]["sync"])))
    check(st["alloc"]["ports_used"] == n1.status()["alloc"]["ports_used"],
          "n2's allocator holds other ports than n1's")
    peers = sorted((p["gateway"], p["role"]) for p in st["cluster"]["peers"])
    check(peers == [("n1", "active"), ("n2", "standby")], "peers %r" % peers)

    print("== a record that does not parse is refused; the next one is applied")
    # The mirror parses every record with one tokener (cluster_mirror.c):
    # a truncated record must not leave it half way through the next one.
    sync = st["cluster"]["sync"]
    records = env.etcd_get("bind/")
    good_key, good = sorted(records.items())[0]
    bad_key = env.prefix + "bind/7fff0001"
    env.etcdctl("put", bad_key, good[:len(good) // 2])
    wait_for("n2 refuses the truncated record",
             lambda: n2.cluster()["sync"]["hosts_refused"] == sync["hosts_refused"] + 1)
    check("host 7fff0001 from etcd" in n2.log_text(), "n2 did not log the refused record")
    env.etcdctl("put", good_key, good)  # the same host again: a new revision to apply
    wait_for("n2 applies the good record after it",
             lambda: n2.cluster()["sync"]["hosts_applied"] == sync["hosts_applied"] + 1)
    env.etcdctl("del", bad_key)
    st = n2.status()
    check(st["clients"] == len(hosts) and same_bindings(n2.bindings(), b1),
          "n2 after the bad record: %d hosts, bindings as n1's: %s"
          % (st["clients"], same_bindings(n2.bindings(), b1)))
    print("n2: refused %d, applied %d (of them the record after the bad one)"
          % (st["cluster"]["sync"]["hosts_refused"], st["cluster"]["sync"]["hosts_applied"]))

    print("== the standby answers nothing")
    h = hosts[0]
    h.gw = n2
    check(h.call(R.extend_request, h.client_id, grants[h.client_id][0], tries=2) is None,
          "the standby answered an EXTEND")
    check(n2.ctl("counters")["data"]["rsip"]["passive_dropped"] >= 2, "n2 did not count the drops")
    h.gw = n1
    h.counter -= 1  # the host retries the same request at the active one
    m = h.call(R.extend_request, h.client_id, grants[h.client_id][0], lease=30)
    check(m is not None and m.type == R.EXTEND_RESPONSE, "EXTEND at n1: %r" % m)

    print("== a host de-registers at n1: n2 drops it too")
    gone = hosts.pop()
    m = gone.call(R.deregister_request, gone.client_id)
    check(m is not None and m.type == R.DEREGISTER_RESPONSE, "DE-REGISTER %r" % m)
    del grants[gone.client_id]
    b1 = n1.bindings()
    wait_for("n2 drops the host", lambda: same_bindings(n2.bindings(), b1))

    before = n1.bindings()
    print("== kill -9 n1; keepalived makes n2 MASTER")
    t0 = time.monotonic()
    n1.kill9()
    n2.set_role("MASTER")
    wait_for("n2 active", lambda: n2.status()["cluster"]["role"] == "active")
    for h in hosts:
        h.gw = n2
    first = None
    for h in hosts:
        bind_a, ports, bind_s, spis = grants[h.client_id]
        m = h.call(R.extend_request, h.client_id, bind_a, lease=60)
        check(m is not None and m.type == R.EXTEND_RESPONSE,
              "client %08x: EXTEND of its binding at n2: %r" % (h.client_id, m))
        if first is None:
            first = time.monotonic() - t0
        m = h.call(R.extend_request, h.client_id, bind_s, lease=60)
        check(m is not None and m.type == R.EXTEND_RESPONSE, "RSIPSEC EXTEND at n2: %r" % m)
    b2 = n2.bindings()
    for cid, (bind_a, ports, bind_s, spis) in grants.items():
        for bid in (bind_a, bind_s):
            check(bid in b2 and all(b2[bid][k] == before[bid][k] for k in ("nb", "ports", "spis")),
                  "client %08x: binding %d not kept: %r, was %r"
                  % (cid, bid, b2.get(bid), before[bid]))
    check(len(b2) == 2 * len(hosts), "n2 holds %d bindings, not %d" % (len(b2), 2 * len(hosts)))
    print("takeover: first EXTEND answered by n2 %.0f ms after kill -9 of n1; "
          "%d leases kept, 0 re-registrations" % (first * 1000, len(b2)))

    print("== etcd member 1 stops; n2 lends as the active gateway")
    etcd("stop 1")
    h = hosts[0]
    a = h.call(R.assign_rsap_ip, h.client_id, local_ports=R.p_ports_any(2))
    check(a is not None and a.type == R.ASSIGN_RESPONSE_RSAP_IP, "ASSIGN at n2: %r" % a)
    st = n2.status()["cluster"]["store"]
    print("n2 store after the member stopped: %s" % json.dumps(st))
    check(st["healthy"] and st["pending"] == 0, "n2's store is not healthy: %r" % st)
    check(a.bind_id in n2.bindings(), "the new binding is not at n2")

    print("== etcd unreachable (members 2 and 3 paused): n2 forwards and extends, lends nothing")
    etcd("pause 2 3")
    h = hosts[1]
    bind_a = grants[h.client_id][0]
    t0 = time.monotonic()
    m = h.call(R.extend_request, h.client_id, bind_a, lease=45, tries=20)
    check(m is not None and m.type == R.EXTEND_RESPONSE, "EXTEND during the outage: %r" % m)
    print("EXTEND during the outage answered in %.0f ms" % ((time.monotonic() - t0) * 1000))
    m = h.call(R.assign_rsap_ip, h.client_id, local_ports=R.p_ports_any(1), tries=20)
    check(m is not None and m.type == R.ERROR_RESPONSE and m.error == 104,
          "ASSIGN during the outage: %r (want ERROR_RESPONSE 104)" % m)
    check("allocation refused (RSIP 104), etcd unreachable" in n2.log_text(),
          "no log line for the 104")
    etcd("resume 2 3")
    wait_for("n2's store healthy again",
             lambda: n2.status()["cluster"]["store"]["healthy"], timeout=30)
    wait_for("n2 wrote what waited", lambda: n2.status()["cluster"]["store"]["pending"] == 0)
    m = h.call(R.assign_rsap_ip, h.client_id, local_ports=R.p_ports_any(1))
    check(m is not None and m.type == R.ASSIGN_RESPONSE_RSAP_IP, "ASSIGN after the outage: %r" % m)

    print("== n1 comes back (BACKUP): it reads everything and stays standby")
    n1.set_role("BACKUP")
    n1.start()
    check(n1.status()["cluster"]["role"] == "standby", "n1 came back active")
    b2 = n2.bindings()
    wait_for("n1 mirrors n2", lambda: same_bindings(n1.bindings(), b2))
    print("n1 back: %d bindings mirrored, role standby" % len(b2))
    out = sys.stdout
    out.flush()
finally:
    stop_all((n1, n2))
print("PASS")
