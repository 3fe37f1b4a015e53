/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The grouped layout (ABI 7, include/fwc_abi.h "Groups") in the real XDP
 * program, by test-run:
 *
 *   random      small random policies (tests/unit/randpol.h) compiled with
 *               --layout groups under several table budgets, so that
 *               every group kind occurs; thousands of packets each, aimed
 *               at the rules' sets and edges, both families: the verdict
 *               and the counted rule must be fwc_tables_classify()'s, and
 *               that must be fwc_reference_classify()'s. Now and then the
 *               same policy in the single layout must give the same.
 *   classbench  a ClassBench-like fw policy (bench/classbench.awk) of a
 *               few thousand rules, grouped (LISTS and SPARSE groups),
 *               with tens of thousands of packets inside its rules.
 *   broken      entries poked in the loaded maps (gmap, pair, slots,
 *               glist, decision, groups, meta) so that a class, offset
 *               or rule is out of range: the packet is dropped and
 *               counted malformed (fail closed), and passes again once
 *               the entry is put back. A group's bit cleared in a gmap
 *               entry's mask is valid: the packet skips the group, to
 *               the default.
 *
 * Every policy has `set state off`, so that each packet meets the rules.
 * FWC_SEED, FWC_GROUPS_POLICIES, FWC_GROUPS_PACKETS, FWC_GROUPS_RULES,
 * FWC_GROUPS_CB_PACKETS override the amounts. Needs root.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "expect.h"
#include "packet.h"
#include "resolve.h"

#include "../unit/randpol.h"

#define MAX_SHOWN 5

static uint64_t seed;

static unsigned long env_num(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *const kind_name[] = { "kind 0", "lists", "sparse" };

/* "9 groups: lists 8, sparse 1" of @t's groups, and their tally in @seen. */
static void kinds(const struct fwc_tables *t, char *buf, size_t len,
		  unsigned long *seen)
{
	unsigned int n[3] = { 0, 0, 0 };

	for (uint32_t k = 0; k < t->meta.n_groups; k++) {
		assert_true(t->groups[k].kind == FWC_GROUP_LISTS ||
			    t->groups[k].kind == FWC_GROUP_SPARSE);
		n[t->groups[k].kind]++;
		if (seen)
			seen[t->groups[k].kind]++;
	}
	snprintf(buf, len, "%u groups: lists %u, sparse %u", t->meta.n_groups,
		 n[FWC_GROUP_LISTS], n[FWC_GROUP_SPARSE]);
}

/* ---- packets aimed at the rules ----------------------------------------- */

static fwc_u128 rnd128(struct rng *r)
{
	fwc_u128 v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 32 | rnd(r);
	return v;
}

/*
 * A value of @s (whose values lie in 0..@max): an interval's ends or a
 * point inside, now and then one past an end (wrapping within @max).
 */
static fwc_u128 pick_in(struct rng *r, const struct fwc_ivset *s, fwc_u128 max)
{
	const struct fwc_iv *iv;
	fwc_u128 v, span;

	if (!s->n)
		return rnd128(r) & max;
	iv = &s->iv[rnd_below(r, (uint32_t)s->n)];
	switch (rnd_below(r, 8)) {
	case 0:
		v = iv->lo;
		break;
	case 1:
		v = iv->hi;
		break;
	case 2:
		v = iv->lo - 1;
		break;
	case 3:
		v = iv->hi + 1;
		break;
	default:
		span = iv->hi - iv->lo + 1;
		v = span ? iv->lo + rnd128(r) % span : rnd128(r);
	}
	return v & max;
}

static bool ivset_has(const struct fwc_ivset *s, fwc_u128 x)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->iv[i].lo <= x && x <= s->iv[i].hi)
			return true;
	return false;
}

static bool is_v6_ext(unsigned int p)
{
	return p == 0 || p == 43 || p == 44 || p == 51 || p == 60;
}

static void put_addr(uint8_t *a, int fam, fwc_u128 v)
{
	int n = fam == 4 ? 4 : 16;

	memset(a, 0, 16);
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		a[i] = (uint8_t)v;
}

/* An address of family @fam in @h (or anywhere, when @h has none). */
static void rule_addr(struct rng *r, const struct fwc_addrset *h, int fam,
		      uint8_t *out)
{
	const struct fwc_ivset *s = fam == 4 ? &h->v4 : &h->v6;

	put_addr(out, fam, pick_in(r, s, fam == 4 ? FWC_V4_MAX : FWC_V6_MAX));
}

/* A packet inside a random rule of @pol (its sets' edges, now and then
 * just outside), or noise. */
static uint32_t aim_packet(const struct fwc_policy *pol, struct rng *r,
			   struct fwc_packet *p)
{
	static const uint8_t common[] = { 6, 17, 1, 58, 132 };
	const struct fwc_rule *ru;
	const struct fwc_term *t;
	const struct fwc_addrset *hs, *hd;
	const struct fwc_ivset *pr;
	int fam;

