// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Resolves names and values of the AST into interned sets and flat rules. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"
#include "rpc_iface.h"
#include "suggest.h"
#include "util.h"

enum sym_kind {
	SYM_DEFINE,
	SYM_ZONE,
	SYM_SERVICE,
	SYM_KINDS
};

static const char *const sym_kind_name[] = { "macro", "zone", "service" };

struct svc_term {
	uint32_t protos, dports, sports, types;
};

struct sym {
	enum sym_kind kind;
	const struct fwc_stmt *st;
	int state; /* 0 new, 1 resolving (cycle guard), 2 done, -1 failed */
	bool used;
	unsigned int height;	/* zone, service: nesting depth of the value */
	uint32_t hosts;		/* zone: host set id */
	struct svc_term *terms; /* service */
	size_t n_terms;
	struct fwc_rpc_entry *rpc; /* service: its rpc interfaces */
	size_t n_rpc;
};

/* Open-addressing table of interned things, by hash then equality. */
struct intern {
	uint32_t *slot; /* id + 1, 0 = empty */
	uint64_t *hash;
	size_t cap, n;
};

struct resolver {
	struct fwc_diag *diag;
	struct fwc_policy *pol;
	struct sym *syms;
	size_t n_syms;
	uint32_t *sym_slot; /* name hash table over syms, id + 1 */
	size_t sym_cap;
	struct intern host_tab, set_tab;
	uint32_t full_ports, full_types, all_protos;
	/* Nesting of the expansion under way (FWC_MAX_DEPTH), its deepest
	 * level so far, where it started, and whether it went too deep. */
	unsigned int depth, peak;
	struct fwc_pos top;
	bool too_deep, any_too_deep;
};

/* ---- hashing ---------------------------------------------------------- */

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t hash_str(const char *s, enum sym_kind kind)
{
	return fnv(s, strlen(s), 0xcbf29ce484222325ull ^ (uint64_t)kind);
}

static void intern_grow(struct intern *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 64;
	uint32_t *slot = xcalloc(ncap, sizeof(*slot));

	for (size_t i = 0; i < t->cap; i++) {
		uint32_t id = t->slot[i];
		size_t j;

		if (!id)
			continue;
		j = t->hash[id - 1] & (ncap - 1);
		while (slot[j])
			j = (j + 1) & (ncap - 1);
		slot[j] = id;
	}
	free(t->slot);
	t->slot = slot;
	t->cap = ncap;
	/* Hashes by id: at most cap / 2 of them, grown with the slots. */
	t->hash = xrealloc(t->hash, ncap / 2, sizeof(*t->hash));
}

/*
 * Finds or adds an item with hash @h; @eq compares candidate id with the
 * item; returns the id, and *@added when the caller must store item @id.
 */
static uint32_t intern_find(struct intern *t, uint64_t h,
			    bool (*eq)(void *ctx, uint32_t id), void *ctx,
			    bool *added)
{
	size_t j;

	if ((t->n + 1) * 2 > t->cap)
		intern_grow(t);
	j = h & (t->cap - 1);
	while (t->slot[j]) {
		uint32_t id = t->slot[j] - 1;

		if (t->hash[id] == h && eq(ctx, id)) {
			*added = false;
			return id;
		}
		j = (j + 1) & (t->cap - 1);
	}
	t->hash[t->n] = h;
	t->slot[j] = (uint32_t)t->n + 1;
	*added = true;
	return (uint32_t)t->n++;
}

static void intern_free(struct intern *t)
{
	free(t->slot);
	free(t->hash);
}

struct eq_ctx {
	struct resolver *r;
	const void *item;
};

static bool host_eq(void *ctx, uint32_t id)
{
	struct eq_ctx *c = ctx;

	return fwc_addrset_equal(&c->r->pol->hosts[id], c->item);
}

static bool set_eq(void *ctx, uint32_t id)
{
	struct eq_ctx *c = ctx;

	return fwc_ivset_equal(&c->r->pol->sets[id], c->item);
}

/* Interns @s (taking ownership) and returns its id. */
static uint32_t intern_hosts(struct resolver *r, struct fwc_addrset *s)
{
	struct eq_ctx c = { r, s };
	struct fwc_policy *pol = r->pol;
	bool added;
	uint32_t id = intern_find(&r->host_tab, fwc_addrset_hash(s), host_eq,
				  &c, &added);

	if (added) {
		VEC_PUSH(pol->hosts, pol->n_hosts, pol->cap_hosts, *s);
	} else {
		fwc_addrset_free(s);
	}
	memset(s, 0, sizeof(*s));
	return id;
}

static uint32_t intern_set(struct resolver *r, struct fwc_ivset *s)
{
	struct eq_ctx c = { r, s };
	struct fwc_policy *pol = r->pol;
	bool added;
	uint32_t id =
		intern_find(&r->set_tab, fwc_ivset_hash(s), set_eq, &c, &added);

	if (added) {
		VEC_PUSH(pol->sets, pol->n_sets, pol->cap_sets, *s);
	} else {
		fwc_ivset_free(s);
	}
	memset(s, 0, sizeof(*s));
	return id;
}

static uint32_t intern_range(struct resolver *r, unsigned int lo,
			     unsigned int hi)
{
	struct fwc_ivset s = { 0 };

	fwc_ivset_add(&s, lo, hi);
	return intern_set(r, &s);
}

/* ---- symbols ---------------------------------------------------------- */

static struct sym *sym_find(struct resolver *r, enum sym_kind kind,
			    const char *name)
{
	size_t j;

	if (!r->sym_cap)
		return NULL;
	j = hash_str(name, kind) & (r->sym_cap - 1);
	while (r->sym_slot[j]) {
		struct sym *s = &r->syms[r->sym_slot[j] - 1];

		if (s->kind == kind && !strcmp(s->st->name, name))
			return s;
		j = (j + 1) & (r->sym_cap - 1);
	}
	return NULL;
}

/* The closest defined name of @kind, for "did you mean". */
static const char *suggest(struct resolver *r, enum sym_kind kind,
			   const char *name)
{
	const char *best = NULL;
	unsigned int best_d = 3;

	if (strnlen(name, 63) >= 63)
		return NULL; /* fwc_edit_distance() gives up on those */

	for (size_t i = 0; i < r->n_syms; i++) {
		unsigned int d;

		if (r->syms[i].kind != kind)
			continue;
		d = fwc_edit_distance(name, r->syms[i].st->name, false);
		if (d < best_d) {
			best_d = d;
			best = r->syms[i].st->name;
		}
	}
	return best;
}

static void unknown(struct resolver *r, struct fwc_pos pos, enum sym_kind kind,
		    const char *name)
{
	const char *s = suggest(r, kind, name);
	struct sym *other = NULL;

	for (int k = 0; k < SYM_KINDS && !other; k++)
		if (k != (int)kind)
			other = sym_find(r, (enum sym_kind)k, name);
	if (s)
		fwc_error(r->diag, pos, "unknown %s '%s' (did you mean '%s'?)",
			  sym_kind_name[kind], fwc_quote(name), fwc_quote(s));
	else if (other)
		fwc_error(r->diag, pos, "unknown %s '%s' ('%s' is a %s%s)",
			  sym_kind_name[kind], fwc_quote(name), fwc_quote(name),
			  sym_kind_name[other->kind],
			  other->kind == SYM_DEFINE ? ": write $ before it" :
						      "");
	else
		fwc_error(r->diag, pos, "unknown %s '%s'", sym_kind_name[kind],
			  fwc_quote(name));
}

