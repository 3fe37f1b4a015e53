/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * fwc XDP datapath: parse the frame, classify it with the compiled tables
 * (the fixed sequence of array reads in include/fwc_abi.h), count it against
 * the deciding rule and pass or drop it. Any failed lookup fails closed: the
 * packet is dropped and counted as malformed.
 *
 * With state on (the default) a packet first meets connection tracking
 * (bpf/ct.h): one of a tracked flow, or an ICMP error quoting one, passes
 * without classification; an allowed one may open a flow.
 *
 * Every table is sized by the loader before load (kernel/maps.c); their
 * max_entries of 1 in bpf/maps.h are placeholders.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "fwc_abi.h"
#include "maps.h"
#include "parse.h"
#include "ct.h"
#include "log.h"
#include "rpc.h"

/* The maps: bpf/maps.h, from the list in include/fwc_maps.h. */

/* Read a __u32 array element; -1 when @key is out of range. */
static __always_inline int fwc_get(void *map, __u32 key, __u32 *val)
{
	__u32 *v = bpf_map_lookup_elem(map, &key);

	if (!v)
		return -1;
	*val = *v;
	return 0;
}

/* DIR-16-8-8: the root by the top 16 bits, then up to two 8-bit chunks. */
static __always_inline int fwc_addr_v4(const struct fwc_meta *m, const __u8 *a,
				       __u32 *cls)
{
	__u32 addr = ((__u32)a[0] << 24) | ((__u32)a[1] << 16) |
		     ((__u32)a[2] << 8) | a[3];
	__u32 v, c;

	if (fwc_get(&v4_root, addr >> 16, &v))
		return -1;
	if (v & FWC_TRIE_CHUNK) {
		c = v & ~FWC_TRIE_CHUNK;
		if (c >= m->n_chunks ||
		    fwc_get(&chunks,
			    c * FWC_TRIE_CHUNK_SIZE + ((addr >> 8) & 0xff), &v))
			return -1;
	}
	if (v & FWC_TRIE_CHUNK) {
		c = v & ~FWC_TRIE_CHUNK;
		if (c >= m->n_chunks ||
		    fwc_get(&chunks, c * FWC_TRIE_CHUNK_SIZE + (addr & 0xff),
			    &v))
			return -1;
	}
	/* A chunk pointer after the last 8 bits is a broken table. */
	if (v & FWC_TRIE_CHUNK)
		return -1;
	*cls = v;
	return 0;
}

/* Byte @i (0..15) of the address held as big-endian halves @hi and @lo. */
static __always_inline __u32 fwc_byte(__u64 hi, __u64 lo, __u32 i)
{
	return ((i < 8 ? hi : lo) >> ((15 - i) * 8 & 63)) & 0xff;
}

/* Is the address (big-endian halves @hi, @lo) within @r's lo..hi? */
static __always_inline int fwc_in_range(__u64 hi, __u64 lo,
					const struct fwc_v6_range *r)
{
	__u64 lh = (__u64)r->lo[0] << 32 | r->lo[1];
	__u64 ll = (__u64)r->lo[2] << 32 | r->lo[3];
	__u64 hh = (__u64)r->hi[0] << 32 | r->hi[1];
	__u64 hl = (__u64)r->hi[2] << 32 | r->hi[3];

	return (hi > lh || (hi == lh && lo >= ll)) &&
	       (hi < hh || (hi == hh && lo <= hl));
}

/*
 * IPv6: outside the policy's common prefix (meta.v6_pre) one class; else
 * the trie of v6_root and 8-bit chunks from byte meta.v6_at, one read per
 * byte until a leaf or a range leaf (one read, a compare), when the
 * compiler chose it; else disjoint prefixes in an LPM trie, where a miss
 * is addr class 0. The address is read as
 * four aligned words (the header sits on the stack) into two registers.
 */
