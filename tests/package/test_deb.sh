#!/usr/bin/env bash
# The Debian packages, end to end (issue 13, items 2 and "done when"):
# make deb (lintian: no error), install rsipd, rsipc, librsip0 and
# librsip-dev with apt into a clean Debian 12 root (debootstrap, cached;
# an overlay per run), check their files, conffiles, user and unit; start
# rsipd the way its unit does (systemd is not PID 1 here: the unit's
# ExecStartPre and ExecStart run as its User= with its
# AmbientCapabilities=, RuntimeDirectory= and NOTIFY_SOCKET, in a network
# namespace holding the example config's listen address, with the installed
# example config plus --dataplane none); READY=1, rsipctl status, a program
# built against the installed librsip registers, /metrics scraped and
# parsed; every man page read; then apt-get purge, and nothing of the
# packages is left in the root.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
cd "$top"
if [ "$(id -u)" -ne 0 ]; then echo "needs root (chroot, mounts, namespaces)"; exit 77; fi
for t in debootstrap dpkg-buildpackage lintian man; do
	command -v $t >/dev/null || { echo "no $t (make deps)"; exit 1; }
done
/usr/bin/python3 -c 'import prometheus_client' || { echo "no python3-prometheus-client"; exit 1; }
. tests/package/clean_root.sh

tmp=$(mktemp -d /tmp/rsip-deb.XXXXXX)
ns=rsipdeb$$
pid= npid=
R=$tmp/root
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "$npid" ] && kill "$npid" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	clean_root_umount "$tmp"
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/rsipd.log" ] && tail -n 20 "$tmp/rsipd.log"; exit 1; }
ver=$(cat VERSION)

# ---- build ----
# RSIP_DEB_REUSE=1 (by hand, while working on this test): use the packages of
# the last make deb instead of building them again.
if [ "${RSIP_DEB_REUSE:-}" != 1 ]; then
	make -s --no-print-directory BUILD="$BUILD" deb >"$tmp/deb.log" 2>&1 || { tail -n 40 "$tmp/deb.log"; fail "make deb"; }
fi
debs=$(ls "$BUILD"/deb/*.deb | grep -v -- -dbgsym_)
for p in rsipd rsipc librsip0 librsip-dev; do
	ls "$BUILD"/deb/${p}_${ver}_*.deb >/dev/null 2>&1 || fail "no $p package"
done
echo "ok: make deb: $(echo $debs | wc -w) packages; lintian: $(grep -c '^E:' "$BUILD/deb/lintian.log") errors, $(grep -c '^W:' "$BUILD/deb/lintian.log") warnings"

# ---- install into a clean root ----
clean_root_ensure || fail "debootstrap"
clean_root_mount "$tmp" || fail "overlay on the clean root"
mkdir -p "$R/tmp/debs" && cp $debs "$R/tmp/debs/"
chroot "$R" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	/tmp/debs/*.deb' >"$tmp/apt.log" 2>&1 || { tail -n 30 "$tmp/apt.log"; fail "apt-get install"; }
rm -rf "$R/tmp/debs"
for p in rsipd rsipc librsip0 librsip-dev; do
	[ "$(chroot "$R" dpkg-query -W -f='${Version} ${Status}' $p)" = "$ver install ok installed" ] ||
		fail "$p not installed"
done
echo "ok: installed with apt into the clean root: rsipd rsipc librsip0 librsip-dev $ver"
for f in /usr/sbin/rsipd /usr/bin/rsipctl /usr/sbin/rsipc /lib/systemd/system/rsipd.service \
	/lib/systemd/system/rsipc@.service /usr/lib/sysctl.d/60-rsipd.conf /usr/lib/tmpfiles.d/rsipd.conf \
	/etc/rsipd.conf /etc/rsipc/default.conf /usr/include/rsip/client.h \
	/usr/share/doc/rsipd/examples/rsipd.conf /usr/share/doc/rsipc/examples/rsipc-strongswan.sh; do
	[ -e "$R$f" ] || fail "missing $f"
done
chroot "$R" dpkg-query -W -f='${Conffiles}\n' rsipd | grep -q "^ /etc/rsipd.conf " || fail "/etc/rsipd.conf is no conffile"
chroot "$R" dpkg-query -W -f='${Conffiles}\n' rsipc | grep -q "^ /etc/rsipc/default.conf " || fail "rsipc conffile"
user=$(chroot "$R" getent passwd rsipd) || fail "no rsipd user"
uid=$(echo "$user" | cut -d: -f3) gid=$(echo "$user" | cut -d: -f4)
[ "$uid" -lt 1000 ] || fail "rsipd is no system user: $user"
[ "$(stat -c %U:%a "$R/var/lib/rsipd")" = "rsipd:700" ] || [ "$(stat -c %u:%a "$R/var/lib/rsipd")" = "$uid:700" ] ||
	fail "/var/lib/rsipd: $(stat -c %U:%a "$R/var/lib/rsipd")"
[ -L "$R/etc/systemd/system/multi-user.target.wants/rsipd.service" ] || fail "rsipd.service not enabled"
echo "ok: files, conffiles /etc/rsipd.conf and /etc/rsipc/default.conf, user rsipd ($uid), unit enabled"
n=0
for m in $(cd "$R" && ls usr/share/man/man*/rsip* usr/share/man/man3/librsip*); do
	MANWIDTH=80 man -l "$R/$m" 2>"$tmp/man.err" | grep -q "^NAME" || fail "man $m"
	[ -s "$tmp/man.err" ] && { cat "$tmp/man.err"; fail "man $m warns"; }
	n=$((n + 1))
