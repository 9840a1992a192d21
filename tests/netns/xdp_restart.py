# SPDX-License-Identifier: BSD-2-Clause
"""rsipd restarted mid-stream loses nothing (run by test_xdp_restart.sh):

  setup   two hosts lease (a port for X1, an SPI for X2); the leases, the
          bindings as rsipctl shows them and X1's last request and reply are
          saved under $LAB_DIR
  stream  Y -> X1 (UDP to its port), X1 -> Y (through its tunnel) and
          Y -> X2 (ESP to its SPI), a numbered packet each every few ms for
          the given seconds, while the shell script restarts rsipd; writes
          what was sent and received
  drop_binding / stale_check: a binding the state file no longer has is
          removed from the maps at the next start (reconciliation)
  slots PIN N LOGGED: after a start with --stat-slots N, rsip_bind_stats
          has the logged size and X1's binding counts from zero (N 0:
          uncounted, bind_slots_uncounted)
  rodata ID NAME VALUE / prog_name ID NAME / tamper PIN: the running
          program ID holds constant NAME = VALUE (its .rodata map, through
          bpftool); ID is called NAME; flip a byte of the reuse record
  check   nothing lost in any direction; the same clients, bindings, IDs,
          ports and SPIs after the restart; each binding's packets and
          bytes in exactly what the stream sent (counted per CPU, kept
          through the restarts), and X1's packets and bytes out; X1's retransmitted request gets the same
          reply bytes from the new rsipd
"""

import json
import os
import select
import socket
import struct
import sys
import time

from nslib import (IPPROTO_ESP, NetNS, Lab, RawSender, RsipHost, Tunnel, bpftool, ctl, esp,
                   expect, load, save, tamper_reuse_record, udp)
import rsiplib as R

lab = Lab()
DIR = os.environ["LAB_DIR"]
RSIP_PORT_X1 = 40001  # fixed: a retransmission must come from the same port
Y_PORT = 9999


def bindings():
    return sorted(ctl(lab, "bindings"), key=lambda b: b["bind_id"])


def setup():
    h1 = RsipHost(lab.ns["x1"], lab.x1, lab.na)
    h1.s.close()
    with NetNS(lab.ns["x1"]):
        h1.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        h1.s.bind((lab.x1, RSIP_PORT_X1))
        h1.s.connect((lab.na, 4555))
    h2 = RsipHost(lab.ns["x2"], lab.x2, lab.na)
    h1.register()
    h2.register()
    b1, nb, ports = h1.rsap(1)
    b2, nb2, _, spis = h2.rsipsec(1, nb=nb)
    # X1's last request and its reply, for the retransmission after the
    # restart (same bytes, same port: the reply cache must answer).
    counter = h1.counter + 1
    req = R.assign_rsap_ip(h1.client_id, local_ports=R.p_ports_any(1), counter=counter)
    h1.counter = counter
    h1.s.send(req)
    h1.s.settimeout(5)
    rep = h1.s.recv(65536)
    expect(R.decode(rep).type == R.ASSIGN_RESPONSE_RSAP_IP, "the last request granted")
    save("leases.json", {"nb": nb, "port": ports[0], "spi": spis[0], "b1": b1, "b2": b2,
                         "req": req.hex(), "rep": rep.hex()})
    save("bindings_before.json", bindings())


def stream(seconds):
    L = load("leases.json")
    y = RawSender(lab.ns["y"])
    t1 = Tunnel(lab.ns["x1"], lab.x1, lab.na)
    t2 = Tunnel(lab.ns["x2"], lab.x2, lab.na)
    with NetNS(lab.ns["y"]):
        yudp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # no ICMP unreachable
        yudp.bind((lab.y, Y_PORT))
        yudp.setblocking(False)
    got = {"to_x1": set(), "from_x1": set(), "to_x2": set()}
    sent = 0
    open(os.path.join(DIR, "stream.ready"), "w").close()
    end = time.monotonic() + seconds
    nxt = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= nxt and now < end:
            y.send(udp(lab.y, L["nb"], Y_PORT, L["port"], struct.pack("!I", sent) + b"down"))
            t1.send(udp(L["nb"], lab.y, L["port"], Y_PORT, struct.pack("!I", sent) + b"up"))
            y.send(esp(lab.y, L["nb"], L["spi"], seq=sent + 1))
            sent += 1
            nxt += 0.004
        if now >= end + 2:
            break
        r, _, _ = select.select([t1.ipip, t2.ipip, yudp], [], [], max(0.0, min(nxt - now, 0.05)))
        if yudp in r:
            while True:
                try:
                    data = yudp.recv(2048)
                except BlockingIOError:
                    break
                if data[4:] == b"up":
                    got["from_x1"].add(struct.unpack("!I", data[:4])[0])
        if t1.ipip in r or t2.ipip in r:
            for t, key in ((t1, "to_x1"), (t2, "to_x2")):
                t._read(0)
                for _src, _tt, inner in t.queue:
                    if inner[9] == 17 and inner[32:] == b"down":
                        got[key].add(struct.unpack("!I", inner[28:32])[0])
                    elif inner[9] == IPPROTO_ESP:
                        got[key].add(struct.unpack("!I", inner[24:28])[0] - 1)
                t.queue = []
    save("stream.json", {"sent": sent, **{k: len(v) for k, v in got.items()},
                         "missing_to_x1": sorted(set(range(sent)) - got["to_x1"])[:20]})


