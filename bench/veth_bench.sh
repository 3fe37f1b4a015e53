#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Veth benchmark: packets per second a gateway namespace drops, sent by our
# own generator (bench/trafficgen.c) from a sender namespace over a veth,
# for fwc (XDP) against a bare XDP_DROP and against stack firewalls
# (nftables from `fwc compile --emit nft`, a hand-written-style linear
# nftables ruleset, iptables-legacy with ipset), with generated policies
# of 10, 1k and 10k rules. Prints the table and, given OUT, writes the
# "Veth" section of docs/benchmarks.md there; DAT gets the figures for
# bench/plot.sh. Needs root.
#   bench/veth_bench.sh build/fwc build/bench/trafficgen [OUT.md [DAT]]
#
# Environment: BENCH_SIZES (rule counts, "10 1000 10000"), BENCH_ROUNDS
# (rounds per fwc case, median taken; 3), BENCH_STACK_ROUNDS (the same for
# the stack firewalls, 1: they are 10^2-10^4 times slower, and their
# rulesets take long to load), BENCH_SECONDS (measured interval of a round,
# 2), BENCH_THREADS (sender threads, one CPU each, the last CPUs; 1),
# BENCH_VARIANTS ("fwc fwcsl nft nftlin ipt"; fwcsl: fwc with `set state off`).
#
#   ns fwcb-PID-snd        ns fwcb-PID-gw                ns fwcb-PID-sink
#     eth0 ---- veth ---->  g0 (XDP: fwc, xdp_drop       g1 ---> eth0
#     trafficgen            or xdp_pass + the stack)     (route 10/8)
#
# Each round measures the bare XDP_DROP on g0 and then the case, and the
# case's figure is reported beside that bare figure and as a ratio of it.
# The count is g0's received packets (what its NAPI processed, whatever
# the verdict) over the interval; the firewall's own drop counter is
# checked against it. The traffic is one TCP SYN flow that every policy
# sends to its default deny: a linear ruleset reads all its rules.
set -euo pipefail
shopt -s inherit_errexit

fwc=$(realpath "${1:-build/fwc}")
tg=$(realpath "${2:-build/bench/trafficgen}")
out=${3:-}
dat=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
txobj=$(dirname "$tg")/txgen.bpf.o
sizes=${BENCH_SIZES:-10 1000 10000}
rounds=${BENCH_ROUNDS:-3}
srounds=${BENCH_STACK_ROUNDS:-1}
secs=${BENCH_SECONDS:-2}
threads=${BENCH_THREADS:-1}
variants=${BENCH_VARIANTS:-fwc fwcsl nft nftlin ipt}
warm=0.5
cpu=$(( $(nproc) - threads ))	# the last CPUs: CPU 0 has more housekeeping
sport=40000
dport=9

