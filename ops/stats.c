// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc status and fwc stats: read only the pins under the root, so they
 * work from any process, long after the load that made them.
 */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "ops.h"
#include "maps.h"

/* One interface directory under the root. */
struct pinned {
	char name[NAME_MAX + 1];
	char dir[PATH_MAX];
	struct fwc_set set;
	int link;
	struct fwc_info info;
	bool has_info;
	uint32_t prog_id, link_id, ifindex;
	uint32_t counters_id; /* identifies the set the dir belongs to */
	const char *broken;   /* a half state, explained, or NULL */
	bool enforcing;	      /* an fwc program runs on the interface */
	uint32_t pinned_prog; /* id of the program pinned as prog */
	uint32_t xdp_id;      /* XDP program the interface runs here */
	char xdp_name[FWC_PROG_NAME_LEN];
	bool stale_new;	   /* NAME-new pins: an interrupted load */
	int n_pins;	   /* pins of a set present (prog, link, maps) */
	char missing[400]; /* those absent, "a, b" */
	char why[1024];	   /* a broken state, explained */
};

static void pinned_close(struct pinned *p, int n)
{
	for (int i = 0; i < n; i++) {
		fwc_set_close(&p[i].set);
		if (p[i].link >= 0)
			close(p[i].link);
	}
	free(p);
}

static bool pin_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	return (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) <
		       sizeof(path) &&
	       !stat(path, &st);
}

static void missing_add(struct pinned *p, const char *name)
{
	size_t len = strlen(p->missing);

	snprintf(p->missing + len, sizeof(p->missing) - len, "%s%s",
		 len ? ", " : "", name);
}

/*
 * Which pins of a set are there. v6_range came with ABI 4 and carried
 * with ABI 5: a set an older fwc loaded has none, and needs none.
 */
static void pinned_inventory(struct pinned *p)
{
	uint32_t abi = p->has_info ? p->info.abi_version : FWC_ABI_VERSION;

	if (pin_exists(p->dir, FWC_PIN_PROG))
		p->n_pins++;
	else
		missing_add(p, FWC_PIN_PROG);
	for (int i = 0; i < FWC_M_COUNT; i++) {
		if (pin_exists(p->dir, fwc_map_names[i]))
			p->n_pins++;
		else if (!(i == FWC_M_V6_RANGE && abi < 4) &&
			 !(i == FWC_M_CARRIED && abi < 5))
			missing_add(p, fwc_map_names[i]);
	}
	/* The link is no part of the set: without it, nothing enforces. */
	if (pin_exists(p->dir, FWC_PIN_LINK))
		p->n_pins++;
}

static void pinned_read(struct pinned *p)
{
	uint32_t k = 0;
	int info;

	p->link = fwc_pin_link(p->dir);
	info = fwc_pin_get(p->dir, fwc_map_names[FWC_M_INFO]);
	if (info >= 0) {
		p->has_info = !fwc_map_lookup(info, &k, &p->info);
		close(info);
	}
	pinned_inventory(p);
	info = fwc_pin_get(p->dir, FWC_PIN_PROG);
	if (info >= 0) {
		p->pinned_prog = fwc_obj_id(info);
		close(info);
	}
	if (p->link >= 0) {
		p->link_id = fwc_obj_id(p->link);
		if (fwc_link_query(p->link, &p->ifindex, &p->prog_id))
			p->broken = "unreadable link";
	}
	if (fwc_set_open(p->dir, &p->set) || p->missing[0]) {
		fwc_set_close(&p->set);
		return;
	}
	if (!p->has_info) {
		p->broken = "unreadable info map";
		return;
	}
	if (!p->prog_id)
		p->prog_id = fwc_obj_id(p->set.prog);
	p->counters_id = fwc_obj_id(p->set.maps[FWC_M_COUNTERS]);
}

