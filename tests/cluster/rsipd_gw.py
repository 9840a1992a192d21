# SPDX-License-Identifier: BSD-2-Clause
"""What the cluster drivers share: a real rsipd gateway (--store etcd://,
--role-file, data plane none, ASan) with its control socket, a scripted RSIP
host over UDP (rsiplib), the etcd members' requests to the shell, the
failure report (each gateway's last log lines), and a driver's Env from its
arguments. Used by the rsipd_*.py drivers."""

import base64
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

PORT = 4555


def driver_env():
    """For a driver run as NAME.py BUILD DIR ENDPOINTS PREFIX (etcd_drive):
    its Env and the member endpoints. SIGTERM (the test's timeout) exits 1,
    so that the driver's finally stops the gateways it started."""
    build, dir_, endpoints, prefix = sys.argv[1:5]
    members = endpoints.split(",")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    return Env(build, dir_, members, prefix), members


class Env:
    """BUILD, the test directory (logs, role files, sockets), the etcd
    endpoints and the cluster prefix."""

    def __init__(self, build, dir_, endpoints, prefix):
        self.build, self.dir, self.endpoints, self.prefix = build, dir_, endpoints, prefix
        self.rsipd = os.path.join(build, "asan", "rsipd")
        self.logs = []

    def fail(self, why):
        print("FAIL: " + why)
        for p in self.logs:
            if os.path.exists(p):
                print("--- %s (last lines):" % os.path.basename(p))
                lines = open(p, errors="replace").readlines()
                print("".join(lines[-30:]))
                said = [x for x in lines if "cluster:" in x]
                print("--- %s (its last cluster: lines):" % os.path.basename(p))
                print("".join(said[-40:]))
        sys.exit(1)

    def check(self, cond, why):
        if not cond:
            self.fail(why)

    def wait_for(self, what, fn, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = fn()
            if v:
                return v
            time.sleep(0.05)
        self.fail("not within %ds: %s" % (timeout, what))

    def every_member(self):
        """The members' numbers for etcd(): "1 2 3"."""
        return " ".join(str(i + 1) for i in range(len(self.endpoints)))

    def etcd(self, request):
        """Have the shell stop / pause / resume etcd members ("pause 2 3")."""
        req = os.path.join(self.dir, "etcd-req")
        with open(req + ".tmp", "w") as f:
            f.write(request + "\n")
        os.rename(req + ".tmp", req)
        self.wait_for("etcd: " + request, lambda: not os.path.exists(req), timeout=30)

    def etcdctl(self, *args):
        """etcdctl ARGS against the test cluster; its standard output."""
        return subprocess.run(
            ["etcdctl", "--endpoints", ",".join("http://" + e for e in self.endpoints)]
            + list(args), env=dict(os.environ, ETCDCTL_API="3"), capture_output=True,
            check=True).stdout

    def etcd_get(self, sub):
        """{key: value} of every key under PREFIX sub, read with etcdctl."""
        out = self.etcdctl("get", "--prefix", self.prefix + sub, "-w", "json")
        kvs = json.loads(out).get("kvs", [])
        return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv["value"]).decode()
                for kv in kvs}


class Gateway:
    def __init__(self, env, name, addr, endpoints, extra=()):
        self.env, self.name, self.addr = env, name, addr
        self.endpoints, self.extra = endpoints, list(extra)
        self.role = os.path.join(env.dir, name + ".state")
        self.ctl_path = os.path.join(env.dir, name + ".sock")
        self.log = os.path.join(env.dir, name + ".log")
        env.logs.append(self.log)
        self.proc = None

    def set_role(self, word):
        tmp = self.role + ".tmp"
        with open(tmp, "w") as f:
            f.write(word + "\n")
        os.rename(tmp, self.role)

    def start(self):
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:halt_on_error=1")
        store = "etcd://%s%s" % (",".join(self.endpoints), self.env.prefix)
        log = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [self.env.rsipd, "--listen", "%s:%d" % (self.addr, PORT), "--dataplane", "none",
             "--ctl-socket", self.ctl_path, "--store", store, "--gateway", self.name,
             "--role-file", self.role, "--register-rate", "0", "-v"] + self.extra,
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self.env.check(self.proc.poll() is None,
                           "%s exited with %s" % (self.name, self.proc.poll()))
            try:
                if self.ctl("status").get("ok"):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.env.fail("%s did not start" % self.name)

    def ctl(self, cmd, **kw):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.ctl_path)
        s.sendall((json.dumps(dict(kw, cmd=cmd)) + "\n").encode())
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

    def cluster(self):
        return self.status()["cluster"]

    def bindings(self):
        return {b["bind_id"]: b for b in self.ctl("bindings")["data"]}

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def log_text(self):
        return open(self.log, errors="replace").read()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
            self.env.check(rc == 0, "%s exited with %d on SIGTERM (sanitizer?)" % (self.name, rc))


class Host:
    """A scripted RSIP host over UDP: it keeps its Client ID and counter."""

    def __init__(self, addr, gw):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, 0))
        self.addr, self.gw = addr, gw
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


def runs(text):
    """rsipctl's "20000-20001,20005" (ports) or "0x100-0x101" (SPIs) -> set."""
    out = set()
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo, 0), int(hi or lo, 0) + 1))
    return out


def stop_all(gateways):
    """Stop every gateway still running (a driver's finally:), each in turn
    even when one fails; a failed exit status still fails the test."""
    for g in gateways:
        try:
            g.stop()
        except SystemExit:
            raise
        except Exception as e:  # noqa: BLE001
            print("stopping %s: %s" % (g.name, e))