for f in "$fwc" "$tg" "$txobj"; do
	[ -e "$f" ] || { echo "veth_bench: $f missing (make bench builds it)" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
	echo "veth_bench: needs root (namespaces, XDP, nftables)" >&2
	exit 1
fi
for t in nft iptables-legacy-restore ipset bc; do
	command -v "$t" >/dev/null || { echo "veth_bench: $t missing (tools/deps.sh)" >&2; exit 1; }
done

prefix="fwcb-$$-"
SND=${prefix}snd GW=${prefix}gw SINK=${prefix}sink
pins=/sys/fs/bpf/fwcb-$$
dir=$(mktemp -d /tmp/fwcb-veth-XXXXXX)
# The loads' rollback copies stay in the run's directory, not /run/fwc.
export FWC_STATE_DIR="$dir/state"
in_ns() {
	local ns=$1
	shift
	# nsenter keeps our mount namespace (and so the bpffs pins).
	nsenter --net="/run/netns/$ns" "$@"
}
gw() { in_ns "$GW" "$@"; }

topo_down() {
	local ns pid
	if [ -d "$pins/fwc" ]; then
		gw "$fwc" unload --all --bpffs "$pins/fwc" >/dev/null 2>&1 || true
	fi
	for ns in "$SND" "$GW" "$SINK"; do
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
}
cleanup() {
	set +e
	topo_down
	rm -rf "$pins" "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mac_of() { in_ns "$1" ip -o link show dev "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }

# A fresh sender, gateway and sink, so that no state of a case (a
# conntrack table, the legacy iptables hooks) is there for the next.
topo_up() {
	local q ns
	q=$(nproc)
	for ns in "$SND" "$GW" "$SINK"; do
		ip netns add "$ns"
		in_ns "$ns" ip link set lo up
		in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	done
	in_ns "$SND" ip link add eth0 numtxqueues "$q" numrxqueues "$q" type veth \
		peer name g0 numtxqueues "$q" numrxqueues "$q" netns "$GW"
	gw ip link add g1 type veth peer name eth0 netns "$SINK"
	in_ns "$SND" ip link set eth0 up
	in_ns "$SINK" ip link set eth0 up
	gw ip link set g0 up
	gw ip link set g1 up
	gw sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.g0.rp_filter=0
	in_ns "$SND" ip addr add "$SRC/32" dev eth0
	gw ip route add 10.0.0.0/8 dev g1
	gw ip neigh replace "$DST" lladdr "$(mac_of "$SINK" eth0)" dev g1 nud permanent
	gwmac=$(mac_of "$GW" g0)
	mkdir -p "$pins"
	[ -e "$pins/txgen/xdp_drop" ] || bpftool prog loadall "$txobj" "$pins/txgen"
}

xdp_set() { gw bpftool net attach xdpdrv pinned "$pins/txgen/$1" dev g0 overwrite; }
xdp_clear() { gw bpftool net detach xdpdrv dev g0; }
rx_of() { gw ip -s link show dev g0 | awk '/RX:/ { getline; print $2; exit }'; }
now_ns() { date +%s%N; }

# measure RESET: RATE = packets/s g0 processed over the interval; PROC =
# packets it processed over the whole run.
measure() {
	local opt=() r0 r1 r2 r3 t1 t2 pid rc=0
	[ "$1" = 1 ] && opt=(-R)
	r0=$(rx_of)
	in_ns "$SND" "$tg" -i eth0 -m "$gwmac" -s "$SRC" -d "$DST" -p "$dport" \
		-P "$sport" -t "$(echo "$warm + $secs + 0.3" | bc)" -T "$threads" -c "$cpu" \
		"${opt[@]}" >"$dir/tg.out" 2>&1 &
	pid=$!
	sleep "$warm"
	r1=$(rx_of)
	t1=$(now_ns)
	sleep "$secs"
	r2=$(rx_of)
	t2=$(now_ns)
	wait "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$dir/tg.out" >&2
		exit 1
	fi
	sleep 0.05
	r3=$(rx_of)
	RATE=$(( (r2 - r1) * 1000000000 / (t2 - t1) ))
	PROC=$(( r3 - r0 ))
}

median() { sort -g | awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# The first address of a prefix that is a host (10.0.2.0/24 -> 10.0.2.1).
host_of() {
	awk -F'[./]' '{ len = $5 == "" ? 32 : $5
		print $1 "." $2 "." $3 "." ($4 + (len < 31 ? 1 : 0)) }' <<<"$1"
}

# SRC and DST: hosts of two zones of POLICY that its default deny decides.
pick_flow() {
	local pfx s d v
	mapfile -t pfx < <(awk '$1 == "zone" { for (i = 4; i <= NF; i++)
		if ($i ~ /^10\./) { print $i; break } }' "$1" | head -6)
	for s in "${pfx[@]}"; do
		for d in "${pfx[@]}"; do
			[ "$s" != "$d" ] || continue
			SRC=$(host_of "$s")
			DST=$(host_of "$d")
			# fwc test exits 1 on a deny.
			v=$("$fwc" test "$1" "tcp $SRC:$sport -> $DST:$dport" 2>&1 || true)
			[[ $v == "deny rule 0 "* ]] && return 0
		done
	done
	echo "veth_bench: no default-deny flow found in $1" >&2
	exit 1
}

# Load/unload and the drop counter of each case, in the gateway.
load_case() { # CASE N: loads the ruleset, prints its rule count
	local v=$1 n=$2
	case $v in
	nft)
		"$fwc" compile "$dir/gen$n.pol" --emit nft -o "$dir/emit$n.nft"
		gw nft -f "$dir/emit$n.nft"
		grep -cP '^\t\t(ip |ip6 |meta |ct |counter name |tcp |udp |th |icmp)' "$dir/emit$n.nft"
		;;
	nftlin)
		awk -v MODE=nft -f "$here/linear.awk" "$dir/gen$n.pol" >"$dir/lin$n.nft" 2>"$dir/count"
		gw nft -f "$dir/lin$n.nft"
		cat "$dir/count"
		;;
	ipt)
		awk -v MODE=ipset -f "$here/linear.awk" "$dir/gen$n.pol" | gw ipset restore
		awk -v MODE=iptables -f "$here/linear.awk" "$dir/gen$n.pol" \
			2>"$dir/count" | gw iptables-legacy-restore
		echo $(( $(cat "$dir/count") + 1 ))	# and the policy
		;;
	esac
}
drops_of() { # CASE: packets the firewall's default deny counted
	case $1 in
	fwc) gw "$fwc" stats g0 --bpffs "$pins/fwc" 2>/dev/null |
		awk '$1 == "0" { print $3; exit }' ;;
	nft) gw nft list counter inet fwc r0-default |
		sed -n 's/.*packets \([0-9]*\).*/\1/p' ;;
	nftlin) gw nft list counter ip fwcb_linear default_deny |
		sed -n 's/.*packets \([0-9]*\).*/\1/p' ;;
	ipt) gw iptables-legacy -L FORWARD -n -v -x |
		sed -n '1s/.*policy DROP \([0-9]*\) packets.*/\1/p' ;;
	esac
}

