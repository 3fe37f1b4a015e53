// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc graph and fwc matrix: the zone-to-zone picture of a policy.
 *
 * The policy is compiled first, so a picture is only drawn of a policy
 * that fwc would load, with the same rule numbers. The picture itself is
 * read from the AST: zone names are resolved away by then.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "compile.h"
#include "graph.h"
#include "parser.h"
#include "resolve.h"
#include "rpc_iface.h"
#include "sha256.h"
#include "util.h"

/* Longest zone definition and service text shown in a node or an edge. */
#define DETAIL_MAX 48
#define SVC_MAX 64

struct sb {
	char *s;
	size_t n, cap;
};

static void sb_putn(struct sb *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap, 1);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

/* The string built so far, owned by the caller ("" when empty). */
static char *sb_take(struct sb *b)
{
	char *s = b->s ? b->s : xstrdup("");

	memset(b, 0, sizeof(*b));
	return s;
}

/* Cuts @s to @max bytes with "...", on a UTF-8 character boundary. */
static char *shorten(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return s;
	n = max - 3;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(s + n, "...", 4);
	return s;
}

/* Open-addressing index of strings (node names) or edge keys. */
struct index {
	size_t *slot; /* entry + 1, 0 = empty */
	size_t cap;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 1469598103934665603ull;

	while (n--)
		h = (h ^ *c++) * 1099511628211ull;
	return h;
}

struct builder {
	const struct fwc_ast *ast;
	struct fwc_graph *g;
	struct index nodes, edges;
};

static uint64_t edge_hash(size_t from, size_t to, bool allow)
{
	size_t k[3] = { from, to, allow };

	return hash_bytes(k, sizeof(k));
}

static uint64_t entry_hash(const struct builder *b, bool edges, size_t i)
{
	const struct fwc_graph *g = b->g;

	if (edges)
		return edge_hash(g->edges[i].from, g->edges[i].to,
				 g->edges[i].allow);
	return hash_bytes(g->nodes[i].name, strlen(g->nodes[i].name));
}

static void index_put(struct builder *b, bool edges, size_t i)
{
	struct index *x = edges ? &b->edges : &b->nodes;

	for (size_t h = entry_hash(b, edges, i) & (x->cap - 1);;
	     h = (h + 1) & (x->cap - 1)) {
		if (!x->slot[h]) {
			x->slot[h] = i + 1;
			return;
		}
	}
}

/* Indexes the entry just appended; rebuilds the index at half full. */
static void index_add(struct builder *b, bool edges)
{
	struct index *x = edges ? &b->edges : &b->nodes;
	size_t n = edges ? b->g->n_edges : b->g->n_nodes;

	if (2 * n < x->cap) {
		index_put(b, edges, n - 1);
		return;
	}
	free(x->slot);
	x->cap = x->cap ? x->cap * 2 : 64;
	x->slot = xcalloc(x->cap, sizeof(*x->slot));
	for (size_t i = 0; i < n; i++)
		index_put(b, edges, i);
}

static size_t node_find(const struct builder *b, const char *name)
{
	const struct index *x = &b->nodes;

	if (!x->cap)
		return SIZE_MAX;
	for (size_t h = hash_bytes(name, strlen(name)) & (x->cap - 1);
	     x->slot[h]; h = (h + 1) & (x->cap - 1))
		if (!strcmp(b->g->nodes[x->slot[h] - 1].name, name))
			return x->slot[h] - 1;
	return SIZE_MAX;
}

static size_t node_get(struct builder *b, const char *name, char *detail,
		       bool zone)
{
	struct fwc_graph *g = b->g;
	struct fwc_graph_node n = { xstrdup(name), detail, zone };
	size_t i = node_find(b, name);

	if (i != SIZE_MAX) {
		free(n.name);
		free(detail);
		return i;
	}
	VEC_PUSH(g->nodes, g->n_nodes, g->cap_nodes, n);
	index_add(b, false);
	return g->n_nodes - 1;
}

