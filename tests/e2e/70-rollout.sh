#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Safe rollout end to end, on a gateway between a client (cli) and a
# server (srv), both legs enforcing:
# - audit mode: traffic the policy would drop passes, is counted against
#   its rule and as would-drop, and fwc log --json shows it as would-drop;
# - the deny log under a flood: events bounded by the rate limit, exact
#   suppressed and lost counts (shown + suppressed + lost = the rule's
#   packets), none for allowed traffic; a full buffer's lost count;
# - the lockout guard: an SSH_CONNECTION the policy drops is refused
#   (exit 2, nothing changed), --keep likewise, --force loads, audit and a
#   session on another interface pass;
# - commit-confirmed: a confirm in time keeps the new policy; without one
#   the old comes back by the deadline (plus slack), also when fwc load
#   was killed with SIGKILL while it ran or its whole session right after
#   it returned; with nothing loaded before, the rollback unloads.
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"

# The guard must judge only the sessions this test names.
unset SSH_CONNECTION

CLI=192.0.2.10 SRV=198.51.100.20 GW=$LAB_GW_IP4
SLACK=3		# seconds a rollback may take past its deadline

zones() {
	cat <<EOF
zone cli = $CLI
zone srv = $SRV
zone gw  = $GW
EOF
}
OLD=$TMP/old.pol NEW=$TMP/new.pol AUD=$TMP/audit.pol FLOOD=$TMP/flood.pol
FULL=$TMP/full.pol
{
	zones
	echo 'allow cli -> srv proto tcp port 80 label "web"'
	echo 'allow cli -> gw proto tcp port 22 label "ssh"'
} >"$OLD"
{
	zones
	echo 'allow cli -> srv proto tcp port { 80, 443 } label "web"'
} >"$NEW"
# Audit: the same as NEW, but web is not there yet.
{
	zones
	echo 'allow cli -> srv proto tcp port 443 label "https"'
} >"$AUD"
{
	echo 'set log rate 20'
	zones
	echo 'allow cli -> srv proto tcp port 80 label "web"'
	echo 'deny log cli -> srv proto udp port 9 label "flood"'
} >"$FLOOD"
{
	echo 'set log rate 1000000'
	zones
	echo 'deny log cli -> srv proto udp port 9 label "flood"'
} >"$FULL"

lab_gateway
lab_host cli $CLI
lab_host srv $SRV
lab_serve srv 300 tcp:$SRV:80 tcp:$SRV:443 udp:$SRV:9
lab_settle

sha_of() { sha256sum "$1" | cut -d' ' -f1; }
running() { status_field cli sha256; }
rsv() { counter cli "$(label_id cli "$1")" | cut -d' ' -f1; }
pkts() { counter_of cli "$1" | cut -d' ' -f1; }
# log_json: fwc log --json of the lab, into $TMP/log.json
log_json() { fwc_gw log --json >"$TMP/log.json"; }
summary() { # summary FIELD: of the last fwc log --json
	sed -n "s/^{\"summary\":.*\"$1\":\([0-9]*\).*/\1/p" "$TMP/log.json" |
		head -1
}
events() { grep -c "^{\"time\"" "$TMP/log.json" || true; }
# Watchdogs alive (a SIGKILL takes a moment; zombies do not count).
watchdogs() { # watchdogs [EXPECTED]: how many run in the gateway
	local n pid
	for _ in $(seq 20); do
		n=0
		for pid in $(ip netns pids "$(lab_ns gw)"); do
			tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
				grep -q -- "load --confirm" && n=$((n + 1))
		done
		[ "$n" -le "${1:-0}" ] && break
		sleep 0.05
	done
	echo "$n"
}

echo "audit mode: what the policy would drop passes, counted and logged"
fwc_gw load --audit "$AUD" cli srv >"$TMP/out"
check "load --audit says so" grep -q "audit mode" "$TMP/out"
expect_eq "status: verdicts" audit "$(status_field cli verdicts)"
fwc_gw status cli | grep -q "verdicts audit" &&
	ok "status text: verdicts audit" || fail "status text: verdicts audit"
expect_eq "tcp cli -> srv:80 (default deny) passes" connected \
	"$(tcp_try cli $CLI $SRV:80)"
wd=$(rsv would-drop)
check "would-drop counted ($wd packets)" [ "$wd" -ge 3 ]
check "default deny counted them too" [ "$(counter cli 0 | cut -d' ' -f1)" -ge "$wd" ]
log_json
check "fwc log --json: would-drop events of rule 0 to port 80" \
	grep -q '"verdict":"would-drop","rule":0,.*"dst":"198.51.100.20","sport":[0-9]*,"dport":80' \
	"$TMP/log.json"
