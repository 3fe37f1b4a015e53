// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * `fwc compile --emit nft`: the resolved policy as one nftables table.
 *
 * The XDP datapath and this ruleset must mean the same thing, since
 * tests/diff/ compares them flow by flow. How each part maps:
 *
 * - First match: nft runs the rules of a chain in order and stops at
 *   accept/drop, so each policy rule becomes one or more nft rules at its
 *   place, all with its verdict. A rule whose hosts hold both families
 *   becomes an IPv4 and an IPv6 rule; a rule whose service mixes shapes
 *   (ports, ICMP types, bare protocols) one rule per shape.
 * - Sets are exact intervals, as in the compiler: host sets with more than
 *   one interval become named `flags interval` sets, one per family.
 * - Counters: one named counter per rule ("r<ID>-<label>"), "r0-default"
 *   for the default and "nd" for neighbour discovery, as `fwc stats`
 *   lists them.
 * - Logging (`log`, `set log default on`, `set log rate`) and audit mode
 *   (`set mode audit`: drops pass, counted as would-drop too, and logged):
 *   see put_log() and put_verdict().
 * - Where: the forward hook, i.e. traffic routed through the gateway. The
 *   XDP program also sees what is addressed to the gateway itself on its
 *   legs; a routed nft gateway leaves its own traffic to the input hook,
 *   which fwc does not write.
 * - State: see emit_prologue().
 * - Non-IP frames (ARP, LLDP) are never routed, so the forward hook never
 *   sees them: `set non-ip` has nothing to decide here (with `drop`, the
 *   XDP gateway also stops ARP to itself; nft leaves that to the host).
 * - Fragments: with state on, conntrack reassembles before the forward
 *   hook and the rules see whole datagrams, which is what fwc's fragment
 *   verdicts amount to (later fragments follow the first one; a later
 *   fragment without its first is dropped, as reassembly never completes).
 *   With state off nothing reassembles and later fragments are dropped.
 * - What conntrack needs besides the ruleset (sysctls) is in the header.
 * - rpc rules (docs/rpc-pinholes.md): nft has no endpoint-mapper helper
 *   to read ept_map answers, so it cannot open pinholes. Such a rule is
 *   refused unless a fallback range is given; then it admits TCP to the
 *   ports of that range that its pinholes could open (its interfaces'
 *   `port` bounds), besides its TCP 135: see emit_rpc_fallback().
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "emit_nft.h"
#include "graph.h"
#include "resolve.h"
#include "util.h"

#define NAME_MAX_LEN 48	    /* of counter names; nft takes 256 */
#define COMMENT_MAX_LEN 120 /* nft takes 128 bytes */
#define PREFIX_MAX_LEN 100  /* log prefix; the kernel takes 127 */
#define ELEMS_PER_LINE 4

struct emitter {
	const struct fwc_policy *pol;
	const struct fwc_nft_opts *opts;
	FILE *out;
	bool *named;  /* [2 * host id + (family == 6)]: a named set exists */
	char *log;    /* the log statement of the rule being written, or NULL */
	char **ports; /* named port sets p0.., by their elements' text */
	size_t n_ports, cap_ports;
};

/* A rule's terms, merged where that cannot change what matches. */
struct mterm {
	uint32_t protos, sports;
	struct fwc_ivset dports, types;
};

static bool ivset_is(const struct fwc_ivset *s, fwc_u128 lo, fwc_u128 hi)
{
	return s->n == 1 && s->iv[0].lo == lo && s->iv[0].hi == hi;
}

static const struct fwc_ivset *hosts_of(const struct fwc_addrset *h, int fam)
{
	return fam == 4 ? &h->v4 : &h->v6;
}

static bool hosts_full(const struct fwc_addrset *h, int fam)
{
	fwc_u128 max = fam == 4 ? FWC_V4_MAX : FWC_V6_MAX;

	return ivset_is(hosts_of(h, fam), 0, max);
}

/* Counter names: nft identifiers, unique by the rule number. */
static void counter_name(const struct fwc_rule *r, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "r%u", r->id);
	const char *s = r->id ? r->label : "default";

	if (!s || !*s || n + 2 >= len)
		return;
	buf[n++] = '-';
	for (; *s && n + 1 < len && n < NAME_MAX_LEN; s++) {
		char c = *s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_';

		c = ok ? c : '_';
		/* "no rdp!" → "no_rdp_", not "no_rdp__". */
		if (c == '_' && buf[n - 1] == '_')
			continue;
		buf[n++] = c;
	}
	buf[n] = '\0';
}

/*
 * Text inside nft double quotes: nft has no escapes, so quotes become
 * apostrophes and control characters spaces; cut at a character boundary.
 */
static void put_quoted(FILE *f, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		fputc(c == '"' ? '\'' : c < 0x20 || c == 0x7f ? ' ' : c, f);
	}
	fputc('"', f);
}

/* A file comment: the same text on one line after "# ". */
static void put_comment_text(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
}

