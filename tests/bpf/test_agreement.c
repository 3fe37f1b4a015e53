/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The XDP program and fwc_tables_classify() must agree on every packet:
 * random policies (as text, through the whole compiler) times random
 * packets, mostly aimed at one rule's prefix, range and port edges. For
 * each packet the verdict must be the expected action and the expected
 * rule's counter must have moved by one; at the end every counter must
 * equal the userspace tally, packets and bytes.
 *
 * The generator also keeps the meaning of each policy it writes (host
 * sets with exclusions, port sets, services), read from the language
 * specification alone; the tables' rule must equal that model's first
 * match, which checks the compiler end to end.
 *
 * FWC_SEED overrides the seed, FWC_AGREE_POLICIES and FWC_AGREE_PACKETS
 * the amounts, FWC_AGREE_DUMP=1 prints each policy. Needs root.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "compile.h"
#include "fwc.skel.h"
#include "maps.h"
#include "packets.h"

#define MAX_ADDRS 4096
#define MAX_PORTS 2048
#define MAX_NAMES 8
#define MAX_RULES 32
#define MAX_FAILS_SHOWN 5

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the printed seed alone. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(unsigned int percent)
{
	return rn(100) < percent;
}

/* ---- what a generated policy talks about ------------------------------ */

struct addr {
	int fam;
	uint8_t a[16];
};

/* A slice [lo, hi) of one of the note arrays. */
struct span {
	int lo, hi;
};

/* @sp when it holds anything, else all @n notes. */
static struct span or_all(struct span sp, int n)
{
	return sp.hi > sp.lo ? sp : (struct span){ 0, n };
}

/* A random index of @sp, which must not be empty. */
static int pick(struct span sp)
{
	return sp.lo + (int)rn(sp.hi - sp.lo);
}

/* What one definition or rule named, as slices of the note arrays. */
struct notes {
	struct span addrs, ports, types, protos;
};

/*
 * The policy's meaning, built beside its text straight from the language
 * specification: host sets, port sets, services. Sharing nothing with the
 * compiler, it checks the whole chain (parse, resolve, classes, tables).
 */
enum {
	H_ANY,
	H_SPAN,
	H_ZONE,
	H_HMAC,
	H_LIST
};

struct hnode {
	int kind;
	int fam;		/* H_SPAN */
	uint8_t lo[16], hi[16]; /* H_SPAN: first and last address */
	int ref;		/* H_ZONE, H_HMAC: index of the name */
	int first, n;		/* H_LIST: kids[first .. first + n) */
};

struct kid {
	int node;
	bool neg; /* an exclusion, !HOST */
};

#define MAX_ITEMS 4

struct pset {
	int n;
	uint16_t lo[MAX_ITEMS], hi[MAX_ITEMS];
};

struct tset {
	int n;
	uint8_t t[MAX_ITEMS + 1];
};

enum {
	S_ANY,
	S_PROTO,
	S_REF,
	S_LIST
};

struct snode {
	int kind;
	int n_protos; /* S_PROTO */
	uint8_t protos[3];
	int dports, sports; /* pset index, -1: every port */
	int types;	    /* tset index, -1: every type */
	int ref;	    /* S_REF: service index */
	int first, n;	    /* S_LIST: skids[first .. first + n) */
};

#define MAX_NODES 4096

struct gen {
	FILE *f;		      /* policy text being written */
	struct addr addrs[MAX_ADDRS]; /* prefix and range edges, +-1 */
	int n_addrs;
	uint16_t ports[MAX_PORTS]; /* port range edges, +-1 */
	int n_ports;
	uint8_t types[MAX_PORTS]; /* ICMP types named */
	int n_types;
	uint8_t protos[MAX_PORTS]; /* protocol numbers named */
	int n_protos;
	int n_zones, n_svcs, n_hmac, n_pmac;
	int fam; /* family to prefer, 0 for either */
	/* Notes of each zone, service and macro, to replay on use. */
	struct notes zone[MAX_NAMES], svc[MAX_NAMES], hmac[MAX_NAMES],
		pmac[MAX_NAMES];

	/* The model. */
	struct hnode hn[MAX_NODES];
	struct kid kids[MAX_NODES];
	struct snode sn[MAX_NODES];
	int skids[MAX_NODES];
	struct pset ps[MAX_NODES];
	struct tset ts[MAX_NODES];
	int n_hn, n_kids, n_sn, n_skids, n_ps, n_ts;
	int zone_node[MAX_NAMES], hmac_node[MAX_NAMES];
	int pmac_set[MAX_NAMES], svc_node[MAX_NAMES];

	/* Per rule: notes to aim packets with, and its meaning. */
	struct {
		struct span from, to;
		struct notes svc;
		int from_node, to_node, svc_node;
	} rules[MAX_RULES];
	int n_rules;
};

static int new_hnode(struct gen *g, int kind)
{
	assert_true(g->n_hn < MAX_NODES);
	memset(&g->hn[g->n_hn], 0, sizeof(g->hn[0]));
	g->hn[g->n_hn].kind = kind;
	return g->n_hn++;
}

static int new_snode(struct gen *g, int kind)
{
	assert_true(g->n_sn < MAX_NODES);
	memset(&g->sn[g->n_sn], 0, sizeof(g->sn[0]));
	g->sn[g->n_sn].kind = kind;
	g->sn[g->n_sn].dports = g->sn[g->n_sn].sports = -1;
	g->sn[g->n_sn].types = -1;
	return g->n_sn++;
}

struct base {
	int fam;
	const char *text;
	int len;
};