done
[ $n = 5 ] || fail "$n man pages, expected 5"
echo "ok: all $n installed man pages read"

# A program built against the installed librsip-dev (its pkg-config file).
pc() { PKG_CONFIG_SYSROOT_DIR=$R PKG_CONFIG_LIBDIR=$R/usr/lib/x86_64-linux-gnu/pkgconfig pkg-config "$@" librsip; }
cc -std=gnu11 -Wall -Werror $(pc --cflags) tests/package/librsip_demo.c $(pc --libs) -o "$R/usr/local/bin/librsip-demo" ||
	fail "build against librsip-dev"

# ---- start rsipd as its unit would ----
unit=$R/lib/systemd/system/rsipd.service
key() { sed -n "s/^$1=//p" "$unit"; }
[ "$(key User)" = rsipd ] || fail "unit User=$(key User)"
caps=$(key AmbientCapabilities | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
[ -n "$caps" ] || fail "no AmbientCapabilities"
ip netns add "$ns" || fail "netns"
ip -n "$ns" link set lo up
listen=$(sed -n 's/^listen *= *//p' "$R/etc/rsipd.conf")
mport=$(sed -n 's/^metrics *= *127.0.0.1://p' "$R/etc/rsipd.conf")
[ -n "$listen" ] && [ -n "$mport" ] || fail "example config: listen '$listen', metrics port '$mport'"
ip -n "$ns" addr add "$listen/32" dev lo
mkdir -p "$R/run/rsipd" && chown "$uid:$gid" "$R/run/rsipd" && chmod 755 "$R/run/rsipd"  # RuntimeDirectory=
# How systemd runs a command of the unit: its environment, its user, its capabilities.
as_unit=(ip netns exec "$ns" chroot "$R" env -i PATH=/usr/sbin:/usr/bin RUNTIME_DIRECTORY=/run/rsipd
	STATE_DIRECTORY=/var/lib/rsipd)
priv="setpriv --reuid=$uid --regid=$gid --clear-groups --inh-caps=-all,$caps --ambient-caps=$caps --bounding-set=-all,$caps --no-new-privs"
pre=$(key ExecStartPre)
"${as_unit[@]}" $priv $pre --dataplane none >"$tmp/pre.log" 2>&1 || { cat "$tmp/pre.log"; fail "ExecStartPre: $pre"; }
grep -q "configuration OK (/etc/rsipd.conf)" "$tmp/pre.log" || fail "ExecStartPre said: $(cat "$tmp/pre.log")"
# NOTIFY_SOCKET: a datagram socket like systemd's, in the root's /run.
/usr/bin/python3 -c '
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777)
s.settimeout(60)
while True:
    m = s.recv(4096).decode(); print(m.replace("\n", " | "), flush=True)
    if "READY=1" in m: break