/* The interface index this load recorded for @p, 0 when none. */
static uint32_t recorded_ifindex(const struct pinned *p)
{
	for (uint32_t i = 0;
	     p->has_info && i < p->info.n_ifaces && i < FWC_INFO_IFACES; i++)
		if (!strcmp(p->info.ifaces[i].name, p->name))
			return p->info.ifaces[i].ifindex;
	return 0;
}

/* What the pins and the kernel say of @p, as ops/explain.c's facts. */
static void pinned_check(struct pinned *p)
{
	struct fwc_iface_facts f = {
		.name = p->name,
		.ifindex = (int)if_nametoindex(p->name),
		.link = p->link >= 0,
		.link_ifindex = p->ifindex,
		.link_prog = p->prog_id,
		.recorded_ifindex = recorded_ifindex(p),
		.pinned_prog = p->pinned_prog,
		.complete = p->set.prog >= 0,
		.n_pins = p->n_pins,
		.missing = p->missing,
		.broken = p->broken != NULL,
	};

	p->stale_new = fwc_pin_has_new(p->dir);
	p->xdp_id = fwc_xdp_prog(f.ifindex, p->xdp_name, sizeof(p->xdp_name));
	f.stale_new = p->stale_new;
	f.xdp_id = p->xdp_id;
	f.xdp_name = p->xdp_name;
	p->enforcing = fwc_iface_explain(&f, p->why, sizeof(p->why));
	if (p->why[0])
		p->broken = p->why;
}

/* The interface directories under @root, sorted by name. */
static int pinned_list(const char *root, char **ifaces, int n_ifaces,
		       struct pinned **out, int *n_out)
{
	struct dirent **ents = NULL;
	struct pinned *p = NULL;
	int n, k = 0, err = 0;

	*out = NULL;
	*n_out = 0;
	n = scandir(root, &ents, NULL, alphasort);
	if (n < 0)
		n = 0; /* no root yet: nothing was ever loaded */
	p = calloc(n ? n : 1, sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct pinned *q = &p[k];
		struct stat st;

		if (ents[i]->d_name[0] == '.')
			continue;
		fwc_pin_iface(ents[i]->d_name, q->name, sizeof(q->name));
		if (!fwc_iface_wanted(q->name, ifaces, n_ifaces))
			continue;
		if (fwc_pin_dir(root, q->name, q->dir, sizeof(q->dir)) ||
		    stat(q->dir, &st) || !S_ISDIR(st.st_mode))
			continue;
		fwc_set_init(&q->set);
		pinned_read(q);
		pinned_check(q);
		k++;
	}
	for (int i = 0; i < n_ifaces; i++) {
		bool found = false;

		for (int j = 0; j < k; j++)
			found |= !strcmp(p[j].name, ifaces[i]);
		if (!found) {
			char name[FWC_PROG_NAME_LEN];
			uint32_t id =
				fwc_xdp_prog((int)if_nametoindex(ifaces[i]),
					     name, sizeof(name));

			fprintf(stderr,
				"fwc: %s: no fwc policy loaded "
				"(nothing pinned under %s)",
				ifaces[i], root);
			if (id)
				fprintf(stderr,
					"; it runs XDP program %u (%s) "
					"that something else attached",
					id, name);
			fprintf(stderr, "\n");
			err = -ENOENT;
		}
	}
out:
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	if (err) {
		pinned_close(p, k);
		return err;
	}
	*out = p;
	*n_out = k;
	return 0;
}

static void time_utc(uint64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, n, "%llu", (unsigned long long)t);
}

static void ago(uint64_t t, char *buf, size_t n)
{
	long long d = (long long)time(NULL) - (long long)t;

	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(buf, n, "%llds ago", d);
	else if (d < 7200)
		snprintf(buf, n, "%lldm ago", d / 60);
	else if (d < 172800)
		snprintf(buf, n, "%lldh ago", d / 3600);
	else
		snprintf(buf, n, "%lldd ago", d / 86400);
}