static __always_inline int fwc_addr_v6(const struct fwc_meta *m, const __u8 *a,
				       __u32 *cls)
{
	struct fwc_v6_key key = { .prefixlen = 128 };
	const __u32 *w = (const __u32 *)a;
	__u32 w0, w1, w2, w3, v, c, at, i, *p;
	struct fwc_v6_range *r;
	__u64 hi, lo;

	if (m->flags & FWC_META_V6_TRIE) {
		w0 = bpf_ntohl(w[0]);
		w1 = bpf_ntohl(w[1]);
		w2 = bpf_ntohl(w[2]);
		w3 = bpf_ntohl(w[3]);
		if (((w0 ^ m->v6_pre[0]) & m->v6_mask[0]) |
		    ((w1 ^ m->v6_pre[1]) & m->v6_mask[1]) |
		    ((w2 ^ m->v6_pre[2]) & m->v6_mask[2]) |
		    ((w3 ^ m->v6_pre[3]) & m->v6_mask[3])) {
			*cls = m->v6_outside;
			return 0;
		}
		hi = (__u64)w0 << 32 | w1;
		lo = (__u64)w2 << 32 | w3;
		at = m->v6_at;
		if (at > 14 || fwc_get(&v6_root,
				       fwc_byte(hi, lo, at) << 8 |
					       fwc_byte(hi, lo, at + 1),
				       &v))
			return -1;
		for (i = at + 2; i < 16 && (v & FWC_TRIE_CHUNK); i++) {
			c = v & ~FWC_TRIE_CHUNK;
			if (c >= m->n_chunks ||
			    fwc_get(&chunks,
				    c * FWC_TRIE_CHUNK_SIZE +
					    fwc_byte(hi, lo, i),
				    &v))
				return -1;
		}
		if (v & FWC_TRIE_CHUNK)
			return -1;
		if (v & FWC_TRIE_RANGE) {
			c = v & ~FWC_TRIE_RANGE;
			r = bpf_map_lookup_elem(&v6_range, &c);
			if (!r)
				return -1;
			v = fwc_in_range(hi, lo, r) ? r->in : r->out;
		}
		*cls = v;
		return 0;
	}
	__builtin_memcpy(key.addr, a, sizeof(key.addr));
	p = bpf_map_lookup_elem(&v6_lpm, &key);
	*cls = p ? *p : 0;
	return 0;
}

/* Source and destination classes of the packet's addresses. */
static __always_inline int fwc_addrs(const struct fwc_meta *m,
				     const struct fwc_hdr *h, __u32 *src,
				     __u32 *dst)
{
	struct fwc_addr_class *ac;
	__u32 sa, da;

	if (h->family == 4) {
		if (fwc_addr_v4(m, h->src, &sa) || fwc_addr_v4(m, h->dst, &da))
			return -1;
	} else {
		if (fwc_addr_v6(m, h->src, &sa) || fwc_addr_v6(m, h->dst, &da))
			return -1;
	}
	ac = bpf_map_lookup_elem(&addr_class, &sa);
	if (!ac)
		return -1;
	*src = ac->src;
	ac = bpf_map_lookup_elem(&addr_class, &da);
	if (!ac)
		return -1;
	*dst = ac->dst;
	return 0;
}

/* Service class from protocol and the two l4 keys. */
static __always_inline int fwc_service(const struct fwc_hdr *h, __u32 *sc)
{
	struct fwc_proto_info *pi;
	__u32 pc, c1, c2;

	if (fwc_get(&proto, h->proto, &pc))
		return -1;
	pi = bpf_map_lookup_elem(&pinfo, &pc);
	if (!pi)
		return -1;
	if (fwc_get(&l4, pi->k1_off + (h->k1 & pi->k1_mask), &c1) ||
	    fwc_get(&l4, pi->k2_off + (h->k2 & pi->k2_mask), &c2))
		return -1;
	return fwc_get(&svc, pi->svc_base + c1 * pi->n2 + c2, sc);
}

/* No rule matched yet (fwc_groups_classify). */
#define FWC_NO_RULE 0xffffffffu

/*
 * Element @i of @map, keyed through @key: the group walk below keeps
 * its key in its scratch (struct fwc_gwalk), not in its frame.
 */
static __always_inline void *fwc_elem(void *map, __u32 *key, __u32 i)
{
	*key = i;
	return bpf_map_lookup_elem(map, key);
}

/*
 * The first rule of the list at @at whose box holds the packet's keys
 * (@w); 0: none, -1: a broken table.
 */
static __always_inline int fwc_list_match(const struct fwc_group *g,
					  struct fwc_gwalk *w, __u32 at)
{
	struct fwc_gentry *e;
	__u32 i, *d;

