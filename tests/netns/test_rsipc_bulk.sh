#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 9: bulk TCP both ways between a host X1 (through rsipc) and the peer Y,
# through the real XDP gateway, with GRO on at every hop that forwards or
# receives: the switch's bridge and all its ports (p0: what N sends X1 is
# merged there, and the merged packets reach X1's TC program or raw socket;
# p1: what X1's TC program sends is merged there, and the switch re-segments
# it for lan0 with partial inner TCP checksums, which the gateway's XDP
# program completes before it redirects them to Y: counted), N's
# interfaces, X1 and Y (lab_gro). For
# each data path
# (DATAPATHS, default "bpf pump") and tunnel type: several MB each way,
# byte-exact (SHA-256 of what was sent and what arrived), 0 TcpInCsumErrors
# on X1 and Y (/proc/net/snmp of their namespaces), and proof that the path
# under test carried the bytes (rsipc status counters: the TC programs' for
# bpf, with GRO-merged packets among them; the pump's for pump, whose
# frames out leave their TCP checksum partial to the kernel).
# GW_ATTACH=tc (test_rsipc_bulk_tc.sh) runs the gateway's TC programs instead
# of its XDP programs (rsipd --attach tc): then GSO packets must cross the
# gateway whole both ways (its wan_tc_gso and lan_tc_gso counters), no XDP
# program is attached to N's devices, no checksum needs completing, segments
# that fit the LAN with the tunnel header keep their size and larger ones are
# cut by it (wan_tc_gso_cut, bpf/wan_tc.h), and rsipd's exit leaves no filter
# and no qdisc of its own on them.
set -u
. "$(dirname "$0")/rsipc_netns.sh"
GW_ATTACH=${GW_ATTACH:-xdp}
rsipc_lab "bulk$GW_ATTACH"
BYTES=${BULK_BYTES:-8000000}
DATAPATHS=${DATAPATHS:-bpf pump}

lab_gro on
for dev in p0 p1; do
	[ "$(lab_exec sw ethtool -k $dev | awk '/generic-receive-offload/ {print $2}')" = on ] || fail "GRO is not on at the switch's $dev"
done
lab_rsipd_start --attach "$GW_ATTACH" || exit 1
dp_counter() { lab_ctl --json counters | json "d[\"dataplane\"].get(\"$1\", 0)"; }
if [ "$GW_ATTACH" = tc ]; then
	for dev in wan0 lan0; do
		lab_exec n ip link show dev $dev | grep -q ' xdp' && fail "an XDP program is attached to N's $dev under --attach tc"
		lab_exec n tc filter show dev $dev ingress | grep -q 'rsip_' ||
			fail "no TC program on N's $dev ingress under --attach tc"
	done
fi

# transfer FROM TO ADDR PORT [BIND]: BYTES from node FROM to a receiver on
# node TO at ADDR:PORT; checks the digest.
transfer() {
	local from=$1 to=$2 addr=$3 port=$4 bind=${5:-} out=$LAB_DIR/recv.$RANDOM sent got
	lab_bg "$to" "$LAB_DIR/recv.log" $PY "$top/tests/netns/bulk_tcp.py" recv "$addr" "$port" "$out"
	lab_wait 10 test -e "$out.ready" || fail "receiver on $to did not start"
	sent=$(lab_exec "$from" $PY "$top/tests/netns/bulk_tcp.py" send "$addr" "$port" "$BYTES" ${bind:+--bind "$bind"}) ||
		fail "$from -> $to: the transfer failed"
	lab_wait 60 test -s "$out" || fail "$from -> $to: the receiver got no end of stream"
	got=$(cat "$out")
	[ "$sent" = "$got" ] || fail "$from -> $to: sent '$sent', received '$got'"
}

