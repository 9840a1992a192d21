#!/usr/bin/env bash
# Every test layer of tests/layers.conf, in order, continuing past a failed
# layer so one run shows everything; `make test` runs this. Ends with the
# list of every test that failed, was skipped or was not applicable, and
# one closing line "total: N passed, N failed, N skipped".
# Exits 1 if any layer failed (tests/runner/policy.sh: a skip fails it too
# unless ALLOW_SKIP=1 outside CI).
#   tests/run-all.sh [BUILD_DIR]
set -u
BUILD=$(realpath -m "${1:-build}")
here=$(cd "$(dirname "$0")" && pwd)
LAYERS=${RSIP_TEST_LAYERS:-$here/layers.conf}
. "$here/runner/policy.sh"

rc=0 bad=()
layers=$(awk '$1 !~ /^#/ && NF { print $1 }' "$LAYERS")
for layer in $layers; do
	if ! bash "$here/run-layer.sh" "$layer" "$BUILD"; then
		rc=1
		bad+=("$layer")
	fi
done

pass=0 fail=0 skip=0
echo "== summary"
for layer in $layers; do
	f="$BUILD/test-logs/$layer/results.tsv"
	if [ ! -f "$f" ]; then
		echo "  FAIL     $layer: the layer left no results"
		fail=$((fail + 1))
		continue
	fi
	while IFS=$'\t' read -r status name reason; do
		case $status in
		PASS) pass=$((pass + 1)) ;;
		FAIL)
			fail=$((fail + 1))
			echo "  FAIL     $name: $reason"
			;;
		SKIP)
			skip=$((skip + 1))
			echo "  SKIPPED  $name: $reason"
			;;
		N/A)
			skip=$((skip + 1))
			echo "  N/A      $name: $reason (allowed: a fact of this machine)"
			;;
		esac
	done <"$f"
done
if [ $rc -eq 0 ]; then
	echo "== every layer passed: ${layers//$'\n'/ }"
else
	echo "== FAILED layers: ${bad[*]}"
fi
echo "== $(skip_policy_line)"
echo "total: $pass passed, $fail failed, $skip skipped"
exit $rc
