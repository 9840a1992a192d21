#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 9: UDP GSO through the pump. rsipc's TUN offers USO (TUN_F_USO4/6),
# so an application's UDP_SEGMENT send (QUIC, VPNs) reaches rsipc as one
# super-packet, which the pump cuts into datagrams (user/rsipc/gso.c) and
# sends through its raw socket. From X1's leased port to the peer Y through
# the XDP gateway, IP-IP and GRE: every datagram arrives at Y byte-exact
# (SHA-256 of each), with no UDP checksum error at Y, and rsipc counted the
# super-packets it cut (tx_uso), so the datagrams went that way.
set -u
. "$(dirname "$0")/rsipc_netns.sh"
rsipc_lab uso
SEG=1200
TOTAL=12500 # 11 datagrams, the last 500 bytes
N=$(((TOTAL + SEG - 1) / SEG))
PORT=6001

udp_csum_errors() {
	lab_exec "$1" awk '/^Udp:/ {if (!h) {for (i = 1; i <= NF; i++) if ($i == "InCsumErrors") c = i; h = 1} else print $c}' /proc/net/snmp
}

lab_rsipd_start || exit 1
for tunnel in ipip gre; do
	rm -rf "$dir"
	mkdir -p "$dir"
	lab_bg x1 "$LAB_DIR/rsipc-x1.log" "$rsipc" --server "$LAB_NA" --state-dir "$dir" up \
		--ports 1 --tunnel "$tunnel" --datapath pump
	pid=$LAB_LAST_PID
	lab_wait 15 test -s "$dir/state.json" || fail "rsipc up ($tunnel) got no lease"
	[ "$(status 'd["datapath"]')" = pump ] || fail "rsipc runs the $(status 'd["datapath"]') data path, want pump"
	nb=$(status 'd["address"]')
	port=$(status 'd["ports"][0]')
	u0=$(status 'd["counters"]["tx_uso"]')
	e0=$(udp_csum_errors y)

	out=$LAB_DIR/uso.$tunnel
	lab_bg y /dev/null $PY "$top/tests/netns/big_udp.py" recv "$LAB_Y" $PORT $N "$out"
	lab_wait 10 test -e "$out.ready" || fail "receiver on Y did not start"
	sent=$(lab_exec x1 $PY "$top/tests/netns/big_udp.py" send-gso "$nb" "$port" "$LAB_Y" $PORT $SEG $TOTAL) ||
		fail "$tunnel: the UDP_SEGMENT send from X1 failed"
	lab_wait 40 test -e "$out" || fail "$tunnel: the receiver did not finish"
	[ "$sent" = "$(cat "$out")" ] || fail "$tunnel: sent
$sent
received
$(cat "$out")"
	uso=$(($(status 'd["counters"]["tx_uso"]') - u0))
	[ "$uso" -ge 1 ] || fail "$tunnel: rsipc cut no USO super-packet (tx_uso $uso): did the TUN take USO?"
	err=$(($(udp_csum_errors y) - e0))
	[ "$err" = 0 ] || fail "$tunnel: Y counted $err UDP InCsumErrors"
	ok "$tunnel: one UDP_SEGMENT send of $TOTAL bytes from $nb:$port, $N datagrams byte-exact at Y; $uso USO super-packet(s) cut by the pump"

	kill -TERM "$pid"
	lab_wait 15 sh -c "! kill -0 $pid" || fail "rsipc did not stop"
	wait "$pid" || fail "rsipc ($tunnel) exited $?"
done
rsipc_lab_finish
