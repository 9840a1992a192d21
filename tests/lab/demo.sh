#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# make demo: the RSIP gateway end to end, in network namespaces on this machine.
#
#   X1 (10.0.0.11) --+                      +-- Y (198.51.100.2), a public peer
#                    +-- LAN -- N (gateway) --- WAN
#   X2 (10.0.0.12) --+   10.0.0.1      198.51.100.1, public address Nb 192.0.2.10
#
# N runs rsipd with its XDP programs attached natively to its veths; X1 and X2
# run `rsipc up` and share the one public address Nb; Y talks to both. Every
# value printed is read from the system (sockets, rsipc, rsipctl, bpftool);
# a step whose check fails stops the demo with a non-zero exit. Everything is
# removed on exit, Ctrl-C included. DEMO_HOLD=1 keeps the lab up at the end
# until Enter is pressed, to look around (ip netns exec <namespace> ...).
#
#   bash tests/lab/demo.sh [BUILD_DIR]     (as root; make demo does this)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath -m "${1:-${BUILD:-$top/build}}")
export BUILD
if [ "$(id -u)" -ne 0 ]; then
	echo "make demo needs root (namespaces, XDP, TUN devices)" >&2
	exit 1
fi
for b in rsipd rsipctl rsipc; do
	[ -x "$BUILD/$b" ] || { echo "no $BUILD/$b: run make demo (it builds first)" >&2; exit 1; }
done
for c in bpftool ethtool /usr/bin/python3; do
	command -v "$c" >/dev/null || { echo "no $c: run make deps" >&2; exit 1; }
done

. "$top/tests/lab/lab.sh"
# One public address for everyone: the point of RSIP is that hosts share it.
LAB_PUBLIC=$LAB_NB1
RSIPD=$BUILD/rsipd
lab_init demo
start=$(date +%s%N)
RSIPC_PIDS=()
STEP=0

# Stop the clients first (they give their leases back to a running gateway),
# then take the lab down.
demo_cleanup() {
	local p
	trap '' INT TERM # a second Ctrl-C must not cut the cleanup short
	for p in "${RSIPC_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${RSIPC_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	lab_down
}
trap demo_cleanup EXIT

step() {
	STEP=$((STEP + 1))
	printf '\n== %d. %s\n' "$STEP" "$1"
	shift
	local line
	for line in "$@"; do
		printf '   %s\n' "$line"
	done
	echo
}

fail() {
	printf '\n   FAILED: %s\n' "$*"
	for f in "$LAB_DIR"/rsipd.log "$LAB_DIR"/rsipc-x1.log "$LAB_DIR"/rsipc-x2.log; do
		[ -s "$f" ] || continue
		printf '   ---- %s (last lines)\n' "$(basename "$f")"
		tail -n 15 "$f" | sed 's/^/   | /'
	done
	exit 1
}

py() { /usr/bin/python3 "$top/tests/netns/e2e_traffic.py" "$@"; }
ctl() { "$BUILD/rsipctl" --socket "$LAB_CTL" "$@"; }
indent() { sed 's/^/   | /'; }
addrs() { lab_exec "$1" ip -br -4 addr show dev "$2" | awk '{ $1 = ""; $2 = ""; print }' | xargs; }

# ---------------------------------------------------------------------------------
step "The lab: two private hosts, a gateway, a public peer (network namespaces)" \
	"X1 and X2 have private addresses only; Y is on the public side and cannot reach them."
lab_up || fail "could not build the lab"
printf '   X1  eth0 %s\n' "$(addrs x1 eth0)"
printf '   X2  eth0 %s\n' "$(addrs x2 eth0)"
printf '   N   lan0 %s   wan0 %s\n' "$(addrs n lan0)" "$(addrs n wan0)"
printf '   Y   eth0 %s\n' "$(addrs y eth0)"
echo "   (namespaces $LAB_ID-{x1,x2,sw,n,y}; the LAN is a bridge in $LAB_ID-sw)"
if lab_exec y ping -c1 -W1 -q "$LAB_X1" >/dev/null 2>&1; then
	fail "Y reaches X1's private address directly"
fi
echo "   Y -> X1 ($LAB_X1): no route, as it should be"

# ---------------------------------------------------------------------------------
step "The gateway: rsipd, with XDP programs on both of N's interfaces" \
	"rsipd lends 192.0.2.10 over RSIP (port 4555); XDP forwards the packets."
lab_rsipd_start --allow 10.0.0.0/24 || fail "rsipd did not start"
printf '   N# rsipd %s --allow 10.0.0.0/24\n' "$(lab_rsipd_flags)"
for dev in wan0 lan0; do
	prog=$(lab_exec n ip -d link show "$dev" | grep -o 'prog/xdp id [0-9]* name [a-z_]*')
	mode=$(lab_exec n bpftool net show dev "$dev" | grep -o '^'"$dev"'([0-9]*) [a-z]*' | awk '{ print $2 }')
	[ -n "$prog" ] || fail "no XDP program on $dev"
	[ "$mode" = driver ] || fail "XDP on $dev is in '$mode' mode, not native (driver)"
	printf '   %s: %s, native (driver) mode\n' "$dev" "${prog#prog/xdp }"
done
echo "   rsipd said:"
indent <"$LAB_DIR/rsipd.log"

# ---------------------------------------------------------------------------------
step "X1 and X2 lease from the gateway: rsipc up (RFC 3103 + RFC 3104)" \
	"Each gets the public address, its own block of IPsec SPIs and its own port, and a" \
	"tunnel to N (X1 IP-in-IP, X2 GRE) that carries every packet sent from that address."
