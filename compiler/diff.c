// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* fwc diff: verdict changes between two policies, exactly, on classes. */
#include <stdarg.h>
#include <string.h>

#include "compile.h"
#include "diag.h"
#include "diff.h"
#include "graph.h"
#include "util.h"

/* ---- one policy from two ---------------------------------------------- */

static void copy_sets(struct fwc_policy *m, const struct fwc_policy *p)
{
	for (size_t i = 0; i < p->n_hosts; i++) {
		struct fwc_addrset h;

		fwc_addrset_copy(&h, &p->hosts[i]);
		VEC_PUSH(m->hosts, m->n_hosts, m->cap_hosts, h);
	}
	for (size_t i = 0; i < p->n_sets; i++) {
		struct fwc_ivset s;

		fwc_ivset_copy(&s, &p->sets[i]);
		VEC_PUSH(m->sets, m->n_sets, m->cap_sets, s);
	}
}

/* Appends @p's rules and terms, with ids shifted past what @m holds. */
static void copy_rules(struct fwc_policy *m, const struct fwc_policy *p,
		       uint32_t host_off, uint32_t set_off)
{
	uint32_t rule_off = (uint32_t)m->n_rules;
	size_t term_off = m->n_terms, rpc_off = m->n_rpc;

	for (size_t i = 0; i < p->n_rules; i++) {
		struct fwc_rule r = p->rules[i];

		r.id = rule_off + (uint32_t)i + 1;
		r.src += host_off;
		r.dst += host_off;
		r.term_first += term_off;
		r.rpc_first += rpc_off;
		r.label = r.label ? xstrdup(r.label) : NULL;
		r.text = xstrdup(r.text);
		VEC_PUSH(m->rules, m->n_rules, m->cap_rules, r);
	}
	for (size_t i = 0; i < p->n_terms; i++) {
		struct fwc_term t = p->terms[i];

		t.rule += rule_off;
		t.protos += set_off;
		t.dports += set_off;
		t.sports += set_off;
		t.types += set_off;
		VEC_PUSH(m->terms, m->n_terms, m->cap_terms, t);
	}
	/* The tables of the merged policy carry the rpc rules too. */
	for (size_t i = 0; i < p->n_rpc; i++) {
		struct fwc_rpc_entry e = p->rpc[i];

		e.rule += rule_off;
		VEC_PUSH(m->rpc, m->n_rpc, m->cap_rpc, e);
	}
}

static void merge(struct fwc_policy *m, const struct fwc_policy *a,
		  const struct fwc_policy *b)
{
	memset(m, 0, sizeof(*m));
	copy_sets(m, a);
	copy_sets(m, b);
	copy_rules(m, a, 0, 0);
	copy_rules(m, b, (uint32_t)a->n_hosts, (uint32_t)a->n_sets);
	m->name = xstrdup("diff");
}

/* ---- comparing -------------------------------------------------------- */

/*
 * What an rpc rule's endpoint-mapper answers may open, in a form two
 * rules can be compared by: per interface (uuid, major, flags) the union
 * of its port bounds, sorted. Names do not count: `samr` and its literal
 * UUID with :1 open the same pinholes.
 */
struct rpc_key {
	uint8_t uuid[16];
	uint16_t major, flags;
	struct fwc_ivset ports;
};

struct rpc_effect {
	struct rpc_key *k;
	size_t n;
};

static int key_cmp(const void *a, const void *b)
{
	const struct rpc_key *x = a, *y = b;
	int c = memcmp(x->uuid, y->uuid, sizeof(x->uuid));

	if (c)
		return c;
	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return (x->flags > y->flags) - (x->flags < y->flags);
}

