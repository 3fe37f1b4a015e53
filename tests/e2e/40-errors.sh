#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Bad input at load. Policy A runs on leg cli. Each bad load must exit 2
# with a message that says what is wrong, and leave A enforcing exactly as
# before: same program on cli, same link, same pins (no temporary ones),
# and cli's traffic still filtered by A (443 passes, 8080 does not).
#   unknown interface, alone and beside a good one
#   policy with errors, policy file missing
#   bpffs: a directory that is not on bpffs, one that cannot be created,
#          a bpffs mounted read-only (reload onto a running leg)
#   kernel refusing: native XDP on a device without it (lo), beside the
#          running leg; an interface that runs someone else's XDP program;
#          a reload asking for another mode than the running one
#   an interface of the same name in another namespace sharing the pins
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"

A=$E2E_DIR/lab-a.pol
B=$E2E_DIR/lab-b.pol
CLI4=203.0.113.7 WEB4=192.0.2.10 DB4=198.51.100.10
FOREIGN=/sys/fs/bpf/fwct-$$-foreign

lab_gateway
lab_host cli $CLI4
lab_host web $WEB4
lab_host db $DB4
lab_serve web 120 tcp:$WEB4:443 tcp:$WEB4:8080
lab_serve db 120 tcp:$DB4:5432
lab_settle

xdp_of() { lab_in gw bpftool -j net show dev "$1" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2; }
state() { echo "prog $(xdp_of cli) link $(status_field cli link_id) sha $(status_field cli sha256 | cut -c1-12) pins: $(pins_of cli)"; }

fwc_gw load "$A" cli >/dev/null
BASE=$(state)
echo "policy A on cli: $BASE"

still_A() {
	expect_eq "  cli unchanged" "$BASE" "$(state)"
	expect_eq "  tcp cli -> web:443 passes" connected "$(tcp_try cli $CLI4 $WEB4:443)"
	expect_eq "  tcp cli -> web:8080 blocked" timeout "$(tcp_try cli $CLI4 $WEB4:8080)"
}

# bad_load DESCRIPTION PATTERN FWC-LOAD-ARGS...
bad_load() {
	local what=$1 pattern=$2 out rc
	shift 2
	echo "$what: fwc load $*"
	out=$(fwc_gw load "$@" 2>&1) && rc=0 || rc=$?
	echo "$out" | sed 's/^/      | /'
	expect_eq "  exit status" 2 "$rc"
	check "  message: $pattern" grep -q -- "$pattern" <<<"$out"
}

bad_load "unknown interface" "nosuch0: no such interface" "$B" nosuch0
still_A
bad_load "unknown interface beside a running one" "nosuch0: no such interface" \
	"$B" cli nosuch0
still_A

printf 'zone client = 203.0.113.7\nallow client -> any proto tcp port 99999\n' >"$TMP/bad.pol"
bad_load "policy with errors" "bad.pol:2:" "$TMP/bad.pol" cli
check "  says nothing was loaded" grep -q "not loaded" <<<"$(fwc_gw load "$TMP/bad.pol" cli 2>&1 || true)"
still_A
bad_load "policy file missing" "No such file" "$TMP/missing.pol" cli
still_A

mkdir "$TMP/plain"
bad_load "bpffs directory not on bpffs" "not on a bpf filesystem" \
	"$B" cli --bpffs "$TMP/plain"
still_A
bad_load "bpffs directory that cannot be created" "cannot create /proc/fwc" \
	"$B" cli --bpffs /proc/fwc
still_A

echo "read-only bpffs: policy A on web, pinned on a bpffs of our own"
mkdir "$TMP/robpf"
mount -t bpf bpf "$TMP/robpf"
E2E_MOUNTS+=("$TMP/robpf")
fwc_gw load "$A" web --bpffs "$TMP/robpf" >/dev/null
web_base="prog $(xdp_of web) pins $(ls "$TMP/robpf/web" | tr '\n' ' ')"
mount -o remount,ro "$TMP/robpf"
bad_load "reload onto web, its bpffs read-only" "Read-only file system" \
	"$B" web --bpffs "$TMP/robpf"
