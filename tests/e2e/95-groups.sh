#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The grouped layout end to end: a ClassBench-like fw policy of ~10k rules
# (bench/classbench.awk, without its unrestricted any -> any rules, which
# would leave every later rule dead) under a few rules of our own naming
# the lab's hosts, in groups of several widths (narrow both sides, source
# any, destination any, wide both sides, any -> any). `fwc compile --stats`
# must say grouped; `fwc load` loads it (timed) and real TCP and UDP flows
# through the veth pass or drop as the rules say, their counters moving
# exactly, in the pins and in `fwc stats`; flows no rule of ours names meet
# the ClassBench rules as `fwc test` classifies them. Then an atomic reload
# (an artifact, timed) under a running UDP exchange: nothing lost, the link
# kept, counters carried over by label, the changed rule's new verdict.
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"

CLI4=203.0.113.7 CLI6=2001:db8:ffff::7
SRV4=192.0.2.10 SRV6=2001:db8:d::10
RULES=${FWC_GROUPS_RULES:-10000}
# The single cross product of 10k fw rules passes 64M: groups.
BUDGET=(--max-table-memory 64M)
A=$TMP/groups-a.pol B=$TMP/groups-b.pol
ms() { echo $((($2 - $1) / 1000000)); }

# policy 7002-RULE: ours, then ClassBench's.
policy() {
	cat <<EOF
set default deny
zone gcli = { $CLI4, $CLI6 }
zone gsrv = { $SRV4, $SRV6 }
allow gcli -> gsrv proto tcp port 443 label "g-https"
allow gcli -> gsrv proto udp port 7001 label "g-echo"
deny gcli -> gsrv proto tcp port 8080 label "g-no-8080"
$1
allow any -> $SRV4 proto tcp port 8443 label "g-src-any"
allow 203.0.113.0/24 -> any proto udp port 7003 label "g-dst-any"
allow 203.0.0.0/8 -> 192.0.0.0/8 proto udp port 7004 label "g-wide"
allow any -> any proto udp port 7005 label "g-any"
EOF
	awk -v SHAPE=fw -v RULES="$RULES" -v SEED=1 -f "$REPO/bench/classbench.awk" |
		grep -v '^set ' | awk '!/any -> any/ || / port [0-9]+( |$)/'
}
policy 'deny gcli -> gsrv proto udp port 7002 label "g-no-7002"' >"$A"
policy 'allow gcli -> gsrv proto udp port 7002 label "g-7002-open"' >"$B"
OURS=8

echo "compile: $(grep -c '^\(allow\|deny\) ' "$A") rules"
t0=$(date +%s%N)
"$FWC" compile "$A" --stats "${BUDGET[@]}" >"$TMP/stats"
t1=$(date +%s%N)
echo "    fwc compile --stats took $(ms "$t0" "$t1") ms"
sed -n 's/^\(rules\|layout\|classes\) */    \1 /p' "$TMP/stats"
groups=$(awk '$1 == "groups" && $2 ~ /^[0-9]+$/ { print $2 }' "$TMP/stats")
check "grouped: the groups table has more than one group (${groups:-none})" \
	[ "${groups:-0}" -gt 1 ]
if grep -q '^layout' "$TMP/stats"; then
	check "--stats says the layout is grouped" grep -q '^layout *grouped' "$TMP/stats"
fi
t0=$(date +%s%N)
"$FWC" compile "$B" "${BUDGET[@]}" -o "$TMP/b.fwc" >/dev/null
t1=$(date +%s%N)
echo "    fwc compile -o (policy B) took $(ms "$t0" "$t1") ms"

# What `fwc test` says of a packet: "VERDICT RULE" (it exits 1 on deny).
classify() {
	{ "$FWC" test --json "$1" "${BUDGET[@]}" "$2" || true; } |
		sed -n 's/.*"verdict": *"\([a-z]*\)", *"rule": *\([0-9]*\).*/\1 \2/p'
}

# The flows to send that no rule of ours decides: up to two ports of each
# protocol, among well-known ones, that fwc test says a ClassBench rule
# decides (which ones depends on the generator's draws, not on us).
CANDIDATES="22 53 80 88 110 123 135 139 143 161 389 445 514 636 993 995 1433 1521 3306 3389 5060 5432"
FALL=() SERVE=()
for kind in tcp udp; do
	n=0
	for port in $CANDIDATES; do
		[ "$n" -lt 2 ] || break
		want=$(classify "$A" "$kind $CLI4:40000 -> $SRV4:$port")
		[ -n "$want" ] && [ "${want#* }" -gt "$OURS" ] || continue
		FALL+=("$kind $port") SERVE+=("$kind:$SRV4:$port") n=$((n + 1))
	done
