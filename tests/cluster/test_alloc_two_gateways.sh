#!/usr/bin/env bash
# Allocation unique across gateways (issue 12 item 2): two gateways'
# allocators (tests/cluster/alloc_gw.c, user/rsipd/cluster/claims.c) run at
# the same time against one 3-member etcd over a small pool, many rounds
# each, and check_overlap.py verifies from their logs (etcd revisions) that
# no port, SPI, SPI block or whole address was ever held by both at once.
# The same run without the claims layer must show overlaps (the checker can
# fail).
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$here/../../build}
prog=$BUILD/asan/tests/cluster/alloc_gw
[ -x "$prog" ] || { echo "missing $prog (make test-cluster builds it)"; exit 1; }
. "$here/etcd.sh"
etcd_cluster_init alc
etcd_cluster_up 3 || exit 1
ROUNDS=${ALLOC_ROUNDS:-1000}
d=$ETCD_DIR

run_pair() { # mode
	local p1 p2 rc=0
	etcd_exec "$prog" gw1 0x10000 11 "$ROUNDS" "$d/gw1.$1.log" $1 >"$d/gw1.$1.out" 2>&1 &
	p1=$!
	etcd_exec "$prog" gw2 0x20000 22 "$ROUNDS" "$d/gw2.$1.log" $1 >"$d/gw2.$1.out" 2>&1 &
	p2=$!
	wait "$p1" || rc=1
	wait "$p2" || rc=1
	cat "$d/gw1.$1.out" "$d/gw2.$1.out"
	return $rc
}

echo "== two gateways, claims in etcd, $ROUNDS rounds each"
run_pair checked || { echo "FAIL: a gateway reported an error"; exit 1; }
python3 "$here/check_overlap.py" 16 "$d/gw1.checked.log" "$d/gw2.checked.log" || {
	echo "FAIL: overlapping allocations"; exit 1; }
grep -q " [1-9][0-9]* conflicts" "$d/gw1.checked.out" "$d/gw2.checked.out" || {
	echo "FAIL: no conflict in etcd at all: the gateways never competed"; exit 1; }

echo "== control: the same without the claims layer"
etcd_ctl del --prefix /rsip/test-alloc/ >/dev/null
run_pair unchecked || { echo "FAIL: control run"; exit 1; }
python3 "$here/check_overlap.py" --expect-overlap 16 "$d/gw1.unchecked.log" \
	"$d/gw2.unchecked.log" || { echo "FAIL: the checker found nothing in the control"; exit 1; }
echo "PASS: no overlap across gateways with claims; the control overlaps"
