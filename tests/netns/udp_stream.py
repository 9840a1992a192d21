#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A numbered UDP stream, to see a data path stop and come back.

  udp_stream.py send ADDR PORT SECONDS    one datagram every 5 ms
  udp_stream.py recv ADDR PORT SECONDS OUT
      bind ADDR:PORT (IP_FREEBIND: the address may come and go), receive for
      SECONDS, write to OUT (JSON): received, the longest silence between two
      datagrams in ms, and how many arrived after it
"""
import json
import socket
import struct
import sys
import time

IP_FREEBIND = 15


def send(addr, port, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end, seq = time.monotonic() + secs, 0
    while time.monotonic() < end:
        try:
            s.sendto(struct.pack("!I", seq) + b"x" * 60, (addr, port))
        except OSError:
            pass
        seq += 1
        time.sleep(0.005)


def recv(addr, port, secs, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    s.bind((addr, port))
    end = time.monotonic() + secs
    times = []
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            s.recv(2048)
        except socket.timeout:
            break
        times.append(time.monotonic())
    gap, after = 0.0, 0
    for i in range(1, len(times)):
        if times[i] - times[i - 1] > gap:
            gap, after = times[i] - times[i - 1], len(times) - i
    with open(out, "w") as f:
        json.dump({"received": len(times), "gap_ms": round(gap * 1000), "after_gap": after}, f)


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "send":
        send(a[1], int(a[2]), float(a[3]))
    elif len(a) == 5 and a[0] == "recv":
        recv(a[1], int(a[2]), float(a[3]), a[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
