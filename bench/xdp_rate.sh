#!/usr/bin/env bash
# Packet rate of the XDP WAN path (rsip_wan) against the trivial encapsulating
# program (ref_encap) and against that program after one hash lookup
# (ref_lookup: the floor of any gateway that demultiplexes by a hash table),
# same frames, same topology, same run:
#
#   <P>-gen [<P>gen] ==veth== [<P>wan] <P>-gw [<P>lan] ==veth== [<P>snk] <P>-snk
#   pktgen (live frames)  rsip_wan | ref_encap | ref_lookup    ref_drop (sink)
#
#   bench/xdp_rate.sh [BUILD_DIR]          (root; what `make bench` runs)
#
# Method (shared/bench-baseline, "inline"): the generator runs on RATE_CPU and
# the gateway's NAPI is not threaded, so the gateway and the sink run as
# softirq inside the generator's system call on that one CPU. The figures:
#   Mpps         frames the sink received per second (the whole CPU's work:
#                generator + gateway + sink)
#   sirq ns/pkt  softirq time of that CPU per frame: the gateway's program and
#                veth work, plus the sink's XDP_DROP (~28 ns in the baseline)
# For each table size: a warm-up, then RATE_REPS repetitions, repetition the
# outer loop, the programs taking turns within each frame kind (the order
# reverses every other repetition).
# No timing is judged pass or fail; the run fails only when the set-up fails.
#
# Cases: CLIENTS:FLOWS, the clients in the gateway's tables and the flows the
# generator spreads over them (flow f goes to client f * CLIENTS / FLOWS, so
# consecutive packets hit entries far apart). 1000 flows over 100000 clients
# is a big table with a working set that stays in the caches; 100000 flows is
# the worst case, where every packet's entries come from memory. 1000000
# clients is issue 11's largest table (its loading takes a minute or more).
# For each table size the summary also gives the kernel's accounting of the
# hash maps' memory (fdinfo memlock, as xdp_gw prints it) per binding.
#
# Knobs (environment): RATE_CASES ("1:1 1000:1000 100000:1000
# 100000:100000 1000000:1000 1000000:100000"), RATE_KINDS ("esp ike udp"), RATE_PROGS ("rsip ref lkp":
# rsip_wan, ref_encap, ref_lookup; add "pre" for rsip_wan on a second copy of
# the same tables whose hash maps are preallocated, docs/performance.md;
# "l12" and "l16" for ref_lookup with a 12- and a 16-byte key, the same
# entries: what the key's length costs the one lookup; "refh" for ref_encap
# redirecting through a DEVMAP_HASH by ifindex, as rsip_wan does),
# RATE_REPS (5), RATE_SECS (6),
# (add "one" and "two" for rsip_wan_steer, the --spi-steer first stage, on the
# same tables: "one" steers every SPI to the generator's CPU, i.e. everything
# stays on one CPU as NIC RSS leaves one peer's ESP; "two" deals the SPIs
# over every CPU through rsip_cpumap; "away" sends every SPI to another CPU
# than the generator's, so the gateway's work has a CPU of its own. two / one
# is issue 11's 2-CPU ratio, one / rsip the first stage's cost on one core; the sink veth gets a queue
# per CPU so the CPUs do not share its ring),
# RATE_WARMUP (2), RATE_CPU (1), RATE_OUT (raw result lines; default
# BUILD/bench/xdp_rate-DATE.txt), RATE_STRICT (1: exit 3 when a run is
# invalid, i.e. frames were refused, lost or took another path; for smoke
# tests: validity is never a matter of timing).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${1:-${BUILD:-$top/build}}")
PKTGEN=$BUILD/bench/pktgen
XDP_GW=$BUILD/bench/xdp_gw
PY=/usr/bin/python3
STATS=$top/bench/xdp_rate_stats.py

CASES=${RATE_CASES:-1:1 1000:1000 100000:1000 100000:100000 1000000:1000 1000000:100000}
KINDS=${RATE_KINDS:-esp ike udp}
PROGS=${RATE_PROGS:-rsip ref lkp}
REPS=${RATE_REPS:-5}
SECS=${RATE_SECS:-6}
WARMUP=${RATE_WARMUP:-2}
CPU=${RATE_CPU:-1}
OUT=${RATE_OUT:-$BUILD/bench/xdp_rate-$(date +%Y%m%d-%H%M%S).txt}

