#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Incoming IKE (RFC 3104 Appendix G), strongSwan 5.9.8 on both sides: X1
# runs `rsipc up --listen PORT` and charon as a responder on Nb:PORT
# (docs/examples/rsipc-strongswan.sh with RSIPC_IKE_LISTEN=PORT); stock Y
# initiates an IKE_SA towards Nb:PORT (remote_port = PORT). Y floats to
# Nb:4500 after IKE_SA_INIT (its port is 500; 5.9.8's kernel-libipsec fakes
# a NAT), so the gateway must know X1's SPI there: it learns it from X1's
# IKE_SA_INIT answer on the leased port (rules/lan.h, lan_ike_leased).
# IOP_Y_IMPL=trixie: Y on 6.0.1, which sends even IKE_SA_INIT to Nb:4500
# (docs/interop.md): fails, kept as a knob to look at it.
. "$(dirname "$0")/iop.sh"
iop_up inike
IOP_INNER=static
PORT=7500
inner=$(iop_static_addr x1)

# Y: an initiator towards Nb:PORT, selectors Y's inner <=> X1's inner.
d=$LAB_DIR/y/charon
IOP_NODES+=(y)
iop_write_strongswan_conf "$d" "${IOP_Y_IMPL:-bookworm}"
cat >"$d/swanctl.conf" <<CONF
connections {
    in {
        version = 2
        local_addrs = $LAB_Y
        remote_addrs = $LAB_NB1
        remote_port = $PORT
        proposals = aes128-sha256-modp2048
        mobike = no
        local {
            auth = psk
            id = y.rsip.test
        }
        remote {
            auth = psk
            id = x1.rsip.test
        }
        children {
            net {
                local_ts = $IOP_Y_INNER/32
                remote_ts = $inner/32
                esp_proposals = aes128-sha256
                mode = tunnel
            }
        }
    }
}
secrets {
    ike-any {
        secret = "$IOP_PSK"
    }
}
CONF
iop_start_charon y "${IOP_Y_IMPL:-bookworm}"

# X1: rsipc up --listen PORT, the example script with the host's
# swanctl.conf loaded and nothing initiated (no IKE/CHILD names).
n=x1
hd=$LAB_DIR/$n
mkdir -p "$hd/charon" "$hd/state"
IOP_NODES+=("$n")
iop_host_swanctl "$n" 2 no >"$hd/swanctl.conf"
cmd=$(iop_charon_cmd bookworm)
lab_bg "$n" "$hd/rsipc.log" env RSIPC_LIBIPSEC=yes RSIPC_CHARON="$cmd" \
	RSIPC_CHARON_DIR="$hd/charon" RSIPC_IKE_LISTEN=$PORT \
	"$IOP_RSIPC" --server "$LAB_NA" --state-dir "$hd/state" up --listen $PORT -- \
	"$IOP_SCRIPT" "$hd/swanctl.conf"
IOP_RSIPC_PID[$n]=$LAB_LAST_PID
lab_wait 20 test -S "$hd/charon/charon.vici" || iop_fail "x1's charon did not start"
lab_wait 10 grep -q "listening on .*:$PORT" "$hd/rsipc.log" || iop_fail "x1: no LISTEN binding for $PORT"
lab_wait 10 iop_swc x1 --list-conns || iop_fail "x1: no connection loaded"
sleep 0.5

iop_swc y --initiate --ike in --child net --timeout 20 >"$LAB_DIR/initiate.out" 2>&1 ||
	{ cat "$LAB_DIR/initiate.out"; iop_fail "Y: the IKE_SA towards Nb:$PORT failed"; }
iop_wait_sa x1 20
# Y started it: X1 is the responder of its IKE_SA ("_r*").
iop_swc x1 --list-sas --ike "$IOP_HOST_CONN" | grep -q "ESTABLISHED, IKEv2, [0-9a-f]*_i [0-9a-f]*_r\*" ||
	iop_fail "x1: no IKE_SA that Y initiated"
n_init=$(iop_capture "udp and dst host $LAB_NB1 and dst port $PORT")
n_natt=$(iop_capture "udp and dst host $LAB_NB1 and dst port 4500")
echo "ok: Y -> Nb:$PORT: $n_init packets (IKE_SA_INIT), Y -> Nb:4500: $n_natt (IKE_AUTH on, ESP)"
[ "$n_init" -ge 1 ] || iop_fail "nothing from Y to Nb:$PORT"
lost=$(iop_ping x1 20 0.1)
[ "$lost" = 0 ] || iop_fail "x1: $lost of 20 pings lost"
echo "ok: x1: 20/20 pings to $IOP_Y_INNER through the CHILD_SA Y started"
c=$(iop_counters)
echo "gateway: $c"
case " $c " in *" wan_drop_no_cookie="*) iop_fail "the gateway dropped IKE with an unknown cookie" ;; esac
echo PASS