static const struct fwc_info_iface *info_iface(const struct pinned *p)
{
	for (uint32_t i = 0; i < p->info.n_ifaces && i < FWC_INFO_IFACES; i++)
		if (!strcmp(p->info.ifaces[i].name, p->name))
			return &p->info.ifaces[i];
	return NULL;
}

static const char *mode_of(const struct pinned *p)
{
	const struct fwc_info_iface *ifc = info_iface(p);

	return ifc ? ifc->mode : "?";
}

static const char *state_of(const struct pinned *p)
{
	if (p->broken)
		return p->broken;
	return p->ifindex ? "attached" : "detached (the interface is gone)";
}

/* Audit or enforce, and a pending fwc load --confirm (confirm.c). */
static void status_rollout(const struct pinned *q, bool json)
{
	char root[PATH_MAX], *slash;
	struct fwc_meta m;
	uint32_t k = 0;
	bool audit;

	memset(&m, 0, sizeof(m));
	audit = !fwc_map_lookup(q->set.maps[FWC_M_META], &k, &m) &&
		(m.flags & FWC_META_AUDIT);
	if (json)
		printf(",\"verdicts\":\"%s\"", audit ? "audit" : "enforce");
	else
		printf("\tverdicts %s\n",
		       audit ? "audit: what the policy would "
			       "drop passes, counted would-drop and logged" :
			       "enforce");
	snprintf(root, sizeof(root), "%s", q->dir);
	slash = strrchr(root, '/');
	if (slash)
		*slash = '\0';
	fwc_confirm_status(root, q->name, q->prog_id, json);
}

static void status_text(const struct pinned *p, int n, int i)
{
	const struct pinned *q = &p[i];
	char when[64], rel[32];
	bool shared = false;

	printf("%s: %s\n", q->name, state_of(q));
	if (q->stale_new)
		printf("\tnote     NAME-new pins of an interrupted load (the "
		       "next fwc load or unload recovers them)\n");
	if (q->set.prog < 0)
		return;
	time_utc(q->info.loaded_at, when, sizeof(when));
	ago(q->info.loaded_at, rel, sizeof(rel));
	printf("\tpolicy   %s\n", q->info.policy);
	printf("\tsha256   %s\n", q->info.sha256);
	printf("\trules    %u\n", q->info.n_rules);
	printf("\tmode     %s\n", mode_of(q));
	status_rollout(q, false);
	printf("\tloaded   %s (%s)\n", when, rel);
	printf("\tids      prog %u, link %u, ifindex %u\n", q->prog_id,
	       q->link_id, q->ifindex);
	for (int j = 0; j < n; j++) {
		if (j == i || !q->counters_id ||
		    p[j].counters_id != q->counters_id)
			continue;
		printf("%s%s", shared ? " " : "\tshared   ", p[j].name);
		shared = true;
	}
	if (shared)
		printf("   (same program, tables and counters)\n");
}

