#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Differential tests: the XDP gateway (`fwc load`) against the nftables
# gateway of `fwc compile --emit nft`, on the same lab and the same flows.
#
# A gateway namespace routes between HOSTS host namespaces (tests/e2e/
# lab.sh: one leg per host, which requests and replies alike cross). For
# each policy - every shipped one with its tests/policies/*.flows, and
# random ones (tests/unit/randpol.h through fwc-diffplan, now and then
# with state off or loose, or in audit mode) with packets drawn near what
# they name - the
# flows' addresses are spread over the hosts so that every flow crosses
# the gateway, and the same flows run twice, once through each gateway,
# in four phases:
#
#   reverse  from the destination's port back to the source, before any
#            state: a new connection the other way (refused / unreach
#            say it passed and its RST or ICMP error came back)
#   forward  echo servers up: TCP connect + 32 bytes echoed (replies pass
#            as replies); UDP 64 bytes then 3000 and ICMP echo 64 then
#            3000 bytes, fragmented both ways
#   closed   servers down, the forward flows again: TCP meets a RST, UDP
#            an ICMP port unreachable that must come back as related
#   stray    crafted packets, caught with a packet socket where they go:
#            of no flow (a mid-stream TCP ACK, a SYN-ACK answering no SYN,
#            an echo reply nobody asked for, ICMP errors quoting nothing, a
#            later fragment without its first) and ICMP errors quoting the
#            flow's own packets (fragmentation needed / packet too big for
#            UDP, time exceeded for echo), which must pass as related
#
# rpc rules (docs/rpc-pinholes.md): nftables cannot follow the endpoint
# mapper, so the nft gateway is written with --rpc-fallback 1-65535 (each
# rpc rule's port bounds opened whole), and flows with a TCP tuple that
# the XDP gateway leaves to a pinhole (`fwc test`: "closed, except through
# a pinhole") are left out: there the fallback is weaker by design, and no
# probe speaks to an endpoint mapper. Without rpc rules nothing changes.
#
# Each exchange's outcome is compared. Prints "N flows, M mismatches" and
# each mismatch (flow, phase, both outcomes); exits 1 on any. Between runs
# the XDP program is unloaded (its flow table goes with it) and conntrack
# is flushed, so no state crosses from one run to the next; the nft run
# applies the sysctls its file's header names.
#
# Environment: FWC (build/fwc), DIFF_HOSTS (6), DIFF_RANDOM (random
# policies, 12), DIFF_FLOWS (packets drawn per random policy, 40),
# DIFF_SEED (1), DIFF_JOBS (parallel probes, 32), DIFF_WAIT_MS (how long
# a probe waits for an answer, 500), DIFF_TIME_LIMIT (seconds, 1500),
# DIFF_POLICIES (shipped policies to run, default all; none for none),
# DIFF_KEEP (keep the work directory). The policies of tests/diff/ (with
# their NAME.flows beside them) run after the shipped ones.
set -euo pipefail

DIFF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$DIFF_DIR/../.." && pwd)
FWC=$(realpath "${FWC:-$REPO/build/fwc}")
BIN=$(dirname "$FWC")/tests
PROBE=${DIFFPROBE:-$BIN/fwc-diffprobe}
PLAN=${DIFFPLAN:-$BIN/fwc-diffplan}
HOSTS=${DIFF_HOSTS:-6}
N_RANDOM=${DIFF_RANDOM:-12}
N_FLOWS=${DIFF_FLOWS:-40}
SEED=${DIFF_SEED:-1}
JOBS=${DIFF_JOBS:-32}
WAIT_MS=${DIFF_WAIT_MS:-500}
TIME_LIMIT=${DIFF_TIME_LIMIT:-1500}
# What the nft gateway opens for an rpc rule: all of its port bounds.
RPC_FALLBACK=1-65535
LAB_PREFIX="fwcd-$$-"
export FWC_BPFFS="/sys/fs/bpf/fwcd-$$"
TMP=$(mktemp -d "/tmp/fwcd-$$.XXXXXX")
# fwc load keeps rollback copies there: private, removed with $TMP.
export FWC_STATE_DIR="$TMP/state"
WATCHDOG=
SERVERS=()

