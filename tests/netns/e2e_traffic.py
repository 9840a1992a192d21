# SPDX-License-Identifier: BSD-2-Clause
"""Traffic between the public peer Y and applications on rsipc clients, used by
`make demo` (tests/lab/demo.sh) and tests/netns/test_e2e_rsipc.sh.

The clients X1 and X2 run `rsipc up` in the lab of tests/lab/lab.sh, with their
state under $LAB_DIR/rsipc-x1 and $LAB_DIR/rsipc-x2 (the lease is read from
state.json there). The "applications" here are ordinary sockets bound to the
leased address Nb inside the client's namespace, so every packet goes the
whole way: socket -> rsipc's TUN -> rsipc's raw tunnel socket -> the gateway's
LAN XDP program -> Y, and back through the WAN XDP program, the tunnel and the
TUN. Y uses ordinary sockets too (raw ones for ESP).

  e2e_traffic.py lease X                 print X's lease (one line)
  e2e_traffic.py ike X1 X2               IKE by cookie, learned by trial and error
  e2e_traffic.py ports X1 X2             UDP on each client's leased port, both ways
  e2e_traffic.py esp X1 X2               ESP by SPI (block), both ways
  e2e_traffic.py drops X1 X2             unknown SPI, unknown cookie, X2 spoofing X1's port
  e2e_traffic.py maps X [--none|--some]  X's entries in the pinned XDP maps (bpftool)
  e2e_traffic.py lookups                 the entries WAN XDP looks up, decoded (bpftool)

Every step prints what it saw (values read from sockets, rsipctl and bpftool)
and exits 1 with "FAIL: ..." when something did not happen. Every wait has a
deadline; nothing asserts on time.
"""

import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

from nslib import (IPPROTO_ESP, TUNNEL_GRE, Lab, NetNS, RawSender, Tunnel, counters, esp,
                   ike_header, parse_ip, udp)

lab = Lab()
LAB_DIR = os.environ["LAB_DIR"]
NAMES = {"x1": "X1", "x2": "X2"}
XA = {"x1": lab.x1, "x2": lab.x2}
QUIET = 0.5  # how long "nothing arrived" is waited for
WAIT = 5.0


class Fail(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Fail(what)


def say(text):
    print("   " + text, flush=True)


def lease(x):
    with open(os.path.join(LAB_DIR, "rsipc-" + x, "state.json")) as f:
        return json.load(f)


def other_ports(le):
    return [p for p in le["ports"] if p not in (le.get("ike_port"), le.get("natt_port"))]


def spi_range(le):
    return int(le["spi_min"], 16), int(le["spi_max"], 16)


class Counters:
    """The gateway's data-plane counters that moved since it was made."""

    def __init__(self):
        self.before = counters(lab)

    def moved(self, settle=0.3):
        time.sleep(settle)  # counters are read after the packet went by
        now = counters(lab)
        # *_pass_* are packets handed to N's kernel untouched (ARP, N's own
        # traffic): not the packets a step sends.
        return {k: v - self.before.get(k, 0) for k, v in now.items()
                if v != self.before.get(k, 0) and "_pass_" not in k}

    @staticmethod
    def text(moved):
        return ", ".join("%s +%d" % kv for kv in sorted(moved.items())) or "none"


def sock(x, kind, bind):
    """A socket in node x's namespace, bound to bind."""
    ns = lab.ns[x]
    with NetNS(ns):
        if kind == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, kind)
        s.bind(bind)
    return s


