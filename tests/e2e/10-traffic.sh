#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# End to end on veth: a gateway namespace between three hosts (cli, web,
# db) enforces tests/e2e/lab-a.pol on the ingress legs. Allowed TCP
# connections succeed and denied ones fail, UDP likewise; the counters read
# back with `bpftool -j map dump pinned` equal what was sent, packet for
# packet (a TCP probe's connection is SYN, SYN-ACK, ACK, RST, the reply
# counted against the rule that admitted the flow; UDP datagrams and their
# echoes are counted with their frame size), and `fwc stats --json` and
# `fwc status` agree with the pins.
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"

POL=$E2E_DIR/lab-a.pol
CLI4=203.0.113.7 CLI6=2001:db8:ffff::7
WEB4=192.0.2.10 WEB6=2001:db8:d::10
DB4=198.51.100.10

echo "lab: ${LAB_PREFIX}{gw,cli,web,db}, pins under $FWC_BPFFS"
lab_gateway
lab_host cli $CLI4 $CLI6
lab_host web $WEB4 $WEB6
lab_host db $DB4
lab_serve web 120 tcp:$WEB4:443 "tcp:[$WEB6]:443" tcp:$WEB4:8080 \
	udp:$WEB4:7001 "udp:[$WEB6]:7001"
lab_serve db 120 tcp:$DB4:5432 udp:$DB4:7002
lab_settle

echo "before load: everything passes (no firewall yet)"
expect_eq "tcp cli -> web:8080" connected "$(tcp_try cli $CLI4 $WEB4:8080)"

fwc_gw load "$POL" cli web db
expect_eq "load exit status" 0 $?

echo "verdicts"
expect_eq "tcp cli -> web:443 (https)" connected "$(tcp_try cli $CLI4 $WEB4:443)"
expect_eq "tcp cli -> web:443 again" connected "$(tcp_try cli $CLI4 $WEB4:443)"
expect_eq "tcp [cli] -> [web]:443 over IPv6" connected \
	"$(tcp_try cli "[$CLI6]" "[$WEB6]:443")"
expect_eq "tcp cli -> web:8080 (no-8080)" timeout "$(tcp_try cli $CLI4 $WEB4:8080)"
expect_eq "tcp cli -> db:5432 (default deny)" timeout "$(tcp_try cli $CLI4 $DB4:5432)"
expect_eq "tcp web:50001 -> db:5432 (db)" connected \
	"$(tcp_try web $WEB4:50001 $DB4:5432)"
expect_eq "tcp web:40000 -> db:5432 (client port outside 50000-59999)" \
	timeout "$(tcp_try web $WEB4:40000 $DB4:5432)"
expect_eq "udp cli -> web:7001 x20 (echo), replies" 20 \
	"$(udp_try cli $CLI4 $WEB4:7001 20 100)"
expect_eq "udp [cli] -> [web]:7001 x10 (echo), replies" 10 \
	"$(udp_try cli "[$CLI6]" "[$WEB6]:7001" 10 100)"
expect_eq "udp cli -> db:7002 x5 (no-db-echo), replies" 0 \
	"$(udp_try cli $CLI4 $DB4:7002 5)"
expect_eq "udp web -> db:7002 x5 (db-echo), replies" 5 \
	"$(udp_try web $WEB4 $DB4:7002 5)"

echo "counters, with bpftool alone (labels map -> id -> counters map)"
# Frames as XDP sees them: Ethernet 14 + IPv4 20 / IPv6 40 + UDP 8 + data.
expect_eq "https: 3 connections x (SYN, SYN-ACK, ACK, RST)" 12 \
	"$(counter_of cli https | cut -d' ' -f1)"
expect_eq "no-8080: one SYN (probe gives up before the 1 s retransmit)" 1 \
	"$(counter_of cli no-8080 | cut -d' ' -f1)"
expect_eq "db: one connection" 4 "$(counter_of cli db | cut -d' ' -f1)"
expect_eq "echo: packets bytes, requests and replies" \
	"60 $((2 * (20 * (14 + 20 + 8 + 100) + 10 * (14 + 40 + 8 + 100))))" \
	"$(counter_of cli echo)"
expect_eq "no-db-echo: packets bytes" "5 $((5 * (14 + 20 + 8 + 32)))" \
	"$(counter_of cli no-db-echo)"
expect_eq "db-echo: packets bytes, requests and replies" \
	"10 $((10 * (14 + 20 + 8 + 32)))" \
	"$(counter_of cli db-echo)"
dflt=$(counter cli 0 | cut -d' ' -f1)
# IPv6 multicast listener reports from the hosts may add to rule 0.
check "default deny counted the 2 denied SYNs (got $dflt)" [ "$dflt" -ge 2 ]
expect_eq "legs share one counter map: web's pin reads the same" \
	"$(counter_of cli echo)" "$(counter_of web echo)"

echo "fwc stats --json and fwc status agree with the pins"
for l in https no-8080 db echo no-db-echo db-echo; do
	expect_eq "stats $l" "$(counter_of cli $l)" "$(stats_packets $l)"
done
expect_eq "status policy" "$POL" "$(status_field cli policy)"
expect_eq "status sha256 = sha256sum of the policy" \
	"$(sha256sum "$POL" | cut -d' ' -f1)" "$(status_field cli sha256)"
expect_eq "status rules" 7 "$(status_field cli rules)"
expect_eq "status state" attached "$(status_field cli state)"
expect_eq "status mode" native "$(status_field cli mode)"
xdp_id=$(lab_in gw bpftool -j net show dev cli | grep -o '"id":[0-9]*' |
	head -1 | cut -d: -f2)
expect_eq "status prog id = what the kernel runs on cli" "$xdp_id" \
	"$(status_field cli prog_id)"
fwc_gw stats cli | sed 's/^/    /'

e2e_done
