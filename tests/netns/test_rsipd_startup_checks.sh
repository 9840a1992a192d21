#!/usr/bin/env bash
# Operator-facing start-up of rsipd (issue 13, items 9 and 10), in the lab:
# --version; --check-config validates and changes nothing; the five usual
# mistakes (a --public address not on the WAN, no bpffs under --pin-path, a
# --listen address not on the LAN, more hosts than the maps hold, no
# privileges) are refused before anything
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
# More hosts than the maps hold (docs/dataplane.md, Map sizes).
# shellcheck disable=SC2046
run "$bin" $(lab_rsipd_flags) --map-size 1024 --max-clients 1025
expect 1 "--max-clients 1025 is more than the maps hold (--map-size 1024): raise --map-size to at least 1025 or lower --max-clients"
untouched "--max-clients over --map-size"
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
# shellcheck disable=SC2046
run "$bin" $(lab_rsipd_flags) --map-size 1024 --max-clients 1025 -t
expect 1 "--max-clients 1025 is more than the maps hold"
untouched "-t with too many hosts"

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
# ---- a failed first start leaves no pins ----
# lo cannot run XDP natively: the WAN attach fails after the maps are pinned.
lab_exec n ip addr add "$LAB_NB1/32" dev lo
lab_exec n ip addr add "$LAB_NB2/32" dev lo
# shellcheck disable=SC2046
run "$bin" $(lab_rsipd_flags) --wan lo --pin-path "$LAB_BPFFS/first"
expect 1 "removed what this failed start pinned under $LAB_BPFFS/first"
[ ! -e "$LAB_BPFFS/first" ] || fail "a failed first start left $(ls "$LAB_BPFFS/first")"
lab_exec n ip addr del "$LAB_NB1/32" dev lo
lab_exec n ip addr del "$LAB_NB2/32" dev lo

# ---- least privilege: the XDP data plane as an unprivileged user with the
# unit's four capabilities (no root), as rsipd.service runs it ----
caps=-all,+bpf,+perfmon,+net_admin,+net_raw
rm -r "$LAB_PIN"  # the root-run data plane goes (removing the link pins detaches it)
[ -z "$(xdp_prog_id wan0)" ] || fail "XDP still on wan0 after removing the pins"

# ---- a corrupt store, found once the data plane is up ----
# exit 1 with the store's message; a first start then takes down what it
# attached and pinned, a restart leaves the previous run's programs and pins
# as they were (dataplane_xdp_start_failed). On a first start the store is
# read while the programs load on a second thread (xdp_load.h): the failed
# start waits for that load to end ("programs: loaded" is logged) before it
# removes the pins the load made; without the wait the pins stay, or the
# process exits in the middle of the load.
sanitized() { ! grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$1"; }
cpin=$LAB_BPFFS/corrupt
mkdir -m 0700 "$LAB_DIR/corrupt"
cstore=$LAB_DIR/corrupt/leases.db
printf 'this is not a database%.0s' $(seq 200) >"$cstore"
chmod 0600 "$cstore"
# shellcheck disable=SC2046
run "$bin" $(lab_rsipd_flags) --pin-path "$cpin" --state-file "$cstore"
expect 1 "move the file away"
grep -qF "removed what this failed start pinned under $cpin" "$LAB_DIR/run.log" ||
	{ cat "$LAB_DIR/run.log"; fail "the failed first start did not say it removed its pins"; }
[ ! -e "$cpin" ] || fail "a failed first start left $(ls "$cpin")"
[ -z "$(xdp_prog_id wan0)" ] && [ -z "$(xdp_prog_id lan0)" ] ||
	fail "a failed first start left XDP attached"
grep -q "programs: loaded" "$LAB_DIR/run.log" ||
	{ cat "$LAB_DIR/run.log"; fail "the failed first start did not wait for its programs' load"; }
sanitized "$LAB_DIR/run.log" || fail "sanitizers (first start, corrupt store)"
# Which ended first says whether this run overlapped them (information only:
# the outcome above must not depend on it).
order=$(grep -n -e "programs: loaded" -e "move the file away" "$LAB_DIR/run.log" | head -1)
case $order in *"move the file away"*) order="the store failed while the programs loaded" ;;
*) order="the programs loaded before the store failed" ;; esac
echo "ok: corrupt store on a first start: exit 1, the load waited for, no pin and no XDP left ($order)"
# A restart: a run with a good store, stopped; then the store is corrupt.
rm "$cstore"
lab_rsipd_start --pin-path "$cpin" --state-file "$cstore" || fail "start with a new store"
lab_rsipd_stop
wan_before=$(xdp_prog_id wan0)
[ -n "$wan_before" ] || fail "no XDP on wan0 after a clean stop"
pins_before=$(ls "$cpin" | sort | tr '\n' ' ')
rm -f "$cstore"*
printf 'this is not a database%.0s' $(seq 200) >"$cstore"
chmod 0600 "$cstore"
# shellcheck disable=SC2046
run "$bin" $(lab_rsipd_flags) --pin-path "$cpin" --state-file "$cstore"
expect 1 "move the file away"
[ "$(xdp_prog_id wan0)" = "$wan_before" ] || fail "a failed restart replaced wan0's program"
[ "$(ls "$cpin" | sort | tr '\n' ' ')" = "$pins_before" ] ||
	fail "a failed restart changed the pins: $(ls "$cpin")"
