#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# make demo-rpc: an MS-RPC pinhole opening, on a real Samba AD DC.
#
#   tools/demo-rpc.sh [FWC]     build the lab, load a policy with an rpc
#                               rule on both gateway legs, run a client,
#                               show fwc pinholes and the counters, remove
#                               the lab
#   tools/demo-rpc.sh --clean   remove a lab left by a killed run
#
# The lab of tests/e2e/rpclab.sh: a client namespace (192.0.2.10), the
# gateway (fwc on both legs), a server namespace running a Samba AD DC
# (198.51.100.10; one samba-tool domain provision, a few seconds). The
# client asks the DC's endpoint mapper (TCP 135) where samr listens, and
# calls it on that port: fwc read the answer and opened just that port,
# for that client, for a while. drsuapi, not in the rule, stays closed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_PREFIX=fwcdemo-rpc-
# Every fwc command below pins, and reads pins, there.
export FWC_BPFFS=/sys/fs/bpf/fwcdemo-rpc
RPC_STATE=/tmp/fwcdemo-rpc
export FWC_STATE_DIR=/run/fwcdemo-rpc
CLEAN=0
FWC=

for a in "$@"; do
	case $a in
	--clean) CLEAN=1 ;;
	-h | --help)
		sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) FWC=$a ;;
	esac
done

# shellcheck source=../tests/e2e/lab.sh
. "$ROOT/tests/e2e/lab.sh"
# shellcheck source=../tests/e2e/rpclab.sh
. "$ROOT/tests/e2e/rpclab.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "demo-rpc: needs root (network namespaces, XDP, bpffs)" >&2
	exit 1
fi
FWC=$(realpath "${FWC:-$ROOT/build/fwc}")

fwc_gw() { lab_in gw "$FWC" "$@"; }

clean() {
	rpclab_dc_stop
	if [ -d "$FWC_BPFFS" ]; then
		if [ -x "$FWC" ] && [ -e "/run/netns/$(lab_ns gw)" ]; then
			fwc_gw unload --all >/dev/null || true
		fi
		rm -rf "$FWC_BPFFS"
	fi
	# A killed run's DC: whatever still runs in the server namespace.
	lab_cleanup_prefix
	lab_cleanup
	rm -rf "$FWC_STATE_DIR" "$RPC_STATE"
}

if [ "$CLEAN" = 1 ]; then
	(set +e; clean)
	echo "demo-rpc: lab removed"
	exit 0
fi
[ -x "$FWC" ] || { echo "demo-rpc: $FWC missing: run make" >&2; exit 1; }
rpclab_deps
trap 'set +e; clean' EXIT
trap 'exit 130' INT TERM
# What a killed run left would clash with this one.
(set +e; clean)
mkdir -p "$RPC_STATE"
RPC_T0=$(date +%s.%N)

rpclab_say "lab: ${LAB_PREFIX}cli ($RPC_A) -- ${LAB_PREFIX}gw (fwc) -- ${LAB_PREFIX}srv ($RPC_DC, Samba AD DC)"
rpclab_net
rpclab_provision
rpclab_dc_start
rpclab_dc_ready samr drsuapi
rpclab_say "the DC is up: its endpoint mapper on 135, its services on $(
	lab_in srv ss -Hltn | awk '{ print $4 }' | grep "^$RPC_DC:49" |
		sed 's/.*://' | sort -n | tr '\n' ' ')"

cat >"$RPC_STATE/demo.pol" <<EOF
set timeout rpc-pinhole 30
zone client = $RPC_A
zone dc     = $RPC_DC
allow client -> dc rpc { samr, netlogon } label "ad-rpc"
EOF
echo
echo "== the policy"
sed 's/^/   /' "$RPC_STATE/demo.pol"
echo
echo "== fwc load demo.pol cli srv   (in ${LAB_PREFIX}gw, pins under $FWC_BPFFS)"
fwc_gw load "$RPC_STATE/demo.pol" cli srv
echo
echo "   No rule opens 49152-65535: the rule admits TCP 135 and reads the"
echo "   endpoint mapper's answers on it."
echo
echo "== the client: ept_map(samr) on 135, then SamrConnect/EnumDomains on the port"
rpc_client samr --timeout 2 | sed 's/^/   /' || true
echo
echo "== fwc pinholes"
fwc_gw pinholes | sed 's/^/   /'
echo
echo "== drsuapi is not in the rule: the endpoint mapper answers, the port stays closed"
rpc_client drsuapi --timeout 2 | sed 's/^/   /' || true
echo
echo "== fwc stats   (the rule, default deny, the pinhole counters)"
fwc_gw stats | grep -E "sha256| id |ad-rpc|default|rpc-" | sed 's/^/   /'
echo
rpclab_say "removing the lab"
