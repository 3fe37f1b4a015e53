// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Lowering of classes into the tables of include/fwc_abi.h: the IPv4
 * DIR-16-8-8 trie, the IPv6 prefix list, the (src, dst) → row pair table
 * and the first-match decision rows, resolved here once for every class
 * combination so that the datapath never scans rules.
 */
#include <errno.h>
#include <string.h>

#include "compile.h"
#include "fwc_maps.h"
#include "lower.h"
#include "util.h"

/* ---- address tries ---------------------------------------------------- */

struct trie_builder {
	struct fwc_tables *t;
	const struct fwc_seg *seg;
	size_t n_seg, cur;
	size_t cap_chunks, cap_ranges;
	uint32_t limit; /* chunks the pool may hold */
	bool ranges;	/* IPv6: range leaves (FWC_TRIE_RANGE) */
	bool over;	/* the limit was hit: the trie is unusable */
	unsigned int depth, max_depth; /* reads to reach a leaf */
};

static void u128_words(fwc_u128 x, uint32_t w[4])
{
	for (unsigned int k = 0; k < 4; k++)
		w[k] = (uint32_t)(x >> (96 - 32 * k));
}

/*
 * A range leaf for the block ending at @end when it holds one range of
 * a class amid another (the segments A B, or A B A): 0 if it does not.
 */
static uint32_t trie_range(struct trie_builder *b, fwc_u128 end)
{
	const struct fwc_seg *s = &b->seg[b->cur];
	struct fwc_v6_range *r;
	fwc_u128 hi;

	/* s[0] ends inside the block, so s[1] exists. */
	if (s[1].hi >= end)
		hi = end;
	else if (b->cur + 2 < b->n_seg && s[2].hi >= end &&
		 s[2].cls == s[0].cls)
		hi = s[1].hi;
	else
		return 0;
	if (b->t->meta.n_v6_ranges >= FWC_TRIE_RANGE) {
		b->over = true;
		return 0;
	}
	if (b->t->meta.n_v6_ranges == b->cap_ranges) {
		b->cap_ranges = b->cap_ranges ? b->cap_ranges * 2 : 64;
		b->t->v6_ranges = xrealloc(b->t->v6_ranges, b->cap_ranges,
					   sizeof(*b->t->v6_ranges));
	}
	r = &b->t->v6_ranges[b->t->meta.n_v6_ranges];
	u128_words(s[1].lo, r->lo);
	u128_words(hi, r->hi);
	r->in = s[1].cls;
	r->out = s[0].cls;
	if (b->depth + 1 > b->max_depth)
		b->max_depth = b->depth + 1;
	return b->t->meta.n_v6_ranges++ | FWC_TRIE_RANGE;
}

/*
 * Entry for the block [base, base + 2^width - 1]: a leaf, a range leaf
 * (IPv6) or a chunk.
 */
static uint32_t trie_entry(struct trie_builder *b, fwc_u128 base,
			   unsigned int width)
{
	fwc_u128 end = base + (((fwc_u128)1 << width) - 1);
	uint32_t chunk, range;

	while (b->seg[b->cur].hi < base)
		b->cur++;
	if (b->seg[b->cur].hi >= end) {
		if (b->depth > b->max_depth)
			b->max_depth = b->depth;
		return b->seg[b->cur].cls;
	}
	if (b->ranges && (range = trie_range(b, end)))
		return range;
	if (b->t->meta.n_chunks >= b->limit) {
		b->over = true;
		return 0;
	}
	chunk = b->t->meta.n_chunks++;
	if (b->t->meta.n_chunks > b->cap_chunks) {
		b->cap_chunks = b->cap_chunks ? b->cap_chunks * 2 : 64;
		b->t->chunks = xrealloc(b->t->chunks,
					b->cap_chunks * FWC_TRIE_CHUNK_SIZE,
					sizeof(*b->t->chunks));
	}
	b->depth++;
	for (uint32_t i = 0; i < FWC_TRIE_CHUNK_SIZE && !b->over; i++) {
		uint32_t e = trie_entry(b, base + ((fwc_u128)i << (width - 8)),
					width - 8);

		b->t->chunks[(size_t)chunk * FWC_TRIE_CHUNK_SIZE + i] = e;
	}
	b->depth--;
	return chunk | FWC_TRIE_CHUNK;
}

/*
 * A root of 2^16 entries over the block of 2^@bits addresses from @base,
 * then 8-bit chunks.
 */
static uint32_t *build_trie(struct trie_builder *b, fwc_u128 base,
			    unsigned int bits)
{
	uint32_t *root = xcalloc(FWC_TRIE_ROOT_SIZE, sizeof(*root));

	b->depth = 1;
	for (uint32_t i = 0; i < FWC_TRIE_ROOT_SIZE && !b->over; i++)
		root[i] = trie_entry(b, base + ((fwc_u128)i << (bits - 16)),
				     bits - 16);
	return root;
}

static void build_v4_trie(struct fwc_tables *t, const struct fwc_classes *c)
{
	struct trie_builder b = { .t = t,
				  .seg = c->aseg4,
				  .n_seg = c->n_aseg4,
				  .limit = UINT32_MAX };

	t->v4_root = build_trie(&b, 0, 32);
}

/* Prefixes the LPM layout would hold (addr class 0 is the miss). */
static size_t v6_lpm_prefixes(const struct fwc_classes *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_aseg6; i++)
		if (c->aseg6[i].cls)
			n += fwc_range_to_prefixes(c->aseg6[i].lo,
						   c->aseg6[i].hi, 128, NULL,
						   NULL);
	return n;
}

/*
 * Is a trie of @depth reads cheaper than an LPM trie of @n prefixes?
 * Costs per lookup measured with `make bench` on this kernel: an inlined
 * array read ~2.1 ns per trie level; LPM ~6.5 ns at 3 prefixes, ~20 at
 * 100, ~40 at 1k, ~51 at 10k, i.e. ~3.8 * log2(n) + 1.
 */
static bool trie_cheaper(unsigned int depth, size_t n)
{
	unsigned int log2n = 0;

	while (n >> (log2n + 1))
		log2n++;
	return 21 * depth <= 38 * log2n + 10;
}