static void put_u(FILE *f, fwc_u128 lo, fwc_u128 hi)
{
	if (lo == hi)
		fprintf(f, "%u", (unsigned int)lo);
	else
		fprintf(f, "%u-%u", (unsigned int)lo, (unsigned int)hi);
}

/* Ports, types, protocol numbers: one value, a range or a set. */
static void put_numbers(FILE *f, const struct fwc_ivset *s)
{
	if (s->n > 1)
		fputs("{ ", f);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			fputs(", ", f);
		put_u(f, s->iv[i].lo, s->iv[i].hi);
	}
	if (s->n > 1)
		fputs(" }", f);
}

/*
 * Ports: one value or a range inline, more as a named set, one per
 * distinct set (nft -f reads 10k rules in 8 s with named port sets, in
 * 80 s with an anonymous set in every rule).
 */
static void put_ports(struct emitter *e, FILE *f, const struct fwc_ivset *s)
{
	char *text;
	size_t len, k;
	FILE *m;

	if (s->n <= 1) {
		put_numbers(f, s);
		return;
	}
	m = open_memstream(&text, &len);
	for (size_t i = 0; i < s->n; i++) {
		fputs(i ? ", " : "", m);
		put_u(m, s->iv[i].lo, s->iv[i].hi);
	}
	fclose(m);
	for (k = 0; k < e->n_ports && strcmp(e->ports[k], text); k++)
		;
	if (k < e->n_ports)
		free(text);
	else
		VEC_PUSH(e->ports, e->n_ports, e->cap_ports, text);
	fprintf(f, "@p%zu", k);
}

static void emit_port_sets(struct emitter *e)
{
	for (size_t k = 0; k < e->n_ports; k++)
		fprintf(e->out,
			"	set p%zu {\n\t\ttype inet_service; flags interval;\n"
			"\t\telements = { %s }\n\t}\n",
			k, e->ports[k]);
}

/* One interval of addresses: an address, a prefix or a range. */
static void put_addr_iv(FILE *f, int fam, fwc_u128 lo, fwc_u128 hi)
{
	unsigned int bits = fam == 4 ? 32 : 128, host = 0;
	fwc_u128 m = hi - lo;
	char a[64], b[64];

	fwc_format_addr(a, sizeof(a), fam, lo);
	if (lo == hi) {
		fputs(a, f);
		return;
	}
	/* A prefix: hi - lo is all ones below some bit and lo is aligned. */
	if (!(m & (m + 1)) && !(lo & m)) {
		for (; m; m >>= 1)
			host++;
		fprintf(f, "%s/%u", a, bits - host);
		return;
	}
	fwc_format_addr(b, sizeof(b), fam, hi);
	fprintf(f, "%s-%s", a, b);
}

static const char *proto_word(unsigned int p)
{
	switch (p) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "ipv6-icmp";
	case 132:
		return "sctp";
	default:
		return NULL;
	}
}

/* Protocols from a 256-bit map: names where nft has them, else numbers. */
static void put_protos(FILE *f, const bool *in)
{
	unsigned int n = 0, runs = 0;

	for (unsigned int p = 0; p < 256; p++)
		if (in[p] && (p == 0 || !in[p - 1]))
			runs++;
	if (runs > 1)
		fputs("{ ", f);
	for (unsigned int p = 0; p < 256; p++) {
		unsigned int q = p;

		if (!in[p])
			continue;
		while (q < 255 && in[q + 1])
			q++;
		if (n++)
			fputs(", ", f);
		if (p == q && proto_word(p))
			fputs(proto_word(p), f);
		else
			put_u(f, p, q);
		p = q;
	}
	if (runs > 1)
		fputs(" }", f);
}

/* ---- host sets ----------------------------------------------------- */

/* A rule's families: 0 when both sides hold every address of both. */
static int rule_families(const struct fwc_policy *pol, const struct fwc_rule *r,
			 int fams[2])
{
	const struct fwc_addrset *s = &pol->hosts[r->src];
	const struct fwc_addrset *d = &pol->hosts[r->dst];
	int n = 0;

	if (hosts_full(s, 4) && hosts_full(s, 6) && hosts_full(d, 4) &&
	    hosts_full(d, 6)) {
		fams[0] = 0;
		return 1;
	}
	if (s->v4.n && d->v4.n)
		fams[n++] = 4;
	if (s->v6.n && d->v6.n)
		fams[n++] = 6;
	return n;
}

static void need_set(struct emitter *e, uint32_t id, int fam)
{
	const struct fwc_addrset *h = &e->pol->hosts[id];

	if (hosts_of(h, fam)->n > 1)
		e->named[2 * id + (fam == 6)] = true;
}

static void emit_set(struct emitter *e, uint32_t id, int fam)
{
	const struct fwc_ivset *s = hosts_of(&e->pol->hosts[id], fam);
	FILE *f = e->out;

	fprintf(f,
		"\tset h%u_v%d {\n\t\ttype %s; flags interval;\n"
		"\t\telements = {",
		id, fam, fam == 4 ? "ipv4_addr" : "ipv6_addr");
	for (size_t i = 0; i < s->n; i++) {
		fputs(i % ELEMS_PER_LINE ? " " : "\n\t\t\t", f);
		put_addr_iv(f, fam, s->iv[i].lo, s->iv[i].hi);
		if (i + 1 < s->n)
			fputc(',', f);
	}
	fputs("\n\t\t}\n\t}\n", f);
}

