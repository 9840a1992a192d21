#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# What merges the pump's frames on the lab's switch (issue 9, dp19): TCP
# between X1 and Y through the TC gateway (rsipd --attach tc) with rsipc's
# userspace pump, and plain routing as the baseline, with the switch set
# three ways, taken in turn every repetition:
#   base      lab_gro on, as every test and bench/rsipc_iperf.sh run it
#   udpfwd    + rx-udp-gro-forwarding on the switch's ports and N's
#             interfaces (the flag that opens a veth's NAPI to a sender with
#             TSO; docs/performance.md, "What merges the pump's frames")
#   threaded  + threaded NAPI on the switch's ports (their receive runs in a
#             kernel thread instead of in the sender's context)
#   flushto   + gro_flush_timeout FLUSH_NS (default 50000) on the switch's
#             ports: GRO keeps what it holds from one poll to the next
# For each run: Gbit/s delivered (the receiver's count), and for X1 -> Y the
# packets N's lan0 received and their average size (1.5 KB: one frame each;
# more: merged by the switch's GRO), the GSO packets the TC gateway forwarded
# towards Y (lan_tc_gso), X1's TCP retransmissions and the frames X1's eth0
# dropped (a full veth ring). Medians of REPS at the end.
#   bench/rsipc_switch_napi.sh [BUILD_DIR]   env: SECS (5), REPS (3), FLUSH_NS,
#                                            SETTINGS (a subset of the four, in order),
#                                            CC (iperf3 -C: TCP congestion control of
#                                            both ends; default the system's)
# No pass/fail: this prints numbers.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${1:-${BUILD:-build}}")
SECS=${SECS:-5}
REPS=${REPS:-3}
. "$top/bench/lib/rsipc_lab.sh"
lab_init nap
lab_up || exit 1
SETTINGS=${SETTINGS:-base udpfwd threaded flushto}

# switch SETTING: lab_gro on, then what SETTING adds; undoes the others.
switch() {
	local fwd=off thr=0 fto=0 d
	[ "$1" = flushto ] && fto=${FLUSH_NS:-50000}
	[ "$1" = udpfwd ] && fwd=on
	[ "$1" = threaded ] && thr=1
	lab_gro on
	for d in p0 p1 p2; do
		lab_exec sw ethtool -K "$d" rx-udp-gro-forwarding $fwd >/dev/null
		lab_exec sw sh -c "echo $thr >/sys/class/net/$d/threaded"
		lab_exec sw sh -c "echo $fto >/sys/class/net/$d/gro_flush_timeout"
	done
	for d in lan0 wan0; do lab_exec n ethtool -K "$d" rx-udp-gro-forwarding $fwd >/dev/null; done
	sleep 0.5 # a NAPI restarted by the change drops the first frames
}

stat() { lab_exec "$1" cat "/sys/class/net/$2/statistics/$3"; }
tc_gso() { # the TC gateway's lan_tc_gso counter, 0 without rsipd
	[ -n "${LAB_RSIPD_PID:-}" ] || { echo 0; return; }
	lab_ctl --json counters | $PY -c 'import json,sys; print(json.load(sys.stdin)["dataplane"].get("lan_tc_gso", 0))'
}

# frames the switch dropped: on its ports' receive and transmit sides
sw_drops() {
	# shellcheck disable=SC2016 # expanded by the switch's shell
	lab_exec sw sh -c 'cd /sys/class/net; echo $(($(cat p0/statistics/tx_dropped p0/statistics/rx_dropped p1/statistics/tx_dropped p1/statistics/rx_dropped | tr "\n" +)0))'
}
pump_errors() { # the pump's failed sends (rsipc status), 0 without rsipc
	[ -n "${PUMP_DIR:-}" ] || { echo 0; return; }
	"$BUILD/rsipc" --state-dir "$PUMP_DIR" status 2>/dev/null | awk '/^ *tx_errors:/ {print $2; f=1} END {if (!f) print 0}'
}

