#!/usr/bin/env bash
# /metrics with the XDP data plane (issue 13, item 4): ESP with an unknown
# SPI sent from the Internet side Y to Nb is dropped by the WAN program, and
# the scrape (parsed by prometheus_client) shows it as
# rsip_dataplane_drops_total{path="xdp",side="wan",reason="no_spi"}; every
# data-plane counter rsipctl shows is exactly one sample of a family with the
# same value.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "needs root (namespaces, XDP)"; exit 77; fi
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || { echo "no python3-prometheus-client (make deps)"; exit 1; }
. "$top/tests/lab/lab.sh"
lab_init met
lab_up || exit 1
fail() { echo "FAIL: $*"; echo "---- rsipd log"; tail -n 30 "$LAB_DIR/rsipd.log"; exit 1; }
mport=9455
lab_rsipd_start --metrics "$LAB_NA:$mport" || fail "start"
# 5 ESP packets, SPI 0x0badcafe (nobody's), to Nb1.
lab_exec y /usr/bin/python3 - "$LAB_NB1" <<'PY' || fail "send ESP"
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
for i in range(5):
    s.sendto(struct.pack("!II", 0x0BADCAFE, i + 1) + b"x" * 32, (sys.argv[1], 0))
PY
sleep 0.5
lab_ctl --json counters >"$LAB_DIR/counters.json" || fail "rsipctl counters"
lab_exec n /usr/bin/python3 - "$LAB_NA" "$mport" "$LAB_DIR/counters.json" <<'PY' || fail "metrics"
import json, sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
na, port, ctr = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
text = urllib.request.urlopen(f"http://{na}:{port}/metrics", timeout=10).read().decode()
samples = [s for f in text_string_to_metric_families(text) for s in f.samples
           if s.name.startswith("rsip_dataplane_") or s.name.startswith("rsip_slowpath_")]
def find(name, **labels):
    got = [s for s in samples if s.name == name and s.labels == labels]
    assert len(got) == 1, (name, labels, len(got))
    return got[0].value
v = find("rsip_dataplane_drops_total", path="xdp", side="wan", reason="no_spi")
assert v >= 5, v
print(f"ok: rsip_dataplane_drops_total{{path=xdp,side=wan,reason=no_spi}} = {v:.0f}")
dp = ctr["data"]["dataplane"] if "data" in ctr else ctr["dataplane"]
def expected(k):
    """The naming rule of docs/operations.md (Metrics), written out again."""
    if k == "bind_slots_uncounted":
        return "rsip_dataplane_uncounted_bindings_total", {}
    path, kk = ("slow", k[5:]) if k.startswith("slow_") else ("xdp", k)
    if kk[:4] not in ("wan_", "lan_"):
        return "rsip_slowpath_events_total", {"event": k}
    side, rest = kk[:3], kk[4:]
    if rest.startswith("drop_"):
        return "rsip_dataplane_drops_total", {"path": path, "side": side, "reason": rest[5:]}
    if rest.startswith("pass_"):
        return "rsip_dataplane_passed_to_kernel_total", {"side": side, "reason": rest[5:]}
    if rest == "tx" or rest.startswith("tx_"):
        return "rsip_dataplane_forwarded_total", {"path": path, "side": side,
                                                  "kind": rest[3:] or "all"}
    if rest.startswith("slow_") and path == "xdp":
        return "rsip_dataplane_slowpath_total", {"side": side, "reason": rest[5:]}
    return "rsip_slowpath_events_total", {"event": k}
# Each counter, one sample with its value (the lab is idle: nothing moved).
for k, want in dp.items():
    name, labels = expected(k)
    assert find(name, **labels) == want, (k, want)
assert len(samples) == len(dp), (len(samples), len(dp))
print(f"ok: each of the {len(dp)} data-plane counters of rsipctl is one sample, same value")
PY
lab_rsipd_stop
lab_rsipd_log_clean || fail "sanitizers"
echo "xdp metrics test: ok"
