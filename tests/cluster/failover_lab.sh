# shellcheck shell=bash
# The failover lab (issue 12), as functions to source: a real 3-member etcd
# (etcd.sh), gateways N1 and N2 each running keepalived (the example
# configuration of contrib/keepalived/) and rsipd --dataplane xdp --store
# etcd://... --role-file, hosts X1 and X2 running rsipc, and a public peer Y:
#
#   X1, X2, N1 lan0, N2 lan0 --- brlan (ns SW) ; LAN 10.0.0.0/24, Na 10.0.0.1
#   Y, N1 wan0, N2 wan0      --- brwan (ns SW) ; WAN 198.51.100.0/24
#
# Na (10.0.0.1/24 on lan0) and the Nb pool (192.0.2.10-11/32 on wan0) are
# keepalived's: the MASTER holds them and announces them by gratuitous ARP.
# The gateways' own addresses (VRRP needs one) are 10.0.0.2/.3 and
# 198.51.100.11/.12. Y reaches the Nb pool on its link (ARP, so the
# gratuitous ARP moves it), not through a router address.
#
#   . tests/cluster/failover_lab.sh
#   fo_need [TOOL...]       # keepalived, /dev/net/tun and TOOL..., or exit 1
#   fo_init TAG             # names, FO_DIR, trap (with etcd's)
#   fo_up                   # etcd, namespaces, links, bpffs
#   fo_gateways_up [FLAGS...] # N1 MASTER + rsipd active, N2 BACKUP + standby
#   fo_n1_dies              # kill -9 N1's rsipd, its links down, N2 takes over
#   fo_keepalived_start n1|n2 ; fo_rsipd_start n1|n2 ; fo_rsipd_kill n1|n2
#   fo_role n1|n2 ; fo_is_role n1|n2 ROLE ; fo_forwarded n1|n2
#   fo_rsipc_start x1|x2 ARGS... ; fo_ctl n1|n2 ARGS... (rsipctl --json)
#   fo_holds n1|n2          # true when it holds Na and the whole Nb pool
#   fo_holds_any n1|n2      # true when it holds any of them
#   fo_state n1|n2          # keepalived's state (its notify script's file)
#   fo_state_is n1|n2 STATE
#   fo_wait SECONDS CMD...  # poll CMD every 50 ms until it succeeds (bounded)
#   fo_jget KEY... <JSON    # one field of a JSON document
#   fo_logs NAME...         # the last lines of FO_DIR/NAME.log each (a failure's report)
#   fo_counter n1|n2 NAME   # a data plane counter (the programs' or the slow path's)
#   fo_probe NODE ARGS...   # ike_probe.py in NODE's namespace
#   fo_map_get n1|n2 MAP KEYHEX FIELD ; fo_in_map n1|n2 MAP KEYHEX ; fo_map_count n1|n2 MAP
#                           # NODE's pinned map: a field of a value, has the key, entries
#   fo_ip_hex A.B.C.D       # "c0000a01": an address as a map key's hex digits
#   fo_hexbytes HEX         # "c0 00 0a 01 ": hex digits as bpftool's key bytes
#
# Every name carries a unique prefix; fo_down (the EXIT trap) stops what was
# started here by PID, removes the namespaces and the directory.

FO_NA=10.0.0.1
FO_Y=198.51.100.2
FO_NB1=192.0.2.10
FO_NB2=192.0.2.11

_fo_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$_fo_here/etcd.sh"
# For _lab_ns_up (a namespace as the netns lab makes them); nothing else.
. "$_fo_here/../lab/lab.sh"

# What every failover test needs besides etcd and the built binaries; a
# missing one ends the test with the reason (exit 1: a failure, as before
# these checks were shared).
fo_need() {
	local t
	for t in keepalived "$@"; do
		command -v "$t" >/dev/null || { echo "$t not installed (make deps)"; exit 1; }
	done
	[ -c /dev/net/tun ] || { echo "no /dev/net/tun"; exit 1; }
}

fo_logs() {
	local f
	for f in "$@"; do
		echo "---- $f (last lines)"
		tail -n 15 "$FO_DIR/$f.log" 2>/dev/null
	done
}

fo_counter() {
	fo_ctl "$1" counters | python3 -c 'import json,sys
print(json.load(sys.stdin)["dataplane"].get(sys.argv[1], 0))' "$2"
}

fo_probe() {
	local n=$1
	shift
	ip netns exec "$(fo_ns "$n")" python3 "$_fo_here/ike_probe.py" "$@"
}

