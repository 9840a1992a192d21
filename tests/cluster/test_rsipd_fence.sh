#!/usr/bin/env bash
# test-timeout: 240
# The fence of a gateway cluster (issue 12; docs/cluster.md, "The fence"):
# two real rsipd against a real 3-member etcd, both told they are active
# (split brain) while hosts register and assign at both: no (Nb, port),
# (Nb, SPI) or Client ID lent twice, every grant in etcd, both gateways'
# bindings equal to etcd's; the last MASTER takes the fence; a demoted
# gateway's write is refused by etcd and logged. rsipd_fence.py drives it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/etcd.sh"
etcd_rsipd_up fnc || exit 1

etcd_drive "$here/rsipd_fence.py" "$BUILD" "$ETCD_DIR" "$(etcd_client_endpoints)" "/rsip/f$$/"
