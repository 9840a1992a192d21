#!/usr/bin/env bash
# The production configuration (issue 8, item 5): rsipd --dataplane xdp on
# the lab's veths (tests/lab/lab.sh: namespaces, XDP attached, bpffs outside
# /sys), the RSIP hosts (bench/rsip_assign_bench) in the lab host X1's
# namespace, each with its own LAN address (10.0.0.20 and up):
#  - RSIP transactions per second (rsap-ip: ASSIGN then FREE, each one round
#    trip, every one also a map write) and rsipd CPU per round trip, with
#    the lease store on (STORE_MODES: normal, full sync) and, in the same
#    run, without a store;
#  - for HOSTS_LIST hosts, with N = CLIENTS_LIST hosts already registered,
#    each with an RSAP-IP binding in the maps: restored from a store that
#    bench/store_fill.py wrote, or, without a store, registered over RSIP by
#    bench/register_fill.py from X1 (their addresses local to X1 for that
#    while: an AnyIP route; X1 does not answer ARP for them, so in both
#    cases rsipd's neighbour watch never resolves them);
#  - the time to restore them, and the ratios against the targets: >= 20,000
#    tx/s with the store on, >= 0.8 of the no-store figure with as many
#    hosts registered, and at most 10% slower with 100k hosts registered than
#    with none; the same ratios of rsipd's CPU per round trip (steadier than
#    rates on a shared machine).
# Prints numbers and ratios, no pass/fail (bench/README.md).
#   bench/store_bench.sh [BUILD_DIR]   env: HOSTS_LIST ("16 200") CLIENTS_LIST
#   ("0 10000 100000") STORE_MODES ("normal"; "normal full" adds --store-sync
#   full) PHASE_SECONDS (2) ROUNDS (2)
#   WARMUP (1) STARTS (1: rsipd starts per configuration; with more, the
#   configurations take turns, start after start, and the ratios are those
#   of the medians: one start's CPU per round trip moved by up to 1.5x
#   between starts of the same configuration on a quiet machine, more than
#   the store's own cost, bench/README.md)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${1:-$top/build}")
HOSTS_LIST=${HOSTS_LIST:-16 200}
CLIENTS_LIST=${CLIENTS_LIST:-0 10000 100000}
STORE_MODES=${STORE_MODES:-normal}
PHASE_SECONDS=${PHASE_SECONDS:-2}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-1}
STARTS=${STARTS:-1}
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
pin_rsipd=
if command -v taskset >/dev/null && [ "$ncpu" -ge 2 ]; then
	# The bench and rsipd's softirqs share CPU 0; rsipd itself runs on CPU 1
	# in every start. Left to float, one configuration's CPU per round trip
	# moved between 20 us and 33 us from one run to the next on a quiet
	# machine (the scheduler's placement), more than the store's own cost.
	pin_b=(taskset -c 0)
	pin_rsipd=1
fi
base_flags=(--allow 10.0.0.0/8 --lease 3600 --holdback 1 --max-bindings 0 --max-ports 0
	--max-spis 0 --register-rate 0 --max-clients 250000 --map-size 262144)

# The pre-registered hosts' addresses (store_fill.py's, 10.0.1.0 and up,
# beyond the lab's LAN 10.0.0.0/24): routed to X1, and local to X1 while
# register_fill.py speaks for them.
host_prefixes=(10.0.1.0/24 10.0.2.0/23 10.0.4.0/22 10.0.8.0/21 10.0.16.0/20 10.0.32.0/19
	10.0.64.0/18 10.0.128.0/17 10.1.0.0/16 10.2.0.0/15 10.4.0.0/14)
max_n=0
for n in $CLIENTS_LIST; do [ "$n" -gt "$max_n" ] && max_n=$n; done
[ "$max_n" -le 500000 ] || { echo "store_bench: at most 500000 pre-registered hosts" >&2; exit 1; }
lab_exec x1 sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1 || exit 1

# register_over_rsip N: N hosts, each with a binding, registered with the
# running rsipd (no store) the way hosts do it.
register_over_rsip() {
	local p rc
	for p in "${host_prefixes[@]}"; do
		lab_exec x1 ip route add local "$p" dev lo || return 1
		lab_exec n ip route add "$p" via "$LAB_X1" || return 1
	done
	lab_exec x1 /usr/bin/python3 "$top/bench/register_fill.py" "$LAB_NA" 4555 "$1"
	rc=$?
	for p in "${host_prefixes[@]}"; do
		lab_exec x1 ip route del local "$p" dev lo
		lab_exec n ip route del "$p" via "$LAB_X1"
	done
	return $rc
}

