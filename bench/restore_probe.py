#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Run in a lab host's namespace by bench/restore_bench.sh: send a REGISTER
over UDP to Na:4555 every 5 ms until rsipd answers, then print the seconds
since T0 (a CLOCK_REALTIME time in ns, taken when rsipd was started).
    restore_probe.py NA T0_NS TIMEOUT_S"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import rsiplib as R  # noqa: E402

na, t0, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((na, 4555))
s.settimeout(0.005)
req = R.register_request(counter=1)
while time.time_ns() - t0 < limit * 1e9:
    try:
        s.send(req)
        s.recv(65536)
    except (socket.timeout, ConnectionRefusedError):
        continue
    print("%.3f" % ((time.time_ns() - t0) / 1e9))
    sys.exit(0)
print("restore_probe: no answer within %.0f s" % limit, file=sys.stderr)
sys.exit(1)
