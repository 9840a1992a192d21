#!/usr/bin/env python3
"""Type=notify readiness: rsipd sends READY=1 (with MAINPID and a STATUS) on
$NOTIFY_SOCKET once its sockets are open (a TCP connect to the listen port
succeeds right after READY=1 without a retry), and STOPPING=1 on SIGTERM,
then exits 0. The socket is ours, as systemd's would be."""
import os
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiptest  # noqa: E402

rsipd = rsiptest.asan_binary("rsipd")

with tempfile.TemporaryDirectory(prefix="rsipd-notify.") as tmp:
    path = os.path.join(tmp, "notify.sock")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(path)
    ns.settimeout(20)
    port = rsiptest.free_port()
    env = dict(os.environ, NOTIFY_SOCKET=path)
    p = subprocess.Popen([rsipd, "--listen", f"127.0.0.1:{port}", "--public", "192.0.2.1",
                          "--ctl-socket", os.path.join(tmp, "ctl.sock")],
                         env=env, stderr=subprocess.PIPE, text=True)
    try:
        msg = ns.recv(4096).decode()
        print("notify:", msg.replace("\n", " | "))
        fields = dict(line.split("=", 1) for line in msg.splitlines())
        assert fields.get("READY") == "1", msg
        assert fields.get("MAINPID") == str(p.pid), (fields, p.pid)
        assert "1 public address" in fields.get("STATUS", ""), msg
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        print("ok: READY=1 after the listen socket is open")
        p.send_signal(signal.SIGTERM)
        msg = ns.recv(4096).decode()
        assert "STOPPING=1" in msg, msg
        rc = p.wait(timeout=20)
        assert rc == 0, rc
        print("ok: STOPPING=1, exit 0")
    finally:
        if p.poll() is None:
            p.kill()
        err = p.stderr.read()
        p.wait()
    assert "Sanitizer" not in err and "runtime error" not in err, err
print("notify test: ok")
