// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Equivalence classes of addresses, protocols, ports and ICMP types. */
#include <errno.h>
#include <string.h>

#include "classes.h"
#include "util.h"

/* ---- a hash set of bitset signatures ---------------------------------- */

struct sigtab {
	uint32_t *slot; /* id + 1 */
	uint64_t *hash; /* per id */
	size_t cap;
};

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t hash_words(const uint64_t *w, size_t n)
{
	uint64_t h = 0x51ed2705u;

	for (size_t i = 0; i < n; i++)
		h = mix64(h ^ w[i]);
	return h;
}

static void sigtab_grow(struct sigtab *t, uint32_t n)
{
	size_t ncap = t->cap ? t->cap * 2 : 64;
	uint32_t *slot = xcalloc(ncap, sizeof(*slot));

	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->slot[i])
			continue;
		j = t->hash[t->slot[i] - 1] & (ncap - 1);
		while (slot[j])
			j = (j + 1) & (ncap - 1);
		slot[j] = t->slot[i];
	}
	(void)n;
	free(t->slot);
	t->slot = slot;
	t->cap = ncap;
}

/*
 * Finds signature @sig (of @words words, hash @h) among the @*n stored in
 * @*pool; adds it when new. Returns its id.
 */
static uint32_t sigtab_intern(struct sigtab *t, uint64_t **pool, uint32_t *n,
			      uint32_t *cap, const uint64_t *sig, size_t words,
			      uint64_t h)
{
	size_t j;

	if ((*n + 1) * 2 > t->cap)
		sigtab_grow(t, *n);
	j = h & (t->cap - 1);
	while (t->slot[j]) {
		uint32_t id = t->slot[j] - 1;

		if (t->hash[id] == h && !memcmp(*pool + (size_t)id * words, sig,
						words * sizeof(*sig)))
			return id;
		j = (j + 1) & (t->cap - 1);
	}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*pool = xrealloc(*pool, (size_t)*cap * words, sizeof(**pool));
		t->hash = xrealloc(t->hash, *cap, sizeof(*t->hash));
	}
	memcpy(*pool + (size_t)*n * words, sig, words * sizeof(*sig));
	t->hash[*n] = h;
	t->slot[j] = *n + 1;
	return (*n)++;
}

static void sigtab_free(struct sigtab *t)
{
	free(t->slot);
	free(t->hash);
}

/* ---- partitions ------------------------------------------------------- */

struct event {
	fwc_u128 at;
	uint32_t set;
};

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->set < y->set ? -1 : x->set > y->set;
}

static void push_seg(struct fwc_partition *p, size_t *cap, fwc_u128 lo,
		     fwc_u128 hi, uint32_t cls)
{
	struct fwc_seg s = { lo, hi, cls };

	if (p->n_seg && p->seg[p->n_seg - 1].cls == cls &&
	    p->seg[p->n_seg - 1].hi + 1 == lo) {
		p->seg[p->n_seg - 1].hi = hi;
		return;
	}
	VEC_PUSH(p->seg, p->n_seg, *cap, s);
}

