#!/usr/bin/env bash
# RSIP transactions per second with the cluster store (rsipd --store
# etcd://..., docs/cluster.md) against the embedded SQLite store, in the same
# run (issue 12): rsip_assign_bench's rsap-ip phase (ASSIGN + FREE, each a
# round trip that waits for its store commit) with HOSTS_LIST hosts, rsipd
# --dataplane none (release build), stores: sqlite (--state-file), etcd with
# 1 member, etcd with 3 members (real etcd processes, tests/cluster/etcd.sh;
# each member fsyncs its WAL). Prints numbers and ratios, no pass/fail
# (bench/README.md). Needs root (the etcd members run in a network namespace).
#
# Where the time goes, per etcd run (the whole benchmark run: its baseline,
# rsipsec and rsap-ip phases): rsipd's commits (rsipctl status
# cluster.store.committed: transactions, hosts each, latency from sent to
# settled - mean and percentiles from its histogram - and how often a change
# waited for a free slot), the CPU each process ran and how long it waited
# for a CPU (/proc/PID/task/*/schedstat: a wait as long as the run means the
# machine, not the process, is the limit), both per 1,000 host records
# written, and the members' mean WAL fsync (their /metrics).
#
# The closed loop (each host waits for its answer) makes the rate hosts /
# latency: HOSTS_LIST up to 1000 shows whether more load finds more
# capacity (the gateway's ceiling) or only longer queues.
#
#   bench/cluster_bench.sh [BUILD_DIR]   env: HOSTS_LIST ("16 200")
#   PHASE_SECONDS (2) ROUNDS (2) WARMUP (1) INFLIGHT (4: rsipd --etcd-inflight)
#   ETCD_TMPFS=1: the members' data on /dev/shm - fsync costs nothing; shows
#   what is left without the disk, never a deployment (a power cut loses it)
set -u
BUILD=$(realpath -m "${1:-build}")
HOSTS_LIST=${HOSTS_LIST:-16 200}
PHASE_SECONDS=${PHASE_SECONDS:-2}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-1}
INFLIGHT=${INFLIGHT:-4}
ETCD_TMPFS=${ETCD_TMPFS:-0}
[ "$ETCD_TMPFS" = 1 ] && export ETCD_DATA_BASE=/dev/shm
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
# CPU run and run-queue wait (ns) of every thread of PID: "RUN WAIT".
sched_ns() {
	local f r=0 w=0 a b
	for f in /proc/"$1"/task/*/schedstat; do
		read -r a b _ <"$f" 2>/dev/null || continue
		r=$((r + a)) w=$((w + b))
	done
	echo "$r $w"
}
# Sum of a metric over every member's /metrics.
etcd_metric() {
	local i a sum=0
	for i in "${!ETCD_PIDS[@]}"; do
		a=$(etcd_exec curl -s -m 2 "http://$(etcd_addr "$i"):2379/metrics" |
			awk -v k="$1" '$1 == k {print $2}')
		sum=$(awk -v s="$sum" -v a="${a:-0}" 'BEGIN {printf "%.6f", s + a}')
	done
	echo "$sum"
}
# snapshot 0|1 PIDS...: before / after one benchmark run, what where_time
# compares: each process's schedstat, rsipd's status, the members' fsyncs.
snapshot() {
	local tag=$1 p
	shift
	: >"$tmp/sched.$tag"
	for p in "$@"; do echo "$p $(sched_ns "$p")" >>"$tmp/sched.$tag"; done
	"$RSIPCTL" --socket "$ctl" --json status >"$tmp/status.$tag" 2>/dev/null || echo '{}' >"$tmp/status.$tag"
	echo "$(etcd_metric etcd_disk_wal_fsync_duration_seconds_sum) $(etcd_metric etcd_disk_wal_fsync_duration_seconds_count)" >"$tmp/fsync.$tag"
}
# where_time NAME HOSTS: the figures of one etcd run (see the top).
where_time() {
	python3 - "$tmp" "$1" "$2" <<'PY'
import json, sys
tmp, name, hosts = sys.argv[1:4]
def sched(t):
    return {l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in open("%s/sched.%s" % (tmp, t))}
s0, s1 = sched("0"), sched("1")
def store(t):
    return json.load(open("%s/status.%s" % (tmp, t))).get("cluster", {}).get("store", {})
a, b = store("0"), store("1")
f0 = [float(x) for x in open(tmp + "/fsync.0").read().split()]
f1 = [float(x) for x in open(tmp + "/fsync.1").read().split()]
commits = b.get("commits", 0) - a.get("commits", 0)
ca, cb = a.get("committed", {}), b.get("committed", {})
written = cb.get("hosts", 0) - ca.get("hosts", 0)
hist = [(k, cb["latency_ms"][k] - ca["latency_ms"][k]) for k in cb.get("latency_ms", {})]
def pct(q):
    n, acc = sum(v for _, v in hist), 0
    for k, v in hist:
        acc += v
        if n and acc >= q * n:
            return "<=%s" % k if k != "more" else ">512"
    return "-"
per = 1000.0 / written if written else 0
print("   commits %d: %.1f hosts each, latency mean %.1f ms, p50 %s ms, p90 %s ms; "
      "a change waited for a free slot %d times, for a host in flight %d times"
      % (commits, written / commits if commits else 0,
         (cb.get("latency_us", 0) - ca.get("latency_us", 0)) / commits / 1000 if commits else 0,
         pct(0.5), pct(0.9), cb.get("waits_full", 0) - ca.get("waits_full", 0),
         cb.get("waits_host", 0) - ca.get("waits_host", 0)))
parts = []
for i, p in enumerate(s1):
    run = (s1[p][0] - s0[p][0]) / 1e6
    wait = (s1[p][1] - s0[p][1]) / 1e6
    parts.append("%s %.0f ms ran (%.0f per 1k), %.0f waited" % (
        "rsipd" if i == 0 else "etcd m%d" % i, run, run * per, wait))
print("   CPU (ms; per 1k host records written): " + "; ".join(parts))
n = f1[1] - f0[1]
print("   WAL fsyncs (all members) %d, mean %.2f ms" % (n, (f1[0] - f0[0]) / n * 1000 if n else 0))
PY
}
PUBLIC=192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4
PORT=4554 # each rsipd its own port (run_store): a slow exit never meets the next
declare -A RT

# run_store NAME STORE-ARGS...: rsipd in the members' namespace (loopback),
# then the benchmark for every HOSTS_LIST.
run_store() {
	local name=$1 h out line
	shift
	ctl=$tmp/ctl.$name.sock
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
		[ "$name" = sqlite ] || snapshot 0 "$pid" "${ETCD_PIDS[@]}"
		out=$(etcd_exec "$BENCH" --server "127.0.0.1:$PORT" --hosts "$h" --rsipd-pid "$pid" \
			--seconds "$PHASE_SECONDS" --warmup "$WARMUP" --rounds "$ROUNDS" 2>&1) || {
			echo "$out"; tail -n 5 "$tmp/rsipd.$name.log"; exit 1; }
		line=$(echo "$out" | awk '$1 == "rsap-ip" {print $2}')
		RT[$name,$h]=$line
		printf -- "-- store %-8s %4s hosts: rsap-ip %s tx/s\n" "$name" "$h" "$line"
		if [ "$name" != sqlite ]; then
			snapshot 1 "$pid" "${ETCD_PIDS[@]}"
			where_time "$name" "$h"
		fi
	done
	stop_rsipd
}

echo "== cluster_bench: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); hosts: $HOSTS_LIST;" \
	"rsipd --etcd-inflight $INFLIGHT; etcd data on $([ "$ETCD_TMPFS" = 1 ] && echo "tmpfs (fsync free: not a deployment)" || echo "$(df --output=source /tmp | tail -1) (/tmp)")"
for members in 1 3; do
	etcd_cluster_init cb$members
	trap cleanup EXIT
	etcd_cluster_up "$members" >/dev/null 2>&1 || { echo "cluster_bench: etcd did not start" >&2; exit 1; }
	endpoints=$(etcd_client_endpoints)
	[ "$members" = 1 ] && run_store sqlite --state-file "$tmp/s.db"
	run_store "etcd$members" --store "etcd://$endpoints/bench/$$" --gateway bench \
		--etcd-inflight "$INFLIGHT"
	etcd_cluster_down || true
	unset ETCD_ID
done
trap 'rm -rf "$tmp"' EXIT
echo "== ratios (RSIP transactions/s, rsap-ip assign+free round trips; load now $(cut -d' ' -f1-3 /proc/loadavg))"
for h in $HOSTS_LIST; do
	for name in etcd1 etcd3; do
		awk -v h="$h" -v n="$name" -v v="${RT[$name,$h]%% *}" -v s="${RT[sqlite,$h]%% *}" 'BEGIN {
			printf "   %4d hosts, store %-6s: %8.0f tx/s = %.2f x the embedded store (%.0f tx/s)\n",
				h, n, v, v / s, s }'
	done
done
