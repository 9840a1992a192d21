#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# test-timeout: 300
# IKEv1 (Main Mode, strongSwan 5.9.8) on the shared 500/4500 while traffic
# flows: Y re-authenticates (a new Main Mode from Y, Y's new initiator
# cookie) twice, and starts a Quick Mode rekey in between. One host talks
# IKE with Y on Nb, so the WAN program sends Y's new Main Mode to that host
# by Y's peer entry, and learns the cookie from the host's answer. With two
# hosts talking IKEv1 to Y on one Nb this stays impossible (Main Mode 1-4
# are unprotected: nothing tells the hosts apart; docs/interop.md), and is
# checked here too: Y's Main Mode is dropped as ambiguous, never misrouted.
. "$(dirname "$0")/iop.sh"
iop_up prv1
# Static inner addresses: Y re-authenticates actively only without virtual IPs.
IOP_INNER=static
iop_y_start bookworm 1
iop_host_start x1 bookworm 1 shared
iop_wait_sa x1
lost=$(iop_ping x1 10 0.1)
[ "$lost" = 0 ] || iop_fail "x1: $lost of 10 pings lost"
IOP_HOSTS=x1 iop_rekey_run "y:x1 --reauth" "y:x1 --child net" "y:x1 --reauth"
iop_swc x1 --list-sas --ike "$IOP_HOST_CONN" | grep -q "ESTABLISHED, IKEv1, [0-9a-f]*_i [0-9a-f]*_r\*" ||
	iop_fail "x1: no IKE_SA that Y initiated"
c=$(iop_counters)
echo "gateway: $c"
case " $c " in *" wan_tx_ike_peer="*) ;; *) iop_fail "Y's Main Mode did not go by its peer entry" ;; esac
case " $c " in *" wan_drop_no_cookie="*) iop_fail "IKE dropped for an unknown cookie" ;; esac
echo "ok: x1: Y's re-authentications on the shared ports kept the SA (one host)"

# A second host talking IKEv1 to Y on the same Nb: Y's next new Main Mode
# has two candidates and is unprotected: dropped and counted, not guessed.
iop_host_start x2 bookworm 1 shared
iop_wait_sa x2
id=$(iop_y_ike_id x1)
[ -n "$id" ] || iop_fail "Y has no IKE_SA with x1"
iop_swc y --rekey --ike-id "$id" --reauth >"$LAB_DIR/reauth2.out" 2>&1 || true
c=$(iop_counters)
echo "gateway: $c"
case " $c " in *" wan_drop_ike_ambiguous="*) ;; *) iop_fail "Y's Main Mode with two candidates was not dropped as ambiguous" ;; esac
echo "ok: two candidates: Y's new Main Mode dropped as ambiguous ($(tail -n1 "$LAB_DIR/reauth2.out"))"
echo PASS
