// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Exact analysis on the equivalence classes (fwc check): every realised
 * (address pair, service) cell is visited once, walking its matching
 * rules in order, so each finding is a fact about packets, not a guess.
 *
 *   shadowed   matches packets but never decides one (names the winners)
 *   unmatched  matches no packet at all
 *   redundant  decides packets, but without it the same verdicts follow
 *   overlap    an earlier rule of the opposite action takes part of it
 *   wide       opens more destination ports than the threshold; when
 *              they are the dynamic RPC range towards hosts that also
 *              get TCP 135 from the same sources, suggests `rpc`
 *   rpc        an rpc rule whose TCP 135 (its endpoint-mapper
 *              connections) earlier rules decide all of: its answers
 *              never open pinholes for it (docs/rpc-pinholes.md)
 */
#include <string.h>

#include "compile.h"
#include "diff.h"
#include "lower.h"
#include "util.h"

#define MAX_NAMED 8

struct named {
	uint32_t id[MAX_NAMED];
	size_t n; /* may exceed MAX_NAMED: the rest are counted */
};

struct facts {
	uint32_t wins; /* cells this rule decides */
	bool matches;  /* some realised cell matches it */
	bool needed;   /* some decided cell changes verdict without it */
	struct named shadow, opposite, fallback;
	bool epm_peer;	     /* a cell of its addresses allows TCP 135 */
	bool rpc_epm;	     /* rpc rule: it matches some TCP 135 cell... */
	bool rpc_live;	     /* ...and decides one */
	struct named rpc_by; /* the rules deciding its TCP 135 instead */
};

/* The endpoint mapper's port: what an rpc service classifies as. */
#define EPM_PORT 135
/* The dynamic RPC range since Vista/2008 (1024-65535 before). */
#define DYN_RPC_LO 49152u

static void name_add(struct named *n, uint32_t id)
{
	for (size_t i = 0; i < n->n && i < MAX_NAMED; i++)
		if (n->id[i] == id)
			return;
	if (n->n < MAX_NAMED)
		n->id[n->n] = id;
	n->n++;
}

/* "3, 7 and the default" (id 0 is the default rule). */
static void name_list(const struct named *n, char *buf, size_t len)
{
	size_t o = 0, shown = n->n < MAX_NAMED ? n->n : MAX_NAMED;

	buf[0] = '\0';
	for (size_t i = 0; i < shown && o < len; i++) {
		const char *sep = !i ? "" :
				  i + 1 == shown && n->n <= MAX_NAMED ?
				       " and " :
				       ", ";

		if (n->id[i])
			o += (size_t)snprintf(buf + o, len - o, "%s%u", sep,
					      n->id[i]);
		else
			o += (size_t)snprintf(buf + o, len - o, "%sthe default",
					      sep);
	}
	if (n->n > MAX_NAMED && o < len)
		snprintf(buf + o, len - o, " and %zu more", n->n - MAX_NAMED);
}

struct walk {
	const struct fwc_policy *pol;
	const struct fwc_tables *t;
	struct facts *f;
	uint32_t *first, *second; /* per service class: rule id, 0 none */
	uint8_t *epm;		  /* per service class: holds TCP dport 135 */
};

static uint32_t action_of(const struct walk *w, uint32_t id)
{
	return fwc_tables_action(w->t, id);
}

/*
 * Here rather than in diff.c, which uses it too: fwc_compile() reaches
 * this file, and diff.c reaches fwc_compile() (through graph.c).
 */
uint8_t *fwc_epm_classes(const struct fwc_classes *c)
{
	uint8_t *epm = xcalloc(c->n_svc + 1, 1);
	const struct fwc_pclass *pc;

	if (!c->n_pc)
		return epm;
	pc = &c->pc[c->proto_pc[6]];
	if (pc->kind != PC_PORTS)
		return epm;
	for (size_t i = 0; i < pc->k1.n_seg; i++) {
		const struct fwc_seg *g = &pc->k1.seg[i];

		if (g->lo > EPM_PORT || g->hi < EPM_PORT)
			continue;
		for (uint32_t c2 = 0; c2 < pc->k2.n_cls; c2++)
			epm[pc->svc[(size_t)g->cls * pc->k2.n_cls + c2]] = 1;
	}
	return epm;
}

/* An allow rule with rpc services: its TCP 135 answers open pinholes. */
static bool opens_pinholes(const struct walk *w, uint32_t id)
{
	return id && w->pol->rules[id - 1].allow && w->pol->rules[id - 1].n_rpc;
}

