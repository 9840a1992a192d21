#!/usr/bin/env bash
# make demo: the gateway in the lab (tests/lab/lab.sh), end to end.
#   X1 runs rsipc (RSAP-IP over IP-IP), X2 runs rsipc (RSIPSEC over GRE);
#   N runs rsipd with the XDP data plane; Y is a plain public host.
# Both hosts ping Y and trade UDP with it from the address they borrowed;
# rsipctl and bpftool then show what the gateway knows. DEMO_HOLD=1 keeps
# the lab up until Enter is pressed (try: ip netns exec <ns> ...).
#   bash tests/lab/demo.sh [BUILD_DIR]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath -m "${1:-${BUILD:-$top/build}}")
if [ "$(id -u)" -ne 0 ]; then echo "the demo needs root (namespaces, XDP, TUN)"; exit 1; fi
for b in rsipd rsipc rsipctl; do
	[ -x "$BUILD/$b" ] || { echo "no $BUILD/$b: make BUILD=$BUILD all"; exit 1; }
done
. "$top/tests/lab/lab.sh"
RSIPD=$BUILD/rsipd
lab_init demo
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "lab $LAB_ID: X1 $LAB_X1, X2 $LAB_X2 -- LAN -- N (Na $LAB_NA | Nb $LAB_NB1 $LAB_NB2) -- WAN -- Y $LAB_Y"
lab_up || exit 1
lab_rsipd_start || exit 1
tail -n 4 "$LAB_DIR/rsipd.log"

say "Y runs a UDP echo service on port 7"
lab_bg y "$LAB_DIR/echo.log" /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7))
while True:
    d, p = s.recvfrom(2048)
    s.sendto(d, p)'

say "X1: rsipc up --method rsap-ip --ports 2 (IP-IP); X2: rsipc up --method rsipsec --spis 4 --ike-port --tunnel gre"
mkdir -p "$LAB_DIR/x1" "$LAB_DIR/x2"
lab_bg x1 "$LAB_DIR/x1.log" "$BUILD/rsipc" --server "$LAB_NA" --state-dir "$LAB_DIR/x1" up \
	--method rsap-ip --ports 2
lab_bg x2 "$LAB_DIR/x2.log" "$BUILD/rsipc" --server "$LAB_NA" --transport udp \
	--state-dir "$LAB_DIR/x2" up --method rsipsec --spis 4 --ike-port --tunnel gre
for x in x1 x2; do
	lab_wait 15 lab_exec $x ip link show rsip0 || { cat "$LAB_DIR/$x.log"; exit 1; }
	echo "--- $x:"
	cat "$LAB_DIR/$x.log"
done

for x in x1 x2; do
	a=$(lab_exec $x ip -br addr show rsip0 | awk '{print $3}' | cut -d/ -f1)
	say "$x pings Y from $a, then sends UDP to Y:7"
	lab_exec $x ping -c 2 -W 2 -I "$a" "$LAB_Y" | grep -E "bytes from|packet loss"
	p=$("$BUILD/rsipc" --state-dir "$LAB_DIR/$x" --json status | /usr/bin/python3 -c \
		'import json,sys; print(json.load(sys.stdin)["ports"][0])' 2>/dev/null || echo 1024)
	lab_exec $x /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(3)
s.sendto(b"hello through the gateway", (sys.argv[3], 7))
print("echo from Y:", s.recv(2048).decode())' "$a" "$p" "$LAB_Y"
done

say "rsipctl status / clients / bindings"
lab_ctl status | sed -n 1,8p
lab_ctl clients
lab_ctl bindings
say "rsipctl counters (non-zero data-plane counters)"
lab_ctl counters | sed -n '/^dataplane:/,$p' | grep -vE ": 0$"
say "bpftool map dump pinned $LAB_PIN/rsip_ports (first entry)"
bpftool map dump pinned "$LAB_PIN/rsip_ports" | sed -n 1,25p

if [ -n "${DEMO_HOLD:-}" ]; then
	say "the lab stays up; press Enter to take it down"
	read -r _
fi
say "done: everything is removed on exit"
