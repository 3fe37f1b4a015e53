// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc load and fwc unload.
 *
 * A load builds a complete new set (program, tables, counters, records)
 * before it touches anything that runs. Interfaces that already run a
 * policy keep their link: bpf_link_update swaps the program under it, so
 * every packet sees either the old program with the old tables or the new
 * one with the new tables, and none goes through without a program. Pins
 * are made under temporary names first and renamed over the old ones after
 * the swap. Until the swap, a failure only removes what this load added.
 *
 * Tracked flows carry over too: the new program reuses the running flow
 * table, and its entries move to the new rule ids (kernel/flows.c).
 */
#include <errno.h>
#include <pthread.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/membarrier.h>

#include "compile.h"
#include "fwc.skel.h"
#include "kernel.h"
#include "maps.h"
#include "sha256.h"

struct target {
	const char *name;
	int ifindex;
	char dir[PATH_MAX];
	bool made_dir;	    /* this load created dir */
	int link;	    /* the interface's link (old or new), or -1 */
	struct fwc_set old; /* the set the link runs now; prog -1: none */
	bool new_link;	    /* link created by this load */
	bool swapped;	    /* link runs the new program */
};

/* An old set that gives its counters to the new one. */
struct donor {
	struct fwc_set set; /* borrowed from a target: counters, carried */
	int counters, rule_meta, info; /* fds borrowed from a target */
	uint32_t n_rules;
	bool retired;		  /* none of its interfaces stays */
	int64_t *map;		  /* old counter id -> new id, or -1 */
	struct fwc_counter *snap; /* its counters at the snapshot */
};

struct load {
	const struct fwc_load_opts *o;
	struct fwc_tables *t;
	struct fwc_bpf *skel;
	struct fwc_set set;	      /* the new set */
	struct fwc_rule_record *recs; /* the new set's rule records */
	struct target *tg;
	int n;
	struct donor *donors;
	int n_donors;
	struct fwc_counter *carried; /* the new set's carried map, as written */
	uint32_t n_carried;	     /* rules whose counters carried over */
	bool enforcing;		     /* swapped: no way back */
	int ct_src;		     /* target whose flow table we reuse */
	uint32_t old_rules;	     /* its set's rule count */
	struct fwc_flows_walk walk;  /* what became of its flows */
	struct fwc_ct_key *doomed; /* --flush-flows: flows to go, at the swap */
	size_t n_doomed;
	struct fwc_state_rec rec; /* its tables, for a later rollback */
	bool recording;		  /* rec's thread started */
	struct fwc_set side;	  /* the record maps, made by side_run() */
	pthread_t side_thread;
	bool side_running;
	int side_err;
};

static uint32_t n_counters(uint32_t n_rules)
{
	return n_rules + 1 + FWC_RSV_COUNT;
}

static int targets_init(struct load *L)
{
	const struct fwc_load_opts *o = L->o;

	if (o->n_ifaces > FWC_INFO_IFACES) {
		fprintf(stderr, "fwc: at most %d interfaces per load\n",
			FWC_INFO_IFACES);
		return -E2BIG;
	}
	L->tg = calloc((size_t)o->n_ifaces + 1, sizeof(*L->tg));
	if (!L->tg)
		return -ENOMEM;
	L->n = o->n_ifaces;
	for (int i = 0; i < L->n; i++) {
		struct target *tg = &L->tg[i];

		tg->name = o->ifaces[i];
		tg->link = -1;
		fwc_set_init(&tg->old);
		for (int j = 0; j < i; j++) {
			if (!strcmp(tg->name, L->tg[j].name)) {
				fprintf(stderr, "fwc: %s: listed twice\n",
					tg->name);
				return -EINVAL;
			}
		}
		tg->ifindex = (int)if_nametoindex(tg->name);
		if (!tg->ifindex) {
			fprintf(stderr,
				"fwc: %s: no such interface in this "
				"network namespace\n",
				tg->name);
			return -ENODEV;
		}
		if (fwc_pin_dir(o->root, tg->name, tg->dir, sizeof(tg->dir))) {
			fprintf(stderr, "fwc: %s: path too long\n", tg->name);
			return -ENAMETOOLONG;
		}
	}
	return 0;
}

/* XDP program id and mode ("native", "generic" or NULL) of @ifindex. */
static uint32_t current_prog(int ifindex, const char **mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	*mode = NULL;
	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	if (q.attach_mode == XDP_ATTACHED_DRV)
		*mode = "native";
	else if (q.attach_mode == XDP_ATTACHED_SKB)
		*mode = "generic";
	return q.prog_id;
}

static const char *current_mode(int ifindex)
{
	const char *mode;

	current_prog(ifindex, &mode);
	return mode;
}

/*
 * What @tg runs now. A pinned link that is detached (the interface was
 * deleted and made again) is stale: the new set is attached afresh and its
 * pins replace the stale ones.
 */
