# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# Shared by the tests/e2e/*.sh scripts (sourced; not executable, so
# `make e2e-tests` does not run it). Each test gets its own namespace
# prefix fwct-$$-, its own pin root under /sys/fs/bpf, a temp dir, and a
# trap that removes all three whatever happens.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
FWC=$(realpath "${FWC:-$REPO/build/fwc}")
PROBE=${PROBE:-$(dirname "$FWC")/fwc-probe}
LAB_PREFIX="fwct-$$-"
export FWC_BPFFS="/sys/fs/bpf/fwct-$$"
TMP=$(mktemp -d /tmp/fwct-$$.XXXXXX)
# What loads keep to roll back to (fwc load --confirm): private too.
export FWC_STATE_DIR="$TMP/state"
E2E_FAILS=0
E2E_CHECKS=0
E2E_MOUNTS=()

# shellcheck source=lab.sh
. "$E2E_DIR/lab.sh"

for f in "$FWC" "$PROBE"; do
	[ -x "$f" ] || { echo "e2e: $f missing (make all build/fwc-probe)" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
	echo "e2e: needs root (namespaces, XDP, bpffs)" >&2
	exit 1
fi
lab_sweep_dead fwct

e2e_cleanup() {
	local rc=$? m
	set +e
	if [ -d "$FWC_BPFFS" ]; then
		lab_in gw "$FWC" unload --all >/dev/null 2>&1
		rm -rf "$FWC_BPFFS"
	fi
	for m in "${E2E_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null
	done
	rm -rf "/sys/fs/bpf/fwct-$$-foreign"
	lab_cleanup
	lab_cleanup_prefix
	rm -rf "$TMP"
	# Nothing may survive a test, passed or failed.
	lab_left_behind e2e "/sys/fs/bpf/fwct-$$*" && rc=1
	exit $rc
}
trap e2e_cleanup EXIT
trap 'exit 130' INT TERM

ok() {
	E2E_CHECKS=$((E2E_CHECKS + 1))
	echo "  ok   $*"
}

fail() {
	E2E_CHECKS=$((E2E_CHECKS + 1))
	E2E_FAILS=$((E2E_FAILS + 1))
	echo "  FAIL $*"
}

check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

expect_eq() { # expect_eq DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1: $3"; else fail "$1: expected $2, got $3"; fi
}

# Exit status of the test and its closing line (N passed, N failed).
e2e_done() {
	echo "$((E2E_CHECKS - E2E_FAILS)) passed, $E2E_FAILS failed"
	[ "$E2E_FAILS" -eq 0 ]
}

fwc_gw() { lab_in gw "$FWC" "$@"; }

# Connects from host NAME: tcp_try NAME SRC[:PORT] DST:PORT -> "connected"...
tcp_try() {
	lab_in "$1" "$PROBE" tcp --from "$2" --timeout 500 "$3" || true
}

# UDP exchange from host NAME: udp_try NAME SRC[:PORT] DST:PORT COUNT [SIZE]
# prints how many replies came back.
udp_try() {
	local out
	out=$(lab_in "$1" "$PROBE" udp --from "$2" --timeout 500 \
		--count "$4" --size "${5:-32}" "$3" || true)
	echo "$out" | sed -n 's/.* received \([0-9]*\) .*/\1/p'
}

# --- reading the pins with bpftool alone -------------------------------

# One line per element: the BTF-formatted part of `bpftool -j map dump`.
bpf_formatted() {
	bpftool -j map dump pinned "$1" | sed 's/"formatted":/\n/g' | tail -n +2
}

# Counter id whose label (in IFACE's labels map) is LABEL.
label_id() {
	bpf_formatted "$FWC_BPFFS/$1/labels" |
		sed -n 's/^{"key":\([0-9]*\),"value":{"text":"\([^"]*\)"}}.*/\1 \2/p' |
		awk -v l="$2" '{ id = $1; $1 = ""; sub(/^ /, ""); if ($0 == l) print id }'
}

# "PACKETS BYTES" of counter ID, from bpftool -j: its per-CPU values in
# counters, plus what earlier loads counted (carried, written by reloads).
counter() {
	{
		bpf_formatted "$FWC_BPFFS/$1/counters"
		[ ! -e "$FWC_BPFFS/$1/carried" ] ||
			bpf_formatted "$FWC_BPFFS/$1/carried"
	} | grep "^{\"key\":$2," |
		awk '{
			s = $0
			while (match(s, /"packets":[0-9]+,"bytes":[0-9]+/)) {
				split(substr(s, RSTART, RLENGTH), f, /[:,]/)
				p += f[2]; b += f[4]
				s = substr(s, RSTART + RLENGTH)
			}
		}
		END { print p + 0, b + 0 }'
}

# "PACKETS BYTES" of the rule labelled LABEL on IFACE.
counter_of() {
	local id
	id=$(label_id "$1" "$2")
	[ -n "$id" ] || { echo "none"; return; }
	counter "$1" "$id"
}

# Packets of LABEL as `fwc stats --json` reports them.
stats_packets() {
	fwc_gw stats --json | sed 's/},{/}\n{/g' |
		grep "\"label\":\"$1\"" | sed -n 's/.*"packets":\([0-9]*\),"bytes":\([0-9]*\).*/\1 \2/p'
}

# Field of the status JSON of IFACE (numbers and strings).
status_field() {
	fwc_gw status --json "$1" |
		sed -n "s/.*\"$2\":\"\\{0,1\\}\\([^\",]*\\).*/\\1/p"
}

# Pins in IFACE's directory, sorted, on one line.
pins_of() { ls "$FWC_BPFFS/$1" 2>/dev/null | tr '\n' ' '; }

# What XDP passes on the gateway's leg IFACE to UDP port PORT, counted by
# nftables at the next hook (netdev ingress sees every frame XDP passed,
# before anything else may drop it): xdp_passed_watch IFACE PORT, then
# xdp_passed prints "PACKETS BYTES".
xdp_passed_watch() {
	lab_in gw nft -f - <<EOF
table netdev fwct {
	chain passed {
		type filter hook ingress device "$1" priority 0; policy accept;
		udp dport $2 counter
	}
}
EOF
}
xdp_passed() {
	lab_in gw nft list table netdev fwct |
		sed -n 's/.*counter packets \([0-9]*\) bytes \([0-9]*\).*/\1 \2/p'
}
