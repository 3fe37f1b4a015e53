// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Are the tables consistent? Every count, offset and index that the
 * classifiers (compiler/classify.c, bpf/fwc.bpf.c) and the loader follow
 * must stay inside the array its count sizes, so that a table read from a
 * file cannot send a reader out of bounds. The artifact reader runs this
 * on what it read, before anything uses it; the compiler's tables pass by
 * construction. Sums and products are taken in 64 bits: every operand is
 * a u32, and a product of two u32s plus a u32 fits 64 bits.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tables.h"
#include "utf8.h"
#include "util.h"

struct check {
	const struct fwc_tables *t;
	char *why;
	size_t len;
	uint32_t *seen;	    /* per chunk: the trie levels walked from it */
	uint32_t *list_end; /* per glist entry: its list's rule 0 (glist_ok) */
};

__attribute__((format(printf, 2, 3))) static bool bad(struct check *c,
						      const char *fmt, ...)
{
	va_list ap;

	if (c->len) {
		va_start(ap, fmt);
		vsnprintf(c->why, c->len, fmt, ap);
		va_end(ap);
	}
	return false;
}

/*
 * ABI 7's counts: none of the grouped tables without groups (the artifact
 * has no such sections then), at most FWC_GROUPS_MAX groups, and each
 * table its count sizes present.
 */
static bool groups_meta_ok(struct check *c)
{
	const struct fwc_tables *t = c->t;
	const struct fwc_meta *m = &t->meta;
	const struct {
		uint32_t v;
		const char *name;
	} grouped[] = {
		{ m->n_gmap, "n_gmap" },   { m->n_slots, "n_slots" },
		{ m->n_glist, "n_glist" }, { m->n_pair, "n_pair" },
		{ m->n_dec, "n_dec" },
	};

	if (!m->n_groups) {
		for (size_t i = 0; i < sizeof(grouped) / sizeof(grouped[0]);
		     i++)
			if (grouped[i].v)
				return bad(c, "meta: %s %u without groups",
					   grouped[i].name, grouped[i].v);
		if (t->groups || t->gmap || t->slots || t->glist)
			return bad(c, "meta: n_groups 0 with a groups, gmap, "
				      "slots or glist table");
		return true;
	}
	if (m->n_groups > FWC_GROUPS_MAX)
		return bad(c, "meta: n_groups %u, more than %u", m->n_groups,
			   FWC_GROUPS_MAX);
	if ((uint64_t)m->n_src + m->n_dst != m->n_gmap)
		return bad(c, "meta: n_gmap %u, not n_src + n_dst = %llu",
			   m->n_gmap, (unsigned long long)m->n_src + m->n_dst);
	if (!t->groups || !t->gmap || (m->n_slots && !t->slots) ||
	    (m->n_glist && !t->glist))
		return bad(c, "a table its count sizes is missing");
	return true;
}

