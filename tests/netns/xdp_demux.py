# SPDX-License-Identifier: BSD-2-Clause
"""End to end through the XDP data plane (run by test_xdp_demux.sh inside the
lab): two hosts lease over RSIP, the public peer Y sends IKE (by cookie and by
leased port), ESP and AH (by SPI and by SPI block), UDP-encapsulated ESP, TCP
and UDP; each packet must come out of the right host's tunnel, byte for byte,
and everything unmatched, colliding or spoofed must be dropped and counted.
"""

import os
import struct
import subprocess

from nslib import (IPPROTO_AH, IPPROTO_ESP, TUNNEL_GRE, TUNNEL_IPIP, Catcher, Delta, Lab,
                   RawSender, RsipHost, Tunnel, ah, counters, ctl, esp, expect, ike_header,
                   ipv4, run, tcp_syn, udp, wait_counter)
import rsiplib as R

lab = Lab()
h1 = RsipHost(lab.ns["x1"], lab.x1, lab.na)
h2 = RsipHost(lab.ns["x2"], lab.x2, lab.na)
t1 = Tunnel(lab.ns["x1"], lab.x1, lab.na)
t2 = Tunnel(lab.ns["x2"], lab.x2, lab.na)
y = RawSender(lab.ns["y"])
ycatch = Catcher(lab.ns["y"], [17, IPPROTO_ESP])
x2raw = RawSender(lab.ns["x2"])
S = {}  # what the hosts leased


def setup():
    h1.register()
    h2.register()
    # X1: IP-IP; 4 SPIs (one aligned block) and an IKE port; one more port.
    S["b1"], S["nb"], S["ike_port"], S["spis1"] = h1.rsipsec(4, nports=1)
    S["b1p"], nb, S["ports1"] = h1.rsap(1, nb=S["nb"])
    expect(nb == S["nb"], "X1's bindings on one Nb")
    # X2: GRE, on the same Nb (so cookies can collide); one SPI, two ports.
    S["b2"], nb, _, S["spis2"] = h2.rsipsec(1, tunnel=R.TUNNEL_GRE, nb=S["nb"])
    S["b2p"], nb2, S["ports2"] = h2.rsap(2, tunnel=R.TUNNEL_GRE, nb=S["nb"])
    expect(nb == S["nb"] and nb2 == S["nb"], "X2 on X1's Nb")
    expect(len(S["spis1"]) == 4 and len(S["spis2"]) == 1, "SPIs: %r" % S)
    # rsipd keeps the hosts' MACs through managed neighbour entries.
    out = subprocess.run(["ip", "-n", lab.ns["n"], "neigh", "show", "dev", "lan0"],
                         capture_output=True, text=True).stdout
    for xa in (lab.x1, lab.x2):
        expect(any(l.startswith(xa + " ") and "managed" in l for l in out.splitlines()),
               "managed neighbour entry for %s in:\n%s" % (xa, out))


def deliver(pkt, tunnel, want_type, other):
    """Y sends pkt to Nb; it must come out of tunnel (type want_type), the
    same bytes, and not out of the other host's tunnel."""
    y.send(pkt)
    got = tunnel.recv_match(lambda inner: inner == pkt)
    expect(got is not None, "not delivered: %s" % pkt[:48].hex())
    src, ttype, _ = got
    expect(src == lab.na, "outer source %s, expected Na %s" % (src, lab.na))
    expect(ttype == want_type, "tunnel type %d, expected %d" % (ttype, want_type))
    expect(other.recv_match(lambda inner: inner == pkt, timeout=0.3) is None,
           "also delivered to the other host")


def test_esp_ah():
    d = Delta(lab)
    nb, s1, s2 = S["nb"], S["spis1"], S["spis2"]
    deliver(esp(lab.y, nb, s1[0]), t1, TUNNEL_IPIP, t2)
    deliver(esp(lab.y, nb, s2[0]), t2, TUNNEL_GRE, t1)
    deliver(ah(lab.y, nb, s1[1]), t1, TUNNEL_IPIP, t2)
    # Another SPI of X1's aligned block, one it was not handed: the block
    # entry (decision D13) still brings it to X1.
    block = [s for s in range(s1[0] & ~0xff, (s1[0] & ~0xff) + 256) if s not in s1]
    deliver(esp(lab.y, nb, block[0]), t1, TUNNEL_IPIP, t2)
    deliver(ah(lab.y, nb, block[-1]), t1, TUNNEL_IPIP, t2)
    expect(wait_counter(lab, d, "wan_tx_esp", 3) >= 3, "wan_tx_esp")
    expect(d["wan_tx_ah"] >= 2, "wan_tx_ah")


def test_udp_esp_and_ports():
    nb = S["nb"]
    # UDP 4500 without the non-ESP marker: ESP inside UDP, by SPI.
    pl = struct.pack("!II", S["spis2"][0], 7) + b"\x11" * 24
    deliver(udp(lab.y, nb, 4500, 4500, pl), t2, TUNNEL_GRE, t1)
    deliver(udp(lab.y, nb, 5353, S["ports1"][0], b"to x1 by port"), t1, TUNNEL_IPIP, t2)
    deliver(tcp_syn(lab.y, nb, 40000, S["ports2"][1]), t2, TUNNEL_GRE, t1)
    # IKE to the leased IKE port: an ordinary port binding.
    deliver(udp(lab.y, nb, 500, S["ike_port"][0], ike_header(b"\x77" * 8)), t1, TUNNEL_IPIP,
            t2)


