# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Generates a ClassBench-like rule set as an fwc policy (issue 13): RULES
# rules of shape SHAPE, each with its own source and destination prefix
# and, for TCP and UDP, its own destination and source port ranges.
#   awk -v SHAPE=acl|fw|ipc -v RULES=10000 -v SEED=1 -f classbench.awk
#
# This is our own generator, not ClassBench's (Taylor and Turner, 2005):
# it follows the families' published character, with distributions of
# our own choosing, so that nothing is tuned to ClassBench's seed files.
#
#   acl  access lists: sources are networks (/16-/24 mostly), destinations
#        servers (/32 mostly); destination ports exact (well-known or
#        not), some ranges; source ports nearly always any.
#   fw   firewalls: a wildcard on one side in half the rules (source any
#        in 40 %, destination any in 25 %, rarely both); wide and
#        arbitrary port ranges on both ports (1024-65535, 0-1023, ranges
#        of 2 to 16k ports); a third deny rules.
#   ipc  IP chains: both sides drawn from every length /8-/32 alike, with
#        some any; ranges on both ports.
#
# Addresses: prefixes are cut out of SITES /16 networks (in a few /8s,
# the popular ones chosen more often) so that short prefixes contain
# longer ones, as in real rule sets. Port classes as ClassBench names
# them: WC (any), HI (1024-65535), LO (0-1023), AR (a range), EM (one
# port). The random numbers are our own (Park-Miller), so that every awk
# (mawk, gawk) writes the same policy for the same SEED.

function rnd() {
	state = (state * 48271) % 2147483647
	return state / 2147483647
}

function irand(n) { return int(rnd() * n) }

# Picks a key of the cumulative table "k1:w1 k2:w2 ..." (weights in %).
function pick(spec,    n, i, kv, r, acc, parts) {
	n = split(spec, parts, " ")
	r = rnd() * 100
	acc = 0
	for (i = 1; i <= n; i++) {
		split(parts[i], kv, ":")
		acc += kv[2]
		if (r < acc)
			return kv[1]
	}
	split(parts[n], kv, ":")
	return kv[1]
}

# A prefix length of distribution @d.
function plen(d) {
	if (d == "host")
		return pick("32:60 31:3 30:7 29:5 28:10 27:5 24:10")
	if (d == "net")
		return pick("24:40 23:8 22:10 21:5 20:10 19:5 18:4 17:3 16:15")
	if (d == "wide")
		return pick("8:25 10:10 12:15 14:10 16:40")
	if (d == "spread")
		return 8 + irand(25)
	return 0 # any
}

function mask(v, bits) { # keep the top @bits of octet @v
	if (bits >= 8)
		return v
	if (bits <= 0)
		return 0
	return v - v % (2 ^ (8 - bits))
}

# A prefix of length drawn from distribution @d, as fwc writes hosts.
function prefix(d,    len, k, a, b, c, e) {
	len = plen(d)
	if (len == 0)
		return "any"
	k = int(SITES * rnd() * rnd()) # skewed: low sites are popular
	a = mask(site_a[k], len)
	b = mask(site_b[k], len - 8)
	c = mask(irand(256), len - 16)
	e = mask(irand(256), len - 24)
	if (len == 32)
		return a "." b "." c "." e
	return a "." b "." c "." e "/" len
}

# A source ("s") or destination ("d") of distribution table @spec: in
# @reuse % of the rules one an earlier rule had (rule sets name the same
# networks and servers again), else a new prefix.
function endpoint(f, spec, reuse,    p) {
	if (n_seen[f] && irand(100) < reuse)
		return seen[f, irand(n_seen[f])]
	p = prefix(pick(spec))
	seen[f, n_seen[f]++] = p
	return p
}

function well_known() {
	return wk[irand(n_wk)]
}

# A port field of class @cls for field @f ("d" or "s"), as fwc writes
# ports ("" for any). EM and AR come from the field's pools: rule sets
# reuse their ports and ranges (ClassBench's seeds hold tens to hundreds
# of distinct ones): a destination pool grows with the square root of
# RULES, the source pools hold three of each.
function ports(cls, f) {
	if (cls == "WC")
		return ""
	if (cls == "HI")
		return "1024-65535"
	if (cls == "LO")
		return "0-1023"
	if (cls == "EM")
		return rnd() < 0.55 ? well_known() : em[f, irand(n_em[f])]
	return ar[f, irand(n_ar[f])]
}

