#!/usr/bin/env bash
# Run one test layer: unit | bpf | integration | netns | cluster | fuzz.
#   tests/run-layer.sh LAYER [BUILD_DIR]
# Unit and BPF tests are binaries under BUILD/asan/tests/LAYER/; integration
# and netns tests are scripts tests/LAYER/test_*.{sh,py}; fuzz targets are
# BUILD/fuzz/fuzz_* run for FUZZ_SECONDS each (default 20) from the seed corpus
# tests/fuzz/corpus/NAME. A test exits 0 (pass), 77 (skip) or anything else
# (fail). Prints one line per test and a summary; exits 1 if anything failed.
set -u
layer=${1:?layer}
BUILD=$(realpath -m "${2:-build}")
export BUILD
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

pass=0 fail=0 skip=0 failed=()
log_dir="$BUILD/test-logs/$layer"
mkdir -p "$log_dir"

run_one() { # name cmd...
	local name=$1 rc start end
	shift
	start=$(date +%s%N)
	"$@" >"$log_dir/$name.log" 2>&1
	rc=$?
	end=$(date +%s%N)
	local ms=$(((end - start) / 1000000)) dt
	dt=$(printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)))
	case $rc in
	0) pass=$((pass + 1)); printf '  PASS  %-40s %6ss\n' "$name" "$dt" ;;
	77) skip=$((skip + 1)); printf '  SKIP  %-40s %s\n' "$name" "$(tail -n1 "$log_dir/$name.log")" ;;
	*) fail=$((fail + 1)); failed+=("$name")
	   printf '  FAIL  %-40s %6ss (exit %d)\n' "$name" "$dt" "$rc"
	   echo "  ---- last lines of $log_dir/$name.log ----"
	   tail -n 40 "$log_dir/$name.log" | sed 's/^/  | /'
	   echo "  ----" ;;
	esac
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "[$layer] needs root (CAP_NET_ADMIN, CAP_BPF): skipped"
		exit 0
	fi
}

echo "== test layer: $layer"
case $layer in
unit)
	for t in "$BUILD"/asan/tests/unit/test_*; do
		[ -x "$t" ] || continue
		run_one "$(basename "$t")" "$t"
	done ;;
bpf)
	need_root
	for t in "$BUILD"/asan/tests/bpf/test_*; do
		[ -x "$t" ] || continue
		run_one "$(basename "$t")" env RSIP_BPF_DIR="$BUILD/bpf" "$t"
	done ;;
integration|netns|cluster)
	[ "$layer" != integration ] && need_root
	for t in tests/"$layer"/test_*.sh tests/"$layer"/test_*.py; do
		[ -f "$t" ] || continue
		case $t in
		*.py) run_one "$(basename "$t")" /usr/bin/python3 "$t" ;;
		*) run_one "$(basename "$t")" bash "$t" ;;
		esac
	done ;;
fuzz)
	secs=${FUZZ_SECONDS:-20}
	for t in "$BUILD"/fuzz/fuzz_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		corpus="$BUILD/fuzz-corpus/$name"
		mkdir -p "$corpus"
		[ -d "tests/fuzz/corpus/$name" ] && cp -n tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null
		run_one "$name" "$t" -max_total_time="$secs" -max_len=4200 -print_final_stats=1 \
			-artifact_prefix="$log_dir/" "$corpus"
	done ;;
*) echo "unknown layer $layer" >&2; exit 2 ;;
esac

echo "== $layer: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] || { echo "== failed: ${failed[*]}"; exit 1; }
