#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Robust under the operator. Many loads of A and B at once on the same
# interfaces, then loads and unloads at once, never leave a broken state:
# status is clean, no temporary pins, one program runs that enforces what
# status says. The lock is flock(2) on the pin root: a holder killed with
# SIGKILL releases it; loads killed at random points leave pins that the
# next load recovers, in both directions (forward after the swap, back
# before it). fwc status explains half states: pins without an attached
# program, a link detached by a re-created interface, a link of another
# network namespace, an XDP program that something else attached.
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"

A=$E2E_DIR/lab-a.pol
B=$E2E_DIR/lab-b.pol
CLI4=203.0.113.7 WEB4=192.0.2.10
SHA_A=$(sha256sum "$A" | cut -d' ' -f1)
SHA_B=$(sha256sum "$B" | cut -d' ' -f1)
GW=/run/netns/${LAB_PREFIX}gw

lab_gateway
lab_host cli $CLI4
lab_host web $WEB4
lab_serve web 120 tcp:$WEB4:443 udp:$WEB4:7003
lab_settle
# Spare interfaces (veth: this kernel may lack dummy).
spare() {
	lab_in gw ip link add "$1" type veth peer name "$1p"
	lab_in gw ip link set "$1" up
	lab_in gw ip link set "$1p" up
}
for d in d1 d2 d3; do spare $d; done

xdp_of() { lab_in gw bpftool -j net show dev "$1" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2; }
# A allows https and drops udp 7003; B the other way round.
verdicts() { echo "$(tcp_try cli $CLI4 $WEB4:443) $(udp_try cli $CLI4 $WEB4:7003 2 64)"; }
A_V="connected 0" B_V="timeout 2"
# fwc itself in the gateway's namespace, in the background: $! is fwc.
fwc_bg() { nsenter --net="$GW" "$FWC" "$@" & }

fwc_gw load "$A" cli web >/dev/null
PINS=$(pins_of cli)

# consistent WHAT: one whole load on cli and web, enforcing what it says.
consistent() {
	local rc sha want=unknown name=?
	fwc_gw status >"$TMP/status" 2>&1 && rc=0 || rc=$?
	expect_eq "$1: fwc status exit 0" 0 "$rc"
	[ "$rc" = 0 ] || sed 's/^/      /' "$TMP/status"
	expect_eq "$1: no NAME-new pins" "" "$(ls "$FWC_BPFFS"/* | grep -- '-new$' || true)"
	expect_eq "$1: cli's pins whole" "$PINS" "$(pins_of cli)"
	expect_eq "$1: web's pins whole" "$PINS" "$(pins_of web)"
	expect_eq "$1: one program on cli and web" "$(status_field cli prog_id)" \
		"$(status_field web prog_id)"
	expect_eq "$1: the kernel runs it" "$(status_field cli prog_id)" "$(xdp_of cli)"
	sha=$(status_field cli sha256)
	[ "$sha" = "$SHA_A" ] && want=$A_V name=A
	[ "$sha" = "$SHA_B" ] && want=$B_V name=B
	expect_eq "$1: verdicts are those of $name, the policy status names" \
		"$want" "$(verdicts)"
}

echo "24 loads of A and B at once on cli and web"
pids=()
for i in $(seq 24); do
	fwc_bg load "$([ $((i % 2)) = 0 ] && echo "$A" || echo "$B")" cli web \
		>/dev/null 2>>"$TMP/loads.err"
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
expect_eq "every load succeeded" 0 "$fails"
check "some had to wait for the lock" grep -q "waiting for another fwc load" "$TMP/loads.err"
consistent "after 24 loads"

echo "loads and unloads at once"
pids=()
for i in $(seq 18); do
	case $((i % 3)) in
	0) fwc_bg unload cli web ;;
	1) fwc_bg load "$A" cli web ;;
	2) fwc_bg load "$B" cli web ;;
	esac >/dev/null 2>&1
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
if [ -e "$FWC_BPFFS/cli" ] || [ -e "$FWC_BPFFS/web" ]; then
	consistent "loads and unloads, ending loaded"
