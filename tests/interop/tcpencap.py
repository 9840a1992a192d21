#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""TCP encapsulation of IKE and ESP (RFC 8229, draft rfc8229bis) as a stream
test through the gateway: strongSwan has no TCP encapsulation, so both ends
are here.

  tcpencap.py server PORT          on Y: accept one stream, check the
                                   "IKETCP" prefix and every frame, echo
                                   each frame back unchanged
  tcpencap.py client SRC SPORT DST DPORT FRAMES
                                   on a host: connect from its leased port,
                                   send the prefix and FRAMES frames (IKE with
                                   the non-ESP marker and ESP, random sizes),
                                   check every echoed frame byte for byte

Framing (rfc8229bis section 3): a 16-bit length that counts itself, then an
IKE message after a 4-byte zero non-ESP marker, or an ESP packet (SPI != 0).
"""
import random
import socket
import struct
import sys
import threading

PREFIX = b"IKETCP"


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def read_frame(s):
    hdr = recv_exact(s, 2)
    if hdr is None:
        return None
    (length,) = struct.unpack("!H", hdr)
    if length < 2 + 8:
        raise ValueError("frame length %d too short" % length)
    body = recv_exact(s, length - 2)
    if body is None:
        raise ValueError("stream ended inside a frame")
    return hdr + body


def kind(frame):
    if frame[2:6] == b"\0\0\0\0":
        if len(frame) < 2 + 4 + 28:
            raise ValueError("IKE frame shorter than an IKE header")
        return "ike"
    return "esp"


def server(port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(4)
    print("listening on %d" % port, flush=True)
    s, peer = ls.accept()
    print("stream from %s:%d" % peer, flush=True)
    if recv_exact(s, len(PREFIX)) != PREFIX:
        print("server: no IKETCP prefix")
        return 3
    counts = {"ike": 0, "esp": 0}
    nbytes = 0
    while True:
        f = read_frame(s)
        if f is None:
            break
        counts[kind(f)] += 1
        nbytes += len(f)
        s.sendall(f)
    s.close()
    print("server: %d frames (%d IKE, %d ESP), %d bytes, from %s:%d" %
          (counts["ike"] + counts["esp"], counts["ike"], counts["esp"], nbytes, peer[0],
           peer[1]), flush=True)
    return 0


def make_frame(rng, i):
    size = rng.randint(40, 1400)
    if i % 7 == 0:  # IKE: non-ESP marker, then an IKE header-sized start
        body = b"\0\0\0\0" + rng.randbytes(size - 4)
    else:  # ESP: SPI (never 0), sequence number, payload
        spi = rng.randint(1, 0xFFFFFFFF)
        body = struct.pack("!II", spi, i + 1) + rng.randbytes(size - 8)
    return struct.pack("!H", len(body) + 2) + body


def client(src, sport, dst, dport, frames):
    rng = random.Random(8229)
    sent = [make_frame(rng, i) for i in range(frames)]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.settimeout(30)
    s.connect((dst, dport))
    result = {"ok": 0, "bad": None}

    def reader():
        try:
            for i in range(frames):
                f = read_frame(s)
                if f is None:
                    result["bad"] = "stream ended after %d frames" % i
                    return
                if f != sent[i]:
                    result["bad"] = "frame %d differs" % i
                    return
                result["ok"] += 1
            if s.recv(1):
                result["bad"] = "bytes after the last frame"
        except Exception as e:  # noqa: BLE001 -- reported, test fails
            result["bad"] = "reader: %r" % e

    t = threading.Thread(target=reader)
    t.start()
    s.sendall(PREFIX)
    for f in sent:
        s.sendall(f)
    s.shutdown(socket.SHUT_WR)
    t.join(60)
    ike = sum(1 for f in sent if kind(f) == "ike")
    nbytes = sum(len(f) for f in sent)
    if result["bad"] or result["ok"] != frames:
        print("client: FAIL after %d frames: %s" % (result["ok"], result["bad"]))
        return 1
    print("client: %d frames (%d IKE, %d ESP), %d bytes each way, echoed byte-exact" %
          (frames, ike, frames - ike, nbytes))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "server":
        return server(int(argv[2]))
    if len(argv) == 7 and argv[1] == "client":
        return client(argv[2], int(argv[3]), argv[4], int(argv[5]), int(argv[6]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
