# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
# Helpers of the interop layer: real strongSwan charons (tests/interop/
# charon.sh) through the real gateway (rsipd + XDP) in the lab of
# tests/lab/lab.sh.
#
#   X1, X2: rsipc up [--ike-port] -- docs/examples/rsipc-strongswan.sh, both
#           on the one Nb 192.0.2.10 (LAB_PUBLIC = Nb1)
#   Y:      a stock charon (charon.sh)
#
# Each host's CHILD_SA is VIP/32 <=> 10.2.0.1/32: with one Nb for both hosts,
# selectors naming Nb would make Y put both hosts into one CHILD_SA.
#
# Usage:
#   . tests/interop/iop.sh
#   iop_up TAG                      # lab + rsipd + capture on Y
#   iop_two_hosts IMPL IKEV leased|shared [aggressive]
#   iop_rekey_run ACTIONS...        # rekeys under pings
#   iop_fail MSG                    # logs, counters, capture; exit 1
#   and the charon helpers of charon.sh (iop_y_start, iop_host_start,
#   iop_wait_sa, iop_ping, iop_swc, ...)

IOP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$IOP_TOP/tests/lab/lab.sh"
. "$IOP_TOP/tests/interop/charon.sh"

# charon.sh's hooks, on the lab of lab.sh.
IOP_SERVER=$LAB_NA
IOP_PEER=$LAB_Y
IOP_NB=$LAB_NB1
iop_exec() { lab_exec "$@"; }
iop_bg() {
	lab_bg "$@"
	IOP_LAST_PID=$LAB_LAST_PID
}

iop_up() {
	iop_check
	[ "${IOP_IMPL:-bookworm}" = trixie ] && iop_check_trixie
	LAB_PUBLIC=$LAB_NB1 # both hosts share one Nb
	lab_init "${1:-iop}"
	trap "iop_down" EXIT
	lab_up || exit 1
	IOP_DIR=$LAB_DIR
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

iop_counters() {
	lab_ctl --json counters 2>/dev/null | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)["dataplane"]
print(" ".join("%s=%s" % (k, v) for k, v in sorted(d.items()) if v))'
}

iop_fail() {
	echo "FAIL: $*"
	iop_charon_logs
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