static void sym_table_build(struct resolver *r, const struct fwc_ast *ast)
{
	size_t n = 0;

	for (size_t i = 0; i < ast->n; i++)
		n += ast->stmts[i]->kind <= ST_SERVICE;
	r->syms = xcalloc(n, sizeof(*r->syms));
	r->sym_cap = 16;
	while (r->sym_cap < n * 2)
		r->sym_cap *= 2;
	r->sym_slot = xcalloc(r->sym_cap, sizeof(*r->sym_slot));
	for (size_t i = 0; i < ast->n; i++) {
		const struct fwc_stmt *st = ast->stmts[i];
		enum sym_kind kind;
		struct sym *prev;
		size_t j;

		if (st->kind > ST_SERVICE)
			continue;
		kind = st->kind == ST_DEFINE ? SYM_DEFINE :
		       st->kind == ST_ZONE   ? SYM_ZONE :
					       SYM_SERVICE;
		prev = sym_find(r, kind, st->name);
		if (prev) {
			fwc_error(r->diag, st->name_pos,
				  "%s '%s' is defined twice",
				  sym_kind_name[kind], fwc_quote(st->name));
			fwc_note(r->diag, prev->st->name_pos,
				 "first defined here");
			continue;
		}
		r->syms[r->n_syms] = (struct sym){ .kind = kind, .st = st };
		j = hash_str(st->name, kind) & (r->sym_cap - 1);
		while (r->sym_slot[j])
			j = (j + 1) & (r->sym_cap - 1);
		r->sym_slot[j] = (uint32_t)++r->n_syms;
	}
}

/* Enters a symbol's definition; false (after an error) on a cycle. */
static bool sym_enter(struct resolver *r, struct sym *s, struct fwc_pos use)
{
	s->used = true;
	if (s->state == 1) {
		fwc_error(r->diag, use, "%s '%s' is defined through itself",
			  sym_kind_name[s->kind], fwc_quote(s->st->name));
		fwc_note(r->diag, s->st->name_pos, "'%s' is defined here",
			 fwc_quote(s->st->name));
		return false;
	}
	s->state = 1;
	return true;
}

/* ---- nesting ---------------------------------------------------------- */

/*
 * Expansions recurse through lists, '!' and definitions; each level is
 * counted, so that a chain of 100000 zones is an error, not a stack
 * overflow. A zone or service resolved once counts with its height.
 */
static void too_deep(struct resolver *r, struct fwc_pos pos)
{
	if (r->too_deep)
		return;
	r->too_deep = r->any_too_deep = true;
	fwc_error(r->diag, pos,
		  "nesting too deep: more than %d levels of '{', '!' and "
		  "names defined through other names",
		  FWC_MAX_DEPTH);
	fwc_note(r->diag, r->top, "in the expansion of this");
}

/* Enters one level, plus @below levels of an already resolved value. */
static bool depth_enter(struct resolver *r, struct fwc_pos pos,
			unsigned int below)
{
	if (r->depth == 0) {
		r->top = pos;
		r->too_deep = false;
	}
	if (r->depth + 1 + below > FWC_MAX_DEPTH) {
		too_deep(r, pos);
		return false;
	}
	r->depth++;
	if (r->depth + below > r->peak)
		r->peak = r->depth + below;
	return true;
}

/* Starts resolving a definition: its height is the peak it reaches. */
static unsigned int height_begin(struct resolver *r)
{
	unsigned int saved = r->peak;

	r->peak = r->depth;
	return saved;
}

static unsigned int height_end(struct resolver *r, unsigned int saved)
{
	unsigned int h = r->peak - r->depth;

	if (saved > r->peak)
		r->peak = saved;
	return h;
}

/* A memoized definition used at the current depth: its height counts. */
static bool height_fits(struct resolver *r, struct fwc_pos pos,
			const struct sym *s)
{
	if (r->depth + s->height > FWC_MAX_DEPTH) {
		too_deep(r, pos);
		return false;
	}
	if (r->depth + s->height > r->peak)
		r->peak = r->depth + s->height;
	return true;
}

/* ---- hosts ------------------------------------------------------------ */

static int resolve_hosts(struct resolver *r, const struct fwc_val *v,
			 struct fwc_addrset *out);

static bool looks_like_address(const char *w)
{
	return isdigit((unsigned char)w[0]) || strchr(w, ':');
}

static int parse_one_addr(const char *s, int *family, fwc_u128 *a)
{
	if (strchr(s, ':')) {
		*family = 6;
		return fwc_parse_v6(s, a);
	}
	*family = 4;
	return fwc_parse_v4(s, a);
}

static int addr_error(struct resolver *r, const struct fwc_val *v)
{
	fwc_error(r->diag, v->pos,
		  "bad address '%s': expected an IPv4 or IPv6 address, a "
		  "prefix (192.0.2.0/24) or a range (192.0.2.10-192.0.2.20)",
		  fwc_quote(v->text));
	return -EINVAL;
}

/*
 * ::ffff:0:0/96 holds IPv4 addresses written as IPv6 (RFC 4291 2.5.5.2):
 * no IPv6 packet carries one on the wire and no IPv4 packet matches one,
 * so a host written so would silently match nothing. @lo-@hi within it
 * is an error that names the IPv4 form (@prefix_len: a prefix's, or -1).
 */
static bool v4_mapped(fwc_u128 a)
{
	return (a >> 32) == 0xffff;
}

static int mapped_error(struct resolver *r, const struct fwc_val *v,
			fwc_u128 lo, fwc_u128 hi, int prefix_len)
{
	char a[64], b[64];

	fwc_format_addr(a, sizeof(a), 4, lo & FWC_V4_MAX);
	fwc_format_addr(b, sizeof(b), 4, hi & FWC_V4_MAX);
	if (prefix_len >= 0)
		fwc_error(r->diag, v->pos,
			  "IPv4-mapped IPv6 prefix '%s' matches no packet: "
			  "write %s/%d",
			  fwc_quote(v->text), a, prefix_len - 96);
	else if (lo != hi)
		fwc_error(r->diag, v->pos,
			  "IPv4-mapped IPv6 range '%s' matches no packet: "
			  "write %s-%s",
			  fwc_quote(v->text), a, b);
	else
		fwc_error(r->diag, v->pos,
			  "IPv4-mapped IPv6 address '%s' matches no packet: "
			  "write %s",
			  fwc_quote(v->text), a);
	return -EINVAL;
}

static int resolve_range(struct resolver *r, const struct fwc_val *v,
			 char *dash, struct fwc_addrset *out)
{
	int f1, f2;
	fwc_u128 lo, hi;

	*dash = '\0';
	if (parse_one_addr(v->text, &f1, &lo) ||
	    parse_one_addr(dash + 1, &f2, &hi)) {
		*dash = '-';
		return addr_error(r, v);
	}
	*dash = '-';
	if (f1 != f2) {
		fwc_error(r->diag, v->pos,
			  "range '%s' mixes IPv4 and IPv6 addresses",
			  fwc_quote(v->text));
		return -EINVAL;
	}
	if (lo > hi) {
		fwc_error(r->diag, v->pos,
			  "reversed range '%s': the first address must not "
			  "be above the second",
			  fwc_quote(v->text));
		return -EINVAL;
	}
	if (f1 == 6 && v4_mapped(lo) && v4_mapped(hi))
		return mapped_error(r, v, lo, hi, -1);
	fwc_ivset_add(f1 == 4 ? &out->v4 : &out->v6, lo, hi);
	return 0;
}

