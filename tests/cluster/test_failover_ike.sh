#!/usr/bin/env bash
# test-timeout: 240
# SPDX-License-Identifier: BSD-2-Clause
# A real IKEv2 SA across a gateway failover (issue 12): the failover lab of
# failover_lab.sh (3 etcd members, N1 and N2 with keepalived and rsipd
# --dataplane xdp --store etcd:// --role-file) and the interop layer's
# charons (tests/interop/charon.sh): strongSwan 6.0.1 with kernel-libipsec
# on X1 under `rsipc up` (its leased IKE and NAT-T ports as charon.port /
# port_nat_t, its leased SPI block as spi_min/spi_max, raw ESP), a stock
# road-warrior responder on Y.
#   - X1's charon brings the IKE_SA and CHILD_SA up through N1; pings through
#     the CHILD_SA;
#   - kill -9 N1's rsipd and take N1's links down; keepalived moves Na and the
#     Nb pool to N2; pings run throughout and the gap is printed (never
#     asserted);
#   - asserted: the same CHILD_SA carries pings again through N2 (N2's data
#     plane counts them): the same IKE and ESP SPIs at X1, the same IKE_SA
#     unique id at Y, no new IKE_SA_INIT at Y; rsipc still holds its first
#     registration (the same Client ID, Bind ID, address, pid), renews it at N2;
#   - then X1 rekeys its CHILD_SA (a CREATE_CHILD_SA exchange through N2): new
#     SPIs, the inbound one inside the leased block, the same IKE_SA, pings
#     through the new CHILD_SA.
# Peer-initiated IKE after a failover is not exercised here: on leased ports
# it needs nothing learned, but on the shared 500/4500 it needs the learned
# cookies mirrored (docs/cluster.md).
#
# The test of the test: FO_IKE_BREAK=unmirrored starts N2's rsipd on a store
# prefix of its own, so N2 mirrors none of N1's bindings and cannot forward
# X1's traffic after the takeover: the test must then FAIL ("the CHILD_SA
# carries nothing through N2").
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/failover_lab.sh"
fo_need
. "$here/../interop/charon.sh"
IMPL=trixie # raw ESP: ESP reaches X1 by its leased SPI block, IKE by its leased port
iop_check
iop_check_trixie
fo_init fik
trap 'iop_down_charons; fo_down; etcd_cluster_down' EXIT

# charon.sh's hooks, on the failover lab.
IOP_DIR=$FO_DIR
IOP_SERVER=$FO_NA
IOP_PEER=$FO_Y
IOP_NB=$FO_NB1
IOP_RSIPC=$FO_RSIPC
IOP_GENERATED=1 # the example script writes X1's swanctl.conf (local_addrs = its lease)
IOP_NODES=()
iop_exec() {
	local n=$1
	shift
	ip netns exec "$(fo_ns "$n")" "$@"
}
iop_bg() {
	local n=$1 log=$2
	shift 2
	ip netns exec "$(fo_ns "$n")" "$@" >"$log" 2>&1 &
	IOP_LAST_PID=$!
	FO_PID[bg-$IOP_LAST_PID]=$IOP_LAST_PID
}
iop_fail() {
	echo "FAIL: $*"
	iop_charon_logs
	fo_logs rsipd-n1 rsipd-n2 keepalived-n1 keepalived-n2
	echo "---- N2's bindings: $(fo_ctl n2 bindings 2>&1 | tr -d '\n' | cut -c1-600)"
	echo "---- N2's data plane: $(counters n2)"
	exit 1
}

