#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""RFC 3104 ASSIGN_REQUEST_RSIPSEC against the real daemon: one SPI, four
SPIs as a contiguous run inside one aligned --spi-block block (D13), a
suggested SPI held by another client (403), reserved SPIs (205), exhaustion
of a tiny --spi-range (402, atomically), and a host outside --ipsec-allow
(401). What the daemon says is checked against `rsipctl --json bindings`."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
from rsiptest import (Rsipd, Suite, TcpClient, UdpClient, check, check_eq,  # noqa: E402
                      expect_error, expect_type)

suite = Suite("RSIPSEC")
BLOCK = 16


def spi_text(first, n):
    return "0x%x" % first if n == 1 else "0x%x-0x%x" % (first, first + n - 1)


def check_rsipsec_grant(d, c, m, n, lo=0x100, hi=0xFFFFFFFF):
    """A grant of n SPIs, well-formed, in range, and what rsipctl shows."""
    expect_type(m, R.ASSIGN_RESPONSE_RSIPSEC)
    check_eq(m.client_id, c.client_id)
    check(m.bind_id not in (None, 0), "a Bind ID")
    check_eq(str(m.local_addr.value), "192.0.2.1", "Nb")
    # "don't need" asked, "don't need" answered (RFC 3104 7.2).
    check_eq((m.local_ports.form, m.remote_ports.form), ("not_needed", "not_needed"))
    check(m.spi.form in ("range", "list"), "SPI form %r" % m.spi)
    spis = m.spi.expand()
    check_eq(len(spis), n, "number of SPIs")
    check(all(lo <= s <= hi for s in spis), "SPIs %r inside 0x%x-0x%x" % (spis, lo, hi))
    check(m.lease and m.tunnels == [R.TUNNEL_IPIP], "lease and IP-IP by default")
    rows = [b for b in d.bindings(c.client_id) if b["bind_id"] == m.bind_id]
    check_eq(len(rows), 1, "rsipctl lists the binding")
    row = rows[0]
    check_eq((row["method"], row["client"], row["nb"], row["ports"]),
             ("RSIPSEC", c.src, "192.0.2.1", ""))
    if m.spi.form == "range":
        check_eq(row["spis"], spi_text(spis[0], n), "rsipctl SPI column")
    return spis