static int resolve_prefix(struct resolver *r, const struct fwc_val *v,
			  char *slash, struct fwc_addrset *out)
{
	int family;
	unsigned int bits, len = 0;
	fwc_u128 a, hostmask;
	char *end, canon[64];
	unsigned long l;

	*slash = '\0';
	if (parse_one_addr(v->text, &family, &a)) {
		*slash = '/';
		return addr_error(r, v);
	}
	*slash = '/';
	bits = family == 4 ? 32 : 128;
	errno = 0;
	l = strtoul(slash + 1, &end, 10);
	if (!isdigit((unsigned char)slash[1]) || *end || errno || l > bits) {
		fwc_error(r->diag, v->pos,
			  "bad prefix length in '%s': expected 0-%u",
			  fwc_quote(v->text), bits);
		return -EINVAL;
	}
	len = (unsigned int)l;
	hostmask = len == bits ? 0 :
		   len == 0    ? (bits == 128 ? FWC_V6_MAX : FWC_V4_MAX) :
				 (((fwc_u128)1 << (bits - len)) - 1);
	if (a & hostmask) {
		fwc_format_addr(canon, sizeof(canon), family, a & ~hostmask);
		fwc_error(r->diag, v->pos,
			  "'%s' is not a canonical prefix: host bits are set "
			  "(did you mean %s/%u?)",
			  fwc_quote(v->text), canon, len);
		return -EINVAL;
	}
	if (family == 6 && len >= 96 && v4_mapped(a))
		return mapped_error(r, v, a, a | hostmask, (int)len);
	fwc_ivset_add(family == 4 ? &out->v4 : &out->v6, a, a | hostmask);
	return 0;
}

static int resolve_addr_word(struct resolver *r, const struct fwc_val *v,
			     struct fwc_addrset *out)
{
	char *dash = strchr(v->text, '-'), *slash = strchr(v->text, '/');
	int family;
	fwc_u128 a;

	if (dash)
		return resolve_range(r, v, dash, out);
	if (slash)
		return resolve_prefix(r, v, slash, out);
	if (parse_one_addr(v->text, &family, &a))
		return addr_error(r, v);
	if (family == 6 && v4_mapped(a))
		return mapped_error(r, v, a, a, -1);
	fwc_ivset_add(family == 4 ? &out->v4 : &out->v6, a, a);
	return 0;
}

static int resolve_zone_ref(struct resolver *r, const struct fwc_val *v,
			    struct fwc_addrset *out)
{
	struct sym *s = sym_find(r, SYM_ZONE, v->text);
	int err;

	if (!s) {
		unknown(r, v->pos, SYM_ZONE, v->text);
		return -EINVAL;
	}
	if (s->state == 0 || s->state == 1) {
		struct fwc_addrset z = { 0 };
		unsigned int saved;

		if (!sym_enter(r, s, v->pos))
			return -EINVAL;
		saved = height_begin(r);
		err = resolve_hosts(r, s->st->val, &z);
		s->height = height_end(r, saved);
		if (err) {
			s->state = -1;
			fwc_addrset_free(&z);
			return -EINVAL;
		}
		fwc_addrset_normalise(&z);
		s->hosts = intern_hosts(r, &z);
		s->state = 2;
	} else if (s->state == 2 && !height_fits(r, v->pos, s)) {
		return -EINVAL;
	}
	s->used = true;
	if (s->state < 0)
		return -EINVAL;
	fwc_addrset_append(out, &r->pol->hosts[s->hosts]);
	return 0;
}

static int resolve_define(struct resolver *r, const struct fwc_val *v,
			  struct sym **out)
{
	struct sym *s = sym_find(r, SYM_DEFINE, v->text);

	if (!s) {
		unknown(r, v->pos, SYM_DEFINE, v->text);
		return -EINVAL;
	}
	if (!sym_enter(r, s, v->pos))
		return -EINVAL;
	*out = s;
	return 0;
}

static int resolve_host_list(struct resolver *r, const struct fwc_val *v,
			     struct fwc_addrset *out)
{
	struct fwc_addrset pos = { 0 }, neg = { 0 };
	bool any_pos = false;
	int err = 0;

	for (size_t i = 0; i < v->n && !err; i++) {
		const struct fwc_val *it = v->items[i];

		if (it->kind == VAL_NOT) {
			err = resolve_hosts(r, it->items[0], &neg);
		} else {
			any_pos = true;
			err = resolve_hosts(r, it, &pos);
		}
	}
	/* A list of exclusions only excludes from everything, as in pf. */
	if (!any_pos)
		fwc_addrset_any(&pos);
	fwc_addrset_normalise(&pos);
	fwc_addrset_normalise(&neg);
	fwc_addrset_subtract(&pos, &neg);
	fwc_addrset_append(out, &pos);
	fwc_addrset_free(&pos);
	fwc_addrset_free(&neg);
	return err;
}

static int resolve_hosts_at(struct resolver *r, const struct fwc_val *v,
			    struct fwc_addrset *out)
{
	struct fwc_addrset tmp = { 0 };
	struct sym *s;
	int err;

	switch (v->kind) {
	case VAL_ANY:
		fwc_ivset_add(&out->v4, 0, FWC_V4_MAX);
		fwc_ivset_add(&out->v6, 0, FWC_V6_MAX);
		return 0;
	case VAL_WORD:
		/* Words append; whoever holds the set normalises it once. */
		if (looks_like_address(v->text))
			return resolve_addr_word(r, v, out);
		return resolve_zone_ref(r, v, out);
	case VAL_MACRO:
		if (resolve_define(r, v, &s))
			return -EINVAL;
		err = resolve_hosts(r, s->st->val, out);
		s->state = 0;
		return err;
	case VAL_LIST:
		return resolve_host_list(r, v, out);
	case VAL_NOT: {
		/* `!x` alone: everything but x. */
		struct fwc_val list = { .kind = VAL_LIST,
					.items = (struct fwc_val **)&v,
					.n = 1 };

		err = resolve_host_list(r, &list, &tmp);
		fwc_addrset_append(out, &tmp);
		fwc_addrset_free(&tmp);
		return err;
	}
	}
	return -EINVAL;
}

/* A name on the level that went too deep still counts as used. */
static void mark_used(struct resolver *r, const struct fwc_val *v)
{
	struct sym *s = NULL;

	if (v->kind == VAL_WORD && !looks_like_address(v->text))
		s = sym_find(r, SYM_ZONE, v->text);
	else if (v->kind == VAL_MACRO)
		s = sym_find(r, SYM_DEFINE, v->text);
	if (s)
		s->used = true;
}

static int resolve_hosts(struct resolver *r, const struct fwc_val *v,
			 struct fwc_addrset *out)
{
	int err;

	if (!depth_enter(r, v->pos, 0)) {
		mark_used(r, v);
		return -EINVAL;
	}
	err = resolve_hosts_at(r, v, out);
	r->depth--;
	return err;
}

/* ---- ports, protocols, ICMP types ------------------------------------- */

