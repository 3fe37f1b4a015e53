#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# MS-RPC pinholes for real (issue 12): a Samba AD DC behind the gateway,
# fwc enforcing on both legs, real clients (impacket's, rpc_client.py,
# and Samba's rpcclient) asking its endpoint mapper for a port and
# calling on it. The lab is rpclab.sh's: client A 192.0.2.10 and client
# B 192.0.2.20 in one namespace, the DC 198.51.100.10 in another.
#
# The attack is real first: with TCP 135 only, the EPM answers and the
# port it hands out is closed; with the dynamic range open, it works.
# Then `allow clientA -> dc rpc { samr, netlogon }`, and B allowed the
# EPM only, by a plain rule (so B knows the port, and a plain 135 rule
# opens no pinhole):
#  1. impacket from A reaches samr and netlogon on the EPM's ports;
#  2. rpcclient from A too (enumdomains, the port from the EPM);
#  3. drsuapi, not listed: the EPM answers its port, the connect fails;
#  4. B cannot connect to samr's port while A's pinhole lives;
#  5. after the pinhole's timeout, A's direct connect to that port fails;
#  6. an integrity-authenticated EPM call (NTLM) opens it again, and an
#     answer over several segments (MSS 64) opens netlogon's;
#  7. `fwc stats --json` and `fwc pinholes` show it all.
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"
# shellcheck source=tests/e2e/rpclab.sh
. "$E2E_DIR/rpclab.sh"

RPC_T0=$(date +%s.%N)
RPC_STATE=$TMP/rpc
PINHOLE_TIMEOUT=5
mkdir -p "$RPC_STATE"
# The DC first (its state is under $TMP), then common.sh's cleanup.
rpc_cleanup() {
	local rc=$?
	set +e
	rpclab_dc_stop
	(exit $rc)
	e2e_cleanup
}
trap rpc_cleanup EXIT

# What the environment lacks fails the test, loudly: a skipped proof of a
# security claim is no proof.
rpclab_deps || exit 1

zones() {
	cat <<EOF
zone clienta = $RPC_A
zone clientb = $RPC_B
zone dc      = $RPC_DC
EOF
}
{
	zones
	echo 'allow clienta -> dc proto tcp port 135 label "epm-only"'
} >"$TMP/epm.pol"
{
	zones
	echo 'allow clienta -> dc proto tcp port { 135, 49152-65535 } label "range"'
} >"$TMP/range.pol"
{
	echo "set timeout rpc-pinhole $PINHOLE_TIMEOUT"
	zones
	echo 'allow clienta -> dc rpc { samr, netlogon } label "ad-rpc"'
	echo 'allow clientb -> dc proto tcp port 135      label "b-epm"'
} >"$TMP/rpc.pol"

# --- helpers --------------------------------------------------------------

# client OUT IFACE [ARGS...]: rpc_client.py, its output in OUT (and shown).
client() {
	local out=$1
	shift
	rpc_client "$@" --timeout 1.5 >"$out" 2>&1 || true
	sed 's/^/    | /' "$out"
}
last() { tail -1 "$1"; }
port_in() { sed -n 's/^PORT \([0-9]*\)$/\1/p' "$1" | head -1; }
# "OK", or the stage that failed (epm, connect, call).
outcome() {
	case $(last "$1") in
	OK*) echo OK ;;
	FAIL*) last "$1" | cut -d' ' -f2 ;;
	*) echo none ;;
	esac
}

# Packets of reserved counter NAME in `fwc stats --json` ("" if none).
rsv() {
	fwc_gw stats --json | sed 's/},{/}\n{/g' | grep "\"name\":\"$1\"" |
		sed -n 's/.*"packets":\([0-9]*\).*/\1/p' | head -1
}
rule_pkts() { stats_packets "$1" | cut -d' ' -f1; }

