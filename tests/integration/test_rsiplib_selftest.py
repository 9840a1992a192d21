#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Self-test of the test suite's own RSIP codec (rsiplib.py) against the byte
vectors of the wire digest (shared/spec/rsip-wire.md section 10) and the
decoding rules of sections 2-4 and 6.1. No daemon needed."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
from rsiptest import Suite, check, check_eq  # noqa: E402

suite = Suite("rsiplib self-test")

# Section 10, verbatim.
VECTORS = {
    "register_request": "01 02 00 0b | 0b 00 04 00 00 00 01",
    "register_response": """01 03 00 22 | 04 00 04 00 00 00 07 | 03 00 04 00 00 02 58
        | 09 00 02 02 03 | 0b 00 04 00 00 00 01 | 07 00 01 02""",
    "assign_rsap_request": """01 08 00 22 | 04 00 04 00 00 00 07 | 01 00 01 01
        | 02 00 01 04 | 01 00 01 01 | 02 00 01 01 | 0b 00 04 00 00 00 02""",
    "assign_rsap_response": """01 09 00 3a | 04 00 04 00 00 00 07 | 05 00 04 00 00 00 01
        | 01 00 05 01 c0 00 02 0a | 02 00 03 04 27 10 | 01 00 01 01 | 02 00 01 01
        | 03 00 04 00 00 07 08 | 06 00 01 01 | 0b 00 04 00 00 00 02""",
    "error_301": "01 01 00 10 | 08 00 02 01 2d | 0b 00 04 00 00 00 05",
    "error_403": "01 01 00 17 | 08 00 02 01 93 | 0b 00 04 00 00 00 09 | 04 00 04 00 00 00 07",
    "assign_rsipsec_request": """01 16 00 29 | 04 00 04 00 00 00 07 | 01 00 01 01 | 02 00 00
        | 01 00 05 01 c6 33 64 05 | 02 00 00 | 16 00 02 00 02 | 0b 00 04 00 00 00 03""",
    "assign_rsipsec_response": """01 17 00 43 | 04 00 04 00 00 00 07 | 05 00 04 00 00 00 02
        | 01 00 05 01 c0 00 02 0a | 02 00 00 | 01 00 05 01 c6 33 64 05 | 02 00 00
        | 16 00 06 00 02 00 00 10 00 | 03 00 04 00 00 02 58 | 06 00 01 01
        | 0b 00 04 00 00 00 03""",
    "query_request": """01 0e 00 27 | 04 00 04 00 00 00 07 | 0b 00 04 00 00 00 04
        | 0a 00 02 00 02 | 01 00 05 01 0a 14 3c 00 | 01 00 05 02 ff ff ff 00""",
}
V = {k: R.from_hex(v) for k, v in VECTORS.items()}


@suite.test
def encode_vectors():
    """The builders produce the section 10 bytes exactly."""
    check_eq(R.register_request(counter=1), V["register_request"])
    check_eq(R.encode(R.REGISTER_RESPONSE, [
        R.p_client_id(7), R.p_lease(600), R.p_flow(R.FLOW_MICRO, R.FLOW_NONE),
        R.p_counter(1), R.p_method(R.METHOD_RSAP_IP)]), V["register_response"])
    check_eq(R.assign_rsap_ip(7, local_ports=R.p_ports_any(4), counter=2),
             V["assign_rsap_request"])
    check_eq(R.encode(R.ASSIGN_RESPONSE_RSAP_IP, [
        R.p_client_id(7), R.p_bind_id(1), R.p_addr_v4("192.0.2.10"),
        R.p_ports_range(10000, 4), R.p_addr_any(), R.p_ports_any(1), R.p_lease(1800),
        R.p_tunnel(R.TUNNEL_IPIP), R.p_counter(2)]), V["assign_rsap_response"])
    check_eq(R.encode(R.ERROR_RESPONSE, [R.p_error(301), R.p_counter(5)]), V["error_301"])
    check_eq(R.encode(R.ERROR_RESPONSE, [R.p_error(403), R.p_counter(9), R.p_client_id(7)]),
             V["error_403"])
    check_eq(R.assign_rsipsec(7, R.p_spi_any(2), remote_addr=R.p_addr_v4("198.51.100.5"),
                              counter=3), V["assign_rsipsec_request"])
    check_eq(R.encode(R.ASSIGN_RESPONSE_RSIPSEC, [
        R.p_client_id(7), R.p_bind_id(2), R.p_addr_v4("192.0.2.10"), R.p_ports_not_needed(),
        R.p_addr_v4("198.51.100.5"), R.p_ports_not_needed(), R.p_spi_range(0x1000, 2),
        R.p_lease(600), R.p_tunnel(R.TUNNEL_IPIP), R.p_counter(3)]),
        V["assign_rsipsec_response"])
    check_eq(R.query_request(7, networks=[("10.20.60.0", "255.255.255.0")], counter=4),
             V["query_request"])


