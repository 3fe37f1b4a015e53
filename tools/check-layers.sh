#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# tools/check-layers.sh [BUILD_DIR]: the layers point one way,
#
#   cli -> ops -> kernel -> compiler -> include,   bpf -> include
#
# and make test fails when they do not. From the symbols of the object
# files under BUILD_DIR (default build; a .o that uses what another
# defines depends on it) and the #include lines of the sources:
#
#   (a) an object uses a symbol defined by an object of a higher layer
#   (b) objects form a cycle, within a layer too
#   (c) a source file includes a header of a higher layer
#   (d) a file outside kernel/ (and bench/, tests/bpf/, which drive the
#       XDP program themselves) includes libbpf (<bpf/libbpf.h>,
#       <bpf/bpf.h>, <bpf/btf.h>)
#
# Prints every finding; exit 1 when there is one, 0 otherwise.

set -eu

O=${1:-build}
LAYERS="compiler kernel ops cli"
NM=${NM:-nm}

cd "$(dirname "$0")/.."

objs=
for l in $LAYERS; do
	for f in "$O/$l"/*.o; do
		# An object whose source is gone (a stale build) is left out.
		src=${f#"$O/"}
		[ -f "$f" ] && [ -f "${src%.o}.c" ] && objs="$objs $f"
	done
done
if [ -z "$objs" ]; then
	echo "layers: no objects under $O/ (run make all first)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# One line per symbol: OBJECT TYPE NAME (U: used, anything else: defined).
for f in $objs; do
	$NM -g -P "$f" | awk -v obj="$f" 'NF >= 2 { print obj, $2, $1 }'
done >"$tmp/syms"

status=0

# (a) and (b), from the symbols.
awk -v layers="$LAYERS" -v O="$O/" '
function layer(obj,    d) {
	d = substr(obj, length(O) + 1)
	sub(/\/.*/, "", d)
	return rank[d]
}
function short(obj) { return substr(obj, length(O) + 1) }
BEGIN {
	n = split(layers, l, " ")
	for (i = 1; i <= n; i++)
		rank[l[i]] = i
}
$2 != "U" { def[$3] = $1; next }
{ use[$1 SUBSEP $3] = 1 }
END {
	for (k in use) {
		split(k, p, SUBSEP)
		if (!(p[2] in def) || def[p[2]] == p[1])
			continue
		a = p[1]; b = def[p[2]]
		if (!((a, b) in edge)) {
			edge[a, b] = p[2]
			node[a] = node[b] = 1
		} else if (index(" " edge[a, b] " ", " " p[2] " ") == 0)
			edge[a, b] = edge[a, b] " " p[2]
	}
	bad = 0
	for (k in edge) {
		split(k, p, SUBSEP)
		if (layer(p[1]) < layer(p[2])) {
			printf "a|layers: %s uses %s of %s, a higher layer\n",
			       short(p[1]), edge[k], short(p[2])
			bad = 1
		}
	}
	# Reachability (transitive closure), then the cycles: objects that
	# reach each other.
	m = 0
	for (v in node)
		nodes[++m] = v
	for (k in edge)
		reach[k] = 1
	for (i = 1; i <= m; i++)
		for (j = 1; j <= m; j++) {
			if (!((nodes[j], nodes[i]) in reach))
				continue
			for (h = 1; h <= m; h++)
				if ((nodes[i], nodes[h]) in reach)
					reach[nodes[j], nodes[h]] = 1
		}
	for (i = 1; i <= m; i++) {
		v = nodes[i]
		if (v in seen || !((v, v) in reach))
			continue
		cyc = ""
		for (j = 1; j <= m; j++) {
			w = nodes[j]
			if ((v, w) in reach && (w, v) in reach) {
				seen[w] = 1
				cyc = cyc " " short(w)
				members[w] = 1
			}
		}
		printf "b|%03d|0|layers: a cycle among objects:%s\n", ++ncyc, cyc
		for (k in edge) {
			split(k, p, SUBSEP)
			if ((p[1] in members) && (p[2] in members))
				printf "b|%03d|1|layers:   %s -> %s (%s)\n", ncyc, short(p[1]),
				       short(p[2]), edge[k]
		}
		for (w in members)
			delete members[w]
		bad = 1
	}
	exit bad
}' "$tmp/syms" >"$tmp/found" || [ -s "$tmp/found" ] || {
	echo "layers: the symbol check failed" >&2
	exit 1
}
sort "$tmp/found" | sed 's/^[^l]*|//' >"$tmp/out"
[ -s "$tmp/out" ] && status=1
cat "$tmp/out"

# (c) Includes of a header of a higher layer ("name.h" resolved where it
# lives; the generated skeleton is kernel/'s).
for d in include compiler bpf kernel ops cli; do
	for f in "$d"/*.h; do
		[ -f "$f" ] && echo "$(basename "$f") $d"
	done
done >"$tmp/headers"
echo "fwc.skel.h kernel" >>"$tmp/headers"
for d in include compiler bpf kernel ops cli; do
	for f in "$d"/*.[ch]; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
			sed "s|^|$f |"
	done
done | awk '
BEGIN { n = split("include compiler kernel ops cli", path, " ") }
function rank(d) {
	if (d == "include")
		return 0
	if (d == "compiler" || d == "bpf")
		return 1
	if (d == "kernel")
		return 2
	return d == "ops" ? 3 : 4
}
NR == FNR { have[$2 "/" $1] = 1; next }
{
	src = $1; dir = src; sub(/\/.*/, "", dir)
	h = $2; sub(/.*\//, "", h)
	# As cc looks: the directory of the includer first, then -I in order.
	hd = ""
	k = dir "/" h
	if (k in have)
		hd = dir
	for (i = 1; hd == "" && i <= n; i++) {
		k = path[i] "/" h
		if (k in have)
			hd = path[i]
	}
	if (hd == "")
		next
	if (dir == hd)
		next
	# bpf/ sees include/ only; nothing else sees bpf/ or the other way.
	if (dir == "bpf" || hd == "bpf") {
		if (!(dir == "bpf" && hd == "include"))
			printf "layers: %s includes %s/%s (bpf/ sees include/ only)\n",
			       src, hd, h
		next
	}
	if (rank(hd) > rank(dir))
		printf "layers: %s includes %s/%s, a higher layer\n", src, hd, h
}' "$tmp/headers" - >"$tmp/inc"
[ -s "$tmp/inc" ] && status=1
cat "$tmp/inc"

# (d) libbpf outside kernel/.
for d in include compiler bpf ops cli tests tools; do
	find "$d" -name '*.[ch]' ! -path 'tests/bpf/*'
done | sort | while read -r f; do
	grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*<bpf/\(libbpf\|bpf\|btf\)\.h>' "$f" |
		sed 's/^\([^:]*:[0-9]*\):.*<\(.*\)>.*/layers: \1 includes <\2>, kernel\/ only/'
done >"$tmp/lib"
[ -s "$tmp/lib" ] && status=1
cat "$tmp/lib"

if [ "$status" = 0 ]; then
	set -- $objs
	echo "layers: $# objects, cli -> ops -> kernel -> compiler, no cycle"
fi
exit "$status"
