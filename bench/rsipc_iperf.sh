#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Host-side throughput (issue 9): iperf3 between a host X1 and the peer Y in
# the lab (tests/lab/lab.sh), in one run:
#   plain  X1's own address, routed by N's kernel (no RSIP, no XDP): the baseline
#   plain(xdp)  the same with a program that only returns XDP_PASS on N's lan0
#          and wan0: what attaching any XDP program costs these veths (the
#          kernel takes GSO from a veth whose peer runs XDP, and copies each
#          frame into a page for it), the ceiling of an XDP gateway here
#   bpf    through RSIP: rsipd's XDP programs and rsipc's TC programs
#   pump   through RSIP: rsipd's XDP programs and rsipc's userspace pump
#   tc     through RSIP: rsipd's TC programs (--attach tc) and rsipc's TC
#          programs: GRO-merged packets cross the gateway whole
#   pump(tc)  rsipd's TC programs and rsipc's userspace pump: the fallback
#          as a host without BPF runs it behind a TC gateway
#   pump(tc) before  the same with the rsipc binary RSIPC_BEFORE (if set), in
#          the same rotation: a change to the pump measured in one run
# each with GRO on at every forwarding and receiving hop (lab_gro: the
# switch's bridge and ports, N's interfaces, the hosts, Y), then off (but on
# p0 and Y's eth0, peers of XDP redirect targets: they need NAPI), TCP and
# UDP, both ways.
# The iperf3 server runs on X1 (on a port leased with --listen for RSIP), the
# client on Y: -R makes X1 the sender. Prints Gbit/s delivered (the receiver's
# count; UDP: what was sent minus the loss), each RSIP figure as a ratio of
# plain routing in the same GRO setting, and rsipc's CPU over each run. With
# REPS > 1 every cell is measured REPS times in turn (plain, plain(xdp), bpf, pump, tc,
# pump(tc)[, pump(tc) before], then again): the table shows the median, and every repetition is printed
# below it, with the load average before and after.
#   bench/rsipc_iperf.sh [BUILD_DIR]   env: SECS (5 per run), UDP_RATE (iperf3 -b, default 1G),
#                                      REPS (1), RSIPC_BEFORE (an rsipc binary),
#                                      CC (iperf3 -C: the TCP congestion control of
#                                      both ends; default the machine's, printed)
# No pass/fail: this prints numbers.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${1:-${BUILD:-build}}")
SECS=${SECS:-5}
UDP_RATE=${UDP_RATE:-1G}
REPS=${REPS:-1}
RSIPC_BEFORE=${RSIPC_BEFORE:-}
[ -z "$RSIPC_BEFORE" ] || [ -x "$RSIPC_BEFORE" ] || { echo "bench: $RSIPC_BEFORE not executable" >&2; exit 1; }
. "$top/bench/lib/rsipc_lab.sh"
lab_init ipf
lab_up || exit 1
HZ=$(getconf CLK_TCK)
XDP_GW=$BUILD/bench/xdp_gw
[ -x "$XDP_GW" ] || { echo "bench: $XDP_GW not built (make bench)" >&2; exit 1; }

gro() { lab_gro "$1"; } # on|off: every hop (tests/lab/lab.sh)

