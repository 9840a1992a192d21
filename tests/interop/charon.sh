# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
# strongSwan charons in network namespaces, for any lab that puts hosts
# behind an RSIP gateway and a public peer Y: the interop layer's lab
# (tests/interop/iop.sh) and the failover lab (tests/cluster/
# test_failover_ike.sh) both source this.
#
#   hosts:  rsipc up [--shared-ike] -- docs/examples/rsipc-strongswan.sh,
#           charon with kernel-libipsec (userspace ESP: this kernel has no
#           ESP module), the leased IKE/NAT-T ports and SPI block
#   Y:      a stock charon, road-warrior responder: virtual IPs from
#           10.9.0.0/24, its own inner address 10.2.0.1 on lo
#
# IMPL picks the strongSwan: bookworm = the host's 5.9.8 (UDP-encapsulated
# ESP only), trixie = 6.0.1 from the rootfs tests/interop/setup.sh builds
# (raw ESP). docs/strongswan.md is the recipe behind all of this.
#
# The lab that sources this provides, before calling anything below:
#   IOP_DIR                   work directory (NODE/charon/ under it)
#   IOP_SERVER, IOP_PEER      Na (rsipc's --server) and Y's address
#   IOP_NB                    a host's local_addrs unless the example script
#                             writes its swanctl.conf (IOP_GENERATED=1)
#   IOP_RSIPC                 the rsipc binary
#   iop_exec NODE CMD...      run CMD in NODE's namespace
#   iop_bg NODE LOG CMD...    the same in the background, stopped by the
#                             lab's cleanup; its pid in IOP_LAST_PID
#   iop_fail MSG              print what helps (iop_charon_logs) and exit 1
#   lab_wait                  (tests/lab/lab.sh)
# and calls iop_down_charons in its cleanup, before the namespaces go.
#
#   iop_y_start IMPL IKEV [EXTRA]   # Y's charon (EXTRA: lines for charon {})
#   iop_host_start x1 IMPL IKEV leased|shared [aggressive]
#   iop_wait_sa x1                  # CHILD_SA installed (else iop_fail)
#   iop_ping x1 COUNT INTERVAL      # prints the number of lost pings (from the first answer)
#   iop_first_answer x1 [SECS]      # true once one ping through the SA is answered
#   iop_swc NODE ARGS...            # swanctl against NODE's charon
#   iop_spis x1 ; iop_y_ike_id x1   # the host's SPIs, Y's IKE_SA unique id

IOP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IOP_ROOTFS=${RSIP_INTEROP_ROOTFS:-/var/cache/rsip-interop/trixie}
IOP_Y_INNER=10.2.0.1
IOP_POOL=10.9.0.0/24
IOP_PSK="rsip-interop-psk-0123456789abcdef"
IOP_SCRIPT=$IOP_TOP/docs/examples/rsipc-strongswan.sh
# IOP_INNER=vip (default): the hosts' inner addresses are virtual IPs from Y's
# pool. IOP_INNER=static: each host has its own inner address on lo
# (10.1.0.11, 10.1.0.12) and Y takes any in 10.1.0.0/24: strongSwan can then
# re-authenticate actively as the responder (with virtual IPs it only asks
# the initiator to, ike_sa.c reauth()).
IOP_STATIC_NET=10.1.0.0/24
# IOP_CHILD_PROPOSALS: the CHILD_SA proposals line of Y's and the hosts'
# swanctl.conf (default ESP aes128-sha256; test_ah.sh asks for AH).
# The hosts' connection: "host" from iop_host_swanctl, "rsip" when the
# example script writes it (IOP_GENERATED=1: its --peer mode).
IOP_HOST_CONN=host
declare -A IOP_RSIPC_PID=() # node -> rsipc up's pid (iop_host_start)
iop_static_addr() { echo "10.1.0.1${1#x}"; }

# The layer needs root, strongSwan 5.9.8 and the 6.0.1 rootfs: setup.sh
# installs them when anything is missing (the first test of a fresh machine
# pays for the debootstrap, about 3-4 minutes; the layer's per-test timeout
# in tests/layers.conf covers it). Missing pieces after that are a failure,
# not a skip: CI must run this layer.
iop_check() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root (namespaces, XDP, TUN)"; exit 77; }
	if ! { [ -x /usr/lib/ipsec/charon ] && [ -s "$IOP_ROOTFS.stamp" ] &&
		[ -f /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] &&
		command -v swanctl nft openssl tshark tcpdump debootstrap >/dev/null; }; then
		bash "$IOP_TOP/tests/interop/setup.sh" || { echo "FAIL: tests/interop/setup.sh"; exit 1; }
	fi
	[ -x /usr/lib/ipsec/charon ] || { echo "FAIL: no /usr/lib/ipsec/charon after setup.sh"; exit 1; }
}