# shellcheck source=tests/e2e/lab.sh
. "$REPO/tests/e2e/lab.sh"

for f in "$FWC" "$PROBE" "$PLAN"; do
	[ -x "$f" ] || { echo "diff: $f missing (make diff-tests builds it)" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
	echo "diff: needs root (namespaces, XDP, nftables)" >&2
	exit 1
fi
command -v nft >/dev/null || { echo "diff: nft missing (make deps)" >&2; exit 1; }
lab_sweep_dead fwcd

diff_cleanup() {
	local rc=$?
	set +e
	[ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
	if [ -d "$FWC_BPFFS" ]; then
		lab_in gw "$FWC" unload --all >/dev/null 2>&1
		rm -rf "$FWC_BPFFS"
	fi
	LAB_PIDS+=("${SERVERS[@]}")
	lab_cleanup
	lab_cleanup_prefix
	if [ -n "${DIFF_KEEP:-}" ]; then
		echo "diff: work directory kept: $TMP"
	else
		rm -rf "$TMP"
	fi
	lab_left_behind diff "/sys/fs/bpf/fwcd-$$*" && rc=1
	exit $rc
}
trap diff_cleanup EXIT
trap 'exit 130' INT TERM
# The whole run is bounded: the watchdog ends it, cleanup still runs.
(
	trap 'kill "$nap" 2>/dev/null; exit 0' TERM
	sleep "$TIME_LIMIT" &
	nap=$!
	wait "$nap"
	echo "diff: time limit of ${TIME_LIMIT}s reached" >&2
	kill -TERM $$
) &
WATCHDOG=$!

START=$SECONDS
LEGS=()
for ((h = 0; h < HOSTS; h++)); do LEGS+=("h$h"); done

# --- one policy's lab addresses ------------------------------------------

# ip -batch files that add (or delete) the plan's addresses and routes.
plan_addrs() { # plan_addrs PLAN add|del
	local addr h len opt f
	rm -f "$TMP"/addr.*
	while read -r _ addr h; do
		len=32 opt=
		if [[ $addr == *:* ]]; then
			len=128
			[ "$2" = add ] && opt=" nodad"
		fi
		echo "addr $2 $addr/$len dev eth0$opt" >>"$TMP/addr.h$h"
		echo "route $2 $addr/$len dev h$h" >>"$TMP/addr.gw"
	done < <(grep '^host ' "$1")
	for f in "$TMP"/addr.*; do
		lab_in "${f##*.}" ip -batch "$f"
	done
}

# "[v6]:port" or "v4:port"
ep() { [[ $1 == *:* ]] && echo "[$1]:$2" || echo "$1:$2"; }

at() { echo "/run/netns/$(lab_ns "$1")"; }

# --- probes ----------------------------------------------------------------

# Jobs of PHASE for each flow of PLAN: "ID PHASE NS PROBE-ARGS...".
jobs_of() { # jobs_of PLAN PHASE
	local id proto src sport dst dport rport xport hs hd w=$WAIT_MS k n
	local -A host=() kinds=([tcp]="ack synack error"
		[udp]="frag error toobig" [icmp]="echoreply error ttl"
		[icmp6]="echoreply error ttl")
	while read -r _ a h; do host[$a]=h$h; done < <(grep '^host ' "$1")
	while read -r _ id proto src sport dst dport rport xport; do
		hs=${host[$src]} hd=${host[$dst]}
		if [ "$2" = stray ]; then
			n=0
			for k in ${kinds[$proto]}; do
				n=$((n + 1))
				# Whose packet, caught where; the marker says which.
				# toobig and ttl quote the flow's own forward packet.
				echo -n "$id stray-$k "
				case $k in
				synack) echo -n "$hd stray --from $dst --at $(at "$hs") --sport $dport --dport $xport $src" ;;
				toobig) echo -n "$hd stray --from $dst --at $(at "$hs") --sport $dport --dport $sport $src" ;;
				ttl) echo -n "$hd stray --from $dst --at $(at "$hs") --sport $sport --dport 0 $src" ;;
				*) echo -n "$hs stray --from $src --at $(at "$hd") --sport $xport --dport $dport $dst" ;;
				esac
				echo " --kind $k --timeout $w --marker $((0xfc000000 + id * 16 + n))"
			done
			continue
		fi
		case $2.$proto in
		reverse.tcp) echo "$id $2 $hd tcp --timeout $w --from $(ep "$dst" "$dport") $(ep "$src" "$rport")" ;;
		reverse.udp) echo "$id $2 $hd udp --timeout $w --from $(ep "$dst" "$dport") $(ep "$src" "$rport")" ;;
		reverse.icmp*) echo "$id $2 $hd ping --timeout $w --from $dst --id $rport $src" ;;
		forward.tcp | closed.tcp) echo "$id $2 $hs tcp --timeout $w --from $(ep "$src" "$sport") $(ep "$dst" "$dport")" ;;
		forward.udp) echo "$id $2 $hs udp --timeout $w --size 64,3000 --from $(ep "$src" "$sport") $(ep "$dst" "$dport")" ;;
		closed.udp) echo "$id $2 $hs udp --timeout $w --from $(ep "$src" "$sport") $(ep "$dst" "$dport")" ;;
		forward.icmp*) echo "$id $2 $hs ping --timeout $w --size 64,3000 --from $src --id $sport $dst" ;;
		esac
	done < <(grep '^flow ' "$1")
}

