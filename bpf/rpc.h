/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * MS-RPC endpoint-mapper pinholes in the datapath (docs/rpc-pinholes.md).
 *
 * On a tracked TCP connection to port 135 that an rpc rule admitted, a
 * request with opnum 3 (ept_map) leaves its call_id in epm_calls; the
 * answer with that call_id is read whole from its one segment
 * (bpf/epm.h) and each ncacn_ip_tcp tower of one of the rule's
 * interfaces opens (client, server, port, tcp) in `pinholes` for
 * `set timeout rpc-pinhole` seconds. The addresses are the answer's IP
 * header's, never the tower's. Whatever the parser refuses opens
 * nothing and is counted rpc-unparsed: never guessed.
 *
 * A bare SYN the rules deny looks for a pinhole (only then, and only
 * when the policy has rpc rules): while one lives, the SYN opens a flow
 * of the pinhole's rule, counted against it.
 */
#ifndef FWC_BPF_RPC_H
#define FWC_BPF_RPC_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "fwc_abi.h"
#include "maps.h"
#include "parse.h"
#include "epm.h"
#include "ct.h"
#include "log.h"

/*
 * The parser of bpf/epm.h, each half verified once, on its own stack
 * frame (the PDU walk's locals would not fit on top of the caller's).
 */
__noinline int fwc_epm_header(struct fwc_epm_scratch *s, __u32 len)
{
	return s ? fwc_epm_request(s, len) : FWC_EPM_MALFORMED;
}

__noinline int fwc_epm_answer(struct fwc_epm_scratch *s, __u32 len)
{
	return s ? fwc_epm_response(s, len) : FWC_EPM_MALFORMED;
}

#define FWC_EPM_PORT 135
#define FWC_EPM_HDR 24 /* bytes of a request's header, with opnum */
#define FWC_EPM_PTYPE_REQUEST 0
#define FWC_EPM_PTYPE_RESPONSE 2
#define FWC_EPM_PTYPE_FAULT 3
#define FWC_EPM_OPNUM_MAP 3
#define FWC_NSEC 1000000000ull

static __always_inline void fwc_rpc_count(const struct fwc_meta *m, __u32 rsv)
{
	__u32 k = m->n_rules + 1 + rsv;
	struct fwc_counter *c = bpf_map_lookup_elem(&counters, &k);

	if (c)
		c->packets++;
}

/*
 * A pinhole event of rule @id (marked log): client @cl, server @sv,
 * the announced @port. Rate-limited with the rule's deny-log bucket.
 */