label_of() {
	case $1 in
	fwc) echo "fwc (XDP)" ;;
	fwcsl) echo "fwc, set state off" ;;
	nft) echo "nft, fwc --emit nft" ;;
	nftlin) echo "nft, linear" ;;
	ipt) echo "iptables-legacy+ipset" ;;
	esac
}

t_start=$(now_ns)
declare -A R_MPPS R_BARE R_RATIO R_DNS R_ROUNDS R_LOAD R_LINES R_CHECK
for n in $sizes; do
	awk -v RULES="$n" -v PREFIXES="$n" -v SEED=7 -f "$here/genpolicy.awk" >"$dir/gen$n.pol"
	pick_flow "$dir/gen$n.pol"
	{ echo "set state off"; cat "$dir/gen$n.pol"; } >"$dir/gen${n}s.pol"
	for v in $variants; do
		topo_up
		vals=() bares=() ratios=() dns=() proc=0 drops=0 lines=- load=-
		xdp=0 pol=$dir/gen$n.pol nr=$srounds
		case $v in
		fwc) xdp=1 nr=$rounds ;;
		fwcsl) xdp=1 nr=$rounds pol=$dir/gen${n}s.pol ;;
		esac
		if [ "$xdp" = 0 ]; then
			t0=$(now_ns)
			lines=$(load_case "$v" "$n")
			load=$(echo "scale=2; ($(now_ns) - $t0) / 1000000000" | bc)
		fi
		for _ in $(seq "$nr"); do
			reset=$([ "$xdp" = 1 ] && echo 0 || echo 1)
			xdp_set xdp_drop
			measure "$reset"
			bares+=("$RATE")
			if [ "$xdp" = 1 ]; then
				xdp_clear
				t0=$(now_ns)
				gw "$fwc" load "$pol" g0 --mode native \
					--bpffs "$pins/fwc" >/dev/null
				load=$(echo "scale=2; ($(now_ns) - $t0) / 1000000000" | bc)
			else
				xdp_set xdp_pass
			fi
			measure "$reset"
			vals+=("$RATE")
			ratios+=("$(echo "scale=6; $RATE / ${bares[-1]}" | bc)")
			dns+=("$(echo "scale=3; 1000000000 / $RATE - 1000000000 / ${bares[-1]}" | bc)")
			proc=$((proc + PROC))
			if [ "$xdp" = 1 ]; then
				d=$(drops_of fwc)
				drops=$((drops + ${d:-0}))
				gw "$fwc" unload g0 --bpffs "$pins/fwc" >/dev/null
			fi
		done
		[ "$xdp" = 1 ] || drops=$(drops_of "$v")
		R_MPPS[$v,$n]=$(printf '%s\n' "${vals[@]}" | median)
		R_BARE[$v,$n]=$(printf '%s\n' "${bares[@]}" | median)
		R_RATIO[$v,$n]=$(printf '%s\n' "${ratios[@]}" | median)
		R_DNS[$v,$n]=$(printf '%s\n' "${dns[@]}" | median)
		R_ROUNDS[$v,$n]=$nr
		R_LOAD[$v,$n]=$load
		R_LINES[$v,$n]=$lines
		# Every packet the gateway processed must be the firewall's drop.
		R_CHECK[$v,$n]="${drops:-?}/$proc"
		topo_down
		printf '%-22s %6s rules: %10.3f Mpps (bare %.3f), dropped %s processed\n' \
			"$(label_of "$v")" "$n" "$(echo "${R_MPPS[$v,$n]} / 1000000" | bc -l)" \
			"$(echo "${R_BARE[$v,$n]} / 1000000" | bc -l)" "${R_CHECK[$v,$n]}" >&2
	done
