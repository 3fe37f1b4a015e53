#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# fwc status names the true state of every half state, with exit 2: an
# unload killed after its detach (pins complete, nothing attached), a pin
# removed by hand while the program enforces (v6_range, counters), every
# pin removed (nothing attached, or an fwc program still running, held by
# a link pinned elsewhere), pins partly removed with nothing attached, an
# interface deleted under its pins. Whole pins and an attached program
# are exit 0; fwc unload and fwc load mend every half state.
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"

A=$E2E_DIR/lab-a.pol
FOREIGN=/sys/fs/bpf/fwct-$$-foreign

lab_gateway
# Spare interfaces (veth: this kernel may lack dummy).
spare() {
	lab_in gw ip link add "$1" type veth peer name "$1p"
	lab_in gw ip link set "$1" up
	lab_in gw ip link set "$1p" up
}
for d in d1 d2 d3; do spare $d; done
xdp_of() { lab_in gw bpftool -j net show dev "$1" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2; }
# st IFACE: "EXIT first line of fwc status IFACE"
st() {
	local out rc
	out=$(fwc_gw status "$1" 2>&1) && rc=0 || rc=$?
	echo "$rc $(head -1 <<<"$out")"
}
enforcing() { fwc_gw status --json "$1" | sed -n 's/.*"enforcing":\([a-z]*\).*/\1/p'; }
# expect_state WHAT IFACE EXIT TEXT: fwc status IFACE exits EXIT and says TEXT.
expect_state() {
	local got
	got=$(st "$2")
	echo "      $got"
	expect_eq "$1: exit" "$3" "${got%% *}"
	check "$1: says \"$4\"" grep -qF -- "$4" <<<"$got"
}

echo "whole pins, attached: fine"
fwc_gw load "$A" d1 --mode generic >/dev/null
expect_state "loaded" d1 0 "d1: attached"
expect_eq "  enforcing" true "$(enforcing d1)"

echo "an unload killed between its detach and the removal of the pins"
bpftool link detach pinned "$FWC_BPFFS/d1/link"
expect_eq "  nothing runs on d1" "" "$(xdp_of d1)"
expect_state "detached, pins whole" d1 2 \
	"not enforcing: the program was detached but its pins remain (an interrupted unload?); run fwc unload d1 to clean up or fwc load again"
expect_eq "  enforcing" false "$(enforcing d1)"
check "  not blamed on a re-created interface" \
	bash -c "! nsenter --net=/run/netns/$(lab_ns gw) $FWC status d1 2>&1 | grep -q 'deleted and made again'"
echo "  ... and some of its pins removed too"
rm "$FWC_BPFFS/d1/counters" "$FWC_BPFFS/d1/prog"
expect_state "detached, pins partly gone" d1 2 \
	"not enforcing: pins missing: prog, counters, and no fwc program attached"
out=$(fwc_gw unload d1 2>&1) && rc=0 || rc=$?
expect_eq "  fwc unload cleans up: exit" 0 "$rc"
check "  the directory is gone" [ ! -e "$FWC_BPFFS/d1" ]

echo "a pin removed by hand while the program enforces"
fwc_gw load "$A" d1 --mode generic >/dev/null
prog=$(xdp_of d1)
rm "$FWC_BPFFS/d1/v6_range"
expect_state "v6_range gone" d1 2 \
	"enforcing, but pins missing: v6_range: fwc stats and a reload that carries counters and flows cannot work; fwc load again to repair"
expect_eq "  enforcing" true "$(enforcing d1)"
expect_eq "  the program still runs" "$prog" "$(xdp_of d1)"
rm "$FWC_BPFFS/d1/counters"
expect_state "counters gone too" d1 2 "enforcing, but pins missing: v6_range, counters:"
expect_eq "  fwc_interface_enforcing 1 all the same" 'fwc_interface_enforcing{iface="d1"} 1' \
	"$(fwc_gw stats --prometheus 2>/dev/null | grep 'enforcing{iface="d1"}' || true)"
out=$(fwc_gw load "$A" d1 --mode generic 2>&1) && rc=0 || rc=$?
expect_eq "  a reload repairs: exit" 0 "$rc"
expect_state "repaired" d1 0 "d1: attached"

echo "every pin removed by hand"
rm "$FWC_BPFFS"/d1/*
for _ in $(seq 50); do [ -z "$(xdp_of d1)" ] && break; sleep 0.1; done
expect_eq "  the link went with its pin: nothing runs" "" "$(xdp_of d1)"
expect_state "no pins, nothing attached" d1 2 \
	"not enforcing: nothing pinned and nothing attached"
fwc_gw unload d1 >/dev/null
check "  fwc unload removes the directory" [ ! -e "$FWC_BPFFS/d1" ]

echo "every pin removed, an fwc program still attached (its link pinned elsewhere)"
fwc_gw load "$A" d2 --mode generic >/dev/null
prog=$(xdp_of d2)
mkdir -p "$FOREIGN"
bpftool link pin pinned "$FWC_BPFFS/d2/link" "$FOREIGN/link"
rm "$FWC_BPFFS"/d2/*
expect_eq "  the program runs on" "$prog" "$(xdp_of d2)"
expect_state "no pins, fwc runs" d2 2 \
	"enforcing without pins: d2 runs XDP program $prog (fwc_xdp) but nothing of it is pinned"
expect_eq "  enforcing" true "$(enforcing d2)"
rm "$FOREIGN/link"
for _ in $(seq 50); do [ -z "$(xdp_of d2)" ] && break; sleep 0.1; done
fwc_gw unload d2 >/dev/null

echo "an interface deleted under its pins"
fwc_gw load "$A" d3 --mode generic >/dev/null
lab_in gw ip link del d3
for _ in $(seq 50); do
	[ "$(st d3 | cut -d' ' -f1)" = 2 ] && break
	sleep 0.1
done
expect_state "deleted" d3 2 "not enforcing: the interface is gone (deleted), its pins remain: fwc unload d3 removes them"
out=$(fwc_gw unload d3 2>&1) && rc=0 || rc=$?
expect_eq "  fwc unload removes them: exit" 0 "$rc"

expect_eq "at the end: nothing loaded, exit 0" "0 no fwc policy loaded (nothing pinned under $FWC_BPFFS)" \
	"$(out=$(fwc_gw status 2>&1) && rc=0 || rc=$?; echo "$rc $(head -1 <<<"$out")")"
e2e_done
