#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# IKEv2, strongSwan 5.9.8, two hosts on one Nb with leased IKE ports (rsipc
# up --ike-port): each host's charon runs IKE from its own ports and
# UDP-encapsulated ESP on its NAT-T port; both reach Y's inner address.
. "$(dirname "$0")/iop.sh"
iop_up v2l
iop_y_start bookworm 2
for x in x1 x2; do iop_host_start $x bookworm 2 leased; done
for x in x1 x2; do iop_wait_sa $x; done
for x in x1 x2; do
	lost=$(iop_ping $x 10 0.1)
	[ "$lost" = 0 ] || iop_fail "$x: $lost of 10 pings lost"
	echo "ok: $x: 10/10 pings to $IOP_Y_INNER through its CHILD_SA"
done
echo "gateway: $(iop_counters)"
echo PASS