/*
 * After the first matches of a list are known: whether its address pairs
 * get TCP 135 allowed (for the rpc suggestion of the rules in it), and
 * who decides the TCP 135 of its rpc rules.
 */
static void epm_facts(struct walk *w, const struct fwc_csr *by_rule,
		      const uint32_t *list, size_t n, uint32_t n_svc)
{
	bool allowed = false;

	for (uint32_t v = 0; v < n_svc && !allowed; v++)
		allowed = w->epm[v] && w->first[v] &&
			  action_of(w, w->first[v]) == FWC_ACT_ALLOW;
	for (size_t i = 0; i < n; i++) {
		uint32_t r = list[i], id = r + 1;
		struct facts *f = &w->f[r];

		f->epm_peer |= allowed;
		if (!w->pol->rules[r].n_rpc)
			continue;
		for (uint32_t k = by_rule->off[r]; k < by_rule->off[r + 1];
		     k++) {
			uint32_t v = by_rule->item[k];

			if (!w->epm[v])
				continue;
			f->rpc_epm = true;
			if (w->first[v] == id)
				f->rpc_live = true;
			else
				name_add(&f->rpc_by, w->first[v]);
		}
	}
}

/* One candidate list: its rules in order against every service class. */
static void walk_list(struct walk *w, const struct fwc_csr *by_rule,
		      const uint32_t *list, size_t n, uint32_t n_svc)
{
	memset(w->first, 0, n_svc * sizeof(*w->first));
	memset(w->second, 0, n_svc * sizeof(*w->second));
	for (size_t i = 0; i < n; i++) {
		uint32_t r = list[i], id = r + 1;
		struct facts *f = &w->f[r];

		for (uint32_t k = by_rule->off[r]; k < by_rule->off[r + 1];
		     k++) {
			uint32_t v = by_rule->item[k], win = w->first[v];

			f->matches = true;
			if (!win) {
				w->first[v] = id;
				f->wins++;
				continue;
			}
			name_add(&f->shadow, win);
			if (action_of(w, win) != action_of(w, id))
				name_add(&f->opposite, win);
			if (!w->second[v])
				w->second[v] = id;
		}
	}
	epm_facts(w, by_rule, list, n, n_svc);
	/* Would the verdict change without the winner of each cell? */
	for (uint32_t v = 0; v < n_svc; v++) {
		uint32_t win = w->first[v], next = w->second[v];

		if (!win)
			continue;
		/* TCP 135 of an rpc rule: its pinholes change too. */
		if (action_of(w, win) != action_of(w, next) ||
		    (w->epm[v] &&
		     (opens_pinholes(w, win) || opens_pinholes(w, next))))
			w->f[win - 1].needed = true;
		else
			name_add(&w->f[win - 1].fallback, next);
	}
}

static void report_rule(const struct walk *w, uint32_t r, struct fwc_diag *diag)
{
	const struct fwc_rule *rule = &w->pol->rules[r];
	const struct facts *f = &w->f[r];
	char buf[160];

	if (!f->matches) {
		fwc_finding(diag, rule->pos, "unmatched", &rule->id, 1,
			    "rule %u matches no packet (are source and "
			    "destination of different address families, or "
			    "emptied by exclusions?)",
			    rule->id);
		return;
	}
	if (!f->wins) {
		name_list(&f->shadow, buf, sizeof(buf));
		fwc_finding(diag, rule->pos, "shadowed", f->shadow.id,
			    f->shadow.n < MAX_NAMED ? f->shadow.n : MAX_NAMED,
			    "rule %u is shadowed by earlier rule%s %s and "
			    "never decides a packet",
			    rule->id, f->shadow.n > 1 ? "s" : "", buf);
		return;
	}
	/*
	 * A log rule's log is an effect of its own: not redundant. (An rpc
	 * rule's pinholes are one too: walk_list() counts it needed where it
	 * decides TCP 135.)
	 */
	if (!f->needed && !rule->log) {
		const char *word = !f->fallback.id[0] && f->fallback.n == 1 ?
					   "" :
				   f->fallback.n > 1 ? "rules " :
						       "rule ";

		name_list(&f->fallback, buf, sizeof(buf));
		fwc_finding(diag, rule->pos, "redundant", f->fallback.id,
			    f->fallback.n < MAX_NAMED ? f->fallback.n :
							MAX_NAMED,
			    "rule %u is redundant: without it %s%s would give "
			    "every packet it decides the same verdict",
			    rule->id, word, buf);
	}
	if (rule->n_rpc && f->rpc_epm && !f->rpc_live) {
		name_list(&f->rpc_by, buf, sizeof(buf));
		fwc_finding(diag, rule->pos, "rpc", f->rpc_by.id,
			    f->rpc_by.n < MAX_NAMED ? f->rpc_by.n : MAX_NAMED,
			    "rule %u's rpc never opens a pinhole: earlier "
			    "rule%s %s decide%s all of its TCP 135, the "
			    "endpoint-mapper connections whose answers would "
			    "open them",
			    rule->id, f->rpc_by.n > 1 ? "s" : "", buf,
			    f->rpc_by.n > 1 ? "" : "s");
	}
	if (f->opposite.n) {
		name_list(&f->opposite, buf, sizeof(buf));
		fwc_finding(diag, rule->pos, "overlap", f->opposite.id,
			    f->opposite.n < MAX_NAMED ? f->opposite.n :
							MAX_NAMED,
			    "rule %u (%s) overlaps earlier rule%s %s (%s), "
			    "which decide%s part of what it matches",
			    rule->id, rule->allow ? "allow" : "deny",
			    f->opposite.n > 1 ? "s" : "", buf,
			    rule->allow ? "deny" : "allow",
			    f->opposite.n > 1 ? "" : "s");
	}
}

