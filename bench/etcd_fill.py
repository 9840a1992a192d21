#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Put N hosts into a cluster store on etcd as rsipd --store etcd:// writes
them (docs/cluster.md: PREFIX/bind/HEX8, the value the record SQLite keeps):
the records are store_fill.py's (one RSAP-IP binding of one port each),
written through etcd's JSON gateway in transactions of 100 puts (below
--max-txn-ops). For bench/failover_bench.sh's standby sync.
    etcd_fill.py URL PREFIX N NB,NB,...    (URL: http://HOST:PORT)"""

import base64
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import urllib.request

url, prefix, n, nbs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
here = os.path.dirname(os.path.abspath(__file__))
b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731

with tempfile.TemporaryDirectory() as d:
    db = os.path.join(d, "fill.db")
    subprocess.run([sys.executable, os.path.join(here, "store_fill.py"), db, str(n), nbs],
                   check=True)
    con = sqlite3.connect(db)
    rows = con.execute("SELECT client_id, doc FROM clients ORDER BY client_id").fetchall()
    con.close()

for i in range(0, len(rows), 100):
    ops = [{"requestPut": {"key": b64("%sbind/%08x" % (prefix, cid)), "value": b64(doc)}}
           for cid, doc in rows[i:i + 100]]
    req = urllib.request.Request(url + "/v3/kv/txn", data=json.dumps({"success": ops}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        answer = json.load(r)
    if "header" not in answer:
        sys.exit("etcd_fill: etcd said %r" % answer)
print("etcd_fill: %d hosts under %sbind/" % (len(rows), prefix))