def recv(s, pred=lambda data, peer: True, timeout=WAIT):
    """The first datagram (data, peer) satisfying pred, or None."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([s], [], [], left)
        if not r:
            return None
        data, peer = s.recvfrom(65535)
        if pred(data, peer):
            return data, peer


def cookie_of(data):
    return data[:8] if len(data) >= 28 else None


def hexb(b):
    return b.hex()


# ---- steps ---------------------------------------------------------------------


def step_lease(x):
    le = lease(x)
    lo, hi = spi_range(le)
    ports = other_ports(le)
    say("%s (%s): leased %s, SPIs 0x%08x-0x%08x, port%s %s, %s tunnel on %s (mtu %d), "
        "client %d, binding %d" % (NAMES[x], XA[x], le["address"], lo, hi,
                                   "s" if len(ports) != 1 else "",
                                   ",".join(map(str, ports)) or "none",
                                   "IP-in-IP" if le["tunnel"] == "ipip" else "GRE",
                                   le["dev"], le["mtu"], le["client_id"], le["bind_id"]))


def step_ike(xs):
    """Each client's IKE_SA_INIT goes out from Nb:500 first; the gateway's LAN
    program learns its initiator SPI (cookie) by trial and error, and Y's
    answers to Nb:500 come back by that cookie alone."""
    nb = lease(xs[0])["address"]
    ysock = sock("y", "udp", (lab.y, 500))
    apps = {x: sock(x, "udp", (nb, 500)) for x in xs}
    cookies = {}
    c = Counters()
    for i, x in enumerate(xs):
        if i == 1:
            # A collision, on purpose: the second client picks the first
            # client's cookie. The gateway must drop it, Y hears nothing.
            taken = cookies[xs[0]]
            apps[x].sendto(ike_header(taken, v2=True), (lab.y, 500))
            got = recv(ysock, lambda d, p: cookie_of(d) == taken, timeout=QUIET * 2)
            expect(got is None, "%s's IKE with %s's cookie reached Y" % (NAMES[x], NAMES[xs[0]]))
            m = c.moved()
            expect(m.get("lan_drop_cookie_taken", 0) >= 1,
                   "no lan_drop_cookie_taken for the collision (moved: %s)" % Counters.text(m))
            say("%s sends IKE_SA_INIT with %s's SPI %s (a collision): dropped by the "
                "gateway (lan_drop_cookie_taken +%d), Y got nothing; %s picks another"
                % (NAMES[x], NAMES[xs[0]], hexb(taken), m["lan_drop_cookie_taken"], NAMES[x]))
        cookie = os.urandom(8)
        apps[x].sendto(ike_header(cookie, v2=True), (lab.y, 500))
        got = recv(ysock, lambda d, p: cookie_of(d) == cookie)
        expect(got is not None, "%s's IKE_SA_INIT (SPI %s) never reached Y" % (NAMES[x], hexb(cookie)))
        cookies[x] = cookie
        say("%s sends IKE_SA_INIT from %s:500, initiator SPI %s: Y got it from %s:%d" %
            (NAMES[x], nb, hexb(cookie), got[1][0], got[1][1]))
        expect(got[1] == (nb, 500), "Y saw the wrong source %s:%d" % got[1])
    m = c.moved()
    expect(m.get("lan_learn_cookie", 0) >= len(xs), "cookies learned: %s" % Counters.text(m))
    say("the gateway learned %d cookies (lan_learn_cookie +%d)" % (len(xs), m["lan_learn_cookie"]))

    # Y answers every one to the same Nb:500; only the cookie tells them apart.
    c = Counters()
    for x in xs:
        answer = ike_header(cookies[x], os.urandom(8), v2=True, initiator=False)
        ysock.sendto(answer, (nb, 500))
        got = recv(apps[x], lambda d, p: d == answer)
        expect(got is not None, "Y's IKE answer (SPI %s) never reached %s" % (hexb(cookies[x]), NAMES[x]))
        for o in xs:
            if o != x:
                stray = recv(apps[o], lambda d, p: d == answer, timeout=QUIET)
                expect(stray is None, "Y's answer for %s also reached %s" % (NAMES[x], NAMES[o]))
        say("Y answers %s:500 with SPIi %s: it reached %s's socket on %s:500 only" %
            (nb, hexb(cookies[x]), NAMES[x], nb))
    m = c.moved()
    expect(m.get("wan_tx_ike", 0) >= len(xs), "wan_tx_ike: %s" % Counters.text(m))
    say("counters: %s" % Counters.text(m))
    for s in [ysock] + list(apps.values()):
        s.close()


def step_ports(xs):
    """UDP from Y to each client's leased port reaches that client's app (and
    not an app on the same port of the other client); the app's reply, sent
    from Nb:port, reaches Y."""
    nb = lease(xs[0])["address"]
    ysock = sock("y", "udp", (lab.y, 0))
    c = Counters()
    for x in xs:
        port = other_ports(lease(x))[0]
        apps = {o: sock(o, "udp", (nb, port)) for o in xs}
        msg = ("hello %s from Y" % NAMES[x]).encode()
        ysock.sendto(msg, (nb, port))
        got = recv(apps[x], lambda d, p: d == msg)
        expect(got is not None, "UDP to %s:%d never reached %s's app" % (nb, port, NAMES[x]))
        for o in xs:
            if o != x:
                expect(recv(apps[o], lambda d, p: d == msg, timeout=QUIET) is None,
                       "UDP to %s's port also reached %s" % (NAMES[x], NAMES[o]))
        reply = ("hello Y from %s" % NAMES[x]).encode()
        apps[x].sendto(reply, got[1])
        back = recv(ysock, lambda d, p: d == reply)
        expect(back is not None, "%s's reply never reached Y" % NAMES[x])
        expect(back[1] == (nb, port), "Y saw the reply from %s:%d" % back[1])
        say("Y -> %s:%d: %r reached %s's app only; its reply %r reached Y from %s:%d" %
            (nb, port, msg.decode(), NAMES[x], reply.decode(), back[1][0], back[1][1]))
        for s in apps.values():
            s.close()
    m = c.moved()
    expect(m.get("wan_tx_port", 0) >= len(xs), "wan_tx_port: %s" % Counters.text(m))
    say("counters: %s" % Counters.text(m))
    ysock.close()


def step_esp(xs):
    """ESP-shaped packets from Y to an SPI of each client's block reach that
    client (seen in the tunnel on its LAN interface, then by a raw ESP socket
    behind the TUN), and the client's ESP from Nb reaches Y."""
    nb = lease(xs[0])["address"]
    ysend = RawSender(lab.ns["y"])
    ycatch = sock("y", IPPROTO_ESP, (lab.y, 0))
    wires = {x: Tunnel(lab.ns[x], XA[x], lab.na) for x in xs}
    apps = {x: sock(x, IPPROTO_ESP, (nb, 0)) for x in xs}
    c = Counters()
    for x in xs:
        lo, hi = spi_range(lease(x))
        spi = random.randint(lo, hi)
        pkt = esp(lab.y, nb, spi, seq=1, body=os.urandom(32))
        ysend.send(pkt)
        w = wires[x].recv_match(lambda inner: inner == pkt)
        expect(w is not None, "ESP to SPI 0x%08x never came out of %s's tunnel" % (spi, NAMES[x]))
        got = recv(apps[x], lambda d, p: d[20:] == pkt[20:])
        expect(got is not None, "ESP to SPI 0x%08x: in %s's tunnel but not behind its TUN" % (spi, NAMES[x]))
        for o in xs:
            if o != x:
                expect(wires[o].recv_match(lambda inner: inner == pkt, timeout=QUIET) is None,
                       "ESP for %s also reached %s" % (NAMES[x], NAMES[o]))
        say("Y -> ESP SPI 0x%08x (block 0x%08x-0x%08x): reached %s only, tunnelled in %s "
            "%s -> %s, then its ESP socket on %s" %
            (spi, lo, hi, NAMES[x], "GRE" if w[1] == TUNNEL_GRE else "IP-in-IP", w[0], XA[x],
             nb))
        # And back: the client's own ESP, to an SPI of Y's.
        yspi = random.randint(0x1000, 0xffffffff)
        body = struct.pack("!II", yspi, 1) + os.urandom(24)
        apps[x].sendto(body, (lab.y, 0))
        back = recv(ycatch, lambda d, p: parse_ip(d)[3] == body)
        expect(back is not None, "%s's ESP (SPI 0x%08x) never reached Y" % (NAMES[x], yspi))
        src = parse_ip(back[0])[0]
        expect(src == nb, "Y saw %s's ESP from %s" % (NAMES[x], src))
        say("%s -> ESP SPI 0x%08x to Y: reached Y from %s" % (NAMES[x], yspi, src))
    m = c.moved()
    expect(m.get("wan_tx_esp", 0) >= len(xs), "wan_tx_esp: %s" % Counters.text(m))
    say("counters: %s" % Counters.text(m))
    for w in wires.values():
        w.close()
    for s in list(apps.values()) + [ycatch]:
        s.close()
    ysend.close()