static void edge_add(struct builder *b, size_t from, size_t to, bool allow,
		     uint32_t rule)
{
	struct fwc_graph *g = b->g;
	struct index *x = &b->edges;
	struct fwc_graph_edge *e = NULL;

	for (size_t h = x->cap ? edge_hash(from, to, allow) & (x->cap - 1) : 0;
	     x->cap && x->slot[h]; h = (h + 1) & (x->cap - 1)) {
		struct fwc_graph_edge *c = &g->edges[x->slot[h] - 1];

		if (c->from == from && c->to == to && c->allow == allow) {
			e = c;
			break;
		}
	}
	if (!e) {
		struct fwc_graph_edge ne = { .from = from,
					     .to = to,
					     .allow = allow };

		VEC_PUSH(g->edges, g->n_edges, g->cap_edges, ne);
		index_add(b, true);
		e = &g->edges[g->n_edges - 1];
	}
	/* { dmz, dmz } -> x names the pair twice: count the rule once. */
	if (e->n_rules && e->rules[e->n_rules - 1] == rule)
		return;
	VEC_PUSH(e->rules, e->n_rules, e->cap_rules, rule);
}

/*
 * The named statements (zones, defines, services) of the AST being drawn,
 * gathered once by fwc_graph_build(): a policy of 100k rules asks for a
 * name twice an endpoint, and a walk over every statement each time took
 * 90 s. (One graph is built at a time: the compiler has no threads.)
 */
static struct {
	const struct fwc_ast *ast;
	const struct fwc_stmt **named;
	size_t n;
} defs;

static void defs_gather(const struct fwc_ast *ast)
{
	defs.ast = ast;
	defs.n = 0;
	defs.named = xcalloc(ast->n + 1, sizeof(*defs.named));
	for (size_t i = 0; i < ast->n; i++)
		if (ast->stmts[i]->kind != ST_RULE)
			defs.named[defs.n++] = ast->stmts[i];
}

static void defs_release(void)
{
	free(defs.named);
	memset(&defs, 0, sizeof(defs));
}

static const struct fwc_stmt *
stmt_find(const struct fwc_ast *ast, enum fwc_stmt_kind kind, const char *name)
{
	const struct fwc_stmt *const *st =
		(const struct fwc_stmt *const *)ast->stmts;
	size_t n = ast->n;

	if (defs.ast == ast) {
		st = defs.named;
		n = defs.n;
	}
	for (size_t i = 0; i < n; i++)
		if (st[i]->kind == kind && !strcmp(st[i]->name, name))
			return st[i];
	return NULL;
}

/* A value as written: "{ a, !b }", "$rpc", "any". */
static void val_text(struct sb *b, const struct fwc_val *v, bool braces)
{
	switch (v->kind) {
	case VAL_WORD:
		sb_puts(b, v->text);
		break;
	case VAL_MACRO:
		sb_puts(b, "$");
		sb_puts(b, v->text);
		break;
	case VAL_ANY:
		sb_puts(b, "any");
		break;
	case VAL_NOT:
		sb_puts(b, "!");
		val_text(b, v->items[0], true);
		break;
	case VAL_LIST:
		if (braces)
			sb_puts(b, "{ ");
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				sb_puts(b, ", ");
			val_text(b, v->items[i], true);
		}
		if (braces)
			sb_puts(b, " }");
		break;
	}
}

static char *val_str(const struct fwc_val *v, bool braces)
{
	struct sb b = { 0 };

	val_text(&b, v, braces);
	return sb_take(&b);
}

/* Ports and protocols: "80,443", "tcp,udp". */
static void val_compact(struct sb *b, const struct fwc_val *v)
{
	if (v->kind != VAL_LIST) {
		val_text(b, v, true);
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			sb_puts(b, ",");
		val_text(b, v->items[i], true);
	}
}

/* `rpc { samr, netlogon } port 49152-65535`, as written. */
static void rpc_svc_text(struct sb *b, const struct fwc_svc *s)
{
	sb_puts(b, "rpc ");
	val_text(b, s->rpc, true);
	if (s->rpc_ports) {
		sb_puts(b, " port ");
		val_compact(b, s->rpc_ports);
	}
}

/*
 * The rpc services inside named service @name, for "ad-rpc (rpc { ...
 * })": what the name stands for matters more than tcp/135.
 */
