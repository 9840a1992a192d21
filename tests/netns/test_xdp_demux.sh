#!/usr/bin/env bash
# The XDP data plane end to end in the lab (tests/lab/lab.sh): rsipd with
# --dataplane xdp on N, two hosts leasing over RSIP, the public peer Y sending
# ESP/AH/IKE/UDP-ESP/TCP/UDP; delivery, drops, spoofing, bpftool dumps.
# The checks are in xdp_demux.py.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, XDP)"; exit 77; fi
. "$top/tests/lab/lab.sh"
lab_init dmx
lab_up || exit 1
lab_rsipd_start || exit 1
/usr/bin/python3 "$top/tests/netns/xdp_demux.py"
rc=$?
lab_rsipd_stop
lab_rsipd_log_clean || rc=1
if [ $rc -ne 0 ]; then echo "---- rsipd log"; tail -n 40 "$LAB_DIR/rsipd.log"; fi
exit $rc