	memset(p, 0, sizeof(*p));
	ru = &pol->rules[rnd_below(r, (uint32_t)pol->n_rules)];
	hs = &pol->hosts[ru->src];
	hd = &pol->hosts[ru->dst];
	if (hs->v4.n && hs->v6.n)
		fam = rnd_below(r, 2) ? 4 : 6;
	else if (hs->v4.n || hs->v6.n)
		fam = hs->v4.n ? 4 : 6;
	else
		fam = hd->v6.n && !hd->v4.n ? 6 : 4;
	p->family = (uint8_t)fam;
	rule_addr(r, hs, fam, p->src);
	rule_addr(r, hd, fam, p->dst);
	t = &pol->terms[ru->term_first + rnd_below(r, (uint32_t)ru->n_terms)];
	pr = &pol->sets[t->protos];
	p->proto = (uint8_t)pick_in(r, pr, 255);
	if (rnd_below(r, 4)) {
		/* The common protocols the term holds, mostly. */
		uint8_t in[sizeof(common)];
		unsigned int n = 0;

		for (unsigned int i = 0; i < sizeof(common); i++)
			if (ivset_has(pr, common[i]) &&
			    (common[i] != 1 || fam == 4) &&
			    (common[i] != 58 || fam == 6))
				in[n++] = common[i];
		if (n)
			p->proto = in[rnd_below(r, n)];
	}
	if (fam == 6 && is_v6_ext(p->proto))
		p->proto = 17;
	if (fwc_proto_has_ports(p->proto)) {
		p->k1 = (uint16_t)pick_in(r, &pol->sets[t->dports], 65535);
		p->k2 = (uint16_t)pick_in(r, &pol->sets[t->sports], 65535);
	} else if (fwc_proto_is_icmp(p->proto)) {
		p->k1 = (uint16_t)pick_in(r, &pol->sets[t->types], 255);
		p->k2 = (uint16_t)rnd_below(r, 4);
	}
	/* Noise: another port or address now and then. */
	if (rnd_below(r, 16) == 0 && fwc_proto_has_ports(p->proto))
		p->k1 = (uint16_t)rnd(r);
	if (rnd_below(r, 16) == 0)
		put_addr(p->src, fam,
			 rnd128(r) & (fam == 4 ? FWC_V4_MAX : FWC_V6_MAX));
	if (rnd_below(r, 16) == 0)
		put_addr(p->dst, fam,
			 rnd128(r) & (fam == 4 ? FWC_V4_MAX : FWC_V6_MAX));
	return ru->id;
}

/* A frame carrying @p: now and then a VLAN tag, some payload. */
static void build_frame(struct rng *r, struct pb *b, const struct fwc_packet *p)
{
	uint16_t type = p->family == 4 ? PB_ETH_IP : PB_ETH_IPV6;

	pb_init(b);
	if (rnd_below(r, 8) == 0) {
		pb_eth(b, PB_ETH_8021Q);
		pb_vlan(b, (uint16_t)rnd_below(r, 4096), type);
	} else {
		pb_eth(b, type);
	}
	if (p->family == 4)
		pb_ipv4(b, p->proto, p->src, p->dst, 0, 0);
	else
		pb_ipv6(b, p->proto, p->src, p->dst);
	pb_transport(b, p->proto, p->k1, p->k2);
	pb_payload(b, rnd_below(r, 40));
	pb_finish(b);
}

/* ---- running ------------------------------------------------------------ */

struct tally {
	/* Per counter id: what the packets should have added. */
	uint64_t *pkts, *bytes;
	uint32_t n;
};

static void tally_init(struct tally *t, const struct env *e)
{
	t->n = e->n_ids;
	t->pkts = calloc(t->n, sizeof(*t->pkts));
	t->bytes = calloc(t->n, sizeof(*t->bytes));
	assert_non_null(t->pkts);
	assert_non_null(t->bytes);
}

static void tally_free(struct tally *t)
{
	free(t->pkts);
	free(t->bytes);
}

struct totals {
	unsigned long packets, by_rule, pass, v6;
	unsigned long failed, spec_failed, shown;
};

/* Expected verdict and counter of @p by the tables. */
static void expect_of(const struct env *e, const struct fwc_packet *p,
		      int *verdict, uint32_t *id)
{
	/* ICMP in IPv6, ICMPv6 in IPv4: no packet to the datapath. */
	if ((p->family == 4 && p->proto == 58) ||
	    (p->family == 6 && p->proto == 1)) {
		*id = rsv(e, FWC_RSV_MALFORMED);
		*verdict = XDP_DROP;
		return;
	}
	*id = fwc_tables_classify(e->t, p);
	*verdict = fwc_tables_action(e->t, *id) == FWC_ACT_ALLOW ? XDP_PASS :
								   XDP_DROP;
}

static void show(const char *what, const struct fwc_packet *p,
		 const struct pb *b)
{
	char buf[200];

	fwc_packet_format(p, buf, sizeof(buf));
	fprintf(stderr, "%s\n  packet: %s (frame %zu bytes, family %u)\n", what,
		buf, b->len, p->family);
}

/*
 * One packet through the program: the verdict and the counted rule must
 * be the tables' (and the tables' rule the reference's, with @pol).
 * Returns the verdict.
 */
static int check_packet(struct env *e, const struct fwc_policy *pol,
			struct rng *r, const struct fwc_packet *p,
			struct tally *ta, struct totals *tot, const char *name)
{
	struct pb b;
	uint32_t id;
	int verdict, ret;
	char what[200];

