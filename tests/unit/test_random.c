// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Property test: on thousands of random policies and random packets the
 * table classifier and the naive reference scan give the same rule, in
 * the single cross product and in the grouped layout.
 * FWC_SEED and FWC_POLICIES override the seed and the policy count.
 */
#include <stdarg.h>

#include "helpers.h"
#include "randpol.h"

#include <errno.h>

/*
 * The grouped test's small budget: a dense pair table of candidate lists
 * may take half of what is left (compiler/groups.c, build_group()), so a
 * group of some 45 x 45 classes or more becomes sparse.
 */
#define GROUPS_SMALL_BUDGET 16384u

/*
 * Rules enough on one address pair that their candidate list is more
 * than 32 boxes: the compiler writes it as one entry naming a decision
 * row (FWC_GENTRY_ROW), which random policies alone seldom need.
 */
#define GROUPS_PAIR_RULES 48u

/*
 * Narrow rules each on a pair of its own, enough that their group's
 * classes (some 60 x 60) make a dense pair table too big for the small
 * budget's half: a sparse group, which random policies alone, their
 * rules spread over 14 groups, seldom need.
 */
#define GROUPS_NARROW_RULES 60u

/* @p's rules, then GROUPS_PAIR_RULES of random services on one pair. */
static void randpol_pair_rules(struct randpol *p, struct rng *r)
{
	uint32_t a = rnd_below(r, 65536), b = rnd_below(r, 65536);

	rp_note(p->v4, &p->n4, a);
	rp_note(p->v4, &p->n4, b);
	for (uint32_t i = 0; i < GROUPS_PAIR_RULES; i++) {
		rp_put(p, "%s 10.0.%u.%u -> 10.0.%u.%u ",
		       rnd_below(r, 3) ? "allow" : "deny", a >> 8, a & 255,
		       b >> 8, b & 255);
		rp_service(p, r);
		rp_put(p, "\n");
	}
}

/* @p's rules, then GROUPS_NARROW_RULES host to host, each its own pair. */
static void randpol_narrow_rules(struct randpol *p, struct rng *r)
{
	for (uint32_t i = 0; i < GROUPS_NARROW_RULES; i++) {
		uint32_t a = rnd_below(r, 65536), b = rnd_below(r, 65536);

		rp_note(p->v4, &p->n4, a);
		rp_note(p->v4, &p->n4, b);
		rp_put(p, "%s 10.0.%u.%u -> 10.0.%u.%u ",
		       rnd_below(r, 3) ? "allow" : "deny", a >> 8, a & 255,
		       b >> 8, b & 255);
		rp_service(p, r);
		rp_put(p, "\n");
	}
}

static void test_tables_agree_with_reference(void **state)
{
	const char *seed_env = getenv("FWC_SEED"),
		   *n_env = getenv("FWC_POLICIES");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x5eed2026;
	unsigned long n_pol = n_env ? strtoul(n_env, NULL, 0) : 3000;
	struct rng r = { seed };
	struct randpol p = { 0 };
	unsigned long packets = 0, matched = 0;
	/* IPv6 trie prefixes seen: none, partial, 14 bytes; outside hits. */
	unsigned long at_none = 0, at_part = 0, at_full = 0, outside = 0;
	unsigned long ranged = 0; /* IPv6 tries with range leaves */

	(void)state;
	printf("seed 0x%llx, %lu policies\n", (unsigned long long)seed, n_pol);
	for (unsigned long i = 0; i < n_pol; i++) {
		struct compiled c;

		randpol_make(&p, &r, 1 + rnd_below(&r, i % 10 == 0 ? 60 : 12));
		/* IPv6 layouts alternate: the trie, and the LPM fallback. */
		c = compile_text_opts(
			p.text, (struct fwc_compile_opts){
					.v6_layout = i % 2 ? FWC_V6_LPM :
							     FWC_V6_TRIE });
		if (c.err) { /* e.g. a random exclusion emptied nothing valid */
			fail_msg("random policy %lu failed to compile:\n%s\n%s",
				 i, p.text, c.diag);
		}
		if (c.t->meta.flags & FWC_META_V6_TRIE) {
			at_none += c.t->meta.v6_at == 0;
			at_part += c.t->meta.v6_at && c.t->meta.v6_at < 14;
			at_full += c.t->meta.v6_at == 14;
			ranged += c.t->meta.n_v6_ranges > 0;
		}
		for (int k = 0; k < 200; k++) {
			struct fwc_packet pkt;
			uint32_t a, b;

			randpol_packet(&p, &r, &pkt);
			if (pkt.family == 6 && c.t->meta.v6_at &&
			    (c.t->meta.flags & FWC_META_V6_TRIE))
				outside +=
					fwc_v6_outside(&c.t->meta, pkt.src) ||
					fwc_v6_outside(&c.t->meta, pkt.dst);
			a = fwc_tables_classify(c.t, &pkt);
			b = fwc_reference_classify(c.pol, &pkt);
			packets++;
			matched += a != 0;
			if (a != b) {
				char buf[160];

				fwc_packet_format(&pkt, buf, sizeof(buf));
				fail_msg("policy %lu (seed 0x%llx): %s: tables "
					 "rule %u, reference rule %u\n%s",
					 i, (unsigned long long)seed, buf, a, b,
					 p.text);
			}
		}
		compiled_free(&c);
	}
	printf("%lu packets agreed (%lu matched a rule)\n", packets, matched);
	printf("IPv6 trie prefixes: %lu none, %lu partial, %lu of 14 bytes; "
	       "%lu packets outside one; %lu tries with range leaves\n",
	       at_none, at_part, at_full, outside, ranged);
	/* The generator must exercise rules, not just the default, */
	assert_true(matched > packets / 20);
	/* and every shape of the IPv6 trie's prefix, inside and out. */
	assert_true(at_none && at_part && at_full && outside && ranged);
	free(p.text);
}