static const struct {
	const char *name;
	int proto;
} proto_names[] = {
	{ "icmp", 1 },	     { "tcp", 6 },	 { "udp", 17 },
	{ "sctp", 132 },     { "icmp6", 58 },	 { "icmpv6", 58 },
	{ "ipv6-icmp", 58 }, { "gre", 47 },	 { "esp", 50 },
	{ "ah", 51 },	     { "ospf", 89 },	 { "vrrp", 112 },
	{ "igmp", 2 },	     { "udplite", 136 },
};

int fwc_proto_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(*proto_names); i++)
		if (!strcmp(name, proto_names[i].name))
			return proto_names[i].proto;
	return -1;
}

const char *fwc_proto_name(unsigned int proto)
{
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(*proto_names); i++)
		if ((unsigned int)proto_names[i].proto == proto)
			return proto_names[i].name;
	return NULL;
}

static const struct {
	const char *name;
	int v4, v6;
} icmp_names[] = {
	{ "echo-reply", 0, 129 },
	{ "dest-unreachable", 3, 1 },
	{ "destination-unreachable", 3, 1 },
	{ "unreachable", 3, 1 },
	{ "source-quench", 4, -1 },
	{ "redirect", 5, 137 },
	{ "echo-request", 8, 128 },
	{ "router-advertisement", 9, 134 },
	{ "router-solicitation", 10, 133 },
	{ "time-exceeded", 11, 3 },
	{ "parameter-problem", 12, 4 },
	{ "timestamp-request", 13, -1 },
	{ "timestamp-reply", 14, -1 },
	{ "info-request", 15, -1 },
	{ "info-reply", 16, -1 },
	{ "address-mask-request", 17, -1 },
	{ "address-mask-reply", 18, -1 },
	{ "packet-too-big", -1, 2 },
	{ "mld-listener-query", -1, 130 },
	{ "mld-listener-report", -1, 131 },
	{ "mld-listener-done", -1, 132 },
	{ "nd-router-solicit", -1, 133 },
	{ "nd-router-advert", -1, 134 },
	{ "nd-neighbor-solicit", -1, 135 },
	{ "nd-neighbor-advert", -1, 136 },
	{ "nd-redirect", -1, 137 },
	{ "router-renumbering", -1, 138 },
};

int fwc_icmp_type_by_name(unsigned int proto, const char *name)
{
	for (size_t i = 0; i < sizeof(icmp_names) / sizeof(*icmp_names); i++)
		if (!strcmp(name, icmp_names[i].name))
			return proto == 1 ? icmp_names[i].v4 : icmp_names[i].v6;
	return -1;
}

/* A decimal number within [0, max]; -1 if not a number, -2 if too big. */
static long parse_number(const char *s, const char *end, long max)
{
	long v = 0;

	if (s == end)
		return -1;
	for (const char *p = s; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
		if (v > max)
			return -2;
	}
	return v;
}

/*
 * Values in a number context (ports, protocols, types): a leaf callback
 * turns words into intervals; lists, macros and `!` are handled here.
 */
typedef int (*leaf_fn)(struct resolver *r, const struct fwc_val *v,
		       struct fwc_ivset *out, void *ctx);

static int resolve_numbers(struct resolver *r, const struct fwc_val *v,
			   struct fwc_ivset *out, leaf_fn leaf, void *ctx,
			   unsigned int max);

static int resolve_number_list(struct resolver *r, const struct fwc_val *v,
			       struct fwc_ivset *out, leaf_fn leaf, void *ctx,
			       unsigned int max)
{
	struct fwc_ivset pos = { 0 }, neg = { 0 };
	bool any_pos = false;
	int err = 0;

	for (size_t i = 0; i < v->n && !err; i++) {
		const struct fwc_val *it = v->items[i];

		if (it->kind == VAL_NOT) {
			err = resolve_numbers(r, it->items[0], &neg, leaf, ctx,
					      max);
		} else {
			any_pos = true;
			err = resolve_numbers(r, it, &pos, leaf, ctx, max);
		}
	}
	if (!any_pos)
		fwc_ivset_add(&pos, 0, max);
	fwc_ivset_normalise(&pos);
	fwc_ivset_normalise(&neg);
	fwc_ivset_subtract(&pos, &neg);
	for (size_t i = 0; i < pos.n; i++)
		fwc_ivset_add(out, pos.iv[i].lo, pos.iv[i].hi);
	fwc_ivset_free(&pos);
	fwc_ivset_free(&neg);
	return err;
}

static int resolve_numbers_at(struct resolver *r, const struct fwc_val *v,
			      struct fwc_ivset *out, leaf_fn leaf, void *ctx,
			      unsigned int max)
{
	struct fwc_val list = { .kind = VAL_LIST };
	struct sym *s;
	int err;

	switch (v->kind) {
	case VAL_ANY:
		fwc_ivset_add(out, 0, max);
		return 0;
	case VAL_WORD:
		return leaf(r, v, out, ctx);
	case VAL_MACRO:
		if (resolve_define(r, v, &s))
			return -EINVAL;
		err = resolve_numbers(r, s->st->val, out, leaf, ctx, max);
		s->state = 0;
		return err;
	case VAL_LIST:
		return resolve_number_list(r, v, out, leaf, ctx, max);
	case VAL_NOT:
		list.items = (struct fwc_val **)&v;
		list.n = 1;
		return resolve_number_list(r, &list, out, leaf, ctx, max);
	}
	return -EINVAL;
}

static int resolve_numbers(struct resolver *r, const struct fwc_val *v,
			   struct fwc_ivset *out, leaf_fn leaf, void *ctx,
			   unsigned int max)
{
	int err;

	if (!depth_enter(r, v->pos, 0)) {
		mark_used(r, v);
		return -EINVAL;
	}
	err = resolve_numbers_at(r, v, out, leaf, ctx, max);
	r->depth--;
	return err;
}

static int port_leaf(struct resolver *r, const struct fwc_val *v,
		     struct fwc_ivset *out, void *ctx)
{
	const char *w = v->text, *dash = strchr(w, '-');
	const char *end = w + strlen(w);
	long lo, hi;

	(void)ctx;
	lo = parse_number(w, dash ? dash : end, 65535);
	hi = dash ? parse_number(dash + 1, end, 65535) : lo;
	if (lo == -1 || hi == -1) {
		if (sym_find(r, SYM_DEFINE, w))
			fwc_error(r->diag, v->pos,
				  "expected a port, found '%s' (did you mean "
				  "$%s?)",
				  fwc_quote(w), fwc_quote(w));
		else
			fwc_error(r->diag, v->pos,
				  "expected a port (0-65535) or a port range "
				  "(135-139), found '%s'",
				  fwc_quote(w));
		return -EINVAL;
	}
	if (lo == -2 || hi == -2) {
		fwc_error(r->diag, v->pos,
			  "port out of range in '%s': ports are 0-65535",
			  fwc_quote(w));
		return -EINVAL;
	}
	if (lo > hi) {
		fwc_error(r->diag, v->pos,
			  "reversed port range '%s': the start must not be "
			  "above the end (did you mean %ld-%ld?)",
			  fwc_quote(w), hi, lo);
		return -EINVAL;
	}
	fwc_ivset_add(out, (fwc_u128)lo, (fwc_u128)hi);
	return 0;
}

static int proto_leaf(struct resolver *r, const struct fwc_val *v,
		      struct fwc_ivset *out, void *ctx)
{
	long n = parse_number(v->text, v->text + strlen(v->text), 255);