@suite.test
def one_and_four_spis():
    with Rsipd("--spi-block", str(BLOCK)) as d:
        c = UdpClient(d, "127.0.0.2")
        c.register()
        spis1 = check_rsipsec_grant(d, c, c.rsipsec(R.p_spi_any(1)), 1)
        m = c.rsipsec(R.p_spi_any(4))
        spis4 = check_rsipsec_grant(d, c, m, 4)
        # Contiguous, inside ONE aligned block (D13): sent as a range.
        check_eq(m.spi.form, "range", "4 SPIs as one contiguous range")
        check_eq(spis4[0] // BLOCK, spis4[-1] // BLOCK, "one aligned block of %d" % BLOCK)
        check(not set(spis1) & set(spis4), "distinct SPIs")
        # A second client's run never shares the first client's block.
        t = TcpClient(d, "127.0.0.3")
        t.register()
        spis4b = check_rsipsec_grant(d, t, t.rsipsec(R.p_spi_any(4)), 4)
        check(spis4b[0] // BLOCK != spis4[0] // BLOCK, "blocks belong to one client")
        status = d.ctl_data("status")
        check_eq(status["alloc"]["spis_used"], 9)
        # A named remote address is fine; under remote policy "none" the
        # answer says "don't care" (section 6.4's response table).
        m = t.rsipsec(R.p_spi_any(1), remote_addr=R.p_addr_v4("198.51.100.5"))
        expect_type(m, R.ASSIGN_RESPONSE_RSIPSEC)
        check(m.remote_addr.any, "remote address under policy none: %r" % m.remote_addr)
        # More SPIs than one block holds cannot be one block: refused (402)
        # and nothing taken.
        expect_error(c.rsipsec(R.p_spi_any(BLOCK + 1)), R.E_IPSEC_SPI_UNAVAILABLE)
        check_eq(d.ctl_data("status")["alloc"]["spis_used"], 10)


@suite.test
def suggested_spi_in_use_403():
    with Rsipd("--spi-block", str(BLOCK)) as d:
        a = UdpClient(d, "127.0.0.2")
        a.register()
        b = UdpClient(d, "127.0.0.3")
        b.register()
        (s,) = check_rsipsec_grant(d, a, a.rsipsec(R.p_spi_any(1)), 1)
        # Another client proposes exactly that SPI on the same Nb: 403,
        # carrying its Client ID, and nothing allocated.
        m = b.rsipsec(R.p_spi_range(s, 1))
        expect_error(m, R.E_IPSEC_SPI_INUSE)
        check_eq(m.client_id, b.client_id)
        check_eq(d.bindings(b.client_id), [])
        # Same with the specific local address named.
        m = b.rsipsec(R.p_spi_range(s, 1), local_addr=R.p_addr_v4("192.0.2.1"))
        expect_error(m, R.E_IPSEC_SPI_INUSE)
        # A free SPI far from a's is granted exactly as proposed.
        free_spi = 0x7E000000 if s // 0x1000000 != 0x7E else 0x3E000000
        m = b.rsipsec(R.p_spi_range(free_spi, 1))
        check_eq(check_rsipsec_grant(d, b, m, 1), [free_spi])
        # a holds its own SPI; asking for it again is 403 for a too.
        expect_error(a.rsipsec(R.p_spi_range(free_spi, 1)), R.E_IPSEC_SPI_INUSE)
        # Reserved SPIs 1-255 are not proposals at all (D13): 205.
        for bad in (1, 255):
            expect_error(b.rsipsec(R.p_spi_range(bad, 1)), R.E_BAD_PARAM)


@suite.test
def exhaustion_402():
    lo, hi = 0x1000, 0x1003
    with Rsipd("--spi-range", "0x%x-0x%x" % (lo, hi), "--spi-block", "4",
               "--holdback", "120") as d:
        c = UdpClient(d, "127.0.0.2")
        c.register()
        other = UdpClient(d, "127.0.0.3")
        other.register()
        # More than the range holds: 402, nothing taken.
        expect_error(c.rsipsec(R.p_spi_any(5)), R.E_IPSEC_SPI_UNAVAILABLE)
        check_eq(d.ctl_data("status")["alloc"]["spis_used"], 0)
        m = c.rsipsec(R.p_spi_any(4))
        check_eq(check_rsipsec_grant(d, c, m, 4, lo, hi), [lo, lo + 1, lo + 2, lo + 3])
        m = other.rsipsec(R.p_spi_any(1))
        expect_error(m, R.E_IPSEC_SPI_UNAVAILABLE)
        check_eq(m.client_id, other.client_id)
        expect_error(c.rsipsec(R.p_spi_any(1)), R.E_IPSEC_SPI_UNAVAILABLE)
        # Freed SPIs are held back (D12), so still none to give.
        expect_type(c.free(m_bind(d, c)), R.FREE_RESPONSE)
        check_eq(d.ctl_data("status")["alloc"]["spis_held"], 4)
        expect_error(other.rsipsec(R.p_spi_any(1)), R.E_IPSEC_SPI_UNAVAILABLE)
        errors = d.counters()["rsip"]["errors"]
        check(errors.get("402 IPSEC_SPI_UNAVAILABLE", 0) >= 4, "402 counted: %r" % errors)


def m_bind(d, c):
    (row,) = d.bindings(c.client_id)
    return row["bind_id"]


@suite.test
def single_spis_until_402():
    lo, hi = 0x2000, 0x2003
    with Rsipd("--spi-range", "0x%x-0x%x" % (lo, hi), "--spi-block", "4") as d:
        c = UdpClient(d, "127.0.0.2")
        c.register()
        got = []
        for _ in range(4):
            got += check_rsipsec_grant(d, c, c.rsipsec(R.p_spi_any(1)), 1, lo, hi)
        check_eq(sorted(got), [lo, lo + 1, lo + 2, lo + 3], "four distinct SPIs")
        expect_error(c.rsipsec(R.p_spi_any(1)), R.E_IPSEC_SPI_UNAVAILABLE)
        check_eq(len(d.bindings()), 4, "402 allocates nothing")


@suite.test
def ipsec_allow_401():
    with Rsipd("--ipsec-allow", "127.0.0.0/30") as d:
        inside = UdpClient(d, "127.0.0.2")
        inside.register()
        check_rsipsec_grant(d, inside, inside.rsipsec(R.p_spi_any(1)), 1)
        for src, cls in (("127.0.0.4", UdpClient), ("127.0.0.6", TcpClient)):
            out = cls(d, src)
            out.register()  # registering is fine: --allow is open
            m = out.rsipsec(R.p_spi_any(1))
            expect_error(m, R.E_IPSEC_UNALLOWED)
            check_eq(m.client_id, out.client_id)
            # RSAP-IP is still allowed for it.
            expect_type(out.rsap(), R.ASSIGN_RESPONSE_RSAP_IP)
        check_eq(sorted(b["method"] for b in d.bindings()), ["RSAP-IP", "RSAP-IP", "RSIPSEC"])


@suite.test
def rsipsec_with_ports():
    """RFC 3104 7.2: a client protecting TCP/UDP asks for ports too."""
    with Rsipd() as d:
        c = UdpClient(d, "127.0.0.2")
        c.register()
        m = c.rsipsec(R.p_spi_any(2), local_ports=R.p_ports_any(2), remote_ports=R.p_ports_any(1))
        expect_type(m, R.ASSIGN_RESPONSE_RSIPSEC)
        ports = m.local_ports.expand()
        check_eq(len(ports), 2, "two ports granted: %r" % m.local_ports)
        check_eq(len(m.spi.expand()), 2)
        (row,) = d.bindings(c.client_id)
        check(row["ports"] != "" and row["spis"] != "", "both in rsipctl: %r" % row)


sys.exit(suite.run())
