#!/usr/bin/env bash
# Run one test layer of tests/layers.conf (unit, bpf, integration, ...).
#   tests/run-layer.sh LAYER [BUILD_DIR]
# How a layer finds its tests, whether it needs root and its default timeout
# are in tests/layers.conf; what exit codes mean and when a skip fails the
# run is in tests/runner/policy.sh. Every test runs under `timeout`, its
# output goes to BUILD/test-logs/LAYER/NAME.log, one line per test is printed,
# and each result is appended to BUILD/test-logs/LAYER/results.tsv (status,
# layer/name, reason) for the summary of tests/run-all.sh.
# Exits 1 if a test failed, or was skipped and skips are not allowed.
#
# Environment: FUZZ_SECONDS (fuzz layer, default 20), ALLOW_SKIP, CI;
# RSIP_TEST_LAYERS and RSIP_TEST_DIR point the runner at another layer table
# and tests folder (its self-test, tests/runner/, uses them).
set -u
layer=${1:?usage: run-layer.sh LAYER [BUILD_DIR]}
BUILD=$(realpath -m "${2:-build}")
export BUILD
# Logs go under BUILD: a second argument that is not a build (a test's name,
# say) would make a new folder of logs beside the sources. A build holds
# rsipd (the Makefile's first program).
if [ ! -e "$BUILD/rsipd" ]; then
	echo "run-layer: $BUILD is not a build directory (no rsipd in it; run make first)" >&2
	echo "usage: run-layer.sh LAYER [BUILD_DIR]   (one test: BUILD=DIR bash tests/LAYER/NAME)" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
TEST_DIR=${RSIP_TEST_DIR:-$here}
LAYERS=${RSIP_TEST_LAYERS:-$here/layers.conf}
. "$here/runner/policy.sh"
cd "$top"

# The layer's line of the table.
read -r kind needs_root default_timeout < <(awk -v l="$layer" \
	'$1 == l && $1 !~ /^#/ { print $2, $3, $4; exit }' "$LAYERS")
if [ -z "${kind:-}" ]; then
	echo "run-layer: no layer '$layer' in $LAYERS" >&2
	exit 2
fi

case $kind in
script | binary | fuzz) ;;
*)
	echo "run-layer: layer $layer has unknown kind '$kind' in $LAYERS" >&2
	exit 2
	;;
esac

log_dir="$BUILD/test-logs/$layer"
mkdir -p "$log_dir"
results="$log_dir/results.tsv"
: >"$results"
pass=0 fail=0 skip=0 na=0 failed=()
fuzz_secs=${FUZZ_SECONDS:-20}

# The test's own timeout, from a "test-timeout: N" line in the first 40
# lines of its source, else the layer's.
timeout_of() { # source-file
	local t=
	[ -f "$1" ] && t=$(head -n 40 "$1" | sed -n 's/.*test-timeout: *\([0-9][0-9]*\).*/\1/p' | head -n1)
	if [ -n "$t" ]; then
		echo "$t"
	elif [ "$default_timeout" = auto ]; then
		echo $((fuzz_secs + 120)) # the fuzzer's own run time plus start and stop
	else
		echo "$default_timeout"
	fi
}

record() { # STATUS name reason
	printf '%s\t%s/%s\t%s\n' "$1" "$layer" "$2" "$3" >>"$results"
}

skip_one() { # name reason: a test that is not run at all
	skip=$((skip + 1))
	printf '  SKIPPED %-40s %s\n' "$1" "$2"
	record SKIP "$1" "$2"
}

fail_one() { # name reason: a test that cannot be run
	fail=$((fail + 1))
	failed+=("$1")
	printf '  FAIL    %-40s %s\n' "$1" "$2"
	record FAIL "$1" "$2"
}