	build_frame(r, &b, p);
	expect_of(e, p, &verdict, &id);
	tot->packets++;
	tot->v6 += p->family == 6;
	tot->by_rule += id && id <= e->t->meta.n_rules;
	tot->pass += verdict == XDP_PASS;
	if (pol && id <= e->t->meta.n_rules) {
		uint32_t want = fwc_reference_classify(pol, p);

		if (want != id) {
			tot->spec_failed++;
			if (tot->shown++ < MAX_SHOWN) {
				snprintf(what, sizeof(what),
					 "%s: the reference says rule %u, "
					 "fwc_tables_classify() rule %u",
					 name, want, id);
				show(what, p, &b);
			}
		}
	}
	ret = run_len(e, &b, b.len);
	ta->pkts[id]++;
	ta->bytes[id] += b.len;
	if (ret != verdict || counter(e, id).packets != ta->pkts[id]) {
		tot->failed++;
		if (tot->shown++ < MAX_SHOWN) {
			snprintf(what, sizeof(what),
				 "%s: expected %s, rule %u; the datapath %s, "
				 "counter %u at %" PRIu64 " of %" PRIu64,
				 name, verdict == XDP_PASS ? "pass" : "drop",
				 id, ret == XDP_PASS ? "pass" : "drop", id,
				 (uint64_t)counter(e, id).packets,
				 ta->pkts[id]);
			show(what, p, &b);
		}
		/* Resync, so that one mistake is reported once. */
		for (uint32_t i = 0; i < ta->n; i++) {
			struct fwc_counter c = counter(e, i);

			ta->pkts[i] = c.packets;
			ta->bytes[i] = c.bytes;
		}
	}
	return ret;
}

/* Every counter against the tally, packets and bytes: false if one differs. */
static bool check_totals(struct env *e, const struct tally *ta,
			 const char *name)
{
	bool ok = true;

	for (uint32_t i = 0; i < ta->n; i++) {
		struct fwc_counter c = counter(e, i);

		if (c.packets == ta->pkts[i] && c.bytes == ta->bytes[i])
			continue;
		fprintf(stderr,
			"%s: counter %u at %" PRIu64 "/%" PRIu64
			", expected %" PRIu64 "/%" PRIu64 "\n",
			name, i, (uint64_t)c.packets, (uint64_t)c.bytes,
			ta->pkts[i], ta->bytes[i]);
		ok = false;
	}
	return ok;
}

/* ---- random policies ------------------------------------------------- */

/*
 * More rules after randpol_make's: narrow ones (a host to a small
 * prefix, one port), which the sparse groups are for, mixed with
 * randpol's own kind (no zones), so that the groups' rules interleave.
 */
static void narrow_service(struct randpol *rp, struct rng *r, uint32_t port)
{
	rp_put(rp, " proto %s port %u", rnd_below(r, 2) ? "tcp" : "udp", port);
	rp_note(rp->ports, &rp->n_ports, port);
}

static void more_rules(struct randpol *rp, struct rng *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = rnd_below(r, 65536), b = rnd_below(r, 65536);
		uint32_t len = 24 + rnd_below(r, 9), port = rnd_below(r, 200);

		rp_put(rp, "%s ", rnd_below(r, 3) ? "allow" : "deny");
		if (rnd_below(r, 3) == 0) {
			rp_hosts(rp, r, 0);
			rp_put(rp, " -> ");
			rp_hosts(rp, r, 0);
			rp_put(rp, " ");
			rp_service(rp, r);
		} else if (rnd_below(r, 3)) {
			b &= (0xffffu << (32 - len)) & 0xffff;
			rp_put(rp, "10.0.%u.%u -> 10.0.%u.%u/%u", a >> 8,
			       a & 255, b >> 8, b & 255, len);
			rp_note(rp->v4, &rp->n4, a);
			rp_note(rp->v4, &rp->n4, b);
			narrow_service(rp, r, port);
		} else {
			len += 96;
			b &= len >= 112 ? (0xffffu << (128 - len)) & 0xffff : 0;
			rp_put(rp, "2001:db8::%x -> 2001:db8::%x/%u", a, b,
			       len);
			rp_note(rp->v6, &rp->n6, a);
			rp_note(rp->v6, &rp->n6, b);
			narrow_service(rp, r, port);
		}
		rp_put(rp, "\n");
	}
}

/* Compiles with @o? (tables only, no program) */
static bool compiles(const char *text, struct fwc_compile_opts o)
{
	struct fwc_tables *t = NULL;
	FILE *null = fopen("/dev/null", "w");
	int err;

	o.err = null;
	err = fwc_compile("groups.pol", text, strlen(text), &o, &t, NULL);
	fclose(null);
	fwc_tables_free(t);
	return err == 0;
}

/*
 * The smallest of a few budgets @text compiles in with groups: there the
 * dense pair tables of candidate lists give way to sparse ones.
 */
static uint64_t tight_budget(const char *text, struct fwc_compile_opts o)
{
	static const uint64_t budgets[] = { 256 << 10, 64 << 10, 32 << 10,
					    16 << 10,  8 << 10,	 4 << 10,
					    2 << 10 };
	uint64_t best = 0;

	for (size_t i = 0; i < sizeof(budgets) / sizeof(budgets[0]); i++) {
		o.max_table_memory = budgets[i];
		if (!compiles(text, o))
			break;
		best = budgets[i];
	}
	return best;
}

