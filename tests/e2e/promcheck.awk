#!/usr/bin/awk -f
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# A strict checker of the Prometheus text exposition format 0.0.4 (promtool
# is not in Debian 12). Prints "promcheck: line N: what" for each fault and
# exits 1 if there was one. Checked, after the format's grammar:
#
#   # HELP name text        name [a-zA-Z_:][a-zA-Z0-9_:]*; text escapes
#                           only \\ and \n; one HELP per name
#   # TYPE name type        counter|gauge|histogram|summary|untyped; one
#                           TYPE per name, before its first sample
#   name{l="v",...} value [timestamp]
#                           label names [a-zA-Z_][a-zA-Z0-9_]*, not __*,
#                           once per sample; values escape only \\ \" \n;
#                           a trailing comma is allowed; value a float,
#                           NaN or [+-]Inf; timestamp an integer
#   the samples of a family together, no series twice, counters >= 0
#
# Stricter than the format, as fwc's output must be: every sample has a
# TYPE. UTF-8 validity and the final newline are checked by the caller
# (awk sees bytes).

function fault(msg)
{
	printf "promcheck: line %d: %s\n", NR, msg
	bad = 1
}

function valid_help(s,    i, c)
{
	for (i = 1; i <= length(s); i++) {
		if (substr(s, i, 1) != "\\")
			continue
		c = substr(s, i + 1, 1)
		if (c != "\\" && c != "n")
			return 0
		i++
	}
	return 1
}

# The family a sample belongs to (histogram and summary suffixes).
function family(name,    base)
{
	if (name in type)
		return name
	base = name
	if (sub(/_(bucket|sum|count)$/, "", base) && (base in type) &&
	    (type[base] == "histogram" || type[base] == "summary"))
		return base
	return name
}

function valid_value(v)
{
	return v ~ /^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/ ||
	       v == "NaN" || v ~ /^[-+]?Inf$/
}

# Sorts names[1..n] (insertion sort: a handful of labels).
function sort_names(n,    i, j, t)
{
	for (i = 2; i <= n; i++) {
		t = names[i]
		for (j = i - 1; j >= 1 && names[j] > t; j--)
			names[j + 1] = names[j]
		names[j + 1] = t
	}
}

function sample(line,    name, rest, lname, val, c, n, i, key, fam, seen, v)
{
	if (!match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) {
		fault("bad metric name")
		return
	}
	name = substr(line, 1, RLENGTH)
	rest = substr(line, RLENGTH + 1)
	n = 0
	split("", seen)
	split("", names)
	split("", vals)
	if (substr(rest, 1, 1) == "{") {
		rest = substr(rest, 2)
		while (substr(rest, 1, 1) != "}") {
			if (!match(rest, /^[a-zA-Z_][a-zA-Z0-9_]*="/)) {
				fault("bad label in " name)
				return
			}
			lname = substr(rest, 1, RLENGTH - 2)
			rest = substr(rest, RLENGTH + 1)
			if (lname ~ /^__/)
				fault("reserved label name " lname)
			if (lname in seen)
				fault("label " lname " twice")
			seen[lname] = 1
			val = ""
			for (;;) {
				c = substr(rest, 1, 1)
				if (c == "") {
					fault("unterminated label value")
					return
				}
				rest = substr(rest, 2)
				if (c == "\"")
					break
				if (c == "\\") {
					c = substr(rest, 1, 1)
					rest = substr(rest, 2)
					if (c != "\\" && c != "\"" && c != "n") {
						fault("bad escape \\" c " in label " lname)
						return
					}
					val = val "\\" c
					continue
				}
				val = val c
			}
			names[++n] = lname
			vals[lname] = val
			c = substr(rest, 1, 1)
			if (c == ",")
				rest = substr(rest, 2)
			else if (c != "}") {
				fault("expected , or } after label " lname)
				return
			}
		}
		rest = substr(rest, 2)
	}
	if (!match(rest, /^[ \t]+/)) {
		fault("no blank before the value of " name)
		return
	}
	rest = substr(rest, RLENGTH + 1)
	split(rest, v, /[ \t]+/)
	if (!valid_value(v[1]))
		fault("bad value '" v[1] "' of " name)
	if (v[2] != "" && v[2] !~ /^-?[0-9]+$/)
		fault("bad timestamp '" v[2] "' of " name)
	if (v[3] != "")
		fault("text after the timestamp of " name)
	fam = family(name)
	if (!(fam in type))
		fault("sample of " name " without a TYPE")
	else if (type[fam] == "counter" && (v[1] ~ /^-/ || v[1] == "NaN"))
		fault("counter " name " is " v[1])
	if (fam != cur_family) {
		if (fam in done)
			fault("samples of " fam " are not together")
		if (cur_family != "")
			done[cur_family] = 1
		cur_family = fam
	}
	sort_names(n)
	key = name "{"
	for (i = 1; i <= n; i++)
		key = key names[i] "=" vals[names[i]] ","
	if (key in series)
		fault("series " key "} twice")
	series[key] = 1
	samples++
}

/^#/ {
	if ($2 == "HELP" || $2 == "TYPE") {
		if ($3 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) {
			fault("bad metric name in " $2)
			next
		}
		if ($2 == "HELP") {
			if ($3 in help)
				fault("second HELP for " $3)
			help[$3] = 1
			line = $0
			sub(/^#[ \t]+HELP[ \t]+[^ \t]+[ \t]?/, "", line)
			if (!valid_help(line))
				fault("bad escape in HELP of " $3)
		} else {
			if ($3 in type)
				fault("second TYPE for " $3)
			else if ($3 in sampled)
				fault("TYPE for " $3 " after its samples")
			if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/ ||
			    NF != 4)
				fault("bad TYPE line for " $3)
			type[$3] = $4
		}
	}
	next
}

/^[ \t]*$/ { next }

{
	sample($0)
	if (match($0, /^[a-zA-Z_:][a-zA-Z0-9_:]*/))
		sampled[substr($0, 1, RLENGTH)] = 1
}

END {
	if (!bad && !samples && require_samples) {
		print "promcheck: no samples"
		bad = 1
	}
	exit bad
}
