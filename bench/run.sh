#!/usr/bin/env bash
# RSIP assignment benchmark: start rsipd (optimised build, --dataplane none)
# on 127.0.0.1 with a port chosen now and a control socket of its own, run
# BUILD/bench/rsip_assign_bench against it over UDP, print its figures and
# rsipd's counters, stop rsipd; then the XDP packet-rate benchmark
# (bench/xdp_rate.sh), after the lease store's benchmarks (bench/store_bench.sh,
# bench/restore_bench.sh).
# `make bench` builds everything and runs this.
#   bench/run.sh [BUILD_DIR]   env: HOSTS (16) PHASE_SECONDS (3) WARMUP (1) ROUNDS (3)
# No pass/fail on timing: this prints numbers. See bench/README.md.
set -eu
BUILD=$(realpath -m "${1:-build}")
HOSTS=${HOSTS:-16}
SECONDS_PER_PHASE=${PHASE_SECONDS:-3}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1}
RSIPD=$BUILD/rsipd
BENCH=$BUILD/bench/rsip_assign_bench
RSIPCTL=$BUILD/rsipctl
for f in "$RSIPD" "$BENCH" "$RSIPCTL"; do
	[ -x "$f" ] || { echo "bench: $f not built (make BUILD=$BUILD bench)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/rsip-bench.XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# A port free for both UDP and TCP on 127.0.0.1, chosen now.
port=$(/usr/bin/python3 - <<'EOF'
import socket
for _ in range(100):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        t.close()
        u.close()
    print(p)
    break
EOF
)
[ -n "$port" ] || { echo "bench: no free port" >&2; exit 1; }

# Two CPUs: rsipd on the last one, the load generator on the first, so they
# do not take turns on one core (when taskset is there and there are two).
ncpu=$(nproc)
pin_d=() pin_b=()
if command -v taskset >/dev/null && [ "$ncpu" -ge 2 ]; then
	pin_d=(taskset -c $((ncpu - 1)))
	pin_b=(taskset -c 0)
fi

# --holdback 1: a freed port or SPI is out of use for 1 s instead of 120, so
# the pools never run dry at thousands of frees per second; --max-* 0: no
# per-host limits get in the way. No -v: logging is not what is measured.
"${pin_d[@]}" "$RSIPD" --listen "127.0.0.1:$port" --public 192.0.2.1 --dataplane none \
	--lease 600 --holdback 1 --max-bindings 0 --max-ports 0 --max-spis 0 --register-rate 0 \
	--ctl-socket "$tmp/ctl.sock" 2>"$tmp/rsipd.log" &
pid=$!
for _ in $(seq 100); do
	"$RSIPCTL" --socket "$tmp/ctl.sock" status >/dev/null 2>&1 && break
	kill -0 "$pid" 2>/dev/null || { echo "bench: rsipd exited:" >&2; cat "$tmp/rsipd.log" >&2; exit 1; }
	sleep 0.1
done

echo "== rsip_assign_bench: $(uname -r), $ncpu CPUs, rsipd ${pin_d[*]:-unpinned}, bench ${pin_b[*]:-unpinned}"
"${pin_b[@]}" "$BENCH" --server "127.0.0.1:$port" --hosts "$HOSTS" --rsipd-pid "$pid" \
	--seconds "$SECONDS_PER_PHASE" --warmup "$WARMUP" --rounds "$ROUNDS"
echo "== rsipd counters after the run"
"$RSIPCTL" --socket "$tmp/ctl.sock" counters

# The XDP packet-rate benchmark (root; bench/xdp_rate.sh, bench/README.md):
# rsipd is done with, so stop it first.
cleanup
pid=
trap - EXIT
echo
echo "== store_bench: --dataplane xdp, the lease store on and off (bench/store_bench.sh)"
rc=0
bash "$(dirname "$0")/store_bench.sh" "$BUILD" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 77 ] || exit "$rc" # 77: not root (it says so)
echo
echo "== restore_bench: a restart with 100k hosts and bindings (bench/restore_bench.sh)"
rc=0
bash "$(dirname "$0")/restore_bench.sh" "$BUILD" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 77 ] || exit "$rc"
echo
echo "== xdp_rate: rsip_wan against a trivial encapsulating program"
rc=0
bash "$(dirname "$0")/xdp_rate.sh" "$BUILD" || rc=$?
[ "$rc" = 77 ] && rc=0 # not root: skipped (it says so)
exit "$rc"