@suite.test
def decode_vectors():
    """Every vector decodes, with the values the digest describes."""
    m = R.decode(V["register_response"])
    check_eq((m.type, m.client_id, m.lease, m.flow, m.counter, m.methods),
             (R.REGISTER_RESPONSE, 7, 600, (2, 3), 1, [2]))
    m = R.decode(V["assign_rsap_request"])
    check(m.local_addr.any and m.remote_addr.any, "don't-care addresses")
    check_eq((m.local_ports.form, m.local_ports.number), ("any", 4))
    m = R.decode(V["assign_rsap_response"])
    check_eq(str(m.local_addr.value), "192.0.2.10")
    check_eq(m.local_ports.expand(), [10000, 10001, 10002, 10003])
    check_eq((m.bind_id, m.lease, m.tunnels, m.counter), (1, 1800, [1], 2))
    m = R.decode(V["error_403"])
    check_eq((m.error, m.counter, m.client_id), (403, 9, 7))
    m = R.decode(V["assign_rsipsec_request"])
    check_eq((m.spi.form, m.spi.number), ("any", 2))
    check_eq(m.local_ports.form, "not_needed")
    check_eq(str(m.remote_addr.value), "198.51.100.5")
    m = R.decode(V["assign_rsipsec_response"])
    check_eq(m.spi.expand(), [0x1000, 0x1001])
    check_eq((m.bind_id, m.lease), (2, 600))
    m = R.decode(V["query_request"])
    check_eq(len(m.tuples), 1)
    ind, net, mask = m.tuples[0]
    check_eq((ind, str(net.value), str(mask.value)), (2, "10.20.60.0", "255.255.255.0"))
    for name, data in V.items():
        check_eq(R.decode(data).raw, data, name)


def expect_error(data, code, datagram=True):
    try:
        R.decode(data, datagram=datagram)
    except R.RsipError as e:
        check_eq(e.code, code, "%s -> %s" % (R.hexdump(data), e))
        return
    raise AssertionError("%s decoded, expected %d" % (R.hexdump(data), code))


@suite.test
def decode_errors_in_order():
    """Section 6.1's order: framing, version, type, TLVs, grammar."""
    reg = V["register_request"]
    expect_error(reg[:3], 207)
    expect_error(reg[:-1], 207)                     # length != datagram
    expect_error(b"\x01\x02\x00\x03", 207)           # Overall Length < 4
    expect_error(b"\x02\x02" + reg[2:], 106)         # version first ...
    expect_error(b"\x02\x02\x00\x03", 207)           # ... but after framing
    expect_error(b"\x01\x12" + reg[2:], 206)         # unknown type 18
    expect_error(b"\x01\x00" + reg[2:], 206)
    expect_error(R.encode(2, [(11, b"\x00\x00\x00")]), 205)       # counter of 3 bytes
    expect_error(R.encode(2, [(13, b"")]), 204)                    # unassigned code
    expect_error(R.encode(2, [(241, b"x")]), 204)                  # private code
    expect_error(R.encode(2, [R.p_counter(1)])[:-1] + b"", 207)    # cut
    data = R.encode(2, [R.p_counter(1)])
    expect_error(data[:2] + b"\x00\x0b" + data[4:6] + b"\x09" + data[7:], 207)  # param overrun
    expect_error(R.encode(2, [R.p_counter(1), R.p_counter(2)]), 202)
    expect_error(R.encode(2, [R.p_counter(1), R.p_client_id(3)]), 203)
    expect_error(R.encode(4, [R.p_counter(1), R.p_client_id(3)]), 201)  # out of order
    expect_error(R.encode(4, []), 201)
    expect_error(R.encode(4, [R.p_client_id(3), R.p_client_id(3)]), 202)
    # Vendor Specific anywhere in the optional part, any number (D7).
    R.decode(R.encode(2, [R.p_vendor(9, 1, b"ab"), R.p_counter(1), R.p_vendor(9, 2)]))
    expect_error(R.encode(2, [(R.P_VENDOR, b"\x00\x01\x00")]), 205)
    # TCP framing: trailing bytes belong to the next message.
    R.decode(reg + b"\x01", datagram=False)
    expect_error(reg + b"\x01", 207)


