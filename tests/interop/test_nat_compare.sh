#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The comparison for README.md: the same two hosts and the same peer Y, with
# N as a plain NAT (nftables masquerade, no rsipd). Measured rows:
#  - strongSwan 5.9.8 IKEv2: works (UDP-encapsulated ESP, as through RSIP);
#  - strongSwan 6.0.1 with raw_esp = yes: works only as UDP-encapsulated ESP
#    (NAT-T detects the NAT), zero protocol-50 packets, where RSIP carries
#    raw ESP (test_rawesp_601.sh).
# It fails if the NAT ever passed raw ESP, or if the NAT-T fallback broke.
. "$(dirname "$0")/iop.sh"
IOP_GATEWAY=nat IOP_IMPL=trixie iop_up nat
row() { echo "ROW nat | $*"; }

# 5.9.8, IKEv2
iop_y_start bookworm 2
for x in x1 x2; do iop_nat_host_start $x bookworm 2; done
for x in x1 x2; do iop_wait_sa $x; done
for x in x1 x2; do
	lost=$(iop_ping $x 10 0.1)
	[ "$lost" = 0 ] || iop_fail "NAT, 5.9.8: $x lost $lost of 10"
done
row "strongSwan 5.9.8 IKEv2, 2 hosts | up, 20/20 pings | ESP in UDP 4500: $(iop_capture 'udp port 4500 and udp[8:4] != 0') packets, raw ESP: $(iop_capture 'ip proto 50')"

# 6.0.1 with raw ESP asked for: restart all three charons.
iop_down_charons
cp "$LAB_DIR/y.pcap" "$LAB_DIR/y-598.pcap"
IOP_NODES=()
iop_y_start trixie 2
for x in x1 x2; do iop_nat_host_start $x trixie 2; done
for x in x1 x2; do iop_wait_sa $x; done
for x in x1 x2; do
	lost=$(iop_ping $x 10 0.1)
	[ "$lost" = 0 ] || iop_fail "NAT, 6.0.1: $x lost $lost of 10"
	iop_swc $x --list-sas --ike "$IOP_HOST_CONN" | grep -q "TUNNEL-in-UDP" ||
		iop_fail "NAT, 6.0.1: $x's CHILD_SA is not UDP-encapsulated"
done
before=$(tcpdump -n -r "$LAB_DIR/y-598.pcap" 'ip proto 50' 2>/dev/null | wc -l)
raw=$(($(iop_capture 'ip proto 50') - before))
[ "$raw" = 0 ] || iop_fail "raw ESP passed the NAT ($raw packets)"
row "strongSwan 6.0.1 IKEv2 raw_esp=yes, 2 hosts | up, 20/20 pings | forced into UDP 4500 (TUNNEL-in-UDP), raw ESP: $raw packets"
grep -h "NAT" "$LAB_DIR"/x1/charon/charon.log | head -n 3
echo PASS
