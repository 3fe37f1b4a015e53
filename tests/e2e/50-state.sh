#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Connection tracking end to end: a gateway between dmz, dc and dns hosts,
# every leg enforcing, and policies with no rule for any reply. A TCP
# connection dmz -> dc:389 works, the reverse attempt does not; a DNS
# query gets its answer; an ICMP port unreachable from dc comes back to
# dmz as related (and does not without state); a long TCP transfer lives
# through reloads that renumber its rule, and its packets stay counted
# against that rule by label; `fwc flows` shows the flow; a reload that
# removes the rule keeps the flow (orphan-flow) unless --flush-flows;
# `fwc flows --flush` forgets it (and `set state loose` picks it up again);
# --max-flows sizes a new table.
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"

DMZ4=192.0.2.10 DMZ6=2001:db8:d::10 DC4=198.51.100.20 DNS4=198.51.100.53

zones() {
	cat <<EOF
zone dmz = { $DMZ4, $DMZ6 }
zone dc  = $DC4
zone dns = $DNS4
EOF
}
A=$TMP/state-a.pol B=$TMP/state-b.pol C=$TMP/state-c.pol
{
	zones
	echo 'allow dmz -> dc proto tcp port 389 label "ldap"'
	echo 'allow dmz -> dns proto udp port 53 label "dns"'
	echo 'allow dmz -> dc proto udp port 9999 label "closed"'
} >"$A"
# B: the same rules, renumbered (ldap is rule 3 here).
{
	zones
	echo 'allow dmz -> dns proto udp port 53 label "dns"'
	echo 'allow dmz -> dc proto udp port 9999 label "closed"'
	echo 'allow dmz -> dc proto tcp port 389 label "ldap"'
} >"$B"
# C: ldap is gone, its port denied.
{
	zones
	echo 'allow dmz -> dns proto udp port 53 label "dns"'
	echo 'deny dmz -> dc proto tcp port 389 label "no-ldap"'
} >"$C"

lab_gateway
lab_host dmz $DMZ4 $DMZ6
lab_host dc $DC4
lab_host dns $DNS4
lab_serve dc 300 tcp:$DC4:389
lab_serve dmz 300 tcp:$DMZ4:389
lab_serve dns 300 udp:$DNS4:53
lab_settle

pkts() { counter_of dmz "$1" | cut -d' ' -f1; }
rsv_pkts() { counter dmz "$(label_id dmz "$1")" | cut -d' ' -f1; }
flows_json() { fwc_gw flows --json "$@"; }
# stream SECONDS OUT: a TCP transfer dmz -> dc:389 in the background.
stream() {
	lab_in dmz "$PROBE" stream --from $DMZ4 --count $(($1 * 100)) \
		--interval 10 --size 4096 --timeout 2000 $DC4:389 >"$2" 2>&1 &
	STREAM=$!
	LAB_PIDS+=("$STREAM")
	# Until the flow is established.
	for _ in $(seq 50); do
		flows_json | grep -q '"dport":389,"state":"established"' && return
		sleep 0.1
	done
}

fwc_gw load "$A" dmz dc dns >/dev/null

echo "TCP: one way only, replies need no rule"
expect_eq "tcp dmz -> dc:389" connected "$(tcp_try dmz $DMZ4 $DC4:389)"
expect_eq "ldap counted SYN, SYN-ACK, ACK, RST" 4 "$(pkts ldap)"
expect_eq "tcp dc -> dmz:389, the reverse: no rule, no flow" timeout \
	"$(tcp_try dc $DC4 $DMZ4:389)"
expect_eq "its SYN went to default deny, not to ldap" 4 "$(pkts ldap)"

echo "UDP: a DNS query gets its answer"
expect_eq "udp dmz -> dns:53, answers" 1 "$(udp_try dmz $DMZ4:50053 $DNS4:53 1)"
expect_eq "dns counted the query and the answer" 2 "$(pkts dns)"
expect_eq "udp dns:53 -> dmz, not asked for" 0 \
	"$(udp_try dns $DNS4:53 $DMZ4:50054 1)"

echo "related ICMP: port unreachable from dc passes back to dmz"
out=$(lab_in dmz "$PROBE" udp --from $DMZ4 --timeout 300 --count 3 $DC4:9999 || true)
echo "    $out"
refused=$(echo "$out" | sed -n 's/.* refused \([0-9]*\).*/\1/p')
check "the sender saw the ICMP errors (refused ${refused:-0})" [ "${refused:-0}" -ge 1 ]
closed=$(pkts closed)
check "closed counted 3 datagrams and the errors ($closed)" \
	[ "$closed" -eq $((3 + ${refused:-0})) ]
echo "    the same without state: default deny drops the errors"
{ echo "set state off"; cat "$A"; } >"$TMP/off.pol"
fwc_gw load "$TMP/off.pol" dmz dc dns >/dev/null
out=$(lab_in dmz "$PROBE" udp --from $DMZ4 --timeout 300 --count 3 $DC4:9999 || true)
expect_eq "state off: no error reaches the sender" "" \
	"$(echo "$out" | sed -n 's/.* refused \([0-9]*\).*/\1/p')"