static void status_json(const struct pinned *p, int n, int i)
{
	const struct pinned *q = &p[i];
	char when[64];
	bool first = true;

	printf("%s{\"interface\":", i ? "," : "");
	fwc_json_str(stdout, q->name);
	printf(",\"state\":");
	fwc_json_str(stdout, q->broken	? "broken" :
			     q->ifindex ? "attached" :
					  "detached");
	printf(",\"enforcing\":%s", q->enforcing ? "true" : "false");
	if (q->broken) {
		printf(",\"error\":");
		fwc_json_str(stdout, q->broken);
	}
	if (q->stale_new)
		printf(",\"stale_pins\":true");
	if (q->xdp_id && q->xdp_id != q->prog_id)
		printf(",\"xdp_prog_id\":%u", q->xdp_id);
	if (q->set.prog < 0) {
		printf("}");
		return;
	}
	time_utc(q->info.loaded_at, when, sizeof(when));
	printf(",\"mode\":");
	fwc_json_str(stdout, mode_of(q));
	status_rollout(q, true);
	printf(",\"policy\":");
	fwc_json_str(stdout, q->info.policy);
	printf(",\"source\":");
	fwc_json_str(stdout, q->info.source);
	printf(",\"sha256\":");
	fwc_json_str(stdout, q->info.sha256);
	printf(",\"rules\":%u,\"loaded_at\":%llu,\"loaded\":", q->info.n_rules,
	       (unsigned long long)q->info.loaded_at);
	fwc_json_str(stdout, when);
	printf(",\"prog_id\":%u,\"link_id\":%u,\"ifindex\":%u,\"shared_with\":[",
	       q->prog_id, q->link_id, q->ifindex);
	for (int j = 0; j < n; j++) {
		if (j == i || !q->counters_id ||
		    p[j].counters_id != q->counters_id)
			continue;
		printf("%s", first ? "" : ",");
		fwc_json_str(stdout, p[j].name);
		first = false;
	}
	printf("]}");
}

/*
 * Interfaces of this network namespace that run an XDP program and have
 * no pins: not fwc's business to change, worth a line in fwc status.
 */
static int status_foreign(const struct pinned *p, int n, bool json, int k)
{
	struct if_nameindex *ifs = if_nameindex();

	for (struct if_nameindex *i = ifs; i && i->if_index; i++) {
		char name[FWC_PROG_NAME_LEN];
		uint32_t id =
			fwc_xdp_prog((int)i->if_index, name, sizeof(name));
		bool pinned = false;

		for (int j = 0; j < n; j++)
			pinned |= !strcmp(p[j].name, i->if_name);
		if (!id || pinned)
			continue;
		if (json) {
			printf("%s{\"interface\":", k++ ? "," : "");
			fwc_json_str(stdout, i->if_name);
			printf(",\"state\":\"foreign\",\"xdp_prog_id\":%u,"
			       "\"xdp_prog_name\":",
			       id);
			fwc_json_str(stdout, name);
			printf("}");
		} else {
			printf("%s: not fwc: runs XDP program %u (%s) that "
			       "something else attached\n",
			       i->if_name, id, name);
			k++;
		}
	}
	if (ifs)
		if_freenameindex(ifs);
	return k;
}

/* Readers wait for a load in progress, not for one that hangs. */
static int read_lock(const char *root)
{
	int fd = fwc_pin_lock_shared(root, 2000);

	if (fd == -EWOULDBLOCK)
		fprintf(stderr,
			"fwc: a load or unload under %s takes long; "
			"showing the pins as they are\n",
			root);
	return fd;
}

/*
 * The pinned interfaces a report covers, listed under the lock (no load
 * half done), and the report's opening: "[" for JSON, or a line saying
 * that nothing is loaded.
 */
static int report_begin(const char *root, char **ifaces, int n_ifaces,
			bool json, struct pinned **p, int *n)
{
	int err, lock = read_lock(root);

	err = pinned_list(root, ifaces, n_ifaces, p, n);
	if (lock >= 0)
		close(lock);
	if (err)
		return err;
	if (json)
		printf("[");
	else if (!*n)
		printf("no fwc policy loaded (nothing pinned under %s)\n",
		       root);
	return 0;
}

int fwc_status(const char *root, char **ifaces, int n_ifaces, bool json)
{
	struct pinned *p;
	int n, broken = 0;
	int err = report_begin(root, ifaces, n_ifaces, json, &p, &n);

	if (err)
		return err;
	for (int i = 0; i < n; i++) {
		if (json)
			status_json(p, n, i);
		else
			status_text(p, n, i);
		broken += p[i].broken != NULL;
	}
	if (!n_ifaces)
		status_foreign(p, n, json, n);
	if (json)
		printf("]\n");
	pinned_close(p, n);
	return broken ? -EUCLEAN : 0;
}