	for (i = 0; i < FWC_LIST_MAX; i++) {
		e = fwc_elem(&glist, &w->key, at + i);
		if (!e)
			return -1;
		if (!e->rule)
			return 0;
		if (e->rule == FWC_GENTRY_ROW) {
			/* A long list: its decision row. */
			at = (__u32)e->k1_hi << 16 | e->k1_lo;
			if (at >= g->n_rows || w->sc >= g->n_svc)
				return -1;
			d = fwc_elem(&decision, &w->key,
				     g->dec_off + at * g->n_svc + w->sc);
			return d ? (int)*d : -1;
		}
		/* A list is in rule order: none later can win. */
		if (e->rule > w->best)
			return 0;
		if (w->proto >= e->proto_lo && w->proto <= e->proto_hi &&
		    w->k1 >= e->k1_lo && w->k1 <= e->k1_hi &&
		    w->k2 >= e->k2_lo && w->k2 <= e->k2_hi)
			return e->rule;
	}
	return 0;
}

/*
 * The glist offset of the candidate list of (gs, gd) in a sparse group:
 * 0 (the empty list) for no such pair, -1 for a slot past the table
 * (broken: fail closed).
 */
static __always_inline __s64 fwc_slot_list(const struct fwc_group *g, __u32 gs,
					   __u32 gd, __u32 *key)
{
	__u32 hash = fwc_slot_hash(gs, gd, g->seed), i;
	struct fwc_slot *sl;

	for (i = 0; i < FWC_PROBE_MAX; i++) {
		sl = fwc_elem(&slots, key,
			      g->pair_off + ((hash + i) & g->mask));
		if (!sl)
			return -1;
		if (!sl->src)
			return 0;
		if (sl->src == gs + 1 && sl->dst == gd + 1)
			return sl->list;
	}
	return 0;
}

/* The glist offset of group @g's candidate list at its classes (gs, gd). */
static __always_inline __s64 fwc_group_list(const struct fwc_group *g, __u32 gs,
					    __u32 gd, __u32 *key)
{
	__u32 *v;

	/* Out-of-range classes would index another row: fail closed. */
	if (gs >= g->n_src || gd >= g->n_dst)
		return -1;
	if (g->kind == FWC_GROUP_SPARSE)
		return fwc_slot_list(g, gs, gd, key);
	if (g->kind != FWC_GROUP_LISTS)
		return -1; /* fwc_tables_validate refuses it: fail closed */
	v = fwc_elem(&pair, key, g->pair_off + gs * g->n_dst + gd);
	return v ? *v : -1;
}

/*
 * The grouped layout (include/fwc_abi.h, "Groups"): the lowest rule id
 * any group matches (0: none), or -1 for a broken table. The whole walk
 * is inline: a BPF-to-BPF call costs about what a group's lookups cost
 * (docs/benchmarks.md), so a packet pays one call at most, through the
 * global fwc_groups_classify below, which the verifier walks once for
 * every caller of fwc_classify; the stateless path, one caller with
 * stack to spare, has the walk inline and pays none.
 */
static __always_inline int fwc_groups_walk(const struct fwc_meta *m,
					   const struct fwc_hdr *h, __u32 src,
					   __u32 dst, __u32 sc)
{
	struct fwc_gclass *e;
	struct fwc_gwalk *w;
	struct fwc_group *g;
	__u32 zero = 0;
	/* 64 bits: a 32-bit spill of it would lose the loop's bound. */
	__u64 k;
	__s64 at;
	int id;

	w = bpf_map_lookup_elem(&group_scratch, &zero);
	if (!w || !m || !h)
		return -1;
	/* The classes' gmap entries, copied: one lookup each a packet. */
	e = fwc_elem(&gmap, &w->key, src);
	if (!e)
		return -1;
	w->cs = *e;
	e = fwc_elem(&gmap, &w->key, m->n_src + dst);
	if (!e)
		return -1;
	w->cd = *e;
	w->proto = h->proto;
	w->k1 = h->k1;
	w->k2 = h->k2;
	w->sc = sc;
	w->best = FWC_NO_RULE;
	/* Only the groups both classes are in can match. */
	w->mask = w->cs.mask & w->cd.mask;
	for (k = 0; k < FWC_GROUPS_MAX; k++) {
		/*
		 * Kept from hoisting pointers into the scratch out of the
		 * loop: spilled, they took 16 bytes of the frames' 512.
		 */
		asm volatile("" : "+r"(w));
		if (!(w->mask >> k))
			break;
		if (!(w->mask >> k & 1))
			continue;
		g = fwc_elem(&groups, &w->key, k);
		if (!g)
			return -1;
		/* Groups by their lowest rule: none later can win. */
		if (w->best < g->min_rule)
			break;
		at = fwc_group_list(g, w->cs.cls[k], w->cd.cls[k], &w->key);
		if (at < 0)
			return -1;
		/* glist[0] is the empty list (fwc_tables_validate). */
		if (!at)
			continue;
		id = fwc_list_match(g, w, at);
		if (id < 0)
			return -1;
		if (id && (__u32)id < w->best)
			w->best = id;
	}
	return w->best == FWC_NO_RULE ? 0 : (int)w->best;
}

