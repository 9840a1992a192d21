#!/usr/bin/env bash
# The lease store's cost (issue 8, items 2 and 5), --dataplane none:
#  - restore: a store with N hosts and N bindings written beforehand
#    (bench/store_fill.py), then the time from starting rsipd until it
#    answers on its control socket (it answers RSIP from then on);
#  - RSIP transactions per second and rsipd CPU per round trip
#    (bench/rsip_assign_bench) with the store on (normal and full sync) and
#    off, for HOSTS_LIST hosts, with N = CLIENTS_LIST hosts already
#    registered (restored from the store; "off" runs start empty).
# Prints numbers and ratios, no pass/fail (bench/README.md).
#   bench/store_bench.sh [BUILD_DIR]   env: HOSTS_LIST ("16 200") CLIENTS_LIST
#   ("0 10000 100000") PHASE_SECONDS (2) ROUNDS (2) WARMUP (1)
set -eu
BUILD=$(realpath -m "${1:-build}")
HOSTS_LIST=${HOSTS_LIST:-16 200}
CLIENTS_LIST=${CLIENTS_LIST:-0 10000 100000}
PHASE_SECONDS=${PHASE_SECONDS:-2}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-1}
here=$(cd "$(dirname "$0")" && pwd)
RSIPD=$BUILD/rsipd
BENCH=$BUILD/bench/rsip_assign_bench
RSIPCTL=$BUILD/rsipctl
for f in "$RSIPD" "$BENCH" "$RSIPCTL"; do
	[ -x "$f" ] || { echo "store_bench: $f not built" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/rsip-store-bench.XXXXXX)
pid=
stop_rsipd() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	pid=
}
trap 'stop_rsipd; rm -rf "$tmp"' EXIT

ncpu=$(nproc)
pin_d=() pin_b=()
if command -v taskset >/dev/null && [ "$ncpu" -ge 2 ]; then
	pin_d=(taskset -c $((ncpu - 1)))
	pin_b=(taskset -c 0)
fi
PUBLIC=192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4

# start_rsipd PORT STORE-ARGS...: sets pid, and ms to the time until the
# control socket answers (rsipd answers RSIP from then on).
start_rsipd() {
	local port=$1 t0 t1
	shift
	t0=$(date +%s%N)
	"${pin_d[@]}" "$RSIPD" --listen "127.0.0.1:$port" --public "$PUBLIC" --dataplane none \
		--allow 10.0.0.0/8 --allow 127.0.0.0/8 --lease 3600 --holdback 1 \
		--max-bindings 0 --max-ports 0 --max-spis 0 --register-rate 0 \
		--max-clients 200000 --ctl-socket "$tmp/ctl.sock" "$@" >/dev/null 2>"$tmp/rsipd.log" &
	pid=$!
	for _ in $(seq 3000); do
		"$RSIPCTL" --socket "$tmp/ctl.sock" status >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || { echo "store_bench: rsipd exited:" >&2; cat "$tmp/rsipd.log" >&2; exit 1; }
		sleep 0.01
	done
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
}

port=$(/usr/bin/python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

echo "== store_bench: $(uname -r), $ncpu CPUs, rsipd ${pin_d[*]:-unpinned}; hosts: $HOSTS_LIST; pre-registered: $CLIENTS_LIST"
declare -A RT
for n in $CLIENTS_LIST; do
	for mode in off normal full; do
		rm -f "$tmp"/s.db*
		args=(--state-file none)
		if [ "$mode" != off ]; then
			/usr/bin/python3 "$here/store_fill.py" "$tmp/s.db" "$n"
			args=(--state-file "$tmp/s.db" --store-sync "$mode")
		elif [ "$n" != 0 ]; then
			continue # without a store nothing is pre-registered
		fi
		start_rsipd "$port" "${args[@]}"
		clients=$("$RSIPCTL" --socket "$tmp/ctl.sock" --json clients | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
		[ "$mode" = off ] || echo "-- restore: $n hosts + $n bindings from the store: answering after $ms ms ($clients registered)"
		for h in $HOSTS_LIST; do
			out=$("${pin_b[@]}" "$BENCH" --server "127.0.0.1:$port" --hosts "$h" --rsipd-pid "$pid" \
				--seconds "$PHASE_SECONDS" --warmup "$WARMUP" --rounds "$ROUNDS" 2>&1) || {
				echo "$out"; exit 1; }
			# rsap-ip: round trips/s (ASSIGN and FREE each one) and CPU per round trip
			line=$(echo "$out" | awk '$1 == "rsap-ip" {print $2, $5}')
			RT[$n,$mode,$h]=$line
			printf -- "-- %6s hosts pre-registered, store %-6s, %3s hosts: rsap-ip %s tx/s, rsipd CPU %s us per round trip\n" \
				"$n" "$mode" "$h" ${line}
		done
		stop_rsipd
	done
done
echo "== ratios (RSIP transactions/s, rsap-ip assign+free round trips)"
for h in $HOSTS_LIST; do
	off=${RT[0,off,$h]%% *}
	for n in $CLIENTS_LIST; do
		for mode in normal full; do
			v=${RT[$n,$mode,$h]%% *}
			z=${RT[0,$mode,$h]%% *}
			awk -v h="$h" -v n="$n" -v m="$mode" -v v="$v" -v off="$off" -v z="$z" 'BEGIN {
				printf "   %3d hosts, %6d pre-registered, store %-6s: %8.0f tx/s = %.2f x no store, %.2f x the same store at 0\n",
					h, n, m, v, v / off, v / z }'
		done
	done
done
