#!/usr/bin/env bash
# Restart without loss: while Y and the hosts exchange a steady numbered
# stream, rsipd is stopped (SIGTERM), left down a moment (the pinned programs
# and maps keep forwarding), started again (programs replaced in place, leases
# restored from the state file), then killed (SIGKILL) and started again.
# Nothing may be lost, nothing renumbered, no counter reset. Then a binding
# the state file lost is reconciled away, and --detach-on-exit takes the data
# plane down. Checks in xdp_restart.py.
# Program reuse (docs/xdp-programs.md): a restart with the same object and
# configuration runs the very programs of the previous start (the kernel's
# program ids on wan0/lan0 unchanged: a start that loaded again, whatever it
# logs, gets new ids); another load-time constant (the LAN MTU), another
# program set (--spi-steer) or a tampered record load again, and the new
# constant is the one the running program holds. A restart with another
# --stat-slots gets a counter map of the new size, forwarding unchanged.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, XDP)"; exit 77; fi
. "$top/tests/lab/lab.sh"
lab_init rst
lab_up || exit 1
lab_rsipd_start || exit 1
py() { /usr/bin/python3 "$top/tests/netns/xdp_restart.py" "$@"; }
fail() { echo "FAIL: $*"; echo "---- rsipd log"; tail -n 60 "$LAB_DIR/rsipd.log"; exit 1; }
# The id of the XDP program on a device of N.
prog_id() { lab_exec n ip link show "$1" | grep -oE 'prog/xdp[a-z]* id [0-9]+' | awk '{print $3}'; }
# start [FLAGS]: rsipd again; since_start PATTERN: grep its log since then.
start() { mark=$(wc -l <"$LAB_DIR/rsipd.log"); lab_rsipd_start "$@"; }
since_start() { tail -n +$((mark + 1)) "$LAB_DIR/rsipd.log" | grep -q "$@"; }

py setup || fail "setup"
py stream 8 &
stream=$!
LAB_PIDS+=("$stream")
lab_wait 10 test -e "$LAB_DIR/stream.ready" || fail "the stream did not start"
wan_id=$(prog_id wan0) lan_id=$(prog_id lan0)
[ -n "$wan_id" ] && [ -n "$lan_id" ] || fail "no XDP program ids on wan0/lan0"
sleep 1.5
lab_rsipd_stop # SIGTERM: a clean stop leaves the data plane running
ls "$LAB_PIN"/link_wan "$LAB_PIN"/rsip_ports >/dev/null || fail "pins gone after a stop"
lab_exec n ip link show wan0 | grep -q "prog/xdp" || fail "XDP detached by a stop"
sleep 1.5 # down: XDP forwards on its own
start || fail "restart"
since_start "programs: reused (same object and config)" || fail "the programs were not reused"
since_start "wan0 (kept) and lan0 (kept)" || fail "the links were not kept"
[ "$(prog_id wan0)" = "$wan_id" ] && [ "$(prog_id lan0)" = "$lan_id" ] ||
	fail "program ids changed: wan0 $wan_id -> $(prog_id wan0), lan0 $lan_id -> $(prog_id lan0)"
lab_ctl status | grep -q 'programs: reused (same object and config)' ||
	fail "rsipctl status does not say the programs were reused"
since_start "restored" || fail "no leases restored"
sleep 1.5
lab_rsipd_stop --kill # a crash: the state file is already up to date
sleep 0.5
start || fail "start after a crash"
since_start "programs: reused" || fail "the programs were not reused after a crash"
[ "$(prog_id wan0)" = "$wan_id" ] || fail "wan0's program changed after a crash"
wait "$stream" || fail "stream"
py check || fail "check"

# Reconciliation: entries no lease claims any more are deleted at start.
lab_rsipd_stop
py drop_binding || fail "editing the state file"
lab_rsipd_start || fail "start after the edit"
grep -q "stale entr" "$LAB_DIR/rsipd.log" || fail "no stale entries removed"
py stale_check || fail "stale entries"

