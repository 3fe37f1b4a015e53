#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# --flush-flows acts from the new program's first packet. A sender floods
# UDP to web:7001 (one flow, as fast as it can); policy P allows it
# ("stream"), policy Q removes that rule and denies the port
# ("no-stream"). Each round loads P (the flow opens again), lets it run,
# then reloads Q with --flush-flows while the datagrams keep coming. A
# flushed flow must not pass the new program: not one datagram of it may
# be counted as orphan-flow (what a flow whose rule is gone passes as), and
# from the load on none may pass XDP at all (an nftables counter at the
# netdev ingress hook of the leg, the next hook after XDP, stops). Before
# the new program itself re-checked older flows, the loader's walk after
# the swap flushed them: until then the new program passed them.
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"

CLI4=203.0.113.7 WEB4=192.0.2.10
ROUNDS=${ROUNDS:-10}
P=$TMP/p.pol Q=$TMP/q.pol
zones() {
	echo "zone client = $CLI4"
	echo "zone web = $WEB4"
}
{
	zones
	echo 'allow client -> web proto udp port 7001 label "stream"'
	echo 'allow client -> web proto udp port 7002 label "other"'
} >"$P"
{
	zones
	echo 'deny client -> web proto udp port 7001 label "no-stream"'
	echo 'allow client -> web proto udp port 7002 label "other"'
} >"$Q"

lab_gateway
lab_host cli $CLI4
lab_host web $WEB4
lab_serve web 300 udp:$WEB4:7001 udp:$WEB4:7002
lab_settle
"$FWC" compile "$P" -o "$TMP/p.fwc" >/dev/null
"$FWC" compile "$Q" -o "$TMP/q.fwc" >/dev/null

xdp_passed_watch cli 7001
passed() { xdp_passed | cut -d' ' -f1; }
rsv() { counter cli "$(label_id cli "$1")" | cut -d' ' -f1; }

fwc_gw load "$TMP/p.fwc" cli >/dev/null
expect_eq "udp 7001 x3 (stream)" 3 "$(udp_try cli $CLI4:40001 $WEB4:7001 3)"

echo "a sender on one flow, no pause; $ROUNDS rounds of P, then Q --flush-flows"
sender() {
	for _ in $(seq 200); do
		[ -e "$TMP/stop" ] && break
		lab_in cli "$PROBE" udp --from $CLI4:40001 --count 100000 \
			--interval 0 --size 32 --timeout 100 $WEB4:7001 \
			>>"$TMP/sender" 2>&1 || true
	done
}
sender &
sender=$!
flushed=0 late=0
for _ in $(seq "$ROUNDS"); do
	fwc_gw load "$TMP/p.fwc" cli >/dev/null
	# Until the flow is tracked again and passing.
	for _ in $(seq 50); do
		fwc_gw flows --json cli | grep -q '"dport":7001' && break
		sleep 0.02
	done
	sleep 0.1
	fwc_gw load "$TMP/q.fwc" cli --flush-flows >"$TMP/load.out"
	n=$(sed -n 's/.*, \([0-9]*\) the new policy denies flushed.*/\1/p' "$TMP/load.out")
	flushed=$((flushed + ${n:-0}))
	a=$(passed)
	sleep 0.2
	b=$(passed)
	late=$((late + b - a))
done
touch "$TMP/stop"
wait "$sender" || true
echo "    loads: $ROUNDS flushed $flushed flows; $(tail -1 "$TMP/sender")"
no=$(counter_of cli no-stream | cut -d' ' -f1)
check "the new policy dropped the flow's datagrams ($no)" [ "$no" -gt 0 ]
expect_eq "passed by the new program as orphan-flow" 0 "$(rsv orphan-flow)"
expect_eq "passed XDP after the loads returned" 0 "$late"
expect_eq "rule other (udp 7002) still admits" 2 "$(udp_try cli $CLI4 $WEB4:7002 2)"

e2e_done
