#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Big UDP datagrams with an end-to-end check, for the tunnel tests.

  big_udp.py recv ADDR PORT COUNT OUT   bind ADDR:PORT, receive COUNT
                                        datagrams, write "BYTES SHA256" of
                                        each to OUT, sorted
  big_udp.py send ADDR PORT SIZE...     one datagram of SIZE pseudo-random
                                        bytes each, 0.2 s apart; print
                                        "BYTES SHA256" of each, sorted
  big_udp.py send-gso BIND_ADDR BIND_PORT ADDR PORT SEG TOTAL [SENDS]
                                        TOTAL pseudo-random bytes in one
                                        sendto with UDP_SEGMENT SEG (the
                                        kernel's UDP GSO: datagrams of SEG
                                        bytes, the last shorter) from
                                        BIND_ADDR:BIND_PORT, SENDS times (1),
                                        each with other bytes; print
                                        "BYTES SHA256" of each datagram, sorted

The receiver writes OUT.ready once it is bound and gives up after 30 s
(writing what it got). No timing is judged.
"""
import hashlib
import os
import random
import socket
import sys
import time


def line(b):
    return "%d %s" % (len(b), hashlib.sha256(b).hexdigest())


def recv(addr, port, count, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((addr, port))
    open(out + ".ready", "w").close()
    got, end = [], time.monotonic() + 30
    while len(got) < count and time.monotonic() < end:
        s.settimeout(max(0.1, end - time.monotonic()))
        try:
            got.append(line(s.recv(1 << 16)))
        except socket.timeout:
            break
    with open(out + ".tmp", "w") as f:
        f.write("".join(x + "\n" for x in sorted(got)))
    os.rename(out + ".tmp", out)


def send(addr, port, sizes):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = []
    for n in sizes:
        b = random.Random(n).randbytes(n)
        s.sendto(b, (addr, port))
        sent.append(line(b))
        time.sleep(0.2)
    print("".join(x + "\n" for x in sorted(sent)), end="")


# linux/udp.h; Python's socket module has no name for it.
UDP_SEGMENT = 103


def send_gso(bind, dst, seg, total, sends):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(bind)
    s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, seg)
    lines = []
    for k in range(sends):
        b = random.Random(total + k).randbytes(total)
        if s.sendto(b, dst) != total:
            sys.exit("short send")
        lines += [line(b[i:i + seg]) for i in range(0, total, seg)]
    print("".join(x + "\n" for x in sorted(lines)), end="")


def main():
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "recv":
        recv(a[1], int(a[2]), int(a[3]), a[4])
    elif len(a) >= 4 and a[0] == "send":
        send(a[1], int(a[2]), [int(x) for x in a[3:]])
    elif len(a) in (7, 8) and a[0] == "send-gso":
        send_gso((a[1], int(a[2])), (a[3], int(a[4])), int(a[5]), int(a[6]),
                 int(a[7]) if len(a) == 8 else 1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
