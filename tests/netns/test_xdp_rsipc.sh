#!/usr/bin/env bash
# The whole stack: rsipc (TUN + raw tunnel socket) on both hosts, rsipd with
# the XDP data plane on N, Y a plain public host. Each host pings Y and trades
# UDP with it from its leased address; X1 over IP-IP with RSAP-IP, X2 over GRE
# with RSIPSEC (SPIs and an IKE port). Replies come back through XDP (echo ids
# learned by the LAN program, ports by lease).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, XDP, TUN)"; exit 77; fi
[ -c /dev/net/tun ] || { echo "no /dev/net/tun"; exit 77; }
. "$top/tests/lab/lab.sh"
lab_init rpc
lab_up || exit 1
lab_rsipd_start || exit 1
fail() {
	echo "FAIL: $*"
	for f in rsipd.log x1.log x2.log; do echo "---- $f"; tail -n 20 "$LAB_DIR/$f"; done
	exit 1
}
rsipc=$BUILD/asan/rsipc
[ -x "$rsipc" ] || rsipc=$BUILD/rsipc

# Y: a UDP echo service.
lab_bg y "$LAB_DIR/echo.log" /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)'

mkdir -p "$LAB_DIR/x1" "$LAB_DIR/x2"
lab_bg x1 "$LAB_DIR/x1.log" "$rsipc" --server "$LAB_NA" --state-dir "$LAB_DIR/x1" up \
	--method rsap-ip --ports 2 --json
lab_bg x2 "$LAB_DIR/x2.log" "$rsipc" --server "$LAB_NA" --transport udp \
	--state-dir "$LAB_DIR/x2" up --method rsipsec --spis 4 --ike-port --tunnel gre --json
lab_wait 15 lab_exec x1 ip link show rsip0 || fail "X1's tunnel did not come up"
lab_wait 15 lab_exec x2 ip link show rsip0 || fail "X2's tunnel did not come up"
nb() { lab_exec "$1" ip -br addr show rsip0 | awk '{print $3}' | cut -d/ -f1; }
port() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["ports"][0])' \
	<"$LAB_DIR/$1.log"; }

for x in x1 x2; do
	a=$(nb $x)
	[ -n "$a" ] || fail "$x: no leased address on rsip0"
	lab_exec $x ping -c 3 -W 2 -I "$a" "$LAB_Y" >"$LAB_DIR/ping.$x" 2>&1 ||
		{ cat "$LAB_DIR/ping.$x"; fail "$x cannot ping Y from $a"; }
	p=$(port $x)
	out=$(lab_exec $x /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(3)
for i in range(3):
    s.sendto(b"hello from " + sys.argv[1].encode(), (sys.argv[3], 7))
    try:
        print(s.recv(2048).decode()); break
    except socket.timeout:
        pass' "$a" "$p" "$LAB_Y")
	[ "$out" = "hello from $a" ] || fail "$x: no UDP echo from Y (got '$out')"
	echo "ok: $x ($a, port $p) pings Y and gets its UDP echo"
done
c=$(lab_ctl --json counters)
for k in lan_learn_icmp_id wan_tx_icmp wan_tx_port lan_tx; do
	v=$(echo "$c" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['dataplane']['$k'])")
	[ "$v" -gt 0 ] || fail "counter $k is $v"
done
lab_ctl bindings | grep -q "GRE" || fail "rsipctl bindings shows no GRE binding"
# rsipc releases everything on exit; the data plane follows.
for pid in "${LAB_PIDS[@]:1}"; do kill "$pid" 2>/dev/null; done
lab_wait 10 sh -c "[ \"\$($BUILD/rsipctl --socket $LAB_CTL --json status | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"clients\"])')\" = 0 ]" ||
	fail "clients still registered after rsipc exited"
lab_rsipd_stop
lab_rsipd_log_clean || fail "sanitizers"
echo "rsipc through XDP: ok"
exit 0
