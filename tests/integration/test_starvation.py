#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""A control plane no host can starve (issue 8, item 4), against the real
daemon over real sockets:

a. accept() failing with EMFILE does not spin: the listener pauses, one log
   line per interval, and TCP serves again once fds come back; the same for
   the control socket;
b. connections that never complete a message are closed after --tcp-timeout;
   with 5,000 idle or half-sent connections from 625 source addresses held
   against an rsipd whose RLIMIT_NOFILE allows far fewer, a new host still
   registers over TCP, and its idle connection is not timed out;
c. ports and SPIs held back after FREE count against the host that freed
   them: after 20,000 ASSIGN/FREE cycles by one host another host still gets
   8 ports and an SPI block;
d. a spoofed datagram from a host's address with a wrong Client ID changes
   nothing: unsolicited messages still go to the host's own port and its
   retransmission still gets its cached reply;
e. --max-clients answered 304; a flood of 300,000 spoofed REGISTERs (raw
   socket, random sources in 127.1.0.0/16) leaves a legitimate host served
   and rsipd's memory bounded; no UDP answer outside --allow;
f. per-event log lines are rate-limited, with a summary line.

Asserts counts and bounds, never a time: every figure is printed.
"""

import os
import random
import resource
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
from rsiptest import (Rsipd, Suite, TcpClient, UdpClient, check, check_eq,  # noqa: E402
                      expect_error, expect_type)

suite = Suite("starvation")


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def nb_connect(src, port):
    """A non-blocking connect from src: the socket (or None when even the
    SYN could not be sent)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.bind((src, 0))
        s.connect_ex(("127.0.0.1", port))
    except OSError:
        s.close()
        return None
    return s


def tcp_counters(d):
    return d.counters()["tcp"]


@suite.test
def accept_emfile_pauses():
    with Rsipd("--tcp-timeout", "2") as d:
        pid = d.proc.pid
        nfds = len(os.listdir("/proc/%d/fd" % pid))
        # Room for two more fds: the third connection makes accept() fail
        # with EMFILE while the listener stays readable.
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (nfds + 2, hard))
        socks = [nb_connect("127.0.0.%d" % (10 + i % 200), d.port) for i in range(20)]
        cpu0 = cpu_seconds(pid)
        time.sleep(3)
        cpu = cpu_seconds(pid) - cpu0
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
        for s in socks:
            if s:
                s.close()
        lines = [x for x in d.stderr_text().splitlines() if "tcp: accept:" in x]
        t = tcp_counters(d)
        print("EMFILE for 3 s: %d accept failures, %d log lines, rsipd CPU %.2f s"
              % (t["accept_failures"], len(lines), cpu))
        check(t["accept_failures"] >= 1, "accept() never failed: the test did not test")
        # Spinning makes millions of calls and lines; the back-off a few
        # per second and one line per 10 s.
        check(t["accept_failures"] <= 100, "accept() retried %d times" % t["accept_failures"])
        check(1 <= len(lines) <= 2, "%d accept log lines" % len(lines))
        # fds are back: TCP serves again.
        c = TcpClient(d, "127.0.0.2")
        c.register()
        check_eq(c.query().type, R.QUERY_RESPONSE)


@suite.test
def ctl_accept_emfile_pauses():
    """The control socket follows the same back-off (net/accept_pause.c)."""
    with Rsipd() as d:
        pid = d.proc.pid
        nfds = len(os.listdir("/proc/%d/fd" % pid))
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (nfds + 2, hard))
        socks = []
        for _ in range(12):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(d.ctl_path)
            socks.append(s)
        cpu0 = cpu_seconds(pid)
        time.sleep(3)
        cpu = cpu_seconds(pid) - cpu0
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
        for s in socks:
            s.close()
        lines = [x for x in d.stderr_text().splitlines() if "control socket: accept:" in x]
        c = d.counters()["control"]  # fds are back: the control socket answers
        print("EMFILE for 3 s: %d accept failures, %d log lines, rsipd CPU %.2f s"
              % (c["accept_failures"], len(lines), cpu))
        check(c["accept_failures"] >= 1, "accept() never failed: the test did not test")
        # Spinning makes millions of calls; the back-off one per second
        # (the resume timer) or per closed connection, one line per 10 s.
        check(c["accept_failures"] <= 100, "accept() retried %d times" % c["accept_failures"])
        check(1 <= len(lines) <= 2, "%d accept log lines" % len(lines))
        check_eq(c["listener_paused"], 0)


