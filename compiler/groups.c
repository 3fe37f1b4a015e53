// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The grouped layout (issue 13; include/fwc_abi.h, "Groups"; the choice
 * is argued in docs/architecture.md). A single cross product of source,
 * destination and service classes is fast and grows with the product of
 * the three counts; rule sets where every rule brings its own prefixes on
 * both sides (ClassBench's acl, fw and ipc) pass any budget that way.
 *
 * So the rules are split by how wide their addresses are (any; shorter
 * than /16; /16-/23; /24 and longer; IPv6 64 bits longer), the way
 * EffiCuts and CutSplit separate rules by which fields are wide, into at
 * most 14 groups (enum gid): any to any; any to each width and each width
 * to any; wide to wide; /16-/23 to /16-/23; and the rest by the wider
 * side's width and which side it is; the groups with an any side are
 * merged into two when that still fits the budget (enum merge). In a
 * group few rules share an address pair, and a rule holds few of its
 * group's classes on a side:
 *
 *   LISTS     a dense pair table of candidate lists, when it takes at
 *             most FWC_DENSE_LISTS (a side that is any has one or two
 *             classes);
 *   SPARSE    else only the pairs some rule covers, in an open-addressed
 *             table, each with its candidate list.
 *
 * A list holds each candidate rule's service as boxes of (protocol, k1,
 * k2) in rule order; a packet takes the first box that holds it. A list
 * longer than FWC_LIST_MAX entries, its end included (many rules on one
 * address pair), is one entry naming a decision row over the service
 * classes of the rules in such lists. Every group's address classes are
 * its own, so that a wide group is not cut by another's narrow prefixes;
 * the trie's addr classes refine them all, and a global class's gmap
 * entry holds its class in each group and the groups it is in at all.
 */
#include <errno.h>
#include <string.h>

#include "compile.h"
#include "lower.h"
#include "util.h"

/* ---- rules into groups ------------------------------------------------ */

enum width {
	W_NARROW,
	W_MEDIUM,
	W_WIDE,
	W_ANY
};

enum gid {
	G_ANY,
	G_SRC_ANY,
	G_SRC_ANY_M,
	G_SRC_ANY_W,
	G_DST_ANY,
	G_DST_ANY_M,
	G_DST_ANY_W,
	G_WIDE,
	G_SRC_WIDE,
	G_DST_WIDE,
	G_MEDIUM,
	G_SRC_MEDIUM,
	G_DST_MEDIUM,
	G_NARROW,
	G_COUNT
};

_Static_assert(G_COUNT <= FWC_GROUPS_MAX, "a gmap entry holds every group");

static const char *const gid_name[G_COUNT] = {
	"any to any",	     "any to narrow",	   "any to /16-/23",
	"any to wide",	     "narrow to any",	   "/16-/23 to any",
	"wide to any",	     "wide to wide",	   "wide to narrower",
	"narrower to wide",  "/16-/23 to /16-/23", "/16-/23 to narrow",
	"narrow to /16-/23", "narrow to narrow",
};

/* log2 of the largest interval of @s (bits of a prefix it could be). */
static unsigned int widest_bits(const struct fwc_ivset *s)
{
	unsigned int best = 0;

	for (size_t i = 0; i < s->n; i++) {
		fwc_u128 n = s->iv[i].hi - s->iv[i].lo;
		unsigned int b = 0;

		while (b < 128 && (n >> b))
			b++;
		if (b > best)
			best = b;
	}
	return best;
}

/*
 * How wide a host set is: any when it holds a whole family; else by its
 * widest piece, as the length of a prefix (IPv6 64 bits longer).
 */
static enum width host_width(const struct fwc_addrset *h)
{
	unsigned int b4 = widest_bits(&h->v4), b6 = widest_bits(&h->v6);

	if ((h->v4.n == 1 && h->v4.iv[0].lo == 0 &&
	     h->v4.iv[0].hi == FWC_V4_MAX) ||
	    (h->v6.n == 1 && h->v6.iv[0].lo == 0 &&
	     h->v6.iv[0].hi == FWC_V6_MAX))
		return W_ANY;
	if (b4 > 16 || b6 > 80)
		return W_WIDE;
	if (b4 > 8 || b6 > 64)
		return W_MEDIUM;
	return W_NARROW;
}

/* ---- services as boxes ------------------------------------------------ */

struct boxes {
	struct fwc_gentry *e;
	size_t n, cap;
};

static bool ivset_full(const struct fwc_ivset *s, fwc_u128 max)
{
	return s->n == 1 && s->iv[0].lo == 0 && s->iv[0].hi >= max;
}

static void box_push(struct boxes *b, uint32_t rule, unsigned int plo,
		     unsigned int phi, fwc_u128 k1lo, fwc_u128 k1hi,
		     fwc_u128 k2lo, fwc_u128 k2hi)
{
	struct fwc_gentry e = {
		.rule = rule,
		.k1_lo = (uint16_t)k1lo,
		.k1_hi = (uint16_t)(k1hi > 65535 ? 65535 : k1hi),
		.k2_lo = (uint16_t)k2lo,
		.k2_hi = (uint16_t)(k2hi > 65535 ? 65535 : k2hi),
		.proto_lo = (uint8_t)plo,
		.proto_hi = (uint8_t)phi,
	};

	VEC_PUSH(b->e, b->n, b->cap, e);
}

/* Protocol kinds as the classes see them: ports, ICMP, neither. */
static int proto_kind(unsigned int p)
{
	return fwc_proto_has_ports(p) ? 1 : fwc_proto_is_icmp(p) ? 2 : 0;
}

/*
 * The boxes of one term: per run of its protocols of one kind, the
 * ports (dport x sport intervals), the ICMP types, or nothing. A term
 * that restricts no key is one box per run of protocols.
 */
