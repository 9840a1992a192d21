#!/usr/bin/env bash
# test-timeout: 240
# SPDX-License-Identifier: BSD-2-Clause
# The "several hosts" IKE peer entry across a failover (issue 12): the
# failover lab (failover_lab.sh: 3 etcd members, N1 and N2 with keepalived
# and rsipd --dataplane xdp --store etcd:// --role-file), X1 and X2 both
# rsipc RSIPSEC on the shared IKE ports of one Nb (rsipd --public 192.0.2.10
# only: the allocator would otherwise put the second host on the other Nb),
# real packets through the real XDP programs:
#   - X1, then X2, send an IKE_SA_INIT from Nb:500 to Y:500 through N1, each
#     with an SPIi of its own (Y receives both): N1's LAN program learns both
#     cookies and the peer entry (Nb, 500, Y), first for X1, then marked
#     RSIP_TF_IKE_SEVERAL when X2 talks to Y too (bpftool on N1's pinned
#     rsip_ike: flags 12);
#   - N1 publishes the peer row with "kind":1, "several":true; N2 (standby)
#     mirrors it: its pinned rsip_ike holds the peer entry with flags 12 and
#     both cookies, each naming its host and Y;
#   - kill -9 N1's rsipd, N1's links down: keepalived moves Na and the Nb
#     pool to N2; the hosts send nothing more;
#   - Y sends a protected IKE message (first payload SK) with an SPI no host
#     sent, as Y's first request on an IKE SA it rekeyed: N2's WAN program
#     hands it to the slow path (wan_slow_ike_fanout), rsipd's fan-out
#     tunnels a copy to each candidate (slow_fanout_started,
#     slow_fanout_copies): X1 AND X2 receive it (docs/dataplane.md "IKE from
#     a known peer"); Y's retransmissions go to the same two
#     (slow_fanout_repeated);
#   - Y sends a new IKE_SA_INIT (unprotected) with an SPI no host sent: with
#     several hosts every answer would be unprotected too, so N2 drops it
#     (wan_drop_ike_ambiguous) and neither host receives it;
#   - Y2 (a second address on Y's link) that no host talked to sends the
#     same protected message: dropped (wan_drop_no_cookie), no fan-out
#     started, neither host receives it.
# The test of the test: FO_SEVERAL_BREAK=1 rewrites the peer row in etcd
# with "several":false before N2's check (as a gateway that did not publish
# the flag would): N2's entry is then X1's alone and the test fails at
# "N2's peer entry ... not several"; FO_SEVERAL_BREAK=nomap does the same
# without that map check: Y's protected message then reaches X1 only
# (wan_tx_ike_peer) and the test fails at "X2 did not receive".
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/failover_lab.sh"
fo_need bpftool
fo_init fos
fail() {
	echo "FAIL: $*"
	fo_logs rsipd-n1 rsipd-n2 rsipc-x1 rsipc-x2
	exit 1
}
fo_up || fail "lab setup"
FO_Y2=198.51.100.3
ip -n "$(fo_ns y)" addr add $FO_Y2/24 dev eth0 || fail "Y2's address"
# within SECS CMD...: CMD until it succeeds, for at most SECS seconds (a
# bound on the wait, never asserted: fo_wait counts tries, and each of
# these checks runs bpftool and python, slow on a loaded machine)
within() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt "$end" ] || return 1
		sleep 0.2
	done
}
flags_are() { [ "$(fo_map_get "$1" rsip_ike "$2" flags)" = "$3" ]; } # NODE KEYHEX FLAGS
u32_ip() { python3 -c 'import socket,struct,sys; print(socket.inet_ntoa(struct.pack("=I", int(sys.argv[1]))))' "$1"; }
# entry_names NODE KEYHEX: "XA REMOTE" of NODE's rsip_ike entry (the map
# holds them in network order; bpftool prints them as host-order numbers)
entry_names() { echo "$(u32_ip "$(fo_map_get "$1" rsip_ike "$2" xa)") $(u32_ip "$(fo_map_get "$1" rsip_ike "$2" remote)")"; }

echo "== N1 active, N2 standby, both lending $FO_NB1 only"
export FO_PUBLIC=$FO_NB1
fo_gateways_up || fail "N1 active and N2 standby"

echo "== X1 and X2 lease through N1 (RSIPSEC, IKE on the shared ports 500/4500)"
for x in x1 x2; do
	fo_rsipc_start $x --transport udp --state-dir "$FO_DIR/$x" up --method rsipsec --spis 4 \
		--shared-ike --tunnel gre --json