static int target_old(const struct load *L, struct target *tg)
{
	uint32_t ifindex, prog_id;
	const char *cur;
	int link = fwc_pin_link(tg->dir);

	if (link == -ENOENT)
		return 0;
	if (link < 0) {
		fprintf(stderr,
			"fwc: %s: cannot open the pinned link %s/%s: "
			"%s\n",
			tg->name, tg->dir, FWC_PIN_LINK, strerror(-link));
		return link;
	}
	if (fwc_link_query(link, &ifindex, &prog_id) || !ifindex) {
		close(link);
		return 0;
	}
	/*
	 * Interface names and indexes are per network namespace, the pins
	 * are not: the link must drive the program this interface runs.
	 */
	if ((int)ifindex != tg->ifindex ||
	    current_prog(tg->ifindex, &cur) != prog_id) {
		fprintf(stderr,
			"fwc: %s holds the link of another interface, maybe "
			"in another network namespace: use another --bpffs "
			"there, or fwc unload %s\n",
			tg->dir, tg->name);
		close(link);
		return -EEXIST;
	}
	tg->link = link;
	if (fwc_set_open(tg->dir, &tg->old) ||
	    fwc_obj_id(tg->old.prog) != prog_id) {
		/* Pins broken: swap whatever program the link runs. */
		fwc_set_close(&tg->old);
	}
	if (L->o->mode != FWC_MODE_AUTO && cur &&
	    strcmp(cur, fwc_mode_name(L->o->mode))) {
		fprintf(stderr,
			"fwc: %s runs fwc in %s mode; a reload swaps the "
			"program atomically and keeps the mode: use --mode "
			"%s (or auto), or fwc unload %s first\n",
			tg->name, cur, cur, tg->name);
		return -EINVAL;
	}
	return 0;
}

static int targets_old(struct load *L)
{
	int err = 0;

	for (int i = 0; !err && i < L->n; i++)
		err = target_old(L, &L->tg[i]);
	return err;
}

static void record_fill(struct fwc_rule_record *r,
			const struct fwc_rule_meta *rm, uint32_t id)
{
	const char *text = rm->text ? rm->text : "";

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->line = rm->line;
	if (rm->label) {
		r->has_label = 1;
		snprintf(r->label, sizeof(r->label), "%s", rm->label);
	}
	snprintf(r->text, sizeof(r->text), "%s", text);
	fwc_sha256(text, strlen(text), r->text_sha256);
}

static int records_fill(struct load *L)
{
	uint32_t n = L->t->meta.n_rules + 1;
	int fd = L->side.maps[FWC_M_RULE_META];

	L->recs = calloc(n, sizeof(*L->recs));
	if (!L->recs)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		record_fill(&L->recs[i], &L->t->rule_meta[i], i);
	return fwc_array_write(fd, L->recs, sizeof(*L->recs), n);
}

/*
 * The first target that runs a set gives its flow table (a load may
 * gather interfaces of several sets: the others' flows start afresh).
 */
static int flows_reuse(struct load *L)
{
	const struct fwc_set *old = NULL;
	int err;

	L->ct_src = -1;
	for (int i = 0; i < L->n && !old; i++) {
		if (L->tg[i].old.prog < 0)
			continue;
		old = &L->tg[i].old;
		L->ct_src = i;
	}
	err = fwc_flows_reuse(L->skel, old, L->o->max_flows, &L->t->meta,
			      &L->old_rules);
	if (err < 0) {
		fprintf(stderr, "fwc: cannot carry the flow table over: %s\n",
			strerror(-err));
		return err;
	}
	if (!err)
		L->ct_src = -1;
	return 0;
}

/* ct_remap: the old set's rule ids -> ours, as its counters carry over. */
static int flows_remap(struct load *L)
{
	const int64_t *map = NULL;
	uint32_t id;
	int err;

	if (L->ct_src < 0)
		return 0;
	id = fwc_obj_id(L->tg[L->ct_src].old.maps[FWC_M_COUNTERS]);
	for (int j = 0; j < L->n_donors; j++)
		if (fwc_obj_id(L->donors[j].counters) == id)
			map = L->donors[j].map;
	err = fwc_flows_remap(L->set.maps[FWC_M_CT_REMAP], map, L->old_rules);
	if (err)
		fprintf(stderr, "fwc: cannot fill ct_remap: %s\n",
			strerror(-err));
	return err;
}

/*
 * Before the swap, with --flush-flows: the flows the new policy will not
 * admit. The new program may flush them before the walk after the swap
 * sees them; the report counts them all the same.
 */
static void flows_doomed(struct load *L)
{
	struct fwc_flows_ctx c = {
		.ct = L->set.maps[FWC_M_CT],
		.t = L->t,
		.flush = true,
	};

	if (L->ct_src < 0 || !L->o->flush_flows)
		return;
	if (fwc_flows_doomed(&c, &L->doomed, &L->n_doomed))
		L->n_doomed = 0;
}

