# SPDX-License-Identifier: BSD-2-Clause
"""Helpers for the netns tests: work inside the namespaces of tests/lab/lab.sh
from one Python process (setns per socket), speak RSIP as a host with
tests/integration/rsiplib.py, send and receive tunnelled packets with raw
IPIP/GRE sockets (no kernel tunnel modules here), craft packets from the
public peer Y, read rsipd's counters through rsipctl.

The lab's names and addresses come from the environment (lab_init exports
them). Every wait has a deadline; nothing here asserts on time.
"""

import ctypes
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import rsiplib as R  # noqa: E402

CLONE_NEWNET = 0x40000000
IPPROTO_IPIP = 4
IPPROTO_GRE = 47
IPPROTO_ESP = 50
IPPROTO_AH = 51
TUNNEL_IPIP = 1
TUNNEL_GRE = 2
WAIT = 5.0

_libc = ctypes.CDLL(None, use_errno=True)


def env(name):
    v = os.environ.get(name)
    if v is None:
        raise SystemExit("nslib: %s not set (run from a test that sourced tests/lab/lab.sh)"
                         % name)
    return v


class Lab:
    """The lab's names and addresses, from the environment."""

    def __init__(self):
        self.ns = {n: env("LAB_NS_" + n.upper()) for n in ("x1", "x2", "sw", "n", "y")}
        self.na = env("LAB_NA")
        self.x1 = env("LAB_X1")
        self.x2 = env("LAB_X2")
        self.y = env("LAB_Y")
        self.y2 = env("LAB_Y2")
        self.nb1 = env("LAB_NB1")
        self.nb2 = env("LAB_NB2")
        self.ctl = env("LAB_CTL")
        self.pin = env("LAB_PIN")
        self.build = env("BUILD")
        self.lan_mtu = int(env("LAB_LAN_MTU"))
        self.wan_mtu = int(env("LAB_WAN_MTU"))
        self.mac = {"x1": env("LAB_MAC_X1"), "x2": env("LAB_MAC_X2")}