static void emit_sets(struct emitter *e)
{
	const struct fwc_policy *pol = e->pol;

	for (size_t i = 0; i < pol->n_rules; i++) {
		const struct fwc_rule *r = &pol->rules[i];
		int fams[2], n = rule_families(pol, r, fams);

		for (int k = 0; k < n; k++) {
			if (!fams[k])
				continue;
			need_set(e, r->src, fams[k]);
			need_set(e, r->dst, fams[k]);
		}
	}
	for (uint32_t id = 0; id < pol->n_hosts; id++)
		for (int k = 0; k < 2; k++)
			if (e->named[2 * id + k])
				emit_set(e, id, k ? 6 : 4);
}

/* "ip saddr X ": nothing when the set holds every address of @fam. */
static void put_host_match(struct emitter *e, FILE *f, const char *dir,
			   uint32_t id, int fam)
{
	const struct fwc_ivset *s = hosts_of(&e->pol->hosts[id], fam);

	if (hosts_full(&e->pol->hosts[id], fam))
		return;
	fprintf(f, "%s %s ", fam == 4 ? "ip" : "ip6", dir);
	if (e->named[2 * id + (fam == 6)])
		fprintf(f, "@h%u_v%d ", id, fam);
	else {
		put_addr_iv(f, fam, s->iv[0].lo, s->iv[0].hi);
		fputc(' ', f);
	}
}

/* ---- rules ---------------------------------------------------------- */

static size_t merge_terms(const struct fwc_policy *pol,
			  const struct fwc_rule *r, struct mterm *m)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_terms; i++) {
		const struct fwc_term *t = &pol->terms[r->term_first + i];
		const struct fwc_ivset *dp = &pol->sets[t->dports];
		const struct fwc_ivset *ty = &pol->sets[t->types];
		size_t j;

		/*
		 * Same protocols and source ports: equal types let the
		 * destination ports be united, equal destination ports the
		 * types, and the union matches what either term matched.
		 */
		for (j = 0; j < n; j++)
			if (m[j].protos == t->protos &&
			    m[j].sports == t->sports &&
			    (fwc_ivset_equal(&m[j].types, ty) ||
			     fwc_ivset_equal(&m[j].dports, dp)))
				break;
		if (j == n) {
			m[n].protos = t->protos;
			m[n].sports = t->sports;
			fwc_ivset_copy(&m[n].dports, dp);
			fwc_ivset_copy(&m[n].types, ty);
			n++;
			continue;
		}
		fwc_ivset_union(&m[j].dports, dp);
		fwc_ivset_union(&m[j].types, ty);
	}
	return n;
}

/* Rule 0 as a rule: the default's verdict, log and counter. */
static void default_rule(const struct fwc_policy *pol, struct fwc_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->allow = pol->default_allow;
	r->log = pol->log_default;
	r->label = pol->default_allow ? "default allow" : "default deny";
}

/*
 * Rules that log: those marked `log` (rule 0 with `set log default on`)
 * and, in audit mode, every rule that would drop (bpf/log.h).
 */
static bool rule_logs(const struct fwc_policy *pol, const struct fwc_rule *r)
{
	return r->log || (pol->audit && !r->allow);
}

/* "rule N: label", as `fwc stats` names the counter. */
static void put_rule_comment(FILE *f, const struct fwc_rule *r)
{
	char text[COMMENT_MAX_LEN + 32];

	snprintf(text, sizeof(text), "rule %u%s%s", r->id, r->label ? ": " : "",
		 r->label ? r->label : "");
	put_quoted(f, text, COMMENT_MAX_LEN);
}

/*
 * The log statement of a rule that logs. It goes on a rule of its own
 * before the verdict's: a limit that is spent stops its rule, and must
 * not stop the verdict. The named limit is the rule's one token bucket
 * (`set log rate`, per rule as in the datapath) whatever the nft rules.
 */
static void put_log(struct emitter *e, FILE *f, const struct fwc_rule *r)
{
	char text[PREFIX_MAX_LEN + 32];
	bool would = e->pol->audit && !r->allow;

	snprintf(text, sizeof(text), "fwc r%u%s%s%s: ", r->id,
		 r->label ? " " : "", r->label ? r->label : "",
		 would ? " would-drop" : "");
	fprintf(f, "limit name \"log-r%u\" log prefix ", r->id);
	put_quoted(f, text, PREFIX_MAX_LEN);
	fprintf(f, " comment \"rule %u log\"", r->id);
}

/*
 * What follows the matches: counters, state mark, verdict, comment. In
 * audit mode a drop passes, counted as would-drop too.
 */