/* After the swap: the rest of the old generation's flows move over. */
static void flows_migrate(struct load *L)
{
	struct fwc_flows_ctx c = {
		.ct = L->set.maps[FWC_M_CT],
		.remap = L->set.maps[FWC_M_CT_REMAP],
		.t = L->t,
		.flush = L->o->flush_flows,
		.doomed = L->doomed,
		.n_doomed = L->n_doomed,
	};
	int err;

	if (L->ct_src < 0)
		return;
	err = fwc_flows_migrate(&c, &L->walk);
	if (err)
		fprintf(stderr,
			"fwc: warning: cannot walk the flow table: %s; "
			"flows of removed rules count as "
			"orphan-flow\n",
			strerror(-err));
}

/* The new set's fds, duplicated so that the set outlives the skeleton. */
static int set_from_skel(struct load *L)
{
	struct bpf_object *obj = L->skel->obj;

	L->set.prog = dup(bpf_program__fd(L->skel->progs.fwc_xdp));
	if (L->set.prog < 0)
		return -errno;
	for (int i = 0; i < FWC_M_INFO; i++) {
		struct bpf_map *m =
			bpf_object__find_map_by_name(obj, fwc_map_names[i]);

		if (!m) {
			fprintf(stderr, "fwc: the XDP object has no map %s\n",
				fwc_map_names[i]);
			return -ENOENT;
		}
		L->set.maps[i] = dup(bpf_map__fd(m));
		if (L->set.maps[i] < 0)
			return -errno;
	}
	return 0;
}

static int build(struct load *L)
{
	int err;

	L->skel = fwc_bpf__open();
	if (!L->skel) {
		err = -errno;
		fprintf(stderr, "fwc: cannot open the XDP object: %s\n",
			strerror(errno));
		return err;
	}
	err = fwc_maps_size(L->skel, L->t);
	if (err) {
		fprintf(stderr, "fwc: cannot size the maps: %s\n",
			strerror(-err));
		return err;
	}
	err = flows_reuse(L);
	if (err)
		return err;
	/* The deny log's buffer goes on too, for a fwc log --follow. */
	for (int i = 0; i < L->n; i++) {
		if (L->tg[i].old.prog < 0)
			continue;
		err = fwc_log_reuse(L->skel, &L->tg[i].old);
		if (err) {
			fprintf(stderr,
				"fwc: cannot carry the log buffer "
				"over: %s\n",
				strerror(-err));
			return err;
		}
		break;
	}
	err = fwc_bpf__load(L->skel);
	if (err) {
		fprintf(stderr,
			"fwc: the kernel refused the XDP program or "
			"its maps: %s (fwc load --verbose shows the "
			"verifier log)\n",
			strerror(-err));
		return err;
	}
	err = fwc_maps_fill(L->skel, L->t);
	if (err) {
		fprintf(stderr, "fwc: cannot fill the maps: %s\n",
			strerror(-err));
		return err;
	}
	return set_from_skel(L);
}

static int pin_new(struct load *L)
{
	for (int i = 0; i < L->n; i++) {
		struct target *tg = &L->tg[i];
		struct stat st;
		int err;

		tg->made_dir = stat(tg->dir, &st) != 0;
		err = fwc_set_pin(&L->set, -1, tg->dir, FWC_PIN_NEW);
		if (err)
			return err;
	}
	return 0;
}

