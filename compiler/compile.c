// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The pipeline: text → tokens → AST → resolved rules → classes → tables. */
#include <errno.h>
#include <string.h>

#include "compile.h"
#include "diag.h"
#include "lower.h"
#include "sha256.h"
#include "util.h"

static bool only_blanks(const char *text, size_t len)
{
	for (size_t i = fwc_bom_len(text, len); i < len; i++) {
		if (text[i] == '#') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' &&
		    text[i] != '\r')
			return false;
	}
	return true;
}

static const struct fwc_compile_opts default_opts;
unsigned int fwc_last_warnings;

/* Connection tracking options for the datapath (bpf/ct.h). */
static void state_meta(const struct fwc_policy *pol, struct fwc_meta *m)
{
	if (pol->state_loose)
		m->flags |= FWC_META_STATE_LOOSE;
	for (int i = 0; i < FWC_TO_COUNT; i++)
		m->timeout[i] = pol->timeout[i];
}

/*
 * Text → resolved policy: what every command needs before any class or
 * table. -EINVAL when @diag has reported errors.
 */
static int resolve_text(const struct fwc_src *src, struct fwc_diag *diag,
			struct fwc_policy *pol)
{
	const char *nul;
	struct fwc_ast ast;

	if (only_blanks(src->text, src->len)) {
		fwc_error_file(diag, "empty policy: expected statements "
				     "such as 'zone', 'allow', 'deny'");
		return -EINVAL;
	}
	if (src->len >= 4 && !memcmp(src->text, "FWCA", 4)) {
		fwc_error_file(diag, "a compiled artifact (fwc compile -o), "
				     "not policy source: fwc load and fwc "
				     "test take it, the rest needs the "
				     "source");
		return -EINVAL;
	}
	if ((nul = memchr(src->text, '\0', src->len))) {
		fwc_error(diag, fwc_pos_at(src, (size_t)(nul - src->text)),
			  "a NUL byte: binary data, not a policy file");
		return -EINVAL;
	}
	fwc_parse(src, diag, &ast);
	if (!diag->errors)
		fwc_resolve(&ast, diag, pol);
	fwc_ast_free(&ast);
	if (diag->errors)
		return -EINVAL;
	pol->name = xstrdup(src->name);
	fwc_sha256(src->text, src->len, pol->sha256);
	return 0;
}

static void diag_setup(struct fwc_diag *diag, const struct fwc_src *src,
		       const struct fwc_compile_opts *opts)
{
	fwc_diag_init(diag, src, opts ? opts->err : NULL);
	diag->quiet_warnings = !(opts && opts->warnings);
	diag->json = opts && opts->json;
}

int fwc_policy_parse(const char *name, const char *text, size_t len,
		     const struct fwc_compile_opts *opts,
		     struct fwc_policy **out)
{
	struct fwc_src src = { name, text, len };
	struct fwc_policy *pol = xcalloc(1, sizeof(*pol));
	struct fwc_diag diag;
	int err;

	diag_setup(&diag, &src, opts);
	err = resolve_text(&src, &diag, pol);
	fwc_diag_finish(&diag);
	fwc_last_warnings = diag.warnings;
	*out = NULL;
	if (err) {
		fwc_policy_destroy(pol);
		return err;
	}
	*out = pol;
	return 0;
}

int fwc_bytes_parse(const char *s, uint64_t *out)
{
	const uint64_t max = 1ull << 40;
	unsigned int shift = 0;
	uint64_t n = 0;
	const char *p = s;

	while (*p >= '0' && *p <= '9' && n <= max)
		n = n * 10 + (uint64_t)(*p++ - '0');
	if (p == s || !n)
		return -EINVAL;
	if (*p) {
		const char *units = "KkMmGg", *u = strchr(units, *p);

		if (!u || p[1])
			return -EINVAL;
		shift = 10 * (unsigned int)((u - units) / 2 + 1);
	}
	if (n > max >> shift)
		return -EINVAL;
	*out = n << shift;
	return 0;
}

