# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
# Helpers of the interop layer: real strongSwan charons through the real
# gateway (rsipd + XDP) in the lab of tests/lab/lab.sh.
#
#   X1, X2: rsipc up [--ike-port] -- docs/examples/rsipc-strongswan.sh, both
#           on the one Nb 192.0.2.10 (LAB_PUBLIC = Nb1), charon with
#           kernel-libipsec (userspace ESP: this kernel has no ESP module)
#   Y:      a stock charon, road-warrior responder: virtual IPs from
#           10.9.0.0/24, its own inner address 10.2.0.1 on lo
#
# Each host's CHILD_SA is VIP/32 <=> 10.2.0.1/32: with one Nb for both hosts,
# selectors naming Nb would make Y put both hosts into one CHILD_SA.
#
# IMPL picks the strongSwan: bookworm = the host's 5.9.8 (UDP-encapsulated
# ESP only), trixie = 6.0.1 from the rootfs tests/interop/setup.sh builds
# (raw ESP). docs/strongswan.md is the recipe behind all of this.
#
# Usage:
#   . tests/interop/iop.sh
#   iop_up TAG                      # lab + rsipd + capture on Y
#   iop_y_start IMPL IKEV [EXTRA]   # Y's charon (EXTRA: lines for charon {})
#   iop_host_start x1 IMPL IKEV leased|shared [aggressive]
#   iop_wait_sa x1                  # CHILD_SA installed (else iop_fail)
#   iop_ping x1 COUNT INTERVAL      # prints the number of lost pings
#   iop_swc NODE ARGS...            # swanctl against NODE's charon
#   iop_fail MSG                    # logs, counters, capture; exit 1

IOP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$IOP_TOP/tests/lab/lab.sh"

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

iop_up() {
	iop_check
	[ "${IOP_IMPL:-bookworm}" = trixie ] && iop_check_trixie
	LAB_PUBLIC=$LAB_NB1 # both hosts share one Nb
	lab_init "${1:-iop}"
	trap "iop_down" EXIT
	lab_up || exit 1
	# The lab forwards like a real network: GRO on at every hop (lab_gro).
	lab_exec y ip addr add $IOP_Y_INNER/32 dev lo
	IOP_RSIPC=$BUILD/asan/rsipc
	[ -x "$IOP_RSIPC" ] || IOP_RSIPC=$BUILD/rsipc
	IOP_NODES=()
	if [ "${IOP_GATEWAY:-rsip}" = nat ]; then
		# The comparison: N as a plain NAT (nftables masquerade), no rsipd.
		ip netns exec "$LAB_NS_N" nft -f - <<-EOF || exit 1
			table ip iopnat {
				chain post {
					type nat hook postrouting priority srcnat;
					oifname "wan0" masquerade
				}
			}
		EOF
		for i in x1 x2; do lab_exec $i ip route add default via $LAB_NA; done
	else
		lab_rsipd_start || exit 1
	fi
	lab_bg y "$LAB_DIR/tcpdump.log" tcpdump -i eth0 -n -U --immediate-mode -s 256 \
		-w "$LAB_DIR/y.pcap" 'not arp'
	lab_wait 5 grep -q "listening on" "$LAB_DIR/tcpdump.log"
}

# Stop the charons first (through their pid files: the wrappers exec them),
# then rsipc and the lab.
iop_down() {
	iop_down_charons
	lab_down
}

iop_down_charons() {
	local n p i
	for n in "${IOP_NODES[@]}"; do
		p=$(cat "$LAB_DIR/$n/charon/run/charon.pid" 2>/dev/null) || continue
		kill -TERM "$p" 2>/dev/null
		for i in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
		rm -f "$LAB_DIR/$n/charon/run/charon.pid"
	done
}