/* The endpoint text of a normalised rule: FROM (@which 0) or TO (1). */
static void endpoint_text(const char *text, int which, char *buf, size_t len)
{
	const char *p = strchr(text, ' '), *end;
	int depth = 0;

	buf[0] = '\0';
	if (!p)
		return;
	p++;
	if (!strncmp(p, "log ", 4))
		p += 4;
	if (which) {
		p = strstr(p, " -> ");
		if (!p)
			return;
		p += 4;
	}
	for (end = p; *end; end++) {
		if (*end == '{')
			depth++;
		else if (*end == '}')
			depth--;
		else if (depth == 0 && *end == ' ')
			break;
	}
	snprintf(buf, len, "%.*s", (int)(end - p), p);
}

static void format_count(fwc_u128 n, char *buf, size_t len)
{
	unsigned int bits = 0;

	if (n >> 40) {
		while (bits < 127 && ((fwc_u128)1 << (bits + 1)) <= n)
			bits++;
		snprintf(buf, len, "~2^%u", bits);
		return;
	}
	snprintf(buf, len, "%llu", (unsigned long long)n);
}

/* Does @s hold every port of [lo, hi]? */
static bool ports_cover(const struct fwc_ivset *s, fwc_u128 lo, fwc_u128 hi)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->iv[i].lo <= lo && s->iv[i].hi >= hi)
			return true;
	return false;
}

/*
 * A TCP term that opens the dynamic RPC range (49152-65535, or more of
 * the unprivileged ports), but not the privileged ones too: that would
 * be all of TCP rather than RPC.
 */
static bool opens_dyn_rpc(const struct fwc_policy *pol,
			  const struct fwc_rule *r)
{
	for (size_t k = 0; k < r->n_terms; k++) {
		const struct fwc_term *t = &pol->terms[r->term_first + k];
		const struct fwc_ivset *d = &pol->sets[t->dports];

		if (fwc_ivset_contains(&pol->sets[t->protos], 6) &&
		    ports_cover(d, DYN_RPC_LO, 65535) &&
		    !ports_cover(d, 1, 1023))
			return true;
	}
	return false;
}

/* Ports a rule opens, per protocol with ports, against the threshold. */
static void report_wide(const struct fwc_policy *pol, uint32_t r,
			const struct facts *f, uint32_t threshold,
			struct fwc_diag *diag)
{
	const struct fwc_rule *rule = &pol->rules[r];
	static const unsigned int protos[] = { 6, 17, 132 };
	static const char *const names[] = { "TCP", "UDP", "SCTP" };
	fwc_u128 ports[3] = { 0 }, src, dst;
	char from[96], to[96], pairs[32], s[32], d[32];
	/* Towards hosts that also get TCP 135 from these sources. */
	bool rpc = !rule->n_rpc && f->epm_peer && opens_dyn_rpc(pol, rule);