def step_drops(xs):
    """What the gateway must drop, and the counter each drop moves."""
    x1, x2 = xs
    nb = lease(x1)["address"]
    ysend = RawSender(lab.ns["y"])
    wires = {x: Tunnel(lab.ns[x], XA[x], lab.na) for x in xs}
    for w in wires.values():
        w.drain(quiet=0.1)

    def nothing_delivered(what):
        got = [(x, t) for x, w in wires.items() for t in w.drain(quiet=QUIET)]
        expect(not got, "%s reached a client: %r" % (what, got))

    # ESP to an SPI no client holds: outside both clients' blocks.
    blocks = [spi_range(lease(x)) for x in xs]
    while True:
        spi = random.randint(0x100, 0xffffffff)
        if all(not (lo & ~0xffff) <= spi <= (hi | 0xffff) for lo, hi in blocks):
            break
    c = Counters()
    ysend.send(esp(lab.y, nb, spi))
    nothing_delivered("ESP to an unknown SPI")
    m = c.moved()
    expect(m.get("wan_drop_no_spi", 0) == 1, "unknown SPI: %s" % Counters.text(m))
    say("Y -> ESP SPI 0x%08x (nobody's): dropped, no client saw it (%s)" % (spi, Counters.text(m)))

    # IKE to port 500 with a cookie no client sent: every client talks IKE
    # with Y on Nb:500 (step ike), and the message is unprotected, so no
    # answer could tell whose it is (docs/dataplane.md): dropped as ambiguous.
    cookie = os.urandom(8)
    c = Counters()
    ysend.send(udp(lab.y, nb, 500, 500, ike_header(cookie, os.urandom(8), v2=True,
                                                    initiator=False)))
    nothing_delivered("IKE with an unknown cookie")
    m = c.moved()
    expect(m.get("wan_drop_ike_ambiguous", 0) == 1, "unknown cookie: %s" % Counters.text(m))
    say("Y -> IKE to %s:500 with SPIi %s (nobody's): dropped, no client saw it (%s)" %
        (nb, hexb(cookie), Counters.text(m)))

    # X2's application uses X1's leased port as its source.
    port = other_ports(lease(x1))[0]
    ysock = sock("y", "udp", (lab.y, 0))
    spoof = sock(x2, "udp", (nb, port))
    c = Counters()
    msg = b"X2 pretending to be X1"
    spoof.sendto(msg, ysock.getsockname())
    got = recv(ysock, lambda d, p: d == msg, timeout=QUIET * 2)
    expect(got is None, "X2's packet from X1's port reached Y")
    m = c.moved()
    expect(m.get("lan_drop_bad_port", 0) >= 1, "spoofed port: %s" % Counters.text(m))
    say("%s sends from %s:%d (%s's port): dropped, Y got nothing (%s)" %
        (NAMES[x2], nb, port, NAMES[x1], Counters.text(m)))
    spoof.close()
    ysock.close()
    for w in wires.values():
        w.close()
    ysend.close()


