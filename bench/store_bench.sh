#!/usr/bin/env bash
# The production configuration (issue 8, item 5): rsipd --dataplane xdp on
# the lab's veths (tests/lab/lab.sh: namespaces, XDP attached, bpffs outside
# /sys), the RSIP hosts (bench/rsip_assign_bench) in the lab host X1's
# namespace, each with its own LAN address (10.0.0.20 and up):
#  - RSIP transactions per second (rsap-ip: ASSIGN then FREE, each one round
#    trip, every one also a map write) and rsipd CPU per round trip, with
#    the lease store on (STORE_MODES: normal, full sync) and, in the same
#    run, without a store;
#  - for HOSTS_LIST hosts, with N = CLIENTS_LIST hosts already registered
#    (bench/store_fill.py: restored from the store, with their bindings in
#    the maps; "off" runs start empty);
#  - the time to restore them, and the ratios against the targets: >= 20,000
#    tx/s with the store on, >= 0.8 of the no-store figure, and at most 10%
#    slower with 100k hosts registered than with none.
# Prints numbers and ratios, no pass/fail (bench/README.md).
#   bench/store_bench.sh [BUILD_DIR]   env: HOSTS_LIST ("16 200") CLIENTS_LIST
#   ("0 10000 100000") STORE_MODES ("normal"; "normal full" adds --store-sync
#   full) PHASE_SECONDS (2) ROUNDS (2)
#   WARMUP (1)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${1:-$top/build}")
HOSTS_LIST=${HOSTS_LIST:-16 200}
CLIENTS_LIST=${CLIENTS_LIST:-0 10000 100000}
STORE_MODES=${STORE_MODES:-normal}
PHASE_SECONDS=${PHASE_SECONDS:-2}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-1}
RSIPD=$BUILD/rsipd # the release build, not the sanitizers'
BENCH=$BUILD/bench/rsip_assign_bench
LAB_START_WAIT=180 # the control socket opens once the restore is done
export BUILD RSIPD LAB_START_WAIT
if [ "$(id -u)" -ne 0 ]; then echo "store_bench: skipped: needs root (namespaces, XDP)"; exit 77; fi
for f in "$RSIPD" "$BENCH" "$BUILD/rsipctl"; do
	[ -x "$f" ] || { echo "store_bench: $f not built" >&2; exit 1; }
done
. "$top/tests/lab/lab.sh"
lab_init sbn
lab_up || exit 1

# One LAN address per bench host in X1 (rsipd keys hosts by source address).
max_hosts=0
for h in $HOSTS_LIST; do [ "$h" -gt "$max_hosts" ] && max_hosts=$h; done
[ "$max_hosts" -le 230 ] || { echo "store_bench: at most 230 hosts (one /24)" >&2; exit 1; }
for i in $(seq 0 $((max_hosts - 1))); do
	echo "addr add 10.0.0.$((20 + i))/24 dev eth0"
done | lab_exec x1 ip -batch - || exit 1

ncpu=$(nproc)
pin_b=()
if command -v taskset >/dev/null && [ "$ncpu" -ge 2 ]; then
	pin_b=(taskset -c 0) # rsipd's softirqs and the bench's share CPU 0; rsipd itself floats
fi
base_flags=(--allow 10.0.0.0/8 --lease 3600 --holdback 1 --max-bindings 0 --max-ports 0
	--max-spis 0 --register-rate 0 --max-clients 250000 --map-size 262144)

echo "== store_bench: $(uname -r), $ncpu CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); --dataplane xdp on veths; hosts: $HOSTS_LIST; pre-registered: $CLIENTS_LIST"
declare -A RT
for n in $CLIENTS_LIST; do
	for mode in off $STORE_MODES; do
		store=$LAB_DIR/leases.db
		rm -f "$store"*
		args=(--state-file none)
		if [ "$mode" != off ]; then
			/usr/bin/python3 "$top/bench/store_fill.py" "$store" "$n" "$LAB_NB1,$LAB_NB2" || exit 1
			args=(--state-file "$store" --store-sync "$mode")
		elif [ "$n" != 0 ]; then
			continue # without a store nothing is pre-registered
		fi
		# Fresh maps for every start: what is measured is this start's state.
		lab_rsipd_stop
		rm -rf "${LAB_PIN:?}"/* 2>/dev/null
		lab_exec n ip link set dev wan0 xdp off 2>/dev/null
		lab_exec n ip link set dev lan0 xdp off 2>/dev/null
		t0=$(date +%s%N)
		lab_rsipd_start "${base_flags[@]}" "${args[@]}" || exit 1
		ms=$((($(date +%s%N) - t0) / 1000000))
		clients=$(lab_ctl --json clients | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
		[ "$mode" = off ] || echo "-- restore: $n hosts + $n bindings from the store: answering after $ms ms ($clients registered)"
		for h in $HOSTS_LIST; do
			out=$(lab_exec x1 "${pin_b[@]}" "$BENCH" --server "$LAB_NA:4555" --src 10.0.0.20 \
				--hosts "$h" --rsipd-pid "$LAB_RSIPD_PID" --seconds "$PHASE_SECONDS" \
				--warmup "$WARMUP" --rounds "$ROUNDS" 2>&1) || { echo "$out"; exit 1; }
			# rsap-ip: round trips/s (ASSIGN and FREE each one) and CPU per round trip
			line=$(echo "$out" | awk '$1 == "rsap-ip" {print $2, $5}')
			RT[$n,$mode,$h]=$line
			printf -- "-- %6s hosts pre-registered, store %-6s, %3s hosts: rsap-ip %s tx/s, rsipd CPU %s us per round trip\n" \
				"$n" "$mode" "$h" ${line}
		done
	done
done
lab_rsipd_stop
echo "== ratios (RSIP transactions/s, rsap-ip round trips; targets: >= 20000 tx/s, >= 0.80 x no store, >= 0.90 x the same store at 0)"
for h in $HOSTS_LIST; do
	off=${RT[0,off,$h]%% *}
	for n in $CLIENTS_LIST; do
		for mode in $STORE_MODES; do
			v=${RT[$n,$mode,$h]%% *}
			z=${RT[0,$mode,$h]%% *}
			awk -v h="$h" -v n="$n" -v m="$mode" -v v="$v" -v off="$off" -v z="$z" 'BEGIN {
				printf "   %3d hosts, %6d pre-registered, store %-6s: %8.0f tx/s = %.2f x 20000, %.2f x no store, %.2f x the same store at 0\n",
					h, n, m, v, v / 20000, v / off, v / z }'
		done
	done
done
exit 0
