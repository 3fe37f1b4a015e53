#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/cli/rpc-tools.sh FWC: what the commands that read policies say of
# rpc rules (issue 12, docs/rpc-pinholes.md), as a user sees it: exit
# codes, messages, files written or not. fwc compile --emit nft and
# --rpc-fallback, fwc test (text, --json, --packets, an artifact), fwc
# diff, fwc matrix. The logic has its units (test_nft, test_analyze,
# test_diff, test_rpc_tools); this checks the command lines around it.
set -eu

fwc=${1:?usage: tests/cli/rpc-tools.sh FWC}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

ok() { echo "ok   $1"; }
bad() {
	echo "FAIL $1"
	fails=$((fails + 1))
}

# run WHAT WANT-RC CMD...: stdout to $tmp/out, stderr to $tmp/err.
run() {
	local what=$1 want=$2 rc=0
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$what: exit $rc"
	else
		bad "$what: exit $rc, want $want"
		sed 's/^/    /' "$tmp/err" | head -n 5
	fi
}

# has WHAT FILE TEXT: TEXT (fixed string, may span lines) is in FILE.
has() {
	if python3 -c 'import sys; sys.exit(sys.argv[2] not in open(sys.argv[1]).read())' "$2" "$3"; then
		ok "$1"
	else
		bad "$1: no '$3' in:"
		sed 's/^/    /' "$2" | head -n 20
	fi
}

lacks() {
	if grep -qF -- "$3" "$2"; then
		bad "$1: unexpected '$3'"
	else
		ok "$1"
	fi
}

json() { # json WHAT FILE: FILE is one JSON document
	if python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$2"; then
		ok "$1: valid JSON"
	else
		bad "$1: not JSON"
		sed 's/^/    /' "$2" | head -n 5
	fi
}

cat >"$tmp/p.pol" <<'EOF'
zone backend = 10.1.0.0/24
zone dc = 10.2.0.10
service ad-rpc = rpc { drsuapi, netlogon, samr, lsarpc }
allow backend -> dc proto tcp port 443
allow backend -> dc service ad-rpc label "ad-rpc"
EOF
sed 's/netlogon, //' "$tmp/p.pol" >"$tmp/q.pol"

# --emit nft: refused, with the rule's place, and nothing written.
run "emit nft of an rpc rule" 2 "$fwc" compile "$tmp/p.pol" --emit nft -o "$tmp/p.nft"
has "the refusal names the rule" "$tmp/err" "$tmp/p.pol:5:1: error: rule 2 uses rpc: nftables cannot follow the endpoint mapper; give --rpc-fallback LO-HI to open that range instead (weaker)
  allow backend -> dc service ad-rpc label \"ad-rpc\"
  ^"
if [ -e "$tmp/p.nft" ]; then
	bad "a refused emission wrote -o FILE"
else
	ok "nothing written"
fi

run "emit nft --rpc-fallback" 0 "$fwc" compile "$tmp/p.pol" --emit nft --rpc-fallback 49152-65535 -o "$tmp/p.nft"
has "the fallback rule" "$tmp/p.nft" "# rule 2: rpc fallback (--rpc-fallback 49152-65535)"
has "the fallback range" "$tmp/p.nft" "ip saddr 10.1.0.0/24 ip daddr 10.2.0.10 tcp dport 49152-65535 counter name \"r2-ad-rpc\" ct mark set 2 accept"
has "its TCP 135" "$tmp/p.nft" "tcp dport 135 counter name \"r2-ad-rpc\""
for r in 0-10 10-5 70000 x 100- -5 1-65536; do
	run "--rpc-fallback $r" 2 "$fwc" compile "$tmp/p.pol" --emit nft --rpc-fallback "$r"
done
has "a bad range says why" "$tmp/err" "expected LO-HI or PORT"
run "--rpc-fallback without --emit nft" 2 "$fwc" compile "$tmp/p.pol" --rpc-fallback 1024-65535
run "--rpc-fallback one port" 0 "$fwc" compile "$tmp/p.pol" --emit nft --rpc-fallback 49155
has "one port" "$tmp/out" "tcp dport 49155 counter"