void fwc_partition(const struct fwc_ivset *const *sets, size_t n_sets,
		   fwc_u128 max, bool reserve_empty, struct fwc_partition *out)
{
	struct sigtab tab = { 0 };
	struct event *ev = NULL;
	size_t n_ev = 0, cap_ev = 0, seg_cap = 0, i;
	uint64_t *active, *zob, h = 0;
	uint32_t cap_cls = 0;
	fwc_u128 cur = 0;

	memset(out, 0, sizeof(*out));
	out->words = (n_sets + 63) / 64 ? (n_sets + 63) / 64 : 1;
	active = xcalloc(out->words, sizeof(*active));
	zob = xcalloc(n_sets, sizeof(*zob));
	for (i = 0; i < n_sets; i++) {
		zob[i] = mix64(i * 0x2545f4914f6cdd1dull + 1);
		for (size_t k = 0; k < sets[i]->n; k++) {
			struct event a = { sets[i]->iv[k].lo, (uint32_t)i };
			struct event b = { sets[i]->iv[k].hi + 1, (uint32_t)i };

			VEC_PUSH(ev, n_ev, cap_ev, a);
			if (sets[i]->iv[k].hi < max)
				VEC_PUSH(ev, n_ev, cap_ev, b);
		}
	}
	if (n_ev)
		qsort(ev, n_ev, sizeof(*ev), cmp_event);
	if (reserve_empty)
		sigtab_intern(&tab, &out->sig, &out->n_cls, &cap_cls, active,
			      out->words, hash_words(&h, 1));
	i = 0;
	for (;;) {
		fwc_u128 next = i < n_ev ? ev[i].at : max;
		bool last = i >= n_ev;

		if (last || next > cur) {
			uint32_t cls = sigtab_intern(&tab, &out->sig,
						     &out->n_cls, &cap_cls,
						     active, out->words,
						     hash_words(&h, 1));

			push_seg(out, &seg_cap, cur, last ? max : next - 1,
				 cls);
			if (last)
				break;
			cur = next;
		}
		/* Sets are normalised: a set toggles at most once a point. */
		active[ev[i].set / 64] ^= (uint64_t)1 << (ev[i].set % 64);
		h ^= zob[ev[i].set];
		i++;
	}
	free(ev);
	free(active);
	free(zob);
	sigtab_free(&tab);
}

void fwc_partition_free(struct fwc_partition *p)
{
	free(p->seg);
	free(p->sig);
	memset(p, 0, sizeof(*p));
}

/* A set of non-zero 64-bit keys; true when @h was new. */
struct keyset {
	uint64_t *k;
	size_t cap, n;
};

static bool keyset_add(struct keyset *t, uint64_t h)
{
	size_t j;

	if ((t->n + 1) * 2 > t->cap) {
		struct keyset old = *t;

		t->cap = t->cap ? t->cap * 2 : 1024;
		t->k = xcalloc(t->cap, sizeof(*t->k));
		for (size_t i = 0; i < old.cap; i++) {
			if (!old.k[i])
				continue;
			j = mix64(old.k[i]) & (t->cap - 1);
			while (t->k[j])
				j = (j + 1) & (t->cap - 1);
			t->k[j] = old.k[i];
		}
		free(old.k);
	}
	j = mix64(h) & (t->cap - 1);
	while (t->k[j] && t->k[j] != h)
		j = (j + 1) & (t->cap - 1);
	if (t->k[j])
		return false;
	t->k[j] = h;
	t->n++;
	return true;
}

/*
 * The classes fwc_partition() would make of @sets, counted by the
 * fingerprints of the segments' sets (the same XOR of per-set keys),
 * without their signatures: n_cls signatures of n_sets bits each are
 * what a large partition costs.
 */
static uint32_t partition_count(const struct fwc_ivset *const *sets,
				size_t n_sets, fwc_u128 max, bool reserve_empty)
{
	struct keyset seen = { 0 };
	struct event *ev = NULL;
	size_t n_ev = 0, cap_ev = 0, i = 0;
	bool empty = reserve_empty;
	fwc_u128 cur = 0;
	uint64_t h = 0;

	for (size_t k = 0; k < n_sets; k++)
		for (size_t j = 0; j < sets[k]->n; j++) {
			struct event a = { sets[k]->iv[j].lo, (uint32_t)k };
			struct event b = { sets[k]->iv[j].hi + 1, (uint32_t)k };

			VEC_PUSH(ev, n_ev, cap_ev, a);
			if (sets[k]->iv[j].hi < max)
				VEC_PUSH(ev, n_ev, cap_ev, b);
		}
	if (n_ev)
		qsort(ev, n_ev, sizeof(*ev), cmp_event);
	for (;;) {
		fwc_u128 next = i < n_ev ? ev[i].at : max;
		bool last = i >= n_ev;

		/* The segment from cur: the set of its key h (0: no set). */
		if (last || next > cur) {
			if (h)
				keyset_add(&seen, h);
			else
				empty = true;
			if (last)
				break;
			cur = next;
		}
		h ^= mix64(ev[i].set * 0x2545f4914f6cdd1dull + 1);
		i++;
	}
	free(ev);
	free(seen.k);
	return (uint32_t)seen.n + empty;
}