static void term_boxes(const struct fwc_policy *pol, const struct fwc_term *t,
		       uint32_t id, struct boxes *b)
{
	const struct fwc_ivset *pr = &pol->sets[t->protos];
	const struct fwc_ivset *dp = &pol->sets[t->dports];
	const struct fwc_ivset *sp = &pol->sets[t->sports];
	const struct fwc_ivset *ty = &pol->sets[t->types];
	bool open = ivset_full(dp, 65535) && ivset_full(sp, 65535) &&
		    ivset_full(ty, 255);

	for (size_t i = 0; i < pr->n; i++) {
		unsigned int lo = (unsigned int)pr->iv[i].lo;
		unsigned int hi = (unsigned int)pr->iv[i].hi;

		if (open) {
			box_push(b, id, lo, hi, 0, 65535, 0, 65535);
			continue;
		}
		for (unsigned int p = lo; p <= hi;) {
			unsigned int q = p;
			int kind = proto_kind(p);

			while (q < hi && proto_kind(q + 1) == kind)
				q++;
			if (kind == 0)
				box_push(b, id, p, q, 0, 65535, 0, 65535);
			else if (kind == 2)
				for (size_t k = 0; k < ty->n; k++)
					box_push(b, id, p, q, ty->iv[k].lo,
						 ty->iv[k].hi, 0, 65535);
			else
				for (size_t k = 0; k < dp->n; k++)
					for (size_t j = 0; j < sp->n; j++)
						box_push(b, id, p, q,
							 dp->iv[k].lo,
							 dp->iv[k].hi,
							 sp->iv[j].lo,
							 sp->iv[j].hi);
			p = q + 1;
		}
	}
}

/* ---- a group's address classes ---------------------------------------- */

/*
 * A group's partition of one family for one side: the segments its
 * rules' sets cut the space into, each its own class, and class 0 for
 * every segment in no set (classes of the same sets are not merged: that
 * would need a signature per class, and the groups are built so that a
 * rule holds few segments).
 */
struct gpart {
	fwc_u128 *lo;  /* segment starts, sorted; the first is 0 */
	uint32_t *cls; /* class of each */
	size_t n_seg;
	uint32_t n_cls; /* including 0 */
};

static int cmp_u128(const void *a, const void *b)
{
	fwc_u128 x = *(const fwc_u128 *)a, y = *(const fwc_u128 *)b;

	return x < y ? -1 : x > y;
}

struct cover {
	fwc_u128 at;
	int d;
};

static int cmp_cover(const void *a, const void *b)
{
	const struct cover *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

static void gpart_build(const struct fwc_policy *pol, const uint32_t *rules,
			size_t n, bool src, int family, struct gpart *p)
{
	fwc_u128 max = family == 4 ? FWC_V4_MAX : FWC_V6_MAX;
	struct cover *ev = NULL;
	size_t n_ev = 0, cap = 0, k = 0;
	int depth = 0;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		const struct fwc_rule *r = &pol->rules[rules[i]];
		const struct fwc_addrset *h =
			&pol->hosts[src ? r->src : r->dst];
		const struct fwc_ivset *s = family == 4 ? &h->v4 : &h->v6;

		for (size_t j = 0; j < s->n; j++) {
			struct cover a = { s->iv[j].lo, 1 };
			struct cover b = { s->iv[j].hi + 1, -1 };

			VEC_PUSH(ev, n_ev, cap, a);
			if (s->iv[j].hi != max)
				VEC_PUSH(ev, n_ev, cap, b);
		}
	}
	if (n_ev)
		qsort(ev, n_ev, sizeof(*ev), cmp_cover);
	p->lo = xcalloc(n_ev + 1, sizeof(*p->lo));
	p->cls = xcalloc(n_ev + 1, sizeof(*p->cls));
	p->n_cls = 1;
	p->lo[0] = 0;
	p->cls[0] = 0;
	p->n_seg = 1;
	while (k < n_ev) {
		fwc_u128 at = ev[k].at;

		while (k < n_ev && ev[k].at == at)
			depth += ev[k++].d;
		if (at == p->lo[p->n_seg - 1])
			p->n_seg--;
		p->lo[p->n_seg] = at;
		p->cls[p->n_seg] = depth ? p->n_cls++ : 0;
		p->n_seg++;
	}
	/* Two uncovered segments in a row are one. */
	{
		size_t w = 1;

		for (size_t i = 1; i < p->n_seg; i++) {
			if (!p->cls[i] && !p->cls[w - 1])
				continue;
			p->lo[w] = p->lo[i];
			p->cls[w++] = p->cls[i];
		}
		p->n_seg = w;
	}
	free(ev);
	(void)cmp_u128;
}

static void gpart_free(struct gpart *p)
{
	free(p->lo);
	free(p->cls);
}