/*
 * The longest whole-byte prefix, at most 14 bytes (the root indexes the
 * next two), whose block holds every IPv6 class boundary, with one class
 * outside it. The first segment holds all below the block, the last all
 * above, so both must be that class unless the block reaches an end.
 */
static void v6_prefix(const struct fwc_classes *c, struct fwc_meta *m,
		      fwc_u128 *base)
{
	const struct fwc_seg *s = c->aseg6;
	fwc_u128 x = s[0].hi, y = s[c->n_aseg6 - 1].lo, lo = 0, hi;
	unsigned int at;

	for (at = 14; at > 0; at--) {
		unsigned int sh = 128 - 8 * at;

		if (x >> sh != y >> sh)
			continue;
		lo = x >> sh << sh;
		hi = lo | (((fwc_u128)1 << sh) - 1);
		if (lo && ~hi && s[0].cls != s[c->n_aseg6 - 1].cls)
			continue;
		break;
	}
	memset(m->v6_pre, 0, sizeof(m->v6_pre));
	memset(m->v6_mask, 0, sizeof(m->v6_mask));
	m->v6_at = at;
	m->v6_outside = 0;
	*base = 0;
	if (!at)
		return;
	*base = lo;
	m->v6_outside = lo ? s[0].cls : s[c->n_aseg6 - 1].cls;
	u128_words(lo, m->v6_pre);
	for (unsigned int k = 0; k < 4; k++) {
		unsigned int bytes = at > 4 * k ? at - 4 * k : 0;

		m->v6_mask[k] = bytes >= 4 ? UINT32_MAX :
				bytes	   ? ~(UINT32_MAX >> (8 * bytes)) :
					     0;
		m->v6_pre[k] &= m->v6_mask[k];
	}
}

/*
 * IPv6 as a trie when its chunks fit @budget and its depth makes it the
 * cheaper lookup: then the cost no longer grows with the prefix count.
 * Otherwise (a few host routes, or many long unrelated prefixes), drop
 * those chunks and use the LPM prefixes.
 */
static bool build_v6_trie(struct fwc_tables *t, const struct fwc_classes *c,
			  const struct fwc_compile_opts *opts)
{
	uint32_t before = t->meta.n_chunks;
	struct trie_builder b = { .t = t,
				  .seg = c->aseg6,
				  .n_seg = c->n_aseg6,
				  .cap_chunks = before,
				  .ranges = true };
	fwc_u128 base;

	b.limit = before + (opts->v6_trie_chunks ? opts->v6_trie_chunks :
						   FWC_V6_TRIE_BUDGET);
	v6_prefix(c, &t->meta, &base);
	t->v6_root = build_trie(&b, base, 128 - 8 * t->meta.v6_at);
	if (!b.over && (opts->v6_layout == FWC_V6_TRIE ||
			trie_cheaper(b.max_depth, v6_lpm_prefixes(c)))) {
		t->meta.flags |= FWC_META_V6_TRIE;
		return true;
	}
	free(t->v6_root);
	t->v6_root = NULL;
	free(t->v6_ranges);
	t->v6_ranges = NULL;
	t->meta.n_v6_ranges = 0;
	t->meta.n_chunks = before;
	t->meta.v6_at = t->meta.v6_outside = 0;
	memset(t->meta.v6_pre, 0, sizeof(t->meta.v6_pre));
	memset(t->meta.v6_mask, 0, sizeof(t->meta.v6_mask));
	return false;
}

/* ---- IPv6 prefixes ---------------------------------------------------- */

struct v6_builder {
	struct fwc_tables *t;
	size_t cap;
	uint32_t cls;
};

static void add_v6_prefix(void *ctx, fwc_u128 start, unsigned int len)
{
	struct v6_builder *b = ctx;
	struct fwc_tables *t = b->t;
	uint32_t n = t->meta.n_v6;

	if (n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		t->v6_keys = xrealloc(t->v6_keys, b->cap, sizeof(*t->v6_keys));
		t->v6_vals = xrealloc(t->v6_vals, b->cap, sizeof(*t->v6_vals));
	}
	memset(&t->v6_keys[n], 0, sizeof(t->v6_keys[n]));
	t->v6_keys[n].prefixlen = len;
	for (int i = 15; i >= 0; i--, start >>= 8)
		t->v6_keys[n].addr[i] = (uint8_t)start;
	t->v6_vals[n] = b->cls;
	t->meta.n_v6++;
}

static void build_v6_prefixes(struct fwc_tables *t, const struct fwc_classes *c)
{
	struct v6_builder b = { .t = t };

	/* Class 0 is what a miss returns: it needs no entries. */
	for (size_t i = 0; i < c->n_aseg6; i++) {
		if (c->aseg6[i].cls == 0)
			continue;
		b.cls = c->aseg6[i].cls;
		fwc_range_to_prefixes(c->aseg6[i].lo, c->aseg6[i].hi, 128,
				      add_v6_prefix, &b);
	}
}

/* ---- protocol, port and service maps ---------------------------------- */

static uint32_t l4_segment(struct fwc_tables *t, size_t *cap,
			   const struct fwc_partition *p, uint32_t size)
{
	uint32_t off = t->meta.n_l4;

	if (p->n_cls <= 1)
		return 0; /* the zero slot: mask 0 reads l4[0] == class 0 */
	while (t->meta.n_l4 + size > *cap) {
		*cap = *cap ? *cap * 2 : 65536 * 2;
		t->l4 = xrealloc(t->l4, *cap, sizeof(*t->l4));
	}
	for (size_t s = 0; s < p->n_seg; s++)
		for (fwc_u128 v = p->seg[s].lo; v <= p->seg[s].hi; v++)
			t->l4[off + (uint32_t)v] = p->seg[s].cls;
	t->meta.n_l4 += size;
	return off;
}

