# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
# What the rsipc netns tests (test_rsipc_*.sh, test_e2e_rsipc.sh) share,
# sourced by each (it sources tests/lab/lab.sh):
#
#   rsipc_lab TAG        root and /dev/net/tun or exit 77, the lab up with
#                        its cleanup trap (LAB_* knobs set before apply);
#                        sets rsipc (the ASan build when there is one), PY
#                        and dir (X1's rsipc state directory, created)
#   fail MSG             print MSG and the tails of rsipd's and every
#                        rsipc-HOST.log, exit 1
#   ok MSG               one line of progress
#   json EXPR            EXPR (Python, d = the JSON on stdin) printed
#   state [HOST] EXPR    EXPR of HOST's (default x1) rsipc state file,
#                        $LAB_DIR/rsipc-HOST/state.json
#   status [HOST] EXPR   EXPR of `rsipc status` on HOST (live counters)
#   csum_errors NODE     TcpInCsumErrors in NODE's /proc/net/snmp
#   rsipc_lab_finish     stop rsipd, check both logs for sanitizer reports,
#                        print PASS
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/tests/lab/lab.sh"

rsipc_lab() {
	if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, XDP, TC, TUN)"; exit 77; fi
	[ -c /dev/net/tun ] || { echo "no /dev/net/tun"; exit 77; }
	lab_init "$1"
	lab_up || exit 1
	rsipc=$BUILD/asan/rsipc
	[ -x "$rsipc" ] || rsipc=$BUILD/rsipc
	PY=/usr/bin/python3
	dir=$LAB_DIR/rsipc-x1
	mkdir -p "$dir"
}

fail() {
	echo "FAIL: $*"
	for f in "$LAB_DIR"/rsipd.log "$LAB_DIR"/rsipc-*.log; do
		[ -s "$f" ] || continue
		echo "---- ${f##*/}"
		tail -n 25 "$f"
	done
	# Where a lost packet went: the gateway's non-zero counters (a drop
	# names its reason) and X1's neighbour entry as N sees it.
	if [ -S "${LAB_CTL:-}" ]; then
		echo "---- rsipctl counters (non-zero)"
		lab_ctl counters 2>&1 | awk 'NF >= 2 && $NF != "0"' | head -n 60
		echo "---- N's neighbours on lan0"
		lab_exec n ip neigh show dev lan0 2>&1 | head -n 10
	fi
	exit 1
}
ok() { echo "ok    $*"; }
json() { $PY -c 'import json,sys; d=json.load(sys.stdin); print('"$1"')'; }
state() {
	local x=x1
	[ $# -gt 1 ] && { x=$1; shift; }
	json "$1" <"$LAB_DIR/rsipc-$x/state.json"
}
status() {
	local x=x1
	[ $# -gt 1 ] && { x=$1; shift; }
	lab_exec "$x" "$BUILD/rsipc" --state-dir "$LAB_DIR/rsipc-$x" --json status | json "$1"
}
csum_errors() {
	lab_exec "$1" awk '/^Tcp:/ {if (!h) {for (i = 1; i <= NF; i++) if ($i == "InCsumErrors") c = i; h = 1} else print $c}' /proc/net/snmp
}

rsipc_lab_finish() {
	lab_rsipd_stop
	lab_rsipd_log_clean || fail "rsipd's sanitizers"
	if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$LAB_DIR"/rsipc-*.log; then
		fail "rsipc's sanitizers"
	fi
	echo "PASS"
}