/* Index of the segment holding @x. */
static size_t gpart_find(const struct gpart *p, fwc_u128 x)
{
	size_t lo = 0, hi = p->n_seg;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->lo[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The classes inside @s (of partition @p, ids offset by @off), appended. */
static void gpart_classes(const struct gpart *p, const struct fwc_ivset *s,
			  uint32_t off, uint32_t **out, size_t *n, size_t *cap)
{
	for (size_t j = 0; j < s->n; j++)
		for (size_t i = gpart_find(p, s->iv[j].lo);
		     i < p->n_seg && p->lo[i] <= s->iv[j].hi; i++)
			VEC_PUSH(*out, *n, *cap, off + p->cls[i]);
}

/* ---- one group -------------------------------------------------------- */

struct group {
	enum gid id;
	uint32_t *rules; /* indexes into pol->rules, in rule order */
	size_t n, cap;
	/* Address classes: v4 then v6, per side. */
	struct gpart s4, s6, d4, d6;
	uint32_t n_src, n_dst;
	/* The result. */
	struct fwc_group g;
	uint32_t *pair; /* LISTS: n_src * n_dst glist offsets */
	struct fwc_slot *slots;
	size_t n_slots;
	/* A merged group's bound on its rules' pairs, or 0 (none). */
	uint64_t work_max;
};

/* Rules @rules of @pol as a policy of their own, sharing its pools. */
static void sub_policy(const struct fwc_policy *pol, const uint32_t *rules,
		       size_t n, struct fwc_policy *s)
{
	size_t n_terms = 0;

	*s = *pol;
	s->rules = xcalloc(n + 1, sizeof(*s->rules));
	for (size_t i = 0; i < n; i++)
		n_terms += pol->rules[rules[i]].n_terms;
	s->terms = xcalloc(n_terms + 1, sizeof(*s->terms));
	s->n_rules = n;
	s->n_terms = 0;
	s->rpc = NULL;
	s->n_rpc = 0;
	for (size_t i = 0; i < n; i++) {
		struct fwc_rule r = pol->rules[rules[i]];

		for (size_t k = 0; k < r.n_terms; k++) {
			struct fwc_term t = pol->terms[r.term_first + k];

			t.rule = (uint32_t)i;
			s->terms[s->n_terms + k] = t;
		}
		/* Its id in @pol: what a decision row holds. */
		r.term_first = s->n_terms;
		r.n_rpc = 0;
		s->n_terms += r.n_terms;
		s->rules[i] = r;
	}
}

/*
 * Interned candidate lists: rule sequences -> glist offsets. A list of
 * more than FWC_LIST_MAX entries (its boxes and its end) becomes one
 * entry that names a decision row (filled once every list is known,
 * lists_rows()), over the service classes of every rule in such a list:
 * many rules on one address pair are what decision rows are for, and a
 * packet never walks a long list. A list of more than FWC_LIST_SHORT
 * entries is written out, and becomes a row too when the rows fit a
 * share of the budget (build_rows): one row costs a packet two reads,
 * a walk up to one a box (docs/benchmarks.md).
 */
#define FWC_LIST_SHORT 8
struct lists {
	struct fwc_gentry *e; /* the glist */
	size_t n, cap;
	uint64_t *key; /* hash, 0 empty */
	uint32_t *id;  /* its interned list */
	size_t slots;
	uint32_t *seq; /* rule indexes of every interned list */
	size_t n_seq, cap_seq;
	uint32_t *off, *len, *at; /* per interned list: in seq; in glist */
	size_t used, cap_used;
	const struct boxes *box; /* per policy rule */
	/* Long lists: interned ids, and the rules they hold. */
	uint32_t *longs;
	size_t n_long, cap_long;
	/* Lists of FWC_LIST_SHORT + 1 .. FWC_LIST_MAX entries: their ids. */
	uint32_t *mediums;
	size_t n_medium, cap_medium;
};

static uint64_t hash_rules(const uint32_t *r, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;

	for (size_t i = 0; i < n; i++) {
		h ^= r[i] + 0x632be59bd9b4e019ull + (h << 6) + (h >> 2);
		h *= 0xff51afd7ed558ccdull;
	}
	return h | 1;
}

/*
 * Doubles an open-addressed index of (hash, id) slots: the lists' and
 * the vector sets' (struct vecset).
 */
static void index_grow(uint64_t **key, uint32_t **id, size_t *slots)
{
	size_t ncap = *slots ? *slots * 2 : 1024, j;
	uint64_t *nkey = xcalloc(ncap, sizeof(*nkey));
	uint32_t *nid = xcalloc(ncap, sizeof(*nid));

	for (size_t i = 0; i < *slots; i++) {
		if (!(*key)[i])
			continue;
		for (j = (*key)[i] & (ncap - 1); nkey[j];
		     j = (j + 1) & (ncap - 1))
			;
		nkey[j] = (*key)[i];
		nid[j] = (*id)[i];
	}
	free(*key);
	free(*id);
	*key = nkey;
	*id = nid;
	*slots = ncap;
}

static void gentry_push(struct lists *l, struct fwc_gentry e)
{
	VEC_PUSH(l->e, l->n, l->cap, e);
}

/* The glist offset of the list of policy rules @r (in order). */
static uint32_t lists_intern(struct lists *l, const uint32_t *r, size_t n)
{
	uint64_t h = hash_rules(r, n);
	struct fwc_gentry end = { 0 };
	size_t j, entries = 1;
	uint32_t id;

	if ((l->used + 1) * 2 > l->slots)
		index_grow(&l->key, &l->id, &l->slots);
	for (j = h & (l->slots - 1); l->key[j]; j = (j + 1) & (l->slots - 1)) {
		id = l->id[j];
		if (l->key[j] == h && l->len[id] == n &&
		    (!n || !memcmp(l->seq + l->off[id], r, n * sizeof(*r))))
			return l->at[id];
	}
	if (l->used == l->cap_used) {
		l->cap_used = l->cap_used ? l->cap_used * 2 : 1024;
		l->off = xrealloc(l->off, l->cap_used, sizeof(*l->off));
		l->len = xrealloc(l->len, l->cap_used, sizeof(*l->len));
		l->at = xrealloc(l->at, l->cap_used, sizeof(*l->at));
	}
	id = (uint32_t)l->used++;
	l->off[id] = (uint32_t)l->n_seq;
	l->len[id] = (uint32_t)n;
	l->at[id] = (uint32_t)l->n;
	for (size_t i = 0; i < n; i++)
		VEC_PUSH(l->seq, l->n_seq, l->cap_seq, r[i]);
	l->key[j] = h;
	l->id[j] = id;
	for (size_t i = 0; i < n; i++)
		entries += l->box[r[i]].n;
	if (entries > FWC_LIST_MAX) {
		struct fwc_gentry row = { .rule = FWC_GENTRY_ROW };

		VEC_PUSH(l->longs, l->n_long, l->cap_long, id);
		gentry_push(l, row);
	} else {
		if (entries > FWC_LIST_SHORT)
			VEC_PUSH(l->mediums, l->n_medium, l->cap_medium, id);
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < l->box[r[i]].n; k++)
				gentry_push(l, l->box[r[i]].e[k]);
	}
	gentry_push(l, end);
	return l->at[id];
}

static void lists_free(struct lists *l)
{
	free(l->e);
	free(l->key);
	free(l->id);
	free(l->seq);
	free(l->off);
	free(l->len);
	free(l->at);
	free(l->longs);
	free(l->mediums);
}

/* Classes of each rule's side, CSR: rule i's are item[off[i]..off[i+1]). */
struct sides {
	uint32_t *off, *item;
	size_t n, cap;
};

static void rule_sides(const struct fwc_policy *pol, const struct group *g,
		       bool src, struct sides *out)
{
	const struct gpart *p4 = src ? &g->s4 : &g->d4;
	const struct gpart *p6 = src ? &g->s6 : &g->d6;

	memset(out, 0, sizeof(*out));
	out->off = xcalloc(g->n + 1, sizeof(*out->off));
	for (size_t i = 0; i < g->n; i++) {
		const struct fwc_rule *r = &pol->rules[g->rules[i]];
		const struct fwc_addrset *h =
			&pol->hosts[src ? r->src : r->dst];

		gpart_classes(p4, &h->v4, 0, &out->item, &out->n, &out->cap);
		gpart_classes(p6, &h->v6, p4->n_cls, &out->item, &out->n,
			      &out->cap);
		out->off[i + 1] = (uint32_t)out->n;
	}
}

/* Rules holding each source class, in rule order (CSR by class). */
static void by_class(const struct sides *s, size_t n_rules, uint32_t n_cls,
		     struct fwc_csr *out)
{
	uint32_t *fill;

	out->off = xcalloc((size_t)n_cls + 1, sizeof(*out->off));
	out->item = xcalloc(s->n + 1, sizeof(*out->item));
	for (size_t k = 0; k < s->n; k++)
		out->off[s->item[k] + 1]++;
	for (uint32_t c = 0; c < n_cls; c++)
		out->off[c + 1] += out->off[c];
	fill = xcalloc((size_t)n_cls + 1, sizeof(*fill));
	memcpy(fill, out->off, (size_t)n_cls * sizeof(*fill));
	for (size_t i = 0; i < n_rules; i++)
		for (uint32_t k = s->off[i]; k < s->off[i + 1]; k++)
			out->item[fill[s->item[k]]++] = (uint32_t)i;
	free(fill);
}

static void put_slot(struct group *g, uint32_t s, uint32_t d, uint32_t at,
		     struct fwc_slot **pend, size_t *n, size_t *cap)
{
	struct fwc_slot sl = { s + 1, d + 1, at, 0 };

	(void)g;
	VEC_PUSH(*pend, *n, *cap, sl);
}

/* Places @pend in 2^k slots with at most FWC_PROBE_MAX probes each. */
static void place_slots(struct group *g, const struct fwc_slot *pend, size_t n)
{
	size_t size = 16;

	while (size < 2 * n)
		size *= 2;
	for (;; size *= 2)
		for (uint32_t seed = 1; seed <= 8; seed++) {
			struct fwc_slot *t = xcalloc(size, sizeof(*t));
			bool ok = true;

			for (size_t i = 0; i < n && ok; i++) {
				uint32_t h = fwc_slot_hash(
					pend[i].src - 1, pend[i].dst - 1, seed);
				uint32_t k;

				for (k = 0; k < FWC_PROBE_MAX; k++)
					if (!t[(h + k) & (size - 1)].src)
						break;
				if (k == FWC_PROBE_MAX)
					ok = false;
				else
					t[(h + k) & (size - 1)] = pend[i];
			}
			if (ok) {
				g->slots = t;
				g->n_slots = size;
				g->g.mask = (uint32_t)(size - 1);
				g->g.seed = seed;
				return;
			}
			free(t);
		}
}

/*
 * Candidate lists of a LISTS or SPARSE group: for each source class, its
 * rules' destination classes collect them in rule order; the work is the
 * pairs the rules cover, never n_src * n_dst (but for LISTS' dense
 * table, which is small by construction).
 */
static int build_lists(struct group *g, const struct fwc_policy *pol,
		       struct lists *l, uint64_t budget)
{
	struct sides ss, ds;
	struct fwc_csr by_src = { 0 };
	uint32_t **bucket, *n_bucket, *cap_bucket, *touched;
	struct fwc_slot *pend = NULL;
	size_t n_pend = 0, cap_pend = 0, n_touched;
	bool dense = g->g.kind == FWC_GROUP_LISTS;
	int err = 0;

	rule_sides(pol, g, true, &ss);
	rule_sides(pol, g, false, &ds);
	by_class(&ss, g->n, g->n_src, &by_src);
	/*
	 * A merged group may be past the budget by far (an any-to-any rule
	 * in every list of a side's classes): count its rules' pairs, the
	 * lists' work, before doing it.
	 */
	if (g->work_max) {
		uint64_t work = 0;

		for (size_t i = 0; i < g->n; i++)
			work += (uint64_t)(ss.off[i + 1] - ss.off[i]) *
				(ds.off[i + 1] - ds.off[i]);
		if (work > g->work_max)
			err = -E2BIG;
	}
	if (dense && !err) {
		if ((uint64_t)g->n_src * g->n_dst * 4 > budget)
			err = -E2BIG;
		else
			g->pair = xcalloc((size_t)g->n_src * g->n_dst,
					  sizeof(*g->pair));
	}
	bucket = xcalloc((size_t)g->n_dst + 1, sizeof(*bucket));
	n_bucket = xcalloc((size_t)g->n_dst + 1, sizeof(*n_bucket));
	cap_bucket = xcalloc((size_t)g->n_dst + 1, sizeof(*cap_bucket));
	touched = xcalloc((size_t)g->n_dst + 1, sizeof(*touched));
	{
		uint32_t none = lists_intern(l, NULL, 0);

		if (dense && !err)
			for (size_t i = 0; i < (size_t)g->n_src * g->n_dst; i++)
				g->pair[i] = none;
	}
	for (uint32_t s = 0; s < g->n_src && !err; s++) {
		n_touched = 0;
		for (uint32_t k = by_src.off[s]; k < by_src.off[s + 1]; k++) {
			uint32_t i = by_src.item[k];

			for (uint32_t j = ds.off[i]; j < ds.off[i + 1]; j++) {
				uint32_t d = ds.item[j];

				/* A packet has one family: no v4 x v6 pairs. */
				if ((s < g->s4.n_cls) != (d < g->d4.n_cls))
					continue;
				if (!n_bucket[d])
					touched[n_touched++] = d;
				VEC_PUSH(bucket[d], n_bucket[d], cap_bucket[d],
					 g->rules[i]);
			}
		}
		for (size_t k = 0; k < n_touched; k++) {
			uint32_t d = touched[k];
			uint32_t at = lists_intern(l, bucket[d], n_bucket[d]);

			n_bucket[d] = 0;
			if (dense)
				g->pair[(size_t)s * g->n_dst + d] = at;
			else
				put_slot(g, s, d, at, &pend, &n_pend,
					 &cap_pend);
		}
		if ((uint64_t)l->n * sizeof(*l->e) +
			    (uint64_t)n_pend * sizeof(*pend) * 2 >
		    budget)
			err = -E2BIG;
	}
	if (!dense && !err)
		place_slots(g, pend, n_pend);
	for (uint32_t d = 0; d <= g->n_dst; d++)
		free(bucket[d]);
	free(bucket);
	free(n_bucket);
	free(cap_bucket);
	free(touched);
	free(pend);
	free(ss.off);
	free(ss.item);
	free(ds.off);
	free(ds.item);
	fwc_csr_free(&by_src);
	return err;
}

static void group_free(struct group *g)
{
	free(g->rules);
	gpart_free(&g->s4);
	gpart_free(&g->s6);
	gpart_free(&g->d4);
	gpart_free(&g->d6);
	free(g->pair);
	free(g->slots);
}

/* ---- the global classes ----------------------------------------------- */

/*
 * Interned vectors of @width u32s: the global classes (a group's class
 * each) and the decision rows (a rule each service class). Ids in order.
 */
struct vecset {
	uint32_t *vec; /* n * width */
	size_t width, n, cap;
	uint64_t *key; /* hash, 0 empty */
	uint32_t *id;
	size_t slots;
};

/* The id of vector @v, added when new. */
static uint32_t vecset_intern(struct vecset *t, const uint32_t *v)
{
	uint64_t h = hash_rules(v, t->width);
	size_t j, w = t->width;

	if ((t->n + 1) * 2 > t->slots)
		index_grow(&t->key, &t->id, &t->slots);
	for (j = h & (t->slots - 1); t->key[j]; j = (j + 1) & (t->slots - 1))
		if (t->key[j] == h &&
		    !memcmp(t->vec + (size_t)t->id[j] * w, v, w * sizeof(*v)))
			return t->id[j];
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->vec = xrealloc(t->vec, t->cap * w, sizeof(*v));
	}
	memcpy(t->vec + t->n * w, v, w * sizeof(*v));
	t->key[j] = h;
	t->id[j] = (uint32_t)t->n;
	return (uint32_t)t->n++;
}

