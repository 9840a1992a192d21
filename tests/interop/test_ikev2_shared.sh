#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# IKEv2, strongSwan 5.9.8, two hosts on one Nb, both on the shared ports
# 500/4500 (no --ike-port): the gateway tells them apart by IKE SPI (cookie,
# RFC 3104 6.1) and UDP-encapsulated ESP by SPI.
. "$(dirname "$0")/iop.sh"
iop_up v2s
iop_two_hosts bookworm 2 shared
echo "ROW rsip | strongSwan 5.9.8 IKEv2, 2 hosts on one Nb, shared 500/4500 | up, 20/20 pings | ESP in UDP 4500: $(iop_capture 'udp port 4500 and udp[8:4] != 0') packets"
c=$(iop_counters)
echo "gateway: $c"
echo "$c" | grep -q "lan_learn_cookie=" || iop_fail "no IKE cookie learned"
echo PASS
