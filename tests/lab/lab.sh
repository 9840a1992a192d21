# shellcheck shell=bash
# The test lab of docs/design (network namespaces + veth), as functions to
# source from netns tests, `make demo` and benchmarks:
#
#   ns X1 --veth--+                 +-- ns N (gateway) --veth-- ns Y (peer, public)
#   ns X2 --veth--+-- ns SW (br0) --+
#
#   LAN 10.0.0.0/24 (MTU LAB_LAN_MTU, default WAN + 24): Na 10.0.0.1 (N lan0),
#       X1 10.0.0.11, X2 10.0.0.12, all through the bridge br0 in ns SW.
#   WAN 198.51.100.0/24 (MTU LAB_WAN_MTU, default 1500): N wan0 198.51.100.1,
#       Y eth0 198.51.100.2 (+ 203.0.113.2, a second peer address);
#       Nb pool 192.0.2.10, 192.0.2.11 (/32 on N's wan0: N answers ARP for
#       them and the kernel answers what no binding claims); Y routes
#       192.0.2.0/24 via 198.51.100.1.
#
# Every run gets a unique prefix (several people test on one machine), so
# two labs never share a name; interfaces are created inside their
# namespaces, never in the root namespace. lab_down (installed as an EXIT
# trap by lab_init) removes everything lab_up made and is safe to call twice.
#
# Usage:
#   . tests/lab/lab.sh
#   lab_init [TAG]           # names, LAB_DIR, trap
#   lab_up                   # namespaces, links, addresses, bpffs (idempotent)
#   lab_exec x1|x2|sw|n|y CMD...
#   lab_bg NODE LOGFILE CMD...   # background process, stopped by lab_down
#   lab_rsipd_start [EXTRA RSIPD FLAGS...] / lab_rsipd_stop [--detach]
#   lab_ctl ARGS...          # rsipctl against the lab's rsipd
#   lab_gro on|off           # GRO at every hop (lab_up: $LAB_GRO)
#   lab_down
#
# Knobs (environment, before lab_up): LAB_WAN_MTU, LAB_LAN_MTU, LAB_XDP_MODE
# (native|generic), LAB_ATTACH (xdp|tc: rsipd --attach, default xdp), LAB_GRO (on|off, default on: lab_gro), LAB_PUBLIC (the Nb pool rsipd lends, default
# "$LAB_NB1,$LAB_NB2"; "$LAB_NB1" makes every host share one address), BUILD
# (the build tree holding rsipd, rsipctl, bpf/).

LAB_NA=10.0.0.1
LAB_X1=10.0.0.11
LAB_X2=10.0.0.12
LAB_LAN_PREFIX=24
LAB_N_WAN=198.51.100.1
LAB_Y=198.51.100.2
LAB_Y2=203.0.113.2
LAB_NB1=192.0.2.10
LAB_NB2=192.0.2.11

# Fixed, locally administered MACs: tests compare them.
LAB_MAC_X1=02:00:0a:00:00:0b
LAB_MAC_X2=02:00:0a:00:00:0c
LAB_MAC_NLAN=02:00:0a:00:00:01
LAB_MAC_NWAN=02:00:c6:33:64:01
LAB_MAC_Y=02:00:c6:33:64:02

lab_log() { echo "[lab $LAB_ID] $*" >&2; }