if [ "$(id -u)" -ne 0 ]; then
	echo "xdp_rate: needs root (namespaces, XDP): skipped"
	exit 77
fi
for f in "$PKTGEN" "$XDP_GW"; do
	[ -x "$f" ] || { echo "xdp_rate: $f missing (make BUILD=... bench)" >&2; exit 1; }
done
NCPU=$(nproc)
if [ "$CPU" -ge "$NCPU" ]; then
	echo "xdp_rate: no CPU $CPU here (RATE_CPU)" >&2
	exit 1
fi
# The script and its tools stay off the measured CPU.
OTHER_CPUS=$(seq 0 $((NCPU - 1)) | grep -vx "$CPU" | paste -sd,)
ALL_CPUS=0-$((NCPU - 1))
taskset -pc "$OTHER_CPUS" $$ >/dev/null

# Unique names: other jobs share this machine (interface names <= 15 chars).
P=xr$$
NS_GEN=$P-gen NS_GW=$P-gw NS_SNK=$P-snk
IF_GEN=${P}gen IF_WAN=${P}wan IF_LAN=${P}lan IF_SNK=${P}snk
MAC_GEN=02:52:42:00:01:02 MAC_WAN=02:52:42:00:01:01
MAC_LAN=02:52:42:00:02:01 MAC_SNK=02:52:42:00:02:02
NA=10.0.0.1
TMP=$(mktemp -d /tmp/xdp_rate.XXXXXX)
PIN=$TMP/bpf
GEN_PID=
KT_PIDS=

cleanup() {
	[ -n "$GEN_PID" ] && kill "$GEN_PID" 2>/dev/null && wait "$GEN_PID" 2>/dev/null
	for n in $NS_GEN $NS_GW $NS_SNK; do ip netns del "$n" 2>/dev/null; done
	mountpoint -q "$PIN" && umount "$PIN"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gen() { ip netns exec "$NS_GEN" "$@"; }
gw() { ip netns exec "$NS_GW" "$@"; }
snk() { ip netns exec "$NS_SNK" "$@"; }

topology_up() {
	local n
	for n in $NS_GEN $NS_GW $NS_SNK; do
		ip netns add "$n" || return 1
		ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		ip -n "$n" link set lo up
	done
	ip -n "$NS_GEN" link add "$IF_GEN" address $MAC_GEN type veth \
		peer name "$IF_WAN" address $MAC_WAN netns "$NS_GW" || return 1
	# A queue per CPU on the sink: redirected frames go to the queue of the
	# CPU that sends them (veth), so steered CPUs do not share one ring.
	ip -n "$NS_GW" link add "$IF_LAN" address $MAC_LAN numtxqueues "$NCPU" \
		numrxqueues "$NCPU" type veth peer name "$IF_SNK" address $MAC_SNK \
		numtxqueues "$NCPU" numrxqueues "$NCPU" netns "$NS_SNK" || return 1
	ip -n "$NS_GEN" addr add 192.0.2.2/24 dev "$IF_GEN"
	ip -n "$NS_GW" addr add 192.0.2.1/24 dev "$IF_WAN"
	ip -n "$NS_GW" addr add $NA/24 dev "$IF_LAN"
	ip -n "$NS_SNK" addr add 10.0.0.2/24 dev "$IF_SNK"
	ip -n "$NS_GEN" link set "$IF_GEN" up
	ip -n "$NS_GW" link set "$IF_WAN" up
	ip -n "$NS_GW" link set "$IF_LAN" up
	ip -n "$NS_SNK" link set "$IF_SNK" up
	# The sink's XDP program drops what arrives and gives the gateway's LAN
	# veth its ndo_xdp_xmit (without it redirected frames vanish).
	snk "$XDP_GW" sink "$IF_SNK" || return 1
	mkdir -p "$PIN" && mount -t bpf bpf "$PIN"
}

# The inline configuration: the WAN veth's NAPI runs as softirq where the
# generator's frames are queued, not in a kthread.
inline_napi() {
	local t=/sys/class/net/$IF_WAN/threaded
	gw sh -c "[ ! -e $t ] || [ \"\$(cat $t)\" = 0 ] || echo 0 > $t"
}

# One snapshot: time, CPU counters, the veths' counters, rsip_stats.
snap() { # file prog
	local p kc
	{
		echo "t=$(date +%s.%N)"
		# The generator's CPU time, with the softirq work run in its context.
		echo "gen_rt=$(cut -d' ' -f1 /proc/"$GEN_PID"/schedstat 2>/dev/null || echo 0)"
		# rsip_cpumap's kthreads (one per steering CPU): their CPU time is
		# the gateway's work on the CPUs the frames were steered to.
		for p in $KT_PIDS; do
			kc=$(cut -d/ -f2 "/proc/$p/comm")
			echo "kt$kc=$(cut -d' ' -f1 "/proc/$p/schedstat")"
		done
		grep '^cpu[0-9]' /proc/stat | awk '{printf "%s=%s", $1, $2; for (i = 3; i <= 9; i++) printf ",%s", $i; print ""}'
		gen ethtool -S "$IF_GEN" | awk -v p=gen '/:/ {gsub(":", ""); print p "." $1 "=" $2}'
		gw ethtool -S "$IF_WAN" | awk -v p=wan '/:/ {gsub(":", ""); print p "." $1 "=" $2}'
		gw ethtool -S "$IF_LAN" | awk -v p=lan '/:/ {gsub(":", ""); print p "." $1 "=" $2}'
		snk ethtool -S "$IF_SNK" | awk -v p=snk '/:/ {gsub(":", ""); print p "." $1 "=" $2}'
		case $2 in
		rsip | one | two | away) "$XDP_GW" counters "$PIN/n$N/rsip_stats" ;;
		pre) "$XDP_GW" counters "$PIN/n$N/pre/rsip_stats" ;;
		esac | tr ' ' '\n' | sed -n 's/^./rsip.&/p'
		echo "t2=$(date +%s.%N)"
	} >"$1"
}

