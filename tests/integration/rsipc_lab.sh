# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Sourced by tests/integration/test_rsipc_*.sh: a gateway namespace running the
# real rsipd (--dataplane none) and a client namespace for rsipc, joined by a
# veth pair. Names carry the PID and a random suffix, everything is removed on
# exit (trap), and only the processes started here are killed.
#
#   Na = 10.77.0.1 (gateway, RSIP server, tunnel endpoint)
#   Xa = 10.77.0.2 (client)
#   Nb = 192.0.2.10 (public address rsipd lends)
#
# Every wait has a generous deadline; only a missing outcome fails a test.
set -u
BUILD=${BUILD:-build}
RSIPD=$BUILD/asan/rsipd
RSIPC=$BUILD/asan/rsipc
RSIPCTL=$BUILD/rsipctl
PY=/usr/bin/python3
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKT="$PY $LAB_DIR/rsipc_packets.py"
NA=10.77.0.1
XA=10.77.0.2
NB=192.0.2.10
PEER=198.51.100.5

LAB=rc$$$((RANDOM % 1000))
GW=${LAB}g
CL=${LAB}c
TMP=
PIDS=()
RSIPD_PID=
RSIPC_PID=

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	lab_dump
	exit 1
}

ok() {
	echo "ok    $*"
}

lab_require() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (namespaces, TUN, raw sockets)"
	for b in "$RSIPD" "$RSIPC" "$RSIPCTL"; do
		[ -x "$b" ] || skip "no $b (make BUILD=$BUILD all)"
	done
	[ -x "$PY" ] || skip "no $PY"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	command -v ip >/dev/null || skip "no ip (iproute2)"
}

lab_dump() {
	[ -n "$TMP" ] || return 0
	for f in "$TMP"/*.log "$TMP"/*.out "$TMP"/*.err; do
		[ -s "$f" ] || continue
		echo "---- $f (last lines)"
		tail -n 25 "$f"
	done
}

lab_cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$CL" 2>/dev/null
	ip netns del "$GW" 2>/dev/null
	[ -n "$TMP" ] && rm -rf "$TMP"
}

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
	return 0
}

in_gw() { ip netns exec "$GW" "$@"; }
in_cl() { ip netns exec "$CL" "$@"; }

# lab_up [rsipd options...]
lab_up() {
	lab_require
	trap lab_cleanup EXIT
	TMP=$(mktemp -d /tmp/rsipc-test.XXXXXX)
	ip netns add "$GW" || fail "netns $GW"
	ip netns add "$CL" || fail "netns $CL"
	ip -n "$GW" link add g0 type veth peer name c0 netns "$CL" || fail "veth"
	ip -n "$GW" addr add $NA/24 dev g0
	ip -n "$CL" addr add $XA/24 dev c0
	ip -n "$GW" link set lo up
	ip -n "$CL" link set lo up
	ip -n "$GW" link set g0 up
	ip -n "$CL" link set c0 up
	ASAN_OPTIONS=detect_leaks=1 ip netns exec "$GW" "$RSIPD" --listen $NA --public $NB \
		--dataplane none --ctl-socket "$TMP/rsipd.sock" -v "$@" >"$TMP/rsipd.log" 2>&1 &
	RSIPD_PID=$!
	PIDS+=("$RSIPD_PID")
	wait_until 10 ctl_ready || fail "rsipd did not come up"
}

# ctl ARGS...: rsipctl --json against the lab's rsipd (output on stdout).
ctl() {
	"$RSIPCTL" --socket "$TMP/rsipd.sock" --json "$@" 2>/dev/null
}

# json_get EXPR: evaluate a Python expression on the JSON read from stdin (d).
json_get() {
	$PY -c 'import json,sys; d=json.load(sys.stdin); print('"$1"')'
}

ctl_ready() { ctl status >/dev/null; }
gw_bindings() { ctl bindings | json_get 'len(d)'; }
gw_clients() { ctl clients | json_get 'len(d)'; }

# rsipc_start [up options...] [-- CMD...]: rsipc up in the client namespace,
# waiting until it printed its lease. State under $TMP/state.
rsipc_start() {
	: >"$TMP/rsipc.out"
	ASAN_OPTIONS=detect_leaks=1 ip netns exec "$CL" "$RSIPC" --server $NA \
		--state-dir "$TMP/state" up "$@" >"$TMP/rsipc.out" 2>"$TMP/rsipc.err" &
	RSIPC_PID=$!
	PIDS+=("$RSIPC_PID")
	wait_until 15 rsipc_leased || fail "rsipc up did not print a lease"
}

rsipc_leased() {
	grep -q '"address"\|^leased from' "$TMP/rsipc.out" && return 0
	kill -0 "$RSIPC_PID" 2>/dev/null || fail "rsipc up exited without a lease"
	return 1
}

# rsipc_wait_exit SECONDS: wait for rsipc up to end; its status in RSIPC_RC.
rsipc_wait_exit() {
	wait_until "$1" rsipc_gone || fail "rsipc up still running after $1 s"
	wait "$RSIPC_PID"
	RSIPC_RC=$?
}

rsipc_gone() { ! kill -0 "$RSIPC_PID" 2>/dev/null; }

rsipc_status() {
	in_cl "$BUILD/rsipc" --state-dir "$TMP/state" --json status
}

# No sanitizer report in the given logs.
no_sanitizer_reports() {
	local f
	for f in "$@"; do
		if grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$f"; then
			fail "sanitizer report in $f"
		fi
	done
}

# The tunnel and its policy routing are gone from the client namespace.
tunnel_gone() {
	! ip -n "$CL" -4 addr show | grep -q " $NB/" &&
		! ip -n "$CL" rule show | grep -q "from $NB" &&
		[ -z "$(ip -n "$CL" route show table 4555 2>/dev/null)" ]
}
