#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Steady flows across a gateway failover (test_failover_traffic.sh, the
failover benchmark): each flow sends RATE packets/s in both directions
between a host behind the gateways (from its leased address Nb, through
rsipc's tunnel) and the public peer Y, and notes when each packet was sent
and when it arrived.

Usage: failover_flows.py CTL OUT RATE FLOW...
  FLOW  udp,NAME,XNS,NB,PORT,YNS,Y,YPORT   UDP Nb:PORT <-> Y:YPORT
        esp,NAME,XNS,NB,SPI,YNS,Y,YSPI     ESP-shaped (IP protocol 50): Y sends
                                           to Nb on the leased SPI, the host
                                           to Y on Y's SPI YSPI
  CTL   a FIFO: "mark LABEL" starts a window, "stop" ends the run
  OUT   the report (JSON), written at the end; "OUT.ready" once sending

Every packet belongs to the window in which it was sent. For each window,
flow and direction the report has the packets sent, received and lost, and
the longest silence at the receiver (the gap, ms) ending in that window.
Windows whose label starts with "steady" must deliver at least
STEADY_MIN (0.9) of what was sent in each direction, and something: exit 1
otherwise. Counts only: times are printed, never asserted.
"""

import ctypes
import json
import os
import select
import socket
import struct
import sys
import threading
import time

STEADY_MIN = float(os.environ.get("STEADY_MIN", "0.9"))
MAGIC = 0x52534950  # "RSIP"
IPPROTO_ESP = 50
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def in_ns(name, fn):
    """Run fn() with this thread in network namespace name (sockets keep it)."""
    orig = os.open("/proc/self/ns/net", os.O_RDONLY)
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + name)
        return fn()
    finally:
        _libc.setns(orig, CLONE_NEWNET)
        os.close(fd)
        os.close(orig)


def udp_sock(ns, addr, port):
    def mk():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        s.bind((addr, port))
        s.setblocking(False)
        return s
    return in_ns(ns, mk)


def esp_sock(ns, addr):
    def mk():
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_ESP)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        s.bind((addr, 0))
        s.setblocking(False)
        return s
    return in_ns(ns, mk)


class Dir:
    """One direction of one flow: who sends what where, what arrived."""

    def __init__(self, label, tag, send, recv, parse):
        self.label, self.tag = label, tag
        self.send, self.recv, self.parse = send, recv, parse
        self.sent = []     # send time of seq i
        self.got = {}      # seq -> arrival time


def build(spec, tag):
    f = spec.split(",")
    kind, name, xns, nb, xid, yns, y, yid = f
    if kind == "udp":
        xs, ys = udp_sock(xns, nb, int(xid)), udp_sock(yns, y, int(yid))

        def parse_udp(data):
            return data
        out = Dir(name + " out", tag, lambda p: xs.sendto(p, (y, int(yid))), ys, parse_udp)
        inn = Dir(name + " in", tag + 1, lambda p: ys.sendto(p, (nb, int(xid))), xs, parse_udp)
        return [out, inn]
    if kind == "esp":
        spi_in, spi_out = int(xid, 0), int(yid, 0)
        xs, ys = esp_sock(xns, nb), esp_sock(yns, y)

        def parse_esp(spi):
            def p(data):
                ihl = (data[0] & 0x0F) * 4
                if len(data) < ihl + 8 or struct.unpack_from("!I", data, ihl)[0] != spi:
                    return None
                return data[ihl + 8:]
            return p
        out = Dir(name + " out", tag, lambda p: xs.sendto(struct.pack("!II", spi_out, 1) + p,
                                                          (y, 0)), ys, parse_esp(spi_out))
        inn = Dir(name + " in", tag + 1, lambda p: ys.sendto(struct.pack("!II", spi_in, 1) + p,
                                                             (nb, 0)), xs, parse_esp(spi_in))
        return [out, inn]
    raise SystemExit("failover_flows: unknown flow kind %r" % kind)


def main():
    ctl, out_path, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
    dirs = []
    for i, spec in enumerate(sys.argv[4:]):
        dirs += build(spec, 2 * i)
    stop = threading.Event()
    marks = []

    def sender():
        t0 = time.monotonic()
        while not stop.is_set():
            now = time.monotonic()
            due = int((now - t0) * rate)
            for d in dirs:
                # After a stall (a loaded machine) send at most 20 ms' worth
                # at once: the flows stay about RATE, never a burst.
                n = min(due - len(d.sent), max(int(rate / 50), 1))
                for _ in range(max(n, 0)):
                    seq = len(d.sent)
                    d.sent.append(time.monotonic())
                    try:
                        d.send(struct.pack("!III", MAGIC, d.tag, seq) + bytes(52))
                    except OSError:
                        pass  # no route while a link is down: counted as lost
            time.sleep(0.002)

    def receiver():
        socks = {}
        for d in dirs:
            socks.setdefault(d.recv.fileno(), (d.recv, []))[1].append(d)
        poller = select.poll()
        for fd in socks:
            poller.register(fd, select.POLLIN)
        while not stop.is_set():
            for fd, _ in poller.poll(50):
                s, ds = socks[fd]
                while True:
                    try:
                        data = s.recv(2048)
                    except BlockingIOError:
                        break
                    now = time.monotonic()
                    for d in ds:
                        body = d.parse(data)
                        if body is None or len(body) < 12:
                            continue
                        magic, tag, seq = struct.unpack_from("!III", body)
                        if magic == MAGIC and tag == d.tag:
                            d.got.setdefault(seq, now)

    threads = [threading.Thread(target=sender), threading.Thread(target=receiver)]
    for t in threads:
        t.start()
    open(out_path + ".ready", "w").close()
    try:
        with open(ctl) as f:
            for line in f:
                w = line.split()
                if not w:
                    continue
                if w[0] == "mark":
                    marks.append((w[1], time.monotonic()))
                elif w[0] == "stop":
                    break
    finally:
        end = time.monotonic()
        time.sleep(0.5)  # what is on the way arrives
        stop.set()
        for t in threads:
            t.join()

    report, ok = [], True
    bounds = marks + [("end", end)]
    for (label, a), (_, b) in zip(bounds, bounds[1:]):
        w = {"window": label, "seconds": round(b - a, 3), "flows": []}
        for d in dirs:
            seqs = [i for i, t in enumerate(d.sent) if a <= t < b]
            got = sum(1 for i in seqs if i in d.got)
            arr = sorted(d.got.values())
            gap = 0.0
            prev = None
            for t in arr:
                if prev is not None and a <= t < b + 0.5:
                    gap = max(gap, t - prev)
                prev = t
            # Silence until the window ends counts too (never recovered).
            last_before_end = [t for t in arr if t < b + 0.5]
            if last_before_end and last_before_end[-1] < b:
                gap = max(gap, b - max(last_before_end[-1], a))
            row = {"flow": d.label, "sent": len(seqs), "received": got,
                   "lost": len(seqs) - got, "gap_ms": round(gap * 1000, 1)}
            w["flows"].append(row)
            print("%-24s %-10s sent %6d received %6d lost %5d  longest gap %7.1f ms" %
                  (label, d.label, row["sent"], got, row["lost"], row["gap_ms"]))
            if label.startswith("steady") and (got == 0 or got < STEADY_MIN * len(seqs)):
                print("FAIL: %s: %s delivered %d of %d" % (label, d.label, got, len(seqs)))
                ok = False
        report.append(w)
    with open(out_path, "w") as f:
        json.dump(report, f, indent=1)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