def check():
    L = load("leases.json")
    s = load("stream.json")
    print("sent %d per direction; received: %s" % (s["sent"], {k: s[k] for k in
                                                             ("to_x1", "from_x1", "to_x2")}))
    expect(s["sent"] > 100, "a real stream")
    for k in ("to_x1", "from_x1", "to_x2"):
        expect(s[k] == s["sent"], "%s: %d of %d (missing e.g. %r)"
               % (k, s[k], s["sent"], s["missing_to_x1"]))
    before, after = load("bindings_before.json"), bindings()
    key = ("bind_id", "client_id", "client", "nb", "ports", "spis", "method", "tunnel")
    expect([{k: b[k] for k in key} for b in before] == [{k: b[k] for k in key} for b in after],
           "the same bindings after the restart:\n%r\n%r" % (before, after))
    # Counters live in the pinned per-CPU rsip_bind_stats, at the slot each
    # binding's entries carry (kept by a restart): exact through both
    # restarts. Every packet of the stream reached its host (above), each
    # through XDP, none through rsipd (it was down or had the MAC).
    sizes = {L["b1"]: len(udp(lab.y, L["nb"], Y_PORT, L["port"], struct.pack("!I", 0) + b"down")),
             L["b2"]: len(esp(lab.y, L["nb"], L["spi"], seq=1))}
    for b in after:
        if b["bind_id"] not in sizes:
            continue
        expect((b.get("pkts_in"), b.get("bytes_in")) == (s["sent"], s["sent"] * sizes[b["bind_id"]]),
               "binding %d counted %r packets, %r bytes in; sent %d of %d bytes"
               % (b["bind_id"], b.get("pkts_in"), b.get("bytes_in"), s["sent"], sizes[b["bind_id"]]))
    print("bindings %d and %d counted exactly %d packets each through two restarts"
          % (L["b1"], L["b2"], s["sent"]))
    # A client's traffic out: in its own slot (rsip_client.stat_slot), kept
    # by the restarts likewise. X1 tunnelled the stream's "up" packets and
    # nothing else; X2 sent nothing out, and its slot is not X1's.
    up = len(udp(L["nb"], lab.y, L["port"], Y_PORT, struct.pack("!I", 0) + b"up"))
    out = {b["bind_id"]: (b.get("pkts_out"), b.get("bytes_out")) for b in after}
    expect(out.get(L["b1"]) == (s["sent"], s["sent"] * up),
           "X1 counted %r packets, bytes out; sent %d of %d bytes" % (out.get(L["b1"]),
                                                                     s["sent"], up))
    expect(out.get(L["b2"]) == (0, 0), "X2 counted %r out, sent nothing" % (out.get(L["b2"]),))
    print("X1 counted exactly %d packets out through two restarts" % s["sent"])
    # The reply cache crossed the restart: same request, same port, same bytes.
    with NetNS(lab.ns["x1"]):
        sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sk.bind((lab.x1, RSIP_PORT_X1))
        sk.connect((lab.na, 4555))
    sk.settimeout(5)
    sk.send(bytes.fromhex(L["req"]))
    rep = sk.recv(65536)
    while R.decode(rep).counter == 0:  # unsolicited: not our answer
        rep = sk.recv(65536)
    expect(rep.hex() == L["rep"], "the cached reply after the restart:\n%s\n%s"
           % (rep.hex(), L["rep"]))
    expect(len(bindings()) == len(after), "the retransmission allocated nothing")
    print("check: ok")


def drop_binding():
    """Take X2's binding out of the lease store while rsipd is down: what the
    maps still hold for it is stale at the next start."""
    import sqlite3
    L = load("leases.json")
    con = sqlite3.connect(os.environ["LAB_STATE"])  # the lease store (SQLite)
    with con:
        for cid, doc in con.execute("SELECT client_id, doc FROM clients").fetchall():
            c = json.loads(doc)
            c["bindings"] = [b for b in c["bindings"] if b["bind_id"] != L["b2"]]
            con.execute("UPDATE clients SET doc = ? WHERE client_id = ?",
                        (json.dumps(c), cid))
    con.close()