# x1_rsipc_up LABEL [WRAPPER...] -- ARG...: an rsipc on X1 ("up --ports 2
# ARG...", run under WRAPPER if any), state in $dir, pid in $pid; fails
# without a lease in 15 s. x1_rsipc_down LABEL: SIGTERM, and it must exit 0.
x1_rsipc_up() {
	local label=$1 wrap=()
	shift
	while [ "$1" != -- ]; do
		wrap+=("$1")
		shift
	done
	shift
	dir=$LAB_DIR/rsipc-x1
	rm -rf "$dir"
	mkdir -p "$dir"
	lab_bg x1 "$LAB_DIR/rsipc-x1.log" "${wrap[@]}" "$rsipc" --server "$LAB_NA" --state-dir "$dir" \
		up --ports 2 "$@"
	pid=$LAB_LAST_PID
	lab_wait 15 test -s "$dir/state.json" || fail "rsipc up ($label) got no lease"
}
x1_rsipc_down() {
	kill -TERM "$pid"
	lab_wait 15 sh -c "! kill -0 $pid" || fail "rsipc did not stop"
	wait "$pid" || fail "rsipc ($1) exited $?"
}

for dp in $DATAPATHS; do
	for tunnel in ipip gre; do
		x1_rsipc_up "$dp, $tunnel" -- --tunnel "$tunnel" --datapath "$dp"
		[ "$(status 'd["datapath"]')" = "$dp" ] || fail "rsipc runs the $(status 'd["datapath"]') data path, want $dp"
		nb=$(status 'd["address"]')
		p0=$(status 'd["ports"][0]')
		p1=$(status 'd["ports"][1]')
		x0=$(csum_errors x1)
		y0=$(csum_errors y)
		c0=$(dp_counter lan_csum_completed)
		wg0=$(dp_counter wan_tc_gso)
		lg0=$(dp_counter lan_tc_gso)
		pl0=$(($(dp_counter wan_tc_pulled) + $(dp_counter lan_tc_pulled)))
		cut0=$(dp_counter wan_tc_gso_cut)
		fw0=$(($(dp_counter wan_tx_port) + $(dp_counter lan_tx)))

		transfer x1 y "$LAB_Y" 5001 "$nb:$p0"
		transfer y x1 "$nb" "$p1"

		completed=$(($(dp_counter lan_csum_completed) - c0))
		wgso=$(($(dp_counter wan_tc_gso) - wg0))
		lgso=$(($(dp_counter lan_tc_gso) - lg0))
		if [ "$GW_ATTACH" = tc ]; then
			# GRO merges at wan0 (what Y sends) and at p1 (what X1
			# sends): the gateway's TC programs forward them whole,
			# their checksum state intact (nothing to complete).
			[ "$wgso" -gt 0 ] || fail "$dp/$tunnel: no GSO packet crossed the gateway towards X1 (wan_tc_gso)"
			[ "$dp" = pump ] || [ "$lgso" -gt 0 ] ||
				fail "$dp/$tunnel: no GRO-merged tunnel packet crossed the gateway towards Y (lan_tc_gso)"
			[ "$completed" = 0 ] || fail "$dp/$tunnel: the TC programs completed $completed checksums"
			# Every packet here has its headers in the linear part
			# (GRO keeps the first segment's headers there; a
			# sender's segments carry theirs): pulling more than
			# the rules read grew the skb's head for each data
			# packet (bpf/tc_pull.h). At most 1 % may need a pull.
			pulled=$(($(dp_counter wan_tc_pulled) + $(dp_counter lan_tc_pulled) - pl0))
			fwd=$(($(dp_counter wan_tx_port) + $(dp_counter lan_tx) - fw0))
			[ $((pulled * 100)) -le "$fwd" ] ||
				fail "$dp/$tunnel: the TC programs made $pulled of $fwd packets linear (wan_tc_pulled, lan_tc_pulled)"
			# rsipc's tunnel MTU sizes X1's MSS: Y's segments fit
			# the LAN with the tunnel header and keep their size
			# (cutting them costs a copy of every GRO chain).
			cut=$(($(dp_counter wan_tc_gso_cut) - cut0))
			[ "$cut" = 0 ] || fail "$dp/$tunnel: the gateway cut $cut GSO packets smaller (wan_tc_gso_cut), though X1's MSS fits the tunnel"
			gw="the gateway's TC programs forwarded $wgso GSO packets to X1 (none cut) and $lgso to Y, $fwd in all, $pulled of them made linear first"
		else
			# What the TC program sends is merged at p1 (the pump's raw
			# socket sends packets GRO does not merge: no partial
			# checksums then).
			[ "$dp" = pump ] || [ "$completed" -gt 0 ] ||
				fail "$dp/$tunnel: the gateway completed no partial checksum (was X1's traffic merged at p1?)"
			gw="the gateway completed $completed partial checksums"
		fi
		x1err=$(($(csum_errors x1) - x0))
		yerr=$(($(csum_errors y) - y0))
		[ "$x1err" = 0 ] || fail "$dp/$tunnel: X1 counted $x1err TcpInCsumErrors"
		[ "$yerr" = 0 ] || fail "$dp/$tunnel: Y counted $yerr TcpInCsumErrors"
		if [ "$dp" = bpf ]; then
			c=$(status 'd["counters"]["bpf"]')
			ebytes=$(status 'd["counters"]["bpf"]["encap_bytes"]')
			dbytes=$(status 'd["counters"]["bpf"]["decap_bytes"]')
			gso=$(status 'd["counters"]["bpf"]["decap_gso"]')
			[ "$ebytes" -ge "$BYTES" ] && [ "$dbytes" -ge "$BYTES" ] ||
				fail "$dp/$tunnel: the TC programs carried $ebytes out, $dbytes in, want >= $BYTES each ($c)"
			[ "$gso" -gt 0 ] || fail "$dp/$tunnel: no GRO-merged packet reached the TC ingress program ($c)"
			[ "$(status 'd["counters"]["tx_packets"] + d["counters"]["rx_packets"]')" = 0 ] ||
				fail "$dp/$tunnel: packets went through the pump"
			detail="TC: $(status 'd["counters"]["bpf"]["encap"]') out ($(status 'd["counters"]["bpf"]["encap_gso"]') GSO), $(status 'd["counters"]["bpf"]["decap"]') in ($gso GRO-merged, $((dbytes / $(status 'd["counters"]["bpf"]["decap"]'))) bytes average)"
		else
			tx=$(status 'd["counters"]["tx_bytes"]')
			rx=$(status 'd["counters"]["rx_bytes"]')
			[ "$tx" -ge "$BYTES" ] && [ "$rx" -ge "$BYTES" ] ||
				fail "$dp/$tunnel: the pump carried $tx out, $rx in, want >= $BYTES each"
			partial=$(status 'd["counters"]["rx_partial_csum"]')
			[ "$partial" -gt 0 ] || fail "$dp/$tunnel: no GRO-merged packet reached the pump"
			# X1's TCP hands the TUN super-packets (TSO4 offered):
			# the bytes out went through the pump's segmentation.
			tso=$(status 'd["counters"]["tx_tso"]')
			[ "$tso" -gt 0 ] || fail "$dp/$tunnel: no TSO super-packet reached the pump"
			# The next hop (N) is resolved by rsipc's own requests:
			# most of the bytes out leave as frames through the
			# packet socket (pkt_tx.h), not the raw socket.
			direct=$(status 'd["counters"]["tx_direct"]')
			[ "$direct" -ge $((BYTES / 1500)) ] ||
				fail "$dp/$tunnel: $direct packets went out through the packet socket, want >= $((BYTES / 1500))"
			# Those frames carry a virtio_net_hdr: the segments' TCP
			# checksums are left to the kernel (CHECKSUM_PARTIAL), and
			# Y counting no TcpInCsumErrors above shows they were
			# completed on the way.
			txpart=$(status 'd["counters"]["tx_partial_csum"]')
			[ "$txpart" -ge $((BYTES / 1500)) ] ||
				fail "$dp/$tunnel: $txpart packets left with a partial checksum, want >= $((BYTES / 1500))"
			detail="pump: $(status 'd["counters"]["tx_packets"]') packets out ($tso TSO super-packets cut, $direct through the packet socket, $txpart of them with the checksum left partial), $(status 'd["counters"]["rx_packets"]') in ($partial GRO-merged, handed on with NEEDS_CSUM; $(status 'd["counters"]["rx_coalesced"]') merged by the pump; $(status 'd["counters"]["rx_tun_writes"]') TUN writes)"
		fi
		ok "$dp/$tunnel: $BYTES bytes each way byte-exact, 0 TcpInCsumErrors on X1 and Y; $detail; $gw"

		x1_rsipc_down "$dp, $tunnel"
		lab_exec x1 tc filter show dev eth0 ingress | grep -q . && fail "TC filters left on X1's eth0 (ingress)"
		lab_exec x1 tc filter show dev eth0 egress | grep -q . && fail "TC filters left on X1's eth0 (egress)"
		[ -z "$(lab_exec x1 ip route show table 4555)" ] || fail "routes left in table 4555"
	done
