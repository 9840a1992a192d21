#!/usr/bin/env bash
# Install the Debian packages the project needs, and only those that are
# missing. Quiet when nothing is missing; idempotent. `make deps` runs it, and
# `make test` / `make demo` run `make deps` first.
set -euo pipefail

PKGS=(
	make gcc clang llvm            # C toolchain, BPF target, llvm-strip
	clang-format                   # make format-check (part of make test)
	libbpf-dev bpftool             # BPF loading and skeletons
	libelf-dev zlib1g-dev          # libbpf's static needs
	libcmocka-dev                  # unit and BPF fixture tests
	uthash-dev                     # rsipd allocators: hash tables (header-only)
	libinih-dev                    # rsipd --config (INI)
	libjson-c-dev                  # control socket and --json output
	libmnl-dev                     # netlink: neighbour entries for clients
	libsqlite3-dev sqlite3         # rsipd's lease store (docs/store.md); sqlite3 to inspect it
	libsystemd-dev libcap-dev      # rsipd: sd_notify readiness, capability checks
	libmicrohttpd-dev              # rsipd --metrics (HTTP)
	python3-prometheus-client      # the metrics test parses /metrics with it
	iproute2 ethtool iputils-ping  # namespaces, veth, links
	tcpdump tshark                 # capture checks (tshark decodes RSIP)
	python3                        # integration test client (stdlib only)
	libclang-rt-14-dev             # libFuzzer runtime for clang
	kmod                           # modprobe in test set-up
	scdoc man-db pkg-config        # man pages (make man), reading them, librsip.pc
	systemd                        # systemd-analyze verify/security of the units
	debhelper dpkg-dev fakeroot lintian debootstrap  # make deb, make test-package
	iperf3                         # bench/rsipc_iperf.sh (host-side throughput)
	libcurl4-openssl-dev libssl-dev # rsipd etcd store: v3 JSON gateway over HTTP(S), base64
	etcd-server etcd-client        # make test-cluster: a real 3-member etcd cluster
	keepalived openssl             # make test-cluster: VRRP takeover, TLS certificates
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run 'make deps' as root (apt-get install) or install them yourself" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
