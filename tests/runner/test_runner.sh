#!/usr/bin/env bash
# The test runner tested: tests/run-layer.sh and tests/run-all.sh run fake
# layers (tests/runner/fake/: tests that pass, fail, skip, are not applicable,
# hang, and rsiptest suites that skip and fail) from a layer table of their
# own, and each result, reason, exit status and the closing line are checked.
# test-timeout: 120
set -u
here=$(cd "$(dirname "$0")" && pwd)
tests=$(cd "$here/.." && pwd)
fake=$here/fake
T=$(mktemp -d /tmp/rsip-runner-test.XXXXXX)
chmod 755 "$T"
cleanup() { rm -rf "$T"; }
trap cleanup EXIT

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
expect_rc() { # want got what
	[ "$1" = "$2" ] || fail "$3: exit $2, expected $1"
}
expect_line() { # file regex what
	grep -Eq -- "$2" "$1" || fail "$3: no line matching /$2/ in:
$(sed 's/^/    /' "$1")"
}
expect_no_line() { # file regex what
	! grep -Eq -- "$2" "$1" || fail "$3: a line matches /$2/"
}
# The last line must be the plain closing line, and say these numbers.
expect_total() { # file passed failed skipped what
	local last
	last=$(tail -n1 "$1")
	[[ $last =~ ^total:\ [0-9]+\ passed,\ [0-9]+\ failed,\ [0-9]+\ skipped$ ]] ||
		fail "$5: last line is not the closing line: '$last'"
	[ "$last" = "total: $2 passed, $3 failed, $4 skipped" ] ||
		fail "$5: '$last', expected 'total: $2 passed, $3 failed, $4 skipped'"
}

# Fake layers, each a folder of links to the fake tests.
layer_dir() { # name test...
	local d=$T/$1 t
	shift
	mkdir -p "$d"
	for t in "$@"; do ln -s "$fake/$t" "$d/$t"; done
}
layer_dir fake test_pass.sh test_fail.sh test_skip.sh test_na.sh test_na_unchecked.sh \
	test_hang.sh test_suite_mixed.py test_suite_skip.py
layer_dir okay test_pass.sh test_skip.sh test_na.sh
layer_dir napass test_pass.sh test_na.sh
layer_dir rootonly test_pass.sh
mkdir -p "$T/empty" "$T/bins"
echo "/* a test whose binary was never built */" >"$T/bins/test_unbuilt.c"
cat >"$T/layers.conf" <<'EOF'
# layer   kind    root  timeout
fake      script  no    30
okay      script  no    30
napass    script  no    30
rootonly  script  yes   30
empty     script  no    30
bins      binary  no    30
EOF
one_layer() { # layers-file... : a table of the given layers only
	local l
	for l in "$@"; do grep "^$l " "$T/layers.conf"; done >"$T/only.conf"
}

# The runner under a clean environment: the caller's CI and ALLOW_SKIP must
# not leak into what is being checked.
runner() { # env-assignments... -- script args...
	local envs=()
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	env -u CI -u ALLOW_SKIP RSIP_TEST_DIR="$T" RSIP_TEST_LAYERS="${LAYERS_FILE:-$T/layers.conf}" \
		RSIP_FAKE_PIDFILE="$T/hang.pid" "${envs[@]}" bash "$@"
}

# A build, as far as the runner asks: a folder holding rsipd.
mkdir -p "$T/build"
: >"$T/build/rsipd"

# ---- a second argument that is not a build ----
# A test's name where BUILD_DIR goes: refused (exit 2), nothing written.
out=$T/notbuild.out
(cd "$T" && runner -- "$tests/run-layer.sh" fake test_pass.sh) >"$out" 2>&1
expect_rc 2 $? "a test name as BUILD_DIR"
expect_line "$out" "^run-layer: $T/test_pass\.sh is not a build directory \(no rsipd in it" \
	"a test name as BUILD_DIR is named as not a build"
[ ! -e "$T/test_pass.sh" ] || fail "a test name as BUILD_DIR: $T/test_pass.sh was created"
mkdir -p "$T/notabuild"
runner -- "$tests/run-layer.sh" fake "$T/notabuild" >"$out" 2>&1
expect_rc 2 $? "a folder without rsipd as BUILD_DIR"
[ ! -e "$T/notabuild/test-logs" ] || fail "a folder without rsipd as BUILD_DIR got test logs"

# ---- one layer with every outcome ----
out=$T/fake.out
start=$(date +%s)
runner -- "$tests/run-layer.sh" fake "$T/build" >"$out" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))
expect_rc 1 $rc "layer with failures"
expect_line "$out" '^  PASS    test_pass\.sh ' "a passing test"
expect_line "$out" '^  FAIL    test_fail\.sh .*\(exit 3\)' "a failing test with its exit code"
expect_line "$out" '^  SKIPPED test_skip\.sh +fake: needs a unicorn$' "a skip with its reason"
expect_line "$out" '^  N/A     test_na\.sh +n/a: checked /proc/fake-unicorn: absent' "n/a with what it checked"
expect_line "$out" '^  FAIL    test_na_unchecked\.sh .*without an "n/a: checked' \
	"n/a without saying what was checked"