# One measurement: appends one result line (key=value ...) to $OUT.
measure() { # prog kind rep
	local prog=$1 kind=$2 rep=$3 pin s0=$TMP/s0 s1=$TMP/s1 gout=$TMP/gen.out
	local pre=$TMP/pre post=$TMP/post
	case $prog in
	rsip) pin=$PIN/n$N/rsip_wan ;;
	ref) pin=$PIN/ref_encap ;;
	refh) pin=$PIN/ref_encap_hash ;;
	lkp) pin=$PIN/n$N/ref_lookup_$kind ;;
	l12) pin=$PIN/n$N/ref_lookup12_$kind ;;
	l16) pin=$PIN/n$N/ref_lookup16_$kind ;;
	pre) pin=$PIN/n$N/pre/rsip_wan ;;
	one | two | away)
		pin=$PIN/n$N/rsip_wan_steer
		case $prog in
		one) cpus=$CPU ;;
		two) cpus=$ALL_CPUS ;;
		away) cpus=${OTHER_CPUS%%,*} ;;
		esac
		gw "$XDP_GW" steer "$PIN/n$N/rsip_steer" "$cpus" || return 1 ;;
	*) echo "xdp_rate: unknown program '$prog' (RATE_PROGS: rsip ref refh lkp l12 l16 pre one two away)" >&2; return 1 ;;
	esac
	gw "$XDP_GW" attach "$IF_WAN" "$pin" || return 1
	inline_napi
	# Counters before and after the whole run, with no traffic in flight:
	# the validity checks compare these exactly. The window's rates come
	# from s0 and s1, read while traffic flows (a few ms apart per veth).
	snap "$pre" "$prog"
	# Not through gen(): $! must be the generator (ip netns exec execs it).
	ip netns exec "$NS_GEN" "$PKTGEN" -i "$IF_GEN" -m $MAC_WAN -k "$kind" -n "$N" -f "$FLOWS" \
		-c "$CPU" -t $((WARMUP + SECS + 1)) >"$gout" 2>&1 &
	GEN_PID=$!
	sleep "$WARMUP"
	snap "$s0" "$prog"
	sleep "$SECS"
	snap "$s1" "$prog"
	wait "$GEN_PID"
	GEN_PID=
	sleep 0.2
	snap "$post" "$prog"
	$PY "$STATS" run "$s0" "$s1" "$gout" \
		"prog=$prog kind=$kind clients=$N flows=$FLOWS rep=$rep cpu=$CPU" "$pre" "$post" >>"$OUT"
}