@suite.test
def five_thousand_idle_connections():
    have = raise_nofile()
    if have < 6000:
        raise AssertionError("RLIMIT_NOFILE hard limit %d: cannot hold 5000 sockets" % have)

    def low_nofile():
        # Far fewer fds than the attack's connections: the cap follows it.
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    with Rsipd("--tcp-timeout", "3", "--tcp-per-addr", "8", preexec_fn=low_nofile,
               verbose=False) as d:
        max_conns = tcp_counters(d)["max_connections"]
        print("rsipd RLIMIT_NOFILE 1024: at most %d connections" % max_conns)
        check(max_conns < 1024, "the connection cap follows RLIMIT_NOFILE")
        held = []
        partial = R.register_request(counter=1)[:3]
        for i in range(5000):
            src = "127.2.%d.%d" % (i // 200, 1 + i % 200)
            s = nb_connect(src, d.port)
            check(s is not None, "connect %d" % i)
            held.append(s)
            if i % 2:
                try:
                    s.send(partial)  # half a message
                except OSError:
                    pass
        # A new host registers over TCP while they are all held.
        c = TcpClient(d, "127.0.0.2")
        c.register()
        t = tcp_counters(d)
        print("5000 held: %d open in rsipd, %d evicted, %d timed out"
              % (t["connections"], t["evicted"], t["timed_out"]))
        check(t["connections"] <= max_conns, "over the cap")
        # After the timeout every unproven connection is gone; the host's
        # idle, proven connection stays and still works.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and tcp_counters(d)["connections"] > 1:
            time.sleep(0.5)
        t = tcp_counters(d)
        print("after --tcp-timeout: %d open, %d evicted, %d timed out"
              % (t["connections"], t["evicted"], t["timed_out"]))
        check_eq(t["connections"], 1, "connections left")
        check(t["timed_out"] >= 1, "nothing timed out")
        check_eq(c.query().type, R.QUERY_RESPONSE)
        # --tcp-per-addr: the ninth connection from one address closes
        # that address's oldest.
        same = [TcpClient(d, "127.0.0.7") for _ in range(9)]
        check(same[0].wait_closed(), "the oldest of 9 from one address is closed")
        for s in held:
            s.close()
        for s in same:
            s.close()


@suite.test
def holdback_counts_against_the_host():
    args = ("--port-range", "10000-14095", "--spi-range", "0x100-0x100ff",
            "--max-ports", "1024", "--max-spis", "1024", "--holdback", "120")
    with Rsipd(*args, verbose=False) as d:
        a = UdpClient(d, "127.0.0.2")
        a.register()
        granted = refused = 0
        for i in range(20000):
            if i % 2 == 0:
                m = a.rsap(local_ports=R.p_ports_any(8))
                ok_type, err = R.ASSIGN_RESPONSE_RSAP_IP, R.E_LOCAL_ADDRPORT_UNAVAILABLE
            else:
                m = a.rsipsec(R.p_spi_any(4))
                ok_type, err = R.ASSIGN_RESPONSE_RSIPSEC, R.E_IPSEC_SPI_UNAVAILABLE
            if m.type == ok_type:
                granted += 1
                expect_type(a.free(m.bind_id), R.FREE_RESPONSE)
            else:
                expect_error(m, err)
                refused += 1
        print("host A: 20000 ASSIGN/FREE cycles, %d granted, %d refused (cap reached)"
              % (granted, refused))
        # 1024 ports / 8 = 128 port grants; SPIs: 4 + a block of 256 held
        # back per grant, 1024 / 260 -> 4.
        check(granted <= 128 + 4, "host A got %d grants past its caps" % granted)
        check(refused >= 20000 - 132)
        b = UdpClient(d, "127.0.0.3")
        b.register()
        expect_type(b.rsap(local_ports=R.p_ports_any(8)), R.ASSIGN_RESPONSE_RSAP_IP)
        expect_type(b.rsipsec(R.p_spi_any(4)), R.ASSIGN_RESPONSE_RSIPSEC)


@suite.test
def spoofed_datagram_changes_nothing():
    with Rsipd("--lease", "600") as d:
        b = UdpClient(d, "127.0.0.3")
        b.register()
        m = b.rsap()
        expect_type(m, R.ASSIGN_RESPONSE_RSAP_IP)
        bind = m.bind_id
        last = R.assign_rsap_ip(b.client_id, counter=b.counter)
        last_reply = b.received[-1]
        # The spoofer sends from B's address (another port) with a wrong
        # Client ID: 305 to it, and nothing of B's moves.
        spoof = UdpClient(d, "127.0.0.3")
        spoof.counter = 700
        expect_error(spoof.free(bind, client_id=b.client_id ^ 1), R.E_BAD_CLIENT_ID)
        spoof.counter = 800
        expect_error(spoof.call(R.register_request), R.E_ALREADY_REGISTERED)
        # B's retransmission still gets its cached reply (not the 305).
        b.send(last)
        again = b.wait_answer(b.counter)
        check(again is not None and again.type == last_reply.type
              and again.bind_id == last_reply.bind_id, "cached reply replayed")
        check_eq(len(d.bindings()), 1, "no second allocation")
        # The operator frees the binding: the unsolicited FREE_RESPONSE
        # goes to B's own port, not to the spoofer's.
        rc, _, err = d.rsipctl("free", str(bind))
        check_eq(rc, 0, err)
        u = b.wait_unsolicited(R.FREE_RESPONSE, timeout=10)
        check_eq(u.bind_id, bind)
        check(spoof.recv_raw(timeout=1.0) is None, "the spoofer got B's unsolicited message")


def ip_checksum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def spoofed_register(src, sport, dport, counter):
    payload = R.register_request(counter=counter)
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, socket.IPPROTO_UDP, 0,
                      socket.inet_aton(src), socket.inet_aton("127.0.0.1"))
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    return hdr + udp


