# SPDX-License-Identifier: BSD-2-Clause
"""The restart's batch path against the real maps (run by
test_xdp_restore_batch.sh, which restores a store of 900 hosts):

  check     the maps hold exactly what rsipctl says rsipd holds: one
            rsip_clients entry per client, one port entry per leased port
            (rsip_port_dir, by index: docs/dataplane.md; none left in the
            rsip_ports hash), and a sample of them carries the right client,
            binding and Client ID
  poke      while rsipd is down (the bindings check saw): counters are written into a
            binding's rsip_bind_stats slot (every CPU), a time stamp into its
            port entry, counters into its client's own slot, another binding's port entry is
            deleted, a stale port entry no lease claims is added
  after     after the next start: the counters are still there (the entries
            were compared, not rewritten), the deleted entry is back, the
            stale one is gone
"""

import json
import os
import random
import socket
import struct
import sys

from nslib import Lab, bpftool, ctl, expect

lab = Lab()
DIR = os.environ["LAB_DIR"]
DIR_T = 8  # struct rsip_dir_val: nb, id, then the struct rsip_target
SLOT_AT = DIR_T + 28  # struct rsip_target.stat_slot, the end of its configuration part
CFG_END = DIR_T + 32
SEEN_AT = DIR_T + 32  # struct rsip_target.seen: jiffies, sec (ns >> 30), the programs'
CLIENT_SLOT_AT = 24  # struct rsip_client.stat_slot: its packets and bytes out


def raw(name):
    """{key bytes: value bytes} of a pinned map."""
    out = {}
    for e in bpftool("map", "dump", "pinned", os.path.join(lab.pin, name)):
        out[bytes(int(b, 16) for b in e["key"])] = bytes(int(b, 16) for b in e["value"])
    return out


def update(name, key, value):
    bpftool("map", "update", "pinned", os.path.join(lab.pin, name),
            "key", "hex", *["%02x" % b for b in key],
            "value", "hex", *["%02x" % b for b in value])


def bind_stats(slot):
    """rsip_bind_stats[slot] summed over the CPUs: (packets, bytes, CPUs)."""
    e = bpftool("map", "lookup", "pinned", os.path.join(lab.pin, "rsip_bind_stats"),
                "key", *[str(b) for b in struct.pack("=I", slot)])
    vals = [bytes(int(b, 16) for b in c["value"]) for c in e["values"]]
    return (sum(struct.unpack_from("=Q", v, 0)[0] for v in vals),
            sum(struct.unpack_from("=Q", v, 8)[0] for v in vals), len(vals))


def port_key(nb, port):
    """How the tests name a port entry: (Nb, port) as the rsip_ports key."""
    return socket.inet_aton(nb) + struct.pack("!H", port) + b"\0\0"


def port_dir():
    """{port_key: (rsip_port_dir key bytes, value bytes)} of the used slots
    (an array: empty slots have Nb 0)."""
    out = {}
    for k, v in raw("rsip_port_dir").items():
        nb, port = struct.unpack_from("=4sI", v)
        if nb != b"\0\0\0\0":
            out[port_key(socket.inet_ntoa(nb), port)] = (k, v)
    return out


def dir_index(key):
    """The rsip_port_dir key of (Nb, port): the Nb's partition is the slot of
    any used entry of that Nb (key bytes: host-order slot << 16 | port)."""
    nb, port = key[:4], struct.unpack("!H", key[4:6])[0]
    for k, v in raw_dir_cache.items():
        if v[:4] == nb:
            return struct.pack("=I", (struct.unpack("=I", k)[0] & ~0xffff) | port)
    raise AssertionError("no rsip_port_dir partition for %s" % socket.inet_ntoa(nb))


raw_dir_cache = {}


def ports(b):
    """rsipctl prints a binding's ports as runs: "1024,2000-2003"."""
    out = []
    for run in filter(None, b["ports"].split(",")):
        lo, _, hi = run.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def save(obj):
    with open(os.path.join(DIR, "poke.json"), "w") as f:
        json.dump(obj, f)


def load():
    with open(os.path.join(DIR, "poke.json")) as f:
        return json.load(f)


def check():
    clients = ctl(lab, "clients")
    binds = ctl(lab, "bindings")
    cmap = raw("rsip_clients")
    pmap = {k: v[DIR_T:] for k, (_, v) in port_dir().items()}
    nports = sum(len(ports(b)) for b in binds)
    print("rsipd: %d clients, %d bindings, %d ports; maps: %d rsip_clients, %d rsip_port_dir" %
          (len(clients), len(binds), nports, len(cmap), len(pmap)))
    expect(len(clients) >= 900 and len(binds) >= 900, "the store restored")
    expect(len(cmap) == len(clients), "one rsip_clients entry per client")
    expect(len(pmap) == nports, "one rsip_port_dir entry per leased port")
    expect(not raw("rsip_ports"), "no port left in the rsip_ports hash")
    rnd = random.Random(8)
    for b in rnd.sample(binds, 50):
        for p in ports(b):
            v = pmap.get(port_key(b["nb"], p))
            expect(v is not None,
                   "binding %d: port %s:%d in rsip_port_dir" % (b["bind_id"], b["nb"], p))
            xa, bind_id = struct.unpack("=4sI", v[:8])
            expect(socket.inet_ntoa(xa) == b["client"] and bind_id == b["bind_id"],
                   "binding %d: its port entry names %s, binding %d" %
                   (b["bind_id"], socket.inet_ntoa(xa), bind_id))
    for c in rnd.sample(clients, 50):
        v = cmap.get(socket.inet_aton(c["address"]))
        expect(v is not None and struct.unpack("=I", v[:4])[0] == c["client_id"],
               "client %d (%s) in rsip_clients" % (c["client_id"], c["address"]))
    print("sampled 50 bindings and 50 clients: right")
    with open(os.path.join(DIR, "bindings.json"), "w") as f:
        json.dump(binds, f)  # for poke, while rsipd is down


