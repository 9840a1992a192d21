#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# IKEv1 (Main Mode, strongSwan 5.9.8) on leased IKE ports while traffic
# flows: Quick Mode rekeys by each side, then re-authentications started by
# Y (a new Main Mode from Y to the host's leased NAT-T port) for both hosts.
. "$(dirname "$0")/iop.sh"
iop_up rv1
# Static inner addresses: Y re-authenticates actively only without virtual IPs.
IOP_INNER=static
iop_two_hosts bookworm 1 leased
iop_rekey_run "x1 --child net" "y:x2 --child net" "y:x1 --reauth" "y:x2 --reauth"
# A re-authentication started by Y is a new Main Mode with Y as initiator:
# each host now holds an IKE_SA in which it is the responder ("_r*").
for x in x1 x2; do
	iop_swc $x --list-sas --ike "$IOP_HOST_CONN" | grep -q "ESTABLISHED, IKEv1, [0-9a-f]*_i [0-9a-f]*_r\*" ||
		iop_fail "$x: no IKE_SA that Y initiated"
	echo "ok: $x: $(iop_swc $x --list-sas --ike "$IOP_HOST_CONN" | grep -c ESTABLISHED) IKE_SA(s), one started by Y"
done
echo "gateway: $(iop_counters)"
echo PASS