# Another load-time constant: the LAN MTU is in .rodata (cfg_lan_mtu).
lab_rsipd_stop
lab_exec n ip link set lan0 mtu $((LAB_LAN_MTU - 100))
start || fail "start with another LAN MTU"
since_start "programs: loaded (another load-time configuration" || fail "not loaded again"
[ "$(prog_id wan0)" != "$wan_id" ] || fail "wan0 still runs the old program"
py rodata "$(prog_id lan0)" cfg_lan_mtu $((LAB_LAN_MTU - 100)) || fail "the new MTU is not in effect"
py stale_check || fail "traffic after the load"
wan_id=$(prog_id wan0)
# Another program set (--spi-steer loads the steering stage too).
lab_rsipd_stop
start --spi-steer 0 || fail "start with --spi-steer"
since_start "programs: loaded (another load-time configuration" || fail "--spi-steer: not loaded"
py prog_name "$(prog_id wan0)" rsip_wan_steer || fail "--spi-steer: wan0 does not steer"
# Again with --spi-steer: reused, the steering stage and its cpumap program too
# (X2's stale SPI is steered to CPU 0, where rsip_wan_cpu drops and counts it).
steer_id=$(prog_id wan0)
lab_rsipd_stop
start --spi-steer 0 || fail "restart with --spi-steer"
since_start "programs: reused (same object and config)" || fail "--spi-steer: not reused"
[ "$(prog_id wan0)" = "$steer_id" ] || fail "--spi-steer: wan0's program changed"
py stale_check || fail "traffic through the reused steering stage"
lab_rsipd_stop
start || fail "start without --spi-steer"
since_start "programs: loaded (another load-time configuration" || fail "no --spi-steer: not loaded"
[ -e "$LAB_PIN/prog_rsip_wan_steer" ] && fail "the steering program's pin outlived it"
py prog_name "$(prog_id wan0)" rsip_wan || fail "wan0 does not run rsip_wan"
# A tampered record is not trusted.
wan_id=$(prog_id wan0)
lab_rsipd_stop
py tamper "$LAB_PIN/rsip_reuse" || fail "tampering"
start || fail "start with a tampered record"
since_start "programs: loaded (another BPF object" || fail "a tampered record was trusted"
[ "$(prog_id wan0)" != "$wan_id" ] || fail "wan0 kept its program despite the tampered record"
py stale_check || fail "traffic after the tampered record"

# --stat-slots (docs/dataplane.md, "Per-binding counters: sizing"): another
# value makes a new rsip_bind_stats of the size rsipd logs, X1 stays served;
# with 0 it is uncounted, back at 3 it counts from zero.
logged_slots() {
	tail -n +$((mark + 1)) "$LAB_DIR/rsipd.log" |
		grep -oE 'rsip_bind_stats: [0-9]+ slots \(--stat-slots' | head -n 1 | awk '{print $2}'
}
lab_rsipd_stop
start --stat-slots 0 || fail "start with --stat-slots 0"
since_start "a new map, every per-binding counter starts from zero" || fail "--stat-slots 0: the counter map was kept"
py slots "$LAB_PIN" 0 "$(logged_slots)" || fail "--stat-slots 0"
lab_rsipd_stop
start || fail "start with the default --stat-slots"
since_start "a new map, every per-binding counter starts from zero" || fail "--stat-slots 3: the counter map was kept"
py slots "$LAB_PIN" 3 "$(logged_slots)" || fail "--stat-slots 3"

# --detach-on-exit takes everything down.
lab_rsipd_stop
lab_rsipd_start --detach-on-exit || fail "start with --detach-on-exit"
lab_rsipd_stop
lab_exec n ip link show wan0 | grep -q "prog/xdp" && fail "XDP still on wan0 after --detach-on-exit"
lab_exec n ip link show lan0 | grep -q "prog/xdp" && fail "XDP still on lan0 after --detach-on-exit"
[ -e "$LAB_PIN/rsip_ports" ] && fail "pins left after --detach-on-exit"
for p in "$LAB_PIN"/prog_* "$LAB_PIN"/map_* "$LAB_PIN"/rsip_reuse; do
	[ -e "$p" ] && fail "reuse pin $p left after --detach-on-exit"
done
lab_rsipd_log_clean || fail "sanitizers"
echo "restart test: ok"
exit 0