/* Sum over CPUs of counters 0..n-1 of per-CPU array @fd. */
int fwc_counters_read(int fd, uint32_t n, struct fwc_counter *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct fwc_counter *v;
	int err;

	if (ncpu < 1)
		return -EINVAL;
	/* One batch for all counters: per-element reads cost a syscall
	 * each, 0.3 s for 100k rules. */
	v = calloc((size_t)n * ncpu + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = fwc_array_read(fd, v, sizeof(*v) * ncpu, n);
	for (uint32_t k = 0; k < n; k++) {
		memset(&out[k], 0, sizeof(out[k]));
		for (int c = 0; c < ncpu && !err; c++) {
			out[k].packets += v[(size_t)k * ncpu + c].packets;
			out[k].bytes += v[(size_t)k * ncpu + c].bytes;
		}
	}
	free(v);
	return err;
}

int fwc_set_counters(const struct fwc_set *s, uint32_t n,
		     struct fwc_counter *out)
{
	struct fwc_counter *base;
	int err = fwc_counters_read(s->maps[FWC_M_COUNTERS], n, out);

	if (err || s->maps[FWC_M_CARRIED] < 0)
		return err;
	base = calloc(n + 1, sizeof(*base));
	if (!base)
		return -ENOMEM;
	err = fwc_array_read(s->maps[FWC_M_CARRIED], base, sizeof(*base), n);
	for (uint32_t k = 0; !err && k < n; k++) {
		out[k].packets += base[k].packets;
		out[k].bytes += base[k].bytes;
	}
	free(base);
	return err;
}

/* Old rules sorted by label or by text hash, to match new ones quickly. */
struct rule_ref {
	const struct fwc_rule_record *r;
	uint32_t id;
};

static int cmp_key(const struct fwc_rule_record *a,
		   const struct fwc_rule_record *b, bool by_label)
{
	if (by_label)
		return strcmp(a->label, b->label);
	return memcmp(a->text_sha256, b->text_sha256, sizeof(a->text_sha256));
}

static int cmp_label(const void *a, const void *b)
{
	const struct rule_ref *x = a, *y = b;
	int c = cmp_key(x->r, y->r, true);

	return c ? c : (x->id > y->id) - (x->id < y->id);
}

static int cmp_text(const void *a, const void *b)
{
	const struct rule_ref *x = a, *y = b;
	int c = cmp_key(x->r, y->r, false);

	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* The first old rule (in policy order) with @r's key not yet given away. */
static int64_t match_old(const struct rule_ref *refs, size_t n,
			 const struct fwc_rule_record *r, bool by_label,
			 const int64_t *map)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* lower bound of the key */
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_key(refs[mid].r, r, by_label) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && !cmp_key(refs[lo].r, r, by_label); lo++)
		if (map[refs[lo].id] < 0)
			return refs[lo].id;
	return -1;
}

/*
 * Which old counter goes to which new one: the reserved counters always,
 * rule 0 when its text is the same ("default deny" does not hand its count
 * to "default allow"), other rules by label first, then by normalised text,
 * each old rule to one new rule at most.
 */
static int donor_map(struct load *L, struct donor *d,
		     const struct fwc_rule_record *old)
{
	uint32_t n_new = L->t->meta.n_rules;
	struct rule_ref *refs = calloc(d->n_rules + 1, sizeof(*refs));
	bool *done = calloc(n_new + 1, sizeof(*done));
	int err = 0;

	if (!refs || !done) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t k = 0; k < FWC_RSV_COUNT; k++)
		d->map[d->n_rules + 1 + k] = n_new + 1 + k;
	if (!cmp_key(&old[0], &L->recs[0], false))
		d->map[0] = 0;
	for (int by_label = 1; by_label >= 0; by_label--) {
		size_t n = 0;

		for (uint32_t j = 1; j <= d->n_rules; j++)
			if (d->map[j] < 0 && (!by_label || old[j].has_label))
				refs[n++] = (struct rule_ref){ &old[j], j };
		qsort(refs, n, sizeof(*refs), by_label ? cmp_label : cmp_text);
		for (uint32_t i = 1; i <= n_new; i++) {
			const struct fwc_rule_record *r = &L->recs[i];
			int64_t j;

			if (done[i] || (by_label && !r->has_label))
				continue;
			j = match_old(refs, n, r, by_label, d->map);
			if (j > 0) {
				d->map[j] = i;
				done[i] = true;
			}
		}
	}
out:
	free(refs);
	free(done);
	return err;
}

static bool in_targets(const struct load *L, const char *name)
{
	for (int i = 0; i < L->n; i++)
		if (!strcmp(L->tg[i].name, name))
			return true;
	return false;
}

static int donor_init(struct load *L, struct donor *d, const struct target *tg)
{
	struct fwc_rule_record *old = NULL;
	struct fwc_meta meta;
	struct fwc_info info;
	uint32_t k = 0, n;
	int err = 0;

	d->set = tg->old;
	d->counters = tg->old.maps[FWC_M_COUNTERS];
	d->rule_meta = tg->old.maps[FWC_M_RULE_META];
	d->info = tg->old.maps[FWC_M_INFO];
	if (bpf_map_lookup_elem(tg->old.maps[FWC_M_META], &k, &meta) ||
	    bpf_map_lookup_elem(d->info, &k, &info))
		return -errno;
	d->n_rules = meta.n_rules;
	d->retired = true;
	for (uint32_t i = 0; i < info.n_ifaces && i < FWC_INFO_IFACES; i++)
		if (!in_targets(L, info.ifaces[i].name))
			d->retired = false;
	n = n_counters(d->n_rules);
	d->map = malloc(n * sizeof(*d->map));
	d->snap = calloc(n, sizeof(*d->snap));
	old = calloc(d->n_rules + 1, sizeof(*old));
	if (!d->map || !d->snap || !old) {
		err = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++)
		d->map[i] = -1;
	if (fwc_array_read(d->rule_meta, old, sizeof(*old), d->n_rules + 1))
		memset(old, 0, (d->n_rules + 1) * sizeof(*old));
	err = donor_map(L, d, old);
out:
	free(old);
	return err;
}

