#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Register N hosts with a running rsipd over RSIP and give each an RSAP-IP
binding of one port: the state bench/store_fill.py writes into a store, made
the way hosts make it, for a gateway without a store (bench/store_bench.sh,
store "off"). Run in a lab host's namespace with the hosts' addresses local
to it (store_bench.sh adds an AnyIP route: `ip route add local PREFIX dev
lo`) and replies to them routed back to it. One UDP socket speaks for every
host: IP_PKTINFO picks each request's source address and tells each reply's
destination. Up to WINDOW hosts are in flight; a request unanswered for 1 s
is sent again (same bytes: rsipd answers a retransmission from its reply
cache). Host addresses are those of store_fill.py (10.0.1.0 and up).
    register_fill.py NA PORT N [WINDOW]      prints "N hosts registered, each
    with a binding, in S s"; exit 1 on any RSIP error."""

import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import rsiplib as R  # noqa: E402

na, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
window = int(sys.argv[4]) if len(sys.argv) > 4 else 128
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)


def host_addr(i):
    a = i + 1 + 256  # store_fill.py's row(i)
    return socket.inet_aton("10.%d.%d.%d" % ((a >> 16) & 255, (a >> 8) & 255, a & 255))


s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
s.bind(("0.0.0.0", 0))
s.setblocking(False)
by_addr = {}  # source address -> [index, request bytes, sent at, client id]
nxt = done = 0
t0 = time.monotonic()


def send(addr, st):
    pkt = struct.pack("=I4s4s", 0, addr, b"\0\0\0\0")  # struct in_pktinfo
    st[2] = time.monotonic()
    try:
        s.sendmsg([st[1]], [(socket.IPPROTO_IP, IP_PKTINFO, pkt)], 0, (na, port))
    except BlockingIOError:
        pass  # resent after the timeout


def start(i):
    addr = host_addr(i)
    st = [i, R.register_request(counter=1), 0.0, None]
    by_addr[addr] = st
    send(addr, st)


while done < n:
    while nxt < n and len(by_addr) < window:
        start(nxt)
        nxt += 1
    select.select([s], [], [], 0.05)
    while True:
        try:
            data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        except BlockingIOError:
            break
        dst = None
        for level, typ, val in anc:
            if level == socket.IPPROTO_IP and typ == IP_PKTINFO:
                dst = val[8:12]  # ipi_addr: the reply's destination
        st = by_addr.get(dst)
        if st is None:
            continue  # a late duplicate
        m = R.decode(data)
        if m.type == R.REGISTER_RESPONSE and st[3] is None:
            st[3] = m.client_id
            st[1] = R.assign_rsap_ip(st[3], counter=2)
            send(dst, st)
        elif m.type == R.ASSIGN_RESPONSE_RSAP_IP and st[3] is not None:
            del by_addr[dst]
            done += 1
        elif m.type == R.ERROR_RESPONSE:
            sys.exit("register_fill: host %s: %r" % (socket.inet_ntoa(dst), m))
    now = time.monotonic()
    for addr, st in by_addr.items():
        if now - st[2] > 1.0:
            send(addr, st)
print("%d hosts registered, each with a binding, in %.1f s" % (n, time.monotonic() - t0))
