# SPDX-License-Identifier: BSD-2-Clause
"""What XDP hands to rsipd's slow path, end to end (run by
test_xdp_slowpath.sh in a lab whose LAN MTU, 1400, is below the WAN's, 1500):
fragments from the public side are reassembled and delivered; a packet too big
for the LAN after encapsulation is tunnelled (no DF: the kernel fragments the
outer header) or answered with ICMP fragmentation-needed (DF); ICMP errors
reach the host whose flow they quote; the hosts' own fragmented tunnel packets
are reassembled, checked and forwarded; packets XDP cannot route go through
the kernel. Every outcome shows in rsipd's counters.
"""

import os
import socket
import struct
import subprocess

from nslib import (IPPROTO_ESP, TUNNEL_IPIP, Catcher, Delta, Lab, RawSender, RsipHost, Tunnel,
                   esp, expect, fragments, icmp, ipv4, parse_ip, run, udp, wait_counter)

lab = Lab()
h1 = RsipHost(lab.ns["x1"], lab.x1, lab.na)
h2 = RsipHost(lab.ns["x2"], lab.x2, lab.na)
t1 = Tunnel(lab.ns["x1"], lab.x1, lab.na)
t2 = Tunnel(lab.ns["x2"], lab.x2, lab.na)
y = RawSender(lab.ns["y"])
ycatch = Catcher(lab.ns["y"], [17, 1, IPPROTO_ESP])
S = {}


def setup():
    expect(lab.lan_mtu < lab.wan_mtu, "this test needs a LAN MTU below the WAN's")
    h1.register()
    h2.register()
    S["b1"], S["nb"], S["ports1"] = h1.rsap(2)
    S["b2"], nb, _, S["spis2"] = h2.rsipsec(1, nb=S["nb"])
    expect(nb == S["nb"], "one Nb")


def test_wan_fragments():
    d = Delta(lab)
    body = bytes(range(256)) * 12
    whole = udp(lab.y, S["nb"], 7777, S["ports1"][0], body, ident=0x4242)
    frags = fragments(whole, 1472)
    expect(len(frags) == 3, "three fragments")
    for f in reversed(frags):  # out of order, on purpose
        y.send(f)
    got = t1.recv_match(lambda inner: inner == whole)
    expect(got is not None, "the reassembled datagram reached X1")
    expect(wait_counter(lab, d, "slow_frag_reassembled", 1) == 1, "slow_frag_reassembled")
    expect(d["wan_slow_fragment"] == 3, "three fragments to the slow path")
    expect(d["slow_wan_tx_port"] == 1, "demultiplexed by port after reassembly")
    # A datagram that never completes times out (30 s) rather than being
    # delivered: its fragments are held, nothing comes out.
    y.send(fragments(udp(lab.y, S["nb"], 7777, S["ports1"][0], body, ident=0x4343), 1472)[0])
    expect(t1.recv_match(lambda inner: True, timeout=1) is None, "no partial delivery")
    expect(counters_now()["slow_frag_bytes_held"] >= 1472, "the fragment is held")


def counters_now():
    return Delta(lab).before


def test_oversize():
    d = Delta(lab)
    big = b"\x5a" * (lab.lan_mtu - 20)  # + 28 headers + 20 tunnel > LAN MTU
    pkt = udp(lab.y, S["nb"], 7777, S["ports1"][1], big)
    y.send(pkt)
    expect(t1.recv_match(lambda inner: inner == pkt) is not None,
           "oversize without DF: tunnelled, the outer packet fragmented")
    expect(wait_counter(lab, d, "slow_oversize_tunnelled", 1) == 1, "slow_oversize_tunnelled")
    pkt = udp(lab.y, S["nb"], 7777, S["ports1"][1], big, df=True)
    y.send(pkt)
    got = ycatch.recv_match(lambda p: p[9] == 1 and p[20] == 3 and p[21] == 4)
    expect(got is not None, "oversize with DF: ICMP fragmentation needed to Y")
    src, dst, _, msg, _ = parse_ip(got)
    mtu = struct.unpack("!H", msg[6:8])[0]
    expect(src == S["nb"] and dst == lab.y, "from Nb to Y: %s -> %s" % (src, dst))
    expect(mtu == lab.lan_mtu - 20, "next-hop MTU %d = LAN MTU - IP-IP overhead" % mtu)
    expect(msg[8:8 + 28] == pkt[:28], "it quotes the packet")
    expect(t1.recv_match(lambda inner: inner == pkt, timeout=0.5) is None, "not delivered")
    expect(d["slow_oversize_icmp_sent"] == 1, "slow_oversize_icmp_sent")


