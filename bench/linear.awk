# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# A policy of bench/genpolicy.awk as a linear ruleset, the way rulesets are
# written by hand: one line per policy rule, in policy order, the zones'
# addresses and the service's ports inline, the default deny last. For the
# veth benchmark (bench/veth_bench.sh); IPv4 only (its traffic is IPv4,
# and an IPv6 half would sit in tables IPv4 packets never traverse).
#   awk -v MODE=nft      -f linear.awk POLICY > F && nft -f F
#       one rule per policy rule, addresses as anonymous sets (what an nft
#       "define zone = { ... }" expands to); no conntrack, no counter
#       but the default's (counter default_deny)
#   awk -v MODE=ipset    -f linear.awk POLICY | ipset restore
#       one hash:net set per zone, named fwcb-ZONE
#   awk -v MODE=iptables -f linear.awk POLICY | iptables-restore
#       one rule per policy rule and protocol, the zones as those ipsets
#       (-m set), the ports with multiport; the chain's policy drops
# Reads only what genpolicy.awk writes: define, zone, service, and rules
# "ACT zA -> zB service sN" or "ACT zA -> zB proto tcp port P from-port $rpc".
# Prints the number of rules it wrote on standard error.

# The IPv4 prefixes of a zone, into @out; their number.
function v4(list, out,    n, a, i, k) {
	n = split(list, a, /[ {},]+/); k = 0
	for (i = 1; i <= n; i++)
		if (a[i] ~ /^[0-9]+\.[0-9.]+(\/[0-9]+)?$/) out[++k] = a[i]
	return k
}
function nftset(list,    a, n, i, s) {
	n = split(list, a, /[ ,{}]+/); s = ""
	for (i = 1; i <= n; i++)
		if (a[i] != "") s = s (s == "" ? "" : ", ") a[i]
	return s ~ /,/ ? "{ " s " }" : s
}
# "{ 1000, 1005-1009 }" -> iptables "1000,1005:1009"
function iptports(list,    s) {
	s = list; gsub(/[{} ]/, "", s); gsub(/-/, ":", s)
	return s
}
function rule(act, src, dst, protos, dp, sp,    n, a, k, r, p) {
	if (MODE == "nft") {
		r = "ip saddr " nftset(zlist[src]) " ip daddr " nftset(zlist[dst])
		if (protos ~ / /) { r = r " meta l4proto { tcp, udp }"; p = "th" }
		else p = protos
		r = r " " p " dport " nftset(dp)
		if (sp != "") r = r " " p " sport " sp
		printf "\t\t%s %s\n", r, act == "allow" ? "accept" : "drop"
		lines++
		return
	}
	n = split(protos, a, " ")
	for (k = 1; k <= n; k++) {
		r = "-A FORWARD -m set --match-set fwcb-" src " src"
		r = r " -m set --match-set fwcb-" dst " dst -p " a[k]
		p = iptports(dp)
		r = r (p ~ /,/ ? " -m multiport --dports " p : " --dport " p)
		if (sp != "") r = r " --sport " iptports(sp)
		printf "%s -j %s\n", r, act == "allow" ? "ACCEPT" : "DROP"
		lines++
	}
}
BEGIN {
	if (MODE == "nft") {
		print "table ip fwcb_linear"
		print "delete table ip fwcb_linear"
		print "table ip fwcb_linear {"
		print "\tcounter default_deny { }"
		print "\tchain forward {"
		print "\t\ttype filter hook forward priority filter; policy drop;"
	} else if (MODE == "iptables") {
		print "*filter"
		print ":INPUT ACCEPT [0:0]"
		print ":FORWARD DROP [0:0]"
		print ":OUTPUT ACCEPT [0:0]"
	} else if (MODE != "ipset") {
		print "linear.awk: MODE=nft, ipset or iptables" > "/dev/stderr"
		exit 2
	}
}
$1 == "define" { def["$" $2] = $4; next }
$1 == "zone" {
	name = $2; s = $0; sub(/^zone [^ ]+ = /, "", s)
	n = v4(s, A); zlist[name] = ""
	for (i = 1; i <= n; i++) zlist[name] = zlist[name] " " A[i]
	if (MODE == "ipset" && n) {
		printf "create fwcb-%s hash:net family inet hashsize 64 maxelem %d\n", name, n < 64 ? 64 : n
		for (i = 1; i <= n; i++) printf "add fwcb-%s %s\n", name, A[i]
	}
	next
}
$1 == "service" {
	name = $2; s = $0
	sub(/^service [^ ]+ = proto /, "", s)
	if (s ~ /^\{/) { svcproto[name] = "tcp udp"; sub(/^\{[^}]*\} port /, "", s) }
	else { svcproto[name] = "tcp"; sub(/^tcp port /, "", s) }
	svcport[name] = s
	next
}
($1 == "allow" || $1 == "deny") && MODE != "ipset" {
	# A zone without IPv4 prefixes matches no IPv4 packet.
	if (zlist[$2] == "" || zlist[$4] == "") next
	if ($5 == "service")
		rule($1, $2, $4, svcproto[$6], svcport[$6], "")
	else	# proto tcp port P from-port $rpc
		rule($1, $2, $4, $6, $8, $10 in def ? def[$10] : $10)
	next
}
END {
	if (MODE == "nft") {
		printf "\t\tcounter name \"default_deny\" drop\n\t}\n}\n"
		lines++
	} else if (MODE == "iptables") {
		print "COMMIT"
	}
	if (MODE != "ipset")
		printf "%d\n", lines > "/dev/stderr"
}