	if (!rule->allow)
		return;
	for (size_t k = 0; k < rule->n_terms; k++) {
		const struct fwc_term *t = &pol->terms[rule->term_first + k];

		for (int i = 0; i < 3; i++)
			if (fwc_ivset_contains(&pol->sets[t->protos],
					       protos[i])) {
				fwc_u128 n =
					fwc_ivset_count(&pol->sets[t->dports]);

				if (n > ports[i])
					ports[i] = n;
			}
	}
	src = fwc_ivset_count(&pol->hosts[rule->src].v4) +
	      fwc_ivset_count(&pol->hosts[rule->src].v6);
	dst = fwc_ivset_count(&pol->hosts[rule->dst].v4) +
	      fwc_ivset_count(&pol->hosts[rule->dst].v6);
	endpoint_text(rule->text, 0, from, sizeof(from));
	endpoint_text(rule->text, 1, to, sizeof(to));
	for (int i = 0; i < 3; i++) {
		if (ports[i] <= threshold)
			continue;
		format_count(src, s, sizeof(s));
		format_count(dst, d, sizeof(d));
		format_count(src * dst > src ? src * dst * ports[i] : ports[i],
			     pairs, sizeof(pairs));
		fwc_finding(diag, rule->pos, "wide", &rule->id, 1,
			    "rule %u opens %llu %s ports from %s to %s (%s "
			    "source x %s destination addresses)%s",
			    rule->id, (unsigned long long)ports[i], names[i],
			    from, to, s, d,
			    rpc && protos[i] == 6 ?
				    "; it opens the dynamic RPC range: `rpc { "
				    "INTERFACES }` opens only the port the "
				    "endpoint mapper hands out "
				    "(docs/rpc-pinholes.md)" :
				    "");
	}
}

/*
 * The family every term of rule @r needs (4: icmp only, 6: icmp6 only),
 * or 0. The datapath drops ICMP of the other family as malformed, so such
 * a rule whose addresses lack that family matches no packet.
 */
static int icmp_family(const struct fwc_policy *pol, const struct fwc_rule *r)
{
	int fam = 0;

	for (size_t i = 0; i < r->n_terms; i++) {
		const struct fwc_ivset *p =
			&pol->sets[pol->terms[r->term_first + i].protos];
		int f;

		if (p->n != 1 || p->iv[0].lo != p->iv[0].hi ||
		    !fwc_proto_is_icmp((unsigned int)p->iv[0].lo))
			return 0;
		f = p->iv[0].lo == 1 ? 4 : 6;
		if (fam && fam != f)
			return 0;
		fam = f;
	}
	return fam;
}

static bool report_icmp_family(const struct fwc_policy *pol, uint32_t r,
			       struct fwc_diag *diag)
{
	const struct fwc_rule *rule = &pol->rules[r];
	const struct fwc_addrset *s = &pol->hosts[rule->src];
	const struct fwc_addrset *d = &pol->hosts[rule->dst];
	int fam = icmp_family(pol, rule);

	if (!fam || (fam == 4 ? s->v4.n && d->v4.n : s->v6.n && d->v6.n))
		return false;
	fwc_finding(diag, rule->pos, "unmatched", &rule->id, 1,
		    "rule %u matches no packet: %s is IPv%d only, and its "
		    "%s has no IPv%d address",
		    rule->id, fam == 4 ? "icmp" : "icmp6", fam,
		    (fam == 4 ? s->v4.n : s->v6.n) ? "destination" : "source",
		    fam);
	return true;
}

void fwc_analyze(const struct fwc_policy *pol, const struct fwc_classes *c,
		 const struct fwc_tables *t, const struct fwc_lower *lw,
		 uint32_t wide_ports, struct fwc_diag *diag)
{
	struct walk w = { .pol = pol, .t = t };
	struct fwc_csr by_rule = { 0 };

	w.epm = fwc_epm_classes(c);
	w.f = xcalloc(pol->n_rules + 1, sizeof(*w.f));
	w.first = xcalloc(c->n_svc + 1, sizeof(*w.first));
	w.second = xcalloc(c->n_svc + 1, sizeof(*w.second));
	fwc_svcs_by_rule(c, pol->n_rules, &by_rule);
	for (uint32_t l = 0; l < lw->lists.n; l++)
		if (l < lw->cap_realised && lw->realised[l])
			walk_list(&w, &by_rule, lw->lists.vec[l],
				  lw->lists.len[l], c->n_svc);
	for (uint32_t r = 0; r < pol->n_rules; r++) {
		if (pol->rules[r].n_terms == 0)
			continue;
		if (report_icmp_family(pol, r, diag))
			continue;
		report_rule(&w, r, diag);
		report_wide(pol, r, &w.f[r], wide_ports, diag);
	}
	fwc_csr_free(&by_rule);
	free(w.epm);
	free(w.f);
	free(w.first);
	free(w.second);
}