/* What became of the packets of reserved counter @k. */
static const char *rsv_action(uint32_t k, const struct fwc_meta *meta)
{
	switch (k) {
	case FWC_RSV_ND:
	case FWC_RSV_MLD:
	case FWC_RSV_ORPHAN:
	case FWC_RSV_WOULD_DROP:
		return "pass";
	case FWC_RSV_NON_IP:
		return meta->flags & FWC_META_NONIP_DROP ? "drop" : "pass";
	case FWC_RSV_LOG_SUPPRESSED:
	case FWC_RSV_LOG_LOST:
		return "log"; /* events, of packets counted by their rule */
	case FWC_RSV_RPC_OPENED:
	case FWC_RSV_RPC_USED:
	case FWC_RSV_RPC_EXPIRED:
	case FWC_RSV_RPC_REFUSED:
	case FWC_RSV_RPC_UNLISTED:
	case FWC_RSV_RPC_UNPARSED:
		return "rpc"; /* pinhole events (bpf/rpc.h), no bytes */
	default:
		return "drop";
	}
}

/* One counter as stats shows it. */
struct row {
	uint32_t id;
	const char *action;
	const struct fwc_rule_record *rec; /* NULL for reserved */
	const char *name;		   /* reserved counter name */
	struct fwc_counter c;
};

/* What the set in @p's pins counts: rules in policy order, 0, reserved. */
static int stats_rows(const struct pinned *p, struct row **out, uint32_t *n_out,
		      struct fwc_rule_record **recs_out)
{
	const struct fwc_set *s = &p->set;
	uint32_t k = 0, nr, n;
	struct fwc_counter *c = NULL;
	struct fwc_rule_record *recs = NULL;
	struct row *rows = NULL;
	struct fwc_meta meta;
	int err = 0;

	if (fwc_map_lookup(s->maps[FWC_M_META], &k, &meta))
		return -errno;
	nr = meta.n_rules;
	n = nr + 1 + FWC_RSV_COUNT;
	c = calloc(n, sizeof(*c));
	recs = calloc(nr + 1, sizeof(*recs));
	rows = calloc(n, sizeof(*rows));
	if (!c || !recs || !rows) {
		err = -ENOMEM;
		goto out;
	}
	/* What this program counted plus what earlier loads did. */
	err = fwc_set_counters(s, n, c);
	if (err)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		/* Policy order: rule 1 first, the default rule after n. */
		uint32_t id = i < nr ? i + 1 : i == nr ? 0 : i;
		struct fwc_rule_info ri = { 0 };
		struct row *r = &rows[i];

		r->id = id;
		r->c = c[id];
		if (id <= nr) {
			fwc_map_lookup(s->maps[FWC_M_RULE_META], &id,
				       &recs[id]);
			fwc_map_lookup(s->maps[FWC_M_RULES], &id, &ri);
			r->rec = &recs[id];
			r->action = ri.action == FWC_ACT_ALLOW ? "allow" :
								 "deny";
			continue;
		}
		r->name = fwc_rsv_name(id - nr - 1);
		r->action = rsv_action(id - nr - 1, &meta);
	}
out:
	free(c);
	if (err) {
		free(recs);
		free(rows);
		return err;
	}
	*out = rows;
	*n_out = n;
	*recs_out = recs;
	return 0;
}

static void stats_header(const struct pinned *p, int n, int i)
{
	char when[64];

	time_utc(p[i].info.loaded_at, when, sizeof(when));
	for (int j = i; j < n; j++)
		if (p[j].counters_id == p[i].counters_id && !p[j].broken)
			printf("%s%s", j == i ? "" : " ", p[j].name);
	printf(": %s\n  sha256 %.16s..., %u rules, loaded %s\n",
	       p[i].info.policy, p[i].info.sha256, p[i].info.n_rules, when);
	printf("  %5s  %-6s %12s %14s  %5s  %s\n", "id", "action", "packets",
	       "bytes", "line", "rule");
}