declare -A R
# run LABEL ADDR DIR: one iperf3 run, its figures appended to R[LABEL,SETTING,DIR,*]
run() {
	local label=$1 dir=$3 args=(-c "$2" -p "$PORT" -t "$SECS" -J) p0 b0 g0 d0 out
	[ "$dir" = out ] && args+=(-R) # X1 sends
	# iperf3 sets it on both ends' sockets; a namespace may only pick from
	# net.ipv4.tcp_allowed_congestion_control, a socket of root any loaded one
	[ -n "${CC:-}" ] && args+=(-C "$CC")
	p0=$(stat n lan0 rx_packets) b0=$(stat n lan0 rx_bytes) g0=$(tc_gso) d0=$(stat x1 eth0 tx_dropped)
	local s0 e0
	s0=$(sw_drops) e0=$(pump_errors)
	out=$(lab_exec y timeout $((SECS + 20)) iperf3 "${args[@]}" 2>/dev/null)
	read -r gbps retr < <(echo "$out" | $PY -c '
import json, sys
try:
    e = json.load(sys.stdin)["end"]
    print("%.3f %d" % (e["sum_received"]["bits_per_second"] / 1e9, e["sum_sent"].get("retransmits", 0)))
except Exception:
    print("0 0")')
	local pk=$(($(stat n lan0 rx_packets) - p0)) by=$(($(stat n lan0 rx_bytes) - b0))
	local k=$label,$S,$dir
	R[$k,gbps]+="$gbps " R[$k,pkts]+="$pk " R[$k,avg]+="$((pk ? by / pk : 0)) "
	R[$k,gso]+="$(($(tc_gso) - g0)) " R[$k,retr]+="$retr " R[$k,drop]+="$(($(stat x1 eth0 tx_dropped) - d0)) "
	R[$k,swdrop]+="$(($(sw_drops) - s0)) " R[$k,perr]+="$(($(pump_errors) - e0)) "
}

measure() { # LABEL ADDR
	lab_bg x1 /dev/null iperf3 -s -B "$2" -p $PORT
	local srv=$LAB_LAST_PID
	sleep 0.5
	run "$1" "$2" out
	run "$1" "$2" in
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for ((rep = 0; rep < REPS; rep++)); do
	for S in $SETTINGS; do
		switch "$S"
		plain_routes add
		measure plain $LAB_X1
		plain_routes del
		lab_rsipd_start --attach tc --holdback 1 --detach-on-exit >/dev/null || exit 1
		rsipc_up pumptc "$BUILD/rsipc" pump
		PUMP_DIR=$RSIPC_DIR
		measure pumptc "$RSIPC_NB"
		PUMP_DIR=
		kill "$RSIPC_PID"
		wait "$RSIPC_PID" 2>/dev/null
		lab_rsipd_stop ""
	done
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

printf '\n%-9s %-6s %-6s %7s %8s %7s %8s %8s %8s %8s %8s\n' switch path dir Gbit/s "lan0 pk" "avg B" \
	lan_gso retrans x1drops swdrops pumperr
for S in $SETTINGS; do
	for l in plain pumptc; do
		for d in out in; do
			k=$l,$S,$d
			printf '%-9s %-6s %-6s %7s %8s %7s %8s %8s %8s %8s %8s\n' "$S" $l \
				"$([ $d = out ] && echo "X1->Y" || echo "Y->X1")" "$(median "${R[$k,gbps]}")" \
				"$(median "${R[$k,pkts]}")" "$(median "${R[$k,avg]}")" "$(median "${R[$k,gso]}")" \
				"$(median "${R[$k,retr]}")" "$(median "${R[$k,drop]}")" \
				"$(median "${R[$k,swdrop]}")" "$(median "${R[$k,perr]}")"
		done
	done
done
echo "(TCP ${CC:-$(sysctl -n net.ipv4.tcp_congestion_control)}, $SECS s per run, medians of $REPS; lan0 pk / avg B: what N's lan0 received in the run;"
echo " lan_gso: GSO packets the TC gateway forwarded towards Y; retrans: the sender's TCP"
echo " retransmissions; x1drops: frames X1's eth0 dropped; swdrops: frames the switch's p0 and p1"
echo " dropped; pumperr: the pump's failed sends)"
echo
echo "every repetition, in the order run (load average $LOAD0 before, $LOAD1 after):"
for S in $SETTINGS; do
	for l in plain pumptc; do
		for d in out in; do
			k=$l,$S,$d
			printf '  %-9s %-6s %-3s Gbit/s %s| avg B %s| lan_gso %s| retrans %s| x1drops %s| swdrops %s| pumperr %s\n' \
				"$S" $l $d "${R[$k,gbps]}" "${R[$k,avg]}" "${R[$k,gso]}" "${R[$k,retr]}" "${R[$k,drop]}" \
				"${R[$k,swdrop]}" "${R[$k,perr]}"
		done
	done
done
