#!/usr/bin/env bash
# test-timeout: 180
# A gateway whose mirror could not apply every host record in etcd (another
# --port-range than the active's) never takes the fence, whatever its role
# file says, and takes it once nothing is left unapplied (issue 12; docs/
# cluster.md, "The fence"). Two real rsipd against a real 3-member etcd;
# rsipd_unapplied.py drives it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$here/../../build}
BUILD=$(cd "$BUILD" && pwd)
[ -x "$BUILD/asan/rsipd" ] || { echo "missing $BUILD/asan/rsipd (make)"; exit 1; }
. "$here/etcd.sh"
etcd_cluster_init unc
etcd_cluster_up 3 || exit 1

etcd_drive "$here/rsipd_unapplied.py" "$BUILD" "$ETCD_DIR" "$(etcd_client_endpoints)" "/rsip/u$$/"