static void stats_text_row(const struct row *r)
{
	char line[16] = "-";
	const char *what = r->name;

	if (r->rec) {
		if (r->rec->line)
			snprintf(line, sizeof(line), "%u", r->rec->line);
		what = r->rec->has_label ? r->rec->label : r->rec->text;
	}
	printf("  %5u  %-6s %12llu %14llu  %5s  %s\n", r->id, r->action,
	       (unsigned long long)r->c.packets, (unsigned long long)r->c.bytes,
	       line, what);
}

static void stats_json_row(const struct row *r, bool first)
{
	printf("%s{\"id\":%u,\"action\":\"%s\",", first ? "" : ",", r->id,
	       r->action);
	if (r->rec) {
		printf("\"label\":");
		if (r->rec->has_label)
			fwc_json_str(stdout, r->rec->label);
		else
			printf("null");
		printf(",\"line\":%u,\"text\":", r->rec->line);
		fwc_json_str(stdout, r->rec->text);
	} else {
		printf("\"name\":");
		fwc_json_str(stdout, r->name);
	}
	printf(",\"packets\":%llu,\"bytes\":%llu}",
	       (unsigned long long)r->c.packets,
	       (unsigned long long)r->c.bytes);
}

static void stats_json_head(const struct pinned *p, int n, int i, bool first)
{
	bool f = true;

	printf("%s{\"interfaces\":[", first ? "" : ",");
	for (int j = i; j < n; j++) {
		if (p[j].counters_id != p[i].counters_id || p[j].broken)
			continue;
		printf("%s", f ? "" : ",");
		fwc_json_str(stdout, p[j].name);
		f = false;
	}
	printf("],\"policy\":");
	fwc_json_str(stdout, p[i].info.policy);
	printf(",\"sha256\":");
	fwc_json_str(stdout, p[i].info.sha256);
	printf(",\"loaded_at\":%llu,\"rules\":[",
	       (unsigned long long)p[i].info.loaded_at);
}

static int stats_set(const struct pinned *p, int n, int i, bool json,
		     bool first)
{
	struct fwc_rule_record *recs = NULL;
	struct row *rows = NULL;
	uint32_t nrows = 0;
	int err;

	err = stats_rows(&p[i], &rows, &nrows, &recs);
	if (err) {
		fprintf(stderr, "fwc: %s: cannot read counters: %s\n",
			p[i].name, strerror(-err));
		return err;
	}
	if (json) {
		stats_json_head(p, n, i, first);
		for (uint32_t k = 0; k < nrows; k++) {
			if (k == nrows - FWC_RSV_COUNT)
				printf("],\"reserved\":[");
			stats_json_row(&rows[k],
				       k == 0 || k == nrows - FWC_RSV_COUNT);
		}
		printf("]}");
	} else {
		stats_header(p, n, i);
		for (uint32_t k = 0; k < nrows; k++)
			stats_text_row(&rows[k]);
	}
	free(rows);
	free(recs);
	return 0;
}

int fwc_stats(const char *root, char **ifaces, int n_ifaces, bool json)
{
	struct pinned *p;
	int n, printed = 0, rc = 0;
	int err = report_begin(root, ifaces, n_ifaces, json, &p, &n);

	if (err)
		return err;
	for (int i = 0; !err && i < n; i++) {
		bool seen = false;

		if (p[i].broken) {
			fprintf(stderr, "fwc: %s: %s\n", p[i].name,
				p[i].broken);
			rc = -EUCLEAN;
			continue;
		}
		/* Interfaces that share a set share its counters: once. */
		for (int j = 0; j < i; j++)
			seen |= !p[j].broken &&
				p[j].counters_id == p[i].counters_id;
		if (seen)
			continue;
		if (printed && !json)
			printf("\n");
		err = stats_set(p, n, i, json, !printed);
		printed++;
	}
	if (json)
		printf("]\n");
	pinned_close(p, n);
	return err ? err : rc;
}