static void rpc_parts(struct sb *b, const struct fwc_ast *ast,
		      const struct fwc_svc *s, int depth)
{
	const struct fwc_stmt *d;

	if (!s || depth > 64)
		return;
	switch (s->kind) {
	case SVC_PROTO:
		if (!s->rpc)
			return;
		if (b->n)
			sb_puts(b, ", ");
		rpc_svc_text(b, s);
		break;
	case SVC_REF:
		d = stmt_find(ast, ST_SERVICE, s->name);
		if (d)
			rpc_parts(b, ast, d->svc, depth + 1);
		break;
	case SVC_LIST:
		for (size_t i = 0; i < s->n; i++)
			rpc_parts(b, ast, s->items[i], depth + 1);
		break;
	case SVC_ANY:
		break;
	}
}

static void svc_text(struct sb *b, const struct fwc_ast *ast,
		     const struct fwc_svc *s)
{
	struct sb rpc = { 0 };

	switch (s->kind) {
	case SVC_ANY:
		sb_puts(b, "any");
		break;
	case SVC_REF:
		sb_puts(b, s->name);
		rpc_parts(&rpc, ast, s, 0);
		if (rpc.n) {
			sb_puts(b, " (");
			sb_puts(b, rpc.s);
			sb_puts(b, ")");
		}
		free(rpc.s);
		break;
	case SVC_LIST:
		for (size_t i = 0; i < s->n; i++) {
			if (i)
				sb_puts(b, ", ");
			svc_text(b, ast, s->items[i]);
		}
		break;
	case SVC_PROTO:
		/* Its protos and ports are the endpoint mapper's tcp 135. */
		if (s->rpc) {
			rpc_svc_text(b, s);
			break;
		}
		val_compact(b, s->protos);
		if (s->ports) {
			sb_puts(b, " ");
			val_compact(b, s->ports);
		}
		if (s->sports) {
			sb_puts(b, " from ");
			val_compact(b, s->sports);
		}
		if (s->types) {
			sb_puts(b, " type ");
			val_compact(b, s->types);
		}
		break;
	}
}

/*
 * Whether @v splits into separate endpoints: a list of names, addresses
 * and such lists. A list with an exclusion is one endpoint of its own.
 */
static bool splits(const struct fwc_ast *ast, const struct fwc_val *v,
		   int depth)
{
	const struct fwc_stmt *d;

	if (depth > 64)
		return false;
	if (v->kind == VAL_MACRO) {
		d = stmt_find(ast, ST_DEFINE, v->text);
		return d && d->val && splits(ast, d->val, depth + 1);
	}
	if (v->kind == VAL_NOT)
		return false;
	if (v->kind != VAL_LIST)
		return true;
	for (size_t i = 0; i < v->n; i++)
		if (!splits(ast, v->items[i], depth + 1))
			return false;
	return true;
}

typedef void (*endpoint_fn)(struct builder *b, size_t node, void *arg);

static void endpoints(struct builder *b, const struct fwc_val *v, int depth,
		      endpoint_fn fn, void *arg)
{
	const struct fwc_stmt *d;

	if (v->kind == VAL_ANY) {
		fn(b, node_get(b, "any", NULL, false), arg);
	} else if (v->kind == VAL_WORD && stmt_find(b->ast, ST_ZONE, v->text)) {
		fn(b, node_find(b, v->text), arg);
	} else if (v->kind == VAL_MACRO && splits(b->ast, v, depth) &&
		   (d = stmt_find(b->ast, ST_DEFINE, v->text))) {
		endpoints(b, d->val, depth + 1, fn, arg);
	} else if (v->kind == VAL_LIST && splits(b->ast, v, depth)) {
		for (size_t i = 0; i < v->n; i++)
			endpoints(b, v->items[i], depth + 1, fn, arg);
	} else {
		char *name = val_str(v, true);

		fn(b, node_get(b, name, NULL, false), arg);
		free(name);
	}
}

struct pair_arg {
	const struct fwc_stmt *st;
	uint32_t id;
	size_t from;
};

static void add_to(struct builder *b, size_t to, void *arg)
{
	const struct pair_arg *p = arg;

	edge_add(b, p->from, to, p->st->allow, p->id);
}

