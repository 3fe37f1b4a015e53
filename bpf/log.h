/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Audit mode and the deny log of the XDP program.
 *
 * Audit mode (FWC_META_AUDIT: `set mode audit`, `fwc load --audit`): a
 * packet that a rule or the default would drop passes instead. It is still
 * counted against that rule, and also as would-drop, and it is logged.
 * Malformed packets and fragments without a first fragment stay dropped:
 * they are no verdict of the policy, and passing them would only feed the
 * hosts behind the gateway what no policy can allow.
 *
 * The log: packets decided by a rule marked `log` (rule 0 too, with `set
 * log default on`) and, in audit mode, every packet that would be dropped
 * send a struct fwc_event to the `events` ring buffer, which `fwc log`
 * reads. Only packets the rules judge are logged: those of a tracked flow
 * pass before any rule, so an `allow log` rule logs connections, not
 * every packet of them.
 *
 * Each rule has a token bucket of meta.log_rate events per second with a
 * burst of as many, global: one `log_state` entry per rule, shared by
 * every CPU and every interface of the load. It is kept as GCRA: `tat`,
 * the theoretical arrival time of the next event, moves on by one
 * interval per event sent, and an event is sent when it is no more than
 * the burst's worth of intervals ahead of now. A flood therefore costs one
 * read of the entry per packet; only the packets that get an event (at
 * most the rate) take its spin lock and write it, so the CPUs of a flood
 * do not bounce its cache line. Packets the bucket holds back count as
 * log-suppressed, events the full ring buffer refuses as log-lost: every
 * logged packet is exactly one of an event, suppressed or lost.
 */
#ifndef FWC_LOG_H
#define FWC_LOG_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "fwc_abi.h"
#include "maps.h"
#include "parse.h"

#define FWC_LOG_NSEC 1000000000ull

/*
 * What fwc_rule_verdict() returns for a drop in audit mode: no XDP action,
 * so that no caller can mistake it for one; it leaves the program as
 * XDP_PASS.
 */
#define FWC_WOULD_DROP 0x100

/*
 * events, and log_state: one bucket (struct fwc_log_state) per rule id,
 * sized n_rules + 1 by the loader: bpf/maps.h.
 */

/* The verdict of rule @ri: XDP_PASS, XDP_DROP or FWC_WOULD_DROP. */
static __always_inline int fwc_audit_verdict(const struct fwc_meta *m,
					     const struct fwc_rule_info *ri)
{
	if (ri->action == FWC_ACT_ALLOW)
		return XDP_PASS;
	return m->flags & FWC_META_AUDIT ? FWC_WOULD_DROP : XDP_DROP;
}

/* May rule @id send an event at @now? Takes a token when it may. */
static __always_inline int fwc_log_admit(const struct fwc_meta *m, __u32 id,
					 __u64 now)
{
	struct fwc_log_state *s = bpf_map_lookup_elem(&log_state, &id);
	__u64 rate = m->log_rate, t, tol, tat;
	int ok = 0;

	if (!s || !rate)
		return 0;
	t = FWC_LOG_NSEC / rate;
	tol = (rate - 1) * t;
	/* Unlocked first look: a 64-bit load is atomic, a stale one only
	 * sends the packet to the locked check below. */
	tat = s->tat;
	if (tat > now && tat - now > tol)
		return 0;
	bpf_spin_lock(&s->lock);
	tat = s->tat > now ? s->tat : now;
	if (tat - now <= tol) {
		s->tat = tat + t;
		ok = 1;
	}
	bpf_spin_unlock(&s->lock);
	return ok;
}

/*
 * Log the packet @h that rule @id decided with @verdict (of
 * fwc_audit_verdict), when the rule logs or audit mode would drop it.
 * Returns the reserved counter to charge (FWC_RSV_LOG_SUPPRESSED or
 * FWC_RSV_LOG_LOST), or -1 when there is none.
 */
static __always_inline int fwc_log(struct xdp_md *ctx, const struct fwc_meta *m,
				   const struct fwc_hdr *h,
				   const struct fwc_rule_info *ri, __u32 id,
				   int verdict, __u64 bytes)
{
	struct fwc_event *ev;
	__u64 now;

	if (!(ri->flags & FWC_RULE_LOG) && verdict != FWC_WOULD_DROP)
		return -1;
	now = bpf_ktime_get_boot_ns();
	if (!fwc_log_admit(m, id, now))
		return FWC_RSV_LOG_SUPPRESSED;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev)
		return FWC_RSV_LOG_LOST;
	ev->time = now;
	ev->ifindex = ctx->ingress_ifindex;
	ev->rule = id;
	ev->gen = m->gen;
	ev->verdict = verdict == XDP_PASS	? FWC_LOG_ALLOW :
		      verdict == FWC_WOULD_DROP ? FWC_LOG_WOULD_DROP :
						  FWC_LOG_DROP;
	ev->family = h->family;
	ev->proto = h->proto;
	ev->tcp_flags = h->tcp_flags;
	ev->k1 = h->k1;
	ev->k2 = h->k2;
	ev->len = (__u32)bytes;
	__builtin_memcpy(ev->src, h->src, sizeof(ev->src));
	__builtin_memcpy(ev->dst, h->dst, sizeof(ev->dst));
	bpf_ringbuf_submit(ev, 0);
	return -1;
}

#endif /* FWC_LOG_H */