/* The counts themselves, and the arrays they size. */
static bool meta_ok(struct check *c)
{
	const struct fwc_tables *t = c->t;
	const struct fwc_meta *m = &t->meta;
	static const struct {
		size_t off;
		const char *name;
	} nonzero[] = {
		{ offsetof(struct fwc_meta, n_src), "n_src" },
		{ offsetof(struct fwc_meta, n_dst), "n_dst" },
		{ offsetof(struct fwc_meta, n_svc), "n_svc" },
		{ offsetof(struct fwc_meta, n_rows), "n_rows" },
		{ offsetof(struct fwc_meta, n_addr), "n_addr" },
		{ offsetof(struct fwc_meta, n_pc), "n_pc" },
		{ offsetof(struct fwc_meta, n_l4), "n_l4" },
		{ offsetof(struct fwc_meta, n_svc_map), "n_svc_map" },
	};

	if (m->abi_version != FWC_ABI_VERSION)
		return bad(c, "meta: abi_version %u, this fwc reads %u",
			   m->abi_version, FWC_ABI_VERSION);
	for (size_t i = 0; i < sizeof(nonzero) / sizeof(nonzero[0]); i++) {
		uint32_t v;

		memcpy(&v, (const char *)m + nonzero[i].off, sizeof(v));
		if (!v)
			return bad(c, "meta: %s is 0", nonzero[i].name);
	}
	/* Protocol classes partition the 256 protocol numbers. */
	if (m->n_pc > FWC_PROTO_SIZE)
		return bad(c, "meta: n_pc %u, more than the %u protocols",
			   m->n_pc, FWC_PROTO_SIZE);
	/* Counter ids n_rules + 1 + FWC_RSV_* must fit a u32. */
	if (m->n_rules > UINT32_MAX - 1 - FWC_RSV_COUNT)
		return bad(c, "meta: n_rules %u leaves no reserved counters",
			   m->n_rules);
	if (m->default_act > FWC_ACT_ALLOW)
		return bad(c, "meta: default action %u", m->default_act);
	/* Each rule lists at most FWC_RPC_PER_RULE interfaces. */
	if (m->n_rpc > (uint64_t)m->n_rules * FWC_RPC_PER_RULE)
		return bad(c, "meta: n_rpc %u, more than %u per rule of %u",
			   m->n_rpc, FWC_RPC_PER_RULE, m->n_rules);
	if (!t->v4_root || (m->flags & FWC_META_V6_TRIE && !t->v6_root) ||
	    (m->n_chunks && !t->chunks) || (m->n_v6_ranges && !t->v6_ranges) ||
	    (m->n_v6 && (!t->v6_keys || !t->v6_vals)) || !t->addr ||
	    (!t->pair && (!m->n_groups || m->n_pair)) || !t->pinfo || !t->l4 ||
	    !t->svc || (!t->decision && (!m->n_groups || m->n_dec)) ||
	    !t->rules || !t->rule_meta || (m->n_rpc && !t->rpc_ifaces))
		return bad(c, "a table its count sizes is missing");
	return groups_meta_ok(c);
}

/*
 * Trie entry @e, at @tab[@idx] on @level (1: the root) of @levels: a class,
 * a range leaf (IPv6 only) or a chunk of the pool; no chunk pointer where
 * the address has no byte left. Shared or looping chunks are walked once
 * per level (c->seen; levels 1..15 for IPv6, 16..18 for IPv4).
 */
static bool entry_ok(struct check *c, uint32_t e, int level, int levels,
		     bool v6, const char *tab, size_t idx)
{
	const struct fwc_meta *m = &c->t->meta;
	const char *fam = v6 ? "IPv6" : "IPv4";
	uint32_t bit = 1u << (v6 ? level : level + 15), ch;

	if (!(e & FWC_TRIE_CHUNK)) {
		if (!(e & FWC_TRIE_RANGE)) {
			if (e >= m->n_addr)
				return bad(c,
					   "%s[%zu]: %s trie leaf class %u, "
					   "n_addr %u",
					   tab, idx, fam, e, m->n_addr);
			return true;
		}
		if (!v6)
			return bad(c, "%s[%zu]: a range leaf in the IPv4 trie",
				   tab, idx);
		if ((e & ~FWC_TRIE_RANGE) >= m->n_v6_ranges)
			return bad(c, "%s[%zu]: range leaf %u, n_v6_ranges %u",
				   tab, idx, e & ~FWC_TRIE_RANGE,
				   m->n_v6_ranges);
		return true;
	}
	ch = e & ~FWC_TRIE_CHUNK;
	if (ch >= m->n_chunks)
		return bad(c, "%s[%zu]: %s trie chunk %u, n_chunks %u", tab,
			   idx, fam, ch, m->n_chunks);
	if (level >= levels)
		return bad(c,
			   "%s[%zu]: %s trie chunk %u past the address's "
			   "last byte",
			   tab, idx, fam, ch);
	if (c->seen[ch] & bit)
		return true;
	c->seen[ch] |= bit;
	for (uint32_t i = 0; i < FWC_TRIE_CHUNK_SIZE; i++) {
		size_t at = (size_t)ch * FWC_TRIE_CHUNK_SIZE + i;

		if (!entry_ok(c, c->t->chunks[at], level + 1, levels, v6,
			      "chunks", at))
			return false;
	}
	return true;
}