done
ok "rsipc removed its TC filters, routes and rules each time"

# The pump when the device's queue is full: its packet socket bypasses the
# qdisc, which would have held a frame; the kernel refuses it instead, and a
# frame dropped there is lost (for TCP, a retransmission). p1 (the switch's
# port X1 sends into) gets threaded NAPI, its kernel thread and rsipc are
# put on CPU 0, the thread SCHED_IDLE: p1's ring is drained only when the
# pump lets that CPU go. Frames waiting in it stay charged to the pump's
# packet socket, whose send buffer (1 MiB, pkt_tx.c) must outlast the
# 256-frame ring: the ring fills and the veth drops the frame (ENOBUFS,
# counted as X1's eth0 tx_dropped). With the default buffer (212992 bytes,
# about 93 of these frames) the socket refused first (EAGAIN) and no frame
# reached a full ring: the drop count must grow. rsipc is stopped (SIGSTOP) while X1 sends BURST UDP_SEGMENT super-packets of 54
# datagrams into its TUN; on SIGCONT the pump reads them in one batch (up to
# 32 reads, 512 frames) and hands the kernel all 432 frames in one sendmmsg,
# so the queue fills every run (a TCP stream filled it only when the pump
# fell behind: 0 refusals in 2 runs of 25). The pump must wait and send
# every frame: Y gets each datagram byte-exact (UDP has no retransmission to
# hide a drop), tx_queue_full counts the refusals waited out and tx_errors
# the frames given up (none; dropping at the first refusal gave up 339).
# Y's receiver runs on CPU 1: on CPU 0 a busy process starves the NAPI
# thread for longer than the pump waits (BATCH_SEND_WAIT_US, batch_send.h).
if [[ " $DATAPATHS " == *" pump "* ]]; then
	napi_threads() { ps -eo pid=,comm= | awk '$2 ~ /^napi\/p1-/ {print $1}' | sort; }
	n0=$(napi_threads)
	lab_exec sw sh -c 'echo 1 >/sys/class/net/p1/threaded' || fail "cannot make p1's NAPI threaded"
	mine=$(comm -13 <(echo "$n0") <(napi_threads))
	[ -n "$mine" ] || fail "no NAPI thread appeared for p1"
	for tid in $mine; do
		taskset -p 1 "$tid" >/dev/null || fail "cannot pin p1's NAPI thread $tid"
		chrt --idle -p 0 "$tid" || fail "cannot make p1's NAPI thread $tid SCHED_IDLE"
	done
	x1_rsipc_up "pump, full queue" taskset 1 -- --tunnel ipip --datapath pump
	nb=$(status 'd["address"]')
	p0=$(status 'd["ports"][0]')
	SEG=1200 TOTAL=64800 BURST=8 # 54 datagrams a send, 432 in all
	n=$((BURST * TOTAL / SEG))
	tx_dropped() { lab_exec x1 cat /sys/class/net/eth0/statistics/tx_dropped; }
	d0=$(tx_dropped)
	# A scheduler tick during the burst may still hand the NAPI thread the
	# CPU (it drained the ring mid-burst in 1 run of 25): up to 3 bursts,
	# each byte-exact, until one filled the queue.
	for try in 1 2 3; do
		out=$LAB_DIR/burst$try
		lab_bg y /dev/null taskset 2 $PY "$top/tests/netns/big_udp.py" recv "$LAB_Y" $((6000 + try)) "$n" "$out"
		lab_wait 10 test -e "$out.ready" || fail "receiver on Y did not start"
		kill -STOP "$pid"
		sent=$(lab_exec x1 $PY "$top/tests/netns/big_udp.py" send-gso "$nb" "$p0" "$LAB_Y" $((6000 + try)) $SEG $TOTAL $BURST)
		rc=$?
		kill -CONT "$pid"
		[ $rc = 0 ] || fail "pump, full queue: X1's UDP_SEGMENT sends failed"
		lab_wait 40 test -e "$out" || fail "pump, full queue: the receiver did not finish"
		[ "$sent" = "$(cat "$out")" ] || fail "pump, full queue: burst $try: Y got $(wc -l <"$out") of $n datagrams, or other bytes"
		full=$(status 'd["counters"]["tx_queue_full"]')
		[ "$full" -gt 0 ] && break
	done
	errs=$(status 'd["counters"]["tx_errors"]')
	[ "$full" -gt 0 ] || fail "pump, full queue: p1's ring never filled in $try bursts (tx_queue_full 0): the case was not tested ($(status 'd["counters"]'))"
	[ "$errs" = 0 ] || fail "pump, full queue: $errs frames dropped (tx_errors), $full refusals waited out ($(status 'd["counters"]'))"
	ringfull=$(($(tx_dropped) - d0))
	[ "$ringfull" -gt 0 ] || fail "pump, full queue: p1's ring never refused a frame (X1's eth0 tx_dropped +0): the pump's socket buffer ran out first"
	ok "pump, p1's ring full $full times in $try bursts of $n frames ($ringfull frames refused by the veth and sent again): every datagram at Y byte-exact, no frame dropped (tx_errors 0)"
	x1_rsipc_down "pump, full queue"
	lab_exec sw sh -c 'echo 0 >/sys/class/net/p1/threaded'