	(void)ctx;
	if (n == -1)
		n = fwc_proto_by_name(v->text);
	if (n < 0) {
		fwc_error(r->diag, v->pos,
			  "unknown protocol '%s': expected tcp, udp, sctp, "
			  "icmp, icmp6 or a number 0-255",
			  fwc_quote(v->text));
		return -EINVAL;
	}
	fwc_ivset_add(out, (fwc_u128)n, (fwc_u128)n);
	return 0;
}

static int type_leaf(struct resolver *r, const struct fwc_val *v,
		     struct fwc_ivset *out, void *ctx)
{
	unsigned int proto = *(unsigned int *)ctx;
	long n = parse_number(v->text, v->text + strlen(v->text), 255);

	if (n == -1)
		n = fwc_icmp_type_by_name(proto, v->text);
	if (n < 0) {
		fwc_error(r->diag, v->pos,
			  "unknown %s type '%s': expected a number 0-255 or a "
			  "name such as echo-request",
			  proto == 1 ? "icmp" : "icmp6", fwc_quote(v->text));
		return -EINVAL;
	}
	fwc_ivset_add(out, (fwc_u128)n, (fwc_u128)n);
	return 0;
}

/* ---- services --------------------------------------------------------- */

struct term_vec {
	struct svc_term *v;
	size_t n, cap;
	/* The interfaces of its rpc services, as written (rule unset). */
	struct fwc_rpc_entry *rpc;
	size_t n_rpc, cap_rpc;
};

static void term_vec_free(struct term_vec *tv)
{
	free(tv->v);
	free(tv->rpc);
	memset(tv, 0, sizeof(*tv));
}

static int resolve_svc(struct resolver *r, const struct fwc_svc *s,
		       struct term_vec *out);

static int ports_of(struct resolver *r, const struct fwc_val *v, uint32_t *id)
{
	struct fwc_ivset set = { 0 };

	if (!v) {
		*id = r->full_ports;
		return 0;
	}
	if (resolve_numbers(r, v, &set, port_leaf, NULL, 65535)) {
		fwc_ivset_free(&set);
		return -EINVAL;
	}
	fwc_ivset_normalise(&set);
	*id = intern_set(r, &set);
	return 0;
}

static int check_port_protos(struct resolver *r, const struct fwc_svc *s,
			     const struct fwc_ivset *protos)
{
	for (size_t i = 0; i < protos->n; i++)
		for (fwc_u128 p = protos->iv[i].lo; p <= protos->iv[i].hi; p++)
			if (!fwc_proto_has_ports((unsigned int)p)) {
				const char *name =
					fwc_proto_name((unsigned int)p);
				struct fwc_pos pos = s->ports ? s->ports_pos :
								s->sports_pos;

				if (name)
					fwc_error(r->diag, pos,
						  "'%s' needs tcp, udp or "
						  "sctp: %s has no ports",
						  s->ports ? "port" :
							     "from-port",
						  name);
				else
					fwc_error(r->diag, pos,
						  "'%s' needs tcp, udp or "
						  "sctp: protocol %u has no "
						  "ports",
						  s->ports ? "port" :
							     "from-port",
						  (unsigned int)p);
				return -EINVAL;
			}
	return 0;
}

static int resolve_proto_svc(struct resolver *r, const struct fwc_svc *s,
			     struct term_vec *out)
{
	struct fwc_ivset protos = { 0 };
	struct svc_term t = { 0 };
	int err = -EINVAL;

	if (resolve_numbers(r, s->protos, &protos, proto_leaf, NULL, 255))
		goto out;
	fwc_ivset_normalise(&protos);
	if ((s->ports || s->sports) && check_port_protos(r, s, &protos))
		goto out;
	if (ports_of(r, s->ports, &t.dports) ||
	    ports_of(r, s->sports, &t.sports))
		goto out;
	t.types = r->full_types;
	if (!s->types) {
		t.protos = intern_set(r, &protos);
		VEC_PUSH(out->v, out->n, out->cap, t);
		return 0;
	}
	for (size_t i = 0; i < protos.n; i++)
		if (!fwc_proto_is_icmp((unsigned int)protos.iv[i].lo) ||
		    protos.iv[i].lo != protos.iv[i].hi) {
			fwc_error(r->diag, s->types_pos,
				  "'type' applies to icmp and icmp6 only");
			goto out;
		}
	/* Type names differ per protocol: one term each for icmp, icmp6. */
	for (size_t i = 0; i < protos.n; i++) {
		unsigned int p = (unsigned int)protos.iv[i].lo;
		struct fwc_ivset types = { 0 };

		if (resolve_numbers(r, s->types, &types, type_leaf, &p, 255)) {
			fwc_ivset_free(&types);
			goto out;
		}
		fwc_ivset_normalise(&types);
		t.types = intern_set(r, &types);
		t.protos = intern_range(r, p, p);
		VEC_PUSH(out->v, out->n, out->cap, t);
	}
	err = 0;
out:
	fwc_ivset_free(&protos);
	return err;
}

/* ---- rpc services ----------------------------------------------------- */

/*
 * `rpc IFACES [port PORTS]` (docs/rpc-pinholes.md): its term, proto tcp
 * port 135, is resolve_proto_svc()'s; here are the interfaces its
 * pinholes may be opened for, each with the rpc service's port bounds.
 */

/* `port PORTS` of an rpc service: one port or one range, from 1. */
static int rpc_bounds(struct resolver *r, const struct fwc_svc *s,
		      struct fwc_rpc_entry *e)
{
	struct fwc_ivset set = { 0 };
	int err = -EINVAL;

	e->port_lo = FWC_RPC_PORT_LO;
	e->port_hi = FWC_RPC_PORT_HI;
	if (!s->rpc_ports)
		return 0;
	if (resolve_numbers(r, s->rpc_ports, &set, port_leaf, NULL, 65535))
		goto out;
	fwc_ivset_normalise(&set);
	if (set.n != 1) {
		fwc_error(r->diag, s->rpc_ports->pos,
			  "rpc 'port' takes one port or one range, the ports "
			  "a pinhole may open (such as 49152-65535): found "
			  "%zu ranges",
			  set.n);
	} else if (set.iv[0].lo == 0) {
		fwc_error(r->diag, s->rpc_ports->pos,
			  "port 0 in rpc 'port': the ports a pinhole may open "
			  "are 1-65535");
	} else {
		e->port_lo = (uint16_t)set.iv[0].lo;
		e->port_hi = (uint16_t)set.iv[0].hi;
		err = 0;
	}
out:
	fwc_ivset_free(&set);
	return err;
}

/*
 * A word of IFACES as quoted in a message: whole up to a UUID with a
 * version (fwc_quote() would cut every UUID short), then fwc_quote()'s.
 */
static const char *rpc_quote(const char *w)
{
	return strnlen(w, 49) <= 48 ? w : fwc_quote(w);
}

