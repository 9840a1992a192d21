#!/usr/bin/env bash
# test-timeout: 300
# A gateway failover with traffic (issue 12), everything real: 3 etcd
# members, gateways N1 and N2 with keepalived (contrib/keepalived/, VRRPv3
# adverts every 100 ms, nopreempt) and rsipd --dataplane xdp --store etcd://
# --role-file, X1 (rsipc RSAP-IP over TCP, IP-IP) and X2 (rsipc RSIPSEC over
# UDP, GRE) with their tunnels up, Y a public peer (failover_lab.sh). Flows
# at 1,000 packets/s each way (failover_flows.py): UDP X1 <-> Y, UDP on X2's
# leased port <-> Y, ESP-shaped packets X2 <-> Y on X2's leased SPI; leases
# of 8 s, so rsipc renews every 4 s throughout.
#   - N1 active, N2 standby mirroring both hosts' bindings; N2's XDP forwards
#     nothing (frames the switch floods to it are not its own);
#   - kill -9 N1's rsipd and take N1's links down: keepalived moves Na and
#     the Nb pool to N2, N2's XDP forwards from its mirrored maps; printed:
#     packets lost per flow and the gap (ms); asserted: the flows deliver
#     again, both rsipc still hold their first registration and binding (same
#     Client and Bind IDs, address, ports, SPIs), renew at N2, and N2 holds
#     the same bindings;
#   - one etcd member stops: flows and renewals carry on;
#   - N1 comes back (links up, rsipd restarted): it reads every binding from
#     etcd and stays standby; N2 keeps the addresses (nopreempt).
# Windows after each event must deliver at least 90% each way (counts; times
# are printed, never asserted).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/failover_lab.sh"
fo_need
fo_init fot
fail() {
	echo "FAIL: $*"
	fo_logs rsipd-n1 rsipd-n2 rsipc-x1 rsipc-x2 keepalived-n1 keepalived-n2
	exit 1
}
fo_up || fail "lab setup"
lease() { # x: the lease rsipc printed, as one comparable line
	head -n 1 "$FO_DIR/rsipc-$1.log" | python3 -c 'import json,sys; d=json.load(sys.stdin)
print(d["client_id"], d["bind_id"], d["address"], ",".join(map(str, d["ports"])),
      d.get("spi_min"), d.get("spi_max"))'
}
status_of() { # x key: a field of rsipc status
	ip netns exec "$(fo_ns "$1")" "$FO_RSIPC" --state-dir "$FO_DIR/$1" --json status | fo_jget "$2"
}
bindings() { # n: the bindings as sorted "bind_id client_id nb ports spis" lines
	fo_ctl "$1" bindings | python3 -c 'import json,sys
for b in sorted(json.load(sys.stdin), key=lambda b: b["bind_id"]):
    print(b["bind_id"], b["client_id"], b["nb"], b.get("ports"), b.get("spis"))'
}
same_bindings() { [ "$(bindings "$1")" = "$(bindings "$2")" ] && [ -n "$(bindings "$1")" ]; }

echo "== N1 active, N2 standby"
fo_gateways_up --lease 8 || fail "N1 active and N2 standby"

echo "== X1 and X2 lease through N1 (rsipc, tunnels up)"
fo_rsipc_start x1 --state-dir "$FO_DIR/x1" up --method rsap-ip --ports 2 --json
fo_rsipc_start x2 --transport udp --state-dir "$FO_DIR/x2" up --method rsipsec --spis 4 \
	--ike-port --tunnel gre --json
for x in x1 x2; do
	fo_wait 20 ip netns exec "$(fo_ns $x)" ip link show rsip0 || fail "$x: no tunnel"
	fo_wait 10 lease $x || fail "$x: no lease printed"
done
lease1_x1=$(lease x1)
lease1_x2=$(lease x2)
echo "x1: $lease1_x1"
echo "x2: $lease1_x2"
read -r _ _ nb1 ports1 _ _ <<<"$lease1_x1"
read -r _ _ nb2 ports2 spimin2 _ <<<"$lease1_x2"
port1=${ports1%%,*}
port2=${ports2%%,*}
fo_wait 20 same_bindings n1 n2 || fail "N2 does not mirror N1's bindings"
echo "N2 mirrors N1: $(bindings n2 | wc -l) bindings"

echo "== flows at 1,000 packets/s each way"
mkfifo "$FO_DIR/flows.ctl"
fo_bg flows python3 "$here/failover_flows.py" "$FO_DIR/flows.ctl" "$FO_DIR/flows.json" 1000 \
	"udp,udp-x1,$(fo_ns x1),$nb1,$port1,$(fo_ns y),$FO_Y,9001" \
	"udp,udp-x2,$(fo_ns x2),$nb2,$port2,$(fo_ns y),$FO_Y,9002" \
	"esp,esp-x2,$(fo_ns x2),$nb2,$spimin2,$(fo_ns y),$FO_Y,0x5e5e0001"
