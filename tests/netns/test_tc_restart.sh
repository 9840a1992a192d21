#!/usr/bin/env bash
# --attach tc: the filters outlive rsipd (docs/dataplane.md, "With --attach
# tc"). While Y and X1 exchange a numbered stream of 1,000 packets a second
# each way, rsipd is stopped (SIGTERM) and started again twice: the first
# restart reuses the TC programs and keeps the filters (the same program
# ids), the second (the TC reuse record tampered) loads them again and
# replaces them in place. A poller checks that both filters are there the
# whole time, and tc_restart.py counts, for the packets sent while rsipd was
# down and while it started, how many arrived: none may be lost. Then: a
# failed restart leaves the running filters; --detach-on-exit removes the
# filters and the clsact qdisc rsipd created (in an earlier run), not the
# one it found; a failed first start leaves no filter; --attach xdp removes
# the filters, and tc again the XDP links; TC programs recorded over an older
# XDP load (maps it no longer has) are not reused.
# test-timeout: 600
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, TC)"; exit 77; fi
export LAB_ATTACH=tc
. "$top/tests/lab/lab.sh"
lab_init tcr
lab_up || exit 1
py() { /usr/bin/python3 "$top/tests/netns/tc_restart.py" "$@"; }
fail() { echo "FAIL: $*"; echo "---- rsipd log"; tail -n 60 "$LAB_DIR/rsipd.log"; exit 1; }
# The id of the program rsipd's filter runs on a device of N (none: empty).
filter_id() {
	lab_exec n tc filter show dev "$1" ingress |
		grep -E "handle 0x5253 rsip_(wan|lan)_tc[: ]" | grep -oE ' id [0-9]+' | awk '{print $2}'
}
filters_there() { [ -n "$(filter_id wan0)" ] && [ -n "$(filter_id lan0)" ]; }
clsact() { lab_exec n tc qdisc show dev "$1" | grep -q "qdisc clsact"; }
start() { mark_line=$(wc -l <"$LAB_DIR/rsipd.log"); lab_rsipd_start "$@"; }
since_start() { tail -n +$((mark_line + 1)) "$LAB_DIR/rsipd.log" | grep -q "$@"; }
# mark NAME: tell the stream, and wait until it has seen it.
mark() {
	: >"$LAB_DIR/mark.$1"
	lab_wait 10 test -e "$LAB_DIR/ack.$1" || fail "the stream did not see mark $1"
}
# block_port / unblock_port: hold Na's RSIP TCP port, so that rsipd's start
# fails after its data plane is up (it cannot listen).
block_port() {
	lab_bg n "$LAB_DIR/blocker.log" /usr/bin/python3 -c "
import socket, time
s = socket.socket(); s.bind(('$LAB_NA', 4555)); s.listen(); open('$LAB_DIR/blocked', 'w')
time.sleep(600)"
	blocker=$LAB_LAST_PID
	lab_wait 10 test -e "$LAB_DIR/blocked" || fail "cannot hold the RSIP port"
}
unblock_port() { kill "$blocker"; wait "$blocker" 2>/dev/null; rm -f "$LAB_DIR/blocked"; }
# tc_status WAN LAN PROGRAMS: rsipctl status says what this start did with
# the filter on wan0 and on lan0 (attached, replaced in place, kept) and
# how the TC programs came (PROGRAMS: the start of it), in the JSON and the
# table.
tc_status() {
	lab_ctl --json status >"$LAB_DIR/status.json" || fail "rsipctl --json status"
	/usr/bin/python3 - "$LAB_DIR/status.json" "$@" <<'EOF' || fail "rsipctl status: wrong tc"
import json, sys
tc = json.load(open(sys.argv[1])).get("tc")
want = {"wan0": sys.argv[2], "lan0": sys.argv[3]}
if not tc or tc.get("filters") != want or not tc.get("programs", "").startswith(sys.argv[4]):
    sys.exit(f"status tc: {tc!r}; want filters {want}, programs {sys.argv[4]}...")
EOF
	lab_ctl status >"$LAB_DIR/status.txt" || fail "rsipctl status"
	grep -qx "  filters:" "$LAB_DIR/status.txt" && grep -qx "    wan0: $1" "$LAB_DIR/status.txt" &&
		grep -qx "    lan0: $2" "$LAB_DIR/status.txt" ||
		{ cat "$LAB_DIR/status.txt"; fail "rsipctl status: the table does not say $1, $2"; }
}
failed_start() {
	mark_line=$(wc -l <"$LAB_DIR/rsipd.log")
	LAB_START_WAIT=5 lab_rsipd_start "$@" 2>/dev/null && fail "rsipd started with its port held"
	lab_rsipd_stop
	since_start "cannot listen on tcp" || fail "the start did not fail where expected"
}

