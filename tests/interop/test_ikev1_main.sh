#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# IKEv1 Main Mode, strongSwan 5.9.8, two hosts on one Nb on the shared ports
# 500/4500: the gateway demultiplexes by initiator cookie.
. "$(dirname "$0")/iop.sh"
iop_up v1m
iop_two_hosts bookworm 1 shared
echo "gateway: $(iop_counters)"
echo PASS
