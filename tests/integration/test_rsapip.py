#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""RSAP-IP, EXTEND, FREE, QUERY and LISTEN against the real daemon: ports
as "don't care", a specific port and a specific range, a conflict (311),
ports outside --port-range (313), EXTEND and FREE with their Bind ID errors
(306), QUERY against --local-net (D18), LISTEN (Tunnel Type before Lease
Time), tunnel type choice (307), and remote flow policy (103)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
from rsiptest import (Rsipd, Suite, TcpClient, UdpClient, check, check_eq,  # noqa: E402
                      expect_error, expect_type)

suite = Suite("RSAP-IP, EXTEND, FREE, QUERY, LISTEN")
PLO, PHI = 20000, 20999
NB = R.p_addr_v4("192.0.2.1")


def daemon(*extra):
    return Rsipd("--port-range", "%d-%d" % (PLO, PHI), "--lease", "600", *extra)


def grant_ports(d, c, m, n, mtype=R.ASSIGN_RESPONSE_RSAP_IP):
    expect_type(m, mtype)
    check_eq(m.client_id, c.client_id)
    check_eq(str(m.local_addr.value), "192.0.2.1")
    ports = m.local_ports.expand()
    check_eq(len(ports), n, "ports %r" % m.local_ports)
    check_eq(len(set(ports)), n, "distinct ports")
    check(all(PLO <= p <= PHI for p in ports), "ports %r inside --port-range" % ports)
    check(m.remote_addr.any and m.remote_ports.form == "any", "remote don't care (policy none)")
    return ports


def binding_row(d, bind_id):
    rows = [b for b in d.bindings() if b["bind_id"] == bind_id]
    check_eq(len(rows), 1, "binding %d listed once" % bind_id)
    return rows[0]


def ports_text(ports):
    if len(ports) == 1:
        return str(ports[0])
    return "%d-%d" % (ports[0], ports[-1])


@suite.test
def ports_dont_care_specific_range_conflict():
    with daemon() as d:
        a = UdpClient(d, "127.0.0.2")
        a.register()
        b = TcpClient(d, "127.0.0.3")
        b.register()
        one = grant_ports(d, a, a.rsap(), 1)
        m = a.rsap(local_ports=R.p_ports_any(4))
        four = grant_ports(d, a, m, 4)
        check(not set(one) & set(four), "no port granted twice")
        if m.local_ports.form == "range":
            check_eq(binding_row(d, m.bind_id)["ports"], ports_text(four))
        # A specific free port, then a specific range, on the named Nb.
        m = a.rsap(local_addr=NB, local_ports=R.p_ports_range(20500))
        check_eq(grant_ports(d, a, m, 1), [20500])
        check_eq(binding_row(d, m.bind_id)["ports"], "20500")
        m = b.rsap(local_addr=NB, local_ports=R.p_ports_range(20600, 3))
        check_eq(grant_ports(d, b, m, 3), [20600, 20601, 20602])
        check_eq(binding_row(d, m.bind_id)["ports"], "20600-20602")
        m = b.rsap(local_ports=R.p_ports_list([20700, 20710]))
        check_eq(grant_ports(d, b, m, 2), [20700, 20710])
        used = d.ctl_data("status")["alloc"]["ports_used"]
        # Taken by someone else: 311, carrying the asker's Client ID.
        m = b.rsap(local_addr=NB, local_ports=R.p_ports_range(20500))
        expect_error(m, R.E_LOCAL_ADDRPORT_INUSE)
        check_eq(m.client_id, b.client_id)
        # A range overlapping a's port by one, and a list containing it.
        expect_error(b.rsap(local_ports=R.p_ports_range(20498, 3)), R.E_LOCAL_ADDRPORT_INUSE)
        expect_error(b.rsap(local_ports=R.p_ports_list([20800, 20500])),
                     R.E_LOCAL_ADDRPORT_INUSE)
        # Outside --port-range: 313.
        expect_error(b.rsap(local_ports=R.p_ports_range(PHI + 1)), R.E_LOCAL_ADDRPORT_UNALLOWED)
        expect_error(b.rsap(local_ports=R.p_ports_range(PHI - 1, 3)),
                     R.E_LOCAL_ADDRPORT_UNALLOWED)
        # Refusals took nothing (atomic).
        check_eq(d.ctl_data("status")["alloc"]["ports_used"], used)
        # A local address that is not ours: 312 (D16: IPv6 is 308).
        expect_error(b.rsap(local_addr=R.p_addr_v4("192.0.2.99")), R.E_LOCAL_ADDR_UNALLOWED)
        expect_error(b.rsap(local_addr=R.p_addr_any(R.ADDR_IPV6)), R.E_LOCAL_ADDR_UNAVAILABLE)
        # Tunnel types: GRE granted, L2TP refused (D15).
        m = b.rsap(tunnel=R.TUNNEL_GRE)
        expect_type(m, R.ASSIGN_RESPONSE_RSAP_IP)
        check_eq(m.tunnels, [R.TUNNEL_GRE])
        check_eq(binding_row(d, m.bind_id)["tunnel"], "GRE")
        expect_error(b.rsap(tunnel=R.TUNNEL_L2TP), R.E_BAD_TUNNEL_TYPE)


