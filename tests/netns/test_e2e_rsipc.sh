#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 4 end to end: two rsipc clients (X1 over IP-IP, X2 over GRE) share one
# public address Nb of the XDP gateway and exchange real traffic with the
# public peer Y: IKE by cookie (learned by trial and error), UDP on their
# leased ports and ESP-shaped packets on their SPIs, both ways, through the
# TUN devices (tests/netns/e2e_traffic.py). Then the lease's life:
#  - short leases are renewed (rsipc's EXTENDs seen by rsipd) and traffic goes
#    on through the same XDP entries;
#  - `rsipctl deregister` makes rsipc tear its tunnel down and exit (4), and the
#    gateway's maps forget the host while the other host keeps working;
#  - SIGTERM to rsipc frees its bindings at once (rsipctl, and bpftool on the
#    pinned maps);
#  - after SIGKILL the registration outlives its TCP connection (spec D4) and
#    expires with its lease.
# rsipc runs its userspace pump (--datapath pump) here: the test watches the
# tunnel packets on each host with raw IP-IP/GRE sockets, which see nothing
# once the TC programs decapsulate first (the TC-BPF data path has its own
# tests: tests/bpf/test_rsipc_tc.c, test_rsipc_bulk.sh, test_rsipc_crash.sh,
# test_rsipc_listen.sh).
# rsipd runs with docs/examples/rsipd.conf (the lab's flags override its
# interfaces, addresses and paths), which proves the example parses and works.
set -u
. "$(dirname "$0")/rsipc_netns.sh"
LAB_PUBLIC=$LAB_NB1 # one Nb: the hosts must share it
rsipc_lab e2e
LEASE=4
lab_rsipd_start --config "$top/docs/examples/rsipd.conf" --lease $LEASE --lease-min 1 || exit 1
declare -A PID

py() { $PY "$top/tests/netns/e2e_traffic.py" "$@"; }
ctl() { lab_ctl --json "$@"; }
bindings_of() { ctl bindings | json "len([b for b in d if b['client'] == '$1'])"; }
registered() { ctl clients | json "len([c for c in d if c['address'] == '$1'])"; }

# rsipc_up X TUNNEL: rsipc up on host X (its log: rsipc-X.log, appended), wait
# for the lease.
rsipc_up() {
	local x=$1 dir=$LAB_DIR/rsipc-$1
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "---- rsipc up --tunnel $2" >>"$LAB_DIR/rsipc-$x.log"
	ASAN_OPTIONS=detect_leaks=1 lab_bg "$x" /dev/null sh -c 'exec "$@" >>"$0" 2>&1' \
		"$LAB_DIR/rsipc-$x.log" "$rsipc" --server "$LAB_NA" --state-dir "$dir" up --datapath pump \
		--ports 1 --tunnel "$2"
	PID[$x]=$LAB_LAST_PID
	lab_wait 15 test -s "$dir/state.json" || fail "rsipc up on $x got no lease"
}

# rsipc_exit X: wait for X's rsipc up to end; its status in RC.
rsipc_exit() {
	local pid=${PID[$1]}
	lab_wait 15 sh -c "! kill -0 $pid" || fail "rsipc on $1 still runs"
	wait "$pid"
	RC=$?
}

# The example configuration was read: its allow line silences the warning
# rsipd gives without one.
grep -q "no --allow" "$LAB_DIR/rsipd.log" && fail "rsipd did not take 'allow' from the example config"
ok "rsipd runs with docs/examples/rsipd.conf (lab overrides: $(lab_rsipd_flags | wc -w) words of flags)"

# ---- two clients, one Nb ----------------------------------------------------------
rsipc_up x1 ipip
rsipc_up x2 gre
nb1=$(state x1 'd["address"]')
nb2=$(state x2 'd["address"]')
[ "$nb1" = "$LAB_NB1" ] && [ "$nb2" = "$LAB_NB1" ] || fail "leased $nb1 and $nb2, want both $LAB_NB1"
py lease x1 && py lease x2 || fail "leases"
py maps x1 --some && py maps x2 --some || fail "XDP entries of the clients"
ok "X1 and X2 share $nb1; both are in the XDP maps"