static void vecset_free(struct vecset *t)
{
	free(t->vec);
	free(t->key);
	free(t->id);
}

/* One side and family of group @g: its partition. */
static const struct gpart *side_of(const struct group *g, bool src, int family)
{
	return src ? (family == 4 ? &g->s4 : &g->s6) :
		     (family == 4 ? &g->d4 : &g->d6);
}

/*
 * The global partition of one side and family from the groups': its
 * segments in @out (struct fwc_partition: seg and n_cls), the vectors in
 * @vp. IPv6 group classes are offset by their v4 counts (@v4_cls).
 */
static void merge_side(struct group *const *gs, size_t k, bool src, int family,
		       const uint32_t *v4_cls, struct vecset *vp,
		       struct fwc_partition *out)
{
	fwc_u128 max = family == 4 ? FWC_V4_MAX : FWC_V6_MAX, *at = NULL;
	const struct gpart **sides = xcalloc(k, sizeof(*sides));
	uint32_t *v = xcalloc(k, sizeof(*v));
	size_t n_at = 0, cap_at = 0, segcap = 0;

	memset(vp, 0, sizeof(*vp));
	vp->width = k;
	memset(out, 0, sizeof(*out));
	for (size_t g = 0; g < k; g++) {
		sides[g] = side_of(gs[g], src, family);
		for (size_t i = 0; i < sides[g]->n_seg; i++)
			VEC_PUSH(at, n_at, cap_at, sides[g]->lo[i]);
		v[g] = family == 4 ? 0 : v4_cls[g];
	}
	/* Class 0: in no set of any group. */
	vecset_intern(vp, v);
	if (n_at)
		qsort(at, n_at, sizeof(*at), cmp_u128);
	for (size_t i = 0; i < n_at; i++) {
		fwc_u128 lo = at[i], hi;
		uint32_t cls;

		if (i + 1 < n_at && at[i + 1] == lo)
			continue;
		hi = i + 1 < n_at ? at[i + 1] - 1 : max;
		for (size_t g = 0; g < k; g++)
			v[g] = sides[g]->cls[gpart_find(sides[g], lo)] +
			       (family == 4 ? 0 : v4_cls[g]);
		cls = vecset_intern(vp, v);
		if (out->n_seg && out->seg[out->n_seg - 1].cls == cls) {
			out->seg[out->n_seg - 1].hi = hi;
			continue;
		}
		{
			struct fwc_seg sg = { lo, hi, cls };

			VEC_PUSH(out->seg, out->n_seg, segcap, sg);
		}
	}
	out->n_cls = (uint32_t)vp->n;
	free(at);
	free(v);
	free(sides);
}

