#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/diff/nft-check.sh FWC FWC-DIFFPLAN
#
# Every ruleset `fwc compile --emit nft` writes must load: the emission of
# each shipped and test policy, and of many random ones (randpol.h; a
# quarter each with state off, state loose, timeouts, audit mode and
# logging), goes through `nft -c -f`
# in a scratch network namespace, so the host's ruleset is never touched.
# A few are loaded for real, twice (the file replaces its table), and
# listed back. A policy with rpc rules, which --emit nft refuses
# (nftables cannot follow the MS-RPC endpoint mapper), is checked with
# --rpc-fallback instead. Environment: NFT_CHECK_RANDOM (300),
# NFT_CHECK_SEED (1).
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 FWC FWC-DIFFPLAN" >&2
	exit 2
fi
FWC=$(realpath "$1")
PLAN=$(realpath "$2")
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N_RANDOM=${NFT_CHECK_RANDOM:-300}
SEED=${NFT_CHECK_SEED:-1}
NS="fwcn-$$"
TMP=$(mktemp -d "/tmp/fwcn-$$.XXXXXX")
FAILS=0
CHECKED=0

cleanup() {
	local rc=$?
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "nft-check: needs root (a network namespace)" >&2
	exit 1
fi
ip netns add "$NS"
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }

# emit POLICY: --emit nft to $TMP/out.nft; with --rpc-fallback when the
# policy's rpc rules are refused, and only then.
emit() {
	"$FWC" compile "$1" --emit nft -o "$TMP/out.nft" 2>"$TMP/err" && return
	grep -q 'uses rpc: nftables cannot follow the endpoint mapper' \
		"$TMP/err" || return 1
	"$FWC" compile "$1" --emit nft --rpc-fallback 49152-65535 \
		-o "$TMP/out.nft" 2>"$TMP/err"
}

# check NAME POLICY: the emission compiles in nft's check mode.
check() {
	CHECKED=$((CHECKED + 1))
	if ! emit "$2"; then
		# Random policies may be invalid; fwc said why, nft has no say.
		[ "${3:-}" = may-fail ] && { CHECKED=$((CHECKED - 1)); return; }
		echo "FAIL $1: fwc compile --emit nft failed: $(head -n 3 "$TMP/err")"
		FAILS=$((FAILS + 1))
		return
	fi
	if ! in_ns nft -c -f "$TMP/out.nft" 2>"$TMP/err"; then
		echo "FAIL $1: nft -c -f rejects the emission:"
		sed 's/^/    /' "$TMP/err" | head -n 12
		cp "$2" "$TMP/failed-$CHECKED.pol"
		FAILS=$((FAILS + 1))
	fi
}

for pol in "$REPO"/policies/*.pol "$REPO"/tests/e2e/*.pol \
	"$REPO"/tests/spec/*.pol "$REPO"/tests/diff/*.pol; do
	[ -e "$pol" ] || continue
	check "${pol#"$REPO"/}" "$pol"
done
shipped=$CHECKED

for ((i = 1; i <= N_RANDOM; i++)); do
	seed=$((SEED * 100000 + i))
	{
		case $((i % 4)) in
		1) echo "set state off" ;;
		2) echo "set state loose" ;;
		3) echo "set timeout tcp-established $((60 + i))"
		   echo "set timeout udp $((1 + i % 50))"
		   echo "set timeout icmp 7" ;;
		0) echo "set mode audit"
		   echo "set log default on"
		   echo "set log rate $((1 + i))" ;;
		esac
		"$PLAN" policy "$seed" $((1 + seed % 40))
	} >"$TMP/r.pol"
	check "random policy $seed" "$TMP/r.pol" may-fail
done

# Loaded for real, reloaded over itself, listed back with its counters.
for pol in "$REPO"/policies/passwordmgr.pol "$REPO"/tests/e2e/lab-a.pol; do
	emit "$pol"
	mv "$TMP/out.nft" "$TMP/real.nft"
	if in_ns nft -f "$TMP/real.nft" && in_ns nft -f "$TMP/real.nft" &&
		in_ns nft list table inet fwc | grep 'counter r0-default' >/dev/null; then
		:
	else
		echo "FAIL ${pol#"$REPO"/}: nft -f (twice) and nft list"
		FAILS=$((FAILS + 1))
	fi
done

echo "nft-check: $CHECKED emissions ($shipped shipped or test policies," \
	"$((CHECKED - shipped)) random) checked with nft -c, $FAILS failed"
[ "$FAILS" -eq 0 ]
