# SPDX-License-Identifier: BSD-2-Clause
"""Harness for the integration tests: a tiny test runner, an rsipd started on
127.0.0.1 with a port and a control socket of its own, RSIP clients over real
UDP and TCP sockets (from any 127.0.0.x source), and the control socket.

Tests assert on what the daemon says, never on how fast: every wait has a
generous deadline and only a missing answer fails.
"""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import rsiplib as R

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD") or os.path.join(TOP, "build")

# Sanitizer output that fails a test, whatever the exit code.
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer", "AddressSanitizer:DEADLYSIGNAL")

WAIT = 10.0        # seconds to wait for any answer before calling it missing
UNSOLICITED_WAIT = 60.0


# ---- test runner -------------------------------------------------------------

class Skip(Exception):
    """The test did not run (a missing tool, not root, ...). The script then
    exits 77, which fails the run unless ALLOW_SKIP=1 (tests/runner/policy.sh)."""


class NotApplicable(Exception):
    """The test checked a fact of this machine that rules it out (say, the
    kernel has no ESP module): raise it with what was checked and found. The
    script then exits 78, which never fails the run."""


def check(cond, what="check failed"):
    if not cond:
        raise AssertionError(what)


def check_eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s%r != %r" % (what + ": " if what else "", got, want))


class Suite:
    """Named test functions run in order; a failure or a skip does not stop
    the others. run() returns the exit status for tests/run-layer.sh: 1 if
    any test failed, else 77 if any was skipped, else 78 if any was not
    applicable, else 0; the reasons are its last lines."""

    def __init__(self, name):
        self.name = name
        self.tests = []
        self.cleanups = []

    def test(self, fn):
        self.tests.append(fn)
        return fn

    def _cleanup(self, fn):
        ok = True
        for c in reversed(self.cleanups):
            try:
                c()
            except Exception:  # noqa: BLE001
                ok = False
                print("FAIL  %s (cleanup)" % fn.__name__, flush=True)
                traceback.print_exc(file=sys.stdout)
        self.cleanups = []
        return ok

    def run(self):
        passed, failed = [], []
        skipped, not_applicable = {}, {}  # name -> reason
        only = os.environ.get("RSIP_TEST_ONLY")
        print("== %s (BUILD=%s)" % (self.name, BUILD), flush=True)
        for fn in self.tests:
            if only and fn.__name__ not in only.split(","):
                continue
            start = time.monotonic()
            outcome = "passed"
            try:
                fn()
                print("ok    %s (%.1fs)" % (fn.__name__, time.monotonic() - start), flush=True)
            except Skip as e:
                outcome = "skipped"
                skipped[fn.__name__] = str(e)
                print("SKIP  %s: %s" % (fn.__name__, e), flush=True)
            except NotApplicable as e:
                outcome = "n/a"
                not_applicable[fn.__name__] = str(e)
                print("N/A   %s: %s" % (fn.__name__, e), flush=True)
            except Exception:  # noqa: BLE001 - report every kind of failure
                outcome = "failed"
                print("FAIL  %s" % fn.__name__, flush=True)
                traceback.print_exc(file=sys.stdout)
            if not self._cleanup(fn):
                outcome = "failed"
                skipped.pop(fn.__name__, None)
                not_applicable.pop(fn.__name__, None)
            if outcome == "passed":
                passed.append(fn.__name__)
            elif outcome == "failed":
                failed.append(fn.__name__)
        print("== %s: %d passed, %d failed, %d skipped"
              % (self.name, len(passed), len(failed), len(skipped) + len(not_applicable)))
        if failed:
            print("failed: %s" % ", ".join(failed))
            return 1
        if skipped:
            print("skipped: %s" % "; ".join("%s: %s" % kv for kv in skipped.items()))
            return 77
        if not_applicable:
            print("n/a: checked: %s" % "; ".join("%s: %s" % kv for kv in not_applicable.items()))
            return 78
        return 0


