#!/usr/bin/env bash
# Regenerates vmlinux/vmlinux.h (the kernel's BTF as C types, for the BPF
# programs in bpf/) from the running kernel, or from the BTF file given.
#   vmlinux/gen.sh [/sys/kernel/btf/vmlinux]
# The committed header comes from Debian 12's build host (kernel 6.18); CO-RE
# relocations make the programs independent of the exact kernel, so
# regenerate only when a newer kernel type or helper is needed.
set -euo pipefail
btf=${1:-/sys/kernel/btf/vmlinux}
out=$(dirname "$0")/vmlinux.h
[ -r "$btf" ] || { echo "gen.sh: cannot read $btf (kernel built without CONFIG_DEBUG_INFO_BTF?)" >&2; exit 1; }
bpftool btf dump file "$btf" format c >"$out.tmp"
mv "$out.tmp" "$out"
echo "gen.sh: wrote $out from $btf"