/* The walk for fwc_stateful's and fwc_admitting_rule's classify. */
__noinline int fwc_groups_classify(const struct fwc_meta *m,
				   const struct fwc_hdr *h, __u32 src,
				   __u32 dst, __u32 sc)
{
	return fwc_groups_walk(m, h, src, dst, sc);
}

/*
 * The deciding rule id, or -1 when the tables cannot answer; a grouped
 * walk inline when @walk_inline (a constant), else in its own frame.
 */
static __always_inline int fwc_classify_in(const struct fwc_meta *m,
					   const struct fwc_hdr *h, __u32 *rule,
					   int walk_inline)
{
	__u32 src, dst, row, sc;
	int id;

	if (fwc_addrs(m, h, &src, &dst))
		return -1;
	/* Out-of-range classes would index another row: fail closed. */
	if (src >= m->n_src || dst >= m->n_dst)
		return -1;
	if (fwc_service(h, &sc) || sc >= m->n_svc)
		return -1;
	if (m->n_groups) {
		id = walk_inline ? fwc_groups_walk(m, h, src, dst, sc) :
				   fwc_groups_classify(m, h, src, dst, sc);
		if (id < 0)
			return -1;
		*rule = id;
		return 0;
	}
	if (fwc_get(&pair, src * m->n_dst + dst, &row))
		return -1;
	return fwc_get(&decision, row * m->n_svc + sc, rule);
}

static __always_inline int fwc_classify(const struct fwc_meta *m,
					const struct fwc_hdr *h, __u32 *rule)
{
	return fwc_classify_in(m, h, rule, 0);
}

static __always_inline int fwc_count(__u32 id, __u64 bytes)
{
	struct fwc_counter *c = bpf_map_lookup_elem(&counters, &id);

	if (!c)
		return -1;
	/* Per-CPU values: no other writer, no atomics needed. */
	c->packets++;
	c->bytes += bytes;
	return 0;
}

static __always_inline int fwc_reserved(const struct fwc_meta *m, __u32 rsv,
					__u64 bytes, int verdict)
{
	fwc_count(m->n_rules + 1 + rsv, bytes);
	return verdict;
}

/*
 * Count rule @id and apply its action; a broken table fails closed. In
 * audit mode a drop is FWC_WOULD_DROP, which passes (bpf/log.h); the log
 * takes its events here.
 */
static __always_inline int fwc_rule_verdict(struct xdp_md *ctx,
					    const struct fwc_meta *m,
					    const struct fwc_hdr *h, __u32 id,
					    __u64 bytes)
{
	struct fwc_rule_info *ri = bpf_map_lookup_elem(&rules, &id);
	int verdict, rsv;

	if (!ri || id > m->n_rules || fwc_count(id, bytes))
		return fwc_reserved(m, FWC_RSV_MALFORMED, bytes, XDP_DROP);
	verdict = fwc_audit_verdict(m, ri);
	if (verdict == FWC_WOULD_DROP)
		fwc_count(m->n_rules + 1 + FWC_RSV_WOULD_DROP, bytes);
	rsv = fwc_log(ctx, m, h, ri, id, verdict, bytes);
	if (rsv >= 0)
		fwc_count(m->n_rules + 1 + rsv, bytes);
	return verdict;
}

/* Does rule @id allow? (A missing rule: fwc_rule_verdict fails closed.) */
static __always_inline int fwc_rule_allows(__u32 id)
{
	struct fwc_rule_info *ri = bpf_map_lookup_elem(&rules, &id);

	return ri && ri->action == FWC_ACT_ALLOW;
}

/*
 * Global, so that the verifier checks the tables' walk once more, not
 * once per way into it: a flushed flow's opening packet meets the rules.
 */
