#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Raw ESP with IKEv1 Main Mode: strongSwan 6.0.1 everywhere, two hosts on one
# Nb with leased IKE ports (IKE from the leased port to Y:500, all of it).
. "$(dirname "$0")/iop.sh"
IOP_IMPL=trixie iop_up r1l
iop_two_hosts trixie 1 leased
esp=$(iop_capture "ip proto 50")
udpesp=$(iop_capture "udp port 4500")
echo "capture on Y: raw ESP packets $esp, UDP 4500 packets $udpesp"
[ "$esp" -ge 40 ] || iop_fail "expected >= 40 raw ESP packets, saw $esp"
[ "$udpesp" = 0 ] || iop_fail "UDP 4500 traffic seen: $udpesp packets"
echo "gateway: $(iop_counters)"
echo PASS