def poke():
    with open(os.path.join(DIR, "bindings.json")) as f:
        binds = sorted(json.load(f), key=lambda b: b["bind_id"])
    keep, gone = binds[10], binds[20]
    pmap = port_dir()
    raw_dir_cache.update(dict(pmap.values()))
    k = port_key(keep["nb"], ports(keep)[0])
    v = bytearray(pmap[k][1])
    struct.pack_into("=II", v, SEEN_AT, 4242, 5)
    update("rsip_port_dir", pmap[k][0], v)
    slot = struct.unpack_from("=I", v, SLOT_AT)[0]
    expect(slot != 0, "binding %d has a counter slot" % keep["bind_id"])
    # bpftool writes a per-CPU value to every CPU
    update("rsip_bind_stats", struct.pack("=I", slot), struct.pack("=QQ", 12345, 678900))
    cv = raw("rsip_clients")[socket.inet_aton(keep["client"])]
    cslot = struct.unpack_from("=I", cv, CLIENT_SLOT_AT)[0]
    expect(cslot not in (0, slot), "client %s has a counter slot of its own" % keep["client"])
    update("rsip_bind_stats", struct.pack("=I", cslot), struct.pack("=QQ", 4321, 98765))
    gk = port_key(gone["nb"], ports(gone)[0])
    update("rsip_port_dir", pmap[gk][0], bytes(len(pmap[gk][1])))  # an array: emptied
    stale = port_key(lab.nb1, 65000)
    expect(stale not in pmap, "port 65000 is not leased")
    sv = bytearray(pmap[k][1])
    sv[:8] = socket.inet_aton(lab.nb1) + struct.pack("=I", 65000)
    update("rsip_port_dir", dir_index(stale), sv)
    save({"keep": keep, "gone": gone, "cfg": pmap[k][1][:CFG_END].hex(), "slot": slot,
          "cslot": cslot})
    print("poked: counters on binding %d, binding %d's port entry deleted, a stale entry added"
          % (keep["bind_id"], gone["bind_id"]))


def after():
    p = load()
    keep, gone = p["keep"], p["gone"]
    pmap = {k: v for k, (_, v) in port_dir().items()}
    v = pmap.get(port_key(keep["nb"], ports(keep)[0]))
    expect(v is not None, "binding %d's port entry is there" % keep["bind_id"])
    expect(v[:CFG_END].hex() == p["cfg"], "its configuration (and counter slot) is unchanged")
    seen = struct.unpack_from("=II", v, SEEN_AT)
    expect(seen == (4242, 5), "its time stamp survived: %r" % (seen,))
    pkts, nbytes, ncpus = bind_stats(p["slot"])
    expect((pkts, nbytes) == (12345 * ncpus, 678900 * ncpus),
           "its counters survived the restart (%d packets, %d bytes)" % (pkts, nbytes))
    shown = [b for b in ctl(lab, "bindings") if b["bind_id"] == keep["bind_id"]]
    expect(shown and (shown[0]["pkts_in"], shown[0]["bytes_in"]) == (pkts, nbytes),
           "rsipctl bindings sums them over the %d CPUs: %r" % (ncpus, shown))
    cv = raw("rsip_clients")[socket.inet_aton(keep["client"])]
    cslot = struct.unpack_from("=I", cv, CLIENT_SLOT_AT)[0]
    expect(cslot == p["cslot"], "the client kept its counter slot (%d, was %d)"
           % (cslot, p["cslot"]))
    pkts, nbytes, ncpus = bind_stats(cslot)
    expect((pkts, nbytes) == (4321 * ncpus, 98765 * ncpus),
           "the client's counters out survived (%d packets, %d bytes)" % (pkts, nbytes))
    expect(shown and (shown[0]["pkts_out"], shown[0]["bytes_out"]) == (pkts, nbytes),
           "rsipctl bindings shows them summed: %r" % (shown,))
    g = pmap.get(port_key(gone["nb"], ports(gone)[0]))
    expect(g is not None and struct.unpack("=I", g[DIR_T + 4:DIR_T + 8])[0] == gone["bind_id"],
           "binding %d's deleted port entry was written again" % gone["bind_id"])
    expect(port_key(lab.nb1, 65000) not in pmap, "the stale entry was deleted")
    print("after the restart: counters kept, missing entry written, stale entry deleted")


if __name__ == "__main__":
    {"check": check, "poke": poke, "after": after}[sys.argv[1]]()
