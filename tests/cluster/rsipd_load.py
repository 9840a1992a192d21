# SPDX-License-Identifier: BSD-2-Clause
"""What the hung-member and pipelining drivers share (rsipd_hung.py,
rsipd_pipeline.py): a host that registers, assigns and frees without pause,
each request retransmitted with its counter until answered, and the
bindings as etcd and a gateway hold them."""

import ipaddress
import json
import threading
import time

from rsipd_gw import R, runs


class Load(threading.Thread):
    """One host: REGISTER (once), then ASSIGN RSAP-IP (1 port) again and
    again, FREEing its oldest binding past 16, each request sent until
    answered (at most 60 s of retransmissions, every 0.3 s: a hung request
    is a failure, not a wait). live: the bindings it holds; freed: those it
    was told are gone; freeing: the one whose FREE is under way."""

    def __init__(self, host):
        super().__init__(daemon=True)
        self.host = host
        self.live, self.freed, self.grants = [], [], 0
        self.errors, self.unanswered, self.answers = 0, 0, []
        self.grant_times = []
        self.freeing = None  # a FREE sent, not answered yet
        self.stop = threading.Event()

    def ask(self, build, *args, **kw):
        m = self.host.call(build, *args, tries=200, wait=0.3, **kw)
        if m is None:
            self.unanswered += 1
        else:
            self.answers.append(time.monotonic())
            if m.type == R.ERROR_RESPONSE:
                self.errors += 1
        return m

    def run(self):
        h = self.host
        while not self.stop.is_set():
            if h.client_id is None:
                m = self.ask(R.register_request)
                if m is not None and m.type == R.REGISTER_RESPONSE:
                    h.client_id = m.client_id
                continue
            if len(self.live) > 16:
                self.freeing = self.live[0]
                m = self.ask(R.free_request, h.client_id, self.freeing[1])
                if m is not None and m.type == R.FREE_RESPONSE:
                    self.freed.append(self.live.pop(0))
                self.freeing = None
                continue
            m = self.ask(R.assign_rsap_ip, h.client_id, local_ports=R.p_ports_any(1))
            if m is not None and m.type == R.ASSIGN_RESPONSE_RSAP_IP:
                self.grants += 1
                self.grant_times.append(time.monotonic())
                self.live.append((h.client_id, m.bind_id, str(m.local_addr.value),
                                  set(m.local_ports.expand())))
            time.sleep(0.02)


def etcd_bindings(env):
    """bind_id -> (client_id, nb, ports) from the records in etcd."""
    out = {}
    for key, val in env.etcd_get("bind/").items():
        doc = json.loads(val)
        for b in doc["bindings"]:
            nb = b["nb"] if isinstance(b["nb"], str) else str(ipaddress.IPv4Address(b["nb"]))
            out[b["bind_id"]] = (doc["client_id"], nb, set(b["ports"]))
    return out


def gw_bindings(gw):
    return {k: (b["client_id"], b["nb"], runs(b["ports"])) for k, b in gw.bindings().items()}


def check_answered(env, loads, what):
    asked = sum(len(ld.answers) + ld.unanswered for ld in loads)
    lost = sum(ld.unanswered for ld in loads)
    grants = sum(ld.grants for ld in loads)
    frees = sum(len(ld.freed) for ld in loads)
    errors = sum(ld.errors for ld in loads)
    print("%s: %d requests, %d answered (%d grants, %d frees, %d RSIP errors), %d unanswered"
          % (what, asked, asked - lost, grants, frees, errors, lost))
    env.check(lost == 0, "%s: %d request(s) never answered" % (what, lost))
    env.check(grants > 0, "%s: no grant at all" % what)


def check_etcd(env, gw, loads, what):
    """Every binding a host holds is in etcd as granted, none it was told
    is freed is; the gateway holds what etcd holds."""
    eb = etcd_bindings(env)
    live = {}
    for ld in loads:
        for cid, bind_id, nb, ports in ld.freed:
            live.pop(bind_id, None)
        for g in ld.live:
            live[g[1]] = g
    freed = {g[1] for ld in loads for g in ld.freed} - set(live)
    for cid, bind_id, nb, ports in live.values():
        if eb.get(bind_id) != (cid, nb, ports):  # what the gateway says of it
            print("gateway: %r; etcd holds for %08x: %r" % (
                gw.bindings().get(bind_id),
                cid, sorted(k for k, v in eb.items() if v[0] == cid)))
        env.check(eb.get(bind_id) == (cid, nb, ports),
                  "%s: binding %d (%s %r) granted to %08x; etcd has %r"
                  % (what, bind_id, nb, sorted(ports), cid, eb.get(bind_id)))
    gone = sorted(b for b in freed if b in eb)
    env.check(not gone, "%s: bindings freed (answered) still in etcd: %r" % (what, gone[:5]))
    env.wait_for("%s: %s holds what etcd holds" % (what, gw.name),
                 lambda: gw_bindings(gw) == etcd_bindings(env), timeout=15)
    print("%s: the %d bindings hosts hold are in etcd, the %d freed are not; %s's bindings "
          "are etcd's" % (what, len(live), len(freed), gw.name))
