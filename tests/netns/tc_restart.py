# SPDX-License-Identifier: BSD-2-Clause
"""The TC filters carry the traffic while rsipd restarts (run by
test_tc_restart.sh, rsipd --attach tc):

  setup   X1 registers and leases a port; saved under $LAB_DIR
  stream  Y -> X1 (UDP to its port: rsip_wan_tc) and X1 -> Y (through its
          tunnel: rsip_lan_tc), one numbered packet each way every
          millisecond, until the file $LAB_DIR/mark.end appears. For every
          file $LAB_DIR/mark.NAME the shell script writes, the number of the
          first packet sent after the stream saw it is noted, and
          $LAB_DIR/ack.NAME written (the script waits for it before it goes
          on, so "sent between mark.downN and mark.startN" means sent while
          no rsipd ran); writes what was sent and received
  check   for each restart N: the packets sent while rsipd was down
          (downN..startN) and while it started (startN..upN), how many
          arrived each way; nothing may be lost in any window or overall
"""

import os
import select
import socket
import struct
import sys
import time

from nslib import (NetNS, Lab, RawSender, RsipHost, Tunnel, expect, load, save,
                   tamper_reuse_record, udp)

lab = Lab()
DIR = os.environ["LAB_DIR"]
Y_PORT = 9999
SO_RCVBUFFORCE = 33
RCVBUF = 8 << 20  # a second of the stream and more: a busy machine may stall us
MAX_SECONDS = 300


def setup():
    h1 = RsipHost(lab.ns["x1"], lab.x1, lab.na)
    h1.register()
    _b1, nb, ports = h1.rsap(1)
    save("tc_leases.json", {"nb": nb, "port": ports[0]})


def new_marks(seen, seq):
    """Note the sequence number at each mark file not seen before."""
    for name in os.listdir(DIR):
        if name.startswith("mark.") and name[5:] not in seen:
            seen[name[5:]] = seq
            open(os.path.join(DIR, "ack." + name[5:]), "w").close()


def stream():
    L = load("tc_leases.json")
    y = RawSender(lab.ns["y"])
    t1 = Tunnel(lab.ns["x1"], lab.x1, lab.na)
    t1.ipip.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
    with NetNS(lab.ns["y"]):
        yudp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        yudp.bind((lab.y, Y_PORT))
        yudp.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
        yudp.setblocking(False)
    got = {"down": set(), "up": set()}  # to X1 / from X1
    marks = {}
    sent = 0
    open(os.path.join(DIR, "stream.ready"), "w").close()
    start = nxt = time.monotonic()
    end = None
    while True:
        now = time.monotonic()
        if end is None and now >= nxt:
            new_marks(marks, sent)
            if "end" in marks or now - start > MAX_SECONDS:
                end = now
            else:
                y.send(udp(lab.y, L["nb"], Y_PORT, L["port"], struct.pack("!I", sent) + b"down"))
                t1.send(udp(L["nb"], lab.y, L["port"], Y_PORT, struct.pack("!I", sent) + b"up"))
                sent += 1
                nxt += 0.001
        if end is not None and now >= end + 2:
            break
        wait = 0.05 if end is not None else max(0.0, min(nxt - now, 0.05))
        r, _, _ = select.select([t1.ipip, yudp], [], [], wait)
        if yudp in r:
            while True:
                try:
                    data = yudp.recv(2048)
                except BlockingIOError:
                    break
                if data[4:] == b"up":
                    got["up"].add(struct.unpack("!I", data[:4])[0])
        if t1.ipip in r:
            t1._read(0)
            for _src, _tt, inner in t1.queue:
                if inner[9] == 17 and inner[32:] == b"down":
                    got["down"].add(struct.unpack("!I", inner[28:32])[0])
            t1.queue = []
    save("tc_stream.json", {"sent": sent, "marks": marks,
                            "got": {k: sorted(v) for k, v in got.items()}})


def check(restarts):
    s = load("tc_stream.json")
    sent, marks = s["sent"], s["marks"]
    got = {k: set(v) for k, v in s["got"].items()}
    print("stream: %d packets each way, %d to X1 and %d from X1 arrived"
          % (sent, len(got["down"]), len(got["up"])))
    expect(sent >= 1000, "a real stream (%d packets)" % sent)
    bad = []
    for n in range(1, int(restarts) + 1):
        d, st, up = marks.get("down%d" % n), marks.get("start%d" % n), marks.get("up%d" % n)
        expect(None not in (d, st, up), "restart %d: the marks %r" % (n, marks))
        for what, lo, hi in (("down", d, st), ("starting", st, up)):
            for k in ("down", "up"):
                window = set(range(lo, hi))
                lost = len(window - got[k])
                print("restart %d, rsipd %s: %d packets sent %s X1, %d arrived, %d lost"
                      % (n, what, len(window), "to" if k == "down" else "from",
                         len(window & got[k]), lost))
                if lost:
                    bad.append("restart %d (rsipd %s, %s X1): %d lost, e.g. %r"
                               % (n, what, "to" if k == "down" else "from", lost,
                                  sorted(window - got[k])[:10]))
        expect(st - d >= 100, "restart %d: rsipd was down for only %d packets" % (n, st - d))
    for k in ("down", "up"):
        lost = set(range(sent)) - got[k]
        if lost:
            bad.append("%s X1 overall: %d lost, e.g. %r" % ("to" if k == "down" else "from",
                                                             len(lost), sorted(lost)[:10]))
    expect(not bad, "; ".join(bad))
    print("check: ok")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "setup":
        setup()
    elif cmd == "stream":
        stream()
    elif cmd == "check":
        check(sys.argv[2])
    elif cmd == "tamper":
        tamper_reuse_record(sys.argv[2])
    else:
        raise SystemExit("usage: tc_restart.py setup|stream|check RESTARTS|tamper PIN")
