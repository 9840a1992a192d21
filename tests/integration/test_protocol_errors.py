#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Error answers for malformed and misplaced messages, in section 6.1's
order, over UDP (and TCP where it differs): bad version 106, unknown type
206, a response type sent by a host 206 (D8), missing counter over UDP 105,
framing 207, TLV walk 207/204/205, grammar 201/202/203, optional types
switched off 208. Each ERROR_RESPONSE carries the request's counter when one
could be read, and nothing is allocated. Also RSA-IP (whole address)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
from rsiptest import (Rsipd, Suite, TcpClient, UdpClient, check, check_eq,  # noqa: E402
                      expect_error, expect_type)

suite = Suite("protocol errors")


def answer(c, data):
    c.send(data)
    m = c.recv_msg()
    check(m is not None, "no answer to %s" % R.hexdump(data))
    return m


def expect_err_counter(c, data, code, counter):
    m = expect_error(answer(c, data), code)
    check_eq(m.counter, counter, "counter echoed in %d" % code)
    return m


@suite.test
def header_errors():
    with Rsipd() as d:
        u = UdpClient(d, "127.0.0.2")
        # Version first (after framing): 106, whatever else is wrong.
        expect_error(answer(u, R.encode(R.REGISTER_REQUEST, [R.p_counter(1)], version=2)),
                     R.E_UNSUPPORTED_RSIP_VERSION)
        expect_error(answer(u, R.encode(99, [R.p_counter(1)], version=0)),
                     R.E_UNSUPPORTED_RSIP_VERSION)
        # Unknown message types: 206.
        for mtype in (0, 18, 21, 24, 30, 200, 255):
            expect_error(answer(u, R.encode(mtype, [R.p_counter(3)])), R.E_ILLEGAL_MESSAGE)
        # Well-formed messages of the types only a gateway sends: 206 (D8).
        for data in (R.encode(R.ERROR_RESPONSE, [R.p_error(101), R.p_counter(4)]),
                     R.encode(R.REGISTER_RESPONSE, [R.p_client_id(1), R.p_lease(9),
                                                    R.p_flow(1, 3), R.p_counter(4)]),
                     R.encode(R.DEREGISTER_RESPONSE, [R.p_client_id(1), R.p_counter(4)]),
                     R.encode(R.FREE_RESPONSE, [R.p_client_id(1), R.p_bind_id(2),
                                                R.p_counter(4)]),
                     R.encode(R.EXTEND_RESPONSE, [R.p_client_id(1), R.p_bind_id(2),
                                                  R.p_lease(9), R.p_counter(4)]),
                     R.encode(R.QUERY_RESPONSE, [R.p_client_id(1), R.p_counter(4)])):
            expect_err_counter(u, data, R.E_ILLEGAL_MESSAGE, 4)
        # Missing counter over UDP: 105.
        expect_error(answer(u, R.register_request()), R.E_MESSAGE_COUNTER_REQUIRED)
        expect_error(answer(u, R.query_request(7)), R.E_MESSAGE_COUNTER_REQUIRED)
        # Framing: Overall Length must equal the datagram (D2).
        data = R.register_request(counter=5)
        expect_error(answer(u, data + b"\x00"), R.E_BAD_MESSAGE)
        expect_error(answer(u, R.encode(R.REGISTER_REQUEST, [R.p_counter(5)], length=7)),
                     R.E_BAD_MESSAGE)
        expect_error(answer(u, b"\x01\x02"), R.E_BAD_MESSAGE)
        check_eq(d.ctl_data("clients"), [], "nothing registered")
        errors = d.counters()["rsip"]["errors"]
        check(errors.get("206 ILLEGAL_MESSAGE", 0) >= 13, "206 counted: %r" % errors)
        check(errors.get("106 UNSUPPORTED_RSIP_VERSION", 0) >= 2, "106 counted")
        # TCP answers the same, and keeps the connection for these.
        t = TcpClient(d, "127.0.0.3")
        expect_error(answer(t, R.encode(R.REGISTER_REQUEST, [R.p_counter(1)], version=2)),
                     R.E_UNSUPPORTED_RSIP_VERSION)
        expect_error(answer(t, R.encode(R.FREE_RESPONSE, [R.p_client_id(1), R.p_bind_id(2)])),
                     R.E_ILLEGAL_MESSAGE)
        expect_type(answer(t, R.register_request()), R.REGISTER_RESPONSE)


