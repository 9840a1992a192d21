#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Registration life cycle against the real daemon over UDP and TCP:
REGISTER_RESPONSE contents, 302 with the existing Client ID, a registration
that outlives its TCP connection (D4), the transport fixed at registration
(102/101), DE-REGISTER, 301 before registering and after de-registering
(D11), 305 carrying the real Client ID (D17), and 304 outside --allow (TCP; over UDP no answer)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
from rsiptest import (Rsipd, Suite, TcpClient, UdpClient, check, check_eq,  # noqa: E402
                      expect_error, expect_type)

suite = Suite("registration")


def check_register_response(m, lease):
    expect_type(m, R.REGISTER_RESPONSE)
    check(m.client_id not in (None, 0), "Client ID 0 is never handed out (D19)")
    check_eq(m.lease, lease, "registration lease")
    check_eq(m.flow, (R.FLOW_MACRO, R.FLOW_NONE), "flow policy macro/none")
    # RFC 3104 gateway: RSAP-IP always, RSIPSEC advertised; IP-IP and GRE (D15).
    check(R.METHOD_RSAP_IP in m.methods and R.METHOD_RSIPSEC in m.methods,
          "methods %r" % m.methods)
    check_eq(sorted(m.tunnels), [R.TUNNEL_IPIP, R.TUNNEL_GRE], "tunnel types")


@suite.test
def register_udp_and_302():
    with Rsipd("--lease", "120", "--flow-policy", "macro/none") as d:
        c = UdpClient(d, "127.0.0.2")
        m = c.register()
        check_register_response(m, 120)
        check_eq(m.counter, 1)
        cid = m.client_id
        # Registering again with a new counter: 302 carrying the same ID.
        m = c.call(R.register_request)
        expect_error(m, R.E_ALREADY_REGISTERED)
        check_eq(m.client_id, cid, "302 carries the existing Client ID")
        check_eq(m.counter, 2)
        # Also from another source port of the same host (keyed by IP, D4).
        c2 = UdpClient(d, "127.0.0.2")
        c2.counter = 40
        m = c2.call(R.register_request)
        expect_error(m, R.E_ALREADY_REGISTERED)
        check_eq(m.client_id, cid)
        # A second host gets its own, different ID.
        other = UdpClient(d, "127.0.0.3")
        check(other.register().client_id != cid, "Client IDs are unique")
        clients = d.ctl_data("clients")
        check_eq(sorted((x["address"], x["transport"]) for x in clients),
                 [("127.0.0.2", "udp"), ("127.0.0.3", "udp")])
        check_eq({x["client_id"] for x in clients}, {cid, other.client_id})


@suite.test
def register_tcp_with_and_without_counter():
    with Rsipd("--lease", "120") as d:
        t = TcpClient(d, "127.0.0.2")
        # Over TCP the counter is optional; the answer then carries none.
        t.send(R.register_request())
        m = t.recv_msg()
        check_register_response(m, 120)
        check(m.counter is None, "no counter in the answer to a counter-less request")
        cid = m.client_id
        m = t.call(R.register_request)
        expect_error(m, R.E_ALREADY_REGISTERED)
        check_eq(m.client_id, cid)
        # The registration outlives the connection (D4): a new connection
        # from the same IP carries on with the same Client ID.
        t.close()
        t2 = TcpClient(d, "127.0.0.2")
        m = t2.call(R.register_request)
        expect_error(m, R.E_ALREADY_REGISTERED)
        check_eq(m.client_id, cid)
        t2.client_id = cid
        m = t2.deregister()
        expect_type(m, R.DEREGISTER_RESPONSE)
        check_eq((m.client_id, m.counter), (cid, t2.counter))
        check_eq(d.ctl_data("clients"), [])


@suite.test
def transport_fixed_at_registration():
    with Rsipd() as d:
        t = TcpClient(d, "127.0.0.2")
        cid = t.register().client_id
        u = UdpClient(d, "127.0.0.2")
        m = u.call(R.query_request, cid)
        expect_error(m, R.E_USE_TCP)  # UDP for a TCP registration (D4)
        u2 = UdpClient(d, "127.0.0.3")
        cid2 = u2.register().client_id
        t2 = TcpClient(d, "127.0.0.3")
        m = t2.call(R.query_request, cid2)
        expect_error(m, R.E_UNKNOWN_ERROR)  # TCP for a UDP registration (D4)
        # Neither changed the registrations.
        clients = {x["address"]: x["transport"] for x in d.ctl_data("clients")}
        check_eq(clients, {"127.0.0.2": "tcp", "127.0.0.3": "udp"})
        expect_type(t.query(), R.QUERY_RESPONSE)
        expect_type(u2.query(), R.QUERY_RESPONSE)


@suite.test
def deregister_and_register_first():
    with Rsipd() as d:
        c = UdpClient(d, "127.0.0.2")
        # Nothing but REGISTER before registering: 301 (also DE-REGISTER, D11).
        for build, args in ((R.query_request, (5,)), (R.deregister_request, (5,)),
                            (R.assign_rsap_ip, (5,)), (R.free_request, (5, 6)),
                            (R.extend_request, (5, 6)),
                            (R.assign_rsipsec, (5, R.p_spi_any(1)))):
            expect_error(c.call(build, *args), R.E_REGISTER_FIRST)
        cid = c.register().client_id
        b = expect_type(c.rsap(), R.ASSIGN_RESPONSE_RSAP_IP).bind_id
        check_eq(len(d.bindings()), 1)
        # Wrong Client ID: 305, carrying the host's real one (D17).
        m = c.deregister(client_id=cid ^ 0x5A5A5A5A)
        expect_error(m, R.E_BAD_CLIENT_ID)
        check_eq(m.client_id, cid)
        check_eq(len(d.bindings()), 1, "a refused DE-REGISTER changes nothing")
        m = c.deregister()
        expect_type(m, R.DEREGISTER_RESPONSE)
        check_eq(m.client_id, cid)
        check_eq(d.bindings(), [], "de-registering frees every binding")
        check_eq(d.ctl_data("clients"), [])
        expect_error(c.deregister(), R.E_REGISTER_FIRST)
        expect_error(c.free(b), R.E_REGISTER_FIRST)
        # And it can register again, with a fresh ID.
        check(c.register().client_id != cid, "a new registration, a new Client ID")
        counters = d.counters()["rsip"]
        check(counters["registrations"] >= 2 and counters["deregistrations"] >= 1,
              "counters %r" % counters)
        check(counters["errors"].get("301 REGISTER_FIRST", 0) >= 8,
              "301s counted: %r" % counters["errors"])


@suite.test
def allow_304():
    with Rsipd("--allow", "127.0.0.0/30") as d:
        ok = UdpClient(d, "127.0.0.2")
        ok.register()
        for src in ("127.0.0.5", "127.0.0.9"):
            # UDP: no answer at all (a forged source must not make rsipd
            # reflect traffic at a stranger); counted.
            denied = UdpClient(d, src)
            denied.send(R.register_request(counter=1))
            check(denied.recv_raw(timeout=1.0) is None, "no UDP answer outside --allow")
            denied_tcp = TcpClient(d, src)
            expect_error(denied_tcp.call(R.register_request), R.E_REGISTRATION_DENIED)
        check_eq([x["address"] for x in d.ctl_data("clients")], ["127.0.0.2"])
        check_eq(d.counters()["rsip"]["dropped_not_allowed"], 2)


sys.exit(suite.run())