exec 9>"$FO_DIR/flows.ctl"
fo_wait 20 test -e "$FO_DIR/flows.json.ready" || fail "the flows did not start"
mark() { echo "mark $1" >&9; }
mark warmup
sleep 2
mark steady-before
sleep 3

# Frames to N1's MACs reach N2 too whenever the switch floods them (a MAC
# it does not know yet): N2's programs must leave them to its kernel.
fwd1=$(fo_forwarded n1) fwd2=$(fo_forwarded n2)
echo "forwarded before the failover: N1 $fwd1 packets, N2 $fwd2"
[ "$fwd1" -gt 0 ] && [ "$fwd2" = 0 ] || fail "the standby forwarded (duplicates)"
renewals() { echo "$(status_of x1 renewals) $(status_of x2 renewals)"; }
echo "== kill -9 N1's rsipd, N1's links down"
r0=$(renewals)
mark failover
fo_n1_dies || fail "the takeover"
sleep 2
mark steady-after-failover
# Past a renewal of each host (every 4 s), now answered by N2.
sleep 5
r1=$(renewals)
read -r a0 b0 <<<"$r0"
read -r a1 b1 <<<"$r1"
[ "$a1" -gt "$a0" ] && [ "$b1" -gt "$b0" ] || fail "no renewal after the failover ($r0 -> $r1)"
echo "renewals x1 x2: $r0 before, $r1 after the failover"

echo "== etcd member 1 stops"
mark etcd-member-stop
etcd_member_stop 1
sleep 2
mark steady-etcd-member-stopped
sleep 5
r2=$(renewals)
read -r a2 b2 <<<"$r2"
[ "$a2" -gt "$a1" ] && [ "$b2" -gt "$b1" ] || fail "no renewal with a member stopped ($r1 -> $r2)"
echo "renewals x1 x2: $r2 with member 1 stopped"

echo "== N1 comes back"
mark n1-back
ip -n "$(fo_ns n1)" link set lan0 up
ip -n "$(fo_ns n1)" link set wan0 up
fo_wait 20 fo_state_is n1 BACKUP ||
	fail "N1's keepalived did not come back as BACKUP ($(fo_state n1))"
fo_rsipd_start n1 --lease 8 || fail "rsipd on N1 again"
fo_is_role n1 standby || fail "N1 came back active"
fo_wait 20 same_bindings n2 n1 || fail "N1 does not mirror N2's bindings"
mark steady-n1-back
sleep 3
echo "stop" >&9
exec 9>&-
wait "${FO_PID[flows]}"
flows_rc=$?
FO_PID[flows]=

echo "== what each host holds"
for x in x1 x2; do
	kill -0 "${FO_PID[rsipc-$x]}" 2>/dev/null || fail "$x: rsipc exited"
	[ "$(status_of $x state)" = running ] || fail "$x: rsipc state $(status_of $x state)"
done
[ "$(lease x1)" = "$lease1_x1" ] && [ "$(lease x2)" = "$lease1_x2" ] || fail "a lease changed"
# rsipc prints one lease line per registration: still one each.
for x in x1 x2; do
	n=$(grep -c '"client_id"' "$FO_DIR/rsipc-$x.log")
	[ "$n" = 1 ] || fail "$x: rsipc registered $n times"
done
b2=$(bindings n2)
for bid in $(echo "$lease1_x1" | cut -d' ' -f2) $(echo "$lease1_x2" | cut -d' ' -f2); do
	grep -q "^$bid " <<<"$b2" || fail "binding $bid is not at N2"
done
echo "x1, x2: the same Client ID, Bind ID, address, ports and SPIs; one registration each"
fo_holds n2 && ! fo_holds_any n1 || fail "the addresses moved back to N1"
[ "$(fo_state n1)" = BACKUP ] && [ "$(fo_state n2)" = MASTER ] ||
	fail "keepalived: n1 $(fo_state n1), n2 $(fo_state n2)"
fo_is_role n2 active && fo_is_role n1 standby || fail "rsipd roles: n1 $(fo_role n1), n2 $(fo_role n2)"
echo "N1 standby with $(bindings n1 | wc -l) bindings mirrored, N2 active with the addresses"
[ "$flows_rc" = 0 ] || fail "a flow did not deliver (above)"
fo_log_clean || fail "sanitizers (above)"
echo "PASS: failover with traffic"
