#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Host-side throughput (issue 9): iperf3 between a host X1 and the peer Y in
# the lab (tests/lab/lab.sh), in one run:
#   plain  X1's own address, routed by N's kernel (no RSIP, no XDP): the baseline
#   bpf    through RSIP: rsipd's XDP programs and rsipc's TC programs
#   pump   through RSIP: rsipd's XDP programs and rsipc's userspace pump
# each with GRO on at every forwarding and receiving hop (lab_gro: the
# switch's bridge and ports, N's interfaces, the hosts, Y), then off (but on
# p0 and Y's eth0, peers of XDP redirect targets: they need NAPI), TCP and
# UDP, both ways.
# The iperf3 server runs on X1 (on a port leased with --listen for RSIP), the
# client on Y: -R makes X1 the sender. Prints Gbit/s delivered (the receiver's
# count; UDP: what was sent minus the loss), each RSIP figure as a ratio of
# plain routing in the same GRO setting, and rsipc's CPU over each run.
#   bench/rsipc_iperf.sh [BUILD_DIR]   env: SECS (5 per run), UDP_RATE (iperf3 -b, default 1G)
# No pass/fail: this prints numbers.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${1:-${BUILD:-build}}")
SECS=${SECS:-5}
UDP_RATE=${UDP_RATE:-1G}
PY=/usr/bin/python3
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (namespaces)" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "bench: no iperf3 (make deps)" >&2; exit 1; }
for f in "$BUILD/rsipd" "$BUILD/rsipc" "$BUILD/rsipctl"; do
	[ -x "$f" ] || { echo "bench: $f not built" >&2; exit 1; }
done
export BUILD
RSIPD=$BUILD/rsipd
. "$top/tests/lab/lab.sh"
lab_init ipf
lab_up || exit 1
PORT=5201
HZ=$(getconf CLK_TCK)

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
			R[$label,$G,$proto,$dir]=$(run "$addr" $proto $dir)
			c1=$(cpu_ticks "$pid")
			CPU[$label,$G,$proto,$dir]=$(( (c1 - c0) * 100 / HZ / SECS ))
		done
	done
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
}

for G in on off; do
	gro $G
	# plain routing: X1 <-> Y by N's kernel, no rsipd
	lab_exec x1 ip route replace default via $LAB_NA
	lab_exec y ip route replace 10.0.0.0/24 via $LAB_N_WAN
	measure plain $LAB_X1
	lab_exec y ip route del 10.0.0.0/24 via $LAB_N_WAN
	lab_exec x1 ip route del default via $LAB_NA

	lab_rsipd_start >/dev/null || exit 1
	for dp in bpf pump; do
		dir=$LAB_DIR/rsipc-$dp
		mkdir -p "$dir"
		lab_bg x1 "$LAB_DIR/rsipc-$dp.log" "$BUILD/rsipc" --server $LAB_NA --state-dir "$dir" \
			up --listen $PORT --datapath $dp
		pid=$LAB_LAST_PID
		lab_wait 15 test -s "$dir/state.json" || { echo "bench: rsipc ($dp) got no lease" >&2; exit 1; }
		nb=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["address"])' "$dir/state.json")
		measure $dp "$nb" "$pid"
		kill "$pid"
		wait "$pid" 2>/dev/null
	done
	lab_rsipd_stop
done

ratio() { $PY -c "print('%.2f' % ($1 / $2 if $2 > 0 else 0))"; }
printf '\n%-5s %-4s %-3s %-7s %8s %8s %6s %8s %6s %9s %9s %9s\n' GRO prot dir "" plain bpf ratio pump ratio pump/bpf "cpu(bpf)" "cpu(pump)"
for G in on off; do
	for proto in tcp udp; do
		for d in out in; do
			p=${R[plain,$G,$proto,$d]} b=${R[bpf,$G,$proto,$d]} u=${R[pump,$G,$proto,$d]}
			printf '%-5s %-4s %-3s %-7s %8s %8s %6s %8s %6s %9s %8s%% %8s%%\n' "$G" $proto $d \
				"$([ $d = out ] && echo "X1->Y" || echo "Y->X1")" "$p" "$b" "$(ratio "$b" "$p")" \
				"$u" "$(ratio "$u" "$p")" "$(ratio "$u" "$b")" \
				"${CPU[bpf,$G,$proto,$d]}" "${CPU[pump,$G,$proto,$d]}"
		done
	done
done
echo "(Gbit/s delivered, $SECS s per run, one run each; ratio = RSIP / plain routing with the same GRO setting;"
echo " pump/bpf = the pump against the BPF path, which shares the gateway's per-frame XDP path;"
echo " cpu = rsipc's user+system time over the run, % of one CPU)"
