#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write a lease store with N hosts (10.x.y.z, Client IDs 1..N), each with one
RSAP-IP binding of one port on one of four public addresses, as rsipd writes
them (engine/snapshot.c's record): bench/store_bench.sh and
bench/restore_bench.sh restore it. Host addresses start at 10.0.1.0, clear of
the lab's LAN hosts (tests/lab/lab.sh, 10.0.0.0/24).
    store_fill.py PATH N [NB,NB,...]   (default 192.0.2.1-192.0.2.4)"""

import json
import os
import sqlite3
import sys
import time

path, n = sys.argv[1], int(sys.argv[2])
nbs = sys.argv[3].split(",") if len(sys.argv) > 3 else ["192.0.2.%d" % i for i in range(1, 5)]
now = int(time.time() * 1000)
os.umask(0o077)
con = sqlite3.connect(path)
con.executescript("""
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS clients (client_id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
INSERT OR REPLACE INTO meta VALUES ('schema', 1);
INSERT OR REPLACE INTO meta VALUES ('spi_block_shift', 8);
""")


# rsipd never lends 4500 (IKE NAT-T) or 4555 (RSIP) (engine.c's reserved
# list; 500 is below 1024) and refuses a stored binding that holds one.
RESERVED = (4500, 4555)


def port_of(i):
    port = 1024 + i // len(nbs)
    for r in RESERVED:
        if port >= r:
            port += 1
    return port


def row(i):
    cid = i + 1
    a = cid + 256
    xa = "10.%d.%d.%d" % ((a >> 16) & 255, (a >> 8) & 255, a & 255)
    b = {"bind_id": 0x10000000 + cid, "kind": 2, "method": 2, "tunnel": 1,
         "remote_policy": 3, "remote_port": 0, "spi_block": 0, "lease_s": 3600,
         "created_ms": now, "expires_ms": now + 3600000, "has_spi_block": False,
         "ports_dont_need": False, "nb": nbs[i % len(nbs)],
         "remote": "0.0.0.0", "ports": [port_of(i)], "spis": []}
    doc = {"client_id": cid, "xa": xa, "transport": "udp", "flow_local": 1, "flow_remote": 3,
           "udp_port": 4555, "registered_ms": now, "expires_ms": now + 3600000,
           "bindings": [b]}
    return cid, json.dumps(doc, separators=(",", ":"))


with con:
    con.executemany("INSERT OR REPLACE INTO clients VALUES (?, ?)", (row(i) for i in range(n)))
con.close()
os.chmod(path, 0o600)