def seeded_random(name):
    """A Random whose seed is printed (and can be forced with RSIP_SEED), so
    a failing run can be replayed."""
    seed = int(os.environ.get("RSIP_SEED", "0")) or random.SystemRandom().randrange(1, 2**31)
    print("%s: seed %d (replay with RSIP_SEED=%d)" % (name, seed, seed), flush=True)
    return random.Random(seed)


# ---- the daemon ----------------------------------------------------------------

def asan_binary(name):
    """BUILD/asan/NAME, the sanitizer build a script runs by hand; exits 77
    (a skip, which fails the run unless ALLOW_SKIP=1) when it is not built."""
    path = os.path.join(BUILD, "asan", name)
    if not os.access(path, os.X_OK):
        print(f"no {path}")
        sys.exit(77)
    return path


def free_port(host="127.0.0.1"):
    """A port free for both UDP and TCP on host right now."""
    for _ in range(100):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((host, 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port")


class Rsipd:
    """rsipd on 127.0.0.1:<free port>, --dataplane none, its control socket
    in a temp dir. args: extra command-line arguments."""

    def __init__(self, *args, asan=True, public="192.0.2.1", verbose=True, preexec_fn=None):
        self.args = list(args)
        self.preexec_fn = preexec_fn  # run in the child before exec (rlimits)
        self.asan = asan
        self.public = public
        self.verbose = verbose
        self.binary = os.path.join(BUILD, "asan" if asan else "", "rsipd")
        self.proc = None
        self.dir = None
        self.port = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop(check=exc[0] is None)

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError("%s not built (make BUILD=... test-integration)" % self.binary)
        self.dir = tempfile.mkdtemp(prefix="rsipd-it-")
        self.ctl_path = os.path.join(self.dir, "ctl.sock")
        self.stderr_path = os.path.join(self.dir, "rsipd.stderr")
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:halt_on_error=1"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        for attempt in range(5):
            self.port = free_port()
            cmd = [self.binary, "--listen", "127.0.0.1:%d" % self.port, "--public", self.public,
                   "--dataplane", "none", "--ctl-socket", self.ctl_path] + self.args
            # RSIP_TEST_STORE=1: every daemon keeps a lease store of its own
            # (replies then wait for the store's commit), unless the test
            # names a --state-file itself.
            if os.environ.get("RSIP_TEST_STORE") and "--state-file" not in self.args:
                cmd += ["--state-file", os.path.join(self.dir, "rsipd.db")]
            if self.verbose:
                cmd.append("-v")
            self.cmd = cmd
            with open(self.stderr_path, "ab") as err:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                             stdout=err, stderr=err, env=env,
                                             preexec_fn=self.preexec_fn)
            if self._wait_ready():
                return
            text = self.stderr_text()
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            if "in use" in text and attempt < 4:
                continue  # lost the race for the port: another one
            shutil.rmtree(self.dir, ignore_errors=True)
            raise RuntimeError("rsipd did not start: %s\n%s" % (" ".join(cmd), text[-3000:]))

    def _wait_ready(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if self.ctl("status").get("ok"):
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def sanitizer_report(self):
        text = self.stderr_text()
        for mark in SANITIZER_MARKS:
            i = text.find(mark)
            if i >= 0:
                return text[max(0, i - 200):i + 4000]
        return None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, check=True):
        """SIGTERM and wait; the daemon must exit 0 with no sanitizer
        report (LeakSanitizer runs at exit)."""
        if self.proc is None:
            return
        rc = self.proc.poll()
        died = rc is not None
        if not died:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
                rc = "hung on SIGTERM"
        self.proc = None
        report = self.sanitizer_report()
        text = self.stderr_text()
        keep = os.environ.get("RSIP_KEEP_LOGS")
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("rsipd logs kept in %s" % self.dir)
        if not check:
            if report:
                print("sanitizer report:\n" + report)
            return
        if report:
            raise AssertionError("rsipd sanitizer report:\n" + report)
        if died:
            raise AssertionError("rsipd died during the test (exit %s):\n%s" % (rc, text[-3000:]))
        if rc != 0:
            raise AssertionError("rsipd exited %s on SIGTERM:\n%s" % (rc, text[-3000:]))

    # -- control socket --

    def ctl(self, cmd, **kw):
        """One control request, the parsed response object."""
        req = dict(cmd=cmd, **kw)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(WAIT)
            s.connect(self.ctl_path)
            s.sendall((json.dumps(req) + "\n").encode())
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    raise OSError("control socket closed before a full line")
                buf += chunk
        return json.loads(buf)

    def ctl_data(self, cmd, **kw):
        resp = self.ctl(cmd, **kw)
        check(resp.get("ok") is True, "ctl %s %s: %r" % (cmd, kw, resp))
        return resp.get("data")

    def rsipctl(self, *args, socket_path=None):
        """Run the rsipctl binary (ASan build); (exit status, stdout, stderr).
        A sanitizer report from rsipctl fails the test."""
        binary = os.path.join(BUILD, "asan", "rsipctl")
        if not os.access(binary, os.X_OK):
            binary = os.path.join(BUILD, "rsipctl")
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1")
        p = subprocess.run([binary, "--socket", socket_path or self.ctl_path] + list(args),
                           capture_output=True, text=True, timeout=60, env=env)
        for mark in SANITIZER_MARKS:
            check(mark not in p.stderr, "rsipctl sanitizer report:\n" + p.stderr)
        return p.returncode, p.stdout, p.stderr

    def bindings(self, client_id=None):
        """The bindings list, through `rsipctl --json bindings`."""
        args = ["--json", "bindings"] + ([str(client_id)] if client_id is not None else [])
        rc, out, err = self.rsipctl(*args)
        check_eq(rc, 0, "rsipctl bindings: " + err)
        return json.loads(out)

    def counters(self):
        return self.ctl_data("counters")


# ---- RSIP clients ----------------------------------------------------------------

class Client:
    """Common request helpers; subclasses move bytes. Every message the
    daemon sends must decode under rsiplib's strict decoder: that is the
    cross-check of the daemon's encoder. Unsolicited messages (counter 0)
    that arrive while waiting for an answer are kept in self.unsolicited."""

    def __init__(self, daemon, src):
        self.daemon = daemon
        self.src = src
        self.counter = 0
        self.client_id = None
        self.unsolicited = []
        self.received = []  # every decoded message, in order

    def next_counter(self):
        self.counter = self.counter % 0xFFFFFFFF + 1  # wraps to 1, never 0
        return self.counter

    def recv_msg(self, timeout=WAIT):
        """The next message, decoded strictly; None if nothing came."""
        data = self.recv_raw(timeout)
        if data is None:
            return None
        try:
            m = R.decode(data, datagram=True)
        except R.RsipError as e:
            raise AssertionError("rsipd sent a message rsiplib rejects (%s): %s"
                                 % (e, R.hexdump(data)))
        self.received.append(m)
        return m

    def wait_answer(self, counter, timeout=WAIT):
        """The message answering counter; unsolicited ones are set aside."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            m = self.recv_msg(left)
            if m is None:
                return None
            if m.counter == 0 and m.type in R.UNSOLICITED_TYPES:
                self.unsolicited.append(m)
                continue
            check_eq(m.counter, counter, "answer to counter %s: %r" % (counter, m))
            return m

    def call(self, build, *args, **kw):
        """Send build(*args, counter=next, **kw) and return the answer."""
        counter = self.next_counter()
        data = build(*args, counter=counter, **kw)
        return self.transact(data, counter)

    def transact(self, data, counter):
        self.send(data)
        m = self.wait_answer(counter)
        check(m is not None, "no answer from rsipd to %s" % R.hexdump(data[:64]))
        return m

    def wait_unsolicited(self, mtype, timeout=UNSOLICITED_WAIT, pred=None):
        """Wait for an unsolicited message of mtype (counter 0)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.unsolicited):
                if m.type == mtype and (pred is None or pred(m)):
                    return self.unsolicited.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no unsolicited %s within %ds (got %r)"
                                     % (R.MSG_NAMES[mtype], timeout, self.unsolicited))
            m = self.recv_msg(min(left, 1.0))
            if m is None:
                continue
            check_eq(m.counter, 0, "unexpected message %r" % m)
            self.unsolicited.append(m)

    # -- the protocol, one call per request type --

    def register(self, expect_ok=True):
        m = self.call(R.register_request)
        if expect_ok:
            expect_type(m, R.REGISTER_RESPONSE)
            self.client_id = m.client_id
        return m

    def deregister(self, client_id=None):
        return self.call(R.deregister_request, self._cid(client_id))

    def rsap(self, client_id=None, **kw):
        return self.call(R.assign_rsap_ip, self._cid(client_id), **kw)

    def rsipsec(self, spi, client_id=None, **kw):
        return self.call(R.assign_rsipsec, self._cid(client_id), spi, **kw)

    def extend(self, bind_id, lease=None, client_id=None):
        return self.call(R.extend_request, self._cid(client_id), bind_id, lease=lease)

    def free(self, bind_id, client_id=None):
        return self.call(R.free_request, self._cid(client_id), bind_id)

    def query(self, client_id=None, **kw):
        return self.call(R.query_request, self._cid(client_id), **kw)

    def listen(self, client_id=None, **kw):
        return self.call(R.listen_request, self._cid(client_id), **kw)

    def _cid(self, client_id):
        return self.client_id if client_id is None else client_id


