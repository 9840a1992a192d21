#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# IIPtran (RFC 3884, docs/iiptran.md): the host-gateway IP-IP tunnel protected
# by transport-mode ESP. Needs kernel ESP on host and gateway; without it the
# test checks that itself and exits 78 (N/A, "n/a: checked ..." line). Where ESP exists: rsipc on X
# through rsipd (XDP), an ESP SA pair for "Xa <-> Na protocol 4" on X and N,
# pings from Nb to Y; every tunnel packet from Xa must be ESP on the LAN and
# N's kernel must have decrypted them. (The gateway does not forward them
# onwards yet: docs/iiptran.md says why.)
. "$(dirname "$0")/iop.sh"
[ "$(id -u)" -eq 0 ] || { echo "needs root"; exit 77; }

# AES-CBC + HMAC-SHA256: the most widely built ESP algorithms, so that the
# probe's failure means "no ESP", not "no such cipher".
ALG1=(enc 'cbc(aes)' 0x0123456789abcdef0123456789abcdef
	auth-trunc 'hmac(sha256)' 0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 128)
ALG2=(enc 'cbc(aes)' 0x89abcdef0123456789abcdef01234567
	auth-trunc 'hmac(sha256)' 0x89abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567 128)
probe=iiptran-probe-$$
ip netns add "$probe" || exit 1
err=$(ip -n "$probe" xfrm state add src 10.255.0.1 dst 10.255.0.2 proto esp spi 0x100 \
	mode transport "${ALG1[@]}" 2>&1)
rc=$?
ip netns del "$probe"
if [ $rc -ne 0 ]; then
	# Not applicable here, checked: the runner's N/A (78), never a silent pass.
	echo "IIPtran needs kernel ESP on host and gateway (docs/iiptran.md)"
	echo "n/a: checked ip xfrm state add ... proto esp: kernel without ESP (${err:-rc $rc})"
	exit 78
fi

iop_up iip
mkdir -p "$LAB_DIR/x1/state"
xfrm_pair() { # NODE LOCAL REMOTE
	lab_exec "$1" ip xfrm state add src "$2" dst "$3" proto esp spi 0x1001 mode transport \
		"${ALG1[@]}" &&
	lab_exec "$1" ip xfrm state add src "$3" dst "$2" proto esp spi 0x1002 mode transport \
		"${ALG2[@]}" &&
	lab_exec "$1" ip xfrm policy add src "$2/32" dst "$3/32" proto 4 dir out \
		tmpl src "$2" dst "$3" proto esp mode transport &&
	lab_exec "$1" ip xfrm policy add src "$3/32" dst "$2/32" proto 4 dir in \
		tmpl src "$3" dst "$2" proto esp mode transport
}
# Note the SPIs: 0x1001 is Xa -> Na on both sides, 0x1002 Na -> Xa.
xfrm_pair x1 "$LAB_X1" "$LAB_NA" || iop_fail "xfrm on X1"
lab_exec n ip xfrm state add src "$LAB_X1" dst "$LAB_NA" proto esp spi 0x1001 mode transport \
	"${ALG1[@]}" || iop_fail "xfrm on N"
lab_exec n ip xfrm state add src "$LAB_NA" dst "$LAB_X1" proto esp spi 0x1002 mode transport \
	"${ALG2[@]}" || iop_fail "xfrm on N"
lab_exec n ip xfrm policy add src "$LAB_X1/32" dst "$LAB_NA/32" proto 4 dir in \
	tmpl src "$LAB_X1" dst "$LAB_NA" proto esp mode transport || iop_fail "xfrm on N"

lab_bg sw "$LAB_DIR/lan.log" tcpdump -i p1 -n -U --immediate-mode -w "$LAB_DIR/lan.pcap" ip
lab_wait 5 grep -q "listening on" "$LAB_DIR/lan.log"
lab_bg x1 "$LAB_DIR/x1/rsipc.log" "$IOP_RSIPC" --server "$LAB_NA" --state-dir "$LAB_DIR/x1/state" \
	up --mtu 1440
lab_wait 15 test -S "$LAB_DIR/x1/state/rsipc.sock" || iop_fail "rsipc did not come up"
lab_exec x1 ping -c 5 -i 0.2 -W 1 -I "$LAB_NB1" "$LAB_Y" >/dev/null 2>&1 # not answered yet
sleep 0.5
esp=$(tcpdump -n -r "$LAB_DIR/lan.pcap" "src host $LAB_X1 and ip proto 50" 2>/dev/null | wc -l)
ipip=$(tcpdump -n -r "$LAB_DIR/lan.pcap" "src host $LAB_X1 and ip proto 4" 2>/dev/null | wc -l)
dec=$(lab_exec n ip -s xfrm state get src "$LAB_X1" dst "$LAB_NA" proto esp spi 0x1001 |
	sed -n 's/.* \([0-9]*\)(packets).*/\1/p' | head -n1)
echo "LAN from Xa: $esp ESP, $ipip plaintext IP-IP; N decrypted ${dec:-?} packets"
[ "$esp" -ge 5 ] || iop_fail "the tunnel packets were not protected"
[ "$ipip" = 0 ] || iop_fail "plaintext IP-IP from Xa on the LAN"
[ "${dec:-0}" -ge 5 ] || iop_fail "N did not decrypt them"
echo PASS
