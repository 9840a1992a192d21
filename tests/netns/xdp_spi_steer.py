# SPDX-License-Identifier: BSD-2-Clause
"""rsipd --spi-steer end to end (run by test_xdp_spi_steer.sh in the lab).

  xdp_spi_steer.py steer STATE   rsipd runs with --spi-steer 0-1: lease 64
                                 SPIs, send, check CPUs and delivery, save
                                 what came out of the tunnel in STATE
  xdp_spi_steer.py plain STATE   rsipd restarted without it: the same
                                 packets must come out the same, on the
                                 receiving CPU

The sender is pinned to CPU 0, so without steering the WAN program runs on
CPU 0 for every packet (veth: the receiving side's NAPI runs where the
sender queued the frame). Per-CPU figures come from the pinned rsip_stats
(bpftool), indexed by the counter enum of include/rsip/dp_abi.h.
"""

import json
import os
import re
import struct
import subprocess
import sys
import time

from nslib import (TUNNEL_IPIP, Lab, RawSender, RsipHost, Tunnel, ah, esp, expect, udp)

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKTS = 4  # per SPI and kind: enough to see the order kept
CPUS = [0, 1]  # --spi-steer 0-1
SLOTS_LOG = 8  # RSIP_STEER_SLOTS_LOG, include/rsip/steer_abi.h

lab = Lab()


def counter_index():
    """enum rsip_counter, in order, from the ABI header."""
    text = open(os.path.join(TOP, "include/rsip/dp_abi.h")).read()
    body = text[text.index("enum rsip_counter {"):text.index("RSIP_CNT_MAX,")]
    names = re.findall(r"^\s*RSIP_CNT_(\w+)", body, re.M)
    return {n.lower(): i for i, n in enumerate(names)}


IDX = counter_index()


def per_cpu(name):
    """The per-CPU values of one counter: {cpu: value}."""
    key = [str(b) for b in struct.pack("<I", IDX[name])]
    out = subprocess.run(["bpftool", "-j", "map", "lookup", "pinned",
                          os.path.join(lab.pin, "rsip_stats"), "key"] + key,
                         capture_output=True, text=True, timeout=30)
    expect(out.returncode == 0, "bpftool: %s" % out.stderr.strip())
    vals = {}
    for v in json.loads(out.stdout)["values"]:
        x = v["value"]
        vals[v["cpu"]] = x if isinstance(x, int) else int.from_bytes(
            bytes(int(b, 16) for b in x), "little")
    return vals


def delta(before, after):
    return {c: after[c] - before.get(c, 0) for c in after if after[c] != before.get(c, 0)}


def slot_cpu(spi):
    """The CPU rsip_steer names for the SPI (rsip_steer_slot, slots dealt
    round-robin over the list)."""
    slot = ((spi * 0x9E3779B1) & 0xFFFFFFFF) >> (32 - SLOTS_LOG)
    return CPUS[slot % len(CPUS)]


def packets(nb, spi):
    """What Y sends for one SPI: ESP, AH and UDP-ESP, PKTS of each, seq 1.."""
    out = []
    for seq in range(1, PKTS + 1):
        out.append(("wan_tx_esp", esp(lab.y, nb, spi, seq=seq, ident=seq)))
        out.append(("wan_tx_ah", ah(lab.y, nb, spi, seq=seq, ident=seq)))
        out.append(("wan_tx_udp_esp", udp(lab.y, nb, 4500, 4500,
                                          struct.pack("!II", spi, seq) + b"\x5a" * 24,
                                          ident=seq)))
    return out


def send_spi(y, t, nb, spi):
    """Sends one SPI's packets; returns (what the tunnel delivered, in
    order, and the per-CPU deltas of the three exit counters)."""
    kinds = ("wan_tx_esp", "wan_tx_ah", "wan_tx_udp_esp")
    before = {k: per_cpu(k) for k in kinds}
    pkts = packets(nb, spi)
    for _, p in pkts:
        y.send(p)
    got = []
    for _, p in pkts:
        # In order: the first tunnelled packet must be the next one sent.
        item = t.recv_match(lambda inner: True)
        expect(item is not None, "SPI %#x: %d of %d delivered" % (spi, len(got), len(pkts)))
        expect(item[2] == p, "SPI %#x: out of order or changed: got %s, want %s"
               % (spi, item[2][:40].hex(), p[:40].hex()))
        got.append([item[0], item[1], item[2].hex()])
    d = {k: delta(before[k], per_cpu(k)) for k in kinds}
    return got, d


