#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The loader's threads under ThreadSanitizer. fwc load writes the rollback
# copy of its tables and builds the record maps and the counter carry-over
# on threads beside the program load (kernel/load.c, kernel/state.c).
# FWC_TSAN names an fwc built with -fsanitize=thread (make e2e-tests builds
# build-tsan/fwc): a first load, reloads that carry counters and flows
# over, a reload that fails, and an unload, each free of any report.
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"

TSAN=${FWC_TSAN:-$REPO/build-tsan/fwc}
[ -x "$TSAN" ] || { echo "e2e: $TSAN missing (make build-tsan/fwc)" >&2; exit 1; }
A=$E2E_DIR/lab-a.pol B=$E2E_DIR/lab-b.pol
CLI4=203.0.113.7 WEB4=192.0.2.10

lab_gateway
lab_host cli $CLI4
lab_host web $WEB4
lab_serve web 120 tcp:$WEB4:443 udp:$WEB4:7001
lab_settle

# halt_on_error: the first report fails the command, so nothing is missed.
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
tsan() { # tsan DESCRIPTION EXPECTED-EXIT fwc-ARGS...
	local what=$1 want=$2 rc
	shift 2
	lab_in gw "$TSAN" "$@" >"$TMP/out" 2>&1 && rc=0 || rc=$?
	if grep -q "ThreadSanitizer" "$TMP/out"; then
		fail "$what: ThreadSanitizer reported:"
		sed -n '1,40p' "$TMP/out"
		return
	fi
	expect_eq "$what: exit" "$want" "$rc"
}

check "the binary is instrumented" bash -c "nm '$TSAN' | grep -q __tsan_init"
tsan "first load" 0 load "$A" cli web
expect_eq "  https passes" connected "$(tcp_try cli $CLI4 $WEB4:443)"
udp_try cli $CLI4 $WEB4:7001 3 64 >/dev/null
tsan "reload to B (counters and flows carried over)" 0 load "$B" cli web
tsan "reload to A" 0 load "$A" cli web
check "  the rollback copy was written" [ -s "$FWC_STATE_DIR/cli/current.fwca" ]
printf 'zone a = 192.0.2.0/24\nallow a -> nowhere\n' >"$TMP/bad.pol"
tsan "a load that fails" 2 load "$TMP/bad.pol" cli web
tsan "a load onto a missing interface" 2 load "$B" cli nosuch0
expect_eq "  A still enforces: https passes" connected "$(tcp_try cli $CLI4 $WEB4:443)"
tsan "stats" 0 stats
tsan "unload" 0 unload cli web

e2e_done