@suite.test
def value_forms():
    """Ports/SPI/Address forms of sections 3.1-3.13 and D5/D6/D8."""
    dec = R.decode_value
    check_eq(dec(2, b"").form, "not_needed")
    check_eq((dec(2, b"\x05").form, dec(2, b"\x05").number), ("any", 5))
    check_eq(dec(2, b"\x01\x00\x00").form, "any")            # D5: port 0
    check_eq(dec(2, b"\x03\x10\x00").expand(), [0x1000, 0x1001, 0x1002])
    check_eq(dec(2, b"\x02\x00\x50\x01\xbb").expand(), [80, 443])
    for bad in (b"\x00", b"\x01\x00", b"\x03\x00\x50\x01\xbb", b"\x02\xff\xff"):
        try:
            dec(2, bad)
            raise AssertionError("ports %s accepted" % R.hexdump(bad))
        except R.RsipError as e:
            check_eq(e.code, 205)
    check_eq(dec(22, b"\x00\x04").form, "any")
    check_eq(dec(22, b"\x00\x01\x00\x00\x00\x00").form, "any")   # D5: SPI 0
    check_eq(dec(22, b"\x00\x02\x00\x00\x10\x00").expand(), [0x1000, 0x1001])
    for bad in (b"\x00\x00", b"\x00", b"\x00\x01\x00\x00\x10", b"\x00\x03" + b"\x00" * 8):
        try:
            dec(22, bad)
            raise AssertionError("spi %s accepted" % R.hexdump(bad))
        except R.RsipError as e:
            check_eq(e.code, 205)
    check(dec(1, b"\x01").any, "length-1 address is don't care")
    check(dec(1, b"\x01\x00\x00\x00\x00").any, "0.0.0.0 is don't care (D5)")
    check_eq(dec(1, b"\x04gw.example").value, "gw.example")
    for bad in (b"", b"\x00", b"\x05\x01\x02\x03\x04", b"\x01\x01\x02\x03"):
        try:
            dec(1, bad)
            raise AssertionError("address %s accepted" % R.hexdump(bad))
        except R.RsipError as e:
            check_eq(e.code, 205)
    check_eq(dec(10, b"\x02"), 2)        # D6: 1-byte indicator accepted
    check_eq(dec(10, b"\x00\x02"), 2)
    # D8: don't-need Ports outside RSIPSEC.
    expect_error(R.assign_rsap_ip(7, local_ports=R.p_ports_not_needed(), counter=1), 205)
    expect_error(R.encode(R.DEREGISTER_REQUEST, [R.p_client_id(1), R.p_addr_v4("1.2.3.4")]),
                 203)


@suite.test
def query_tuples():
    m = R.decode(R.query_request(7, addresses=["10.0.0.1"],
                                 networks=[("10.1.0.0", "255.255.0.0")], counter=9))
    check_eq([t[0] for t in m.tuples], [1, 2])
    # Counter between tuples is fine (D1), an Indicator without its address is not.
    R.decode(R.encode(14, [R.p_client_id(7), R.p_indicator(1), R.p_addr_v4("10.0.0.1"),
                           R.p_counter(3)]))
    expect_error(R.encode(14, [R.p_client_id(7), R.p_indicator(1), R.p_counter(3),
                               R.p_addr_v4("10.0.0.1")]), 201)
    expect_error(R.encode(14, [R.p_client_id(7), R.p_indicator(2), R.p_addr_v4("10.0.0.0"),
                               R.p_addr_v4("255.0.0.0")]), 205)


@suite.test
def frame_len():
    check_eq(R.frame_len(b"\x01\x02"), 0)
    check_eq(R.frame_len(b"\x01\x02\x00\x0b"), 11)
    check_eq(R.frame_len(b"\x01\x02\x00\x03"), -1)
    check_eq(R.frame_len(b"\x01\x02\x10\x01"), -1)


sys.exit(suite.run())
