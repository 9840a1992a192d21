#!/usr/bin/env python3
"""Overlap check for tests/cluster/test_alloc_two_gateways.sh.

Reads the logs of alloc_gw (lines "G|R REV KIND NB VALUE OWNER", REV the
etcd revision of the claim or of the release) of several gateways, turns
each resource a gateway held into revision intervals [grant, release), and
reports every pair of intervals of DIFFERENT gateways that overlap and
exclude each other:
  - the same port, SPI, SPI block or whole address;
  - an SPI inside another gateway's owner's block;
  - a whole address and any port, SPI or block on it.
etcd revisions order every claim and release of the cluster, so overlapping
intervals mean two gateways lent the same thing at the same time.

  check_overlap.py [--expect-overlap] BLOCK_SIZE LOG...
Exit 0 when no overlap (or, with --expect-overlap, when one is found).
"""
import sys
from collections import defaultdict

INF = float("inf")


def intervals(path, gw):
    open_ = {}
    out = []
    with open(path) as f:
        for line in f:
            what, rev, kind, nb, value, owner = line.split()
            key = (kind, nb, int(value))
            rev = int(rev)
            if what == "G":
                if key not in open_:  # a reused block stays open
                    open_[key] = (rev, int(owner))
            elif key in open_:
                start, own = open_.pop(key)
                out.append((key, start, rev, own, gw))
    for key, (start, own) in open_.items():
        out.append((key, start, INF, own, gw))
    return out


def main():
    args = sys.argv[1:]
    expect = args and args[0] == "--expect-overlap"
    if expect:
        args = args[1:]
    bsize = int(args[0])
    all_iv = []
    for i, p in enumerate(args[1:]):
        all_iv += intervals(p, i)
    # Index by (nb) and exact key; compare every interval with the ones that
    # can exclude it.
    by_key = defaultdict(list)
    by_nb = defaultdict(list)
    for iv in all_iv:
        by_key[iv[0]].append(iv)
        by_nb[iv[0][1]].append(iv)

    def overlap(a, b):
        return a[4] != b[4] and a[1] < b[2] and b[1] < a[2]

    bad = []
    for key, ivs in by_key.items():
        ivs.sort(key=lambda x: x[1])
        for i, a in enumerate(ivs):
            for b in ivs[i + 1:]:
                if b[1] >= a[2]:
                    break
                if overlap(a, b):
                    bad.append((a, b))
    for nb, ivs in by_nb.items():
        blocks = defaultdict(list)
        for iv in ivs:
            if iv[0][0] == "blk":
                blocks[iv[0][2]].append(iv)
        addrs = [iv for iv in ivs if iv[0][0] == "addr"]
        for iv in ivs:
            kind, _, value = iv[0]
            if kind == "spi":
                for b in blocks.get(value // bsize, []):
                    if b[3] != iv[3] and overlap(iv, b):
                        bad.append((iv, b))
            if kind != "addr":
                for w in addrs:
                    if overlap(iv, w):
                        bad.append((iv, w))
    grants = len(all_iv)
    per_kind = defaultdict(int)
    for iv in all_iv:
        per_kind[iv[0][0]] += 1
    print("overlap check: %d resource intervals (%s) from %d gateways, %d overlaps"
          % (grants, ", ".join("%s %d" % kv for kv in sorted(per_kind.items())),
             len(args) - 1, len(bad)))
    for a, b in bad[:5]:
        print("  overlap: gw%d %s %s %d [%s, %s) and gw%d %s %s %d [%s, %s)" % (
            a[4], a[0][0], a[0][1], a[0][2], a[1], a[2], b[4], b[0][0], b[0][1], b[0][2],
            b[1], b[2]))
    if grants == 0:
        print("no grants at all: the run did nothing")
        return 1
    if expect:
        return 0 if bad else 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