done
t_total=$(( ($(now_ns) - t_start) / 1000000000 ))

# The table, and the targets of issue 5.
mpps() { echo "scale=6; $1 / 1000000" | bc; }
{
	printf 'sender: %d thread(s) on CPU %s (the gateway'"'"'s NAPI runs on the sending CPU), TCP SYN 64 B, one flow to the default deny\n' \
		"$threads" "$cpu$( [ "$threads" -gt 1 ] && echo "-$((cpu + threads - 1))")"
	printf 'rounds of %s s, median: each round measures bare XDP_DROP, then the case\n' "$secs"
	printf '%-22s %6s %6s %8s %6s %9s %10s %9s %8s %9s %8s %s\n' firewall rules chain "load(s)" rounds Mpps "ns/pkt" "bare Mpps" "x bare" "+ns/pkt" "fwc x" "dropped/processed"
	for n in $sizes; do
		for v in $variants; do
			[ -n "${R_MPPS[$v,$n]:-}" ] || continue
			m=${R_MPPS[$v,$n]}
			f=${R_MPPS[fwc,$n]:-0}
			printf '%-22s %6s %6s %8s %6s %9.4f %10.1f %9.3f %8.4f %9.1f %8s %s\n' \
				"$(label_of "$v")" "$n" "${R_LINES[$v,$n]}" \
				"$( [ "${R_LOAD[$v,$n]}" = - ] && echo - || printf '%.2f' "${R_LOAD[$v,$n]}")" \
				"${R_ROUNDS[$v,$n]}" "$(mpps "$m")" "$(echo "1000000000 / $m" | bc -l)" \
				"$(mpps "${R_BARE[$v,$n]}")" "${R_RATIO[$v,$n]}" "${R_DNS[$v,$n]}" \
				"$( [ "$f" != 0 ] && printf '%.1f' "$(echo "$f / $m" | bc -l)" || echo -)" \
				"${R_CHECK[$v,$n]}"
		done
	done
	verdict() { [ "$(echo "$1 >= $2" | bc)" = 1 ] && echo met || echo "NOT met"; }
	echo "targets (issue 5):"
	for v in fwc fwcsl; do
		[ -n "${R_RATIO[$v,10000]:-}" ] || continue
		r=${R_RATIO[$v,10000]}
		printf '  %s at 10k rules >= 0.9 x bare XDP_DROP: %.3f, %s (+%.1f ns/packet over XDP_DROP; 0.9 allows +%.1f)\n' \
			"$(label_of "$v")" "$r" "$(verdict "$r" 0.9)" "${R_DNS[$v,10000]}" \
			"$(echo "1000000000 / ${R_BARE[$v,10000]} / 9" | bc -l)"
	done
	for p in "nft 3 nft with sets (fwc --emit nft)" "nftlin 100 nft linear"; do
		read -r v want what <<<"$p"
		if [ -z "${R_MPPS[$v,1000]:-}" ] || [ -z "${R_MPPS[fwc,1000]:-}" ]; then
			continue
		fi
		x=$(echo "${R_MPPS[fwc,1000]} / ${R_MPPS[$v,1000]}" | bc -l)
		printf '  fwc at 1k rules >= %s x %s: %.0f x, %s\n' "$want" "$what" "$x" "$(verdict "$x" "$want")"
	done
	echo "run time ${t_total} s"
} | tee "$dir/table"

if [ -n "$dat" ]; then
	mkdir -p "$(dirname "$dat")"
	{
		echo "# rules, then Mpps of: bare_xdp_drop fwc fwc_state_off nft_emit nft_linear iptables_legacy (- when not run)"
		for n in $sizes; do
			line="$n $(mpps "${R_BARE[fwc,$n]:-0}")"
			for v in fwc fwcsl nft nftlin ipt; do
				[ -n "${R_MPPS[$v,$n]:-}" ] && line+=" $(mpps "${R_MPPS[$v,$n]}")" || line+=" -"
			done
			echo "$line"
		done
	} >"$dat"
fi

