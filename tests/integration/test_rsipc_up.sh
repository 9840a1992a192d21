#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# rsipc up against the real rsipd: it prints the lease, the TUN device holds
# Nb/32 with the tunnel MTU, the "from Nb" rule and the table's default route
# exist, status answers, the gateway shows the binding, a short lease is
# renewed (again and again), and `rsipc down` releases everything at the
# gateway at once and removes tunnel, rule and route.
. "$(dirname "$0")/rsipc_lab.sh"

lab_up --lease 2 --lease-min 1
rsipc_start --ike-port --lease 2 --json

# The lease as printed (--json).
out=$(cat "$TMP/rsipc.out")
addr=$(echo "$out" | json_get 'd["address"]')
[ "$addr" = "$NB" ] || fail "leased address $addr, want $NB"
[ "$(echo "$out" | json_get 'd["spi_count"]')" = 256 ] || fail "default SPI count"
ike=$(echo "$out" | json_get 'd["ike_port"]')
natt=$(echo "$out" | json_get 'd["natt_port"]')
[ "$natt" = $((ike + 1)) ] || fail "IKE/NAT-T ports $ike/$natt"
dev=$(echo "$out" | json_get 'd["dev"]')
bind_id=$(echo "$out" | json_get 'd["bind_id"]')
ok "up printed the lease: $addr, SPIs $(echo "$out" | json_get 'd["spi_min"]+"-"+d["spi_max"]'), IKE $ike, NAT-T $natt, $dev"

# The tunnel: TUN with Nb/32, MTU 1500 - 20, rule, route.
ip -n "$CL" -d link show "$dev" | grep -q "tun" || fail "$dev is not a TUN device"
ip -n "$CL" -4 addr show dev "$dev" | grep -q "inet $NB/32" || fail "$dev has no $NB/32"
ip -n "$CL" link show "$dev" | grep -q "mtu 1480" || fail "$dev MTU is not 1480"
ip -n "$CL" rule show | grep -q "from $NB lookup 4555" || fail "no 'from $NB lookup 4555' rule"
# The TC-BPF data path (the default): the table leads out of c0 towards Na
# with the tunnel MTU, and the programs sit on c0's clsact hooks.
[ "$(rsipc_status | json_get 'd["datapath"]')" = bpf ] || fail "not the bpf data path"
ip -n "$CL" route show table 4555 | grep -q "default via $NA dev c0 .*src $NB mtu 1480" ||
	fail "no default route via $NA dev c0 src $NB mtu 1480 in table 4555"
ip netns exec "$CL" tc filter show dev c0 ingress | grep -q rsipc_ingress || fail "no TC ingress program on c0"
ip netns exec "$CL" tc filter show dev c0 egress | grep -q rsipc_egress || fail "no TC egress program on c0"
ok "TUN $dev holds $NB/32 (mtu 1480), rule and route in table 4555, TC programs on c0"

# The gateway agrees.
[ "$(ctl bindings | json_get 'd[0]["bind_id"]')" = "$bind_id" ] || fail "rsipd has no binding $bind_id"
[ "$(ctl bindings | json_get 'd[0]["ports"]')" = "$ike-$natt" ] || fail "rsipd ports differ"
ok "rsipd holds binding $bind_id"

# Status over the control socket, and the state file.
rsipc_status | json_get 'd["state"]' | grep -q running || fail "status"
json_get 'd["address"]' <"$TMP/state/state.json" | grep -q "$NB" || fail "state file"
ok "rsipc status answers; state file written"

# Renewal: a 2 s lease, renewed at 1 s; after 4 s it has been renewed at
# least twice and the binding is still there.
renewed() { [ "$(rsipc_status | json_get 'd["renewals"]')" -ge 2 ]; }
wait_until 20 renewed || fail "no renewals"
sleep 1
[ "$(gw_bindings)" = 1 ] || fail "binding gone despite renewals"
[ "$(ctl counters | json_get 'd["rsip"]["extends"]')" -ge 2 ] || fail "rsipd saw no EXTEND"
ok "2 s lease renewed $(rsipc_status | json_get 'd["renewals"]') times; binding alive"

# Down: released at once (no waiting for a lease), tunnel removed.
in_cl "$BUILD/rsipc" --state-dir "$TMP/state" down | grep -q "released at the gateway" ||
	fail "down did not report the release"
rsipc_wait_exit 10
[ "$RSIPC_RC" = 0 ] || fail "rsipc up exited $RSIPC_RC after down"
[ "$(gw_bindings)" = 0 ] || fail "bindings left at the gateway"
[ "$(gw_clients)" = 0 ] || fail "registration left at the gateway"
tunnel_gone || fail "tunnel, rule or route left behind"
ip netns exec "$CL" tc filter show dev c0 ingress | grep -q . && fail "TC filters left on c0 (ingress)"
ip netns exec "$CL" tc filter show dev c0 egress | grep -q . && fail "TC filters left on c0 (egress)"
[ ! -e "$TMP/state/state.json" ] || fail "state file left behind"
in_cl "$BUILD/rsipc" --state-dir "$TMP/state" status >/dev/null 2>&1
[ $? = 3 ] || fail "status after down should say: not running (3)"
ok "down: released at the gateway, tunnel/rule/route/TC programs/state gone"

no_sanitizer_reports "$TMP/rsipc.err"
echo "PASS"