/* A partition with one class covering [0, max]. */
static void partition_trivial(fwc_u128 max, struct fwc_partition *p)
{
	fwc_partition(NULL, 0, max, false, p);
}

/* ---- addresses -------------------------------------------------------- */

/* Distinct host sets in one role (source or destination) of the rules. */
static void roles(const struct fwc_policy *pol, bool src, uint32_t **role_of,
		  uint32_t **sets, size_t *n)
{
	uint32_t *idx = xcalloc(pol->n_hosts, sizeof(*idx)); /* id + 1 */
	size_t cap = 0;

	*role_of = xcalloc(pol->n_rules, sizeof(**role_of));
	*sets = NULL;
	*n = 0;
	for (size_t r = 0; r < pol->n_rules; r++) {
		uint32_t h = src ? pol->rules[r].src : pol->rules[r].dst;

		if (!idx[h]) {
			VEC_PUSH(*sets, *n, cap, h);
			idx[h] = (uint32_t)*n;
		}
		(*role_of)[r] = idx[h] - 1;
	}
	free(idx);
}

static void partition_role(const struct fwc_policy *pol, const uint32_t *sets,
			   size_t n, int family, struct fwc_partition *p)
{
	const struct fwc_ivset **in = xcalloc(n, sizeof(*in));

	for (size_t i = 0; i < n; i++)
		in[i] = family == 4 ? &pol->hosts[sets[i]].v4 :
				      &pol->hosts[sets[i]].v6;
	fwc_partition(in, n, family == 4 ? FWC_V4_MAX : FWC_V6_MAX, true, p);
	free(in);
}

static uint32_t count_role(const struct fwc_policy *pol, const uint32_t *sets,
			   size_t n, int family)
{
	const struct fwc_ivset **in = xcalloc(n, sizeof(*in));
	uint32_t k;

	for (size_t i = 0; i < n; i++)
		in[i] = family == 4 ? &pol->hosts[sets[i]].v4 :
				      &pol->hosts[sets[i]].v6;
	k = partition_count(in, n, family == 4 ? FWC_V4_MAX : FWC_V6_MAX, true);
	free(in);
	return k;
}

struct pairtab {
	uint64_t *key; /* (src << 32 | dst) + 1, 0 = empty */
	uint32_t *val;
	size_t cap, n;
};

static uint32_t addr_class_of(struct fwc_classes *c, struct pairtab *t,
			      uint32_t s, uint32_t d)
{
	uint64_t key = ((uint64_t)s << 32 | d) + 1;
	size_t j;

	if ((t->n + 1) * 2 > t->cap) {
		struct pairtab old = *t;

		t->cap = t->cap ? t->cap * 2 : 64;
		t->key = xcalloc(t->cap, sizeof(*t->key));
		t->val = xcalloc(t->cap, sizeof(*t->val));
		for (size_t i = 0; i < old.cap; i++) {
			if (!old.key[i])
				continue;
			j = mix64(old.key[i]) & (t->cap - 1);
			while (t->key[j])
				j = (j + 1) & (t->cap - 1);
			t->key[j] = old.key[i];
			t->val[j] = old.val[i];
		}
		free(old.key);
		free(old.val);
	}
	j = mix64(key) & (t->cap - 1);
	while (t->key[j]) {
		if (t->key[j] == key)
			return t->val[j];
		j = (j + 1) & (t->cap - 1);
	}
	t->key[j] = key;
	t->val[j] = c->n_addr;
	t->n++;
	{
		struct fwc_addr_class ac = { s, d };

		VEC_PUSH(c->addr, c->n_addr, c->cap_addr, ac);
	}
	return c->n_addr - 1;
}

/* Refines the src and dst partitions of one family into addr classes. */
static void refine(struct fwc_classes *c, struct pairtab *t,
		   const struct fwc_partition *src, uint32_t s_off,
		   const struct fwc_partition *dst, uint32_t d_off,
		   struct fwc_seg **out, size_t *n_out)
{
	size_t i = 0, j = 0, cap = 0;
	fwc_u128 lo = 0;

