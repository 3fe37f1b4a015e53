/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Connection tracking of the XDP program (`set state on`, the default).
 *
 * A packet of a tracked flow passes without a rule lookup and is counted
 * against the rule that admitted the flow. Flows are TCP and UDP by ports
 * and ICMP/ICMPv6 echo by identifier (struct fwc_ct_key in fwc_abi.h: one
 * key for both directions, the entry says which endpoint opened it). Only
 * a packet an allow rule admits opens a flow: for TCP a SYN without ACK,
 * or with `set state loose` any packet but a RST; for echo a request.
 * ICMP errors that quote a tracked flow pass as related. Idle timeouts come
 * from the policy (meta.timeout); an expired entry is treated as absent
 * and the LRU hash evicts old entries when full.
 *
 * Time is bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC_COARSE), read once
 * per packet by the caller.
 *
 * Sequence numbers are not tracked: a packet that fits the flow's state
 * passes whatever its sequence number, as with pf's `keep state` without
 * window checks.
 *
 * First fragments leave their verdict, pass or drop, in `frags` for the
 * fragment timeout; later fragments of the same datagram (addresses, id,
 * protocol) follow it. A later fragment that finds nothing, or one that
 * overlaps the first's transport header (or, in IPv6, any other fragment),
 * is dropped.
 */
#ifndef FWC_CT_H
#define FWC_CT_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "fwc_abi.h"
#include "maps.h"
#include "parse.h"

#define FWC_NSEC 1000000000ull
/*
 * `seen` moves at most this often: the two directions of a flow may run
 * on two CPUs, and a store per packet would bounce the entry's cache line
 * between them. Timeouts are whole seconds, so 0.1 s is precise enough.
 */
#define FWC_CT_TOUCH_NS 100000000ull
/* Bounds the offset of a quoted header for the verifier (and sanity). */
#define FWC_MAX_QUOTE_OFF 0x7fff

#define FWC_TCP_FIN 0x01
#define FWC_TCP_SYN 0x02
#define FWC_TCP_RST 0x04
#define FWC_TCP_ACK 0x10

#define FWC_ICMP_ECHO_REPLY 0
#define FWC_ICMP_UNREACH 3
#define FWC_ICMP_ECHO 8
#define FWC_ICMP_TIME_EXCEEDED 11
#define FWC_ICMP_PARAMPROB 12
#define FWC_ICMP6_UNREACH 1
#define FWC_ICMP6_TOO_BIG 2
#define FWC_ICMP6_TIME_EXCEEDED 3
#define FWC_ICMP6_PARAMPROB 4
#define FWC_ICMP6_ECHO 128
#define FWC_ICMP6_ECHO_REPLY 129

/*
 * Its maps (ct, frags, ct_remap and the scratch maps frag_new and
 * ct_scratch) are declared in bpf/maps.h, from include/fwc_maps.h.
 */

/* Fragment coverage words one fragment may touch: 9 KiB frames and less. */
#define FWC_FRAG_SPAN 19

/* What a packet is to connection tracking. */
enum fwc_flow_kind {
	FWC_FLOW_NONE = 0, /* not tracked: the rules decide alone */
	FWC_FLOW_TCP,
	FWC_FLOW_UDP,
	FWC_FLOW_ECHO, /* echo request */
	FWC_FLOW_ECHO_REPLY,
	FWC_FLOW_ERROR, /* ICMP error: may quote a flow */
};

struct fwc_flow {
	struct fwc_ct_key key;
	__u8 side; /* endpoint of key that sent the packet */
	__u8 kind; /* enum fwc_flow_kind */
} __attribute__((aligned(8)));

/* Any fixed total order on endpoints will do: compare words as stored. */
static __always_inline int fwc_ep_after(const __u8 *a, __u16 pa, const __u8 *b,
					__u16 pb)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	int i;

#pragma unroll
	for (i = 0; i < 4; i++)
		if (x[i] != y[i])
			return x[i] > y[i];
	return pa > pb;
}