/* The IPv6 trie's prefix: v6_at whole bytes, as bpf/fwc.bpf.c tests it. */
static bool v6_prefix_ok(struct check *c)
{
	const struct fwc_meta *m = &c->t->meta;

	if (m->v6_at > 14)
		return bad(c, "meta: v6_at %u, at most 14", m->v6_at);
	if (m->v6_outside >= m->n_addr)
		return bad(c, "meta: v6_outside class %u, n_addr %u",
			   m->v6_outside, m->n_addr);
	for (uint32_t k = 0; k < 4; k++) {
		uint32_t bytes = m->v6_at > 4 * k ? m->v6_at - 4 * k : 0;
		uint32_t mask = bytes >= 4 ? UINT32_MAX :
				bytes	   ? ~(UINT32_MAX >> (8 * bytes)) :
					     0;

		if (m->v6_mask[k] != mask || (m->v6_pre[k] & ~mask))
			return bad(c,
				   "meta: v6_pre/v6_mask are not a prefix "
				   "of v6_at %u bytes",
				   m->v6_at);
	}
	return true;
}

static bool tries_ok(struct check *c)
{
	const struct fwc_tables *t = c->t;
	const struct fwc_meta *m = &t->meta;
	bool v6 = m->flags & FWC_META_V6_TRIE;

	for (uint32_t i = 0; i < m->n_v6_ranges; i++)
		if (t->v6_ranges[i].in >= m->n_addr ||
		    t->v6_ranges[i].out >= m->n_addr)
			return bad(c,
				   "v6_range[%u]: classes %u and %u, "
				   "n_addr %u",
				   i, t->v6_ranges[i].in, t->v6_ranges[i].out,
				   m->n_addr);
	if (v6 && !v6_prefix_ok(c))
		return false;
	for (uint32_t i = 0; i < FWC_TRIE_ROOT_SIZE; i++)
		if (!entry_ok(c, t->v4_root[i], 1, 3, false, "v4_root", i))
			return false;
	for (uint32_t i = 0; v6 && i < FWC_TRIE_ROOT_SIZE; i++)
		if (!entry_ok(c, t->v6_root[i], 1, 15 - (int)m->v6_at, true,
			      "v6_root", i))
			return false;
	return true;
}

/* Does LPM key @k hold address @a (the first k->prefixlen bits agree)? */
static bool key_holds(const struct fwc_v6_key *k, const uint8_t *a)
{
	uint32_t full = k->prefixlen / 8, rem = k->prefixlen % 8;

	return !memcmp(k->addr, a, full) &&
	       !(rem && ((k->addr[full] ^ a[full]) & (0xff00u >> rem) & 0xff));
}

/*
 * The IPv6 LPM prefixes: lengths, classes, no address bits past the
 * length, sorted and disjoint (the table classifier's binary search and
 * the kernel's LPM trie must find the same one).
 */
static bool v6_keys_ok(struct check *c)
{
	const struct fwc_tables *t = c->t;
	const struct fwc_meta *m = &t->meta;

	for (uint32_t i = 0; i < m->n_v6; i++) {
		const struct fwc_v6_key *k = &t->v6_keys[i];
		uint32_t len = k->prefixlen;

		if (len > 128)
			return bad(c, "v6_lpm[%u]: prefix length %u", i, len);
		if (t->v6_vals[i] >= m->n_addr)
			return bad(c, "v6_lpm[%u]: class %u, n_addr %u", i,
				   t->v6_vals[i], m->n_addr);
		for (uint32_t b = len; b < 128; b++)
			if (k->addr[b / 8] & (0x80u >> (b % 8)))
				return bad(c,
					   "v6_lpm[%u]: address bits past "
					   "its prefix length %u",
					   i, len);
		if (i && (memcmp(t->v6_keys[i - 1].addr, k->addr, 16) >= 0 ||
			  key_holds(&t->v6_keys[i - 1], k->addr)))
			return bad(c,
				   "v6_lpm[%u]: not after the prefix "
				   "before it, or inside it",
				   i);
	}
	return true;
}

