#!/usr/bin/env bash
# make install / make uninstall (issue 13, item 1): install into a DESTDIR
# with PREFIX=/usr, check every file is where the GNU directories say (and the
# library's SONAME and symlinks), read every man page, verify the units with
# systemd-analyze, build a program against the installed librsip through
# pkg-config (shared and static) and have it register with a real rsipd
# started from the installed binary; then make uninstall leaves nothing.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
cd "$top"
for t in scdoc pkg-config systemd-analyze man; do
	command -v $t >/dev/null || { echo "SKIP: no $t (make deps)"; exit 77; }
done
tmp=$(mktemp -d /tmp/rsip-install.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
D=$tmp/root
ver=$(cat VERSION)

make -s --no-print-directory BUILD="$BUILD" PREFIX=/usr DESTDIR="$D" install >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; fail "make install"; }
expected="
/usr/sbin/rsipd /usr/sbin/rsipc /usr/bin/rsipctl
/usr/lib/librsip.a /usr/lib/librsip.so.$ver /usr/lib/librsip.so.0 /usr/lib/librsip.so
/usr/lib/pkgconfig/librsip.pc
/usr/include/rsip/client.h /usr/include/rsip/msg.h /usr/include/rsip/wire.h
/usr/share/man/man8/rsipd.8 /usr/share/man/man8/rsipctl.8 /usr/share/man/man8/rsipc.8
/usr/share/man/man5/rsipd.conf.5 /usr/share/man/man3/librsip.3
/usr/lib/systemd/system/rsipd.service /usr/lib/systemd/system/rsipc@.service
/usr/lib/sysctl.d/60-rsipd.conf /usr/lib/tmpfiles.d/rsipd.conf
/usr/share/doc/rsip-gateway/examples/rsipd.conf /usr/share/doc/rsip-gateway/examples/rsipc.conf
/etc/rsipd.conf /etc/rsipc/default.conf"
n=0
for f in $expected; do
	[ -e "$D$f" ] || fail "not installed: $f"
	n=$((n + 1))
done
extra=$(cd "$D" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort |
	grep -vxF -f <(printf '%s\n' $expected))
[ -z "$extra" ] || fail "installed but not expected: $extra"
echo "ok: $n files installed under PREFIX=/usr, nothing else"
[ "$(readlink "$D/usr/lib/librsip.so.0")" = "librsip.so.$ver" ] || fail "librsip.so.0 link"
[ "$(readlink "$D/usr/lib/librsip.so")" = "librsip.so.0" ] || fail "librsip.so link"
readelf -d "$D/usr/lib/librsip.so.$ver" | grep -q "SONAME.*\[librsip.so.0\]" || fail "SONAME"
"$D/usr/sbin/rsipd" --version | grep -qx "rsipd $ver (data-plane ABI [0-9]*)" || fail "--version"
grep -q "^ExecStart=/usr/sbin/rsipd --config /etc/rsipd.conf$" "$D/usr/lib/systemd/system/rsipd.service" ||
	fail "the unit does not run the installed rsipd with /etc/rsipd.conf"
echo "ok: SONAME librsip.so.0, links, --version $ver, the unit names /usr/sbin/rsipd"

# Every man page renders and has a NAME.
for m in $(cd "$D" && find ./usr/share/man -type f); do
	MANWIDTH=80 man -l "$D/$m" 2>"$tmp/man.err" | grep -q "^NAME" || { cat "$tmp/man.err"; fail "man $m"; }
	[ -s "$tmp/man.err" ] && { cat "$tmp/man.err"; fail "man $m warns"; }
done
echo "ok: every installed man page renders"

# The units: systemd-analyze verify (against the installed binaries and man
# pages), and the exposure score of the hardened rsipd unit.
PATH=$D/usr/sbin:$D/usr/bin:$PATH MANPATH=$D/usr/share/man \
	systemd-analyze verify --man=no "$D/usr/lib/systemd/system/rsipd.service" \
	"$D/usr/lib/systemd/system/rsipc@.service" >"$tmp/verify.log" 2>&1
# The units name /usr/sbin/rsipd (not yet there outside the DESTDIR): the only
# thing verify may say is that.
grep -v "Command /usr/sbin/rsip[cd] is not executable" "$tmp/verify.log" | grep . &&
	fail "systemd-analyze verify"
