#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Rekeys while traffic flows, IKEv2 on the shared 500/4500 (strongSwan
# 5.9.8): CHILD_SA rekeys started by each side and IKE_SA rekeys started by
# the hosts (the host's first message with the new IKE SPI teaches the
# gateway the new cookie; when Y speaks first on the new IKE SA, as in the
# last action, rsipd's fan-out finds the host). IKE_SA rekeys started by Y
# are test_peer_rekey_shared.sh.
. "$(dirname "$0")/iop.sh"
iop_up rks
iop_two_hosts bookworm 2 shared
iop_rekey_run "x1 --child net" "y:x2 --child net" "x2 " "x1 " "y:x1 --child net"
echo "gateway: $(iop_counters)"
echo PASS