static void test_random(void **state)
{
	unsigned long n_pol = env_num("FWC_GROUPS_POLICIES", 24);
	unsigned long n_pkt = env_num("FWC_GROUPS_PACKETS", 4000);
	unsigned long seen[3] = { 0, 0, 0 }, multi = 0, tight = 0;
	unsigned long single_checked = 0, single_failed = 0;
	struct rng r = { seed };
	struct randpol rp = { 0 };
	struct totals tot = { 0 };
	double t0 = now_ms();

	(void)state;
	for (unsigned long i = 0; i < n_pol; i++) {
		struct fwc_compile_opts o = {
			.layout = FWC_LAYOUT_GROUPS,
			.v6_layout = i % 2 ? FWC_V6_LPM : FWC_V6_TRIE,
		};
		struct fwc_policy *pol = NULL;
		struct env *e, *single = NULL;
		unsigned long failed = tot.failed, spec = tot.spec_failed;
		char *text, name[160], k[96];
		struct tally ta, ts;
		size_t len;

		randpol_make(&rp, &r, 2 + rnd_below(&r, i % 6 == 0 ? 40 : 12));
		if (i % 4)
			more_rules(&rp, &r, 20 + rnd_below(&r, 100));
		len = strlen("set state off\n") + rp.len + 1;
		text = malloc(len);
		assert_non_null(text);
		snprintf(text, len, "set state off\n%s", rp.text);
		/* Every other policy in the smallest budget it fits. */
		if (i % 2) {
			o.max_table_memory = tight_budget(text, o);
			tight += o.max_table_memory != 0;
		}
		e = env_load_opts(text, o, &pol);
		if (!e)
			fail_msg("random policy %lu does not compile:\n%s", i,
				 text);
		assert_true(e->t->meta.n_groups >= 1);
		multi += e->t->meta.n_groups > 1;
		kinds(e->t, k, sizeof(k), seen);
		snprintf(name, sizeof(name), "random policy %lu (%s)", i, k);
		/* Now and then the same policy in the single layout beside. */
		if (i % 8 == 0) {
			single = env_load(text);
			assert_int_equal(single->t->meta.n_groups, 0);
			tally_init(&ts, single);
		}
		tally_init(&ta, e);
		/* Enough said after a few dozen mismatches. */
		for (unsigned long n = 0; n < n_pkt && tot.failed < 50; n++) {
			struct fwc_packet p;
			uint64_t s = r.s;
			int v;

			if (rnd_below(&r, 4))
				aim_packet(pol, &r, &p);
			else
				randpol_packet(&rp, &r, &p);
			if (p.family == 6 && is_v6_ext(p.proto))
				p.proto = 6;
			/* The same frame for both: replay the generator. */
			v = check_packet(e, pol, &r, &p, &ta, &tot, name);
			if (single) {
				struct rng again = { s };
				struct fwc_packet q;
				unsigned long f = tot.failed;
				int sv;

				if (rnd_below(&again, 4))
					aim_packet(pol, &again, &q);
				else
					randpol_packet(&rp, &again, &q);
				if (q.family == 6 && is_v6_ext(q.proto))
					q.proto = 6;
				single_checked++;
				sv = check_packet(single, NULL, &again, &q, &ts,
						  &tot, "the single layout");
				single_failed += sv != v || tot.failed != f;
			}
		}
		if (!check_totals(e, &ta, name))
			tot.failed++;
		if (single && !check_totals(single, &ts, "the single layout"))
			tot.failed++;
		if (tot.failed != failed || tot.spec_failed != spec)
			fprintf(stderr, "  policy:\n%s\n", text);
		tally_free(&ta);
		if (single) {
			tally_free(&ts);
			env_free(single);
		}
		env_free(e);
		fwc_policy_destroy(pol);
		free(text);
	}
	free(rp.text);
	printf("random: %lu grouped policies (%lu with more than one group, "
	       "%lu in a tight budget), groups seen: lists %lu, sparse %lu; "
	       "%lu packets (%lu IPv6, %lu pass, %lu decided by "
	       "a rule), %lu also in the single layout (%lu differ); %lu "
	       "datapath mismatches, %lu tables/reference mismatches; "
	       "%.0f ms\n",
	       n_pol, multi, tight, seen[1], seen[2], tot.packets, tot.v6,
	       tot.pass, tot.by_rule, single_checked, single_failed, tot.failed,
	       tot.spec_failed, now_ms() - t0);
	assert_int_equal(tot.failed, 0);
	assert_int_equal(tot.spec_failed, 0);
	assert_int_equal(single_failed, 0);
	/* The generator must reach every kind, and rules, both families. */
	assert_true(seen[FWC_GROUP_LISTS] && seen[FWC_GROUP_SPARSE]);
	assert_true(multi > n_pol / 2);
	assert_true(tot.by_rule > tot.packets / 8);
	assert_true(tot.v6 > tot.packets / 10);
}

/* ---- a ClassBench-like fw policy ------------------------------------- */

/*
 * Marks the rules of the list at @at as of group kind @kind, and those of
 * the decision row a long list names.
 */
static void list_kinds(const struct fwc_tables *t, const struct fwc_group *g,
		       uint32_t at, uint8_t kind, uint8_t *of, uint8_t *walked)
{
	if (at >= t->meta.n_glist || walked[at])
		return;
	walked[at] = 1;
	for (uint32_t i = at; i < t->meta.n_glist && t->glist[i].rule; i++) {
		const struct fwc_gentry *e = &t->glist[i];
		uint64_t row = (uint32_t)e->k1_hi << 16 | e->k1_lo;

		if (e->rule != FWC_GENTRY_ROW) {
			if (e->rule <= t->meta.n_rules)
				of[e->rule] = kind;
			continue;
		}
		for (uint64_t v = 0; row < g->n_rows && v < g->n_svc; v++) {
			uint64_t d = g->dec_off + row * g->n_svc + v;
			uint32_t id = d < t->meta.n_dec ? t->decision[d] : 0;

			if (id && id <= t->meta.n_rules)
				of[id] = kind;
		}
	}
}

