#!/usr/bin/env python3
"""Logs with real priorities and no floods (issue 13, item 8).

rsipd runs with stderr on a pipe that JOURNAL_STREAM names, as systemd sets
it up for a unit: every line carries journald's "<N>" priority prefix
(notice for the start, warning for a missing --allow, info per client).
Then 200 REGISTER requests over TCP from a host that --allow refuses (over
UDP rsipd does not answer such a host at all, so that it cannot be used to
reflect traffic; --register-rate 0 so that every request reaches the check):
the site's
first LOG_BURST (20) lines are written, the other 180 are counted and summed
up in one line once the 10 s window ends."""
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiptest  # noqa: E402

rsipd = rsiptest.asan_binary("rsipd")

BURST, FLOOD = 20, 200


def msg(mtype, *params):
    body = b"".join(struct.pack("!BH", c, len(v)) + v for c, v in params)
    return struct.pack("!BBH", 1, mtype, 4 + len(body)) + body


lines = []


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        assert chunk, "rsipd closed the connection"
        buf += chunk
    return buf


def reader(f):
    for line in f:
        lines.append(line.rstrip("\n"))


def wait_for(pred, secs, what):
    end = time.time() + secs
    while time.time() < end:
        if any(pred(x) for x in lines):
            return
        time.sleep(0.1)
    sys.exit(f"FAIL: no {what} in {len(lines)} lines:\n" + "\n".join(lines[-20:]))


with tempfile.TemporaryDirectory(prefix="rsipd-logs.") as tmp:
    r, w = os.pipe()
    st = os.fstat(w)
    env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    port = rsiptest.free_port()
    # The first run has no --allow (a warning); the flood needs one that
    # refuses 127.0.0.1, so start once for each.
    p = subprocess.Popen([rsipd, "--listen", f"127.0.0.1:{port}", "--public", "192.0.2.1",
                          "--ctl-socket", os.path.join(tmp, "ctl.sock")],
                         env=env, stderr=w)
    os.close(w)
    t = threading.Thread(target=reader, args=(os.fdopen(r),), daemon=True)
    t.start()
    wait_for(lambda x: "listening on" in x, 20, "start line")
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=20) == 0
    t.join(5)
    first = list(lines)
    print("\n".join(first))
    want = {"<5>listening on": "notice", "<4>no --allow": "warning", "<5>stopped": "notice"}
    for prefix, level in want.items():
        assert any(x.startswith(prefix) for x in first), f"no {level} line {prefix!r}"
    assert all(re.match(r"<[0-7]>", x) for x in first), "a line without a priority"
    print("ok: journald priorities on every line (notice, warning)")

    lines.clear()
    r, w = os.pipe()
    st = os.fstat(w)
    env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    p = subprocess.Popen([rsipd, "--listen", f"127.0.0.1:{port}", "--public", "192.0.2.1",
                          "--allow", "10.0.0.0/8", "--register-rate", "0",
                          "--ctl-socket", os.path.join(tmp, "ctl.sock")],
                         env=env, stderr=w)
    os.close(w)
    t = threading.Thread(target=reader, args=(os.fdopen(r),), daemon=True)
    t.start()
    wait_for(lambda x: "listening on" in x, 20, "start line")
    t0 = time.monotonic()
    u = socket.create_connection(("127.0.0.1", port), timeout=5)
    for i in range(FLOOD):
        u.sendall(msg(2, (11, struct.pack("!I", i + 1))))
        hdr = recv_exact(u, 4)  # each request answered, one at a time
        recv_exact(u, struct.unpack("!H", hdr[2:4])[0] - 4)
    u.close()
    elapsed = time.monotonic() - t0
    wait_for(lambda x: "suppressed" in x, 25, "flood summary")
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=20) == 0
    t.join(5)
    denied = [x for x in lines if "registration denied by --allow" in x and "suppressed" not in x]
    summary = [x for x in lines if "suppressed" in x]
    print(f"{len(denied)} 'denied' lines written in {elapsed:.1f} s; summaries: {summary}")
    # Every line is either written or counted in a summary; at most BURST per
    # 10 s window (one window unless this machine was very slow).
    suppressed = sum(int(re.search(r"<6>(\d+) more lines like", x).group(1)) for x in summary)
    assert len(denied) + suppressed == FLOOD, (len(denied), suppressed)
    assert BURST <= len(denied) <= BURST * (int(elapsed // 10) + 2), len(denied)
    assert all(x.startswith("<6>") for x in denied), denied[0]
    assert summary and all("registration denied by --allow" in x for x in summary), summary
    print(f"ok: {FLOOD} refused registrations wrote {len(denied)} lines, {suppressed} counted "
          f"in {len(summary)} summary line(s)")
print("logs test: ok")