for x in x1 x2; do
	tunnel=ipip
	[ $x = x2 ] && tunnel=gre
	# The pump: the traffic steps watch the tunnel packets on the hosts
	# with raw sockets, which see nothing once rsipc's TC programs (the
	# default data path) decapsulate first.
	lab_bg $x "$LAB_DIR/rsipc-$x.log" "$BUILD/rsipc" --server "$LAB_NA" \
		--state-dir "$LAB_DIR/rsipc-$x" up --ports 1 --tunnel $tunnel --datapath pump
	RSIPC_PIDS+=("$LAB_LAST_PID")
done
for x in x1 x2; do
	lab_wait 15 test -s "$LAB_DIR/rsipc-$x/state.json" || fail "rsipc up on ${x^^} got no lease"
	printf '   %s$ rsipc --server %s up --ports 1 --tunnel %s --datapath pump\n' "${x^^}" "$LAB_NA" \
		"$([ $x = x1 ] && echo ipip || echo gre)"
	indent <"$LAB_DIR/rsipc-$x.log"
done
json() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print('"$2"')' \
	"$LAB_DIR/rsipc-$1/state.json"; }
nb1=$(json x1 'd["address"]')
nb2=$(json x2 'd["address"]')
[ "$nb1" = "$nb2" ] || fail "X1 got $nb1, X2 got $nb2: not one shared address"
[ "$(json x1 'd["spi_min"]')" != "$(json x2 'd["spi_min"]')" ] || fail "same SPI block"
[ "$(json x1 'd["ports"]')" != "$(json x2 'd["ports"]')" ] || fail "same ports"
echo "   => X1 and X2 both got $nb1: one public address, told apart by SPI block and port"

# ---------------------------------------------------------------------------------
step "IKE by cookie: Y answers both on $nb1:500" \
	"Both hosts run IKE on port 500 of the same address. Their IKE_SA_INIT goes out first;" \
	"the gateway's LAN program learns each initiator SPI (cookie) by trial and error (RFC 3104" \
	"6.1), and Y's answers find the right host by that cookie alone."
py ike x1 x2 || fail "IKE by cookie"

# ---------------------------------------------------------------------------------
step "UDP by leased port, both ways" \
	"A datagram from Y to a host's leased port reaches that host's application (through the" \
	"tunnel and rsipc's TUN device), and its reply reaches Y from $nb1."
py ports x1 x2 || fail "UDP by port"

# ---------------------------------------------------------------------------------
step "ESP by SPI, both ways" \
	"ESP from Y to an SPI of a host's block reaches that host only (the WAN XDP program reads" \
	"the SPI and tunnels the packet); the host's own ESP from $nb1 reaches Y."
py esp x1 x2 || fail "ESP by SPI"

# ---------------------------------------------------------------------------------
step "What the gateway drops" \
	"RFC 3104 says: discard what no host leased. And a host may only use what it leased."
py drops x1 x2 || fail "drops"
lab_wait 5 grep -q "the gateway reports" "$LAB_DIR/rsipc-x2.log" ||
	fail "rsipd did not tell X2 about its violation"
echo "   rsipd told X2 at once (an unsolicited ERROR_RESPONSE); X2's rsipc logged:"
grep "the gateway reports" "$LAB_DIR/rsipc-x2.log" | indent

# ---------------------------------------------------------------------------------
step "The gateway's view: rsipctl and bpftool" \
	"What an administrator of N sees: clients, bindings, counters, and the pinned XDP maps."
echo "   N# rsipctl status"
ctl status | indent || fail "rsipctl status"
echo "   N# rsipctl clients"
ctl clients | indent
echo "   N# rsipctl bindings"
ctl bindings | indent
echo "   N# rsipctl counters        (the rows that are not 0)"
ctl counters | grep -v ': 0$' | indent
echo "   N# bpftool map show pinned $LAB_PIN/rsip_spi_dir    (SPI blocks by index: an array)"
bpftool map show pinned "$LAB_PIN/rsip_spi_dir" | indent || fail "bpftool map show"
echo "   The entries the WAN program looks up, decoded:"
py lookups || fail "decoding the maps"

if [ -n "${DEMO_HOLD:-}" ]; then
	held=$(date +%s%N)
	printf '\n== DEMO_HOLD: the lab stays up with both clients; try, in another shell:\n'
	printf '   ip netns exec %s ping -c1 -I %s %s     # X1 pings Y from Nb\n' "$LAB_NS_X1" "$nb1" "$LAB_Y"
	printf '   %s --socket %s bindings\n' "$BUILD/rsipctl" "$LAB_CTL"
	printf '   bpftool map dump pinned %s/rsip_ports\n' "$LAB_PIN"
	printf '   Press Enter to go on (the clients leave, the lab is removed).\n'
	read -r _
	start=$((start + $(date +%s%N) - held)) # the time held does not count
fi

# ---------------------------------------------------------------------------------
step "X1 and X2 leave: rsipc down" \
	"Everything is given back at once: bindings, registrations, and the XDP entries that" \
	"delivered their traffic."
for x in x1 x2; do
	printf '   %s$ rsipc down: %s\n' "${x^^}" \
		"$(lab_exec $x "$BUILD/rsipc" --state-dir "$LAB_DIR/rsipc-$x" down | head -n1)"
done
for p in "${RSIPC_PIDS[@]}"; do
	wait "$p" || fail "rsipc up exited with status $?"
done
RSIPC_PIDS=()
n=$(ctl --json bindings | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 0 ] || fail "$n bindings left at the gateway"
py maps x1 --none && py maps x2 --none || fail "XDP entries left"
echo "   rsipctl bindings: $n bindings left"

end=$(date +%s%N)
ms=$(((end - start) / 1000000))
printf '\n== Demo passed in %d.%d s; removing the lab.\n' $((ms / 1000)) $((ms % 1000 / 100))
exit 0
