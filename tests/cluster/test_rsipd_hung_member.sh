#!/usr/bin/env bash
# test-timeout: 240
# A hung etcd member (SIGSTOP: its kernel keeps the connections open) does
# not stall a gateway: every request has a deadline, past it the next
# member is tried; a silent watch's member is probed and the watch resumes
# elsewhere (issue 12; docs/cluster.md, "A hung member"). One real rsipd on
# a real 3-member etcd; rsipd_hung.py drives it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/etcd.sh"
etcd_rsipd_up hng || exit 1

etcd_drive "$here/rsipd_hung.py" "$BUILD" "$ETCD_DIR" "$(etcd_client_endpoints)" "/rsip/h$$/"