/* The largest l4 class of keys l4[off .. off + mask] (mask <= 0xffff). */
static uint32_t l4_max(const struct fwc_tables *t, uint32_t off, uint32_t mask)
{
	uint32_t max = 0;

	for (uint64_t i = off; i <= (uint64_t)off + mask; i++)
		if (t->l4[i] > max)
			max = t->l4[i];
	return max;
}

/*
 * Protocol class @pc: both keys' segments inside l4, and its service rows
 * svc_base + c1 * n2 + c2, for every c1 and c2 its segments hold, inside
 * the service map (c2 < n2, or it would read another row).
 */
static bool pinfo_ok(struct check *c, uint32_t pc)
{
	const struct fwc_tables *t = c->t;
	const struct fwc_meta *m = &t->meta;
	const struct fwc_proto_info *p = &t->pinfo[pc];
	const uint32_t off[2] = { p->k1_off, p->k2_off };
	const uint32_t mask[2] = { p->k1_mask, p->k2_mask };
	uint32_t max[2];
	uint64_t last;

	for (int k = 0; k < 2; k++) {
		if (mask[k] > 0xffff)
			return bad(c,
				   "pinfo[%u]: k%d_mask 0x%x, wider than "
				   "16 bits",
				   pc, k + 1, mask[k]);
		if ((uint64_t)off[k] + mask[k] >= m->n_l4)
			return bad(c,
				   "pinfo[%u]: k%d keys at l4[%u..%llu], "
				   "n_l4 %u",
				   pc, k + 1, off[k],
				   (unsigned long long)off[k] + mask[k],
				   m->n_l4);
		max[k] = l4_max(t, off[k], mask[k]);
	}
	if (!p->n2)
		return bad(c, "pinfo[%u]: n2 is 0", pc);
	if (max[1] >= p->n2)
		return bad(c, "pinfo[%u]: c2 class %u in l4, n2 %u", pc, max[1],
			   p->n2);
	last = (uint64_t)p->svc_base + (uint64_t)max[0] * p->n2 + max[1];
	if (last >= m->n_svc_map)
		return bad(c,
			   "pinfo[%u]: svc_base %u + c1 %u * n2 %u + c2 %u "
			   "is past n_svc_map %u",
			   pc, p->svc_base, max[0], p->n2, max[1],
			   m->n_svc_map);
	return true;
}

static bool classes_ok(struct check *c)
{
	const struct fwc_tables *t = c->t;
	const struct fwc_meta *m = &t->meta;
	/*
	 * The single layout's pairs; the grouped one's are groups_ok()'s.
	 * Decisions are rule ids in both (the grouped rows of long lists).
	 */
	uint64_t n_pair = m->n_groups ? 0 : (uint64_t)m->n_src * m->n_dst;
	uint64_t n_dec = m->n_groups ? m->n_dec :
				       (uint64_t)m->n_rows * m->n_svc;

	for (uint32_t i = 0; i < m->n_addr; i++)
		if (t->addr[i].src >= m->n_src || t->addr[i].dst >= m->n_dst)
			return bad(c,
				   "addr_class[%u]: src %u, dst %u; n_src "
				   "%u, n_dst %u",
				   i, t->addr[i].src, t->addr[i].dst, m->n_src,
				   m->n_dst);
	for (uint64_t i = 0; i < n_pair; i++)
		if (t->pair[i] >= m->n_rows)
			return bad(c, "pair[%llu]: row %u, n_rows %u",
				   (unsigned long long)i, t->pair[i],
				   m->n_rows);
	for (uint32_t i = 0; i < FWC_PROTO_SIZE; i++)
		if (t->proto[i] >= m->n_pc)
			return bad(c, "proto[%u]: class %u, n_pc %u", i,
				   t->proto[i], m->n_pc);
	for (uint32_t i = 0; i < m->n_l4; i++)
		if (t->l4[i] > 0xffff)
			return bad(c, "l4[%u]: class %u, past 16 bits", i,
				   t->l4[i]);
	for (uint32_t i = 0; i < m->n_pc; i++)
		if (!pinfo_ok(c, i))
			return false;
	for (uint32_t i = 0; i < m->n_svc_map; i++)
		if (t->svc[i] >= m->n_svc)
			return bad(c, "svc[%u]: service class %u, n_svc %u", i,
				   t->svc[i], m->n_svc);
	for (uint64_t i = 0; i < n_dec; i++)
		if (t->decision[i] > m->n_rules)
			return bad(c, "decision[%llu]: rule %u, n_rules %u",
				   (unsigned long long)i, t->decision[i],
				   m->n_rules);
	return true;
}

