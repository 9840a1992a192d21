#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# AH (protocol 51) end to end: X1 on leased IKE ports and Y ask for an AH
# CHILD_SA (ah_proposals = sha256), then pings through it, counted on Y's
# wire as AH. This machine's kernel has no AH/ESP modules, so both charons
# use kernel-libipsec, which implements ESP only: when charon cannot
# install the AH SA and says so in its log, the test prints "n/a: " with
# what it found and exits 78 (visible in the matrix, never silent). Any
# other failure is a failure; an AH SA that installs must carry the pings.
. "$(dirname "$0")/iop.sh"
iop_up ah
IOP_CHILD_PROPOSALS="ah_proposals = sha256"
iop_y_start bookworm 2
iop_host_start x1 bookworm 2 leased
end=$((SECONDS + 40))
until iop_sa_installed x1; do
	if [ $SECONDS -ge $end ] || ! kill -0 "${IOP_RSIPC_PID[x1]}" 2>/dev/null; then
		break
	fi
	# kernel-libipsec refuses the SA it cannot build (ipsec_sa.c).
	grep -q "IPsec SA: protocol not supported" "$LAB_DIR"/{x1,y}/charon/charon.log 2>/dev/null && break
	sleep 0.2
done
if iop_sa_installed x1; then
	lost=$(iop_ping x1 10 0.1)
	[ "$lost" = 0 ] || iop_fail "x1: $lost of 10 pings lost through the AH CHILD_SA"
	n=$(iop_capture "ip proto 51")
	[ "$n" -ge 20 ] || iop_fail "only $n AH packets on Y's wire for 10 pings"
	echo "ok: x1: 10/10 pings through an AH CHILD_SA, $n AH packets on Y's wire"
	echo PASS
	exit 0
fi
# Not installed: n/a only when the AH proposal was agreed through the
# gateway and libipsec refused the SA for its protocol.
refused=$(grep -l "IPsec SA: protocol not supported" "$LAB_DIR"/{x1,y}/charon/charon.log 2>/dev/null |
	sed "s|$LAB_DIR/\([a-z0-9]*\)/.*|\1|" | tr '\n' ' ')
agreed=$(grep -c "selected proposal: AH:" "$LAB_DIR/y/charon/charon.log" 2>/dev/null)
if [ -n "$refused" ] && [ "${agreed:-0}" -ge 1 ]; then
	kern="kernel without ah4 (modprobe -n ah4)"
	{ [ -d /sys/module/ah4 ] || modprobe -n -q ah4 2>/dev/null; } &&
		kern="kernel with ah4, unused: the lab has no ESP module, so kernel-libipsec"
	echo "n/a: checked an AH CHILD_SA through the gateway (Y selected AH:HMAC_SHA2_256_128):" \
		"kernel-libipsec refused it ('IPsec SA: protocol not supported', ${refused% }); $kern"
	echo "AH by SPI is covered by the BPF fixtures (test_wan, test_lan ah_out)."
	exit 78
fi
iop_fail "no AH CHILD_SA, and not for lack of AH in kernel-libipsec"