expect_eq "summary: would_drop" "$wd" "$(summary would_drop)"
fwc_gw load "$AUD" cli srv >/dev/null
expect_eq "reloaded without --audit: verdicts" enforce "$(status_field cli verdicts)"
expect_eq "now tcp cli -> srv:80 is dropped" timeout "$(tcp_try cli $CLI $SRV:80)"
# `set mode audit` in the policy does what --audit does.
{ echo 'set mode audit'; cat "$AUD"; } >"$TMP/audit2.pol"
fwc_gw load "$TMP/audit2.pol" cli srv >/dev/null
expect_eq "set mode audit: verdicts" audit "$(status_field cli verdicts)"
expect_eq "set mode audit: srv:80 passes" connected "$(tcp_try cli $CLI $SRV:80)"
fwc_gw unload cli srv >/dev/null

echo "deny log: a flood is rate-limited, counted exactly, allowed traffic not logged"
fwc_gw load "$FLOOD" cli srv >/dev/null
expect_eq "allowed tcp cli -> srv:80" connected "$(tcp_try cli $CLI $SRV:80)"
t0=$(date +%s.%N)
lab_in cli "$PROBE" udp --from $CLI --timeout 200 --count 3000 \
	--interval 0 $SRV:9 >/dev/null || true
t1=$(date +%s.%N)
flood=$(pkts flood)
check "the flood reached the gateway ($flood packets)" [ "$flood" -ge 2900 ]
log_json
shown=$(events) sup=$(summary suppressed) lost=$(summary lost)
echo "    $flood packets in $(echo "$t1 - $t0" | bc) s: $shown events, $sup suppressed, $lost lost"
expect_eq "shown + suppressed + lost = the rule's packets" "$flood" \
	$((shown + sup + lost))
expect_eq "summary: shown" "$shown" "$(summary shown)"
bound=$(echo "20 + 20 * ($t1 - $t0) + 1" | bc | cut -d. -f1)
check "events within burst + rate x time ($shown <= $bound)" \
	[ "$shown" -ge 20 -a "$shown" -le "$bound" ]
expect_eq "reserved log-suppressed as fwc stats shows it" "$sup" \
	"$(rsv log-suppressed)"
expect_eq "every event is of rule flood, verdict drop" "$shown" \
	"$(grep -c '"verdict":"drop","rule":2,"label":"flood".*"dport":9' "$TMP/log.json")"
expect_eq "no event for the allowed connection" 0 \
	"$(grep -c '"dport":80' "$TMP/log.json" || true)"
fwc_gw log >"$TMP/log.txt" 2>"$TMP/log.err"
expect_eq "read again: nothing new" 0 "$(wc -l <"$TMP/log.txt")"
check "text summary on stderr" grep -q "0 events shown; counted so far: $sup suppressed by the rate limit, 0 lost" "$TMP/log.err"

echo "deny log: a full buffer loses events, counted exactly"
fwc_gw unload cli srv >/dev/null
fwc_gw load "$FULL" cli srv >/dev/null
lab_in cli "$PROBE" udp --from $CLI --timeout 200 --count 6000 \
	--interval 0 $SRV:9 >/dev/null || true
flood=$(pkts flood)
log_json
shown=$(events) sup=$(summary suppressed) lost=$(summary lost)
echo "    $flood packets: $shown events, $sup suppressed, $lost lost"
expect_eq "the buffer held 3640 events" 3640 "$shown"
check "the rest was lost ($lost)" [ "$lost" -gt 0 ]
expect_eq "shown + suppressed + lost = the rule's packets" "$flood" \
	$((shown + sup + lost))
expect_eq "reserved log-lost" "$lost" "$(rsv log-lost)"

echo "deny log: --follow until SIGTERM, across a reload"
# nsenter execs fwc: $! is fwc itself.
nsenter --net="/run/netns/$(lab_ns gw)" "$FWC" log --follow --json \
	>"$TMP/follow.json" 2>/dev/null &
FOLLOW=$!
LAB_PIDS+=("$FOLLOW")
sleep 0.5
lab_in cli "$PROBE" udp --from $CLI --timeout 100 --count 5 $SRV:9 >/dev/null || true
fwc_gw load "$FLOOD" cli srv >/dev/null
lab_in cli "$PROBE" udp --from $CLI --timeout 100 --count 5 $SRV:9 >/dev/null || true
for _ in $(seq 30); do
	[ "$(grep -c '^{"time"' "$TMP/follow.json" || true)" -ge 10 ] && break
	sleep 0.1
done
kill -TERM "$FOLLOW"
wait "$FOLLOW" && ok "fwc log --follow exits 0 on SIGTERM" ||
	fail "fwc log --follow exits 0 on SIGTERM"
expect_eq "followed 10 events, before and after the reload" 10 \
	"$(grep -c '^{"time"' "$TMP/follow.json" || true)"
check "and a summary at exit" grep -q '^{"summary"' "$TMP/follow.json"
fwc_gw unload cli srv >/dev/null

