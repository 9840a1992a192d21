#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""A gateway that could not mirror every host etcd holds never takes the
fence (docs/cluster.md, "The fence"), driven by test_rsipd_unapplied.sh from
inside the etcd test cluster's namespace. Usage:
rsipd_unapplied.py BUILD DIR ENDPOINTS PREFIX. Prints what it checks; exit 0
or 1.

n1 (127.0.2.1) and n2 (127.0.2.2) lend ports 20000-20999:

0. a refusal that passes is tried again: n1 holds a released port back for
   1 s, n2 for 8 s (a skew of seconds standing for the milliseconds between
   the active's release and the standby's hearing of it). Host A frees port
   20005 at n1; host B takes 20005 at n1 once n1's hold-back is over; n2
   still holds it back and refuses B's record (hosts_unapplied 1), then
   mirrors it once its own hold-back ends (hosts_unapplied 0, "mirrored on
   a later try", n2 holds B's binding).

Then n2 is restarted misconfigured, with another --port-range,
21000-21999, so its allocator would take a port n1 lent for free:

1. a host registers at n1 (MASTER) and leases 2 ports; n2's mirror refuses
   the host's record (ports outside its range): sync.hosts_unapplied 1.
2. kill -9 n1, n2's role file says MASTER: n2 does not take the fence,
   even after n1's member key has expired, says why once, and a new host's
   REGISTER at n2 gets no answer.
3. the host's record leaves etcd (an operator's etcdctl del): n2 has
   nothing it could not mirror, takes the fence and answers the new host.
"""

import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from rsipd_gw import Gateway, Host, R, driver_env, stop_all  # noqa: E402

env, members = driver_env()
check, fail = env.check, env.fail
BASE = ["--public", "192.0.2.10", "--spi-range", "0x100-0x3ff", "--lease", "60"]
COMMON = BASE + ["--port-range", "20000-20999"]
MEMBER_TTL_S = 5  # cluster_store.c: a dead gateway's member key goes this soon


def active(gw):
    return gw.cluster()["role"] == "active"


def unapplied(gw):
    return gw.cluster()["sync"]["hosts_unapplied"]


order2 = members[1:] + members[:1]
n1 = Gateway(env, "n1", "127.0.2.1", members, COMMON + ["--holdback", "1"])
n2 = Gateway(env, "n2", "127.0.2.2", order2, COMMON + ["--holdback", "8"])
n1.set_role("MASTER")
n2.set_role("BACKUP")
try:
    n1.start()
    n2.start()
    env.wait_for("n1 active", lambda: active(n1))

    print("== a refusal that passes is tried again (hold-back skew)")
    a, b = Host("127.0.3.11", n1), Host("127.0.3.12", n1)
    for h in (a, b):
        m = h.call(R.register_request)
        check(m is not None and m.type == R.REGISTER_RESPONSE, "no REGISTER_RESPONSE")
        h.client_id = m.client_id
    m = a.call(R.assign_rsap_ip, a.client_id, local_ports=R.p_ports_range(20005))
    check(m is not None and m.type == R.ASSIGN_RESPONSE_RSAP_IP, "A: no port 20005: %r" % m)
    env.wait_for("n2 mirrors A's port", lambda: any(
        x["client_id"] == a.client_id for x in n2.bindings().values()))
    m = a.call(R.free_request, a.client_id, m.bind_id)
    check(m is not None and m.type == R.FREE_RESPONSE, "A: FREE failed: %r" % m)
    env.wait_for("n2 sees A's port go", lambda: not any(
        x["client_id"] == a.client_id for x in n2.bindings().values()))
    time.sleep(1.5)  # n1's hold-back (1 s) is over, n2's (8 s) is not
    m = b.call(R.assign_rsap_ip, b.client_id, local_ports=R.p_ports_range(20005))
    check(m is not None and m.type == R.ASSIGN_RESPONSE_RSAP_IP, "B: no port 20005: %r" % m)
    t0 = time.monotonic()
    env.wait_for("n2 refuses B's record (20005 held back there)", lambda: unapplied(n2) == 1)
    check(not any(x["client_id"] == b.client_id for x in n2.bindings().values()),
          "n2 holds B's binding while 20005 is held back there")
    env.wait_for("n2 mirrors B's record once its hold-back ends", lambda: unapplied(n2) == 0,
                 timeout=20)
    check(any(x["client_id"] == b.client_id for x in n2.bindings().values()),
          "n2 does not hold B's binding")
    check("mirrored on a later try" in n2.log_text(), "n2 did not say it mirrored B later")
    print("n2 refused B's record, then mirrored it %.1f s later; hosts_refused %d"
          % (time.monotonic() - t0, n2.cluster()["sync"]["hosts_refused"]))
    n2.stop()
    n2 = Gateway(env, "n2", "127.0.2.2", order2, BASE + ["--port-range", "21000-21999"])
    n2.start()
    env.wait_for("the restarted n2 refuses B's record", lambda: unapplied(n2) == 1)

    print("== a host leases ports at n1; n2 cannot mirror its record")
    h = Host("127.0.3.1", n1)
    m = h.call(R.register_request)
    check(m is not None and m.type == R.REGISTER_RESPONSE, "no REGISTER_RESPONSE from n1")
    h.client_id = m.client_id
    m = h.call(R.assign_rsap_ip, h.client_id, local_ports=R.p_ports_any(2))
    check(m is not None and m.type == R.ASSIGN_RESPONSE_RSAP_IP, "no ports from n1: %r" % m)
    ports = sorted(m.local_ports.expand())
    print("n1 lent ports %s to %08x" % (ports, h.client_id))
    # B's record (port 20005) and this one: both outside n2's range
    env.wait_for("n2 refuses the record", lambda: unapplied(n2) == 2)
    check("not mirrored" in n2.log_text(), "n2 did not say which host it could not mirror")
    print("n2: sync %r" % n2.cluster()["sync"])

    print("== n1 dies, n2 is told MASTER: it does not take the fence")
    n1.kill9()
    n2.set_role("MASTER")
    env.wait_for("n2 says why it stays standby",
                 lambda: "does not take" in n2.log_text(), timeout=15)
    time.sleep(MEMBER_TTL_S + 2)  # n1's member key has gone: the fence is free
    check(not active(n2), "n2 took the fence with a host it could not mirror")
    check(n2.log_text().count("does not take") == 1, "n2 said it more than once")
    h2 = Host("127.0.3.2", n2)
    m = h2.call(R.register_request, tries=3)
    check(m is None, "n2 answered a REGISTER while standby: %r" % m)
    print("n2 stays standby, answers nothing; fence %r" % n2.cluster()["fence"])

    print("== the record leaves etcd: n2 takes the fence")
    keys = list(env.etcd_get("bind/"))
    check(len(keys) == 3, "etcd holds %d host records, not 3: %r" % (len(keys), keys))
    for k in keys:
        env.etcdctl("del", k)
    env.wait_for("n2 has nothing unapplied", lambda: unapplied(n2) == 0)
    env.wait_for("n2 active", lambda: active(n2), timeout=15)
    m = h2.call(R.register_request)
    check(m is not None and m.type == R.REGISTER_RESPONSE, "n2 (active) did not answer")
    print("n2 took the fence and registered %08x" % m.client_id)
    print("PASS")
finally:
    stop_all([n1, n2])