class UdpClient(Client):
    def __init__(self, daemon, src="127.0.0.1"):
        super().__init__(daemon, src)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((src, 0))
        self.sock.connect(("127.0.0.1", daemon.port))

    def send(self, data):
        self.sock.send(data)

    def recv_raw(self, timeout=WAIT):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            return self.sock.recv(65536)
        except socket.timeout:
            return None

    def transact(self, data, counter):
        """Send and wait; like a real RSIP host (section 1), retransmit the
        same bytes if no answer comes, so a lost datagram on a busy machine
        does not fail a test. The daemon must treat the copy as a duplicate."""
        for _ in range(5):
            self.send(data)
            m = self.wait_answer(counter, timeout=WAIT / 2)
            if m is not None:
                return m
        raise AssertionError("no answer from rsipd to %s" % R.hexdump(data[:64]))

    def close(self):
        self.sock.close()


class TcpClient(Client):
    def __init__(self, daemon, src="127.0.0.1"):
        super().__init__(daemon, src)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind((src, 0))
        self.sock.settimeout(WAIT)
        self.sock.connect(("127.0.0.1", daemon.port))
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)

    def recv_raw(self, timeout=WAIT):
        """One message cut from the stream by its Overall Length."""
        deadline = time.monotonic() + timeout
        while True:
            n = R.frame_len(self.buf)
            if n < 0:
                raise AssertionError("rsipd sent a bad Overall Length: %s"
                                     % R.hexdump(self.buf[:16]))
            if n and len(self.buf) >= n:
                data, self.buf = self.buf[:n], self.buf[n:]
                return data
            if self.eof:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
            self.buf += chunk

    def wait_closed(self, timeout=WAIT):
        """True once the daemon has closed the connection (after draining
        whatever it sent before closing)."""
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
            self.buf += chunk
        return self.eof

    def close(self):
        self.sock.close()


def expect_type(m, mtype):
    check(m is not None, "no message, expected %s" % R.MSG_NAMES[mtype])
    if m.type != mtype:
        extra = ""
        if m.type == R.ERROR_RESPONSE:
            extra = " (error %s %s)" % (m.error, R.ERRORS.get(m.error, "?"))
        raise AssertionError("expected %s, got %s%s: %r"
                             % (R.MSG_NAMES[mtype], m.name, extra, m))
    return m


def expect_error(m, code):
    check(m is not None, "no message, expected error %d" % code)
    if m.type != R.ERROR_RESPONSE or m.error != code:
        raise AssertionError("expected ERROR_RESPONSE %d %s, got %r"
                             % (code, R.ERRORS.get(code, "?"), m))
    return m
