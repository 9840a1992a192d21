#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Rekeys while traffic flows, IKEv2 on leased IKE ports (strongSwan 5.9.8):
# CHILD_SA and IKE_SA rekeys started by each host and by Y, with pings from
# both hosts counted throughout.
. "$(dirname "$0")/iop.sh"
iop_up rkl
iop_two_hosts bookworm 2 leased
iop_rekey_run "x1 --child net" "y:x2 --child net" "x2 " "y:x1 " "y:x2 " "x1 --child net"
echo "gateway: $(iop_counters)"
echo PASS