expect_eq "  web unchanged" "$web_base" \
	"prog $(xdp_of web) pins $(ls "$TMP/robpf/web" | tr '\n' ' ')"
expect_eq "  tcp web:50001 -> db:5432 passes (A)" connected \
	"$(tcp_try web $WEB4:50001 $DB4:5432)"
expect_eq "  tcp web:40000 -> db:5432 blocked (A)" timeout \
	"$(tcp_try web $WEB4:40000 $DB4:5432)"
mount -o remount,rw "$TMP/robpf"
fwc_gw unload web --bpffs "$TMP/robpf" >/dev/null
still_A

bad_load "kernel refuses native XDP on lo (loaded with cli)" \
	"lo: the driver does not support native XDP" "$B" cli lo --mode native
check "  nothing attached to lo" [ -z "$(xdp_of lo)" ]
still_A

echo "someone else's XDP program on db (bpftool net attach)"
mkdir -p "$FOREIGN"
bpftool prog load "$(dirname "$FWC")/fwc.bpf.o" "$FOREIGN/prog" type xdp
lab_in gw bpftool net attach xdpgeneric pinned "$FOREIGN/prog" dev db
foreign=$(xdp_of db)
bad_load "kernel refuses a second XDP program on db (loaded with cli)" \
	"db already runs an XDP program that fwc did not load (prog id $foreign)" \
	"$B" cli db
expect_eq "  db still runs the foreign program" "$foreign" "$(xdp_of db)"
still_A
lab_in gw bpftool net detach xdpgeneric dev db
rm -rf "$FOREIGN"

echo "an interface called cli in another namespace, same pin root"
ip netns add "$(lab_ns other)"
LAB_NS+=("$(lab_ns other)")
lab_in other ip link add name cli type veth peer name peer0
lab_in other ip link set cli up
out=$(lab_in other "$FWC" load "$B" cli 2>&1) && rc=0 || rc=$?
echo "$out" | sed 's/^/      | /'
expect_eq "  exit status" 2 "$rc"
check "  message: holds the link of another interface" \
	grep -q "holds the link of another interface" <<<"$out"
check "  nothing attached to the other cli" \
	bash -c "! nsenter --net=/run/netns/$(lab_ns other) ip link show cli | grep -q xdp"
out=$(lab_in other "$FWC" unload cli 2>&1) && rc=0 || rc=$?
echo "$out" | sed 's/^/      | /'
expect_eq "  fwc unload cli from there: exit status" 2 "$rc"
still_A

bad_load "reload asking for another mode" "cli runs fwc in native mode" \
	"$B" cli --mode generic
still_A
bad_load "bad --mode" "is not native, generic or auto" "$B" cli --mode turbo
still_A

echo "generic mode where asked: A on db"
fwc_gw load "$A" db --mode generic >/dev/null
expect_eq "  db mode" generic "$(status_field db mode)"
expect_eq "  tcp db -> web:443 blocked (no rule from db)" timeout \
	"$(tcp_try db $DB4 $WEB4:443)"
fwc_gw unload db >/dev/null
echo "auto mode on lo: native refused, generic with a warning"
out=$(fwc_gw load "$A" lo 2>&1)
echo "$out" | sed 's/^/      | /'
check "  warns and falls back" grep -q "warning: lo: native XDP failed.*using generic mode" <<<"$out"
expect_eq "  lo mode" generic "$(status_field lo mode)"
fwc_gw unload lo >/dev/null

expect_eq "no pins but cli's, none temporary" "cli" "$(ls "$FWC_BPFFS" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "no temporary pins" "" "$(ls "$FWC_BPFFS/cli" | grep -- -new || true)"

e2e_done