@suite.test
def port_pool_exhaustion_309():
    with Rsipd("--port-range", "30000-30007", "--max-ports", "0") as d:
        c = UdpClient(d, "127.0.0.2")
        c.register()
        expect_error(c.rsap(local_ports=R.p_ports_any(9)), R.E_LOCAL_ADDRPORT_UNAVAILABLE)
        got = []
        for _ in range(2):
            m = c.rsap(local_ports=R.p_ports_any(4))
            expect_type(m, R.ASSIGN_RESPONSE_RSAP_IP)
            got += m.local_ports.expand()
        check_eq(sorted(got), list(range(30000, 30008)))
        # All or nothing: one port short is 309, never a partial grant.
        expect_error(c.rsap(), R.E_LOCAL_ADDRPORT_UNAVAILABLE)
        check_eq(len(d.bindings()), 2)


@suite.test
def holdback_zero_releases_at_once():
    """--holdback 0 ("seconds a released port or SPI stays out of use")
    means no hold-back: a freed port, SPI or whole address is free again at
    once. (With the default 120 s the same requests get 311/403/308.)"""
    with daemon("--holdback", "0") as d:
        a = UdpClient(d, "127.0.0.2")
        a.register()
        b = UdpClient(d, "127.0.0.3")
        b.register()
        m = expect_type(a.rsap(local_ports=R.p_ports_range(20400)), R.ASSIGN_RESPONSE_RSAP_IP)
        expect_type(a.free(m.bind_id), R.FREE_RESPONSE)
        m = b.rsap(local_ports=R.p_ports_range(20400))
        check_eq(grant_ports(d, b, m, 1), [20400], "the freed port, at once")
        expect_type(b.free(m.bind_id), R.FREE_RESPONSE)
        m = expect_type(a.rsipsec(R.p_spi_range(0x4000)), R.ASSIGN_RESPONSE_RSIPSEC)
        expect_type(a.free(m.bind_id), R.FREE_RESPONSE)
        m = expect_type(b.rsipsec(R.p_spi_range(0x4000)), R.ASSIGN_RESPONSE_RSIPSEC)
        check_eq(m.spi.expand(), [0x4000], "the freed SPI, at once")
        expect_type(b.free(m.bind_id), R.FREE_RESPONSE)
        m = expect_type(a.call(R.assign_rsa_ip, a.client_id), R.ASSIGN_RESPONSE_RSA_IP)
        expect_type(a.free(m.bind_id), R.FREE_RESPONSE)
        expect_type(b.rsap(), R.ASSIGN_RESPONSE_RSAP_IP)


@suite.test
def extend_and_free():
    with daemon("--lease-min", "5") as d:
        c = UdpClient(d, "127.0.0.2")
        c.register()
        m = c.rsap(lease=100)
        expect_type(m, R.ASSIGN_RESPONSE_RSAP_IP)
        check_eq(m.lease, 100, "a requested lease within bounds is granted")
        bind = m.bind_id
        m = c.extend(bind, lease=300)
        expect_type(m, R.EXTEND_RESPONSE)
        check_eq((m.client_id, m.bind_id, m.lease), (c.client_id, bind, 300))
        check(binding_row(d, bind)["lease_remaining_s"] > 100, "lease extended in rsipctl")
        # Clamped to --lease (max) and --lease-min; 0 means the default.
        check_eq(c.extend(bind, lease=100000).lease, 600)
        check_eq(c.extend(bind, lease=1).lease, 5)
        check_eq(c.extend(bind, lease=0).lease, 600)
        check_eq(c.extend(bind).lease, 600)
        # Somebody else's or an unknown Bind ID: 306 echoing it (D17).
        other = TcpClient(d, "127.0.0.3")
        other.register()
        m = other.extend(bind)
        expect_error(m, R.E_BAD_BIND_ID)
        check_eq((m.client_id, m.bind_id), (other.client_id, bind))
        expect_error(other.free(bind), R.E_BAD_BIND_ID)
        expect_error(c.extend(bind ^ 0x11111111), R.E_BAD_BIND_ID)
        # Wrong Client ID: 305.
        expect_error(c.extend(bind, client_id=other.client_id), R.E_BAD_CLIENT_ID)
        # FREE, then it is gone: a second FREE or EXTEND is 306.
        m = c.free(bind)
        expect_type(m, R.FREE_RESPONSE)
        check_eq((m.client_id, m.bind_id, m.counter), (c.client_id, bind, c.counter))
        check_eq(d.bindings(), [])
        expect_error(c.free(bind), R.E_BAD_BIND_ID)
        expect_error(c.extend(bind), R.E_BAD_BIND_ID)
        check(d.ctl_data("status")["alloc"]["ports_held"] >= 1, "freed port held back")
        counters = d.counters()["rsip"]
        check(counters["extends"] >= 4 and counters["frees"] >= 1, "counters %r" % counters)


