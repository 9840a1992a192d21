#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Install what the interop layer needs, once, and only what is missing:
#  - Debian 12's strongSwan 5.9.8 (charon, swanctl, kernel-libipsec) on the host;
#  - a Debian 13 rootfs with strongSwan 6.0.1 (raw ESP under kernel-libipsec),
#    built with debootstrap when missing and cached outside the clone at
#    $RSIP_INTEROP_ROOTFS (default /var/cache/rsip-interop/trixie), with a
#    stamp file naming the package versions, so the next run finds it.
# Prints the versions it found. Exit 0 when all is there, 1 otherwise.
# docs/strongswan.md explains each choice.
set -euo pipefail

ROOTFS=${RSIP_INTEROP_ROOTFS:-/var/cache/rsip-interop/trixie}
STAMP=$ROOTFS.stamp
PKGS=(strongswan-charon strongswan-swanctl libcharon-extra-plugins
	libstrongswan-extra-plugins libstrongswan-standard-plugins debootstrap
	tcpdump tshark iputils-ping nftables openssl util-linux)
ROOTFS_PKGS=strongswan-charon,strongswan-swanctl,libcharon-extra-plugins,libstrongswan-extra-plugins,libstrongswan-standard-plugins

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || { echo "interop setup: missing ${missing[*]} (run as root)" >&2; exit 1; }
	echo "interop setup: installing ${missing[*]}"
	# No package may start a daemon in the root namespace (strongswan-starter's
	# postinst would start an ipsec service): a policy-rc.d that refuses every
	# start, unless the machine already has one.
	own_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		own_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	rc=0
	{ apt-get update -qq >/dev/null &&
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } || rc=$?
	[ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
	[ $rc -eq 0 ] || { echo "interop setup: apt-get failed ($rc)" >&2; exit 1; }
fi

if [ ! -x "$ROOTFS/usr/lib/ipsec/charon" ] || [ ! -s "$STAMP" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "interop setup: no rootfs at $ROOTFS (run as root)" >&2; exit 1; }
	mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
	echo "interop setup: building the Debian 13 rootfs at $ROOTFS from $mirror (once, about a minute)"
	start=$(date +%s)
	rm -rf "$ROOTFS.tmp" "$STAMP"
	mkdir -p "$(dirname "$ROOTFS")"
	debootstrap --variant=minbase --include=$ROOTFS_PKGS trixie "$ROOTFS.tmp" "$mirror" \
		>"$ROOTFS.log" 2>&1 || { tail -n 20 "$ROOTFS.log" >&2; rm -rf "$ROOTFS.tmp"; exit 1; }
	rm -rf "$ROOTFS"
	mv "$ROOTFS.tmp" "$ROOTFS"
	chroot "$ROOTFS" dpkg-query -W -f='${Package} ${Version}\n' \
		strongswan-charon strongswan-swanctl libcharon-extra-plugins >"$STAMP"
	echo "interop setup: rootfs built in $(($(date +%s) - start)) s ($(du -sm "$ROOTFS" | cut -f1) MB)"
fi

echo "interop setup: host $(dpkg-query -W -f='${Package} ${Version}' strongswan-charon)," \
	"rootfs $(head -n1 "$STAMP")"