/*
 * The gmap entries of global classes gmap[@off .. @off + @n - 1] (the
 * source or destination side): in each group k < n_groups, a class of
 * the group's (@src: n_src, else n_dst); nothing past the groups.
 */
static bool gmap_ok(struct check *c, bool src, uint32_t off, uint32_t n)
{
	const struct fwc_tables *t = c->t;
	const struct fwc_meta *m = &t->meta;
	const char *what = src ? "src" : "dst";

	for (uint64_t i = off; i < (uint64_t)off + n; i++) {
		const struct fwc_gclass *e = &t->gmap[i];

		/* n_groups <= FWC_GROUPS_MAX (groups_meta_ok). */
		if (e->mask >> m->n_groups)
			return bad(c, "gmap[%llu]: mask 0x%x, past %u groups",
				   (unsigned long long)i, e->mask, m->n_groups);
		for (uint32_t k = 0; k < FWC_GROUPS_MAX; k++) {
			uint32_t lim;

			if (k >= m->n_groups) {
				if (e->cls[k])
					return bad(c,
						   "gmap[%llu]: class %u in "
						   "group %u, past %u groups",
						   (unsigned long long)i,
						   e->cls[k], k, m->n_groups);
				continue;
			}
			lim = src ? t->groups[k].n_src : t->groups[k].n_dst;
			if (e->cls[k] >= lim)
				return bad(c,
					   "gmap[%llu]: group %u %s class %u, "
					   "its n_%s %u",
					   (unsigned long long)i, k, what,
					   e->cls[k], what, lim);
		}
	}
	return true;
}

/*
 * The candidate rules' boxes, and where each list ends: c->list_end[i] is
 * the first entry from glist[i] on with rule 0, or n_glist (one pass from
 * the end, so that each list is checked in constant time).
 */
static bool glist_ok(struct check *c)
{
	const struct fwc_tables *t = c->t;
	const struct fwc_meta *m = &t->meta;
	uint32_t end = m->n_glist;

	c->list_end = xcalloc(m->n_glist, sizeof(*c->list_end));
	for (uint32_t i = m->n_glist; i-- > 0;) {
		const struct fwc_gentry *e = &t->glist[i];

		/* A long list's decision row: in every group's rows. */
		if (e->rule == FWC_GENTRY_ROW) {
			uint32_t row = (uint32_t)e->k1_hi << 16 | e->k1_lo;

			if (row >= m->n_rows)
				return bad(c,
					   "glist[%u]: decision row %u, "
					   "n_rows %u",
					   i, row, m->n_rows);
			c->list_end[i] = end;
			continue;
		}
		if (e->rule > m->n_rules)
			return bad(c, "glist[%u]: rule %u, n_rules %u", i,
				   e->rule, m->n_rules);
		if (e->rule && (e->proto_lo > e->proto_hi ||
				e->k1_lo > e->k1_hi || e->k2_lo > e->k2_hi))
			return bad(c,
				   "glist[%u]: rule %u, an empty box: proto "
				   "%u-%u, k1 %u-%u, k2 %u-%u",
				   i, e->rule, e->proto_lo, e->proto_hi,
				   e->k1_lo, e->k1_hi, e->k2_lo, e->k2_hi);
		if (!e->rule)
			end = i;
		c->list_end[i] = end;
	}
	return true;
}

/*
 * The list at glist[@at], for @what: the readers walk it to its rule 0 or
 * FWC_LIST_MAX entries, whichever comes first, and every entry they read
 * must be inside glist (past it, the XDP program drops the packet and the
 * table classifier stops: they would disagree).
 */