[ -n "$out" ] || exit 0
{
	echo "## Veth"
	echo
	echo "Generated by \`make bench\` (bench/veth_bench.sh); do not edit."
	echo
	echo "- machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) vCPUs (shared); kernel $(uname -r)"
	echo "- $(nft --version), $(iptables-legacy --version) (legacy x_tables, not nf_tables), $(ipset --version | head -1)"
	echo "- date: $(date -u +%Y-%m-%d); command: \`make bench\`, or \`bench/veth_bench.sh build/fwc build/bench/trafficgen\`"
	echo "- policies: \`awk -v RULES=N -v PREFIXES=N -v SEED=7 -f bench/genpolicy.awk\`; traffic: one TCP SYN flow between two of its zones that no rule allows (checked with \`fwc test\`), so every firewall drops it by its default deny, and a linear ruleset reads all its rules first"
	echo
	echo "A sender namespace sends into a gateway namespace over a veth with our"
	echo "own generator, bench/trafficgen.c: \`BPF_PROG_TEST_RUN\` of an \`XDP_TX\`"
	echo "program with \`BPF_F_TEST_XDP_LIVE_FRAMES\` on the sending veth, pinned"
	echo "to the last CPU. The veth hands each frame to the gateway leg g0, whose NAPI"
	echo "poll runs on the sending CPU, so a figure is the rate of sender and"
	echo "gateway together on one CPU: \`ns/pkt\` = 1/rate is the sender's cost"
	echo "plus the gateway's, and the difference between two rows is the"
	echo "difference of their gateway costs. Counted: g0's received packets"
	echo "(what its NAPI processed) over the interval, and \`dropped/processed\`"
	echo "checks the firewall's own default-deny counter against all g0 processed."
	echo
	echo "Cases, on g0: \`fwc (XDP)\` = \`fwc load POLICY g0 --mode native\`"
	echo "(connection tracking on, the default: a flow lookup before the rules);"
	echo "\`fwc, set state off\` = the same policy with \`set state off\` first;"
	echo "bare = bench/txgen.bpf.c's \`XDP_DROP\`, measured before each case in"
	echo "every round, \`x bare\` = median of the rounds' case/bare, \`+ns/pkt\` ="
	echo "median of the rounds' 1/case - 1/bare (what the case costs the gateway"
	echo "over a bare drop, per packet); the stack"
	echo "firewalls get an \`XDP_PASS\` program on g0 (a veth takes XDP frames"
	echo "only when its peer runs XDP), the gateway routes 10/8 to a sink"
	echo "namespace (ip_forward=1) and filters in the forward hook:"
	echo "\`nft, fwc --emit nft\` = the emitter's ruleset (inet table; one rule per"
	echo "policy rule and family, named sets for the zones and ports, per-rule counters,"
	echo "conntrack state rules first); \`nft, linear\` = bench/linear.awk, one"
	echo "rule per policy rule as written by hand with \`define\`d zones (inline"
	echo "anonymous sets, ip table, no conntrack); \`iptables-legacy+ipset\` ="
	echo "bench/linear.awk, one rule per policy rule and protocol with the zones"
	echo "as hash:net ipsets and multiport. \`chain\` = rules in the chain (the"
	echo "emitter's include its IPv6 half and state rules), \`load(s)\` = time to"
	echo "load it (\`fwc load\`, \`nft -f\`, \`ipset restore\` + \`iptables-legacy-restore\`)."
	echo "For the stack cases the sender runs \`xdp_tx_reset\` (writes the"
	echo "template headers back: the stack decrements the TTL of a routed frame"
	echo "in place and live frames reuse their pages), bare included, so that"
	echo "each ratio compares like with like. \`fwc x\` = fwc's Mpps / the row's."
	echo
	echo "Reading the 0.9 x bare target: sender and bare drop together cost"
	echo "about 45-55 ns a packet on this path, so 0.9 x leaves a firewall about"
	echo "5 ns a packet on top of \`XDP_DROP\`, about what the parser alone costs"
	echo "(4-5 ns own in the test-run table); fwc's own cost there (about 20 ns"
	echo "stateless or for the SYN sent here, which meets the rules before"
	echo "the flow table; 40 ns for a denied packet of no flow that is not a"
	echo "SYN, which pays a flow-table miss first) shows up here as \`+ns/pkt\`. The stack firewalls' rows at 10k rules count a"
	echo "few hundred packets: their rates are good to about 20 %."
	echo
	echo '```'
	cat "$dir/table"
	echo '```'
} >"$out"
echo "wrote $out"
