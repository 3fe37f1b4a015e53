// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Are the tables consistent? Every count, offset and index that the
 * classifiers (compiler/classify.c, bpf/fwc.bpf.c) and the loader follow
 * must stay inside the array its count sizes, so that a table read from a
 * file cannot send a reader out of bounds. The artifact reader runs this
 * on what it read, before anything uses it; the compiler's tables pass by
 * construction. Sums and products are taken in 64 bits: every operand is
 * a u32, and no product here has more than 48 bits.
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
	uint32_t *seen; /* per chunk: the trie levels walked from it */
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
	    (m->n_v6 && (!t->v6_keys || !t->v6_vals)) || !t->addr || !t->pair ||
	    !t->pinfo || !t->l4 || !t->svc || !t->decision || !t->rules ||
	    !t->rule_meta || (m->n_rpc && !t->rpc_ifaces))
		return bad(c, "a table its count sizes is missing");
	return true;
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
	uint64_t n_pair = (uint64_t)m->n_src * m->n_dst;
	uint64_t n_dec = (uint64_t)m->n_rows * m->n_svc;

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
	ok = tries_ok(&c) && v6_keys_ok(&c) && classes_ok(&c) && rules_ok(&c) &&
	     rpc_rules_ok(&c) && rpc_ifaces_ok(&c);
	free(c.seen);
	return ok ? 0 : -EINVAL;
}