static void add_from(struct builder *b, size_t from, void *arg)
{
	struct pair_arg *p = arg;

	p->from = from;
	endpoints(b, p->st->to, 0, add_to, p);
}

static void add_rule(struct builder *b, const struct fwc_stmt *st)
{
	struct fwc_graph *g = b->g;
	struct fwc_graph_rule r = { 0 };
	struct pair_arg p = { .st = st };
	struct sb s = { 0 };

	r.id = (uint32_t)g->n_rules + 1;
	r.line = st->pos.line;
	r.allow = st->allow;
	r.log = st->log;
	r.label = st->label ? xstrdup(st->label) : NULL;
	r.from = val_str(st->from, true);
	r.to = val_str(st->to, true);
	svc_text(&s, b->ast, st->svc);
	r.svc = shorten(sb_take(&s), SVC_MAX);
	r.text = xstrdup(st->text ? st->text : "");
	VEC_PUSH(g->rules, g->n_rules, g->cap_rules, r);
	p.id = r.id;
	endpoints(b, st->from, 0, add_from, &p);
}

static void build(struct builder *b)
{
	const struct fwc_ast *ast = b->ast;

	/* Zones first, in definition order, used or not. */
	for (size_t i = 0; i < ast->n; i++) {
		const struct fwc_stmt *st = ast->stmts[i];

		if (st->kind == ST_ZONE && node_find(b, st->name) == SIZE_MAX)
			node_get(b, st->name,
				 shorten(val_str(st->val, false), DETAIL_MAX),
				 true);
	}
	for (size_t i = 0; i < ast->n; i++)
		if (ast->stmts[i]->kind == ST_RULE)
			add_rule(b, ast->stmts[i]);
}

static void hex(const uint8_t *h, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

int fwc_graph_build(const char *path, FILE *err, struct fwc_graph **out)
{
	struct fwc_compile_opts opts = { .warnings = false, .err = err };
	struct fwc_policy *pol = NULL;
	struct builder b = { 0 };
	struct fwc_diag diag;
	struct fwc_ast ast;
	struct fwc_src src;
	uint8_t sha[32];
	size_t len;
	char *text;
	int rc;

	*out = NULL;
	if (fwc_file_regular(path) && fwc_artifact_probe(path)) {
		fprintf(err ? err : stderr,
			"%s: error: a compiled artifact "
			"has no zone names; give the policy source\n",
			path);
		return -EINVAL;
	}
	rc = fwc_read_file(path, &text, &len);
	if (rc) {
		fprintf(err ? err : stderr,
			"%s: error: cannot read policy: %s\n", path,
			fwc_read_error(rc));
		return rc;
	}
	/* The rules as resolved, for their numbering: no tables needed. */
	rc = fwc_policy_parse(path, text, len, &opts, &pol);
	if (rc) {
		free(text);
		return rc;
	}
	src = (struct fwc_src){ path, text, len };
	fwc_diag_init(&diag, &src, err);
	fwc_parse(&src, &diag, &ast);
	defs_gather(&ast);
	b.ast = &ast;
	b.g = xcalloc(1, sizeof(*b.g));
	b.g->name = xstrdup(path);
	b.g->default_allow = pol->default_allow;
	fwc_sha256(text, len, sha);
	hex(sha, sizeof(sha), b.g->sha256);
	build(&b);
	/* Compiled and parsed the same text: the numbering agrees. */
	if (b.g->n_rules != pol->n_rules)
		rc = -EINVAL;
	free(b.nodes.slot);
	free(b.edges.slot);
	defs_release();
	fwc_ast_free(&ast);
	fwc_policy_destroy(pol);
	free(text);
	if (rc) {
		fwc_graph_free(b.g);
		return rc;
	}
	*out = b.g;
	return 0;
}

void fwc_graph_free(struct fwc_graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_nodes; i++) {
		free(g->nodes[i].name);
		free(g->nodes[i].detail);
	}
	for (size_t i = 0; i < g->n_rules; i++) {
		free(g->rules[i].label);
		free(g->rules[i].from);
		free(g->rules[i].to);
		free(g->rules[i].svc);
		free(g->rules[i].text);
	}
	for (size_t i = 0; i < g->n_edges; i++)
		free(g->edges[i].rules);
	free(g->nodes);
	free(g->rules);
	free(g->edges);
	free(g->name);
	free(g);
}