/* One donor per distinct old set (targets may share one). */
static int donors_init(struct load *L)
{
	L->donors = calloc((size_t)L->n + 1, sizeof(*L->donors));
	if (!L->donors)
		return -ENOMEM;
	for (int i = 0; i < L->n; i++) {
		const struct target *tg = &L->tg[i];
		uint32_t id = fwc_obj_id(tg->old.maps[FWC_M_COUNTERS]);
		bool seen = false;
		int err;

		if (tg->old.prog < 0 || !id)
			continue;
		for (int j = 0; j < L->n_donors; j++)
			seen |= fwc_obj_id(L->donors[j].counters) == id;
		if (seen)
			continue;
		err = donor_init(L, &L->donors[L->n_donors++], tg);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Counters carry over exactly. A firewall's counters are evidence, so not
 * one packet may be lost or counted twice across a reload, however busy.
 *
 * The datapath increments its own CPU's slot of `counters` without
 * atomics; a loader that read-modify-writes such a slot while the program
 * runs loses the program's increments of that moment (2-9 packets over
 * 100 reloads at 100 kpps, before this design). So the loader never writes
 * `counters`. What earlier loads counted goes into `carried`, an array of
 * the set that only the loader writes and no program reads, and a rule's
 * count is counters (summed over CPUs) + carried: fwc stats, metrics and
 * bpftool users add the two (fwc_set_counters).
 *
 * Before the swap, carried = the donors' totals (their counters + their
 * own carried) at a snapshot, mapped to the new ids; then the swap. The
 * old program counts on after the snapshot, until the link runs the new
 * one, and a CPU that fetched the old program just before the swap may
 * still finish a packet after it: rcu_sync() waits until every such run
 * has returned (XDP runs inside an RCU read-side section). After that the
 * old counters of a set that runs nowhere else (retired) are final: the
 * loader reads them once and adds (final - snapshot) to carried, which it
 * alone writes. Every packet the old program counted is then in carried,
 * once; every packet the new one counts is in counters. A donor that
 * still runs elsewhere keeps counting there: its later packets stay its
 * own, and only the snapshot carries over.
 */
static int carry_snapshot(struct load *L)
{
	uint32_t n_new = n_counters(L->t->meta.n_rules);
	bool *hit = calloc(L->t->meta.n_rules + 1, sizeof(*hit));
	int err = 0;

	L->carried = calloc(n_new, sizeof(*L->carried));
	if (!L->carried || !hit) {
		err = -ENOMEM;
		goto out;
	}
	for (int j = 0; j < L->n_donors; j++) {
		struct donor *d = &L->donors[j];
		uint32_t n = n_counters(d->n_rules);

		err = fwc_set_counters(&d->set, n, d->snap);
		if (err)
			goto out;
		for (uint32_t k = 0; k < n; k++) {
			if (d->map[k] < 0)
				continue;
			L->carried[d->map[k]].packets += d->snap[k].packets;
			L->carried[d->map[k]].bytes += d->snap[k].bytes;
			if (d->map[k] > 0 && d->map[k] <= L->t->meta.n_rules)
				hit[d->map[k]] = true;
		}
	}
	/* No program reads carried: a plain write of the whole array. */
	err = fwc_array_write(L->set.maps[FWC_M_CARRIED], L->carried,
			      sizeof(*L->carried), n_new);
	for (uint32_t i = 1; i <= L->t->meta.n_rules; i++)
		L->n_carried += hit[i];
out:
	free(hit);
	return err;
}

/*
 * Returns when no CPU runs a BPF program it fetched before the call. The
 * kernel waits for an RCU grace period (synchronize_rcu) after each
 * update of a map-in-map element, so that "all non-sleepable programs
 * that could be running use the new map value" when the update returns
 * (maybe_wait_bpf_programs, kernel/bpf/syscall.c); an XDP program runs
 * in NAPI or softirq context, an RCU read-side section. Without map-in-map
 * (no such kernel fwc runs on), membarrier(MEMBARRIER_CMD_GLOBAL) is a
 * synchronize_rcu too.
 */
static int rcu_sync(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, o);
	int inner, outer, err = 0;
	uint32_t k = 0;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fwc_sync", sizeof(k),
			       sizeof(k), 1, NULL);
	o.inner_map_fd = inner;
	outer = inner < 0 ?
			-1 :
			bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "fwc_sync",
				       sizeof(k), sizeof(k), 1, &o);
	if (outer < 0 || bpf_map_update_elem(outer, &k, &inner, BPF_ANY)) {
		if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
			err = -errno;
	}
	if (outer >= 0)
		close(outer);
	if (inner >= 0)
		close(inner);
	return err;
}

