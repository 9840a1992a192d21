#!/usr/bin/env bash
# test-timeout: 300
# A restart restores many hosts through the batch path
# (user/rsipd/dataplane/map_restore.c, map_batch.c): a lease store of 900
# hosts and bindings (bench/store_fill.py) is restored into empty maps, the
# maps are checked against rsipctl (counts and a sample, bpftool), then,
# with rsipd down, a live entry gets counters, a claimed entry is deleted
# and a stale one added; the next start keeps the counters, writes the
# missing entry and deletes the stale one. Checks in xdp_restore_batch.py.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, XDP)"; exit 77; fi
command -v bpftool >/dev/null || { echo "bpftool not installed (make deps)"; exit 77; }
. "$top/tests/lab/lab.sh"
lab_init rbat
lab_up || exit 1
LAB_START_WAIT=120 # the ASan build restores the hosts before it opens its socket
py() { /usr/bin/python3 "$top/tests/netns/xdp_restore_batch.py" "$@"; }
fail() { echo "FAIL: $*"; echo "---- rsipd log"; grep -v "cannot be restored" "$LAB_DIR/rsipd.log" | tail -n 40; exit 1; }

# 900, not thousands: rsipd installs a managed neighbour entry per client,
# and the kernel's neighbour table is shared by every namespace
# (net.ipv4.neigh.default.gc_thresh3, 1024 by default): filling it would
# break other tests' ARP on this machine.
N=900
store=$LAB_DIR/leases.db
/usr/bin/python3 "$top/bench/store_fill.py" "$store" "$N" "$LAB_NB1,$LAB_NB2" || fail "store_fill"
flags=(--state-file "$store" --allow 10.0.0.0/8 --register-rate 0 --lease 3600)

lab_rsipd_start "${flags[@]}" || fail "first start"
line=$(grep -m1 "maps reconciled" "$LAB_DIR/rsipd.log") || fail "no 'maps reconciled' line"
echo "$line"
echo "$line" | grep -q "restore: $N clients" || fail "not $N clients restored"
py check || fail "maps after the first start"

lab_rsipd_stop
py poke || fail "poking the maps"
: >"$LAB_DIR/rsipd.log"
lab_rsipd_start "${flags[@]}" || fail "second start"
grep -m1 "maps reconciled" "$LAB_DIR/rsipd.log" || fail "no 'maps reconciled' line"
grep -q "removed 1 stale data plane entr" "$LAB_DIR/rsipd.log" || fail "the stale entry was not counted"
py after || fail "maps after the restart"
py check || fail "maps after the restart"
lab_rsipd_stop
lab_rsipd_log_clean || fail "sanitizers"
echo "restore batch test: ok"
exit 0
