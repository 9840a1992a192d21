#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Two real rsipd gateways sharing their leases through etcd (--store
etcd://...), driven by test_rsipd_store_takeover.sh from inside the etcd
test cluster's namespace (the members on 127.0.1.1-3). Usage:
rsipd_pair.py BUILD DIR ENDPOINTS PREFIX. Prints what it checks; exit 0 or 1.

N1 (active: its role file says MASTER) and N2 (standby: BACKUP) listen on
127.0.2.1 and 127.0.2.2; hosts are scripted RSIP clients (rsiplib) on
127.0.3.x. The address move itself is keepalived's (test_keepalived_takeover
.sh): here a host simply turns to N2 when N1 is gone, as it would when Na
moved. Data plane none: the maps' side is the same restore path a restart
uses (tests/netns)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "integration"))
import rsiplib as R  # noqa: E402

BUILD, DIR, ENDPOINTS, PREFIX = sys.argv[1:5]
RSIPD = os.path.join(BUILD, "asan", "rsipd")
RSIPCTL = os.path.join(BUILD, "rsipctl")
STORE = "etcd://%s%s" % (ENDPOINTS, PREFIX)
PORT = 4555


def fail(why):
    print("FAIL: " + why)
    for n in ("n1", "n2"):
        p = os.path.join(DIR, n + ".log")
        if os.path.exists(p):
            print("--- rsipd %s (last lines):" % n)
            print("".join(open(p, errors="replace").readlines()[-25:]))
    sys.exit(1)


def check(cond, why):
    if not cond:
        fail(why)


class Gateway:
    def __init__(self, name, addr):
        self.name, self.addr = name, addr
        self.role = os.path.join(DIR, name + ".state")
        self.ctl_path = os.path.join(DIR, name + ".sock")
        self.proc = None

    def set_role(self, word):
        tmp = self.role + ".tmp"
        with open(tmp, "w") as f:
            f.write(word + "\n")
        os.rename(tmp, self.role)

    def start(self):
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:halt_on_error=1")
        log = open(os.path.join(DIR, self.name + ".log"), "ab")
        self.proc = subprocess.Popen(
            [RSIPD, "--listen", "%s:%d" % (self.addr, PORT), "--public", "192.0.2.10,192.0.2.11",
             "--dataplane", "none", "--ctl-socket", self.ctl_path, "--lease", "60",
             "--store", STORE, "--gateway", self.name, "--role-file", self.role,
             "--register-rate", "0", "-v"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            check(self.proc.poll() is None, "%s exited with %s" % (self.name, self.proc.poll()))
            try:
                if self.ctl("status").get("ok"):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        fail("%s did not start" % self.name)

    def ctl(self, cmd, **kw):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.ctl_path)
        req = dict(kw, cmd=cmd)
        s.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        s.close()
        return json.loads(buf)

    def status(self):
        return self.ctl("status")["data"]

    def bindings(self):
        return {b["bind_id"]: b for b in self.ctl("bindings")["data"]}

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
            check(rc == 0, "%s exited with %d on SIGTERM (sanitizer?)" % (self.name, rc))


class Host:
    """A scripted RSIP host over UDP; it keeps its Client ID and counters
    across the failover, as rsipc does (no re-registration)."""

    def __init__(self, addr, gw):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, 0))
        self.gw = gw
        self.counter = 0
        self.client_id = None

    def call(self, build, *args, tries=10, wait=0.3, **kw):
        self.counter += 1
        data = build(*args, counter=self.counter, **kw)
        for _ in range(tries):
            self.sock.sendto(data, (self.gw.addr, PORT))
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                self.sock.settimeout(max(deadline - time.monotonic(), 0.001))
                try:
                    m = R.decode(self.sock.recv(65536))
                except socket.timeout:
                    break
                if m.counter == self.counter:
                    return m
        return None


