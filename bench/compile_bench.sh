#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Compile-time benchmark: generated policies of 10 to 100k rules over up to
# 100k prefixes; wall time and peak RSS of `fwc compile` per size, median
# of RUNS runs, beside `fwc --version` as the process-start baseline.
set -euo pipefail
fwc=${1:-build/fwc}
runs=${RUNS:-3}
dir=$(mktemp -d /tmp/fwc-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
here=$(dirname "$0")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() { # prints "seconds kib" medians for a command
	local t m ts=() ms=()
	for _ in $(seq "$runs"); do
		/usr/bin/time -o "$dir/time" -f '%e %M' "$@" >/dev/null 2>&1
		read -r t m < "$dir/time"
		ts+=("$t"); ms+=("$m")
	done
	echo "$(printf '%s\n' "${ts[@]}" | median) $(printf '%s\n' "${ms[@]}" | median)"
}

base=$(measure "$fwc" --version)
printf '%-8s %-9s %10s %10s %9s %8s %8s %10s\n' rules prefixes "time(s)" "peak(MiB)" "tables" classes rows artifact
for spec in 10:10 1000:1000 10000:10000 100000:100000; do
	rules=${spec%:*} prefixes=${spec#*:}
	pol=$dir/p$rules.pol
	awk -v RULES="$rules" -v PREFIXES="$prefixes" -v SEED=7 -f "$here/genpolicy.awk" > "$pol"
	read -r t m < <(measure "$fwc" compile "$pol" -o "$dir/p.fwca")
	stats=$("$fwc" compile --stats "$pol")
	total=$(awk '/^total/ {print $2}' <<<"$stats")
	cls=$(awk '/^classes/ {gsub(",",""); print $3"x"$5}' <<<"$stats")
	rows=$(awk '/^decision rows/ {print $3}' <<<"$stats")
	printf '%-8s %-9s %10s %10.1f %8.1fM %8s %8s %9dK\n' "$rules" "$prefixes" "$t" \
		"$(echo "$m/1024" | bc -l)" "$(echo "$total/1048576" | bc -l)" "$cls" "$rows" \
		"$(( $(stat -c %s "$dir/p.fwca") / 1024 ))"
done
echo "baseline (fwc --version): ${base% *} s, $(( ${base#* } / 1024 )) MiB; target: 100k rules <= 2 s, <= 512 MiB"