# ---- the XDP maps --------------------------------------------------------------

# What XDP demultiplexes by: a host's entries there go when its lease does.
MAPS = ("rsip_clients", "rsip_ports", "rsip_port_dir", "rsip_ike", "rsip_spi",
        "rsip_spi_blk", "rsip_spi_dir", "rsip_icmp_id")
# Arrays (docs/dataplane.md, by index): struct rsip_dir_val, the target in
# "t"; an empty slot has Nb 0.
DIR_MAPS = ("rsip_port_dir", "rsip_spi_dir")
# Outbound SPIs the LAN program learned (only where rsipd sends ICMP errors
# about ESP): rsipd leaves a departed host's to the idle sweep (dpx.c).
HINT_MAPS = ("rsip_out_spi",)


def be32_as_dumped(addr):
    """bpftool prints a __be32 as the host-order number of its bytes."""
    return struct.unpack("=I", socket.inet_aton(addr))[0]


def map_entries(x):
    """{map: number of entries that belong to x}, from bpftool dumps."""
    xa = be32_as_dumped(XA[x])
    out = {}
    for name in MAPS + HINT_MAPS:
        n = 0
        for f in dump(name):
            if name == "rsip_clients":
                mine = f["key"] == xa
            elif name in DIR_MAPS:
                mine = f["value"]["nb"] != 0 and f["value"]["t"]["xa"] == xa
            else:
                mine = f["value"]["xa"] == xa
            n += mine
        out[name] = n
    return out


