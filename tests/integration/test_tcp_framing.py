#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""TCP framing by Overall Length (sections 1 and 2.1): two messages in one
segment, one message split across segments with pauses, one byte at a
time, and a bad Overall Length (below 4, above the 4096 cap of D2) answered
with 207 and the connection closed - after which the host's registration
carries on over a new connection (D4)."""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
from rsiptest import (Rsipd, Suite, TcpClient, check, check_eq, expect_error,  # noqa: E402
                      expect_type)

suite = Suite("TCP framing")


@suite.test
def two_messages_in_one_segment():
    with Rsipd() as d:
        t = TcpClient(d, "127.0.0.2")
        t.send(R.register_request(counter=1) + R.query_request(0, counter=2))
        m1, m2 = t.recv_msg(), t.recv_msg()
        expect_type(m1, R.REGISTER_RESPONSE)
        check_eq(m1.counter, 1)
        # The QUERY named Client ID 0, not ours: 305, answered in order.
        expect_error(m2, R.E_BAD_CLIENT_ID)
        check_eq((m2.counter, m2.client_id), (2, m1.client_id))
        cid = m1.client_id
        # Three at once, the last one cut in the middle, then its rest.
        batch = R.query_request(cid, counter=3) + R.assign_rsap_ip(cid, counter=4)
        last = R.extend_request(cid, 12345, counter=5)
        t.send(batch + last[:7])
        expect_type(t.recv_msg(), R.QUERY_RESPONSE)
        expect_type(t.recv_msg(), R.ASSIGN_RESPONSE_RSAP_IP)
        check(t.recv_msg(timeout=0.5) is None, "no answer to half a message")
        t.send(last[7:])
        m = t.recv_msg()
        expect_error(m, R.E_BAD_BIND_ID)
        check_eq(m.counter, 5)


@suite.test
def split_across_segments():
    with Rsipd() as d:
        t = TcpClient(d, "127.0.0.2")
        req = R.register_request(counter=1)
        # Header cut after 3 bytes, then the rest, with pauses between.
        for piece in (req[:3], req[3:6], req[6:]):
            t.send(piece)
            time.sleep(0.3)
        m = expect_type(t.recv_msg(), R.REGISTER_RESPONSE)
        # One byte per segment.
        q = R.query_request(m.client_id, addresses=["10.0.0.1"], counter=2)
        for i in range(len(q)):
            t.send(q[i:i + 1])
            time.sleep(0.01)
        m = expect_type(t.recv_msg(), R.QUERY_RESPONSE)
        check_eq(m.counter, 2)


def bad_length_closes(d, src, length, register_first):
    t = TcpClient(d, src)
    cid = t.register().client_id if register_first else None
    # A header whose Overall Length cannot be a message: the stream cannot
    # be split any more.
    t.send(bytes([1, R.REGISTER_REQUEST]) + length.to_bytes(2, "big") + b"\x0b\x00\x04")
    m = t.recv_msg()
    expect_error(m, R.E_BAD_MESSAGE)
    check(t.wait_closed(), "connection closed after 207")
    return cid


@suite.test
def bad_overall_length_207_and_close():
    with Rsipd() as d:
        for i, length in enumerate((0, 3, 4097, 0xFFFF)):
            bad_length_closes(d, "127.0.0.%d" % (10 + i), length, register_first=False)
        cid = bad_length_closes(d, "127.0.0.2", 2, register_first=True)
        # The registration survives its broken connection (D4).
        t = TcpClient(d, "127.0.0.2")
        t.client_id = cid
        expect_type(t.query(), R.QUERY_RESPONSE)
        # A well-formed message of exactly the 4096-byte cap is framed fine:
        # here a REGISTER padded with Vendor Specific parameters (D7), which
        # as a repeat registration gets 302.
        vend = R.p_vendor(0x7777, 1, b"\x00" * (4096 - 4 - 7 - 3 - 4))
        data = R.encode(R.REGISTER_REQUEST, [R.p_counter(77), vend])
        check_eq(len(data), 4096)
        t.send(data)
        m = t.recv_msg()
        expect_error(m, R.E_ALREADY_REGISTERED)
        check_eq(m.counter, 77)
        check(not t.wait_closed(timeout=0.3), "still open")
        check(d.counters()["rsip"]["malformed"] >= 5, "malformed counted")


@suite.test
def many_connections_and_abrupt_close():
    with Rsipd() as d:
        conns = [TcpClient(d, "127.0.0.%d" % (20 + i)) for i in range(20)]
        for c in conns:
            c.register()
        # Half of them vanish mid-message, some with a reset.
        for i, c in enumerate(conns[:10]):
            c.send(R.query_request(c.client_id, counter=9)[:5])
            if i % 2:
                # SO_LINGER 0: close() sends a RST.
                c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
        for c in conns[10:]:
            expect_type(c.query(), R.QUERY_RESPONSE)
        check_eq(len(d.ctl_data("clients")), 20)


sys.exit(suite.run())