/* ---- over the table budget: what, how big, and the rules behind it --- */

/* "2.4 GiB", "256 MiB", "91216 bytes": exact below a MiB. */
static const char *size_text(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = { "MiB", "GiB", "TiB" };
	unsigned int u = 0;
	uint64_t d = 1ull << 20;

	if (b < d) {
		snprintf(buf, len, "%llu byte%s", (unsigned long long)b,
			 b == 1 ? "" : "s");
		return buf;
	}
	while (u < 2 && b >= d << 10)
		d <<= 10, u++;
	if (b % d == 0)
		snprintf(buf, len, "%llu %s", (unsigned long long)(b / d),
			 unit[u]);
	else
		snprintf(buf, len, "%.1f %s", (double)b / (double)d, unit[u]);
	return buf;
}

/* Kinds of class boundary a rule can add. */
enum {
	BND_SRC,
	BND_DST,
	BND_PORT,
	BND_KINDS
};

struct bnd {
	fwc_u128 at;
	uint32_t rule;
	uint8_t field; /* src4 src6 dst4 dst6 dport sport type */
};

static int cmp_bnd(const void *a, const void *b)
{
	const struct bnd *x = a, *y = b;

	if (x->field != y->field)
		return x->field < y->field ? -1 : 1;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

struct bnds {
	struct bnd *v;
	size_t n, cap;
};

/* The points where @s starts or stops: where it can cut a class. */
static void set_bounds(struct bnds *b, const struct fwc_ivset *s, fwc_u128 max,
		       uint8_t field, uint32_t rule)
{
	for (size_t i = 0; i < s->n; i++) {
		struct bnd lo = { s->iv[i].lo, rule, field };
		struct bnd hi = { s->iv[i].hi + 1, rule, field };

		if (s->iv[i].lo > 0)
			VEC_PUSH(b->v, b->n, b->cap, lo);
		if (s->iv[i].hi < max)
			VEC_PUSH(b->v, b->n, b->cap, hi);
	}
}

/* Marks id @i of @seen (one bit per id); true when it was new. */
static bool first_use(uint8_t *seen, size_t i)
{
	if (seen[i])
		return false;
	seen[i] = 1;
	return true;
}

/*
 * For each rule, the class boundaries it adds that no earlier rule has:
 * ends of its source and of its destination addresses, and of its port
 * and type sets. A set shared with an earlier rule adds none.
 */
static void rule_boundaries(const struct fwc_policy *pol,
			    uint32_t (*per)[BND_KINDS], uint64_t tot[BND_KINDS])
{
	uint8_t *src = xcalloc(pol->n_hosts + 1, 1);
	uint8_t *dst = xcalloc(pol->n_hosts + 1, 1);
	uint8_t *sets = xcalloc(3 * (pol->n_sets + 1), 1);
	struct bnds b = { 0 };
	static const uint8_t kind[] = { BND_SRC,  BND_SRC,  BND_DST, BND_DST,
					BND_PORT, BND_PORT, BND_PORT };

	for (uint32_t r = 0; r < pol->n_rules; r++) {
		const struct fwc_rule *rule = &pol->rules[r];
		const struct fwc_addrset *s = &pol->hosts[rule->src];
		const struct fwc_addrset *d = &pol->hosts[rule->dst];

		if (first_use(src, rule->src)) {
			set_bounds(&b, &s->v4, FWC_V4_MAX, 0, r);
			set_bounds(&b, &s->v6, FWC_V6_MAX, 1, r);
		}
		if (first_use(dst, rule->dst)) {
			set_bounds(&b, &d->v4, FWC_V4_MAX, 2, r);
			set_bounds(&b, &d->v6, FWC_V6_MAX, 3, r);
		}
		for (size_t k = 0; k < rule->n_terms; k++) {
			const struct fwc_term *t =
				&pol->terms[rule->term_first + k];

			if (first_use(sets, t->dports))
				set_bounds(&b, &pol->sets[t->dports], 65535, 4,
					   r);
			if (first_use(sets + pol->n_sets + 1, t->sports))
				set_bounds(&b, &pol->sets[t->sports], 65535, 5,
					   r);
			if (first_use(sets + 2 * (pol->n_sets + 1), t->types))
				set_bounds(&b, &pol->sets[t->types], 255, 6, r);
		}
	}
	if (b.n)
		qsort(b.v, b.n, sizeof(*b.v), cmp_bnd);
	for (size_t i = 0; i < b.n; i++) {
		if (i && b.v[i].field == b.v[i - 1].field &&
		    b.v[i].at == b.v[i - 1].at)
			continue;
		per[b.v[i].rule][kind[b.v[i].field]]++;
		tot[kind[b.v[i].field]]++;
	}
	free(b.v);
	free(src);
	free(dst);
	free(sets);
}

#define BLAME_SHOWN 5

/*
 * Notes at the rules that add the most boundaries of the kinds that make
 * the table (@ports: port and type boundaries too; @addrs: address).
 */
static void blame_rules(struct fwc_diag *diag, const struct fwc_policy *pol,
			bool addrs, bool ports)
{
	uint32_t(*per)[BND_KINDS] = xcalloc(pol->n_rules + 1, sizeof(*per));
	uint64_t tot[BND_KINDS] = { 0 }, shown_sum = 0, all = 0;
	uint32_t top[BLAME_SHOWN], *score;
	size_t n_top = 0, adding = 0;

	rule_boundaries(pol, per, tot);
	score = xcalloc(pol->n_rules + 1, sizeof(*score));
	for (uint32_t r = 0; r < pol->n_rules; r++) {
		score[r] = (addrs ? per[r][BND_SRC] + per[r][BND_DST] : 0) +
			   (ports ? per[r][BND_PORT] : 0);
		adding += score[r] > 0;
		/* Insert into the top, ties to the earlier rule. */
		if (!score[r] ||
		    (n_top == BLAME_SHOWN && score[r] <= score[top[n_top - 1]]))
			continue;
		size_t at = n_top < BLAME_SHOWN ? n_top++ : n_top - 1;

		while (at > 0 && score[top[at - 1]] < score[r]) {
			top[at] = top[at - 1];
			at--;
		}
		top[at] = r;
	}
	for (size_t i = 0; i < n_top; i++) {
		const struct fwc_rule *rule = &pol->rules[top[i]];
		const uint32_t *p = per[top[i]];

		shown_sum += score[top[i]];
		if (addrs && ports)
			fwc_note(diag, rule->pos,
				 "rule %u adds %u source, %u destination "
				 "and %u port or type boundar%s",
				 rule->id, p[BND_SRC], p[BND_DST], p[BND_PORT],
				 p[BND_PORT] == 1 ? "y" : "ies");
		else if (addrs)
			fwc_note(diag, rule->pos,
				 "rule %u adds %u source and %u destination "
				 "boundar%s",
				 rule->id, p[BND_SRC], p[BND_DST],
				 p[BND_DST] == 1 ? "y" : "ies");
		else
			fwc_note(diag, rule->pos,
				 "rule %u adds %u port or type boundar%s",
				 rule->id, p[BND_PORT],
				 p[BND_PORT] == 1 ? "y" : "ies");
	}
	all = (addrs ? tot[BND_SRC] + tot[BND_DST] : 0) +
	      (ports ? tot[BND_PORT] : 0);
	if (n_top)
		fwc_note_file(
			diag,
			"rules ranked by the class boundaries each adds that no "
			"earlier rule has (%s): the %zu shown add %llu of %llu, "
			"%zu of %zu rules add some%s",
			addrs && ports ? "ends of its source and destination "
					 "addresses, of its port ranges and "
					 "ICMP types" :
			addrs	       ? "ends of its source and destination "
					 "addresses" :
					 "ends of its port ranges and ICMP types",
			n_top, (unsigned long long)shown_sum,
			(unsigned long long)all, adding, pol->n_rules,
			shown_sum * 10 >= all ? "" :
			addrs && ports ? ": no handful of rules makes this "
					 "table, the many rules' own addresses "
					 "and ports do" :
			addrs	       ? ": no handful of rules makes this "
					 "table, the many rules' own addresses "
					 "do" :
					 ": no handful of rules makes this "
					 "table, the many rules' own ports do");
	free(score);
	free(per);
}

/* The largest (k1 x k2) of the protocol classes, for the svc message. */
static void largest_pclass(const struct fwc_classes *c, uint32_t *k1,
			   uint32_t *k2)
{
	uint64_t best = 0;

	*k1 = *k2 = 1;
	for (uint32_t k = 0; k < c->n_pc; k++) {
		uint64_t n = (uint64_t)c->pc[k].k1.n_cls * c->pc[k].k2.n_cls;

		if (n > best) {
			best = n;
			*k1 = c->pc[k].k1.n_cls;
			*k2 = c->pc[k].k2.n_cls;
		}
	}
}

static void report_budget(struct fwc_diag *diag, const struct fwc_policy *pol,
			  const struct fwc_classes *c,
			  const struct fwc_estimate *e)
{
	char a[32], b[32], p[32], v[32];
	uint32_t k1, k2;

	size_text(e->budget, b, sizeof(b));
	size_text(e->pair_bytes, p, sizeof(p));
	size_text(e->svc_bytes, v, sizeof(v));
	switch (e->over) {
	case FWC_OVER_WORK:
		fwc_error_file(diag,
			       "counting the decision rows of the single "
			       "cross product passed its bound of %llu steps "
			       "(a few seconds): already %llu distinct "
			       "candidate rule lists; its rows would pass the "
			       "table budget of %s, or nearly (fwc compile "
			       "--layout single counts to the end)",
			       FWC_COUNT_WORK, (unsigned long long)e->lists, b);
		return;
	case FWC_OVER_SVC:
		largest_pclass(c, &k1, &k2);
		fwc_error_file(diag,
			       "the service table (svc) would need %llu "
			       "entries (%s), over the table budget of %s "
			       "(--max-table-memory): it holds every "
			       "combination of destination-port (or ICMP "
			       "type) and source-port classes of %u protocol "
			       "classes, the largest %u x %u",
			       (unsigned long long)(e->svc_bytes / 4), v, b,
			       c->n_pc, k1, k2);
		blame_rules(diag, pol, false, true);
		return;
	case FWC_OVER_SVC_RULES:
		fwc_error_file(diag,
			       "the service classes' rule sets would need "
			       "more than %s (more than %u classes of %zu "
			       "rules each, of %llu port and type class "
			       "combinations), over the table budget of %s "
			       "(--max-table-memory)",
			       size_text((uint64_t)c->n_svc * c->rule_words * 8,
					 a, sizeof(a)),
			       c->n_svc, pol->n_rules,
			       (unsigned long long)(e->svc_bytes / 4), b);
		blame_rules(diag, pol, false, true);
		return;
	case FWC_OVER_PAIR:
		fwc_error_file(diag,
			       "the pair table would need %u source x %u "
			       "destination address classes = %llu entries "
			       "(%s), over the table budget of %s "
			       "(--max-table-memory)%s%s",
			       c->n_src, c->n_dst,
			       (unsigned long long)(e->pair_bytes / 4), p, b,
			       e->svc_bytes ? " with the svc table's " : "",
			       e->svc_bytes ? v : "");
		/* Past it only with the svc map: its port classes count. */
		blame_rules(diag, pol, true, e->pair_bytes <= e->budget);
		return;
	case FWC_OVER_DECISION:
		fwc_error_file(diag,
			       "the decision table would need %s%llu rows x "
			       "%u service classes (%s%s), over the table "
			       "budget of %s (--max-table-memory) with the "
			       "pair table's %s and the svc table's %s",
			       e->more ? "more than " : "",
			       (unsigned long long)(e->rows - e->more),
			       c->n_svc, e->more ? "more than " : "",
			       size_text(e->decision_bytes, a, sizeof(a)), b, p,
			       v);
		fwc_note_file(diag,
			      "a row is a distinct first match over the "
			      "service classes, one for each distinct rule "
			      "list of the %llu same-family pairs of %u "
			      "source x %u destination address classes%s; "
			      "the service classes are the distinct rule sets "
			      "of %llu port and type class combinations",
			      (unsigned long long)e->pairs, c->n_src, c->n_dst,
			      e->more ? " (counted until past the budget)" : "",
			      (unsigned long long)(e->svc_bytes / 4));
		blame_rules(diag, pol, true, true);
		return;
	case FWC_OVER_LISTS:
		fwc_error_file(diag,
			       "the candidate rule lists of the decision rows "
			       "would need at least %s (%llu distinct lists "
			       "of the %llu same-family pairs of %u source x "
			       "%u destination address classes, counted until "
			       "past the budget; %llu distinct rows of %u "
			       "service classes so far), over the table "
			       "budget of %s (--max-table-memory)",
			       size_text(e->list_bytes, a, sizeof(a)),
			       (unsigned long long)e->lists,
			       (unsigned long long)e->pairs, c->n_src, c->n_dst,
			       (unsigned long long)e->rows, c->n_svc, b);
		blame_rules(diag, pol, true, false);
		return;
	case FWC_OVER_RULE_SVCS:
		fwc_error_file(diag,
			       "the service classes of each rule, which the "
			       "decision rows are walked by, would need %s "
			       "(%zu rules in up to %u service classes each), "
			       "over the table budget of %s "
			       "(--max-table-memory)",
			       size_text(e->rule_svc_bytes, a, sizeof(a)),
			       pol->n_rules, c->n_svc, b);
		blame_rules(diag, pol, false, true);
		return;
	case FWC_OVER_NONE:
		break;
	}
}

int fwc_compile(const char *name, const char *text, size_t len,
		const struct fwc_compile_opts *opts, struct fwc_tables **out,
		struct fwc_policy **pol_out)
{
	struct fwc_src src = { name, text, len };
	struct fwc_policy *pol = xcalloc(1, sizeof(*pol));
	const struct fwc_compile_opts *o = opts ? opts : &default_opts;
	uint64_t budget = o->max_table_memory ? o->max_table_memory :
						FWC_TABLE_BUDGET;
	struct fwc_tables *t = NULL;
	struct fwc_estimate est;
	struct fwc_classes c;
	struct fwc_lower lw;
	struct fwc_diag diag;
	enum fwc_layout layout = o->layout;
	int err;

	diag_setup(&diag, &src, opts);
	*out = NULL;
	err = resolve_text(&src, &diag, pol);
	if (err)
		goto out;
	/* Sizes first: a policy over the budget is told before it is built. */
	if (layout == FWC_LAYOUT_GROUPS && !pol->n_rules)
		layout = FWC_LAYOUT_SINGLE; /* no rules, no groups */
	if (layout != FWC_LAYOUT_GROUPS) {
		fwc_classes_build_within(pol, &c, budget);
		/* auto: a count that runs long means groups, sooner. */
		err = fwc_tables_estimate(
			pol, &c, budget,
			layout == FWC_LAYOUT_AUTO ? FWC_COUNT_WORK : 0, &est);
	}
	if (layout == FWC_LAYOUT_GROUPS ||
	    (err == -E2BIG && layout == FWC_LAYOUT_AUTO)) {
		/* Past the single cross product: groups (compiler/groups.c). */
		char why[256] = "";

		t = xcalloc(1, sizeof(*t));
		err = fwc_tables_build_groups(pol, o, t, why, sizeof(why));
		if (!err) {
			state_meta(pol, &t->meta);
		} else if (layout == FWC_LAYOUT_GROUPS) {
			fwc_error_file(&diag,
				       "the grouped tables would pass the "
				       "table budget of %llu bytes "
				       "(--max-table-memory): %s",
				       (unsigned long long)budget, why);
		} else {
			report_budget(&diag, pol, &c, &est);
			fwc_note_file(&diag,
				      "nor do the grouped tables fit (fwc "
				      "compile --layout groups): %s",
				      why);
		}
		if (layout != FWC_LAYOUT_GROUPS)
			fwc_classes_free(&c);
		if (!err && opts && opts->warnings)
			fwc_note_file(&diag,
				      "the policy takes the grouped layout "
				      "(%u groups): the checks of shadowed, "
				      "redundant and overlapping rules need "
				      "the single cross product and are "
				      "skipped",
				      t->meta.n_groups);
		goto out;
	}
	if (err) {
		report_budget(&diag, pol, &c, &est);
		fwc_classes_free(&c);
		goto out;
	}
	t = xcalloc(1, sizeof(*t));
	err = fwc_tables_build(pol, &c, o, t, &lw);
	if (!err)
		state_meta(pol, &t->meta);
	if (err == -E2BIG)
		fwc_error_file(&diag,
			       "the tables would pass the table budget of "
			       "%llu bytes (--max-table-memory)",
			       (unsigned long long)budget);
	else if (!err && opts && opts->warnings)
		fwc_analyze(pol, &c, t, &lw,
			    opts->wide_ports ? opts->wide_ports :
					       FWC_WIDE_PORTS,
			    &diag);
	fwc_lower_free(&lw);
	fwc_classes_free(&c);
out:
	fwc_diag_finish(&diag);
	fwc_last_warnings = diag.warnings;
	if (err) {
		fwc_tables_free(t);
		fwc_policy_destroy(pol);
		return err;
	}
	*out = t;
	if (pol_out)
		*pol_out = pol;
	else
		fwc_policy_destroy(pol);
	return 0;
}

void fwc_policy_destroy(struct fwc_policy *pol)
{
	if (!pol)
		return;
	fwc_policy_free(pol);
	free(pol);
}

int fwc_compile_string(const char *name, const char *text, size_t len,
		       const struct fwc_compile_opts *opts,
		       struct fwc_tables **out)
{
	return fwc_compile(name, text, len, opts, out, NULL);
}

int fwc_compile_file(const char *path, const struct fwc_compile_opts *opts,
		     struct fwc_tables **out)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	char *text;
	size_t len;
	int err = fwc_read_file(path, &text, &len);

	if (err) {
		FILE *f = opts && opts->err ? opts->err : stderr;

		if (opts && opts->json) {
			fputs("{\"file\": ", f);
			fwc_json_str(f, name);
			fprintf(f,
				", \"line\": 0, \"col\": 0, \"severity\": "
				"\"error\", \"kind\": \"error\", \"rules\": [], "
				"\"message\": \"cannot read policy: %s\"}",
				fwc_read_error(err));
		} else {
			fprintf(f, "%s: error: cannot read policy: %s\n", name,
				fwc_read_error(err));
		}
		return err;
	}
	err = fwc_compile(name, text, len, opts, out, NULL);
	free(text);
	return err;
}

int fwc_tables_open(const char *path, const struct fwc_compile_opts *opts,
		    struct fwc_tables **out)
{
	/* Only a regular file is opened twice (a FIFO could block). */
	if (fwc_file_regular(path) && fwc_artifact_probe(path))
		return fwc_artifact_read(path, out);
	return fwc_compile_file(path, opts, out);
}
