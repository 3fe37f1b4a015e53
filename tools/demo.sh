#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# make demo: the passwordmgr gateway on a lab of network namespaces.
#
#   tools/demo.sh [--keep] [FWC]   build the lab, load the policy on the
#                                  gateway legs, drive a traffic matrix,
#                                  print what got through and the counters
#   tools/demo.sh --clean          remove a lab left by --keep or a kill
#
# One namespace per zone of policies/passwordmgr.pol (internet, dmz,
# backend, dc, dns, mail) with the addresses the policy names, routed
# through a gateway namespace that runs `fwc load` on one leg per zone.
# Requests and replies cross the same enforcing legs: the policy has no
# rule for any reply, connection tracking lets them through.
# Nothing touches the root namespace's interfaces; traffic flows only
# between addresses assigned inside these namespaces.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_PREFIX=fwcdemo-
BPFFS=/sys/fs/bpf/fwcdemo
# The lab's rollback copies stay out of a real gateway's /run/fwc.
export FWC_STATE_DIR=/run/fwcdemo
POLICY=${POLICY:-$ROOT/policies/passwordmgr.pol}
ZONES=(internet dmz backend dc dns mail)
KEEP=0
CLEAN=0
FWC=

for a in "$@"; do
	case $a in
	--clean) CLEAN=1 ;;
	--keep) KEEP=1 ;;
	-h | --help)
		sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) FWC=$a ;;
	esac
done

# shellcheck source=../tests/e2e/lab.sh
. "$ROOT/tests/e2e/lab.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespaces, XDP, bpffs)" >&2
	exit 1
fi

clean() {
	if [ -d "$BPFFS" ]; then
		if [ -x "$FWC" ] && [ -e "/run/netns/$(lab_ns gw)" ]; then
			lab_in gw "$FWC" unload --all --bpffs "$BPFFS" >/dev/null || true
		fi
		# Pins of a lab whose namespaces are gone: nothing attached.
		rm -rf "$BPFFS"
	fi
	rm -rf "$FWC_STATE_DIR"
	lab_cleanup
	lab_cleanup_prefix
}

FWC=$(realpath "${FWC:-$ROOT/build/fwc}")
if [ "$CLEAN" = 1 ]; then
	clean
	echo "demo: lab removed"
	exit 0
fi

PROBE=$(dirname "$FWC")/fwc-probe
for f in "$FWC" "$PROBE"; do
	[ -x "$f" ] || { echo "demo: $f missing: run make" >&2; exit 1; }
done

if [ "$KEEP" = 0 ]; then
	trap clean EXIT
	trap 'exit 130' INT TERM
fi
# A lab left by an earlier run would clash with this one.
clean

# Addresses of a zone, from its `zone NAME = ...` line in the policy.
zone_addrs() {
	sed -n "s/^[[:space:]]*zone[[:space:]][[:space:]]*$1[[:space:]]*=\(.*\)/\1/p" \
		"$POLICY" | sed 's/#.*//' | tr '{},' '   ' | tr -s ' ' '\n' |
		grep -E '^[0-9a-fA-F:.]+$' | grep -E '[.:]' || true
}

declare -A V4 V6
for z in "${ZONES[@]}"; do
	V4[$z]=$(zone_addrs "$z" | grep -v : | tr '\n' ' ' || true)
	V6[$z]=$(zone_addrs "$z" | grep : | tr '\n' ' ' || true)
done
# internet = any: the lab's internet host (as the policy's comment says).
[ -n "${V4[internet]// /}" ] || V4[internet]=203.0.113.7
[ -n "${V6[internet]// /}" ] || V6[internet]=2001:db8:ffff::7