void fwc_snapshot_free(struct fwc_snapshot *s)
{
	for (int i = 0; i < s->n_sets; i++)
		free(s->sets[i].rows);
	free(s->sets);
	free(s->ifaces);
	memset(s, 0, sizeof(*s));
}

static int snapshot_set(const struct pinned *p, int n, int i,
			struct fwc_stat_set *set)
{
	struct fwc_rule_record *recs = NULL;
	struct row *rows = NULL;
	uint32_t nrows = 0;
	int err = stats_rows(&p[i], &rows, &nrows, &recs);

	if (err)
		return err;
	set->counters_id = p[i].counters_id;
	set->info = p[i].info;
	for (int j = i; j < n && set->n_ifaces < FWC_INFO_IFACES; j++)
		if (p[j].counters_id == p[i].counters_id && !p[j].broken)
			snprintf(set->ifaces[set->n_ifaces++],
				 sizeof(set->ifaces[0]), "%s", p[j].name);
	set->rows = calloc(nrows ? nrows : 1, sizeof(*set->rows));
	if (!set->rows) {
		err = -ENOMEM;
		goto out;
	}
	set->n_rows = nrows;
	set->n_rules = nrows - 1 - FWC_RSV_COUNT;
	for (uint32_t k = 0; k < nrows; k++) {
		struct fwc_stat_row *o = &set->rows[k];
		const struct row *r = &rows[k];

		o->id = r->id;
		o->action = r->action;
		o->c = r->c;
		o->reserved = !r->rec;
		if (r->rec) {
			o->line = r->rec->line;
			o->has_label = r->rec->has_label;
			snprintf(o->label, sizeof(o->label), "%s",
				 r->rec->label);
			snprintf(o->text, sizeof(o->text), "%s", r->rec->text);
		} else if (r->name) {
			snprintf(o->label, sizeof(o->label), "%s", r->name);
		} else { /* a counter this fwc has no name for */
			snprintf(o->label, sizeof(o->label), "reserved-%u",
				 r->id - set->n_rules - 1);
		}
	}
out:
	free(rows);
	free(recs);
	return err;
}

int fwc_snapshot_read(const char *root, char **ifaces, int n_ifaces,
		      struct fwc_snapshot *s)
{
	struct pinned *p;
	int n, err, lock = read_lock(root);

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &s->at);
	/* All, then filtered: an interface not loaded yet is no error. */
	err = pinned_list(root, NULL, 0, &p, &n);
	if (lock >= 0)
		close(lock);
	if (err)
		return err;
	s->sets = calloc(n ? n : 1, sizeof(*s->sets));
	s->ifaces = calloc(n ? n : 1, sizeof(*s->ifaces));
	if (!s->sets || !s->ifaces)
		err = -ENOMEM;
	for (int i = 0; !err && i < n; i++) {
		struct fwc_stat_iface *f;
		bool seen = false;

		if (!fwc_iface_wanted(p[i].name, ifaces, n_ifaces))
			continue;
		f = &s->ifaces[s->n_ifaces++];
		snprintf(f->name, sizeof(f->name), "%s", p[i].name);
		f->enforcing = p[i].enforcing;
		snprintf(f->state, sizeof(f->state), "%s", state_of(&p[i]));
		if (p[i].broken)
			continue;
		for (int j = 0; j < i; j++)
			seen |= !p[j].broken &&
				p[j].counters_id == p[i].counters_id &&
				fwc_iface_wanted(p[j].name, ifaces, n_ifaces);
		if (seen)
			continue;
		err = snapshot_set(p, n, i, &s->sets[s->n_sets]);
		if (!err)
			s->n_sets++;
	}
	pinned_close(p, n);
	if (err)
		fwc_snapshot_free(s);
	return err;
}