else
	expect_eq "ending unloaded: no XDP on cli, web" " " "$(xdp_of cli) $(xdp_of web)"
	expect_eq "ending unloaded: verdicts of no firewall" "connected 2" "$(verdicts)"
	fwc_gw load "$A" cli web >/dev/null
fi

echo "a holder killed with SIGKILL releases the lock"
# One process holds it (the shell becomes sleep, keeping fd 9).
(exec 9<"$FWC_BPFFS"; flock -x 9; exec sleep 30) &
holder=$!
# Until the holder has the lock (a busy machine may take a while).
for _ in $(seq 100); do
	(exec 8<"$FWC_BPFFS"; flock -n -x 8) || break
	sleep 0.05
done
check "the holder has the lock" bash -c "(exec 8<'$FWC_BPFFS'; ! flock -n -x 8)"
fwc_bg load "$B" cli web >"$TMP/wait.out" 2>&1
loader=$!
for _ in $(seq 100); do
	grep -q "waiting for another fwc load or unload" "$TMP/wait.out" && break
	sleep 0.05
done
check "the load waits while the lock is held" kill -0 "$loader"
check "  and says so" grep -q "waiting for another fwc load or unload" "$TMP/wait.out"
kill -9 "$holder"
wait "$holder" 2>/dev/null || true
t0=$SECONDS
wait "$loader" && rc=0 || rc=$?
expect_eq "then it loads" 0 "$rc"
check "  at once" [ $((SECONDS - t0)) -le 2 ]
consistent "after the killed holder"

# Most of a load is the verifier; its pins come in the last part. Kill
# between half the duration of a load and a little past its end.
t0=$(date +%s%N)
fwc_gw load "$B" cli web >/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
echo "30 loads killed with SIGKILL at random points (a load takes $ms ms)"
for i in $(seq 30); do
	fwc_bg load "$([ $((i % 2)) = 0 ] && echo "$A" || echo "$B")" cli web \
		>/dev/null 2>>"$TMP/chaos.err"
	p=$!
	sleep "$(awk -v ms=$ms -v r=$RANDOM 'BEGIN { printf "%.3f", ms * (0.5 + 0.6 * r / 32768) / 1000 }')"
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	# Whatever was killed, a policy stays attached: no fail-open.
	[ -n "$(xdp_of cli)" ] || fail "load $i killed: nothing attached on cli"
done
echo "  pins of killed loads recovered by the next: $(grep -c 'completed the pins' "$TMP/chaos.err" || true) completed, $(grep -c 'removed the pins' "$TMP/chaos.err" || true) removed (per directory)"
fwc_gw load "$A" cli web >/dev/null 2>"$TMP/recover.err" && rc=0 || rc=$?
expect_eq "the next load succeeds" 0 "$rc"
[ -s "$TMP/recover.err" ] && sed 's/^/      /' "$TMP/recover.err"
consistent "after the killed loads"

echo "recovery, deterministically: pins of a load killed before its swap"
fwc_gw load "$B" d1 --mode generic >/dev/null
for f in "$FWC_BPFFS"/d1/*; do
	n=${f##*/}
	[ "$n" = link ] && continue
	bpftool "$([ "$n" = prog ] && echo prog || echo map)" pin pinned "$f" \
		"$FWC_BPFFS/cli/$n-new"
done
out=$(fwc_gw status cli 2>&1) && rc=0 || rc=$?
check "status notes the interrupted load" grep -q "NAME-new pins of an interrupted load" <<<"$out"
prog=$(status_field cli prog_id)
fwc_gw unload d1 >/dev/null 2>"$TMP/rec1.err"
check "the next unload removes them" grep -q "removed the pins of an interrupted fwc load" "$TMP/rec1.err"
expect_eq "cli keeps its program" "$prog" "$(xdp_of cli)"
consistent "after removing the pins of a load killed before its swap"