	*out = NULL;
	*n_out = 0;
	while (i < src->n_seg && j < dst->n_seg) {
		fwc_u128 hi = src->seg[i].hi < dst->seg[j].hi ? src->seg[i].hi :
								dst->seg[j].hi;
		uint32_t a = addr_class_of(c, t, s_off + src->seg[i].cls,
					   d_off + dst->seg[j].cls);
		struct fwc_seg s = { lo, hi, a };

		if (*n_out && (*out)[*n_out - 1].cls == a)
			(*out)[*n_out - 1].hi = hi;
		else
			VEC_PUSH(*out, *n_out, cap, s);
		if (src->seg[i].hi == hi)
			i++;
		if (dst->seg[j].hi == hi)
			j++;
		lo = hi + 1;
	}
}

/*
 * An IPv6 LPM miss reads addr class 0, so class 0 should be the class
 * whose addresses would need the most prefixes: with `any` in a rule that
 * is the rest of the address space, not an empty class.
 */
static void choose_miss_class(struct fwc_classes *c)
{
	size_t *cost = xcalloc(c->n_addr, sizeof(*cost));
	uint32_t best = 0;

	for (size_t i = 0; i < c->n_aseg6; i++)
		cost[c->aseg6[i].cls] += fwc_range_to_prefixes(
			c->aseg6[i].lo, c->aseg6[i].hi, 128, NULL, NULL);
	for (uint32_t k = 1; k < c->n_addr; k++)
		if (cost[k] > cost[best])
			best = k;
	free(cost);
	if (best == 0)
		return;
	{
		struct fwc_addr_class tmp = c->addr[0];

		c->addr[0] = c->addr[best];
		c->addr[best] = tmp;
	}
	for (size_t i = 0; i < c->n_aseg4; i++)
		if (c->aseg4[i].cls == best || c->aseg4[i].cls == 0)
			c->aseg4[i].cls = c->aseg4[i].cls ? 0 : best;
	for (size_t i = 0; i < c->n_aseg6; i++)
		if (c->aseg6[i].cls == best || c->aseg6[i].cls == 0)
			c->aseg6[i].cls = c->aseg6[i].cls ? 0 : best;
}

static void build_addresses(const struct fwc_policy *pol, struct fwc_classes *c)
{
	partition_role(pol, c->src_sets, c->n_src_roles, 4, &c->src4);
	partition_role(pol, c->src_sets, c->n_src_roles, 6, &c->src6);
	partition_role(pol, c->dst_sets, c->n_dst_roles, 4, &c->dst4);
	partition_role(pol, c->dst_sets, c->n_dst_roles, 6, &c->dst6);
	fwc_classes_refine(c);
}

void fwc_classes_refine(struct fwc_classes *c)
{
	struct pairtab t = { 0 };

	c->n_src = c->src4.n_cls + c->src6.n_cls;
	c->n_dst = c->dst4.n_cls + c->dst6.n_cls;
	/* addr class 0: IPv6 in no set, what an LPM miss returns. */
	addr_class_of(c, &t, c->src4.n_cls, c->dst4.n_cls);
	refine(c, &t, &c->src4, 0, &c->dst4, 0, &c->aseg4, &c->n_aseg4);
	refine(c, &t, &c->src6, c->src4.n_cls, &c->dst6, c->dst4.n_cls,
	       &c->aseg6, &c->n_aseg6);
	choose_miss_class(c);
	free(t.key);
	free(t.val);
}

bool fwc_src_has_rule(const struct fwc_classes *c, uint32_t s, uint32_t r)
{
	const struct fwc_partition *p = s < c->src4.n_cls ? &c->src4 : &c->src6;

	if (s >= c->src4.n_cls)
		s -= c->src4.n_cls;
	return fwc_bit(p->sig + (size_t)s * p->words, c->src_role[r]);
}

bool fwc_dst_has_rule(const struct fwc_classes *c, uint32_t d, uint32_t r)
{
	const struct fwc_partition *p = d < c->dst4.n_cls ? &c->dst4 : &c->dst6;

	if (d >= c->dst4.n_cls)
		d -= c->dst4.n_cls;
	return fwc_bit(p->sig + (size_t)d * p->words, c->dst_role[r]);
}