static void build_l4(struct fwc_tables *t, const struct fwc_classes *c)
{
	size_t cap = 1, n_svc = 0;

	t->l4 = xcalloc(1, sizeof(*t->l4));
	t->meta.n_l4 = 1;
	for (uint32_t k = 0; k < c->n_pc; k++)
		n_svc += (size_t)c->pc[k].k1.n_cls * c->pc[k].k2.n_cls;
	t->svc = xcalloc(n_svc, sizeof(*t->svc));
	t->pinfo = xcalloc(c->n_pc, sizeof(*t->pinfo));
	t->meta.n_pc = c->n_pc;
	for (uint32_t k = 0; k < c->n_pc; k++) {
		const struct fwc_pclass *pc = &c->pc[k];
		struct fwc_proto_info *pi = &t->pinfo[k];
		uint32_t size = pc->kind == PC_PORTS ? 65536 : 256;
		size_t n = (size_t)pc->k1.n_cls * pc->k2.n_cls;

		pi->k1_off = l4_segment(t, &cap, &pc->k1, size);
		pi->k1_mask = pc->k1.n_cls > 1 ? size - 1 : 0;
		pi->k2_off = l4_segment(t, &cap, &pc->k2, size);
		pi->k2_mask = pc->k2.n_cls > 1 ? size - 1 : 0;
		pi->n2 = pc->k2.n_cls;
		pi->svc_base = t->meta.n_svc_map;
		memcpy(t->svc + pi->svc_base, pc->svc, n * sizeof(*t->svc));
		t->meta.n_svc_map += (uint32_t)n;
	}
	memcpy(t->proto, c->proto_pc, sizeof(t->proto));
	t->meta.n_svc = c->n_svc;
}

/* ---- pair rows and first-match decisions ------------------------------ */

/* Interned u32 vectors (rule lists, decision rows): struct vectab. */
static uint64_t hash_u32s(const uint32_t *v, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ v[i]) * 0x100000001b3ull;
	return h ^ n;
}

/*
 * Room for a vector of @n, carved from blocks of 1 Mi entries and freed
 * with them: a 100k-rule policy interns over 100k vectors, and a malloc
 * and a free of each took 2-3 % of its compile.
 */
static uint32_t *vectab_alloc(struct vectab *t, size_t n)
{
	const size_t block = (size_t)1 << 20;
	uint32_t *p;

	if (!t->n_blocks || n > t->room) {
		size_t room = n > block ? n : block;

		VEC_PUSH(t->blocks, t->n_blocks, t->cap_blocks,
			 xcalloc(room, sizeof(uint32_t)));
		t->used = 0;
		t->room = room;
	}
	p = t->blocks[t->n_blocks - 1] + t->used;
	t->used += n;
	t->room -= n;
	return p;
}

static uint32_t vectab_intern(struct vectab *t, const uint32_t *v, size_t n)
{
	uint64_t h = hash_u32s(v, n);
	size_t j;

	if ((t->n + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		uint32_t *slot = xcalloc(ncap, sizeof(*slot));

		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slot[i])
				continue;
			j = t->hash[t->slot[i] - 1] & (ncap - 1);
			while (slot[j])
				j = (j + 1) & (ncap - 1);
			slot[j] = t->slot[i];
		}
		free(t->slot);
		t->slot = slot;
		t->cap = ncap;
	}
	j = h & (t->cap - 1);
	while (t->slot[j]) {
		uint32_t id = t->slot[j] - 1;

		if (t->hash[id] == h && t->len[id] == n &&
		    !memcmp(t->vec[id], v, n * sizeof(*v)))
			return id;
		j = (j + 1) & (t->cap - 1);
	}
	if (t->n == t->cap_vec) {
		t->cap_vec = t->cap_vec ? t->cap_vec * 2 : 64;
		t->vec = xrealloc(t->vec, t->cap_vec, sizeof(*t->vec));
		t->len = xrealloc(t->len, t->cap_vec, sizeof(*t->len));
		t->hash = xrealloc(t->hash, t->cap_vec, sizeof(*t->hash));
	}
	t->vec[t->n] = vectab_alloc(t, n);
	memcpy(t->vec[t->n], v, n * sizeof(*v));
	t->len[t->n] = n;
	t->hash[t->n] = h;
	t->slot[j] = t->n + 1;
	return t->n++;
}

static void vectab_free(struct vectab *t)
{
	for (size_t i = 0; i < t->n_blocks; i++)
		free(t->blocks[i]);
	free(t->blocks);
	free(t->vec);
	free(t->len);
	free(t->hash);
	free(t->slot);
}

void fwc_csr_free(struct fwc_csr *c)
{
	free(c->off);
	free(c->item);
}

/* Rules of each source role, in rule order. */
static void rules_by_src_role(const struct fwc_policy *pol,
			      const struct fwc_classes *c, struct fwc_csr *out)
{
	size_t n = c->n_src_roles;

	out->off = xcalloc(n + 1, sizeof(*out->off));
	out->item = xcalloc(pol->n_rules + 1, sizeof(*out->item));
	for (size_t r = 0; r < pol->n_rules; r++)
		out->off[c->src_role[r] + 1]++;
	for (size_t i = 0; i < n; i++)
		out->off[i + 1] += out->off[i];
	{
		uint32_t *fill = xcalloc(n + 1, sizeof(*fill));

		memcpy(fill, out->off, n * sizeof(*fill));
		for (size_t r = 0; r < pol->n_rules; r++)
			out->item[fill[c->src_role[r]]++] = (uint32_t)r;
		free(fill);
	}
}

/* A bitset of groups per item, as csr_invert() reads it. */
typedef const uint64_t *(*bits_fn)(const struct fwc_classes *c, uint32_t item,
				   size_t *words);

/* For each group, the items whose bitset holds it, in item order. */
static void csr_invert(const struct fwc_classes *c, uint32_t n_items,
		       bits_fn bits_of, size_t n_groups, struct fwc_csr *out)
{
	uint32_t *fill = NULL;
	size_t total = 0;

	out->off = xcalloc(n_groups + 1, sizeof(*out->off));
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < n_items; i++) {
			size_t words;
			const uint64_t *bits = bits_of(c, i, &words);

			for (size_t w = 0; w < words; w++)
				for (uint64_t b = bits[w]; b; b &= b - 1) {
					size_t g = w * 64 +
						   (size_t)__builtin_ctzll(b);

					if (pass == 0)
						out->off[g + 1]++, total++;
					else
						out->item[fill[g]++] = i;
				}
		}
		if (pass == 0) {
			for (size_t g = 0; g < n_groups; g++)
				out->off[g + 1] += out->off[g];
			out->item = xcalloc(total + 1, sizeof(*out->item));
			fill = xcalloc(n_groups + 1, sizeof(*fill));
			memcpy(fill, out->off, n_groups * sizeof(*fill));
		}
	}
	free(fill);
}

