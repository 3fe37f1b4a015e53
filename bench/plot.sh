#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The benchmark plot, docs/bench.png: left, the test-run ns/packet of fwc
# against rule count (from the table of docs/bench-datapath.md: the fwc and
# ct rows of the generated policies, beside the bare XDP_PASS and
# parse-only baselines); right, the veth drop rate in
# Mpps against rule count of fwc, bare XDP_DROP, nftables and iptables
# (from the DAT file bench/veth_bench.sh writes). Gnuplot (gnuplot-nox).
#   bench/plot.sh docs/bench-datapath.md build/bench/veth.dat docs/bench.png
set -euo pipefail
datapath=${1:-docs/bench-datapath.md}
veth=${2:-build/bench/veth.dat}
png=${3:-docs/bench.png}
dir=$(mktemp -d /tmp/fwcb-plot-XXXXXX)
trap 'rm -rf "$dir"' EXIT

# Rows of the datapath table: ns/pkt is the 6th field from the end.
awk '
	/^```/ { inside = !inside; next }
	!inside { next }
	$1 == "bare" && $4 == "tcp4" { bare4 = $(NF - 5) }
	$1 == "bare" && $4 == "tcp6" { bare6 = $(NF - 5) }
	$1 == "parse" && $4 == "tcp4" { parse4 = $(NF - 5) }
	($1 == "fwc" || $1 == "ct") && $2 ~ /^gen/ {
		n = $3; rules[n] = 1; v[n, $1 " " $4 " " $5] = $(NF - 5)
	}
	function f(k) { return k == "" ? "-" : k }
	END {
		print "# rules tcp4_allow tcp4_deny tcp4_default tcp6_allow tcp6_default bare4 parse4 bare6 ct_tcp4_est ct_tcp4_default"
		for (n in rules)
			printf "%s %s %s %s %s %s %s %s %s %s %s\n", n,
				f(v[n, "fwc tcp4 allow"]), f(v[n, "fwc tcp4 deny"]),
				f(v[n, "fwc tcp4 default"]), f(v[n, "fwc tcp6 allow"]),
				f(v[n, "fwc tcp6 default"]), f(bare4), f(parse4), f(bare6),
				f(v[n, "ct tcp4 est"]), f(v[n, "ct tcp4 default"])
	}' "$datapath" | sort -g >"$dir/testrun.dat"
cp "$veth" "$dir/veth.dat"

cd "$dir"
gnuplot <<'EOF'
set terminal pngcairo size 1400,560 font "sans,11"
set output "bench.png"
set datafile missing "-"
set multiplot layout 1,2 title "fwc benchmarks (make bench)"
set logscale x
set xrange [5:200000]
set format x "10^{%T}"
set xlabel "rules"
set grid
set key top left

set title "test-run: ns per packet (BPF\\_PROG\\_TEST\\_RUN, median)"
set ylabel "ns/packet"
set yrange [0:90]
set key top left maxrows 5 samplen 2
plot "testrun.dat" u 1:2 w lp pt 7 lw 2 t "fwc tcp4 allow (state off)", \
     "" u 1:3 w lp pt 5 lw 2 t "fwc tcp4 deny", \
     "" u 1:4 w lp pt 9 lw 2 t "fwc tcp4 default deny", \
     "" u 1:5 w lp pt 11 lw 2 t "fwc tcp6 allow", \
     "" u 1:6 w lp pt 13 lw 2 t "fwc tcp6 default deny", \
     "" u 1:10 w lp pt 4 lw 2 t "ct: tcp4 established hit", \
     "" u 1:11 w lp pt 8 lw 2 t "ct: tcp4 default deny (flow miss)", \
     "" u 1:8 w l dt 2 lw 2 t "parse only (tcp4)", \
     "" u 1:7 w l dt 3 lw 2 t "bare XDP\\_PASS (tcp4)"

set title "veth: packets dropped per second (1 sender CPU, default deny)"
set ylabel "Mpps"
set logscale y
set yrange [0.00001:100]
set format y "10^{%T}"
set key bottom left maxrows 6 samplen 2
plot "veth.dat" u 1:2 w lp pt 6 dt 2 lw 2 t "bare XDP\\_DROP", \
     "" u 1:3 w lp pt 7 lw 2 t "fwc (XDP)", \
     "" u 1:4 w lp pt 7 dt 3 lw 2 t "fwc, state off", \
     "" u 1:5 w lp pt 5 lw 2 t "nft, fwc --emit nft", \
     "" u 1:6 w lp pt 9 lw 2 t "nft, linear", \
     "" u 1:7 w lp pt 11 lw 2 t "iptables-legacy + ipset"
unset multiplot
EOF
cd - >/dev/null
cp "$dir/bench.png" "$png"
echo "wrote $png"
