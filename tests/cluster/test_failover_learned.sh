#!/usr/bin/env bash
# test-timeout: 240
# What the data plane learns survives a failover (issue 12, item 3): the
# failover lab (failover_lab.sh: 3 etcd members, N1 and N2 with keepalived
# and rsipd --dataplane xdp --store etcd:// --role-file, X2 with rsipc
# RSIPSEC on the shared IKE ports, peer Y), real packets through the real
# XDP programs:
#   - X2 sends an IKE_SA_INIT from Nb:500 to Y:500 through N1 (Y receives
#     it): N1's LAN program learns X2's cookie and the peer entry
#     (Nb, 500, Y) that routes an exchange Y starts; X2 sends an ESP-shaped
#     packet to Y on Y's SPI: N1 learns the outbound (Y, SPI); X2 pings Y
#     (an echo request with an id of its own): N1 learns the echo id;
#   - N1 publishes both to etcd (PREFIX learned/...), N2 (standby) writes
#     them into its own maps: bpftool finds the cookie entry in N2's rsip_ike
#     and the (Y, SPI) entry in N2's rsip_out_spi, and rsipctl status counts
#     them (published at N1, mirrored at N2), and the echo id in rsip_icmp_id;
#     the peer entry is in etcd ("kind":1, "several":false) and N2's rsip_ike;
#   - the rate bound (--learned-rate 2 here): X2 sends ESP on 6 more of Y's
#     SPIs at once; N1 learns them in the same second, publishes 2 a second,
#     logs that the others wait, and every one reaches etcd and N2;
#   - the peer row turns "several" (put with etcdctl, as N1 writes it when
#     a second host talks IKE with Y): N2 rewrites its entry in place
#     (RSIP_TF_IKE_SEVERAL set, no second entry, X2's learned count
#     unchanged), and back;
#   - rows in etcd that do not fit (a host N2 does not have, a bad key, a
#     value that is not JSON, a peer entry of X2's whose Y is a multicast
#     address) are skipped by N2 with a warning naming each (and why), and
#     nothing of them reaches its maps;
#   - kill -9 N1's rsipd, N1's links down: keepalived moves the addresses
#     to N2; X2 sends nothing more; Y starts an exchange on that IKE SA (an
#     INFORMATIONAL request with X2's cookie): it reaches X2 through N2;
#     Y sends an echo reply with X2's echo id: it reaches X2 through N2;
#     Y starts a new Main Mode (IKEv1, a NEW initiator cookie no host sent)
#     to Nb:500: N2 routes it to X2 by the mirrored peer entry
#     (wan_tx_ike_peer goes up) and X2 receives it;
#   - X2's lease ends (rsipc down): N2, now active, withdraws its entries
#     from etcd.
# Without the publish (rsipd --learned-rate 0) N2's maps have neither entry
# and Y's message is dropped at N2 (no cookie): the test fails. Without peer
# entries in the publish (main's rsipd before issue 12 item 3's peer rows)
# N2's rsip_ike has no (Nb, 500, Y) and the new Main Mode is dropped at N2.
# LEARNED_RATE overrides --learned-rate 2 (LEARNED_RATE=0 for that check).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/failover_lab.sh"
fo_need bpftool
fo_init fol
fail() {
	echo "FAIL: $*"
	fo_logs rsipd-n1 rsipd-n2 rsipc-x2 keepalived-n2
	exit 1
}
fo_up || fail "lab setup"
rate=(--learned-rate "${LEARNED_RATE:-2}")
learned() { fo_ctl "$1" status | fo_jget cluster learned "$2"; }

echo "== N1 active, N2 standby"
fo_keepalived_start n1
fo_wait 20 sh -c "[ \"\$(cat $FO_DIR/n1.state 2>/dev/null)\" = MASTER ]" && fo_holds n1 ||
	fail "N1 did not become MASTER with Na and the Nb pool"