/* ---- rpc interfaces as text ------------------------------------------ */

/* "samr v1", "12345778-...-0123456789ac v1", "...-0123456789ac", "any". */
static void rpc_entry_text(struct sb *b, const struct fwc_rpc_iface *e,
			   const char *const *names, size_t i)
{
	const struct fwc_rpc_iface_row *row = NULL;
	char buf[FWC_RPC_UUID_STRLEN + 16];

	if (e[i].flags & FWC_RPC_ANY) {
		sb_puts(b, "any");
		return;
	}
	if (!names && !(e[i].flags & FWC_RPC_ANY_VERSION))
		row = fwc_rpc_iface_by_uuid(e[i].uuid, e[i].major);
	if (names && names[i])
		sb_puts(b, names[i]);
	else if (row)
		sb_puts(b, row->name);
	else {
		fwc_rpc_uuid_format(e[i].uuid, buf);
		sb_puts(b, buf);
	}
	if (!(e[i].flags & FWC_RPC_ANY_VERSION)) {
		snprintf(buf, sizeof(buf), " v%u", e[i].major);
		sb_puts(b, buf);
	}
}

char *fwc_rpc_iface_text(const struct fwc_rpc_iface *e, const char *name)
{
	struct sb b = { 0 };

	rpc_entry_text(&b, e, name ? &name : NULL, 0);
	return sb_take(&b);
}

static bool rpc_same_iface(const struct fwc_rpc_iface *a,
			   const struct fwc_rpc_iface *b)
{
	return a->flags == b->flags && a->major == b->major &&
	       !memcmp(a->uuid, b->uuid, sizeof(a->uuid));
}

char *fwc_rpc_text(const struct fwc_rpc_iface *e, const char *const *names,
		   size_t n, int port)
{
	bool *done = xcalloc(n, sizeof(*done));
	struct sb b = { 0 };
	char num[32];

	for (size_t i = 0; i < n; i++) {
		size_t shown = 0;

		if (done[i] ||
		    (port >= 0 && (port < e[i].port_lo || port > e[i].port_hi)))
			continue;
		sb_puts(&b, b.n ? ", rpc { " : "rpc { ");
		/* Every entry of the same bounds, each interface once. */
		for (size_t j = i; j < n; j++) {
			bool dup = false;

			if (done[j] || e[j].port_lo != e[i].port_lo ||
			    e[j].port_hi != e[i].port_hi)
				continue;
			done[j] = true;
			for (size_t k = i; k < j && !dup; k++)
				dup = e[k].port_lo == e[j].port_lo &&
				      e[k].port_hi == e[j].port_hi &&
				      rpc_same_iface(&e[k], &e[j]);
			if (dup)
				continue;
			if (shown++)
				sb_puts(&b, ", ");
			rpc_entry_text(&b, e, names, j);
		}
		if (e[i].port_lo == e[i].port_hi)
			snprintf(num, sizeof(num), " } port %u", e[i].port_lo);
		else
			snprintf(num, sizeof(num), " } port %u-%u",
				 e[i].port_lo, e[i].port_hi);
		sb_puts(&b, num);
	}
	free(done);
	return sb_take(&b);
}

char *fwc_rpc_rule_text(const struct fwc_policy *pol, const struct fwc_rule *r,
			int port)
{
	struct fwc_rpc_iface *e = xcalloc(r->n_rpc, sizeof(*e));
	const char **names = xcalloc(r->n_rpc, sizeof(*names));
	char *s;

	for (size_t i = 0; i < r->n_rpc; i++) {
		const struct fwc_rpc_entry *p = &pol->rpc[r->rpc_first + i];

		memcpy(e[i].uuid, p->uuid, sizeof(e[i].uuid));
		e[i].major = p->major;
		e[i].flags = p->flags;
		e[i].port_lo = p->port_lo;
		e[i].port_hi = p->port_hi;
		names[i] = p->name;
	}
	s = fwc_rpc_text(e, names, r->n_rpc, port);
	free(e);
	free(names);
	return s;
}