@suite.test
def query_local_networks():
    with daemon("--local-net", "10.0.0.0/8", "--local-net", "172.16.0.0/12") as d:
        c = UdpClient(d, "127.0.0.2")
        c.register()
        # No tuples: every configured local network (D18).
        m = expect_type(c.query(), R.QUERY_RESPONSE)
        check_eq(m.client_id, c.client_id)
        nets = sorted((t[0], str(t[1].value), str(t[2].value)) for t in m.tuples)
        check_eq(nets, [(R.IND_LOCAL_NETWORK, "10.0.0.0", "255.0.0.0"),
                        (R.IND_LOCAL_NETWORK, "172.16.0.0", "255.240.0.0")])
        # Local address echoed, remote left out; a contained network is local.
        m = expect_type(c.query(addresses=["10.1.2.3", "8.8.8.8"],
                                networks=[("10.20.0.0", "255.255.0.0"),
                                          ("192.168.0.0", "255.255.0.0")]),
                        R.QUERY_RESPONSE)
        got = [(t[0],) + tuple(str(a.value) for a in t[1:]) for t in m.tuples]
        check_eq(sorted(got), [(R.IND_LOCAL_ADDRESS, "10.1.2.3"),
                               (R.IND_LOCAL_NETWORK, "10.20.0.0", "255.255.0.0")])
        # A 1-byte Indicator is accepted too (D6).
        data = R.encode(R.QUERY_REQUEST, [R.p_client_id(c.client_id), R.p_counter(99),
                                          R.p_indicator(R.IND_ADDRESS, width=1),
                                          R.p_addr_v4("172.16.5.5")])
        m = expect_type(c.transact(data, 99), R.QUERY_RESPONSE)
        check_eq([(t[0], str(t[1].value)) for t in m.tuples],
                 [(R.IND_LOCAL_ADDRESS, "172.16.5.5")])
        check(d.counters()["rsip"]["queries"] >= 3, "queries counted")


@suite.test
def listen():
    with daemon() as d:
        c = TcpClient(d, "127.0.0.2")
        c.register()
        m = c.listen(local_addr=NB, local_ports=R.p_ports_range(20300))
        # rsiplib's grammar check enforces Tunnel Type before Lease Time.
        expect_type(m, R.LISTEN_RESPONSE)
        check_eq(grant_ports(d, c, m, 1, R.LISTEN_RESPONSE), [20300])
        codes = [code for code, _ in m.params]
        check(codes.index(R.P_TUNNEL) < codes.index(R.P_LEASE), "LISTEN order")
        row = binding_row(d, m.bind_id)
        check_eq((row["method"], row["ports"]), ("LISTEN", "20300"))
        # Several tunnel types offered: it picks one it supports (GRE).
        m = c.listen(tunnels=[R.TUNNEL_L2TP, R.TUNNEL_GRE])
        expect_type(m, R.LISTEN_RESPONSE)
        check_eq(m.tunnels, [R.TUNNEL_GRE])
        expect_error(c.listen(tunnels=[R.TUNNEL_L2TP]), R.E_BAD_TUNNEL_TYPE)
        # The listening port is taken for everybody else.
        u = UdpClient(d, "127.0.0.3")
        u.register()
        expect_error(u.rsap(local_ports=R.p_ports_range(20300)), R.E_LOCAL_ADDRPORT_INUSE)
        expect_type(c.free(m.bind_id), R.FREE_RESPONSE)
        check(d.counters()["rsip"]["listens"] >= 2, "listens counted")


@suite.test
def remote_policy_macro_103():
    with daemon("--flow-policy", "macro/macro", "--deny-remote", "203.0.113.0/24") as d:
        c = UdpClient(d, "127.0.0.2")
        check_eq(c.register().flow, (R.FLOW_MACRO, R.FLOW_MACRO))
        # Remote macro policy: the peer's address is required.
        expect_error(c.rsap(), R.E_FLOW_POLICY_VIOLATION)
        m = c.rsap(remote_addr=R.p_addr_v4("198.51.100.7"))
        expect_type(m, R.ASSIGN_RESPONSE_RSAP_IP)
        check_eq(str(m.remote_addr.value), "198.51.100.7", "macro: the address echoed")
        check(m.remote_ports.form == "any", "macro: remote ports don't care")
        check_eq(binding_row(d, m.bind_id)["remote"], "198.51.100.7")
        expect_error(c.rsap(remote_addr=R.p_addr_v4("203.0.113.9")), R.E_REMOTE_ADDR_UNALLOWED)


sys.exit(suite.run())
