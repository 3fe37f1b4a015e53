// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The userspace table classifier: the same steps, in the same order, as
 * bpf/fwc.bpf.c, over the same tables (see include/fwc_abi.h).
 */
#include <string.h>

#include "tables.h"

void fwc_v6_words(const uint8_t a[16], uint32_t w[4])
{
	for (int k = 0; k < 4; k++)
		w[k] = (uint32_t)a[4 * k] << 24 | a[4 * k + 1] << 16 |
		       a[4 * k + 2] << 8 | a[4 * k + 3];
}

void fwc_v6_bytes(const uint32_t w[4], uint8_t a[16])
{
	for (int i = 0; i < 16; i++)
		a[i] = (uint8_t)(w[i / 4] >> (24 - 8 * (i % 4)));
}

bool fwc_v6_outside(const struct fwc_meta *m, const uint8_t a[16])
{
	uint32_t w[4];

	fwc_v6_words(a, w);
	for (int k = 0; k < 4; k++)
		if ((w[k] ^ m->v6_pre[k]) & m->v6_mask[k])
			return true;
	return false;
}

static int words_cmp(const uint32_t *x, const uint32_t *y)
{
	for (int k = 0; k < 4; k++)
		if (x[k] != y[k])
			return x[k] < y[k] ? -1 : 1;
	return 0;
}

/*
 * The root by bytes @at and @at + 1, then one chunk per byte while
 * needed; an IPv6 walk may end on a range leaf. The artifact reader
 * refuses tables whose walks leave them (fwc_tables_validate); should
 * such tables come here anyway, a walk that would is addr class 0, and
 * so is every other index past its table below: no read out of bounds.
 */
static uint32_t trie_class(const struct fwc_tables *t, const uint32_t *root,
			   const uint8_t *a, int at, int len)
{
	uint32_t e = root[(uint32_t)a[at] << 8 | a[at + 1]], w[4];
	const struct fwc_v6_range *r;

	for (int i = at + 2; i < len && (e & FWC_TRIE_CHUNK); i++) {
		if ((e & ~FWC_TRIE_CHUNK) >= t->meta.n_chunks)
			return 0;
		e = t->chunks[(size_t)(e & ~FWC_TRIE_CHUNK) *
				      FWC_TRIE_CHUNK_SIZE +
			      a[i]];
	}
	if (e & FWC_TRIE_CHUNK)
		return 0;
	if (!(e & FWC_TRIE_RANGE))
		return e;
	if ((e & ~FWC_TRIE_RANGE) >= t->meta.n_v6_ranges)
		return 0;
	r = &t->v6_ranges[e & ~FWC_TRIE_RANGE];
	fwc_v6_words(a, w);
	return words_cmp(w, r->lo) >= 0 && words_cmp(w, r->hi) <= 0 ? r->in :
								      r->out;
}

/* LPM over disjoint sorted prefixes: the one that may contain @a. */
static uint32_t v6_class(const struct fwc_tables *t, const uint8_t *a)
{
	size_t lo = 0, hi = t->meta.n_v6;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(t->v6_keys[mid].addr, a, 16) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	{
		const struct fwc_v6_key *k = &t->v6_keys[lo - 1];
		uint32_t len = k->prefixlen, full = len / 8, rem = len % 8;

		if (memcmp(k->addr, a, full))
			return 0;
		if (rem && ((k->addr[full] ^ a[full]) & (0xff00 >> rem) & 0xff))
			return 0;
		return t->v6_vals[lo - 1];
	}
}

static uint32_t addr_class(const struct fwc_tables *t, int family,
			   const uint8_t *a)
{
	const struct fwc_meta *m = &t->meta;

	if (family == 4)
		return trie_class(t, t->v4_root, a, 0, 4);
	if (!(m->flags & FWC_META_V6_TRIE))
		return v6_class(t, a);
	if (fwc_v6_outside(m, a))
		return m->v6_outside;
	if (m->v6_at > 14)
		return 0;
	return trie_class(t, t->v6_root, a, (int)m->v6_at, 16);
}

/* The classes of @pkt; false where an index would leave its table. */
static bool classes(const struct fwc_tables *t, const struct fwc_packet *pkt,
		    uint32_t *src, uint32_t *dst, uint32_t *svc)
{
	const struct fwc_meta *m = &t->meta;
	uint32_t sa = addr_class(t, pkt->family, pkt->src);
	uint32_t da = addr_class(t, pkt->family, pkt->dst);
	uint32_t pc = t->proto[pkt->proto];
	const struct fwc_proto_info *pi;
	uint64_t k1, k2, s;

	if (sa >= m->n_addr || da >= m->n_addr || pc >= m->n_pc)
		return false;
	pi = &t->pinfo[pc];
	k1 = (uint64_t)pi->k1_off + (pkt->k1 & pi->k1_mask);
	k2 = (uint64_t)pi->k2_off + (pkt->k2 & pi->k2_mask);
	if (k1 >= m->n_l4 || k2 >= m->n_l4)
		return false;
	s = pi->svc_base + (uint64_t)t->l4[k1] * pi->n2 + t->l4[k2];
	if (s >= m->n_svc_map)
		return false;
	*src = t->addr[sa].src;
	*dst = t->addr[da].dst;
	*svc = t->svc[s];
	return *src < m->n_src && *dst < m->n_dst && *svc < m->n_svc;
}

void fwc_tables_classes(const struct fwc_tables *t,
			const struct fwc_packet *pkt, uint32_t *src,
			uint32_t *dst, uint32_t *svc)
{
	if (!classes(t, pkt, src, dst, svc))
		*src = *dst = *svc = 0;
}

