// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Exactness of the compiled tables on a large policy (issue 13): N
 * packets (default 1M), three in four aimed inside a random rule's
 * source and destination sets, protocol and ports, the rest anywhere,
 * classified by the tables (fwc_tables_classify, the datapath's steps)
 * and by the reference scan (fwc_reference_classify); any difference is
 * printed and fails. For a grouped layout it also prints what the walk
 * read a packet (struct fwc_walk_stats), of all packets and of the
 * TCP/IPv4 ones. `make bench` runs it on the ClassBench-like sets:
 *   build/bench/exact_bench POLICY [PACKETS [SEED]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "compile.h"
#include "packet.h"
#include "resolve.h"
#include "tables.h"

static uint64_t state = 88172645463325252ull;

static uint32_t rnd(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (uint32_t)state;
}

/* A point of @s (uniform over its intervals' starts, then inside). */
static fwc_u128 pick(const struct fwc_ivset *s)
{
	const struct fwc_iv *iv = &s->iv[rnd() % s->n];
	fwc_u128 span = iv->hi - iv->lo, r;

	r = ((fwc_u128)rnd() << 96 | (fwc_u128)rnd() << 64 |
	     (fwc_u128)rnd() << 32 | rnd());
	return span == ~(fwc_u128)0 ? r : iv->lo + r % (span + 1);
}

static void put_addr(uint8_t *out, int family, fwc_u128 a)
{
	int n = family == 4 ? 4 : 16;

	for (int i = n - 1; i >= 0; i--, a >>= 8)
		out[i] = (uint8_t)a;
}

/* A packet aimed at rule @r, or anywhere when @r is NULL. */
static void packet(const struct fwc_policy *pol, const struct fwc_rule *r,
		   struct fwc_packet *p)
{
	const struct fwc_addrset *hs = r ? &pol->hosts[r->src] : NULL;
	const struct fwc_addrset *hd = r ? &pol->hosts[r->dst] : NULL;
	static const uint8_t protos[] = { 6, 6, 6, 17, 17, 1, 47 };
	int fam = 4;

	if (r && !hs->v4.n && hs->v6.n)
		fam = 6;
	if (r && hs->v4.n && hs->v6.n && hd->v6.n && rnd() % 4 == 0)
		fam = 6;
	if (!r && rnd() % 4 == 0)
		fam = 6;
	*p = (struct fwc_packet){ .family = (uint8_t)fam };
	{
		const struct fwc_ivset *s =
			hs ? (fam == 4 ? &hs->v4 : &hs->v6) : NULL;
		const struct fwc_ivset *d =
			hd ? (fam == 4 ? &hd->v4 : &hd->v6) : NULL;
		fwc_u128 a = s && s->n ? pick(s) :
					 ((fwc_u128)rnd() << 32 | rnd());
		fwc_u128 b = d && d->n ? pick(d) :
					 ((fwc_u128)rnd() << 32 | rnd());

		if (fam == 4) {
			a &= 0xffffffffu;
			b &= 0xffffffffu;
		}
		put_addr(p->src, fam, a);
		put_addr(p->dst, fam, b);
	}
	p->proto = protos[rnd() % sizeof(protos)];
	p->k1 = (uint16_t)rnd();
	p->k2 = (uint16_t)rnd();
	if (r && r->n_terms && rnd() % 4) {
		const struct fwc_term *t =
			&pol->terms[r->term_first + rnd() % r->n_terms];
		const struct fwc_ivset *pr = &pol->sets[t->protos];

		p->proto = (uint8_t)pick(pr);
		p->k1 = (uint16_t)pick(
			&pol->sets[fwc_proto_is_icmp(p->proto) ? t->types :
								 t->dports]);
		p->k2 = (uint16_t)pick(&pol->sets[t->sports]);
	}
	if (fam == 6 && p->proto == 1)
		p->proto = 58;
	if (fwc_proto_is_icmp(p->proto))
		p->k1 &= 0xff, p->k2 &= 0xff;
	else if (!fwc_proto_has_ports(p->proto))
		p->k1 = p->k2 = 0;
}

static void print_walk(const char *what, const struct fwc_walk_stats *st)
{
	double n = st->packets ? (double)st->packets : 1;

	printf("  walk a packet, %s (%llu): %.2f groups looked up, %.2f "
	       "empty pairs, %.2f list entries, %.2f rows\n",
	       what, (unsigned long long)st->packets, st->groups / n,
	       st->empty / n, st->entries / n, st->rows / n);
}

int main(int argc, char **argv)
{
	struct fwc_walk_stats all = { 0 }, tcp4 = { 0 };
	struct fwc_compile_opts o = { .warnings = false };
	long n = argc > 2 ? atol(argv[2]) : 1000000, bad = 0, matched = 0;
	struct fwc_tables *t;
	struct fwc_policy *pol;
	struct timespec a, b;
	char *text;
	size_t len;

	if (argc < 2 || n <= 0) {
		fprintf(stderr, "usage: exact_bench POLICY [PACKETS [SEED]]\n");
		return 2;
	}
	if (argc > 3)
		state ^= strtoull(argv[3], NULL, 0) * 0x9e3779b97f4a7c15ull;
	if (fwc_read_file(argv[1], &text, &len) ||
	    fwc_compile(argv[1], text, len, &o, &t, &pol))
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long k = 0; k < n; k++) {
		struct fwc_packet p;
		uint32_t x, y;

		packet(pol,
		       rnd() % 4 ? &pol->rules[rnd() % pol->n_rules] : NULL,
		       &p);
		x = fwc_tables_classify_traced(
			t, &p, p.family == 4 && p.proto == 6 ? &tcp4 : &all);
		y = fwc_reference_classify(pol, &p);
		matched += y != 0;
		if (x != y && bad++ < 10) {
			char buf[160];

			fwc_packet_format(&p, buf, sizeof(buf));
			printf("MISMATCH %s: tables rule %u, reference %u\n",
			       buf, x, y);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%s: %u rules, layout %s (%u groups): %ld packets, %ld "
	       "matched a rule, %ld differ (%.0f s)\n",
	       argv[1], t->meta.n_rules,
	       t->meta.n_groups ? "grouped" : "single", t->meta.n_groups, n,
	       matched, bad,
	       (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	if (t->meta.n_groups) {
		all.packets += tcp4.packets;
		all.groups += tcp4.groups;
		all.empty += tcp4.empty;
		all.entries += tcp4.entries;
		all.rows += tcp4.rows;
		print_walk("all", &all);
		print_walk("TCP/IPv4", &tcp4);
	}
	fwc_tables_free(t);
	fwc_policy_destroy(pol);
	free(text);
	return bad != 0;
}