# The charon command for IMPL: a private mount namespace per charon, so that
# /run (pid file) is its own: <dir of STRONGSWAN_CONF>/run. trixie runs from
# the rootfs through chroot, with /tmp (configs, logs, vici) and /dev (TUN)
# bound in.
iop_charon_cmd() {
	local impl=$1 f=$LAB_DIR/bin/charon-$1
	mkdir -p "$LAB_DIR/bin"
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
	STRONGSWAN_CONF=$LAB_DIR/$n/charon/strongswan.conf timeout 30 swanctl "$@"
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

# iop_start_charon NODE IMPL: charon of NODE from $LAB_DIR/NODE/charon, its
# swanctl.conf loaded.
iop_start_charon() {
	local n=$1 d=$LAB_DIR/$1/charon cmd
	cmd=$(iop_charon_cmd "$2")
	rm -f "$d/charon.vici"
	lab_bg "$n" "$d/charon.stdout" env STRONGSWAN_CONF="$d/strongswan.conf" "$cmd"
	lab_wait 10 test -S "$d/charon.vici" || iop_fail "$n's charon did not start"
	iop_swc "$n" --load-all --file "$d/swanctl.conf" >"$d/load.out" 2>&1 ||
		{ cat "$d/load.out"; iop_fail "$n: swanctl --load-all failed"; }
}

# iop_y_start IMPL IKEV [EXTRA]: Y's charon, a road-warrior responder.
iop_y_start() {
	local impl=$1 ikev=$2 extra=${3:-} d=$LAB_DIR/y/charon
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
        local_addrs = $LAB_Y
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
	local n=$1 impl=$2 ikev=$3 ports=$4 aggr=no d=$LAB_DIR/$1 cmd opt=()
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
		args=(--peer "$LAB_Y" --id "$n.rsip.test" --peer-id y.rsip.test
			--remote-ts "$IOP_Y_INNER/32" --psk-file "$d/psk" --ikev "$ikev")
	else
		iop_host_swanctl "$n" "$ikev" "$aggr" >"$d/swanctl.conf"
	fi
	cmd=$(iop_charon_cmd "$impl")
	lab_bg "$n" "$d/rsipc.log" env RSIPC_LIBIPSEC=yes RSIPC_CHARON="$cmd" \
		RSIPC_CHARON_DIR="$d/charon" \
		"$IOP_RSIPC" --server "$LAB_NA" --state-dir "$d/state" up "${opt[@]}" -- \
		"$IOP_SCRIPT" "${args[@]}"
	IOP_RSIPC_PID[$n]=$LAB_LAST_PID
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
		lab_exec "$n" ip addr add "$(iop_static_addr "$n")/32" dev lo
	fi
	cat <<EOF
connections {
    host {
        version = $ikev
        local_addrs = ${IOP_HOST_ADDR:-$LAB_NB1}
        remote_addrs = $LAB_Y
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

# iop_nat_host_start NODE IMPL IKEV: the same host config behind the NAT:
# charon started directly, IKE from the host's LAN address, initiated.
iop_nat_host_start() {
	local n=$1 impl=$2 ikev=$3 d=$LAB_DIR/$1/charon addr
	IOP_NODES+=("$n")
	addr=$LAB_X1
	[ "$n" = x2 ] && addr=$LAB_X2
	iop_write_strongswan_conf "$d" "$impl"
	IOP_HOST_ADDR=$addr iop_host_swanctl "$n" "$ikev" no >"$d/swanctl.conf"
	iop_start_charon "$n" "$impl"
	iop_swc "$n" --initiate --ike "$IOP_HOST_CONN" --child net --timeout 20 >"$d/initiate.out" 2>&1 &
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
# prints the number lost.
iop_ping() {
	local n=$1 count=$2 ival=$3 out rx
	out=$(lab_exec "$n" ping -n -q -c "$count" -i "$ival" -W 1 "$IOP_Y_INNER" 2>&1)
	rx=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	echo $((count - ${rx:-0}))
}

iop_counters() {
	lab_ctl --json counters 2>/dev/null | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)["dataplane"]
print(" ".join("%s=%s" % (k, v) for k, v in sorted(d.items()) if v))'
}

iop_fail() {
	local n f
	echo "FAIL: $*"
	for n in "${IOP_NODES[@]}"; do
		for f in "$LAB_DIR/$n/charon/charon.log" "$LAB_DIR/$n/charon.log"; do
			[ -f "$f" ] || continue
			echo "---- charon log of $n ($f), last 40 lines"
			tail -n 40 "$f"
		done
		[ -f "$LAB_DIR/$n/rsipc.log" ] && { echo "---- rsipc of $n"; tail -n 15 "$LAB_DIR/$n/rsipc.log"; }
	done
	if [ "${IOP_GATEWAY:-rsip}" != nat ]; then
		echo "---- rsipd log, last 15 lines"
		tail -n 15 "$LAB_DIR/rsipd.log"
		echo "---- gateway counters: $(iop_counters)"
	fi
	echo "---- capture on Y's eth0, last 30 packets"
	tcpdump -n -r "$LAB_DIR/y.pcap" 2>/dev/null | tail -n 30
	exit 1
}

# iop_two_hosts IMPL IKEV leased|shared [aggressive]: Y and both hosts up,
# both CHILD_SAs installed, 10 pings from each host through its own SA.
iop_two_hosts() {
	local x lost
	iop_y_start "$1" "$2" "${IOP_Y_EXTRA:-}"
	for x in x1 x2; do iop_host_start $x "$@"; done
	for x in x1 x2; do iop_wait_sa $x; done
	for x in x1 x2; do
		lost=$(iop_ping $x 10 0.1)
		[ "$lost" = 0 ] || iop_fail "$x: $lost of 10 pings lost"
		echo "ok: $x: 10/10 pings to $IOP_Y_INNER through its CHILD_SA"
	done
}

# iop_capture FILTER: how many packets of the capture on Y match.
iop_capture() {
	tcpdump -n -r "$LAB_DIR/y.pcap" "$1" 2>/dev/null | wc -l
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

# iop_rekey_run NAME ACTIONS...: pings from both hosts (300 at 50 ms) while
# the ACTIONS run, 2 s apart; each action is "NODE swanctl-args" where NODE
# is x1, x2 (the host's charon) or y:x1 / y:x2 (Y's charon, its SA with
# that host). Then: each host's SAs must have changed as asked, still be
# up, and lose at most IOP_MAX_LOST (default 2) pings. IOP_HOSTS: the hosts
# (default "x1 x2").
iop_rekey_run() {
	local a who args x lost before after id pids=()
	for x in ${IOP_HOSTS:-x1 x2}; do
		before[${x#x}]=$(iop_spis $x)
		lab_exec $x ping -n -q -c 300 -i 0.05 -W 1 "$IOP_Y_INNER" >"$LAB_DIR/$x.ping" 2>&1 &
		pids+=($!)
	done
	for a in "$@"; do
		sleep 2
		who=${a%% *}
		args=${a#* }
		if [ "${who%%:*}" = y ]; then
			id=$(iop_y_ike_id "${who#y:}")
			[ -n "$id" ] || iop_fail "Y has no IKE_SA with ${who#y:}"
			# shellcheck disable=SC2086
			iop_swc y --rekey --ike-id "$id" $args >"$LAB_DIR/rekey.out" 2>&1 ||
				{ cat "$LAB_DIR/rekey.out"; iop_fail "Y: swanctl --rekey --ike-id $id $args"; }
		else
			# shellcheck disable=SC2086
			iop_swc "$who" --rekey --ike "$IOP_HOST_CONN" $args >"$LAB_DIR/rekey.out" 2>&1 ||
				{ cat "$LAB_DIR/rekey.out"; iop_fail "$who: swanctl --rekey $args"; }
		fi
		echo "  rekey: $who $args ($(tail -n1 "$LAB_DIR/rekey.out"))"
	done
	for x in "${pids[@]}"; do wait "$x"; done
	for x in ${IOP_HOSTS:-x1 x2}; do
		rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LAB_DIR/$x.ping")
		lost=$((300 - ${rx:-0}))
		after=$(iop_spis $x)
		echo "rekeys: $x: $lost of 300 pings lost; SPIs before: ${before[${x#x}]}"
		echo "          after:  $after"
		iop_sa_installed $x || iop_fail "$x: no CHILD_SA after the rekeys"
		[ "$lost" -le "${IOP_MAX_LOST:-2}" ] || iop_fail "$x: $lost of 300 pings lost during the rekeys"
		[ "$after" != "${before[${x#x}]}" ] || iop_fail "$x: SPIs unchanged: no rekey happened"
		lost=$(iop_ping $x 10 0.1)
		[ "$lost" = 0 ] || iop_fail "$x: $lost of 10 pings lost after the rekeys"
		echo "ok: $x: alive after the rekeys (10/10 pings)"
	done
}

# iop_certs: a PKI made now with openssl: root CA -> 3 intermediate CAs ->
# end-entity certificates for y, x1 and x2 (RSA 3072, SAN = NODE.rsip.test),
# installed where swanctl --load-all finds them for each node. The chain
# makes IKE_AUTH about 5 KB: IKEv2 fragments (RFC 7383), IKEv1 IP fragments.
iop_certs() {
	local p=$LAB_DIR/pki n i parent dirs
	mkdir -p "$p"
	(
		cd "$p" || exit 1
		openssl req -x509 -newkey rsa:3072 -nodes -keyout ca0.key -out ca0.pem -days 2 \
			-subj "/O=rsip interop/CN=root" -addext "basicConstraints=critical,CA:true" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || exit 1
		parent=ca0
		for i in 1 2 3; do
			openssl req -new -newkey rsa:3072 -nodes -keyout ca$i.key -out ca$i.csr \
				-subj "/O=rsip interop/CN=intermediate $i" 2>/dev/null || exit 1
			printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
			openssl x509 -req -in ca$i.csr -CA $parent.pem -CAkey $parent.key -CAcreateserial \
				-days 2 -extfile ca.ext -out ca$i.pem 2>/dev/null || exit 1
			parent=ca$i
		done
		for n in y x1 x2; do
			openssl req -new -newkey rsa:3072 -nodes -keyout $n.key -out $n.csr \
				-subj "/O=rsip interop/CN=$n.rsip.test" 2>/dev/null || exit 1
			printf 'subjectAltName=DNS:%s.rsip.test\nextendedKeyUsage=serverAuth,clientAuth\n' $n >ee.ext
			openssl x509 -req -in $n.csr -CA ca3.pem -CAkey ca3.key -CAcreateserial \
				-days 2 -extfile ee.ext -out $n.pem 2>/dev/null || exit 1
		done
	) || iop_fail "openssl could not make the test PKI"
	for n in y x1 x2; do
		dirs=$LAB_DIR/$n
		[ $n = y ] && dirs=$LAB_DIR/y/charon
		mkdir -p "$dirs/x509" "$dirs/x509ca" "$dirs/private"
		cp "$p/$n.pem" "$dirs/x509/"
		cp "$p/$n.key" "$dirs/private/"
		cp "$p"/ca[0-3].pem "$dirs/x509ca/"
	done
	IOP_AUTH=pubkey
	IOP_Y_LOCAL_EXTRA="certs = y.pem"
}