/* ---- protocols, ports, types, services -------------------------------- */

/* Distinct values of one set-id field over @terms, and each term's index. */
static void distinct_sets(const struct fwc_policy *pol, const uint32_t *terms,
			  size_t n, size_t field_off, uint32_t **ids,
			  size_t *n_ids, uint32_t **idx_of_term)
{
	uint32_t *seen = xcalloc(pol->n_sets, sizeof(*seen));
	size_t cap = 0;

	*ids = NULL;
	*n_ids = 0;
	*idx_of_term = xcalloc(n, sizeof(**idx_of_term));
	for (size_t i = 0; i < n; i++) {
		const char *t = (const char *)&pol->terms[terms[i]];
		uint32_t set;

		memcpy(&set, t + field_off, sizeof(set));
		if (!seen[set]) {
			VEC_PUSH(*ids, *n_ids, cap, set);
			seen[set] = (uint32_t)*n_ids;
		}
		(*idx_of_term)[i] = seen[set] - 1;
	}
	free(seen);
}

static void partition_sets(const struct fwc_policy *pol, const uint32_t *ids,
			   size_t n, fwc_u128 max, struct fwc_partition *p)
{
	const struct fwc_ivset **in = xcalloc(n, sizeof(*in));

	for (size_t i = 0; i < n; i++)
		in[i] = &pol->sets[ids[i]];
	fwc_partition(in, n, max, false, p);
	free(in);
}

static void build_proto_classes(const struct fwc_policy *pol,
				struct fwc_classes *c)
{
	uint32_t *all = xcalloc(pol->n_terms, sizeof(*all)), *ids, *idx;
	const struct fwc_ivset **in;
	struct fwc_ivset ports = { 0 }, icmp = { 0 };
	struct fwc_partition p;
	size_t n_ids;

	for (size_t i = 0; i < pol->n_terms; i++)
		all[i] = (uint32_t)i;
	distinct_sets(pol, all, pol->n_terms, offsetof(struct fwc_term, protos),
		      &ids, &n_ids, &idx);
	/* Two extra inputs keep port, ICMP and other protocols apart. */
	fwc_ivset_add(&ports, 6, 6);
	fwc_ivset_add(&ports, 17, 17);
	fwc_ivset_add(&ports, 132, 132);
	fwc_ivset_add(&icmp, 1, 1);
	fwc_ivset_add(&icmp, 58, 58);
	in = xcalloc(n_ids + 2, sizeof(*in));
	for (size_t i = 0; i < n_ids; i++)
		in[i] = &pol->sets[ids[i]];
	in[n_ids] = &ports;
	in[n_ids + 1] = &icmp;
	fwc_partition(in, n_ids + 2, 255, false, &p);
	c->n_pc = p.n_cls;
	c->pc = xcalloc(p.n_cls, sizeof(*c->pc));
	for (size_t s = 0; s < p.n_seg; s++)
		for (fwc_u128 v = p.seg[s].lo; v <= p.seg[s].hi; v++) {
			struct fwc_pclass *pc = &c->pc[p.seg[s].cls];

			c->proto_pc[v] = p.seg[s].cls;
			pc->kind = fwc_proto_has_ports((unsigned int)v) ?
					   PC_PORTS :
				   fwc_proto_is_icmp((unsigned int)v) ?
					   PC_ICMP :
					   PC_OTHER;
		}
	for (size_t t = 0; t < pol->n_terms; t++)
		for (uint32_t k = 0; k < p.n_cls; k++) {
			struct fwc_pclass *pc = &c->pc[k];

			if (fwc_bit(p.sig + (size_t)k * p.words, idx[t]))
				VEC_PUSH(pc->terms, pc->n_terms, pc->cap_terms,
					 (uint32_t)t);
		}
	fwc_partition_free(&p);
	fwc_ivset_free(&ports);
	fwc_ivset_free(&icmp);
	free(in);
	free(ids);
	free(idx);
	free(all);
}

/* Rules of a protocol class grouped by (k1 input, k2 input). */
struct group {
	uint32_t k1, k2;
	uint32_t *rules;
	size_t n, cap;
};

