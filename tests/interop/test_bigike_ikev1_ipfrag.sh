#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Big IKE messages, IKEv1 Main Mode (strongSwan 5.9.8) on the shared
# 500/4500 with IKE fragmentation off: the certificate chain (root -> 3
# intermediates -> host, RSA 3072) makes messages 5 and 6 about 5 KB, sent as
# IP fragments both ways, so the gateway's slow path reassembles them (WAN)
# and the host's tunnel packets (LAN). The host's rsipc runs its default
# data path (TC-BPF): the gateway sends these 1.6 KB tunnel packets as outer
# IP fragments, which the TC program passes to the host's kernel; rsipc's
# raw socket gets them reassembled and hands the inner packet on
# (docs/client.md, "Outer fragments"); the test checks that path was taken.
. "$(dirname "$0")/iop.sh"
iop_up bv1
iop_certs
IOP_HOST_CONN_EXTRA="fragmentation = no"
IOP_Y_CONN_EXTRA="fragmentation = no"
iop_two_hosts bookworm 1 shared
n=$(iop_capture "ip[6:2] & 0x3fff != 0")
echo "capture on Y: $n IP fragments"
[ "$n" -ge 8 ] || iop_fail "expected >= 8 IP fragments, saw $n"
c=$(iop_counters)
echo "gateway: $c"
echo "$c" | grep -q "slow_wan_tx_ike=" || iop_fail "no IKE message went through the slow path's reassembly"
for x in x1 x2; do
	st=$(lab_exec $x "$IOP_RSIPC" --state-dir "$LAB_DIR/$x/state" --json status) ||
		iop_fail "$x: rsipc status"
	got=$(echo "$st" | python3 -c 'import json,sys; d=json.load(sys.stdin); c=d["counters"]; print(d["datapath"], c["bpf"]["pass_fragment"], c["rx_packets"])')
	read -r dp frags rx <<<"$got"
	echo "$x: data path $dp, $frags outer fragments passed by TC, $rx reassembled tunnel packets through the raw socket"
	[ "$dp" = bpf ] || iop_fail "$x: rsipc runs the $dp data path, want bpf"
	[ "$frags" -gt 0 ] && [ "$rx" -gt 0 ] || iop_fail "$x: the big IKE messages did not come as outer fragments through the raw socket"
done
echo PASS