static bool list_ok(struct check *c, const char *what, uint64_t i, uint32_t at)
{
	const struct fwc_meta *m = &c->t->meta;
	uint64_t last;

	if (at >= m->n_glist)
		return bad(c, "%s[%llu]: list at glist[%u], n_glist %u", what,
			   (unsigned long long)i, at, m->n_glist);
	last = (uint64_t)at + FWC_LIST_MAX - 1;
	if (c->list_end[at] < last)
		last = c->list_end[at];
	if (last >= m->n_glist)
		return bad(c,
			   "%s[%llu]: list at glist[%u] runs past n_glist %u "
			   "without its rule 0",
			   what, (unsigned long long)i, at, m->n_glist);
	return true;
}

/* A group's pairs at pair[pair_off ..]: inside pair. */
static bool pairs_in(struct check *c, uint32_t k, uint64_t *end)
{
	const struct fwc_meta *m = &c->t->meta;
	const struct fwc_group *g = &c->t->groups[k];

	*end = g->pair_off + (uint64_t)g->n_src * g->n_dst;
	if (*end > m->n_pair)
		return bad(c, "group %u: pair[%u..%llu], n_pair %u", k,
			   g->pair_off, (unsigned long long)*end - 1,
			   m->n_pair);
	return true;
}

/* A LISTS group: a list for each of its pairs. */
static bool lists_ok(struct check *c, uint32_t k)
{
	const struct fwc_tables *t = c->t;
	uint64_t end;

	if (!pairs_in(c, k, &end))
		return false;
	for (uint64_t i = t->groups[k].pair_off; i < end; i++)
		if (!list_ok(c, "pair", i, t->pair[i]))
			return false;
	return true;
}

/*
 * A SPARSE group: a power-of-two run of slots inside the table, each
 * empty (all zero) or a pair of its classes with a list.
 */
static bool sparse_ok(struct check *c, uint32_t k)
{
	const struct fwc_tables *t = c->t;
	const struct fwc_meta *m = &t->meta;
	const struct fwc_group *g = &t->groups[k];
	uint64_t size = (uint64_t)g->mask + 1, end = g->pair_off + size;

	if (size & g->mask)
		return bad(c, "group %u: mask 0x%x, not a power of two less 1",
			   k, g->mask);
	if (end > m->n_slots)
		return bad(c, "group %u: slots[%u..%llu], n_slots %u", k,
			   g->pair_off, (unsigned long long)end - 1,
			   m->n_slots);
	for (uint64_t i = g->pair_off; i < end; i++) {
		const struct fwc_slot *sl = &t->slots[i];

		if (!sl->src) {
			if (sl->dst || sl->list)
				return bad(c,
					   "slots[%llu]: empty, with dst %u, "
					   "list %u",
					   (unsigned long long)i, sl->dst,
					   sl->list);
			continue;
		}
		if (sl->src - 1 >= g->n_src || !sl->dst ||
		    sl->dst - 1 >= g->n_dst)
			return bad(c,
				   "slots[%llu]: group %u classes src %u, dst "
				   "%u (+1), its n_src %u, n_dst %u",
				   (unsigned long long)i, k, sl->src, sl->dst,
				   g->n_src, g->n_dst);
		if (!list_ok(c, "slots", i, sl->list))
			return false;
	}
	return true;
}

static const char *const kind_name[] = {
	[FWC_GROUP_LISTS] = "LISTS",
	[FWC_GROUP_SPARSE] = "SPARSE",
};

/*
 * ABI 7's grouped layout (include/fwc_abi.h, "Groups"): each group's
 * class maps, pairs or slots, decision rows and lists inside the tables
 * they share, every index read from them inside the group's own classes
 * and rows, and the groups in the order of their lowest rule, which the
 * readers' early exit relies on. Each table is walked once per group
 * using it, and each list in constant time (glist_ok).
 */