static void put_verdict(struct emitter *e, FILE *f, const struct fwc_rule *r)
{
	char name[NAME_MAX_LEN + 16];

	counter_name(r, name, sizeof(name));
	fprintf(f, "counter name \"%s\" ", name);
	if (!r->allow && e->pol->audit)
		fputs("counter name \"would-drop\" ", f);
	/* The admitting rule, so that replies count against it. */
	if (r->allow && r->id && !e->pol->state_off)
		fprintf(f, "ct mark set %u ", r->id);
	fputs(r->allow || e->pol->audit ? "accept" : "drop", f);
	fputs(" comment ", f);
	put_rule_comment(f, r);
}

/* The log line (when the rule logs), then the verdict line. */
static void put_line(struct emitter *e, const char *addr, const char *l4,
		     const char *verdict)
{
	if (e->log)
		fprintf(e->out, "\t\t%s%s%s\n", addr, l4, e->log);
	fprintf(e->out, "\t\t%s%s%s\n", addr, l4, verdict);
}

/*
 * One merged term of a rule: the ported protocols with their port sets,
 * each ICMP protocol with its types, and whatever else the term names
 * with no further condition (term_match() in reference.c).
 */
static void emit_term(struct emitter *e, const struct mterm *t, int fam,
		      const char *addr, const char *verdict)
{
	const struct fwc_ivset *protos = &e->pol->sets[t->protos];
	const struct fwc_ivset *sports = &e->pol->sets[t->sports];
	bool ports = !ivset_is(&t->dports, 0, 65535) ||
		     !ivset_is(sports, 0, 65535);
	bool types = !ivset_is(&t->types, 0, 255);
	bool in[256] = { false }, ported[256] = { false }, rest = false;
	unsigned int n_ported = 0, last = 0;
	char *l4;
	size_t len;
	FILE *f;

	for (size_t i = 0; i < protos->n; i++)
		for (fwc_u128 p = protos->iv[i].lo; p <= protos->iv[i].hi; p++)
			in[p] = true;
	for (unsigned int p = 0; p < 256; p++) {
		if (!in[p])
			continue;
		if (ports && fwc_proto_has_ports(p)) {
			ported[p] = true, in[p] = false;
			n_ported++, last = p;
		} else if (types && fwc_proto_is_icmp(p)) {
			in[p] = false;
			/* icmp is IPv4's, icmpv6 IPv6's (the prologue drops
			 * either in the other family, as the datapath). */
			if (fam && fam != (p == 1 ? 4 : 6))
				continue;
			f = open_memstream(&l4, &len);
			if (!fam)
				fprintf(f, "meta nfproto ipv%d ",
					p == 1 ? 4 : 6);
			fprintf(f, "%s type ", p == 1 ? "icmp" : "icmpv6");
			put_numbers(f, &t->types);
			fputc(' ', f);
			fclose(f);
			put_line(e, addr, l4, verdict);
			free(l4);
		} else {
			rest = true;
		}
	}
	if (n_ported) {
		const char *w = proto_word(last);

		f = open_memstream(&l4, &len);
		if (n_ported > 1) {
			fputs("meta l4proto ", f);
			put_protos(f, ported);
			w = "th";
			fputc(' ', f);
		}
		if (!ivset_is(&t->dports, 0, 65535)) {
			fprintf(f, "%s dport ", w);
			put_ports(e, f, &t->dports);
			fputc(' ', f);
		}
		if (!ivset_is(sports, 0, 65535)) {
			fprintf(f, "%s sport ", w);
			put_ports(e, f, sports);
			fputc(' ', f);
		}
		fclose(f);
		put_line(e, addr, l4, verdict);
		free(l4);
	}
	if (!rest)
		return;
	f = open_memstream(&l4, &len);
	if (memchr(in, false, sizeof(in))) {
		fputs("meta l4proto ", f);
		put_protos(f, in);
		fputc(' ', f);
	}
	fclose(f);
	put_line(e, addr, l4, verdict);
	free(l4);
}

/*
 * The ports --rpc-fallback opens for rpc rule @r: the fallback range
 * within the bounds of its interfaces, which no pinhole could exceed.
 */
static void rpc_fallback_ports(const struct emitter *e,
			       const struct fwc_rule *r, struct fwc_ivset *out)
{
	struct fwc_ivset outside = { 0 };

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < r->n_rpc; i++) {
		const struct fwc_rpc_entry *x = &e->pol->rpc[r->rpc_first + i];

		fwc_ivset_add(out, x->port_lo, x->port_hi);
	}
	fwc_ivset_normalise(out);
	if (e->opts->rpc_lo > 0)
		fwc_ivset_add(&outside, 0, e->opts->rpc_lo - 1u);
	if (e->opts->rpc_hi < 65535)
		fwc_ivset_add(&outside, e->opts->rpc_hi + 1u, 65535);
	fwc_ivset_normalise(&outside);
	fwc_ivset_subtract(out, &outside);
	fwc_ivset_free(&outside);
}

