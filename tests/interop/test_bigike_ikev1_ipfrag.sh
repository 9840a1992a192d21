#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Big IKE messages, IKEv1 Main Mode (strongSwan 5.9.8) on the shared
# 500/4500 with IKE fragmentation off: the certificate chain (root -> 3
# intermediates -> host, RSA 3072) makes messages 5 and 6 about 5 KB, sent as
# IP fragments both ways, so the gateway's slow path reassembles them (WAN)
# and the host's tunnel packets (LAN).
. "$(dirname "$0")/iop.sh"
iop_up bv1
iop_certs
IOP_HOST_CONN_EXTRA="fragmentation = no"
IOP_Y_CONN_EXTRA="fragmentation = no"
# The userspace pump: the gateway's slow path sends these 1.6 KB tunnel
# packets as outer IP fragments, which the host's kernel reassembles; the
# TC-BPF data path passes outer fragments to the kernel, which has no IP-IP
# handler here, so only the pump's raw socket receives them (docs/client.md,
# known limit of the BPF data path).
IOP_DATAPATH=pump
iop_two_hosts bookworm 1 shared
n=$(iop_capture "ip[6:2] & 0x3fff != 0")
echo "capture on Y: $n IP fragments"
[ "$n" -ge 8 ] || iop_fail "expected >= 8 IP fragments, saw $n"
c=$(iop_counters)
echo "gateway: $c"
echo "$c" | grep -q "slow_wan_tx_ike=" || iop_fail "no IKE message went through the slow path's reassembly"
echo PASS
