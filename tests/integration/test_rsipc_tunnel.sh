#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# rsipc's userspace pump (--datapath pump: TUN + raw socket), both directions,
# IP-IP (over RSIP/TCP) and GRE (over RSIP/UDP), on a kernel without ipip/gre
# modules (the TC-BPF data path: tests/bpf/test_rsipc_tc.c,
# tests/netns/test_rsipc_bulk.sh):
#  - a UDP packet sent from Nb inside the client namespace arrives at Na
#    encapsulated (outer Xa -> Na, protocol 4 or 47 with the 4-byte GRE
#    header), read by a raw socket in the gateway namespace;
#  - a tunnelled packet the gateway namespace sends to Xa, for a leased port,
#    comes out of the TUN and reaches a UDP socket bound on Nb;
#  - the same packet from a source other than the tunnel endpoint does not,
#    nor one for a port rsipc did not lease (the TC program's lease rule,
#    include/rsip/rules/host.h; counted as drops.unleased).
. "$(dirname "$0")/rsipc_lab.sh"

lab_up

# roundtrip KIND(ipip|gre) [--gre]
roundtrip() {
	local kind=$1 greflag=$2 port unleased=7 n0
	port=$(rsipc_status | json_get 'd["ports"][0]')

	# Outbound: Nb -> peer, seen encapsulated at Na.
	rm -f "$TMP/ready" "$TMP/stop"
	in_gw $PKT recv-tunnel $greflag --src $XA --inner-src $NB --dport 9999 \
		--payload "out-$kind" --ready "$TMP/ready" --timeout 10 >"$TMP/recv.out" 2>&1 &
	local rp=$!
	PIDS+=("$rp")
	wait_until 10 test -e "$TMP/ready" || fail "tunnel reader did not start"
	in_cl $PKT udp-send --src $NB --dst $PEER --port 9999 --payload "out-$kind" \
		--stop "$TMP/stop" --timeout 10 >/dev/null 2>&1 &
	local sp=$!
	PIDS+=("$sp")
	wait "$rp" || { cat "$TMP/recv.out"; fail "$kind: no encapsulated packet at Na"; }
	touch "$TMP/stop"
	wait "$sp"
	ok "$kind outbound: $(grep match "$TMP/recv.out")"

	# Inbound: tunnelled to Xa, delivered to a socket on Nb.
	rm -f "$TMP/ready"
	in_cl $PKT udp-recv --addr $NB --port $port --payload "in-$kind" --ready "$TMP/ready" \
		--timeout 10 >"$TMP/udp.out" 2>&1 &
	rp=$!
	PIDS+=("$rp")
	wait_until 10 test -e "$TMP/ready" || fail "UDP reader did not start"
	in_gw $PKT send-tunnel $greflag --dst $XA --inner-src $PEER --inner-dst $NB --dport $port \
		--payload "in-$kind" --count 5 || fail "send-tunnel"
	wait "$rp" || { cat "$TMP/udp.out"; fail "$kind: nothing came out of the TUN"; }
	ok "$kind inbound: $(cat "$TMP/udp.out")"

	# Inbound from a stranger (another address of the gateway namespace):
	# not the tunnel endpoint, so not delivered.
	ip -n "$GW" addr add 10.77.0.9/24 dev g0 2>/dev/null
	rm -f "$TMP/ready"
	in_cl $PKT udp-recv --addr $NB --port $port --payload "spoof-$kind" --ready "$TMP/ready" \
		--timeout 2 >"$TMP/udp.out" 2>&1 &
	rp=$!
	PIDS+=("$rp")
	wait_until 10 test -e "$TMP/ready" || fail "UDP reader did not start"
	in_gw $PKT send-tunnel $greflag --dst $XA --inner-src $PEER --inner-dst $NB \
		--dport $port --payload "spoof-$kind" --count 3 --src 10.77.0.9 ||
		fail "send-tunnel (spoof)"
	if wait "$rp"; then
		fail "$kind: a tunnelled packet from 10.77.0.9 (not the endpoint) got through"
	fi
	ok "$kind: tunnel packets from another source are not delivered"

	# Inbound to a port that is not ours.
	n0=$(rsipc_status | json_get 'd["counters"]["drops"]["unleased"]')
	rm -f "$TMP/ready"
	in_cl $PKT udp-recv --addr $NB --port $unleased --payload "unleased-$kind" \
		--ready "$TMP/ready" --timeout 2 >"$TMP/udp.out" 2>&1 &
	rp=$!
	PIDS+=("$rp")
	wait_until 10 test -e "$TMP/ready" || fail "UDP reader did not start"
	in_gw $PKT send-tunnel $greflag --dst $XA --inner-src $PEER --inner-dst $NB \
		--dport $unleased --payload "unleased-$kind" --count 3 || fail "send-tunnel (unleased)"
	if wait "$rp"; then
		fail "$kind: a tunnelled packet to $NB:$unleased (not leased) got through"
	fi
	[ "$(rsipc_status | json_get 'd["counters"]["drops"]["unleased"]')" -ge $((n0 + 3)) ] ||
		fail "$kind: the packets to port $unleased were not counted as unleased"
	ok "$kind: tunnel packets to a port not leased are not delivered (drops.unleased)"
}

rsipc_start --tunnel ipip --datapath pump
roundtrip ipip ""
[ "$(rsipc_status | json_get 'd["counters"]["tx_packets"] > 0 and d["counters"]["rx_packets"] > 0')" = True ] ||
	fail "rsipc counted no packets"
in_cl "$BUILD/rsipc" --state-dir "$TMP/state" down >/dev/null || fail "down"
rsipc_wait_exit 10
tunnel_gone || fail "tunnel left behind"

# GRE, with RSIP itself over UDP this time.
sed -i 's/^/first run: /' "$TMP/rsipc.err"
cp "$TMP/rsipc.err" "$TMP/rsipc-ipip.err"
# Truncate before starting: the background redirection may happen after
# rsipc_leased has already looked at the old file.
: >"$TMP/rsipc.out"
ASAN_OPTIONS=detect_leaks=1 ip netns exec "$CL" "$RSIPC" --server $NA --transport udp \
	--state-dir "$TMP/state" up --tunnel gre --datapath pump >"$TMP/rsipc.out" 2>"$TMP/rsipc.err" &
RSIPC_PID=$!
PIDS+=("$RSIPC_PID")
wait_until 15 rsipc_leased || fail "rsipc up (gre, udp) did not print a lease"
grep -q "tunnel    gre via .* (mtu 1476)" "$TMP/rsipc.out" || { cat "$TMP/rsipc.out"; ip -n "$CL" route get $NA; fail "GRE tunnel MTU is not 1500 - 24"; }
[ "$(ctl clients | json_get 'd[0]["transport"]')" = udp ] || fail "not registered over UDP"
roundtrip gre --gre
kill -TERM "$RSIPC_PID"
rsipc_wait_exit 10
[ "$(gw_bindings)" = 0 ] || fail "bindings left after SIGTERM"
tunnel_gone || fail "tunnel left behind"

no_sanitizer_reports "$TMP/rsipc.err" "$TMP/rsipc-ipip.err"
echo "PASS"