counters() { # n: the data plane's non-zero counters
	fo_ctl "$1" counters 2>/dev/null | python3 -c 'import json,sys
d = json.load(sys.stdin)["dataplane"]
print(" ".join("%s=%s" % (k, v) for k, v in sorted(d.items()) if v))' 2>/dev/null
}
rsipc_status() { # the fields of X1's rsipc status that a new registration changes
	ip netns exec "$(fo_ns x1)" "$FO_RSIPC" --state-dir "$FO_DIR/x1/state" --json status |
		python3 -c 'import json,sys; d=json.load(sys.stdin)
print(d["pid"], d["client_id"], d["bind_id"], d["address"], d["spi_min"], d["spi_max"], d["state"])'
}
renewals() {
	ip netns exec "$(fo_ns x1)" "$FO_RSIPC" --state-dir "$FO_DIR/x1/state" --json status |
		fo_jget renewals
}
renewed_since() { [ "$(renewals)" -gt "$1" ]; }
y_ike_sa_inits() { grep -c "IKE_SA_INIT request" "$FO_DIR/y/charon/charon.log"; }
x1_in_spi() { iop_spis x1 | sed -n 's/.* in \([0-9a-f]*\).*/\1/p'; }
in_block() { # spi(hex) min max
	[ $((0x$1)) -ge $(($2)) ] && [ $((0x$1)) -le $(($3)) ]
}

fo_up || iop_fail "lab setup"

echo "== N1 active, N2 standby"
if [ "${FO_IKE_BREAK:-}" = unmirrored ]; then
	echo "FO_IKE_BREAK=unmirrored: N2 on a store prefix of its own (mirrors nothing)"
	FO_N2_STORE=${FO_STORE}-unmirrored
fi
fo_gateways_up --lease 8 || iop_fail "N1 active and N2 standby"

echo "== Y's charon; X1: rsipc up -- rsipc-strongswan.sh (strongSwan 6.0.1, IKEv2)"
iop_exec y ip addr add $IOP_Y_INNER/32 dev lo
iop_y_start $IMPL 2
iop_host_start x1 $IMPL 2 leased
iop_wait_sa x1
read -r pid0 cid0 bid0 nb0 spimin spimax state0 <<<"$(rsipc_status)"
echo "rsipc: pid $pid0, client $cid0, binding $bid0, Nb $nb0, SPIs $spimin-$spimax, $state0"
iop_first_answer x1 || iop_fail "the CHILD_SA carries nothing through N1 (20 s)"
lost=$(iop_ping x1 10 0.1)
[ "$lost" = 0 ] || iop_fail "x1: $lost of 10 pings lost through N1"
echo "ok: 10/10 pings through the CHILD_SA via N1"
spis0=$(iop_spis x1)
ike_id0=$(iop_y_ike_id x1)
inits0=$(y_ike_sa_inits)
in0=$(x1_in_spi)
[ -n "$ike_id0" ] && [ -n "$in0" ] || iop_fail "no IKE_SA id at Y ($ike_id0) or no inbound SPI at X1 ($in0)"
in_block "$in0" "$spimin" "$spimax" || iop_fail "X1's inbound SPI 0x$in0 is outside its block $spimin-$spimax"
echo "SAs: $spis0(Y's IKE_SA #$ike_id0, IKE_SA_INITs seen by Y: $inits0)"
[ "$(fo_forwarded n2)" = 0 ] || iop_fail "the standby forwarded before the failover"

echo "== kill -9 N1's rsipd, N1's links down; pings every 20 ms throughout"
# ip netns exec execs ping: $! is ping's pid (SIGINT makes it print its totals)
ip netns exec "$(fo_ns x1)" ping -D -n -i 0.02 -W 1 "$IOP_Y_INNER" >"$FO_DIR/gap.ping" 2>&1 &
ping_pid=$!
FO_PID[gap-ping]=$ping_pid
sleep 1
r0=$(renewals)
fo_n1_dies || iop_fail "the takeover"
iop_first_answer x1 || iop_fail "the CHILD_SA carries nothing through N2 (20 s)"
sleep 1
kill -INT "$ping_pid"
wait "$ping_pid"
FO_PID[gap-ping]=
python3 - "$FO_DIR/gap.ping" <<'EOF'
import re, sys
t = [float(m.group(1)) for m in re.finditer(r"^\[(\d+\.\d+)\] \d+ bytes from", open(sys.argv[1]).read(), re.M)]
tx = re.search(r"(\d+) packets transmitted, (\d+) received", open(sys.argv[1]).read())
gap = max((b - a for a, b in zip(t, t[1:])), default=0)
print("pings across the failover: %s sent, %s answered; gap %.0f ms" %
      (tx.group(1) if tx else "?", tx.group(2) if tx else "?", gap * 1000))
