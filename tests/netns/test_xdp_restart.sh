#!/usr/bin/env bash
# Restart without loss: while Y and the hosts exchange a steady numbered
# stream, rsipd is stopped (SIGTERM), left down a moment (the pinned programs
# and maps keep forwarding), started again (programs replaced in place, leases
# restored from the state file), then killed (SIGKILL) and started again.
# Nothing may be lost, nothing renumbered, no counter reset. Then a binding
# the state file lost is reconciled away, and --detach-on-exit takes the data
# plane down. Checks in xdp_restart.py.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, XDP)"; exit 77; fi
. "$top/tests/lab/lab.sh"
lab_init rst
lab_up || exit 1
lab_rsipd_start || exit 1
py() { /usr/bin/python3 "$top/tests/netns/xdp_restart.py" "$@"; }
fail() { echo "FAIL: $*"; echo "---- rsipd log"; tail -n 60 "$LAB_DIR/rsipd.log"; exit 1; }

py setup || fail "setup"
py stream 8 &
stream=$!
LAB_PIDS+=("$stream")
lab_wait 10 test -e "$LAB_DIR/stream.ready" || fail "the stream did not start"
sleep 1.5
lab_rsipd_stop # SIGTERM: a clean stop leaves the data plane running
ls "$LAB_PIN"/link_wan "$LAB_PIN"/rsip_ports >/dev/null || fail "pins gone after a stop"
lab_exec n ip link show wan0 | grep -q "prog/xdp" || fail "XDP detached by a stop"
sleep 1.5 # down: XDP forwards on its own
lab_rsipd_start || fail "restart"
grep -q "replaced in place" "$LAB_DIR/rsipd.log" || fail "the programs were not replaced in place"
grep -q "restored" "$LAB_DIR/rsipd.log" || fail "no leases restored"
sleep 1.5
lab_rsipd_stop --kill # a crash: the state file is already up to date
sleep 0.5
lab_rsipd_start || fail "start after a crash"
wait "$stream" || fail "stream"
py check || fail "check"

# Reconciliation: entries no lease claims any more are deleted at start.
lab_rsipd_stop
py drop_binding || fail "editing the state file"
lab_rsipd_start || fail "start after the edit"
grep -q "stale entr" "$LAB_DIR/rsipd.log" || fail "no stale entries removed"
py stale_check || fail "stale entries"

# --detach-on-exit takes everything down.
lab_rsipd_stop
lab_rsipd_start --detach-on-exit || fail "start with --detach-on-exit"
lab_rsipd_stop
lab_exec n ip link show wan0 | grep -q "prog/xdp" && fail "XDP still on wan0 after --detach-on-exit"
lab_exec n ip link show lan0 | grep -q "prog/xdp" && fail "XDP still on lan0 after --detach-on-exit"
[ -e "$LAB_PIN/rsip_ports" ] && fail "pins left after --detach-on-exit"
lab_rsipd_log_clean || fail "sanitizers"
echo "restart test: ok"
exit 0