# The live pinholes of `fwc pinholes --json` from CLIENT to SERVER:PORT
# for INTERFACE by rule ad-rpc, one JSON object a line.
pinhole_of() {
	fwc_gw pinholes --json | sed 's/},{/}\n{/g' |
		grep -F "\"client\":\"$1\",\"server\":\"$2\",\"port\":$3," |
		grep -F "\"interface\":\"$4\"" | grep -F '"label":"ad-rpc"' |
		awk 'match($0, /"expires_in":-?[0-9.]+/) &&
			substr($0, RSTART + 13, RLENGTH - 13) + 0 > 0' || true
}
# Reserved counter NAME moved by how much since rsv_mark.
declare -A RSV0
rsv_mark() {
	local n
	for n in rpc-opened rpc-used rpc-expired rpc-refused rpc-unlisted \
		rpc-unparsed; do
		RSV0[$n]=$(rsv "$n")
	done
}
rsv_moved() {
	local now
	now=$(rsv "$1")
	if [ -n "$now" ] && [ -n "${RSV0[$1]}" ]; then
		echo $((now - RSV0[$1]))
	else
		echo "none"
	fi
}

rpcclient_try() { # OUT BINDING COMMAND
	rpcclient_run "$2" "$3" >"$1" 2>&1 || true
	sed 's/^/    | /' "$1"
}

# --- the lab ---------------------------------------------------------------

rpclab_say "lab: namespaces ${LAB_PREFIX}{cli,gw,srv}, samba-tool domain provision"
rpclab_net
rpclab_provision
rpclab_dc_start
rpclab_dc_ready samr netlogon drsuapi
rpclab_rpcclient_conf
rpclab_say "the DC is up; its endpoints, no firewall loaded yet:"
for i in samr netlogon drsuapi; do
	client "$TMP/$i.0" "$i" --map-only
done
SAMR=$(port_in "$TMP/samr.0") NETLOGON=$(port_in "$TMP/netlogon.0")
DRS=$(port_in "$TMP/drsuapi.0")
echo "    samr $SAMR, netlogon $NETLOGON, drsuapi $DRS"
# Samba serves drsuapi on a port of its own: were it samr's or netlogon's,
# their pinholes would admit it (a pinhole bounds a port, not what is
# spoken on it) and check 3 would prove nothing.
three_ports() {
	[ -n "$SAMR" ] && [ -n "$NETLOGON" ] && [ -n "$DRS" ] &&
		[ "$DRS" != "$SAMR" ] && [ "$DRS" != "$NETLOGON" ]
}
check "three ports, drsuapi's shared with neither samr nor netlogon" \
	three_ports

# --- the control: the attack is real ---------------------------------------

rpclab_say "control: fwc load epm.pol cli srv (tcp 135 only, no rpc)"
fwc_gw load "$TMP/epm.pol" cli srv >/dev/null
client "$TMP/c1" samr
expect_eq "epm-only: the EPM answers samr's port" "$SAMR" "$(port_in "$TMP/c1")"
expect_eq "epm-only: the connect to it fails" connect "$(outcome "$TMP/c1")"
expect_eq "epm-only: no rpc rule, no pinhole opened" 0 "$(rsv rpc-opened)"

rpclab_say "control: fwc load range.pol cli srv (135 and 49152-65535)"
fwc_gw load "$TMP/range.pol" cli srv >/dev/null
client "$TMP/c2" samr
expect_eq "range: samr works through the gateway" OK "$(outcome "$TMP/c2")"
client "$TMP/c3" drsuapi
expect_eq "range: drsuapi works (its call is sound)" OK "$(outcome "$TMP/c3")"
rpcclient_try "$TMP/c4" "ncacn_ip_tcp:$RPC_DC" enumdomains
check "range: rpcclient enumdomains" grep -q "name:\[$RPC_DOMAIN\]" "$TMP/c4"

# --- rpc { samr, netlogon } ------------------------------------------------

rpclab_say "fwc load rpc.pol cli srv --flush-flows (rpc-pinhole $PINHOLE_TIMEOUT s)"
sed 's/^/    /' "$TMP/rpc.pol"
if ! "$FWC" check "$TMP/rpc.pol" >"$TMP/check.out" 2>&1; then
	cat "$TMP/check.out"
	fail "fwc check rpc.pol: the rpc language is missing"
	e2e_done
	exit 1
