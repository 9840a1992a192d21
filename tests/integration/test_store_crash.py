#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""The lease store against kill -9 (issue 8): rsipd is killed with SIGKILL
RSIP_CRASH_ROUNDS times (default 50) at random moments while 16 hosts
assign, extend and free over UDP. After each restart, with the replies
that never came retransmitted byte for byte from the same port:
- every binding whose reply a host received is there (nothing acknowledged
  is lost: replies leave only after the store committed them);
- rsipd holds exactly the bindings the hosts were told about (a request
  refused or never answered holds nothing);
- a retransmitted request whose reply was lost gets the same answer (the
  reply cache is in the store), so nothing is allocated twice.
A commit that fails (the WAL cannot grow: RLIMIT_FSIZE set on the running
rsipd) sends no reply; once the store can be written the retransmission gets
the answer, and a restart has it.
Also: the store is created 0600, --state-file none makes no file, an old
state.json is imported on first start, and a corrupt store stops start-up
with exit status 1 and a message saying what to do.
"""

import json
import os
import random
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
from rsiptest import (BUILD, Rsipd, Suite, UdpClient, check, check_eq,  # noqa: E402
                      seeded_random)

suite = Suite("store-crash")


def kill9(d):
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    d.proc = None
    shutil.rmtree(d.dir, ignore_errors=True)


def host_bindings(d):
    """{client_id: set(bind_id)} from the control socket."""
    out = {}
    for b in d.ctl_data("bindings"):
        out.setdefault(b["client_id"], set()).add(b["bind_id"])
    return out


class Host:
    def __init__(self, d, src):
        self.c = UdpClient(d, src)
        self.bound = set()  # bind IDs this host was told it holds
        self.pending = None  # (bytes, counter, op, bind_id) sent, not answered

    def retarget(self, d):
        self.c.daemon = d
        self.c.sock.connect(("127.0.0.1", d.port))

    def start_op(self, rng):
        c = self.c
        counter = c.next_counter()
        if len(self.bound) < 3 or rng.random() < 0.3:
            data, op, bid = R.assign_rsap_ip(c.client_id, counter=counter), "assign", None
        elif rng.random() < 0.5:
            bid = rng.choice(sorted(self.bound))
            data, op = R.extend_request(c.client_id, bid, lease=300, counter=counter), "extend"
        else:
            bid = rng.choice(sorted(self.bound))
            data, op = R.free_request(c.client_id, bid, counter=counter), "free"
        self.pending = (data, counter, op, bid)
        c.send(data)

    def apply(self, m):
        data, counter, op, bid = self.pending
        check_eq(m.counter, counter, "answer counter")
        if op == "assign" and m.type == R.ASSIGN_RESPONSE_RSAP_IP:
            self.bound.add(m.bind_id)
        elif op == "free" and m.type == R.FREE_RESPONSE:
            self.bound.discard(bid)
        self.pending = None

    def answer(self, timeout):
        """The answer to the pending request. A second copy of an earlier
        answer (the old rsipd answered just before the kill and the new one
        replays its cache for the retransmission) is the same answer: it
        is skipped."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.c.recv_msg(max(deadline - time.monotonic(), 0.001))
            if m is None or m.counter == self.pending[1]:
                return m
            check(m.counter is not None and m.counter < self.pending[1],
                  "unexpected message %r" % m)
            if time.monotonic() >= deadline:
                return None

    def poll(self):
        """Take an answer that is already there (no wait)."""
        if self.pending:
            m = self.answer(0.001)
            if m is not None:
                self.apply(m)

    def finish(self):
        """Retransmit the same bytes until answered."""
        for _ in range(5):
            if not self.pending:
                return
            self.c.send(self.pending[0])
            m = self.answer(5.0)
            if m is not None:
                self.apply(m)
        check(not self.pending, "no answer to a retransmission")


@suite.test
def sigkill_while_hosts_work():
    rng = seeded_random("store-crash")
    rounds = int(os.environ.get("RSIP_CRASH_ROUNDS", "50"))
    work = tempfile.mkdtemp(prefix="rsipd-store-")
    path = os.path.join(work, "rsipd.db")
    args = ("--state-file", path, "--lease", "600", "--holdback", "0")
    d = Rsipd(*args, verbose=False)
    d.start()
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        check_eq(oct(mode), oct(0o600), "store file mode")
        hosts = [Host(d, "127.0.6.%d" % (i + 1)) for i in range(16)]
        for h in hosts:
            h.c.register()
        acked = lost = 0
        for rnd in range(rounds):
            for _ in range(rng.randrange(1, 4)):
                for h in hosts:
                    if not h.pending:
                        h.start_op(rng)
                time.sleep(rng.random() * 0.02)
                for h in hosts:
                    h.poll()
                if rng.random() < 0.5:
                    break
            kill9(d)
            for h in hosts:
                if h.pending:
                    lost += 1
                else:
                    acked += 1
            d.start()
            for h in hosts:
                h.retarget(d)
            for h in hosts:
                h.finish()
            have = host_bindings(d)
            for h in hosts:
                check_eq(have.get(h.c.client_id, set()), h.bound,
                         "round %d: host %s bindings" % (rnd, h.c.src))
            check_eq(len(d.ctl_data("clients")), 16, "registrations after round %d" % rnd)
        print("%d SIGKILLs: %d answers received before a kill, %d retransmitted after; "
              "%d bindings held, all as the hosts were told"
              % (rounds, acked, lost, sum(len(h.bound) for h in hosts)))
        d.stop()
    finally:
        if d.proc is not None:
            d.stop(check=False)
        shutil.rmtree(work, ignore_errors=True)


