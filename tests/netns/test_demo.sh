#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `make demo` runs in CI: tests/lab/demo.sh must pass (its steps check what
# they show and exit non-zero when something did not happen) and leave
# nothing behind: no namespace, no bpffs mount, no lab directory, no process.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, XDP, TUN)"; exit 77; fi
[ -c /dev/net/tun ] || { echo "no /dev/net/tun"; exit 77; }
BUILD=${BUILD:-$top/build}
out=$(mktemp /tmp/rsip-demo-test.XXXXXX)
trap 'rm -f "$out"' EXIT

bash "$top/tests/lab/demo.sh" "$BUILD" >"$out" 2>&1
rc=$?
cat "$out"
[ $rc = 0 ] || { echo "FAIL: the demo exited $rc"; exit 1; }
grep -q "^== Demo passed" "$out" || { echo "FAIL: the demo did not say it passed"; exit 1; }
steps=$(grep -c '^== [0-9]*\. ' "$out")
[ "$steps" -ge 9 ] || { echo "FAIL: $steps steps shown, want 9"; exit 1; }

# The demo names its namespaces: LAB_ID-{x1,x2,sw,n,y}.
id=$(sed -n 's/.*(namespaces \([a-z0-9]*\)-{x1,x2,sw,n,y}.*/\1/p' "$out" | head -n1)
[ -n "$id" ] || { echo "FAIL: the demo did not print its lab ID"; exit 1; }
left=
ip netns list | grep -q "^$id-" && left="$left namespaces"
grep -q "/tmp/rsiplab.$id/" /proc/mounts && left="$left mounts"
[ -e "/tmp/rsiplab.$id" ] && left="$left /tmp/rsiplab.$id"
pgrep -f "rsiplab.$id/" >/dev/null && left="$left processes"
[ -z "$left" ] || { echo "FAIL: the demo left behind:$left"; exit 1; }
echo "ok    demo passed ($steps steps) and left nothing of lab $id behind"