/* The kind of the group each rule is in (@of: n_rules + 1, 0xff none). */
static void rule_kinds(const struct fwc_tables *t, uint8_t *of)
{
	uint8_t *walked = calloc(t->meta.n_glist + 1, 1);

	assert_non_null(walked);
	memset(of, 0xff, t->meta.n_rules + 1);
	for (uint32_t k = 0; k < t->meta.n_groups; k++) {
		const struct fwc_group *g = &t->groups[k];
		uint64_t np = (uint64_t)g->n_src * g->n_dst;

		if (g->kind == FWC_GROUP_LISTS) {
			for (uint64_t i = 0; i < np; i++)
				list_kinds(t, g, t->pair[g->pair_off + i],
					   FWC_GROUP_LISTS, of, walked);
		} else if (g->kind == FWC_GROUP_SPARSE) {
			for (uint64_t i = 0; i <= g->mask; i++)
				if (t->slots[g->pair_off + i].src)
					list_kinds(
						t, g,
						t->slots[g->pair_off + i].list,
						FWC_GROUP_SPARSE, of, walked);
		}
	}
	free(walked);
}

/* The generator's path: bench/ from the working directory, or beside the
 * binary (build/tests/../../bench). */
static char *classbench(unsigned long rules, unsigned long cb_seed)
{
	char exe[4096], awk[4200], cmd[4400];
	char *text = NULL;
	size_t len = 0;
	ssize_t n;
	FILE *f, *out;

	snprintf(awk, sizeof(awk), "bench/classbench.awk");
	if (access(awk, R_OK)) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		assert_true(n > 0);
		exe[n] = 0;
		*strrchr(exe, '/') = 0;
		snprintf(awk, sizeof(awk), "%s/../../bench/classbench.awk",
			 exe);
	}
	assert_int_equal(access(awk, R_OK), 0);
	/*
	 * Without its any -> any rules but those of one port: "allow any ->
	 * any any" or "... proto tcp" would leave every later rule dead.
	 */
	snprintf(cmd, sizeof(cmd),
		 "awk -v SHAPE=fw -v RULES=%lu -v SEED=%lu -f '%s' | "
		 "awk '!/any -> any/ || / port [0-9]+( |$)/'",
		 rules, cb_seed, awk);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	fputs("set state off\n", out);
	f = popen(cmd, "r");
	assert_non_null(f);
	for (int c; (c = fgetc(f)) != EOF;)
		fputc(c, out);
	assert_int_equal(pclose(f), 0);
	fclose(out);
	assert_true(len > rules * 9);
	return text;
}

static void test_classbench(void **state)
{
	unsigned long rules = env_num("FWC_GROUPS_RULES", 5000);
	unsigned long n_pkt = env_num("FWC_GROUPS_CB_PACKETS", 30000);
	/* 4M: the wide dense pair tables do not fit, so sparse ones. */
	struct fwc_compile_opts o = { .layout = FWC_LAYOUT_GROUPS,
				      .max_table_memory = 4 << 20 };
	struct fwc_policy *pol = NULL;
	unsigned long seen[3] = { 0, 0, 0 }, hit = 0, by_kind[3] = { 0, 0, 0 };
	struct rng r = { seed ^ 0xc1a55be9c4ull };
	uint8_t *kind_of;
	struct totals tot = { 0 };
	char *text = classbench(rules, seed % 100000 + 1);
	uint8_t *rule_hit;
	double t0, t1, t2;
	struct tally ta;
	struct env *e;
	char k[96];

	(void)state;
	t0 = now_ms();
	e = env_load_opts(text, o, &pol);
	if (!e) {
		/* A seed whose policy is past 4M: the default budget. */
		o.max_table_memory = 0;
		e = env_load_opts(text, o, &pol);
	}
	assert_non_null(e);
	t1 = now_ms();
	kinds(e->t, k, sizeof(k), seen);
	printf("classbench: fw, %lu rules: %s (n_gmap %u, n_pair %u, "
	       "n_slots %u, n_glist %u, n_dec %u); compiled and loaded in "
	       "%.0f ms\n",
	       rules, k, e->t->meta.n_gmap, e->t->meta.n_pair,
	       e->t->meta.n_slots, e->t->meta.n_glist, e->t->meta.n_dec,
	       t1 - t0);
	for (uint32_t g = 0; g < e->t->meta.n_groups; g++) {
		const struct fwc_group *gr = &e->t->groups[g];

		printf("  group %u: %s, min_rule %u, %u x %u classes%s\n", g,
		       kind_name[gr->kind], gr->min_rule, gr->n_src, gr->n_dst,
		       gr->kind == FWC_GROUP_SPARSE ? ", sparse" : "");
	}
	assert_true(e->t->meta.n_groups > 1);
	assert_true(seen[FWC_GROUP_LISTS] >= 1);
	if (o.max_table_memory)
		assert_true(seen[FWC_GROUP_SPARSE] >= 1);
	rule_hit = calloc(e->t->meta.n_rules + 1, 1);
	kind_of = malloc(e->t->meta.n_rules + 1);
	assert_non_null(rule_hit);
	assert_non_null(kind_of);
	rule_kinds(e->t, kind_of);
	tally_init(&ta, e);
	for (unsigned long n = 0; n < n_pkt && tot.failed < 50; n++) {
		struct fwc_packet p;
		uint32_t id;

		/* Mostly one the aimed rule decides (not an earlier one). */
		for (int tries = 0; tries < 4; tries++) {
			uint32_t want = aim_packet(pol, &r, &p);

			if (fwc_reference_classify(pol, &p) == want)
				break;
		}
		id = fwc_tables_classify(e->t, &p);
		if (id && !rule_hit[id]) {
			rule_hit[id] = 1;
			hit++;
		}
		if (id && kind_of[id] <= FWC_GROUP_SPARSE)
			by_kind[kind_of[id]]++;
		check_packet(e, pol, &r, &p, &ta, &tot, "classbench");
	}
	if (!check_totals(e, &ta, "classbench"))
		tot.failed++;
	t2 = now_ms();
	printf("classbench: %lu packets (%lu IPv6, %lu pass, %lu decided by "
	       "a rule: %lu of a lists group, %lu sparse; %lu distinct "
	       "rules), %lu datapath mismatches, %lu tables/reference "
	       "mismatches; %.0f ms\n",
	       tot.packets, tot.v6, tot.pass, tot.by_rule, by_kind[1],
	       by_kind[2], hit, tot.failed, tot.spec_failed, t2 - t1);
	assert_int_equal(tot.failed, 0);
	assert_int_equal(tot.spec_failed, 0);
	assert_true(tot.by_rule > tot.packets / 2);
	assert_true(hit > (rules < n_pkt ? rules : n_pkt) / 8);
	for (unsigned int kd = 0; kd <= FWC_GROUP_SPARSE; kd++)
		if (seen[kd])
			assert_true(by_kind[kd] > 100);
	tally_free(&ta);
	free(rule_hit);
	free(kind_of);
	env_free(e);
	fwc_policy_destroy(pol);
	free(text);
}

