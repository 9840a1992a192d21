#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""rsipctl against the real daemon: status, clients, bindings [CLIENT_ID]
and counters as tables/key-value text and as --json (equal to what the
control socket says), free and deregister sending the unsolicited
FREE_RESPONSE / DE-REGISTER_RESPONSE (counter 0) over UDP and over TCP, and
the errors: daemon not running (exit 1), daemon refusal (exit 1), bad usage
(exit 2); explain, which needs no daemon."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsiplib as R  # noqa: E402
from rsiptest import (Rsipd, Suite, TcpClient, UdpClient, check, check_eq,  # noqa: E402
                      expect_error, expect_type)

suite = Suite("rsipctl")


def table(text):
    """Header and rows of an rsipctl table, split on runs of blanks (no cell
    in these tests contains a blank)."""
    lines = text.rstrip("\n").split("\n")
    return lines[0].split(), [line.split() for line in lines[1:]]


def ok(d, *args):
    rc, out, err = d.rsipctl(*args)
    check_eq(rc, 0, "rsipctl %s: %s" % (" ".join(args), err))
    check_eq(err, "", "nothing on stderr")
    return out


@suite.test
def show_commands():
    with Rsipd("--lease", "300", public="192.0.2.1,192.0.2.2") as d:
        u = UdpClient(d, "127.0.0.2")
        u.register()
        t = TcpClient(d, "127.0.0.3")
        t.register()
        b_u = expect_type(u.rsap(local_ports=R.p_ports_range(20000, 4),
                                 local_addr=R.p_addr_v4("192.0.2.2")),
                          R.ASSIGN_RESPONSE_RSAP_IP).bind_id
        b_t = expect_type(t.rsipsec(R.p_spi_any(2)), R.ASSIGN_RESPONSE_RSIPSEC).bind_id

        # status: "key: value" lines, the alloc object indented.
        out = ok(d, "status")
        lines = out.splitlines()
        check("listen: 127.0.0.1:%d" % d.port in lines, out)
        check("public: 192.0.2.1,192.0.2.2" in lines, out)
        check("dataplane: none" in lines and "clients: 2" in lines and "bindings: 2" in lines,
              out)
        check("alloc:" in lines and "  ports_used: 4" in lines and "  spis_used: 2" in lines,
              out)
        status = json.loads(ok(d, "--json", "status"))
        check_eq(status["listen"], "127.0.0.1:%d" % d.port)
        check_eq(status["public"], ["192.0.2.1", "192.0.2.2"])
        check_eq(status["lease_default_s"], 300)

        # clients: a table, columns in the daemon's key order.
        clients = json.loads(ok(d, "clients", "--json"))
        head, rows = table(ok(d, "clients"))
        check_eq(head, list(clients[0].keys()), "columns = keys in order")
        check_eq(len(rows), 2)
        by_addr = {r[head.index("address")]: r for r in rows}
        check_eq(by_addr["127.0.0.2"][head.index("client_id")], str(u.client_id))
        check_eq(by_addr["127.0.0.2"][head.index("transport")], "udp")
        check_eq(by_addr["127.0.0.3"][head.index("transport")], "tcp")
        check_eq(by_addr["127.0.0.3"][head.index("bindings")], "1")

        # bindings: all, then one client's; --json equals the control socket.
        js = json.loads(ok(d, "--json", "bindings"))
        check_eq(sorted(b["bind_id"] for b in js), sorted([b_u, b_t]))
        check_eq(sorted(b["bind_id"] for b in d.ctl_data("bindings")), sorted([b_u, b_t]))
        (bu,) = json.loads(ok(d, "--json", "bindings", str(u.client_id)))
        check_eq((bu["bind_id"], bu["method"], bu["nb"], bu["ports"], bu["spis"]),
                 (b_u, "RSAP-IP", "192.0.2.2", "20000-20003", ""))
        (bt,) = json.loads(ok(d, "--json", "bindings", "0x%x" % t.client_id))
        check_eq((bt["bind_id"], bt["method"], bt["ports"]), (b_t, "RSIPSEC", ""))
        check(bt["spis"].startswith("0x"), "SPIs in hex: %r" % bt["spis"])
        out = ok(d, "bindings", str(u.client_id))
        lines = out.rstrip("\n").split("\n")
        check_eq(len(lines), 2, "header and one row")
        check_eq(lines[0].split(), list(bu.keys()))
        for word in (str(b_u), "RSAP-IP", "192.0.2.2", "20000-20003", "IP-IP"):
            check(word in lines[1].split(), "%s in %r" % (word, lines[1]))
        # Table columns line up: each header starts where its cells do (for
        # left-aligned columns) or ends where they do (numbers).
        out = ok(d, "bindings")
        lines = out.rstrip("\n").split("\n")
        check_eq(len(lines), 3)
        for key in ("method", "nb", "tunnel"):
            col = lines[0].index(key)
            for line in lines[1:]:
                check(line[col - 2:col] == "  " and line[col] != " ",
                      "column %s aligned in\n%s" % (key, out))
        check_eq(ok(d, "bindings", "12345"), "(none)\n")

        # counters: nested objects, the error map keyed "<code> <NAME>".
        expect_error(u.free(999), R.E_BAD_BIND_ID)
        out = ok(d, "counters")
        lines = out.splitlines()
        check("rsip:" in lines and "  errors:" in lines, out)
        check("    306 BAD_BIND_ID: 1" in lines, out)
        check("dataplane:" in lines or "dataplane: (none)" in lines, out)
        counters = json.loads(ok(d, "--json", "counters"))
        check_eq(counters["rsip"]["errors"]["306 BAD_BIND_ID"], 1)
        check(counters["rsip"]["registrations"] == 2 and counters["rsip"]["assignments"] == 2,
              "counters %r" % counters["rsip"])