done
check "ClassBench rules decide some of the candidate flows (${#FALL[@]})" \
	[ "${#FALL[@]}" -ge 2 ]

lab_gateway
lab_host cli $CLI4 $CLI6
lab_host srv $SRV4 $SRV6
lab_serve srv 120 tcp:$SRV4:443 "tcp:[$SRV6]:443" tcp:$SRV4:8080 \
	tcp:$SRV4:8443 udp:$SRV4:7001 udp:$SRV4:7002 \
	udp:$SRV4:7003 udp:$SRV4:7004 udp:$SRV4:7005 "${SERVE[@]}"
lab_settle

t0=$(date +%s%N)
fwc_gw load "$A" cli srv "${BUDGET[@]}" | sed 's/^/    /'
t1=$(date +%s%N)
LOAD_MS=$(ms "$t0" "$t1")
echo "    fwc load (policy source, first load) took $LOAD_MS ms"
expect_eq "fwc status: policy loaded with every rule" "$(grep -c '^\(allow\|deny\) ' "$A")" \
	"$(status_field cli rules)"

echo "load --layout single in the same budget: refused, the groups stay"
prog0=$(status_field cli prog_id)
rc=0
fwc_gw load "$A" cli srv "${BUDGET[@]}" --layout single >"$TMP/single" 2>&1 || rc=$?
expect_eq "fwc load --layout single exits 2 (an error)" 2 "$rc"
check "it is the single layout's error (the pair table), not a usage one" \
	grep -q "error: the pair table would need" "$TMP/single"
expect_eq "the grouped program still runs" "$prog0" "$(status_field cli prog_id)"

pk() { counter_of cli "$1" | cut -d' ' -f1; }
U4=$((14 + 20 + 8)) # Ethernet, IPv4, UDP

echo "our rules, in groups of several widths"
expect_eq "tcp cli -> srv:443 (g-https, narrow both sides)" connected \
	"$(tcp_try cli $CLI4 $SRV4:443)"
expect_eq "tcp [cli] -> [srv]:443 over IPv6 (g-https)" connected \
	"$(tcp_try cli "[$CLI6]" "[$SRV6]:443")"
expect_eq "udp cli -> srv:7001 x10 (g-echo), replies" 10 \
	"$(udp_try cli $CLI4 $SRV4:7001 10 100)"
expect_eq "tcp cli -> srv:8080 (g-no-8080)" timeout "$(tcp_try cli $CLI4 $SRV4:8080)"
expect_eq "udp cli -> srv:7002 x5 (g-no-7002), replies" 0 \
	"$(udp_try cli $CLI4 $SRV4:7002 5)"
expect_eq "tcp cli -> srv:8443 (g-src-any, source any)" connected \
	"$(tcp_try cli $CLI4 $SRV4:8443)"
expect_eq "udp cli -> srv:7003 x4 (g-dst-any, destination any), replies" 4 \
	"$(udp_try cli $CLI4 $SRV4:7003 4)"
expect_eq "udp cli -> srv:7004 x3 (g-wide, wide both sides), replies" 3 \
	"$(udp_try cli $CLI4 $SRV4:7004 3)"
expect_eq "udp cli -> srv:7005 x2 (g-any, any -> any), replies" 2 \
	"$(udp_try cli $CLI4 $SRV4:7005 2)"

echo "their counters, exactly (pins, then fwc stats)"
expect_eq "g-https: 2 connections x (SYN, SYN-ACK, ACK, RST)" 8 "$(pk g-https)"
expect_eq "g-echo: packets bytes, requests and replies" \
	"20 $((20 * (U4 + 100)))" "$(counter_of cli g-echo)"
expect_eq "g-no-8080: one SYN" 1 "$(pk g-no-8080)"
expect_eq "g-no-7002: packets bytes" "5 $((5 * (U4 + 32)))" "$(counter_of cli g-no-7002)"
expect_eq "g-src-any: one connection" 4 "$(pk g-src-any)"
expect_eq "g-dst-any: 4 and their replies" "8 $((8 * (U4 + 32)))" "$(counter_of cli g-dst-any)"
expect_eq "g-wide: 3 and their replies" 6 "$(pk g-wide)"
expect_eq "g-any: 2 and their replies" 4 "$(pk g-any)"
for l in g-https g-echo g-no-8080 g-no-7002 g-src-any g-dst-any g-wide g-any; do
	expect_eq "fwc stats $l" "$(counter_of cli $l)" "$(stats_packets $l)"
done