def stale_check():
    """The stale entries are gone (X2's SPI is dropped), the rest works."""
    from nslib import Delta, wait_counter
    L = load("leases.json")
    expect(all(b["bind_id"] != L["b2"] for b in bindings()), "X2's binding is gone")
    y = RawSender(lab.ns["y"])
    t1 = Tunnel(lab.ns["x1"], lab.x1, lab.na)
    d = Delta(lab)
    y.send(esp(lab.y, L["nb"], L["spi"], seq=99))
    expect(wait_counter(lab, d, "wan_drop_no_spi", 1) == 1, "X2's stale SPI is dropped")
    pkt = udp(lab.y, L["nb"], Y_PORT, L["port"], b"still here")
    y.send(pkt)
    expect(t1.recv_match(lambda inner: inner == pkt) is not None, "X1 still served")
    print("stale: ok")


def slots(pin, per_host, logged):
    """After a start with --stat-slots PER_HOST: rsip_bind_stats in the
    kernel has the size rsipd logged (1 for 0), X1 is still served, and its
    binding counts the packets exactly from zero on a new map, or not at
    all (uncounted, counted as such) with 0."""
    from nslib import counters
    L = load("leases.json")
    info = bpftool("map", "show", "pinned", os.path.join(pin, "rsip_bind_stats"))
    want = 1 if int(per_host) == 0 else int(logged)
    expect(info["max_entries"] == want and int(logged) == want,
           "rsip_bind_stats has %d entries, rsipd logged %s, expected %d"
           % (info["max_entries"], logged, want))
    y = RawSender(lab.ns["y"])
    t1 = Tunnel(lab.ns["x1"], lab.x1, lab.na)
    n = 20
    for i in range(n):
        pkt = udp(lab.y, L["nb"], Y_PORT, L["port"], b"slots %d" % i)
        y.send(pkt)
        expect(t1.recv_match(lambda inner, p=pkt: inner == p) is not None,
               "X1 served (packet %d)" % i)
    b1 = [b for b in bindings() if b["bind_id"] == L["b1"]]
    expect(len(b1) == 1, "X1's binding is there")
    uncounted = counters(lab).get("bind_slots_uncounted")
    if int(per_host) == 0:
        expect(b1[0].get("pkts_in") == 0, "uncounted: X1 shows %r packets in" % b1[0].get("pkts_in"))
        expect(uncounted is not None and uncounted >= 2,
               "bind_slots_uncounted %r, X1 and its binding have no slot" % uncounted)
    else:
        expect(b1[0].get("pkts_in") == n, "a new map: X1 counted %r of %d packets in"
               % (b1[0].get("pkts_in"), n))
        expect(uncounted == 0, "bind_slots_uncounted %r with slots to spare" % uncounted)
    print("slots: --stat-slots %s, %d entries, %d packets to X1, %s"
          % (per_host, want, n, "uncounted" if int(per_host) == 0 else "counted from zero"))


def rodata(prog_id, name, value):
    """The constant as the running program reads it: its .rodata map."""
    for mid in bpftool("prog", "show", "id", prog_id).get("map_ids", []):
        if bpftool("map", "show", "id", str(mid))["name"].endswith(".rodata"):
            dump = bpftool("map", "dump", "id", str(mid))
            secs = dump[0]["formatted"]["value"][".rodata"]
            got = [v[name] for v in secs if name in v]
            expect(got == [int(value)], "%s of program %s: %r, expected %s"
                   % (name, prog_id, got, value))
            print("rodata: %s = %s" % (name, value))
            return
    raise SystemExit("program %s has no .rodata map" % prog_id)


def prog_name(prog_id, name):
    got = bpftool("prog", "show", "id", prog_id)["name"]
    expect(got == name, "program %s is %s, expected %s" % (prog_id, got, name))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "rodata":
        rodata(*sys.argv[2:5])
        sys.exit(0)
    if cmd == "prog_name":
        prog_name(*sys.argv[2:4])
        sys.exit(0)
    if cmd == "slots":
        slots(*sys.argv[2:5])
        sys.exit(0)
    if cmd == "tamper":
        tamper_reuse_record(sys.argv[2])
        sys.exit(0)
    if cmd == "setup":
        setup()
    elif cmd == "stream":
        stream(float(sys.argv[2]))
    elif cmd == "check":
        check()
    elif cmd == "drop_binding":
        drop_binding()
    elif cmd == "stale_check":
        stale_check()
    else:
        raise SystemExit("usage: xdp_restart.py setup|stream SECONDS|check")
