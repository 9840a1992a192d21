#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# rsipc and the gateway's policy, against the real rsipd:
#  - SPI blocks of 64: the default request for 256 SPIs gets 402, rsipc asks
#    again for fewer and settles for 64 (what the gateway grants); an
#    explicit --spis 256 is not shrunk and fails with the typed error;
#  - remote macro-flow policy: without --remote rsipc says what is needed
#    before asking; with it the binding names the peer;
#  - a host not allowed IPsec gets IPSEC_UNALLOWED (401), by name.
. "$(dirname "$0")/rsipc_lab.sh"

lab_up --spi-block 64 --flow-policy macro/macro --lease 60

in_cl "$RSIPC" --server $NA --state-dir "$TMP/state" up >"$TMP/a.out" 2>"$TMP/a.err"
[ $? = 1 ] || fail "up without --remote under remote macro policy should fail"
grep -q "remote flow policy is macro-flow: name the peer with --remote" "$TMP/a.err" ||
	fail "no hint about --remote: $(cat "$TMP/a.err")"
[ "$(gw_clients)" = 0 ] || fail "the failed up left a registration behind"
ok "remote macro policy: $(head -n1 "$TMP/a.err")"

in_cl "$RSIPC" --server $NA --state-dir "$TMP/state" up --remote $PEER --spis 256 \
	>"$TMP/b.out" 2>"$TMP/b.err"
[ $? = 1 ] || fail "--spis 256 with 64-SPI blocks should fail"
grep -q "IPSEC_SPI_UNAVAILABLE (402)" "$TMP/b.err" || fail "402 not named: $(cat "$TMP/b.err")"
[ "$(gw_clients)" = 0 ] || fail "the failed up left a registration behind"
ok "explicit --spis 256: $(grep 402 "$TMP/b.err")"

rsipc_start --remote $PEER --json
[ "$(json_get 'd["spi_count"]' <"$TMP/rsipc.out")" = 64 ] || fail "default SPIs did not settle at 64"
[ "$(ctl bindings | json_get 'd[0]["remote"]')" = $PEER ] || fail "the binding does not name the peer"
ok "default SPIs: 256 -> 128 -> 64 granted; binding tied to $PEER"
kill -TERM "$RSIPC_PID"
rsipc_wait_exit 15
cp "$TMP/rsipc.err" "$TMP/rsipc-1.err"

# IPsec only for another network.
kill "$RSIPD_PID"
wait "$RSIPD_PID" 2>/dev/null
ASAN_OPTIONS=detect_leaks=1 ip netns exec "$GW" "$RSIPD" --listen $NA --public $NB \
	--dataplane none --ctl-socket "$TMP/rsipd.sock" --ipsec-allow 10.200.0.0/24 \
	>"$TMP/rsipd2.log" 2>&1 &
RSIPD_PID=$!
PIDS+=("$RSIPD_PID")
wait_until 10 ctl_ready || fail "rsipd did not come back"
in_cl "$RSIPC" --server $NA --state-dir "$TMP/state" up >"$TMP/c.out" 2>"$TMP/c.err"
[ $? = 1 ] || fail "RSIPSEC should be refused"
grep -q "IPSEC_UNALLOWED (401)" "$TMP/c.err" || fail "401 not named: $(cat "$TMP/c.err")"
[ "$(gw_clients)" = 0 ] || fail "the refused up did not de-register"
ok "IPsec not allowed: $(grep 401 "$TMP/c.err")"
# RSAP-IP is still fine for this host.
rsipc_start --method rsap-ip --ports 4
[ "$(ctl bindings | json_get 'd[0]["method"]')" = RSAP-IP ] || fail "no RSAP-IP binding"
grep -q "ports     [0-9]*-[0-9]*" "$TMP/rsipc.out" || fail "no port range printed"
ok "RSAP-IP with 4 ports instead: $(grep ports "$TMP/rsipc.out" | tr -s ' ')"
in_cl "$BUILD/rsipc" --state-dir "$TMP/state" down >/dev/null || fail "down"
rsipc_wait_exit 10

no_sanitizer_reports "$TMP/rsipc.err" "$TMP/rsipc-1.err" "$TMP/a.err" "$TMP/b.err" "$TMP/c.err"
echo "PASS"
