#!/usr/bin/env bash
# test-timeout: 240
# Pipelined commits (issue 12; docs/cluster.md, "Pipelined commits"):
# several etcd transactions in flight while the loop reads new requests,
# and still no reply before its transaction has committed - every member
# stopped mid-flood: no grant reaches a host until they run again; then
# every request is answered and every binding a host holds is in etcd.
# One real rsipd on a real 3-member etcd; rsipd_pipeline.py drives it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/etcd.sh"
etcd_rsipd_up ppl || exit 1

etcd_drive "$here/rsipd_pipeline.py" "$BUILD" "$ETCD_DIR" "$(etcd_client_endpoints)" "/rsip/p$$/"
