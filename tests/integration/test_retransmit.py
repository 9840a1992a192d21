#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""UDP retransmission (section 6.2): a duplicate request (same counter) is
answered with the cached reply byte for byte, without running the request
again - no second allocation (checked with `rsipctl --json bindings`), no
302 for a repeated REGISTER, the same error for a repeated refusal. A new
counter with the same content is a new request (D3); counter 0 is 205."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
from rsiptest import (Rsipd, Suite, UdpClient, check, check_eq, expect_error,  # noqa: E402
                      expect_type)

suite = Suite("retransmission")


def send_twice(c, data, copies=2):
    """Send data, read the answer, send the same bytes again (copies-1
    times), read again; the raw answers."""
    answers = []
    for _ in range(copies):
        c.send(data)
        raw = c.recv_raw()
        check(raw is not None, "no answer to copy %d" % (len(answers) + 1))
        answers.append(raw)
    return answers


@suite.test
def duplicate_register():
    with Rsipd() as d:
        c = UdpClient(d, "127.0.0.2")
        first, second = send_twice(c, R.register_request(counter=1))
        check_eq(second, first, "identical REGISTER_RESPONSE, not 302")
        expect_type(R.decode(first), R.REGISTER_RESPONSE)
        check_eq(len(d.ctl_data("clients")), 1)


@suite.test
def duplicate_assign_no_second_allocation():
    with Rsipd() as d:
        c = UdpClient(d, "127.0.0.2")
        c.register()
        before = d.counters()["rsip"]["retransmits"]
        for req in (R.assign_rsap_ip(c.client_id, local_ports=R.p_ports_any(3), counter=7),
                    R.assign_rsipsec(c.client_id, R.p_spi_any(4), counter=8)):
            answers = send_twice(c, req, copies=3)
            check(answers[1] == answers[0] and answers[2] == answers[0],
                  "retransmissions answered byte for byte identically")
            expect_type(R.decode(answers[0]), R.decode(answers[0]).type)
            check(R.decode(answers[0]).type in (R.ASSIGN_RESPONSE_RSAP_IP,
                                                R.ASSIGN_RESPONSE_RSIPSEC), "a grant")
        rows = d.bindings()
        check_eq(sorted(r["method"] for r in rows), ["RSAP-IP", "RSIPSEC"],
                 "one binding per request, however often it came")
        alloc = d.ctl_data("status")["alloc"]
        check_eq((alloc["ports_used"], alloc["spis_used"]), (3, 4))
        check_eq(d.counters()["rsip"]["retransmits"] - before, 4, "retransmits counted")
        # The same content with a new counter is a new request (D3).
        c.counter = 8
        m = c.rsap(local_ports=R.p_ports_any(3))
        expect_type(m, R.ASSIGN_RESPONSE_RSAP_IP)
        check_eq(len(d.bindings()), 3)


@suite.test
def duplicate_free_and_error():
    with Rsipd() as d:
        c = UdpClient(d, "127.0.0.2")
        c.register()
        b = expect_type(c.rsap(), R.ASSIGN_RESPONSE_RSAP_IP).bind_id
        # A FREE retransmitted is answered FREE_RESPONSE again, not 306.
        first, second = send_twice(c, R.free_request(c.client_id, b, counter=20))
        check_eq(second, first)
        expect_type(R.decode(first), R.FREE_RESPONSE)
        # An error repeated is the same error, bytes included.
        first, second = send_twice(c, R.free_request(c.client_id, b, counter=21))
        check_eq(second, first)
        expect_error(R.decode(first), R.E_BAD_BIND_ID)
        # Only the last reply is kept (section 1, rule 6): an older counter
        # is a new request (D3), so that FREE now finds no binding.
        c.send(R.free_request(c.client_id, b, counter=20))
        expect_error(c.recv_msg(), R.E_BAD_BIND_ID)
        check_eq(d.bindings(), [])


@suite.test
def counter_rules():
    with Rsipd() as d:
        c = UdpClient(d, "127.0.0.2")
        # Counter 0 is reserved for the gateway (D3): 205.
        c.send(R.register_request(counter=0))
        expect_error(c.recv_msg(), R.E_BAD_PARAM)
        check_eq(d.ctl_data("clients"), [])
        # Any first counter from 1 up; gaps are fine; 0xFFFFFFFF is fine.
        c.counter = 0xFFFFFFFE
        expect_type(c.register(), R.REGISTER_RESPONSE)
        check_eq(c.counter, 0xFFFFFFFF)
        m = c.query()  # the client wraps to 1, never 0
        check_eq(m.counter, 1)
        expect_type(m, R.QUERY_RESPONSE)
        c.counter = 1000
        expect_type(c.query(), R.QUERY_RESPONSE)


sys.exit(suite.run())