/*
 * A 16-byte address, word by word: both sides are 4-byte aligned (struct
 * fwc_hdr's, struct fwc_flow's), which clang cannot see through a __u8
 * pointer, so a memcpy became 16 byte loads and shifts.
 */
static __always_inline void fwc_addr_copy(__u8 *d, const __u8 *s)
{
	__u32 *x = (__u32 *)d;
	const __u32 *y = (const __u32 *)s;

	x[0] = y[0];
	x[1] = y[1];
	x[2] = y[2];
	x[3] = y[3];
}

/* The key of the flow of a packet @src:@sp -> @dst:@dp (16-byte addrs). */
static __always_inline void fwc_flow_key(struct fwc_flow *f, __u8 family,
					 __u8 proto, const __u8 *src, __u16 sp,
					 const __u8 *dst, __u16 dp, __u16 id)
{
	struct fwc_ct_key *k = &f->key;

	k->family = family;
	k->proto = proto;
	k->echo_id = id;
	f->side = fwc_ep_after(src, sp, dst, dp);
	if (f->side) {
		fwc_addr_copy(k->addr[0], dst);
		fwc_addr_copy(k->addr[1], src);
		k->port[0] = dp;
		k->port[1] = sp;
	} else {
		fwc_addr_copy(k->addr[0], src);
		fwc_addr_copy(k->addr[1], dst);
		k->port[0] = sp;
		k->port[1] = dp;
	}
}

static __always_inline int fwc_icmp_error(__u8 family, __u8 type)
{
	if (family == 4)
		return type == FWC_ICMP_UNREACH ||
		       type == FWC_ICMP_TIME_EXCEEDED ||
		       type == FWC_ICMP_PARAMPROB;
	return type == FWC_ICMP6_UNREACH || type == FWC_ICMP6_TOO_BIG ||
	       type == FWC_ICMP6_TIME_EXCEEDED || type == FWC_ICMP6_PARAMPROB;
}

/* ICMP for IPv4, ICMPv6 for IPv6: the other pairing is no ICMP to us. */
static __always_inline int fwc_is_icmp(__u8 family, __u8 proto)
{
	return family == 4 ? proto == IPPROTO_ICMP : proto == FWC_PROTO_ICMPV6;
}

/* Kind and key of the parsed packet @h. */
static __always_inline void fwc_flow_of(const struct fwc_hdr *h,
					struct fwc_flow *f)
{
	__u8 req = h->family == 4 ? FWC_ICMP_ECHO : FWC_ICMP6_ECHO;
	__u8 rep = h->family == 4 ? FWC_ICMP_ECHO_REPLY : FWC_ICMP6_ECHO_REPLY;

	if (h->proto == IPPROTO_TCP || h->proto == IPPROTO_UDP) {
		f->kind = h->proto == IPPROTO_TCP ? FWC_FLOW_TCP : FWC_FLOW_UDP;
		fwc_flow_key(f, h->family, h->proto, h->src, h->k2, h->dst,
			     h->k1, 0);
		return;
	}
	if (!fwc_is_icmp(h->family, h->proto))
		return;
	if (h->k1 == req || h->k1 == rep) {
		f->kind = h->k1 == req ? FWC_FLOW_ECHO : FWC_FLOW_ECHO_REPLY;
		fwc_flow_key(f, h->family, h->proto, h->src, 0, h->dst, 0,
			     h->echo_id);
	} else if (fwc_icmp_error(h->family, (__u8)h->k1)) {
		f->kind = FWC_FLOW_ERROR;
	}
}

/* Another CPU may have stored a `seen` a little after our `now`. */
static __always_inline int fwc_ct_expired(const struct fwc_meta *m,
					  const struct fwc_ct_val *v, __u64 now)
{
	return now > v->seen &&
	       now - v->seen > (__u64)fwc_ct_timeout_secs(m, v) * FWC_NSEC;
}

