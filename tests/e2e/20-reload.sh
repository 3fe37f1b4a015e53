#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Reload while traffic flows. A background sender exchanges 3000 numbered
# UDP datagrams (one per ms) with the web host through the enforcing leg
# while the policy is swapped three times (A -> B as an artifact of
# `fwc compile -o` -> A -> B). Checks: not one datagram lost (no gap: the
# link always runs a program), the surviving rule's counter equals every
# datagram sent before and during the reloads (counters carried over, by
# label and by rule text, across changed rule ids), the new verdicts apply,
# the link stays the same object (bpf_link_update) while the program
# changes, and no temporary pins are left.
set -euo pipefail
# shellcheck source=tests/e2e/common.sh
. "$(dirname "$0")/common.sh"

A=$E2E_DIR/lab-a.pol
B=$E2E_DIR/lab-b.pol
CLI4=203.0.113.7 WEB4=192.0.2.10
N=3000
FRAME=$((14 + 20 + 8 + 64))

lab_gateway
lab_host cli $CLI4
lab_host web $WEB4
lab_serve web 120 tcp:$WEB4:443 udp:$WEB4:7001 udp:$WEB4:7003 udp:$WEB4:7004
lab_settle
"$FWC" compile "$B" -o "$TMP/b.fwc" >/dev/null

fwc_gw load "$A" cli >/dev/null
echo "policy A on cli: traffic before the reloads"
expect_eq "udp 7001 x10 (echo)" 10 "$(udp_try cli $CLI4 $WEB4:7001 10 64)"
expect_eq "udp 7004 x4 (unlabelled rule 7)" 4 "$(udp_try cli $CLI4 $WEB4:7004 4 64)"
expect_eq "udp 7003 x3 (default deny in A)" 0 "$(udp_try cli $CLI4 $WEB4:7003 3 64)"
expect_eq "tcp 443 (https)" connected "$(tcp_try cli $CLI4 $WEB4:443)"
link_a=$(status_field cli link_id)
prog_a=$(status_field cli prog_id)
# A map an older fwc pinned and this one has not (ABI 7's gmask): the
# reloads remove it (the pin list below is exact).
bpftool map pin pinned "$FWC_BPFFS/cli/meta" "$FWC_BPFFS/cli/gmask"

echo "sender: $N datagrams, 1 ms apart; three reloads while it runs"
lab_in cli "$PROBE" udp --from $CLI4 --count $N --interval 1 --size 64 \
	--timeout 1000 $WEB4:7001 >"$TMP/sender" 2>&1 &
sender=$!
LAB_PIDS+=("$sender")
for pol in "$TMP/b.fwc" "$A" "$TMP/b.fwc"; do
	sleep 0.6
	t0=$(date +%s%N)
	fwc_gw load "$pol" cli | sed 's/^/    /'
	t1=$(date +%s%N)
	echo "    fwc load took $(((t1 - t0) / 1000000)) ms"
done
wait "$sender" || true
echo "    sender: $(cat "$TMP/sender")"
read -r _ sent _ got _ _ _ run _ gap <"$TMP/sender"
expect_eq "datagrams sent" $N "$sent"
expect_eq "replies received (none lost across 3 swaps)" $N "$got"
expect_eq "longest run of lost datagrams" 0 "$run"
echo "  info largest gap between two replies: $gap ms (sender interval 1 ms)"

echo "after the reloads: policy B"
expect_eq "echo counter carried over by label: 10 + $N" \
	"$((10 + N)) $(((10 + N) * FRAME))" "$(counter_of cli echo)"
id7004=$(label_id cli "allow client -> web proto udp port 7004")
expect_eq "unlabelled rule moved from id 7 to id 1" 1 "$id7004"
expect_eq "its counter carried over by rule text" "4 $((4 * FRAME))" \
	"$(counter cli "$id7004")"
expect_eq "new-echo (gone in A, back in B) starts from 0" "0 0" \
	"$(counter_of cli new-echo)"
expect_eq "udp 7003 x3 now allowed (new-echo)" 3 "$(udp_try cli $CLI4 $WEB4:7003 3 64)"
expect_eq "new-echo counted them" 3 "$(counter_of cli new-echo | cut -d' ' -f1)"
expect_eq "tcp 443 now denied (https-off)" timeout "$(tcp_try cli $CLI4 $WEB4:443)"
expect_eq "https-off counted one SYN" 1 "$(counter_of cli https-off | cut -d' ' -f1)"
expect_eq "https (A only) has no counter in B" none "$(counter_of cli https)"
dflt=$(counter cli 0 | cut -d' ' -f1)
check "default deny kept A's 3 denied datagrams (got $dflt)" [ "$dflt" -ge 3 ]

echo "the same link, another program; pins complete"
expect_eq "link id unchanged (bpf_link_update)" "$link_a" "$(status_field cli link_id)"
prog_b=$(status_field cli prog_id)
check "program replaced ($prog_a -> $prog_b)" [ "$prog_a" != "$prog_b" ]
expect_eq "kernel runs the pinned program" "$prog_b" \
	"$(lab_in gw bpftool -j net show dev cli | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)"
expect_eq "status policy is the artifact" "$TMP/b.fwc" "$(status_field cli policy)"
expect_eq "status sha256 is B's text" "$(sha256sum "$B" | cut -d' ' -f1)" \
	"$(status_field cli sha256)"
expect_eq "no temporary pins left" "" "$(ls "$FWC_BPFFS/cli" | grep -- -new || true)"
expect_eq "pins" "addr_class carried chunks counters ct ct_remap decision epm_calls events frags glist gmap groups info l4 labels link log_state meta pair pinfo pinhole_ports pinholes prog proto rpc_ifaces rule_meta rules slots svc v4_root v6_lpm v6_range v6_root " \
	"$(pins_of cli)"

e2e_done
