#!/usr/bin/env bash
# Where rsip_wan's ESP hit path spends its time beyond the trivial program:
# builds ablation variants of bpf/rsip_xdp.bpf.c (bpf/ablate.h: each leaves
# one piece out) and times them with bench/bpf_prog_bench in the same
# interleaved rounds as the whole rsip_wan and bench_encap, the SPI directory
# on (-d) as rsipd loads the programs.
#
#   bench/wan_ablate.sh [BUILD_DIR] [bpf_prog_bench options...]   (root)
#
# A variant's "mean - pass" minus rsip_wan's is what that piece costs in a
# test run. The variants are benchmark objects only (BUILD/bench/ablate/).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${1:-${BUILD:-$top/build}}")
[ $# -gt 0 ] && shift

# name:mask (bpf/ablate.h; tx_lookup is not a removal: rsip_tx looked up, then
# bpf_redirect, as the TC programs do)
VARIANTS="exit_count:0x01 bind_count:0x02 touch:0x04 tx_map:0x08 tx_lookup:0x40
slow_tests:0x10 mac_check:0x20 all:0x3f"

if [ "$(id -u)" -ne 0 ]; then
	echo "wan_ablate: needs root (BPF_PROG_TEST_RUN): skipped"
	exit 77
fi
objs=()
for v in $VARIANTS; do
	objs+=("$BUILD/bench/ablate/rsip_xdp-${v#*:}.bpf.o")
done
make -C "$top" --no-print-directory -s BUILD="$BUILD" "${objs[@]}" "$BUILD/bench/bpf_prog_bench"
args=()
for v in $VARIANTS; do
	echo "-B$(( ${#args[@]} / 2 + 1 )) = without ${v%%:*} (RSIP_ABLATE=${v#*:})"
	args+=(-B "$BUILD/bench/ablate/rsip_xdp-${v#*:}.bpf.o")
done
"$BUILD/bench/bpf_prog_bench" -d "$@" "${args[@]}"