/* Signature of destination class @d: the destination roles holding it. */
static const uint64_t *dst_roles_of(const struct fwc_classes *c, uint32_t d,
				    size_t *words)
{
	const struct fwc_partition *p = d < c->dst4.n_cls ? &c->dst4 : &c->dst6;
	uint32_t k = d < c->dst4.n_cls ? d : d - c->dst4.n_cls;

	*words = p->words;
	return p->sig + (size_t)k * p->words;
}

/* Rules in service class @v. */
static const uint64_t *rules_of_svc(const struct fwc_classes *c, uint32_t v,
				    size_t *words)
{
	*words = c->rule_words;
	return c->svc_rules + (size_t)v * c->rule_words;
}

/* Rules whose source set contains source class @s, in rule order. */
static size_t src_rules(const struct fwc_classes *c,
			const struct fwc_csr *by_role, uint32_t s,
			uint64_t *mark, uint32_t *out)
{
	const struct fwc_partition *p = s < c->src4.n_cls ? &c->src4 : &c->src6;
	uint32_t k = s < c->src4.n_cls ? s : s - c->src4.n_cls;
	const uint64_t *sig = p->sig + (size_t)k * p->words;
	size_t n = 0;

	memset(mark, 0, c->rule_words * sizeof(*mark));
	for (size_t w = 0; w < p->words; w++)
		for (uint64_t b = sig[w]; b; b &= b - 1) {
			size_t role = w * 64 + (size_t)__builtin_ctzll(b);

			for (uint32_t i = by_role->off[role];
			     i < by_role->off[role + 1]; i++)
				fwc_bit_set(mark, by_role->item[i]);
		}
	for (size_t w = 0; w < c->rule_words; w++)
		for (uint64_t b = mark[w]; b; b &= b - 1)
			out[n++] = (uint32_t)(w * 64 + __builtin_ctzll(b));
	return n;
}

static void mark_realised(struct fwc_lower *lw, uint32_t id)
{
	if (id >= lw->cap_realised) {
		size_t ncap = ((size_t)id + 1) * 2;

		lw->realised = xrealloc(lw->realised, ncap, 1);
		memset(lw->realised + lw->cap_realised, 0,
		       ncap - lw->cap_realised);
		lw->cap_realised = ncap;
	}
	lw->realised[id] = 1;
}

/*
 * For each source class, its candidate rules are spread over the
 * destination classes their destination role contains: the work follows
 * the rules, not the n_src * n_dst product.
 */
static int build_pairs(const struct fwc_policy *pol,
		       const struct fwc_classes *c, struct fwc_tables *t,
		       struct fwc_lower *lw, uint64_t budget)
{
	uint32_t *ls, *cnt, *off, *buf, empty;
	uint64_t *mark;
	struct fwc_csr by_src = { 0 }, by_dst = { 0 };

	/* fwc_tables_estimate() said so before: this is a safety net. */
	if (fwc_svc_map_entries(c) * 4 + (uint64_t)c->n_src * c->n_dst * 4 >
	    budget)
		return -E2BIG;
	t->meta.n_src = c->n_src;
	t->meta.n_dst = c->n_dst;
	t->pair = xcalloc((size_t)c->n_src * c->n_dst, sizeof(*t->pair));
	rules_by_src_role(pol, c, &by_src);
	csr_invert(c, c->n_dst, dst_roles_of, c->n_dst_roles, &by_dst);
	ls = xcalloc(pol->n_rules + 1, sizeof(*ls));
	mark = xcalloc(c->rule_words, sizeof(*mark));
	cnt = xcalloc(c->n_dst + 1, sizeof(*cnt));
	off = xcalloc(c->n_dst + 1, sizeof(*off));
	buf = NULL;
	empty = lw->empty_list = vectab_intern(&lw->lists, ls, 0);
	for (uint32_t s = 0; s < c->n_src; s++) {
		size_t n_ls = src_rules(c, &by_src, s, mark, ls), total = 0;
		int fam = fwc_src_family(c, s);

		memset(cnt, 0, (c->n_dst + 1) * sizeof(*cnt));
		for (size_t i = 0; i < n_ls; i++) {
			uint32_t role = c->dst_role[ls[i]];

			for (uint32_t k = by_dst.off[role];
			     k < by_dst.off[role + 1]; k++)
				cnt[by_dst.item[k]]++, total++;
		}
		buf = xrealloc(buf, total + 1, sizeof(*buf));
		for (uint32_t d = 0; d < c->n_dst; d++)
			off[d + 1] = off[d] + cnt[d];
		memset(cnt, 0, (c->n_dst + 1) * sizeof(*cnt));
		for (size_t i = 0; i < n_ls; i++) {
			uint32_t role = c->dst_role[ls[i]];

			for (uint32_t k = by_dst.off[role];
			     k < by_dst.off[role + 1]; k++) {
				uint32_t d = by_dst.item[k];

				buf[off[d] + cnt[d]++] = ls[i];
			}
		}
		for (uint32_t d = 0; d < c->n_dst; d++) {
			uint32_t id = empty;

			if (fam != fwc_dst_family(c, d)) {
				t->pair[(size_t)s * c->n_dst + d] = empty;
				continue;
			}
			if (cnt[d])
				id = vectab_intern(&lw->lists, buf + off[d],
						   cnt[d]);
			t->pair[(size_t)s * c->n_dst + d] = id;
			mark_realised(lw, id);
		}
	}
	free(ls);
	free(mark);
	free(cnt);
	free(off);
	free(buf);
	fwc_csr_free(&by_src);
	fwc_csr_free(&by_dst);
	return 0;
}

/* Service classes of each rule: a rule is in few of them. */
void fwc_svcs_by_rule(const struct fwc_classes *c, size_t n_rules,
		      struct fwc_csr *out)
{
	csr_invert(c, c->n_svc, rules_of_svc, n_rules, out);
}

/* First match for every service class: walk the list's rules in order. */
void fwc_decide_row(const struct fwc_csr *by_rule, const uint32_t *list,
		    size_t n, uint32_t *dec, uint32_t n_svc)
{
	uint32_t left = n_svc;

	memset(dec, 0, n_svc * sizeof(*dec));
	for (size_t i = 0; i < n && left; i++)
		for (uint32_t k = by_rule->off[list[i]];
		     k < by_rule->off[list[i] + 1]; k++)
			if (!dec[by_rule->item[k]]) {
				dec[by_rule->item[k]] = list[i] + 1;
				left--;
			}
}

