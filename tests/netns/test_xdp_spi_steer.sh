#!/usr/bin/env bash
# rsipd --spi-steer in the lab (tests/lab/lab.sh): one host leases 64 SPIs,
# the public peer Y sends ESP (and AH, UDP-ESP) for each from one CPU. With
# steering the per-CPU counters must show more than one CPU at work, each
# SPI on exactly the CPU its slot names, and every packet delivered in order;
# then rsipd restarts without the flag (same bindings, from the store) and
# the same packets must come out of the tunnel identical, all on the
# receiving CPU. The checks are in xdp_spi_steer.py.
# test-timeout: 240
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, XDP)"; exit 77; fi
if [ "$(nproc)" -lt 2 ]; then
	echo "n/a: checked nproc: $(nproc) CPU, steering needs two"
	exit 78
fi
. "$top/tests/lab/lab.sh"
lab_init str
lab_up || exit 1
state=$LAB_DIR/steer.json
rc=0
lab_rsipd_start --spi-steer 0-1 || exit 1
/usr/bin/python3 "$top/tests/netns/xdp_spi_steer.py" steer "$state" || rc=1
lab_rsipd_stop
if [ $rc = 0 ]; then
	lab_rsipd_start || exit 1
	/usr/bin/python3 "$top/tests/netns/xdp_spi_steer.py" plain "$state" || rc=1
	lab_rsipd_stop
fi
lab_rsipd_log_clean || rc=1
grep -q "SPI steering: ESP/AH/UDP-ESP spread over CPUs 0-1" "$LAB_DIR/rsipd.log" ||
	{ echo "FAIL: rsipd did not log the steering set-up"; rc=1; }
if [ $rc -ne 0 ]; then echo "---- rsipd log"; tail -n 40 "$LAB_DIR/rsipd.log"; fi
exit $rc