/* The rule of decision row @row, service class @v, of group @g. */
static uint32_t row_match(const struct fwc_tables *t, const struct fwc_group *g,
			  uint64_t row, uint32_t v)
{
	uint64_t i = (uint64_t)g->dec_off + row * g->n_svc + v;

	if (row >= g->n_rows || v >= g->n_svc || i >= t->meta.n_dec)
		return 0;
	return t->decision[i];
}

/*
 * The first rule of the list at @at whose box holds @pkt; 0 for none. It
 * reads no further than the datapath's walk does: to a rule past @best.
 */
static uint32_t list_match(const struct fwc_tables *t,
			   const struct fwc_group *g, uint64_t at, uint32_t v,
			   const struct fwc_packet *pkt, uint32_t best,
			   struct fwc_walk_stats *st)
{
	for (uint32_t i = 0; i < FWC_LIST_MAX && at + i < t->meta.n_glist;
	     i++) {
		const struct fwc_gentry *e = &t->glist[at + i];

		st->entries++;
		if (!e->rule)
			return 0;
		if (e->rule == FWC_GENTRY_ROW) {
			st->rows++;
			return row_match(
				t, g, (uint32_t)e->k1_hi << 16 | e->k1_lo, v);
		}
		if (best && e->rule > best)
			return 0;
		if (pkt->proto >= e->proto_lo && pkt->proto <= e->proto_hi &&
		    pkt->k1 >= e->k1_lo && pkt->k1 <= e->k1_hi &&
		    pkt->k2 >= e->k2_lo && pkt->k2 <= e->k2_hi)
			return e->rule;
	}
	return 0;
}

/* The sparse group's slot of (gs, gd): at most FWC_PROBE_MAX probes. */
static const struct fwc_slot *group_slot(const struct fwc_tables *t,
					 const struct fwc_group *g, uint32_t gs,
					 uint32_t gd)
{
	uint32_t h = fwc_slot_hash(gs, gd, g->seed);

	for (uint32_t i = 0; i < FWC_PROBE_MAX; i++) {
		uint64_t k = (uint64_t)g->pair_off + ((h + i) & g->mask);
		const struct fwc_slot *sl;

		if (k >= t->meta.n_slots)
			return NULL;
		sl = &t->slots[k];
		if (!sl->src)
			return NULL;
		if (sl->src == gs + 1 && sl->dst == gd + 1)
			return sl;
	}
	return NULL;
}

/* The glist offset of group @g's list at its classes (gs, gd); 0: none. */
static uint64_t group_list(const struct fwc_tables *t,
			   const struct fwc_group *g, uint32_t gs, uint32_t gd)
{
	const struct fwc_slot *sl;
	uint64_t i;

	if (gs >= g->n_src || gd >= g->n_dst)
		return 0;
	if (g->kind == FWC_GROUP_SPARSE) {
		sl = group_slot(t, g, gs, gd);
		return sl ? sl->list : 0;
	}
	i = (uint64_t)g->pair_off + (uint64_t)gs * g->n_dst + gd;
	return i < t->meta.n_pair ? t->pair[i] : 0;
}

/* The lowest rule id any group matches: groups by their lowest rule. */
static uint32_t groups_classify(const struct fwc_tables *t, uint32_t s,
				uint32_t d, uint32_t v,
				const struct fwc_packet *pkt,
				struct fwc_walk_stats *st)
{
	uint64_t ds = (uint64_t)t->meta.n_src + d;
	const struct fwc_gclass *cs, *cd;
	uint32_t best = 0, mask;

	if (s >= t->meta.n_src || ds >= t->meta.n_gmap)
		return 0;
	cs = &t->gmap[s];
	cd = &t->gmap[ds];
	/* Only the groups both classes are in can match. */
	mask = cs->mask & cd->mask;
	for (uint32_t k = 0; k < t->meta.n_groups && k < FWC_GROUPS_MAX; k++) {
		const struct fwc_group *g = &t->groups[k];
		uint64_t at;
		uint32_t id;

		if (!(mask >> k & 1))
			continue;
		if (best && best < g->min_rule)
			break;
		st->groups++;
		/* glist[0] is the empty list, which the datapath skips. */
		at = group_list(t, g, cs->cls[k], cd->cls[k]);
		if (!at) {
			st->empty++;
			continue;
		}
		id = list_match(t, g, at, v, pkt, best, st);
		if (id && (!best || id < best))
			best = id;
	}
	return best;
}

uint32_t fwc_tables_classify_traced(const struct fwc_tables *t,
				    const struct fwc_packet *pkt,
				    struct fwc_walk_stats *st)
{
	const struct fwc_meta *m = &t->meta;
	uint32_t s, d, v, row, id;

	st->packets++;
	if (!classes(t, pkt, &s, &d, &v))
		return 0;
	if (m->n_groups) {
		id = groups_classify(t, s, d, v, pkt, st);
		return id <= m->n_rules ? id : 0;
	}
	row = t->pair[(size_t)s * m->n_dst + d];
	if (row >= m->n_rows)
		return 0;
	id = t->decision[(size_t)row * m->n_svc + v];
	return id <= m->n_rules ? id : 0;
}

uint32_t fwc_tables_classify(const struct fwc_tables *t,
			     const struct fwc_packet *pkt)
{
	struct fwc_walk_stats st = { 0 };

	return fwc_tables_classify_traced(t, pkt, &st);
}

uint32_t fwc_tables_action(const struct fwc_tables *t, uint32_t id)
{
	return id <= t->meta.n_rules ? t->rules[id].action : FWC_ACT_DENY;
}