def revoke(d, c):
    """rsipctl free, then rsipctl deregister, each followed by the client
    receiving the unsolicited message."""
    cid = c.register().client_id
    b1 = expect_type(c.rsap(), R.ASSIGN_RESPONSE_RSAP_IP).bind_id
    b2 = expect_type(c.rsipsec(R.p_spi_any(1)), R.ASSIGN_RESPONSE_RSIPSEC).bind_id
    check_eq(ok(d, "free", str(b1)), "binding %d freed\n" % b1)
    m = c.wait_unsolicited(R.FREE_RESPONSE)
    check_eq((m.counter, m.client_id, m.bind_id), (0, cid, b1))
    check_eq([b["bind_id"] for b in d.bindings(cid)], [b2])
    expect_error(c.extend(b1), R.E_BAD_BIND_ID)
    # The host carries on with the same counter sequence.
    expect_type(c.extend(b2), R.EXTEND_RESPONSE)
    check_eq(json.loads(ok(d, "--json", "deregister", str(cid))), {"client_id": cid})
    m = c.wait_unsolicited(R.DEREGISTER_RESPONSE)
    check_eq((m.counter, m.client_id), (0, cid))
    check_eq(d.bindings(), [])
    check_eq(d.ctl_data("clients"), [])
    expect_error(c.query(client_id=cid), R.E_REGISTER_FIRST)


@suite.test
def free_and_deregister_send_unsolicited():
    with Rsipd() as d:
        revoke(d, UdpClient(d, "127.0.0.2"))
        revoke(d, TcpClient(d, "127.0.0.3"))
        rsip = d.counters()["rsip"]
        check(rsip["unsolicited_sent"] >= 4, "unsolicited_sent %r" % rsip)
        # No TCP connection to send on: the revocation still happens, the
        # message is counted as dropped (D4).
        t = TcpClient(d, "127.0.0.4")
        cid = t.register().client_id
        t.close()
        ok(d, "deregister", str(cid))
        check_eq(d.ctl_data("clients"), [])
        check(d.counters()["rsip"]["unsolicited_dropped"] >= 1, "dropped counted")


@suite.test
def errors_and_usage():
    with Rsipd() as d:
        # The daemon refuses: exit 1, its message on stderr.
        for args in (("free", "12345"), ("deregister", "0x1234")):
            rc, out, err = d.rsipctl(*args)
            check_eq(rc, 1, "rsipctl %s" % " ".join(args))
            check_eq(out, "")
            check(err.startswith("rsipctl: rsipd: ") and len(err) > 20, err)
        # Bad usage: exit 2 with the usage text, nothing sent.
        before = d.counters()
        for args in ((), ("nonsense",), ("free",), ("free", "x"), ("status", "1"),
                     ("--bogus", "status"), ("bindings", "1", "2")):
            rc, out, err = d.rsipctl(*args)
            check_eq(rc, 2, "rsipctl %r" % (args,))
            check("usage: rsipctl" in err, err)
        rc, out, err = d.rsipctl("--help")
        check_eq((rc, err), (0, ""))
        check("usage: rsipctl" in out, out)
        check_eq(d.counters()["rsip"], before["rsip"])
        sock = d.ctl_path
    # The daemon is gone now: exit 1 and a message that says what to check.
    rc, out, err = d.rsipctl("status", socket_path=sock)
    check_eq(rc, 1)
    check(("cannot connect to %s" % sock) in err and "is rsipd running? --socket PATH" in err,
          err)


@suite.test
def explain():
    with Rsipd() as d:
        sock = d.ctl_path
    # No daemon behind the socket: explain answers from rsipctl's own table.
    rc, out, err = d.rsipctl("explain", socket_path=sock)
    check_eq((rc, err), (0, ""))
    rows = [line.split(None, 2) for line in out.splitlines()]
    names = [r[0] for r in rows]
    check(len(rows) > 50 and len(set(names)) == len(names), out)
    check(all(len(r) == 3 and r[1] in ("exit", "event") and r[2] for r in rows), out)
    check(["lan_drop_cookie_cap", "exit", "LAN: client at its learned-entry cap"] in rows, out)
    check(["lan_learn_cookie", "event", "IKE cookies learned (trial and error)"] in rows, out)
    # --json: the same table.
    rc, out, err = d.rsipctl("--json", "explain", socket_path=sock)
    check_eq((rc, err), (0, ""))
    check_eq([[o["name"], o["kind"], o["counts"]] for o in json.loads(out)], rows)
    # One counter; a slow-path twin; an unknown name is bad usage.
    rc, out, err = d.rsipctl("explain", "wan_drop_no_spi", socket_path=sock)
    check_eq((rc, out.split(None, 2)[:2], err), (0, ["wan_drop_no_spi", "exit"], ""))
    rc, out, err = d.rsipctl("explain", "slow_wan_drop_no_spi", socket_path=sock)
    check_eq(rc, 0)
    check(out.startswith("slow_wan_drop_no_spi  exit   rsipd's slow path") and
          out.rstrip().endswith(dict((r[0], r[2]) for r in rows)["wan_drop_no_spi"]), out)
    for args in (("explain", "no_such_counter"), ("explain", "slow_records"),
                 ("explain", "wan_tx_esp", "x")):
        rc, out, err = d.rsipctl(*args, socket_path=sock)
        check_eq((rc, out), (2, ""), "rsipctl %r" % (args,))
        check(err.startswith("rsipctl: "), err)


sys.exit(suite.run())