/* The endpoint mapper's port: what an rpc service classifies as. */
#define EPM_PORT 135

static bool rule_is_rpc(const struct fwc_tables *t, uint32_t id)
{
	return id && (t->rules[id].flags & FWC_RULE_RPC) &&
	       fwc_tables_action(t, id) == FWC_ACT_ALLOW;
}

int fwc_rpc_pinhole(const struct fwc_tables *t, const struct fwc_packet *p,
		    uint32_t id,
		    uint32_t (*classify)(const void *ctx,
					 const struct fwc_packet *p),
		    const void *ctx, uint32_t *rpc_id, int *port)
{
	struct fwc_packet epm = *p;
	uint32_t r;

	*rpc_id = 0;
	*port = -1;
	if (p->proto != 6)
		return FWC_PINHOLE_NONE;
	if (fwc_tables_action(t, id) == FWC_ACT_ALLOW) {
		if (p->k1 != EPM_PORT || !rule_is_rpc(t, id))
			return FWC_PINHOLE_NONE;
		*rpc_id = id;
		return FWC_PINHOLE_OPENS;
	}
	if (p->k1 == EPM_PORT)
		return FWC_PINHOLE_NONE;
	/* The same packet to the endpoint mapper: same addresses, sport. */
	epm.k1 = EPM_PORT;
	r = classify ? classify(ctx, &epm) : fwc_tables_classify(t, &epm);
	if (!rule_is_rpc(t, r))
		return FWC_PINHOLE_NONE;
	for (uint32_t i = 0; i < t->rules[r].rpc_n; i++) {
		const struct fwc_rpc_iface *e =
			&t->rpc_ifaces[t->rules[r].rpc_first + i];

		if (e->port_lo <= p->k1 && p->k1 <= e->port_hi) {
			*rpc_id = r;
			*port = p->k1;
			return FWC_PINHOLE_MAY;
		}
	}
	return FWC_PINHOLE_NONE;
}

/* 1234567 -> "1.2M": counts in a picture are read, not added up. */
static const char *human(uint64_t v, char *buf, size_t n)
{
	static const char unit[] = " kMGTPE";
	double d = (double)v;
	int u = 0;

	while (d >= 999.5 && u < 6) {
		d /= 1000;
		u++;
	}
	if (!u)
		snprintf(buf, n, "%llu", (unsigned long long)v);
	else
		snprintf(buf, n, "%.*f%c", d < 9.95 ? 1 : 0, d, unit[u]);
	return buf;
}

static uint64_t edge_packets(const struct fwc_graph_edge *e,
			     const struct fwc_counter *counts)
{
	uint64_t p = 0;

	for (size_t i = 0; i < e->n_rules; i++)
		p += counts[e->rules[i]].packets;
	return p;
}

static unsigned int bitlen(uint64_t v)
{
	unsigned int n = 0;

	for (; v; v >>= 1)
		n++;
	return n;
}

/*
 * A DOT double-quoted string. Backslash is DOT's escape (\n, \l), so a
 * policy's own backslashes are doubled; bytes that are not printable
 * ASCII or UTF-8 are replaced, so that dot never sees broken text.
 */
static void dot_str(FILE *f, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			fputc('?', f);
		else
			fputc(*c, f);
	}
}

static void dot_nodes(const struct fwc_graph *g, FILE *f)
{
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct fwc_graph_node *n = &g->nodes[i];

		fprintf(f, "\tn%zu [label=\"", i);
		dot_str(f, n->name);
		if (n->detail) {
			fputs("\\n", f);
			dot_str(f, n->detail);
		}
		fputs("\"", f);
		if (!n->zone)
			fputs(", style=filled, fillcolor=\"#f2f2f2\", "
			      "color=\"#808080\"",
			      f);
		fputs("];\n", f);
	}
}