echo "recovery, deterministically: a first load killed after attaching"
fwc_gw load "$B" d1 --mode generic >/dev/null
prog=$(status_field d1 prog_id)
for n in link prog counters; do mv "$FWC_BPFFS/d1/$n" "$FWC_BPFFS/d1/$n-new"; done
out=$(fwc_gw status d1 2>&1) && rc=0 || rc=$?
expect_eq "status of the half-committed pins: exit 2" 2 "$rc"
echo "      $out" | head -3
fwc_gw load "$A" cli web >/dev/null 2>"$TMP/rec2.err"
check "the next load completes them" grep -q "completed the pins of an interrupted fwc load" "$TMP/rec2.err"
expect_eq "d1 attached, its program kept" "attached $prog" \
	"$(status_field d1 state) $(status_field d1 prog_id)"
fwc_gw unload d1 >/dev/null

echo "half states in fwc status"
fwc_gw load "$A" d1 --mode generic >/dev/null
rm "$FWC_BPFFS/d1/link"
out=$(fwc_gw status d1 2>&1) && rc=0 || rc=$?
expect_eq "pins without a link: exit 2" 2 "$rc"
check "  explained" grep -q "pins without an attached program: nothing enforces here" <<<"$out"
expect_eq "  and nothing runs on d1" "" "$(xdp_of d1)"
expect_eq "  fwc_interface_enforcing 0" 'fwc_interface_enforcing{iface="d1"} 0' \
	"$(fwc_gw stats --prometheus | grep 'enforcing{iface="d1"}')"
lab_in gw bpftool net attach xdpgeneric pinned "$FWC_BPFFS/cli/prog" dev d1
out=$(fwc_gw status d1 2>&1) && rc=0 || rc=$?
check "  plus a program something else attached" grep -q \
	"d1 runs XDP program $(xdp_of d1) (fwc_xdp) that something else attached" <<<"$out"
out=$(fwc_gw load "$A" d1 2>&1) && rc=0 || rc=$?
expect_eq "  fwc load refuses to replace it" 2 "$rc"
check "  and says how to detach it" grep -q "ip link set dev d1 xdpgeneric off" <<<"$out"
lab_in gw bpftool net detach xdpgeneric dev d1
fwc_gw load "$A" d1 --mode generic >/dev/null
expect_eq "  a load mends it" attached "$(status_field d1 state)"

lab_in gw bpftool net attach xdpgeneric pinned "$FWC_BPFFS/cli/prog" dev d2
out=$(fwc_gw status 2>&1) && rc=0 || rc=$?
check "status lists a foreign XDP program without pins" grep -q \
	"^d2: not fwc: runs XDP program [0-9]* (fwc_xdp) that something else attached" <<<"$out"
expect_eq "  which is no error of fwc's" 0 "$rc"
check "  in --json too" grep -q '"interface":"d2","state":"foreign"' <<<"$(fwc_gw status --json)"
out=$(fwc_gw status d2 2>&1) && rc=0 || rc=$?
check "status d2: nothing pinned, but a program runs" grep -q \
	"d2: no fwc policy loaded .*; it runs XDP program" <<<"$out"
lab_in gw bpftool net detach xdpgeneric dev d2

fwc_gw load "$A" d3 --mode generic >/dev/null
lab_in gw ip link del d3
spare d3
out=$(fwc_gw status d3 2>&1) && rc=0 || rc=$?
expect_eq "link detached by a re-created interface: exit 2" 2 "$rc"
check "  explained" grep -q "the pinned link is detached (the interface was deleted and made again)" <<<"$out"
fwc_gw load "$A" d3 --mode generic >/dev/null
expect_eq "  fwc load attaches afresh" "attached $(xdp_of d3)" \
	"$(status_field d3 state) $(status_field d3 prog_id)"

out=$("$FWC" status d3 2>&1) && rc=0 || rc=$?
expect_eq "status outside the namespace of the load: exit 2" 2 "$rc"
check "  explained" grep -q "the pinned link drives ifindex [0-9]*, another interface or network namespace" <<<"$out"

fwc_gw unload d1 d3 >/dev/null
consistent "at the end"
e2e_done