cpu_ticks() { # pid -> utime + stime
	[ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
	awk '{print $14 + $15}' "/proc/$1/stat"
}

# run ADDR PROTO DIR -> prints Gbit/s delivered
run() {
	local addr=$1 proto=$2 dir=$3 args=(-c "$1" -p $PORT -t "$SECS" -J) out
	[ "$proto" = udp ] && args+=(-u -b "$UDP_RATE" -l 1400)
	[ "$dir" = out ] && args+=(-R) # X1 sends
	# The plain baseline depends on it (dp19: 4.6 Gbit/s X1 -> Y with BBR,
	# 6.7 with CUBIC; the pump did not move): the table names it.
	[ -n "${CC:-}" ] && args+=(-C "$CC")
	out=$(lab_exec y timeout $((SECS + 20)) iperf3 "${args[@]}" 2>/dev/null)
	echo "$out" | $PY -c '
import json, sys
try:
    e = json.load(sys.stdin)["end"]
except Exception:
    print("0"); sys.exit()
if "sum_received" in e:
    bps = e["sum_received"]["bits_per_second"]
else:
    s = e["sum"]; bps = s["bits_per_second"] * (1 - s.get("lost_percent", 0) / 100)
print("%.3f" % (bps / 1e9))'
}

declare -A R CPU
measure() { # label addr rsipc_pid
	local label=$1 addr=$2 pid=${3:-} proto dir c0 c1
	lab_bg x1 /dev/null iperf3 -s -B "$addr" -p $PORT
	local srv=$LAB_LAST_PID
	sleep 0.5
	for proto in tcp udp; do
		for dir in out in; do
			c0=$(cpu_ticks "$pid")
			R[$label,$G,$proto,$dir]+="$(run "$addr" $proto $dir) "
			c1=$(cpu_ticks "$pid")
			CPU[$label,$G,$proto,$dir]+="$(((c1 - c0) * 100 / HZ / SECS)) "
		done
	done
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
}

# rsip_round ATTACH CELL...: rsipd with --attach ATTACH, then one rsipc per
# cell, each measured. A cell is LABEL:DATAPATH[:RSIPC] (RSIPC: the binary,
# default $BUILD/rsipc).
rsip_round() {
	local attach=$1 cell label dp bin
	shift
	# --holdback 1: the pool has two addresses, so the third rsipc of a
	# round gets the first one's again, and its --listen port must not be
	# held back (120 s by default) after the first rsipc freed it.
	# --detach-on-exit: the plain runs that follow see no program of ours.
	lab_rsipd_start --attach "$attach" --holdback 1 --detach-on-exit >/dev/null || exit 1
	for cell in "$@"; do
		IFS=: read -r label dp bin <<<"$cell"
		rsipc_up "$label" "${bin:-$BUILD/rsipc}" "$dp"
		measure "$label" "$RSIPC_NB" "$RSIPC_PID"
		kill "$RSIPC_PID"
		wait "$RSIPC_PID" 2>/dev/null
	done
	lab_rsipd_stop
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for G in on off; do
	gro $G
	for ((rep = 0; rep < REPS; rep++)); do
		# plain routing: X1 <-> Y by N's kernel, no rsipd
		plain_routes add
		measure plain $LAB_X1
		# the XDP tax alone: N routes as before, a pass-only program on
		# the interfaces rsipd's XDP programs would hold
		lab_exec n "$XDP_GW" pass lan0 && lab_exec n "$XDP_GW" pass wan0 || exit 1
		measure plainxdp $LAB_X1
		lab_exec n "$XDP_GW" detach lan0 && lab_exec n "$XDP_GW" detach wan0 || exit 1
		plain_routes del
		rsip_round xdp bpf:bpf pump:pump
		# the two pump builds swap places every repetition
		pumps=(pumptc:pump)
		if [ -n "$RSIPC_BEFORE" ] && ((rep % 2)); then
			pumps=("pumpbefore:pump:$RSIPC_BEFORE" pumptc:pump)
		elif [ -n "$RSIPC_BEFORE" ]; then
			pumps+=("pumpbefore:pump:$RSIPC_BEFORE")
		fi
		rsip_round tc tc:bpf "${pumps[@]}"
	done
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

ratio() { $PY -c "print('%.2f' % ($1 / $2 if $2 > 0 else 0))"; }
printf '\n%-5s %-4s %-3s %-7s %8s %8s %6s %8s %6s %6s %8s %6s %8s %6s %6s %9s %8s %6s' GRO prot dir "" plain \
	"p(xdp)" ratio "bpf(xdp)" ratio "/p(x)" "bpf(tc)" ratio pump ratio "/p(x)" pump/bpf "pump(tc)" ratio
[ -z "$RSIPC_BEFORE" ] || printf ' %8s %6s %7s' before ratio "tc/bef"
printf ' %9s %9s %9s\n' "cpu(bpf)" "cpu(pump)" "cpu(p-tc)"
for G in on off; do
	for proto in tcp udp; do
		for d in out in; do
			p=$(median "${R[plain,$G,$proto,$d]}") b=$(median "${R[bpf,$G,$proto,$d]}")
			px=$(median "${R[plainxdp,$G,$proto,$d]}")
			t=$(median "${R[tc,$G,$proto,$d]}") u=$(median "${R[pump,$G,$proto,$d]}")
			ut=$(median "${R[pumptc,$G,$proto,$d]}")
			printf '%-5s %-4s %-3s %-7s %8s %8s %6s %8s %6s %6s %8s %6s %8s %6s %6s %9s %8s %6s' "$G" $proto $d \
				"$([ $d = out ] && echo "X1->Y" || echo "Y->X1")" "$p" "$px" "$(ratio "$px" "$p")" \
				"$b" "$(ratio "$b" "$p")" "$(ratio "$b" "$px")" \
				"$t" "$(ratio "$t" "$p")" "$u" "$(ratio "$u" "$p")" "$(ratio "$u" "$px")" "$(ratio "$u" "$b")" \
				"$ut" "$(ratio "$ut" "$p")"
			if [ -n "$RSIPC_BEFORE" ]; then
				ub=$(median "${R[pumpbefore,$G,$proto,$d]}")
				printf ' %8s %6s %7s' "$ub" "$(ratio "$ub" "$p")" "$(ratio "$ut" "$ub")"
			fi
			printf ' %8s%% %8s%% %8s%%\n' "$(median "${CPU[bpf,$G,$proto,$d]}")" \
				"$(median "${CPU[pump,$G,$proto,$d]}")" "$(median "${CPU[pumptc,$G,$proto,$d]}")"
		done
	done
done
echo "(TCP ${CC:-$(sysctl -n net.ipv4.tcp_congestion_control)}; Gbit/s delivered, $SECS s per run, median of $REPS; ratio = RSIP / plain routing with the same GRO"
echo " setting; p(xdp) = plain routing with a pass-only XDP program on N's lan0 and wan0, /p(x) = the"
echo " cell to its left against it; bpf(xdp) = the gateway's XDP programs, bpf(tc) = its TC programs (--attach tc), both"
echo " with rsipc's BPF path; pump/bpf = the pump against bpf(xdp), which shares the gateway's"
echo " per-frame XDP path; pump(tc) = the pump through the TC gateway; before = the same with"
echo " RSIPC_BEFORE, tc/bef = pump(tc) / before; cpu = rsipc's user+system time over the run,"
echo " % of one CPU, p-tc = pump(tc))"
echo
echo "every repetition (Gbit/s, in the order run; load average $LOAD0 before, $LOAD1 after):"
for G in on off; do
	for proto in tcp udp; do
		for d in out in; do
			for l in plain plainxdp bpf tc pump pumptc ${RSIPC_BEFORE:+pumpbefore}; do
				printf '  GRO %-3s %s %-3s %-5s %s\n' "$G" $proto $d $l "${R[$l,$G,$proto,$d]}"
			done
		done
	done
done
