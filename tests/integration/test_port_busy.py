#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Ports the gateway itself uses on Nb are never leased (issue 2; design
"Ports 500 and 4500 and the ports the gateway itself uses on Nb are never
leased"): with a UDP socket and a TCP listener of the gateway's host on two
ports of a 4-port --port-range, "don't care" requests get only the other two
(309 beyond that), and asking for a held port by number is 311. Once the
sockets close, the ports can be leased."""

import os
import random
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
from rsiptest import Rsipd, Suite, UdpClient, check_eq, expect_error, expect_type  # noqa: E402

suite = Suite("ports the gateway uses itself")


def four_free_ports():
    """A run of 4 ports nobody on this host holds (over TCP or UDP)."""
    rnd = random.Random()
    for _ in range(200):
        base = rnd.randrange(30000, 60000, 4)
        socks = []
        try:
            for p in range(base, base + 4):
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    s = socket.socket(socket.AF_INET, kind)
                    socks.append(s)
                    s.bind(("0.0.0.0", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no 4 free ports found")


@suite.test
def own_sockets_are_not_leased():
    base = four_free_ports()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", base + 1))  # a UDP service of N on every address
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("0.0.0.0", base + 2))  # a TCP service of N
    tcp.listen(1)
    with Rsipd("--port-range", "%d-%d" % (base, base + 3), "--holdback", "0") as d:
        a = UdpClient(d, "127.0.0.2")
        a.register()
        expect_error(a.rsap(local_ports=R.p_ports_any(3)), R.E_LOCAL_ADDRPORT_UNAVAILABLE)
        expect_error(a.rsap(local_ports=R.p_ports_range(base + 1)), R.E_LOCAL_ADDRPORT_INUSE)
        expect_error(a.rsap(local_ports=R.p_ports_range(base + 2)), R.E_LOCAL_ADDRPORT_INUSE)
        m = a.rsap(local_ports=R.p_ports_any(2))
        expect_type(m, R.ASSIGN_RESPONSE_RSAP_IP)
        check_eq(sorted(m.local_ports.expand()), [base, base + 3], "the two ports N does not use")
        a.free(m.bind_id)
        # N closes its sockets: the ports are the pool's again.
        udp.close()
        tcp.close()
        m = a.rsap(local_ports=R.p_ports_any(4))
        expect_type(m, R.ASSIGN_RESPONSE_RSAP_IP)
        check_eq(sorted(m.local_ports.expand()), list(range(base, base + 4)))


sys.exit(suite.run())