expect_eq "state off: tcp dmz -> dc:389 (its SYN-ACK is denied)" timeout \
	"$(tcp_try dmz $DMZ4 $DC4:389)"
fwc_gw load "$A" dmz dc dns >/dev/null

echo "a long transfer across reloads that renumber its rule"
before=$(pkts ldap)
stream 3 "$TMP/s1"
flows_json >"$TMP/flows1"
check "fwc flows --json shows it, established, rule ldap" \
	grep -q '"proto":"tcp","src":"'$DMZ4'","dst":"'$DC4'","sport":[0-9]*,"dport":389,"state":"established","age":[0-9.]*,"idle":[0-9.]*,"rule":1,"label":"ldap"' "$TMP/flows1"
fwc_gw flows dmz | sed 's/^/    /'
check "fwc flows text names the state and the rule" \
	bash -c "nsenter --net=/run/netns/$(lab_ns gw) $FWC flows dc | grep -q 'established.* 1 ldap'"
fwc_gw load "$B" dmz dc dns >"$TMP/load1"
sed 's/^/    /' "$TMP/load1"
check "the reload kept the flow" grep -q "flows kept" "$TMP/load1"
sleep 0.5
check "after the reload its rule is ldap, now id 3" \
	bash -c "nsenter --net=/run/netns/$(lab_ns gw) $FWC flows --json | grep -q '\"dport\":389,\"state\":\"established\".*\"rule\":3,\"label\":\"ldap\"'"
fwc_gw load "$A" dmz dc dns >/dev/null
wait "$STREAM" || true
echo "    $(cat "$TMP/s1")"
check "the transfer completed (server read it all and closed)" \
	grep -q '^streamed 1228800 bytes' "$TMP/s1"
moved=$(($(pkts ldap) - before))
check "ldap counted its packets, both ways, across 2 reloads ($moved)" \
	[ "$moved" -gt 300 ]
expect_eq "orphan-flow counted nothing" 0 "$(rsv_pkts orphan-flow)"

echo "a reload that removes the rule: the flow stays (orphan-flow)"
stream 2 "$TMP/s2"
fwc_gw load "$C" dmz dc dns >"$TMP/load2"
sed 's/^/    /' "$TMP/load2"
check "the load says it kept orphans" grep -q "[1-9][0-9]* of removed rules" "$TMP/load2"
check "fwc flows shows the orphan" \
	bash -c "nsenter --net=/run/netns/$(lab_ns gw) $FWC flows dmz | grep -q 'established.* - orphan-flow'"
wait "$STREAM" || true
echo "    $(cat "$TMP/s2")"
check "the transfer completed" grep -q '^streamed' "$TMP/s2"
orphans=$(rsv_pkts orphan-flow)
check "orphan-flow counted its packets ($orphans)" [ "$orphans" -gt 50 ]
expect_eq "a new connection is denied (no-ldap)" timeout \
	"$(tcp_try dmz $DMZ4 $DC4:389)"

echo "--flush-flows: a reload drops the flows the new policy denies"
fwc_gw load "$A" dmz dc dns >/dev/null
stream 3 "$TMP/s3"
fwc_gw load "$C" dmz dc dns --flush-flows >"$TMP/load3"
sed 's/^/    /' "$TMP/load3"
check "the load flushed some" grep -q "[1-9][0-9]* the new policy denies flushed" "$TMP/load3"
wait "$STREAM" || true
echo "    $(cat "$TMP/s3")"
check "the transfer died" grep -q '^failed after' "$TMP/s3"

echo "fwc flows --flush: a forgotten flow's replies meet the rules"
fwc_gw load "$A" dmz dc dns >/dev/null
stream 3 "$TMP/s4"
fwc_gw flows --flush dmz | sed 's/^/    /'
wait "$STREAM" || true
echo "    $(cat "$TMP/s4")"
check "the transfer died (not loose: mid-stream is not picked up)" \
	grep -q '^failed after' "$TMP/s4"
expect_eq "the flow table of every leg is empty" 0 \
	"$(flows_json | grep -o '"dport":389' | wc -l)"
{ echo "set state loose"; cat "$A"; } >"$TMP/loose.pol"
fwc_gw load "$TMP/loose.pol" dmz dc dns >/dev/null
stream 3 "$TMP/s5"
fwc_gw flows --flush >/dev/null
wait "$STREAM" || true
echo "    loose: $(cat "$TMP/s5")"
check "set state loose: the flow is picked up again mid-stream" \
	grep -q '^streamed' "$TMP/s5"

echo "--max-flows sizes a new table; a reload keeps the table it has"
fwc_gw unload dmz dc dns >/dev/null
fwc_gw load "$A" dmz dc dns --max-flows 1024 >/dev/null
check "a table of 1024 entries" \
	bash -c "nsenter --net=/run/netns/$(lab_ns gw) $FWC flows dns | grep -q 'table of 1024 entries'"
fwc_gw load "$B" dmz dc dns --max-flows 4096 >/dev/null 2>"$TMP/warn"
check "the reload says so" grep -q "keeps its 1024 entries" "$TMP/warn"
check "and keeps it" \
	bash -c "nsenter --net=/run/netns/$(lab_ns gw) $FWC flows dns | grep -q 'table of 1024 entries'"

e2e_done