class NetNS:
    """with NetNS(name): sockets created inside live in that namespace."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.orig = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open("/run/netns/" + self.name, os.O_RDONLY)
        try:
            _setns(fd)
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc):
        _setns(self.orig)
        os.close(self.orig)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


# ---- packets -----------------------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0x1234, df=False, mf=False, frag_off=0, ttl=64,
         tot_len=None):
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_off // 8)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot_len or 20 + len(payload), ident, flags,
                      ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp(src, dst, sport, dport, payload, **kw):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = struct.pack("!4s4sBBH", socket.inet_aton(src), socket.inet_aton(dst), 0, 17,
                         len(seg))
    c = csum(pseudo + seg) or 0xFFFF
    seg = seg[:6] + struct.pack("!H", c) + seg[8:]
    return ipv4(src, dst, 17, seg, **kw)


def tcp_syn(src, dst, sport, dport, seq=1, **kw):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 0x50, 0x02, 8192, 0, 0)
    pseudo = struct.pack("!4s4sBBH", socket.inet_aton(src), socket.inet_aton(dst), 0, 6,
                         len(seg))
    seg = seg[:16] + struct.pack("!H", csum(pseudo + seg)) + seg[18:]
    return ipv4(src, dst, 6, seg, **kw)


def esp(src, dst, spi, seq=1, body=b"\xab" * 32, **kw):
    return ipv4(src, dst, IPPROTO_ESP, struct.pack("!II", spi, seq) + body, **kw)


def ah(src, dst, spi, seq=1, **kw):
    # next header, payload length (in 4-byte words - 2), reserved, SPI, seq, ICV
    return ipv4(src, dst, IPPROTO_AH,
                struct.pack("!BBHII", 4, 4, 0, spi, seq) + b"\x00" * 12, **kw)


def ike_header(spii, spir=b"\0" * 8, v2=False, initiator=True, exchange=34, msgid=0):
    """28-byte ISAKMP/IKEv2 header (payloads not needed by the demux)."""
    ver = 0x20 if v2 else 0x10
    flags = (0x08 if initiator else 0) if v2 else 0
    return spii + spir + struct.pack("!BBBBII", 0, ver, exchange, flags, msgid, 28)


def icmp(src, dst, typ, code, rest, body, **kw):
    msg = struct.pack("!BBH", typ, code, 0) + rest + body
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    return ipv4(src, dst, 1, msg, **kw)


def fragments(pkt, size):
    """Split an IPv4 packet (no options) into fragments of size payload bytes
    (a multiple of 8), keeping its ID."""
    hdr, data = pkt[:20], pkt[20:]
    src, dst = socket.inet_ntoa(hdr[12:16]), socket.inet_ntoa(hdr[16:20])
    ident, proto, ttl = struct.unpack("!H", hdr[4:6])[0], hdr[9], hdr[8]
    out = []
    for off in range(0, len(data), size):
        chunk = data[off:off + size]
        out.append(ipv4(src, dst, proto, chunk, ident=ident, mf=off + size < len(data),
                        frag_off=off, ttl=ttl))
    return out


def parse_ip(pkt):
    """(src, dst, proto, payload, header length) of an IPv4 packet."""
    ihl = (pkt[0] & 15) * 4
    tot = struct.unpack("!H", pkt[2:4])[0]
    return (socket.inet_ntoa(pkt[12:16]), socket.inet_ntoa(pkt[16:20]), pkt[9],
            pkt[ihl:tot], ihl)


# ---- endpoints -------------------------------------------------------------------

class RawSender:
    """Sends whole IPv4 packets (header included) from a namespace."""

    def __init__(self, ns):
        with NetNS(ns):
            self.s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)

    def send(self, pkt):
        self.s.sendto(pkt, (socket.inet_ntoa(pkt[16:20]), 0))

    def close(self):
        self.s.close()


class Tunnel:
    """A host's end of the RSIP tunnel: raw IPIP and GRE sockets, no kernel
    tunnel. recv() gives (outer src, tunnel type, inner packet)."""

    def __init__(self, ns, xa, na):
        self.xa, self.na = xa, na
        with NetNS(ns):
            self.ipip = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IPIP)
            self.gre = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_GRE)
            for s in (self.ipip, self.gre):
                s.bind((xa, 0))
                # Outer packets bigger than the LAN: fragmented by the kernel.
                s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER: DONT
        self.queue = []

    def send(self, inner, tunnel=TUNNEL_IPIP):
        if tunnel == TUNNEL_GRE:
            self.gre.sendto(b"\x00\x00\x08\x00" + inner, (self.na, 0))
        else:
            self.ipip.sendto(inner, (self.na, 0))

    def _read(self, timeout):
        r, _, _ = select.select([self.ipip, self.gre], [], [], timeout)
        for s in r:
            data = s.recv(65535)
            src, _dst, proto, payload, _ = parse_ip(data)
            if proto == IPPROTO_GRE:
                if payload[:4] != b"\x00\x00\x08\x00":
                    continue
                self.queue.append((src, TUNNEL_GRE, payload[4:]))
            else:
                self.queue.append((src, TUNNEL_IPIP, payload))
        return bool(r)

    def recv_match(self, pred, timeout=WAIT):
        """The first tunnelled packet whose inner packet satisfies pred, or
        None after timeout. Non-matching packets stay queued."""
        deadline = time.monotonic() + timeout
        while True:
            for i, item in enumerate(self.queue):
                if pred(item[2]):
                    return self.queue.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._read(left)

    def drain(self, quiet=0.3):
        while self._read(quiet):
            pass
        q, self.queue = self.queue, []
        return q

    def close(self):
        self.ipip.close()
        self.gre.close()


class Catcher:
    """Raw receive sockets for some protocols in a namespace (the public
    peer): every IPv4 packet of those protocols, header included."""

    def __init__(self, ns, protos):
        self.socks = []
        with NetNS(ns):
            for p in protos:
                self.socks.append(socket.socket(socket.AF_INET, socket.SOCK_RAW, p))
        self.queue = []

    def recv_match(self, pred, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            for i, pkt in enumerate(self.queue):
                if pred(pkt):
                    return self.queue.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select(self.socks, [], [], left)
            for s in r:
                self.queue.append(s.recv(65535))

    def drain(self, quiet=0.3):
        while True:
            r, _, _ = select.select(self.socks, [], [], quiet)
            if not r:
                break
            for s in r:
                self.queue.append(s.recv(65535))
        q, self.queue = self.queue, []
        return q

    def close(self):
        for s in self.socks:
            s.close()


class RsipHost:
    """An RSIP host over UDP from a namespace (rsiplib encodes, decodes
    strictly)."""

    def __init__(self, ns, xa, na, port=4555):
        with NetNS(ns):
            self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.s.bind((xa, 0))
            self.s.connect((na, port))
        self.counter = 0
        self.client_id = None

    def call(self, build, *args, **kw):
        self.counter += 1
        data = build(*args, counter=self.counter, **kw)
        for _ in range(5):
            self.s.send(data)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                self.s.settimeout(max(deadline - time.monotonic(), 0.01))
                try:
                    m = R.decode(self.s.recv(65536))
                except socket.timeout:
                    break
                if m.counter == self.counter:
                    return m
        raise AssertionError("no answer from rsipd")

    def register(self):
        m = self.call(R.register_request)
        expect(m.type == R.REGISTER_RESPONSE, "REGISTER: %r" % m)
        self.client_id = m.client_id
        return m

    def rsipsec(self, nspis, nports=0, tunnel=None, nb=None):
        """ASSIGN_REQUEST_RSIPSEC: (bind_id, nb, ports, spis)."""
        if nports:
            lp, rp = R.p_ports_any(nports), R.p_ports_any(1)
        else:
            lp = rp = R.p_ports_not_needed()
        m = self.call(R.assign_rsipsec, self.client_id, R.p_spi_any(nspis),
                      local_addr=R.p_addr_v4(nb) if nb else None, local_ports=lp,
                      remote_ports=rp, tunnel=tunnel)
        expect(m.type == R.ASSIGN_RESPONSE_RSIPSEC, "RSIPSEC: %r" % m)
        return (m.bind_id, str(m.local_addr.value),
                m.local_ports.expand() if m.local_ports else [], m.spi.expand())

    def rsap(self, nports, tunnel=None, nb=None, remote_addr=None, remote_ports=None):
        """ASSIGN_REQUEST_RSAP-IP: (bind_id, nb, ports)."""
        m = self.call(R.assign_rsap_ip, self.client_id,
                      local_addr=R.p_addr_v4(nb) if nb else None,
                      local_ports=R.p_ports_any(nports), tunnel=tunnel,
                      remote_addr=remote_addr, remote_ports=remote_ports)
        expect(m.type == R.ASSIGN_RESPONSE_RSAP_IP, "RSAP-IP: %r" % m)
        return (m.bind_id, str(m.local_addr.value), m.local_ports.expand())

    def unsolicited(self, timeout=WAIT):
        """The next message with counter 0 (ERROR_RESPONSE, FREE_RESPONSE...)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.s.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                m = R.decode(self.s.recv(65536))
            except socket.timeout:
                return None
            if m.counter == 0:
                return m
        return None

    def close(self):
        self.s.close()


