#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Source routing through the gateway (hardening issue, item 2): with
# accept_source_route on, a SYN addressed to the gateway (which the policy
# admits) carrying a loose source route to the db host (which it denies)
# is forwarded to db by the gateway's own stack, as a port scanner's
# loose-source-route option makes it (fwc-probe --via sends it itself,
# with IP_OPTIONS; no scanner is needed). fwc drops it at the leg,
# counted source-route; with
# `set source-route pass` it meets the rules, and the same SYN reaches db
# (the control: the attack is real on this lab). db counts what arrives
# with an nftables counter of its own.
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"

CLI4=203.0.113.7 DB4=198.51.100.10

policy() { # policy FILE [OPTION LINE]
	cat >"$1" <<-EOF
		$2
		zone client = $CLI4
		zone gateway = $LAB_GW_IP4
		zone db = $DB4
		allow client -> gateway proto tcp port 5432 label "gw-pg"
	EOF
}

# SYNs from cli that reached db (prerouting: db's own stack drops a
# source-routed packet before input, as it does not accept them).
db_syns() {
	lab_in db nft -j list counter inet fwct syns |
		sed -n 's/.*"packets": *\([0-9]*\).*/\1/p'
}

# Packets of the reserved counter NAME, as fwc stats --json reports it.
reserved() {
	fwc_gw stats --json cli | tr '{' '\n' |
		sed -n "s/.*\"name\": *\"$1\".*\"packets\": *\([0-9]*\).*/\1/p" |
		head -1
}

echo "lab: ${LAB_PREFIX}{gw,cli,db}, pins under $FWC_BPFFS"
lab_gateway
lab_host cli $CLI4
lab_host db $DB4
lab_sysctl gw net.ipv4.conf.all.accept_source_route=1
lab_sysctl gw net.ipv4.conf.cli.accept_source_route=1
lab_in db nft -f - <<EOF
table inet fwct {
	counter syns { }
	chain in {
		type filter hook prerouting priority 0;
		ip saddr $CLI4 tcp dport 5432 tcp flags syn counter name syns
	}
}
EOF
lab_settle

policy "$TMP/drop.pol" ""
policy "$TMP/pass.pol" "set source-route pass"

echo "default: source-routed packets are dropped"
fwc_gw load "$TMP/drop.pol" cli db
expect_eq "SYN via the gateway's LSRR to db" timeout \
	"$(lab_in cli "$PROBE" tcp --timeout 300 --via $LAB_GW_IP4 $DB4:5432 || true)"
expect_eq "no SYN reached db" 0 "$(db_syns)"
check "counted source-route" test "$(reserved source-route)" -ge 1
expect_eq "nothing counted against gw-pg" 0 "$(stats_packets gw-pg | cut -d" " -f1)"

echo "set source-route pass: the same SYN meets the rules, and gets through"
fwc_gw load "$TMP/pass.pol" cli db
sr=$(reserved source-route) # carried over from the first load
lab_in cli "$PROBE" tcp --timeout 300 --via $LAB_GW_IP4 $DB4:5432 >/dev/null || true
check "the gateway forwarded it to db" test "$(db_syns)" -ge 1
check "admitted by gw-pg" test "$(stats_packets gw-pg | cut -d" " -f1)" -ge 1
expect_eq "source-route not counted" "$sr" "$(reserved source-route)"

e2e_done
