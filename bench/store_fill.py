#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write a lease store with N hosts (10.x.y.z, Client IDs 1..N), each with one
RSAP-IP binding of one port on one of four public addresses, as rsipd writes
them (engine/snapshot.c's record): bench/store_bench.sh restores it.
    store_fill.py PATH N"""

import json
import os
import sqlite3
import sys
import time

path, n = sys.argv[1], int(sys.argv[2])
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


def row(i):
    cid = i + 1
    xa = "10.%d.%d.%d" % ((cid >> 16) & 255, (cid >> 8) & 255, cid & 255)
    b = {"bind_id": 0x10000000 + cid, "kind": 2, "method": 2, "tunnel": 1,
         "remote_policy": 3, "remote_port": 0, "spi_block": 0, "lease_s": 3600,
         "created_ms": now, "expires_ms": now + 3600000, "has_spi_block": False,
         "ports_dont_need": False, "nb": "192.0.2.%d" % (1 + i % 4),
         "remote": "0.0.0.0", "ports": [1024 + i // 4], "spis": []}
    doc = {"client_id": cid, "xa": xa, "transport": "udp", "flow_local": 1, "flow_remote": 3,
           "udp_port": 4555, "registered_ms": now, "expires_ms": now + 3600000,
           "bindings": [b]}
    return cid, json.dumps(doc, separators=(",", ":"))


with con:
    con.executemany("INSERT OR REPLACE INTO clients VALUES (?, ?)", (row(i) for i in range(n)))
con.close()
os.chmod(path, 0o600)