def wait_for(name, cpu, at_least, before):
    """The counter's delta on cpu once it reached at_least (the frames are
    in the receiver's softirq; bounded wait, not a timing judgement)."""
    for _ in range(100):
        d = delta(before, per_cpu(name))
        if d.get(cpu, 0) >= at_least:
            return d
        time.sleep(0.05)
    return delta(before, per_cpu(name))


def not_ours(y, spis):
    """ESP, AH and UDP-ESP to an address of the public subnet that is not
    one of our Nb, with SPIs whose slots are CPU 1's: the first stage must
    pass them on the receiving CPU, not steer them."""
    other = "192.0.2.99"
    away = [s for s in spis if slot_cpu(s) == 1][:4]
    before = {k: per_cpu(k) for k in ("wan_steered", "wan_steer_arrived", "wan_pass_not_nb")}
    for spi in away:
        for _, p in packets(other, spi):
            y.send(p)
    n = len(away) * 3 * PKTS
    passed = wait_for("wan_pass_not_nb", 0, n, before["wan_pass_not_nb"])
    expect(passed.get(0, 0) >= n and 1 not in passed,
           "ESP to a non-Nb: wan_pass_not_nb per CPU %r, expected >= %d on CPU 0" % (passed, n))
    for k in ("wan_steered", "wan_steer_arrived"):
        d = delta(before[k], per_cpu(k))
        expect(not d, "ESP to a non-Nb moved %s: %r" % (k, d))
    print("  %d ESP/AH/UDP-ESP frames to %s (not an Nb): passed on CPU 0, none steered"
          % (n, other))


def steer(state):
    h = RsipHost(lab.ns["x1"], lab.x1, lab.na)
    t = Tunnel(lab.ns["x1"], lab.x1, lab.na)
    y = RawSender(lab.ns["y"])
    h.register()
    _, nb, _, spis = h.rsipsec(64, tunnel=TUNNEL_IPIP)
    expect(len(spis) == 64, "64 SPIs leased: %d" % len(spis))
    t.drain()
    steered0, arrived0 = per_cpu("wan_steered"), per_cpu("wan_steer_arrived")
    used, res = set(), {}
    for spi in spis:
        got, d = send_spi(y, t, nb, spi)
        want = slot_cpu(spi)
        for k, dd in d.items():
            expect(dd == {want: PKTS}, "SPI %#x %s per CPU %r, expected %d on CPU %d only"
                   % (spi, k, dd, PKTS, want))
        used.add(want)
        res[str(spi)] = got
    expect(used == set(CPUS), "CPUs that handled the 64 SPIs: %s" % sorted(used))
    # The hop is taken exactly for the SPIs of the other CPU (the receiving
    # one handles its own in place), counted on the receiving CPU.
    hops = sum(3 * PKTS for s in spis if slot_cpu(s) != 0)
    sd = delta(steered0, per_cpu("wan_steered"))
    expect(sd == {0: hops}, "wan_steered per CPU %r, expected %d on CPU 0" % (sd, hops))
    expect(not delta({}, per_cpu("wan_steer_local")), "wan_steer_local counted")
    # Every steered frame reached its CPU (nothing lost in the hop at this
    # rate), counted there.
    ad = delta(arrived0, per_cpu("wan_steer_arrived"))
    expect(ad == {1: hops}, "wan_steer_arrived per CPU %r, expected %d on CPU 1" % (ad, hops))
    not_ours(y, spis)
    on1 = sum(1 for s in spis if slot_cpu(s) == 1)
    print("  %d SPIs: %d on CPU 0, %d on CPU 1; %d packets steered, all delivered in order"
          % (len(spis), len(spis) - on1, on1, hops))
    json.dump({"nb": nb, "spis": spis, "got": res}, open(state, "w"))


def plain(state):
    s = json.load(open(state))
    t = Tunnel(lab.ns["x1"], lab.x1, lab.na)
    y = RawSender(lab.ns["y"])
    t.drain()
    steered0 = per_cpu("wan_steered")
    for spi in s["spis"]:
        got, d = send_spi(y, t, s["nb"], spi)
        for k, dd in d.items():
            expect(dd == {0: PKTS}, "SPI %#x %s per CPU %r without steering" % (spi, k, dd))
        expect(got == s["got"][str(spi)], "SPI %#x: tunnelled differently with steering"
               % spi)
    expect(not delta(steered0, per_cpu("wan_steered")), "wan_steered moved without the flag")
    print("  %d SPIs without steering: all on CPU 0, tunnelled exactly as with it"
          % len(s["spis"]))


if __name__ == "__main__":
    os.sched_setaffinity(0, {0})
    {"steer": steer, "plain": plain}[sys.argv[1]](sys.argv[2])
    print("ok")