' "$R/run/notify.sock" >"$tmp/notify.log" 2>&1 &
npid=$!
for _ in $(seq 50); do [ -S "$R/run/notify.sock" ] && break; sleep 0.1; done
start=$(key ExecStart)
"${as_unit[@]}" NOTIFY_SOCKET=/run/notify.sock $priv $start --dataplane none >"$tmp/rsipd.log" 2>&1 &
pid=$!
wait $npid || fail "no READY=1 from rsipd: $(cat "$tmp/notify.log")"
npid=
grep -q "READY=1" "$tmp/notify.log" || fail "notify: $(cat "$tmp/notify.log")"
echo "ok: ExecStartPre ($pre) passed; ExecStart as rsipd with $caps sent $(cat "$tmp/notify.log")"
[ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = "$uid" ] || fail "rsipd (PID $pid) does not run as uid $uid"
ip netns exec "$ns" chroot "$R" rsipctl status >"$tmp/status.log" 2>&1 || { cat "$tmp/status.log"; fail "rsipctl status"; }
out=$(ip netns exec "$ns" chroot "$R" librsip-demo "$listen" 4555) || fail "librsip-demo: $out"
echo "$out" | grep -q "registered: client" || fail "demo: $out"
echo "ok: rsipctl status, and a librsip program: $out"
ip netns exec "$ns" /usr/bin/python3 - "$mport" <<'PY' || fail "metrics"
import sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=10).read().decode()
v = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples if not s.labels}
assert v["rsip_up"] == 1 and v["rsip_registrations_total"] == 1 and v["rsip_deregistrations_total"] == 1, v
assert v["rsip_store_healthy"] == 1, v
print(f"ok: /metrics parsed: {len(text.splitlines())} lines, rsip_registrations_total 1, state file healthy")
PY
# ---- rsipc@test.service: a lease held by rsipc, the command started through
# it (the IKE daemon in production; env here, which prints the lease) ----
printf 'RSIPC_SERVER=%s\nRSIPC_OPTIONS=--transport tcp\nRSIPC_UP_OPTIONS=--method rsipsec --ike-port\nRSIPC_COMMAND=/usr/bin/env\n' \
	"$listen" >"$R/etc/rsipc/test.conf"
# ExecStart= as systemd expands it: %i, ${VAR} one word, $VAR split on spaces.
mapfile -d '' rsipc_argv < <(/usr/bin/python3 - "$R/lib/systemd/system/rsipc@.service" test "$R/etc/rsipc/test.conf" <<'PY'
import re, sys
unit, inst, envfile = sys.argv[1:]
line = next(l for l in open(unit) if l.startswith("ExecStart=")).split("=", 1)[1].strip()
env = dict(l.rstrip("\n").split("=", 1) for l in open(envfile) if re.match(r"[A-Z_]+=", l))
out = []
for tok in line.replace("%i", inst).split():
    m = re.fullmatch(r"\$\{(\w+)\}", tok) or None
    if m:
        out.append(env[m.group(1)])
    elif re.fullmatch(r"\$(\w+)", tok):
        out += env[tok[1:]].split()
    else:
        out.append(tok)
sys.stdout.write("\0".join(out) + "\0")
PY
)
bound=$(sed -n 's/^CapabilityBoundingSet=//p' "$R/lib/systemd/system/rsipc@.service" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
ip netns exec "$ns" chroot "$R" env -i PATH=/usr/sbin:/usr/bin setpriv --bounding-set=-all,$bound \
	"${rsipc_argv[@]}" >"$tmp/rsipc.log" 2>&1 || { cat "$tmp/rsipc.log"; fail "rsipc@test: ${rsipc_argv[*]}"; }
grep -q "^RSIP_ADDRESS=192.0.2.10$" "$tmp/rsipc.log" || { cat "$tmp/rsipc.log"; fail "the command did not get the lease"; }
[ "$(ip netns exec "$ns" chroot "$R" rsipctl --json bindings | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["data"] if isinstance(d, dict) else d))')" = 0 ] ||
	fail "the lease was not released when the command ended"
echo "ok: rsipc@test ExecStart (${rsipc_argv[*]}) ran the command with $(grep -c '^RSIP_' "$tmp/rsipc.log") RSIP_* variables, then released the lease"
rm -f "$R/etc/rsipc/test.conf"
kill -TERM $pid; wait $pid; rc=$?; pid=
[ $rc = 0 ] || fail "rsipd exited $rc on SIGTERM"
grep -q "stopped" "$tmp/rsipd.log" || fail "no 'stopped' in the log"

# ---- purge: nothing of the packages stays ----
chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q rsipd rsipc librsip0 librsip-dev \
	>"$tmp/purge.log" 2>&1 || { tail -n 20 "$tmp/purge.log"; fail "apt-get purge"; }
rm -f "$R/usr/local/bin/librsip-demo" "$R/run/notify.sock"
left=$(cd "$tmp/upper" && find . -path ./var/log -prune -o -path ./var/cache -prune -o -path ./tmp -prune \
	-o -path ./run -prune -o -print | grep -i rsip | grep -v '^\./etc/\(passwd\|group\|shadow\|gshadow\)-\?$')
[ -z "$left" ] || fail "left after purge: $left"
for d in /var/lib/rsipd /etc/rsipd.conf /etc/rsipc /lib/systemd/system/rsipd.service /usr/sbin/rsipd; do
	[ ! -e "$R$d" ] || fail "$d left after purge"
done
echo "ok: apt-get purge left no file of the packages (the system user stays, as is Debian's practice)"
echo "package test: ok"