/*
 * After rpc rule @r's own lines (its TCP 135, the endpoint mapper): the
 * range it stands for, with the rule's counter, mark and verdict.
 */
static void emit_rpc_fallback(struct emitter *e, const struct fwc_rule *r,
			      const int *fams, int n_fams, const char *verdict)
{
	struct fwc_ivset ports;
	char *ifaces, *addr, *l4;
	size_t len;
	FILE *f;

	if (!r->n_rpc || !r->allow)
		return;
	rpc_fallback_ports(e, r, &ports);
	ifaces = fwc_rpc_rule_text(e->pol, r, -1);
	fprintf(e->out,
		"\t\t# rule %u: rpc fallback (--rpc-fallback %u-%u): nftables "
		"cannot follow\n\t\t# the endpoint mapper, so instead of "
		"pinholes for %s\n\t\t# %s\n",
		r->id, e->opts->rpc_lo, e->opts->rpc_hi, ifaces,
		ports.n ? "the whole range opens to the rule's sources "
			  "(weaker)" :
			  "nothing opens: the range is outside its bounds");
	free(ifaces);
	for (int k = 0; ports.n && k < n_fams; k++) {
		f = open_memstream(&addr, &len);
		if (fams[k]) {
			put_host_match(e, f, "saddr", r->src, fams[k]);
			put_host_match(e, f, "daddr", r->dst, fams[k]);
			if (hosts_full(&e->pol->hosts[r->src], fams[k]) &&
			    hosts_full(&e->pol->hosts[r->dst], fams[k]))
				fprintf(f, "meta nfproto ipv%d ", fams[k]);
		}
		fclose(f);
		f = open_memstream(&l4, &len);
		fputs("tcp dport ", f);
		put_ports(e, f, &ports);
		fputc(' ', f);
		fclose(f);
		put_line(e, addr, l4, verdict);
		free(l4);
		free(addr);
	}
	fwc_ivset_free(&ports);
}

static void emit_rule(struct emitter *e, const struct fwc_rule *r)
{
	const struct fwc_policy *pol = e->pol;
	struct mterm *m = xcalloc(r->n_terms, sizeof(*m));
	size_t n_m = merge_terms(pol, r, m);
	int fams[2], n_fams = rule_families(pol, r, fams);
	char *verdict, *addr;
	size_t len;
	FILE *f;

	fprintf(e->out, "\t\t# rule %u", r->id);
	if (r->label)
		fprintf(e->out, " \"%s\"", r->label);
	fprintf(e->out, ", line %u: ", r->pos.line);
	put_comment_text(e->out, r->text);
	fputc('\n', e->out);
	if (!n_fams || !n_m)
		fputs("\t\t# (matches no packet)\n", e->out);

	f = open_memstream(&verdict, &len);
	put_verdict(e, f, r);
	fclose(f);
	if (rule_logs(pol, r)) {
		f = open_memstream(&e->log, &len);
		put_log(e, f, r);
		fclose(f);
	}
	for (int k = 0; k < n_fams; k++) {
		f = open_memstream(&addr, &len);
		if (fams[k]) {
			put_host_match(e, f, "saddr", r->src, fams[k]);
			put_host_match(e, f, "daddr", r->dst, fams[k]);
			if (hosts_full(&pol->hosts[r->src], fams[k]) &&
			    hosts_full(&pol->hosts[r->dst], fams[k]))
				fprintf(f, "meta nfproto ipv%d ", fams[k]);
		}
		fclose(f);
		for (size_t i = 0; i < n_m; i++)
			emit_term(e, &m[i], fams[k], addr, verdict);
		free(addr);
	}
	emit_rpc_fallback(e, r, fams, n_fams, verdict);
	free(verdict);
	free(e->log);
	e->log = NULL;
	for (size_t i = 0; i < n_m; i++) {
		fwc_ivset_free(&m[i].dports);
		fwc_ivset_free(&m[i].types);
	}
	free(m);
}

/* ---- the table -------------------------------------------------------- */

/* Counter (and log limit) objects of rule @r. */
static void emit_rule_objects(struct emitter *e, const struct fwc_rule *r)
{
	const struct fwc_policy *pol = e->pol;
	uint32_t rate = pol->log_rate ? pol->log_rate : FWC_LOG_RATE_DEFAULT;
	char name[NAME_MAX_LEN + 16];

	counter_name(r, name, sizeof(name));
	fprintf(e->out, "\tcounter %s { comment ", name);
	put_rule_comment(e->out, r);
	fputs(" }\n", e->out);
	if (rule_logs(pol, r))
		fprintf(e->out,
			"\tlimit log-r%u { rate %u/second burst %u "
			"packets }\n",
			r->id, rate, rate);
}

