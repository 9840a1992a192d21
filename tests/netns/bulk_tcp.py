#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""TCP bulk transfer with an end-to-end check, for the tunnel tests.

  bulk_tcp.py recv ADDR PORT OUT      accept one connection on ADDR:PORT, read
                                      to EOF, write "BYTES SHA256" to OUT
  bulk_tcp.py send ADDR PORT BYTES [--bind ADDR:PORT]
                                      connect, send BYTES pseudo-random bytes,
                                      print "BYTES SHA256" of what was sent

The receiver writes OUT.ready once it listens. Every wait has a deadline (60
s); no timing is judged.
"""
import hashlib
import os
import random
import socket
import sys

CHUNK = 1 << 16


def recv(addr, port, out):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    ls.settimeout(60)
    open(out + ".ready", "w").close()
    c, _ = ls.accept()
    c.settimeout(60)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(CHUNK)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.close()
    with open(out + ".tmp", "w") as f:
        f.write("%d %s\n" % (n, h.hexdigest()))
    os.rename(out + ".tmp", out)


def send(addr, port, nbytes, bind=None):
    rnd = random.Random(nbytes)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if bind:
        a, p = bind.rsplit(":", 1)
        s.bind((a, int(p)))
    s.settimeout(60)
    s.connect((addr, port))
    h, left = hashlib.sha256(), nbytes
    while left:
        b = rnd.randbytes(min(CHUNK, left))
        s.sendall(b)
        h.update(b)
        left -= len(b)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)  # the receiver's close: everything arrived
    s.close()
    print("%d %s" % (nbytes, h.hexdigest()))


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "recv":
        recv(a[1], int(a[2]), a[3])
    elif len(a) in (4, 6) and a[0] == "send":
        bind = a[5] if len(a) == 6 and a[4] == "--bind" else None
        send(a[1], int(a[2]), int(a[3]), bind)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