/*
 * TCP through a tracked flow: 1 when the packet fits (the state may move
 * on), 0 when it does not and the rules must judge it as a new packet.
 */
static __always_inline int fwc_ct_tcp(struct fwc_ct_val *v, int reply, __u8 fl)
{
	__u8 syn_ack = fl & (FWC_TCP_SYN | FWC_TCP_ACK);
	__u8 st = v->state, ns = st;

	if (fl & FWC_TCP_RST) {
		ns = FWC_CT_TCP_CLOSE;
		goto out;
	}
	if (st == FWC_CT_TCP_SYN_SENT && reply) {
		/* Before the handshake the other side may only accept. */
		if (syn_ack != (FWC_TCP_SYN | FWC_TCP_ACK))
			return 0;
		ns = FWC_CT_TCP_SYN_RECV;
	} else if (st == FWC_CT_TCP_SYN_RECV && !reply &&
		   syn_ack == FWC_TCP_ACK) {
		ns = FWC_CT_TCP_ESTABLISHED;
	} else if ((st == FWC_CT_TCP_FIN || st == FWC_CT_TCP_CLOSE) &&
		   syn_ack == FWC_TCP_SYN) {
		/* A new connection on the same ports: judged afresh. */
		return 0;
	}
	if ((fl & FWC_TCP_FIN) && ns != FWC_CT_TCP_CLOSE) {
		ns = FWC_CT_TCP_FIN;
		v->flags |= reply ? FWC_CT_F_FIN_REPLY : FWC_CT_F_FIN_ORIG;
	}
out:
	if (ns != st)
		v->state = ns;
	return 1;
}

/* The rules (bpf/fwc.bpf.c): the allow rule that admits @h, or -1. */
__noinline int fwc_admitting_rule(const struct fwc_meta *m,
				  const struct fwc_hdr *h);

/*
 * fwc load --flush-flows (FWC_META_FLUSH_FLOWS): a flow that an older
 * generation admitted meets this policy on its first packet here, before
 * it may pass. Its opening packet (the key as the opener sent it) is
 * classified with these tables: when an allow rule admits it, the flow
 * moves to this generation, counted against that rule; else it is
 * flushed, from the new program's first packet on (the loader's walk
 * after the swap comes too late for a busy flow): deleted, and the packet
 * meets the rules as a new one. 1 when flushed.
 */
static __always_inline int fwc_ct_flushed(const struct fwc_meta *m,
					  struct fwc_ct_val *v,
					  const struct fwc_flow *f)
{
	const struct fwc_ct_key *k = &f->key;
	int s = v->orig & 1, ret;
	__u32 id = 0;
	struct fwc_hdr *o;

	if (!(m->flags & FWC_META_FLUSH_FLOWS) || v->gen == m->gen ||
	    v->gen == m->gen + 1)
		return 0;
	o = bpf_map_lookup_elem(&ct_scratch, &id);
	if (!o)
		return 0;
	__builtin_memset(o, 0, sizeof(*o));
	o->family = k->family;
	o->proto = k->proto;
	__builtin_memcpy(o->src, s ? k->addr[1] : k->addr[0], 16);
	__builtin_memcpy(o->dst, s ? k->addr[0] : k->addr[1], 16);
	if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP) {
		o->k1 = s ? k->port[0] : k->port[1];
		o->k2 = s ? k->port[1] : k->port[0];
	} else {
		o->k1 = k->family == 4 ? FWC_ICMP_ECHO : FWC_ICMP6_ECHO;
		o->echo_id = k->echo_id;
	}
	ret = fwc_admitting_rule(m, o);
	if (ret >= 0) {
		id = ret;
		v->prev_rule = v->gen + 1 == m->gen ? v->rule : FWC_CT_NO_RULE;
		v->rule = id;
		v->gen = m->gen;
		return 0;
	}
	bpf_map_delete_elem(&ct, &f->key);
	return 1;
}