static const struct base bases[] = {
	{ 4, "10.0.0.0", 8 },	   { 4, "192.168.0.0", 16 },
	{ 4, "172.16.0.0", 12 },   { 4, "198.51.100.0", 24 },
	{ 6, "2001:db8::", 32 },   { 6, "fd00::", 8 },
	{ 6, "2001:db8:5::", 48 },
};

static int addr_bits(int fam)
{
	return fam == 4 ? 32 : 128;
}

static void addr_mask(struct addr *a, int len, bool ones)
{
	int i;

	for (i = len; i < addr_bits(a->fam); i++) {
		if (ones)
			a->a[i / 8] |= 0x80 >> (i % 8);
		else
			a->a[i / 8] &= ~(0x80 >> (i % 8));
	}
}

/* a += d (d may be negative), wrapping within the family. */
static void addr_add(struct addr *a, int d)
{
	int i = addr_bits(a->fam) / 8 - 1;
	int carry = d;

	for (; i >= 0 && carry; i--) {
		int v = a->a[i] + carry;

		a->a[i] = (uint8_t)v;
		carry = v >> 8; /* arithmetic: -1 borrows */
	}
}

static void addr_str(const struct addr *a, char *buf, size_t n)
{
	inet_ntop(a->fam == 4 ? AF_INET : AF_INET6, a->a, buf, n);
}

static void note_addr(struct gen *g, const struct addr *a)
{
	if (g->n_addrs < MAX_ADDRS)
		g->addrs[g->n_addrs++] = *a;
}

/* Remember @a and its neighbours: the edges rules distinguish. */
static void note_edge(struct gen *g, const struct addr *a)
{
	struct addr b = *a;

	note_addr(g, &b);
	addr_add(&b, -1);
	note_addr(g, &b);
	addr_add(&b, 2);
	note_addr(g, &b);
}

static void note_port(struct gen *g, int p)
{
	int d;

	for (d = -1; d <= 1; d++)
		if (p + d >= 0 && p + d <= 65535 && g->n_ports < MAX_PORTS)
			g->ports[g->n_ports++] = (uint16_t)(p + d);
}

static void note_proto(struct gen *g, int p)
{
	if (g->n_protos < MAX_PORTS)
		g->protos[g->n_protos++] = (uint8_t)p;
}

static void note_type(struct gen *g, int t)
{
	if (g->n_types < MAX_PORTS)
		g->types[g->n_types++] = (uint8_t)t;
}

static void notes_begin(const struct gen *g, struct notes *n)
{
	n->addrs.lo = g->n_addrs;
	n->ports.lo = g->n_ports;
	n->types.lo = g->n_types;
	n->protos.lo = g->n_protos;
}

static void notes_end(const struct gen *g, struct notes *n)
{
	n->addrs.hi = g->n_addrs;
	n->ports.hi = g->n_ports;
	n->types.hi = g->n_types;
	n->protos.hi = g->n_protos;
}

/* A name was used: what it named now belongs to the current rule too. */
static void notes_replay(struct gen *g, const struct notes *n)
{
	int i;

	for (i = n->addrs.lo; i < n->addrs.hi; i++)
		note_addr(g, &g->addrs[i]);
	for (i = n->ports.lo; i < n->ports.hi && g->n_ports < MAX_PORTS; i++)
		g->ports[g->n_ports++] = g->ports[i];
	for (i = n->types.lo; i < n->types.hi; i++)
		note_type(g, g->types[i]);
	for (i = n->protos.lo; i < n->protos.hi; i++)
		note_proto(g, g->protos[i]);
}

/* Mostly of the family the current rule or zone prefers. */
static bool fam_ok(const struct gen *g, int fam)
{
	return !g->fam || fam == g->fam || chance(10);
}

/* A random prefix: inside a base, or around an address already named. */
static void rand_prefix(struct gen *g, struct addr *a, int *len)
{
	const struct base *b;
	bool nested = false;
	int bits, lo, i, tries = 0;

	if (g->n_addrs && chance(45)) {
		/* Nested in, or around, an earlier prefix or range. */
		for (tries = 0; tries < 8 && !nested; tries++) {
			*a = g->addrs[rn(g->n_addrs)];
			nested = fam_ok(g, a->fam);
		}
	}
	if (nested) {
		lo = a->fam == 4 ? 8 : 32;
	} else {
		do
			b = &bases[rn(sizeof(bases) / sizeof(bases[0]))];
		while (!fam_ok(g, b->fam) && ++tries < 16);
		a->fam = b->fam;
		pb_addr(b->text, a->a);
		lo = b->len;
		for (i = lo; i < addr_bits(a->fam); i++)
			if (chance(50))
				a->a[i / 8] ^= 0x80 >> (i % 8);
	}
	bits = addr_bits(a->fam);
	if (chance(20))
		*len = bits;
	else if (a->fam == 6 && chance(40))
		*len = (int[]){ 48, 56, 64, 96, 120 }[rn(5)];
	else
		*len = lo + (int)rn(bits - lo + 1);
	addr_mask(a, *len, false);
}

static int span_node(struct gen *g, const struct addr *lo,
		     const struct addr *hi)
{
	int k = new_hnode(g, H_SPAN);

	g->hn[k].fam = lo->fam;
	memcpy(g->hn[k].lo, lo->a, 16);
	memcpy(g->hn[k].hi, hi->a, 16);
	return k;
}

static int gen_prefix(struct gen *g)
{
	struct addr a, last;
	char s[64];
	int len;

	rand_prefix(g, &a, &len);
	addr_str(&a, s, sizeof(s));
	if (len == addr_bits(a.fam) && chance(50))
		fprintf(g->f, "%s", s);
	else
		fprintf(g->f, "%s/%d", s, len);
	last = a;
	addr_mask(&last, len, true);
	note_edge(g, &a);
	note_edge(g, &last);
	return span_node(g, &a, &last);
}