echo "lockout guard"
fwc_gw load "$OLD" cli srv >/dev/null
old_prog=$(status_field cli prog_id)
set +e
SSH_CONNECTION="$CLI 50022 $GW 22" fwc_gw load "$NEW" cli srv \
	>"$TMP/out" 2>"$TMP/err"
rc=$?
set -e
expect_eq "a policy dropping SSH_CONNECTION is refused: exit" 2 "$rc"
check "the message names the session and the rule" \
	grep -q "would drop the session of SSH_CONNECTION 'tcp $CLI:50022 -> $GW:22' on cli: rule 0 (default deny)" "$TMP/err"
expect_eq "nothing changed: same program" "$old_prog" "$(status_field cli prog_id)"
expect_eq "nothing changed: the old policy" "$(sha_of "$OLD")" "$(running)"
set +e
fwc_gw load --keep "tcp $CLI -> $SRV:80" --keep "tcp $CLI -> $SRV:8080" \
	"$NEW" cli srv >/dev/null 2>"$TMP/err"
rc=$?
set -e
expect_eq "--keep of a dropped session: exit" 2 "$rc"
check "...naming it" grep -q "session --keep 'tcp $CLI:0 -> $SRV:8080'" "$TMP/err"
SSH_CONNECTION="$CLI 50022 $GW 22" fwc_gw load "$NEW" srv >/dev/null 2>"$TMP/err" &&
	ok "a session through another interface (cli) does not stop a load on srv" ||
	fail "a session through another interface (cli) does not stop a load on srv"
SSH_CONNECTION="203.0.113.9 50022 192.0.2.200 22" fwc_gw load "$NEW" cli srv \
	>/dev/null 2>&1 &&
	ok "a session ending elsewhere (not a local address) is no concern" ||
	fail "a session ending elsewhere (not a local address) is no concern"
fwc_gw load "$OLD" cli srv >/dev/null
old_prog=$(status_field cli prog_id)
set +e
SSH_CONNECTION="$CLI 50022 $GW 22" fwc_gw load --confirm 5 "$NEW" cli srv \
	>/dev/null 2>"$TMP/err"
rc=$?
set -e
expect_eq "load --confirm refuses it as well: exit" 2 "$rc"
check "...with the same message" grep -q "would drop the session of SSH_CONNECTION" "$TMP/err"
expect_eq "...and nothing changed" "$old_prog" "$(status_field cli prog_id)"
expect_eq "...no watchdog" 0 "$(watchdogs)"
fwc_gw load "$OLD" cli srv >/dev/null
SSH_CONNECTION="$CLI 50022 $GW 22" fwc_gw load --audit "$NEW" cli srv \
	>/dev/null 2>"$TMP/err" && ok "audit mode never refuses" ||
	fail "audit mode never refuses"
check "...but notes it" grep -q "note: .*would drop the session" "$TMP/err"
fwc_gw load "$OLD" cli srv >/dev/null
SSH_CONNECTION="$CLI 50022 $GW 22" fwc_gw load --force "$NEW" cli srv \
	>/dev/null 2>"$TMP/err" && ok "--force loads" || fail "--force loads"
check "...with a warning" grep -q "warning: loading anyway (--force)" "$TMP/err"
expect_eq "--force: the new policy runs" "$(sha_of "$NEW")" "$(running)"

# Waits up to SECS for the running policy to be FILE's (or "none").
wait_policy() { # wait_policy FILE|none SECS -> seconds it took, or "never"
	local want start now
	[ "$1" = none ] && want="" || want=$(sha_of "$1")
	start=$(date +%s.%N)
	while :; do
		now=$(date +%s.%N)
		if [ "$(running)" = "$want" ]; then
			echo "$now - $start" | bc | sed 's/^\./0./'
			return
		fi
		if [ "$(echo "$now - $start > $2" | bc)" = 1 ]; then
			echo never
			return
		fi
		sleep 0.1
	done
}
in_time() { [ "$1" != never ] && [ "$(echo "$1 <= $2" | bc)" = 1 ]; }

echo "commit-confirmed: a confirm in time keeps the new policy"
fwc_gw load "$OLD" cli srv >/dev/null
fwc_gw load --confirm 3 "$NEW" cli srv >"$TMP/out" 2>&1 &&
	ok "load --confirm 3" || fail "load --confirm 3: $(cat "$TMP/out")"
check "it says when it rolls back" grep -q "^fwc: cli srv: rolls back to $OLD at" "$TMP/out"
expect_eq "the new policy runs" "$(sha_of "$NEW")" "$(running)"
fwc_gw status cli | grep -q "confirm  pending: rolls back to $OLD" &&
	ok "status shows the pending confirmation" ||
	fail "status shows the pending confirmation"