static void rpc_effect_build(const struct fwc_policy *p, uint32_t id,
			     struct rpc_effect *out)
{
	const struct fwc_rule *r = id ? &p->rules[id - 1] : NULL;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (!r || !r->allow || !r->n_rpc)
		return;
	out->k = xcalloc(r->n_rpc, sizeof(*out->k));
	for (size_t i = 0; i < r->n_rpc; i++) {
		const struct fwc_rpc_entry *e = &p->rpc[r->rpc_first + i];
		struct rpc_key k = { .major = e->major, .flags = e->flags };
		size_t j;

		/* `any` is any interface: its UUID and version mean nothing. */
		if (e->flags & FWC_RPC_ANY)
			k.major = 0;
		else
			memcpy(k.uuid, e->uuid, sizeof(k.uuid));
		if (e->flags & FWC_RPC_ANY_VERSION)
			k.major = 0;
		for (j = 0; j < n && key_cmp(&out->k[j], &k); j++)
			;
		if (j == n)
			out->k[n++] = k;
		fwc_ivset_add(&out->k[j].ports, e->port_lo, e->port_hi);
	}
	for (size_t j = 0; j < n; j++)
		fwc_ivset_normalise(&out->k[j].ports);
	qsort(out->k, n, sizeof(*out->k), key_cmp);
	out->n = n;
}

static void rpc_effect_free(struct rpc_effect *e)
{
	for (size_t j = 0; j < e->n; j++)
		fwc_ivset_free(&e->k[j].ports);
	free(e->k);
}

static bool rpc_effect_equal(const struct rpc_effect *a,
			     const struct rpc_effect *b)
{
	if (a->n != b->n)
		return false;
	for (size_t j = 0; j < a->n; j++)
		if (key_cmp(&a->k[j], &b->k[j]) ||
		    !fwc_ivset_equal(&a->k[j].ports, &b->k[j].ports))
			return false;
	return true;
}

/* Whether rule @a of the old policy and @b of the new open alike. */
static bool rpc_same(const struct fwc_diff *d, uint32_t a, uint32_t b)
{
	struct rpc_effect x, y;
	bool same;

	rpc_effect_build(d->old_pol, a, &x);
	rpc_effect_build(d->new_pol, b, &y);
	same = rpc_effect_equal(&x, &y);
	rpc_effect_free(&x);
	rpc_effect_free(&y);
	return same;
}

struct list_diff {
	bool done;
	struct fwc_diff_region *r; /* src/dst unset: per list */
	size_t n;
};

static bool verdict(const struct fwc_policy *p, uint32_t id)
{
	return id ? p->rules[id - 1].allow : p->default_allow;
}

/* Service classes whose verdict differs for candidate list @l. */
static void diff_list(struct fwc_diff *d, const struct fwc_csr *by_rule,
		      uint32_t l, uint32_t *first_old, uint32_t *first_new,
		      struct list_diff *out)
{
	const uint32_t *list = d->lw.lists.vec[l];
	size_t n = d->lw.lists.len[l], cap = 0;
	uint32_t n_old = (uint32_t)d->old_pol->n_rules, n_svc = d->c.n_svc;

	memset(first_old, 0, n_svc * sizeof(*first_old));
	memset(first_new, 0, n_svc * sizeof(*first_new));
	for (size_t i = 0; i < n; i++) {
		uint32_t r = list[i];
		uint32_t *first = r < n_old ? first_old : first_new;
		uint32_t id = r < n_old ? r + 1 : r - n_old + 1;

		for (uint32_t k = by_rule->off[r]; k < by_rule->off[r + 1]; k++)
			if (!first[by_rule->item[k]])
				first[by_rule->item[k]] = id;
	}
	for (uint32_t v = 0; v < n_svc; v++) {
		struct fwc_diff_region g = {
			.svc = v,
			.old_rule = first_old[v],
			.new_rule = first_new[v],
			.old_allow = verdict(d->old_pol, first_old[v]),
			.new_allow = verdict(d->new_pol, first_new[v]),
		};

		if (g.old_allow == g.new_allow && g.old_allow && d->epm[v] &&
		    !rpc_same(d, g.old_rule, g.new_rule))
			g.rpc = true;
		if (g.old_allow != g.new_allow || g.rpc)
			VEC_PUSH(out->r, out->n, cap, g);
	}
	out->done = true;
}