static int build_decisions(const struct fwc_policy *pol,
			   const struct fwc_classes *c, struct fwc_tables *t,
			   struct fwc_lower *lw, uint64_t budget)
{
	uint64_t pair = (uint64_t)c->n_src * c->n_dst * 4;
	uint32_t *dec = xcalloc(c->n_svc, sizeof(*dec));
	uint32_t *final = xcalloc(lw->lists.n, sizeof(*final));
	struct vectab rows = { 0 };
	struct fwc_csr by_rule = { 0 };

	fwc_svcs_by_rule(c, pol->n_rules, &by_rule);
	for (uint32_t l = 0; l < lw->lists.n; l++) {
		fwc_decide_row(&by_rule, lw->lists.vec[l], lw->lists.len[l],
			       dec, c->n_svc);
		final[l] = vectab_intern(&rows, dec, c->n_svc);
	}
	fwc_csr_free(&by_rule);
	/* The estimate counted these rows before: a safety net. */
	if ((uint64_t)rows.n * c->n_svc * 4 + pair +
		    fwc_svc_map_entries(c) * 4 >
	    budget) {
		free(dec);
		free(final);
		vectab_free(&rows);
		return -E2BIG;
	}
	t->meta.n_rows = rows.n;
	t->decision = xcalloc((size_t)rows.n * c->n_svc, sizeof(*t->decision));
	for (uint32_t r = 0; r < rows.n; r++)
		memcpy(t->decision + (size_t)r * c->n_svc, rows.vec[r],
		       c->n_svc * sizeof(*dec));
	lw->list_row = final;
	lw->pair_list =
		xcalloc((size_t)c->n_src * c->n_dst, sizeof(*lw->pair_list));
	memcpy(lw->pair_list, t->pair,
	       (size_t)c->n_src * c->n_dst * sizeof(*t->pair));
	for (size_t i = 0; i < (size_t)c->n_src * c->n_dst; i++)
		t->pair[i] = final[t->pair[i]];
	free(dec);
	vectab_free(&rows);
	return 0;
}

/* ---- sizes before building: fwc_tables_estimate() --------------------- */

/*
 * A set of 128-bit fingerprints: it counts distinct lists or rows and
 * keeps nothing else of them. Two independent 64-bit hashes: a false
 * match (an undercount by one, which the build's own check would catch)
 * is about as likely as 2^-128 a pair.
 */
struct fpset {
	uint64_t *k; /* two words a slot; a zero first word is empty */
	size_t cap, n;
};

static uint64_t fp_mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	return x ^ (x >> 33);
}

static bool fpset_add(struct fpset *s, uint64_t a, uint64_t b)
{
	size_t j;

	a |= 1;
	b = fp_mix(b);
	if ((s->n + 1) * 2 > s->cap) {
		struct fpset old = *s;

		s->cap = s->cap ? s->cap * 2 : 1024;
		s->k = xcalloc(s->cap * 2, sizeof(*s->k));
		for (size_t i = 0; i < old.cap; i++) {
			if (!old.k[2 * i])
				continue;
			j = old.k[2 * i + 1] & (s->cap - 1);
			while (s->k[2 * j])
				j = (j + 1) & (s->cap - 1);
			s->k[2 * j] = old.k[2 * i];
			s->k[2 * j + 1] = old.k[2 * i + 1];
		}
		free(old.k);
	}
	j = b & (s->cap - 1);
	while (s->k[2 * j]) {
		if (s->k[2 * j] == a && s->k[2 * j + 1] == b)
			return false;
		j = (j + 1) & (s->cap - 1);
	}
	s->k[2 * j] = a;
	s->k[2 * j + 1] = b;
	s->n++;
	return true;
}

/* A row: two multiplicative hashes side by side (one pass, two lanes). */
static bool fpset_add_row(struct fpset *s, const uint32_t *v, size_t n)
{
	uint64_t x = 0xcbf29ce484222325ull, y = 0x9e3779b97f4a7c15ull ^ n;

	for (size_t i = 0; i < n; i++) {
		x = (x ^ v[i]) * 0x100000001b3ull;
		y = (y ^ v[i]) * 0xff51afd7ed558ccdull;
		y = y << 31 | y >> 33;
	}
	return fpset_add(s, x, y);
}

/* For each role, how many classes of @p hold it. */
static void classes_per_role(const struct fwc_partition *p, uint64_t *out)
{
	for (uint32_t k = 0; k < p->n_cls; k++) {
		const uint64_t *sig = p->sig + (size_t)k * p->words;

		for (size_t w = 0; w < p->words; w++)
			for (uint64_t b = sig[w]; b; b &= b - 1)
				out[w * 64 + (size_t)__builtin_ctzll(b)]++;
	}
}

/* The largest sum of @per_role over the roles a class of @p holds. */
static uint64_t max_over_classes(const struct fwc_partition *p,
				 const uint64_t *per_role)
{
	uint64_t best = 0;

	for (uint32_t k = 0; k < p->n_cls; k++) {
		const uint64_t *sig = p->sig + (size_t)k * p->words;
		uint64_t sum = 0;

		for (size_t w = 0; w < p->words; w++)
			for (uint64_t b = sig[w]; b; b &= b - 1)
				sum += per_role[w * 64 +
						(size_t)__builtin_ctzll(b)];
		if (sum > best)
			best = sum;
	}
	return best;
}

/*
 * From the classes alone: the same-family pairs some rule covers (at
 * most; each distinct non-empty list has one), the entries of all their
 * lists (Σ over rules of its source times its destination classes, by
 * family), and the most entries one source class's lists hold together
 * (build_pairs()'s buffer).
 */
