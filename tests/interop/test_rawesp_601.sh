#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Raw ESP (IP protocol 50): strongSwan 6.0.1 (kernel-libipsec raw_esp = yes)
# on both hosts and on Y, IKEv2 with mobike = no on the shared port 500.
# Both hosts share Nb; the gateway demultiplexes IKE by cookie and ESP by SPI
# (each host's leased SPI block). No UDP encapsulation anywhere.
. "$(dirname "$0")/iop.sh"
IOP_IMPL=trixie iop_up raw
iop_two_hosts trixie 2 shared
esp=$(iop_capture "ip proto 50")
udpesp=$(iop_capture "udp port 4500")
echo "ROW rsip | strongSwan 6.0.1 IKEv2 raw_esp=yes, 2 hosts on one Nb | up, 20/20 pings | raw ESP: $esp packets, UDP 4500: $udpesp"
[ "$esp" -ge 40 ] || iop_fail "expected >= 40 raw ESP packets, saw $esp"
[ "$udpesp" = 0 ] || iop_fail "UDP 4500 traffic seen: $udpesp packets"
c=$(iop_counters)
echo "gateway: $c"
echo "$c" | grep -q "wan_tx_esp=" || iop_fail "the gateway forwarded no ESP by SPI"
echo PASS
