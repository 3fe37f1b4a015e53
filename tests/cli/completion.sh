#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/cli/completion.sh FWC: the script of 'fwc completion bash', sourced
# in a bash without root, completes what the option tables say.
set -eu

fwc=${1:?usage: tests/cli/completion.sh FWC}
dir=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

"$fwc" completion bash >"$tmp/fwc.bash"
bash -n "$tmp/fwc.bash"

comp() { # comp WORD... (the last is being completed): the candidates
	(cd "$dir" && FWC_BPFFS="$tmp/bpffs" FWC_CONF="$tmp/fwc.conf" \
		bash --norc --noprofile -c '
		. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _fwc 2>/dev/null; ((${#COMPREPLY[@]})) || exit 0
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		"$tmp/fwc.bash" "$@")
}

expect() { # expect WHAT WANT WORD...
	local what=$1 want=$2 got
	shift 2
	got=$(comp "$@")
	if [ "$got" = "$want" ]; then
		echo "ok   $what"
	else
		echo "FAIL $what: want '$want', got '$got'"
		fails=$((fails + 1))
	fi
}

mkdir -p "$tmp/bpffs/eth1" "$tmp/bpffs/eth0:100"
printf 'gateway passwordmgr.pol eth1 eth2\n' >"$tmp/fwc.conf"

expect "fwc lo<TAB>" "load log " fwc lo
expect "fwc load --fl<TAB>" "--flush-flows " fwc load --fl
expect "fwc stats --w<TAB>: no --wait" "--watch " fwc stats --w
expect "fwc log -<TAB>" "--bpffs --follow --help --json -f " fwc log -
expect "fwc load --mode <TAB>" "auto generic native " fwc load --mode ""
expect "fwc stats --sort <TAB>" "bytes packets rate rule " fwc stats --sort ""
expect "fwc compile x.pol --emit <TAB>" "nft " fwc compile x.pol --emit ""
expect "fwc compile x.pol --layout <TAB>" "auto groups single " \
	fwc compile x.pol --layout ""
expect "fwc check --layout g<TAB>" "groups " fwc check --layout g
expect "fwc status --mo<TAB>: not its option" "" fwc status --mo
expect "fwc unload <TAB>: pinned (eth0:100 is eth0.100)" "eth0.100 eth1 " \
	fwc unload ""
expect "fwc graph p.pol --stats <TAB>" "eth0.100 eth1 " fwc graph p.pol --stats ""
expect "fwc load --instance <TAB>" "gateway " fwc load --instance ""
expect "fwc check <TAB>: policy files" \
	"tests/e2e/lab-a.pol tests/e2e/lab-b.pol " fwc check tests/e2e/lab-
expect "fwc diff a.pol <TAB>: a second policy" \
	"tests/e2e/lab-a.pol tests/e2e/lab-b.pol " fwc diff a.pol tests/e2e/lab-
expect "fwc check p.pol <TAB>: one policy only" "" fwc check p.pol tests/e2e/lab-
expect "fwc load --bpffs D p.pol l<TAB>: interfaces" "lo " \
	fwc load --bpffs /x tests/e2e/lab-a.pol l
expect "fwc completion <TAB>" "bash " fwc completion ""
expect "fwc __<TAB>: hidden" "" fwc __

# Every command of the tables, and every option of each, completes.
for c in $("$fwc" __options | awk 'NF == 1'); do
	want=$("$fwc" __options | awk -v c="$c" '$1 == c && NF == 2 { print $2 }' |
		sort | tr '\n' ' ')
	got=$(comp fwc "$c" - | tr ' ' '\n' | grep -vx -- --help | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || { echo "FAIL fwc $c -<TAB>: '$got', tables '$want'"; fails=$((fails + 1)); }
	comp fwc "${c%?}" | grep -qw -- "$c" ||
		{ echo "FAIL fwc ${c%?}<TAB> lacks $c"; fails=$((fails + 1)); }
done

[ "$fails" = 0 ] || { echo "completion: $fails failed"; exit 1; }
echo "completion: all passed"