/*
 * The same random policies in the grouped layout (--layout groups): each
 * group looked up on its own classes, the lowest rule wins, as the
 * reference's first match. Every third policy gets a small budget, under
 * which a group too big for a dense pair table takes the sparse one.
 */
static void test_groups_agree_with_reference(void **state)
{
	const char *seed_env = getenv("FWC_SEED"),
		   *n_env = getenv("FWC_POLICIES");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x5eed2026;
	unsigned long n_pol = n_env ? strtoul(n_env, NULL, 0) : 3000;
	struct rng r = { seed };
	struct randpol p = { 0 };
	unsigned long packets = 0, matched = 0, kinds[3] = { 0 }, refused = 0;
	unsigned long small = 0, row_entries = 0, with_rows = 0;

	(void)state;
	printf("seed 0x%llx, %lu policies, grouped\n", (unsigned long long)seed,
	       n_pol);
	for (unsigned long i = 0; i < n_pol; i++) {
		struct compiled c;
		uint64_t budget = i % 3 == 2 ? GROUPS_SMALL_BUDGET : 0;

		randpol_make(&p, &r, 1 + rnd_below(&r, i % 10 == 0 ? 60 : 12));
		if (i % 30 == 4) /* the full budget (i % 3 == 1) */
			randpol_pair_rules(&p, &r);
		if (i % 30 == 5) /* the small budget (i % 3 == 2) */
			randpol_narrow_rules(&p, &r);
		c = compile_text_opts(p.text,
				      (struct fwc_compile_opts){
					      .v6_layout = i % 2 ? FWC_V6_LPM :
								   FWC_V6_TRIE,
					      .layout = FWC_LAYOUT_GROUPS,
					      .max_table_memory = budget });
		if (c.err == -E2BIG && budget) {
			refused++;
			compiled_free(&c);
			continue;
		}
		if (c.err)
			fail_msg("random policy %lu failed to compile:\n%s\n%s",
				 i, p.text, c.diag);
		small += budget != 0;
		assert_true(c.t->meta.n_groups > 0);
		assert_true(c.t->meta.n_groups <= FWC_GROUPS_MAX);
		for (uint32_t g = 0; g < c.t->meta.n_groups; g++) {
			assert_true(c.t->groups[g].kind == FWC_GROUP_LISTS ||
				    c.t->groups[g].kind == FWC_GROUP_SPARSE);
			kinds[c.t->groups[g].kind]++;
		}
		{
			unsigned long n = 0;

			for (uint32_t e = 0; e < c.t->meta.n_glist; e++)
				n += c.t->glist[e].rule == FWC_GENTRY_ROW;
			row_entries += n;
			with_rows += n > 0;
		}
		for (int k = 0; k < 200; k++) {
			struct fwc_packet pkt;
			uint32_t a, b;

			randpol_packet(&p, &r, &pkt);
			a = fwc_tables_classify(c.t, &pkt);
			b = fwc_reference_classify(c.pol, &pkt);
			packets++;
			matched += a != 0;
			if (a != b) {
				char buf[160];

				fwc_packet_format(&pkt, buf, sizeof(buf));
				fail_msg(
					"grouped policy %lu (seed 0x%llx): %s: "
					"tables rule %u, reference rule %u\n%s",
					i, (unsigned long long)seed, buf, a, b,
					p.text);
			}
		}
		compiled_free(&c);
	}
	printf("%lu packets agreed (%lu matched a rule); %lu of the policies "
	       "under a budget of %u bytes compiled, %lu refused\n",
	       packets, matched, small, GROUPS_SMALL_BUDGET, refused);
	printf("groups: %lu lists, %lu sparse; %lu policies with %lu "
	       "decision row entries\n",
	       kinds[FWC_GROUP_LISTS], kinds[FWC_GROUP_SPARSE], with_rows,
	       row_entries);
	assert_true(matched > packets / 20);
	assert_true(kinds[FWC_GROUP_LISTS] && kinds[FWC_GROUP_SPARSE]);
	/* Long lists, as decision rows: the pair rules' at least. */
	assert_true(with_rows > 0);
	/* The small budget must leave most policies compiled. */
	assert_true(small > refused);
	free(p.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_agree_with_reference),
		cmocka_unit_test(test_groups_agree_with_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