/* After the swap: what retired donors counted since the snapshot. */
static void carry_delta(struct load *L)
{
	uint32_t n_new = n_counters(L->t->meta.n_rules);
	bool any = false, synced = false;
	int err = 0;

	for (int j = 0; j < L->n_donors; j++)
		any |= L->donors[j].retired;
	if (!any || !L->carried)
		return;
	err = rcu_sync();
	synced = !err;
	for (int j = 0; !err && j < L->n_donors; j++) {
		struct donor *d = &L->donors[j];
		uint32_t n = n_counters(d->n_rules);
		struct fwc_counter *fin;

		if (!d->retired)
			continue;
		fin = calloc(n, sizeof(*fin));
		err = fin ? fwc_set_counters(&d->set, n, fin) : -ENOMEM;
		for (uint32_t k = 0; !err && k < n; k++) {
			if (d->map[k] < 0)
				continue;
			L->carried[d->map[k]].packets +=
				fin[k].packets - d->snap[k].packets;
			L->carried[d->map[k]].bytes +=
				fin[k].bytes - d->snap[k].bytes;
		}
		free(fin);
	}
	if (!err)
		err = fwc_array_write(L->set.maps[FWC_M_CARRIED], L->carried,
				      sizeof(*L->carried), n_new);
	if (err)
		fprintf(stderr,
			"fwc: warning: %s: the counters of the last moments "
			"of the previous policy did not carry over\n",
			synced ? strerror(-err) :
				 "cannot wait for the previous program");
}

static void rollback(struct load *L)
{
	for (int i = 0; i < L->n; i++) {
		struct target *tg = &L->tg[i];
		int err = 0;

		if (tg->swapped && !tg->new_link)
			err = fwc_link_swap(tg->link, tg->old.prog,
					    L->set.prog);
		if (err)
			fprintf(stderr,
				"fwc: %s: cannot restore the previous "
				"program: %s\n",
				tg->name, strerror(-err));
		if (tg->new_link) {
			fwc_link_detach(tg->link);
			close(tg->link);
			tg->link = -1;
			tg->new_link = false;
		}
		tg->swapped = false;
	}
}

/*
 * Attach where nothing runs yet (the step most likely to fail, so it goes
 * first), then swap the program under the existing links.
 */
