#!/usr/bin/env bash
# Start-up of the XDP data plane: clear errors that change nothing (another
# data-plane ABI in the pins, another SPI block size, an interface taken by
# someone else, a missing interface, a pin path off bpffs), and a mode change
# (native -> generic) replacing the attachment.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, XDP)"; exit 77; fi
. "$top/tests/lab/lab.sh"
lab_init stu
lab_up || exit 1
fail() { echo "FAIL: $*"; echo "---- rsipd log"; tail -n 30 "$LAB_DIR/rsipd.log"; exit 1; }
bin=$BUILD/asan/rsipd
[ -x "$bin" ] || bin=$BUILD/rsipd

# rsipd started in N for one attempt that must fail: its exit status and log.
attempt() { # expected-log-text flags...
	local want=$1
	shift
	: >"$LAB_DIR/attempt.log"
	# shellcheck disable=SC2046
	lab_exec n "$bin" $(lab_rsipd_flags) --ctl-socket "$LAB_DIR/other.sock" "$@" \
		>"$LAB_DIR/attempt.log" 2>&1
	local rc=$?
	[ $rc -ne 0 ] || fail "rsipd $* started; expected: $want"
	grep -q -- "$want" "$LAB_DIR/attempt.log" || {
		cat "$LAB_DIR/attempt.log"
		fail "no '$want' in the log of rsipd $*"
	}
	echo "ok: refused ($want)"
}

xdp_prog_id() { # interface -> the id of its XDP program, "" if none
	lab_exec n ip -d link show "$1" | sed -n 's/.*prog\/xdp\(generic\)\? id \([0-9]*\).*/\2/p'
}

attempt "wan9: no such interface" --wan wan9
mkdir -p "$LAB_DIR/notbpf"
attempt "not on a bpf filesystem" --pin-path "$LAB_DIR/notbpf"

lab_rsipd_start || fail "first start"
wan_id=$(xdp_prog_id wan0)
[ -n "$wan_id" ] || fail "no XDP on wan0"
# Another data plane on the same interfaces (its own pins): refused, and the
# running one is untouched.
attempt "already runs on the interface wan0" --pin-path "$LAB_BPFFS/other"
[ "$(xdp_prog_id wan0)" = "$wan_id" ] || fail "the running program was replaced"
lab_rsipd_stop

# Pins of another ABI version: refused before anything is touched.
meta=$LAB_PIN/rsip_meta
bpftool map update pinned "$meta" key 0 0 0 0 value 99 0 0 0 8 0 0 0 \
	0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 || fail "bpftool update"
attempt "ABI version 99" 
[ "$(xdp_prog_id wan0)" = "$wan_id" ] || fail "the program changed after a refused start"
# Back to this rsipd's ABI ("rsipd X (data-plane ABI N)"), block shift 8.
abi=$("$BUILD/rsipd" --version | sed -n 's/.*data-plane ABI \([0-9]*\).*/\1/p')
[ -n "$abi" ] || fail "no data-plane ABI in rsipd --version"
bpftool map update pinned "$meta" key 0 0 0 0 value "$abi" 0 0 0 8 0 0 0 \
	0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 || fail "bpftool update"
# Another SPI block size than the pins were keyed with.
attempt "SPI blocks of 256" --spi-block 16

# A mode change replaces the attachment (the only case with a gap).
lab_rsipd_start --xdp-mode generic || fail "start in generic mode"
lab_exec n ip -d link show wan0 | grep -q "xdpgeneric" || fail "not in generic mode"
grep -q "does not fit" "$LAB_DIR/rsipd.log" || fail "no replacement logged"
lab_rsipd_stop

# Forwarding off on the LAN: rsipd starts (the operator may turn it on
# later) but says that clients' packets will be dropped until then.
lab_exec n sysctl -qw net.ipv4.conf.lan0.forwarding=0
lab_rsipd_start || fail "start with forwarding off"
grep -q "IPv4 forwarding is off on lan0" "$LAB_DIR/rsipd.log" || fail "no forwarding warning"
lab_rsipd_stop
lab_exec n sysctl -qw net.ipv4.conf.lan0.forwarding=1
echo "ok: warned that forwarding is off"
lab_rsipd_log_clean || fail "sanitizers"
grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$LAB_DIR/attempt.log" && fail "sanitizers"
echo "startup test: ok"
exit 0