/* ---- broken tables fail closed --------------------------------------- */

/*
 * Rules 1-4: any -> any, source /16 -> any, any -> a host, IPv6 /48s;
 * 5-154: narrow (a host to a /24), a sparse group at 128K; 155-194: 40
 * more any -> any, a list too long to walk, so a decision row.
 */
static char *broken_policy(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fputs("set state off\n"
	      "set default deny\n"
	      "allow any -> any proto tcp port 22 label \"ssh\"\n"
	      "allow 10.1.0.0/16 -> any proto tcp port 80 label \"web\"\n"
	      "allow any -> 10.2.0.5 proto udp port 53 label \"dns\"\n"
	      "allow 2001:db8:1::/48 -> 2001:db8:2::/48 proto tcp\n",
	      f);
	for (int i = 1; i <= 150; i++)
		fprintf(f,
			"allow 10.3.0.%d -> 10.4.%d.0/24 proto tcp port 443\n",
			i, i);
	for (int i = 0; i < 40; i++)
		fprintf(f, "allow any -> any proto tcp port %d\n", 5000 + i);
	fclose(f);
	return text;
}

static void poke(struct bpf_map *m, uint32_t key, const void *val)
{
	assert_int_equal(
		bpf_map_update_elem(bpf_map__fd(m), &key, val, BPF_ANY), 0);
}

static void peek(struct bpf_map *m, uint32_t key, void *val)
{
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(m), &key, val), 0);
}

struct broken {
	struct env *e;
	struct pb b;
	struct fwc_packet p;
	uint32_t id;	  /* its rule */
	int verdict;	  /* and what the rule does */
	uint32_t s, d, v; /* its global classes */
};

/* A TCP or UDP packet that rule @want decides, and the program agrees. */
static void aim(struct broken *x, int fam, uint8_t proto, const char *src,
		const char *dst, uint16_t dport, uint32_t want)
{
	memset(&x->p, 0, sizeof(x->p));
	x->p.family = (uint8_t)fam;
	x->p.proto = proto;
	assert_int_equal(pb_addr(src, x->p.src), fam);
	assert_int_equal(pb_addr(dst, x->p.dst), fam);
	x->p.k1 = dport;
	x->p.k2 = 40000;
	pb_simple(&x->b, fam, proto, x->p.src, x->p.dst, dport, 40000, 10);
	x->id = fwc_tables_classify(x->e->t, &x->p);
	assert_int_equal(x->id, want);
	fwc_tables_classes(x->e->t, &x->p, &x->s, &x->d, &x->v);
	x->verdict = fwc_tables_action(x->e->t, x->id) == FWC_ACT_ALLOW ?
			     XDP_PASS :
			     XDP_DROP;
	EXPECT(x->e, &x->b, x->verdict, x->id);
}

/* The packet is dropped as malformed now, and meets its rule again once
 * @m[@key] is back to @old. */
static void malformed_until(struct broken *x, struct bpf_map *m, uint32_t key,
			    const void *old, const char *what, int line)
{
	expect_len(x->e, &x->b, x->b.len, XDP_DROP,
		   rsv(x->e, FWC_RSV_MALFORMED), line);
	poke(m, key, old);
	expect_len(x->e, &x->b, x->b.len, x->verdict, x->id, line);
	printf("  %s: dropped, counted malformed; restored, rule %u again\n",
	       what, x->id);
}

#define MALFORMED_UNTIL(x, m, key, old, what) \
	malformed_until(x, m, key, old, what, __LINE__)

/* The packet's class in group @k: of its source, or (@dst) destination. */
static uint32_t gclass_of(const struct fwc_tables *t, uint32_t k,
			  const struct broken *x, bool dst)
{
	return dst ? t->gmap[t->meta.n_src + x->d].cls[k] :
		     t->gmap[x->s].cls[k];
}

/* The slots index of the packet's pair in sparse group @k, or -1. */
static int64_t slot_of(const struct fwc_tables *t, uint32_t k,
		       const struct broken *x)
{
	const struct fwc_group *g = &t->groups[k];
	uint32_t gs = gclass_of(t, k, x, false), gd = gclass_of(t, k, x, true);
	uint32_t h = fwc_slot_hash(gs, gd, g->seed);

	for (uint32_t i = 0; i < FWC_PROBE_MAX; i++) {
		uint32_t at = g->pair_off + ((h + i) & g->mask);

		if (t->slots[at].src == gs + 1 && t->slots[at].dst == gd + 1)
			return at;
	}
	return -1;
}

