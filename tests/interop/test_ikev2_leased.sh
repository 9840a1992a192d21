#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# IKEv2, strongSwan 5.9.8, two hosts on one Nb with leased IKE ports (rsipc's
# default): each host's charon runs IKE from its own ports and
# UDP-encapsulated ESP on its NAT-T port; both reach Y's inner address. The
# hosts' swanctl.conf is the one docs/examples/rsipc-strongswan.sh writes
# (--peer mode: virtual IPs).
. "$(dirname "$0")/iop.sh"
iop_up v2l
IOP_GENERATED=1
iop_two_hosts bookworm 2 leased
n=$(iop_capture "src host $LAB_NB1 and (src port 500 or src port 4500)")
echo "packets from Nb's 500/4500 seen on Y: $n (the leased ports carry all of IKE and ESP)"
[ "$n" = 0 ] || iop_fail "$n packets from Nb:500/4500: the IKE ports were not leased"
echo "gateway: $(iop_counters)"
echo PASS
