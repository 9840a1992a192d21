#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The glue of docs/examples/rsipc-strongswan.sh, run by rsipc up as its
# command, with stand-ins for charon and swanctl (strongSwan itself is not
# installed on the test machine, so this checks the script, not strongSwan):
#  - the strongswan.conf it writes carries the leased IKE and NAT-T ports and
#    SPI window (charon.port, port_nat_t, spi_min, spi_max) and the vici
#    socket it waits for;
#  - it loads the swanctl config and initiates the named IKE/CHILD SA;
#  - `rsipc down` stops charon (SIGTERM through the script), then releases;
#  - --peer mode writes a swanctl.conf for several hosts behind one Nb
#    (virtual IP, local_addrs = Nb, mobike = no), and a failed initiate stops
#    charon before the script exits (rsipc then releases and exits 1).
# tests/interop/ runs the same script with real charons.
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
# Stand-in swanctl: record each call; --initiate fails once $TMP/fail exists.
cat >"$TMP/bin/swanctl" <<EOF
#!/bin/sh
echo "\$*" >>"$TMP/swanctl.calls"
case "\$*" in *--initiate*) [ ! -e "$TMP/fail" ] ;; esac
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

# --peer mode, and an initiate that fails: charon must not outlive the script.
rm -f "$TMP/charon.stopped" "$TMP/swanctl.calls"
touch "$TMP/fail"
echo "psk-for-the-test" >"$TMP/psk"
PATH="$TMP/bin:$PATH" RSIPC_CHARON="$TMP/bin/fake-charon" RSIPC_CHARON_DIR="$TMP/charon" \
	rsipc_start --json -- "$SCRIPT" --peer 198.51.100.5 --id x.example --peer-id y.example \
	--remote-ts 10.2.0.0/24 --psk-file "$TMP/psk"
nb=$(json_get 'd["address"]' <"$TMP/rsipc.out")
rsipc_wait_exit 20
[ "$RSIPC_RC" = 1 ] || fail "rsipc exited $RSIPC_RC after the failed initiate (want the script's 1)"
[ -e "$TMP/charon.stopped" ] || fail "charon outlived the script after a failed initiate"
[ "$(gw_bindings)" = 0 ] || fail "not released after the script failed"
gen=$TMP/charon/swanctl.conf
for want in "local_addrs = $nb" "remote_addrs = 198.51.100.5" "vips = 0.0.0.0" "mobike = no" \
	"id = x.example" "id = y.example" "remote_ts = 10.2.0.0/24" 'secret = "psk-for-the-test"'; do
	grep -qF -- "$want" "$gen" || fail "generated swanctl.conf lacks '$want'"
done
grep -q -- "--initiate --ike rsip --child net" "$TMP/swanctl.calls" || fail "--peer mode did not initiate rsip/net"
ok "--peer: swanctl.conf with a virtual IP for $nb; failed initiate: charon stopped, lease released, exit 1"

# RSIPC_IKE_LISTEN (incoming IKE): a bad value stops the script before
# charon starts (exit 2, lease released); a port: charon on it and on 4500,
# nothing initiated.
rm -f "$TMP/fail" "$TMP/swanctl.calls" "$TMP/charon.conf" "$TMP/charon.stopped"
PATH="$TMP/bin:$PATH" RSIPC_CHARON="$TMP/bin/fake-charon" RSIPC_CHARON_DIR="$TMP/charon" \
	RSIPC_IKE_LISTEN=75x0 rsipc_start --json -- "$SCRIPT" "$TMP/swanctl.conf"
rsipc_wait_exit 20
[ "$RSIPC_RC" = 2 ] || fail "rsipc exited $RSIPC_RC with RSIPC_IKE_LISTEN=75x0 (want the script's 2)"
[ ! -e "$TMP/charon.conf" ] || fail "charon started with RSIPC_IKE_LISTEN=75x0"
[ "$(gw_bindings)" = 0 ] || fail "not released after a bad RSIPC_IKE_LISTEN"
PATH="$TMP/bin:$PATH" RSIPC_CHARON="$TMP/bin/fake-charon" RSIPC_CHARON_DIR="$TMP/charon" \
	RSIPC_IKE_LISTEN=7500 rsipc_start --listen 7500 --json -- "$SCRIPT" "$TMP/swanctl.conf"
loaded() { grep -q -- "--load-all" "$TMP/swanctl.calls" 2>/dev/null; }
wait_until 15 loaded || fail "RSIPC_IKE_LISTEN: the config was not loaded"
grep -q "^ *port = 7500$" "$TMP/charon.conf" || fail "RSIPC_IKE_LISTEN=7500: charon.port is not 7500"
grep -q "^ *port_nat_t = 4500$" "$TMP/charon.conf" || fail "RSIPC_IKE_LISTEN: port_nat_t is not 4500"
! grep -q -- "--initiate" "$TMP/swanctl.calls" || fail "RSIPC_IKE_LISTEN without names initiated"
in_cl "$BUILD/rsipc" --state-dir "$TMP/state" down >/dev/null || fail "down"
rsipc_wait_exit 15
[ -e "$TMP/charon.stopped" ] || fail "charon was not stopped with SIGTERM"
ok "RSIPC_IKE_LISTEN: 75x0 refused before charon (exit 2); 7500: port 7500, port_nat_t 4500, no initiate"

no_sanitizer_reports "$TMP/rsipc.err"
echo "PASS"