static void cheap_bound(const struct fwc_policy *pol,
			const struct fwc_classes *c, uint64_t *covered,
			uint64_t *entries, uint64_t *buf_max)
{
	size_t ns = c->n_src_roles + 1, nd = c->n_dst_roles + 1;
	uint64_t *s4 = xcalloc(ns, sizeof(*s4)), *s6 = xcalloc(ns, sizeof(*s6));
	uint64_t *d4 = xcalloc(nd, sizeof(*d4)), *d6 = xcalloc(nd, sizeof(*d6));
	uint64_t *b4 = xcalloc(ns, sizeof(*b4)), *b6 = xcalloc(ns, sizeof(*b6));
	uint64_t w = 0, pairs, m4, m6;

	classes_per_role(&c->src4, s4);
	classes_per_role(&c->src6, s6);
	classes_per_role(&c->dst4, d4);
	classes_per_role(&c->dst6, d6);
	for (size_t r = 0; r < pol->n_rules; r++) {
		uint32_t sr = c->src_role[r], dr = c->dst_role[r];

		w += s4[sr] * d4[dr] + s6[sr] * d6[dr];
		b4[sr] += d4[dr];
		b6[sr] += d6[dr];
	}
	m4 = max_over_classes(&c->src4, b4);
	m6 = max_over_classes(&c->src6, b6);
	pairs = (uint64_t)c->src4.n_cls * c->dst4.n_cls +
		(uint64_t)c->src6.n_cls * c->dst6.n_cls;
	*covered = w < pairs ? w : pairs;
	*entries = w;
	*buf_max = m4 > m6 ? m4 : m6;
	free(s4);
	free(s6);
	free(d4);
	free(d6);
	free(b4);
	free(b6);
}

/*
 * build_pairs() and build_decisions() as a count, keeping neither lists
 * nor rows. A list is a set of rules, so its fingerprint is a sum of
 * per-rule random keys, accumulated as the rules are spread over the
 * destination classes (one add an entry, no list written); only a new
 * list is written out, from its source class's rules, for its row. Stops
 * once the rows pass @max_rows or the lists @e->budget.
 */
int fwc_tables_count(const struct fwc_policy *pol, const struct fwc_classes *c,
		     uint64_t max_rows, struct fwc_estimate *e)
{
	struct fwc_csr by_src = { 0 }, by_dst = { 0 }, by_rule = { 0 };
	struct fpset lists = { 0 }, rows = { 0 };
	uint64_t *k1, *k2, *h1, *h2, *mark;
	uint32_t *ls, *cnt, *list, *dec;
	int err = 0;

	rules_by_src_role(pol, c, &by_src);
	csr_invert(c, c->n_dst, dst_roles_of, c->n_dst_roles, &by_dst);
	fwc_svcs_by_rule(c, pol->n_rules, &by_rule);
	k1 = xcalloc(pol->n_rules + 1, sizeof(*k1));
	k2 = xcalloc(pol->n_rules + 1, sizeof(*k2));
	for (size_t r = 0; r < pol->n_rules; r++) {
		k1[r] = fp_mix(2 * r + 0x2545f4914f6cdd1dull);
		k2[r] = fp_mix(2 * r + 1 + 0x9e3779b97f4a7c15ull);
	}
	h1 = xcalloc(c->n_dst + 1, sizeof(*h1));
	h2 = xcalloc(c->n_dst + 1, sizeof(*h2));
	cnt = xcalloc(c->n_dst + 1, sizeof(*cnt));
	ls = xcalloc(pol->n_rules + 1, sizeof(*ls));
	list = xcalloc(pol->n_rules + 1, sizeof(*list));
	mark = xcalloc(c->rule_words, sizeof(*mark));
	dec = xcalloc(c->n_svc + 1, sizeof(*dec));
	/* The empty list (sum 0) and its row of defaults: the build has both. */
	fpset_add(&lists, 0, 0);
	fpset_add_row(&rows, dec, c->n_svc);
	e->lists = e->rows = 1;
	e->list_bytes = FWC_LIST_COST;
	for (uint32_t s = 0; s < c->n_src && !err; s++) {
		size_t n_ls = src_rules(c, &by_src, s, mark, ls);
		int fam = fwc_src_family(c, s);
		uint64_t total = 0;

		e->work += c->n_dst;
		if (e->max_work && e->work > e->max_work) {
			e->over = FWC_OVER_WORK;
			e->more = true;
			err = -E2BIG;
			break;
		}

		memset(cnt, 0, c->n_dst * sizeof(*cnt));
		memset(h1, 0, c->n_dst * sizeof(*h1));
		memset(h2, 0, c->n_dst * sizeof(*h2));
		for (size_t i = 0; i < n_ls; i++) {
			uint32_t r = ls[i], role = c->dst_role[r];

			total += by_dst.off[role + 1] - by_dst.off[role];
			e->work += by_dst.off[role + 1] - by_dst.off[role];
			for (uint32_t k = by_dst.off[role];
			     k < by_dst.off[role + 1]; k++) {
				uint32_t d = by_dst.item[k];

				cnt[d]++;
				h1[d] += k1[r];
				h2[d] += k2[r];
			}
		}
		/* build_pairs() holds one source class's lists at once. */
		if (total * sizeof(uint32_t) > e->budget) {
			e->over = FWC_OVER_LISTS;
			err = -E2BIG;
			break;
		}
		for (uint32_t d = 0; d < c->n_dst; d++) {
			size_t words, n = 0;
			const uint64_t *sig;

			if (!cnt[d] || fam != fwc_dst_family(c, d) ||
			    !fpset_add(&lists, h1[d], h2[d]))
				continue;
			e->lists++;
			e->list_bytes += FWC_LIST_COST + 4ull * cnt[d];
			if (e->list_bytes > e->budget) {
				e->over = FWC_OVER_LISTS;
				err = -E2BIG;
				break;
			}
			e->work += n_ls + c->n_svc;
			sig = dst_roles_of(c, d, &words);
			for (size_t i = 0; i < n_ls; i++)
				if (fwc_bit(sig, c->dst_role[ls[i]]))
					list[n++] = ls[i];
			fwc_decide_row(&by_rule, list, n, dec, c->n_svc);
			if (fpset_add_row(&rows, dec, c->n_svc) &&
			    ++e->rows > max_rows) {
				e->over = FWC_OVER_DECISION;
				err = -E2BIG;
				break;
			}
		}
	}
	e->exact = !err;
	e->more = !!err;
	free(k1);
	free(k2);
	free(h1);
	free(h2);
	free(cnt);
	free(ls);
	free(list);
	free(mark);
	free(dec);
	free(lists.k);
	free(rows.k);
	fwc_csr_free(&by_src);
	fwc_csr_free(&by_dst);
	fwc_csr_free(&by_rule);
	return err;
}