/* A word of IFACES that fwc_rpc_ref_parse() refused as malformed. */
static void rpc_malformed(struct resolver *r, const struct fwc_val *v)
{
	const char *colon = strchr(v->text, ':');
	uint8_t uuid[16];
	char head[FWC_RPC_UUID_STRLEN];

	if (colon && colon - v->text == FWC_RPC_UUID_STRLEN - 1) {
		memcpy(head, v->text, FWC_RPC_UUID_STRLEN - 1);
		head[FWC_RPC_UUID_STRLEN - 1] = '\0';
		if (!fwc_rpc_uuid_parse(head, uuid)) {
			fwc_error(r->diag, v->pos,
				  "bad version in rpc interface '%s': "
				  "expected UUID:MAJOR or UUID:MAJOR.MINOR, "
				  "decimal numbers 0-65535",
				  rpc_quote(v->text));
			return;
		}
	}
	fwc_error(r->diag, v->pos,
		  "malformed rpc interface UUID '%s': expected 8-4-4-4-12 hex "
		  "digits such as 12345778-1234-abcd-ef00-0123456789ac, "
		  "optionally with :MAJOR or :MAJOR.MINOR",
		  rpc_quote(v->text));
}

static void rpc_unknown(struct resolver *r, const struct fwc_svc *s,
			const struct fwc_val *v, const char *suggestion)
{
	if (suggestion)
		fwc_error(r->diag, v->pos,
			  "unknown rpc interface '%s' (did you mean '%s'?)",
			  rpc_quote(v->text), suggestion);
	else
		fwc_error(r->diag, v->pos,
			  "unknown rpc interface '%s': expected a name of "
			  "the table in docs/rpc-pinholes.md (samr, "
			  "netlogon, drsuapi...), a UUID or any",
			  rpc_quote(v->text));
	/* `{ rpc dns }` reads as the rpc service of interface dns. */
	if (sym_find(r, SYM_SERVICE, "rpc"))
		fwc_note(r->diag, s->pos,
			 "this 'rpc' starts an rpc service; to name the "
			 "service 'rpc' in a list, write 'service rpc' or a "
			 "comma after it");
}

/* One value of IFACES (@v) into entries of @out, bounds as @proto's. */
static int rpc_ifaces(struct resolver *r, const struct fwc_svc *s,
		      const struct fwc_val *v,
		      const struct fwc_rpc_entry *proto, struct term_vec *out)
{
	struct fwc_rpc_entry e = *proto;
	struct fwc_rpc_ref ref;
	const char *suggestion;
	int err = 0;

	e.pos = v->pos;
	switch (v->kind) {
	case VAL_ANY:
		e.flags = FWC_RPC_ANY;
		break;
	case VAL_LIST:
		if (!depth_enter(r, v->pos, 0))
			return -EINVAL;
		for (size_t i = 0; i < v->n; i++)
			err |= rpc_ifaces(r, s, v->items[i], proto, out);
		r->depth--;
		return err ? -EINVAL : 0;
	case VAL_NOT:
		fwc_error(r->diag, v->pos,
			  "'!' cannot exclude rpc interfaces: list the ones a "
			  "pinhole may be opened for");
		return -EINVAL;
	case VAL_MACRO:
		fwc_error(r->diag, v->pos,
			  "'$%s' in rpc interfaces: macros hold ports or "
			  "hosts; name the interfaces",
			  rpc_quote(v->text));
		return -EINVAL;
	case VAL_WORD:
		err = fwc_rpc_ref_parse(v->text, &ref, &suggestion);
		if (err == -ENOENT) {
			rpc_unknown(r, s, v, suggestion);
			return -EINVAL;
		}
		if (err) {
			rpc_malformed(r, v);
			return -EINVAL;
		}
		if (ref.any) {
			e.flags = FWC_RPC_ANY;
			break;
		}
		memcpy(e.uuid, ref.uuid, sizeof(e.uuid));
		if (ref.has_vers)
			e.major = ref.vers_major;
		else
			e.flags = FWC_RPC_ANY_VERSION;
		e.name = ref.iface ? ref.iface->name : NULL;
		break;
	}
	VEC_PUSH(out->rpc, out->n_rpc, out->cap_rpc, e);
	return 0;
}

static int resolve_rpc_svc(struct resolver *r, const struct fwc_svc *s,
			   struct term_vec *out)
{
	struct fwc_rpc_entry proto = { 0 };
	int err = rpc_bounds(r, s, &proto);

	/* The interfaces are checked even when the bounds are wrong. */
	if (rpc_ifaces(r, s, s->rpc, &proto, out))
		err = -EINVAL;
	return err;
}

static int resolve_svc_ref(struct resolver *r, const struct fwc_svc *s,
			   struct term_vec *out)
{
	struct sym *sym = sym_find(r, SYM_SERVICE, s->name);

	if (!sym) {
		unknown(r, s->pos, SYM_SERVICE, s->name);
		return -EINVAL;
	}
	if (sym->state == 0 || sym->state == 1) {
		struct term_vec tv = { 0 };
		unsigned int saved;
		int err;

		if (!sym_enter(r, sym, s->pos))
			return -EINVAL;
		saved = height_begin(r);
		err = resolve_svc(r, sym->st->svc, &tv);
		sym->height = height_end(r, saved);
		if (err) {
			term_vec_free(&tv);
			sym->state = -1;
			return -EINVAL;
		}
		sym->terms = tv.v;
		sym->n_terms = tv.n;
		sym->rpc = tv.rpc;
		sym->n_rpc = tv.n_rpc;
		sym->state = 2;
	} else if (sym->state == 2 && !height_fits(r, s->pos, sym)) {
		return -EINVAL;
	}
	sym->used = true;
	if (sym->state < 0)
		return -EINVAL;
	for (size_t i = 0; i < sym->n_terms; i++)
		VEC_PUSH(out->v, out->n, out->cap, sym->terms[i]);
	for (size_t i = 0; i < sym->n_rpc; i++)
		VEC_PUSH(out->rpc, out->n_rpc, out->cap_rpc, sym->rpc[i]);
	return 0;
}

static int resolve_svc_at(struct resolver *r, const struct fwc_svc *s,
			  struct term_vec *out)
{
	struct svc_term any = { r->all_protos, r->full_ports, r->full_ports,
				r->full_types };
	int err = 0;

	switch (s->kind) {
	case SVC_ANY:
		VEC_PUSH(out->v, out->n, out->cap, any);
		return 0;
	case SVC_PROTO:
		err = resolve_proto_svc(r, s, out);
		if (s->rpc && resolve_rpc_svc(r, s, out))
			err = -EINVAL;
		return err;
	case SVC_REF:
		return resolve_svc_ref(r, s, out);
	case SVC_LIST:
		for (size_t i = 0; i < s->n; i++)
			err |= resolve_svc(r, s->items[i], out);
		return err ? -EINVAL : 0;
	}
	return -EINVAL;
}

static int resolve_svc(struct resolver *r, const struct fwc_svc *s,
		       struct term_vec *out)
{
	struct sym *sym;
	int err;

	if (!depth_enter(r, s->pos, 0)) {
		if (s->kind == SVC_REF &&
		    (sym = sym_find(r, SYM_SERVICE, s->name)))
			sym->used = true;
		return -EINVAL;
	}
	err = resolve_svc_at(r, s, out);
	r->depth--;
	return err;
}

/* ---- statements ------------------------------------------------------- */

static bool word_is(const struct fwc_val *v, const char *w)
{
	return v->kind == VAL_WORD && !strcmp(v->text, w);
}

/*
 * Idle timeouts of tracked flows, seconds. Linux conntrack's defaults
 * (what nftables uses): SYN_SENT 120, ESTABLISHED 5 days, FIN_WAIT and
 * TIME_WAIT 120, CLOSE 10, UDP 30 and 120 for streams (since 5.19), ICMP
 * 30; fragments as IPv4 reassembly (ipfrag_time 30).
 */