# ZONE[#N] with family 4|6: the N-th address (default the first).
addr_of() {
	local z=${1%%#*} n=1 list
	[[ $1 == *#* ]] && n=${1##*#}
	if [ "$2" = 6 ]; then list=${V6[$z]}; else list=${V4[$z]}; fi
	echo "$list" | tr -s ' ' '\n' | sed '/^$/d' | sed -n "${n}p"
}

# The traffic matrix: FROM TO PROTO FAMILY SPORT DPORT WHY. Client ports
# from $rpc (49152-65535) where the policy checks them.
FLOWS=(
	"internet dmz tcp 4 40000 443 web"
	"internet dmz tcp 6 40001 443 web over IPv6"
	"internet dmz tcp 4 40002 8080 no rule for 8080"
	"internet dmz udp 4 40003 443 web is TCP only"
	"internet backend tcp 4 40004 135 the internet may not reach Backend"
	"backend dmz tcp 4 50000 135 be-epmap, client port in rpc"
	"backend dmz tcp 4 40005 135 client port below rpc"
	"dmz backend tcp 4 50001 135 dmz-netbios"
	"dmz backend udp 4 50002 137 dmz-netbios over UDP"
	"dmz dc tcp 4 50003 389 ad-auth (LDAP)"
	"dmz dc#2 udp 4 50004 88 ad-auth (Kerberos)"
	"dmz dc tcp 4 50005 3389 no rule for RDP"
	"dmz backend tcp 4 50006 49152 dcom"
	"backend dmz tcp 4 50007 49152 dcom is DMZ to Backend only"
	"dmz dns udp 4 50008 53 dns-client"
	"dmz dns udp 6 50009 53 dns-client over IPv6"
	"backend dc tcp 4 50012 135 lsass: the DCs' endpoint mapper (rpc rule)"
	"backend dc#2 tcp 4 50010 49153 lsass: no pinhole without an ept_map answer"
	"backend mail tcp 4 50011 25 be-smtp"
	"internet dns udp 4 40006 53 dns"
	"internet mail tcp 6 40007 25 smtp over IPv6"
	"internet dc udp 4 40008 389 LDAP from the internet"
	"dns mail tcp 4 40009 25 smtp: internet = any includes DNS"
)

ep() { if [ "$2" = 6 ]; then echo "[$1]:$3"; else echo "$1:$3"; fi; }

echo "== lab: gateway ${LAB_PREFIX}gw, one namespace per zone of $(basename "$POLICY")"
lab_gateway
for z in "${ZONES[@]}"; do
	# shellcheck disable=SC2086
	lab_host "$z" ${V4[$z]} ${V6[$z]}
	printf '   %-9s %s\n' "$z" "$(echo ${V4[$z]} ${V6[$z]})"
done

# Servers: every destination of the matrix, allowed or not, listens, so a
# blocked flow is the firewall's doing, not a closed port.
declare -A SERVE
for f in "${FLOWS[@]}"; do
	read -r from to proto fam sport dport why <<<"$f"
	dst=$(addr_of "$to" "$fam")
	z=${to%%#*}
	SERVE[$z]+=" $proto:$(ep "$dst" "$fam" "$dport")"
done
for z in "${!SERVE[@]}"; do
	# shellcheck disable=SC2086
	lab_serve "$z" 300 ${SERVE[$z]}
done
lab_settle

LEGS=("${ZONES[@]}")
echo
echo "== fwc load $(basename "$POLICY") ${LEGS[*]}   (in ${LAB_PREFIX}gw, pins under $BPFFS)"
lab_in gw "$FWC" load "$POLICY" "${LEGS[@]}" --bpffs "$BPFFS"
echo
echo "   Enforcing: fwc's XDP program on the gateway legs ${LEGS[*]}:"
echo "   every packet a zone sends, request or reply, enters the gateway there."
echo "   The policy has no rule for replies: a flow an allow rule admits is"
echo "   tracked (set state on), and its replies pass, counted against that rule."

echo
echo "== traffic matrix (expected: fwc test on the same policy; actual: the kernel)"
printf '%-3s %-20s %-58s %-16s %-12s %-9s %s\n' "" "zones" "packet" "expected" "actual" "" "why"
n=0
bad=0
for f in "${FLOWS[@]}"; do
	read -r from to proto fam sport dport why <<<"$f"
	n=$((n + 1))
	src=$(addr_of "$from" "$fam")
	dst=$(addr_of "$to" "$fam")
	pkt="$proto $(ep "$src" "$fam" "$sport") -> $(ep "$dst" "$fam" "$dport")"
	verdict=$("$FWC" test "$POLICY" "$pkt" | head -1 || true)
	read -r exp _ rule _ <<<"$verdict"
	if [ "$proto" = tcp ]; then
		out=$(lab_in "$from" "$PROBE" tcp --from "$(ep "$src" "$fam" "$sport")" \
			--timeout 500 "$(ep "$dst" "$fam" "$dport")" || true)
		[ "$out" = connected ] && act=allow || act=deny
	else
		out=$(lab_in "$from" "$PROBE" udp --from "$(ep "$src" "$fam" "$sport")" \
			--timeout 500 --count 3 "$(ep "$dst" "$fam" "$dport")" || true)
		[[ $out == *"received 3 "* ]] && act=allow || act=deny
	fi
	mark=ok
	[ "$exp" = "$act" ] || { mark=MISMATCH; bad=$((bad + 1)); }
	[ "$act" = allow ] && shown="got through" || shown=blocked
	printf '%-3s %-20s %-58s %-16s %-12s %-9s %s\n' "$n" \
		"${from%%#*} -> ${to%%#*}" "$pkt" "$exp rule $rule" "$shown" \
		"$mark" "$why"
done
echo
echo "   $((n - bad))/$n flows as the policy says"

echo
echo "== fwc flows dmz   (the flows tracked now; a probe resets its TCP connection,"
echo "   so those show as close, UDP exchanges as replied)"
lab_in gw "$FWC" flows dmz --bpffs "$BPFFS"

echo
echo "== fwc status"
lab_in gw "$FWC" status --bpffs "$BPFFS" | sed -n '1,8p'
echo "   ... (the other legs share the same program, tables and counters)"
echo
echo "== fwc stats"
lab_in gw "$FWC" stats --bpffs "$BPFFS"
echo
echo "== with bpftool only: labels and counters of leg dmz"
echo "\$ bpftool map dump pinned $BPFFS/dmz/labels"
bpftool map dump pinned "$BPFFS/dmz/labels" | tr -d '\n' |
	sed 's/},{/},\n{/g; s/ \{2,\}/ /g'
echo
echo "\$ bpftool map dump pinned $BPFFS/dmz/counters"
bpftool map dump pinned "$BPFFS/dmz/counters" | tr -d '\n' |
	sed 's/ \{2,\}/ /g; s/\] },{/] },\n{/g'
echo

if [ "$KEEP" = 1 ]; then
	echo
	echo "== lab kept: namespaces ${LAB_PREFIX}*, pins under $BPFFS"
	echo "   try: nsenter --net=/run/netns/${LAB_PREFIX}gw $FWC stats --bpffs $BPFFS"
	echo "   remove with: make demo-clean"
fi
[ "$bad" = 0 ]
