# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# What bench/rsipc_iperf.sh and bench/rsipc_switch_napi.sh share, sourced
# with top (the repository) and BUILD set: their checks (root, iperf3, the
# built binaries: a missing one stops the bench with the reason), the lab
# (tests/lab/lab.sh), plain routing as the baseline, an rsipc on X1 leased
# the iperf3 port, and the median they print. PY and PORT are set here.
PY=/usr/bin/python3
PORT=5201
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (namespaces)" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "bench: no iperf3 (make deps)" >&2; exit 1; }
for f in "$BUILD/rsipd" "$BUILD/rsipc" "$BUILD/rsipctl"; do
	[ -x "$f" ] || { echo "bench: $f not built" >&2; exit 1; }
done
export BUILD
RSIPD=$BUILD/rsipd
. "$top/tests/lab/lab.sh"

# plain_routes add|del: X1 <-> Y routed by N's kernel, no rsipd: the baseline.
plain_routes() {
	if [ "$1" = add ]; then
		lab_exec x1 ip route replace default via "$LAB_NA"
		lab_exec y ip route replace 10.0.0.0/24 via "$LAB_N_WAN"
	else
		lab_exec y ip route del 10.0.0.0/24 via "$LAB_N_WAN"
		lab_exec x1 ip route del default via "$LAB_NA"
	fi
}

# rsipc_up LABEL BIN DATAPATH: the rsipc BIN on X1 (--datapath DATAPATH,
# state and log $LAB_DIR/rsipc-LABEL[.log]) with PORT leased by --listen,
# rsipd already running. Sets RSIPC_PID, RSIPC_DIR and RSIPC_NB (its public
# address); no lease in 30 s stops the bench with rsipc's log.
rsipc_up() {
	RSIPC_DIR=$LAB_DIR/rsipc-$1
	rm -rf "$RSIPC_DIR"
	mkdir -p "$RSIPC_DIR"
	lab_bg x1 "$RSIPC_DIR.log" "$2" --server "$LAB_NA" --state-dir "$RSIPC_DIR" \
		up --listen $PORT --datapath "$3"
	RSIPC_PID=$LAB_LAST_PID
	if ! lab_wait 30 test -s "$RSIPC_DIR/state.json"; then
		echo "bench: rsipc ($1) got no lease in 30 s; its log:" >&2
		cat "$RSIPC_DIR.log" >&2
		exit 1
	fi
	RSIPC_NB=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["address"])' \
		"$RSIPC_DIR/state.json")
}

# shellcheck disable=SC2086 # $1: the repetitions, one word each
median() { $PY -c 'import statistics,sys; print("%g" % statistics.median(float(x) for x in sys.argv[1:]))' $1; }