[[ "$STARTS" =~ ^[1-9][0-9]?$ ]] || { echo "store_bench: STARTS must be 1-99, not '$STARTS'" >&2; exit 1; }
echo "== store_bench: $(uname -r), $ncpu CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); --dataplane xdp on veths; hosts: $HOSTS_LIST; pre-registered: $CLIENTS_LIST; $STARTS start(s) each"
declare -A RT # "tx/s cpu_us" of every start, by "n,mode,hosts": one line per start
for start in $(seq 1 "$STARTS"); do
for n in $CLIENTS_LIST; do
	for mode in off $STORE_MODES; do
		store=$LAB_DIR/leases.db
		rm -f "$store"*
		args=(--state-file none)
		if [ "$mode" != off ]; then
			/usr/bin/python3 "$top/bench/store_fill.py" "$store" "$n" "$LAB_NB1,$LAB_NB2" || exit 1
			args=(--state-file "$store" --store-sync "$mode")
		fi
		# Fresh maps for every start: what is measured is this start's state.
		lab_rsipd_stop
		rm -rf "${LAB_PIN:?}"/* 2>/dev/null
		lab_exec n ip link set dev wan0 xdp off 2>/dev/null
		lab_exec n ip link set dev lan0 xdp off 2>/dev/null
		t0=$(date +%s%N)
		lab_rsipd_start "${base_flags[@]}" "${args[@]}" || exit 1
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ -z "$pin_rsipd" ] || taskset -a -p -c 1 "$LAB_RSIPD_PID" >/dev/null || exit 1
		if [ "$mode" = off ] && [ "$n" != 0 ]; then
			reg=$(register_over_rsip "$n") || { echo "$reg"; exit 1; }
			echo "-- no store: $reg"
		fi
		clients=$(lab_ctl --json clients | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
		[ "$clients" -ge "$n" ] || { echo "store_bench: $clients hosts registered, not $n" >&2; exit 1; }
		[ "$mode" = off ] || echo "-- restore: $n hosts + $n bindings from the store: answering after $ms ms ($clients registered)"
		for h in $HOSTS_LIST; do
			out=$(lab_exec x1 "${pin_b[@]}" "$BENCH" --server "$LAB_NA:4555" --src 10.0.0.20 \
				--hosts "$h" --rsipd-pid "$LAB_RSIPD_PID" --seconds "$PHASE_SECONDS" \
				--warmup "$WARMUP" --rounds "$ROUNDS" 2>&1) || { echo "$out"; exit 1; }
			# rsap-ip: round trips/s (ASSIGN and FREE each one) and CPU per round trip
			line=$(echo "$out" | awk '$1 == "rsap-ip" {print $2, $5}')
			[ -n "$line" ] || { echo "$out"; echo "store_bench: no rsap-ip line" >&2; exit 1; }
			RT[$n,$mode,$h]+="$line"$'\n'
			printf -- "-- start %d: %6s hosts pre-registered, store %-6s, %3s hosts: rsap-ip %s tx/s, rsipd CPU %s us per round trip\n" \
				"$start" "$n" "$mode" "$h" ${line}
		done
	done
done
done
lab_rsipd_stop

# median COLUMN: the median of a column of RT's lines (stdin), and its range.
median() {
	sort -g -k"$1","$1" | awk -v c="$1" '{v[NR] = $c} END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%s %s %s\n", m, v[1], v[NR] }'
}
echo "== ratios (RSIP transactions/s = rsap-ip round trips/s; targets: >= 20000 tx/s, >= 0.80 x no store with as many hosts registered, >= 0.90 x the same store at 0; CPU: rsipd CPU per round trip, the inverse ratios; medians of $STARTS start(s); load average now $(cut -d' ' -f1-3 /proc/loadavg))"
for h in $HOSTS_LIST; do
	first=${CLIENTS_LIST%% *}
	for n in $CLIENTS_LIST; do
		read -r off _ _ <<<"$(printf '%s' "${RT[$n,off,$h]}" | median 1)"
		read -r off_cpu _ _ <<<"$(printf '%s' "${RT[$n,off,$h]}" | median 2)"
		for mode in $STORE_MODES; do
			read -r v _ _ <<<"$(printf '%s' "${RT[$n,$mode,$h]}" | median 1)"
			read -r v_cpu v_lo v_hi <<<"$(printf '%s' "${RT[$n,$mode,$h]}" | median 2)"
			read -r z _ _ <<<"$(printf '%s' "${RT[$first,$mode,$h]}" | median 1)"
			read -r z_cpu _ _ <<<"$(printf '%s' "${RT[$first,$mode,$h]}" | median 2)"
			awk -v h="$h" -v n="$n" -v m="$mode" -v v="$v" -v off="$off" -v z="$z" -v f="$first" \
				-v vc="$v_cpu" -v oc="$off_cpu" -v zc="$z_cpu" -v lo="$v_lo" -v hi="$v_hi" -v s="$STARTS" 'BEGIN {
				printf "   %3d hosts, %6d pre-registered, store %-6s: %6.0f tx/s = %.2f x 20000, %.2f x no store, %.2f x the same store at %d; CPU/rt %5.1f us",
					h, n, m, v, v / 20000, v / off, v / z, f, vc
				if (s > 1) printf " (%.1f-%.1f)", lo, hi
				printf ": no store / this %.2f, at %d / this %.2f\n", oc / vc, f, zc / vc }'
		done
	done
done
exit 0