def ike_out(tunnel, ttype, cookie, v2=False, initiator=True, dport=500):
    """The host sends IKE from Nb:500 through its tunnel; Y sees it or not."""
    pkt = udp(S["nb"], lab.y, 500, dport, ike_header(cookie, v2=v2, initiator=initiator))
    tunnel.send(pkt, ttype)
    return ycatch.recv_match(lambda p: p[20:] == pkt[20:], timeout=2) is not None


def test_ike_cookies():
    d = Delta(lab)
    c1, c3 = os.urandom(8), os.urandom(8)
    # X1 starts IKEv1 with cookie c1: learned, forwarded; Y's answer (same
    # initiator cookie) comes back to X1.
    expect(ike_out(t1, TUNNEL_IPIP, c1), "X1's IKE reaches Y")
    deliver(udp(lab.y, S["nb"], 500, 500, ike_header(c1, os.urandom(8))), t1, TUNNEL_IPIP, t2)
    # IKEv2: X1 initiates with SPIi c3; Y answers with I clear.
    expect(ike_out(t1, TUNNEL_IPIP, c3, v2=True), "X1's IKEv2 reaches Y")
    deliver(udp(lab.y, S["nb"], 500, 500, ike_header(c3, os.urandom(8), v2=True,
                                                       initiator=False)), t1, TUNNEL_IPIP, t2)
    expect(d["lan_learn_cookie"] >= 2, "cookies learned: %d" % d["lan_learn_cookie"])
    # Trial and error (RFC 3104 6.1): X2 trying X1's cookie is dropped.
    expect(not ike_out(t2, TUNNEL_GRE, c1), "X2's IKE with X1's cookie must be dropped")
    expect(wait_counter(lab, d, "lan_drop_cookie_taken", 1) == 1, "lan_drop_cookie_taken")
    # ... and with a fresh cookie it gets through, and its answer to X2.
    c2 = os.urandom(8)
    expect(ike_out(t2, TUNNEL_GRE, c2), "X2's IKE with a fresh cookie")
    deliver(udp(lab.y, S["nb"], 500, 500, ike_header(c2, os.urandom(8))), t2, TUNNEL_GRE, t1)


def test_unmatched_dropped():
    t1.drain()
    t2.drain()
    d = Delta(lab)
    nb = S["nb"]
    unknown = [s for s in range(0x40000000, 0x40000100)][7]
    y.send(esp(lab.y, nb, unknown))
    y.send(ah(lab.y, nb, unknown))
    y.send(udp(lab.y, nb, 500, 500, ike_header(os.urandom(8))))
    y.send(udp(lab.y, nb, 4500, 4500, b"\0\0\0\0" + ike_header(os.urandom(8))))
    y.send(udp(lab.y, nb, 4500, 4500, struct.pack("!II", unknown, 1) + b"x" * 16))
    expect(wait_counter(lab, d, "wan_drop_no_spi", 3) == 3, "wan_drop_no_spi")
    # Both hosts talk IKE with Y on Nb:500 (test_ike_cookies): an unprotected
    # message with a cookie neither sent cannot be placed (docs/dataplane.md);
    # nobody talks IKE with Y on Nb:4500: no peer entry, App. E.
    expect(d["wan_drop_ike_ambiguous"] == 1,
           "wan_drop_ike_ambiguous: %d" % d["wan_drop_ike_ambiguous"])
    expect(d["wan_drop_no_cookie"] == 1, "wan_drop_no_cookie: %d" % d["wan_drop_no_cookie"])
    got = t1.drain() + t2.drain()
    expect(not got, "nothing unmatched reaches a host: %r" % [(s, t, p[:40].hex()) for s, t, p in got])