/* ---- the layout -------------------------------------------------------- */

/*
 * How far rule_group() merges the groups whose one side is any (fewer
 * groups a packet looks up, longer lists): all of them into two, the
 * same with any to any apart, or none (the width bands alone).
 */
enum merge {
	MERGE_NONE,
	MERGE_ANY_SIDES,
	MERGE_ALL_ANY,
};

static enum gid rule_group(const struct fwc_policy *pol,
			   const struct fwc_rule *r, enum merge merge)
{
	enum width ws = host_width(&pol->hosts[r->src]);
	enum width wd = host_width(&pol->hosts[r->dst]);

	if (merge == MERGE_ALL_ANY ||
	    (merge == MERGE_ANY_SIDES && (ws != W_ANY || wd != W_ANY))) {
		if (ws == W_ANY)
			return G_SRC_ANY;
		if (wd == W_ANY)
			return G_DST_ANY;
	}
	if (ws == W_ANY && wd == W_ANY)
		return G_ANY;
	if (ws == W_ANY)
		return wd == W_WIDE   ? G_SRC_ANY_W :
		       wd == W_MEDIUM ? G_SRC_ANY_M :
					G_SRC_ANY;
	if (wd == W_ANY)
		return ws == W_WIDE   ? G_DST_ANY_W :
		       ws == W_MEDIUM ? G_DST_ANY_M :
					G_DST_ANY;
	if (ws == W_WIDE && wd == W_WIDE)
		return G_WIDE;
	if (ws == W_MEDIUM && wd == W_MEDIUM)
		return G_MEDIUM;
	if (ws >= wd)
		return ws == W_WIDE   ? G_SRC_WIDE :
		       ws == W_MEDIUM ? G_SRC_MEDIUM :
					G_NARROW;
	return wd == W_WIDE ? G_DST_WIDE : G_DST_MEDIUM;
}