# ---- the daemon ----------------------------------------------------------------

def ctl(lab, *args):
    out = subprocess.run([os.path.join(lab.build, "rsipctl"), "--socket", lab.ctl, "--json"]
                         + list(args), capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise AssertionError("rsipctl %s: %s" % (" ".join(args), out.stderr.strip()))
    return json.loads(out.stdout)


def counters(lab):
    return ctl(lab, "counters")["dataplane"]


class Delta:
    """Counter changes since it was made: d = Delta(lab); ...; d["wan_tx_esp"]."""

    def __init__(self, lab):
        self.lab = lab
        self.before = counters(lab)

    def __getitem__(self, name):
        now = counters(self.lab)
        if name not in now:
            raise AssertionError("no counter %s (have %s)" % (name, sorted(now)))
        return now[name] - self.before.get(name, 0)


def wait_counter(lab, delta, name, at_least, timeout=WAIT):
    """Counters are read after the packet went by; give them a moment."""
    deadline = time.monotonic() + timeout
    while True:
        v = delta[name]
        if v >= at_least or time.monotonic() > deadline:
            return v
        time.sleep(0.1)


# ---- a test's steps and the pinned maps --------------------------------------------

def save(name, obj):
    """obj as JSON in $LAB_DIR/name: what one step of a test (a separate run
    of its helper) hands the next."""
    with open(os.path.join(env("LAB_DIR"), name), "w") as f:
        json.dump(obj, f)


def load(name):
    with open(os.path.join(env("LAB_DIR"), name)) as f:
        return json.load(f)


def bpftool(*args):
    """bpftool -j ARGS, its JSON (None when it printed nothing)."""
    r = subprocess.run(["bpftool", "-j"] + list(args), capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        raise AssertionError("bpftool %s: %s" % (" ".join(args), r.stderr.strip()))
    return json.loads(r.stdout) if r.stdout.strip() else None


def tamper_reuse_record(pin):
    """Flip one byte of the object digest in a pinned reuse record (rsip_reuse
    or rsip_reuse_tc: value offset 16, after the layout and three counts), so
    that the next start must load the programs again."""
    v = bpftool("map", "lookup", "pinned", pin, "key", "0", "0", "0", "0")
    val = [int(b, 16) for b in v["value"]]
    val[16] ^= 1
    subprocess.check_call(["bpftool", "map", "update", "pinned", pin, "key", "0", "0", "0", "0",
                           "value"] + [str(b) for b in val])


# ---- tiny test runner -----------------------------------------------------------

def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def run(tests):
    """Run (name, fn) pairs in order; print one line each; exit 1 on failure."""
    failed = 0
    for name, fn in tests:
        try:
            fn()
            print("  ok    %s" % name, flush=True)
        except Exception as e:  # noqa: BLE001 - report everything
            failed += 1
            print("  FAIL  %s: %s" % (name, e), flush=True)
            import traceback
            traceback.print_exc()
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    sys.exit(1 if failed else 0)