static void dot_edge(const struct fwc_graph *g, const struct fwc_graph_edge *e,
		     const struct fwc_counter *counts, uint64_t max, FILE *f)
{
	uint64_t sum = counts ? edge_packets(e, counts) : 0;
	char num[16];

	fprintf(f, "\tn%zu -> n%zu [label=\"", e->from, e->to);
	for (size_t i = 0; i < e->n_rules; i++) {
		const struct fwc_graph_rule *r = &g->rules[e->rules[i] - 1];

		fprintf(f, "#%u ", r->id);
		if (r->label) {
			dot_str(f, r->label);
			fputs(": ", f);
		}
		dot_str(f, r->svc);
		if (r->log)
			fputs(" (log)", f);
		if (counts)
			fprintf(f, "  [%s pkts]",
				human(counts[r->id].packets, num, sizeof(num)));
		fputs("\\l", f);
	}
	fputs("\"", f);
	if (!e->allow)
		fputs(", style=dashed, color=\"#c62828\", "
		      "fontcolor=\"#c62828\"",
		      f);
	if (counts && !sum)
		fputs(e->allow ? ", color=\"#9e9e9e\", fontcolor=\"#757575\"" :
				 ", color=\"#e57373\"",
		      f);
	if (counts && sum)
		fprintf(f, ", penwidth=%.1f",
			1.0 + 5.0 * bitlen(sum) / (double)bitlen(max));
	fputs("];\n", f);
}

void fwc_graph_dot(const struct fwc_graph *g, const struct fwc_counter *counts,
		   const char *caption, FILE *f)
{
	uint64_t max = 1;

	for (size_t i = 0; counts && i < g->n_edges; i++) {
		uint64_t p = edge_packets(&g->edges[i], counts);

		max = p > max ? p : max;
	}
	fputs("digraph fwc {\n", f);
	fputs("\tgraph [rankdir=LR, labelloc=t, fontname=\"Helvetica\", "
	      "fontsize=14, nodesep=0.5, ranksep=1.6, label=\"",
	      f);
	dot_str(f, g->name);
	fprintf(f, ": %zu rules, default %s%s", g->n_rules,
		g->default_allow ? "allow" : "deny",
		g->default_allow ? "" : " (no edge: dropped)");
	if (caption) {
		fputs("\\n", f);
		dot_str(f, caption);
	}
	fputs("\"];\n", f);
	fputs("\tnode [shape=box, style=\"rounded,filled\", "
	      "fillcolor=\"#e8f0fe\", color=\"#3c5a99\", "
	      "fontname=\"Helvetica\", fontsize=11];\n",
	      f);
	fputs("\tedge [fontname=\"Helvetica\", fontsize=9, "
	      "color=\"#2e7d32\", fontcolor=\"#1b5e20\"];\n",
	      f);
	dot_nodes(g, f);
	for (size_t i = 0; i < g->n_edges; i++)
		dot_edge(g, &g->edges[i], counts, max, f);
	fputs("}\n", f);
}

struct cell_rule {
	uint32_t id;
	bool allow;
};