def dump(name):
    r = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", os.path.join(lab.pin, name)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Fail("bpftool map dump %s: %s" % (name, r.stderr.strip()))
    return [e.get("formatted", e) for e in json.loads(r.stdout or "[]")]


def step_lookups():
    """What the WAN program looks up (SPI blocks, ports, learned IKE cookies),
    in words: bpftool prints __be32/__be16 fields as host-order numbers."""
    def ip(v):
        return socket.inet_ntoa(struct.pack("=I", v))

    who = {be32_as_dumped(a): "%s %s" % (NAMES[x], a) for x, a in XA.items()}
    shift = dump("rsip_meta")[0]["value"]["spi_block_shift"]
    rows = []
    for e in dump("rsip_spi_blk"):
        k = e["key"]
        lo = k["block"] << shift
        rows.append(("rsip_spi_blk", "%s SPIs 0x%08x-0x%08x" % (ip(k["nb"]), lo,
                                                                lo + (1 << shift) - 1), e["value"]))
    for e in dump("rsip_spi_dir"):
        v = e["value"]
        if v["nb"]:
            lo = v["id"] << shift
            rows.append(("rsip_spi_dir", "%s SPIs 0x%08x-0x%08x" %
                         (ip(v["nb"]), lo, lo + (1 << shift) - 1), v["t"]))
    for e in dump("rsip_port_dir"):
        v = e["value"]
        if v["nb"]:
            rows.append(("rsip_port_dir", "%s port %d" % (ip(v["nb"]), v["id"]), v["t"]))
    for e in dump("rsip_ports"):
        k = e["key"]
        rows.append(("rsip_ports", "%s port %d" % (ip(k["nb"]), socket.ntohs(k["port"])),
                     e["value"]))
    for e in dump("rsip_ike"):
        k = e["key"]
        what = "cookie %s" % bytes(k["cookie"]).hex()
        if k.get("kind") == 1:  # RSIP_IKE_KIND_PEER: (Nb, port, Y)
            what = "peer %s" % socket.inet_ntoa(bytes(k["cookie"][:4]))
        rows.append(("rsip_ike", "%s port %d %s" % (ip(k["nb"]), socket.ntohs(k["port"]), what),
                     e["value"]))
    expect(rows, "no entries in rsip_spi_dir, rsip_port_dir, rsip_ports, rsip_ike")
    for name, key, v in rows:
        say("%-13s %-44s -> %s (%s, %s, counted in slot %d)" %
            (name, key, who.get(v["xa"], ip(v["xa"])), "GRE" if v["tunnel"] == 2 else "IP-in-IP",
             "binding %d" % v["bind_id"] if v["bind_id"] else "learned",
             v["stat_slot"]))


def step_maps(x, want):
    got = map_entries(x)
    text = ", ".join("%s %d" % (k, v) for k, v in got.items() if v and k in MAPS) or "none"
    hints = sum(got[k] for k in HINT_MAPS)
    if hints:
        text += " (%d learned outbound SPI%s left in %s for the idle sweep)" % (
            hints, "" if hints == 1 else "s", "/".join(HINT_MAPS))
    total = sum(got[k] for k in MAPS)
    if want == "--none":
        expect(total == 0, "%s still has XDP map entries: %s" % (NAMES[x], text))
    elif want == "--some":
        expect(got["rsip_clients"] == 1 and total > 1, "%s's XDP map entries: %s" % (NAMES[x], text))
    say("%s (%s) in the XDP maps: %s" % (NAMES[x], XA[x], text))


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    try:
        if cmd == "lease":
            step_lease(args[0])
        elif cmd == "ike":
            step_ike(args)
        elif cmd == "ports":
            step_ports(args)
        elif cmd == "esp":
            step_esp(args)
        elif cmd == "drops":
            step_drops(args)
        elif cmd == "lookups":
            step_lookups()
        elif cmd == "maps":
            step_maps(args[0], args[1] if len(args) > 1 else "")
        else:
            print("unknown step %s" % cmd, file=sys.stderr)
            return 2
    except Fail as e:
        print("   FAIL: %s" % e, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
