#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# IKEv2, strongSwan 5.9.8, two hosts on one Nb with leased IKE ports (rsipc
# up --ike-port): each host's charon runs IKE from its own ports and
# UDP-encapsulated ESP on its NAT-T port; both reach Y's inner address.
. "$(dirname "$0")/iop.sh"
iop_up v2l
iop_two_hosts bookworm 2 leased
n=$(iop_capture "udp and (port 500 or port 4500) and host $LAB_NB1 and not port 1")
echo "IKE/ESP on Nb's 500/4500 seen on Y: $n (the leased ports carry it all)"
echo "gateway: $(iop_counters)"
echo PASS
