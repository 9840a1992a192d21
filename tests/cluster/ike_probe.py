#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""IKE-, ESP- and ICMP-echo-shaped datagrams for test_failover_learned.sh:
just the headers the gateways' XDP programs read (the ISAKMP header, RFC
7296 3.1; the ESP SPI; the echo id), nothing a real IKE daemon would
accept. Run inside a network namespace (ip netns exec).

  ike_probe.py init SRC DST COOKIE     IKE_SA_INIT request from SRC:500 to
                                       DST:500, SPIi COOKIE (16 hex digits),
                                       I flag: the host starts an IKE SA
  ike_probe.py peer SRC DST COOKIE     an INFORMATIONAL request the peer (the
                                       SA's responder) starts: SPIi COOKIE,
                                       SPIr fixed, no I flag, SK payload
  ike_probe.py main-mode SRC DST COOKIE
                                       an IKEv1 Main Mode's first message
                                       from SRC:500 to DST:500: the peer
                                       starts a new exchange (a
                                       re-authentication) with a NEW
                                       initiator cookie COOKIE, responder
                                       cookie zero, unprotected
  ike_probe.py recv ADDR COOKIE SECS   wait (at most SECS) on ADDR:500 for an
                                       IKE message with SPIi COOKIE: exit 0
                                       and print where it came from, else 1
  ike_probe.py esp SRC DST SPI...      one ESP-shaped packet (IP protocol 50)
                                       SRC -> DST with each SPI (hex), at once
  ike_probe.py echo SRC DST ID         an ICMP echo request SRC -> DST with
                                       echo id ID (hex): the host pings
  ike_probe.py echo-reply SRC DST ID   an ICMP echo reply SRC -> DST, id ID
  ike_probe.py echo-recv ADDR ID SECS  wait (at most SECS) for an echo reply
                                       to ADDR with id ID: exit 0 and print
                                       where it came from, else 1
"""

import socket
import struct
import sys
import time

IKE_PORT = 500
SPI_R = bytes.fromhex("5e5e5e5e00000001")


def ike_header(spi_i, spi_r, next_payload, exchange, flags, body=b"", version=0x20):
    return struct.pack("!8s8sBBBBII", spi_i, spi_r, next_payload, version, exchange, flags, 0,
                       28 + len(body)) + body


def send(src, dst, msg):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, IKE_PORT))
    s.sendto(msg, (dst, IKE_PORT))
    s.close()


def icmp_echo(kind, ident):
    """ICMP echo request (8) or reply (0), id ident, with its checksum."""
    body = struct.pack("!BBHHH", kind, 0, 0, ident, 1) + b"rsip-failover"
    if len(body) % 2:
        body += b"\0"
    c = sum(struct.unpack("!%dH" % (len(body) // 2), body))
    c = (c & 0xFFFF) + (c >> 16)
    c = ~((c & 0xFFFF) + (c >> 16)) & 0xFFFF
    return body[:2] + struct.pack("!H", c) + body[4:]


def wait_for(s, secs, match):
    """Datagrams from s for at most secs until match(data, frm) gives a line
    to print: 0 then, else 1."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        s.settimeout(max(0.05, end - time.monotonic()))
        try:
            data, frm = s.recvfrom(2048)
        except socket.timeout:
            break
        line = match(data, frm)
        if line:
            print(line, flush=True)
            return 0
    return 1


def main():
    mode = sys.argv[1]
    if mode == "init":
        src, dst, cookie = sys.argv[2], sys.argv[3], bytes.fromhex(sys.argv[4])
        # SA payload (33), IKE_SA_INIT (34), I flag (0x08)
        send(src, dst, ike_header(cookie, bytes(8), 33, 34, 0x08, bytes(8)))
    elif mode == "peer":
        src, dst, cookie = sys.argv[2], sys.argv[3], bytes.fromhex(sys.argv[4])
        # SK payload (46), INFORMATIONAL (37), no flag: the responder's request
        send(src, dst, ike_header(cookie, SPI_R, 46, 37, 0x00, bytes(32)))
    elif mode == "main-mode":
        src, dst, cookie = sys.argv[2], sys.argv[3], bytes.fromhex(sys.argv[4])
        # IKEv1 (0x10), SA payload (1), Identity Protection (2), no flag
        send(src, dst, ike_header(cookie, bytes(8), 1, 2, 0x00, bytes(8), version=0x10))
    elif mode == "recv":
        addr, cookie, secs = sys.argv[2], bytes.fromhex(sys.argv[3]), float(sys.argv[4])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, IKE_PORT))
        return wait_for(s, secs, lambda data, frm: len(data) >= 28 and data[:8] == cookie and
                        f"IKE message with SPIi {cookie.hex()} from {frm[0]}:{frm[1]}")
    elif mode == "esp":
        src, dst = sys.argv[2], sys.argv[3]
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
        s.bind((src, 0))
        for spi in sys.argv[4:]:
            s.sendto(struct.pack("!II", int(spi, 16), 1) + bytes(32), (dst, 0))
    elif mode in ("echo", "echo-reply"):
        src, dst, ident = sys.argv[2], sys.argv[3], int(sys.argv[4], 16)
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.bind((src, 0))
        s.sendto(icmp_echo(8 if mode == "echo" else 0, ident), (dst, 0))
    elif mode == "echo-recv":
        addr, ident, secs = sys.argv[2], int(sys.argv[3], 16), float(sys.argv[4])
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)

        def echo_reply(data, frm):  # a raw ICMP socket gets the IP header too
            ihl = (data[0] & 0x0F) * 4
            dst = socket.inet_ntoa(data[16:20])
            return (len(data) >= ihl + 8 and dst == addr and data[ihl] == 0 and
                    struct.unpack("!H", data[ihl + 4:ihl + 6])[0] == ident and
                    f"echo reply id {ident:#06x} from {frm[0]} to {dst}")
        return wait_for(s, secs, echo_reply)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
