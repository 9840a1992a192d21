#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Mutation test: thousands of randomly mutated valid RSIP messages (bit
flips, truncations, Overall Length and parameter Length edits, parameter
swaps, duplications and deletions, splices, type and byte changes) sent to
the ASan/UBSan daemon over UDP (lock-step: one answer per datagram) and over
TCP (streams that desynchronise, get closed and reconnect). Afterwards the
daemon must still answer a fresh REGISTER over both transports, and exit
cleanly with no sanitizer report.

Cross-checks with rsiplib's independent decoder, on the classes where
section 6.1 leaves no choice:
  * every message the daemon sends decodes strictly;
  * a datagram rsiplib rejects for framing gets 207, for the version 106,
    for an unknown type 206, for any other format reason some 2xx error;
  * a well-formed message of a type only a gateway sends gets 206 (D8);
  * a datagram rsiplib accepts never gets a format error (106, 201-204,
    206, 207): 205 stays possible for receiver-side value checks (D3, D13).
The seed is printed; RSIP_SEED=N replays a run, RSIP_MUTATIONS=N resizes it.
"""

import collections
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
from rsiptest import (Rsipd, Suite, TcpClient, UdpClient, check, check_eq,  # noqa: E402
                      expect_type, seeded_random)

suite = Suite("mutation")
N_UDP = int(os.environ.get("RSIP_MUTATIONS", "6000"))
N_TCP = N_UDP // 2
FORMAT_ERRORS = {106, 201, 202, 203, 204, 206, 207}


def corpus(rng, cid, counter):
    """Valid messages of every request type, for a host with Client ID cid
    (which may be stale: that is fine, the point is the parser)."""
    nb = R.p_addr_v4("192.0.2.1")
    bid = rng.choice([1, 0xDEADBEEF, rng.randrange(1, 2**32)])
    spi = rng.choice([R.p_spi_any(rng.randrange(1, 6)), R.p_spi_range(0x1000 + rng.randrange(64)),
                      R.p_spi_list([0x2000, 0x2002, 0x2007]), R.p_spi_range(0x3000, 4)])
    ports = rng.choice([R.p_ports_any(rng.randrange(1, 5)), R.p_ports_range(20000 + rng.randrange(900)),
                        R.p_ports_range(21000, 3), R.p_ports_list([22000, 22002])])
    vend = [R.p_vendor(rng.randrange(65536), rng.randrange(65536), bytes(rng.randrange(8)))]
    return [
        R.register_request(counter=counter),
        R.encode(R.REGISTER_REQUEST, [R.p_counter(counter)] + vend),
        R.deregister_request(cid, counter=counter),
        R.assign_rsap_ip(cid, local_ports=ports, counter=counter, lease=rng.randrange(0, 100)),
        R.assign_rsap_ip(cid, local_addr=nb, local_ports=ports, remote_addr=R.p_addr_v4("198.51.100.1"),
                         remote_ports=R.p_ports_range(80), counter=counter, tunnel=R.TUNNEL_GRE),
        R.assign_rsipsec(cid, spi, counter=counter),
        R.assign_rsipsec(cid, spi, local_ports=ports, remote_addr=R.p_addr_v4("198.51.100.2"),
                         counter=counter, lease=30, tunnel=R.TUNNEL_IPIP),
        R.assign_rsa_ip(cid, counter=counter),
        R.extend_request(cid, bid, lease=rng.randrange(100), counter=counter),
        R.free_request(cid, bid, counter=counter),
        R.query_request(cid, addresses=["10.0.0.1", "8.8.8.8"],
                        networks=[("10.1.0.0", "255.255.0.0")], counter=counter),
        R.query_request(cid, counter=counter),
        R.listen_request(cid, local_ports=ports, counter=counter, tunnels=[1, 2]),
        R.encode(R.QUERY_REQUEST, [R.p_client_id(cid), R.p_addr_v6("2001:db8::1"),
                                   R.p_counter(counter)]),
        R.encode(R.ASSIGN_REQUEST_RSAP_IP, [R.p_client_id(cid), R.p_addr_fqdn("x.example"), ports,
                                            R.p_addr_fqdn("peer.example"), R.p_ports_any(1),
                                            R.p_counter(counter)]),
    ]


def tlv_offsets(data):
    """(offset, total length) of each parameter, as far as the bytes go."""
    out, off = [], 4
    while off + 3 <= len(data):
        n = struct.unpack(">H", data[off + 1:off + 3])[0]
        out.append((off, 3 + n))
        off += 3 + n
    return out


def mutate(rng, data, other):
    b = bytearray(data)
    kind = rng.randrange(12)
    tlvs = [(o, n) for o, n in tlv_offsets(data) if o + n <= len(data)]
    if kind == 0:  # bit flips
        for _ in range(rng.randrange(1, 5)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == 1:  # truncation
        b = b[:rng.randrange(len(b))]
    elif kind == 2:  # Overall Length edit, small and large
        n = rng.choice([rng.randrange(0, 12), len(b) + rng.randrange(-6, 7),
                        rng.randrange(65536), 4096, 4097])
        b[2:4] = struct.pack(">H", max(0, min(n, 65535)))
    elif kind == 3 and tlvs:  # a parameter's Length
        o, n = rng.choice(tlvs)
        v = rng.choice([0, 1, 2, n - 3 + rng.randrange(-3, 4), rng.randrange(65536)])
        b[o + 1:o + 3] = struct.pack(">H", max(0, min(v, 65535)))
    elif kind == 4 and len(tlvs) >= 2:  # swap two parameters
        (o1, n1), (o2, n2) = sorted(rng.sample(tlvs, 2))
        p1, p2 = bytes(b[o1:o1 + n1]), bytes(b[o2:o2 + n2])
        b = b[:o1] + p2 + b[o1 + n1:o2] + p1 + b[o2 + n2:]
    elif kind == 5 and tlvs:  # duplicate a parameter, fix the length
        o, n = rng.choice(tlvs)
        b = b[:o + n] + b[o:o + n] + b[o + n:]
        b[2:4] = struct.pack(">H", len(b) & 0xFFFF)
    elif kind == 6 and tlvs:  # delete a parameter, fix the length
        o, n = rng.choice(tlvs)
        b = b[:o] + b[o + n:]
        b[2:4] = struct.pack(">H", len(b))
    elif kind == 7:  # message type
        b[1] = rng.choice([0, 1, 3, 18, 21, 24, 99, 255, rng.randrange(256)])
    elif kind == 8:  # random bytes overwritten
        for _ in range(rng.randrange(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 9:  # random bytes inserted, length fixed or not
        i = rng.randrange(4, len(b) + 1)
        b = b[:i] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 10))) + b[i:]
        if rng.random() < 0.5:
            b[2:4] = struct.pack(">H", len(b) & 0xFFFF)
    elif kind == 10:  # splice with another message
        i, j = rng.randrange(len(b) + 1), rng.randrange(len(other) + 1)
        b = b[:i] + other[j:]
        if rng.random() < 0.5 and len(b) >= 4:
            b[2:4] = struct.pack(">H", len(b) & 0xFFFF)
    else:  # a parameter's code
        if tlvs:
            o, _ = rng.choice(tlvs)
            b[o] = rng.choice([0, 13, 21, 23, 240, 241, 255, rng.randrange(256)])
    if len(b) >= 1 and rng.random() < 0.05:
        b[0] = rng.choice([0, 2, 255])  # a bad version now and then
    return bytes(b)


def rsiplib_verdict(data):
    """(stage, code): stage 'ok', 'framing', 'version', 'type' or 'format'."""
    if len(data) < 4 or struct.unpack(">H", data[2:4])[0] != len(data):
        return "framing", 207
    try:
        m = R.decode(data)
        if m.type in R.RESPONSE_TYPES:
            return "response", 206  # a type only a gateway sends (D8)
        return "ok", 0
    except R.RsipError as e:
        if e.code == 106:
            return "version", 106
        if e.code == 206:
            return "type", 206
        return "format", e.code


@suite.test
def mutated_messages_udp_and_tcp():
    rng = seeded_random("mutation")
    stats = collections.Counter()
    # --holdback 1: what the mutants held is free again soon after it is
    # taken back (a whole-address RSA-IP lease would otherwise starve the
    # fresh hosts at the end for two minutes).
    # --lease-min 600: a mutant asking for a 1 s lease must not make an
    # unsolicited FREE_RESPONSE arrive where the next answer is expected.
    with Rsipd("--lease", "600", "--lease-min", "600", "--max-bindings", "0", "--max-ports",
               "0", "--max-spis", "0", "--holdback", "1") as d:
        hosts = [UdpClient(d, "127.0.0.%d" % i) for i in range(2, 6)]
        for h in hosts:
            h.register()
        start = time.monotonic()
        for i in range(N_UDP):
            h = hosts[i % len(hosts)]
            if i % 250 == 0:  # keep registrations alive, so deep paths get hit
                h.counter = rng.randrange(1, 2**32 - 10)
                m = h.call(R.register_request)
                if m.type == R.REGISTER_RESPONSE or m.error == R.E_ALREADY_REGISTERED:
                    h.client_id = m.client_id
            cid = h.client_id or rng.randrange(1, 2**32)
            msgs = corpus(rng, cid, rng.randrange(1, 2**32))
            data = mutate(rng, rng.choice(msgs), rng.choice(msgs))
            stage, code = rsiplib_verdict(data)
            h.send(data)
            m = next_answer(h)
            stats["udp"] += 1
            if m is None:
                stats["udp silent"] += 1
                raise AssertionError("no answer to datagram %d: %s" % (i, R.hexdump(data)))
            got = m.error if m.type == R.ERROR_RESPONSE else 0
            stats["%s -> %s" % (stage, got if got else m.name)] += 1
            what = "datagram %d %s (rsiplib: %s %s), rsipd: %r" % (
                i, R.hexdump(data), stage, code, m)
            if stage in ("framing", "version", "type", "response"):
                check_eq(got, code, what)
            elif stage == "format":
                check(200 <= got < 300, what)
            else:
                check(got not in FORMAT_ERRORS, what)
        print("UDP: %d datagrams in %.1fs" % (N_UDP, time.monotonic() - start))

        # TCP: no lock-step, streams may desynchronise; everything that
        # comes back must decode, and a closed connection is reopened.
        conns = {}
        srcs = ["127.0.0.%d" % i for i in range(6, 9)]
        for i in range(N_TCP):
            src = srcs[i % len(srcs)]
            t = conns.get(src)
            if t is None or t.eof:
                if t is not None:
                    t.close()
                    stats["tcp reconnects"] += 1
                t = conns[src] = TcpClient(d, src)
                t.send(R.register_request(counter=1))
            msgs = corpus(rng, rng.randrange(1, 2**32), rng.randrange(1, 2**32))
            data = mutate(rng, rng.choice(msgs), rng.choice(msgs))
            if rng.random() < 0.1:
                data += mutate(rng, rng.choice(msgs), rng.choice(msgs))  # two in a segment
            try:
                t.send(data)
            except (BrokenPipeError, ConnectionResetError):
                t.eof = True
                continue
            stats["tcp"] += 1
            drain(t, stats)
        for t in conns.values():
            drain(t, stats, wait=0.2)
            t.close()

        for k in sorted(stats):
            print("  %-40s %d" % (k, stats[k]))
        # The daemon is alive and well. Take back whatever the mutants got
        # (a whole-address RSA-IP lease could starve the fresh hosts), then
        # fresh hosts register and get resources over both transports.
        check(d.alive(), "rsipd still running")
        for c in d.ctl_data("clients"):
            d.ctl_data("deregister", client_id=c["client_id"])
        check_eq(d.ctl_data("bindings"), [])
        fresh = UdpClient(d, "127.0.0.99")
        m = expect_type(fresh.register(), R.REGISTER_RESPONSE)
        check_eq(m.counter, 1)
        fresh_tcp = TcpClient(d, "127.0.0.98")
        expect_type(fresh_tcp.register(), R.REGISTER_RESPONSE)
        # Resources come back once the hold-back has passed: only 308 (the
        # address still held back) may come before the grant.
        deadline = time.monotonic() + 60
        while True:
            m = fresh.rsap()
            if m.type != R.ERROR_RESPONSE or m.error != R.E_LOCAL_ADDR_UNAVAILABLE or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.5)
        expect_type(m, R.ASSIGN_RESPONSE_RSAP_IP)
        expect_type(fresh_tcp.rsipsec(R.p_spi_any(2)), R.ASSIGN_RESPONSE_RSIPSEC)
        rsip = d.counters()["rsip"]
        check(rsip["malformed"] > N_UDP // 4, "malformed counted: %r" % rsip)
        print("daemon counters: %r" % rsip)
    # Leaving the with block stopped rsipd: exit 0, no sanitizer report.


def next_answer(h):
    """The answer to the datagram just sent. Nothing unsolicited can come
    meanwhile (600 s leases, no revocation), and an answer to a request
    with counter 0 carries 0 too, so the next message is the answer."""
    return h.recv_msg(timeout=5)


def drain(t, stats, wait=0.0):
    """Read (and strictly decode) whatever the daemon sent on t."""
    while True:
        try:
            m = t.recv_msg(timeout=max(wait, 0.002))
        except (ConnectionResetError, socket.error):
            t.eof = True
            return
        if m is None:
            return
        stats["tcp answers"] += 1


sys.exit(suite.run())