fi

# The pump's inbound merging (user/rsipc/coalesce.c): with GRO off at the
# hops before X1, behind the TC gateway, X1's raw socket gets Y's segments
# one by one; consecutive segments of the stream must reach X1's TCP merged,
# fewer TUN writes than packets, byte-exact and with no TcpInCsumErrors (the
# merged packet's checksum is partial: a wrong merge would pass unchecked
# and the digest would differ). Behind the XDP gateway the switch's p0 (GRO
# on: it must be, lab_gro) merges them before X1 already. Runs whatever
# DATAPATHS says (test_rsipc_bulk_tc.sh runs bpf only otherwise).
if [ "$GW_ATTACH" = tc ]; then
	lab_gro off
	x1_rsipc_up "pump, GRO off" -- --tunnel ipip --datapath pump
	nb=$(status 'd["address"]')
	p1=$(status 'd["ports"][1]')
	x0=$(csum_errors x1)
	transfer y x1 "$nb" "$p1"
	x1err=$(($(csum_errors x1) - x0))
	[ "$x1err" = 0 ] || fail "pump, GRO off: X1 counted $x1err TcpInCsumErrors"
	pkts=$(status 'd["counters"]["rx_packets"]')
	writes=$(status 'd["counters"]["rx_tun_writes"]')
	merged=$(status 'd["counters"]["rx_coalesced"]')
	[ "$merged" -gt 0 ] && [ "$writes" -lt "$pkts" ] ||
		fail "pump, GRO off: nothing merged ($pkts packets in, $writes TUN writes, rx_coalesced $merged)"
	ok "pump, GRO off: $BYTES bytes Y -> X1 byte-exact, 0 TcpInCsumErrors; $pkts packets in, $merged of them merged, $writes TUN writes"
	x1_rsipc_down "pump, GRO off"
	lab_gro on