static int swap(struct load *L)
{
	char mode[FWC_MODE_LEN];
	int err = 0;

	for (int i = 0; !err && i < L->n; i++) {
		struct target *tg = &L->tg[i];

		if (tg->link >= 0)
			continue;
		err = fwc_attach(L->set.prog, tg->ifindex, tg->name, L->o->mode,
				 mode);
		if (err >= 0) {
			tg->link = err;
			tg->new_link = tg->swapped = true;
			err = fwc_pin_obj(tg->link, tg->dir, FWC_PIN_LINK,
					  FWC_PIN_NEW);
		}
	}
	for (int i = 0; err >= 0 && i < L->n; i++) {
		struct target *tg = &L->tg[i];

		if (tg->swapped)
			continue;
		err = fwc_link_swap(tg->link, L->set.prog, tg->old.prog);
		if (err)
			fprintf(stderr,
				"fwc: %s: the kernel refused to swap "
				"the program: %s\n",
				tg->name, strerror(-err));
		else
			tg->swapped = true;
	}
	if (err < 0) {
		rollback(L);
		return err;
	}
	return 0;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static int info_write(struct load *L)
{
	struct fwc_info info = { .abi_version = FWC_ABI_VERSION };
	char *abs = realpath(L->o->policy, NULL);
	uint32_t k = 0;

	info.n_rules = L->t->meta.n_rules;
	info.loaded_at = (uint64_t)time(NULL);
	hex(L->t->source_sha256, sizeof(L->t->source_sha256), info.sha256);
	snprintf(info.policy, sizeof(info.policy), "%s",
		 abs ? abs : L->o->policy);
	snprintf(info.source, sizeof(info.source), "%s",
		 L->t->source ? L->t->source : "");
	free(abs);
	info.n_ifaces = (uint32_t)L->n;
	for (int i = 0; i < L->n; i++) {
		const char *mode = current_mode(L->tg[i].ifindex);

		snprintf(info.ifaces[i].name, sizeof(info.ifaces[i].name), "%s",
			 L->tg[i].name);
		info.ifaces[i].ifindex = (uint32_t)L->tg[i].ifindex;
		snprintf(info.ifaces[i].mode, sizeof(info.ifaces[i].mode), "%s",
			 mode ? mode : "?");
	}
	if (bpf_map_update_elem(L->set.maps[FWC_M_INFO], &k, &info, BPF_ANY))
		return -errno;
	return 0;
}

int fwc_info_forget(int fd, const char *iface)
{
	struct fwc_info info;
	uint32_t k = 0, w = 0;

	if (bpf_map_lookup_elem(fd, &k, &info))
		return -errno;
	for (uint32_t i = 0; i < info.n_ifaces && i < FWC_INFO_IFACES; i++)
		if (strcmp(info.ifaces[i].name, iface))
			info.ifaces[w++] = info.ifaces[i];
	if (w == info.n_ifaces)
		return 0;
	memset(&info.ifaces[w], 0, (info.n_ifaces - w) * sizeof(*info.ifaces));
	info.n_ifaces = w;
	return bpf_map_update_elem(fd, &k, &info, BPF_ANY) ? -errno : 0;
}

/* Old sets that keep running elsewhere no longer list the moved ifaces. */
static void forget_moved(struct load *L)
{
	for (int j = 0; j < L->n_donors; j++) {
		if (L->donors[j].retired)
			continue;
		for (int i = 0; i < L->n; i++)
			fwc_info_forget(L->donors[j].info, L->tg[i].name);
	}
}

static int commit(struct load *L)
{
	int err = 0;

	for (int i = 0; i < L->n; i++) {
		int e = fwc_pin_commit(L->tg[i].dir, FWC_PIN_NEW,
				       L->tg[i].new_link);

		err = err ? err : e;
	}
	return err;
}

static void report(const struct load *L)
{
	char sha[65];

	hex(L->t->source_sha256, sizeof(L->t->source_sha256), sha);
	printf("fwc: loaded %s (%u rules, sha256 %.16s) on", L->o->policy,
	       L->t->meta.n_rules, sha);
	for (int i = 0; i < L->n; i++) {
		const char *mode = current_mode(L->tg[i].ifindex);

		printf("%s %s (%s%s)", i ? "," : "", L->tg[i].name,
		       mode ? mode : "?",
		       L->tg[i].new_link ? "" : ", replaced");
	}
	printf("\n");
	if (L->n_donors)
		printf("fwc: counters of %u surviving rules carried over\n",
		       L->n_carried);
	if (L->ct_src < 0)
		return;
	printf("fwc: %u flows kept", L->walk.live - L->walk.flushed);
	if (L->walk.orphans)
		printf(", %u of removed rules (counted as orphan-flow; "
		       "--flush-flows drops them)",
		       L->walk.orphans);
	if (L->o->flush_flows)
		printf(", %u the new policy denies flushed", L->walk.flushed);
	printf("\n");
}

/*
 * The record maps (the rules' labels and texts, the load's info) and the
 * counter carry-over plan (donors) do not depend on the program: a thread
 * makes them while build() loads and fills it. At 100k rules the records
 * are 56 MB that the kernel zeroes, and matching 100k old rules takes
 * 0.1 s. The thread writes only L->side, L->recs and L->donors, which
 * nothing else touches before side_join().
 */
static void *side_run(void *arg)
{
	struct load *L = arg;
	int err = fwc_records_create(&L->side, L->t->meta.n_rules);

	if (!err)
		err = records_fill(L);
	if (!err)
		err = donors_init(L);
	L->side_err = err;
	return NULL;
}

static void side_start(struct load *L)
{
	if (!pthread_create(&L->side_thread, NULL, side_run, L))
		L->side_running = true;
	else
		side_run(L);
}

/* Waits for side_run(); its maps join the new set. */
static int side_join(struct load *L)
{
	if (L->side_running)
		pthread_join(L->side_thread, NULL);
	L->side_running = false;
	for (int i = FWC_M_INFO; i <= FWC_M_CARRIED; i++) {
		L->set.maps[i] = L->side.maps[i];
		L->side.maps[i] = -1;
	}
	return L->side_err;
}

static void cleanup(struct load *L, bool failed)
{
	if (L->side_running)
		side_join(L);
	if (L->recording)
		fwc_state_end(&L->rec, NULL, 0, false);
	for (int i = 0; L->tg && i < L->n; i++) {
		struct target *tg = &L->tg[i];

		if (failed && tg->dir[0]) {
			fwc_pin_discard(tg->dir, FWC_PIN_NEW);
			if (tg->made_dir)
				rmdir(tg->dir);
		}
		if (tg->link >= 0)
			close(tg->link);
		fwc_set_close(&tg->old);
	}
	for (int j = 0; L->donors && j < L->n_donors; j++) {
		free(L->donors[j].map);
		free(L->donors[j].snap);
	}
	free(L->donors);
	free(L->carried);
	free(L->doomed);
	free(L->tg);
	free(L->recs);
	fwc_set_close(&L->set);
	fwc_bpf__destroy(L->skel);
	fwc_tables_free(L->t);
}

int fwc_load(const struct fwc_load_opts *o)
{
	struct fwc_compile_opts copts = {
		.warnings = false,
		.max_table_memory = o->max_table_memory,
		.layout = (enum fwc_layout)o->layout,
	};
	struct load L = { .o = o, .ct_src = -1 };
	int err, lock = -1;

	fwc_set_init(&L.set);
	fwc_set_init(&L.side);
	err = targets_init(&L);
	if (err)
		goto out;
	err = fwc_tables_open(o->policy, &copts, &L.t);
	if (err) {
		/* The compiler has said why. */
		fprintf(stderr,
			"fwc: %s not loaded; what runs stays as it "
			"was\n",
			o->policy);
		goto out;
	}
	if (o->audit)
		L.t->meta.flags |= FWC_META_AUDIT;
	err = o->check ? o->check(o, L.t) : 0;
	if (err)
		goto out;
	/* An artifact that audit mode did not change is its own record. */
	fwc_state_begin(&L.rec, L.t,
			!o->audit && fwc_artifact_probe(o->policy) ? o->policy :
								     NULL);
	L.recording = true;
	/*
	 * After the record's copy of the tables: a rollback to them later
	 * flushes nothing. The new program checks older flows itself.
	 */
	if (o->flush_flows)
		L.t->meta.flags |= FWC_META_FLUSH_FLOWS;
	err = fwc_pin_prepare(o->root);
	if (!err) {
		lock = fwc_pin_lock(o->root);
		err = lock < 0 ? lock : 0;
	}
	if (!err)
		err = targets_old(&L);
	if (!err) {
		side_start(&L);
		err = build(&L);
		/* Joined even when build() failed: cleanup frees its work. */
		if (side_join(&L) && !err)
			err = L.side_err;
	}
	if (!err)
		err = pin_new(&L);
	if (!err)
		err = flows_remap(&L);
	if (!err)
		err = carry_snapshot(&L);
	if (!err)
		flows_doomed(&L);
	if (!err)
		err = swap(&L);
	if (err)
		goto out;

	/* The new policy enforces now; what follows cannot undo that. */
	L.enforcing = true;
	carry_delta(&L);
	flows_migrate(&L);
	if (info_write(&L))
		fprintf(stderr, "fwc: warning: cannot record the load in the "
				"info map; fwc status will be incomplete\n");
	forget_moved(&L);
	err = commit(&L);
	if (err)
		fprintf(stderr,
			"fwc: the new policy runs, but its pins are "
			"incomplete under %s\n",
			o->root);
	else
		report(&L);
	if (!err && (L.t->meta.flags & FWC_META_AUDIT))
		printf("fwc: audit mode: what the policy would drop passes, "
		       "counted as would-drop and logged (fwc log)\n");
	/* What a later fwc load --confirm rolls back to. */
	L.recording = false;
	if (fwc_state_end(&L.rec, o->ifaces, o->n_ifaces, !err) && !err)
		fprintf(stderr,
			"fwc: warning: cannot keep the tables in %s: "
			"a later load --confirm cannot roll back to "
			"them\n",
			getenv(FWC_STATE_ENV) ? getenv(FWC_STATE_ENV) :
						FWC_STATE_DEFAULT);
out:
	cleanup(&L, !L.enforcing);
	if (lock >= 0)
		close(lock);
	return err;
}

/*
 * Detach now, whoever else holds the link. Only the link of @iface in this
 * network namespace, or one already detached (its interface is gone).
 */
static int unload_detach(int link, const char *iface, const char *dir)
{
	uint32_t ifindex, prog_id;
	const char *mode;
	int err;

	if (fwc_link_query(link, &ifindex, &prog_id) || !ifindex)
		return 0;
	if (ifindex != if_nametoindex(iface) ||
	    current_prog((int)ifindex, &mode) != prog_id) {
		fprintf(stderr,
			"fwc: %s holds the link of another interface, "
			"maybe in another network namespace: run fwc "
			"unload there\n",
			dir);
		return -EEXIST;
	}
	err = fwc_link_detach(link);
	if (err)
		fprintf(stderr, "fwc: %s: cannot detach: %s\n", iface,
			strerror(-err));
	return err;
}

static int unload_one(const char *root, const char *iface)
{
	char dir[PATH_MAX];
	struct stat st;
	int link, info, err;

	if (fwc_pin_dir(root, iface, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	if (stat(dir, &st)) {
		fprintf(stderr,
			"fwc: %s: no fwc policy loaded (nothing "
			"pinned in %s)\n",
			iface, dir);
		return -ENOENT;
	}
	link = fwc_pin_link(dir);
	if (link >= 0) {
		err = unload_detach(link, iface, dir);
		close(link);
		if (err)
			return err;
	}
	info = fwc_pin_get(dir, fwc_map_names[FWC_M_INFO]);
	if (info >= 0) {
		fwc_info_forget(info, iface);
		close(info);
	}
	err = fwc_pin_remove_dir(dir);
	if (!err)
		printf("fwc: unloaded %s\n", iface);
	return err;
}

int fwc_unload(const char *root, char **ifaces, int n_ifaces)
{
	int err = 0, lock = fwc_pin_lock(root);

	for (int i = 0; i < n_ifaces; i++) {
		int e = unload_one(root, ifaces[i]);

		err = err ? err : e;
	}
	if (lock >= 0)
		close(lock);
	return err;
}