# An operator's clsact qdisc on wan0: rsipd creates only lan0's.
lab_exec n tc qdisc add dev wan0 clsact || fail "clsact on wan0"
lab_rsipd_start || fail "start"
py setup || fail "setup"
filters_there || fail "no filters after the start"
tc_status attached attached "loaded ("
wan_id=$(filter_id wan0) lan_id=$(filter_id lan0)

# The poller: both filters at every look, from before the first stop until
# after the last start.
(
	n=0 miss=0 down=0
	while [ ! -e "$LAB_DIR/poll.stop" ]; do
		n=$((n + 1))
		filters_there || { miss=$((miss + 1)); echo "poll $n: a filter is missing"; }
		[ -e "$LAB_DIR/rsipd.down" ] && down=$((down + 1))
	done
	echo "$n $miss $down" >"$LAB_DIR/poll.out"
) >"$LAB_DIR/poll.log" 2>&1 &
poller=$!
LAB_PIDS+=("$poller")
py stream &
stream=$!
LAB_PIDS+=("$stream")
lab_wait 10 test -e "$LAB_DIR/stream.ready" || fail "the stream did not start"
sleep 1

# restart N [tamper]: SIGTERM, down 1.5 s, start again.
restart() {
	lab_rsipd_stop
	: >"$LAB_DIR/rsipd.down"
	mark "down$1"
	filters_there || fail "restart $1: filters gone after SIGTERM"
	[ "${2:-}" = tamper ] && { py tamper "$LAB_PIN/rsip_reuse_tc" || fail "tampering"; }
	sleep 1.5
	mark "start$1"
	rm -f "$LAB_DIR/rsipd.down"
	start || fail "restart $1"
	mark "up$1"
	sleep 1
}
restart 1
since_start "TC programs: reused (same object and config)" || fail "the TC programs were not reused"
since_start "tc filters: kept on wan0, kept on lan0" || fail "the filters were not kept"
tc_status kept kept "reused (same object and config)"
[ "$(filter_id wan0)" = "$wan_id" ] && [ "$(filter_id lan0)" = "$lan_id" ] ||
	fail "program ids changed: wan0 $wan_id -> $(filter_id wan0), lan0 $lan_id -> $(filter_id lan0)"
restart 2 tamper
since_start "TC programs: loaded (another TC object" || fail "a tampered TC record was trusted"
since_start "tc filters: replaced in place on wan0, replaced in place on lan0" ||
	fail "the filters were not replaced in place"
tc_status "replaced in place" "replaced in place" "loaded (another TC object"
[ "$(filter_id wan0)" != "$wan_id" ] && [ "$(filter_id lan0)" != "$lan_id" ] ||
	fail "the filters still run the old programs"
mark end
wait "$stream" || fail "stream"
: >"$LAB_DIR/poll.stop"
wait "$poller"
read -r polls missed down_polls <"$LAB_DIR/poll.out"
echo "filters present in $((polls - missed)) of $polls polls ($down_polls while rsipd was down)"
[ "$missed" -eq 0 ] || { cat "$LAB_DIR/poll.log"; fail "a filter was missing in $missed polls"; }
[ "$down_polls" -gt 0 ] || fail "no poll while rsipd was down"
py check 2 || fail "packets lost"

