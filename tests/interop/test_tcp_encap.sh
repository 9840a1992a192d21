#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# TCP encapsulation (RFC 8229 / draft rfc8229bis) through the gateway, as a
# stream test (strongSwan has none): a host connects from its leased IKE port
# on Nb to Y:4500, sends "IKETCP", then 10,000 length-framed IKE (non-ESP
# marker) and ESP messages; Y checks and echoes each, the host checks every
# echo byte for byte. Then a connection from Y to a port nobody leased on Nb
# must not reach any host, and the gateway counts it.
. "$(dirname "$0")/iop.sh"
iop_up tcp
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$LAB_DIR/x1/state"
lab_bg x1 "$LAB_DIR/x1/rsipc.log" "$IOP_RSIPC" --server "$LAB_NA" --state-dir "$LAB_DIR/x1/state" \
	up --json
# The lease as one JSON line (wait for the whole line: rsipc may still be
# writing it when its control socket appears).
ike_port() {
	head -n1 "$LAB_DIR/x1/rsipc.log" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ike_port"])' 2>/dev/null
}
lab_wait 15 ike_port || iop_fail "rsipc did not print its lease: $(cat "$LAB_DIR/x1/rsipc.log")"
port=$(ike_port)
[ -n "$port" ] && [ "$port" != None ] || iop_fail "no IKE port leased: $(cat "$LAB_DIR/x1/rsipc.log")"
echo "x1 leased $LAB_NB1 port $port"

lab_bg y "$LAB_DIR/server.log" /usr/bin/python3 "$here/tcpencap.py" server 4500
srv=$LAB_LAST_PID
lab_wait 5 grep -q listening "$LAB_DIR/server.log" || iop_fail "Y's server did not start"
lab_exec x1 /usr/bin/python3 "$here/tcpencap.py" client "$LAB_NB1" "$port" "$LAB_Y" 4500 10000 \
	>"$LAB_DIR/client.log" 2>&1 || { cat "$LAB_DIR/client.log" "$LAB_DIR/server.log"; iop_fail "stream test"; }
wait "$srv" 2>/dev/null
cat "$LAB_DIR/client.log"
grep "^server:" "$LAB_DIR/server.log" || iop_fail "Y's server did not finish: $(cat "$LAB_DIR/server.log")"
grep -q "^server: 10000 frames .* from $LAB_NB1:$port$" "$LAB_DIR/server.log" ||
	iop_fail "Y did not see 10000 frames from $LAB_NB1:$port"

# A port nobody leased: nothing reaches a host. The WAN program hands it to
# N's own stack (wan_pass_local: unleased ports on Nb are N's), which
# refuses it; no host's tunnel carries it.
ctr() { lab_ctl --json counters | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['dataplane'].get('$1', 0))"; }
tx0=$(ctr wan_tx_port) loc0=$(ctr wan_pass_local)
rx0=$(lab_exec x1 cat /sys/class/net/rsip0/statistics/rx_packets)
out=$(lab_exec y /usr/bin/python3 -c '
import socket, sys
s = socket.socket()
s.settimeout(3)
try:
    s.connect((sys.argv[1], 7777)); print("connected")
except OSError as e:
    print("refused: %s" % e)' "$LAB_NB1")
tx1=$(ctr wan_tx_port) loc1=$(ctr wan_pass_local)
rx1=$(lab_exec x1 cat /sys/class/net/rsip0/statistics/rx_packets)
echo "Y -> $LAB_NB1:7777 (nobody's): $out; wan_tx_port $tx0 -> $tx1, wan_pass_local $loc0 -> $loc1, x1 rsip0 rx $rx0 -> $rx1"
case $out in refused*) ;; *) iop_fail "a connection to an unleased port succeeded" ;; esac
[ "$tx1" = "$tx0" ] || iop_fail "the gateway forwarded a packet for an unleased port"
[ "$loc1" -gt "$loc0" ] || iop_fail "the gateway did not count the unleased port"
[ "$rx1" = "$rx0" ] || iop_fail "x1 received something"
echo PASS