# The pools of field @f: @ne exact ports, @na ranges of 2 to 16k ports.
function pools(f, ne, na,    i, w, lo) {
	n_em[f] = ne
	n_ar[f] = na
	for (i = 0; i < ne; i++)
		em[f, i] = 1 + irand(65535)
	for (i = 0; i < na; i++) {
		w = 2 ^ (1 + irand(14))
		lo = irand(65536 - w)
		ar[f, i] = lo "-" (lo + w - 1)
	}
}

function service(    p, d, s, out) {
	p = pick(PROTO)
	if (p == "any")
		return "any"
	if (p == "icmp")
		return rnd() < 0.5 ? "proto icmp" : "proto icmp type echo-request"
	d = ports(pick(DPORT), "d")
	s = ports(pick(SPORT), "s")
	out = "proto " p
	if (d != "")
		out = out " port " d
	if (s != "")
		out = out " from-port " s
	return out
}

BEGIN {
	if (SHAPE == "")
		SHAPE = "acl"
	if (RULES == "")
		RULES = 1000
	state = (SEED ? SEED : 1) * 7919 % 2147483647
	if (state == 0)
		state = 1
	if (SHAPE == "acl") {
		SRC = "net:45 host:25 spread:15 wide:10 any:5"
		DST = "host:65 net:30 wide:5"
		DPORT = "EM:65 AR:15 WC:12 HI:5 LO:3"
		SPORT = "WC:95 HI:4 EM:1"
		PROTO = "tcp:70 udp:18 icmp:4 any:8"
		DENY = 15
		SREUSE = 75
		DREUSE = 50
	} else if (SHAPE == "fw") {
		SRC = "any:40 net:25 host:20 spread:15"
		DST = "host:45 any:25 net:20 wide:10"
		DPORT = "EM:40 WC:30 AR:15 HI:10 LO:5"
		SPORT = "WC:55 HI:25 AR:12 EM:8"
		PROTO = "tcp:55 udp:22 icmp:5 any:18"
		DENY = 35
		SREUSE = 30
		DREUSE = 30
	} else if (SHAPE == "ipc") {
		SRC = "spread:35 net:25 host:25 any:15"
		DST = "spread:35 net:25 host:25 any:15"
		DPORT = "EM:40 WC:25 AR:20 HI:10 LO:5"
		SPORT = "WC:55 AR:20 EM:13 HI:12"
		PROTO = "tcp:50 udp:28 icmp:8 any:14"
		DENY = 25
		SREUSE = 20
		DREUSE = 20
	} else {
		print "classbench.awk: SHAPE is acl, fw or ipc" > "/dev/stderr"
		exit 2
	}
	n_wk = split("20 21 22 23 25 53 80 88 110 123 135 139 143 161 389 " \
		     "443 445 514 636 993 995 1433 1521 3306 3389 5060 " \
		     "5432 8080 8443", wkl, " ")
	for (i = 0; i < n_wk; i++)
		wk[i] = wkl[i + 1]
	pools("d", int(sqrt(RULES) / 2) + 8, int(sqrt(RULES) / 4) + 4)
	pools("s", 3, 3)
	SITES = int(sqrt(RULES) * 2)
	if (SITES < 8)
		SITES = 8
	n_top = 6
	for (i = 0; i < n_top; i++)
		top[i] = 1 + irand(223)
	for (k = 0; k < SITES; k++) {
		site_a[k] = top[int(n_top * rnd() * rnd())]
		site_b[k] = irand(256)
	}
	printf "# classbench.awk SHAPE=%s RULES=%d SEED=%d\n", SHAPE, RULES, SEED
	print "set default deny"
	for (r = 0; r < RULES; r++) {
		src = endpoint("s", SRC, SREUSE)
		dst = endpoint("d", DST, DREUSE)
		# fw: a wildcard on one side, rarely on both.
		if (SHAPE == "fw" && src == "any" && dst == "any" && rnd() < 0.8)
			dst = prefix("host")
		# Nor a rule open on every field: one "any -> any any" would
		# decide every packet after it (ClassBench's seeds hold at most
		# a last catch-all), leaving the rest of the set dead.
		# (The action first, then the service: the order of the draws
		# before this rule was written, so that acl's sets, which
		# have no such rule, are what they were.)
		act = irand(100) < DENY ? "deny" : "allow"
		svc = service()
		while (src == "any" && dst == "any" &&
		       (svc == "any" || svc ~ /^proto [a-z]+$/))
			svc = service()
		printf "%s %s -> %s %s\n", act, src, dst, svc
	}
}
