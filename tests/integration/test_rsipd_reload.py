#!/usr/bin/env python3
"""SIGHUP reload (issue 13, item 7). rsipd runs with a file that --allow's
only 10.0.0.0/8 (127.0.0.1 is refused with 304), lease 600, no metrics.
The file is edited: allow 127.0.0.0/8, lease 120, metrics on, holdback 30
(a restart-only option); SIGHUP: 127.0.0.1 now registers and is granted
120 s, /metrics answers, the log names holdback as needing a restart. Then
a broken file (lease = soon): SIGHUP is refused with the parse error and
the running configuration stays (registration still allowed, still 120 s).
The daemon stays up throughout and exits 0."""
import os
import signal
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
import rsiptest  # noqa: E402

conf = "/tmp/rsipd-reload-%d.conf" % os.getpid()
mport = rsiptest.free_port()


def write(text):
    with open(conf, "w") as f:
        f.write(text)


def wait_log(d, text, secs=10):
    end = time.time() + secs
    while time.time() < end:
        if text in d.stderr_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"no '{text}' in the log:\n{d.stderr_text()[-2000:]}")


write("allow = 10.0.0.0/8\nlease = 600\n")
try:
    with rsiptest.Rsipd("--config", conf, verbose=False) as d:
        m = rsiptest.TcpClient(d).register(expect_ok=False)
        rsiptest.expect_error(m, 304)
        print("ok: before: 127.0.0.1 refused (304)")

        write("allow = 127.0.0.0/8\nlease = 120\nholdback = 30\n"
              f"metrics = 127.0.0.1:{mport}\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_log(d, "reloaded:")
        m = rsiptest.TcpClient(d).register()
        assert m.lease == 120, m.lease
        body = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=10).read()
        assert b"rsip_clients 1" in body, body[:300]
        log = d.stderr_text()
        for want in ("reload: --allow applied", "reload: --lease applied",
                     "reload: --metrics applied",
                     "reload: --holdback changed: it needs a restart",
                     "reloaded: 3 options applied, 1 left for a restart"):
            assert want in log, want
        print("ok: after SIGHUP: registered with lease 120, /metrics serves, holdback "
              "left for a restart")

        write("allow = 127.0.0.0/8\nlease = soon\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_log(d, "reload refused, the running configuration stays:")
        assert "invalid value 'soon' for key 'lease'" in d.stderr_text()
        m = rsiptest.TcpClient(d, src="127.0.0.2").register()
        assert m.lease == 120, m.lease
        urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=10).read()
        assert d.proc.poll() is None
        print("ok: a broken file is refused and the running configuration stays")
finally:
    os.unlink(conf)
print("reload test: ok")
