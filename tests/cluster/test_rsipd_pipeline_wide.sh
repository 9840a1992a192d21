#!/usr/bin/env bash
# test-timeout: 240
# Pipelined commits (issue 12; docs/cluster.md, "Pipelined commits") with
# --etcd-inflight: a change of more hosts than the transactions allowed in
# flight carry is still written (250 hosts piled up behind one transaction
# at --etcd-inflight 1); 250 hosts racing for one specific port through
# up to 16 transactions in flight: one grant, one holder in etcd.
# One real rsipd on a real 3-member etcd; rsipd_pipeline_wide.py drives it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/etcd.sh"
etcd_rsipd_up ppw || exit 1

etcd_drive "$here/rsipd_pipeline_wide.py" "$BUILD" "$ETCD_DIR" "$(etcd_client_endpoints)" "/rsip/w$$/"