__noinline int fwc_admitting_rule(const struct fwc_meta *m,
				  const struct fwc_hdr *h)
{
	__u32 id;

	if (!m || !h || fwc_classify(m, h, &id) || id > m->n_rules ||
	    !fwc_rule_allows(id))
		return -1;
	return id;
}

/*
 * Connection tracking first: a packet of a live flow, or an ICMP error
 * quoting one, passes counted against the flow's rule. Anything else goes
 * through the rules, and an allowed packet may open a flow. A first
 * fragment that passes leaves its verdict for the rest of its datagram.
 */
__noinline int fwc_stateful(struct xdp_md *ctx, const struct fwc_meta *m,
			    const struct fwc_hdr *h, __u64 bytes)
{
	/*
	 * A global function: the verifier checks it once, for any header,
	 * instead of once per way through the parser (343k instructions
	 * verified -> 97k; a load takes 0.08 s instead of 0.22 s). The call
	 * costs no measurable time. Its pointers may be NULL, as far as the
	 * verifier knows.
	 */
	if (!m || !h)
		return XDP_DROP;
	struct fwc_flow f;
	int classified = 0;
	struct fwc_ct_val *v;
	int ret = 0, verdict;
	__u32 id = 0;
	__u64 now = 0;

	/*
	 * A bare SYN opens a connection; no live flow needs one to pass
	 * (a retransmitted opening SYN is still allowed by the rule that
	 * opened the flow). So the rules judge it first, and a denied one is dropped without a flow
	 * lookup: a SYN flood at closed ports costs what it costs stateless
	 * (with rpc rules, one array read more, below). An allowed one goes
	 * on, to refresh its flow or open it.
	 */
	if (h->proto == IPPROTO_TCP &&
	    (h->tcp_flags & (FWC_TCP_SYN | FWC_TCP_ACK | FWC_TCP_RST)) ==
		    FWC_TCP_SYN) {
		if (fwc_classify(m, h, &id))
			return fwc_reserved(m, FWC_RSV_MALFORMED, bytes,
					    XDP_DROP);
		if (!fwc_rule_allows(id)) {
#ifndef FWC_NO_RPC /* the bench's copy without rpc (Makefile) */
			/*
			 * Only a denied SYN, only with rpc rules, only to a
			 * port a pinhole was ever opened to: a SYN flood at
			 * closed ports costs one more array read.
			 */
			if (!(m->flags & FWC_META_RPC) ||
			    !fwc_pinhole_port(h->k1))
				goto rules;
			ret = fwc_pinhole_admit(m, h);
			if (ret < 0)
				goto rules;
			id = ret;
			ret = 0;
#else
			goto rules;
#endif
		}
		classified = 1;
	}
	/* Zeroed here, not where declared: a denied SYN never needs it. */
	__builtin_memset(&f, 0, sizeof(f));
	fwc_flow_of(h, &f);
	/*
	 * The coarse clock (CLOCK_MONOTONIC_COARSE, a tick's precision)
	 * is plenty for timeouts of whole seconds; bpf_ktime_get_ns() took
	 * 27 of the 58 ns of a flow hit on the test-run bench. It is read
	 * once an entry is found (or a flow opens, below): a packet of no
	 * flow needs none, and the helper call cost 10-19 ns of a miss.
	 */
	if (f.kind == FWC_FLOW_ERROR) {
		now = bpf_ktime_get_coarse_ns();
		ret = fwc_related(ctx, m, h, now, &id);
		if (ret < 0)
			return fwc_reserved(m, FWC_RSV_MALFORMED, bytes,
					    XDP_DROP);
	} else if (f.kind != FWC_FLOW_NONE) {
		v = bpf_map_lookup_elem(&ct, &f.key);
		if (v) {
			now = bpf_ktime_get_coarse_ns();
			ret = fwc_ct_match(m, v, &f, h, now);
		}
		if (ret)
			id = fwc_flow_id(m, &v->rule, &v->gen, &v->prev_rule);
	}
	if (ret) {
		fwc_count(id, bytes);
		goto out;
	}
	if (!classified && fwc_classify(m, h, &id)) {
		fwc_frag_drop(m, h, now);
		return fwc_reserved(m, FWC_RSV_MALFORMED, bytes, XDP_DROP);
	}
rules:
	verdict = fwc_rule_verdict(ctx, m, h, id, bytes);
	if (verdict != XDP_PASS && verdict != FWC_WOULD_DROP) {
		/* A denied packet of no flow reads no clock (unless a first
		 * fragment). */
		fwc_frag_drop(m, h, now);
		return verdict;
	}
	if (!now) /* no entry was found: not read yet */
		now = bpf_ktime_get_coarse_ns();
	/* Audit: passes, but opens no flow (as a deny never does), so that
	 * enforcing later inherits no connection the policy denies. */
	if (verdict == XDP_PASS)
		fwc_ct_open(m, &f, h, id, now);
out:
	if (h->flags & FWC_HDR_FIRST_FRAG)
		fwc_frag_first(m, h, id, now);
	return XDP_PASS;
}