fo_ip_hex() { printf '%02x' ${1//./ }; }
fo_hexbytes() { echo "$1" | sed 's/../& /g'; } # "c0000a01" -> "c0 00 0a 01 "

fo_map_get() {
	local kb
	read -ra kb <<<"$(fo_hexbytes "$3")"
	bpftool -j map lookup pinned "$FO_DIR/bpffs-$1/rsip/$2" key hex "${kb[@]}" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["formatted"]["value"][sys.argv[1]])' "$4"
}

fo_in_map() {
	local kb
	read -ra kb <<<"$(fo_hexbytes "$3")"
	bpftool map lookup pinned "$FO_DIR/bpffs-$1/rsip/$2" key hex "${kb[@]}" >/dev/null 2>&1
}

fo_map_count() {
	bpftool -j map dump pinned "$FO_DIR/bpffs-$1/rsip/$2" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

fo_init() {
	local tag=${1:-fo}
	FO_TOP=$(cd "$_fo_here/../.." && pwd)
	BUILD=$(cd "${BUILD:-$FO_TOP/build}" && pwd)
	FO_RSIPD=${RSIPD:-$BUILD/asan/rsipd}
	[ -x "$FO_RSIPD" ] || FO_RSIPD=$BUILD/rsipd
	FO_RSIPC=${RSIPC:-$BUILD/asan/rsipc}
	[ -x "$FO_RSIPC" ] || FO_RSIPC=$BUILD/rsipc
	FO_ID="f${tag:0:3}$(printf '%04x' $((RANDOM)))$$"
	FO_ID=${FO_ID:0:12}
	FO_DIR=$(mktemp -d "/tmp/rsip-fo.$FO_ID.XXXXXX")
	chmod 755 "$FO_DIR"
	FO_PREFIX=/rsip/$FO_ID/
	declare -gA FO_PID=()
	FO_BG=()
	etcd_cluster_init "$tag"
	trap 'fo_down; etcd_cluster_down' EXIT
}

fo_ns() { echo "$FO_ID-$1"; }

_fo_node() { _lab_ns_up "$(fo_ns "$1")"; }

# _fo_port NODE DEV SEG MAC: NODE's DEV plugged into bridge br$SEG.
_fo_port() {
	local ns sw p
	ns=$(fo_ns "$1")
	sw=$(fo_ns sw)
	p="$1$3"
	ip -n "$ns" link add "$2" address "$4" type veth peer name "$p" netns "$sw" || return 1
	ip -n "$sw" link set "$p" master "br$3" up
	# GRO on the switch's side: frames the XDP programs redirect into the
	# veth need NAPI on its peer (tests/lab/lab.sh, lab_gro).
	ip netns exec "$sw" ethtool -K "$p" gro on >/dev/null
	ip -n "$ns" link set "$2" up
}

fo_up() {
	etcd_cluster_up 3 || return 1
	local n sw
	for n in sw n1 n2 x1 x2 y; do _fo_node "$n" || return 1; done
	sw=$(fo_ns sw)
	for n in lan wan; do
		ip -n "$sw" link add "br$n" type bridge stp_state 0 forward_delay 0 || return 1
		ip -n "$sw" link set "br$n" up
	done
	_fo_port n1 lan0 lan 02:00:0a:00:00:02 && _fo_port n1 wan0 wan 02:00:c6:33:64:0b &&
		_fo_port n2 lan0 lan 02:00:0a:00:00:03 && _fo_port n2 wan0 wan 02:00:c6:33:64:0c &&
		_fo_port x1 eth0 lan 02:00:0a:00:00:0b && _fo_port x2 eth0 lan 02:00:0a:00:00:0c &&
		_fo_port y eth0 wan 02:00:c6:33:64:02 || return 1
	ip -n "$(fo_ns n1)" addr add 10.0.0.2/24 dev lan0
	ip -n "$(fo_ns n1)" addr add 198.51.100.11/24 dev wan0
	ip -n "$(fo_ns n2)" addr add 10.0.0.3/24 dev lan0
	ip -n "$(fo_ns n2)" addr add 198.51.100.12/24 dev wan0
	ip -n "$(fo_ns x1)" addr add 10.0.0.11/24 dev eth0
	ip -n "$(fo_ns x2)" addr add 10.0.0.12/24 dev eth0
	ip -n "$(fo_ns y)" addr add $FO_Y/24 dev eth0
	ip -n "$(fo_ns y)" route add 192.0.2.0/24 dev eth0
	# Full checksums from the hosts, as on a wire (tests/lab/lab.sh).
	for n in x1 x2 y; do ip netns exec "$(fo_ns "$n")" ethtool -K eth0 tx off >/dev/null; done
	for n in n1 n2; do
		ip netns exec "$(fo_ns "$n")" sysctl -qw net.ipv4.ip_forward=1 >/dev/null
		etcd_cluster_attach "$(fo_ns "$n")" || return 1
		mkdir -p "$FO_DIR/bpffs-$n"
		mount -t bpf bpf "$FO_DIR/bpffs-$n" || return 1
	done
	# keepalived's notify script, as installed (enable_script_security
	# wants it root-owned and not writable by others).
	cp "$FO_TOP/contrib/keepalived/rsipd-notify.sh" "$FO_DIR/rsipd-notify.sh"
	chmod 755 "$FO_DIR/rsipd-notify.sh"
	FO_STORE="etcd://"
	local i
	for i in 1 2 3; do
		FO_STORE="$FO_STORE$([ "$i" = 1 ] || echo ,)$(etcd_net_addr "$i"):$ETCD_CLIENT_PORT"
	done
	FO_STORE=$FO_STORE${FO_PREFIX%/}
}

# fo_keepalived_start n1|n2: the example configuration, interfaces and paths
# substituted (as test_keepalived_takeover.sh does).
fo_keepalived_start() {
	local n=$1
	sed -e 's/\beth0\b/lan0/g' -e 's/\beth1\b/wan0/g' \
		-e "s|/usr/local/lib/rsipd/rsipd-notify.sh|$FO_DIR/rsipd-notify.sh|" \
		-e "s|/run/rsipd/vrrp-state|$FO_DIR/$n.state|" \
		"$FO_TOP/contrib/keepalived/keepalived-$n.conf" >"$FO_DIR/$n.conf"
	ip netns exec "$(fo_ns "$n")" keepalived -n -l -D -G -P -f "$FO_DIR/$n.conf" \
		-p "$FO_DIR/$n.pid" -r "$FO_DIR/$n.vrrp.pid" >>"$FO_DIR/keepalived-$n.log" 2>&1 &
	FO_PID[ka-$n]=$!
}

fo_state() { cat "$FO_DIR/$1.state" 2>/dev/null; }
fo_state_is() { [ "$(fo_state "$1")" = "$2" ]; }

fo_wait() {
	local n=$(($1 * 20))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}

fo_jget() {
	python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1:]: d=d[int(k)] if isinstance(d,list) else d[k]
print(json.dumps(d) if isinstance(d,(dict,list)) else d)' "$@"
}

fo_holds() {
	local ns
	ns=$(fo_ns "$1")
	ip -n "$ns" -4 addr show dev lan0 | grep -q " $FO_NA/24" &&
		ip -n "$ns" -4 addr show dev wan0 | grep -q " $FO_NB1/32" &&
		ip -n "$ns" -4 addr show dev wan0 | grep -q " $FO_NB2/32"
}
fo_holds_any() {
	ip -n "$(fo_ns "$1")" -4 addr | grep -qE " (10\.0\.0\.1/24|192\.0\.2\.1[01]/32)"
}

# fo_rsipd_start n1|n2 [FLAGS...]: rsipd in the gateway's namespace (log
# $FO_DIR/rsipd-N.log, appended), waits for its control socket. RSIPD picks
# the binary (default: the ASan build), FO_MAP_SIZE its --map-size (4096),
# FO_PUBLIC its --public (default the whole pool; keepalived moves the whole
# pool either way).
fo_rsipd_start() {
	local n=$1 i
	shift
	rm -f "$FO_DIR/$n.sock"
	ip netns exec "$(fo_ns "$n")" sh -c 'mount -t bpf bpf /sys/fs/bpf 2>/dev/null; exec "$@"' \
		rsipd "$FO_RSIPD" --listen $FO_NA --public "${FO_PUBLIC:-$FO_NB1,$FO_NB2}" \
		--ctl-socket "$FO_DIR/$n.sock" --dataplane xdp --wan wan0 --lan lan0 \
		--pin-path "$FO_DIR/bpffs-$n/rsip" --map-size "${FO_MAP_SIZE:-4096}" --store "$FO_STORE" \
		--gateway "$n" --role-file "$FO_DIR/$n.state" --register-rate 0 "$@" \
		>>"$FO_DIR/rsipd-$n.log" 2>&1 &
	FO_PID[rsipd-$n]=$!
	for i in $(seq 1 300); do
		[ -S "$FO_DIR/$n.sock" ] && fo_ctl "$n" status >/dev/null 2>&1 && return 0
		kill -0 "${FO_PID[rsipd-$n]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "rsipd $n did not start; its log:" >&2
	tail -n 30 "$FO_DIR/rsipd-$n.log" >&2
	return 1
}

fo_rsipd_kill() {
	local p=${FO_PID[rsipd-$1]:-}
	[ -n "$p" ] || return 0
	kill -KILL "$p" 2>/dev/null
	{ wait "$p"; } 2>/dev/null
	FO_PID[rsipd-$1]=
}

fo_ctl() {
	local n=$1
	shift
	"$BUILD/rsipctl" --socket "$FO_DIR/$n.sock" --json "$@"
}

# fo_role n1|n2: its rsipd's cluster role (active, standby).
fo_role() { fo_ctl "$1" status | fo_jget cluster role; }
fo_is_role() { [ "$(fo_role "$1")" = "$2" ]; }

# fo_forwarded n1|n2: the packets its data plane forwarded (both ways, all kinds).
fo_forwarded() {
	fo_ctl "$1" counters | python3 -c 'import json,sys; d=json.load(sys.stdin)["dataplane"]
print(sum(v for k, v in d.items() if k.startswith(("lan_tx", "wan_tx"))))'
}

# fo_n1_dies: kill -9 N1's rsipd and take N1's links down; true once
# keepalived moved Na and the Nb pool to N2 and N2's rsipd is active (else
# what did not happen on stderr, 1).
fo_n1_dies() {
	fo_rsipd_kill n1
	ip -n "$(fo_ns n1)" link set lan0 down
	ip -n "$(fo_ns n1)" link set wan0 down
	fo_wait 20 fo_holds n2 || { echo "N2 did not take Na and the Nb pool" >&2; return 1; }
	fo_wait 10 fo_is_role n2 active || { echo "N2's rsipd did not become active" >&2; return 1; }
	echo "N2 holds Na and the Nb pool, keepalived $(fo_state n2), rsipd $(fo_role n2)"
}

# fo_gateways_up [RSIPD FLAGS...]: keepalived and rsipd on N1 (MASTER with
# Na and the Nb pool, active), then on N2 (BACKUP holding none of them,
# standby). N2's rsipd gets FO_N2_STORE as its --store when that is set.
# On failure: what went wrong on stderr, 1.
fo_gateways_up() {
	fo_keepalived_start n1
	fo_wait 20 fo_state_is n1 MASTER && fo_holds n1 ||
		{ echo "N1 did not become MASTER with Na and the Nb pool" >&2; return 1; }
	fo_rsipd_start n1 "$@" || return 1
	fo_wait 10 fo_is_role n1 active || { echo "N1's rsipd is not active" >&2; return 1; }
	fo_keepalived_start n2
	fo_wait 20 fo_state_is n2 BACKUP || { echo "N2 did not become BACKUP" >&2; return 1; }
	! fo_holds_any n2 || { echo "N2 holds an address while BACKUP" >&2; return 1; }
	FO_STORE=${FO_N2_STORE:-$FO_STORE} fo_rsipd_start n2 "$@" || return 1
	fo_is_role n2 standby || { echo "N2's rsipd is not standby" >&2; return 1; }
}

# fo_rsipc_start x1|x2 ARGS...: rsipc up against Na, its lease as JSON on the
# first line of $FO_DIR/rsipc-X.log, its state in $FO_DIR/X.
fo_rsipc_start() {
	local x=$1
	shift
	mkdir -p "$FO_DIR/$x"
	ip netns exec "$(fo_ns "$x")" "$FO_RSIPC" --server $FO_NA "$@" >"$FO_DIR/rsipc-$x.log" 2>&1 &
	FO_PID[rsipc-$x]=$!
}

# fo_bg NAME CMD...: a background process fo_down stops.
fo_bg() {
	local name=$1
	shift
	"$@" &
	FO_PID[$name]=$!
}

fo_log_clean() { # 0 unless a sanitizer complained in a log of this lab
	! grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:|AddressSanitizer:DEADLYSIGNAL" \
		"$FO_DIR"/rsipd-*.log "$FO_DIR"/rsipc-*.log 2>/dev/null
}

fo_down() {
	[ -n "${FO_ID:-}" ] || return 0
	local k p n
	for k in "${!FO_PID[@]}"; do
		p=${FO_PID[$k]}
		[ -n "$p" ] && kill -TERM "$p" 2>/dev/null
	done
	for k in "${!FO_PID[@]}"; do
		p=${FO_PID[$k]}
		[ -n "$p" ] || continue
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		{ wait "$p"; } 2>/dev/null
	done
	FO_PID=()
	for n in x1 x2 y n1 n2 sw; do ip netns del "$(fo_ns "$n")" 2>/dev/null; done
	for n in n1 n2; do
		mountpoint -q "$FO_DIR/bpffs-$n" 2>/dev/null &&
			{ umount "$FO_DIR/bpffs-$n" 2>/dev/null || umount -l "$FO_DIR/bpffs-$n"; }
	done
	if [ -n "${FO_KEEP:-}" ]; then echo "kept $FO_DIR" >&2; else rm -rf "$FO_DIR"; fi
	FO_ID=
	return 0
}