fi
fwc_gw load "$TMP/rpc.pol" cli srv --flush-flows >/dev/null
rsv_mark
check "fwc stats --json has rpc-opened, rpc-used, rpc-expired" \
	test -n "${RSV0[rpc-opened]}" -a -n "${RSV0[rpc-used]}" \
	-a -n "${RSV0[rpc-expired]}"
# ept_maps of a listed interface from A, each opens (or renews) a pinhole.
maps=0

echo "1. impacket from A: samr and netlogon on the ports the EPM hands out"
client "$TMP/r1" samr
maps=$((maps + 1))
expect_eq "samr: the EPM's port" "$SAMR" "$(port_in "$TMP/r1")"
expect_eq "samr: SamrEnumerateDomainsInSamServer through the pinhole" OK \
	"$(outcome "$TMP/r1")"
client "$TMP/r2" netlogon
maps=$((maps + 1))
expect_eq "netlogon: the EPM's port" "$NETLOGON" "$(port_in "$TMP/r2")"
expect_eq "netlogon: DsrGetDcNameEx2 through the pinhole" OK \
	"$(outcome "$TMP/r2")"
echo "    fwc pinholes:"
fwc_gw pinholes | sed 's/^/    | /'
check "fwc pinholes lists A -> dc:$SAMR samr, rule ad-rpc" \
	[ -n "$(pinhole_of "$RPC_A" "$RPC_DC" "$SAMR" samr)" ]
check "fwc pinholes lists A -> dc:$NETLOGON netlogon, rule ad-rpc" \
	[ -n "$(pinhole_of "$RPC_A" "$RPC_DC" "$NETLOGON" netlogon)" ]
# A reload keeps the pinholes of a rule that survives (kernel/flows.c).
fwc_gw load "$TMP/rpc.pol" cli srv >/dev/null
check "after a reload, fwc pinholes still lists A -> dc:$SAMR samr" \
	[ -n "$(pinhole_of "$RPC_A" "$RPC_DC" "$SAMR" samr)" ]
# One more connection through the same pinhole, after the reload, no EPM
# traffic: its SYN, SYN-ACK, ACK and RST are the rule's, on both legs.
pk=$(rule_pkts ad-rpc) used=$(rsv rpc-used)
expect_eq "a plain connect from A to dc:$SAMR while it lives" connected \
	"$(tcp_try cli "$RPC_A" "$RPC_DC:$SAMR")"
expect_eq "its 4 packets counted against rule ad-rpc" 4 \
	"$(($(rule_pkts ad-rpc) - ${pk:-0}))"
expect_eq "and its SYN as rpc-used" 1 "$(($(rsv rpc-used) - ${used:-0}))"
pk=$(rule_pkts ad-rpc)

echo "2. rpcclient from A: enumdomains, the port from the EPM"
rpcclient_try "$TMP/r3" "ncacn_ip_tcp:$RPC_DC" enumdomains
maps=$((maps + 1))
check "rpcclient enumdomains through the pinhole" \
	grep -q "name:\[$RPC_DOMAIN\]" "$TMP/r3"

echo "3. drsuapi is not listed: the EPM answers, the port stays closed"
client "$TMP/r4" drsuapi
expect_eq "drsuapi: the EPM answers its port" "$DRS" "$(port_in "$TMP/r4")"
expect_eq "drsuapi: the connect fails" connect "$(outcome "$TMP/r4")"
check "no pinhole to dc:$DRS" \
	[ -z "$(fwc_gw pinholes --json | grep -F "\"port\":$DRS,")" ]
expect_eq "rpc-unlisted counted its answer" 1 "$(rsv_moved rpc-unlisted)"

echo "4. client B cannot use A's pinhole"
client "$TMP/r5" samr --map-only
maps=$((maps + 1))
expect_eq "B, directly to dc:$SAMR while A's pinhole lives" timeout \
	"$(tcp_try cli "$RPC_B" "$RPC_DC:$SAMR")"
check "A's pinhole was alive meanwhile" \
	[ -n "$(pinhole_of "$RPC_A" "$RPC_DC" "$SAMR" samr)" ]
