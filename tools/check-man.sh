#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tools/check-man.sh FWC [MANPAGE]: fwc(8) against the option tables of
# cli/ (fwc __options prints them: "CMD" and "CMD --opt", "CMD -o").
# Every command has a section .SS "fwc CMD ..." and every option of its
# table appears there, in the heading or in a .TP tag; every option the
# page names there is in the table. Exit 1, naming each difference.
set -eu

fwc=${1:?usage: tools/check-man.sh FWC [MANPAGE]}
man=${2:-docs/fwc.8}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$fwc" __options | sort -u >"$tmp/tables"

# The options a line names: --long, and -x standing alone.
awk '
function opts(s, cmd,    l) {
	gsub(/\\-/, "-", s)
	gsub(/\\f[BIRP]|\\[&~|^]/, " ", s)
	l = s
	while (match(l, /--[a-z][a-z0-9-]*/)) {
		print cmd, substr(l, RSTART, RLENGTH)
		l = substr(l, RSTART + RLENGTH)
	}
	gsub(/--[a-z][a-z0-9-]*/, " ", s)
	s = " " s " "
	while (match(s, /[^A-Za-z0-9-]-[A-Za-z][^A-Za-z0-9-]/)) {
		print cmd, "-" substr(s, RSTART + 2, 1)
		s = substr(s, RSTART + 2)
	}
}
/^\.SH/ { cmd = ""; tp = 0; next }
/^\.SS "fwc [a-z_]/ {
	s = $0
	sub(/^\.SS "fwc /, "", s)
	cmd = s
	sub(/[ "].*/, "", cmd)
	sub(/^[^ "]*/, "", s)
	print cmd
	opts(s, cmd)
	tp = 0
	next
}
/^\.SS/ { cmd = ""; tp = 0; next }
/^\.TP/ { tp = 1; next }
tp && cmd != "" { opts($0, cmd) }
{ tp = 0 }
' "$man" | sort -u >"$tmp/man"

comm -23 "$tmp/tables" "$tmp/man" | sed "s|^|$man lacks: fwc |" >"$tmp/diff"
comm -13 "$tmp/tables" "$tmp/man" |
	sed "s|^|$man documents what fwc's tables lack: fwc |" >>"$tmp/diff"
if [ -s "$tmp/diff" ]; then
	cat "$tmp/diff" >&2
	exit 1
fi
echo "man: $man documents the $(grep -vc ' ' "$tmp/tables") commands and $(grep -c ' ' "$tmp/tables") options of fwc's tables"