static int cell_cmp(const void *a, const void *b)
{
	const struct cell_rule *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * Cell (from, to): its rules in policy order, "3,!5,7" where rule 5
 * denies; NULL when no rule names the pair.
 */
static char **cells_build(const struct fwc_graph *g)
{
	size_t n = g->n_nodes, *len = xcalloc(n * n + 1, sizeof(*len));
	struct cell_rule **r = xcalloc(n * n + 1, sizeof(*r));
	char **cells = xcalloc(n * n + 1, sizeof(*cells));
	size_t *cap = xcalloc(n * n + 1, sizeof(*cap));
	char num[16];

	for (size_t i = 0; i < g->n_edges; i++) {
		const struct fwc_graph_edge *e = &g->edges[i];
		size_t c = e->from * n + e->to;

		for (size_t k = 0; k < e->n_rules; k++) {
			struct cell_rule cr = { e->rules[k], e->allow };

			VEC_PUSH(r[c], len[c], cap[c], cr);
		}
	}
	for (size_t c = 0; c < n * n; c++) {
		struct sb b = { 0 };

		if (len[c] > 1)
			qsort(r[c], len[c], sizeof(*r[c]), cell_cmp);
		for (size_t k = 0; k < len[c]; k++) {
			snprintf(num, sizeof(num), "%s%s%u", k ? "," : "",
				 r[c][k].allow ? "" : "!", r[c][k].id);
			sb_puts(&b, num);
		}
		cells[c] = b.s;
		free(r[c]);
	}
	free(r);
	free(len);
	free(cap);
	return cells;
}

/* @g has at least one node. */
static void matrix_grid(const struct fwc_graph *g, FILE *f)
{
	size_t n = g->n_nodes, *w = xcalloc(n + 1, sizeof(*w));
	char **cells = cells_build(g);
	const char *corner = "from \\ to";

	w[n] = strlen(corner);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(g->nodes[i].name);

		w[i] = l;
		w[n] = l > w[n] ? l : w[n];
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			const char *c = cells[i * n + j];
			size_t l = c ? strlen(c) : 1;

			w[j] = l > w[j] ? l : w[j];
		}
	}
	/* The last column is not padded: no trailing blanks. */
	w[n - 1] = 0;
	fprintf(f, "%-*s", (int)w[n], corner);
	for (size_t j = 0; j < n; j++)
		fprintf(f, "  %-*s", (int)w[j], g->nodes[j].name);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%-*s", (int)w[n], g->nodes[i].name);
		for (size_t j = 0; j < n; j++) {
			const char *c = cells[i * n + j];

			fprintf(f, "  %-*s", (int)w[j], c ? c : ".");
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < n * n; i++)
		free(cells[i]);
	free(cells);
	free(w);
}

static void matrix_rules(const struct fwc_graph *g,
			 const struct fwc_counter *counts, FILE *f)
{
	int wp = 15, ws = 7;
	char p[16], by[16];

	for (size_t i = 0; i < g->n_rules; i++) {
		const struct fwc_graph_rule *r = &g->rules[i];
		int l = (int)(strlen(r->from) + strlen(r->to) + 4);

		wp = l > wp ? l : wp;
		ws = (int)strlen(r->svc) > ws ? (int)strlen(r->svc) : ws;
	}
	fprintf(f, "%5s  %-9s  %-*s  %-*s", "rule", "action", wp, "from -> to",
		ws, "service");
	if (counts)
		fprintf(f, "  %8s  %8s", "packets", "bytes");
	fputs("  label\n", f);
	for (size_t i = 0; i < g->n_rules; i++) {
		const struct fwc_graph_rule *r = &g->rules[i];
		char pair[2 * FWC_RULE_TEXT_LEN];

		snprintf(pair, sizeof(pair), "%s -> %s", r->from, r->to);
		fprintf(f, "%5u  %-5s%-4s  %-*s  %-*s", r->id,
			r->allow ? "allow" : "deny", r->log ? " log" : "", wp,
			pair, ws, r->svc);
		if (counts)
			fprintf(f, "  %8s  %8s",
				human(counts[r->id].packets, p, sizeof(p)),
				human(counts[r->id].bytes, by, sizeof(by)));
		fprintf(f, "  %s\n", r->label ? r->label : "-");
	}
	if (counts)
		fprintf(f, "%5u  %-9s  %-*s  %-*s  %8s  %8s  %s\n", 0,
			g->default_allow ? "allow" : "deny", wp, "(no rule)",
			ws, "", human(counts[0].packets, p, sizeof(p)),
			human(counts[0].bytes, by, sizeof(by)),
			g->default_allow ? "default allow" : "default deny");
}

void fwc_graph_matrix(const struct fwc_graph *g,
		      const struct fwc_counter *counts, const char *caption,
		      FILE *f)
{
	fprintf(f, "%s: %zu endpoints, %zu rules, default %s\n", g->name,
		g->n_nodes, g->n_rules, g->default_allow ? "allow" : "deny");
	if (caption)
		fprintf(f, "%s\n", caption);
	fprintf(f,
		"rows: from, columns: to; a cell lists the rules of the "
		"pair, !N = deny rule N, . = no rule (default %s)\n\n",
		g->default_allow ? "allow" : "deny");
	if (g->n_nodes) {
		matrix_grid(g, f);
		fputc('\n', f);
	}
	matrix_rules(g, counts, f);
}
