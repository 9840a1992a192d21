#!/usr/bin/env bash
# RSIP transactions per second with the cluster store (rsipd --store
# etcd://..., docs/cluster.md) against the embedded SQLite store, in the same
# run (issue 12): rsip_assign_bench's rsap-ip phase (ASSIGN + FREE, each a
# round trip that waits for its store commit) with HOSTS_LIST hosts, rsipd
# --dataplane none (release build), stores: sqlite (--state-file), etcd with
# 1 member, etcd with 3 members (real etcd processes, tests/cluster/etcd.sh;
# each member fsyncs its WAL). Prints numbers and ratios, no pass/fail
# (bench/README.md); no CPU figure (rsipd runs in the members' namespace,
# where the benchmark cannot read its schedstat). Needs root (the etcd members run in a network namespace).
#   bench/cluster_bench.sh [BUILD_DIR]   env: HOSTS_LIST ("16 200")
#   PHASE_SECONDS (2) ROUNDS (2) WARMUP (1)
set -u
BUILD=$(realpath -m "${1:-build}")
HOSTS_LIST=${HOSTS_LIST:-16 200}
PHASE_SECONDS=${PHASE_SECONDS:-2}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-1}
here=$(cd "$(dirname "$0")" && pwd)
RSIPD=$BUILD/rsipd
BENCH=$BUILD/bench/rsip_assign_bench
RSIPCTL=$BUILD/rsipctl
for f in "$RSIPD" "$BENCH" "$RSIPCTL"; do
	[ -x "$f" ] || { echo "cluster_bench: $f not built" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "cluster_bench: needs root (network namespaces)" >&2; exit 1; }

. "$here/../tests/cluster/etcd.sh"
tmp=$(mktemp -d /tmp/rsip-cluster-bench.XXXXXX)
pid=
stop_rsipd() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	pid=
}
cleanup() {
	stop_rsipd
	etcd_cluster_down || true
	rm -rf "$tmp"
}
PUBLIC=192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4
PORT=4554 # each rsipd its own port (run_store): a slow exit never meets the next
declare -A RT

# run_store NAME STORE-ARGS...: rsipd in the members' namespace (loopback),
# then the benchmark for every HOSTS_LIST.
run_store() {
	local name=$1 h out line
	shift
	rm -f "$tmp"/s.db*
	PORT=$((PORT + 1))
	# ip netns exec execs rsipd: $! is rsipd's own PID (etcd_exec, a shell
	# function, would put a subshell in between that a kill leaves behind).
	ip netns exec "$ETCD_NS" "$RSIPD" --listen "127.0.0.1:$PORT" --public "$PUBLIC" --dataplane none \
		--allow 127.0.0.0/8 --lease 3600 --holdback 1 --max-bindings 0 --max-ports 0 \
		--max-spis 0 --register-rate 0 --ctl-socket "$tmp/ctl.$name.sock" "$@" \
		>/dev/null 2>"$tmp/rsipd.$name.log" &
	pid=$!
	for _ in $(seq 1000); do
		"$RSIPCTL" --socket "$tmp/ctl.$name.sock" status >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || { echo "cluster_bench: rsipd exited:" >&2; cat "$tmp/rsipd.$name.log" >&2; exit 1; }
		sleep 0.01
	done
	for h in $HOSTS_LIST; do
		out=$(etcd_exec "$BENCH" --server "127.0.0.1:$PORT" --hosts "$h" --rsipd-pid "$pid" \
			--seconds "$PHASE_SECONDS" --warmup "$WARMUP" --rounds "$ROUNDS" 2>&1) || {
			echo "$out"; tail -n 5 "$tmp/rsipd.$name.log"; exit 1; }
		line=$(echo "$out" | awk '$1 == "rsap-ip" {print $2}')
		RT[$name,$h]=$line
		printf -- "-- store %-8s %3s hosts: rsap-ip %s tx/s\n" "$name" "$h" "$line"
	done
	stop_rsipd
}

echo "== cluster_bench: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); hosts: $HOSTS_LIST"
for members in 1 3; do
	etcd_cluster_init cb$members
	trap cleanup EXIT
	etcd_cluster_up "$members" >/dev/null 2>&1 || { echo "cluster_bench: etcd did not start" >&2; exit 1; }
	endpoints=$(etcd_client_endpoints)
	[ "$members" = 1 ] && run_store sqlite --state-file "$tmp/s.db"
	run_store "etcd$members" --store "etcd://$endpoints/bench/$$" --gateway bench
	etcd_cluster_down || true
	unset ETCD_ID
done
trap 'rm -rf "$tmp"' EXIT
echo "== ratios (RSIP transactions/s, rsap-ip assign+free round trips)"
for h in $HOSTS_LIST; do
	for name in etcd1 etcd3; do
		awk -v h="$h" -v n="$name" -v v="${RT[$name,$h]%% *}" -v s="${RT[sqlite,$h]%% *}" 'BEGIN {
			printf "   %3d hosts, store %-6s: %8.0f tx/s = %.2f x the embedded store (%.0f tx/s)\n",
				h, n, v, v / s, s }'
	done
done