# Loads rsip_wan's tables for $N clients into DIR (xdp_gw rsip ARGS...) and
# appends the map memory xdp_gw reports to $OUT as a "mem" line.
load_rsip() { # prog dir args...
	local prog=$1 dir=$2 log=$TMP/load.out id
	shift 2
	gw "$XDP_GW" rsip "$@" -w "$IF_WAN" -l "$IF_LAN" -M $MAC_SNK -a $NA -n "$N" -d "$dir" \
		>"$log" || { cat "$log" >&2; return 1; }
	cat "$log"
	if [ "$prog" = rsip ]; then
		# rsip_cpumap's kthreads, found once: their names carry the map id.
		id=$(sed -n 's/^xdp_gw: rsip_cpumap id=//p' "$log")
		KT_PIDS=
		[ -z "$id" ] || KT_PIDS=$(grep -lx "cpumap/[0-9]*/map:$id" /proc/[0-9]*/comm 2>/dev/null |
			cut -d/ -f3 | paste -sd' ')
	fi
	$PY "$STATS" mem "prog=$prog clients=$N" <"$log" >>"$OUT" || return 1
}

warm_up() {
	gw "$XDP_GW" attach "$IF_WAN" "$PIN/n$N/rsip_wan" || return 1
	inline_napi
	gen "$PKTGEN" -i "$IF_GEN" -m $MAC_WAN -k esp -n "$N" -f "$FLOWS" -c "$CPU" -t 3 >/dev/null
}

mkdir -p "$(dirname "$OUT")"
topology_up || { echo "xdp_rate: topology set-up failed" >&2; exit 1; }
gw "$XDP_GW" ref -l "$IF_LAN" -M $MAC_SNK -a $NA -d "$PIN" >/dev/null ||
	{ echo "xdp_rate: cannot load ref_encap" >&2; exit 1; }
echo "xdp_rate: $NCPU CPUs, generator + gateway on CPU $CPU, reps=$REPS window=${SECS}s" \
	"warm-up=${WARMUP}s, kernel $(uname -r); raw lines: $OUT"
LOADED=
for c in $CASES; do
	N=${c%%:*} FLOWS=${c#*:}
	case "$N:$FLOWS" in
	*[!0-9:]* | :* | *:) echo "xdp_rate: bad case '$c' (CLIENTS:FLOWS)" >&2; exit 1 ;;
	esac
	[ "$FLOWS" -le "$N" ] || FLOWS=$N
	# Loading 100k clients takes a while: consecutive cases share a table.
	if [ "$LOADED" != "$N" ]; then
		gw "$XDP_GW" detach "$IF_WAN" 2>/dev/null
		[ -n "$LOADED" ] && rm -rf "$PIN/n$LOADED"
		mkdir -p "$PIN/n$N"
		steer=
		case " $PROGS " in *" one "* | *" two "* | *" away "*) steer="-S $ALL_CPUS" ;; esac
		# shellcheck disable=SC2086
		load_rsip rsip "$PIN/n$N" $steer ||
			{ echo "xdp_rate: cannot load rsip_wan with $N clients" >&2; exit 1; }
		case " $PROGS " in
		*" lkp "* | *" l12 "* | *" l16 "*)
			gw "$XDP_GW" lookup -l "$IF_LAN" -M $MAC_SNK -a $NA -n "$N" -d "$PIN/n$N" ||
				{ echo "xdp_rate: cannot load ref_lookup with $N clients" >&2; exit 1; } ;;
		esac
		case " $PROGS " in
		*" pre "*)
			mkdir -p "$PIN/n$N/pre"
			load_rsip pre "$PIN/n$N/pre" -P ||
				{ echo "xdp_rate: cannot load preallocated rsip_wan with $N clients" >&2; exit 1; } ;;
		esac
		LOADED=$N
	fi
	warm_up || exit 1
	for rep in $(seq 1 "$REPS"); do
		for kind in $KINDS; do
			order=$PROGS
			[ $((rep % 2)) = 0 ] && order=$(echo $PROGS | tr ' ' '\n' | tac | paste -sd' ')
			for prog in $order; do
				measure "$prog" "$kind" "$rep" || exit 1
				tail -n 1 "$OUT" | $PY "$STATS" brief
			done
		done
	done
done
echo
$PY "$STATS" summary "$OUT"
if [ "${RATE_STRICT:-0}" = 1 ] && grep -q 'valid=no' "$OUT"; then
	echo "xdp_rate: invalid runs (RATE_STRICT)" >&2
	exit 3
fi