/* Dense pairs of candidate lists when they take no more than this. */
#define FWC_DENSE_LISTS (64ull << 20)

static uint64_t group_bytes(const struct group *g)
{
	return (uint64_t)g->n_slots * sizeof(struct fwc_slot) +
	       (g->pair ? (uint64_t)g->n_src * g->n_dst * 4 : 0);
}

/* A group's address classes and candidate lists, dense or sparse. */
static int build_group(struct group *g, const struct fwc_policy *pol,
		       struct lists *l, uint64_t left)
{
	gpart_build(pol, g->rules, g->n, true, 4, &g->s4);
	gpart_build(pol, g->rules, g->n, true, 6, &g->s6);
	gpart_build(pol, g->rules, g->n, false, 4, &g->d4);
	gpart_build(pol, g->rules, g->n, false, 6, &g->d6);
	g->n_src = g->s4.n_cls + g->s6.n_cls;
	g->n_dst = g->d4.n_cls + g->d6.n_cls;
	g->g.min_rule = g->rules[0] + 1;
	/* A dense pair table when it is small: no probes. */
	g->g.kind = (uint64_t)g->n_src * g->n_dst * 4 <= FWC_DENSE_LISTS &&
				    (uint64_t)g->n_src * g->n_dst * 4 <=
					    left / 2 ?
			    FWC_GROUP_LISTS :
			    FWC_GROUP_SPARSE;
	return build_lists(g, pol, l, left);
}

/*
 * The service classes of the table: those of the rules of lists @ids
 * (@in: per policy rule, in one of them), the only ones a decision row
 * reads, as a policy of their own; and each list's decision row over
 * them, in @row_of. -E2BIG past @left bytes.
 */
static int lists_rows(const struct fwc_policy *pol, const struct lists *l,
		      const uint32_t *ids, size_t n_ids, const uint8_t *in,
		      struct fwc_policy *sub, struct fwc_classes *c,
		      struct vecset *rows, uint32_t *row_of, uint64_t left)
{
	uint32_t *local = xcalloc(pol->n_rules + 1, sizeof(*local));
	uint32_t *list = NULL, *dec;
	struct fwc_csr by_rule = { 0 };
	struct group g = { 0 };
	int err = 0;

	for (size_t r = 0; r < pol->n_rules; r++)
		if (in[r]) {
			local[r] = (uint32_t)g.n;
			VEC_PUSH(g.rules, g.n, g.cap, (uint32_t)r);
		}
	sub_policy(pol, g.rules, g.n, sub);
	free(g.rules);
	err = fwc_classes_build_within(sub, c, left);
	if (err)
		goto out;
	fwc_svcs_by_rule(c, sub->n_rules, &by_rule);
	dec = xcalloc(c->n_svc + 1, sizeof(*dec));
	list = xcalloc(pol->n_rules + 1, sizeof(*list));
	/* Row 0: the empty one, so that no long list is row 0 by chance. */
	rows->width = c->n_svc;
	vecset_intern(rows, dec);
	for (size_t k = 0; k < n_ids && !err; k++) {
		uint32_t id = ids[k], n = l->len[id];

		for (uint32_t i = 0; i < n; i++)
			list[i] = local[l->seq[l->off[id] + i]];
		fwc_decide_row(&by_rule, list, n, dec, c->n_svc);
		for (uint32_t v = 0; v < c->n_svc; v++)
			if (dec[v])
				dec[v] = sub->rules[dec[v] - 1].id;
		row_of[k] = vecset_intern(rows, dec);
		if ((uint64_t)rows->n * c->n_svc * 4 > left)
			err = -E2BIG;
	}
	free(dec);
	fwc_csr_free(&by_rule);
out:
	free(list);
	free(local);
	return err;
}

/* Frees what lists_rows() made, and empties it for another attempt. */
static void rows_reset(struct fwc_policy *sub, struct fwc_classes *c,
		       struct vecset *rows)
{
	fwc_classes_free(c);
	memset(c, 0, sizeof(*c));
	free(sub->rules);
	free(sub->terms);
	memset(sub, 0, sizeof(*sub));
	vecset_free(rows);
	memset(rows, 0, sizeof(*rows));
}

/* The list of interned id @id names decision row @row, from its start. */
static void list_to_row(struct lists *l, uint32_t id, uint32_t row)
{
	struct fwc_gentry *e = &l->e[l->at[id]];

	/* A medium list's boxes past its end stay, unread. */
	e[0] = (struct fwc_gentry){ .rule = FWC_GENTRY_ROW,
				    .k1_lo = (uint16_t)row,
				    .k1_hi = (uint16_t)(row >> 16) };
	e[1] = (struct fwc_gentry){ 0 };
}