/* The glist offset of the packet's candidate list in group @k, or -1. */
static int64_t list_of(const struct fwc_tables *t, uint32_t k,
		       const struct broken *x)
{
	const struct fwc_group *g = &t->groups[k];
	uint32_t gs = gclass_of(t, k, x, false), gd = gclass_of(t, k, x, true);
	int64_t s;

	if (g->kind == FWC_GROUP_LISTS)
		return t->pair[g->pair_off + gs * g->n_dst + gd];
	if (g->kind != FWC_GROUP_SPARSE)
		return -1;
	s = slot_of(t, k, x);
	return s < 0 ? -1 : (int64_t)t->slots[s].list;
}

/* The group (and glist entry) where the packet meets its rule, by its
 * box or (@row) by a decision row entry; -1 when there is none. */
static int64_t deciding_entry(const struct fwc_tables *t,
			      const struct broken *x, bool row, uint32_t *gi)
{
	for (uint32_t k = 0; k < t->meta.n_groups; k++) {
		int64_t at = list_of(t, k, x);

		for (int64_t i = at; at >= 0 && t->glist[i].rule; i++) {
			const struct fwc_gentry *e = &t->glist[i];

			if ((row && e->rule == FWC_GENTRY_ROW) ||
			    (!row && e->rule == x->id)) {
				*gi = k;
				return i;
			}
		}
	}
	return -1;
}