/* Does the packet belong to flow @v? Advances its state when it does. */
static __always_inline int fwc_ct_match(const struct fwc_meta *m,
					struct fwc_ct_val *v,
					const struct fwc_flow *f,
					const struct fwc_hdr *h, __u64 now)
{
	int reply = f->side != v->orig;

	/*
	 * The common case first, the same checks without the switches: an
	 * ACK or data (no SYN, FIN or RST) of an established TCP flow of
	 * this generation, which fwc_ct_flushed and fwc_ct_tcp would leave
	 * as it is; expired by the established timeout alone.
	 */
	if (f->kind == FWC_FLOW_TCP && v->state == FWC_CT_TCP_ESTABLISHED &&
	    v->gen == m->gen &&
	    !(h->tcp_flags & (FWC_TCP_SYN | FWC_TCP_FIN | FWC_TCP_RST))) {
		if (now > v->seen &&
		    now - v->seen > (__u64)m->timeout[FWC_TO_TCP_ESTABLISHED] *
					    FWC_NSEC)
			return 0;
		goto touch;
	}
	if (fwc_ct_expired(m, v, now) || fwc_ct_flushed(m, v, f))
		return 0;
	switch (f->kind) {
	case FWC_FLOW_TCP:
		if (!fwc_ct_tcp(v, reply, h->tcp_flags))
			return 0;
		break;
	case FWC_FLOW_UDP:
		if (reply && v->state == FWC_CT_UDP)
			v->state = FWC_CT_UDP_REPLIED;
		break;
	case FWC_FLOW_ECHO:
		/* Requests come from the side that started the exchange. */
		if (reply)
			return 0;
		break;
	case FWC_FLOW_ECHO_REPLY:
		if (!reply)
			return 0;
		break;
	default:
		return 0;
	}
touch:
	if (now - v->seen >= FWC_CT_TOUCH_NS)
		v->seen = now;
	return 1;
}

/*
 * The counter id of a flow's rule now. An entry of the previous load
 * generation moves to this one through ct_remap (the loader walks the
 * rest after a reload); one whose rule is gone counts as orphan-flow.
 * An entry the next generation moved already (this program is the old
 * one, not yet swapped out on this interface) is read, not written.
 */
static __always_inline __u32 fwc_flow_id(const struct fwc_meta *m, __u32 *rule,
					 __u32 *gen, __u32 *prev)
{
	__u32 id = *rule;

	if (*gen == m->gen + 1) {
		id = *prev;
	} else if (*gen != m->gen) {
		__u32 *r = NULL;

		if (*gen + 1 == m->gen && id != FWC_CT_NO_RULE)
			r = bpf_map_lookup_elem(&ct_remap, &id);
		*prev = *gen + 1 == m->gen ? id : FWC_CT_NO_RULE;
		id = r ? *r : FWC_CT_NO_RULE;
		*rule = id;
		*gen = m->gen;
	}
	if (id > m->n_rules)
		return m->n_rules + 1 + FWC_RSV_ORPHAN;
	return id;
}

/* After an allow verdict for @h (counted against @id): open its flow. */
static __always_inline void fwc_ct_open(const struct fwc_meta *m,
					const struct fwc_flow *f,
					const struct fwc_hdr *h, __u32 id,
					__u64 now)
{
	struct fwc_ct_val v = {
		.created = now,
		.seen = now,
		.rule = id,
		.gen = m->gen,
		.orig = f->side,
		.prev_rule = FWC_CT_NO_RULE,
	};
	__u8 fl = h->tcp_flags;

	switch (f->kind) {
	case FWC_FLOW_TCP:
		if (fl & FWC_TCP_RST)
			return;
		if ((fl & (FWC_TCP_SYN | FWC_TCP_ACK)) == FWC_TCP_SYN) {
			v.state = FWC_CT_TCP_SYN_SENT;
		} else if (m->flags & FWC_META_STATE_LOOSE) {
			v.flags = FWC_CT_F_LOOSE;
			v.state = FWC_CT_TCP_ESTABLISHED;
			if (fl & FWC_TCP_FIN) {
				v.state = FWC_CT_TCP_FIN;
				v.flags |= FWC_CT_F_FIN_ORIG;
			}
		} else {
			/* Mid-stream of an unknown flow: passes, untracked. */
			return;
		}
		break;
	case FWC_FLOW_UDP:
		v.state = FWC_CT_UDP;
		break;
	case FWC_FLOW_ECHO:
		v.state = FWC_CT_ICMP_ECHO;
		break;
	default:
		return;
	}
	/* Full table: the LRU hash evicts the least recently used flow. */
	bpf_map_update_elem(&ct, &f->key, &v, BPF_ANY);
}

