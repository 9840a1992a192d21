#!/usr/bin/env bash
# The benchmarks (`make bench`): each part is its own script under bench/,
# run in turn; a part exits 0 (ran), 77 (skipped: e.g. not root) or anything
# else (failed to run). Benchmarks print figures; they never judge timing.
#   bench/run.sh [BUILD_DIR]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${1:-$top/build}")
export BUILD

parts=(
	xdp_rate.sh # packet rate of rsip_wan against a trivial encapsulating program
)

failed=0
for p in "${parts[@]}"; do
	echo "== bench/$p"
	bash "$top/bench/$p" "$BUILD"
	rc=$?
	case $rc in
	0) ;;
	77) echo "== bench/$p: skipped" ;;
	*) echo "== bench/$p: FAILED to run (exit $rc)"; failed=1 ;;
	esac
done
exit $failed