@suite.test
def failed_commit_sends_no_reply():
    work = tempfile.mkdtemp(prefix="rsipd-store-")
    path = os.path.join(work, "rsipd.db")
    d = Rsipd("--state-file", path, "--lease", "600", "--holdback", "0", verbose=False)
    d.start()
    try:
        c = UdpClient(d, "127.0.6.100")
        c.register()
        # The WAL may not grow beyond what it holds now: the next commit's
        # write fails with EFBIG (rsipd ignores SIGXFSZ), and its retry.
        wal = os.path.getsize(path + "-wal")
        check(wal > 0, "a WAL after the registration")
        _, hard = resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE, (wal, hard))
        counter = c.next_counter()
        data = R.assign_rsap_ip(c.client_id, counter=counter)
        for _ in range(3):
            c.send(data)
            m = c.recv_msg(1.0)
            check(m is None, "a reply although the store was not written: %r" % m)
        check(d.alive(), "rsipd alive with a failing store")
        check("replies are not sent" in d.stderr_text(), "the failure logged")
        # The store can be written again: the same bytes get the answer.
        resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE, (hard, hard))
        m = c.transact(data, counter)
        check_eq(m.type, R.ASSIGN_RESPONSE_RSAP_IP, "answer once the store is back")
        bid = m.bind_id
        print("no reply while the WAL could not grow past %d bytes; then bind ID %d"
              % (wal, bid))
        kill9(d)
        d.start()
        check_eq(host_bindings(d).get(c.client_id, set()), {bid}, "the binding after kill -9")
        c.daemon = d
        c.sock.connect(("127.0.0.1", d.port))
        m = c.transact(data, counter)
        check_eq((m.type, m.bind_id), (R.ASSIGN_RESPONSE_RSAP_IP, bid), "the same answer again")
        d.stop()
    finally:
        if d.proc is not None:
            d.stop(check=False)
        shutil.rmtree(work, ignore_errors=True)


def run_rsipd(*args):
    cmd = [os.path.join(BUILD, "asan", "rsipd"), "--listen", "127.0.0.1:1",
           "--public", "192.0.2.1", "--ctl-socket", ""] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


@suite.test
def corrupt_store_exit_1():
    work = tempfile.mkdtemp(prefix="rsipd-store-")
    try:
        path = os.path.join(work, "rsipd.db")
        with open(path, "wb") as f:
            f.write(b"this is not a database" * 100)
        os.chmod(path, 0o600)
        p = run_rsipd("--state-file", path)
        print(p.stderr.strip().splitlines()[-1])
        check_eq(p.returncode, 1, "exit status on a corrupt store")
        check("move the file away" in p.stderr, "the message says what to do")
        # A symlink is never followed.
        os.unlink(path)
        os.symlink(os.path.join(work, "elsewhere"), path)
        p = run_rsipd("--state-file", path)
        check_eq(p.returncode, 1, "exit status on a symlinked store")
        check(not os.path.exists(os.path.join(work, "elsewhere")), "created through a symlink")
        # A directory others may write is refused.
        os.unlink(path)
        os.chmod(work, 0o777)
        p = run_rsipd("--state-file", path)
        check_eq(p.returncode, 1, "exit status in a world-writable directory")
        check("chmod go-w" in p.stderr, p.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@suite.test
def state_file_none_and_import():
    work = tempfile.mkdtemp(prefix="rsipd-store-")
    try:
        old = os.getcwd()
        os.chdir(work)
        try:
            with Rsipd("--state-file", "none", verbose=False) as d:
                UdpClient(d, "127.0.0.2").register()
            check(not os.path.exists(os.path.join(work, "none")), "a file named none")
        finally:
            os.chdir(old)
        # An old rsipd's state.json beside the store is imported once.
        path = os.path.join(work, "rsipd.db")
        legacy = os.path.join(work, "legacy.db")
        with Rsipd("--state-file", legacy, verbose=False) as d:
            c = UdpClient(d, "127.0.0.2")
            c.register()
            cid = c.client_id
        # Write what the JSON state file of the old format held, from a
        # dump of the store's row.
        import sqlite3
        con = sqlite3.connect(legacy)
        rows = [json.loads(doc) for (doc,) in con.execute("SELECT doc FROM clients")]
        shift = con.execute("SELECT value FROM meta WHERE key='spi_block_shift'").fetchone()[0]
        con.close()
        with open(os.path.join(work, "state.json"), "w") as f:
            json.dump({"format": "rsipd-state", "version": 1, "saved_ms": 0,
                       "spi_block_shift": shift, "clients": rows}, f)
        with Rsipd("--state-file", path, verbose=False) as d:
            check_eq([x["client_id"] for x in d.ctl_data("clients")], [cid], "imported")
        check(os.path.exists(os.path.join(work, "state.json.imported")), "renamed")
        with Rsipd("--state-file", path, verbose=False) as d:
            check_eq([x["client_id"] for x in d.ctl_data("clients")], [cid], "from the store")
    finally:
        shutil.rmtree(work, ignore_errors=True)


sys.exit(suite.run())