static void emit_counters(struct emitter *e)
{
	const struct fwc_policy *pol = e->pol;
	struct fwc_rule r0;

	default_rule(pol, &r0);
	emit_rule_objects(e, &r0);
	fputs("\tcounter nd { comment \"IPv6 neighbour discovery\" }\n"
	      "\tcounter mld { comment \"link-scope MLD\" }\n"
	      "\tcounter malformed { comment \"ICMP of the other family\" }\n",
	      e->out);
	if (!pol->srcroute_pass)
		fputs("\tcounter source-route { comment \"source-routed\" }\n",
		      e->out);
	if (pol->state_off)
		fputs("\tcounter fragment { comment \"later fragments\" }\n",
		      e->out);
	if (pol->audit)
		fputs("\tcounter would-drop { comment \"audit: what the policy "
		      "would drop\" }\n",
		      e->out);
	for (size_t i = 0; i < pol->n_rules; i++)
		emit_rule_objects(e, &pol->rules[i]);
}

/*
 * ct mark (the admitting rule) → that rule's counter. fwc opens a flow
 * for whatever an allow verdict passes, the default's included when it
 * allows, so rule 0 is in the map only then.
 */
static void emit_flow_map(struct emitter *e)
{
	const struct fwc_policy *pol = e->pol;
	char name[NAME_MAX_LEN + 16];
	unsigned int n = 0;

	fputs("\tmap flows {\n\t\ttype mark : counter;\n", e->out);
	if (pol->default_allow) {
		fputs("\t\telements = {\n\t\t\t0 : \"r0-default\"", e->out);
		n++;
	}
	for (size_t i = 0; i < pol->n_rules; i++) {
		const struct fwc_rule *r = &pol->rules[i];

		if (!r->allow)
			continue;
		counter_name(r, name, sizeof(name));
		fprintf(e->out, "%s%u : \"%s\"",
			n ? ",\n\t\t\t" : "\t\telements = {\n\t\t\t", r->id,
			name);
		n++;
	}
	fputs(n ? "\n\t\t}\n\t}\n" : "\t}\n", e->out);
}

/* Linux's defaults, which need nothing in the ruleset. */
static bool timeouts_default(const struct fwc_policy *pol)
{
	static const int tcp_udp[] = {
		FWC_TO_TCP_SYN, FWC_TO_TCP_ESTABLISHED,
		FWC_TO_TCP_FIN, FWC_TO_TCP_CLOSE,
		FWC_TO_UDP,	FWC_TO_UDP_STREAM,
	};

	for (size_t i = 0; i < sizeof(tcp_udp) / sizeof(*tcp_udp); i++)
		if (pol->timeout[tcp_udp[i]] !=
		    fwc_timeout_default((unsigned int)tcp_udp[i]))
			return false;
	return true;
}

/*
 * `set timeout` for TCP and UDP as conntrack timeout policies, attached
 * to each new flow below. nft has no such object for ICMP, nor for
 * reassembly: those are sysctls, named in the header.
 */
static void emit_timeouts(struct emitter *e)
{
	const uint32_t *to = e->pol->timeout;

	if (timeouts_default(e->pol))
		return;
	fprintf(e->out,
		"\tct timeout tcp_timeouts {\n"
		"\t\tprotocol tcp; l3proto inet;\n"
		/* nft wants the policy on one line. */
		"\t\tpolicy = { syn_sent: %u, syn_recv: %u, established: %u, "
		"fin_wait: %u, close_wait: %u, last_ack: %u, time_wait: %u, "
		"close: %u }\n\t}\n"
		"\tct timeout udp_timeouts {\n"
		"\t\tprotocol udp; l3proto inet;\n"
		"\t\tpolicy = { unreplied: %u, replied: %u }\n\t}\n",
		to[FWC_TO_TCP_SYN], to[FWC_TO_TCP_SYN],
		to[FWC_TO_TCP_ESTABLISHED], to[FWC_TO_TCP_FIN],
		to[FWC_TO_TCP_FIN], to[FWC_TO_TCP_FIN], to[FWC_TO_TCP_FIN],
		to[FWC_TO_TCP_CLOSE], to[FWC_TO_UDP], to[FWC_TO_UDP_STREAM]);
}

/*
 * Before the rules, in the datapath's order (bpf/fwc.bpf.c, bpf/ct.h).
 *
 * State off: a later fragment has no verdict to follow and is dropped;
 * nothing reassembles here (no conntrack), so nft sees fragments as the
 * datapath does. Then neighbour discovery always passes: the parser lets
 * it through before anything else.
 *
 * State on: fwc tracks TCP, UDP and ICMP/ICMPv6 echo flows opened by an
 * allow verdict, and passes the ICMP errors (unreachable, too big, time
 * exceeded, parameter problem) that quote one. Conntrack tracks more
 * (SCTP, GRE, ICMP timestamps), so the accepts are narrowed to what fwc
 * tracks, and to flows whose ct mark names an admitting rule (a flow a
 * deny verdict dropped is never confirmed): the map lookup fails for
 * any other mark and the packet falls through to the rules, which is what
 * fwc does with a packet of a flow it does not know.
 *
 * Packets conntrack calls invalid (a mid-stream segment it will not pick
 * up, a SYN-ACK without a SYN, an ICMP error quoting no flow) are not
 * dropped: fwc judges a packet it cannot place by the rules, so they go
 * to the rules too, and open no flow either way.
 */
