#!/usr/bin/env bash
# rsipd's etcd client over TLS with client certificates against a real
# etcd cluster that requires them: a certificate from the cluster's CA
# works; none, one from another CA, or a member certificate we do not
# trust are refused with a clear error and change nothing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$here/../../build}
check=$BUILD/asan/tests/cluster/etcd_check
[ -x "$check" ] || { echo "missing $check (make test-cluster builds it)"; exit 1; }
. "$here/etcd.sh"
ETCD_TLS=1
etcd_cluster_init tls
etcd_cluster_up 3 || exit 1
etcd_exec "$check" tls || exit 1
echo "PASS: etcd client over TLS"