fi

# Segments that do not fit the LAN with the tunnel header (bpf/wan_tc.h):
# the WAN's MTU raised to the LAN's (1524 here, rsipc_netns.sh) and X1's
# tunnel MTU with it (--mtu), Y sends segments as large as the LAN, and N
# must cut them smaller by the header (wan_tc_gso_cut) instead of keeping
# their size. Y -> X1 only (X1's own full-size packets would not fit its
# tunnel).
if [ "$GW_ATTACH" = tc ]; then
	lan_mtu=$(lab_exec n cat /sys/class/net/lan0/mtu)
	wan_mtu=$(lab_exec n cat /sys/class/net/wan0/mtu)
	lab_exec n ip link set wan0 mtu "$lan_mtu"
	lab_exec y ip link set eth0 mtu "$lan_mtu"
	# lan0 without GSO: the kernel cuts each packet there by its segment
	# size, and a segment left too large for the LAN is dropped by the
	# switch's p0, so the bytes only arrive if N sized them right.
	lab_exec n ethtool -K lan0 gso off tso off >/dev/null
	x1_rsipc_up "--mtu $lan_mtu" -- --tunnel ipip --datapath bpf --mtu "$lan_mtu"
	nb=$(status 'd["address"]')
	p1=$(status 'd["ports"][1]')
	x0=$(csum_errors x1)
	cut0=$(dp_counter wan_tc_gso_cut)
	wg0=$(dp_counter wan_tc_gso)
	big0=$(dp_counter wan_slow_oversize)
	lan_drops() { # frames lost between N and the switch: N's lan0 sending, p0 receiving
		echo $(($(lab_exec n cat /sys/class/net/lan0/statistics/tx_dropped) + $(lab_exec sw cat /sys/class/net/p0/statistics/rx_dropped)))
	}
	ld0=$(lan_drops)
	transfer y x1 "$nb" "$p1"
	lost=$(($(lan_drops) - ld0))
	cut=$(($(dp_counter wan_tc_gso_cut) - cut0))
	wgso=$(($(dp_counter wan_tc_gso) - wg0))
	big=$(($(dp_counter wan_slow_oversize) - big0))
	x1err=$(($(csum_errors x1) - x0))
	[ "$x1err" = 0 ] || fail "segments as large as the LAN: X1 counted $x1err TcpInCsumErrors"
	[ "$cut" -gt 0 ] || fail "segments as large as the LAN: no GSO packet was cut smaller (wan_tc_gso_cut 0 of $wgso GSO packets)"
	# A segment N left too large is dropped on the way to the switch (the
	# veth's MTU check); Y's retransmission of it goes to rsipd as too big,
	# whose ICMP makes Y send smaller segments: the bytes would still
	# arrive, so the drops are what tells. A full-size segment that GRO did
	# not merge goes to rsipd as well (wan_slow_oversize, ICMP): that is
	# path MTU discovery working, not a fault (1 in a CI run).
	[ "$lost" = 0 ] || fail "segments as large as the LAN: $lost frames dropped between N's lan0 and the switch: N sent segments the LAN could not carry ($big packets too big went to rsipd)"
	ok "segments as large as the LAN ($lan_mtu): $BYTES bytes Y -> X1 byte-exact, 0 TcpInCsumErrors; $cut of $wgso GSO packets cut smaller by the tunnel header, no frame dropped on the LAN ($big lone full-size segments answered by rsipd's ICMP)"
	x1_rsipc_down "--mtu $lan_mtu"
	lab_exec n ethtool -K lan0 gso on tso on >/dev/null
	lab_exec y ip link set eth0 mtu "$wan_mtu"
	lab_exec n ip link set wan0 mtu "$wan_mtu"
fi

if [ "$GW_ATTACH" = tc ]; then
	q0=$(lab_exec n tc qdisc show)
	lab_rsipd_stop
	# A stop leaves the filters forwarding (docs/dataplane.md, "With --attach
	# tc"); --detach-on-exit takes them and rsipd's qdiscs away.
	for dev in wan0 lan0; do
		lab_exec n tc filter show dev $dev ingress | grep -q "handle 0x5253" ||
			fail "a stop removed rsipd's TC filter on N's $dev"
	done
	lab_rsipd_start --detach-on-exit || fail "start with --detach-on-exit"
	lab_rsipd_stop
	for dev in wan0 lan0; do
		[ -z "$(lab_exec n tc filter show dev $dev ingress)" ] || fail "rsipd left a TC filter on N's $dev"
		lab_exec n tc qdisc show dev $dev | grep -q clsact && fail "rsipd left its clsact qdisc on N's $dev"
	done
	ok "rsipd's TC programs outlived a stop; --detach-on-exit removed them and the clsact qdiscs (they were: $(echo "$q0" | grep -c clsact) clsact)"
fi
rsipc_lab_finish
