// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc flows: the flow tables of the loads pinned under the root (bpf/ct.h,
 * carried over reloads by kernel/flows.c), listed as text or JSON, or
 * flushed. fwc pinholes: the MS-RPC pinholes beside them (bpf/rpc.h).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "maps.h"
#include "ops.h"
#include "rpc_iface.h"
#include "tables.h"

#define NSEC 1000000000ull

/* One flow table and the pins that say what its entries mean. */
struct table {
	char ifaces[FWC_INFO_IFACES * (FWC_IFNAME_LEN + 1)];
	uint32_t ct_id;
	int ct, frags, meta, rule_meta, remap;
	int pinholes; /* -1: a set of an fwc before ABI 6 */
	struct fwc_info info;
};

static void table_close(struct table *t)
{
	int *fds[] = { &t->ct,	      &t->frags, &t->meta,
		       &t->rule_meta, &t->remap, &t->pinholes };

	for (size_t i = 0; i < sizeof(fds) / sizeof(*fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
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
	t->pinholes = fwc_pin_get(dir, fwc_map_names[FWC_M_PINHOLES]);
	info = fwc_pin_get(dir, fwc_map_names[FWC_M_INFO]);
	if (info >= 0) {
		fwc_map_lookup(info, &k, &t->info);
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
		if (name[0] == '.' ||
		    !fwc_iface_wanted(name, ifaces, n_ifaces) ||
		    fwc_pin_dir(root, name, dir, sizeof(dir)))
			continue;
		memset(&cur, 0, sizeof(cur));
		cur.pinholes = -1;
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
	uint64_t now = fwc_flows_now();
	struct row *rows;
	size_t n, k = 0;
	int err = fwc_flows_keys(t->ct, &keys, &n);

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
		if (fwc_map_lookup(t->ct, &r->k, &r->v) ||
		    !fwc_flow_live(m, &r->v, now))
			continue;
		r->id = r->v.gen == m->gen ?
				r->v.rule :
				fwc_flow_remapped(t->remap, &r->v, m->gen);
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
	else if (fwc_map_lookup(t->rule_meta, &id, rec))
		snprintf(rec->text, sizeof(rec->text), "rule %u", id);
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
	uint64_t now = fwc_flows_now();
	int wf = 4, wt = 2;

	printf("%s: %s\n  %zu flow%s (table of %u entries)%s\n", t->ifaces,
	       t->info.policy[0] ? t->info.policy : "?", n, n == 1 ? "" : "s",
	       fwc_map_max_entries(t->ct),
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

/* `{"interfaces":[...],"policy":"..."`: how a table's object starts. */
static void json_table_head(const struct table *t, bool first)
{
	char *save = NULL, *tok, ifs[sizeof(t->ifaces)];
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
}

static void print_json(const struct table *t, const struct fwc_meta *m,
		       const struct row *rows, size_t n, bool first)
{
	uint64_t now = fwc_flows_now();
	char buf[INET6_ADDRSTRLEN];
	struct fwc_rule_record rec;

	json_table_head(t, first);
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
	int err = fwc_flows_keys(t->ct, &keys, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		gone += !fwc_map_delete(t->ct, &keys[i]);
	free(keys);
	while (!fwc_map_next_key(t->frags, NULL, &fk))
		if (fwc_map_delete(t->frags, &fk))
			break;
	printf("fwc: %s: %zu flow%s flushed\n", t->ifaces, gone,
	       gone == 1 ? "" : "s");
	return 0;
}

/*
 * Each table of the interfaces pinned under @root (all when @n_ifaces is
 * 0), its meta read, given to @show: a listing's frame, as text or JSON.
 */
static int tables_walk(const char *root, char **ifaces, int n_ifaces, bool json,
		       int (*show)(const struct table *t,
				   const struct fwc_meta *m, bool json,
				   bool first))
{
	struct table *t = NULL;
	int n = 0, err, e;

	err = tables_list(root, ifaces, n_ifaces, &t, &n);
	if (json)
		printf("[");
	else if (!n && !err)
		printf("no fwc policy loaded (nothing pinned under %s)\n",
		       root);
	for (int i = 0; i < n; i++) {
		struct fwc_meta m;
		uint32_t k = 0;

		memset(&m, 0, sizeof(m));
		if (fwc_map_lookup(t[i].meta, &k, &m)) {
			fprintf(stderr, "fwc: %s: cannot read its meta\n",
				t[i].ifaces);
			e = -EIO;
		} else {
			e = show(&t[i], &m, json, i == 0);
		}
		err = err ? err : e;
	}
	if (json)
		printf("]\n");
	for (int i = 0; i < n; i++)
		table_close(&t[i]);
	free(t);
	return err;
}

static int flows_one(const struct table *t, const struct fwc_meta *m, bool json,
		     bool first)
{
	struct row *rows;
	size_t nr;

	if (rows_read(t, m, &rows, &nr)) {
		fprintf(stderr, "fwc: %s: cannot read the flow table\n",
			t->ifaces);
		return -EIO;
	}
	if (json) {
		print_json(t, m, rows, nr, first);
	} else {
		if (!first)
			printf("\n");
		print_text(t, m, rows, nr);
	}
	free(rows);
	return 0;
}

static int flush_one(const struct table *t, const struct fwc_meta *m, bool json,
		     bool first)
{
	(void)m, (void)json, (void)first;
	return table_flush(t);
}

int fwc_flows_show(const char *root, char **ifaces, int n_ifaces, bool json,
		   bool flush)
{
	int lock = flush ? fwc_pin_lock(root) : -1;
	int err = tables_walk(root, ifaces, n_ifaces, json,
			      flush ? flush_one : flows_one);

	if (lock >= 0)
		close(lock);
	return err;
}

/* One pinhole, as fwc pinholes shows it. */
struct hole {
	struct fwc_pinhole_key k;
	struct fwc_pinhole_val v;
	uint32_t id; /* counter id now, NO_RULE when its rule is gone */
};

static int cmp_expires(const void *a, const void *b)
{
	const struct hole *x = a, *y = b;

	return (x->v.expires > y->v.expires) - (x->v.expires < y->v.expires);
}

/* The live pinholes of @t, soonest to expire first. */
static int holes_read(const struct table *t, const struct fwc_meta *m,
		      struct hole **out, size_t *n_out)
{
	uint64_t now = fwc_flows_now();
	struct fwc_pinhole_key key, *prev = NULL;
	struct hole *h = NULL, *tmp;
	size_t n = 0, cap = 0;

	*out = NULL;
	*n_out = 0;
	if (t->pinholes < 0)
		return 0;
	while (!fwc_map_next_key(t->pinholes, prev, &key)) {
		struct fwc_ct_val cv = { 0 };

		prev = &key;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			tmp = realloc(h, cap * sizeof(*h));
			if (!tmp) {
				free(h);
				return -ENOMEM;
			}
			h = tmp;
		}
		h[n].k = key;
		if (fwc_map_lookup(t->pinholes, &key, &h[n].v) ||
		    h[n].v.expires <= now)
			continue;
		/* The datapath's remap, as for flows (kernel/flows.c). */
		cv.rule = h[n].v.rule;
		cv.gen = h[n].v.gen;
		cv.prev_rule = h[n].v.prev_rule;
		h[n].id = cv.gen == m->gen ?
				  cv.rule :
				  fwc_flow_remapped(t->remap, &cv, m->gen);
		if (h[n].id > m->n_rules)
			h[n].id = FWC_CT_NO_RULE;
		n++;
		/* A bounded walk: an LRU map of FWC_PINHOLE_SIZE entries. */
		if (n > 4u * FWC_PINHOLE_SIZE)
			break;
	}
	if (n)
		qsort(h, n, sizeof(*h), cmp_expires);
	*out = h;
	*n_out = n;
	return 0;
}

/* "samr v1.0", else the UUID and version. */
static void hole_iface(const struct hole *h, char *buf, size_t n)
{
	const struct fwc_rpc_iface_row *row =
		fwc_rpc_iface_by_uuid(h->v.uuid, h->v.major);
	char u[40];

	if (row) {
		snprintf(buf, n, "%s v%u.%u", row->name, h->v.major,
			 h->v.minor);
		return;
	}
	fwc_rpc_uuid_format(h->v.uuid, u);
	snprintf(buf, n, "%s v%u.%u", u, h->v.major, h->v.minor);
}

static void hole_addr(const struct hole *h, const uint8_t *a, char *buf,
		      size_t n)
{
	if (!inet_ntop(h->k.family == 4 ? AF_INET : AF_INET6, a, buf,
		       (socklen_t)n))
		snprintf(buf, n, "?");
}

static void holes_text(const struct table *t, const struct hole *h, size_t n)
{
	uint64_t now = fwc_flows_now();

	printf("%s: %s\n  %zu pinhole%s (table of %u entries)\n", t->ifaces,
	       t->info.policy[0] ? t->info.policy : "?", n, n == 1 ? "" : "s",
	       t->pinholes >= 0 ? fwc_map_max_entries(t->pinholes) : 0);
	if (!n)
		return;
	printf("  %-39s  %-46s  %-24s  %8s  %4s  %s\n", "client", "server:port",
	       "interface", "expires", "used", "rule");
	for (size_t i = 0; i < n; i++) {
		char cl[INET6_ADDRSTRLEN], sv[INET6_ADDRSTRLEN + 8], a[64];
		char ifc[64], exp[16];
		struct fwc_rule_record rec;

		hole_addr(&h[i], h[i].k.client, cl, sizeof(cl));
		hole_addr(&h[i], h[i].k.server, a, sizeof(a));
		snprintf(sv, sizeof(sv),
			 h[i].k.family == 6 ? "[%s]:%u" : "%s:%u", a,
			 h[i].k.port);
		hole_iface(&h[i], ifc, sizeof(ifc));
		dur_text(h[i].v.expires - now, exp, sizeof(exp));
		rule_record(t, h[i].id, &rec);
		printf("  %-39s  %-46s  %-24s  %8s  %4u  ", cl, sv, ifc, exp,
		       h[i].v.used);
		if (h[i].id == FWC_CT_NO_RULE)
			printf("- (its rule is gone)\n");
		else
			printf("%u %s\n", h[i].id,
			       rec.has_label ? rec.label : rec.text);
	}
}

static void holes_json(const struct table *t, const struct hole *h, size_t n,
		       bool first)
{
	uint64_t now = fwc_flows_now();
	char buf[INET6_ADDRSTRLEN];

	json_table_head(t, first);
	printf(",\"pinholes\":[");
	for (size_t i = 0; i < n; i++) {
		const struct fwc_rpc_iface_row *row =
			fwc_rpc_iface_by_uuid(h[i].v.uuid, h[i].v.major);
		struct fwc_rule_record rec;
		char u[40];

		printf("%s{\"family\":%u,\"client\":", i ? "," : "",
		       h[i].k.family);
		hole_addr(&h[i], h[i].k.client, buf, sizeof(buf));
		fwc_json_str(stdout, buf);
		printf(",\"server\":");
		hole_addr(&h[i], h[i].k.server, buf, sizeof(buf));
		fwc_json_str(stdout, buf);
		fwc_rpc_uuid_format(h[i].v.uuid, u);
		printf(",\"port\":%u,\"uuid\":\"%s\",\"version\":\"%u.%u\","
		       "\"interface\":",
		       h[i].k.port, u, h[i].v.major, h[i].v.minor);
		if (row)
			fwc_json_str(stdout, row->name);
		else
			printf("null");
		printf(",\"expires_in\":%.3f,\"age\":%.3f,\"used\":%u,"
		       "\"rule\":",
		       (double)(h[i].v.expires - now) / NSEC,
		       (double)(now > h[i].v.created ? now - h[i].v.created :
						       0) /
			       NSEC,
		       h[i].v.used);
		if (h[i].id == FWC_CT_NO_RULE) {
			printf("null,\"label\":null}");
			continue;
		}
		rule_record(t, h[i].id, &rec);
		printf("%u,\"label\":", h[i].id);
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

static int holes_one(const struct table *t, const struct fwc_meta *m, bool json,
		     bool first)
{
	struct hole *h;
	size_t nh;

	if (holes_read(t, m, &h, &nh)) {
		fprintf(stderr, "fwc: %s: cannot read the pinholes\n",
			t->ifaces);
		return -EIO;
	}
	if (json) {
		holes_json(t, h, nh, first);
	} else {
		if (!first)
			printf("\n");
		holes_text(t, h, nh);
	}
	free(h);
	return 0;
}

int fwc_pinholes_show(const char *root, char **ifaces, int n_ifaces, bool json)
{
	return tables_walk(root, ifaces, n_ifaces, json, holes_one);
}