@suite.test
def response_type_checked_before_grammar():
    """Section 6.1 puts the message-type check (step 3, with D8's 206 for a
    response type sent by a host) before the TLV walk and the grammar
    (steps 4-5): a response type is 206 however its parameters look."""
    with Rsipd() as d:
        u = UdpClient(d, "127.0.0.2")
        for mtype in sorted(R.RESPONSE_TYPES):
            # Only a counter: every response grammar misses something.
            expect_err_counter(u, R.encode(mtype, [R.p_counter(mtype)]), R.E_ILLEGAL_MESSAGE,
                               mtype)
            # An unknown parameter code (204 in a request).
            expect_error(answer(u, R.encode(mtype, [R.p_counter(mtype), (200, b"")])),
                         R.E_ILLEGAL_MESSAGE)


@suite.test
def parameter_errors():
    with Rsipd() as d:
        u = UdpClient(d, "127.0.0.2")
        cid = u.register().client_id
        C = R.p_client_id(cid)
        any_a, any_p = R.p_addr_any(), R.p_ports_any(1)
        cases = [
            # TLV walk: parameter past the end 207, unknown code 204, bad value 205.
            (R.encode(R.QUERY_REQUEST, [C, R.p_counter(10)])[:-1] + b"", None),
            (R.encode(R.QUERY_REQUEST, [C, R.p_counter(11), (13, b"")]), R.E_ILLEGAL_PARAM),
            (R.encode(R.QUERY_REQUEST, [C, R.p_counter(12), (241, b"\x01")]), R.E_ILLEGAL_PARAM),
            (R.encode(R.QUERY_REQUEST, [(R.P_CLIENT_ID, b"\x00\x01"), R.p_counter(13)]),
             R.E_BAD_PARAM),
            (R.encode(R.ASSIGN_REQUEST_RSAP_IP, [C, (R.P_ADDRESS, b"\x09"), any_p, any_a, any_p,
                                                 R.p_counter(14)]), R.E_BAD_PARAM),
            (R.encode(R.ASSIGN_REQUEST_RSAP_IP, [C, any_a, (R.P_PORTS, b"\x00"), any_a, any_p,
                                                 R.p_counter(15)]), R.E_BAD_PARAM),
            # D8: "don't need" outside RSIPSEC, FQDN as local address.
            (R.assign_rsap_ip(cid, local_ports=R.p_ports_not_needed(), counter=16),
             R.E_BAD_PARAM),
            (R.assign_rsap_ip(cid, local_addr=R.p_addr_fqdn("nb.example"), counter=17),
             R.E_BAD_PARAM),
            (R.encode(R.ASSIGN_REQUEST_RSIPSEC, [C, any_a, R.p_ports_not_needed(), any_a,
                                                 R.p_ports_not_needed(), (R.P_SPI, b"\x00\x00"),
                                                 R.p_counter(18)]), R.E_BAD_PARAM),
            (R.encode(R.QUERY_REQUEST, [C, R.p_counter(19), (R.P_INDICATOR, b"\x00\x00\x01")]),
             R.E_BAD_PARAM),
            # Grammar: missing/out of order 201, duplicate 202, extra 203.
            (R.encode(R.EXTEND_REQUEST, [C, R.p_counter(20)]), R.E_MISSING_PARAM),
            (R.encode(R.FREE_REQUEST, [R.p_bind_id(1), C, R.p_counter(21)]), R.E_MISSING_PARAM),
            (R.encode(R.ASSIGN_REQUEST_RSAP_IP, [C, any_a, any_a, any_p, any_p,
                                                 R.p_counter(22)]), R.E_MISSING_PARAM),
            (R.encode(R.QUERY_REQUEST, [C, R.p_counter(23), R.p_counter(23)]),
             R.E_DUPLICATE_PARAM),
            (R.encode(R.DEREGISTER_REQUEST, [C, R.p_counter(24), C]), R.E_DUPLICATE_PARAM),
            (R.encode(R.EXTEND_REQUEST, [C, R.p_bind_id(1), R.p_counter(25), R.p_lease(5),
                                         R.p_lease(6)]), R.E_DUPLICATE_PARAM),
            (R.encode(R.REGISTER_REQUEST, [R.p_counter(26), R.p_lease(30)]), R.E_EXTRA_PARAM),
            (R.encode(R.FREE_REQUEST, [C, R.p_bind_id(1), R.p_counter(27),
                                       R.p_spi_any(1)]), R.E_EXTRA_PARAM),
        ]
        for data, code in cases:
            m = answer(u, data)
            if code is None:
                expect_error(m, R.E_BAD_MESSAGE)
                continue
            expect_error(m, code)
            # The counter, read straight from the TLVs (the message as a
            # whole does not decode, on purpose).
            counter = [v for c, v in R.walk_tlvs(data) if c == R.P_COUNTER][0]
            check_eq(m.counter, int.from_bytes(counter, "big"),
                     "counter echoed for %s" % R.hexdump(data))
        # Vendor Specific parameters we do not know are ignored (D7).
        m = u.call(lambda counter: R.encode(R.QUERY_REQUEST, [
            C, R.p_vendor(0x4242, 7, b"xyz"), R.p_counter(counter), R.p_vendor(1, 1)]))
        expect_type(m, R.QUERY_RESPONSE)
        check_eq(d.bindings(), [], "no error allocated anything")
        rsip = d.counters()["rsip"]
        check(rsip["malformed"] >= len(cases), "malformed counted: %r" % rsip)