__noinline int fwc_rpc_log(struct xdp_md *ctx, const struct fwc_meta *m,
			   const struct fwc_hdr *h, __u32 id, __u32 what)
{
	/* @what: the verdict in bits 16-23, the port below (5 arguments). */
	struct fwc_rule_info *ri = bpf_map_lookup_elem(&rules, &id);
	__u8 verdict = what >> 16;
	__u16 port = what & 0xffff;
	struct fwc_event *ev;
	__u64 now;

	if (!ctx || !m || !h || !ri || !(ri->flags & FWC_RULE_LOG))
		return 0;
	now = bpf_ktime_get_boot_ns();
	if (!fwc_log_admit(m, id, now)) {
		fwc_rpc_count(m, FWC_RSV_LOG_SUPPRESSED);
		return 0;
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		fwc_rpc_count(m, FWC_RSV_LOG_LOST);
		return 0;
	}
	ev->time = now;
	ev->ifindex = ctx->ingress_ifindex;
	ev->rule = id;
	ev->gen = m->gen;
	ev->verdict = verdict;
	ev->family = h->family;
	ev->proto = IPPROTO_TCP;
	ev->tcp_flags = h->tcp_flags;
	ev->k1 = port;
	ev->k2 = 0;
	ev->len = h->end;
	/* The answer goes server -> client. */
	__builtin_memcpy(ev->src, h->dst, sizeof(ev->src));
	__builtin_memcpy(ev->dst, h->src, sizeof(ev->dst));
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

#define FWC_RPC_LOG(verdict, port) ((__u32)(verdict) << 16 | (port))

static __always_inline int fwc_uuid_eq(const __u8 *a, const __u8 *b)
{
	__u64 a0, a1, b0, b1;

	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

enum fwc_rpc_match {
	FWC_RPC_UNLISTED = 0,
	FWC_RPC_OUT_OF_BOUNDS,
	FWC_RPC_OPEN,
};

/* Does one of rule @ri's interfaces take tower @t? */
static __always_inline int fwc_rpc_match(const struct fwc_rule_info *ri,
					 const struct fwc_epm_tower *t)
{
	int res = FWC_RPC_UNLISTED;
	__u32 j, k;

	for (j = 0; j < FWC_RPC_PER_RULE; j++) {
		struct fwc_rpc_iface *e;

		if (j >= ri->rpc_n)
			break;
		k = ri->rpc_first + j;
		e = bpf_map_lookup_elem(&rpc_ifaces, &k);
		if (!e)
			break;
		if (!(e->flags & FWC_RPC_ANY) &&
		    (!fwc_uuid_eq(e->uuid, t->uuid) ||
		     (!(e->flags & FWC_RPC_ANY_VERSION) &&
		      e->major != t->major)))
			continue;
		if (t->port >= e->port_lo && t->port <= e->port_hi)
			return FWC_RPC_OPEN;
		res = FWC_RPC_OUT_OF_BOUNDS;
	}
	return res;
}

/*
 * Has a pinhole ever been opened to TCP port @port? A bit per port in
 * pinhole_ports, set as one opens and never cleared: a stale bit only
 * costs the hash lookup a missing one saves.
 */
static __always_inline int fwc_pinhole_port(__u16 port)
{
	__u32 w = port >> 6;
	__u64 *bits = bpf_map_lookup_elem(&pinhole_ports, &w);

	return bits && (*bits & (1ull << (port & 63)));
}

/* Open (or renew) the pinhole of tower @t for the answer @h of rule @id. */
static __always_inline void fwc_rpc_open(const struct fwc_meta *m,
					 const struct fwc_hdr *h, __u32 id,
					 const struct fwc_epm_tower *t,
					 struct fwc_rpc_scratch *s)
{
	struct fwc_pinhole_key *k = &s->k;
	struct fwc_pinhole_val *v = &s->v;
	__u64 now = bpf_ktime_get_coarse_ns();

	__builtin_memset(k, 0, sizeof(*k));
	__builtin_memcpy(k->client, h->dst, sizeof(k->client));
	__builtin_memcpy(k->server, h->src, sizeof(k->server));
	k->port = t->port;
	k->family = h->family;
	k->proto = IPPROTO_TCP;
	__builtin_memset(v, 0, sizeof(*v));
	v->created = now;
	v->expires = now + m->timeout[FWC_TO_RPC_PINHOLE] * FWC_NSEC;
	v->rule = id;
	v->gen = m->gen;
	v->prev_rule = FWC_CT_NO_RULE;
	__builtin_memcpy(v->uuid, t->uuid, sizeof(v->uuid));
	v->major = t->major;
	v->minor = t->minor;
	if (bpf_map_update_elem(&pinholes, k, v, BPF_ANY) == 0) {
		__u32 w = t->port >> 6;
		__u64 *bits = bpf_map_lookup_elem(&pinhole_ports, &w);

		if (bits)
			__sync_fetch_and_or(bits, 1ull << (t->port & 63));
	}
}

/*
 * Tower @t of an answer to rule @id: open its pinhole, or count why not.
 * Global: verified once, not once per tower.
 */
__noinline int fwc_rpc_tower(struct xdp_md *ctx, const struct fwc_meta *m,
			     const struct fwc_hdr *h, __u32 id,
			     const struct fwc_epm_tower *t)
{
	struct fwc_rule_info *ri = bpf_map_lookup_elem(&rules, &id);
	struct fwc_rpc_scratch *s;
	__u32 zero = 0;
	int r;

	if (!ctx || !m || !h || !t || !ri)
		return 0;
	s = bpf_map_lookup_elem(&epm_scratch, &zero);
	if (!s)
		return 0;
	r = fwc_rpc_match(ri, t);
	if (r == FWC_RPC_OPEN) {
		fwc_rpc_open(m, h, id, t, s);
		fwc_rpc_count(m, FWC_RSV_RPC_OPENED);
		fwc_rpc_log(ctx, m, h, id,
			    FWC_RPC_LOG(FWC_LOG_PINHOLE_OPEN, t->port));
		return 1;
	}
	fwc_rpc_count(m, r == FWC_RPC_UNLISTED ? FWC_RSV_RPC_UNLISTED :
						 FWC_RSV_RPC_REFUSED);
	fwc_rpc_log(ctx, m, h, id,
		    FWC_RPC_LOG(FWC_LOG_PINHOLE_REFUSED, t->port));
	return 0;
}

/* Open what the whole answer in @s maps (@r: its parse), for rule @id. */
static __always_inline void fwc_epm_whole(struct xdp_md *ctx,
					  const struct fwc_meta *m,
					  const struct fwc_hdr *h, __u32 id,
					  struct fwc_epm_scratch *s, int r)
{
	__u32 i;

	if (r != FWC_EPM_OK) {
		fwc_rpc_count(m, FWC_RSV_RPC_UNPARSED);
		fwc_rpc_log(ctx, m, h, id,
			    FWC_RPC_LOG(FWC_LOG_RPC_UNPARSED, 0));
		return;
	}
	if (s->pdu.status)
		return; /* not registered: nothing to open */
	for (i = 0; i < FWC_EPM_TOWERS; i++) {
		if (i >= s->pdu.n_maps)
			break;
		fwc_rpc_tower(ctx, m, h, id, &s->pdu.map[i]);
	}
}

/* The TCP sequence number of @h, host order; 0 when it cannot be read. */
static __always_inline __u32 fwc_tcp_seq(struct xdp_md *ctx,
					 const struct fwc_hdr *h)
{
	__u32 seq = 0;

	bpf_xdp_load_bytes(ctx, h->l4_off + 4, &seq, sizeof(seq));
	return bpf_ntohl(seq);
}

/*
 * The next segment of an answer @w holds in part: appended when it is
 * exactly the next one (a retransmission of what @w has is ignored), and
 * parsed once whole. Bounded: FWC_EPM_SEGS segments, FWC_EPM_BUF bytes.
 * 1 when @w is done with (parsed or given up), 0 while it waits.
 */
static __always_inline int fwc_epm_more(struct xdp_md *ctx,
					const struct fwc_meta *m,
					const struct fwc_hdr *h, __u32 id,
					struct fwc_epm_wait *w, __u32 len)
{
	__u32 seq = fwc_tcp_seq(ctx, h), have = w->have, n;

	if ((__s32)(seq - w->next_seq) < 0 &&
	    (__s32)(seq + len - w->next_seq) <= 0)
		return 0; /* all of it seen before: a retransmission */
	if (seq != w->next_seq || have >= w->need || w->need > FWC_EPM_BUF ||
	    w->segs >= FWC_EPM_SEGS)
		goto unparsed; /* a gap, an overlap, or too many */
	n = w->need - have;
	if (len < n)
		n = len;
	have &= FWC_EPM_BUF - 1;
	n &= FWC_EPM_BUF - 1;
	if (!n || bpf_xdp_load_bytes(ctx, h->l4_end, w->pdu.buf + have, n))
		goto unparsed;
	w->have = have + n;
	w->next_seq += n;
	w->segs++;
	if (w->have < w->need)
		return 0;
	fwc_epm_whole(ctx, m, h, id, &w->pdu, fwc_epm_answer(&w->pdu, w->need));
	return 1;
unparsed:
	fwc_rpc_count(m, FWC_RSV_RPC_UNPARSED);
	fwc_rpc_log(ctx, m, h, id, FWC_RPC_LOG(FWC_LOG_RPC_UNPARSED, 0));
	return 1;
}

/*
 * A packet with TCP port 135 on one side that passed: on a flow an rpc
 * rule admitted, a request leaves its ept_map call_id, the answer to it
 * opens its pinholes, read whole from one segment or gathered from up to
 * FWC_EPM_SEGS in order. Global: verified once.
 */
__noinline int fwc_epm_seen(struct xdp_md *ctx, const struct fwc_meta *m,
			    const struct fwc_hdr *h)
{
	struct fwc_flow f = {};
	struct fwc_ct_key *k = &f.key;
	struct fwc_ct_val *v;
	struct fwc_rule_info *ri;
	struct fwc_rpc_scratch *rs;
	struct fwc_epm_scratch *s;
	struct fwc_epm_wait *w;
	__u32 zero = 0, len, n, need, id;
	int r;

	if (!ctx || !m || !h)
		return 0;
	if (h->end <= h->l4_end)
		return 0; /* no payload: handshake, ACKs */
	fwc_flow_of(h, &f);
	v = bpf_map_lookup_elem(&ct, k);
	if (!v)
		return 0; /* audit, or a flow that just ended */
	id = fwc_flow_id(m, &v->rule, &v->gen, &v->prev_rule);
	ri = bpf_map_lookup_elem(&rules, &id);
	if (!ri || !(ri->flags & FWC_RULE_RPC))
		return 0;
	len = h->end - h->l4_end;
	rs = bpf_map_lookup_elem(&epm_scratch, &zero);
	if (!rs)
		return 0;
	s = &rs->epm;

	if (h->k1 == FWC_EPM_PORT) {
		/* Client to the EPM: only the header matters. */
		if (len < FWC_EPM_HDR)
			return 0;
		if (bpf_xdp_load_bytes(ctx, h->l4_end, s->buf, FWC_EPM_HDR))
			return 0;
		if (fwc_epm_header(s, FWC_EPM_HDR) != FWC_EPM_OK ||
		    s->pdu.ptype != FWC_EPM_PTYPE_REQUEST ||
		    s->pdu.opnum != FWC_EPM_OPNUM_MAP)
			return 0;
		/* The new entry's buffer is never read before it is written. */
		w = &rs->wait;
		w->call.seen = bpf_ktime_get_coarse_ns();
		w->call.call_id = s->pdu.call_id;
		w->call.pad = 0;
		w->next_seq = 0;
		w->have = 0;
		w->need = 0;
		w->segs = 0;
		bpf_map_update_elem(&epm_calls, k, w, BPF_ANY);
		return 0;
	}

	/* The EPM's side: only while an ept_map call is awaited. */
	w = bpf_map_lookup_elem(&epm_calls, k);
	if (!w)
		return 0;
	if (w->have) {
		if (fwc_epm_more(ctx, m, h, id, w, len))
			bpf_map_delete_elem(&epm_calls, k);
		return 0;
	}
	n = len < FWC_EPM_BUF ? len : FWC_EPM_BUF;
	if (n < FWC_EPM_HDR)
		goto unparsed;
	if (bpf_xdp_load_bytes(ctx, h->l4_end, s->buf,
			       n & (FWC_EPM_BUF * 2 - 1)))
		goto unparsed;
	if (fwc_epm_header(s, n) != FWC_EPM_OK)
		goto unparsed;
	if (s->pdu.call_id != w->call.call_id)
		return 0; /* an answer to another call */
	if (s->pdu.ptype == FWC_EPM_PTYPE_FAULT) {
		bpf_map_delete_elem(&epm_calls, k);
		return 0; /* the EPM said no: nothing to open */
	}
	if (s->pdu.ptype != FWC_EPM_PTYPE_RESPONSE)
		return 0;
	r = fwc_epm_answer(s, n);
	need = s->buf[8] | (__u32)s->buf[9] << 8; /* frag_length */
	if (r == FWC_EPM_SPLIT && len < need && need <= FWC_EPM_BUF) {
		/* The first of several segments: gather the rest. */
		n &= FWC_EPM_BUF - 1;
		if (!n || bpf_xdp_load_bytes(ctx, h->l4_end, w->pdu.buf, n))
			goto unparsed;
		w->have = n;
		w->need = need;
		w->next_seq = fwc_tcp_seq(ctx, h) + n;
		w->segs = 1;
		return 0;
	}
	bpf_map_delete_elem(&epm_calls, k);
	fwc_epm_whole(ctx, m, h, id, s, r);
	return 0;
unparsed:
	bpf_map_delete_elem(&epm_calls, k);
	fwc_rpc_count(m, FWC_RSV_RPC_UNPARSED);
	fwc_rpc_log(ctx, m, h, id, FWC_RPC_LOG(FWC_LOG_RPC_UNPARSED, 0));
	return 0;
}

/*
 * A bare SYN the rules deny: the rule id of a live pinhole from its
 * source to its destination port, or -1. An expired one, or one whose
 * rule a reload removed, is deleted. Global: verified once.
 */
__noinline int fwc_pinhole_admit(const struct fwc_meta *m,
				 const struct fwc_hdr *h)
{
	struct fwc_pinhole_key k = {};
	struct fwc_pinhole_val *v;
	struct fwc_rule_info *ri;
	__u32 id;

	if (!m || !h || h->proto != IPPROTO_TCP)
		return -1;
	__builtin_memcpy(k.client, h->src, sizeof(k.client));
	__builtin_memcpy(k.server, h->dst, sizeof(k.server));
	k.port = h->k1;
	k.family = h->family;
	k.proto = IPPROTO_TCP;
	v = bpf_map_lookup_elem(&pinholes, &k);
	if (!v)
		return -1;
	if (bpf_ktime_get_coarse_ns() >= v->expires) {
		bpf_map_delete_elem(&pinholes, &k);
		fwc_rpc_count(m, FWC_RSV_RPC_EXPIRED);
		return -1;
	}
	id = fwc_flow_id(m, &v->rule, &v->gen, &v->prev_rule);
	ri = id <= m->n_rules ? bpf_map_lookup_elem(&rules, &id) : NULL;
	if (!ri || ri->action != FWC_ACT_ALLOW || !(ri->flags & FWC_RULE_RPC)) {
		/* Its rule is gone: so is the pinhole. */
		bpf_map_delete_elem(&pinholes, &k);
		return -1;
	}
	v->used++;
	fwc_rpc_count(m, FWC_RSV_RPC_USED);
	return id;
}

#endif /* FWC_BPF_RPC_H */