static const char *const timeout_names[FWC_TO_COUNT] = {
	[FWC_TO_TCP_SYN] = "tcp-syn",
	[FWC_TO_TCP_ESTABLISHED] = "tcp-established",
	[FWC_TO_TCP_FIN] = "tcp-fin",
	[FWC_TO_TCP_CLOSE] = "tcp-close",
	[FWC_TO_UDP] = "udp",
	[FWC_TO_UDP_STREAM] = "udp-stream",
	[FWC_TO_ICMP] = "icmp",
	[FWC_TO_FRAGMENT] = "fragment",
	[FWC_TO_RPC_PINHOLE] = "rpc-pinhole",
};

static const uint32_t timeout_defaults[FWC_TO_COUNT] = {
	[FWC_TO_TCP_SYN] = 120,	    [FWC_TO_TCP_ESTABLISHED] = 432000,
	[FWC_TO_TCP_FIN] = 120,	    [FWC_TO_TCP_CLOSE] = 10,
	[FWC_TO_UDP] = 30,	    [FWC_TO_UDP_STREAM] = 120,
	[FWC_TO_ICMP] = 30,	    [FWC_TO_FRAGMENT] = 30,
	[FWC_TO_RPC_PINHOLE] = 120,
};

const char *fwc_timeout_name(unsigned int i)
{
	return i < FWC_TO_COUNT ? timeout_names[i] : NULL;
}

uint32_t fwc_timeout_default(unsigned int i)
{
	return i < FWC_TO_COUNT ? timeout_defaults[i] : 0;
}

/* `set timeout NAME SECONDS` */
static void resolve_timeout(struct resolver *r, const struct fwc_stmt *st)
{
	const struct fwc_val *v = st->val, *a = st->arg;
	unsigned long secs;
	char *end;
	int i;

	for (i = 0; i < FWC_TO_COUNT; i++)
		if (word_is(v, timeout_names[i]))
			break;
	if (i == FWC_TO_COUNT) {
		fwc_error(r->diag, v->pos,
			  "unknown timeout '%s': expected tcp-syn, "
			  "tcp-established, tcp-fin, tcp-close, udp, "
			  "udp-stream, icmp, fragment or rpc-pinhole",
			  v->kind == VAL_WORD ? fwc_quote(v->text) : "?");
		return;
	}
	if (!a)
		return; /* the parser has reported it */
	errno = 0;
	secs = strtoul(a->text, &end, 10);
	if (!isdigit((unsigned char)a->text[0]) || *end) {
		fwc_error(r->diag, a->pos,
			  "expected a number of seconds, found '%s'",
			  fwc_quote(a->text));
		return;
	}
	if (errno || secs < 1 || secs > FWC_TIMEOUT_MAX) {
		fwc_error(r->diag, a->pos,
			  "timeout out of range in '%s': expected 1-%u seconds",
			  fwc_quote(a->text), FWC_TIMEOUT_MAX);
		return;
	}
	r->pol->timeout[i] = (uint32_t)secs;
}

/* `set log default on|off`, `set log rate N` (events/s per rule). */
static void resolve_log(struct resolver *r, const struct fwc_stmt *st)
{
	const struct fwc_val *v = st->val, *a = st->arg;
	unsigned long n;
	char *end;

	if (!word_is(v, "default") && !word_is(v, "rate")) {
		fwc_error(r->diag, v->pos,
			  "expected 'default' or 'rate' after 'set log'");
		return;
	}
	if (!a)
		return; /* the parser has reported it */
	if (word_is(v, "default")) {
		if (word_is(a, "on") || word_is(a, "off"))
			r->pol->log_default = word_is(a, "on");
		else
			fwc_error(r->diag, a->pos,
				  "expected 'on' or 'off' after 'set log "
				  "default'");
		return;
	}
	errno = 0;
	n = strtoul(a->text, &end, 10);
	if (!isdigit((unsigned char)a->text[0]) || *end || errno || n < 1 ||
	    n > FWC_LOG_RATE_MAX) {
		fwc_error(r->diag, a->pos,
			  "expected events per second (1-%u) after 'set log "
			  "rate', found '%s'",
			  FWC_LOG_RATE_MAX, fwc_quote(a->text));
		return;
	}
	r->pol->log_rate = (uint32_t)n;
}

static void resolve_set(struct resolver *r, const struct fwc_stmt *st)
{
	const struct fwc_val *v = st->val;
	const char *o = st->name;
	bool allow_word = v->kind == VAL_WORD || v->kind == VAL_ANY;

	if (!strcmp(o, "default")) {
		if (allow_word && (word_is(v, "allow") || word_is(v, "deny"))) {
			r->pol->default_allow = word_is(v, "allow");
			return;
		}
		fwc_error(r->diag, v->pos,
			  "expected 'allow' or 'deny' after 'set default'");
	} else if (!strcmp(o, "non-ip")) {
		if (word_is(v, "pass") || word_is(v, "drop")) {
			r->pol->nonip_drop = word_is(v, "drop");
			return;
		}
		fwc_error(r->diag, v->pos,
			  "expected 'pass' or 'drop' after 'set non-ip'");
	} else if (!strcmp(o, "state")) {
		if (word_is(v, "on") || word_is(v, "off") ||
		    word_is(v, "loose")) {
			r->pol->state_off = word_is(v, "off");
			r->pol->state_loose = word_is(v, "loose");
			return;
		}
		fwc_error(r->diag, v->pos,
			  "expected 'on', 'off' or 'loose' after 'set state'");
	} else if (!strcmp(o, "timeout")) {
		resolve_timeout(r, st);
	} else if (!strcmp(o, "mode")) {
		if (word_is(v, "audit") || word_is(v, "enforce")) {
			r->pol->audit = word_is(v, "audit");
			return;
		}
		fwc_error(r->diag, v->pos,
			  "expected 'audit' or 'enforce' after 'set mode'");
	} else if (!strcmp(o, "log")) {
		resolve_log(r, st);
	} else if (!strcmp(o, "source-route")) {
		if (word_is(v, "pass") || word_is(v, "drop")) {
			r->pol->srcroute_pass = word_is(v, "pass");
			return;
		}
		fwc_error(r->diag, v->pos,
			  "expected 'pass' or 'drop' after 'set source-route'");
	} else {
		fwc_error(r->diag, st->name_pos,
			  "unknown option '%s': expected default, non-ip, "
			  "state, timeout, mode, log or source-route",
			  fwc_quote(o));
	}
}

static uint32_t host_set_of(struct resolver *r, const struct fwc_val *v,
			    int *err)
{
	struct fwc_addrset s = { 0 };
	struct sym *z;

	/* A bare zone is already interned: skip the copy and the hash. */
	if (v->kind == VAL_WORD && !looks_like_address(v->text) &&
	    (z = sym_find(r, SYM_ZONE, v->text)) && z->state == 2) {
		z->used = true;
		return z->hosts;
	}

	if (resolve_hosts(r, v, &s)) {
		*err = -EINVAL;
		fwc_addrset_free(&s);
		return 0;
	}
	fwc_addrset_normalise(&s);
	return intern_hosts(r, &s);
}

/*
 * The rpc interfaces of rule @rule (an allow rule: a deny rule's rpc is
 * TCP 135 alone), duplicates merged, into the policy's; false (after an
 * error) past FWC_RPC_PER_RULE.
 */