def wait_for(what, fn, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    fail("not within %ds: %s" % (timeout, what))


def etcd(request):
    """Have the shell stop / pause / resume etcd members ("pause 2 3")."""
    req = os.path.join(DIR, "etcd-req")
    with open(req + ".tmp", "w") as f:
        f.write(request + "\n")
    os.rename(req + ".tmp", req)
    wait_for("etcd: " + request, lambda: not os.path.exists(req), timeout=30)


def same_bindings(a, b):
    def key(x):
        return {k: (v["client_id"], v["nb"], v.get("ports"), v.get("spis"))
                for k, v in x.items()}
    return key(a) == key(b)


# SIGTERM (the shell's trap, a timeout): stop the gateways on the way out.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
n1, n2 = Gateway("n1", "127.0.2.1"), Gateway("n2", "127.0.2.2")
n1.set_role("MASTER")
n2.set_role("BACKUP")
try:
    n1.start()
    n2.start()
    check(n1.status()["cluster"]["role"] == "active", "n1 is not active")
    check(n2.status()["cluster"]["role"] == "standby", "n2 is not standby")

    print("== n1 (active) lends; n2 (standby) mirrors every binding")
    hosts, grants = [], {}
    for i in range(8):
        h = Host("127.0.3.%d" % (i + 1), n1)
        m = h.call(R.register_request)
        check(m is not None and m.type == R.REGISTER_RESPONSE, "host %d: no registration" % i)
        h.client_id = m.client_id
        a = h.call(R.assign_rsap_ip, h.client_id, local_ports=R.p_ports_any(4))
        check(a is not None and a.type == R.ASSIGN_RESPONSE_RSAP_IP, "host %d: ASSIGN %r" % (i, a))
        s = h.call(R.assign_rsipsec, h.client_id, R.p_spi_any(1))
        check(s is not None and s.type == R.ASSIGN_RESPONSE_RSIPSEC, "host %d: RSIPSEC %r" % (i, s))
        grants[h.client_id] = (a.bind_id, a.ports[0].expand(), s.bind_id, s.spi.expand())
        hosts.append(h)
    b1 = n1.bindings()
    check(len(b1) == 16, "n1 holds %d bindings, not 16" % len(b1))
    wait_for("n2 mirrors n1's 16 bindings", lambda: same_bindings(n2.bindings(), b1))
    st = n2.status()
    print("n2 status: clients %d bindings %d, sync %s" % (st["clients"], st["bindings"],
                                                         json.dumps(st["cluster"]["sync"])))
    check(st["alloc"]["ports_used"] == n1.status()["alloc"]["ports_used"],
          "n2's allocator holds other ports than n1's")
    peers = sorted((p["gateway"], p["role"]) for p in st["cluster"]["peers"])
    check(peers == [("n1", "active"), ("n2", "standby")], "peers %r" % peers)

    print("== the standby answers nothing")
    h = hosts[0]
    h.gw = n2
    check(h.call(R.extend_request, h.client_id, grants[h.client_id][0], tries=2) is None,
          "the standby answered an EXTEND")
    check(n2.ctl("counters")["data"]["rsip"]["passive_dropped"] >= 2, "n2 did not count the drops")
    h.gw = n1
    h.counter -= 1  # the host retries the same request at the active one
    m = h.call(R.extend_request, h.client_id, grants[h.client_id][0], lease=30)
    check(m is not None and m.type == R.EXTEND_RESPONSE, "EXTEND at n1: %r" % m)

    print("== a host de-registers at n1: n2 drops it too")
    gone = hosts.pop()
    m = gone.call(R.deregister_request, gone.client_id)
    check(m is not None and m.type == R.DEREGISTER_RESPONSE, "DE-REGISTER %r" % m)
    del grants[gone.client_id]
    b1 = n1.bindings()
    wait_for("n2 drops the host", lambda: same_bindings(n2.bindings(), b1))

    before = n1.bindings()
    print("== kill -9 n1; keepalived makes n2 MASTER")
    t0 = time.monotonic()
    n1.kill9()
    n2.set_role("MASTER")
    wait_for("n2 active", lambda: n2.status()["cluster"]["role"] == "active")
    for h in hosts:
        h.gw = n2
    first = None
    for h in hosts:
        bind_a, ports, bind_s, spis = grants[h.client_id]
        m = h.call(R.extend_request, h.client_id, bind_a, lease=60)
        check(m is not None and m.type == R.EXTEND_RESPONSE,
              "client %08x: EXTEND of its binding at n2: %r" % (h.client_id, m))
        if first is None:
            first = time.monotonic() - t0
        m = h.call(R.extend_request, h.client_id, bind_s, lease=60)
        check(m is not None and m.type == R.EXTEND_RESPONSE, "RSIPSEC EXTEND at n2: %r" % m)
    b2 = n2.bindings()
    for cid, (bind_a, ports, bind_s, spis) in grants.items():
        for bid in (bind_a, bind_s):
            check(bid in b2 and all(b2[bid][k] == before[bid][k] for k in ("nb", "ports", "spis")),
                  "client %08x: binding %d not kept: %r, was %r"
                  % (cid, bid, b2.get(bid), before[bid]))
    check(len(b2) == 2 * len(hosts), "n2 holds %d bindings, not %d" % (len(b2), 2 * len(hosts)))
    print("takeover: first EXTEND answered by n2 %.0f ms after kill -9 of n1; "
          "%d leases kept, 0 re-registrations" % (first * 1000, len(b2)))

    print("== etcd member 1 stops; n2 lends as the active gateway")
    etcd("stop 1")
    h = hosts[0]
    a = h.call(R.assign_rsap_ip, h.client_id, local_ports=R.p_ports_any(2))
    check(a is not None and a.type == R.ASSIGN_RESPONSE_RSAP_IP, "ASSIGN at n2: %r" % a)
    st = n2.status()["cluster"]["store"]
    print("n2 store after the member stopped: %s" % json.dumps(st))
    check(st["healthy"] and st["pending"] == 0, "n2's store is not healthy: %r" % st)
    check(a.bind_id in n2.bindings(), "the new binding is not at n2")

    print("== etcd unreachable (members 2 and 3 paused): n2 forwards and extends, lends nothing")
    etcd("pause 2 3")
    h = hosts[1]
    bind_a = grants[h.client_id][0]
    t0 = time.monotonic()
    m = h.call(R.extend_request, h.client_id, bind_a, lease=45, tries=20)
    check(m is not None and m.type == R.EXTEND_RESPONSE, "EXTEND during the outage: %r" % m)
    print("EXTEND during the outage answered in %.0f ms" % ((time.monotonic() - t0) * 1000))
    m = h.call(R.assign_rsap_ip, h.client_id, local_ports=R.p_ports_any(1), tries=20)
    check(m is not None and m.type == R.ERROR_RESPONSE and m.error == 104,
          "ASSIGN during the outage: %r (want ERROR_RESPONSE 104)" % m)
    log = open(os.path.join(DIR, "n2.log"), errors="replace").read()
    check("allocation refused (RSIP 104), etcd unreachable" in log, "no log line for the 104")
    etcd("resume 2 3")
    wait_for("n2's store healthy again",
             lambda: n2.status()["cluster"]["store"]["healthy"], timeout=30)
    wait_for("n2 wrote what waited", lambda: n2.status()["cluster"]["store"]["pending"] == 0)
    m = h.call(R.assign_rsap_ip, h.client_id, local_ports=R.p_ports_any(1))
    check(m is not None and m.type == R.ASSIGN_RESPONSE_RSAP_IP, "ASSIGN after the outage: %r" % m)

    print("== n1 comes back (BACKUP): it reads everything and stays standby")
    n1.set_role("BACKUP")
    n1.start()
    check(n1.status()["cluster"]["role"] == "standby", "n1 came back active")
    b2 = n2.bindings()
    wait_for("n1 mirrors n2", lambda: same_bindings(n1.bindings(), b2))
    print("n1 back: %d bindings mirrored, role standby" % len(b2))
    out = sys.stdout
    out.flush()
finally:
    for g in (n1, n2):
        try:
            g.stop()
        except SystemExit:
            raise
        except Exception as e:  # noqa: BLE001
            print("stopping %s: %s" % (g.name, e))
print("PASS")