/* Classes that some address really falls in (not a reserved empty one). */
static uint8_t *realised(const struct fwc_partition *a,
			 const struct fwc_partition *b, uint32_t n)
{
	uint8_t *has = xcalloc(n, 1);

	for (size_t i = 0; i < a->n_seg; i++)
		has[a->seg[i].cls] = 1;
	for (size_t i = 0; i < b->n_seg; i++)
		has[a->n_cls + b->seg[i].cls] = 1;
	return has;
}

int fwc_diff_compute(const struct fwc_policy *old_pol,
		     const struct fwc_policy *new_pol, struct fwc_diff *d)
{
	struct fwc_compile_opts opts = { .v6_layout = FWC_V6_LPM };
	struct list_diff *ld;
	struct fwc_csr by_rule = { 0 };
	uint32_t *fo, *fn;
	uint8_t *has_s, *has_d;
	int err;

	memset(d, 0, sizeof(*d));
	d->old_pol = old_pol;
	d->new_pol = new_pol;
	merge(&d->merged, old_pol, new_pol);
	fwc_classes_build(&d->merged, &d->c);
	err = fwc_tables_build(&d->merged, &d->c, &opts, &d->t, &d->lw);
	if (err)
		return err;
	fwc_svcs_by_rule(&d->c, d->merged.n_rules, &by_rule);
	d->epm = fwc_epm_classes(&d->c);
	ld = xcalloc(d->lw.lists.n, sizeof(*ld));
	fo = xcalloc(d->c.n_svc, sizeof(*fo));
	fn = xcalloc(d->c.n_svc, sizeof(*fn));
	has_s = realised(&d->c.src4, &d->c.src6, d->c.n_src);
	has_d = realised(&d->c.dst4, &d->c.dst6, d->c.n_dst);
	for (uint32_t s = 0; s < d->c.n_src; s++)
		for (uint32_t t = 0; t < d->c.n_dst; t++) {
			uint32_t l =
				d->lw.pair_list[(size_t)s * d->c.n_dst + t];

			if (!has_s[s] || !has_d[t] ||
			    fwc_src_family(&d->c, s) !=
				    fwc_dst_family(&d->c, t))
				continue;
			if (!ld[l].done)
				diff_list(d, &by_rule, l, fo, fn, &ld[l]);
			for (size_t i = 0; i < ld[l].n; i++) {
				struct fwc_diff_region g = ld[l].r[i];

				g.src = s;
				g.dst = t;
				d->n_rpc += g.rpc;
				VEC_PUSH(d->regions, d->n, d->cap, g);
			}
		}
	for (uint32_t l = 0; l < d->lw.lists.n; l++)
		free(ld[l].r);
	free(ld);
	free(fo);
	free(fn);
	free(has_s);
	free(has_d);
	fwc_csr_free(&by_rule);
	return 0;
}

void fwc_diff_free(struct fwc_diff *d)
{
	fwc_lower_free(&d->lw);
	/* The tables live inside @d: free their arrays, not the struct. */
	{
		struct fwc_tables *t = xcalloc(1, sizeof(*t));

		*t = d->t;
		fwc_tables_free(t);
	}
	fwc_classes_free(&d->c);
	fwc_policy_free(&d->merged);
	free(d->regions);
	free(d->epm);
	memset(d, 0, sizeof(*d));
}

long fwc_diff_find(const struct fwc_diff *d, const struct fwc_packet *pkt)
{
	uint32_t s, t, v;

	fwc_tables_classes(&d->t, pkt, &s, &t, &v);
	for (size_t i = 0; i < d->n; i++)
		if (d->regions[i].src == s && d->regions[i].dst == t &&
		    d->regions[i].svc == v)
			return (long)i;
	return -1;
}

/* ---- samples and text ------------------------------------------------- */

/* First segment of class @cls (merged id) in the pair of partitions. */
static const struct fwc_seg *first_seg(const struct fwc_partition *a,
				       const struct fwc_partition *b,
				       uint32_t cls, int *family)
{
	const struct fwc_partition *p = cls < a->n_cls ? a : b;
	uint32_t k = cls < a->n_cls ? cls : cls - a->n_cls;

	*family = p == a ? 4 : 6;
	for (size_t i = 0; i < p->n_seg; i++)
		if (p->seg[i].cls == k)
			return &p->seg[i];
	return NULL;
}