/*
 * Packets that meet no rule: malformed ones, source-routed ones, and the
 * ICMPv6 a link needs. A dropped first fragment still leaves its verdict.
 */
__noinline int fwc_early(const struct fwc_meta *m, const struct fwc_hdr *h,
			 int ret, __u64 bytes)
{
	__u32 id;

	/* Global, as fwc_stateful: verified once, for any header. */
	if (!m || !h)
		return XDP_DROP;

	if (ret == FWC_PARSE_NON_IP)
		return fwc_reserved(m, FWC_RSV_NON_IP, bytes,
				    m->flags & FWC_META_NONIP_DROP ? XDP_DROP :
								     XDP_PASS);
	if (ret != FWC_PARSE_OK && ret != FWC_PARSE_FRAGMENT &&
	    ret != FWC_PARSE_ND && ret != FWC_PARSE_MLD) {
		fwc_frag_drop(m, h, 0);
		return fwc_reserved(m, FWC_RSV_MALFORMED, bytes, XDP_DROP);
	}
	/* pf's default: the route the sender chose is not the policy's. */
	if ((h->flags & FWC_HDR_SRCROUTE) &&
	    !(m->flags & FWC_META_SRCROUTE_PASS)) {
		fwc_frag_drop(m, h, 0);
		return fwc_reserved(m, FWC_RSV_SOURCE_ROUTE, bytes, XDP_DROP);
	}
	switch (ret) {
	case FWC_PARSE_FRAGMENT:
		/* Stateless (state off): no verdict to follow. */
		if (!(m->flags & FWC_META_STATE_OFF) &&
		    fwc_frag_follow(m, h, bpf_ktime_get_coarse_ns(), &id)) {
			fwc_count(id, bytes);
			return XDP_PASS;
		}
		return fwc_reserved(m, FWC_RSV_FRAGMENT, bytes, XDP_DROP);
	case FWC_PARSE_ND:
		return fwc_reserved(m, FWC_RSV_ND, bytes, XDP_PASS);
	case FWC_PARSE_MLD:
		return fwc_reserved(m, FWC_RSV_MLD, bytes, XDP_PASS);
	}
	return -1;
}

SEC("xdp")
int fwc_xdp(struct xdp_md *ctx)
{
	/* The frame as received: tags and padding count. */
	__u64 bytes = (__u64)(ctx->data_end - ctx->data);
	struct fwc_hdr h = {};
	struct fwc_meta *m;
	__u32 zero = 0, id;
	int ret;

	m = bpf_map_lookup_elem(&meta, &zero);
	if (!m)
		return XDP_DROP;

	ret = fwc_parse(ctx, &h);
	if (ret != FWC_PARSE_OK || (h.flags & FWC_HDR_SRCROUTE)) {
		ret = fwc_early(m, &h, ret, bytes);
		if (ret >= 0)
			return ret;
	}

	if (!(m->flags & FWC_META_STATE_OFF)) {
		ret = fwc_stateful(ctx, m, &h, bytes);
#ifndef FWC_NO_RPC
		/*
		 * A packet of an EPM connection (bpf/rpc.h), read after the
		 * verdict, from here: the stack of fwc_stateful's calls is
		 * not the place for its PDU walk.
		 */
		if (ret == XDP_PASS && (m->flags & FWC_META_RPC) &&
		    h.proto == IPPROTO_TCP &&
		    (h.k1 == FWC_EPM_PORT || h.k2 == FWC_EPM_PORT))
			fwc_epm_seen(ctx, m, &h);
#endif
		return ret;
	}
	if (fwc_classify_in(m, &h, &id, 1))
		return fwc_reserved(m, FWC_RSV_MALFORMED, bytes, XDP_DROP);
	ret = fwc_rule_verdict(ctx, m, &h, id, bytes);
	return ret == FWC_WOULD_DROP ? XDP_PASS : ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
