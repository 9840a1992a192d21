#!/usr/bin/env bash
# test-timeout: 180
# A gateway whose mirror could not apply every host record in etcd (another
# --port-range than the active's) never takes the fence, whatever its role
# file says, and takes it once nothing is left unapplied (issue 12; docs/
# cluster.md, "The fence"). Two real rsipd against a real 3-member etcd;
# rsipd_unapplied.py drives it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/etcd.sh"
etcd_rsipd_up unc || exit 1

etcd_drive "$here/rsipd_unapplied.py" "$BUILD" "$ETCD_DIR" "$(etcd_client_endpoints)" "/rsip/u$$/"