static bool groups_ok(struct check *c)
{
	const struct fwc_tables *t = c->t;
	const struct fwc_meta *m = &t->meta;

	if (!m->n_groups)
		return true;
	if (!glist_ok(c))
		return false;
	/* The XDP program takes a list at 0 for empty, unread. */
	if (!m->n_glist || t->glist[0].rule)
		return bad(c, "glist[0]: %s, not the empty list",
			   m->n_glist ? "a rule" : "none");
	for (uint32_t k = 0; k < m->n_groups; k++) {
		const struct fwc_group *g = &t->groups[k];
		bool ok;

		/* Kind 0 was ROWS: the readers now take it for LISTS. */
		if (g->kind != FWC_GROUP_LISTS && g->kind != FWC_GROUP_SPARSE)
			return bad(c, "group %u: kind %u", k, g->kind);
		if (!g->min_rule || g->min_rule > m->n_rules)
			return bad(c, "group %u: min_rule %u, n_rules %u", k,
				   g->min_rule, m->n_rules);
		if (k && g->min_rule < g[-1].min_rule)
			return bad(c,
				   "group %u: min_rule %u, below group %u's "
				   "%u",
				   k, g->min_rule, k - 1, g[-1].min_rule);
		if (!g->n_src || !g->n_dst)
			return bad(c, "group %u: n_src %u, n_dst %u", k,
				   g->n_src, g->n_dst);
		/*
		 * A LISTS or SPARSE group reads the rows of its long lists:
		 * all of them, of the table's service classes.
		 */
		if ((g->n_svc != m->n_svc || g->n_rows != m->n_rows ||
		     g->dec_off || (uint64_t)g->n_rows * g->n_svc > m->n_dec))
			return bad(c,
				   "group %u: a %s group with n_svc %u, "
				   "n_rows %u, dec_off %u (the table's %u "
				   "services, %u rows, n_dec %u)",
				   k, kind_name[g->kind], g->n_svc, g->n_rows,
				   g->dec_off, m->n_svc, m->n_rows, m->n_dec);
		if (g->kind == FWC_GROUP_LISTS && g->mask)
			return bad(c, "group %u: a LISTS group with mask 0x%x",
				   k, g->mask);
		ok = g->kind == FWC_GROUP_LISTS ? lists_ok(c, k) :
						  sparse_ok(c, k);
		if (!ok)
			return false;
	}
	return gmap_ok(c, true, 0, m->n_src) &&
	       gmap_ok(c, false, m->n_src, m->n_dst);
}

static bool rules_ok(struct check *c)
{
	const struct fwc_tables *t = c->t;
	const struct fwc_meta *m = &t->meta;

	if (t->rules[0].action != m->default_act)
		return bad(c, "rule 0: action %u, the default is %u",
			   t->rules[0].action, m->default_act);
	for (uint32_t i = 0; i <= m->n_rules; i++) {
		if (t->rules[i].action > FWC_ACT_ALLOW)
			return bad(c, "rule %u: action %u", i,
				   t->rules[i].action);
		if (t->rule_meta[i].id != i)
			return bad(c, "rule %u: id %u", i, t->rule_meta[i].id);
		if (!t->rule_meta[i].text)
			return bad(c, "rule %u: no text", i);
		/* fwc stats --json and the metrics write them as they are. */
		if (!fwc_utf8_valid(t->rule_meta[i].text) ||
		    (t->rule_meta[i].label &&
		     !fwc_utf8_valid(t->rule_meta[i].label)))
			return bad(c, "rule %u: text or label not UTF-8", i);
	}
	if (!t->source)
		return bad(c, "no policy name");
	return true;
}

#define RULE_FLAGS (FWC_RULE_LOG | FWC_RULE_RPC)
#define RPC_FLAGS (FWC_RPC_ANY | FWC_RPC_ANY_VERSION)

/*
 * The rpc rules (docs/rpc-pinholes.md): for a rule with FWC_RULE_RPC the
 * datapath reads rpc_ifaces[rpc_first + j], j < rpc_n <= FWC_RPC_PER_RULE,
 * so that run must lie inside n_rpc; and the runs follow one another in
 * rule order, as the compiler writes them, so that no entry is shared by
 * two rules or owned by none. Only an allow rule opens pinholes.
 */