# ---- traffic both ways -----------------------------------------------------------------
py ike x1 x2 || fail "IKE by cookie"
ok "IKE by cookie, learned by trial and error (a collision dropped)"
py ports x1 x2 || fail "UDP on the leased ports"
ok "UDP on each client's leased port, both ways, to the right application"
py esp x1 x2 || fail "ESP by SPI"
ok "ESP on each client's SPI block, both ways"
py drops x1 x2 || fail "drops"
lab_wait 5 grep -q "LOCAL_ADDRPORT_UNALLOWED (313)" "$LAB_DIR/rsipc-x2.log" ||
	fail "X2's rsipc did not hear of its violation (D14)"
ok "unknown SPI and cookie dropped; X2 spoofing X1's port dropped and told (313)"

# ---- renewal ------------------------------------------------------------------------------
renewed() { [ "$(status x1 'd["renewals"]')" -ge 2 ] && [ "$(status x2 'd["renewals"]')" -ge 2 ]; }
lab_wait 30 renewed || fail "no renewals of the $LEASE s leases"
extends=$(ctl counters | json 'd["rsip"]["extends"]')
[ "$extends" -ge 4 ] || fail "rsipd saw $extends EXTENDs, want >= 4"
[ "$(bindings_of "$LAB_X1")" = 1 ] && [ "$(bindings_of "$LAB_X2")" = 1 ] || fail "bindings lost despite renewals"
left=$(ctl bindings | json 'max(b["lease_remaining_s"] for b in d)')
[ "$left" -le $LEASE ] || fail "lease_remaining_s $left > $LEASE"
py ports x1 x2 >/dev/null && py esp x1 x2 >/dev/null || fail "traffic after the renewals"
ok "$LEASE s leases renewed (X1 $(status x1 'd["renewals"]'), X2 $(status x2 'd["renewals"]') times; rsipd: $extends EXTENDs); traffic flows on"

# ---- the gateway takes X1's registration back ------------------------------------------
client=$(state x1 'd["client_id"]')
lab_ctl deregister "$client" >/dev/null || fail "rsipctl deregister $client"
rsipc_exit x1
[ "$RC" = 4 ] || fail "rsipc on X1 exited $RC after rsipctl deregister, want 4"
lab_exec x1 ip link show rsip0 >/dev/null 2>&1 && fail "X1's TUN rsip0 is still there"
lab_exec x1 ip rule show | grep -q "from $nb1" && fail "X1's 'from $nb1' rule is still there"
[ "$(registered "$LAB_X1")" = 0 ] || fail "X1 still registered"
py maps x1 --none || fail "X1's XDP entries after the de-registration"
py ports x2 >/dev/null && py esp x2 >/dev/null || fail "X2's traffic after X1 left"
ok "rsipctl deregister $client: X1's rsipc removed its TUN and rule and exited 4; X2 unaffected"

# ---- SIGTERM frees at once -----------------------------------------------------------------
rsipc_up x1 ipip
py ports x1 >/dev/null || fail "X1's traffic after coming back"
py maps x1 --some >/dev/null || fail "X1 back in the maps"
kill -TERM "${PID[x1]}"
rsipc_exit x1
[ "$RC" = 0 ] || fail "rsipc on X1 exited $RC on SIGTERM"
# No waiting: rsipc exits after the gateway confirmed FREE and DE-REGISTER.
[ "$(bindings_of "$LAB_X1")" = 0 ] || fail "X1's binding left after SIGTERM"
[ "$(registered "$LAB_X1")" = 0 ] || fail "X1's registration left after SIGTERM"
py maps x1 --none || fail "X1's XDP entries after SIGTERM"
ok "SIGTERM: X1's binding, registration and XDP entries gone at once"

# ---- SIGKILL: the lease runs out ----------------------------------------------------------
kill -KILL "${PID[x2]}"
wait "${PID[x2]}" 2>/dev/null
[ "$(registered "$LAB_X2")" = 1 ] || fail "X2's registration gone right after SIGKILL"
[ "$(bindings_of "$LAB_X2")" = 1 ] || fail "X2's binding gone right after SIGKILL"
py maps x2 --some >/dev/null || fail "X2's XDP entries gone right after SIGKILL"
ok "SIGKILL: X2's registration outlives its TCP connection (D4)"
expired() { [ "$(registered "$LAB_X2")" = 0 ] && [ "$(bindings_of "$LAB_X2")" = 0 ]; }
lab_wait 30 expired || fail "X2's lease never ran out"
py maps x2 --none || fail "X2's XDP entries after the expiry"
[ "$(ctl counters | json 'd["rsip"]["leases_expired"]')" -ge 1 ] || fail "no leases_expired"
ok "after SIGKILL, X2's binding, registration and XDP entries expired with the lease"

rsipc_lab_finish