static void put_addr(uint8_t *out, int family, fwc_u128 a)
{
	int n = family == 4 ? 4 : 16;

	memset(out, 0, 16);
	for (int i = n - 1; i >= 0; i--, a >>= 8)
		out[i] = (uint8_t)a;
}

/* A (protocol, k1, k2) of service class @v. */
static bool sample_svc(const struct fwc_classes *c, uint32_t v,
		       struct fwc_packet *pkt)
{
	for (uint32_t k = 0; k < c->n_pc; k++) {
		const struct fwc_pclass *pc = &c->pc[k];

		for (uint32_t c1 = 0; c1 < pc->k1.n_cls; c1++)
			for (uint32_t c2 = 0; c2 < pc->k2.n_cls; c2++) {
				if (pc->svc[c1 * pc->k2.n_cls + c2] != v)
					continue;
				for (int p = 0; p < 256; p++)
					if (c->proto_pc[p] == k) {
						pkt->proto = (uint8_t)p;
						break;
					}
				for (size_t i = 0; i < pc->k1.n_seg; i++)
					if (pc->k1.seg[i].cls == c1) {
						pkt->k1 =
							(uint16_t)pc->k1.seg[i]
								.lo;
						break;
					}
				for (size_t i = 0; i < pc->k2.n_seg; i++)
					if (pc->k2.seg[i].cls == c2) {
						pkt->k2 =
							(uint16_t)pc->k2.seg[i]
								.lo;
						break;
					}
				return true;
			}
	}
	return false;
}

void fwc_diff_sample(const struct fwc_diff *d, size_t i, struct fwc_packet *pkt)
{
	const struct fwc_diff_region *g = &d->regions[i];
	const struct fwc_seg *s, *t;
	int fs, ft;

	memset(pkt, 0, sizeof(*pkt));
	s = first_seg(&d->c.src4, &d->c.src6, g->src, &fs);
	t = first_seg(&d->c.dst4, &d->c.dst6, g->dst, &ft);
	pkt->family = (uint8_t)fs;
	put_addr(pkt->src, fs, s ? s->lo : 0);
	put_addr(pkt->dst, ft, t ? t->lo : 0);
	sample_svc(&d->c, g->svc, pkt);
}

struct text {
	char *buf;
	size_t len, cap;
	size_t items, shown;
};

static void text_add(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < t->cap - t->len)
			break;
		t->cap = t->cap * 2 + 128;
		t->buf = xrealloc(t->buf, t->cap, 1);
	}
	t->len += (size_t)n;
}

#define MAX_SHOWN 4

/* One prefix of a class; t->items holds the address family. */
static void add_prefix(void *ctx, fwc_u128 start, unsigned int len)
{
	struct text *t = ctx;
	char a[64];

	if (t->shown++ >= MAX_SHOWN)
		return;
	fwc_format_addr(a, sizeof(a), (int)t->items, start);
	text_add(t, "%s%s/%u", t->shown > 1 ? ", " : "", a, len);
}

/* The addresses of one family in @set: prefixes, or "any except". */
static void set_text(const struct fwc_ivset *set, int family, struct text *t)
{
	fwc_u128 max = family == 4 ? FWC_V4_MAX : FWC_V6_MAX;
	unsigned int bits = family == 4 ? 32 : 128;
	struct fwc_ivset all = { 0 }, rest;
	const struct fwc_ivset *show = set;

	fwc_ivset_add(&all, 0, max);
	fwc_ivset_copy(&rest, &all);
	fwc_ivset_subtract(&rest, set);
	if (!rest.n) {
		text_add(t, family == 4 ? "any IPv4" : "any IPv6");
		goto out;
	}
	/* Mostly everything: name what is left out instead. */
	if (rest.n < set->n || fwc_ivset_count(&rest) < fwc_ivset_count(set)) {
		text_add(t, "any IPv%d except ", family);
		show = &rest;
	}
	t->items = (size_t)family;
	t->shown = 0;
	for (size_t i = 0; i < show->n; i++)
		fwc_range_to_prefixes(show->iv[i].lo, show->iv[i].hi, bits,
				      add_prefix, t);
	if (t->shown > MAX_SHOWN)
		text_add(t, " and %zu more", t->shown - MAX_SHOWN);
out:
	fwc_ivset_free(&all);
	fwc_ivset_free(&rest);
}