static void emit_prologue(struct emitter *e)
{
	FILE *f = e->out;

	if (e->pol->state_off)
		fputs("\t\tip frag-off & 0x1fff != 0 counter name \"fragment\" "
		      "drop comment \"later fragment\"\n"
		      "\t\tfrag frag-off != 0 counter name \"fragment\" drop "
		      "comment \"later fragment\"\n",
		      f);
	fputs("\t\tmeta nfproto ipv4 meta l4proto ipv6-icmp counter name "
	      "\"malformed\" drop comment \"icmpv6 in IPv4\"\n"
	      "\t\tmeta nfproto ipv6 meta l4proto icmp counter name "
	      "\"malformed\" drop comment \"icmp in IPv6\"\n",
	      f);
	if (!e->pol->srcroute_pass)
		fputs("\t\tip option lsrr exists counter name \"source-route\" "
		      "drop comment \"source route\"\n"
		      "\t\tip option ssrr exists counter name \"source-route\" "
		      "drop comment \"source route\"\n"
		      "\t\trt seg-left != 0 counter name \"source-route\" drop "
		      "comment \"source route\"\n",
		      f);
	fputs("\t\tmeta nfproto ipv6 icmpv6 type 133-137 ip6 hoplimit 255 "
	      "counter name \"nd\" accept comment \"neighbour discovery\"\n"
	      "\t\tmeta nfproto ipv6 icmpv6 type { 130-132, 143 } "
	      "ip6 hoplimit 1 ip6 daddr & ff0f:: == ff02:: counter name "
	      "\"mld\" accept comment \"link-scope MLD\"\n",
	      f);
	if (e->pol->state_off)
		return;
	fputs("\t\tct state established meta l4proto { tcp, udp } "
	      "counter name ct mark map @flows accept comment \"flow\"\n"
	      "\t\tct state established meta nfproto ipv4 icmp type "
	      "{ echo-request, echo-reply } counter name ct mark map @flows "
	      "accept comment \"flow\"\n"
	      "\t\tct state established meta nfproto ipv6 icmpv6 type "
	      "{ echo-request, echo-reply } counter name ct mark map @flows "
	      "accept comment \"flow\"\n"
	      "\t\tct state related meta nfproto ipv4 icmp type "
	      "{ destination-unreachable, time-exceeded, parameter-problem } "
	      "counter name ct mark map @flows accept comment \"related\"\n"
	      "\t\tct state related meta nfproto ipv6 icmpv6 type "
	      "{ destination-unreachable, packet-too-big, time-exceeded, "
	      "parameter-problem } counter name ct mark map @flows accept "
	      "comment \"related\"\n",
	      f);
	if (!timeouts_default(e->pol))
		fputs("\t\tct state new ct timeout set meta l4proto map "
		      "{ tcp : \"tcp_timeouts\", udp : \"udp_timeouts\" }\n",
		      f);
}

static bool table_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 32 ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      s[0] == '_'))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* What conntrack needs beside the ruleset to keep fwc's state rules. */
static void emit_sysctls(struct emitter *e)
{
	const struct fwc_policy *pol = e->pol;
	FILE *f = e->out;

	fprintf(f,
		"# fwc %s\n"
		"# and checks no TCP windows. Conntrack does the same with\n"
		"# these sysctls (per network namespace):\n"
		"#   net.netfilter.nf_conntrack_tcp_loose=%d\n"
		"#   net.netfilter.nf_conntrack_tcp_be_liberal=1\n",
		pol->state_loose ? "picks up TCP connections mid-stream "
				   "(state loose)" :
				   "picks up no TCP connection mid-stream",
		pol->state_loose ? 1 : 0);
	if (pol->timeout[FWC_TO_ICMP] != fwc_timeout_default(FWC_TO_ICMP))
		fprintf(f,
			"#   net.netfilter.nf_conntrack_icmp_timeout=%u\n"
			"#   net.netfilter.nf_conntrack_icmpv6_timeout=%u\n",
			pol->timeout[FWC_TO_ICMP], pol->timeout[FWC_TO_ICMP]);
	if (pol->timeout[FWC_TO_FRAGMENT] !=
	    fwc_timeout_default(FWC_TO_FRAGMENT))
		fprintf(f,
			"#   net.ipv4.ipfrag_time=%u\n"
			"#   net.netfilter.nf_conntrack_frag6_timeout=%u\n",
			pol->timeout[FWC_TO_FRAGMENT],
			pol->timeout[FWC_TO_FRAGMENT]);
}

