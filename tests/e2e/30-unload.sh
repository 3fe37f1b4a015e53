#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Unload. One load on two legs (cli, web) shares one program; unloading
# cli detaches it there (bpftool net show, ip link), removes cli's pins and
# lets cli's traffic through, while web keeps enforcing (so web's replies
# to a flow cli's leg no longer tracks are still judged there). Unloading web then
# removes the last pins: the program and its maps are freed by the kernel.
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"

A=$E2E_DIR/lab-a.pol
CLI4=203.0.113.7 WEB4=192.0.2.10 DB4=198.51.100.10

lab_gateway
lab_host cli $CLI4
lab_host web $WEB4
lab_host db $DB4
lab_serve web 120 tcp:$WEB4:8080
lab_serve db 120 tcp:$DB4:5432
lab_settle

xdp_of() { lab_in gw bpftool -j net show dev "$1" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2; }
gone() { # gone prog|map ID: freed within 2 s (freeing is deferred)
	for _ in $(seq 20); do
		bpftool "$1" show id "$2" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	return 1
}

fwc_gw load "$A" cli web >/dev/null
prog=$(status_field cli prog_id)
maps=
for pin in "$FWC_BPFFS"/cli/*; do
	case ${pin##*/} in prog | link) continue ;; esac
	maps+=" $(bpftool -j map show pinned "$pin" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)"
done
echo "loaded on cli and web: prog $prog, pinned maps$maps"
expect_eq "cli runs it" "$prog" "$(xdp_of cli)"
expect_eq "web runs it" "$prog" "$(xdp_of web)"
expect_eq "tcp cli -> web:8080 blocked" timeout "$(tcp_try cli $CLI4 $WEB4:8080)"
expect_eq "tcp cli -> db:5432 blocked" timeout "$(tcp_try cli $CLI4 $DB4:5432)"
expect_eq "tcp web:40000 -> db:5432 blocked" timeout "$(tcp_try web $WEB4:40000 $DB4:5432)"

echo "fwc unload cli"
fwc_gw unload cli
expect_eq "unload exit status" 0 $?
check "cli's pin directory removed" [ ! -e "$FWC_BPFFS/cli" ]
expect_eq "bpftool net show: no XDP on cli" "" "$(xdp_of cli)"
check "ip link: no xdp on cli" bash -c "! nsenter --net=/run/netns/$(lab_ns gw) ip link show cli | grep -q xdp"
expect_eq "tcp cli -> db:5432 passes now (db's leg enforces nothing)" \
	connected "$(tcp_try cli $CLI4 $DB4:5432)"
expect_eq "tcp cli -> web:8080: web's leg still drops its reply (no flow)" \
	timeout "$(tcp_try cli $CLI4 $WEB4:8080)"
expect_eq "web still runs the program" "$prog" "$(xdp_of web)"
expect_eq "tcp web:40000 -> db:5432 still blocked" timeout "$(tcp_try web $WEB4:40000 $DB4:5432)"
expect_eq "status lists web only" web \
	"$(fwc_gw status --json | grep -o '"interface":"[^"]*"' | cut -d'"' -f4 | tr '\n' ' ' | sed 's/ $//')"
check "web's info no longer lists cli" bash -c \
	"! bpftool map dump pinned '$FWC_BPFFS/web/info' | grep -q '\"name\": \"cli\"'"

echo "fwc unload web"
fwc_gw unload web
check "web's pin directory removed" [ ! -e "$FWC_BPFFS/web" ]
expect_eq "pin root empty" "" "$(ls -A "$FWC_BPFFS")"
expect_eq "bpftool net show: no XDP on web" "" "$(xdp_of web)"
expect_eq "tcp web:40000 -> db:5432 passes now" connected "$(tcp_try web $WEB4:40000 $DB4:5432)"
check "program $prog freed" gone prog "$prog"
for m in $maps; do
	check "map $m freed" gone map "$m"
done
expect_eq "status: nothing loaded" "[]" "$(fwc_gw status --json)"

echo "an interface name with a dot (VLAN style): bpffs refuses dots in names"
lab_in gw ip link add name dot.5 type veth peer name dot5p
lab_in gw ip link set dot.5 up
fwc_gw load "$A" dot.5 >/dev/null
check "pinned as dot:5" [ -e "$FWC_BPFFS/dot:5/link" ]
expect_eq "status names dot.5" dot.5 \
	"$(fwc_gw status --json | grep -o '"interface":"[^"]*"' | cut -d'"' -f4)"
expect_eq "runs on dot.5" "$(status_field dot.5 prog_id)" "$(xdp_of dot.5)"
fwc_gw unload dot.5 >/dev/null
check "dot:5 removed" [ ! -e "$FWC_BPFFS/dot:5" ]
expect_eq "no XDP on dot.5" "" "$(xdp_of dot.5)"

echo "unload what is not loaded"
out=$(fwc_gw unload web 2>&1) && rc=0 || rc=$?
expect_eq "exit status" 2 "$rc"
echo "    $out"
check "message says nothing is loaded" grep -q "no fwc policy loaded" <<<"$out"

e2e_done