check "status --json: its deadline" sh -c "\"$FWC\" status --json cli | grep -q '\"confirm\":{\"deadline\":'"
expect_eq "one watchdog" 1 "$(watchdogs 1)"
fwc_gw confirm >"$TMP/out" 2>&1 && ok "fwc confirm" || fail "fwc confirm: $(cat "$TMP/out")"
check "...confirms both interfaces of the load" grep -q "^fwc: confirmed cli srv: the rollback is called off" "$TMP/out"
expect_eq "the watchdog is gone" 0 "$(watchdogs)"
sleep 4
expect_eq "past the deadline: still the new policy" "$(sha_of "$NEW")" "$(running)"
set +e
fwc_gw confirm cli >/dev/null 2>&1
expect_eq "confirm again: nothing to confirm, exit" 2 "$?"
set -e

echo "commit-confirmed: no confirm, the old policy comes back"
start=$(date +%s.%N)
fwc_gw load --confirm 2 "$OLD" cli srv >/dev/null 2>&1
took=$(wait_policy "$NEW" $((2 + SLACK + 5)))
echo "    rolled back after $took s (deadline 2 s)"
check "rolled back to NEW within 2 + $SLACK s of the load" in_time "$took" $((2 + SLACK))
expect_eq "and the rollback's traffic: srv:443 connects" connected "$(tcp_try cli $CLI $SRV:443)"
set +e
fwc_gw confirm cli >/dev/null 2>"$TMP/err"
rc=$?
set -e
expect_eq "a late confirm: exit" 2 "$rc"
check "...says it rolled back" grep -q "nothing to confirm: at .* it rolled back" "$TMP/err"
expect_eq "no watchdog left" 0 "$(watchdogs)"
check "the watchdog logged it" grep -q "rolled back" "$FWC_STATE_DIR/watchdog.log"

echo "commit-confirmed: fwc load killed with SIGKILL while it runs"
nsenter --net="/run/netns/$(lab_ns gw)" "$FWC" load --confirm 2 "$OLD" cli srv \
	>/dev/null 2>&1 &
LOADER=$!
sleep 0.05
kill -KILL "$LOADER" 2>/dev/null || true
wait "$LOADER" 2>/dev/null || true
took=$(wait_policy "$NEW" $((2 + SLACK + 5)))
sleep 0.5
echo "    back to NEW after $took s"
check "the previous policy runs again by the deadline" in_time "$took" $((2 + SLACK))
expect_eq "no watchdog left" 0 "$(watchdogs)"
expect_eq "nothing pending" "" "$(ls "$FWC_STATE_DIR"/*/pending 2>/dev/null || true)"

echo "commit-confirmed: the loading session killed right after the load"
setsid bash -c "nsenter --net=/run/netns/$(lab_ns gw) \"$FWC\" load --confirm 2 \
	\"$OLD\" cli srv >\"$TMP/sess\" 2>&1; sleep 30" &
SESS=$!
for _ in $(seq 50); do
	grep -q "rolls back" "$TMP/sess" 2>/dev/null && break
	sleep 0.1
done
expect_eq "the load returned, OLD runs" "$(sha_of "$OLD")" "$(running)"
kill -KILL -- -"$SESS" 2>/dev/null || true
wait "$SESS" 2>/dev/null || true
took=$(wait_policy "$NEW" $((2 + SLACK + 5)))
echo "    back to NEW after $took s"
check "the previous policy runs again by the deadline" in_time "$took" $((2 + SLACK))

echo "commit-confirmed: nothing loaded before, the rollback unloads"
fwc_gw unload cli srv >/dev/null
fwc_gw load --confirm 1 "$NEW" cli srv >/dev/null 2>&1
check "loaded" [ -e "$FWC_BPFFS/cli/link" ]
gone() { [ ! -e "$FWC_BPFFS/cli" ] && [ ! -e "$FWC_BPFFS/srv" ]; }
for _ in $(seq $(((1 + SLACK) * 10))); do
	gone && break
	sleep 0.1
done
check "unloaded by the deadline" gone
expect_eq "no XDP program on cli" "" "$(lab_in gw ip -o link show cli | grep -o 'prog/xdp' || true)"

echo "commit-confirmed: a new --confirm takes the rollback over"
fwc_gw load "$OLD" cli srv >/dev/null
fwc_gw load --confirm 30 "$NEW" cli srv >/dev/null 2>&1
fwc_gw load --confirm 2 "$AUD" cli srv >/dev/null 2>&1
expect_eq "the first watchdog is gone: one left" 1 "$(watchdogs 1)"
took=$(wait_policy "$OLD" $((2 + SLACK + 5)))
check "rolled back to the last confirmed policy (OLD) by the second deadline" \
	in_time "$took" $((2 + SLACK))
fwc_gw confirm >/dev/null 2>&1 || true
expect_eq "no watchdog left" 0 "$(watchdogs)"

e2e_done