run_one() { # name source-file cmd...
	local name=$1 src=$2 rc start end secs log reason
	shift 2
	log="$log_dir/$name.log"
	secs=$(timeout_of "$src")
	start=$(date +%s%N)
	# timeout runs the test in a process group of its own and signals the
	# whole group, so whatever the test started goes with it.
	timeout --kill-after=10 "$secs" "$@" </dev/null >"$log" 2>&1
	rc=$?
	end=$(date +%s%N)
	local ms=$(((end - start) / 1000000)) dt
	dt=$(printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)))
	if { [ $rc -eq 124 ] || [ $rc -eq 137 ]; } && [ $ms -ge $((secs * 1000)) ]; then
		reason="timed out after ${secs}s (killed; its timeout: tests/layers.conf or a 'test-timeout: N' line)"
		echo "== TIMEOUT: $layer/$name ran past ${secs}s and was killed" >>"$log"
		fail=$((fail + 1))
		failed+=("$name")
		printf '  FAIL    %-40s %6ss %s\n' "$name" "$dt" "$reason"
		echo "== TIMEOUT: $layer/$name ran past its ${secs}s timeout"
		record FAIL "$name" "$reason"
		tail -n 20 "$log" | sed 's/^/  | /'
		return
	fi
	case $rc in
	0)
		pass=$((pass + 1))
		printf '  PASS    %-40s %6ss\n' "$name" "$dt"
		record PASS "$name" ""
		;;
	77)
		reason=$(grep -v '^[[:space:]]*$' "$log" | tail -n1 | cut -c1-200)
		skip=$((skip + 1))
		printf '  SKIPPED %-40s %s\n' "$name" "${reason:-no reason given}"
		record SKIP "$name" "${reason:-no reason given}"
		;;
	78)
		reason=$(grep '^n/a: checked' "$log" | tail -n1 | cut -c1-200)
		if [ -z "$reason" ]; then
			fail=$((fail + 1))
			failed+=("$name")
			printf '  FAIL    %-40s exit 78 (n/a) without an "n/a: checked ..." line\n' "$name"
			record FAIL "$name" "exit 78 without an 'n/a: checked' line"
		else
			skip=$((skip + 1)) na=$((na + 1))
			printf '  N/A     %-40s %s\n' "$name" "$reason"
			record N/A "$name" "$reason"
		fi
		;;
	*)
		fail=$((fail + 1))
		failed+=("$name")
		printf '  FAIL    %-40s %6ss (exit %d)\n' "$name" "$dt" "$rc"
		record FAIL "$name" "exit $rc"
		echo "  ---- last lines of $log ----"
		tail -n 40 "$log" | sed 's/^/  | /'
		echo "  ----"
		;;
	esac
}

# The layer's tests, one "name<TAB>source<TAB>runnable" line each: from the
# sources, so a test that was not built shows up as a failure, not as
# nothing.
list_tests() {
	local f
	case $kind in
	script)
		for f in "$TEST_DIR/$layer"/test_*.sh "$TEST_DIR/$layer"/test_*.py; do
			[ -f "$f" ] && printf '%s\t%s\t%s\n' "$(basename "$f")" "$f" "$f"
		done
		;;
	binary)
		for f in "$TEST_DIR/$layer"/test_*.c; do
			[ -f "$f" ] && printf '%s\t%s\t%s\n' "$(basename "$f" .c)" "$f" \
				"$BUILD/asan/tests/$layer/$(basename "$f" .c)"
		done
		;;
	fuzz)
		for f in "$TEST_DIR/$layer"/fuzz_*.c; do
			[ -f "$f" ] && printf '%s\t%s\t%s\n' "$(basename "$f" .c)" "$f" \
				"$BUILD/fuzz/$(basename "$f" .c)"
		done
		;;
	esac
}

echo "== test layer: $layer"
tests=$(list_tests)
if [ -z "$tests" ]; then
	name="(layer $layer)"
	skip_one "$name" "no tests found in $TEST_DIR/$layer"
fi
while IFS=$'\t' read -r name src exe; do
	[ -n "$name" ] || continue
	if [ "$needs_root" = yes ] && [ "$(id -u)" -ne 0 ]; then
		skip_one "$name" "needs root (layer $layer: namespaces, BPF)"
		continue
	fi
	case $kind in
	script)
		case $exe in
		*.py) run_one "$name" "$src" /usr/bin/python3 "$exe" ;;
		*) run_one "$name" "$src" bash "$exe" ;;
		esac
		;;
	binary)
		if [ ! -x "$exe" ]; then
			fail_one "$name" "not built: $exe (make BUILD=$BUILD tests-build)"
			continue
		fi
		run_one "$name" "$src" env RSIP_BPF_DIR="$BUILD/bpf" "$exe"
		;;
	fuzz)
		if [ ! -x "$exe" ]; then
			fail_one "$name" "not built: $exe (make BUILD=$BUILD $exe)"
			continue
		fi
		corpus="$BUILD/fuzz-corpus/$name"
		mkdir -p "$corpus"
		[ -d "$TEST_DIR/fuzz/corpus/$name" ] &&
			cp -n "$TEST_DIR/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null
		run_one "$name" "$src" "$exe" -max_total_time="$fuzz_secs" -max_len=4200 \
			-print_final_stats=1 -artifact_prefix="$log_dir/" "$corpus"
		;;
	esac
done <<<"$tests"

if [ $na -gt 0 ]; then
	echo "== $layer: $pass passed, $fail failed, $skip skipped ($na of them n/a)"
else
	echo "== $layer: $pass passed, $fail failed, $skip skipped"
fi
[ $fail -eq 0 ] || echo "== $layer failed: ${failed[*]}"
if [ $fail -ne 0 ]; then
	exit 1
fi
if [ $((skip - na)) -gt 0 ] && ! skips_allowed; then
	echo "== $layer: $((skip - na)) skipped; $(skip_policy_line)"
	exit 1
fi
exit 0