@suite.test
def spoofed_register_flood():
    rng = random.Random(8)
    n = int(os.environ.get("RSIP_FLOOD", "300000"))
    with Rsipd("--allow", "127.0.0.0/8", "--max-clients", "20000", asan=False,
               verbose=False) as d:
        pid = d.proc.pid
        rss0 = proc_status(pid, "VmRSS")
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
        legit = UdpClient(d, "127.0.0.2")
        sent = 0
        for i in range(n):
            src = "127.1.%d.%d" % (rng.randrange(256), rng.randrange(1, 255))
            try:
                raw.sendto(spoofed_register(src, 1024 + i % 60000, d.port, 1 + i), ("127.0.0.1", 0))
                sent += 1
            except OSError:
                pass  # a full buffer: that datagram is lost, as in a real flood
            if i == n // 2:
                # Mid-flood a legitimate host registers and uses its
                # Client ID (retransmitting, as RSIP hosts do).
                legit.register()
                expect_type(legit.rsap(), R.ASSIGN_RESPONSE_RSAP_IP)
        raw.close()
        # It is still registered and served after the flood (a host that
        # used its ID is never evicted).
        expect_type(legit.rsap(), R.ASSIGN_RESPONSE_RSAP_IP)
        rsip = d.counters()["rsip"]
        clients = len(d.ctl_data("clients"))
        rss = proc_status(pid, "VmRSS")
        hwm = proc_status(pid, "VmHWM")
        print("flood: %d spoofed REGISTERs sent, %d messages in, %d registered, "
              "%d rate-limited, %d evicted, %d refused at --max-clients, "
              "RSS %d -> %d kB (peak %d kB)"
              % (sent, rsip["messages_in"], clients, rsip["registers_limited"],
                 rsip["registrations_evicted"], rsip["registers_capped"], rss0, rss, hwm))
        check(sent >= n * 0.9, "the flood was not sent")
        check(clients <= 20000, "--max-clients exceeded: %d" % clients)
        check(rsip["registers_limited"] + rsip["registers_capped"]
              + rsip["registrations_evicted"] > 0, "nothing was limited")
        # 20,000 registrations and the bounded tables: well under 64 MB.
        check(hwm - rss0 < 64 * 1024, "memory grew by %d kB" % (hwm - rss0))
        # A lines-per-packet log would be hundreds of thousands of lines.
        nlines = len(d.stderr_text().splitlines())
        print("rsipd log: %d lines" % nlines)
        check(nlines < 200, "%d log lines" % nlines)


@suite.test
def max_clients_304():
    with Rsipd("--max-clients", "3", verbose=False) as d:
        hosts = [UdpClient(d, "127.0.0.%d" % (10 + i)) for i in range(3)]
        for h in hosts:
            h.register()
        # Full of registrations that never used their Client ID (what a
        # forged source leaves): the oldest makes room.
        UdpClient(d, "127.0.0.20").register()
        rsip = d.counters()["rsip"]
        check_eq(rsip["registrations_evicted"], 1)
        check_eq(sorted(x["address"] for x in d.ctl_data("clients")),
                 ["127.0.0.11", "127.0.0.12", "127.0.0.20"])
        # Hosts that used their ID are never evicted: 304.
        for h in hosts[1:]:
            expect_type(h.query(), R.QUERY_RESPONSE)
        last = UdpClient(d, "127.0.0.20")
        last.client_id = [x["client_id"] for x in d.ctl_data("clients")
                          if x["address"] == "127.0.0.20"][0]
        expect_type(last.query(), R.QUERY_RESPONSE)
        m = UdpClient(d, "127.0.0.21").call(R.register_request)
        expect_error(m, R.E_REGISTRATION_DENIED)
        check_eq(len(d.ctl_data("clients")), 3)
        check_eq(d.counters()["rsip"]["registers_capped"], 1)


@suite.test
def log_lines_rate_limited():
    with Rsipd("--register-rate", "0", verbose=False) as d:
        for i in range(200):
            UdpClient(d, "127.4.%d.%d" % (i // 100, 1 + i % 100)).register()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "suppressed" not in d.stderr_text():
            time.sleep(0.5)
        text = d.stderr_text()
        registered = [x for x in text.splitlines()
                      if " registered: " in x and "suppressed" not in x]
        summary = [x for x in text.splitlines() if "suppressed" in x]
        print("200 registrations: %d lines, summary %r" % (len(registered), summary))
        # One limiter for every call site (user/lib/log.c): LOG_BURST (20)
        # lines per 10 s window, the rest summed up in one line.
        check(len(registered) <= 20, "%d registration lines" % len(registered))
        check(any(x.find("180 more lines like") >= 0 and "registered" in x for x in summary),
              "summary line")


sys.exit(suite.run())