EOF
fwd2=$(fo_forwarded n2)
lost=$(iop_ping x1 10 0.1)
[ "$lost" = 0 ] || iop_fail "x1: $lost of 10 pings lost through N2"
[ "$(fo_forwarded n2)" -ge $((fwd2 + 20)) ] || iop_fail "N2's data plane did not forward the pings ($fwd2 -> $(fo_forwarded n2))"
echo "ok: 10/10 pings through the same CHILD_SA via N2 (N2 forwarded $(($(fo_forwarded n2) - fwd2)) packets)"

spis1=$(iop_spis x1)
[ "$spis1" = "$spis0" ] || iop_fail "X1's SAs changed: before: $spis0; after: $spis1"
[ "$(iop_y_ike_id x1)" = "$ike_id0" ] || iop_fail "Y's IKE_SA with X1 is #$(iop_y_ike_id x1), was #$ike_id0"
[ "$(y_ike_sa_inits)" = "$inits0" ] || iop_fail "Y saw a new IKE_SA_INIT ($inits0 -> $(y_ike_sa_inits))"
echo "ok: the same IKE SPIs and CHILD_SA SPIs at X1, the same IKE_SA #$ike_id0 at Y, no new IKE_SA_INIT"
fo_wait 10 renewed_since "$r0" || iop_fail "rsipc did not renew at N2 (renewals $r0 -> $(renewals))"
read -r pid1 cid1 bid1 nb1 _ _ state1 <<<"$(rsipc_status)"
[ "$pid1 $cid1 $bid1 $nb1 $state1" = "$pid0 $cid0 $bid0 $nb0 $state0" ] ||
	iop_fail "rsipc: was $pid0 $cid0 $bid0 $nb0 $state0, now $pid1 $cid1 $bid1 $nb1 $state1"
fo_ctl n2 bindings | python3 -c 'import json,sys
sys.exit(0 if any(b["bind_id"] == int(sys.argv[1]) for b in json.load(sys.stdin)) else 1)' "$bid0" ||
	iop_fail "binding $bid0 is not at N2"
echo "ok: rsipc holds its first registration (client $cid0, binding $bid0), renewed at N2 ($r0 -> $(renewals) renewals)"

echo "== X1 rekeys its CHILD_SA through N2"
iop_swc x1 --rekey --ike "$IOP_HOST_CONN" --child net >"$FO_DIR/rekey.out" 2>&1 ||
	{ cat "$FO_DIR/rekey.out"; iop_fail "x1: swanctl --rekey --child net"; }
rekeyed() { [ "$(x1_in_spi)" != "$in0" ] && iop_sa_installed x1; }
lab_wait 20 rekeyed || iop_fail "X1's CHILD_SA was not rekeyed through N2 ($(iop_spis x1))"
in1=$(x1_in_spi)
in_block "$in1" "$spimin" "$spimax" || iop_fail "the new inbound SPI 0x$in1 is outside $spimin-$spimax"
[ "$(iop_y_ike_id x1)" = "$ike_id0" ] || iop_fail "the rekey replaced the IKE_SA"
[ "$(y_ike_sa_inits)" = "$inits0" ] || iop_fail "Y saw a new IKE_SA_INIT after the rekey"
lost=$(iop_ping x1 10 0.1)
[ "$lost" = 0 ] || iop_fail "x1: $lost of 10 pings lost through the rekeyed CHILD_SA"
echo "ok: CHILD_SA rekeyed by X1 through N2: inbound SPI 0x$in0 -> 0x$in1 (in the block), the same IKE_SA #$ike_id0, 10/10 pings"
echo "SAs now: $(iop_spis x1)"
echo "N2's data plane: $(counters n2)"
fo_log_clean || iop_fail "sanitizers (above)"
echo "PASS: a real IKE SA across the failover"
