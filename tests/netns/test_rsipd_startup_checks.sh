#!/usr/bin/env bash
# Operator-facing start-up of rsipd (issue 13, items 9 and 10), in the lab:
# --version; --check-config validates and changes nothing; the four usual
# mistakes (a --public address not on the WAN, no bpffs under --pin-path, a
# --listen address not on the LAN, no privileges) are refused before anything
# is touched, with a message that says what to do; a second rsipd on the same
# pin path or the same interfaces names the PID of the first and exits 1
# without touching it; the lock files go with the instance.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, XDP)"; exit 77; fi
. "$top/tests/lab/lab.sh"
lab_init sck
lab_up || exit 1
fail() { echo "FAIL: $*"; echo "---- rsipd log"; tail -n 30 "$LAB_DIR/rsipd.log"; exit 1; }
bin=$BUILD/asan/rsipd
[ -x "$bin" ] || bin=$BUILD/rsipd

xdp_prog_id() { # interface -> the id of its XDP program, "" if none
	lab_exec n ip -d link show "$1" | sed -n 's/.*prog\/xdp\(generic\)\? id \([0-9]*\).*/\2/p'
}
# Nothing of a data plane on N: no XDP program, no pin.
untouched() {
	[ -z "$(xdp_prog_id wan0)" ] || fail "$1: an XDP program on wan0"
	[ -z "$(xdp_prog_id lan0)" ] || fail "$1: an XDP program on lan0"
	[ ! -e "$LAB_PIN" ] || fail "$1: $LAB_PIN was created"
}
run() { # runs rsipd in N; its output in $LAB_DIR/run.log, status in $rc
	# shellcheck disable=SC2046
	lab_exec n "$@" >"$LAB_DIR/run.log" 2>&1
	rc=$?
}
expect() { # rc text
	[ "$rc" = "$1" ] || { cat "$LAB_DIR/run.log"; fail "exit $rc, expected $1 ($2)"; }
	grep -qF -- "$2" "$LAB_DIR/run.log" || { cat "$LAB_DIR/run.log"; fail "no '$2'"; }
	echo "ok: exit $rc: $(grep -F -- "$2" "$LAB_DIR/run.log" | head -n1)"
}

# ---- --version ----
run "$bin" --version
expect 0 "rsipd $(cat "$top/VERSION") (data-plane ABI "

# ---- --check-config: a good configuration, then each mistake; none changes anything ----
# shellcheck disable=SC2046
run "$bin" $(lab_rsipd_flags) --check-config
expect 0 "configuration OK"
untouched "--check-config"
if ls /run/rsipd/ 2>/dev/null | grep -q "$LAB_ID"; then fail "a lock file after -t"; fi

# The four mistakes, each refused at a real start (exit 1), untouched.
# shellcheck disable=SC2046
run "$bin" $(lab_rsipd_flags) --public 192.0.2.99
expect 1 "--public 192.0.2.99 is not an address of the WAN interface wan0: add it (ip addr add 192.0.2.99/32 dev wan0)"
untouched "--public off the WAN"
# shellcheck disable=SC2046
run "$bin" $(lab_rsipd_flags) --pin-path "$LAB_DIR/nobpffs/rsip"
expect 1 "is not on a bpf filesystem ($LAB_DIR is not one, and is the nearest directory that exists): mount one (mount -t bpf bpf /sys/fs/bpf"
untouched "no bpffs"
[ ! -e "$LAB_DIR/nobpffs" ] || fail "no bpffs: the directory was created"
# shellcheck disable=SC2046
run "$bin" $(lab_rsipd_flags) --listen "$LAB_N_WAN"
expect 1 "--listen $LAB_N_WAN is not an address of the LAN interface lan0: hosts tunnel to it"
untouched "--listen off the LAN"
# No privileges: uid nobody, no capability.
# shellcheck disable=SC2046
run setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$bin" $(lab_rsipd_flags)
expect 1 "this process lacks CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_NET_RAW: run rsipd as root"
untouched "no privileges"
# And --check-config reports a mistake the same way, exit 1.
# shellcheck disable=SC2046
run "$bin" $(lab_rsipd_flags) --public 192.0.2.99 -t
expect 1 "--public 192.0.2.99 is not an address of the WAN interface wan0"
untouched "-t with a mistake"

# ---- one instance per pin path and per interface ----
lab_rsipd_start || fail "first start"
wan_id=$(xdp_prog_id wan0)
lan_id=$(xdp_prog_id lan0)
pins=$(ls "$LAB_PIN" | sort | tr '\n' ' ')
status() { lab_ctl status 2>&1 | grep -v uptime; }
before=$(status)
# Same pins, same interfaces, another listen port and control socket.
# shellcheck disable=SC2046
run "$bin" $(lab_rsipd_flags) --listen "$LAB_NA:4556" --ctl-socket "$LAB_DIR/second.sock"
expect 1 "another rsipd (PID $LAB_RSIPD_PID) already runs on the pin path $LAB_PIN"
# Other pins, same interfaces.
# shellcheck disable=SC2046
run "$bin" $(lab_rsipd_flags) --listen "$LAB_NA:4556" --ctl-socket "$LAB_DIR/second.sock" \
	--pin-path "$LAB_BPFFS/second"
expect 1 "another rsipd (PID $LAB_RSIPD_PID) already runs on the interface wan0 (--wan)"
[ ! -e "$LAB_BPFFS/second" ] || fail "the second rsipd created its pins"
[ "$(xdp_prog_id wan0)" = "$wan_id" ] && [ "$(xdp_prog_id lan0)" = "$lan_id" ] ||
	fail "the running programs were replaced"
[ "$(ls "$LAB_PIN" | sort | tr '\n' ' ')" = "$pins" ] || fail "the pins changed"
kill -0 "$LAB_RSIPD_PID" || fail "the first rsipd died"
[ "$(status)" = "$before" ] || fail "the first rsipd's status changed"
echo "ok: the first rsipd (PID $LAB_RSIPD_PID) kept its programs $wan_id/$lan_id and pins"
ls /run/rsipd/ | grep -q "^pin-.*$LAB_ID.*\.lock$" || fail "no lock file while running"
lab_rsipd_stop
[ "$LAB_RSIPD_RC" = 0 ] || fail "rsipd exited $LAB_RSIPD_RC"
if ls /run/rsipd/ 2>/dev/null | grep -q "$LAB_ID"; then fail "lock files left behind"; fi
# Once stopped, the next one starts on the same pins.
lab_rsipd_start || fail "start after the first stopped"
lab_rsipd_stop
echo "ok: lock files removed on exit, the next start works"
lab_rsipd_log_clean || fail "sanitizers"
echo "startup checks test: ok"
exit 0
