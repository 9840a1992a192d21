#!/usr/bin/env bash
# A gateway's allocations while etcd does not answer (issue 12 item 6):
# half way through a run, every member is paused (SIGSTOP). A new
# allocation is refused with RSIP 104 and a log line, and takes nothing; a
# release gives back locally and leaves its etcd deletions pending. When the
# members answer again the deletions go through and allocations work with
# no restart; at the end what the gateway holds equals its keys in etcd.
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$here/../../build}
prog=$BUILD/asan/tests/cluster/alloc_gw
[ -x "$prog" ] || { echo "missing $prog (make test-cluster builds it)"; exit 1; }
. "$here/etcd.sh"
etcd_cluster_init out
etcd_cluster_up 3 || exit 1
pids="${ETCD_PIDS[1]},${ETCD_PIDS[2]},${ETCD_PIDS[3]}"
etcd_exec "$prog" gw1 0x10000 33 200 "$ETCD_DIR/gw1.log" outage "$pids" >"$ETCD_DIR/gw1.out" 2>&1
rc=$?
cat "$ETCD_DIR/gw1.out"
[ $rc -eq 0 ] || { echo "FAIL: alloc_gw exit $rc"; exit 1; }
grep -q "allocation refused (RSIP 104), etcd unreachable" "$ETCD_DIR/gw1.out" || {
	echo "FAIL: no log line for the refused allocation"; exit 1; }
echo "PASS: etcd outage: refused with 104, nothing taken, caught up without a restart"