client "$TMP/r6" samr --source "$RPC_B"
expect_eq "B asks the EPM itself (rule b-epm): samr's port" "$SAMR" \
	"$(port_in "$TMP/r6")"
expect_eq "B's connect fails (a plain 135 rule opens no pinhole)" connect \
	"$(outcome "$TMP/r6")"
check "no pinhole for B" \
	[ -z "$(fwc_gw pinholes --json | grep -F "\"client\":\"$RPC_B\"")" ]

echo "5. the pinhole closes after $PINHOLE_TIMEOUT s"
sleep $((PINHOLE_TIMEOUT + 2))
expect_eq "A, directly to dc:$SAMR, no new ept_map" timeout \
	"$(tcp_try cli "$RPC_A" "$RPC_DC:$SAMR")"
client "$TMP/r7" samr --port "$SAMR"
expect_eq "A's samr call on dc:$SAMR without ept_map fails" connect \
	"$(outcome "$TMP/r7")"
check "fwc pinholes lists it no more (or expired)" \
	[ -z "$(pinhole_of "$RPC_A" "$RPC_DC" "$SAMR" samr)" ]
expired=$(rsv_moved rpc-expired)
check "rpc-expired counted the SYNs that came late ($expired)" \
	[ "$expired" -ge 1 ]

echo "6. an integrity-authenticated EPM call (NTLM) opens it again"
client "$TMP/r8" samr --epm-auth
maps=$((maps + 1))
expect_eq "samr via an authenticated ept_map: the EPM's port" "$SAMR" \
	"$(port_in "$TMP/r8")"
expect_eq "samr via an authenticated ept_map" OK "$(outcome "$TMP/r8")"
check "fwc pinholes lists it again" \
	[ -n "$(pinhole_of "$RPC_A" "$RPC_DC" "$SAMR" samr)" ]

echo "6b. a small MSS: netlogon's answer comes in several segments"
# netlogon's pinhole of check 1 has expired (check 5 waited): only this
# answer, gathered from its segments, can open it again.
check "netlogon's pinhole is gone" \
	[ -z "$(pinhole_of "$RPC_A" "$RPC_DC" "$NETLOGON" netlogon)" ]
lab_in cli ip route change "$RPC_SRV_NET" via "$RPC_GW_CLI" src "$RPC_A" \
	advmss 64
client "$TMP/r9" netlogon
maps=$((maps + 1))
lab_in cli ip route change "$RPC_SRV_NET" via "$RPC_GW_CLI" src "$RPC_A"
expect_eq "netlogon at MSS 64: the EPM's port" "$NETLOGON" \
	"$(port_in "$TMP/r9")"
expect_eq "netlogon at MSS 64" OK "$(outcome "$TMP/r9")"
check "fwc pinholes lists netlogon again" \
	[ -n "$(pinhole_of "$RPC_A" "$RPC_DC" "$NETLOGON" netlogon)" ]

echo "7. the counters"
fwc_gw stats | grep -E "ad-rpc|b-epm|default|rpc-" | sed 's/^/    | /'
expect_eq "rpc-opened: one per ept_map of samr or netlogon from A" "$maps" \
	"$(rsv_moved rpc-opened)"
# impacket's samr, netlogon and authenticated samr, the plain connect,
# rpcclient's samr, netlogon at MSS 64: one SYN each (a retransmitted one
# finds its flow).
expect_eq "rpc-used: the 6 connections through pinholes" 6 \
	"$(rsv_moved rpc-used)"
expect_eq "rpc-unparsed: every answer parsed (plain and integrity)" 0 \
	"$(rsv_moved rpc-unparsed)"
expect_eq "rpc-refused: no port out of bounds" 0 "$(rsv_moved rpc-refused)"
pk2=$(rule_pkts ad-rpc)
check "rule ad-rpc kept counting (${pk:-0} -> ${pk2:-0})" \
	[ "${pk2:-0}" -gt "${pk:-0}" ]
check "rule b-epm counted B's EPM connection ($(rule_pkts b-epm))" \
	[ "$(rule_pkts b-epm)" -gt 0 ]

rpclab_say "done"
e2e_done
