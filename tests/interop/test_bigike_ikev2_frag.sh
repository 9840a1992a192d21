#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Big IKE messages, IKEv2 (strongSwan 5.9.8) on the shared 500/4500:
# certificate authentication with a chain root -> 3 intermediates -> host
# (RSA 3072, made now), so IKE_AUTH is about 5 KB and charon splits it with
# IKEv2 fragmentation (RFC 7383) in both directions.
. "$(dirname "$0")/iop.sh"
iop_up bv2
iop_certs
IOP_HOST_CONN_EXTRA="fragmentation = yes"
IOP_Y_CONN_EXTRA="fragmentation = yes"
iop_two_hosts bookworm 2 shared
n=$(tshark -r "$LAB_DIR/y.pcap" -Y "isakmp.nextpayload == 53" -T fields -e frame.number 2>/dev/null | wc -l)
echo "capture on Y: $n IKEv2 fragments (SKF payloads)"
[ "$n" -ge 8 ] || iop_fail "expected >= 8 IKEv2 fragments, saw $n"
echo "gateway: $(iop_counters)"
echo PASS
