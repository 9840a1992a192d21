#!/usr/bin/env bash
# rsipd's etcd client (user/rsipd/store/etcd_*.c) against a real 3-member
# etcd cluster: KV, paged ranges, txn compare-and-swap, leases and errors;
# then the watch (full read, events), a silent member (a txn's outcome
# unknown, failover), history compacted behind a lost watch (ErrCompacted ->
# full read) and the watch's member killed (the stream resumes elsewhere).
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$here/../../build}
check=$BUILD/asan/tests/cluster/etcd_check
[ -x "$check" ] || { echo "missing $check (make test-cluster builds it)"; exit 1; }
. "$here/etcd.sh"
etcd_cluster_init cli
etcd_cluster_up 3 || exit 1

etcd_exec "$check" kv || exit 1
# The same from another namespace (a gateway's), through etcd_cluster_attach.
client_ns=$ETCD_ID-gw
ip netns add "$client_ns" || exit 1
trap "ip netns del $client_ns 2>/dev/null; etcd_cluster_down" EXIT
etcd_cluster_attach "$client_ns" || exit 1
ip netns exec "$client_ns" env ETCD_ENDPOINTS="$ETCD_ENDPOINTS_NET" "$check" kv || exit 1
etcd_exec "$check" watch "${ETCD_PIDS[1]}" || exit 1
# m1 was killed by the check: the other two still hold the quorum, and m1
# comes back with its data directory.
ETCD_PIDS[1]=
etcd_member_start 1 && etcd_wait_healthy 1 30 || exit 1
etcd_ctl endpoint health 2>&1 | sed 's/^/  /'
echo "PASS: etcd client against 3 members"