static __always_inline int fwc_addr_eq(const __u8 *a, const __u8 *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/*
 * The quoted IPv6 packet's extension headers, walked as a live packet's
 * (a hop-by-hop header in front of TCP must not hide the flow from its
 * packet-too-big): on 0, *l4 and *proto are the transport header's. 1:
 * nothing we track (a later fragment, a chain too long or cut short).
 */
static __always_inline int fwc_quote_ext(void *data, void *data_end, __u32 end,
					 __u32 *l4, __u8 *proto)
{
	__u32 o = *l4, len;
	__u8 nh = *proto, *p;
	int i;

#pragma unroll
	for (i = 0; i < FWC_MAX_EXT; i++) {
		if (!fwc_is_ext(nh))
			break;
		if (o > FWC_MAX_QUOTE_OFF)
			return 1;
		p = data + o;
		if ((void *)(p + 8) > data_end || o + 8 > end)
			return 1;
		if (nh == FWC_NEXTHDR_FRAGMENT) {
			if ((((__u16)p[2] << 8) | p[3]) & 0xfff8)
				return 1;
			len = 8;
		} else if (nh == FWC_NEXTHDR_AUTH) {
			len = ((__u32)p[1] + 2) * 4;
		} else {
			len = ((__u32)p[1] + 1) * 8;
		}
		nh = p[0];
		o += len;
	}
	if (fwc_is_ext(nh) || o > FWC_MAX_QUOTE_OFF)
		return 1;
	*l4 = o;
	*proto = nh;
	return 0;
}

/*
 * The flow an ICMP error quotes (@h: the error, whose first 8 bytes the
 * parser checked). The quote must hold the offending packet's IP header
 * and 8 bytes of its l4 header, inside the error's datagram: else the
 * error is malformed (-1). A quote of something we do not track (a later
 * fragment, other protocols, a packet this error
 * is not addressed back to) gives 0: the rules judge the error. On 1, @q
 * holds the quoted flow's key.
 */
static __always_inline int
fwc_quote(struct xdp_md *ctx, const struct fwc_hdr *h, struct fwc_flow *q)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = h->l4_off + FWC_ICMP_HLEN, end = h->end, l4;
	__u8 src[16] __attribute__((aligned(4))) = {};
	__u8 dst[16] __attribute__((aligned(4))) = {};
	__u8 proto, *p;

	if (off > FWC_MAX_QUOTE_OFF)
		return -1;
	if (h->family == 4) {
		struct fwc_ip4 *ip = data + off;
		__u32 hlen;

		if ((void *)(ip + 1) > data_end || off + sizeof(*ip) > end)
			return -1;
		hlen = (ip->vihl & 0xf) * 4;
		if ((ip->vihl >> 4) != 4 || hlen < sizeof(*ip))
			return -1;
		if (bpf_ntohs(ip->frag_off) & FWC_IP_OFFSET)
			return 0;
		proto = ip->proto;
		__builtin_memcpy(src, ip->saddr, 4);
		__builtin_memcpy(dst, ip->daddr, 4);
		l4 = off + hlen;
	} else {
		struct fwc_ip6 *ip6 = data + off;

		if ((void *)(ip6 + 1) > data_end || off + sizeof(*ip6) > end)
			return -1;
		if ((ip6->vtc >> 4) != 6)
			return -1;
		proto = ip6->nexthdr;
		__builtin_memcpy(src, ip6->saddr, 16);
		__builtin_memcpy(dst, ip6->daddr, 16);
		l4 = off + sizeof(*ip6);
		if (fwc_quote_ext(data, data_end, end, &l4, &proto))
			return 0;
	}
	p = data + l4;
	if ((void *)(p + 8) > data_end || l4 + 8 > end)
		return -1;
	/* An error goes back to the sender of the packet it quotes. */
	if (!fwc_addr_eq(h->dst, src))
		return 0;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		fwc_flow_key(q, h->family, proto, src,
			     ((__u16)p[0] << 8) | p[1], dst,
			     ((__u16)p[2] << 8) | p[3], 0);
		return 1;
	}
	if (fwc_is_icmp(h->family, proto) &&
	    (p[0] == (h->family == 4 ? FWC_ICMP_ECHO : FWC_ICMP6_ECHO) ||
	     p[0] == (h->family == 4 ? FWC_ICMP_ECHO_REPLY :
				       FWC_ICMP6_ECHO_REPLY))) {
		fwc_flow_key(q, h->family, proto, src, 0, dst, 0,
			     ((__u16)p[4] << 8) | p[5]);
		return 1;
	}
	return 0;
}