score=$(systemd-analyze security --offline=yes "$D/usr/lib/systemd/system/rsipd.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for rsipd.service: \([0-9.]*\) \(.*\)/\1 \2/p')
echo "ok: systemd-analyze verify; systemd-analyze security rsipd.service: $score"
[ -n "$score" ] || fail "no security score"

# The snippets do what they say: tmpfiles.d makes the pin directory for the
# rsipd user (in a scratch root with that user), sysctl.d turns forwarding on
# (in a scratch network namespace).
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$tmp/tf/etc"
	echo "rsipd:x:990:990::/var/lib/rsipd:/usr/sbin/nologin" >"$tmp/tf/etc/passwd"
	echo "rsipd:x:990:" >"$tmp/tf/etc/group"
	systemd-tmpfiles --create --root="$tmp/tf" "$D/usr/lib/tmpfiles.d/rsipd.conf" || fail "systemd-tmpfiles"
	[ "$(stat -c '%u:%g %a' "$tmp/tf/sys/fs/bpf/rsip")" = "990:990 700" ] || fail "tmpfiles.d: $(stat -c '%u:%g %a' "$tmp/tf/sys/fs/bpf/rsip")"
	ns=rsipinst$$
	ip netns add "$ns" || fail "netns"
	ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.forwarding=0
	ip netns exec "$ns" sysctl -q -p "$D/usr/lib/sysctl.d/60-rsipd.conf" || { ip netns del "$ns"; fail "sysctl -p"; }
	fwd=$(ip netns exec "$ns" sysctl -n net.ipv4.conf.all.forwarding)
	ip netns del "$ns"
	[ "$fwd" = 1 ] || fail "sysctl.d did not turn forwarding on"
	echo "ok: tmpfiles.d makes /sys/fs/bpf/rsip 0700 for rsipd; sysctl.d turns IPv4 forwarding on"
else
	echo "not root: the tmpfiles.d and sysctl.d snippets were not applied (CI runs as root)"
fi

# A program built against the installed library, shared and static.
pc() { PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_LIBDIR=$D/usr/lib/pkgconfig pkg-config "$@" librsip; }
[ "$(pc --modversion)" = "$ver" ] || fail "pkg-config version"
cc -std=gnu11 -Wall -Werror $(pc --cflags) tests/package/librsip_demo.c $(pc --libs) \
	-o "$tmp/demo" || fail "build against the shared librsip"
cc -std=gnu11 -Wall -Werror $(pc --cflags) tests/package/librsip_demo.c \
	-Wl,-Bstatic $(pc --libs) -Wl,-Bdynamic -o "$tmp/demo-static" || fail "build against librsip.a"
LD_LIBRARY_PATH=$D/usr/lib ldd "$tmp/demo" | grep -q "librsip.so.0 => $D/usr/lib/librsip.so.0" ||
	fail "the demo does not load the installed librsip.so.0"
ldd "$tmp/demo-static" | grep -q librsip && fail "the static demo loads librsip"
echo "ok: pkg-config $(pc --cflags --libs | tr -s ' ')"
port=$(python3 -c 'import sys; sys.path.insert(0, "tests/integration"); import rsiptest; print(rsiptest.free_port())')
"$D/usr/sbin/rsipd" --listen "127.0.0.1:$port" --public 192.0.2.7 --ctl-socket "$tmp/ctl.sock" \
	2>"$tmp/rsipd.log" &
pid=$!
for _ in $(seq 100); do [ -S "$tmp/ctl.sock" ] && break; sleep 0.1; done
out=$(LD_LIBRARY_PATH=$D/usr/lib "$tmp/demo" 127.0.0.1 "$port") || fail "demo (shared): $out"
echo "$out" | grep -q "registered: client [0-9]*, leased 192.0.2.7" || fail "demo said: $out"
echo "ok: shared: $out"
out=$("$tmp/demo-static" 127.0.0.1 "$port") || fail "demo (static): $out"
echo "$out" | grep -q "registered: client [0-9]*, leased 192.0.2.7" || fail "demo said: $out"
echo "ok: static: $out"
kill "$pid"; wait "$pid"; pid=

# make uninstall: nothing left but empty directories.
make -s --no-print-directory BUILD="$BUILD" PREFIX=/usr DESTDIR="$D" uninstall >"$tmp/uninstall.log" 2>&1 ||
	{ cat "$tmp/uninstall.log"; fail "make uninstall"; }
left=$(find "$D" \( -type f -o -type l \))
[ -z "$left" ] || fail "left after make uninstall: $left"
echo "ok: make uninstall removed all $n files"
# A configuration the operator changed is kept.
make -s --no-print-directory BUILD="$BUILD" PREFIX=/usr DESTDIR="$D" install >/dev/null 2>&1
echo "lease = 60" >>"$D/etc/rsipd.conf"
make -s --no-print-directory BUILD="$BUILD" PREFIX=/usr DESTDIR="$D" uninstall >/dev/null 2>&1
[ "$(find "$D" \( -type f -o -type l \))" = "$D/etc/rsipd.conf" ] || fail "the changed /etc/rsipd.conf"
echo "ok: a changed /etc/rsipd.conf survives make uninstall"
echo "install test: ok"