/* Bytes of fwc_svcs_by_rule()'s lists: a rule in every class it is in. */
static uint64_t rule_svc_bytes(const struct fwc_classes *c, size_t n_rules)
{
	uint64_t n = n_rules + 2;

	for (size_t i = 0; i < (size_t)c->n_svc * c->rule_words; i++)
		n += (uint64_t)__builtin_popcountll(c->svc_rules[i]);
	return n * sizeof(uint32_t);
}

int fwc_tables_estimate(const struct fwc_policy *pol,
			const struct fwc_classes *c, uint64_t budget,
			uint64_t max_work, struct fwc_estimate *e)
{
	uint64_t covered, entries, buf_max, per_row, max_rows;
	int err;

	memset(e, 0, sizeof(*e));
	e->budget = budget;
	e->max_work = max_work;
	e->pair_bytes = (uint64_t)c->n_src * c->n_dst * sizeof(uint32_t);
	e->over = c->over;
	if (e->over == FWC_OVER_PAIR && !c->n_pc)
		return -E2BIG; /* only the class counts are there */
	e->svc_bytes = fwc_svc_map_entries(c) * sizeof(uint32_t);
	e->pairs = (uint64_t)c->src4.n_cls * c->dst4.n_cls +
		   (uint64_t)c->src6.n_cls * c->dst6.n_cls;
	if (e->over)
		return -E2BIG;
	e->rule_svc_bytes = rule_svc_bytes(c, pol->n_rules);
	if (e->rule_svc_bytes > budget) {
		e->over = FWC_OVER_RULE_SVCS;
		return -E2BIG;
	}
	per_row = (uint64_t)(c->n_svc ? c->n_svc : 1) * sizeof(uint32_t);
	max_rows = (budget - e->svc_bytes - e->pair_bytes) / per_row;
	cheap_bound(pol, c, &covered, &entries, &buf_max);
	e->rows = e->lists = covered + 1;
	e->list_bytes = e->lists * FWC_LIST_COST + entries * sizeof(uint32_t);
	if (e->rows <= max_rows && e->list_bytes <= budget &&
	    buf_max * sizeof(uint32_t) <= budget) {
		e->decision_bytes = e->rows * per_row;
		return 0;
	}
	err = fwc_tables_count(pol, c, max_rows, e);
	e->decision_bytes = e->rows * per_row;
	return err;
}

/* ---- rules ------------------------------------------------------------ */

static void build_rules(const struct fwc_policy *pol, struct fwc_tables *t)
{
	t->meta.n_rules = (uint32_t)pol->n_rules;
	t->meta.default_act = pol->default_allow ? FWC_ACT_ALLOW : FWC_ACT_DENY;
	t->meta.flags = (pol->nonip_drop ? FWC_META_NONIP_DROP : 0) |
			(pol->state_off ? FWC_META_STATE_OFF : 0) |
			(pol->audit ? FWC_META_AUDIT : 0) |
			(pol->srcroute_pass ? FWC_META_SRCROUTE_PASS : 0);
	t->meta.log_rate = pol->log_rate ? pol->log_rate : FWC_LOG_RATE_DEFAULT;
	t->rules = xcalloc(pol->n_rules + 1, sizeof(*t->rules));
	t->rule_meta = xcalloc(pol->n_rules + 1, sizeof(*t->rule_meta));
	t->rules[0].action = t->meta.default_act;
	/* set log default on: rule 0 logs like a rule marked `log`. */
	t->rules[0].flags = pol->log_default ? FWC_RULE_LOG : 0;
	t->rule_meta[0].text =
		xstrdup(pol->default_allow ? "default allow" : "default deny");
	for (size_t i = 0; i < pol->n_rules; i++) {
		const struct fwc_rule *r = &pol->rules[i];

		t->rules[i + 1].action = r->allow ? FWC_ACT_ALLOW :
						    FWC_ACT_DENY;
		t->rules[i + 1].flags = r->log ? FWC_RULE_LOG : 0;
		t->rule_meta[i + 1].id = r->id;
		t->rule_meta[i + 1].line = r->pos.line;
		t->rule_meta[i + 1].label = r->label ? xstrdup(r->label) : NULL;
		t->rule_meta[i + 1].text = xstrdup(r->text);
	}
}

/*
 * The rpc rules' interfaces (docs/rpc-pinholes.md), by rule as the
 * resolver wrote them: each rpc rule's entries are rpc_ifaces[rpc_first ..
 * rpc_first + rpc_n). A deny rule has none (its rpc is TCP 135 alone).
 */
static void build_rpc(const struct fwc_policy *pol, struct fwc_tables *t)
{
	t->meta.n_rpc = (uint32_t)pol->n_rpc;
	if (!pol->n_rpc)
		return;
	t->meta.flags |= FWC_META_RPC;
	t->rpc_ifaces = xcalloc(pol->n_rpc, sizeof(*t->rpc_ifaces));
	for (size_t i = 0; i < pol->n_rpc; i++) {
		const struct fwc_rpc_entry *e = &pol->rpc[i];
		struct fwc_rpc_iface *o = &t->rpc_ifaces[i];

		memcpy(o->uuid, e->uuid, sizeof(o->uuid));
		o->major = e->major;
		o->flags = e->flags;
		o->port_lo = e->port_lo;
		o->port_hi = e->port_hi;
	}
	for (size_t i = 0; i < pol->n_rules; i++) {
		const struct fwc_rule *r = &pol->rules[i];
		struct fwc_rule_info *ri = &t->rules[i + 1];

		if (!r->n_rpc)
			continue;
		ri->flags |= FWC_RULE_RPC;
		ri->rpc_first = (uint32_t)r->rpc_first;
		ri->rpc_n = (uint32_t)r->n_rpc;
	}
}