/*
 * An ICMP error: 1 when it quotes a live flow (*id: the counter to
 * charge), 0 when the rules must judge it, -1 when it is malformed.
 */
static __always_inline int fwc_related(struct xdp_md *ctx,
				       const struct fwc_meta *m,
				       const struct fwc_hdr *h, __u64 now,
				       __u32 *id)
{
	struct fwc_flow q = {};
	struct fwc_ct_val *v;
	int ret = fwc_quote(ctx, h, &q);

	if (ret <= 0)
		return ret;
	v = bpf_map_lookup_elem(&ct, &q.key);
	/* A flow --flush-flows took away relates nothing any more. */
	if (!v || fwc_ct_expired(m, v, now) || fwc_ct_flushed(m, v, &q))
		return 0;
	*id = fwc_flow_id(m, &v->rule, &v->gen, &v->prev_rule);
	return 1;
}

/*
 * Mark units @first..@first+@n-1 received; 1 when one of them was already
 * (an overlap), or when they do not fit a datagram. Atomic: fragments of
 * one datagram may meet on two CPUs, and one of the two sees the other.
 */
static __always_inline int fwc_frag_cover(struct fwc_frag_val *v, __u32 first,
					  __u32 n)
{
	__u32 w, last, lo, hi, i;
	__u64 mask, old;

	if (!n)
		return 0;
	last = first + n - 1;
	if (last >= FWC_FRAG_UNITS)
		return 1;
	/* A fragment fits a frame: FWC_FRAG_SPAN words cover any of them. */
	for (i = 0; i < FWC_FRAG_SPAN; i++) {
		w = first / 64 + i;
		if (w > last / 64)
			return 0;
		if (w >= FWC_FRAG_WORDS)
			return 1;
		lo = w == first / 64 ? first % 64 : 0;
		hi = w == last / 64 ? last % 64 : 63;
		mask = (~0ull >> (63 - hi)) & (~0ull << lo);
		/* The mask after the barrier keeps w in range for the verifier:
		 * clang would otherwise fold the index into a moving pointer. */
		asm volatile("" : "+r"(w));
		old = __sync_fetch_and_or(&v->seen[w & (FWC_FRAG_WORDS - 1)],
					  mask);
		if (old & mask)
			return 1;
	}
	return 1; /* longer than any frame: fail closed */
}

static __always_inline void fwc_frag_key(const struct fwc_hdr *h,
					 struct fwc_frag_key *k)
{
	__builtin_memcpy(k->src, h->src, 16);
	__builtin_memcpy(k->dst, h->dst, 16);
	k->id = h->frag_id;
	k->family = h->family;
	k->proto = h->frag_proto;
}