fo_rsipd_start n1 "${rate[@]}" || fail "rsipd on N1"
fo_wait 10 fo_is_role n1 active || fail "N1's rsipd is not active"
fo_keepalived_start n2
fo_wait 20 sh -c "[ \"\$(cat $FO_DIR/n2.state 2>/dev/null)\" = BACKUP ]" ||
	fail "N2 did not become BACKUP"
fo_rsipd_start n2 "${rate[@]}" || fail "rsipd on N2"
fo_is_role n2 standby || fail "N2's rsipd is not standby"

echo "== X2 leases through N1 (RSIPSEC, IKE on the shared ports 500/4500)"
fo_rsipc_start x2 --transport udp --state-dir "$FO_DIR/x2" up --method rsipsec --spis 4 \
	--shared-ike --tunnel gre --json
fo_wait 20 ip netns exec "$(fo_ns x2)" ip link show rsip0 || fail "x2: no tunnel"
fo_wait 10 sh -c "head -n 1 $FO_DIR/rsipc-x2.log | grep -q client_id" || fail "x2: no lease"
nb=$(head -n 1 "$FO_DIR/rsipc-x2.log" | fo_jget address)
echo "x2 holds $nb"

cookie=c00c1e$(printf '%010x' $((RANDOM * 32768 + RANDOM)))
yspi=5e5e$(printf '%04x' $((RANDOM)))
echo "== X2 -> Y through N1: IKE_SA_INIT with SPIi $cookie, ESP on Y's SPI 0x$yspi"
fo_probe y recv $FO_Y "$cookie" 15 >"$FO_DIR/y.recv" &
yrecv=$!
sleep 0.5
for _ in 1 2 3 4 5; do
	fo_probe x2 init "$nb" $FO_Y "$cookie" || fail "x2: cannot send"
	kill -0 $yrecv 2>/dev/null || break
	sleep 0.5