# lab_init [TAG]: pick a unique prefix and install the cleanup trap.
lab_init() {
	local tag=${1:-t}
	if [ -n "${LAB_ID:-}" ]; then return 0; fi
	LAB_ID="rl${tag:0:4}$(printf '%04x' $((RANDOM)))$$"
	LAB_ID=${LAB_ID:0:14}
	LAB_DIR=/tmp/rsiplab.$LAB_ID
	LAB_NS_X1=$LAB_ID-x1
	LAB_NS_X2=$LAB_ID-x2
	LAB_NS_SW=$LAB_ID-sw
	LAB_NS_N=$LAB_ID-n
	LAB_NS_Y=$LAB_ID-y
	LAB_BPFFS=$LAB_DIR/bpffs
	LAB_PIN=$LAB_BPFFS/rsip
	LAB_CTL=$LAB_DIR/rsipd.sock
	LAB_STATE=$LAB_DIR/state.json
	LAB_WAN_MTU=${LAB_WAN_MTU:-1500}
	LAB_LAN_MTU=${LAB_LAN_MTU:-$((LAB_WAN_MTU + 24))}
	LAB_XDP_MODE=${LAB_XDP_MODE:-native}
	LAB_ATTACH=${LAB_ATTACH:-xdp} # rsipd --attach: xdp or tc (the gateway's TC programs)
	LAB_GRO=${LAB_GRO:-on}
	LAB_PUBLIC=${LAB_PUBLIC:-$LAB_NB1,$LAB_NB2}
	LAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	BUILD=${BUILD:-$LAB_TOP/build}
	LAB_PIDS=()
	LAB_RSIPD_PID=
	mkdir -p "$LAB_DIR"
	# Helpers in other languages (tests/netns/nslib.py) read the lab from
	# the environment.
	export LAB_ID LAB_DIR LAB_NS_X1 LAB_NS_X2 LAB_NS_SW LAB_NS_N LAB_NS_Y LAB_BPFFS \
		LAB_PIN LAB_CTL LAB_STATE LAB_WAN_MTU LAB_LAN_MTU LAB_XDP_MODE LAB_ATTACH LAB_GRO BUILD \
		LAB_NA LAB_X1 LAB_X2 LAB_N_WAN LAB_Y LAB_Y2 LAB_NB1 LAB_NB2 \
		LAB_MAC_X1 LAB_MAC_X2 LAB_MAC_NLAN LAB_MAC_NWAN LAB_MAC_Y
	# shellcheck disable=SC2064
	trap "lab_down" EXIT
	trap "exit 130" INT TERM
}

lab_ns() {
	case $1 in
	x1) echo "$LAB_NS_X1" ;;
	x2) echo "$LAB_NS_X2" ;;
	sw) echo "$LAB_NS_SW" ;;
	n) echo "$LAB_NS_N" ;;
	y) echo "$LAB_NS_Y" ;;
	*) echo "lab_ns: unknown node '$1' (x1 x2 sw n y)" >&2; return 2 ;;
	esac
}

lab_exec() {
	local ns
	ns=$(lab_ns "$1") || return 2
	shift
	ip netns exec "$ns" "$@"
}

_lab_ns_up() { # ns
	ip netns add "$1" || return 1
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 >/dev/null
	ip -n "$1" link set lo up
}