@suite.test
def rsa_ip_whole_address_and_208():
    with Rsipd(public="192.0.2.1,192.0.2.2") as d:
        a = UdpClient(d, "127.0.0.2")
        a.register()
        b = UdpClient(d, "127.0.0.3")
        b.register()
        m = a.call(R.assign_rsa_ip, a.client_id, local_addr=R.p_addr_v4("192.0.2.2"))
        expect_type(m, R.ASSIGN_RESPONSE_RSA_IP)
        check_eq(str(m.local_addr.value), "192.0.2.2")
        (row,) = d.bindings(a.client_id)
        check_eq((row["method"], row["nb"]), ("RSA-IP", "192.0.2.2"))
        # The whole address is a's: b can have neither it nor a port on it.
        m = b.call(R.assign_rsa_ip, b.client_id, local_addr=R.p_addr_v4("192.0.2.2"))
        expect_error(m, R.E_LOCAL_ADDR_INUSE)
        m = b.rsap(local_addr=R.p_addr_v4("192.0.2.2"))
        check(m.type == R.ERROR_RESPONSE and m.error in (R.E_LOCAL_ADDR_INUSE,
                                                         R.E_LOCAL_ADDRPORT_INUSE),
              "port on a whole-leased address refused: %r" % m)
        # b can have the other one whole; after that none is left (308).
        expect_type(b.call(R.assign_rsa_ip, b.client_id), R.ASSIGN_RESPONSE_RSA_IP)
        c = UdpClient(d, "127.0.0.4")
        c.register()
        expect_error(c.call(R.assign_rsa_ip, c.client_id), R.E_LOCAL_ADDR_UNAVAILABLE)
    with Rsipd("--no-rsa-ip") as d:
        a = UdpClient(d, "127.0.0.2")
        m = a.register()
        check(R.METHOD_RSA_IP not in m.methods, "RSA-IP not advertised when off")
        expect_error(a.call(R.assign_rsa_ip, a.client_id), R.E_UNSUPPORTED_MESSAGE)


@suite.test
def tcp_only_102():
    with Rsipd("--tcp-only") as d:
        u = UdpClient(d, "127.0.0.2")
        expect_error(u.call(R.register_request), R.E_USE_TCP)
        t = TcpClient(d, "127.0.0.2")
        expect_type(t.register(), R.REGISTER_RESPONSE)


sys.exit(suite.run())
