# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Generates a policy of RULES rules over PREFIXES prefixes, shaped like a
# large estate: zones of IPv4 prefixes (/16 to /32) and some IPv6, rules
# between zone pairs with services from a catalogue of port sets.
#   awk -v RULES=10000 -v PREFIXES=10000 -v SEED=1 -f genpolicy.awk
BEGIN {
	srand(SEED ? SEED : 1)
	zones = int(sqrt(RULES) * 2); if (zones < 4) zones = 4
	if (zones > 600) zones = 600
	per = int(PREFIXES / zones); if (per < 1) per = 1
	print "set default deny"
	print "define rpc = 49152-65535"
	for (z = 0; z < zones; z++) {
		printf "zone z%d = {", z
		for (i = 0; i < per; i++) {
			n = z * per + i
			if (n % 10 == 9) {
				printf " 2001:db8:%x:%x::/64", int(n / 65536), n % 65536
			} else {
				len = 24 + int(rand() * 9)
				a = int(n / 256) % 256; b = n % 256
				# distinct /24 per prefix: 10.a.b.0/len, host bits clear
				if (len == 24) printf " 10.%d.%d.0/24", a, b
				else printf " 10.%d.%d.%d/%d", a, b, (2 ^ (32 - len)) * int(rand() * (2 ^ (len - 24))), len
			}
		}
		print " }"
	}
	nsvc = 48
	for (s = 0; s < nsvc; s++) {
		p = 1000 + s * 37
		printf "service s%d = proto %s port { %d, %d-%d }\n", s, (s % 3 ? "tcp" : "{ tcp, udp }"), p, p + 5, p + 9
	}
	for (r = 0; r < RULES; r++) {
		a = int(rand() * zones); b = int(rand() * zones)
		act = (r % 7 == 6) ? "deny" : "allow"
		if (r % 50 == 49)
			printf "%s z%d -> z%d proto tcp port 135 from-port $rpc\n", act, a, b
		else
			printf "%s z%d -> z%d service s%d\n", act, a, b, int(rand() * nsvc)
	}
}