iop_check_trixie() {
	[ -x "$IOP_ROOTFS/usr/lib/ipsec/charon" ] ||
		{ echo "FAIL: no strongSwan 6.0.1 rootfs at $IOP_ROOTFS: run tests/interop/setup.sh"; exit 1; }
}

iop_down_charons() {
	local n p i
	for n in "${IOP_NODES[@]}"; do
		p=$(cat "$IOP_DIR/$n/charon/run/charon.pid" 2>/dev/null) || continue
		kill -TERM "$p" 2>/dev/null
		for i in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
		rm -f "$IOP_DIR/$n/charon/run/charon.pid"
	done
}

# The charon command for IMPL: a private mount namespace per charon, so that
# /run (pid file) is its own: <dir of STRONGSWAN_CONF>/run. trixie runs from
# the rootfs through chroot, with /tmp (configs, logs, vici) and /dev (TUN)
# bound in.
iop_charon_cmd() {
	local impl=$1 f=$IOP_DIR/bin/charon-$1
	mkdir -p "$IOP_DIR/bin"
	if [ "$impl" = trixie ]; then
		cat >"$f" <<EOF
#!/bin/sh
d=\$(dirname "\$STRONGSWAN_CONF")
mkdir -p "\$d/run"
exec unshare --mount --propagation private sh -c "
  mount --bind \$d/run $IOP_ROOTFS/run && mount --bind /tmp $IOP_ROOTFS/tmp &&
  mount --bind /dev $IOP_ROOTFS/dev && mount -t proc proc $IOP_ROOTFS/proc &&
  exec chroot $IOP_ROOTFS /usr/bin/env STRONGSWAN_CONF=\$STRONGSWAN_CONF /usr/lib/ipsec/charon"
EOF
	else
		cat >"$f" <<EOF
#!/bin/sh
d=\$(dirname "\$STRONGSWAN_CONF")
mkdir -p "\$d/run"
exec unshare --mount --propagation private sh -c "mount --bind \$d/run /run && exec /usr/lib/ipsec/charon"
EOF
	fi
	chmod +x "$f"
	echo "$f"
}

iop_swc() {
	local n=$1
	shift
	STRONGSWAN_CONF=$IOP_DIR/$n/charon/strongswan.conf timeout 30 swanctl "$@"
}

# iop_write_strongswan_conf DIR IMPL [EXTRA]: DIR/strongswan.conf for a
# charon with kernel-libipsec (docs/strongswan.md), log in DIR/charon.log.
iop_write_strongswan_conf() {
	local d=$1 raw=no extra=${3:-}
	[ "$2" = trixie ] && raw=yes
	mkdir -p "$d/run"
	cat >"$d/strongswan.conf" <<EOF
charon {
    load_modular = no
    load = random nonce openssl pem pkcs1 x509 pubkey revocation constraints kdf hmac sha1 sha2 aes gcm gmp curve25519 attr kernel-libipsec kernel-netlink socket-default vici updown
    retransmit_tries = 3
    retransmit_timeout = 1.0
    retransmit_base = 1.5
    $extra
    filelog {
        main {
            path = $d/charon.log
            time_format = %H:%M:%S
            time_add_ms = yes
            ike_name = yes
            default = 1
            ike = 2
            net = 2
            cfg = 2
            flush_line = yes
        }
    }
    plugins {
        vici {
            socket = unix://$d/charon.vici
        }
        kernel-libipsec {
            raw_esp = $raw
        }
    }
}
swanctl {
    plugins {
        vici {
            socket = unix://$d/charon.vici
        }
    }
}
EOF
}

# iop_start_charon NODE IMPL: charon of NODE from $IOP_DIR/NODE/charon, its
# swanctl.conf loaded.
iop_start_charon() {
	local n=$1 d=$IOP_DIR/$1/charon cmd
	cmd=$(iop_charon_cmd "$2")
	rm -f "$d/charon.vici"
	iop_bg "$n" "$d/charon.stdout" env STRONGSWAN_CONF="$d/strongswan.conf" "$cmd"
	lab_wait 10 test -S "$d/charon.vici" || iop_fail "$n's charon did not start"
	iop_swc "$n" --load-all --file "$d/swanctl.conf" >"$d/load.out" 2>&1 ||
		{ cat "$d/load.out"; iop_fail "$n: swanctl --load-all failed"; }
}