echo "flows no rule of ours names: the ClassBench rules, as fwc test says"
# try KIND PORT: one TCP connection or 3 UDP datagrams from cli to srv:PORT.
fall_through() {
	local kind=$1 port=$2 want id verdict before got n w
	want=$(classify "$A" "$kind $CLI4:40000 -> $SRV4:$port")
	verdict=${want% *} id=${want#* }
	if [ -z "$want" ] || [ "$id" -le "$OURS" ]; then
		fail "$kind :$port: fwc test says '$want', not a ClassBench rule"
		return
	fi
	before=$(counter cli "$id" | cut -d' ' -f1)
	if [ "$kind" = tcp ]; then
		got=$(tcp_try cli $CLI4:40000 "$SRV4:$port")
		if [ "$verdict" = allow ]; then n=4 w=connected; else n=1 w=timeout; fi
	else
		got=$(udp_try cli $CLI4:40000 "$SRV4:$port" 3)
		if [ "$verdict" = allow ]; then n=6 w=3; else n=3 w=0; fi
	fi
	expect_eq "$kind cli -> srv:$port: $verdict by ClassBench rule $id" "$w" "$got"
	expect_eq "  rule $id counted $n" $((before + n)) "$(counter cli "$id" | cut -d' ' -f1)"
}
for f in "${FALL[@]}"; do
	fall_through $f
done

echo "atomic reload to policy B (an artifact) under a running UDP exchange"
N=3000 FRAME=$((U4 + 64))
link_a=$(status_field cli link_id)
prog_a=$(status_field cli prog_id)
echo_before=$(counter_of cli g-echo)
https_before=$(counter_of cli g-https)
lab_in cli "$PROBE" udp --from $CLI4 --count $N --interval 1 --size 64 \
	--timeout 1000 $SRV4:7001 >"$TMP/sender" 2>&1 &
sender=$!
LAB_PIDS+=("$sender")
sleep 0.5
t0=$(date +%s%N)
fwc_gw load "$TMP/b.fwc" cli srv | sed 's/^/    /'
t1=$(date +%s%N)
RELOAD_MS=$(ms "$t0" "$t1")
echo "    fwc load (artifact, atomic reload) took $RELOAD_MS ms"
wait "$sender" || true
echo "    sender: $(cat "$TMP/sender")"
read -r _ sent _ got _ _ _ run _ _ <"$TMP/sender"
expect_eq "datagrams sent" $N "$sent"
expect_eq "replies received (none lost across the swap)" $N "$got"
expect_eq "longest run of lost datagrams" 0 "$run"
expect_eq "the same link (bpf_link_update)" "$link_a" "$(status_field cli link_id)"
check "another program ($prog_a -> $(status_field cli prog_id))" \
	[ "$prog_a" != "$(status_field cli prog_id)" ]
read -r p0 b0 <<<"$echo_before"
expect_eq "g-echo carried over by label, plus the exchange" \
	"$((p0 + 2 * N)) $((b0 + 2 * N * FRAME))" "$(counter_of cli g-echo)"
expect_eq "g-https carried over" "$https_before" "$(counter_of cli g-https)"
expect_eq "udp cli -> srv:7002 x3 now allowed (g-7002-open), replies" 3 \
	"$(udp_try cli $CLI4 $SRV4:7002 3)"
expect_eq "g-7002-open counted them and the replies" 6 "$(pk g-7002-open)"
expect_eq "g-no-7002 is gone" none "$(counter_of cli g-no-7002)"
expect_eq "fwc stats g-7002-open" "$(counter_of cli g-7002-open)" \
	"$(stats_packets g-7002-open)"
expect_eq "tcp cli -> srv:443 still (g-https)" connected "$(tcp_try cli $CLI4 $SRV4:443)"
read -r p0 _ <<<"$https_before"
expect_eq "g-https: 4 more" $((p0 + 4)) "$(pk g-https)"

t0=$(date +%s%N)
fwc_gw load "$A" cli srv "${BUDGET[@]}" >/dev/null
t1=$(date +%s%N)
RELOAD2_MS=$(ms "$t0" "$t1")
echo "    fwc load (policy source again, atomic reload) took $RELOAD2_MS ms"
expect_eq "back to A: udp 7002 denied again (g-no-7002)" 0 \
	"$(udp_try cli $CLI4 $SRV4:7002 2)"
expect_eq "g-no-7002 starts from 0 again (its rule was gone in B)" 2 "$(pk g-no-7002)"
echo "  info load ${LOAD_MS} ms, reload (artifact) ${RELOAD_MS} ms, reload (source) ${RELOAD2_MS} ms"

e2e_done
