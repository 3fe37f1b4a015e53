// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The flow table of a load (bpf/ct.h): carried over reloads, moved to the
 * new rule ids, flushed on request (`fwc flows`, ops/flows.c, lists it).
 *
 * A reload keeps every flow: the new program reuses the running load's
 * `ct` and `frags` maps (bpf_map__reuse_fd before load), so a transfer
 * goes on across the swap. Flows name the rule that admitted them by
 * counter id, and ids change with the policy. So each load has a
 * generation (meta.gen, one more than the load it replaces), every entry
 * records its generation, and ct_remap maps the previous generation's ids
 * to the new ones (the counters' carry-over: same label, else same text).
 * The program moves an entry of the previous generation on its next
 * packet; after the swap, the loader walks the table and moves the rest,
 * giving a flow whose rule is gone to the allow rule that admits it now
 * (classified with the new tables), else leaving it an orphan: it still
 * passes, counted as orphan-flow. `fwc load --flush-flows` instead drops
 * every flow the new policy would not admit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fwc.skel.h"
#include "kernel.h"
#include "maps.h"
#include "tables.h"

#define NSEC 1000000000ull

uint64_t fwc_flows_now(void)
{
	struct timespec ts;

	/* The datapath's clock: bpf_ktime_get_coarse_ns(). */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

bool fwc_flow_live(const struct fwc_meta *m, const struct fwc_ct_val *v,
		   uint64_t now)
{
	return now <= v->seen ||
	       now - v->seen <= (uint64_t)fwc_ct_timeout_secs(m, v) * NSEC;
}

/* ---- reload ------------------------------------------------------------ */

/* Can @fd stand in for @m (an older fwc may have laid it out otherwise)? */
static bool map_fits(int fd, const struct bpf_map *m)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	return info.type == bpf_map__type(m) &&
	       info.key_size == bpf_map__key_size(m) &&
	       info.value_size == bpf_map__value_size(m);
}

int fwc_flows_reuse(struct fwc_bpf *skel, const struct fwc_set *old,
		    uint32_t max_flows, struct fwc_meta *meta,
		    uint32_t *old_rules)
{
	struct fwc_meta om;
	uint32_t k = 0;
	int err;

	*old_rules = 0;
	meta->gen = 1;
	if (max_flows) {
		err = bpf_map__set_max_entries(skel->maps.ct, max_flows);
		if (err)
			return err;
	}
	if (!old || old->prog < 0)
		return 0;
	memset(&om, 0, sizeof(om));
	if (bpf_map_lookup_elem(old->maps[FWC_M_META], &k, &om))
		return -errno;
	meta->gen = om.gen + 1;
	if (!map_fits(old->maps[FWC_M_CT], skel->maps.ct) ||
	    !map_fits(old->maps[FWC_M_FRAGS], skel->maps.frags)) {
		fprintf(stderr, "fwc: warning: the running load's flow table "
				"has another layout (an older fwc): starting "
				"with an empty one\n");
		return 0;
	}
	err = bpf_map__reuse_fd(skel->maps.ct, old->maps[FWC_M_CT]);
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.frags,
					old->maps[FWC_M_FRAGS]);
	/* Pinholes live on as flows do; an older set has none. */
	if (!err && old->maps[FWC_M_PINHOLES] >= 0 &&
	    map_fits(old->maps[FWC_M_PINHOLES], skel->maps.pinholes))
		err = bpf_map__reuse_fd(skel->maps.pinholes,
					old->maps[FWC_M_PINHOLES]);
	/* The ports' bits go with the pinholes they mark. */
	if (!err && old->maps[FWC_M_PINHOLE_PORTS] >= 0 &&
	    map_fits(old->maps[FWC_M_PINHOLE_PORTS], skel->maps.pinhole_ports))
		err = bpf_map__reuse_fd(skel->maps.pinhole_ports,
					old->maps[FWC_M_PINHOLE_PORTS]);
	if (!err && old->maps[FWC_M_EPM_CALLS] >= 0 &&
	    map_fits(old->maps[FWC_M_EPM_CALLS], skel->maps.epm_calls))
		err = bpf_map__reuse_fd(skel->maps.epm_calls,
					old->maps[FWC_M_EPM_CALLS]);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.ct_remap,
					       om.n_rules + 1);
	if (err)
		return err;
	if (max_flows && bpf_map__max_entries(skel->maps.ct) != max_flows)
		fprintf(stderr,
			"fwc: warning: the flow table keeps its %u "
			"entries; --max-flows sizes a new one (fwc "
			"unload first)\n",
			bpf_map__max_entries(skel->maps.ct));
	*old_rules = om.n_rules;
	return 1;
}

int fwc_flows_remap(int fd, const int64_t *map, uint32_t old_rules)
{
	uint32_t *v = calloc((size_t)old_rules + 1, sizeof(*v));
	int err;

	if (!v)
		return -ENOMEM;
	for (uint32_t k = 0; k <= old_rules; k++)
		v[k] = map && map[k] >= 0 ? (uint32_t)map[k] : FWC_CT_NO_RULE;
	err = fwc_array_write(fd, v, sizeof(*v), old_rules + 1);
	free(v);
	return err;
}