static int gen_range(struct gen *g)
{
	struct addr a, b;
	char s1[64], s2[64];
	int len;

	rand_prefix(g, &a, &len);
	b = a;
	addr_add(&b, (int)rn(chance(50) ? 16 : 3000));
	/* Wrapped past the top: keep the range a single address. */
	if (memcmp(b.a, a.a, 16) < 0)
		b = a;
	addr_str(&a, s1, sizeof(s1));
	addr_str(&b, s2, sizeof(s2));
	fprintf(g->f, "%s-%s", s1, s2);
	note_edge(g, &a);
	note_edge(g, &b);
	return span_node(g, &a, &b);
}

static int ref_node(struct gen *g, int kind, int ref)
{
	int k = new_hnode(g, kind);

	g->hn[k].ref = ref;
	return k;
}

static int gen_hosts(struct gen *g, int depth);

/* One list member; excluded members never come first. */
static int gen_member(struct gen *g, int depth, bool first, bool *neg)
{
	unsigned int k;

	*neg = false;
	if (!first && chance(25)) {
		*neg = true;
		fputc('!', g->f);
		switch (rn(4)) {
		case 0:
			return gen_range(g);
		case 1:
			if (g->n_zones) {
				k = rn(g->n_zones);
				fprintf(g->f, "z%u", k);
				return ref_node(g, H_ZONE, (int)k);
			}
			/* fall through */
		default:
			return gen_prefix(g);
		}
	}
	if (first && chance(10)) {
		fputs("any", g->f);
		return new_hnode(g, H_ANY);
	}
	return gen_hosts(g, depth + 1);
}

static int gen_list(struct gen *g, int depth)
{
	struct kid kids[MAX_ITEMS];
	int i, n = 1 + (int)rn(MAX_ITEMS), k;

	fputs("{ ", g->f);
	for (i = 0; i < n; i++) {
		kids[i].node = gen_member(g, depth, i == 0, &kids[i].neg);
		fputs(i + 1 < n ? (chance(50) ? ", " : " ") : " ", g->f);
	}
	fputc('}', g->f);
	/* Members first, nested lists took their own kids meanwhile. */
	assert_true(g->n_kids + n <= MAX_NODES);
	k = new_hnode(g, H_LIST);
	g->hn[k].first = g->n_kids;
	g->hn[k].n = n;
	memcpy(&g->kids[g->n_kids], kids, n * sizeof(kids[0]));
	g->n_kids += n;
	return k;
}

static int gen_hosts(struct gen *g, int depth)
{
	unsigned int r = rn(100), k;

	if (depth == 0 && r < 5) {
		fputs("any", g->f);
		return new_hnode(g, H_ANY);
	}
	if (r < 40)
		return gen_prefix(g);
	if (r < 50)
		return gen_range(g);
	if (r < 65 && g->n_zones) {
		k = rn(g->n_zones);
		fprintf(g->f, "z%u", k);
		notes_replay(g, &g->zone[k]);
		return ref_node(g, H_ZONE, (int)k);
	}
	if (r < 70 && g->n_hmac) {
		k = rn(g->n_hmac);
		fprintf(g->f, "$h%u", k);
		notes_replay(g, &g->hmac[k]);
		return ref_node(g, H_HMAC, (int)k);
	}
	if (depth < 3)
		return gen_list(g, depth);
	return gen_prefix(g);
}

static const uint16_t hot_ports[] = { 0,    1,	   22,	  53,	80,   123,
				      135,  139,   443,	  1023, 1024, 3389,
				      8080, 49152, 65534, 65535 };

static int rand_port(void)
{
	if (chance(60))
		return hot_ports[rn(sizeof(hot_ports) / sizeof(hot_ports[0]))];
	return (int)rn(65536);
}

static void gen_port_item(struct gen *g, struct pset *ps)
{
	int a = rand_port(), b = a;

	if (chance(40)) {
		b = a + (int)rn(chance(50) ? 10 : 20000);
		if (b > 65535)
			b = 65535;
		fprintf(g->f, "%d-%d", a, b);
		note_port(g, b);
	} else {
		fprintf(g->f, "%d", a);
	}
	note_port(g, a);
	ps->lo[ps->n] = (uint16_t)a;
	ps->hi[ps->n] = (uint16_t)b;
	ps->n++;
}

/* PORTS; returns its port set. */
static int gen_ports(struct gen *g)
{
	struct pset *ps;
	int i, n;

	if (g->n_pmac && chance(15)) {
		unsigned int k = rn(g->n_pmac);

		fprintf(g->f, "$p%u", k);
		notes_replay(g, &g->pmac[k]);
		return g->pmac_set[k];
	}
	assert_true(g->n_ps < MAX_NODES);
	ps = &g->ps[g->n_ps];
	ps->n = 0;
	if (chance(50)) {
		gen_port_item(g, ps);
		return g->n_ps++;
	}
	n = 1 + (int)rn(MAX_ITEMS);
	fputs("{ ", g->f);
	for (i = 0; i < n; i++) {
		gen_port_item(g, ps);
		fputs(i + 1 < n ? ", " : " ", g->f);
	}
	fputc('}', g->f);
	return g->n_ps++;
}

static const struct {
	const char *name;
	int v4, v6;
} icmp_names[] = {
	{ "echo-request", 8, 128 },
	{ "echo-reply", 0, 129 },
	{ "dest-unreachable", 3, 1 },
	{ "time-exceeded", 11, 3 },
};

