#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 9: incoming connections (RFC 3104 Appendix G). `rsipc up --listen
# 8080,8443` sends one LISTEN_REQUEST per port for its own Nb; the gateway
# grants each as a binding of its own; a service on X1 listening on Nb:8080
# is reached from the peer Y through the XDP gateway and rsipc's TC programs
# (1 MB byte-exact), a port nobody listened for is not delivered, and `rsipc
# down` frees the listeners with the rest.
set -u
. "$(dirname "$0")/rsipc_netns.sh"
rsipc_lab listen

lab_rsipd_start || exit 1
lab_bg x1 "$LAB_DIR/rsipc-x1.log" "$rsipc" --server "$LAB_NA" --state-dir "$dir" up --ports 1 \
	--listen 8080,8443
pid=$LAB_LAST_PID
lab_wait 15 test -s "$dir/state.json" || fail "rsipc got no lease"
nb=$(state 'd["address"]')
[ "$(state 'd["listen_ports"]')" = "[8080, 8443]" ] || fail "listen ports $(state 'd["listen_ports"]')"
[ "$(lab_ctl --json counters | json 'd["rsip"]["listens"]')" = 2 ] || fail "rsipd counted no 2 LISTENs"
[ "$(lab_ctl --json bindings | json 'len(d)')" = 3 ] || fail "rsipd holds $(lab_ctl --json bindings | json 'len(d)') bindings, want 3"
ok "LISTEN on $nb:8080 and :8443 granted (3 bindings at the gateway)"

out=$LAB_DIR/recv.out
lab_bg x1 /dev/null $PY "$top/tests/netns/bulk_tcp.py" recv "$nb" 8080 "$out"
lab_wait 10 test -e "$out.ready" || fail "service on X1 did not start"
sent=$(lab_exec y $PY "$top/tests/netns/bulk_tcp.py" send "$nb" 8080 1000000) || fail "Y could not reach $nb:8080"
lab_wait 30 test -s "$out" || fail "no end of stream at X1"
[ "$sent" = "$(cat "$out")" ] || fail "sent $sent, got $(cat "$out")"
ok "Y reached the service on X1 at $nb:8080: 1 MB byte-exact"

# A port nothing listened for: the gateway keeps it (no binding).
lab_exec y timeout 3 $PY "$top/tests/netns/bulk_tcp.py" send "$nb" 8081 1000 >/dev/null 2>&1 &&
	fail "$nb:8081 (not listened for) answered"
ok "$nb:8081, not listened for, is not reachable"

lab_exec x1 "$BUILD/rsipc" --state-dir "$dir" down >/dev/null || fail "down"
lab_wait 15 sh -c "! kill -0 $pid" || fail "rsipc still runs"
[ "$(lab_ctl --json bindings | json 'len(d)')" = 0 ] || fail "bindings left after down"
ok "rsipc down freed the listeners with the rest"
rsipc_lab_finish
