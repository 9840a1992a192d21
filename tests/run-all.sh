#!/usr/bin/env bash
# Every test layer, in order, continuing past a failed layer so one run shows
# everything; exits 1 if any layer failed. `make test` runs this.
set -u
BUILD=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
rc=0 bad=()
for layer in unit bpf integration netns cluster fuzz; do
	if ! bash "$here/run-layer.sh" "$layer" "$BUILD"; then
		rc=1
		bad+=("$layer")
	fi
done
if [ $rc -eq 0 ]; then
	echo "== all test layers passed"
else
	echo "== FAILED layers: ${bad[*]}"
fi
exit $rc