def test_icmp_errors():
    d = Delta(lab)
    # X1 sends to a closed port of Y; Y's kernel answers port unreachable
    # to Nb, which XDP hands to rsipd, which finds X1 by the quoted port.
    out = udp(S["nb"], lab.y, S["ports1"][0], 9, b"anyone there?")
    t1.send(out)
    got = t1.recv_match(lambda inner: inner[9] == 1 and inner[20] == 3 and out[:20][12:] in inner)
    expect(got is not None, "Y's port unreachable reached X1")
    # An error about X2's ESP: found through the outbound (Y, SPI) the LAN
    # program learned when X2 sent it.
    spi_y = 0x5eed0001
    out = esp(S["nb"], lab.y, spi_y)
    t2.send(out)
    expect(ycatch.recv_match(lambda p: p[9] == IPPROTO_ESP and p[20:] == out[20:]) is not None,
           "X2's ESP reached Y")
    err = icmp(lab.y, S["nb"], 3, 4, struct.pack("!HH", 0, 1300), out[:28])
    y.send(err)
    expect(t2.recv_match(lambda inner: inner == err) is not None,
           "an ICMP error quoting X2's ESP reached X2")
    # One that quotes nobody's flow is dropped and counted.
    y.send(icmp(lab.y, S["nb"], 3, 3, b"\0\0\0\0",
                udp(S["nb"], lab.y, 9, 9, b"")[:28]))
    expect(wait_counter(lab, d, "slow_icmp_err_no_owner", 1) == 1, "slow_icmp_err_no_owner")
    expect(d["slow_icmp_err_tunnelled"] >= 2, "slow_icmp_err_tunnelled")


def test_lan_fragments():
    d = Delta(lab)
    # A tunnel packet bigger than the LAN: X1's kernel fragments the outer
    # header; XDP hands the fragments over; rsipd reassembles, checks, sends.
    body = b"\xa5" * (lab.lan_mtu + 20)
    out = udp(S["nb"], lab.y, S["ports1"][0], 7, body)
    t1.send(out)
    got = ycatch.recv_match(lambda p: p[9] == 17 and p[28:] == body)
    expect(got is not None, "X1's fragmented tunnel packet reached Y")
    expect(got[8] == 63, "TTL decremented: %d" % got[8])
    expect(wait_counter(lab, d, "slow_lan_tx", 1) == 1, "slow_lan_tx")
    expect(d["lan_slow_fragment"] >= 2, "LAN fragments to the slow path")
    # Bigger than the WAN too, no DF: fragmented again by rsipd for the WAN.
    body = bytes(range(256)) * 8
    out = udp(S["nb"], lab.y, S["ports1"][0], 7, body)
    t1.send(out)
    expect(ycatch.recv_match(lambda p: p[9] == 17 and p[28:] == body) is not None,
           "a 2 KB datagram reached Y in WAN-sized fragments")
    # With DF: X1 hears fragmentation needed through its tunnel.
    out = udp(S["nb"], lab.y, S["ports1"][0], 7, body, df=True)
    t1.send(out)
    got = t1.recv_match(lambda inner: inner[9] == 1 and inner[20] == 3 and inner[21] == 4)
    expect(got is not None, "ICMP fragmentation needed back to X1")
    mtu = struct.unpack("!H", got[2][26:28])[0]
    expect(mtu == lab.wan_mtu, "MTU %d = the WAN's" % mtu)
    # Fragments from X2 claiming X1's address never join a reassembly (XDP
    # checks the MAC before it hands fragments over; rsipd checks again).
    x2raw = RawSender(lab.ns["x2"])
    inner = udp(S["nb"], lab.y, S["ports1"][0], 7, b"\x01" * 2000)
    for f in fragments(ipv4(lab.x1, lab.na, 4, inner, ident=77), 1000):
        x2raw.send(f)
    expect(wait_counter(lab, d, "lan_drop_bad_mac", 3) == 3, "spoofed fragments dropped")
    expect(ycatch.recv_match(lambda p: b"\x01" * 64 in p, timeout=0.5) is None,
           "nothing of them reached Y")


def test_lan_route_without_neighbour():
    d = Delta(lab)
    # N forgets Y's MAC: XDP cannot forward, the kernel resolves and sends.
    subprocess.run(["ip", "-n", lab.ns["n"], "neigh", "flush", "dev", "wan0"], check=True)
    out = udp(S["nb"], lab.y, S["ports1"][1], 7, b"through the kernel")
    t1.send(out)
    got = ycatch.recv_match(lambda p: p[9] == 17 and p[28:] == b"through the kernel")
    expect(got is not None, "delivered through the kernel")
    expect(wait_counter(lab, d, "slow_lan_route_sent", 1) >= 1, "slow_lan_route_sent")
    expect(d["lan_slow_route"] >= 1, "lan_slow_route")


setup()
run([
    ("fragments from Y reassembled and delivered", test_wan_fragments),
    ("oversize: tunnelled, or ICMP frag-needed with DF", test_oversize),
    ("ICMP errors to the host whose flow they quote", test_icmp_errors),
    ("the hosts' fragmented tunnel packets", test_lan_fragments),
    ("no neighbour for the next hop: through the kernel", test_lan_route_without_neighbour),
])