static bool rule_rpc(struct resolver *r, struct fwc_rule *rule,
		     const struct term_vec *tv)
{
	struct fwc_policy *pol = r->pol;

	rule->rpc_first = pol->n_rpc;
	rule->n_rpc = 0;
	if (!rule->allow)
		return true;
	for (size_t i = 0; i < tv->n_rpc; i++) {
		struct fwc_rpc_entry e = tv->rpc[i];
		bool dup = false;

		for (size_t j = rule->rpc_first; j < pol->n_rpc && !dup; j++) {
			const struct fwc_rpc_entry *o = &pol->rpc[j];

			dup = !memcmp(o->uuid, e.uuid, sizeof(e.uuid)) &&
			      o->major == e.major && o->flags == e.flags &&
			      o->port_lo == e.port_lo &&
			      o->port_hi == e.port_hi;
		}
		if (dup)
			continue;
		if (pol->n_rpc - rule->rpc_first == FWC_RPC_PER_RULE) {
			fwc_error(r->diag, e.pos,
				  "more than %u rpc interfaces in one rule",
				  FWC_RPC_PER_RULE);
			fwc_note(r->diag, rule->pos, "in this rule");
			pol->n_rpc = rule->rpc_first;
			return false;
		}
		e.rule = (uint32_t)pol->n_rules;
		VEC_PUSH(pol->rpc, pol->n_rpc, pol->cap_rpc, e);
	}
	rule->n_rpc = pol->n_rpc - rule->rpc_first;
	return true;
}

static void resolve_rule(struct resolver *r, const struct fwc_stmt *st)
{
	struct fwc_policy *pol = r->pol;
	struct fwc_rule rule = { 0 };
	struct term_vec tv = { 0 };
	int err = 0;

	rule.id = (uint32_t)pol->n_rules + 1;
	rule.allow = st->allow;
	rule.log = st->log;
	rule.pos = st->pos;
	rule.src = host_set_of(r, st->from, &err);
	rule.dst = host_set_of(r, st->to, &err);
	if (resolve_svc(r, st->svc, &tv))
		err = -EINVAL;
	rule.rpc_first = pol->n_rpc;
	if (!err && !rule_rpc(r, &rule, &tv))
		err = -EINVAL;
	rule.label = st->label ? xstrdup(st->label) : NULL;
	rule.text = xstrdup(st->text);
	rule.term_first = pol->n_terms;
	rule.n_terms = err ? 0 : tv.n;
	for (size_t i = 0; i < rule.n_terms; i++) {
		struct fwc_term t = { .rule = (uint32_t)pol->n_rules,
				      .protos = tv.v[i].protos,
				      .dports = tv.v[i].dports,
				      .sports = tv.v[i].sports,
				      .types = tv.v[i].types };

		VEC_PUSH(pol->terms, pol->n_terms, pol->cap_terms, t);
	}
	term_vec_free(&tv);
	VEC_PUSH(pol->rules, pol->n_rules, pol->cap_rules, rule);
}

/* Definitions nothing refers to, resolved anyway so their errors show. */
static void resolve_unused(struct resolver *r)
{
	for (size_t i = 0; i < r->n_syms; i++) {
		struct sym *s = &r->syms[i];
		struct fwc_addrset hs = { 0 };
		struct fwc_val ref = { .kind = VAL_WORD,
				       .pos = s->st->name_pos,
				       .text = (char *)s->st->name };
		struct fwc_svc sref = { .kind = SVC_REF,
					.pos = s->st->name_pos,
					.name = (char *)s->st->name };
		struct term_vec tv = { 0 };

		if (s->used)
			continue;
		if (fwc_diag_full(r->diag))
			break;
		fwc_finding(r->diag, s->st->name_pos, "unused", NULL, 0,
			    "%s '%s' is never used", sym_kind_name[s->kind],
			    fwc_quote(s->st->name));
		if (s->kind == SYM_ZONE)
			resolve_zone_ref(r, &ref, &hs);
		else if (s->kind == SYM_SERVICE)
			resolve_svc_ref(r, &sref, &tv);
		fwc_addrset_free(&hs);
		term_vec_free(&tv);
	}
}

static void warn_duplicate_labels(struct resolver *r)
{
	struct fwc_policy *pol = r->pol;
	size_t cap = 16;
	uint32_t *slot;

	/* Labels name counters across reloads, so two rules should not
	 * share one. A hash table of the first rule of each label. */
	while (cap < pol->n_rules * 2)
		cap *= 2;
	slot = xcalloc(cap, sizeof(*slot));
	for (size_t i = 0; i < pol->n_rules; i++) {
		const char *label = pol->rules[i].label;
		size_t j;

		if (!label)
			continue;
		j = fnv(label, strlen(label), 0xcbf29ce484222325ull) &
		    (cap - 1);
		while (slot[j] && strcmp(pol->rules[slot[j] - 1].label, label))
			j = (j + 1) & (cap - 1);
		if (!slot[j]) {
			slot[j] = (uint32_t)i + 1;
		} else {
			const struct fwc_rule *first = &pol->rules[slot[j] - 1];
			uint32_t ids[2] = { first->id, pol->rules[i].id };

			fwc_finding(r->diag, pol->rules[i].pos,
				    "duplicate-label", ids, 2,
				    "label \"%s\" is also used by rule %u",
				    fwc_quote(label), first->id);
		}
	}
	free(slot);
}

static void init_pools(struct resolver *r)
{
	r->full_ports = intern_range(r, 0, 65535);
	r->full_types = intern_range(r, 0, 255);
	r->all_protos = r->full_types; /* same set: 0-255 */
}

int fwc_resolve(const struct fwc_ast *ast, struct fwc_diag *diag,
		struct fwc_policy *pol)
{
	struct resolver r = { .diag = diag, .pol = pol };
	unsigned int before = diag->errors;

	for (int i = 0; i < FWC_TO_COUNT; i++)
		pol->timeout[i] = timeout_defaults[i];
	init_pools(&r);
	sym_table_build(&r, ast);
	for (size_t i = 0; i < ast->n && !fwc_diag_full(diag); i++) {
		const struct fwc_stmt *st = ast->stmts[i];

		if (st->kind == ST_SET)
			resolve_set(&r, st);
		else if (st->kind == ST_RULE)
			resolve_rule(&r, st);
	}
	/* Past a chain too deep, what follows it would only repeat that. */
	if (!fwc_diag_full(diag) && !r.any_too_deep)
		resolve_unused(&r);
	warn_duplicate_labels(&r);
	for (size_t i = 0; i < r.n_syms; i++) {
		free(r.syms[i].terms);
		free(r.syms[i].rpc);
	}
	free(r.syms);
	free(r.sym_slot);
	intern_free(&r.host_tab);
	intern_free(&r.set_tab);
	return diag->errors > before ? -EINVAL : 0;
}

void fwc_policy_free(struct fwc_policy *pol)
{
	for (size_t i = 0; i < pol->n_hosts; i++)
		fwc_addrset_free(&pol->hosts[i]);
	for (size_t i = 0; i < pol->n_sets; i++)
		fwc_ivset_free(&pol->sets[i]);
	for (size_t i = 0; i < pol->n_rules; i++) {
		free(pol->rules[i].label);
		free(pol->rules[i].text);
	}
	free(pol->hosts);
	free(pol->sets);
	free(pol->rules);
	free(pol->terms);
	free(pol->rpc);
	free(pol->name);
	memset(pol, 0, sizeof(*pol));
}