/* The packet that opened flow @k (as the opener sent it). */
static void opening_packet(const struct fwc_ct_key *k,
			   const struct fwc_ct_val *v, struct fwc_packet *p)
{
	int o = v->orig & 1;

	memset(p, 0, sizeof(*p));
	p->family = k->family;
	p->proto = k->proto;
	memcpy(p->src, k->addr[o], 16);
	memcpy(p->dst, k->addr[!o], 16);
	if (k->proto == 1 || k->proto == 58) {
		p->k1 = k->proto == 1 ? 8 : 128; /* echo request */
		return;
	}
	p->k1 = k->port[!o];
	p->k2 = k->port[o];
}

/* The allow rule that admits flow @k under tables @t, or NO_RULE. */
static uint32_t admits(const struct fwc_tables *t, const struct fwc_ct_key *k,
		       const struct fwc_ct_val *v)
{
	struct fwc_packet p;
	uint32_t id;

	opening_packet(k, v, &p);
	id = fwc_tables_classify(t, &p);
	return fwc_tables_action(t, id) == FWC_ACT_ALLOW ? id : FWC_CT_NO_RULE;
}

/* Every key of hash @fd, collected first: deletes would restart a walk. */
int fwc_flows_keys(int fd, struct fwc_ct_key **out, size_t *n_out)
{
	struct fwc_ct_key *keys = NULL, *prev = NULL, next;
	size_t n = 0, cap = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (n == cap) {
			struct fwc_ct_key *k;

			cap = cap ? cap * 2 : 1024;
			k = realloc(keys, cap * sizeof(*keys));
			if (!k) {
				free(keys);
				return -ENOMEM;
			}
			keys = k;
		}
		keys[n] = next;
		prev = &keys[n++];
	}
	*out = keys;
	*n_out = n;
	return 0;
}

/* The new id of entry @v of generation gen - 1, or NO_RULE. */
uint32_t fwc_flow_remapped(int remap, const struct fwc_ct_val *v, uint32_t gen)
{
	uint32_t id;

	if (v->gen + 1 != gen || v->rule == FWC_CT_NO_RULE ||
	    bpf_map_lookup_elem(remap, &v->rule, &id))
		return FWC_CT_NO_RULE;
	return id;
}

/* One entry of the walk after a reload. */
static void migrate_one(const struct fwc_flows_ctx *c,
			const struct fwc_ct_key *k, uint64_t now,
			struct fwc_flows_walk *w)
{
	const struct fwc_meta *m = &c->t->meta;
	struct fwc_ct_val v, cur;
	uint32_t id;

	if (bpf_map_lookup_elem(c->ct, k, &v) || !fwc_flow_live(m, &v, now))
		return;
	w->live++;
	if (c->flush) {
		if (admits(c->t, k, &v) == FWC_CT_NO_RULE &&
		    !bpf_map_delete_elem(c->ct, k))
			w->flushed++;
		return;
	}
	if (v.gen == m->gen && v.rule != FWC_CT_NO_RULE)
		return; /* the program moved it already */
	id = v.gen == m->gen ? FWC_CT_NO_RULE :
			       fwc_flow_remapped(c->remap, &v, m->gen);
	if (id == FWC_CT_NO_RULE)
		id = admits(c->t, k, &v);
	if (id == FWC_CT_NO_RULE)
		w->orphans++;
	else
		w->moved++;
	/*
	 * The program writes the entry too (state, last seen): take its
	 * latest copy and change only rule and generation, unless it moved
	 * the entry itself meanwhile.
	 */
	if (bpf_map_lookup_elem(c->ct, k, &cur) ||
	    (cur.gen == m->gen && cur.rule != FWC_CT_NO_RULE))
		return;
	cur.prev_rule = cur.gen + 1 == m->gen ? cur.rule : FWC_CT_NO_RULE;
	cur.rule = id;
	cur.gen = m->gen;
	bpf_map_update_elem(c->ct, k, &cur, BPF_EXIST);
}

int fwc_flows_doomed(const struct fwc_flows_ctx *c, struct fwc_ct_key **keys,
		     size_t *n)
{
	uint64_t now = fwc_flows_now();
	struct fwc_ct_val v;
	size_t w = 0;
	int err = fwc_flows_keys(c->ct, keys, n);

	if (err)
		return err;
	for (size_t i = 0; i < *n; i++)
		if (!bpf_map_lookup_elem(c->ct, &(*keys)[i], &v) &&
		    fwc_flow_live(&c->t->meta, &v, now) &&
		    admits(c->t, &(*keys)[i], &v) == FWC_CT_NO_RULE)
			(*keys)[w++] = (*keys)[i];
	*n = w;
	return 0;
}

int fwc_flows_migrate(const struct fwc_flows_ctx *c, struct fwc_flows_walk *w)
{
	struct fwc_ct_key *keys;
	uint64_t now = fwc_flows_now();
	struct fwc_ct_val v;
	size_t n;
	int err;

	memset(w, 0, sizeof(*w));
	/*
	 * Flows doomed at the swap that are gone now: the new program
	 * flushed them on their first packet (or they expired meanwhile).
	 */
	for (size_t i = 0; c->flush && i < c->n_doomed; i++) {
		if (!bpf_map_lookup_elem(c->ct, &c->doomed[i], &v) &&
		    v.gen + 1 == c->t->meta.gen)
			continue; /* still there: the walk flushes it */
		w->live++;
		w->flushed++;
	}
	err = fwc_flows_keys(c->ct, &keys, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		migrate_one(c, &keys[i], now, w);
	free(keys);
	return 0;
}