static uint32_t intern_svc(struct fwc_classes *c, struct sigtab *tab,
			   const uint64_t *rules)
{
	return sigtab_intern(tab, &c->svc_rules, &c->n_svc, &c->cap_svc, rules,
			     c->rule_words, hash_words(rules, c->rule_words));
}

/* Set index of each term of a protocol class, per key (NULL: no key). */
struct pc_idx {
	uint32_t *k1, *k2;
};

/* The key partitions of protocol class @pc: dport/sport, or type. */
static void pclass_partition(const struct fwc_policy *pol,
			     struct fwc_pclass *pc, struct pc_idx *idx)
{
	size_t n1 = 0, n2 = 0;

	idx->k1 = idx->k2 = NULL;
	if (pc->kind == PC_PORTS) {
		distinct_sets(pol, pc->terms, pc->n_terms,
			      offsetof(struct fwc_term, dports), &pc->k1_sets,
			      &n1, &idx->k1);
		distinct_sets(pol, pc->terms, pc->n_terms,
			      offsetof(struct fwc_term, sports), &pc->k2_sets,
			      &n2, &idx->k2);
		partition_sets(pol, pc->k1_sets, n1, 65535, &pc->k1);
		partition_sets(pol, pc->k2_sets, n2, 65535, &pc->k2);
	} else if (pc->kind == PC_ICMP) {
		distinct_sets(pol, pc->terms, pc->n_terms,
			      offsetof(struct fwc_term, types), &pc->k1_sets,
			      &n1, &idx->k1);
		partition_sets(pol, pc->k1_sets, n1, 255, &pc->k1);
		partition_trivial(0, &pc->k2);
	} else {
		partition_trivial(0, &pc->k1);
		partition_trivial(0, &pc->k2);
	}
}

/*
 * The service class of every (k1, k2) class combination of @pc. -E2BIG
 * when the service classes' rule sets would pass @max_bytes: the check
 * runs as they are interned, so they never take much more.
 */
static int pclass_services(const struct fwc_policy *pol, struct fwc_classes *c,
			   struct fwc_pclass *pc, const struct pc_idx *idx,
			   struct sigtab *tab, uint64_t max_bytes)
{
	size_t n_groups = 0, cap_groups = 0;
	struct group *groups = NULL;
	uint64_t *rules = xcalloc(c->rule_words, sizeof(*rules));
	int err = 0;

	/* Group the class's rules by their (k1, k2) inputs. */
	for (size_t i = 0; i < pc->n_terms; i++) {
		uint32_t a = idx->k1 ? idx->k1[i] : 0;
		uint32_t b = idx->k2 ? idx->k2[i] : 0;
		uint32_t r = pol->terms[pc->terms[i]].rule;
		size_t g;

		for (g = 0; g < n_groups; g++)
			if (groups[g].k1 == a && groups[g].k2 == b)
				break;
		if (g == n_groups) {
			struct group ng = { .k1 = a, .k2 = b };

			VEC_PUSH(groups, n_groups, cap_groups, ng);
		}
		VEC_PUSH(groups[g].rules, groups[g].n, groups[g].cap, r);
	}
	pc->svc =
		xcalloc((size_t)pc->k1.n_cls * pc->k2.n_cls, sizeof(*pc->svc));
	for (uint32_t c1 = 0; c1 < pc->k1.n_cls && !err; c1++)
		for (uint32_t c2 = 0; c2 < pc->k2.n_cls; c2++) {
			memset(rules, 0, c->rule_words * sizeof(*rules));
			for (size_t g = 0; g < n_groups; g++) {
				if (idx->k1 &&
				    !fwc_bit(pc->k1.sig + c1 * pc->k1.words,
					     groups[g].k1))
					continue;
				if (idx->k2 &&
				    !fwc_bit(pc->k2.sig + c2 * pc->k2.words,
					     groups[g].k2))
					continue;
				for (size_t k = 0; k < groups[g].n; k++)
					fwc_bit_set(rules, groups[g].rules[k]);
			}
			pc->svc[c1 * pc->k2.n_cls + c2] =
				intern_svc(c, tab, rules);
			if ((uint64_t)c->n_svc * c->rule_words * 8 >
			    max_bytes) {
				err = -E2BIG;
				break;
			}
		}
	for (size_t g = 0; g < n_groups; g++)
		free(groups[g].rules);
	free(groups);
	free(rules);
	return err;
}

