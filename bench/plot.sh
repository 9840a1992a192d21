#!/usr/bin/env bash
# Plot of bench/xdp_rate.sh's results: softirq ns per packet against the
# number of clients in the tables, one panel per frame kind (ESP, IKE, UDP to
# a leased port), one line per program (rsip_wan, ref_encap, ref_lookup and
# the preallocated copy when it ran) and working set (1000 flows: the
# entries stay in the caches; 100000 flows: they come from memory).
#
#   bench/plot.sh RAW_FILE... [-o OUT.png]      (default docs/img/xdp_rate.png)
#
# RAW_FILE: the raw result lines xdp_rate.sh writes (its RATE_OUT). The
# figure is softirq ns/pkt, not Mpps: on a shared machine the packet rate
# follows the other jobs' load, the per-packet CPU time much less
# (docs/performance.md). Needs gnuplot; as root it installs gnuplot-nox from
# Debian when missing.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/docs/img/xdp_rate.png
files=()
while [ $# -gt 0 ]; do
	case $1 in
	-o)
		[ $# -ge 2 ] || { echo "plot: -o needs a file name" >&2; exit 2; }
		out=$2
		shift 2
		;;
	-*) echo "plot: unknown option '$1' (usage: bench/plot.sh RAW_FILE... [-o OUT.png])" >&2; exit 2 ;;
	*)
		[ -r "$1" ] || { echo "plot: cannot read '$1'" >&2; exit 2; }
		files+=("$1")
		shift
		;;
	esac
done
[ ${#files[@]} -gt 0 ] || { echo "usage: bench/plot.sh RAW_FILE... [-o OUT.png]" >&2; exit 2; }

if ! command -v gnuplot >/dev/null; then
	[ "$(id -u)" -eq 0 ] || { echo "plot: gnuplot missing (apt-get install gnuplot-nox, as root)" >&2; exit 1; }
	echo "plot: installing gnuplot-nox"
	{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends gnuplot-nox; }; } >/dev/null ||
		{ echo "plot: apt-get install gnuplot-nox failed" >&2; exit 1; }
fi

tmp=$(mktemp -d /tmp/xdp_plot.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
python3 "$top/bench/xdp_rate_stats.py" plotdata "${files[@]}" >"$tmp/all.dat"
# Columns: clients flows kind rsip_mpps rsip_ns ref_mpps ref_ns lkp_mpps lkp_ns
# pre_mpps pre_ns. One file per kind and working set; a case with fewer
# clients than 1000 flows runs as many flows as clients (the warm set).
for k in esp ike udp; do
	awk -v k=$k '$3 == k && $2 <= 1000' "$tmp/all.dat" >"$tmp/$k-warm.dat"
	awk -v k=$k '$3 == k && $2 > 1000' "$tmp/all.dat" >"$tmp/$k-cold.dat"
done
[ -s "$tmp/esp-warm.dat" ] || [ -s "$tmp/esp-cold.dat" ] ||
	{ echo "plot: no ESP results in ${files[*]}" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
{
	cat <<EOF
set terminal pngcairo size 1500,600 font ",10" noenhanced
set output "$out"
set datafile missing "-"
set logscale x 10
set xrange [500:2000000]
set xlabel "clients in the tables"
set ylabel "softirq ns per packet"
set grid
set key below vertical maxrows 3
set xtics ("1k" 1000, "10k" 10000, "100k" 100000, "1M" 1000000)
set yrange [0:*]
set multiplot layout 1,3 title "bench/xdp_rate.sh: XDP WAN path, one CPU (generator + gateway + sink), medians"
EOF
	for k in esp ike udp; do
		title=$(case $k in esp) echo ESP ;; ike) echo "IKE (UDP 500/4500)" ;; udp) echo "UDP to a leased port" ;; esac)
		echo "set title \"$title\""
		plots=()
		for set in warm cold; do
			f=$tmp/$k-$set.dat
			[ -s "$f" ] || continue
			lbl=$([ $set = warm ] && echo "1000 flows" || echo "100000 flows")
			dt=$([ $set = warm ] && echo 1 || echo 2)
			plots+=("'$f' using 1:5 with linespoints lc 1 dt $dt pt 7 title 'rsip_wan, $lbl'")
			plots+=("'$f' using 1:7 with linespoints lc 2 dt $dt pt 5 title 'ref_encap, $lbl'")
			plots+=("'$f' using 1:9 with linespoints lc 3 dt $dt pt 9 title 'ref_lookup, $lbl'")
			if awk '$11 != "-" {found = 1} END {exit !found}' "$f"; then
				plots+=("'$f' using 1:11 with linespoints lc 4 dt $dt pt 11 title 'rsip_wan prealloc, $lbl'")
			fi
		done
		if [ ${#plots[@]} -gt 0 ]; then
			(IFS=,; echo "plot ${plots[*]}")
		fi
	done
	echo "unset multiplot"
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
echo "plot: $out"
