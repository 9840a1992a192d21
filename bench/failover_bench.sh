#!/usr/bin/env bash
# Failover figures of a gateway cluster (issue 12, docs/cluster.md), in the
# lab of tests/cluster/failover_lab.sh (3 etcd members, keepalived with the
# example configuration, two gateways with rsipd --dataplane xdp --store
# etcd://, release build; X1 with rsipc, Y):
#   1. the failover gap: three flows at RATE packets/s each way
#      (tests/cluster/failover_flows.py); ROUNDS failovers of each kind, the
#      gateways taking turns; per round the longest silence of any flow (ms)
#      and the packets lost; the median over the rounds:
#        links   kill -9 of the active rsipd, its LAN and WAN links down
#                (what test_failover_traffic.sh does): the switch flushes the
#                dead port's MACs and floods their frames to every port;
#        silent  the active gateway dies with its links up (kill -9 of rsipd
#                and keepalived, every frame to and from it dropped by the
#                switch, nft): nothing is flooded, the gap is VRRP's detection
#                and the gratuitous ARP;
#   2. the time a new standby takes to sync SYNC_HOSTS hosts (one binding
#      each, bench/etcd_fill.py) from etcd: from its start to its status
#      showing every binding (engine, allocator and XDP maps).
# Prints figures, no pass/fail (bench/README.md). Needs root.
#   bench/failover_bench.sh [BUILD_DIR]   env: ROUNDS (5; 0: the sync alone)
#   RATE (1000) SYNC_HOSTS (100000) SYNC_ROUNDS (1) SYNC_BEFORE (an older
#   rsipd: it and this build's take turns at the sync, in the same run)
set -u
BUILD=$(realpath -m "${1:-build}")
ROUNDS=${ROUNDS:-5}
RATE=${RATE:-1000}
SYNC_HOSTS=${SYNC_HOSTS:-100000}
SYNC_ROUNDS=${SYNC_ROUNDS:-1}
here=$(cd "$(dirname "$0")" && pwd)
export BUILD RSIPD=$BUILD/rsipd RSIPC=$BUILD/rsipc
for f in "$RSIPD" "$RSIPC" "$BUILD/rsipctl"; do
	[ -x "$f" ] || { echo "failover_bench: $f not built" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "failover_bench: needs root (network namespaces)" >&2; exit 1; }
. "$here/../tests/cluster/failover_lab.sh"
fo_init fob
die() {
	echo "failover_bench: $*" >&2
	for f in rsipd-n1 rsipd-n2 keepalived-n1 keepalived-n2; do
		echo "---- $f" >&2
		tail -n 8 "$FO_DIR/$f.log" >&2
	done
	exit 1
}
nbindings() { fo_ctl "$1" status | fo_jget bindings; }

echo "== failover_bench: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
fo_up >/dev/null 2>&1 || die "lab setup"
fo_gateways_up || die "N1 active and N2 standby"
fo_rsipc_start x1 --transport udp --state-dir "$FO_DIR/x1" up --method rsipsec --spis 4 \
	--ike-port --json
fo_wait 20 sh -c "head -n 1 $FO_DIR/rsipc-x1.log | grep -q client_id" || die "rsipc x1"
read -r nb port spi <<<"$(head -n 1 "$FO_DIR/rsipc-x1.log" | python3 -c 'import json,sys
d=json.load(sys.stdin); print(d["address"], d["ports"][0], d["spi_min"])')"
fo_wait 20 sh -c "[ \"\$($BUILD/rsipctl --socket $FO_DIR/n2.sock --json status |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[\"bindings\"])')\" = 1 ]" ||
	die "N2 does not mirror X1's binding"

