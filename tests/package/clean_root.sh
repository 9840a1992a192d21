#!/usr/bin/env bash
# A clean Debian 12 root for the package tests, made once with debootstrap
# (minbase, with apt's package lists) and cached outside the clone at
# $RSIP_PKGTEST_CACHE (default /var/cache/rsip-pkgtest/bookworm); a test
# never changes it: it works on an overlay (clean_root_mount).
#   . tests/package/clean_root.sh; clean_root_ensure; clean_root_mount DIR
RSIP_PKGTEST_CACHE=${RSIP_PKGTEST_CACHE:-/var/cache/rsip-pkgtest/bookworm}
RSIP_PKGTEST_MIRROR=${RSIP_PKGTEST_MIRROR:-http://deb.debian.org/debian}

clean_root_ensure() {
	[ -e "$RSIP_PKGTEST_CACHE/.complete" ] && return 0
	local tmp=$RSIP_PKGTEST_CACHE.partial.$$
	echo "clean root: debootstrap bookworm into $RSIP_PKGTEST_CACHE (once)"
	rm -rf "$tmp"
	mkdir -p "$(dirname "$RSIP_PKGTEST_CACHE")"
	debootstrap --variant=minbase bookworm "$tmp" "$RSIP_PKGTEST_MIRROR" >"$tmp.log" 2>&1 ||
		{ tail -n 20 "$tmp.log"; rm -rf "$tmp"; return 1; }
	cp /etc/resolv.conf "$tmp/etc/resolv.conf"
	chroot "$tmp" apt-get update -qq >>"$tmp.log" 2>&1 ||
		{ tail -n 20 "$tmp.log"; rm -rf "$tmp"; return 1; }
	touch "$tmp/.complete"
	rm -rf "$RSIP_PKGTEST_CACHE"
	mv "$tmp" "$RSIP_PKGTEST_CACHE"
	rm -f "$tmp.log"
}

# clean_root_mount DIR: DIR/root is a writable copy of the cached root (an
# overlay: the writes land in DIR/upper, so a test can list every file it
# left), with /proc, /dev and /run of its own. clean_root_umount DIR undoes it.
clean_root_mount() {
	local d=$1
	mkdir -p "$d/upper" "$d/work" "$d/root"
	mount -t overlay overlay -o "lowerdir=$RSIP_PKGTEST_CACHE,upperdir=$d/upper,workdir=$d/work" \
		"$d/root" || return 1
	mount -t proc proc "$d/root/proc"
	mount --bind /dev "$d/root/dev"
	mount -t tmpfs tmpfs "$d/root/run"
	cp /etc/resolv.conf "$d/root/etc/resolv.conf"
}

clean_root_umount() {
	local d=$1 m
	for m in run dev proc; do
		mountpoint -q "$d/root/$m" && umount "$d/root/$m"
	done
	mountpoint -q "$d/root" && umount "$d/root"
}
