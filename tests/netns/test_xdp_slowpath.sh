#!/usr/bin/env bash
# rsipd's slow path end to end: fragments, oversize packets, ICMP errors, the
# hosts' fragmented tunnel packets, routing through the kernel. The lab's LAN
# MTU (1400) is below the WAN's (1500) so that oversize packets exist.
# The checks are in xdp_slowpath.py.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, XDP)"; exit 77; fi
. "$top/tests/lab/lab.sh"
LAB_WAN_MTU=1500 LAB_LAN_MTU=1400 lab_init slw
lab_up || exit 1
lab_rsipd_start || exit 1
/usr/bin/python3 "$top/tests/netns/xdp_slowpath.py"
rc=$?
lab_rsipd_stop
lab_rsipd_log_clean || rc=1
if [ $rc -ne 0 ]; then echo "---- rsipd log"; tail -n 40 "$LAB_DIR/rsipd.log"; fi
exit $rc