def test_spoofing_dropped():
    d = Delta(lab)
    nb = S["nb"]
    # X2 uses X1's port: 313, and rsipd tells X2 (unsolicited ERROR_RESPONSE).
    t2.send(udp(nb, lab.y, S["ports1"][0], 9, b"spoof port"), TUNNEL_GRE)
    # X2 uses the other public address: 312.
    other = lab.nb2 if nb == lab.nb1 else lab.nb1
    t2.send(udp(other, lab.y, S["ports2"][0], 9, b"spoof nb"), TUNNEL_GRE)
    # X2 sends with X1's address as the outer source (its own MAC): dropped.
    inner = udp(nb, lab.y, S["ports1"][0], 9, b"spoof xa")
    x2raw.send(ipv4(lab.x1, lab.na, 4, inner))
    # A tunnel type X2 did not lease (IP-IP): 307.
    t2.send(udp(nb, lab.y, S["ports2"][0], 9, b"wrong tunnel"), TUNNEL_IPIP)
    # An address that never registered.
    x2raw.send(ipv4("10.0.0.99", lab.na, 4, udp(nb, lab.y, 1111, 9, b"who")))
    expect(wait_counter(lab, d, "lan_drop_bad_port", 1) == 1, "lan_drop_bad_port")
    expect(d["lan_drop_bad_src"] == 1, "lan_drop_bad_src")
    expect(d["lan_drop_bad_mac"] == 1, "lan_drop_bad_mac")
    expect(d["lan_drop_bad_tunnel"] == 1, "lan_drop_bad_tunnel")
    expect(d["lan_drop_not_client"] == 1, "lan_drop_not_client")
    got = [p for p in ycatch.drain() if b"spoof" in p or b"wrong tunnel" in p or b"who" in p]
    expect(not got, "spoofed packets reached Y: %r" % got)
    # Decision D14: the engine heard of the violations and told X2.
    errors = set()
    while True:
        m = h2.unsolicited(timeout=3)
        if m is None:
            break
        if m.type == R.ERROR_RESPONSE:
            errors.add(m.error)
    expect({307, 312, 313} <= errors, "unsolicited errors to X2: %r" % errors)
    expect(ctl(lab, "counters")["rsip"]["violations"] >= 3, "rsip violations")


def test_legit_outbound():
    d = Delta(lab)
    pkt = udp(S["nb"], lab.y, S["ports2"][1], 9, b"x2 says hello")
    t2.send(pkt, TUNNEL_GRE)
    got = ycatch.recv_match(lambda p: p[20:] == pkt[20:])
    expect(got is not None, "X2's packet reaches Y")
    expect(got[8] == 63, "TTL decremented once: %d" % got[8])
    expect(wait_counter(lab, d, "lan_tx", 1) + d["slow_lan_route_sent"] >= 1, "lan_tx")


def test_bpftool_dump():
    # Leased ports and SPI blocks are arrays indexed by what the gateway
    # chose (docs/dataplane.md): the Nb and the port or block are in the value.
    out = subprocess.run(["bpftool", "map", "dump", "pinned", lab.pin + "/rsip_port_dir"],
                         capture_output=True, text=True)
    expect(out.returncode == 0, "bpftool: %s" % out.stderr)
    text = out.stdout
    for field in ('"nb"', '"id"', '"xa"', '"bind_id"', '"tunnel"', '"stat_slot"'):
        expect(field in text, "field %s in the dump:\n%s" % (field, text[:800]))
    expect('"bind_id": %d' % S["b1p"] in text, "X1's bind id %d in the dump" % S["b1p"])
    out = subprocess.run(["bpftool", "map", "dump", "pinned", lab.pin + "/rsip_clients"],
                         capture_output=True, text=True).stdout
    for field in ('"client_id": %d' % h1.client_id, '"mac"', '"tunnels"', '"cookie_cap"'):
        expect(field in out, "%s in the rsip_clients dump" % field)
    out = subprocess.run(["bpftool", "map", "dump", "pinned", lab.pin + "/rsip_spi_dir"],
                         capture_output=True, text=True).stdout
    expect('"id": %d' % (S["spis1"][0] >> 8) in out, "X1's SPI block in the rsip_spi_dir dump")


def test_neighbour_kept():
    """Someone flushes N's neighbour entry of X1: rsipd puts the managed
    entry back, and X1 stays reachable through XDP."""
    import time
    subprocess.run(["ip", "-n", lab.ns["n"], "neigh", "del", lab.x1, "dev", "lan0"],
                   check=True)
    for _ in range(50):
        out = subprocess.run(["ip", "-n", lab.ns["n"], "neigh", "show", lab.x1, "dev", "lan0"],
                             capture_output=True, text=True).stdout
        if "managed" in out:
            break
        time.sleep(0.1)
    expect("managed" in out, "the managed entry of X1 came back: %r" % out)
    d = Delta(lab)
    deliver(esp(lab.y, S["nb"], S["spis1"][2]), t1, TUNNEL_IPIP, t2)
    expect(d["wan_tx_esp"] + d["slow_no_neigh_tunnelled"] >= 1, "delivered")


def test_counters_cover_everything():
    c = counters(lab)
    for name in ("wan_tx_esp", "lan_drop_bad_mac", "slow_records", "slow_frag_reassembled"):
        expect(name in c, "counter %s in rsipctl counters" % name)
    out = subprocess.run([os.path.join(lab.build, "rsipctl"), "--socket", lab.ctl, "counters"],
                         capture_output=True, text=True).stdout
    expect("wan_drop_no_spi" in out, "rsipctl counters (table) shows the drops")


setup()
run([
    ("esp and ah by spi and by spi block", test_esp_ah),
    ("udp-esp, leased ports, ike by port", test_udp_esp_and_ports),
    ("ike by cookie, cookie collision", test_ike_cookies),
    ("unmatched packets dropped and counted", test_unmatched_dropped),
    ("spoofed packets dropped, violations reported", test_spoofing_dropped),
    ("a host's own traffic goes out", test_legit_outbound),
    ("bpftool dumps readable maps", test_bpftool_dump),
    ("managed neighbour entries are kept", test_neighbour_kept),
    ("rsipctl shows the counters", test_counters_cover_everything),
])
