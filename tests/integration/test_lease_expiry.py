#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Lease expiry (D12) with a short --lease, over UDP and over TCP: when a
binding's lease runs out the host gets an unsolicited FREE_RESPONSE (counter
0), when the registration's runs out a DE-REGISTER_RESPONSE (counter 0), and
everything is gone. EXTEND keeps a binding (and so the registration, R =
max(R, Bi)) alive past the first expiry. Nothing here asserts how soon the
messages come; only that they come, in a sensible order."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
from rsiptest import (Rsipd, Suite, TcpClient, UdpClient, check, check_eq,  # noqa: E402
                      expect_error, expect_type)

suite = Suite("lease expiry")
LEASE = 2


def expire_all(d, c):
    """Register, take an RSAP-IP and an RSIPSEC binding, and wait for the
    daemon to take all of it back."""
    cid = c.register().client_id
    b1 = expect_type(c.rsap(), R.ASSIGN_RESPONSE_RSAP_IP).bind_id
    b2 = expect_type(c.rsipsec(R.p_spi_any(1)), R.ASSIGN_RESPONSE_RSIPSEC).bind_id
    check_eq(len(d.bindings(cid)), 2)
    freed = set()
    for _ in range(2):
        m = c.wait_unsolicited(R.FREE_RESPONSE)
        check_eq((m.counter, m.client_id), (0, cid), "unsolicited FREE_RESPONSE")
        freed.add(m.bind_id)
    check_eq(freed, {b1, b2}, "one FREE_RESPONSE per binding")
    m = c.wait_unsolicited(R.DEREGISTER_RESPONSE)
    check_eq((m.counter, m.client_id), (0, cid), "unsolicited DE-REGISTER_RESPONSE")
    # Bindings expire no later than the registration that holds them.
    order = [x.type for x in c.received if x.counter == 0]
    check_eq(order[-1], R.DEREGISTER_RESPONSE, "DE-REGISTER last: %r" % order)
    check_eq(d.bindings(), [])
    check_eq(d.ctl_data("clients"), [])
    expect_error(c.query(client_id=cid), R.E_REGISTER_FIRST)
    return cid


@suite.test
def expiry_over_udp_and_tcp():
    with Rsipd("--lease", str(LEASE), "--lease-min", "1") as d:
        expire_all(d, UdpClient(d, "127.0.0.2"))
        expire_all(d, TcpClient(d, "127.0.0.3"))
        rsip = d.counters()["rsip"]
        check(rsip["leases_expired"] >= 4, "leases_expired %r" % rsip)
        check(rsip["registrations_expired"] >= 2, "registrations_expired %r" % rsip)
        check(rsip["unsolicited_sent"] >= 6, "unsolicited_sent %r" % rsip)
        # A host whose registration expired registers afresh.
        c = UdpClient(d, "127.0.0.2")
        expect_type(c.register(), R.REGISTER_RESPONSE)


@suite.test
def registration_alone_expires():
    with Rsipd("--lease", str(LEASE), "--lease-min", "1") as d:
        c = UdpClient(d, "127.0.0.4")
        cid = c.register().client_id
        m = c.wait_unsolicited(R.DEREGISTER_RESPONSE)
        check_eq((m.counter, m.client_id), (0, cid))
        check_eq(d.ctl_data("clients"), [])


@suite.test
def extend_keeps_binding_alive():
    # A binding with a 10 s lease, extended to 30 s, outlives a 3 s one
    # next to it. The 30 s is a deadline for this test's own loop only: the
    # assertion is that the binding stays, not when anything happens.
    with Rsipd("--lease", "30", "--lease-min", "1") as d:
        c = UdpClient(d, "127.0.0.5")
        cid = c.register().client_id
        short = expect_type(c.rsap(lease=3), R.ASSIGN_RESPONSE_RSAP_IP).bind_id
        kept = expect_type(c.rsap(lease=10), R.ASSIGN_RESPONSE_RSAP_IP).bind_id
        check_eq(c.extend(kept, lease=30).lease, 30)
        m = c.wait_unsolicited(R.FREE_RESPONSE)
        check_eq((m.counter, m.client_id, m.bind_id), (0, cid, short))
        # The registration lease is at least the longest binding's.
        ids = [b["bind_id"] for b in d.bindings(cid)]
        check_eq(ids, [kept], "the extended binding remains")
        (client,) = d.ctl_data("clients")
        check(client["lease_remaining_s"] >= 1, "registration still leased: %r" % client)
        expect_type(c.extend(kept, lease=30), R.EXTEND_RESPONSE)
        # Free it ourselves: a normal FREE_RESPONSE, not an unsolicited one.
        m = expect_type(c.free(kept), R.FREE_RESPONSE)
        check(m.counter != 0, "answer to FREE carries the request's counter")
        time.sleep(0.2)
        check_eq([x for x in c.unsolicited if x.type == R.FREE_RESPONSE], [])


sys.exit(suite.run())