/* ICMP types for @proto (1 or 58), maybe by name; returns the type set. */
static int gen_types(struct gen *g, int proto)
{
	int i, n = chance(60) ? 1 : 2 + (int)rn(MAX_ITEMS - 1), t;
	struct tset *ts;

	assert_true(g->n_ts < MAX_NODES);
	ts = &g->ts[g->n_ts];
	ts->n = 0;
	if (n > 1)
		fputs("{ ", g->f);
	for (i = 0; i < n; i++) {
		if (chance(30)) {
			int k = (int)rn(4);

			fputs(icmp_names[k].name, g->f);
			t = proto == 1 ? icmp_names[k].v4 : icmp_names[k].v6;
		} else {
			t = chance(70) ? (int)rn(20) + (proto == 58 ? 125 : 0) :
					 (int)rn(256);
			fprintf(g->f, "%d", t);
		}
		note_type(g, t);
		ts->t[ts->n++] = (uint8_t)t;
		if (n > 1)
			fputs(i + 1 < n ? ", " : " ", g->f);
	}
	if (n > 1)
		fputc('}', g->f);
	return g->n_ts++;
}

static int svc_list_node(struct gen *g, const int *kids, int n)
{
	int k = new_snode(g, S_LIST);

	assert_true(g->n_skids + n <= MAX_NODES);
	g->sn[k].first = g->n_skids;
	g->sn[k].n = n;
	memcpy(&g->skids[g->n_skids], kids, n * sizeof(kids[0]));
	g->n_skids += n;
	return k;
}

/* proto tcp|udp|sctp... [port PORTS] [from-port PORTS] */
static int gen_port_service(struct gen *g)
{
	static const char *const names[] = {
		"tcp",
		"udp",
		"sctp",
		"{ tcp, udp }",
		"6",
		"17",
		"{ tcp udp sctp }",
	};
	static const uint8_t nums[][3] = {
		{ 6 }, { 17 }, { 132 },	       { 6, 17 },
		{ 6 }, { 17 }, { 6, 17, 132 },
	};
	unsigned int k = rn(sizeof(names) / sizeof(names[0]));
	int i, sn = new_snode(g, S_PROTO), dports = -1, sports = -1;

	fprintf(g->f, "proto %s", names[k]);
	for (i = 0; i < 3 && nums[k][i]; i++) {
		note_proto(g, nums[k][i]);
		g->sn[sn].protos[g->sn[sn].n_protos++] = nums[k][i];
	}
	if (chance(80)) {
		fputs(" port ", g->f);
		dports = gen_ports(g);
	}
	if (chance(20)) {
		fputs(" from-port ", g->f);
		sports = gen_ports(g);
	}
	g->sn[sn].dports = dports;
	g->sn[sn].sports = sports;
	return sn;
}

/* SERVICE; returns its model node. */
static int gen_service(struct gen *g, int depth)
{
	unsigned int r = rn(100), k;
	int i, n, sn, kids[3];

	if (r < 45)
		return gen_port_service(g);
	if (r < 65) {
		int p = chance(50) ? 1 : 58, types = -1;

		fprintf(g->f, "proto %s", p == 1 ? "icmp" : "icmp6");
		note_proto(g, p);
		if (chance(75)) {
			fputs(" type ", g->f);
			types = gen_types(g, p);
		}
		sn = new_snode(g, S_PROTO);
		g->sn[sn].protos[g->sn[sn].n_protos++] = (uint8_t)p;
		g->sn[sn].types = types;
		return sn;
	}
	if (r < 75) {
		int p = chance(50) ? 47 : (int)rn(256);

		fprintf(g->f, "proto %d", p);
		note_proto(g, p);
		sn = new_snode(g, S_PROTO);
		g->sn[sn].protos[g->sn[sn].n_protos++] = (uint8_t)p;
		return sn;
	}
	if (r < 82 || !g->n_svcs) {
		fputs("any", g->f);
		return new_snode(g, S_ANY);
	}
	if (r < 92 || depth > 0) {
		k = rn(g->n_svcs);
		fprintf(g->f, "service s%u", k);
		notes_replay(g, &g->svc[k]);
		sn = new_snode(g, S_REF);
		g->sn[sn].ref = (int)k;
		return sn;
	}
	n = 2 + (int)rn(2);
	fputs("service { ", g->f);
	for (i = 0; i < n; i++) {
		k = rn(g->n_svcs);
		fprintf(g->f, "s%u%s", k, i + 1 < n ? ", " : " ");
		notes_replay(g, &g->svc[k]);
		kids[i] = new_snode(g, S_REF);
		g->sn[kids[i]].ref = (int)k;
	}
	fputc('}', g->f);
	return svc_list_node(g, kids, n);
}

static int rand_fam(unsigned int either_percent)
{
	if (chance(either_percent))
		return 0;
	return chance(50) ? 4 : 6;
}

/* Definitions: macros, zones and services, each remembering its notes. */
static void gen_defs(struct gen *g)
{
	int i, n, kids[2];

	n = (int)rn(3);
	for (i = 0; i < n; i++, g->n_hmac++) {
		g->fam = rand_fam(30);
		fprintf(g->f, "define h%d = ", i);
		notes_begin(g, &g->hmac[i]);
		g->hmac_node[i] = gen_hosts(g, 1);
		notes_end(g, &g->hmac[i]);
		fputc('\n', g->f);
	}
	n = (int)rn(3);
	for (i = 0; i < n; i++, g->n_pmac++) {
		fprintf(g->f, "define p%d = ", i);
		notes_begin(g, &g->pmac[i]);
		g->pmac_set[i] = gen_ports(g);
		notes_end(g, &g->pmac[i]);
		fputc('\n', g->f);
	}
	n = (int)rn(7);
	for (i = 0; i < n; i++, g->n_zones++) {
		g->fam = rand_fam(30);
		fprintf(g->f, "zone z%d = ", i);
		notes_begin(g, &g->zone[i]);
		g->zone_node[i] = gen_hosts(g, 0);
		notes_end(g, &g->zone[i]);
		fputc('\n', g->f);
	}
	n = (int)rn(5);
	for (i = 0; i < n; i++, g->n_svcs++) {
		fprintf(g->f, "service s%d = ", i);
		notes_begin(g, &g->svc[i]);
		if (chance(30)) {
			fputs("{ ", g->f);
			kids[0] = gen_service(g, 1);
			fputs(", ", g->f);
			kids[1] = gen_service(g, 1);
			fputs(" }", g->f);
			g->svc_node[i] = svc_list_node(g, kids, 2);
		} else {
			g->svc_node[i] = gen_service(g, 1);
		}
		notes_end(g, &g->svc[i]);
		fputc('\n', g->f);
	}
}

