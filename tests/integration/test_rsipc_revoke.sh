#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The gateway takes the lease back: `rsipctl deregister` (an unsolicited
# DE-REGISTER_RESPONSE) and `rsipctl free` (an unsolicited FREE_RESPONSE)
# each make rsipc tear its tunnel down, stop the command it runs, and exit
# with status 4. So does a gateway restart: the next renewal reconnects over
# TCP and learns that the gateway forgot us (301 REGISTER_FIRST).
. "$(dirname "$0")/rsipc_lab.sh"

lab_up --lease 60

# 1. De-registration, over TCP, while a command runs with the lease.
rsipc_start --json -- sleep 300
client_id=$(json_get 'd["client_id"]' <"$TMP/rsipc.out")
child=$(rsipc_status | json_get 'd["command_pid"]')
kill -0 "$child" 2>/dev/null || fail "the command is not running"
"$RSIPCTL" --socket "$TMP/rsipd.sock" deregister "$client_id" >/dev/null || fail "rsipctl deregister"
rsipc_wait_exit 15
[ "$RSIPC_RC" = 4 ] || fail "rsipc exited $RSIPC_RC after the de-registration, want 4"
grep -q "ended our registration" "$TMP/rsipc.err" || fail "no word about the de-registration"
tunnel_gone || fail "tunnel, rule or route left behind"
! kill -0 "$child" 2>/dev/null || fail "the command still runs"
[ "$(gw_clients)" = 0 ] || fail "the gateway still has a registration"
ok "rsipctl deregister $client_id: rsipc stopped its command, removed the tunnel, exit 4"
cp "$TMP/rsipc.err" "$TMP/rsipc-1.err"

# 2. One binding taken back, over UDP: rsipc also de-registers on its way out.
ASAN_OPTIONS=detect_leaks=1 ip netns exec "$CL" "$RSIPC" --server $NA --transport udp \
	--state-dir "$TMP/state" up --json >"$TMP/rsipc.out" 2>"$TMP/rsipc.err" &
RSIPC_PID=$!
PIDS+=("$RSIPC_PID")
wait_until 15 rsipc_leased || fail "rsipc up (udp) did not print a lease"
bind_id=$(json_get 'd["bind_id"]' <"$TMP/rsipc.out")
"$RSIPCTL" --socket "$TMP/rsipd.sock" free "$bind_id" >/dev/null || fail "rsipctl free"
rsipc_wait_exit 15
[ "$RSIPC_RC" = 4 ] || fail "rsipc exited $RSIPC_RC after the FREE, want 4"
grep -q "took binding $bind_id back" "$TMP/rsipc.err" || fail "no word about the FREE"
tunnel_gone || fail "tunnel, rule or route left behind"
[ "$(gw_clients)" = 0 ] || fail "rsipc did not de-register after losing its binding"
ok "rsipctl free $bind_id: rsipc removed the tunnel, de-registered, exit 4"

cp "$TMP/rsipc.err" "$TMP/rsipc-2.err"

# 3. The gateway restarts (and forgets): the renewal finds out.
restart_rsipd() {
	kill "$RSIPD_PID"
	wait "$RSIPD_PID" 2>/dev/null
	ASAN_OPTIONS=detect_leaks=1 ip netns exec "$GW" "$RSIPD" --listen $NA --public $NB \
		--dataplane none --ctl-socket "$TMP/rsipd.sock" --lease 4 -v "$@" \
		>>"$TMP/rsipd.log" 2>&1 &
	RSIPD_PID=$!
	PIDS+=("$RSIPD_PID")
	wait_until 10 ctl_ready || fail "rsipd did not come back"
}
restart_rsipd
rsipc_start
restart_rsipd
rsipc_wait_exit 30
[ "$RSIPC_RC" = 4 ] || fail "rsipc exited $RSIPC_RC after the gateway restart, want 4"
grep -q "REGISTER_FIRST\|is lost" "$TMP/rsipc.err" || fail "no word about the lost lease"
tunnel_gone || fail "tunnel, rule or route left behind"
ok "gateway restart: $(grep -o 'ended our registration.*\|binding [0-9]* is lost.*' "$TMP/rsipc.err" | head -n1), exit 4"

no_sanitizer_reports "$TMP/rsipc.err" "$TMP/rsipc-1.err" "$TMP/rsipc-2.err"
echo "PASS"
