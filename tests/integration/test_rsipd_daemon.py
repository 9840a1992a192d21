#!/usr/bin/env python3
"""--daemon with the lease store (startup/detach.h): rsipd forks before it
opens anything, so the daemon holds its own SQLite file locks.
- `rsipd --daemon` returns 0 once the daemon serves, and 1, with the reason
  on the terminal, when it cannot start;
- an operator's `sqlite3` on the store while the daemon runs leaves the
  -wal and -shm files in place, and a registration after it is in the store
  (before: the daemon's locks were its parent's, gone with it; sqlite3 took
  itself for the only user, checkpointed, deleted both files, and every later
  commit went to an unlinked WAL);
- SIGTERM stops the daemon (before: its signalfd, made before the fork,
  never woke its epoll in the child)."""
import glob
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
import rsiptest  # noqa: E402

rsipd = rsiptest.asan_binary("rsipd")


def register(port, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.settimeout(5)
    s.send(R.register_request(counter=1))
    reply = R.decode(s.recv(65536))
    s.close()
    assert reply.type == R.REGISTER_RESPONSE, reply


def sqlite(db, sql):
    return subprocess.run(["sqlite3", db, sql], check=True, capture_output=True,
                          text=True).stdout.strip()


def daemon_pid(ctl):
    """The daemon is ours: the only process whose arguments name our socket."""
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(os.path.join(d, "cmdline"), "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if ctl.encode() in args and b"--daemon" in args:
            return int(os.path.basename(d))
    return None


with tempfile.TemporaryDirectory(prefix="rsipd-daemon.") as tmp:
    port = rsiptest.free_port()
    db = os.path.join(tmp, "leases.db")
    ctl = os.path.join(tmp, "ctl.sock")
    env = dict(os.environ, RUNTIME_DIRECTORY=tmp,
               ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1")
    args = [rsipd, "--daemon", "--dataplane", "none", "--listen", f"127.0.0.1:{port}",
            "--public", "192.0.2.1", "--allow", "127.0.0.0/8", "--register-rate", "0",
            "--ctl-socket", ctl]
    r = subprocess.run(args + ["--state-file", db], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, (r.returncode, r.stderr)
    pid = daemon_pid(ctl)
    assert pid, "no daemon found"
    try:
        register(port, "127.0.0.2")
        assert sqlite(db, "SELECT count(*) FROM clients;") == "1"
        for f in (db + "-wal", db + "-shm"):
            assert os.path.exists(f), f + " deleted by an outside reader"
        register(port, "127.0.0.3")
        assert sqlite(db, "SELECT count(*) FROM clients;") == "2", "a commit went missing"
        print("ok: sqlite3 beside the daemon; -wal and -shm kept; both hosts in the store")

        # A second instance on the same port cannot start: exit 1, reason shown.
        r2 = subprocess.run(args + ["--state-file", os.path.join(tmp, "other.db")], env=env,
                            capture_output=True, text=True, timeout=60)
        assert r2.returncode == 1, (r2.returncode, r2.stderr)
        assert "not started" in r2.stderr, r2.stderr
        print("ok: a daemon that cannot start exits 1:", r2.stderr.strip().splitlines()[0])
    finally:
        os.kill(pid, signal.SIGTERM)
        for _ in range(200):
            if daemon_pid(ctl) is None:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError("the daemon did not stop on SIGTERM within 10 s")
    print("ok: SIGTERM stopped the daemon")