sanitized "$LAB_DIR/run.log" || fail "sanitizers (restart, corrupt store)"
rm -r "$cpin"
[ -z "$(xdp_prog_id wan0)" ] || fail "XDP still on wan0 after removing the pins"
echo "ok: corrupt store on a restart: exit 1, the previous programs and pins kept"
mkdir -p "$LAB_DIR/run" "$LAB_DIR/var" "$LAB_BPFFS/unpriv"
# RuntimeDirectory=, StateDirectory=, the tmpfiles.d pin directory: its own.
chown 65534:65534 "$LAB_DIR/run" "$LAB_DIR/var" "$LAB_BPFFS/unpriv"
printf '#!/bin/sh\nexec env RUNTIME_DIRECTORY=%s setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=%s --ambient-caps=%s --bounding-set=%s %s "$@"\n' \
	"$LAB_DIR/run" "$caps" "$caps" "$caps" "$bin" >"$LAB_DIR/as-unit.sh"
chmod +x "$LAB_DIR/as-unit.sh"
LAB_CTL=$LAB_DIR/run/rsipd.sock
RSIPD=$LAB_DIR/as-unit.sh lab_rsipd_start --pin-path "$LAB_BPFFS/unpriv" \
	--state-file "$LAB_DIR/var/state.json" || fail "start as uid 65534 with $caps"
upid=$(pgrep -n -f "pin-path $LAB_BPFFS/unpriv")
[ "$(awk '/^Uid:/ {print $2}' "/proc/$upid/status")" = 65534 ] || fail "rsipd is not uid 65534"
[ -n "$(xdp_prog_id wan0)" ] && [ -n "$(xdp_prog_id lan0)" ] || fail "no XDP as uid 65534"
# The programs work: ESP with nobody's SPI, from the Internet side, dropped and counted.
lab_exec y /usr/bin/python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
for i in range(3): s.sendto(struct.pack("!II", 0x0BADCAFE, i + 1) + bytes(16), (sys.argv[1], 0))
' "$LAB_NB1"
sleep 0.3
n=$(lab_ctl --json counters | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("data", d)["dataplane"]["wan_drop_no_spi"])')
[ "${n:-0}" -ge 3 ] || fail "wan_drop_no_spi '$n' as uid 65534"
lab_rsipd_stop
[ "$LAB_RSIPD_RC" = 0 ] || fail "unprivileged rsipd exited $LAB_RSIPD_RC"
# A restart takes the loaded programs again (docs/xdp-programs.md, "Reuse at
# restart": by their pins, no CAP_SYS_ADMIN), still unprivileged: the same ids.
wan_before=$(xdp_prog_id wan0)
mark=$(wc -l <"$LAB_DIR/rsipd.log")
RSIPD=$LAB_DIR/as-unit.sh lab_rsipd_start --pin-path "$LAB_BPFFS/unpriv" \
	--state-file "$LAB_DIR/var/state.json" || fail "restart as uid 65534"
tail -n +$((mark + 1)) "$LAB_DIR/rsipd.log" | grep -q "programs: reused (same object and config)" ||
	fail "the programs were not reused as uid 65534"
[ "$(xdp_prog_id wan0)" = "$wan_before" ] || fail "wan0's program changed: not reused"
lab_rsipd_stop
echo "ok: uid 65534 with only CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_NET_RAW: attached, dropped $n unknown-SPI packets, restarted with the same programs"
lab_rsipd_log_clean || fail "sanitizers"
echo "startup checks test: ok"
exit 0
