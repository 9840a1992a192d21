#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The glue of docs/examples/rsipc-strongswan.sh, run by rsipc up as its
# command, with stand-ins for charon and swanctl (strongSwan itself is not
# installed on the test machine, so this checks the script, not strongSwan):
#  - the strongswan.conf it writes carries the leased IKE and NAT-T ports and
#    SPI window (charon.port, port_nat_t, spi_min, spi_max) and the vici
#    socket it waits for;
#  - it loads the swanctl config and initiates the named IKE/CHILD SA;
#  - `rsipc down` stops charon (SIGTERM through the script), then releases.
. "$(dirname "$0")/rsipc_lab.sh"

SCRIPT=$LAB_DIR/../../docs/examples/rsipc-strongswan.sh
[ -x "$SCRIPT" ] || fail "no $SCRIPT"
lab_up --lease 60

mkdir -p "$TMP/bin" "$TMP/charon"
# Stand-in charon: open the vici socket named in STRONGSWAN_CONF, keep a copy
# of the config, exit 0 on SIGTERM and say so.
cat >"$TMP/bin/fake-charon" <<EOF
#!$PY
import os, re, signal, socket, sys, time
conf = open(os.environ["STRONGSWAN_CONF"]).read()
open("$TMP/charon.conf", "w").write(conf)
path = re.search(r"socket = unix://(\S+)", conf).group(1)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
def stop(*a):
    open("$TMP/charon.stopped", "w").write("SIGTERM\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    time.sleep(1)
EOF
# Stand-in swanctl: record each call.
cat >"$TMP/bin/swanctl" <<EOF
#!/bin/sh
echo "\$*" >>"$TMP/swanctl.calls"
EOF
chmod +x "$TMP/bin/fake-charon" "$TMP/bin/swanctl"
echo "# swanctl.conf stand-in" >"$TMP/swanctl.conf"

PATH="$TMP/bin:$PATH" RSIPC_CHARON="$TMP/bin/fake-charon" RSIPC_CHARON_DIR="$TMP/charon" \
	rsipc_start --ike-port --json -- "$SCRIPT" "$TMP/swanctl.conf" rsip-peer net
lease=$(cat "$TMP/rsipc.out")
ike=$(echo "$lease" | json_get 'd["ike_port"]')
natt=$(echo "$lease" | json_get 'd["natt_port"]')
min=$(echo "$lease" | json_get 'd["spi_min"]')
max=$(echo "$lease" | json_get 'd["spi_max"]')

initiated() { grep -q -- "--initiate" "$TMP/swanctl.calls" 2>/dev/null; }
wait_until 15 initiated || fail "the script never initiated (swanctl calls: $(cat "$TMP/swanctl.calls" 2>/dev/null))"
conf=$(cat "$TMP/charon.conf")
echo "$conf" | grep -q "^ *port = $ike$" || fail "charon.port is not the IKE port $ike"
echo "$conf" | grep -q "^ *port_nat_t = $natt$" || fail "charon.port_nat_t is not $natt"
echo "$conf" | grep -q "^ *spi_min = $min$" || fail "charon.spi_min is not $min"
echo "$conf" | grep -q "^ *spi_max = $max$" || fail "charon.spi_max is not $max"
ok "strongswan.conf: port $ike, port_nat_t $natt, spi_min $min, spi_max $max"
grep -q -- "--load-all --file $TMP/swanctl.conf" "$TMP/swanctl.calls" || fail "config not loaded"
grep -q -- "--initiate --ike rsip-peer --child net" "$TMP/swanctl.calls" || fail "wrong initiate"
ok "swanctl: $(tr '\n' ';' <"$TMP/swanctl.calls")"

in_cl "$BUILD/rsipc" --state-dir "$TMP/state" down >/dev/null || fail "down"
rsipc_wait_exit 15
[ "$RSIPC_RC" = 0 ] || fail "rsipc exited $RSIPC_RC after down"
[ -e "$TMP/charon.stopped" ] || fail "charon was not stopped with SIGTERM"
[ "$(gw_bindings)" = 0 ] || fail "not released"
ok "rsipc down: charon got SIGTERM through the script, the lease was released"

no_sanitizer_reports "$TMP/rsipc.err"
echo "PASS"