lab_up() {
	[ -n "${LAB_ID:-}" ] || lab_init
	if ip netns list | grep -qw "^$LAB_NS_N"; then return 0; fi
	local ns
	for ns in "$LAB_NS_X1" "$LAB_NS_X2" "$LAB_NS_SW" "$LAB_NS_N" "$LAB_NS_Y"; do
		_lab_ns_up "$ns" || { lab_log "cannot create namespace $ns"; return 1; }
	done

	# LAN: a bridge in SW, one port per host.
	ip -n "$LAB_NS_SW" link add br0 mtu "$LAB_LAN_MTU" type bridge stp_state 0 forward_delay 0
	ip -n "$LAB_NS_N" link add lan0 address $LAB_MAC_NLAN mtu "$LAB_LAN_MTU" type veth \
		peer name p0 mtu "$LAB_LAN_MTU" netns "$LAB_NS_SW"
	ip -n "$LAB_NS_X1" link add eth0 address $LAB_MAC_X1 mtu "$LAB_LAN_MTU" type veth \
		peer name p1 mtu "$LAB_LAN_MTU" netns "$LAB_NS_SW"
	ip -n "$LAB_NS_X2" link add eth0 address $LAB_MAC_X2 mtu "$LAB_LAN_MTU" type veth \
		peer name p2 mtu "$LAB_LAN_MTU" netns "$LAB_NS_SW"
	local p
	for p in p0 p1 p2; do
		ip -n "$LAB_NS_SW" link set "$p" master br0 up
	done
	ip -n "$LAB_NS_SW" link set br0 up

	# WAN: N wan0 <-> Y eth0.
	ip -n "$LAB_NS_N" link add wan0 address $LAB_MAC_NWAN mtu "$LAB_WAN_MTU" type veth \
		peer name eth0 address $LAB_MAC_Y mtu "$LAB_WAN_MTU" netns "$LAB_NS_Y"
	# Hosts send full checksums, as on a wire: with tx checksum offload a
	# veth hands XDP a TCP/UDP checksum that is only partial, and a frame
	# XDP redirects onwards loses the note that it still has to be done
	# (the receiver then drops it: UdpInCsumErrors).
	for ns in "$LAB_NS_Y" "$LAB_NS_X1" "$LAB_NS_X2"; do
		ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
	done

	ip -n "$LAB_NS_N" addr add $LAB_NA/$LAB_LAN_PREFIX dev lan0
	ip -n "$LAB_NS_N" addr add $LAB_N_WAN/24 dev wan0
	ip -n "$LAB_NS_N" addr add $LAB_NB1/32 dev wan0
	ip -n "$LAB_NS_N" addr add $LAB_NB2/32 dev wan0
	ip -n "$LAB_NS_N" link set lan0 up
	ip -n "$LAB_NS_N" link set wan0 up
	ip netns exec "$LAB_NS_N" sysctl -qw net.ipv4.ip_forward=1 >/dev/null

	ip -n "$LAB_NS_X1" addr add $LAB_X1/$LAB_LAN_PREFIX dev eth0
	ip -n "$LAB_NS_X1" link set eth0 up
	ip -n "$LAB_NS_X2" addr add $LAB_X2/$LAB_LAN_PREFIX dev eth0
	ip -n "$LAB_NS_X2" link set eth0 up

	ip -n "$LAB_NS_Y" addr add $LAB_Y/24 dev eth0
	ip -n "$LAB_NS_Y" addr add $LAB_Y2/32 dev eth0
	ip -n "$LAB_NS_Y" link set eth0 up
	ip -n "$LAB_NS_Y" route add 192.0.2.0/24 via $LAB_N_WAN
	lab_gro "$LAB_GRO"

	# bpffs for the pins, outside /sys: `ip netns exec` remounts /sys, and a
	# bpffs mounted there vanishes with the process that mounted it.
	mkdir -p "$LAB_BPFFS"
	if ! mountpoint -q "$LAB_BPFFS"; then
		mount -t bpf bpf "$LAB_BPFFS" || { lab_log "cannot mount bpffs on $LAB_BPFFS"; return 1; }
	fi

	# Wait for the bridge ports to forward and make sure the LAN works.
	local i
	for i in $(seq 1 50); do
		if lab_exec x1 ping -c1 -W1 -q $LAB_NA >/dev/null 2>&1; then break; fi
		sleep 0.1
	done
	lab_exec x1 ping -c1 -W1 -q $LAB_NA >/dev/null 2>&1 ||
		{ lab_log "LAN does not work (X1 -> Na)"; return 1; }
	# Switching GRO on a veth restarts its NAPI: the first packets after
	# lab_gro may be lost, so the WAN gets the same patience as the LAN.
	for i in $(seq 1 50); do
		if lab_exec y ping -c1 -W1 -q $LAB_NB1 >/dev/null 2>&1; then break; fi
		sleep 0.1
	done
	lab_exec y ping -c1 -W1 -q $LAB_NB1 >/dev/null 2>&1 ||
		{ lab_log "WAN does not work (Y -> Nb)"; return 1; }
	return 0
}

# lab_bg NODE LOGFILE CMD...: start CMD in NODE in the background; its pid is
# in LAB_LAST_PID and lab_down stops it.
# lab_gro on|off: GRO at every hop that forwards or receives (the switch's
# bridge and ports, N's interfaces, the hosts, Y), as on a real network;
# "off" leaves it on only where it must be: p0 and Y's eth0, the peers of the
# XDP programs' redirect targets lan0 and wan0 (without NAPI, GRO or an XDP
# program, on the peer, redirected frames vanish: shared/bench-baseline
# surprise 2). With GRO on p1/p2 the switch merges what the hosts send and
# re-segments it for lan0 with partial inner checksums, which the LAN XDP
# program completes (bpf/csum.h, counter lan_csum_completed).
lab_gro() {
	local dev ns
	# A bridge takes the setting, but some ethtool versions say "not
	# supported" for one of its other features: not an error here.
	ip netns exec "$LAB_NS_SW" ethtool -K br0 gro "$1" >/dev/null 2>&1
	for dev in p0 p1 p2; do ip netns exec "$LAB_NS_SW" ethtool -K "$dev" gro "$1" >/dev/null; done
	for dev in lan0 wan0; do ip netns exec "$LAB_NS_N" ethtool -K "$dev" gro "$1" >/dev/null; done
	for ns in "$LAB_NS_X1" "$LAB_NS_X2" "$LAB_NS_Y"; do
		ip netns exec "$ns" ethtool -K eth0 gro "$1" >/dev/null
	done
	ip netns exec "$LAB_NS_SW" ethtool -K p0 gro on >/dev/null
	ip netns exec "$LAB_NS_Y" ethtool -K eth0 gro on >/dev/null
}

lab_bg() {
	local node=$1 log=$2 ns
	shift 2
	ns=$(lab_ns "$node") || return 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	LAB_LAST_PID=$!
	LAB_PIDS+=("$LAB_LAST_PID")
}