/* The addresses of the classes marked in @pick (one family). */
static void classes_text(const struct fwc_partition *a,
			 const struct fwc_partition *b, const uint8_t *pick,
			 struct text *t)
{
	struct fwc_ivset set = { 0 };
	int family = 4;

	for (int f = 0; f < 2; f++) {
		const struct fwc_partition *p = f ? b : a;
		uint32_t off = f ? a->n_cls : 0;

		for (size_t i = 0; i < p->n_seg; i++)
			if (pick[off + p->seg[i].cls]) {
				fwc_ivset_add(&set, p->seg[i].lo, p->seg[i].hi);
				family = f ? 6 : 4;
			}
	}
	fwc_ivset_normalise(&set);
	set_text(&set, family, t);
	fwc_ivset_free(&set);
}

static void ranges_text(const struct fwc_partition *p, uint32_t cls,
			struct text *t)
{
	bool first = true;

	for (size_t i = 0; i < p->n_seg; i++) {
		if (p->seg[i].cls != cls)
			continue;
		text_add(t, "%s%llu", first ? "" : ",",
			 (unsigned long long)p->seg[i].lo);
		if (p->seg[i].hi != p->seg[i].lo)
			text_add(t, "-%llu", (unsigned long long)p->seg[i].hi);
		first = false;
	}
}

static void protos_text(const struct fwc_classes *c, uint32_t k, struct text *t)
{
	int n = 0, first = -1;

	for (int p = 0; p < 256; p++)
		if (c->proto_pc[p] == k && !n++)
			first = p;
	if (n > 3) {
		text_add(t, "%d protocols", n);
		return;
	}
	for (int p = first, i = 0; p < 256 && i < n; p++) {
		const char *name;

		if (c->proto_pc[p] != k)
			continue;
		name = fwc_proto_name((unsigned int)p);
		if (name)
			text_add(t, "%s%s", i++ ? "," : "", name);
		else
			text_add(t, "%s%d", i++ ? "," : "", p);
	}
}

/* Service class @v: "tcp dport 3389", "icmp type 8", "gre". */
static void svc_text(const struct fwc_classes *c, uint32_t v, struct text *t)
{
	bool any = false;

	for (uint32_t k = 0; k < c->n_pc; k++) {
		const struct fwc_pclass *pc = &c->pc[k];

		for (uint32_t c1 = 0; c1 < pc->k1.n_cls; c1++) {
			uint32_t n2 = 0;

			for (uint32_t c2 = 0; c2 < pc->k2.n_cls; c2++)
				n2 += pc->svc[c1 * pc->k2.n_cls + c2] == v;
			for (uint32_t c2 = 0; c2 < pc->k2.n_cls; c2++) {
				if (pc->svc[c1 * pc->k2.n_cls + c2] != v)
					continue;
				text_add(t, "%s", any ? "; " : "");
				any = true;
				protos_text(c, k, t);
				if (pc->k1.n_cls > 1) {
					text_add(t, pc->kind == PC_ICMP ?
							    " type " :
							    " dport ");
					ranges_text(&pc->k1, c1, t);
				}
				/* Every source port alike: say nothing. */
				if (n2 == pc->k2.n_cls)
					break;
				text_add(t, " sport ");
				ranges_text(&pc->k2, c2, t);
			}
		}
	}
}

static void rule_text(const struct fwc_policy *p, uint32_t id, struct text *t)
{
	if (!id) {
		text_add(t, "default %s", p->default_allow ? "allow" : "deny");
		return;
	}
	text_add(t, "rule %u", id);
	if (p->rules[id - 1].label)
		text_add(t, " \"%s\"", p->rules[id - 1].label);
}