# Runs one job line; prints "ID PHASE OUTCOME".
run_job() {
	local id=$1 phase=$2 ns=$3 out
	shift 3
	out=$(timeout 10 nsenter --net="/run/netns/${LAB_PREFIX}$ns" \
		"$PROBE" "$@" 2>>"$TMP/probe.err" | tail -n 1) || true
	echo "$id $phase ${out:-error}"
}
export -f run_job
export LAB_PREFIX PROBE TMP

run_phase() { # run_phase PLAN PHASE >> results
	jobs_of "$1" "$2" | xargs -r -P "$JOBS" -L 1 bash -c 'run_job "$@"' _
}

# Echo servers on every (proto, destination, port) of the plan.
servers_up() {
	local h specs out
	for ((h = 0; h < HOSTS; h++)); do
		mapfile -t specs < <(awk -v h="$h" '
			$1 == "host" && $3 == h { mine[$2] = 1 }
			$1 == "flow" && ($3 == "tcp" || $3 == "udp") && ($6 in mine) {
				a = $6 ~ /:/ ? "[" $6 "]" : $6
				print $3 ":" a ":" $7
			}' "$1" "$1" | sort -u)
		[ ${#specs[@]} -gt 0 ] || continue
		out="$TMP/serve.h$h"
		# Not through lab_in: $! must be the server itself, to kill.
		nsenter --net="/run/netns/$(lab_ns "h$h")" "$PROBE" serve \
			--for 600 "${specs[@]}" >"$out" 2>&1 &
		SERVERS+=($!)
	done
	for f in "$TMP"/serve.h*; do
		for _ in $(seq 50); do
			grep -qx ready "$f" && break
			sleep 0.1
		done
		grep -qx ready "$f" || { cat "$f" >&2; echo "diff: servers did not start" >&2; return 1; }
	done
}

servers_down() {
	local pid
	for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
	SERVERS=()
	rm -f "$TMP"/serve.h*
}

# --- the two gateways --------------------------------------------------------

gateway_up() { # gateway_up fwc|nft POLICY
	if [ "$1" = fwc ]; then
		lab_in gw "$FWC" load "$2" "${LEGS[@]}" >/dev/null
		return
	fi
	"$FWC" compile "$2" --emit nft --rpc-fallback "$RPC_FALLBACK" \
		-o "$TMP/gw.nft"
	lab_in gw nft -f "$TMP/gw.nft"
	# What the emitted header asks of conntrack besides the ruleset.
	sed -n 's/^#   \(net\.[a-z0-9_.]*=[0-9]*\)$/\1/p' "$TMP/gw.nft" |
		while read -r kv; do lab_in gw sysctl -qw "$kv"; done
	lab_in gw "$PROBE" ct-flush
}

gateway_down() {
	if [ "$1" = fwc ]; then
		lab_in gw "$FWC" unload "${LEGS[@]}" >/dev/null
	else
		lab_in gw nft delete table inet fwc
		lab_in gw "$PROBE" ct-flush
	fi
}

# One run: the three phases through gateway SIDE; outcomes to OUT.
run_side() { # run_side SIDE POLICY PLAN OUT
	gateway_up "$1" "$2"
	: >"$4"
	run_phase "$3" reverse >>"$4"
	servers_up "$3"
	run_phase "$3" forward >>"$4"
	servers_down
	run_phase "$3" closed >>"$4"
	run_phase "$3" stray >>"$4"
	gateway_down "$1"
	sort -k1,1n -k2,2 -o "$4" "$4"
}

# --- comparing ----------------------------------------------------------------

TOTAL=0
MISMATCHES=0
declare -A OUTCOMES=()

compare() { # compare NAME PLAN FWC-OUT NFT-OUT
	local n m=0 id phase a id2 phase2 b line
	n=$(wc -l <"$3")
	if [ "$n" -ne "$(wc -l <"$4")" ]; then
		echo "  MISMATCH $1: $n outcomes from fwc, $(wc -l <"$4") from nft"
		m=$((m + 1))
	fi
	while read -r id phase a id2 phase2 b; do
		if [ "$id $phase" != "$id2 $phase2" ]; then
			echo "  MISMATCH $1: outcome lists differ at flow $id ($phase)"
			m=$((m + 1))
			break
		fi
		OUTCOMES[$a]=$((${OUTCOMES[$a]:-0} + 1))
		[ "$a" = "$b" ] && continue
		m=$((m + 1))
		line=$(awk -v id="$id" '$1 == "flow" && $2 == id { $1 = $2 = ""; sub(/^ +/, ""); print }' "$2")
		echo "  MISMATCH $1 flow $id, $phase: $line: fwc $a, nft $b"
	done < <(paste -d ' ' "$3" "$4")
	TOTAL=$((TOTAL + n))
	MISMATCHES=$((MISMATCHES + m))
	echo "$1: $n flows, $m mismatches ($((SECONDS - START))s)"
}

# Flows of PLAN with a TCP tuple (forward; back from the destination's
# port to the reverse and stray ports) that POLICY leaves to a pinhole of
# an rpc rule, by id, one a line.
pinhole_flows() { # pinhole_flows POLICY PLAN
	awk '$1 == "flow" && $3 == "tcp" {
		s = $4 ~ /:/ ? "[" $4 "]" : $4; d = $6 ~ /:/ ? "[" $6 "]" : $6
		print $2, "tcp " s ":" $5 " -> " d ":" $7
		print $2, "tcp " d ":" $7 " -> " s ":" $8
		print $2, "tcp " d ":" $7 " -> " s ":" $9
	}' "$2" >"$TMP/ph.ids"
	[ -s "$TMP/ph.ids" ] || return 0
	cut -d ' ' -f 2- "$TMP/ph.ids" |
		"$FWC" test "$1" --packets - >"$TMP/ph.out" || true
	awk 'NR == FNR { id[NR] = $1; next }
		/^(allow|deny) / { n++ }
		/^  closed, except through a pinhole/ { print id[n] }' \
		"$TMP/ph.ids" "$TMP/ph.out" | sort -u
}

run_policy() { # run_policy NAME POLICY PACKETS
	local plan="$TMP/$1.plan" left
	"$PLAN" plan "$HOSTS" <"$3" >"$plan" 2>"$TMP/$1.plan.err" || {
		cat "$TMP/$1.plan.err" >&2
		return 1
	}
	pinhole_flows "$2" "$plan" >"$TMP/$1.pinholes"
	if [ -s "$TMP/$1.pinholes" ]; then
		left=$(wc -l <"$TMP/$1.pinholes")
		awk 'NR == FNR { skip[$1] = 1; next }
			!($1 == "flow" && ($2 in skip))' \
			"$TMP/$1.pinholes" "$plan" >"$plan.rpc"
		mv "$plan.rpc" "$plan"
		echo "$1: $left flows left to rpc pinholes, not compared"
	fi
	plan_addrs "$plan" add
	lab_settle
	run_side fwc "$2" "$plan" "$TMP/$1.fwc"
	run_side nft "$2" "$plan" "$TMP/$1.nft"
	plan_addrs "$plan" del
	compare "$1" "$plan" "$TMP/$1.fwc" "$TMP/$1.nft"
}

# --- main ----------------------------------------------------------------------

echo "lab: ${LAB_PREFIX}{gw,h0..h$((HOSTS - 1))}, pins under $FWC_BPFFS"
lab_gateway
for ((h = 0; h < HOSTS; h++)); do
	lab_host "h$h"
	# Removing a device's last IPv4 address takes its routes along: an
	# address no flow uses keeps the default route across policies.
	lab_in "h$h" ip addr add "169.254.100.$((h + 1))/32" dev eth0
done

for pol in ${DIFF_POLICIES:-$REPO/policies/*.pol $DIFF_DIR/*.pol}; do
	[ "$pol" = none ] && continue
	name=$(basename "$pol" .pol)
	flows=${pol%.pol}.flows
	[ -e "$flows" ] || flows=$REPO/tests/policies/$name.flows
	run_policy "$name" "$pol" "$flows"
done

for ((i = 1; i <= N_RANDOM; i++)); do
	seed=$((SEED * 1000 + i))
	rules=$((4 + seed % 12))
	pol="$TMP/random-$seed.pol"
	{
		# Now and then stateless (once with default allow, where later
		# fragments meet no port rule), picking up TCP mid-stream, or
		# auditing (what would drop passes, and opens no flow).
		case $((i % 12)) in
		0 | 6) echo "set state off" ;;
		3) echo "set state loose" ;;
		9) echo "set mode audit" ;;
		esac
		"$PLAN" policy "$seed" "$rules" |
			if [ $((i % 12)) -eq 6 ]; then
				sed 's/^set default deny$/set default allow/'
			else
				cat
			fi
	} >"$pol"
	"$PLAN" flows "$seed" "$rules" "$N_FLOWS" >"$TMP/random-$seed.packets"
	run_policy "random-$seed" "$pol" "$TMP/random-$seed.packets"
done

echo "outcomes:$(for k in "${!OUTCOMES[@]}"; do printf ' %s %s,' "$k" "${OUTCOMES[$k]}"; done | sed 's/,$//')"
# A broken lab would agree on "nothing passes": insist on both kinds.
if [ "${OUTCOMES[connected]:-0}" -eq 0 ] || [ "${OUTCOMES[timeout]:-0}" -eq 0 ]; then
	echo "diff: no connection passed or none was stopped: the lab is broken" >&2
	MISMATCHES=$((MISMATCHES + 1))
fi
echo "$TOTAL flows, $MISMATCHES mismatches ($((SECONDS - START))s)"
[ "$MISMATCHES" -eq 0 ]