# lab_wait SECONDS CMD...: poll CMD until it succeeds (0) or time runs out (1).
lab_wait() {
	local secs=$1 i
	shift
	for i in $(seq 1 $((secs * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# The flags every lab rsipd gets; tests add theirs after these. --attach
# only when it is not the default, so that an rsipd older than the option
# still runs in the lab (the benchmarks' BEFORE= builds).
lab_rsipd_flags() {
	echo --listen $LAB_NA --public "$LAB_PUBLIC" \
		--ctl-socket "$LAB_CTL" \
		--dataplane xdp --wan wan0 --lan lan0 --xdp-mode "$LAB_XDP_MODE" \
		$([ "$LAB_ATTACH" = xdp ] || echo --attach "$LAB_ATTACH") \
		--pin-path "$LAB_PIN" --state-file "$LAB_STATE"
}

# lab_rsipd_start [FLAGS...]: run rsipd in N (log: $LAB_DIR/rsipd.log,
# appended, so a restart keeps the first run's lines) and wait for its
# control socket (LAB_START_WAIT seconds, default 15). RSIPD picks the binary: by default the ASan build when there
# is one (tests), else $BUILD/rsipd; benchmarks set RSIPD=$BUILD/rsipd.
lab_rsipd_start() {
	local bin=${RSIPD:-}
	if [ -z "$bin" ]; then
		bin=$BUILD/asan/rsipd
		[ -x "$bin" ] || bin=$BUILD/rsipd
	fi
	rm -f "$LAB_CTL"
	# A bpffs at /sys/fs/bpf inside the netns exec's own mount namespace, for
	# libbpf/libxdp defaults; our pins live on $LAB_BPFFS.
	# shellcheck disable=SC2046
	ip netns exec "$LAB_NS_N" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null; exec "$@"' \
		rsipd "$bin" $(lab_rsipd_flags) "$@" >>"$LAB_DIR/rsipd.log" 2>&1 &
	LAB_RSIPD_PID=$!
	LAB_PIDS+=("$LAB_RSIPD_PID")
	if ! lab_wait "${LAB_START_WAIT:-15}" test -S "$LAB_CTL"; then
		lab_log "rsipd did not start; its log:"
		tail -n 30 "$LAB_DIR/rsipd.log" >&2
		return 1
	fi
	if ! kill -0 "$LAB_RSIPD_PID" 2>/dev/null; then
		lab_log "rsipd exited; its log:"
		tail -n 30 "$LAB_DIR/rsipd.log" >&2
		return 1
	fi
}

# lab_rsipd_stop [--kill]: SIGTERM (or SIGKILL) rsipd and wait for it.
lab_rsipd_stop() {
	local sig=TERM
	[ "${1:-}" = --kill ] && sig=KILL
	[ -n "${LAB_RSIPD_PID:-}" ] || return 0
	kill -"$sig" "$LAB_RSIPD_PID" 2>/dev/null
	wait "$LAB_RSIPD_PID" 2>/dev/null
	LAB_RSIPD_RC=$?
	LAB_RSIPD_PID=
	return 0
}

# lab_rsipd_log_clean: 0 unless the sanitizers complained in rsipd's log.
lab_rsipd_log_clean() {
	if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:|AddressSanitizer:DEADLYSIGNAL" \
		"$LAB_DIR/rsipd.log"; then
		lab_log "rsipd's sanitizers complained (above)"
		return 1
	fi
	return 0
}

lab_ctl() {
	"$BUILD/rsipctl" --socket "$LAB_CTL" "$@"
}

lab_down() {
	[ -n "${LAB_ID:-}" ] || return 0
	local pid ns
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${LAB_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	LAB_PIDS=()
	LAB_RSIPD_PID=
	# Deleting N removes its devices, and with them the XDP links that pins
	# would otherwise keep alive.
	for ns in "$LAB_NS_X1" "$LAB_NS_X2" "$LAB_NS_SW" "$LAB_NS_N" "$LAB_NS_Y"; do
		ip netns del "$ns" 2>/dev/null
	done
	if mountpoint -q "$LAB_BPFFS" 2>/dev/null; then
		umount "$LAB_BPFFS" 2>/dev/null || umount -l "$LAB_BPFFS"
	fi
	if [ -n "${LAB_KEEP:-}" ]; then
		lab_log "kept $LAB_DIR"
	else
		rm -rf "$LAB_DIR"
	fi
	return 0
}