/*
 * A first fragment arrived: its verdict, deny included, replaces whatever
 * an earlier datagram with the same key left (identifiers are reused), so
 * that its later fragments follow it and nothing else. @id is the rule
 * that passed it, or -1 for a drop. The entry is built in a per-CPU
 * scratch copy whose coverage words are never written (zero): the value
 * is too big for the stack.
 */
__noinline int fwc_frag_first(const struct fwc_meta *m, const struct fwc_hdr *h,
			      int id, __u64 now)
{
	struct fwc_frag_scratch *sc;
	struct fwc_frag_val *v;
	__u32 zero = 0, units;

	/* Global: verified once, not at each of its three callers. */
	if (!m || !h)
		return 0;
	sc = bpf_map_lookup_elem(&frag_new, &zero);
	if (!sc)
		return 0;
	v = &sc->v;
	v->first = now;
	v->rule = id < 0 || (__u32)id > m->n_rules ? FWC_CT_NO_RULE : id;
	v->gen = m->gen;
	v->prev_rule = FWC_CT_NO_RULE;
	v->flags = id < 0 ? FWC_FRAG_F_DENY : 0;
	v->l4_end = h->l4_end > h->frag_at ? h->l4_end - h->frag_at : 0;
	fwc_frag_key(h, &sc->k);
	if (bpf_map_update_elem(&frags, &sc->k, v, BPF_ANY) || id < 0 ||
	    h->family != 6)
		return 0;
	/* IPv6: the first fragment covers its units for overlap checks. */
	v = bpf_map_lookup_elem(&frags, &sc->k);
	units = h->end > h->frag_at ? ((__u32)h->end - h->frag_at + 7) / 8 : 0;
	if (v && fwc_frag_cover(v, 0, units))
		v->flags |= FWC_FRAG_F_BAD;
	return 0;
}

/* A first fragment (state on) was dropped: its datagram follows it. */
static __always_inline void fwc_frag_drop(const struct fwc_meta *m,
					  const struct fwc_hdr *h, __u64 now)
{
	if (!(h->flags & FWC_HDR_FIRST_FRAG) || (m->flags & FWC_META_STATE_OFF))
		return;
	fwc_frag_first(m, h, -1, now ? now : bpf_ktime_get_coarse_ns());
}

/*
 * A later fragment: 1 and *id when the first fragment of its datagram
 * passed lately and it overlaps nothing. IPv4: a later fragment may not
 * start inside the first one's transport header (RFC 1858 and more);
 * IPv6: no two fragments may overlap at all (RFC 5722), and one that does
 * condemns the datagram.
 */
static __always_inline int fwc_frag_follow(const struct fwc_meta *m,
					   const struct fwc_hdr *h, __u64 now,
					   __u32 *id)
{
	struct fwc_frag_scratch *sc;
	struct fwc_frag_val *v;
	__u32 zero = 0, first, units;

	sc = bpf_map_lookup_elem(&frag_new, &zero);
	if (!sc)
		return 0;
	fwc_frag_key(h, &sc->k);
	v = bpf_map_lookup_elem(&frags, &sc->k);
	if (!v ||
	    (now > v->first &&
	     now - v->first > (__u64)m->timeout[FWC_TO_FRAGMENT] * FWC_NSEC))
		return 0;
	if (v->flags & (FWC_FRAG_F_DENY | FWC_FRAG_F_BAD))
		return 0;
	if (h->frag_off < v->l4_end) {
		v->flags |= FWC_FRAG_F_BAD;
		return 0;
	}
	if (h->family == 6) {
		first = (__u32)h->frag_off / 8;
		units = h->end > h->frag_at ?
				((__u32)h->end - h->frag_at + 7) / 8 :
				0;
		if (fwc_frag_cover(v, first, units)) {
			v->flags |= FWC_FRAG_F_BAD;
			return 0;
		}
	}
	*id = fwc_flow_id(m, &v->rule, &v->gen, &v->prev_rule);
	return 1;
}

#endif /* FWC_CT_H */
