# SPDX-License-Identifier: BSD-2-Clause
"""Packet helpers for the rsipc integration tests (stdlib only), run inside a
namespace with `ip netns exec`:

  recv-tunnel  raw IPIP/GRE socket: wait for a tunnelled packet from SRC whose
               inner packet is UDP from INNER_SRC to DPORT with PAYLOAD
  send-tunnel  raw IPIP/GRE socket: send one tunnelled UDP packet to DST
  udp-recv     wait for a UDP datagram with PAYLOAD on ADDR:PORT
  udp-send     send UDP datagrams from SRC to DST:PORT every 0.2 s until
               STOPFILE exists (or the deadline)

A receiver writes its --ready file once its socket is open, so the test only
sends after that. Every wait has a deadline; exit 0 means "seen", 1 "not".
"""

import argparse
import os
import socket
import struct
import sys
import time

IPPROTO_IPIP = 4
IPPROTO_GRE = 47


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0x4242):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp(sport, dport, payload):
    # Checksum 0: "none", allowed for UDP over IPv4.
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def ready(path):
    if path:
        with open(path + ".tmp", "w") as f:
            f.write("ready\n")
        os.rename(path + ".tmp", path)


def parse_udp(pkt):
    """(src, dst, sport, dport, payload) of an IPv4/UDP packet, or None."""
    if len(pkt) < 28 or pkt[0] >> 4 != 4 or pkt[9] != socket.IPPROTO_UDP:
        return None
    ihl = (pkt[0] & 15) * 4
    tot = struct.unpack("!H", pkt[2:4])[0]
    sport, dport, ulen = struct.unpack("!HHH", pkt[ihl:ihl + 6])
    payload = pkt[ihl + 8:min(tot, ihl + ulen)]
    return (socket.inet_ntoa(pkt[12:16]), socket.inet_ntoa(pkt[16:20]), sport, dport, payload)


def recv_tunnel(a):
    proto = IPPROTO_GRE if a.gre else IPPROTO_IPIP
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
    ready(a.ready)
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            pkt = s.recv(65535)
        except socket.timeout:
            break
        outer_src = socket.inet_ntoa(pkt[12:16])
        ihl = (pkt[0] & 15) * 4
        inner = pkt[ihl:]
        if a.gre:
            flags, ptype = struct.unpack("!HH", inner[:4])
            if flags != 0 or ptype != 0x0800:
                print("GRE header %04x %04x" % (flags, ptype))
                continue
            inner = inner[4:]
        u = parse_udp(inner)
        print("tunnel packet from %s proto %d: inner %r" % (outer_src, pkt[9], u), flush=True)
        if outer_src != a.src or u is None:
            continue
        if u[0] == a.inner_src and u[3] == a.dport and u[4] == a.payload.encode():
            print("match: outer %s -> %s, inner %s:%d -> %s:%d" %
                  (outer_src, socket.inet_ntoa(pkt[16:20]), u[0], u[2], u[1], u[3]))
            return 0
    print("no matching tunnel packet")
    return 1


def send_tunnel(a):
    proto = IPPROTO_GRE if a.gre else IPPROTO_IPIP
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
    if a.src:
        s.bind((a.src, 0))  # the outer source address
    inner = ipv4(a.inner_src, a.inner_dst, socket.IPPROTO_UDP,
                 udp(a.sport, a.dport, a.payload.encode()))
    if a.gre:
        inner = struct.pack("!HH", 0, 0x0800) + inner
    for _ in range(a.count):
        s.sendto(inner, (a.dst, 0))
        time.sleep(0.1)
    return 0


def udp_recv(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.addr, a.port))
    ready(a.ready)
    s.settimeout(a.timeout)
    try:
        data, peer = s.recvfrom(65535)
    except socket.timeout:
        print("nothing on %s:%d" % (a.addr, a.port))
        return 1
    print("got %r from %s:%d" % (data, peer[0], peer[1]))
    return 0 if data == a.payload.encode() else 1


def udp_send(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline and not (a.stop and os.path.exists(a.stop)):
        try:
            s.sendto(a.payload.encode(), (a.dst, a.port))
        except OSError as e:
            print("send: %s" % e)
        time.sleep(0.2)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("recv-tunnel")
    r.add_argument("--gre", action="store_true")
    r.add_argument("--src", required=True)
    r.add_argument("--inner-src", required=True)
    r.add_argument("--dport", type=int, required=True)
    r.add_argument("--payload", required=True)
    r.add_argument("--timeout", type=float, default=10)
    r.add_argument("--ready")
    r.set_defaults(fn=recv_tunnel)
    t = sub.add_parser("send-tunnel")
    t.add_argument("--gre", action="store_true")
    t.add_argument("--dst", required=True)
    t.add_argument("--src")
    t.add_argument("--inner-src", required=True)
    t.add_argument("--inner-dst", required=True)
    t.add_argument("--sport", type=int, default=7777)
    t.add_argument("--dport", type=int, required=True)
    t.add_argument("--payload", required=True)
    t.add_argument("--count", type=int, default=3)
    t.set_defaults(fn=send_tunnel)
    u = sub.add_parser("udp-recv")
    u.add_argument("--addr", required=True)
    u.add_argument("--port", type=int, required=True)
    u.add_argument("--payload", required=True)
    u.add_argument("--timeout", type=float, default=10)
    u.add_argument("--ready")
    u.set_defaults(fn=udp_recv)
    s = sub.add_parser("udp-send")
    s.add_argument("--src", required=True)
    s.add_argument("--dst", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--payload", required=True)
    s.add_argument("--timeout", type=float, default=10)
    s.add_argument("--stop")
    s.set_defaults(fn=udp_send)
    a = p.parse_args()
    sys.exit(a.fn(a))


if __name__ == "__main__":
    main()
