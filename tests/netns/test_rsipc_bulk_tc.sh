#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 9: test_rsipc_bulk.sh with the gateway on TC (rsipd --attach tc):
# bulk TCP both ways between X1 (rsipc's BPF path) and Y, GRO on at every
# hop, byte-exact, 0 TcpInCsumErrors on X1 and Y, GSO packets forwarded whole
# by the gateway both ways, and nothing of rsipd's left on N's devices after
# it stops.
exec env GW_ATTACH=tc DATAPATHS="${DATAPATHS:-bpf}" bash "$(dirname "$0")/test_rsipc_bulk.sh"