static void gen_rule(struct gen *g, int i)
{
	struct notes from, to;

	/* Mostly one family per rule, or it can never match. */
	g->fam = rand_fam(20);
	fprintf(g->f, "%s%s ", chance(60) ? "allow" : "deny",
		chance(10) ? " log" : "");
	notes_begin(g, &from);
	g->rules[i].from_node = gen_hosts(g, 0);
	notes_end(g, &from);
	fputs(" -> ", g->f);
	notes_begin(g, &to);
	g->rules[i].to_node = gen_hosts(g, 0);
	notes_end(g, &to);
	fputc(' ', g->f);
	notes_begin(g, &g->rules[i].svc);
	g->rules[i].svc_node = gen_service(g, 0);
	notes_end(g, &g->rules[i].svc);
	if (chance(20))
		fprintf(g->f, " label \"r%d\"", i + 1);
	fputc('\n', g->f);
	g->rules[i].from = from.addrs;
	g->rules[i].to = to.addrs;
}

/* A whole policy; the caller owns the returned text. */
static char *gen_policy(struct gen *g)
{
	char *text = NULL;
	size_t len = 0;
	int i, n;

	memset(g, 0, sizeof(*g));
	g->f = open_memstream(&text, &len);
	assert_non_null(g->f);
	/*
	 * The tables alone decide: a tracked flow would pass the reverse
	 * of an allowed packet, which the userspace tally cannot know.
	 */
	fprintf(g->f, "set state off\n");

	if (chance(40))
		fprintf(g->f, "set default %s\n",
			chance(50) ? "allow" : "deny");
	if (chance(30))
		fprintf(g->f, "set non-ip %s\n", chance(50) ? "pass" : "drop");
	gen_defs(g);
	n = 1 + (int)rn(MAX_RULES - 7);
	for (i = 0; i < n; i++)
		gen_rule(g, i);
	g->n_rules = n;
	fclose(g->f);
	return text;
}

/* ---- the model's classification ---------------------------------------- */

static bool h_has(const struct gen *g, int k, const struct fwc_packet *p,
		  const uint8_t *a)
{
	const struct hnode *h = &g->hn[k];
	size_t n = p->family == 4 ? 4 : 16;
	bool pos = false, neg = false;
	int i;

	switch (h->kind) {
	case H_ANY:
		return true;
	case H_SPAN:
		return h->fam == p->family && memcmp(h->lo, a, n) <= 0 &&
		       memcmp(a, h->hi, n) <= 0;
	case H_ZONE:
		return h_has(g, g->zone_node[h->ref], p, a);
	case H_HMAC:
		return h_has(g, g->hmac_node[h->ref], p, a);
	}
	/* A list: any member, minus the excluded ones. */
	for (i = 0; i < h->n; i++) {
		const struct kid *c = &g->kids[h->first + i];

		if (h_has(g, c->node, p, a)) {
			if (c->neg)
				neg = true;
			else
				pos = true;
		}
	}
	return pos && !neg;
}

static bool ps_has(const struct gen *g, int k, uint16_t port)
{
	int i;

	if (k < 0)
		return true;
	for (i = 0; i < g->ps[k].n; i++)
		if (port >= g->ps[k].lo[i] && port <= g->ps[k].hi[i])
			return true;
	return false;
}

static bool ts_has(const struct gen *g, int k, uint16_t type)
{
	int i;

	if (k < 0)
		return true;
	for (i = 0; i < g->ts[k].n; i++)
		if (type == g->ts[k].t[i])
			return true;
	return false;
}

static bool s_has(const struct gen *g, int k, const struct fwc_packet *p)
{
	const struct snode *s = &g->sn[k];
	int i;

	switch (s->kind) {
	case S_ANY:
		return true;
	case S_REF:
		return s_has(g, g->svc_node[s->ref], p);
	case S_LIST:
		for (i = 0; i < s->n; i++)
			if (s_has(g, g->skids[s->first + i], p))
				return true;
		return false;
	}
	for (i = 0; i < s->n_protos; i++)
		if (s->protos[i] == p->proto)
			break;
	if (i == s->n_protos)
		return false;
	if (p->proto == 6 || p->proto == 17 || p->proto == 132)
		return ps_has(g, s->dports, p->k1) &&
		       ps_has(g, s->sports, p->k2);
	if (p->proto == 1 || p->proto == 58)
		return ts_has(g, s->types, p->k1);
	return true;
}

/* First match over the rules as the specification reads. */
static uint32_t model_classify(const struct gen *g, const struct fwc_packet *p)
{
	int i;

	for (i = 0; i < g->n_rules; i++)
		if (h_has(g, g->rules[i].from_node, p, p->src) &&
		    h_has(g, g->rules[i].to_node, p, p->dst) &&
		    s_has(g, g->rules[i].svc_node, p))
			return (uint32_t)i + 1;
	return 0;
}

