// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The flow table of a load (bpf/ct.h): carried over reloads, moved to the
 * new rule ids, flushed on request, and listed by `fwc flows`.
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
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "diag.h"
#include "fwc.skel.h"
#include "kernel.h"
#include "maps.h"
#include "tables.h"

#define NSEC 1000000000ull

const char *const fwc_usage_flows =
	"usage: fwc flows [IFACE...] [--json] [--flush] [--bpffs DIR]\n"
	"  The flows connection tracking follows (set state on): protocol,\n"
	"  the endpoints as the opening packet had them, state, age, time\n"
	"  since the last packet, and the rule that admitted the flow (its id,\n"
	"  then label or text; orphan: a reload removed it). Interfaces of one\n"
	"  load share one table, shown once. Expired entries are left out.\n"
	"  --json        one object per table, with its interfaces and flows\n"
	"  --flush       forget every flow of the selected tables: their next\n"
	"                packets meet the rules as new ones\n"
	"  Plain bpftool works too: bpftool map dump pinned DIR/IFACE/ct\n";

static uint64_t mono_ns(void)
{
	struct timespec ts;

	/* The datapath's clock: bpf_ktime_get_coarse_ns(). */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static bool ct_live(const struct fwc_meta *m, const struct fwc_ct_val *v,
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
static int all_keys(int fd, struct fwc_ct_key **out, size_t *n_out)
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
static uint32_t remapped(int remap, const struct fwc_ct_val *v, uint32_t gen)
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

	if (bpf_map_lookup_elem(c->ct, k, &v) || !ct_live(m, &v, now))
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
	id = v.gen == m->gen ? FWC_CT_NO_RULE : remapped(c->remap, &v, m->gen);
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
	uint64_t now = mono_ns();
	struct fwc_ct_val v;
	size_t w = 0;
	int err = all_keys(c->ct, keys, n);

	if (err)
		return err;
	for (size_t i = 0; i < *n; i++)
		if (!bpf_map_lookup_elem(c->ct, &(*keys)[i], &v) &&
		    ct_live(&c->t->meta, &v, now) &&
		    admits(c->t, &(*keys)[i], &v) == FWC_CT_NO_RULE)
			(*keys)[w++] = (*keys)[i];
	*n = w;
	return 0;
}

int fwc_flows_migrate(const struct fwc_flows_ctx *c, struct fwc_flows_walk *w)
{
	struct fwc_ct_key *keys;
	uint64_t now = mono_ns();
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
	err = all_keys(c->ct, &keys, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		migrate_one(c, &keys[i], now, w);
	free(keys);
	return 0;
}

/* ---- fwc flows --------------------------------------------------------- */

/* One flow table and the pins that say what its entries mean. */
struct table {
	char ifaces[FWC_INFO_IFACES * (FWC_IFNAME_LEN + 1)];
	uint32_t ct_id;
	int ct, frags, meta, rule_meta, remap;
	struct fwc_info info;
};

static void table_close(struct table *t)
{
	int *fds[] = { &t->ct, &t->frags, &t->meta, &t->rule_meta, &t->remap };

	for (size_t i = 0; i < sizeof(fds) / sizeof(*fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

static bool wanted(const char *name, char **ifaces, int n)
{
	if (!n)
		return true;
	for (int i = 0; i < n; i++)
		if (!strcmp(name, ifaces[i]))
			return true;
	return false;
}

/* Opens @dir's table pins into @t; -errno when one is missing. */
static int table_open(const char *dir, struct table *t)
{
	static const int which[] = { FWC_M_CT, FWC_M_FRAGS, FWC_M_META,
				     FWC_M_RULE_META, FWC_M_CT_REMAP };
	int *fds[] = { &t->ct, &t->frags, &t->meta, &t->rule_meta, &t->remap };
	uint32_t k = 0;
	int info;

	for (size_t i = 0; i < sizeof(fds) / sizeof(*fds); i++)
		*fds[i] = -1;
	for (size_t i = 0; i < sizeof(fds) / sizeof(*fds); i++) {
		*fds[i] = fwc_pin_get(dir, fwc_map_names[which[i]]);
		if (*fds[i] < 0)
			return *fds[i];
	}
	info = fwc_pin_get(dir, fwc_map_names[FWC_M_INFO]);
	if (info >= 0) {
		bpf_map_lookup_elem(info, &k, &t->info);
		close(info);
	}
	t->ct_id = fwc_obj_id(t->ct);
	return 0;
}

/* The distinct tables of the interfaces pinned under @root. */
static int tables_list(const char *root, char **ifaces, int n_ifaces,
		       struct table **out, int *n_out)
{
	struct dirent **ents = NULL;
	struct table *t;
	int n = scandir(root, &ents, NULL, alphasort), k = 0, err = 0;

	if (n < 0)
		n = 0;
	t = calloc(n ? n : 1, sizeof(*t));
	if (!t) {
		err = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		char name[NAME_MAX + 1], dir[PATH_MAX];
		struct table cur;
		int j;

		fwc_pin_iface(ents[i]->d_name, name, sizeof(name));
		if (name[0] == '.' || !wanted(name, ifaces, n_ifaces) ||
		    fwc_pin_dir(root, name, dir, sizeof(dir)))
			continue;
		memset(&cur, 0, sizeof(cur));
		if (table_open(dir, &cur)) {
			fprintf(stderr,
				"fwc: %s: no flow table pinned in %s "
				"(an fwc older than state, or not "
				"loaded)\n",
				name, dir);
			table_close(&cur);
			err = -ENOENT;
			continue;
		}
		for (j = 0; j < k && t[j].ct_id != cur.ct_id; j++)
			;
		if (j == k)
			t[k++] = cur;
		else
			table_close(&cur);
		snprintf(t[j].ifaces + strlen(t[j].ifaces),
			 sizeof(t[j].ifaces) - strlen(t[j].ifaces), "%s%s",
			 t[j].ifaces[0] ? " " : "", name);
	}
	for (int i = 0; i < n_ifaces; i++) {
		bool found = false;

		for (int j = 0; j < n; j++) {
			char name[NAME_MAX + 1];

			fwc_pin_iface(ents[j]->d_name, name, sizeof(name));
			found |= !strcmp(name, ifaces[i]);
		}
		if (!found) {
			fprintf(stderr,
				"fwc: %s: no fwc policy loaded "
				"(nothing pinned under %s)\n",
				ifaces[i], root);
			err = -ENOENT;
		}
	}
out:
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	*out = t;
	*n_out = k;
	return err;
}

struct row {
	struct fwc_ct_key k;
	struct fwc_ct_val v;
	uint32_t id; /* counter id now, NO_RULE for an orphan */
};

static int cmp_created(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return (x->v.created > y->v.created) - (x->v.created < y->v.created);
}

/* The live entries of @t, oldest first. */
static int rows_read(const struct table *t, const struct fwc_meta *m,
		     struct row **out, size_t *n_out)
{
	struct fwc_ct_key *keys;
	uint64_t now = mono_ns();
	struct row *rows;
	size_t n, k = 0;
	int err = all_keys(t->ct, &keys, &n);

	if (err)
		return err;
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		free(keys);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct row *r = &rows[k];

		r->k = keys[i];
		if (bpf_map_lookup_elem(t->ct, &r->k, &r->v) ||
		    !ct_live(m, &r->v, now))
			continue;
		r->id = r->v.gen == m->gen ? r->v.rule :
					     remapped(t->remap, &r->v, m->gen);
		if (r->id > m->n_rules)
			r->id = FWC_CT_NO_RULE;
		k++;
	}
	free(keys);
	qsort(rows, k, sizeof(*rows), cmp_created);
	*out = rows;
	*n_out = k;
	return 0;
}

static const char *state_name(const struct fwc_ct_val *v)
{
	static const char *const names[FWC_CT_STATES] = {
		[FWC_CT_TCP_SYN_SENT] = "syn-sent",
		[FWC_CT_TCP_SYN_RECV] = "syn-recv",
		[FWC_CT_TCP_ESTABLISHED] = "established",
		[FWC_CT_TCP_FIN] = "closing",
		[FWC_CT_TCP_CLOSE] = "close",
		[FWC_CT_UDP] = "unreplied",
		[FWC_CT_UDP_REPLIED] = "replied",
		[FWC_CT_ICMP_ECHO] = "echo",
	};

	return v->state < FWC_CT_STATES && names[v->state] ? names[v->state] :
							     "?";
}

static const char *proto_name(const struct fwc_ct_key *k)
{
	switch (k->proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	default:
		return "icmp6";
	}
}

static void addr_text(const struct fwc_ct_key *k, int side, char *buf, size_t n)
{
	if (!inet_ntop(k->family == 4 ? AF_INET : AF_INET6, k->addr[side], buf,
		       (socklen_t)n))
		snprintf(buf, n, "?");
}

/* "192.0.2.1:80", "[2001:db8::1]:80", "192.0.2.1" (echo). */
static void ep_text(const struct fwc_ct_key *k, int side, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	addr_text(k, side, a, sizeof(a));
	if (k->proto == 1 || k->proto == 58)
		snprintf(buf, n, "%s", a);
	else if (k->family == 6)
		snprintf(buf, n, "[%s]:%u", a, k->port[side]);
	else
		snprintf(buf, n, "%s:%u", a, k->port[side]);
}

static void dur_text(uint64_t ns, char *buf, size_t n)
{
	uint64_t s = ns / NSEC;

	if (s < 120)
		snprintf(buf, n, "%.1fs", (double)ns / NSEC);
	else if (s < 7200)
		snprintf(buf, n, "%lum%02lus", (unsigned long)(s / 60),
			 (unsigned long)(s % 60));
	else if (s < 172800)
		snprintf(buf, n, "%luh%02lum", (unsigned long)(s / 3600),
			 (unsigned long)(s / 60 % 60));
	else
		snprintf(buf, n, "%lud%02luh", (unsigned long)(s / 86400),
			 (unsigned long)(s / 3600 % 24));
}

/* Rule @id's record; an orphan's names the orphan-flow counter. */
static void rule_record(const struct table *t, uint32_t id,
			struct fwc_rule_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	if (id == FWC_CT_NO_RULE)
		snprintf(rec->text, sizeof(rec->text), "%s",
			 fwc_rsv_name(FWC_RSV_ORPHAN));
	else if (bpf_map_lookup_elem(t->rule_meta, &id, rec))
		snprintf(rec->text, sizeof(rec->text), "rule %u", id);
}

static uint32_t max_entries(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

/* Where flow @r comes from and goes to, as the opener sent it. */
static void flow_eps(const struct row *r, char *from, char *to, size_t n)
{
	int o = r->v.orig & 1;

	ep_text(&r->k, o, from, n);
	ep_text(&r->k, !o, to, n);
	if (r->k.proto == 1 || r->k.proto == 58)
		snprintf(from + strlen(from), n - strlen(from), " id %u",
			 r->k.echo_id);
}

static void print_text(const struct table *t, const struct fwc_meta *m,
		       const struct row *rows, size_t n)
{
	uint64_t now = mono_ns();
	int wf = 4, wt = 2;

	printf("%s: %s\n  %zu flow%s (table of %u entries)%s\n", t->ifaces,
	       t->info.policy[0] ? t->info.policy : "?", n, n == 1 ? "" : "s",
	       max_entries(t->ct),
	       m->flags & FWC_META_STATE_OFF ? "; set state off: none tracked" :
					       "");
	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		char from[64], to[64];

		flow_eps(&rows[i], from, to, sizeof(from));
		wf = (int)strlen(from) > wf ? (int)strlen(from) : wf;
		wt = (int)strlen(to) > wt ? (int)strlen(to) : wt;
	}
	printf("  %-5s  %-*s  %-*s  %-11s  %7s  %7s  %s\n", "proto", wf, "from",
	       wt, "to", "state", "age", "idle", "rule");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		char from[64], to[64], age[16], idle[16], id[16];
		struct fwc_rule_record rec;

		flow_eps(r, from, to, sizeof(from));
		dur_text(now > r->v.created ? now - r->v.created : 0, age,
			 sizeof(age));
		dur_text(now > r->v.seen ? now - r->v.seen : 0, idle,
			 sizeof(idle));
		rule_record(t, r->id, &rec);
		if (r->id == FWC_CT_NO_RULE)
			snprintf(id, sizeof(id), "-");
		else
			snprintf(id, sizeof(id), "%u", r->id);
		printf("  %-5s  %-*s  %-*s  %-11s  %7s  %7s  %s %s\n",
		       proto_name(&r->k), wf, from, wt, to, state_name(&r->v),
		       age, idle, id, rec.has_label ? rec.label : rec.text);
	}
}

static void print_json(const struct table *t, const struct fwc_meta *m,
		       const struct row *rows, size_t n, bool first)
{
	uint64_t now = mono_ns();
	char buf[INET6_ADDRSTRLEN], *save = NULL, *tok, ifs[sizeof(t->ifaces)];
	struct fwc_rule_record rec;
	bool f = true;

	printf("%s{\"interfaces\":[", first ? "" : ",");
	snprintf(ifs, sizeof(ifs), "%s", t->ifaces);
	for (tok = strtok_r(ifs, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		printf("%s", f ? "" : ",");
		fwc_json_str(stdout, tok);
		f = false;
	}
	printf("],\"policy\":");
	fwc_json_str(stdout, t->info.policy);
	printf(",\"state\":\"%s\",\"flows\":[",
	       m->flags & FWC_META_STATE_OFF   ? "off" :
	       m->flags & FWC_META_STATE_LOOSE ? "loose" :
						 "on");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		int o = r->v.orig & 1;
		bool icmp = r->k.proto == 1 || r->k.proto == 58;

		printf("%s{\"family\":%u,\"proto\":\"%s\",\"src\":",
		       i ? "," : "", r->k.family, proto_name(&r->k));
		addr_text(&r->k, o, buf, sizeof(buf));
		fwc_json_str(stdout, buf);
		printf(",\"dst\":");
		addr_text(&r->k, !o, buf, sizeof(buf));
		fwc_json_str(stdout, buf);
		if (icmp)
			printf(",\"id\":%u", r->k.echo_id);
		else
			printf(",\"sport\":%u,\"dport\":%u", r->k.port[o],
			       r->k.port[!o]);
		printf(",\"state\":\"%s\",\"age\":%.3f,\"idle\":%.3f,\"rule\":",
		       state_name(&r->v),
		       (double)(now > r->v.created ? now - r->v.created : 0) /
			       NSEC,
		       (double)(now > r->v.seen ? now - r->v.seen : 0) / NSEC);
		if (r->id == FWC_CT_NO_RULE)
			printf("null");
		else
			printf("%u", r->id);
		rule_record(t, r->id, &rec);
		printf(",\"label\":");
		if (rec.has_label)
			fwc_json_str(stdout, rec.label);
		else
			printf("null");
		printf(",\"text\":");
		fwc_json_str(stdout, rec.text);
		printf("}");
	}
	printf("]}");
}

/* Forgets every flow (and cached fragment verdict) of @t. */
static int table_flush(const struct table *t)
{
	struct fwc_ct_key *keys;
	struct fwc_frag_key fk;
	size_t n, gone = 0;
	int err = all_keys(t->ct, &keys, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		gone += !bpf_map_delete_elem(t->ct, &keys[i]);
	free(keys);
	while (!bpf_map_get_next_key(t->frags, NULL, &fk))
		if (bpf_map_delete_elem(t->frags, &fk))
			break;
	printf("fwc: %s: %zu flow%s flushed\n", t->ifaces, gone,
	       gone == 1 ? "" : "s");
	return 0;
}

static int flows(const char *root, char **ifaces, int n_ifaces, bool json,
		 bool flush)
{
	struct table *t = NULL;
	int n = 0, err, e, lock = -1;

	if (flush)
		lock = fwc_pin_lock(root);
	err = tables_list(root, ifaces, n_ifaces, &t, &n);
	if (json)
		printf("[");
	else if (!n && !err)
		printf("no fwc policy loaded (nothing pinned under %s)\n",
		       root);
	for (int i = 0; i < n; i++) {
		struct fwc_meta m;
		struct row *rows;
		uint32_t k = 0;
		size_t nr;

		if (flush) {
			e = table_flush(&t[i]);
			err = err ? err : e;
			continue;
		}
		memset(&m, 0, sizeof(m));
		if (bpf_map_lookup_elem(t[i].meta, &k, &m) ||
		    rows_read(&t[i], &m, &rows, &nr)) {
			fprintf(stderr, "fwc: %s: cannot read the flow table\n",
				t[i].ifaces);
			err = -EIO;
			continue;
		}
		if (json) {
			print_json(&t[i], &m, rows, nr, i == 0);
		} else {
			if (i)
				printf("\n");
			print_text(&t[i], &m, rows, nr);
		}
		free(rows);
	}
	if (json)
		printf("]\n");
	for (int i = 0; i < n; i++)
		table_close(&t[i]);
	free(t);
	if (lock >= 0)
		close(lock);
	return err;
}

int fwc_cmd_flows(int argc, char **argv)
{
	enum {
		OPT_JSON = 0x100,
		OPT_FLUSH,
		OPT_BPFFS
	};
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "flush", no_argument, NULL, OPT_FLUSH },
		{ "bpffs", required_argument, NULL, OPT_BPFFS },
		{ NULL, 0, NULL, 0 },
	};
	const char *bpffs = NULL;
	bool json = false, flush = false;
	int c;

	optind = 0; /* full reset: fwc.c may have used getopt */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_FLUSH:
			flush = true;
			break;
		case OPT_BPFFS:
			bpffs = optarg;
			break;
		default:
			fputs(fwc_usage_flows, stderr);
			return FWC_EXIT_ERR;
		}
	}
	if (json && flush) {
		fputs(fwc_usage_flows, stderr);
		return FWC_EXIT_ERR;
	}
	libbpf_set_print(fwc_libbpf_quiet);
	return flows(fwc_pin_root(bpffs), argv + optind, argc - optind, json,
		     flush) ?
		       FWC_EXIT_ERR :
		       0;
}