static void test_broken(void **state)
{
	struct fwc_compile_opts o = { .layout = FWC_LAYOUT_GROUPS,
				      .max_table_memory = 128 << 10 };
	char *text = broken_policy();
	struct fwc_policy *pol = NULL;
	unsigned long seen[3] = { 0, 0, 0 };
	struct broken x = { 0 };
	struct fwc_gclass gc, gwas;
	const struct fwc_tables *t;
	const struct fwc_group *g;
	struct fwc_bpf *sk;
	uint32_t gi = 0, key, val, old;
	int64_t at;
	char k[96];

	(void)state;
	x.e = env_load_opts(text, o, &pol);
	assert_non_null(x.e);
	t = x.e->t;
	sk = x.e->skel;
	kinds(t, k, sizeof(k), seen);
	printf("broken: %s\n", k);
	assert_true(seen[FWC_GROUP_LISTS] && seen[FWC_GROUP_SPARSE]);

	/*
	 * gmap: group 0's source class of the packet out of range. The
	 * entry is the source class's, with every group's class in it:
	 * read whole, one class changed, written back whole.
	 */
	aim(&x, 4, 6, "10.3.0.7", "10.4.7.9", 443, 11);
	g = &t->groups[0];
	key = x.s;
	peek(sk->maps.gmap, key, &gwas);
	gc = gwas;
	gc.cls[0] = g->n_src;
	poke(sk->maps.gmap, key, &gc);
	MALFORMED_UNTIL(&x, sk->maps.gmap, key, &gwas,
			"gmap: source class = n_src of group 0");

	/* The sparse group of rule 11. */
	at = deciding_entry(t, &x, false, &gi);
	assert_true(at >= 0);
	g = &t->groups[gi];
	assert_int_equal(g->kind, FWC_GROUP_SPARSE);

	/* gmap: its destination class out of range (the destination
	 * class's entry, after the n_src source ones). */
	key = t->meta.n_src + x.d;
	peek(sk->maps.gmap, key, &gwas);
	gc = gwas;
	gc.cls[gi] = g->n_dst + 7;
	poke(sk->maps.gmap, key, &gc);
	MALFORMED_UNTIL(
		&x, sk->maps.gmap, key, &gwas,
		"gmap: destination class past n_dst of the sparse group");

	/*
	 * And just past it, n_dst: the bound itself. This stands for ABI
	 * 7's check of a group's dst_off past gmap: a group has no gmap
	 * offsets now (gmap's keys are the global classes, bounded by
	 * meta), so what a group can get wrong there is its class.
	 */
	gc.cls[gi] = g->n_dst;
	poke(sk->maps.gmap, key, &gc);
	MALFORMED_UNTIL(&x, sk->maps.gmap, key, &gwas,
			"gmap: destination class = n_dst of the sparse group");

	/* gmap mask: the sparse group's bit cleared in the packet's
	 * source class, or no group in its destination class: valid (not
	 * malformed), the group is skipped and the default decides. */
	{
		uint32_t mk = x.s;

		peek(sk->maps.gmap, mk, &gwas);
		assert_true(gwas.mask >> gi & 1);
		gc = gwas;
		gc.mask &= ~(1u << gi);
		poke(sk->maps.gmap, mk, &gc);
		DROP(x.e, &x.b, 0);
		poke(sk->maps.gmap, mk, &gwas);
		EXPECT(x.e, &x.b, x.verdict, x.id);
		mk = t->meta.n_src + x.d;
		peek(sk->maps.gmap, mk, &gwas);
		gc = gwas;
		gc.mask = 0;
		poke(sk->maps.gmap, mk, &gc);
		DROP(x.e, &x.b, 0);
		poke(sk->maps.gmap, mk, &gwas);
		EXPECT(x.e, &x.b, x.verdict, x.id);
		printf("  gmap mask: the group's bit cleared: default (rule "
		       "0); restored, rule %u again\n",
		       x.id);
	}

	/* slots: the pair's candidate list past glist. */
	{
		struct fwc_slot sl, was;
		int64_t s = slot_of(t, gi, &x);

		assert_true(s >= 0);
		key = (uint32_t)s;
		peek(sk->maps.slots, key, &sl);
		was = sl;
		sl.list = t->meta.n_glist;
		poke(sk->maps.slots, key, &sl);
		MALFORMED_UNTIL(&x, sk->maps.slots, key, &was,
				"slots: list = n_glist");
	}

	/* glist: the matching entry's rule past n_rules. */
	{
		struct fwc_gentry ge, was;

		key = (uint32_t)at;
		peek(sk->maps.glist, key, &ge);
		was = ge;
		ge.rule = t->meta.n_rules + 1;
		poke(sk->maps.glist, key, &ge);
		MALFORMED_UNTIL(&x, sk->maps.glist, key, &was,
				"glist: rule = n_rules + 1");
	}

	/* groups: the sparse group's slots past the slots map (the probes
	 * read no slot). Its gmap offsets are gone (ABI 8): see gmap's
	 * class = n_dst above. */
	{
		struct fwc_group gr, was;

		peek(sk->maps.groups, gi, &gr);
		was = gr;
		gr.pair_off = t->meta.n_slots;
		poke(sk->maps.groups, gi, &gr);
		MALFORMED_UNTIL(
			&x, sk->maps.groups, gi, &was,
			"groups: pair_off of the sparse group = n_slots");
	}

	/* pair of a LISTS group: the candidate list past glist. */
	aim(&x, 4, 6, "10.1.2.3", "192.0.2.1", 80, 2);
	at = deciding_entry(t, &x, false, &gi);
	assert_true(at >= 0);
	g = &t->groups[gi];
	assert_int_equal(g->kind, FWC_GROUP_LISTS);
	key = g->pair_off + gclass_of(t, gi, &x, false) * g->n_dst +
	      gclass_of(t, gi, &x, true);
	peek(sk->maps.pair, key, &old);
	val = t->meta.n_glist;
	poke(sk->maps.pair, key, &val);
	MALFORMED_UNTIL(&x, sk->maps.pair, key, &old,
			"pair of a lists group: list = n_glist");

	/* A list too long to walk: its decision row past n_rows, and the
	 * row's rule past n_rules. */
	aim(&x, 6, 6, "2001:db8:9::1", "2001:db8:8::2", 5007, 162);
	at = deciding_entry(t, &x, true, &gi);
	assert_true(at >= 0);
	g = &t->groups[gi];
	{
		struct fwc_gentry ge, was;
		uint32_t row;

		key = (uint32_t)at;
		peek(sk->maps.glist, key, &ge);
		was = ge;
		row = (uint32_t)ge.k1_hi << 16 | ge.k1_lo;
		assert_true(row < g->n_rows);
		ge.k1_hi = (uint16_t)(g->n_rows >> 16);
		ge.k1_lo = (uint16_t)g->n_rows;
		poke(sk->maps.glist, key, &ge);
		MALFORMED_UNTIL(&x, sk->maps.glist, key, &was,
				"glist: a decision row entry's row = n_rows");
		key = g->dec_off + row * g->n_svc + x.v;
		peek(sk->maps.decision, key, &old);
		assert_int_equal(old, 162);
		val = t->meta.n_rules + 1;
		poke(sk->maps.decision, key, &val);
		MALFORMED_UNTIL(&x, sk->maps.decision, key, &old,
				"decision of a long list: rule = n_rules + 1");
	}

	/* meta: one group more than the map holds; a packet of no rule
	 * looks in every group its classes are in. Not in its classes'
	 * gmap masks, the group is never read (the default); in them, the
	 * packet fails closed, and so it does with meta as it was: the
	 * walk takes the masks as they are, and the group is past the
	 * groups map (fwc_tables_validate refuses such a mask). */
	{
		struct fwc_gclass ms, md;
		struct fwc_meta m, was;
		uint32_t zero = 0, ks, kd, bit;

		aim(&x, 4, 17, "10.9.9.9", "10.8.8.8", 9, 0);
		peek(sk->maps.meta, zero, &m);
		was = m;
		m.n_groups++;
		poke(sk->maps.meta, zero, &m);
		EXPECT(x.e, &x.b, x.verdict, x.id);
		ks = x.s;
		kd = t->meta.n_src + x.d;
		/* The extra group's bit must be one the program walks. */
		assert_true(t->meta.n_groups < FWC_GROUPS_MAX);
		bit = 1u << t->meta.n_groups;
		peek(sk->maps.gmap, ks, &ms);
		peek(sk->maps.gmap, kd, &md);
		gc = ms;
		gc.mask |= bit;
		poke(sk->maps.gmap, ks, &gc);
		gc = md;
		gc.mask |= bit;
		poke(sk->maps.gmap, kd, &gc);
		MALFORMED(x.e, &x.b);
		printf("  meta: n_groups + 1, in the gmap masks (a packet of "
		       "no rule): dropped, counted malformed\n");
		/* And the bit with meta as it was: a group past the map. */
		poke(sk->maps.meta, zero, &was);
		MALFORMED(x.e, &x.b);
		printf("  gmap masks: a group past n_groups: dropped, counted "
		       "malformed\n");
		/* In one of the two masks, the bit is in no packet's. */
		poke(sk->maps.gmap, ks, &ms);
		EXPECT(x.e, &x.b, x.verdict, x.id);
		poke(sk->maps.gmap, kd, &md);
		EXPECT(x.e, &x.b, x.verdict, x.id);
	}

	env_free(x.e);
	fwc_policy_destroy(pol);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_classbench),
		cmocka_unit_test(test_broken),
	};

	seed = env_num("FWC_SEED", 20261201);
	printf("FWC_SEED=%" PRIu64 "\n", seed);
	fflush(stdout);
	libbpf_set_print(libbpf_quiet);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