# fwc test: a pinhole's port, the EPM itself, from source and artifact.
run "compile -o" 0 "$fwc" compile "$tmp/p.pol" -o "$tmp/p.fwca"
for src in p.pol p.fwca; do
	run "test $src :49154 (denied)" 1 "$fwc" test "$tmp/$src" 'tcp 10.1.0.5:50000 -> 10.2.0.10:49154'
	has "test $src :49154" "$tmp/out" "deny rule 0 (default deny)
  closed, except through a pinhole of rule 2 (ad-rpc): rpc { drsuapi v4, netlogon v1, samr v1, lsarpc v0 } port 1024-65535
"
	run "test $src :135" 0 "$fwc" test "$tmp/$src" 'tcp 10.1.0.5:50000 -> 10.2.0.10:135'
	has "test $src :135" "$tmp/out" "  its endpoint mapper answers open pinholes for rpc { drsuapi v4, netlogon v1, samr v1, lsarpc v0 } port 1024-65535"
	run "test $src :1000" 1 "$fwc" test "$tmp/$src" 'tcp 10.1.0.5:50000 -> 10.2.0.10:1000'
	lacks "test $src :1000 (below the bounds)" "$tmp/out" "pinhole"
	run "test $src --json" 1 "$fwc" test --json "$tmp/$src" 'tcp 10.1.0.5:50000 -> 10.2.0.10:49154'
	json "test $src --json" "$tmp/out"
	has "test $src --json pinhole" "$tmp/out" '"pinhole": {"rule": 2, "line": 5, "label": "ad-rpc"'
	has "test $src --json interfaces" "$tmp/out" '{"name": "samr", "uuid": "12345778-1234-abcd-ef00-0123456789ac", "major": 1, "port_lo": 1024, "port_hi": 65535}'
done
run "test -r" 1 "$fwc" test -r "$tmp/p.pol" 'tcp 10.1.0.5:50000 -> 10.2.0.10:49154'
has "test -r" "$tmp/out" "closed, except through a pinhole of rule 2 (ad-rpc)"
printf 'tcp 10.1.0.5 -> 10.2.0.10:135\nnonsense\n' >"$tmp/pk"
run "test --json --packets" 2 "$fwc" test --json "$tmp/p.pol" --packets "$tmp/pk"
json "test --json --packets" "$tmp/out"
has "--packets: opens" "$tmp/out" '"opens": {"rpc": "rpc { drsuapi v4'
has "--packets: the bad line" "$tmp/out" '{"line": 2, "error": '

# fwc diff: an interface less is a change, not an equivalence.
run "diff of interfaces" 1 "$fwc" diff "$tmp/p.pol" "$tmp/q.pol"
has "diff shows the pinholes" "$tmp/out" "tcp dport 135: allow, pinholes rpc { drsuapi v4, netlogon v1, samr v1, lsarpc v0 } port 1024-65535 -> rpc { drsuapi v4, samr v1, lsarpc v0 } port 1024-65535"
has "diff counts it" "$tmp/out" "1 region change verdict or pinholes"
run "diff --json" 1 "$fwc" diff --json "$tmp/p.pol" "$tmp/q.pol"
json "diff --json" "$tmp/out"
run "diff of the same" 0 "$fwc" diff "$tmp/p.pol" "$tmp/p.pol"

# fwc matrix: rpc { ... }, not tcp 135.
run "matrix" 0 "$fwc" matrix "$tmp/p.pol"
has "matrix shows rpc" "$tmp/out" "ad-rpc (rpc { drsuapi, netlogon, samr, lsarpc })"

if [ "$fails" -ne 0 ]; then
	echo "rpc-tools: $fails failed"
	exit 1
fi
echo "rpc-tools: all passed"