# A failed restart leaves the running filters.
wan_id=$(filter_id wan0) lan_id=$(filter_id lan0)
lab_rsipd_stop
block_port
failed_start
[ "$(filter_id wan0)" = "$wan_id" ] && [ "$(filter_id lan0)" = "$lan_id" ] ||
	fail "a failed restart changed the filters"
unblock_port

# --detach-on-exit: the filters and lan0's qdisc (created by the first
# rsipd, not this one) go; wan0's qdisc was there before rsipd.
lab_rsipd_start --detach-on-exit || fail "start with --detach-on-exit"
lab_rsipd_stop
[ -z "$(filter_id wan0)" ] && [ -z "$(filter_id lan0)" ] || fail "filters left by --detach-on-exit"
clsact lan0 && fail "the clsact qdisc rsipd created on lan0 is left"
clsact wan0 || fail "--detach-on-exit removed the operator's clsact qdisc on wan0"
[ -e "$LAB_PIN" ] && { ls "$LAB_PIN"; fail "pins left after --detach-on-exit"; }
echo "--detach-on-exit: filters and rsipd's qdisc removed, the operator's kept"

# A failed first start (no pins): its maps were never filled, no filter stays.
block_port
failed_start
[ -z "$(filter_id wan0)" ] && [ -z "$(filter_id lan0)" ] || fail "a failed first start left filters"
clsact lan0 && fail "a failed first start left its clsact qdisc on lan0"
unblock_port
echo "failed starts: a restart keeps the running filters, a first start leaves none"

# Switching: --attach xdp removes the filters (and rsipd's qdisc), tc the links.
lab_rsipd_start || fail "start (tc)"
filters_there || fail "no filters"
lab_rsipd_stop
start --attach xdp || fail "start with --attach xdp"
lab_exec n ip link show wan0 | grep -q "prog/xdp" || fail "no XDP on wan0"
[ -z "$(filter_id wan0)" ] && [ -z "$(filter_id lan0)" ] || fail "--attach xdp left the filters"
clsact lan0 && fail "--attach xdp left rsipd's clsact qdisc on lan0"
lab_ctl --json status | /usr/bin/python3 -c 'import json, sys; sys.exit("tc" in json.load(sys.stdin))' ||
	fail "rsipctl status shows TC filters with --attach xdp"
lab_rsipd_stop
start || fail "start (tc again)"
filters_there || fail "no filters after xdp -> tc"
lab_exec n ip link show wan0 | grep -q "prog/xdp" && fail "XDP left on wan0 after xdp -> tc"
lab_rsipd_stop

# A TC record of an older XDP load is not trusted, even with matching digests:
# its programs use maps (rsip_tx, rsip_nb_filter...) the XDP object replaced.
tc_pins="prog_rsip_wan_tc prog_rsip_lan_tc rsip_reuse_tc"
for p in $tc_pins; do mv "$LAB_PIN/$p" "$LAB_BPFFS/old_$p" || fail "saving $p"; done
py tamper "$LAB_PIN/rsip_reuse" || fail "tampering the XDP record"
start || fail "start with the XDP programs loaded again"
since_start "TC programs: loaded (the XDP programs were loaded)" || fail "TC reused over a new XDP load"
lab_rsipd_stop
for p in $tc_pins; do
	rm -f "$LAB_PIN/$p"
	mv "$LAB_BPFFS/old_$p" "$LAB_PIN/$p" || fail "restoring $p"
done
start || fail "start with the older TC record"
since_start "programs: reused (same object and config)" || fail "the XDP programs were not reused"
since_start "TC programs: loaded (the pinned program rsip_wan_tc uses map id" ||
	fail "TC programs over maps the XDP object no longer has were reused"
since_start "tc filters: replaced in place on wan0, replaced in place on lan0" ||
	fail "the filters were not replaced"
lab_rsipd_stop
echo "an older TC record over a new XDP load: loaded again"
lab_rsipd_log_clean || fail "sanitizers"
echo "tc restart test: ok"
exit 0