uint64_t fwc_svc_map_entries(const struct fwc_classes *c)
{
	uint64_t n = 0;

	for (uint32_t k = 0; k < c->n_pc; k++)
		n += (uint64_t)c->pc[k].k1.n_cls * c->pc[k].k2.n_cls;
	return n;
}

int fwc_classes_build_within(const struct fwc_policy *pol,
			     struct fwc_classes *c, uint64_t max_bytes)
{
	struct sigtab tab = { 0 };
	struct pc_idx *idx;
	int err = 0;

	memset(c, 0, sizeof(*c));
	c->rule_words = (pol->n_rules + 63) / 64 ? (pol->n_rules + 63) / 64 : 1;
	roles(pol, true, &c->src_role, &c->src_sets, &c->n_src_roles);
	roles(pol, false, &c->dst_role, &c->dst_sets, &c->n_dst_roles);
	/*
	 * The pair table's size first, from counts alone: the signatures of
	 * the address classes (a bit per host set each) are the largest
	 * thing the classes hold when there are many.
	 */
	if (max_bytes != UINT64_MAX) {
		uint64_t ns = count_role(pol, c->src_sets, c->n_src_roles, 4) +
			      count_role(pol, c->src_sets, c->n_src_roles, 6);
		uint64_t nd = count_role(pol, c->dst_sets, c->n_dst_roles, 4) +
			      count_role(pol, c->dst_sets, c->n_dst_roles, 6);

		if (ns * nd * sizeof(uint32_t) > max_bytes) {
			c->n_src = (uint32_t)ns;
			c->n_dst = (uint32_t)nd;
			c->over = FWC_OVER_PAIR;
			return -E2BIG;
		}
	}
	build_addresses(pol, c);
	build_proto_classes(pol, c);
	idx = xcalloc(c->n_pc + 1, sizeof(*idx));
	for (uint32_t k = 0; k < c->n_pc; k++)
		pclass_partition(pol, &c->pc[k], &idx[k]);
	/* The svc map and the pair table: known from the partitions. */
	if (fwc_svc_map_entries(c) * sizeof(uint32_t) > max_bytes)
		c->over = FWC_OVER_SVC;
	else if ((fwc_svc_map_entries(c) + (uint64_t)c->n_src * c->n_dst) *
			 sizeof(uint32_t) >
		 max_bytes)
		c->over = FWC_OVER_PAIR;
	for (uint32_t k = 0; k < c->n_pc && !c->over; k++)
		if (pclass_services(pol, c, &c->pc[k], &idx[k], &tab,
				    max_bytes))
			c->over = FWC_OVER_SVC_RULES;
	err = c->over ? -E2BIG : 0;
	for (uint32_t k = 0; k < c->n_pc; k++) {
		free(idx[k].k1);
		free(idx[k].k2);
	}
	free(idx);
	sigtab_free(&tab);
	return err;
}

void fwc_classes_build(const struct fwc_policy *pol, struct fwc_classes *c)
{
	fwc_classes_build_within(pol, c, UINT64_MAX);
}

void fwc_classes_free(struct fwc_classes *c)
{
	fwc_partition_free(&c->src4);
	fwc_partition_free(&c->src6);
	fwc_partition_free(&c->dst4);
	fwc_partition_free(&c->dst6);
	free(c->src_role);
	free(c->dst_role);
	free(c->src_sets);
	free(c->dst_sets);
	free(c->addr);
	free(c->aseg4);
	free(c->aseg6);
	for (uint32_t k = 0; k < c->n_pc; k++) {
		fwc_partition_free(&c->pc[k].k1);
		fwc_partition_free(&c->pc[k].k2);
		free(c->pc[k].terms);
		free(c->pc[k].k1_sets);
		free(c->pc[k].k2_sets);
		free(c->pc[k].svc);
	}
	free(c->pc);
	free(c->svc_rules);
	memset(c, 0, sizeof(*c));
}
