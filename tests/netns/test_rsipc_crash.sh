#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 9: rsipc survives its own crash. A UDP stream runs from the peer Y to
# a leased port on X1 (through the XDP gateway and rsipc's TC programs);
# rsipc gets SIGKILL in the middle of it and is started again with the same
# state directory. The restarted rsipc takes the same registration and
# binding up again from its state file - same client ID, binding, Nb, ports
# and SPI block, no REGISTER (rsipd's counter stays at 1) - and the stream
# arrives again; the test prints how long it was interrupted (no timing is
# judged). A bulk TCP transfer from the same leased port then shows the way
# out works too. Last, a second SIGKILL and `rsipc down`: the state file
# alone is enough to release everything at the gateway and remove the rule,
# route and TC filters.
set -u
. "$(dirname "$0")/rsipc_netns.sh"
rsipc_lab crash
counter() { lab_ctl --json counters | json "d[\"rsip\"][\"$1\"]"; }
start() {
	lab_bg x1 /dev/null sh -c 'exec "$@" >>"$0" 2>&1' "$LAB_DIR/rsipc-x1.log" \
		"$rsipc" --server "$LAB_NA" --state-dir "$dir" up --ports 2 --lease 30
	PID=$LAB_LAST_PID
}
running_as() { [ "$(state 'd["pid"]' 2>/dev/null)" = "$1" ]; }

lab_rsipd_start || exit 1
start
lab_wait 15 running_as "$PID" || fail "rsipc got no lease"
[ "$(state 'd["datapath"]')" = bpf ] || fail "not the BPF data path"
before=$(state '[d["client_id"], d["bind_id"], d["address"], d["ports"], d["spi_min"], d["spi_max"]]')
nb=$(state 'd["address"]')
p0=$(state 'd["ports"][0]')
p1=$(state 'd["ports"][1]')
ok "leased: $before"

lab_bg x1 /dev/null $PY "$top/tests/netns/udp_stream.py" recv "$nb" "$p0" 9 "$LAB_DIR/stream.json"
sleep 0.5
lab_bg y /dev/null $PY "$top/tests/netns/udp_stream.py" send "$nb" "$p0" 8
sleep 2
kill -KILL "$PID"
wait "$PID" 2>/dev/null
old=$PID
sleep 0.5
start
lab_wait 15 running_as "$PID" || fail "the restarted rsipc did not come up"
[ "$(state 'd["resumed"]')" = True ] || fail "the restarted rsipc did not resume"
after=$(state '[d["client_id"], d["bind_id"], d["address"], d["ports"], d["spi_min"], d["spi_max"]]')
[ "$after" = "$before" ] || fail "resumed with $after, had $before"
grep -q "resumed client" "$LAB_DIR/rsipc-x1.log" || fail "no 'resumed' line in rsipc's log"
[ "$(counter registrations)" = 1 ] || fail "rsipd counted $(counter registrations) registrations, want 1"
[ "$(lab_ctl --json bindings | json 'len(d)')" = 1 ] || fail "rsipd holds more than one binding"
ok "SIGKILL to rsipc ($old), restart ($PID): same client, binding, Nb, ports and SPIs; no new REGISTER"

lab_wait 15 test -s "$LAB_DIR/stream.json" || fail "the stream receiver did not finish"
st=$(cat "$LAB_DIR/stream.json")
[ "$(echo "$st" | json 'd["after_gap"]')" -gt 0 ] || fail "the stream did not come back: $st"
ok "UDP stream to $nb:$p0: $(echo "$st" | json 'd["received"]') datagrams, interrupted $(echo "$st" | json 'd["gap_ms"]') ms by the crash and restart, $(echo "$st" | json 'd["after_gap"]') after"

out=$LAB_DIR/recv.out
lab_bg y /dev/null $PY "$top/tests/netns/bulk_tcp.py" recv "$LAB_Y" 5001 "$out"
lab_wait 10 test -e "$out.ready" || fail "receiver on Y"
sent=$(lab_exec x1 $PY "$top/tests/netns/bulk_tcp.py" send "$LAB_Y" 5001 2000000 --bind "$nb:$p1") ||
	fail "TCP from $nb:$p1 after the restart"
lab_wait 30 test -s "$out" || fail "no end of stream at Y"
[ "$sent" = "$(cat "$out")" ] || fail "TCP after the restart: sent $sent, got $(cat "$out")"
ok "2 MB TCP from $nb:$p1 to Y after the restart, byte-exact"

# Crash again; `rsipc down` releases from the state file.
kill -KILL "$PID"
wait "$PID" 2>/dev/null
lab_exec x1 "$BUILD/rsipc" --state-dir "$dir" down >"$LAB_DIR/down.out" 2>&1 || fail "down after the crash: $(cat "$LAB_DIR/down.out")"
grep -q "released at the gateway" "$LAB_DIR/down.out" || fail "down: $(cat "$LAB_DIR/down.out")"
[ "$(lab_ctl --json bindings | json 'len(d)')" = 0 ] || fail "bindings left at the gateway"
[ "$(lab_ctl --json clients | json 'len(d)')" = 0 ] || fail "registration left at the gateway"
lab_exec x1 ip rule show | grep -q "from $nb" && fail "rule left"
[ -z "$(lab_exec x1 ip route show table 4555)" ] || fail "route left in table 4555"
lab_exec x1 tc filter show dev eth0 ingress | grep -q . && fail "TC ingress filter left"
lab_exec x1 tc filter show dev eth0 egress | grep -q . && fail "TC egress filter left"
[ ! -e "$dir/state.json" ] || fail "state file left"
ok "SIGKILL, then rsipc down: released at the gateway from the state file; rule, route, TC filters and state gone"

rsipc_lab_finish
