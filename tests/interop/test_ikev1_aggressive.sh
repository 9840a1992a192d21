#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# IKEv1 Aggressive Mode (PSK), strongSwan 5.9.8, two hosts on one Nb with
# leased IKE ports. Y allows Aggressive Mode with PSK (off by default).
. "$(dirname "$0")/iop.sh"
iop_up v1a
IOP_Y_EXTRA="i_dont_care_about_security_and_use_aggressive_mode_psk = yes"
IOP_Y_CONN_EXTRA="aggressive = yes"
iop_two_hosts bookworm 1 leased aggressive
grep -q "Aggressive Mode" "$LAB_DIR/y/charon/charon.log" ||
	grep -qi "aggressive" "$LAB_DIR/y/charon/charon.log" || iop_fail "Y's log shows no Aggressive Mode"
echo "gateway: $(iop_counters)"
echo PASS
