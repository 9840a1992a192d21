#!/usr/bin/env bash
# Address takeover with the example keepalived configurations
# (contrib/keepalived/, docs/cluster.md), run as they are (interface names
# and file paths substituted) by real keepalived daemons in two network
# namespaces N1 and N2 joined by a LAN and a WAN bridge:
#   - both configurations pass keepalived --config-test;
#   - N1 (started first) becomes MASTER with Na on the LAN and the Nb pool on
#     the WAN, N2 is BACKUP with none; the notify script records each state;
#   - N1's LAN link goes down: N2 takes every address and records MASTER, N1
#     records FAULT and holds none of them (the test prints the time taken);
#   - N1's link comes back: N1 stays BACKUP and N2 keeps the addresses
#     (nopreempt).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
command -v keepalived >/dev/null || { echo "keepalived not installed (make deps)"; exit 1; }

id="rk$(printf '%04x' $((RANDOM)))$$"
id=${id:0:12}
dir=$(mktemp -d "/tmp/rsip-vrrp.$id.XXXXXX")
chmod 755 "$dir"
ns_sw=$id-sw ns1=$id-n1 ns2=$id-n2
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		{ wait "$p"; } 2>/dev/null
	done
	ip netns del "$ns1" 2>/dev/null
	ip netns del "$ns2" 2>/dev/null
	ip netns del "$ns_sw" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap "exit 130" INT TERM
fail() { echo "FAIL: $*"; for n in n1 n2; do echo "--- keepalived $n:"; tail -n 15 "$dir/$n.log"; done; exit 1; }

# --- the network: a LAN and a WAN bridge in ns sw, N1 and N2 on both ----------
for ns in "$ns_sw" "$ns1" "$ns2"; do
	ip netns add "$ns" || exit 1
	ip -n "$ns" link set lo up
done
for br in brlan brwan; do
	ip -n "$ns_sw" link add "$br" type bridge || exit 1
	ip -n "$ns_sw" link set "$br" up
done
i=0
for ns in "$ns1" "$ns2"; do
	i=$((i + 1))
	for seg in lan wan; do
		ip -n "$ns" link add "${seg}0" type veth peer name "$seg$i" netns "$ns_sw" || exit 1
		ip -n "$ns_sw" link set "$seg$i" master "br$seg" up
		ip -n "$ns" link set "${seg}0" up
	done
	# VRRP needs an address of its own on the interface it speaks on.
	ip -n "$ns" addr add "10.0.0.$((1 + i))/24" dev lan0
	ip -n "$ns" addr add "198.51.100.$i/24" dev wan0
done

# --- the example configurations, for these interfaces and files ---------------
cp "$top/contrib/keepalived/rsipd-notify.sh" "$dir/rsipd-notify.sh"
chmod 755 "$dir/rsipd-notify.sh"
for n in n1 n2; do
	ns=$ns1
	[ $n = n2 ] && ns=$ns2
	sed -e 's/\beth0\b/lan0/g' -e 's/\beth1\b/wan0/g' \
		-e "s|/usr/local/lib/rsipd/rsipd-notify.sh|$dir/rsipd-notify.sh|" \
		-e "s|/run/rsipd/vrrp-state|$dir/$n.state|" \
		"$top/contrib/keepalived/keepalived-$n.conf" >"$dir/$n.conf"
	ip netns exec "$ns" keepalived -t -f "$dir/$n.conf" >"$dir/$n.configtest" 2>&1 ||
		{ cat "$dir/$n.configtest"; fail "keepalived --config-test refused keepalived-$n.conf"; }
done
echo "config test: keepalived-n1.conf and keepalived-n2.conf accepted"

has_all() { # ns: Na on lan0 and both Nb on wan0
	ip -n "$1" -4 addr show dev lan0 | grep -q ' 10.0.0.1/24' &&
		ip -n "$1" -4 addr show dev wan0 | grep -q ' 192.0.2.10/32' &&
		ip -n "$1" -4 addr show dev wan0 | grep -q ' 192.0.2.11/32'
}
has_any() {
	ip -n "$1" -4 addr | grep -qE ' (10\.0\.0\.1/24|192\.0\.2\.1[01]/32)'
}
state() { cat "$dir/$1.state" 2>/dev/null; }
# wait_for SECONDS CONDITION...: poll every 20 ms, bounded by the clock.
wait_for() {
	local end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	while [ "$(date +%s%N)" -lt $end ]; do
		"$@" && return 0
		sleep 0.02
	done
	return 1
}
n1_master() { has_all "$ns1" && [ "$(state n1)" = MASTER ] && [ "$(state n2)" = BACKUP ]; }
n2_master() { has_all "$ns2" && [ "$(state n2)" = MASTER ]; }

start() { # n1|n2 ns
	ip netns exec "$2" keepalived -n -l -D -G -P -f "$dir/$1.conf" -p "$dir/$1.pid" \
		-r "$dir/$1.vrrp.pid" >"$dir/$1.log" 2>&1 &
	pids+=($!)
}
# N1 first: with nopreempt the first gateway up is MASTER, whatever the
# priorities (a gateway that comes back must not take the addresses).
start n1 "$ns1"
n1_alone() { has_all "$ns1" && [ "$(state n1)" = MASTER ]; }
wait_for 20 n1_alone || fail "N1 alone did not become MASTER with every address"
start n2 "$ns2"

wait_for 20 n1_master || fail "N1 did not become MASTER with every address"
has_any "$ns2" && fail "N2 holds an address while BACKUP"
echo "start: N1 MASTER with Na and the Nb pool, N2 BACKUP"

t0=$(date +%s%N)
ip -n "$ns1" link set lan0 down
wait_for 10 n2_master || fail "N2 did not take over"
t1=$(date +%s%N)
echo "N1's LAN down: N2 MASTER with every address after $(((t1 - t0) / 1000000)) ms"
wait_for 5 sh -c "[ \"\$(cat $dir/n1.state 2>/dev/null)\" = FAULT ]" ||
	fail "N1 did not record FAULT (state: $(state n1))"
has_any "$ns1" && fail "N1 kept an address after its fault"

ip -n "$ns1" link set lan0 up
wait_for 10 sh -c "[ \"\$(cat $dir/n1.state 2>/dev/null)\" = BACKUP ]" ||
	fail "N1 did not come back as BACKUP (state: $(state n1))"
sleep 1.5 # well past N1's master-down interval: a preempting N1 would be MASTER now
[ "$(state n1)" = BACKUP ] && [ "$(state n2)" = MASTER ] && has_all "$ns2" && ! has_any "$ns1" ||
	fail "N1 took the addresses back (n1 $(state n1), n2 $(state n2))"
echo "N1 back: BACKUP, N2 keeps the addresses (nopreempt)"
echo "PASS: keepalived takeover with the example configurations"