# iop_y_start IMPL IKEV [EXTRA]: Y's charon, a road-warrior responder.
iop_y_start() {
	local impl=$1 ikev=$2 extra=${3:-} d=$IOP_DIR/y/charon
	local ypools="pools = rw" yremote_ts=""
	if [ "${IOP_INNER:-vip}" = static ]; then
		ypools=""
		yremote_ts="remote_ts = $IOP_STATIC_NET"
	fi
	IOP_NODES+=(y)
	iop_write_strongswan_conf "$d" "$impl" "$extra"
	cat >"$d/swanctl.conf" <<EOF
connections {
    rw {
        version = $ikev
        local_addrs = $IOP_PEER
        $ypools
        proposals = aes128-sha256-modp2048
        mobike = no
        ${IOP_Y_CONN_EXTRA:-}
        local {
            auth = ${IOP_AUTH:-psk}
            id = y.rsip.test
            ${IOP_Y_LOCAL_EXTRA:-}
        }
        remote {
            auth = ${IOP_AUTH:-psk}
        }
        children {
            net {
                local_ts = $IOP_Y_INNER/32
                $yremote_ts
                ${IOP_CHILD_PROPOSALS:-esp_proposals = aes128-sha256}
                mode = tunnel
            }
        }
    }
}
pools {
    rw {
        addrs = $IOP_POOL
    }
}
secrets {
    ike-any {
        secret = "$IOP_PSK"
    }
}
EOF
	iop_start_charon y "$impl"
}

# iop_host_start NODE IMPL IKEV leased|shared [aggressive]: rsipc up on NODE
# running the example script, which starts charon and initiates.
iop_host_start() {
	local n=$1 impl=$2 ikev=$3 ports=$4 aggr=no d=$IOP_DIR/$1 cmd opt=()
	[ "${5:-}" = aggressive ] && aggr=yes
	# rsipc leases the IKE ports by default (RFC 3104 6.1)
	[ "$ports" = shared ] && opt=(--shared-ike)
	# IOP_DATAPATH: rsipc's --datapath (default: rsipc's own, auto)
	[ -n "${IOP_DATAPATH:-}" ] && opt+=(--datapath "$IOP_DATAPATH")
	mkdir -p "$d/charon" "$d/state"
	IOP_NODES+=("$n")
	local args=("$d/swanctl.conf" host net)
	if [ "${IOP_GENERATED:-0}" = 1 ]; then
		IOP_HOST_CONN=rsip
		echo "$IOP_PSK" >"$d/psk"
		args=(--peer "$IOP_PEER" --id "$n.rsip.test" --peer-id y.rsip.test
			--remote-ts "$IOP_Y_INNER/32" --psk-file "$d/psk" --ikev "$ikev")
	else
		iop_host_swanctl "$n" "$ikev" "$aggr" >"$d/swanctl.conf"
	fi
	cmd=$(iop_charon_cmd "$impl")
	iop_bg "$n" "$d/rsipc.log" env RSIPC_LIBIPSEC=yes RSIPC_CHARON="$cmd" \
		RSIPC_CHARON_DIR="$d/charon" \
		"$IOP_RSIPC" --server "$IOP_SERVER" --state-dir "$d/state" up "${opt[@]}" -- \
		"$IOP_SCRIPT" "${args[@]}"
	IOP_RSIPC_PID[$n]=$IOP_LAST_PID
}