done
wait $yrecv || fail "Y did not receive X2's IKE_SA_INIT through N1"
cat "$FO_DIR/y.recv"
fo_probe x2 esp "$nb" $FO_Y "$yspi" || fail "x2: cannot send ESP"
ike_key=$(fo_ip_hex "$nb")01f40000$cookie
out_key=$(fo_ip_hex $FO_Y)$(printf '%08x' $((16#$yspi)))
fo_wait 10 fo_in_map n1 rsip_ike "$ike_key" || fail "N1 did not learn the cookie"
fo_wait 10 fo_in_map n1 rsip_out_spi "$out_key" || fail "N1 did not learn the outbound SPI"
echo_id=$(printf '%04x' $((RANDOM % 60000 + 1024)))
fo_probe x2 echo "$nb" $FO_Y "$echo_id" || fail "x2: cannot ping"
icmp_key=$(fo_ip_hex "$nb")${echo_id}0000
fo_wait 10 fo_in_map n1 rsip_icmp_id "$icmp_key" || fail "N1 did not learn the echo id"
# The peer entry (Nb, 500, kind 1, Y then zeros): kind is a host-order u16
# in struct rsip_ike_key (little-endian here: 01 00).
peer_key=$(fo_ip_hex "$nb")01f40100$(fo_ip_hex $FO_Y)00000000
fo_wait 10 fo_in_map n1 rsip_ike "$peer_key" || fail "N1 did not learn the peer entry (Nb, 500, Y)"
echo "N1 learned the cookie, the peer entry, (Y, 0x$yspi) and echo id 0x$echo_id"

echo "== N2 (standby) mirrors what N1 learned"
fo_wait 15 fo_in_map n2 rsip_ike "$ike_key" ||
	fail "N2's rsip_ike has no entry for X2's cookie (N1 published $(learned n1 published))"
fo_wait 15 fo_in_map n2 rsip_out_spi "$out_key" || fail "N2's rsip_out_spi has no (Y, 0x$yspi)"
fo_wait 15 fo_in_map n2 rsip_icmp_id "$icmp_key" || fail "N2's rsip_icmp_id has no echo id 0x$echo_id"
fo_wait 15 fo_in_map n2 rsip_ike "$peer_key" ||
	fail "N2's rsip_ike has no peer entry (Nb, 500, Y) (N1 published $(learned n1 published))"
peer_row=$(etcd_ctl get "${FO_PREFIX}learned/ike/$peer_key" --print-value-only)
echo "in etcd: learned/ike/$peer_key = $peer_row"
grep -q '"kind":1,"several":false' <<<"$peer_row" || fail "the peer row does not say kind 1, one host"
read -ra ike_bytes <<<"$(fo_hexbytes "$ike_key")"
bpftool -j map lookup pinned "$FO_DIR/bpffs-n2/rsip/rsip_ike" key hex "${ike_bytes[@]}" |
	python3 -c 'import json,sys; print("N2 rsip_ike:", json.dumps(json.load(sys.stdin).get("formatted", "")))'
pub=$(learned n1 published)
mir=$(learned n2 mirrored)
echo "learned entries: N1 published $pub, N2 mirrored $mir, N2 refused $(learned n2 refused)"
[ "$pub" -ge 4 ] && [ "$mir" -ge 4 ] || fail "status: published $pub, mirrored $mir"
[ "$(learned n2 refused)" = 0 ] || fail "N2 refused learned entries"

echo "== the rate bound: 6 more outbound SPIs at once, 2 published a second"
more=()
for i in 1 2 3 4 5 6; do more+=("$(printf '%08x' $((16#$yspi + 0x10000 * i)))"); done
fo_probe x2 esp "$nb" $FO_Y "${more[@]}" || fail "x2: cannot send ESP"
for s in "${more[@]}"; do
	fo_wait 20 fo_in_map n2 rsip_out_spi "$(fo_ip_hex $FO_Y)$s" || fail "N2 never got (Y, 0x$s)"
done
grep "learned entr.* wait.* for the next interval (--learned-rate 2 a second)" \
	"$FO_DIR/rsipd-n1.log" || fail "N1 never said that entries wait for the rate"
[ "$(learned n1 waiting)" = 0 ] || fail "N1 still has $(learned n1 waiting) waiting"
echo "N1 published $(learned n1 published), N2 mirrored $(learned n2 mirrored): none lost"
keys=$(etcd_ctl get --prefix --keys-only "${FO_PREFIX}learned/" | grep .)
echo "in etcd: $(grep -c . <<<"$keys") rows under ${FO_PREFIX}learned/"
[ "$(grep -c . <<<"$keys")" = 10 ] && grep -qx "${FO_PREFIX}learned/ike/$ike_key" <<<"$keys" &&
	grep -qx "${FO_PREFIX}learned/ike/$peer_key" <<<"$keys" &&
	grep -qx "${FO_PREFIX}learned/out/$out_key" <<<"$keys" &&
	grep -qx "${FO_PREFIX}learned/icmp/$icmp_key" <<<"$keys" || fail "etcd does not hold the 10 entries"

echo "== the peer row turns several: N2 rewrites its entry in place, charged once"
x2_xa=$(fo_jget xa <<<"$peer_row")
cookies=$(fo_map_get n2 rsip_clients "$(fo_ip_hex "$x2_xa")" cookies)
entries=$(fo_map_count n2 rsip_ike)
flags=$(fo_map_get n2 rsip_ike "$peer_key" flags)
echo "N2: peer entry flags $flags, X2's learned count $cookies, $entries rsip_ike entries"
[ "$flags" = 4 ] || fail "N2's peer entry has flags $flags, not RSIP_TF_LEARNED (4)"
etcd_ctl put "${FO_PREFIX}learned/ike/$peer_key" "${peer_row/\"several\":false/\"several\":true}" \
	>/dev/null || fail "etcdctl put"
several() { [ "$(fo_map_get n2 rsip_ike "$peer_key" flags)" = "$1" ]; }
fo_wait 10 several 12 || fail "N2's peer entry is not RSIP_TF_LEARNED | RSIP_TF_IKE_SEVERAL (12)" \
	"after the row said several: $(fo_map_get n2 rsip_ike "$peer_key" flags)"
[ "$(fo_map_count n2 rsip_ike)" = "$entries" ] || fail "N2's rsip_ike: $(fo_map_count n2 rsip_ike) entries"
[ "$(fo_map_get n2 rsip_clients "$(fo_ip_hex "$x2_xa")" cookies)" = "$cookies" ] ||
	fail "X2's learned count at N2 moved: $(fo_map_get n2 rsip_clients "$(fo_ip_hex "$x2_xa")" cookies)"
etcd_ctl put "${FO_PREFIX}learned/ike/$peer_key" "$peer_row" >/dev/null || fail "etcdctl put"
fo_wait 10 several 4 || fail "N2's peer entry did not go back to one host"
[ "$(fo_map_get n2 rsip_clients "$(fo_ip_hex "$x2_xa")" cookies)" = "$cookies" ] ||
	fail "X2's learned count at N2 moved: $(fo_map_get n2 rsip_clients "$(fo_ip_hex "$x2_xa")" cookies)"
[ "$(learned n2 refused)" = 0 ] || fail "N2 refused learned entries"
echo "N2: flags 4 -> 12 -> 4 in place; X2's learned count $cookies, $entries rsip_ike entries throughout"

echo "== rows that do not fit are skipped by N2, each named"
bad_ike=$(fo_ip_hex "$nb")01f40000badc0ffee0000001
etcd_ctl put "${FO_PREFIX}learned/ike/$bad_ike" \
	'{"host":"0badf00d","xa":"10.0.0.99","tunnel":2,"remote":"198.51.100.2","gateway":"x"}' \
	>/dev/null || fail "etcdctl put"
etcd_ctl put "${FO_PREFIX}learned/icmp/zz" '{}' >/dev/null || fail "etcdctl put"
etcd_ctl put "${FO_PREFIX}learned/out/c63364025e5e0001" 'not json' >/dev/null ||
	fail "etcdctl put"
# X2's own peer row, as N1 wrote it, but for a Y that is a multicast
# address (224.0.0.5): a peer entry the LAN rules never write.
bad_peer=$(fo_ip_hex "$nb")01f40100e000000500000000
bad_val=$(python3 -c 'import json,sys; v=json.loads(sys.argv[1]); v["remote"]="224.0.0.5"
print(json.dumps(v, separators=(",", ":")))' "$peer_row")
etcd_ctl put "${FO_PREFIX}learned/ike/$bad_peer" "$bad_val" >/dev/null || fail "etcdctl put"
fo_wait 10 sh -c "[ \"\$($BUILD/rsipctl --socket $FO_DIR/n2.sock --json status |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[\"cluster\"][\"learned\"][\"refused\"])')\" -ge 4 ]" ||
	fail "N2 refused $(learned n2 refused) rows, not 4 (or more: each full read counts them again)"
for k in "ike/$bad_ike" icmp/zz out/c63364025e5e0001 "ike/$bad_peer"; do
	grep "learned entry ${FO_PREFIX}learned/$k" "$FO_DIR/rsipd-n2.log" || fail "no warning names $k"
done
grep -q "learned entry ${FO_PREFIX}learned/ike/$bad_peer.*peer Y not a unicast address: skipped" \
	"$FO_DIR/rsipd-n2.log" || fail "N2's warning on the bad peer row does not say why"
! fo_in_map n2 rsip_ike "$bad_ike" || fail "N2 wrote a row for a host it does not have"
! fo_in_map n2 rsip_ike "$bad_peer" || fail "N2 wrote a peer entry for a multicast Y"
kill -0 "${FO_PID[rsipd-n2]}" || fail "N2's rsipd died"

echo "== kill -9 N1's rsipd, N1's links down"
fo_rsipd_kill n1
ip -n "$(fo_ns n1)" link set lan0 down
ip -n "$(fo_ns n1)" link set wan0 down
fo_wait 20 fo_holds n2 || fail "N2 did not take Na and the Nb pool"
fo_wait 10 fo_is_role n2 active || fail "N2's rsipd did not become active"
echo "N2 holds Na and the Nb pool, rsipd $(fo_role n2)"

echo "== Y starts an exchange on X2's IKE SA; X2 has sent nothing since the failover"
fo_probe x2 recv "$nb" "$cookie" 20 >"$FO_DIR/x2.recv" &
xrecv=$!
sleep 0.5
for _ in $(seq 60); do
	fo_probe y peer $FO_Y "$nb" "$cookie" || fail "y: cannot send"
	kill -0 $xrecv 2>/dev/null || break
	sleep 0.3
done
wait $xrecv || fail "Y's IKE message with X2's cookie did not reach X2 through N2"
cat "$FO_DIR/x2.recv"
fo_probe x2 echo-recv "$nb" "$echo_id" 20 >"$FO_DIR/x2.echo" &
xrecv=$!
sleep 0.5
for _ in $(seq 60); do
	fo_probe y echo-reply $FO_Y "$nb" "$echo_id" || fail "y: cannot send an echo reply"
	kill -0 $xrecv 2>/dev/null || break
	sleep 0.3
done
wait $xrecv || fail "Y's echo reply with X2's echo id did not reach X2 through N2"
cat "$FO_DIR/x2.echo"
echo "== Y starts a new Main Mode with a NEW initiator cookie: the mirrored peer entry routes it"
newcookie=11ce$(printf '%012x' $((RANDOM * 32768 + RANDOM)))
peer_tx=$(fo_counter n2 wan_tx_ike_peer)
fo_probe x2 recv "$nb" "$newcookie" 20 >"$FO_DIR/x2.mm" &
xrecv=$!
sleep 0.5
for _ in $(seq 60); do
	fo_probe y main-mode $FO_Y "$nb" "$newcookie" || fail "y: cannot send"
	kill -0 $xrecv 2>/dev/null || break
	sleep 0.3
done
wait $xrecv || fail "Y's new Main Mode (cookie $newcookie) did not reach X2 through N2" \
	"(wan_tx_ike_peer $peer_tx -> $(fo_counter n2 wan_tx_ike_peer), wan_drop_no_cookie" \
	"$(fo_counter n2 wan_drop_no_cookie))"
cat "$FO_DIR/x2.mm"
echo "N2 wan_tx_ike_peer: $peer_tx -> $(fo_counter n2 wan_tx_ike_peer)"
[ "$(fo_counter n2 wan_tx_ike_peer)" -gt "$peer_tx" ] || fail "N2's wan_tx_ike_peer did not go up"
# N2's own publisher starts from the mirrored table: nothing to withdraw.
fo_in_map n2 rsip_ike "$ike_key" || fail "N2 lost the cookie entry after taking over"
[ "$(learned n2 withdrawn)" = 0 ] || fail "N2 withdrew $(learned n2 withdrawn) entries"

echo "== X2's lease ends: N2 withdraws its entries from etcd"
ip netns exec "$(fo_ns x2)" "$FO_RSIPC" --state-dir "$FO_DIR/x2" down >/dev/null ||
	fail "rsipc down"
gone() { [ "$(etcd_ctl get --prefix --keys-only "${FO_PREFIX}learned/" | grep -c .)" = 4 ]; }
fo_wait 15 gone || fail "etcd still holds X2's learned entries"
! fo_in_map n2 rsip_ike "$ike_key" || fail "N2's map still holds X2's cookie"
! fo_in_map n2 rsip_ike "$peer_key" || fail "N2's map still holds X2's peer entry"
[ "$(learned n2 withdrawn)" = 10 ] || fail "N2 withdrew $(learned n2 withdrawn), not 10"
echo "withdrawn by N2: $(learned n2 withdrawn); etcd: $(etcd_ctl get --prefix --keys-only "${FO_PREFIX}learned/" | grep -c .) rows left (the 4 that did not fit)"
fo_log_clean || fail "sanitizers (above)"
echo "PASS: learned entries across a failover"
