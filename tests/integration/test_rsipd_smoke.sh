#!/usr/bin/env bash
# Smoke test of the real daemon over real sockets: start $BUILD/asan/rsipd on
# 127.0.0.1 with a free port, REGISTER over UDP (and its retransmission) and
# over TCP (two messages in one segment, one split across two), ask the
# control socket for status, break a TCP stream with a bad length (207 and
# close), then SIGTERM: exit status 0 and no sanitizer report.
set -u
BUILD=${BUILD:-build}
RSIPD=$BUILD/asan/rsipd
PY=/usr/bin/python3
[ -x "$RSIPD" ] || { echo "no $RSIPD (make BUILD=$BUILD $RSIPD)"; exit 77; }
[ -x "$PY" ] || { echo "no $PY"; exit 77; }

tmp=$(mktemp -d /tmp/rsipd-smoke.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# A port free for both TCP and UDP on 127.0.0.1, chosen now.
port=$($PY - <<'PYEOF'
import socket
for _ in range(50):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        t.close(); continue
    t.close(); u.close()
    print(p); break
PYEOF
)
[ -n "$port" ] || { echo "no free port"; exit 1; }

ASAN_OPTIONS=detect_leaks=1 "$RSIPD" --listen "127.0.0.1:$port" --public 192.0.2.1 \
	--lease 60 --ctl-socket "$tmp/ctl.sock" -v 2>"$tmp/rsipd.log" &
pid=$!

$PY - "$port" "$tmp/ctl.sock" <<'PYEOF'
import json, socket, struct, sys, time
port, ctl = int(sys.argv[1]), sys.argv[2]
srv = ("127.0.0.1", port)

def msg(mtype, *params):
    body = b"".join(struct.pack("!BH", c, len(v)) + v for c, v in params)
    return struct.pack("!BBH", 1, mtype, 4 + len(body)) + body

def u32(v): return struct.pack("!I", v)

def parse(b):
    ver, mtype, ln = struct.unpack("!BBH", b[:4])
    assert ver == 1 and ln == len(b), b.hex()
    params, off = {}, 4
    while off < ln:
        c, l = struct.unpack("!BH", b[off:off + 3])
        params.setdefault(c, []).append(b[off + 3:off + 3 + l])
        off += 3 + l
    return mtype, params

def val(p, code): return struct.unpack("!I", p[code][0])[0]

# Wait for the daemon (bounded).
for _ in range(200):
    try:
        socket.create_connection(srv, timeout=1).close(); break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit("rsipd did not start")

# UDP: REGISTER with counter 1, then the retransmission.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.bind(("127.0.0.1", 0))
req = msg(2, (11, u32(1)))
u.sendto(req, srv)
r1 = u.recv(4096)
t, p = parse(r1)
assert t == 3, ("REGISTER_RESPONSE expected", t, p)
assert val(p, 11) == 1 and val(p, 4) != 0 and val(p, 3) == 60
u.sendto(req, srv)
assert u.recv(4096) == r1, "retransmission must get the same bytes"
print("udp register ok, client", val(p, 4))

# UDP without a counter: 105.
u.sendto(msg(2), srv)
t, p = parse(u.recv(4096))
assert t == 1 and struct.unpack("!H", p[8][0])[0] == 105

# TCP from another loopback address: REGISTER and QUERY in one segment.
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(5)
s.bind(("127.0.0.2", 0))
s.connect(srv)
def recv_msg(sock):
    hdr = b""
    while len(hdr) < 4:
        chunk = sock.recv(4 - len(hdr))
        assert chunk, "connection closed"
        hdr += chunk
    ln = struct.unpack("!H", hdr[2:4])[0]
    body = b""
    while len(body) < ln - 4:
        body += sock.recv(ln - 4 - len(body))
    return parse(hdr + body)
s.sendall(msg(2))
t, p = recv_msg(s)
assert t == 3 and 11 not in p, ("TCP REGISTER", t, p)
cid = val(p, 4)
q = msg(14, (4, u32(cid)), (11, u32(7)))
s.sendall(q + q[:5])          # one whole QUERY and the start of the next
t1, p1 = recv_msg(s)
time.sleep(0.1)
s.sendall(q[5:])              # the rest of the split one
t2, p2 = recv_msg(s)
assert t1 == 15 and val(p1, 11) == 7, (t1, p1)
assert t2 == 15, (t2, p2)
print("tcp register + framing ok, client", cid)

# The control socket.
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.settimeout(5)
c.connect(ctl)
c.sendall(b'{"cmd":"status"}\n{"cmd":"clients"}\n')
buf = b""
while buf.count(b"\n") < 2:
    buf += c.recv(65536)
st, cl = [json.loads(l) for l in buf.split(b"\n")[:2]]
assert st["ok"] and st["data"]["clients"] == 2, st
assert st["data"]["listen"] == "127.0.0.1:%d" % port, st
assert sorted(x["transport"] for x in cl["data"]) == ["tcp", "udp"], cl
print("control socket ok")

# A bad Overall Length loses the stream: 207, then the server closes.
s.sendall(b"\x01\x02\x00\x02")
t, p = recv_msg(s)
assert t == 1 and struct.unpack("!H", p[8][0])[0] == 207
assert s.recv(16) == b"", "connection should be closed"
print("tcp bad length ok")
PYEOF
rc=$?
if [ $rc -ne 0 ]; then
	echo "client checks failed ($rc)"; cat "$tmp/rsipd.log"; exit 1
fi

kill -TERM "$pid"
wait "$pid"
status=$?
pid=
if [ $status -ne 0 ]; then
	echo "rsipd exited $status after SIGTERM"; cat "$tmp/rsipd.log"; exit 1
fi
if grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$tmp/rsipd.log"; then
	echo "sanitizer report"; cat "$tmp/rsipd.log"; exit 1
fi
[ -e "$tmp/ctl.sock" ] && { echo "control socket left behind"; exit 1; }
echo "rsipd smoke test passed"
exit 0