# iop_host_swanctl NODE IKEV AGGRESSIVE(yes|no): the host's swanctl.conf
# (stdout); local_addrs = IOP_HOST_ADDR (default Nb).
iop_host_swanctl() {
	local n=$1 ikev=$2 aggr=$3
	local hvips="vips = 0.0.0.0" hlocal_ts="" hcerts=""
	[ "${IOP_AUTH:-psk}" = pubkey ] && hcerts="certs = $n.pem"
	if [ "${IOP_INNER:-vip}" = static ]; then
		hvips=""
		hlocal_ts="local_ts = $(iop_static_addr "$n")/32"
		iop_exec "$n" ip addr add "$(iop_static_addr "$n")/32" dev lo
	fi
	cat <<EOF
connections {
    host {
        version = $ikev
        local_addrs = ${IOP_HOST_ADDR:-$IOP_NB}
        remote_addrs = $IOP_PEER
        $hvips
        proposals = aes128-sha256-modp2048
        mobike = no
        aggressive = $aggr
        ${IOP_HOST_CONN_EXTRA:-}
        local {
            auth = ${IOP_AUTH:-psk}
            id = $n.rsip.test
            $hcerts
        }
        remote {
            auth = ${IOP_AUTH:-psk}
            id = y.rsip.test
        }
        children {
            net {
                remote_ts = $IOP_Y_INNER/32
                $hlocal_ts
                ${IOP_CHILD_PROPOSALS:-esp_proposals = aes128-sha256}
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
EOF
}

iop_sa_installed() {
	iop_swc "$1" --list-sas --ike "$IOP_HOST_CONN" 2>/dev/null | grep -q "INSTALLED"
}

# iop_wait_sa NODE [SECONDS]: wall-clock bounded; gives up at once when the
# host's rsipc (and with it the script and charon) is gone.
iop_wait_sa() {
	local end=$((SECONDS + ${2:-40}))
	until iop_sa_installed "$1"; do
		[ $SECONDS -lt $end ] || iop_fail "$1: no CHILD_SA installed after ${2:-40} s"
		[ -z "${IOP_RSIPC_PID[$1]:-}" ] || kill -0 "${IOP_RSIPC_PID[$1]}" 2>/dev/null ||
			iop_fail "$1: rsipc (and the example script) exited"
		sleep 0.2
	done
	echo "ok: $1: $(iop_swc "$1" --list-sas --ike "$IOP_HOST_CONN" | grep -E "ESTABLISHED|INSTALLED|===" |
		tr -s ' ' | tr '\n' ';')"
}

# iop_ping NODE COUNT INTERVAL: pings Y's inner address through the CHILD_SA,
# prints the number lost; counted from the first answered ping
# (iop_first_answer; none in 20 s: all COUNT lost).
iop_ping() {
	local n=$1 count=$2 ival=$3 out rx
	iop_first_answer "$n" || { echo "$count"; return; }
	out=$(iop_exec "$n" ping -n -q -c "$count" -i "$ival" -W 1 "$IOP_Y_INNER" 2>&1)
	rx=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	echo $((count - ${rx:-0}))
}

# iop_first_answer NODE [SECS]: true once a ping through NODE's CHILD_SA is
# answered (SECS of wall clock, 20 by default). An installed SA can take a
# moment to carry its first packet (kernel-libipsec's TUN route, neighbour
# resolution; longer on a loaded machine): the tests count their pings from
# there, so they check that the SA carries traffic, not how fast it starts.
iop_first_answer() {
	local end=$((SECONDS + ${2:-20}))
	until iop_exec "$1" ping -n -q -c 1 -W 0.5 "$IOP_Y_INNER" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
	done
}

# iop_y_ike_id NODE: the unique id of Y's IKE_SA with NODE.
iop_y_ike_id() {
	iop_swc y --list-sas | awk -v id="'$1.rsip.test'" '
		/^[^ ].*: #[0-9]+,/ { n = $2; gsub(/[#,]/, "", n) }
		$1 == "remote" && $2 == id { print n; exit }'
}

# iop_spis NODE: the host's IKE SPIs and CHILD_SA SPIs, one line (changes
# with every rekey).
iop_spis() {
	iop_swc "$1" --list-sas --ike "$IOP_HOST_CONN" | awk '
		/ESTABLISHED/ { printf "ike %s %s ", $5, $6 }
		$1 == "in" || $1 == "out" { printf "%s %s ", $1, $2 }'
}

# iop_charon_logs: the last lines of every charon's log and of each host's
# rsipc (for iop_fail).
iop_charon_logs() {
	local n f
	for n in "${IOP_NODES[@]}"; do
		for f in "$IOP_DIR/$n/charon/charon.log" "$IOP_DIR/$n/charon.log"; do
			[ -f "$f" ] || continue
			echo "---- charon log of $n ($f), last 40 lines"
			tail -n 40 "$f"
		done
		[ -f "$IOP_DIR/$n/rsipc.log" ] && { echo "---- rsipc of $n"; tail -n 15 "$IOP_DIR/$n/rsipc.log"; }
	done
}