static bool same_but_src(const struct fwc_diff_region *a,
			 const struct fwc_diff_region *b)
{
	return a->dst == b->dst && a->svc == b->svc &&
	       a->old_rule == b->old_rule && a->new_rule == b->new_rule &&
	       a->old_allow == b->old_allow && a->rpc == b->rpc;
}

/* What rule @id's endpoint-mapper answers open: "rpc { ... }", "none". */
static char *pinholes_text(const struct fwc_policy *p, uint32_t id)
{
	const struct fwc_rule *r = id ? &p->rules[id - 1] : NULL;

	if (!r || !r->allow || !r->n_rpc)
		return xstrdup("none");
	return fwc_rpc_rule_text(p, r, -1);
}

/*
 * Regions that differ only in their source class, joined into one line:
 * (sources) x destination x service is still exactly a set of packets.
 */
static void group_text(const struct fwc_diff *d, size_t i, uint8_t *used,
		       struct text *t)
{
	const struct fwc_diff_region *g = &d->regions[i];
	uint8_t *src = xcalloc(d->c.n_src, 1), *dst = xcalloc(d->c.n_dst, 1);

	for (size_t j = i; j < d->n; j++)
		if (!used[j] && same_but_src(g, &d->regions[j]) &&
		    fwc_src_family(&d->c, d->regions[j].src) ==
			    fwc_src_family(&d->c, g->src)) {
			used[j] = 1;
			src[d->regions[j].src] = 1;
		}
	dst[g->dst] = 1;
	text_add(t, "from ");
	classes_text(&d->c.src4, &d->c.src6, src, t);
	text_add(t, " to ");
	classes_text(&d->c.dst4, &d->c.dst6, dst, t);
	text_add(t, ": ");
	svc_text(&d->c, g->svc, t);
	if (g->rpc) {
		char *a = pinholes_text(d->old_pol, g->old_rule);
		char *b = pinholes_text(d->new_pol, g->new_rule);

		text_add(t, ": allow, pinholes %s -> %s (", a, b);
		free(a);
		free(b);
	} else {
		text_add(t, ": %s -> %s (", g->old_allow ? "allow" : "deny",
			 g->new_allow ? "allow" : "deny");
	}
	rule_text(d->old_pol, g->old_rule, t);
	text_add(t, " -> ");
	rule_text(d->new_pol, g->new_rule, t);
	text_add(t, ")");
	free(src);
	free(dst);
}

/* ", "pinholes": {"old": "rpc { ... }", "new": "none"}" of a region. */
static void json_pinholes(const struct fwc_diff *d,
			  const struct fwc_diff_region *g, FILE *f)
{
	char *a = pinholes_text(d->old_pol, g->old_rule);
	char *b = pinholes_text(d->new_pol, g->new_rule);

	fputs(", \"pinholes\": {\"old\": ", f);
	fwc_json_str(f, a);
	fputs(", \"new\": ", f);
	fwc_json_str(f, b);
	fputs("}", f);
	free(a);
	free(b);
}

size_t fwc_diff_print(const struct fwc_diff *d, FILE *f, bool json)
{
	uint8_t *used = xcalloc(d->n + 1, 1);
	struct text t = { 0 };
	size_t lines = 0;

	if (json)
		fputs("[", f);
	for (size_t i = 0; i < d->n; i++) {
		const struct fwc_diff_region *g = &d->regions[i];

		if (used[i])
			continue;
		t.len = 0;
		group_text(d, i, used, &t);
		if (!json) {
			fprintf(f, "%s\n", t.buf);
		} else {
			fprintf(f,
				"%s{\"old\": {\"verdict\": \"%s\", "
				"\"rule\": %u}, \"new\": {\"verdict\": "
				"\"%s\", \"rule\": %u}, \"region\": ",
				lines ? ",\n " : "",
				g->old_allow ? "allow" : "deny", g->old_rule,
				g->new_allow ? "allow" : "deny", g->new_rule);
			fwc_json_str(f, t.buf);
			if (g->rpc)
				json_pinholes(d, g, f);
			fputs("}", f);
		}
		lines++;
	}
	if (json)
		fputs("]\n", f);
	free(t.buf);
	free(used);
	return lines;
}