/* ---- packets ------------------------------------------------------------ */

static bool is_v6_ext(uint8_t p)
{
	return p == 0 || p == 43 || p == 44 || p == 51 || p == 60;
}

/* An address of family @fam (any when 0) noted in @sp, if there is one. */
static bool pick_addr(const struct gen *g, struct span sp, int fam,
		      struct addr *out)
{
	int tries;

	for (tries = 0; sp.hi > sp.lo && tries < 8; tries++) {
		*out = g->addrs[pick(sp)];
		if (!fam || out->fam == fam)
			return true;
	}
	return false;
}

static void rand_addr(const struct gen *g, struct span sp, int fam,
		      uint8_t *out)
{
	struct span all = { 0, g->n_addrs };
	struct addr a;
	int i;

	if ((chance(92) && pick_addr(g, sp, fam, &a)) ||
	    (chance(70) && pick_addr(g, all, fam, &a))) {
		memcpy(out, a.a, 16);
		return;
	}
	memset(out, 0, 16);
	for (i = 0; i < (fam == 4 ? 4 : 16); i++)
		out[i] = (uint8_t)rnd();
}

/* A port, or an ICMP type near one the rule (or the policy) names. */
static uint16_t rand_key(const struct gen *g, const struct notes *n,
			 uint8_t proto)
{
	struct span sp;

	if (proto == 1 || proto == 58) {
		sp = or_all(n->types, g->n_types);
		if (sp.hi > sp.lo && chance(75))
			return (g->types[pick(sp)] + rn(3) - 1) & 0xff;
		return (uint16_t)rn(256);
	}
	sp = or_all(n->ports, g->n_ports);
	if (sp.hi > sp.lo && chance(80))
		return g->ports[pick(sp)];
	return (uint16_t)rand_port();
}

static uint8_t rand_proto(const struct gen *g, const struct notes *n)
{
	static const uint8_t common[] = { 6, 17, 132, 1, 58, 47, 50, 89 };
	struct span sp = or_all(n->protos, g->n_protos);

	if (sp.hi > sp.lo && chance(75))
		return g->protos[pick(sp)];
	if (chance(70))
		return common[rn(sizeof(common))];
	return (uint8_t)rn(256);
}

/*
 * Mostly aimed at one rule: its source and destination edges, its
 * protocols and ports; else anything the policy named, or noise.
 */
static void rand_packet(const struct gen *g, struct fwc_packet *p)
{
	struct span none = { 0, 0 }, from = none, to = none;
	struct notes no = { none, none, none, none };
	const struct notes *svc = &no;
	struct addr a;
	int r;

	memset(p, 0, sizeof(*p));
	if (g->n_rules && chance(80)) {
		r = (int)rn(g->n_rules);
		from = g->rules[r].from;
		to = g->rules[r].to;
		svc = &g->rules[r].svc;
	}
	p->family = chance(50) ? 4 : 6;
	if (chance(80) && pick_addr(g, from, 0, &a))
		p->family = (uint8_t)a.fam;
	else if (chance(80) && pick_addr(g, to, 0, &a))
		p->family = (uint8_t)a.fam;
	do
		p->proto = rand_proto(g, svc);
	while (p->family == 6 && is_v6_ext(p->proto));
	rand_addr(g, from, p->family, p->src);
	rand_addr(g, to, p->family, p->dst);
	switch (p->proto) {
	case 6:
	case 17:
	case 132:
		p->k1 = rand_key(g, svc, p->proto);
		p->k2 = chance(50) ? rand_key(g, svc, p->proto) :
				     (uint16_t)(1024 + rn(64512));
		break;
	case 1:
	case 58:
		p->k1 = rand_key(g, svc, p->proto);
		p->k2 = (uint16_t)rn(4);
		break;
	}
}

/* Ethernet with no, one or two VLAN tags before @type. */
static void build_l2(struct pb *b, uint16_t type)
{
	unsigned int tags = chance(70) ? 0 : 1 + rn(2);

	if (tags == 0) {
		pb_eth(b, type);
	} else if (tags == 1) {
		pb_eth(b, PB_ETH_8021Q);
		pb_vlan(b, (uint16_t)rn(4096), type);
	} else {
		pb_eth(b, PB_ETH_8021AD);
		pb_vlan(b, (uint16_t)rn(4096), PB_ETH_8021Q);
		pb_vlan(b, (uint16_t)rn(4096), type);
	}
}

/* IPv6 and up to three extension headers (hop-by-hop only first). */
static void build_ipv6(struct pb *b, const struct fwc_packet *p)
{
	static const uint8_t kinds[] = { 60, 43, 44, 51 };
	unsigned int n = chance(70) ? 0 : 1 + rn(3), i;
	uint8_t chain[3], next;

	for (i = 0; i < n; i++)
		chain[i] = i == 0 && chance(50) ? 0 : kinds[rn(4)];
	pb_ipv6(b, n ? chain[0] : p->proto, p->src, p->dst);
	for (i = 0; i < n; i++) {
		next = i + 1 < n ? chain[i + 1] : p->proto;
		if (chain[i] == 44)
			pb_frag6(b, next, 0, (int)rn(2));
		else if (chain[i] == 51)
			pb_ext6(b, 51, next, 4 * (3 + rn(4)));
		else
			pb_ext6(b, chain[i], next, 8 * (1 + rn(3)));
	}
}

static bool is_nd(const struct fwc_packet *p)
{
	return p->family == 6 && p->proto == 58 && p->k1 >= 133 && p->k1 <= 137;
}

/*
 * A frame carrying @p: random tags, IPv4 options or first-fragment bits,
 * IPv6 extension headers, then the l4 header and some payload.
 */