/*
 * Marks in @in (per policy rule, zeroed) the rules of the lists @ids[0 ..
 * @n - 1]; the number of rules marked.
 */
static size_t rules_of_lists(const struct lists *l, const uint32_t *ids,
			     size_t n, uint8_t *in)
{
	size_t marked = 0;

	for (size_t k = 0; k < n; k++)
		for (uint32_t i = 0; i < l->len[ids[k]]; i++) {
			uint32_t r = l->seq[l->off[ids[k]] + i];

			marked += !in[r];
			in[r] = 1;
		}
	return marked;
}

/*
 * The decision rows: of the long lists, and of the medium ones too when
 * all of them fit an eighth of the budget (@budget), so that a packet
 * walks at most FWC_LIST_SHORT boxes of a list while the rows stay
 * small; else of the long lists alone, within @left, whose rules are
 * @n_long_rules.
 */
static int build_rows(const struct fwc_policy *pol, struct lists *l,
		      struct fwc_policy *sub, struct fwc_classes *c,
		      struct vecset *rows, uint64_t left, uint64_t budget,
		      size_t *n_long_rules)
{
	size_t n = l->n_long + l->n_medium;
	uint32_t *ids = xcalloc(n + 1, sizeof(*ids));
	uint32_t *row_of = xcalloc(n + 1, sizeof(*row_of));
	uint8_t *in = xcalloc(pol->n_rules + 1, 1);
	size_t n_rows = l->n_long; /* of the lists in ids */
	int err = -E2BIG;

	if (l->n_long)
		memcpy(ids, l->longs, l->n_long * sizeof(*ids));
	if (l->n_medium) {
		memcpy(ids + l->n_long, l->mediums, l->n_medium * sizeof(*ids));
		rules_of_lists(l, ids, n, in);
		err = lists_rows(pol, l, ids, n, in, sub, c, rows, row_of,
				 left < budget / 8 ? left : budget / 8);
		if (err == -E2BIG)
			rows_reset(sub, c, rows);
		else
			n_rows = n;
	}
	if (err == -E2BIG) {
		memset(in, 0, pol->n_rules + 1);
		*n_long_rules = rules_of_lists(l, ids, l->n_long, in);
		err = lists_rows(pol, l, ids, l->n_long, in, sub, c, rows,
				 row_of, left);
	}
	for (size_t k = 0; !err && k < n_rows; k++)
		list_to_row(l, ids[k], row_of[k]);
	free(in);
	free(row_of);
	free(ids);
	return err;
}

/*
 * One side's gmap entries (src or dst classes, IPv4 then IPv6) from the
 * groups' class vectors: each global class's class in every group, and
 * the groups it is in (its class there not 0, "in no set"; an IPv6
 * group class is offset by the group's IPv4 count @v4 and its "in no
 * set" is that offset).
 */
static void gmap_side(struct fwc_gclass *out, const struct vecset *v4s,
		      const struct vecset *v6s, uint32_t n4, uint32_t n6,
		      const uint32_t *v4, size_t k)
{
	for (uint32_t c = 0; c < n4 + n6; c++) {
		const uint32_t *v = c < n4 ? &v4s->vec[(size_t)c * k] :
					     &v6s->vec[(size_t)(c - n4) * k];

		for (size_t i = 0; i < k; i++) {
			out[c].cls[i] = v[i];
			if (v[i] != (c < n4 ? 0 : v4[i]))
				out[c].mask |= 1u << i;
		}
	}
}

static int build_groups(const struct fwc_policy *pol,
			const struct fwc_compile_opts *opts,
			struct fwc_tables *t, char *why, size_t len,
			enum merge merge)
{
	uint64_t budget = opts->max_table_memory ? opts->max_table_memory :
						   FWC_TABLE_BUDGET;
	struct group all[G_COUNT], *gs[G_COUNT];
	struct boxes *box = xcalloc(pol->n_rules + 1, sizeof(*box));
	struct lists l = { .box = box };
	struct fwc_policy sub = { 0 };
	struct fwc_classes sc, gc;
	struct vecset rows = { 0 }, vs4, vs6, vd4, vd6;
	uint32_t v4s[G_COUNT] = { 0 }, v4d[G_COUNT] = { 0 };
	uint64_t used = 0;
	size_t k = 0, worst = 0, n_long_rules = 0;
	int err = 0;