active=n1 standby=n2
if [ "$ROUNDS" -gt 0 ]; then
	mkfifo "$FO_DIR/flows.ctl"
	fo_bg flows python3 "$here/../tests/cluster/failover_flows.py" "$FO_DIR/flows.ctl" \
		"$FO_DIR/flows.json" "$RATE" \
		"udp,udp,$(fo_ns x1),$nb,$port,$(fo_ns y),$FO_Y,9001" \
		"esp,esp,$(fo_ns x1),$nb,$spi,$(fo_ns y),$FO_Y,0x5e5e0001" >"$FO_DIR/flows.out" 2>&1
	exec 9>"$FO_DIR/flows.ctl"
	fo_wait 20 test -e "$FO_DIR/flows.json.ready" || die "flows did not start"
	echo "mark warmup" >&9
	sleep 2

	# blackhole SW-PORT on|off: the switch drops every frame to and from a port
	# (a dead machine whose link stays up; its MAC stays in the switch's table).
	blackhole() {
		local sw
		sw=$(fo_ns sw)
		if [ "$2" = on ]; then
			ip netns exec "$sw" nft -f - <<-EOF
				table bridge bh$1 {
					chain blackhole {
						type filter hook forward priority 0;
						iifname "$1" drop
						oifname "$1" drop
					}
				}
			EOF
		else
			ip netns exec "$sw" nft delete table bridge "bh$1"
		fi
	}

	for kind in links silent; do
		for r in $(seq 1 "$ROUNDS"); do
			echo "mark failover-$kind-$r" >&9
			if [ $kind = links ]; then
				fo_rsipd_kill $active
				ip -n "$(fo_ns $active)" link set lan0 down
				ip -n "$(fo_ns $active)" link set wan0 down
			else
				# Cut off first: a keepalived that stops gracefully (its VRRP
				# process on its parent's death) sends a last advert at
				# priority 0, and the standby takes over at once.
				blackhole ${active}lan on
				blackhole ${active}wan on
				kill -KILL "$(cat "$FO_DIR/$active.vrrp.pid")" "${FO_PID[ka-$active]}"
				{ wait "${FO_PID[ka-$active]}"; } 2>/dev/null
				fo_rsipd_kill $active
			fi
			fo_wait 20 fo_holds $standby || die "$standby did not take the addresses"
			fo_wait 10 fo_is_role $standby active || die "$standby's rsipd did not become active"
			sleep 2
			echo "mark between-$kind-$r" >&9
			# The failed gateway comes back as the standby.
			if [ $kind = links ]; then
				ip -n "$(fo_ns $active)" link set lan0 up
				ip -n "$(fo_ns $active)" link set wan0 up
			else
				# A reboot: keepalived's addresses are gone, then the links work.
				ip -n "$(fo_ns $active)" addr flush dev lan0 to "$FO_NA"
				ip -n "$(fo_ns $active)" addr flush dev wan0 to 192.0.2.0/24
				blackhole ${active}lan off
				blackhole ${active}wan off
				echo BACKUP >"$FO_DIR/$active.state"
				fo_keepalived_start $active
			fi
			fo_wait 20 fo_state_is $active BACKUP || die "$active not BACKUP again"
			fo_rsipd_start $active || die "rsipd $active again"
			fo_wait 20 sh -c "[ \"\$($BUILD/rsipctl --socket $FO_DIR/$active.sock --json status |
				python3 -c 'import json,sys; print(json.load(sys.stdin)[\"bindings\"])')\" = 1 ]" ||
				die "$active does not mirror"
			sleep 1
			t=$active active=$standby standby=$t
		done
	done
	echo "stop" >&9
	exec 9>&-
	wait "${FO_PID[flows]}"
	FO_PID[flows]=
	python3 - "$FO_DIR/flows.json" "$ROUNDS" <<'EOF'
import json, statistics, sys
rep = json.load(open(sys.argv[1]))
for kind in ("links", "silent"):
    gaps, lost = [], []
    for w in rep:
        if w["window"].startswith("failover-%s-" % kind):
            gaps.append(max(f["gap_ms"] for f in w["flows"]))
            lost.append(max(f["lost"] for f in w["flows"]))
    print("-- failover %-6s: gap ms per round %s; median %.0f ms; packets lost per flow "
          "(worst direction) %s, median %.0f" % (kind, gaps, statistics.median(gaps), lost,
                                                   statistics.median(lost)))
EOF
fi

echo "== a new standby syncs $SYNC_HOSTS hosts from etcd"
sync_prefix=/rsip/$FO_ID-sync/
etcd_exec python3 "$here/etcd_fill.py" "http://$(etcd_addr 1):$ETCD_CLIENT_PORT" "$sync_prefix" \
	"$SYNC_HOSTS" "$FO_NB1,$FO_NB2" || die "filling etcd"
FO_STORE=${FO_STORE%/rsip/*}${sync_prefix%/}
nclients() { fo_ctl "$1" status | fo_jget clients; }
# sync_once LABEL RSIPD: a new standby (no pins: its maps sized for
# SYNC_HOSTS; the old links go with their pins) on the filled prefix; the
# time from its start to its status showing every host, and its CPU then.
sync_once() {
	local t0 t1 pid ticks
	fo_rsipd_kill $standby
	rm -rf "$FO_DIR/bpffs-$standby/rsip"
	t0=$(date +%s%N)
	FO_RSIPD=$2 FO_MAP_SIZE=$((SYNC_HOSTS + SYNC_HOSTS / 4)) fo_rsipd_start $standby ||
		die "rsipd for the sync"
	# Hosts, not bindings: store_fill.py's ports include 4500 and 4555,
	# which rsipd never lends (those few bindings are refused, logged).
	fo_wait 600 sh -c "[ \"\$($BUILD/rsipctl --socket $FO_DIR/$standby.sock --json status |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[\"clients\"])')\" = $SYNC_HOSTS ]" ||
		die "the standby did not sync $SYNC_HOSTS hosts (has $(nclients $standby))"
	t1=$(date +%s%N)
	pid=${FO_PID[rsipd-$standby]}
	ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	echo "-- sync ($1): $(nclients $standby) hosts, $(nbindings $standby) bindings in the" \
		"standby's engine and maps $(((t1 - t0) / 1000000)) ms after its start; rsipd CPU" \
		"$((ticks * 1000 / $(getconf CLK_TCK))) ms; load $(cut -d' ' -f1 /proc/loadavg)"
	grep -E "in sync with etcd|restore:" "$FO_DIR/rsipd-$standby.log" | tail -n 2 |
		sed 's/^/   rsipd: /'
}
# SYNC_BEFORE=OLD_RSIPD: that binary and this one take turns, SYNC_ROUNDS
# times each, in this run (docs: figures against a baseline of the same run).
for r in $(seq 1 "$SYNC_ROUNDS"); do
	[ -z "${SYNC_BEFORE:-}" ] || sync_once "before, $r" "$SYNC_BEFORE"
	sync_once "${SYNC_BEFORE:+after, }$r" "$RSIPD"
done
echo "== load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