void fwc_tables_build_lookup(const struct fwc_policy *pol,
			     const struct fwc_classes *c,
			     const struct fwc_compile_opts *opts,
			     struct fwc_tables *t)
{
	memset(t, 0, sizeof(*t));
	t->meta.abi_version = FWC_ABI_VERSION;
	build_rules(pol, t);
	build_rpc(pol, t);
	build_v4_trie(t, c);
	if (opts->v6_layout == FWC_V6_LPM || !build_v6_trie(t, c, opts))
		build_v6_prefixes(t, c);
	t->meta.n_addr = c->n_addr;
	t->addr = xcalloc(c->n_addr, sizeof(*t->addr));
	memcpy(t->addr, c->addr, c->n_addr * sizeof(*t->addr));
	build_l4(t, c);
	t->source = xstrdup(pol->name ? pol->name : "-");
	memcpy(t->source_sha256, pol->sha256, sizeof(t->source_sha256));
}

int fwc_tables_build_cross(const struct fwc_policy *pol,
			   const struct fwc_classes *c, struct fwc_tables *t,
			   struct fwc_lower *lw, uint64_t budget)
{
	int err;

	memset(lw, 0, sizeof(*lw));
	err = build_pairs(pol, c, t, lw, budget);
	if (!err)
		err = build_decisions(pol, c, t, lw, budget);
	return err;
}

int fwc_tables_build(const struct fwc_policy *pol, const struct fwc_classes *c,
		     const struct fwc_compile_opts *opts, struct fwc_tables *t,
		     struct fwc_lower *lw)
{
	uint64_t budget = opts->max_table_memory ? opts->max_table_memory :
						   FWC_TABLE_BUDGET;

	fwc_tables_build_lookup(pol, c, opts, t);
	return fwc_tables_build_cross(pol, c, t, lw, budget);
}

void fwc_lower_free(struct fwc_lower *lw)
{
	vectab_free(&lw->lists);
	free(lw->realised);
	free(lw->list_row);
	free(lw->pair_list);
	memset(lw, 0, sizeof(*lw));
}

/*
 * fwc_table_descs[] from the list of maps: an entries function and a row
 * for each map with a section (NO_ART rows expand to nothing).
 */
#define ENTRIES_FN(ID, name, TYPE, k, v, entries, flags, home, art, ...) \
	ENTRIES_FN_##art(name, entries)
#define ENTRIES_FN_NO_ART(name, entries)
#define ENTRIES_FN_HEAD ENTRIES_FN_ANY
#define ENTRIES_FN_INLINE ENTRIES_FN_ANY
#define ENTRIES_FN_ARRAY ENTRIES_FN_ANY
#define ENTRIES_FN_OPTIONAL ENTRIES_FN_ANY
#define ENTRIES_FN_LPM ENTRIES_FN_ANY
#define ENTRIES_FN_RULES ENTRIES_FN_ANY
#define ENTRIES_FN_ANY(name, entries)                            \
	static uint64_t entries_##name(const struct fwc_meta *m) \
	{                                                        \
		(void)m;                                         \
		return FWC_MAP_COUNT(entries);                   \
	}

FWC_MAPS(ENTRIES_FN)

#define DESC(ID, name, TYPE, k, v, entries, flags, home, art, field, counts) \
	DESC_##art(name, k, v, field, counts)
#define DESC_NO_ART(name, k, v, field, counts)
#define DESC_ONE(name, art, row, v, ksz, field, field2, counts) \
	{ #name,                                                \
	  counts,                                               \
	  FWC_ART_##art,                                        \
	  row,                                                  \
	  sizeof(v),                                            \
	  ksz,                                                  \
	  offsetof(struct fwc_tables, field),                   \
	  offsetof(struct fwc_tables, field2),                  \
	  entries_##name },
#define DESC_HEAD(name, k, v, field, counts) \
	DESC_ONE(name, HEAD, false, v, 0, field, field, counts)
#define DESC_INLINE(name, k, v, field, counts) \
	DESC_ONE(name, INLINE, true, v, 0, field, field, counts)
#define DESC_ARRAY(name, k, v, field, counts) \
	DESC_ONE(name, ARRAY, true, v, 0, field, field, counts)
#define DESC_OPTIONAL(name, k, v, field, counts) \
	DESC_ONE(name, OPTIONAL, true, v, 0, field, field, counts)
#define DESC_LPM(name, k, v, field, counts)                                 \
	DESC_ONE(name, LPM, true, v, sizeof(k), field##_keys, field##_vals, \
		 counts)
#define DESC_RULES(name, k, v, field, counts) \
	DESC_ONE(name, RULES, false, v, 0, field, field, counts)

const struct fwc_table_desc fwc_table_descs[] = { FWC_MAPS(DESC) };
const size_t fwc_n_table_descs =
	sizeof(fwc_table_descs) / sizeof(fwc_table_descs[0]);

const struct fwc_table_desc *fwc_table_desc(const char *name)
{
	for (size_t i = 0; i < fwc_n_table_descs; i++)
		if (!strcmp(fwc_table_descs[i].name, name))
			return &fwc_table_descs[i];
	return NULL;
}

/* The array a table of kind ARRAY, OPTIONAL or LPM points to at @off. */
static void *table_ptr(const struct fwc_tables *t, size_t off)
{
	void *p;

	memcpy(&p, (const char *)t + off, sizeof(p));
	return p;
}

void fwc_tables_free(struct fwc_tables *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < fwc_n_table_descs; i++) {
		const struct fwc_table_desc *d = &fwc_table_descs[i];

		switch (d->art) {
		case FWC_ART_LPM:
			free(table_ptr(t, d->off2));
			/* fall through */
		case FWC_ART_ARRAY:
		case FWC_ART_OPTIONAL:
			free(table_ptr(t, d->off));
			break;
		default:
			break;
		}
	}
	if (t->rule_meta)
		for (uint32_t i = 0; i <= t->meta.n_rules; i++) {
			free(t->rule_meta[i].label);
			free(t->rule_meta[i].text);
		}
	free(t->rule_meta);
	free(t->source);
	free(t);
}

size_t fwc_tables_entries(const struct fwc_tables *t, const char *table)
{
	const struct fwc_table_desc *d = fwc_table_desc(table);

	return d && d->row ? (size_t)d->entries(&t->meta) : 0;
}

size_t fwc_tables_bytes(const struct fwc_tables *t, const char *table)
{
	const struct fwc_table_desc *d = fwc_table_desc(table);

	return d && d->row ?
		       (size_t)d->entries(&t->meta) * (d->key_size + d->size) :
		       0;
}