static void emit_header(struct emitter *e, const char *table)
{
	const struct fwc_policy *pol = e->pol;
	FILE *f = e->out;

	fprintf(f,
		"#!/usr/sbin/nft -f\n"
		"# Generated by fwc %s from %s\n# sha256 ",
		FWC_VERSION, pol->name ? pol->name : "(policy)");
	for (int i = 0; i < 32; i++)
		fprintf(f, "%02x", pol->sha256[i]);
	fputs("\n#\n"
	      "# Filters what the gateway routes (hook forward). First match:\n"
	      "# policy rule N is the nft rules commented \"rule N\", in order;\n"
	      "# its counter is r<N>-<label>.\n",
	      f);
	if (pol->audit)
		fputs("# Audit mode: what a rule or the default would drop passes,\n"
		      "# counted against it and as would-drop, and logged.\n",
		      f);
	for (size_t i = 0; e->opts->rpc_hi && i < pol->n_rules; i++)
		if (pol->rules[i].n_rpc && pol->rules[i].allow) {
			fprintf(f,
				"# rpc rules: nftables cannot follow the "
				"endpoint mapper, so\n# instead of its "
				"pinholes each opens TCP %u-%u (--rpc-fallback,\n"
				"# within its interfaces' port bounds) to its "
				"sources: weaker.\n",
				e->opts->rpc_lo, e->opts->rpc_hi);
			break;
		}
	if (pol->state_off)
		fputs("# State off: no connection tracking; later fragments are\n"
		      "# dropped, as the XDP datapath does without state.\n",
		      f);
	else {
		fputs("# State: replies of the TCP, UDP and ICMP echo flows an\n"
		      "# allow verdict opened, and ICMP errors quoting them, pass\n"
		      "# and count against that rule (ct mark = rule number).\n"
		      "# Conntrack reassembles fragments before this hook.\n",
		      f);
		emit_sysctls(e);
	}
	/* Loading the file again replaces the table in one transaction. */
	fprintf(f, "\ntable inet %s\ndelete table inet %s\n\ntable inet %s {\n",
		table, table, table);
}

/* Rule 0, last, as the chain's policy would decide (but counted). */
static void emit_default(struct emitter *e)
{
	struct fwc_rule r0;
	size_t len;
	char *verdict;
	FILE *f;

	default_rule(e->pol, &r0);
	f = open_memstream(&verdict, &len);
	put_verdict(e, f, &r0);
	fclose(f);
	if (rule_logs(e->pol, &r0)) {
		f = open_memstream(&e->log, &len);
		put_log(e, f, &r0);
		fclose(f);
	}
	fputs("\t\t# rule 0: the default\n", e->out);
	put_line(e, "", "", verdict);
	free(verdict);
	free(e->log);
	e->log = NULL;
}

/* Without a fallback, every rpc rule is an error; how many there are. */
static unsigned int refuse_rpc(const struct fwc_policy *pol,
			       const struct fwc_nft_opts *opts)
{
	unsigned int n = 0;
	const char *what =
		"nftables cannot follow the endpoint mapper; give "
		"--rpc-fallback LO-HI to open that range instead (weaker)";

	if (opts->rpc_hi)
		return 0;
	for (size_t i = 0; i < pol->n_rules; i++) {
		const struct fwc_rule *r = &pol->rules[i];

		if (!r->n_rpc || !r->allow)
			continue;
		n++;
		if (opts->diag)
			fwc_error(opts->diag, r->pos, "rule %u uses rpc: %s",
				  r->id, what);
		else
			fprintf(stderr,
				"%s: error: rule %u (line %u) uses rpc: %s\n",
				pol->name ? pol->name : "policy", r->id,
				r->pos.line, what);
	}
	return n;
}

int fwc_emit_nft(const struct fwc_policy *pol, const struct fwc_nft_opts *opts,
		 FILE *out)
{
	static const struct fwc_nft_opts none;
	const char *table;
	struct emitter e = { .pol = pol, .out = out };
	char *chain = NULL;
	size_t len = 0;
	const char *verdict = pol->default_allow || pol->audit ? "accept" :
								 "drop";

	opts = opts ? opts : &none;
	table = opts->table ? opts->table : "fwc";
	e.opts = opts;
	if (!table_name_ok(table))
		return -EINVAL;
	if (refuse_rpc(pol, opts))
		return -EOPNOTSUPP;
	e.named = xcalloc(2 * pol->n_hosts + 1, sizeof(*e.named));
	emit_header(&e, table);
	emit_counters(&e);
	if (!pol->state_off) {
		emit_flow_map(&e);
		emit_timeouts(&e);
	}
	emit_sets(&e);
	/* The chain first, in memory: it names the port sets to declare. */
	e.out = open_memstream(&chain, &len);
	fprintf(e.out,
		"\n\tchain forward {\n"
		"\t\ttype filter hook forward priority filter; "
		"policy %s;\n",
		verdict);
	emit_prologue(&e);
	for (size_t i = 0; i < pol->n_rules; i++)
		emit_rule(&e, &pol->rules[i]);
	emit_default(&e);
	fputs("\t}\n}\n", e.out);
	fclose(e.out);
	e.out = out;
	emit_port_sets(&e);
	fwrite(chain, 1, len, out);
	free(chain);
	for (size_t k = 0; k < e.n_ports; k++)
		free(e.ports[k]);
	free(e.ports);
	free(e.named);
	return ferror(out) ? -EIO : 0;
}
