#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tests/policies/run.sh FWC_BINARY
#
# Checks every shipped policy (policies/*.pol) against its expected flows
# (tests/policies/NAME.flows):
#   1. "fwc check POLICY" exits 0 and prints no line containing "error";
#   2. for each line "VERDICT PACKET" of the flows file, "fwc test POLICY
#      'PACKET'" exits 0 for allow and 1 for deny, and prints a line whose
#      first three words are VERDICT, "rule" and a rule number;
#   3. all packets at once through "fwc test POLICY --packets -" give the
#      same verdicts, one verdict line per packet, in order (a packet's
#      MS-RPC pinhole line, indented, follows its verdict line: fwc(8));
#   4. the artifact of "fwc compile POLICY -o" gives the same output lines
#      through "fwc test ARTIFACT --packets -", and "fwc check ARTIFACT"
#      refuses it with one error line, exit 2.
# Prints one summary line per policy and a FAIL line for each mismatch;
# exits non-zero if anything failed. Needs only bash, coreutils and awk.

set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 FWC_BINARY" >&2
	exit 2
fi

fwc=$1
# Make a relative binary path absolute before changing directory.
case $fwc in
*/*)
	if [ ! -x "$fwc" ]; then
		echo "FAIL: $fwc is not an executable file" >&2
		exit 2
	fi
	fwc="$(cd "$(dirname "$fwc")" && pwd)/$(basename "$fwc")"
	;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root" || exit 2

tmp="$(mktemp -d)" || exit 2
trap 'rm -rf "$tmp"' EXIT

failures=0
npolicies=0

fail() {
	echo "FAIL $*"
	failures=$((failures + 1))
}

# First line of a file, then the first word of that line (empty if none).
first_word() {
	awk 'NR == 1 { print $1; exit }' "$1"
}

for pol in policies/*.pol; do
	[ -e "$pol" ] || continue
	npolicies=$((npolicies + 1))
	name="$(basename "$pol" .pol)"
	flows="tests/policies/$name.flows"
	bad=0

	# 1. The policy compiles cleanly.
	"$fwc" check "$pol" >"$tmp/check.out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name: fwc check $pol exited $rc, expected 0:"
		sed 's/^/    /' "$tmp/check.out"
		bad=$((bad + 1))
	elif grep -qi 'error' "$tmp/check.out"; then
		fail "$name: fwc check $pol printed an error:"
		grep -i 'error' "$tmp/check.out" | sed 's/^/    /'
		bad=$((bad + 1))
	fi

	if [ ! -f "$flows" ]; then
		fail "$name: no expected flows file $flows"
		echo "$name: FAILED (no flows file)"
		continue
	fi

	# Parse the flows file: "VERDICT PACKET", comments and blank lines
	# skipped. Produces lines "LINENO<TAB>VERDICT<TAB>PACKET".
	awk '
		{ sub(/#.*/, ""); gsub(/^[ \t]+|[ \t]+$/, "") }
		$0 == "" { next }
		{
			v = $1
			pkt = $0
			sub(/^[^ \t]+[ \t]+/, "", pkt)
			if ((v != "allow" && v != "deny") || NF < 2)
				printf "%d\tBAD\t%s\n", NR, $0
			else
				printf "%d\t%s\t%s\n", NR, v, pkt
		}
	' "$flows" >"$tmp/flows.tsv"

	n=0
	: >"$tmp/packets"
	: >"$tmp/expected"
	while IFS=$'\t' read -r lineno want pkt; do
		if [ "$want" = BAD ]; then
			fail "$name: $flows:$lineno: malformed line '$pkt'" \
				"(expected 'allow|deny PACKET')"
			bad=$((bad + 1))
			continue
		fi
		n=$((n + 1))
		printf '%s\n' "$pkt" >>"$tmp/packets"
		printf '%s\t%s\n' "$want" "$pkt" >>"$tmp/expected"

		# 2. One packet at a time.
		"$fwc" test "$pol" "$pkt" >"$tmp/test.out" 2>"$tmp/test.err"
		rc=$?
		got="$(first_word "$tmp/test.out")"
		line1="$(head -n 1 "$tmp/test.out")"
		case $want in
		allow) want_rc=0 ;;
		*) want_rc=1 ;;
		esac
		if [ "$got" != "$want" ] || [ "$rc" -ne "$want_rc" ]; then
			fail "$name: $flows:$lineno: '$pkt': expected $want" \
				"(exit $want_rc), got '${got:-nothing}'" \
				"(exit $rc): ${line1:-$(head -n 1 "$tmp/test.err")}"
			bad=$((bad + 1))
		elif ! awk 'NR == 1 { exit !($2 == "rule" && $3 ~ /^[0-9]+$/) }' \
			"$tmp/test.out"; then
			fail "$name: $flows:$lineno: '$pkt': verdict line" \
				"'$line1' is not 'VERDICT rule N ...'"
			bad=$((bad + 1))
		fi
	done <"$tmp/flows.tsv"

	if [ "$n" -eq 0 ]; then
		fail "$name: $flows has no flows"
		bad=$((bad + 1))
	fi

	# 3. All packets at once, in order.
	if [ "$n" -gt 0 ]; then
		"$fwc" test "$pol" --packets - <"$tmp/packets" \
			>"$tmp/batch.out" 2>"$tmp/batch.err"
		rc=$?
		if [ "$rc" -ne 0 ]; then
			fail "$name: fwc test $pol --packets - exited $rc," \
				"expected 0: $(head -n 1 "$tmp/batch.err")"
			bad=$((bad + 1))
		fi
		# Verdict lines start in column 1; an indented line (a pinhole
		# note) belongs to the verdict line above it.
		got_lines=$(awk '!/^[ \t]/ { n++ } END { print n + 0 }' \
			"$tmp/batch.out")
		if [ "$got_lines" -ne "$n" ]; then
			fail "$name: fwc test $pol --packets - printed" \
				"$got_lines verdict lines for $n packets"
			bad=$((bad + 1))
		fi
		# Pair expected verdicts with verdict lines, in order.
		mism="$(awk -F'\t' '
			NR == FNR { want[FNR] = $1; pkt[FNR] = $2; n = FNR; next }
			/^[ \t]/ { next }
			{
				k++
				got = (split($0, w, " ") > 0) ? w[1] : ""
				if (k <= n && got != want[k])
					printf "%s: expected %s, got %s (--packets, verdict %d of output: %s)\n", \
						pkt[k], want[k], (got == "" ? "nothing" : got), k, $0
			}
		' "$tmp/expected" "$tmp/batch.out")"
		if [ -n "$mism" ]; then
			while IFS= read -r m; do
				fail "$name: $m"
				bad=$((bad + 1))
			done <<<"$mism"
		fi
	fi

	# 4. The artifact classifies as the source does.
	if [ "$n" -gt 0 ]; then
		if ! "$fwc" compile "$pol" -o "$tmp/a.fwca" >/dev/null; then
			fail "$name: fwc compile $pol -o failed"
			bad=$((bad + 1))
		elif ! "$fwc" test "$tmp/a.fwca" --packets - <"$tmp/packets" \
			>"$tmp/art.out" 2>"$tmp/art.err" ||
			! cmp -s "$tmp/batch.out" "$tmp/art.out"; then
			fail "$name: the artifact's verdicts differ from the" \
				"source's: $(diff "$tmp/batch.out" "$tmp/art.out" |
					head -n 3 | tr '\n' ' ')$(head -n 1 "$tmp/art.err")"
			bad=$((bad + 1))
		fi
		"$fwc" check "$tmp/a.fwca" >/dev/null 2>"$tmp/art.err"
		rc=$?
		if [ "$rc" -ne 2 ] || [ "$(wc -l <"$tmp/art.err")" -ne 1 ] ||
			! grep -q 'compiled artifact' "$tmp/art.err"; then
			fail "$name: fwc check ARTIFACT: exit $rc," \
				"$(head -n 1 "$tmp/art.err")"
			bad=$((bad + 1))
		fi
	fi

	if [ "$bad" -eq 0 ]; then
		echo "$name: $n flows ok"
	else
		echo "$name: FAILED ($bad problem(s), $n flows)"
	fi
done

if [ "$npolicies" -eq 0 ]; then
	echo "FAIL: no policies/*.pol found in $root"
	exit 1
fi
if [ "$failures" -ne 0 ]; then
	echo "policy tests: $failures failure(s)"
	exit 1
fi
exit 0
