#!/usr/bin/env bash
# Restart at scale (issue 8, item 2): a lease store with N hosts and N
# bindings (bench/store_fill.py), rsipd --dataplane xdp on the lab's veths
# (tests/lab/lab.sh: namespaces, a bpffs outside /sys). Two starts:
#   cold  no pins yet: every map entry is written,
#   warm  rsipd stopped and started again: the pinned maps already hold
#         every entry, which must be kept (their counters) and not rewritten.
# For each it prints the seconds from launching rsipd until a host's
# REGISTER over UDP is answered (bench/restore_probe.py, from X1), until
# rsipd logs "maps reconciled", the time rsipd itself logs for it, rsipd's
# CPU time by then, and the ratio to the 2 s target (<= 1.00 meets it).
# Numbers only, no pass/fail.
#
# Before/after in one run: BEFORE=/path/to/another/rsipd adds that build;
# the two take turns (ROUNDS rounds, the order swapped every round, each
# round from a fresh store and no pins), and the summary gives each build's
# median CPU and wall time per start and the ratio after / before. On a
# shared machine the CPU time is the figure to compare.
#   bench/restore_bench.sh [BUILD_DIR]    env: CLIENTS (100000) BEFORE ROUNDS
#   (1; 3 with BEFORE)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${1:-$top/build}")
CLIENTS=${CLIENTS:-100000}
BEFORE=${BEFORE:-}
ROUNDS=${ROUNDS:-$([ -n "$BEFORE" ] && echo 3 || echo 1)}
AFTER=$BUILD/rsipd # the release build: the ASan one measures the sanitizer
LAB_START_WAIT=120 # the control socket opens once the restore is done
export BUILD LAB_START_WAIT
if [ "$(id -u)" -ne 0 ]; then echo "restore_bench: skipped: needs root (namespaces, XDP)"; exit 77; fi
for f in "$AFTER" "$BUILD/rsipctl" ${BEFORE:+"$BEFORE"}; do
	[ -x "$f" ] || { echo "restore_bench: $f not built" >&2; exit 1; }
done
. "$top/tests/lab/lab.sh"
lab_init rbn
lab_up || exit 1

store=$LAB_DIR/leases.db
flags=(--state-file "$store" --allow 10.0.0.0/8 --max-clients $((CLIENTS + 1000))
	--map-size $((CLIENTS * 2)) --register-rate 0 --lease 3600)

# fresh: no rsipd, no pins, no XDP, the store as store_fill.py writes it.
fresh() {
	lab_rsipd_stop
	rm -rf "${LAB_PIN:?}" "$store"*
	lab_exec n ip link set dev wan0 xdp off 2>/dev/null
	lab_exec n ip link set dev lan0 xdp off 2>/dev/null
	/usr/bin/python3 "$top/bench/store_fill.py" "$store" "$CLIENTS" "$LAB_NB1,$LAB_NB2" || exit 1
}

declare -A CPU WALL
# one_start BUILD_LABEL START: start rsipd ($RSIPD), wait for the probe's
# answer and the reconciliation line, print them, keep CPU and wall time.
one_start() {
	local label=$1 start=$2 t0 probe_s rec_s cpu_s= line ms log_from i
	log_from=1
	[ -f "$LAB_DIR/rsipd.log" ] && log_from=$(($(wc -l <"$LAB_DIR/rsipd.log") + 1))
	t0=$(date +%s%N)
	lab_exec x1 /usr/bin/python3 "$top/bench/restore_probe.py" "$LAB_NA" "$t0" 60 \
		>"$LAB_DIR/probe.out" 2>&1 &
	local probe=$!
	LAB_PIDS+=("$probe")
	lab_rsipd_start "${flags[@]}" || exit 1
	rec_s=
	for i in $(seq 6000); do
		line=$(tail -n +"$log_from" "$LAB_DIR/rsipd.log" | grep -m1 "maps reconciled") && {
			rec_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
			# user + system CPU of rsipd so far: on a busy machine the
			# wall clock says more about the neighbours than about rsipd
			cpu_s=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' \
				"/proc/$LAB_RSIPD_PID/stat")
			break
		}
		kill -0 "$LAB_RSIPD_PID" 2>/dev/null || break
		sleep 0.01
	done
	wait "$probe"
	probe_s=$(cat "$LAB_DIR/probe.out")
	if [ -z "$rec_s" ]; then
		echo "restore_bench: rsipd never logged 'maps reconciled'; its log:" >&2
		tail -n 20 "$LAB_DIR/rsipd.log" >&2
		exit 1
	fi
	ms=$(echo "$line" | sed -n 's/.*reconciled in \([0-9]*\) ms.*/\1/p')
	local worst
	worst=$(awk -v a="$probe_s" -v b="$rec_s" 'BEGIN { print (a > b) ? a : b }')
	printf -- "-- %-6s %-4s first RSIP answer after %s s, maps reconciled after %s s (rsipd: %s ms, %s s of CPU): %.2f x the 2 s target\n" \
		"$label" "$start" "$probe_s" "$rec_s" "$ms" "$cpu_s" "$(awk -v m="$worst" 'BEGIN { print m / 2 }')"
	echo "   $(echo "$line" | sed 's/.*\(restore: \)/\1/') [load $(cut -d' ' -f1 /proc/loadavg)]"
	CPU[$label,$start]+="$cpu_s "
	WALL[$label,$start]+="$worst "
}

# one_build LABEL BINARY: a cold and a warm start from a fresh store.
one_build() {
	RSIPD=$2
	export RSIPD
	fresh
	one_start "$1" cold
	entries=$(bpftool map dump pinned "$LAB_PIN/rsip_clients" -j 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
	echo "   rsip_clients holds $entries entries"
	lab_rsipd_stop
	one_start "$1" warm
	lab_rsipd_stop
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== restore_bench: $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $CLIENTS hosts + $CLIENTS bindings in the store${BEFORE:+; before: $BEFORE, after: $AFTER, $ROUNDS rounds}"
for r in $(seq "$ROUNDS"); do
	if [ -z "$BEFORE" ]; then
		one_build after "$AFTER"
	elif [ $((r % 2)) -eq 1 ]; then
		one_build before "$BEFORE"
		one_build after "$AFTER"
	else
		one_build after "$AFTER"
		one_build before "$BEFORE"
	fi
done
echo "== summary (median of $ROUNDS; wall: the later of first answer and maps reconciled; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
for start in cold warm; do
	for label in ${BEFORE:+before} after; do
		printf "   %-6s %-4s rsipd CPU %5.2f s, wall %6.3f s = %.2f x the 2 s target\n" "$label" "$start" \
			"$(echo "${CPU[$label,$start]}" | median)" "$(echo "${WALL[$label,$start]}" | median)" \
			"$(echo "${WALL[$label,$start]}" | median | awk '{ print $1 / 2 }')"
	done
	if [ -n "$BEFORE" ]; then
		awk -v cb="$(echo "${CPU[before,$start]}" | median)" -v ca="$(echo "${CPU[after,$start]}" | median)" \
			-v wb="$(echo "${WALL[before,$start]}" | median)" -v wa="$(echo "${WALL[after,$start]}" | median)" -v s="$start" \
			'BEGIN { printf "   after / before, %s: CPU %.2f, wall %.2f\n", s, ca / cb, wa / wb }'
	fi
done
exit 0