	memset(all, 0, sizeof(all));
	memset(&sc, 0, sizeof(sc));
	memset(&gc, 0, sizeof(gc));
	/* glist[0]: the empty list, which the readers skip unread. */
	lists_intern(&l, NULL, 0);
	for (int i = 0; i < G_COUNT; i++)
		all[i].id = (enum gid)i;
	for (size_t r = 0; r < pol->n_rules; r++) {
		const struct fwc_rule *ru = &pol->rules[r];
		enum gid id = rule_group(pol, ru, merge);

		for (size_t j = 0; j < ru->n_terms; j++)
			term_boxes(pol, &pol->terms[ru->term_first + j],
				   (uint32_t)r + 1, &box[r]);
		VEC_PUSH(all[id].rules, all[id].n, all[id].cap, (uint32_t)r);
	}
	for (int i = 0; i < G_COUNT; i++)
		if (all[i].n)
			gs[k++] = &all[i];
	if (merge != MERGE_NONE) {
		all[G_SRC_ANY].work_max = budget / 8;
		all[G_DST_ANY].work_max = budget / 8;
	}
	for (size_t i = 0; i < k && !err; i++) {
		err = build_group(gs[i], pol, &l, budget - used);
		if (!err)
			used += group_bytes(gs[i]);
		if (!err && used + l.n * sizeof(*l.e) > budget)
			err = -E2BIG;
		if (err)
			worst = i;
	}
	if (!err)
		err = build_rows(pol, &l, &sub, &sc, &rows,
				 budget - used - l.n * sizeof(*l.e), budget,
				 &n_long_rules);
	if (err) {
		if (!k)
			snprintf(why, len, "no group could be built");
		else if (rows.n && worst == 0 && k && sc.n_svc)
			snprintf(why, len,
				 "%zu decision rows of %u service classes, for "
				 "the %zu rules in candidate lists of more "
				 "than %u boxes",
				 rows.n, sc.n_svc, n_long_rules,
				 FWC_LIST_MAX - 1);
		else
			snprintf(why, len,
				 "group %zu (%s) has %zu rules and %u x %u "
				 "address classes",
				 worst + 1, gid_name[gs[worst]->id],
				 gs[worst]->n, gs[worst]->n_src,
				 gs[worst]->n_dst);
		goto out;
	}
	/* Groups in order of their lowest rule. */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i;
		     j > 0 && gs[j]->g.min_rule < gs[j - 1]->g.min_rule; j--) {
			struct group *tmp = gs[j];

			gs[j] = gs[j - 1];
			gs[j - 1] = tmp;
		}
	for (size_t i = 0; i < k; i++) {
		v4s[i] = gs[i]->s4.n_cls;
		v4d[i] = gs[i]->d4.n_cls;
	}
	/* Global classes: the groups' merged, then the tries from them. */
	merge_side(gs, k, true, 4, v4s, &vs4, &gc.src4);
	merge_side(gs, k, true, 6, v4s, &vs6, &gc.src6);
	merge_side(gs, k, false, 4, v4d, &vd4, &gc.dst4);
	merge_side(gs, k, false, 6, v4d, &vd6, &gc.dst6);
	fwc_classes_refine(&gc);
	memcpy(gc.proto_pc, sc.proto_pc, sizeof(gc.proto_pc));
	gc.pc = sc.pc;
	gc.n_pc = sc.n_pc;
	gc.n_svc = sc.n_svc;
	fwc_tables_build_lookup(pol, &gc, opts, t);
	gc.pc = NULL;
	gc.n_pc = 0;
	t->meta.n_src = gc.n_src;
	t->meta.n_dst = gc.n_dst;
	t->meta.n_groups = (uint32_t)k;
	t->groups = xcalloc(k, sizeof(*t->groups));
	t->meta.n_gmap = gc.n_src + gc.n_dst;
	t->gmap = xcalloc(t->meta.n_gmap, sizeof(*t->gmap));
	gmap_side(t->gmap, &vs4, &vs6, gc.src4.n_cls, gc.src6.n_cls, v4s, k);
	gmap_side(t->gmap + gc.n_src, &vd4, &vd6, gc.dst4.n_cls, gc.dst6.n_cls,
		  v4d, k);
	t->meta.n_rows = (uint32_t)rows.n;
	t->meta.n_dec = (uint32_t)(rows.n * sc.n_svc);
	for (size_t i = 0; i < k; i++) {
		struct group *g = gs[i];
		struct fwc_group *o = &t->groups[i];

		*o = g->g;
		o->n_src = g->n_src;
		o->n_dst = g->n_dst;
		/* Every group reads the same rows, of the table's services. */
		o->n_svc = sc.n_svc;
		o->n_rows = (uint32_t)rows.n;
		o->dec_off = 0;
		if (g->g.kind == FWC_GROUP_SPARSE) {
			o->pair_off = t->meta.n_slots;
			t->meta.n_slots += (uint32_t)g->n_slots;
		} else {
			o->pair_off = t->meta.n_pair;
			t->meta.n_pair += g->n_src * g->n_dst;
		}
	}
	t->pair = t->meta.n_pair ? xcalloc(t->meta.n_pair, sizeof(*t->pair)) :
				   NULL;
	t->slots = t->meta.n_slots ?
			   xcalloc(t->meta.n_slots, sizeof(*t->slots)) :
			   NULL;
	for (size_t i = 0; i < k; i++) {
		struct group *g = gs[i];
		const struct fwc_group *o = &t->groups[i];

		if (g->g.kind == FWC_GROUP_SPARSE)
			memcpy(t->slots + o->pair_off, g->slots,
			       g->n_slots * sizeof(*g->slots));
		else
			memcpy(t->pair + o->pair_off, g->pair,
			       (size_t)g->n_src * g->n_dst * sizeof(*t->pair));
	}
	t->decision = rows.vec;
	rows.vec = NULL;
	t->meta.n_glist = (uint32_t)l.n;
	t->glist = l.e;
	l.e = NULL;
	vecset_free(&vs4);
	vecset_free(&vs6);
	vecset_free(&vd4);
	vecset_free(&vd6);
out:
	fwc_classes_free(&gc);
	rows_reset(&sub, &sc, &rows);
	for (int i = 0; i < G_COUNT; i++)
		group_free(&all[i]);
	for (size_t r = 0; r <= pol->n_rules; r++)
		free(box[r].e);
	free(box);
	lists_free(&l);
	return err;
}

/* Do plans @a and @b put every rule of @pol in the same group? */
static bool same_groups(const struct fwc_policy *pol, enum merge a,
			enum merge b)
{
	for (size_t r = 0; r < pol->n_rules; r++)
		if (rule_group(pol, &pol->rules[r], a) !=
		    rule_group(pol, &pol->rules[r], b))
			return false;
	return true;
}

/*
 * The groups merged as far as they fit the budget: a packet looks up
 * every group both its classes are in, so fewer groups are faster (fw
 * and ipc 10k: 14 groups -> 9, docs/benchmarks.md); past the budget,
 * the next plan, and the width bands alone last, whose error is the one
 * reported.
 */
int fwc_tables_build_groups(const struct fwc_policy *pol,
			    const struct fwc_compile_opts *opts,
			    struct fwc_tables *t, char *why, size_t len)
{
	static const enum merge plan[] = { MERGE_ALL_ANY, MERGE_ANY_SIDES,
					   MERGE_NONE };
	const size_t n = sizeof(plan) / sizeof(plan[0]);
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		/* A plan that groups every rule as the next would: its turn. */
		if (i + 1 < n && same_groups(pol, plan[i], plan[i + 1]))
			continue;
		err = build_groups(pol, opts, t, why, len, plan[i]);
		if (err != -E2BIG)
			break;
	}
	return err;
}