done
declare -A xa
for x in x1 x2; do
	fo_wait 20 ip netns exec "$(fo_ns $x)" ip link show rsip0 || fail "$x: no tunnel"
	fo_wait 10 sh -c "head -n 1 $FO_DIR/rsipc-$x.log | grep -q client_id" || fail "$x: no lease"
	xa[$x]=$(ip -n "$(fo_ns $x)" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
done
nb=$(head -n 1 "$FO_DIR/rsipc-x1.log" | fo_jget address)
nb2=$(head -n 1 "$FO_DIR/rsipc-x2.log" | fo_jget address)
echo "x1 (${xa[x1]}) holds $nb, x2 (${xa[x2]}) holds $nb2"
[ "$nb" = "$nb2" ] || fail "X1 and X2 hold different Nb ($nb, $nb2)"

declare -A cookie
cookie[x1]=c1c1$(printf '%012x' $((RANDOM * 32768 + RANDOM)))
cookie[x2]=c2c2$(printf '%012x' $((RANDOM * 32768 + RANDOM)))
peer_key=$(fo_ip_hex "$nb")01f40100$(fo_ip_hex $FO_Y)00000000
for x in x1 x2; do
	echo "== $x -> Y through N1: IKE_SA_INIT with SPIi ${cookie[$x]}"
	fo_probe y recv $FO_Y "${cookie[$x]}" 15 >"$FO_DIR/y.$x.recv" &
	yrecv=$!
	sleep 0.5
	for _ in 1 2 3 4 5; do
		fo_probe $x init "$nb" $FO_Y "${cookie[$x]}" || fail "$x: cannot send"
		kill -0 $yrecv 2>/dev/null || break
		sleep 0.5
	done
	wait $yrecv || fail "Y did not receive $x's IKE_SA_INIT through N1"
	cat "$FO_DIR/y.$x.recv"
	within 10 fo_in_map n1 rsip_ike "$(fo_ip_hex "$nb")01f40000${cookie[$x]}" ||
		fail "N1 did not learn $x's cookie"
	within 10 fo_in_map n1 rsip_ike "$peer_key" || fail "N1 has no peer entry (Nb, 500, Y)"
	if [ $x = x1 ]; then
		flags_are n1 "$peer_key" 4 ||
			fail "N1's peer entry after X1 alone: flags $(fo_map_get n1 rsip_ike "$peer_key" flags), not 4"
	fi
done
within 5 flags_are n1 "$peer_key" 12 ||
	fail "N1's peer entry is not RSIP_TF_LEARNED | RSIP_TF_IKE_SEVERAL (12):" \
		"flags $(fo_map_get n1 rsip_ike "$peer_key" flags)"
echo "N1: peer entry (Nb, 500, Y) flags 4 after X1, 12 (several) after X2; names $(entry_names n1 "$peer_key")"
[ "$(entry_names n1 "$peer_key")" = "${xa[x1]} $FO_Y" ] || fail "N1's peer entry does not name X1 and Y"

echo "== N1 publishes the peer row with \"several\":true; N2 mirrors it"
row() { etcd_ctl get "${FO_PREFIX}learned/ike/$peer_key" --print-value-only; }
row_several() { grep -q '"kind":1,"several":true' <<<"$(row)"; }
within 15 row_several || fail "etcd's peer row does not say several: $(row)"
peer_row=$(row)
echo "in etcd: learned/ike/$peer_key = $peer_row"
if [ -n "${FO_SEVERAL_BREAK:-}" ]; then
	echo "FO_SEVERAL_BREAK=$FO_SEVERAL_BREAK: the peer row rewritten with \"several\":false"
	etcd_ctl put "${FO_PREFIX}learned/ike/$peer_key" "${peer_row/\"several\":true/\"several\":false}" \
		>/dev/null || fail "etcdctl put"
	within 15 flags_are n2 "$peer_key" 4 || echo "N2 did not mirror the rewrite (the test goes on)"
fi
for x in x1 x2; do
	k=$(fo_ip_hex "$nb")01f40000${cookie[$x]}
	within 15 fo_in_map n2 rsip_ike "$k" || fail "N2's rsip_ike has no entry for $x's cookie"
	[ "$(entry_names n2 "$k")" = "${xa[$x]} $FO_Y" ] ||
		fail "N2's entry for $x's cookie names $(entry_names n2 "$k"), not ${xa[$x]} $FO_Y"
done
within 15 fo_in_map n2 rsip_ike "$peer_key" || fail "N2's rsip_ike has no peer entry (Nb, 500, Y)"
if [ "${FO_SEVERAL_BREAK:-}" != nomap ]; then
	within 15 flags_are n2 "$peer_key" 12 ||
		fail "N2's peer entry is not several: flags $(fo_map_get n2 rsip_ike "$peer_key" flags), not 12"
fi
echo "N2: peer entry flags $(fo_map_get n2 rsip_ike "$peer_key" flags), names $(entry_names n2 "$peer_key");" \
	"both cookies mirrored, each naming its host and Y"
[ "$(fo_ctl n2 status | fo_jget cluster learned refused)" = 0 ] || fail "N2 refused learned entries"

echo "== kill -9 N1's rsipd, N1's links down"
fo_n1_dies || fail "takeover"

# deliver SRC MODE COOKIE RECEIVERS...: Y (or Y2) sends the IKE message MODE
# (ike_probe.py) from SRC with SPIi COOKIE to Nb:500 every 0.3 s, at most 40
# times, while each RECEIVER waits on Nb:500 for it; prints who received
# it; true when every one did.
deliver() {
	local src=$1 mode=$2 c=$3 x pids=() all=0 any
	shift 3
	for x in "$@"; do
		fo_probe $x recv "$nb" "$c" 15 >"$FO_DIR/$x.got" &
		pids+=($!)
	done
	sleep 0.5
	for _ in $(seq 40); do
		fo_probe y "$mode" "$src" "$nb" "$c" || fail "y: cannot send from $src"
		any=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && any=1; done
		[ $any = 1 ] || break
		sleep 0.3
	done
	for i in "${!pids[@]}"; do
		x=${*:i+1:1}
		if wait "${pids[$i]}"; then
			echo "  $x: $(cat "$FO_DIR/$x.got")"
		else
			echo "  $x: nothing"
			all=1
		fi
	done
	return $all
}
# receives_nothing SRC MODE COOKIE: Y sends MODE 10 times (0.3 s apart)
# while X1 and X2 listen for 5 s: true when neither got it.
receives_nothing() {
	local src=$1 mode=$2 c=$3 x pids=() got=0
	for x in x1 x2; do
		fo_probe $x recv "$nb" "$c" 5 >"$FO_DIR/$x.got" &
		pids+=($!)
	done
	sleep 0.5
	for _ in $(seq 10); do
		fo_probe y "$mode" "$src" "$nb" "$c" || fail "y: cannot send from $src"
		sleep 0.3
	done
	for p in "${pids[@]}"; do wait "$p" && got=1; done
	for x in x1 x2; do [ -s "$FO_DIR/$x.got" ] && echo "  $x: $(cat "$FO_DIR/$x.got")"; done
	return $got
}
snap() { # the counters this test reads, as "name=value ..."
	local n out=
	for n in wan_slow_ike_fanout slow_fanout_started slow_fanout_repeated slow_fanout_copies \
		slow_fanout_no_candidate wan_tx_ike_peer wan_drop_ike_ambiguous wan_drop_no_cookie; do
		out="$out $n=$(fo_counter n2 $n)"
	done
	echo "${out# }"
}
val() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$2"; } # NAME SNAP
delta() { echo $(($(val "$1" "$3") - $(val "$1" "$2"))); } # NAME BEFORE AFTER

echo "== Y sends a protected IKE message with an SPI no host sent: N2 fans it out to X1 and X2"
fresh=5e11$(printf '%012x' $((RANDOM * 32768 + RANDOM)))
before=$(snap)
deliver $FO_Y peer "$fresh" x1 x2 ||
	fail "X1 and X2 did not both receive Y's protected message through N2 ($(snap))"
after=$(snap)
echo "N2: $after"
[ "$(delta wan_slow_ike_fanout "$before" "$after")" -ge 1 ] || fail "N2's WAN program handed no fan-out over"
[ "$(delta slow_fanout_started "$before" "$after")" -ge 1 ] || fail "N2 started no fan-out"
[ "$(delta slow_fanout_copies "$before" "$after")" -ge 2 ] || fail "N2 tunnelled fewer than 2 copies"
[ "$(delta wan_tx_ike_peer "$before" "$after")" = 0 ] || fail "N2 sent it to one host (wan_tx_ike_peer)"
echo "fan-out: started +$(delta slow_fanout_started "$before" "$after"), repeated" \
	"+$(delta slow_fanout_repeated "$before" "$after"), copies +$(delta slow_fanout_copies "$before" "$after")"

echo "== Y sends a new IKE_SA_INIT (unprotected) with an SPI no host sent: ambiguous, dropped"
fresh=1a17$(printf '%012x' $((RANDOM * 32768 + RANDOM)))
before=$(snap)
receives_nothing $FO_Y init "$fresh" || fail "a host received Y's unprotected IKE_SA_INIT"
after=$(snap)
[ "$(delta wan_drop_ike_ambiguous "$before" "$after")" -ge 10 ] ||
	fail "N2 did not count the IKE_SA_INITs as ambiguous ($after)"
[ "$(delta slow_fanout_started "$before" "$after")" = 0 ] || fail "N2 fanned out an unprotected message"
echo "N2: wan_drop_ike_ambiguous +$(delta wan_drop_ike_ambiguous "$before" "$after"), neither host received it"

echo "== Y2 ($FO_Y2), whom no host talked to, sends the protected message: dropped"
fresh=5e22$(printf '%012x' $((RANDOM * 32768 + RANDOM)))
before=$(snap)
receives_nothing $FO_Y2 peer "$fresh" || fail "a host received Y2's message"
after=$(snap)
[ "$(delta wan_drop_no_cookie "$before" "$after")" -ge 10 ] ||
	fail "N2 did not count Y2's messages as wan_drop_no_cookie ($after)"
[ "$(delta wan_slow_ike_fanout "$before" "$after")" = 0 ] &&
	[ "$(delta slow_fanout_started "$before" "$after")" = 0 ] || fail "N2 fanned out Y2's message"
echo "N2: wan_drop_no_cookie +$(delta wan_drop_no_cookie "$before" "$after"), no fan-out, neither host received it"

kill -0 "${FO_PID[rsipd-n2]}" || fail "N2's rsipd died"
fo_log_clean || fail "sanitizers (above)"
echo "PASS: the several-hosts IKE peer entry across a failover"
