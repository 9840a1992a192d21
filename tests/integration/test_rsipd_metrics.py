#!/usr/bin/env python3
"""Prometheus metrics (issue 13, item 4): rsipd --metrics 127.0.0.1:PORT
serves /metrics; prometheus_client's own parser reads it; after one client
registers and leases a port, and one request is refused (an ASSIGN with an
unknown Client ID... answered with an error), the metrics say so: clients,
bindings, pool use, registrations, error responses by code; every counter
`rsipctl counters` shows is a sample with the same value; the names follow
the conventions (counters end in _total, a HELP and TYPE for each family);
another path is 404, a POST 405; the state file is reported healthy."""
import json
import os
import subprocess
import sys
import urllib.error
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
import rsiptest  # noqa: E402

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("no python3-prometheus-client (make deps)")
    sys.exit(1)


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        assert r.status == 200, r.status
        ctype = r.headers["Content-Type"]
        assert ctype.startswith("text/plain; version=0.0.4"), ctype
        text = r.read().decode()
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    return text, fams


def value(fams, family, **labels):
    for s in fams[family].samples:
        if all(s.labels.get(k) == v for k, v in labels.items()) and \
                s.name in (family, family + "_total"):
            return s.value
    raise AssertionError(f"no {family}{labels}")


mport = rsiptest.free_port()
state_dir = None
with rsiptest.Rsipd("--metrics", f"127.0.0.1:{mport}") as d:
    state = os.path.join(d.dir, "state.json")
    text, fams = scrape(mport)
    assert value(fams, "rsip_up") == 1
    assert value(fams, "rsip_clients") == 0
    c = rsiptest.TcpClient(d)
    c.register()
    m = c.rsap()
    rsiptest.expect_type(m, R.ASSIGN_RESPONSE_RSAP_IP)
    m = c.free(0xdeadbeef)  # no such binding: an ERROR_RESPONSE
    assert m.type == R.ERROR_RESPONSE, m
    code = m.error
    text, fams = scrape(mport)
    print(text[:1500])
    assert value(fams, "rsip_clients") == 1
    assert value(fams, "rsip_bindings") == 1
    assert value(fams, "rsip_pool_used", resource="ports") == 1
    assert value(fams, "rsip_registrations") == 1
    assert value(fams, "rsip_error_responses", code=str(code)) == 1
    assert value(fams, "rsip_messages", direction="received") >= 3
    print(f"ok: 1 client, 1 binding, 1 port used, 1 registration, error {code} counted")

    # Every counter rsipctl shows is a sample with its value.
    ctl = d.ctl("counters")["data"]
    n = 0
    for k, v in ctl["rsip"].items():
        if k == "errors":
            for ek, ev in v.items():
                assert value(fams, "rsip_error_responses", code=ek.split()[0]) == ev, ek
                n += 1
        elif k in ("messages_in", "messages_out"):
            n += 1
        else:
            assert value(fams, f"rsip_{k}") == v, (k, v)
            n += 1
    print(f"ok: all {n} counters of rsipctl counters are metrics with the same values")

    # Conventions: counters end in _total, every family has HELP and TYPE.
    for line in text.splitlines():
        if line.startswith("# TYPE"):
            _, _, name, typ = line.split()
            assert f"# HELP {name} " in text, name
            if typ == "counter":
                assert name.endswith("_total"), name
            assert name.startswith("rsip_"), name
    print(f"ok: {len(fams)} families, counters named *_total, HELP and TYPE for each")

    # The Grafana dashboard in contrib/ asks only for metrics rsipd serves.
    import re
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    with open(os.path.join(top, "contrib", "grafana", "rsipd-dashboard.json")) as f:
        dash = json.load(f)
    served = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}
    asked = {m for p in dash["panels"] for t in p["targets"]
             for m in re.findall(r"\b(rsip_[a-z_]+)", t["expr"])}
    assert asked and asked <= served, asked - served
    print(f"ok: the dashboard's {len(asked)} metrics are all served")

    try:
        urllib.request.urlopen(f"http://127.0.0.1:{mport}/other", timeout=10)
        raise AssertionError("/other answered")
    except urllib.error.HTTPError as e:
        assert e.code == 404, e.code
    try:
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{mport}/metrics",
                                                      data=b"x", method="POST"), timeout=10)
        raise AssertionError("POST answered")
    except urllib.error.HTTPError as e:
        assert e.code == 405, e.code
    print("ok: /other 404, POST 405")

# A lease store (in a private directory: the store refuses one others may
# write): its health is reported.
mport = rsiptest.free_port()
with tempfile.TemporaryDirectory(prefix="rsipd-metrics-") as sdir:
    os.chmod(sdir, 0o700)
    with rsiptest.Rsipd("--metrics", f"127.0.0.1:{mport}", "--state-file",
                        os.path.join(sdir, "rsipd.db")) as d:
        c = rsiptest.TcpClient(d)
        c.register()
        text, fams = scrape(mport)
        assert value(fams, "rsip_store_enabled") == 1
        assert value(fams, "rsip_store_healthy") == 1
        assert value(fams, "rsip_store_commits") >= 1, value(fams, "rsip_store_commits")
        assert value(fams, "rsip_store_commit_failures") == 0
        print("ok: store enabled, healthy, %d commits" % value(fams, "rsip_store_commits"))
print("metrics test: ok")