static void build_frame(struct pb *b, const struct fwc_packet *p)
{
	pb_init(b);
	build_l2(b, p->family == 4 ? PB_ETH_IP : PB_ETH_IPV6);
	if (p->family == 4)
		pb_ipv4(b, p->proto, p->src, p->dst,
			chance(80) ? 0 : 4 * (1 + rn(10)),
			chance(10) ? 0x2000 :
			chance(30) ? 0x4000 :
				     0);
	else
		build_ipv6(b, p);
	pb_transport(b, p->proto, p->k1, p->k2);
	/* Neighbour discovery as on a link: hop limit 255 (expect_of). */
	if (is_nd(p))
		b->data[b->l3 + 7] = 255;
	pb_payload(b, rn(48));
	pb_finish(b);
}

/* ---- running ------------------------------------------------------------ */

struct run {
	struct fwc_tables *t;
	struct fwc_bpf *skel;
	int prog, cnt_fd, ncpu;
	uint32_t n_ids;
	uint64_t *expect; /* packets per counter id */
	uint64_t *expect_bytes;
	struct fwc_counter *percpu;
};

static uint64_t read_count(struct run *r, uint32_t id)
{
	uint64_t sum = 0;
	int i;

	assert_int_equal(bpf_map_lookup_elem(r->cnt_fd, &id, r->percpu), 0);
	for (i = 0; i < r->ncpu; i++)
		sum += r->percpu[i].packets;
	return sum;
}

static void print_packet(const struct fwc_packet *p, const struct pb *b)
{
	char s[64], d[64];
	size_t i;

	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->src, s, sizeof(s));
	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->dst, d, sizeof(d));
	if (p->proto == 1 || p->proto == 58)
		fprintf(stderr, "  packet: %u %s -> %s type %u code %u\n",
			p->proto, s, d, p->k1, p->k2);
	else if (p->family == 6)
		fprintf(stderr, "  packet: %u [%s]:%u -> [%s]:%u\n", p->proto,
			s, p->k2, d, p->k1);
	else
		fprintf(stderr, "  packet: %u %s:%u -> %s:%u\n", p->proto, s,
			p->k2, d, p->k1);
	fprintf(stderr, "  frame (%zu bytes):", b->len);
	for (i = 0; i < b->len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n    ", b->data[i]);
	fputc('\n', stderr);
}

/* Which counter moved, for the report: the one above its tally. */
static int64_t moved_id(struct run *r)
{
	uint32_t id;

	for (id = 0; id < r->n_ids; id++)
		if (read_count(r, id) != r->expect[id])
			return id;
	return -1;
}

static int load(struct run *r, const char *text)
{
	/* Every other policy takes the IPv6 LPM layout, so both are checked. */
	static unsigned int loads;
	struct fwc_compile_opts copts = {
		.err = stderr,
		.v6_layout = loads++ % 2 ? FWC_V6_LPM : FWC_V6_TRIE,
	};
	int err;

	memset(r, 0, sizeof(*r));
	err = fwc_compile_string("random.pol", text, strlen(text), &copts,
				 &r->t);
	if (err)
		return err;
	r->skel = fwc_bpf__open();
	assert_non_null(r->skel);
	assert_int_equal(fwc_maps_size(r->skel, r->t), 0);
	assert_int_equal(fwc_bpf__load(r->skel), 0);
	assert_int_equal(fwc_maps_fill(r->skel, r->t), 0);
	r->prog = bpf_program__fd(r->skel->progs.fwc_xdp);
	r->cnt_fd = bpf_map__fd(r->skel->maps.counters);
	r->ncpu = libbpf_num_possible_cpus();
	r->n_ids = r->t->meta.n_rules + 1 + FWC_RSV_COUNT;
	r->expect = calloc(r->n_ids, sizeof(*r->expect));
	r->expect_bytes = calloc(r->n_ids, sizeof(*r->expect_bytes));
	r->percpu = calloc(r->ncpu, sizeof(*r->percpu));
	assert_non_null(r->expect);
	assert_non_null(r->expect_bytes);
	assert_non_null(r->percpu);
	return 0;
}

static void unload(struct run *r)
{
	fwc_bpf__destroy(r->skel);
	fwc_tables_free(r->t);
	free(r->expect);
	free(r->expect_bytes);
	free(r->percpu);
}

