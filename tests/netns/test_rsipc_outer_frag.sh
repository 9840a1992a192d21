#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 9: outer fragments on the BPF data path. UDP datagrams of 2,000 to
# 9,000 bytes from the peer Y to a leased port on X1 arrive at the gateway as
# IP fragments; its slow path reassembles them and tunnels each whole, which
# a 1,524-byte LAN carries only as outer IP fragments. rsipc's TC ingress
# program passes those to X1's kernel (counted as pass_fragment), which
# reassembles them and hands them to rsipc's raw socket; rsipc checks them
# with the TC program's own rule and writes the inner datagram to its TUN.
# For IP-IP and GRE: every datagram arrives byte-exact (SHA-256), and the
# counters show the way it took (outer fragments at TC ingress, whole tunnel
# packets at the raw socket, nothing dropped there).
set -u
. "$(dirname "$0")/rsipc_netns.sh"
rsipc_lab ofrag
SIZES="2000 4000 9000"
N=3

lab_rsipd_start || exit 1
for tunnel in ipip gre; do
	rm -rf "$dir"
	mkdir -p "$dir"
	lab_bg x1 "$LAB_DIR/rsipc-x1.log" "$rsipc" --server "$LAB_NA" --state-dir "$dir" up \
		--ports 1 --tunnel "$tunnel"
	pid=$LAB_LAST_PID
	lab_wait 15 test -s "$dir/state.json" || fail "rsipc up ($tunnel) got no lease"
	[ "$(status 'd["datapath"]')" = bpf ] || fail "rsipc runs the $(status 'd["datapath"]') data path, want bpf"
	nb=$(status 'd["address"]')
	port=$(status 'd["ports"][0]')

	out=$LAB_DIR/udp.$tunnel
	lab_bg x1 /dev/null $PY "$top/tests/netns/big_udp.py" recv "$nb" "$port" $N "$out"
	lab_wait 10 test -e "$out.ready" || fail "receiver on X1 did not start"
	# shellcheck disable=SC2086
	sent=$(lab_exec y $PY "$top/tests/netns/big_udp.py" send "$nb" "$port" $SIZES) || fail "send from Y"
	lab_wait 40 test -e "$out" || fail "$tunnel: the receiver did not finish"
	[ "$sent" = "$(cat "$out")" ] || fail "$tunnel: sent
$sent
received
$(cat "$out")"

	frags=$(status 'd["counters"]["bpf"]["pass_fragment"]')
	rx=$(status 'd["counters"]["rx_packets"]')
	drops=$(status 'sum(d["counters"]["drops"].values())')
	[ "$frags" -ge $((N * 2)) ] || fail "$tunnel: TC ingress saw $frags outer fragments, want >= $((N * 2))"
	[ "$rx" -ge $N ] || fail "$tunnel: the raw socket handed on $rx reassembled packets, want >= $N"
	[ "$drops" = 0 ] || fail "$tunnel: the raw socket's receiver dropped $drops ($(status 'd["counters"]["drops"]'))"
	ok "$tunnel: $N datagrams ($SIZES bytes) from Y to $nb:$port byte-exact; $frags outer fragments passed by TC, $rx reassembled packets through the raw socket"

	kill -TERM "$pid"
	lab_wait 15 sh -c "! kill -0 $pid" || fail "rsipc did not stop"
	wait "$pid" || fail "rsipc ($tunnel) exited $?"
done
rsipc_lab_finish