expect_line "$out" '^  FAIL    test_hang\.sh .*timed out after 2s' "a hung test, by its own timeout"
expect_line "$out" '^== TIMEOUT: fake/test_hang\.sh ran past its 2s timeout' "the timeout names the test"
expect_line "$out" '^  FAIL    test_suite_mixed\.py ' "a suite failing after a skip"
expect_line "$T/build/test-logs/fake/test_suite_mixed.py.log" '^SKIP  fake_skips: fake: no unicorn here' \
	"the suite still reports its skip"
expect_line "$T/build/test-logs/fake/test_suite_mixed.py.log" '^FAIL  fake_fails' \
	"the suite runs the test after the skip"
expect_line "$out" '^  SKIPPED test_suite_skip\.py +skipped: fake_skips: fake: no dragon here' \
	"a suite's skip with its reason"
expect_line "$out" '^== fake: 1 passed, 4 failed, 3 skipped \(1 of them n/a\)$' "the layer's count"
[ $elapsed -lt 25 ] || fail "the hung test held the layer for ${elapsed}s (timeout 2s + 10s kill)"
# The killed child is reparented and reaped asynchronously: until then it is
# a zombie, which kill -0 still finds. Alive means running, for up to 5 s.
alive() { # pid
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
if [ -s "$T/hang.pid" ]; then
	hp=$(cat "$T/hang.pid")
	for _ in $(seq 50); do alive "$hp" || break; sleep 0.1; done
	if alive "$hp"; then
		fail "the hung test's child $hp outlived the timeout"
		kill "$hp"
	fi
fi
expect_line "$T/build/test-logs/fake/results.tsv" $'^SKIP\tfake/test_skip\\.sh\tfake: needs a unicorn$' \
	"results.tsv carries the skip"

# ---- skips fail the run unless allowed, and never in CI ----
one_layer okay
export LAYERS_FILE=$T/only.conf
out=$T/okay.out
runner -- "$tests/run-all.sh" "$T/build" >"$out" 2>&1
expect_rc 1 $? "a skip without ALLOW_SKIP"
expect_line "$out" '^  SKIPPED  okay/test_skip\.sh: fake: needs a unicorn$' "the summary lists the skip"
expect_line "$out" '^  N/A      okay/test_na\.sh: n/a: checked' "the summary lists the n/a"
expect_line "$out" 'skipped tests fail the run' "the policy is said"
expect_no_line "$out" 'every layer passed' "no 'passed' claim when a test was skipped"
expect_total "$out" 1 0 2 "a skip without ALLOW_SKIP"

runner ALLOW_SKIP=1 -- "$tests/run-all.sh" "$T/build" >"$out" 2>&1
expect_rc 0 $? "a skip with ALLOW_SKIP=1"
expect_line "$out" '^  SKIPPED  okay/test_skip\.sh: fake: needs a unicorn$' "skips listed even when allowed"
expect_total "$out" 1 0 2 "a skip with ALLOW_SKIP=1"

runner ALLOW_SKIP=1 CI=true -- "$tests/run-all.sh" "$T/build" >"$out" 2>&1
expect_rc 1 $? "a skip with ALLOW_SKIP=1 in CI"
expect_line "$out" 'CI=true: ALLOW_SKIP=1 is ignored' "CI says it ignores ALLOW_SKIP"

# ---- n/a alone passes, even in CI ----
one_layer napass
runner CI=true -- "$tests/run-all.sh" "$T/build" >"$out" 2>&1
expect_rc 0 $? "n/a in CI"
expect_line "$out" '^== every layer passed: napass$' "a layer of passes and n/a passes"
expect_total "$out" 1 0 1 "n/a in CI"

# ---- a layer with no tests, and a test that was not built ----
one_layer empty bins
runner -- "$tests/run-all.sh" "$T/build" >"$out" 2>&1
expect_rc 1 $? "an empty layer and an unbuilt test"
expect_line "$out" '^  SKIPPED  empty/\(layer empty\): no tests found' "an empty layer is a skip"
expect_line "$out" '^  FAIL     bins/test_unbuilt: not built: ' "an unbuilt test fails"
expect_total "$out" 0 1 1 "an empty layer and an unbuilt test"

# ---- a root-only layer as another user ----
one_layer rootonly
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$T/nobody/build"
	chmod 777 "$T/nobody" "$T/nobody/build"
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
elif [ "$(id -u)" -ne 0 ]; then
	as_user=()
else
	echo "no setpriv: cannot run the runner as another user"
	exit 77
fi
mkdir -p "$T/nobody/build"
: >"$T/nobody/build/rsipd"
runner -- /dev/stdin <<<"cd / && exec ${as_user[*]} bash '$tests/run-all.sh' '$T/nobody/build'" \
	>"$out" 2>&1
expect_rc 1 $? "a root-only layer as non-root"
expect_line "$out" '^  SKIPPED  rootonly/test_pass\.sh: needs root' "a root-only test says it needs root"
expect_no_line "$out" 'every layer passed' "no 'passed' claim as non-root"
expect_total "$out" 0 0 1 "a root-only layer as non-root"

if [ $failures -ne 0 ]; then
	echo "runner self-test: $failures check(s) failed"
	exit 1
fi
echo "runner self-test: every check passed"
