#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# How rsipc up ends:
#  - the command it runs sees the lease in its environment (and the tunnel
#    up); when it exits, rsipc releases everything and exits with its status;
#  - SIGTERM frees the bindings and the registration at the gateway at once;
#  - after SIGKILL nothing is released: the registration outlives its TCP
#    connection (spec D4); a new rsipc without the state file (which would
#    resume it) is refused (ALREADY_REGISTERED)
#    until the lease runs out, or takes over with --takeover (RFC 3103
#    10.2.1), replacing the stale rule the killed one left.
. "$(dirname "$0")/rsipc_lab.sh"

lab_up --lease 6

# 1. The command, its environment, its exit status.
cat >"$TMP/cmd.sh" <<'EOF'
env | grep '^RSIP_' | sort >"$1/env"
ip -4 addr show dev "$RSIP_TUNNEL_DEV" | grep -q "inet $RSIP_ADDRESS/32" && echo up >"$1/tunnel"
exit 3
EOF
rsipc_start --ike-port -- sh "$TMP/cmd.sh" "$TMP"
rsipc_wait_exit 15
[ "$RSIPC_RC" = 3 ] || fail "rsipc exited $RSIPC_RC, want the command's 3"
[ "$(cat "$TMP/tunnel" 2>/dev/null)" = up ] || fail "the command did not see the tunnel up"
env_of() { sed -n "s/^$1=//p" "$TMP/env"; }
[ "$(env_of RSIP_ADDRESS)" = $NB ] || fail "RSIP_ADDRESS=$(env_of RSIP_ADDRESS)"
[ "$(env_of RSIP_SERVER)" = $NA:4555 ] || fail "RSIP_SERVER=$(env_of RSIP_SERVER)"
[ "$(env_of RSIP_TUNNEL_DEV)" = rsip0 ] || fail "RSIP_TUNNEL_DEV=$(env_of RSIP_TUNNEL_DEV)"
[ "$(env_of RSIP_SPI_COUNT)" = 256 ] || fail "RSIP_SPI_COUNT=$(env_of RSIP_SPI_COUNT)"
min=$(env_of RSIP_SPI_MIN)
max=$(env_of RSIP_SPI_MAX)
[ $((max - min + 1)) = 256 ] || fail "RSIP_SPI_MIN/MAX $min/$max"
ike=$(env_of RSIP_IKE_PORT)
[ -n "$ike" ] && [ "$(env_of RSIP_NATT_PORT)" = $((ike + 1)) ] || fail "IKE/NAT-T ports"
[ -n "$(env_of RSIP_CLIENT_ID)" ] || fail "no RSIP_CLIENT_ID"
[ "$(gw_bindings)" = 0 ] && [ "$(gw_clients)" = 0 ] || fail "not released after the command"
tunnel_gone || fail "tunnel left behind"
ok "the command saw $(wc -l <"$TMP/env") RSIP_* variables (SPIs $min-$max, IKE $ike) and the tunnel; its status 3 is rsipc's; released"
cp "$TMP/rsipc.err" "$TMP/rsipc-1.err"

# 2. SIGTERM: everything freed at the gateway before rsipc exits.
rsipc_start
[ "$(gw_bindings)" = 1 ] || fail "no binding at the gateway"
kill -TERM "$RSIPC_PID"
rsipc_wait_exit 15
[ "$RSIPC_RC" = 0 ] || fail "rsipc exited $RSIPC_RC on SIGTERM"
[ "$(gw_bindings)" = 0 ] || fail "bindings left after SIGTERM"
[ "$(gw_clients)" = 0 ] || fail "registration left after SIGTERM"
tunnel_gone || fail "tunnel left behind"
ok "SIGTERM: binding and registration freed at the gateway at once"
cp "$TMP/rsipc.err" "$TMP/rsipc-2.err"

# 3. SIGKILL: nothing released; the lease runs out by itself.
rsipc_start
kill -KILL "$RSIPC_PID"
wait "$RSIPC_PID" 2>/dev/null
# The TCP connection is gone, the registration and binding are not (D4).
[ "$(gw_bindings)" = 1 ] || fail "binding gone right after SIGKILL"
[ "$(gw_clients)" = 1 ] || fail "registration gone right after SIGKILL"
ok "SIGKILL: the registration outlives its connection"
# A new rsipc without the killed one's state file (another state directory:
# with it, rsipc resumes - tests/netns/test_rsipc_crash.sh) and without
# --takeover is refused, and says why.
in_cl "$RSIPC" --server $NA --state-dir "$TMP/state-lost" up >"$TMP/again.out" 2>"$TMP/again.err"
rc=$?
[ $rc = 1 ] || fail "a second rsipc up exited $rc, want 1"
grep -q "already registered" "$TMP/again.err" || fail "no word about ALREADY_REGISTERED"
ok "a new rsipc up is refused: $(grep -o 'already registered[^(]*' "$TMP/again.err")"
expired() { [ "$(gw_bindings)" = 0 ] && [ "$(gw_clients)" = 0 ]; }
wait_until 30 expired || fail "the killed rsipc's lease never ran out"
ok "after SIGKILL the binding and registration expired with their lease"

# 4. SIGKILL again, then --takeover: de-registers the old one at once.
rsipc_start
old_client=$(rsipc_status | json_get 'd["client_id"]')
kill -KILL "$RSIPC_PID"
wait "$RSIPC_PID" 2>/dev/null
ip -n "$CL" rule show | grep -q "from $NB" || fail "expected the killed rsipc's stale rule"
rm "$TMP/state/state.json" # lost: no resume, takeover
rsipc_start --takeover
new_client=$(rsipc_status | json_get 'd["client_id"]')
[ "$new_client" != "$old_client" ] || fail "takeover kept client $old_client"
[ "$(gw_clients)" = 1 ] || fail "takeover: $(gw_clients) registrations"
[ "$(ip -n "$CL" rule show | grep -c "from $NB")" = 1 ] || fail "stale rule not replaced"
ok "--takeover: client $old_client de-registered, now client $new_client; one rule"
in_cl "$BUILD/rsipc" --state-dir "$TMP/state" down >/dev/null || fail "down"
rsipc_wait_exit 10
tunnel_gone || fail "tunnel left behind"

no_sanitizer_reports "$TMP/rsipc.err" "$TMP/rsipc-1.err" "$TMP/rsipc-2.err"
echo "PASS"