static bool rpc_rules_ok(struct check *c)
{
	const struct fwc_tables *t = c->t;
	const struct fwc_meta *m = &t->meta;
	uint64_t next = 0;

	if (!(m->flags & FWC_META_RPC) != !m->n_rpc)
		return bad(c, "meta: n_rpc %u %s FWC_META_RPC", m->n_rpc,
			   m->n_rpc ? "without" : "with");
	for (uint32_t i = 0; i <= m->n_rules; i++) {
		const struct fwc_rule_info *ri = &t->rules[i];

		if (ri->flags & ~RULE_FLAGS)
			return bad(c, "rule %u: unknown flags 0x%x", i,
				   ri->flags & ~RULE_FLAGS);
		if (!(ri->flags & FWC_RULE_RPC)) {
			if (ri->rpc_first || ri->rpc_n)
				return bad(c,
					   "rule %u: rpc_first %u, rpc_n %u "
					   "without FWC_RULE_RPC",
					   i, ri->rpc_first, ri->rpc_n);
			continue;
		}
		if (!i || ri->action != FWC_ACT_ALLOW)
			return bad(c,
				   "rule %u: an rpc rule that is not an "
				   "allow rule of the policy",
				   i);
		if (!ri->rpc_n || ri->rpc_n > FWC_RPC_PER_RULE)
			return bad(c, "rule %u: rpc_n %u, expected 1-%u", i,
				   ri->rpc_n, FWC_RPC_PER_RULE);
		if ((uint64_t)ri->rpc_first + ri->rpc_n > m->n_rpc)
			return bad(c, "rule %u: rpc_ifaces[%u..%llu], n_rpc %u",
				   i, ri->rpc_first,
				   (unsigned long long)ri->rpc_first +
					   ri->rpc_n - 1,
				   m->n_rpc);
		if (ri->rpc_first != next)
			return bad(c,
				   "rule %u: rpc_first %u, the rules before "
				   "it end at %llu",
				   i, ri->rpc_first, (unsigned long long)next);
		next += ri->rpc_n;
	}
	if (next != m->n_rpc)
		return bad(c, "rpc_ifaces: %u entries, the rules own %llu",
			   m->n_rpc, (unsigned long long)next);
	return true;
}

/* Each interface: known flags, one form (any, any version, a major). */
static bool rpc_ifaces_ok(struct check *c)
{
	const struct fwc_tables *t = c->t;
	static const uint8_t zero[16];

	for (uint32_t i = 0; i < t->meta.n_rpc; i++) {
		const struct fwc_rpc_iface *e = &t->rpc_ifaces[i];

		if (e->flags & ~RPC_FLAGS)
			return bad(c, "rpc_ifaces[%u]: unknown flags 0x%x", i,
				   e->flags & ~RPC_FLAGS);
		if ((e->flags & FWC_RPC_ANY) &&
		    (e->flags != FWC_RPC_ANY || e->major ||
		     memcmp(e->uuid, zero, sizeof(zero))))
			return bad(c,
				   "rpc_ifaces[%u]: FWC_RPC_ANY with a UUID, "
				   "a version or another flag",
				   i);
		if ((e->flags & FWC_RPC_ANY_VERSION) && e->major)
			return bad(c,
				   "rpc_ifaces[%u]: FWC_RPC_ANY_VERSION with "
				   "major %u",
				   i, e->major);
		if (!e->port_lo || e->port_lo > e->port_hi)
			return bad(c, "rpc_ifaces[%u]: ports %u-%u", i,
				   e->port_lo, e->port_hi);
	}
	return true;
}

int fwc_tables_validate(const struct fwc_tables *t, char *why, size_t len)
{
	struct check c = { .t = t, .why = why, .len = len };
	bool ok;

	if (len)
		why[0] = '\0';
	if (!meta_ok(&c))
		return -EINVAL;
	c.seen = xcalloc(t->meta.n_chunks, sizeof(*c.seen));
	ok = tries_ok(&c) && v6_keys_ok(&c) && classes_ok(&c) &&
	     groups_ok(&c) && rules_ok(&c) && rpc_rules_ok(&c) &&
	     rpc_ifaces_ok(&c);
	free(c.seen);
	free(c.list_end);
	return ok ? 0 : -EINVAL;
}