static unsigned long env_num(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

struct totals {
	unsigned long policies, packets, rejected, failed, shown;
	unsigned long spec_failed, spec_shown; /* tables vs the model */
	unsigned long by_verdict[2];
	unsigned long by_rule; /* decided by a rule, not the default */
	unsigned long v6_pre;  /* IPv6 tries under a common prefix */
};

/* Expected (verdict, counter id) of @p according to the tables. */
static void expect_of(const struct run *r, const struct fwc_packet *p,
		      int *verdict, uint32_t *id)
{
	if (is_nd(p)) {
		*id = r->t->meta.n_rules + 1 + FWC_RSV_ND;
		*verdict = XDP_PASS;
		return;
	}
	/* ICMP in IPv6, ICMPv6 in IPv4: no packet at all to the datapath. */
	if ((p->family == 4 && p->proto == 58) ||
	    (p->family == 6 && p->proto == 1)) {
		*id = r->t->meta.n_rules + 1 + FWC_RSV_MALFORMED;
		*verdict = XDP_DROP;
		return;
	}
	*id = fwc_tables_classify(r->t, p);
	*verdict = fwc_tables_action(r->t, *id) == FWC_ACT_ALLOW ? XDP_PASS :
								   XDP_DROP;
}

/*
 * The compiled tables against the model of the policy text: a difference
 * is a compiler bug (or a model bug), reported apart from the datapath's.
 */
static bool check_spec(const struct run *r, const struct gen *g,
		       const struct fwc_packet *p, const char *text,
		       struct totals *tot)
{
	uint32_t want = model_classify(g, p);
	uint32_t got = fwc_tables_classify(r->t, p);
	struct pb b;

	if (want == got)
		return true;
	tot->spec_failed++;
	if (tot->spec_shown++ < MAX_FAILS_SHOWN) {
		fprintf(stderr,
			"SPEC MISMATCH (policy %lu): the policy text "
			"says rule %u, fwc_tables_classify() rule %u\n",
			tot->policies, want, got);
		build_frame(&b, p);
		print_packet(p, &b);
		fprintf(stderr, "  policy:\n%s\n", text);
	}
	return false;
}

/* One packet; false (after a report) when the datapath disagrees. */
static bool check_packet(struct run *r, const struct fwc_packet *p,
			 const char *text, struct totals *tot)
{
	struct pb b;
	uint32_t id;
	int verdict;
	int64_t got;

	build_frame(&b, p);
	expect_of(r, p, &verdict, &id);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = b.data,
		    .data_size_in = b.len, .repeat = 1);
	assert_int_equal(bpf_prog_test_run_opts(r->prog, &opts), 0);
	r->expect[id]++;
	r->expect_bytes[id] += b.len;
	tot->by_verdict[verdict == XDP_PASS]++;
	tot->by_rule += id != 0;
	if ((int)opts.retval == verdict && read_count(r, id) == r->expect[id])
		return true;

	r->expect[id]--;
	r->expect_bytes[id] -= b.len;
	got = moved_id(r);
	tot->failed++;
	if (tot->shown++ < MAX_FAILS_SHOWN) {
		fprintf(stderr,
			"MISMATCH (policy %lu): expected %s rule %u, "
			"datapath %s counter %" PRId64 "\n",
			tot->policies, verdict == XDP_PASS ? "pass" : "drop",
			id, opts.retval == XDP_PASS ? "pass" : "drop", got);
		print_packet(p, &b);
		fprintf(stderr, "  policy:\n%s\n", text);
	}
	return false;
}

/* Every counter must equal the tally, in packets and in bytes. */
static bool check_totals(struct run *r)
{
	uint64_t bytes;
	uint32_t id;
	int i;

	for (id = 0; id < r->n_ids; id++) {
		/* The deny log's counters count events (tests/bpf/test_log.c). */
		if (id == r->t->meta.n_rules + 1 + FWC_RSV_LOG_SUPPRESSED ||
		    id == r->t->meta.n_rules + 1 + FWC_RSV_LOG_LOST)
			continue;
		if (read_count(r, id) != r->expect[id])
			return false;
		for (bytes = 0, i = 0; i < r->ncpu; i++)
			bytes += r->percpu[i].bytes;
		if (bytes != r->expect_bytes[id])
			return false;
	}
	return true;
}

static void run_policy(const char *text, unsigned long n_packets, struct gen *g,
		       struct totals *tot)
{
	bool spec_ok = true;
	struct fwc_packet p;
	struct run r;
	unsigned long i;

	if (load(&r, text)) {
		/* The generator should only write valid policies. */
		fprintf(stderr, "policy %lu rejected:\n%s\n", tot->policies,
			text);
		tot->rejected++;
		return;
	}
	tot->v6_pre += (r.t->meta.flags & FWC_META_V6_TRIE) && r.t->meta.v6_at;
	for (i = 0; i < n_packets; i++) {
		rand_packet(g, &p);
		tot->packets++;
		/* One model report per policy too. */
		if (spec_ok)
			spec_ok = check_spec(&r, g, &p, text, tot);
		if (!check_packet(&r, &p, text, tot))
			break; /* one report per policy is enough */
	}
	if (i == n_packets && !check_totals(&r)) {
		fprintf(stderr, "policy %lu: final counters differ\n",
			tot->policies);
		tot->failed++;
	}
	unload(&r);
}

static void test_agreement(void **state)
{
	unsigned long n_pol = env_num("FWC_AGREE_POLICIES", 150);
	unsigned long n_pkt = env_num("FWC_AGREE_PACKETS", 2000);
	struct gen *g = calloc(1, sizeof(*g));
	struct totals tot = { 0 };
	char *text;

	(void)state;
	assert_non_null(g);
	for (tot.policies = 0; tot.policies < n_pol; tot.policies++) {
		text = gen_policy(g);
		if (getenv("FWC_AGREE_DUMP"))
			printf("# policy %lu\n%s\n", tot.policies, text);
		run_policy(text, n_pkt, g, &tot);
		free(text);
	}
	free(g);
	printf("agreement: %lu policies (%lu rejected), %lu packets "
	       "(%lu pass, %lu drop, %lu decided by a rule), %lu datapath "
	       "mismatches, %lu policies where the tables differ from the "
	       "policy text; %lu IPv6 tries under a common prefix\n",
	       tot.policies, tot.rejected, tot.packets, tot.by_verdict[1],
	       tot.by_verdict[0], tot.by_rule, tot.failed, tot.spec_failed,
	       tot.v6_pre);
	assert_int_equal(tot.rejected, 0);
	assert_true(tot.v6_pre > 0);
	assert_int_equal(tot.failed, 0);
	assert_int_equal(tot.spec_failed, 0);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agreement),
	};
	uint64_t seed = env_num("FWC_SEED", 20261122);

	printf("FWC_SEED=%" PRIu64 "\n", seed);
	fflush(stdout);
	rng_state = seed ? seed : 1;
	libbpf_set_print(libbpf_quiet);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
