/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Datapath benchmark on BPF_PROG_TEST_RUN: ns per packet of the fwc XDP
 * program against a bare XDP_PASS (the floor of the test run itself) and
 * the parser alone (bench/bare.bpf.c), on minimal TCP/IPv4 and TCP/IPv6
 * frames that hit an allow rule, a deny rule and the default deny of each
 * policy given on the command line. The "fwc" rows are the classifier
 * alone (a copy loaded with state off, or the repeated SYN would be a
 * tracked flow's); the "ct" rows run the policy as written, with
 * connection tracking: "est" is the server's ACK of an established flow
 * (SYN, SYN-ACK and ACK sent first), the cost of every reply and of every
 * later packet of an allowed connection; "default" is the default-deny
 * SYN, judged by the rules before the flow table, and "default ACK" the
 * same frame with ACK for SYN, which pays a flow-table miss first.
 *
 * Each fwc and ct case has a twin: the same frame through the same
 * policy in the norpc copy, bpf/fwc.bpf.c built with FWC_NO_RPC (its two
 * rpc hooks, the denied SYN's pinhole lookup and the EPM reader, compiled
 * out: the program before rpc). The two alternate in slices of every run
 * and their ratio is reported per case (print_rpc_table): packets that
 * are not TCP 135 must cost what they cost without rpc. A policy with rpc
 * rules gets rpc cases of its own (add_rpc_cases): a SYN admitted by a
 * live pinhole, the ept_map request, the answer with no call or another
 * call awaited; the answer's parse itself, which a repeated frame cannot
 * time, is timed once per test run (rpc_pairs).
 *
 *   testrun_bench [LABEL=]POLICY...
 *
 * Environment: BENCH_REPEAT (test-run repeat, default 10^7), BENCH_RUNS
 * (runs per case, median taken; default 5), BENCH_CPU (CPU pinned to,
 * default the first one allowed), BENCH_SLICES (slices a case alternates
 * with its twin in, default 10), BENCH_PAIRS (rounds of rpc_pairs,
 * default 10^5), BENCH_REF_REPEAT (frames per run of the table of own
 * cost over the first policy's, print_ref_table; default BENCH_REPEAT /
 * 10). The runs go round-robin over every case,
 * so that drift of the machine spreads over all of them alike. Needs root.
 *
 * ns/packet is the kernel's own measure, opts.duration (ns per repeat,
 * truncated to whole ns by the kernel, and leaving out the time the task
 * was rescheduled); "cpu" is the thread's CPU time over the same syscall
 * divided by repeat, which keeps the fractions and also leaves out the time
 * other tasks had the CPU (a plain wall clock does not, on a shared box).
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bare.skel.h"
#include "compile.h"
#include "fwc.skel.h"
#include "fwc_maps.h"
#include "fwc_norpc.skel.h"
#include "maps.h"
#include "packets.h"
/* Samba's ept_map answer and rpcclient's request (-Itests/bpf: ../unit). */
#include "../unit/epm_fixtures.h"

/*
 * The norpc copy (bpf/fwc.bpf.c built with FWC_NO_RPC: its two rpc hooks
 * compiled out, the Makefile's NORPC_OBJ) is sized and filled by
 * kernel/maps.c, which takes a struct fwc_bpf and reads only its maps.
 * Its skeleton has the same maps at the same offsets (bpftool orders the
 * fields by the object's symbols, so this is checked, not assumed) and
 * the same program: then it may be seen as one.
 */
#define NORPC_SAME_MAP(ID, name, TYPE, k, v, entries, flags, home, ...) \
	NORPC_SAME_MAP_##home(name)
#define NORPC_SAME_MAP_PIN(name)                                          \
	_Static_assert(offsetof(struct fwc_bpf, maps.name) ==             \
			       offsetof(struct fwc_norpc_bpf, maps.name), \
		       "norpc skeleton: map " #name " moved");
#define NORPC_SAME_MAP_SCRATCH NORPC_SAME_MAP_PIN
#define NORPC_SAME_MAP_REC(name) /* the loader's, not in the object */
FWC_MAPS(NORPC_SAME_MAP)
_Static_assert(sizeof(((struct fwc_bpf *)0)->maps) ==
		       sizeof(((struct fwc_norpc_bpf *)0)->maps),
	       "norpc skeleton: another set of maps");
_Static_assert(offsetof(struct fwc_bpf, obj) ==
			       offsetof(struct fwc_norpc_bpf, obj) &&
		       offsetof(struct fwc_bpf, progs.fwc_xdp) ==
			       offsetof(struct fwc_norpc_bpf, progs.fwc_xdp) &&
		       sizeof(struct fwc_bpf) == sizeof(struct fwc_norpc_bpf),
	       "norpc skeleton: another layout");

static struct fwc_bpf *as_fwc(struct fwc_norpc_bpf *n)
{
	return (struct fwc_bpf *)(void *)n;
}

#define MAX_CASES 256
#define MAX_POLICIES 16
#define MAX_RUNS 99

enum verdict_kind {
	V_ALLOW,
	V_DENY,
	V_DEFAULT,
	V_KINDS
};
/* ct rows only: a packet of an established flow, no rule lookup; */
#define V_EST V_KINDS
/* the default-deny frame with ACK for SYN: a flow-table miss first. */
#define V_MISS (V_KINDS + 1)
/*
 * rpc policies only (add_rpc_cases), IPv4: the allowed SYN of a live
 * flow (what a SYN to a range rule costs); a SYN the rules deny that a
 * live pinhole admits; rpcclient's ept_map request on the EPM flow (it
 * leaves its call_id); Samba's answer on it when no call is awaited, and
 * when another call is (its header read, not the rest).
 */
#define V_SYN_FLOW (V_KINDS + 2)
#define V_PINHOLE (V_KINDS + 3)
#define V_EPM_REQ (V_KINDS + 4)
#define V_EPM_NOCALL (V_KINDS + 5)
#define V_EPM_OTHER (V_KINDS + 6)
static const char *const kind_name[V_KINDS + 7] = {
	"allow",      "deny",
	"default",    "est",
	"default",    "allow SYN",
	"pinhole",    "ept_map request",
	"EPM answer", "EPM answer to another call"
};

/* The rpc cases' EPM connection and pinhole (tests/bpf/test_rpc.c's). */
#define EPM_PORT 135
#define EPM_CLIENT_PORT 43606 /* the fixtures' client port */
#define SAMR_PORT 49154	      /* what fx_samba_impacket_resp maps SAMR to */
#define PINHOLE_SPORT 50000
#define F_SYN 0x02
#define F_ACK 0x10
#define F_DATA 0x18 /* PSH, ACK */

struct policy {
	const char *label;
	const char *path;
	struct fwc_bpf *skel;
	int prog;
	struct fwc_bpf *skel_ct; /* as written: state on (or NULL) */
	int prog_ct;
	/* The same two, rpc hooks compiled out (FWC_NO_RPC). */
	struct fwc_norpc_bpf *nskel, *nskel_ct;
	int nprog, nprog_ct;
	uint32_t n_rules;
	uint32_t verified, nverified;
	bool v6_trie; /* the compiler chose the IPv6 trie layout */
	bool rpc;     /* FWC_META_RPC: it has rpc rules */
	/* rpc cases: the EPM connection's client and server, its rule, the
	 * request and the answer frames; epm set when they were added. */
	bool epm;
	uint8_t cl[16], sv[16];
	uint32_t rpc_rule;
	struct pb req, ans;
	struct pb req_other; /* the request with another call_id */
};

struct bcase {
	const char *program; /* bare, parse, fwc */
	struct policy *pol;  /* fwc only */
	int prog;
	int family;
	int kind;      /* enum verdict_kind, -1 for the baselines */
	uint32_t rule; /* deciding rule id (fwc) */
	int depth[2];  /* v4 trie levels / v6 prefix lengths */
	int verdict;   /* expected XDP_* */
	bool norpc;    /* run by the copy without rpc hooks */
	int twin;      /* index of its norpc twin, -1 none */
	/* Before every run (outside the timing), or NULL. */
	void (*prep)(const struct bcase *c);
	struct pb pkt;
	double dur[MAX_RUNS]; /* kernel ns/pkt (a twin's pair: slices' mean) */
	double cpu[MAX_RUNS];
	double ns, ns_cpu; /* medians */
	/* With a twin: this / the twin, per run (the slices' sums), and
	 * their medians. */
	double x_run[MAX_RUNS], x_cpu_run[MAX_RUNS];
	double x, x_cpu;
};

static struct bcase cases[MAX_CASES];
static int n_cases;
static unsigned long repeat = 10000000;
static int runs = 5;
static int slices = 10;	   /* a case and its twin alternate, repeat / slices */
static int pairs = 100000; /* rounds of rpc_pairs */

static int libbpf_warn(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "testrun_bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(1);
}

static struct bcase *new_case(const char *program, int prog, int family)
{
	struct bcase *c;

	if (n_cases == MAX_CASES)
		die("too many cases\n");
	c = &cases[n_cases++];
	memset(c, 0, sizeof(*c));
	c->program = program;
	c->prog = prog;
	c->family = family;
	c->kind = -1;
	c->verdict = XDP_PASS;
	c->twin = -1;
	return c;
}

/* Case @i again, run by @prog of the norpc copy, right after it. */
static struct bcase *add_twin(int i, int prog)
{
	struct bcase *t = new_case(cases[i].program, prog, cases[i].family);

	*t = cases[i];
	t->prog = prog;
	t->norpc = true;
	t->twin = -1;
	cases[i].twin = n_cases - 1;
	return t;
}

/*
 * The benchmark frame: Ethernet, IPv4 or IPv6, TCP with a SYN. IPv4 gets
 * 10 bytes of payload to make the 64-byte minimum Ethernet frame (60 bytes
 * without FCS is the true minimum; we keep 64 to match the usual figure);
 * TCP/IPv6 cannot be shorter than 74 bytes.
 */
static void make_frame(struct pb *b, int family, const uint8_t *src,
		       const uint8_t *dst, uint16_t dport, uint16_t sport)
{
	pb_simple(b, family, 6, src, dst, dport, sport, family == 4 ? 10 : 0);
}

/* ------------------------------------------------------------------ */
/* Finding packets of each verdict kind with the userspace classifier. */

struct rep {
	uint8_t addr[16];
	int depth;
};

/* One address per v4 addr class, the deepest in the trie first found. */
static int v4_reps(const struct fwc_tables *t, struct rep **out)
{
	uint32_t n = t->meta.n_addr, i, j, k, v, w, x;
	struct rep *r = calloc(n ? n : 1, sizeof(*r));
	int cnt = 0;

	if (!r)
		die("out of memory\n");
#define REP(cls, a, d)                                 \
	do {                                           \
		if ((cls) < n && (d) > r[cls].depth) { \
			uint32_t be_ = htonl(a);       \
			memset(r[cls].addr, 0, 16);    \
			memcpy(r[cls].addr, &be_, 4);  \
			r[cls].depth = (d);            \
		}                                      \
	} while (0)
	for (i = 0; i < FWC_TRIE_ROOT_SIZE; i++) {
		v = t->v4_root[i];
		if (!(v & FWC_TRIE_CHUNK)) {
			REP(v, i << 16, 1);
			continue;
		}
		for (j = 0; j < FWC_TRIE_CHUNK_SIZE; j++) {
			w = t->chunks[(v & ~FWC_TRIE_CHUNK) *
					      FWC_TRIE_CHUNK_SIZE +
				      j];
			if (!(w & FWC_TRIE_CHUNK)) {
				REP(w, i << 16 | j << 8, 2);
				continue;
			}
			for (k = 0; k < FWC_TRIE_CHUNK_SIZE; k++) {
				x = t->chunks[(w & ~FWC_TRIE_CHUNK) *
						      FWC_TRIE_CHUNK_SIZE +
					      k];
				REP(x, i << 16 | j << 8 | k, 3);
			}
		}
	}
#undef REP
	/* Deepest first: the search then prefers the longest lookups. */
	for (i = 0; i < n; i++)
		if (r[i].depth)
			r[cnt++] = r[i];
	for (i = 1; i < (uint32_t)cnt; i++)
		for (j = i; j > 0 && r[j - 1].depth < r[j].depth; j--) {
			struct rep tmp = r[j];

			r[j] = r[j - 1];
			r[j - 1] = tmp;
		}
	*out = r;
	return cnt;
}

static void rep_note(struct rep *r, uint32_t n, uint32_t cls, const uint8_t *a,
		     int depth)
{
	if (cls < n && depth > r[cls].depth) {
		memcpy(r[cls].addr, a, 16);
		r[cls].depth = depth;
	}
}

/*
 * A range leaf's classes: its first address, and one of the block @a
 * outside it (the block's first, or the one after the range).
 */
static void v6_range_reps(const struct fwc_tables *t, uint32_t e,
			  const uint8_t *a, int level, struct rep *r)
{
	const struct fwc_v6_range *rg = &t->v6_ranges[e & ~FWC_TRIE_RANGE];
	uint8_t lo[16], out[16];
	int i;

	fwc_v6_bytes(rg->lo, lo);
	rep_note(r, t->meta.n_addr, rg->in, lo, level + 1);
	if (memcmp(a, lo, 16) < 0) {
		memcpy(out, a, 16);
	} else {
		fwc_v6_bytes(rg->hi, out);
		for (i = 15; i >= 0 && ++out[i] == 0; i--)
			;
	}
	rep_note(r, t->meta.n_addr, rg->out, out, level + 1);
}

/*
 * Trie walk: for each class, the address whose lookup reads most chunks.
 * Level 1 is the root, at bytes @at and @at + 1.
 */
static void v6_walk(const struct fwc_tables *t, uint32_t e, uint8_t *a, int at,
		    int level, struct rep *r)
{
	if (!(e & FWC_TRIE_CHUNK)) {
		if (e & FWC_TRIE_RANGE)
			v6_range_reps(t, e, a, level, r);
		else
			rep_note(r, t->meta.n_addr, e, a, level);
		return;
	}
	for (uint32_t i = 0; i < FWC_TRIE_CHUNK_SIZE; i++) {
		a[at + level + 1] = (uint8_t)i;
		v6_walk(t,
			t->chunks[(size_t)(e & ~FWC_TRIE_CHUNK) *
					  FWC_TRIE_CHUNK_SIZE +
				  i],
			a, at, level + 1, r);
	}
	a[at + level + 1] = 0;
}

/*
 * One v6 address per addr class, and misses. Trie layout: the address
 * of the deepest walk per class (depth = 1 + chunks read); LPM layout: a
 * prefix's first address (depth = its length).
 */
static int v6_reps(const struct fwc_tables *t, struct rep **out)
{
	static const char *const outside[] = { "2001:db8:ffff::7", "fd00::1" };
	uint32_t n = t->meta.n_addr, i;
	struct rep *r = calloc(n + 2, sizeof(*r));
	bool *seen = calloc(n + 1, sizeof(*seen));
	int cnt = 0;

	if (!r || !seen)
		die("out of memory\n");
	if (t->meta.flags & FWC_META_V6_TRIE) {
		int at = (int)t->meta.v6_at;
		uint8_t a[16] = { 0 };

		/* Inside the common prefix: its bytes, then the walk. */
		fwc_v6_bytes(t->meta.v6_pre, a);
		for (i = 0; i < FWC_TRIE_ROOT_SIZE; i++) {
			a[at] = (uint8_t)(i >> 8);
			a[at + 1] = (uint8_t)i;
			v6_walk(t, t->v6_root[i], a, at, 1, r);
		}
		for (i = 0; i < n; i++)
			if (r[i].depth)
				r[cnt++] = r[i];
		/* Deepest first, as for IPv4. */
		for (i = 1; i < (uint32_t)cnt; i++)
			for (uint32_t j = i;
			     j > 0 && r[j - 1].depth < r[j].depth; j--) {
				struct rep tmp = r[j];

				r[j] = r[j - 1];
				r[j - 1] = tmp;
			}
	}
	for (i = 0; i < t->meta.n_v6; i++) {
		uint32_t cls = t->v6_vals[i];

		if (cls < n && seen[cls])
			continue;
		if (cls < n)
			seen[cls] = true;
		memcpy(r[cnt].addr, t->v6_keys[i].addr, 16);
		r[cnt++].depth = (int)t->v6_keys[i].prefixlen;
	}
	for (i = 0; i < 2; i++) {
		pb_addr(outside[i], r[cnt].addr);
		r[cnt++].depth = 0;
	}
	free(seen);
	*out = r;
	return cnt;
}

static const uint16_t dports[] = {
	80, 443, 25, 53, 88, 135, 389, 464, 22, 50000,
};
static const uint16_t sports[] = { 50000, 40000 };
#define N_GEN_SVC 48 /* bench/genpolicy.awk's service catalogue */

static uint16_t dport_at(int i)
{
	int n = (int)(sizeof(dports) / sizeof(dports[0]));

	if (i < n)
		return dports[i];
	i -= n;
	/* s0..s47: port p and the range p+5..p+9 */
	return (uint16_t)(1000 + (i / 2) * 37 + (i % 2) * 7);
}
#define N_DPORTS ((int)(sizeof(dports) / sizeof(dports[0])) + 2 * N_GEN_SVC)

/* One frame through @prog; its XDP verdict. */
static int run_once(int prog, const struct pb *b)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = b->data,
		    .data_size_in = (uint32_t)b->len, .repeat = 1);

	if (bpf_prog_test_run_opts(prog, &opts))
		die("test run: %s\n", strerror(errno));
	return (int)opts.retval;
}

static void tcp_flags(struct pb *b, int family, uint8_t flags)
{
	b->data[14 + (family == 4 ? 20 : 40) + 13] = flags;
}

/*
 * The ct rows for allowed packet @pkt (rule @rule): open its flow with
 * SYN, SYN-ACK, ACK on the stateful copy; the timed frame is the server's
 * next ACK, a reply that passes without a rule lookup.
 */
/* SYN, SYN-ACK, ACK of allowed packet @pkt's connection through @prog. */
static void open_flow(const struct policy *p, int prog,
		      const struct fwc_packet *pkt, int family)
{
	struct pb b;

	make_frame(&b, family, pkt->src, pkt->dst, pkt->k1, pkt->k2);
	tcp_flags(&b, family, 0x02);
	if (run_once(prog, &b) != XDP_PASS)
		die("%s: the SYN of the ct case did not pass\n", p->label);
	make_frame(&b, family, pkt->dst, pkt->src, pkt->k2, pkt->k1);
	tcp_flags(&b, family, 0x12);
	if (run_once(prog, &b) != XDP_PASS)
		die("%s: the SYN-ACK of the ct case did not pass\n", p->label);
	make_frame(&b, family, pkt->src, pkt->dst, pkt->k1, pkt->k2);
	tcp_flags(&b, family, 0x10);
	if (run_once(prog, &b) != XDP_PASS)
		die("%s: the ACK of the ct case did not pass\n", p->label);
}

static void add_est_case(struct policy *p, const struct fwc_packet *pkt,
			 uint32_t rule, int family)
{
	struct bcase *c = new_case("ct", p->prog_ct, family);

	c->pol = p;
	c->kind = V_EST;
	c->rule = rule;
	open_flow(p, p->prog_ct, pkt, family);
	open_flow(p, p->nprog_ct, pkt, family);
	make_frame(&c->pkt, family, pkt->dst, pkt->src, pkt->k2, pkt->k1);
	tcp_flags(&c->pkt, family, 0x10);
	add_twin(n_cases - 1, p->nprog_ct);
	if (!p->rpc || family != 4)
		return;
	/* The opening SYN again: a live flow's, after the rules. */
	c = new_case("ct", p->prog_ct, family);
	c->pol = p;
	c->kind = V_SYN_FLOW;
	c->rule = rule;
	make_frame(&c->pkt, family, pkt->src, pkt->dst, pkt->k1, pkt->k2);
	add_twin(n_cases - 1, p->nprog_ct);
}

struct cand {
	bool found;
	int score; /* v4: trie levels read, the more the better */
	uint32_t rule, act;
	struct fwc_packet pkt;
	int depth[2];
};

/*
 * A ct row for default-deny packet @d: its SYN (@kind V_DEFAULT), judged by
 * the rules first, or the same with ACK for SYN (V_MISS), which looks up
 * the flow table first and misses.
 */
static void add_default_case(struct policy *p, const struct cand *d, int family,
			     int kind)
{
	struct bcase *c = new_case("ct", p->prog_ct, family);

	c->pol = p;
	c->kind = kind;
	c->rule = 0;
	c->depth[0] = d->depth[0];
	c->depth[1] = d->depth[1];
	c->verdict = XDP_DROP;
	make_frame(&c->pkt, family, d->pkt.src, d->pkt.dst, d->pkt.k1,
		   d->pkt.k2);
	if (kind == V_MISS)
		tcp_flags(&c->pkt, family, 0x10);
	add_twin(n_cases - 1, p->nprog_ct);
}

/*
 * Add one fwc case per verdict kind for @family, searching candidate
 * packets with the userspace classifier. For IPv4 the packet reading the
 * most trie levels wins (the worst case of the DIR-16-8-8 walk).
 */
static void find_packets(struct policy *p, const struct fwc_tables *t,
			 int family)
{
	struct fwc_packet pkt = { .family = (uint8_t)family, .proto = 6 };
	struct cand best[V_KINDS];
	struct rep *r;
	int n = family == 4 ? v4_reps(t, &r) : v6_reps(t, &r);
	int best_score = family == 4 ? 6 : 0, si, di, pi, qi, k, done = 0;
	long budget = 2000000; /* classifications */

	memset(best, 0, sizeof(best));
	for (si = 0; si < n && done < V_KINDS && budget > 0; si++)
		for (di = 0; di < n && done < V_KINDS && budget > 0; di++)
			for (pi = 0; pi < N_DPORTS && done < V_KINDS; pi++)
				for (qi = 0; qi < 2; qi++, budget--) {
					int score =
						family == 4 ?
							r[si].depth +
								r[di].depth :
							0;
					struct cand *c;
					uint32_t id, act;
					int kind;

					memcpy(pkt.src, r[si].addr, 16);
					memcpy(pkt.dst, r[di].addr, 16);
					pkt.k1 = dport_at(pi);
					pkt.k2 = sports[qi];
					/* An rpc policy's rows: not TCP 135. */
					if (p->rpc && pkt.k1 == EPM_PORT)
						continue;
					id = fwc_tables_classify(t, &pkt);
					act = fwc_tables_action(t, id);
					kind = id == 0 ? V_DEFAULT :
					       act == FWC_ACT_ALLOW ? V_ALLOW :
								      V_DENY;
					/* A default allow is no "default deny". */
					if (kind == V_DEFAULT &&
					    act == FWC_ACT_ALLOW)
						continue;
					c = &best[kind];
					if (c->found && c->score >= score)
						continue;
					c->found = true;
					c->score = score;
					c->rule = id;
					c->act = act;
					c->pkt = pkt;
					c->depth[0] = r[si].depth;
					c->depth[1] = r[di].depth;
					if (score >= best_score)
						done++;
				}
	free(r);
	for (k = 0; k < V_KINDS; k++) {
		struct bcase *c;

		if (!best[k].found)
			continue;
		c = new_case("fwc", p->prog, family);
		c->pol = p;
		c->kind = k;
		c->rule = best[k].rule;
		c->depth[0] = best[k].depth[0];
		c->depth[1] = best[k].depth[1];
		c->verdict = best[k].act == FWC_ACT_ALLOW ? XDP_PASS : XDP_DROP;
		make_frame(&c->pkt, family, best[k].pkt.src, best[k].pkt.dst,
			   best[k].pkt.k1, best[k].pkt.k2);
		add_twin(n_cases - 1, p->nprog);
	}
	if (!p->skel_ct)
		return;
	if (best[V_ALLOW].found)
		add_est_case(p, &best[V_ALLOW].pkt, best[V_ALLOW].rule, family);
	if (best[V_DEFAULT].found) {
		add_default_case(p, &best[V_DEFAULT], family, V_DEFAULT);
		add_default_case(p, &best[V_DEFAULT], family, V_MISS);
	}
}

/* ------------------------------------------------------------------ */
/* The rpc cases: an EPM connection, its ept_map call, a pinhole. */

/* TCP/IPv4 @src:@sport -> @dst:@dport, @flags, @n bytes of @payload. */
static void epm_seg(struct pb *b, const uint8_t *src, uint16_t sport,
		    const uint8_t *dst, uint16_t dport, uint8_t flags,
		    const uint8_t *payload, size_t n)
{
	pb_init(b);
	pb_eth(b, PB_ETH_IP);
	pb_ipv4(b, 6, src, dst, 0, 0);
	pb_tcp(b, sport, dport);
	b->data[b->len - 7] = flags;
	if (n)
		memcpy(pb_put(b, n), payload, n);
	pb_finish(b);
}

/* The client's connection to the EPM, through @prog. */
static void epm_connect(const struct policy *p, int prog)
{
	struct pb b;

	epm_seg(&b, p->cl, EPM_CLIENT_PORT, p->sv, EPM_PORT, F_SYN, NULL, 0);
	if (run_once(prog, &b) != XDP_PASS)
		die("%s: the EPM connection's SYN did not pass\n", p->label);
	epm_seg(&b, p->sv, EPM_PORT, p->cl, EPM_CLIENT_PORT, F_SYN | F_ACK,
		NULL, 0);
	if (run_once(prog, &b) != XDP_PASS)
		die("%s: the EPM connection's SYN-ACK did not pass\n",
		    p->label);
	epm_seg(&b, p->cl, EPM_CLIENT_PORT, p->sv, EPM_PORT, F_ACK, NULL, 0);
	if (run_once(prog, &b) != XDP_PASS)
		die("%s: the EPM connection's ACK did not pass\n", p->label);
}

/* The ept_map request, then Samba's answer: (re)opens the pinhole. */
static void epm_call(const struct policy *p, int prog)
{
	if (run_once(prog, &p->req) != XDP_PASS ||
	    run_once(prog, &p->ans) != XDP_PASS)
		die("%s: the EPM request or answer did not pass\n", p->label);
}

/* Before each run of the pinhole case: renew it (it lives 120 s). */
static void prep_pinhole(const struct bcase *c)
{
	epm_call(c->pol, c->prog);
}

/* Before each run of the answer to another call: await that one. */
static void prep_other_call(const struct bcase *c)
{
	if (run_once(c->prog, &c->pol->req_other) != XDP_PASS)
		die("%s: the EPM request did not pass\n", c->pol->label);
}

/*
 * An rpc policy's own cases (IPv4): its rpc rule's client C and server S
 * (the first pair of addr classes that the rule admits to port 135 and
 * whose SYN to SAMR_PORT the rules deny), C's EPM connection and Samba's
 * answer to its ept_map call in both copies; then the SYN to the port
 * the answer opened, the request and the answer again. The norpc copy
 * sees the same frames (its pinholes map stays empty).
 */
static void add_rpc_cases(struct policy *p, const struct fwc_tables *t)
{
	struct fwc_packet pkt = { .family = 4, .proto = 6 };
	struct fwc_pinhole_key k = { .port = SAMR_PORT,
				     .family = 4,
				     .proto = 6 };
	uint8_t req[sizeof(fx_rpcclient_req)];
	struct fwc_pinhole_val v;
	uint32_t id, deny = 0;
	struct bcase *c;
	struct rep *r;
	int n = v4_reps(t, &r), si, di;
	bool found = false;

	for (si = 0; si < n && !found; si++)
		for (di = 0; di < n && !found; di++) {
			memcpy(pkt.src, r[si].addr, 16);
			memcpy(pkt.dst, r[di].addr, 16);
			pkt.k1 = EPM_PORT;
			pkt.k2 = EPM_CLIENT_PORT;
			id = fwc_tables_classify(t, &pkt);
			if (fwc_tables_action(t, id) != FWC_ACT_ALLOW ||
			    !(t->rules[id].flags & FWC_RULE_RPC))
				continue;
			pkt.k1 = SAMR_PORT;
			pkt.k2 = PINHOLE_SPORT;
			deny = fwc_tables_classify(t, &pkt);
			if (fwc_tables_action(t, deny) == FWC_ACT_ALLOW)
				continue;
			found = true;
			p->rpc_rule = id;
			memcpy(p->cl, pkt.src, 16);
			memcpy(p->sv, pkt.dst, 16);
		}
	free(r);
	if (!found) {
		fprintf(stderr,
			"testrun_bench: %s: no rpc rule with a client whose "
			"SYN to port %u the rules deny: no rpc cases\n",
			p->label, SAMR_PORT);
		return;
	}
	/* rpcclient's request with the call_id Samba's answer carries. */
	memcpy(req, fx_rpcclient_req, sizeof(req));
	memcpy(req + 12, fx_samba_impacket_resp + 12, 4);
	epm_seg(&p->req, p->cl, EPM_CLIENT_PORT, p->sv, EPM_PORT, F_DATA, req,
		sizeof(req));
	req[12] ^= 1;
	epm_seg(&p->req_other, p->cl, EPM_CLIENT_PORT, p->sv, EPM_PORT, F_DATA,
		req, sizeof(req));
	epm_seg(&p->ans, p->sv, EPM_PORT, p->cl, EPM_CLIENT_PORT, F_DATA,
		fx_samba_impacket_resp, sizeof(fx_samba_impacket_resp));
	epm_connect(p, p->prog_ct);
	epm_connect(p, p->nprog_ct);
	epm_call(p, p->prog_ct);
	epm_call(p, p->nprog_ct);
	memcpy(k.client, p->cl, 16);
	memcpy(k.server, p->sv, 16);
	if (bpf_map_lookup_elem(bpf_map__fd(p->skel_ct->maps.pinholes), &k,
				&v)) {
		fprintf(stderr,
			"testrun_bench: %s: Samba's answer opened no pinhole "
			"(rule #%u lists no samr?): no rpc cases\n",
			p->label, p->rpc_rule);
		return;
	}
	p->epm = true;

	c = new_case("ct", p->prog_ct, 4);
	c->pol = p;
	c->kind = V_PINHOLE;
	c->rule = p->rpc_rule;
	c->prep = prep_pinhole;
	make_frame(&c->pkt, 4, p->cl, p->sv, SAMR_PORT, PINHOLE_SPORT);
	c = add_twin(n_cases - 1, p->nprog_ct);
	c->verdict = XDP_DROP; /* no pinhole before rpc: the rules' verdict */
	c->rule = deny;

	c = new_case("ct", p->prog_ct, 4);
	c->pol = p;
	c->kind = V_EPM_REQ;
	c->rule = p->rpc_rule;
	c->pkt = p->req;
	add_twin(n_cases - 1, p->nprog_ct);

	c = new_case("ct", p->prog_ct, 4);
	c->pol = p;
	c->kind = V_EPM_NOCALL;
	c->rule = p->rpc_rule;
	c->pkt = p->ans;
	add_twin(n_cases - 1, p->nprog_ct);

	c = new_case("ct", p->prog_ct, 4);
	c->pol = p;
	c->kind = V_EPM_OTHER;
	c->rule = p->rpc_rule;
	c->pkt = p->ans;
	c->prep = prep_other_call;
	add_twin(n_cases - 1, p->nprog_ct);
}

/* ------------------------------------------------------------------ */

static uint32_t verified_insns(int prog)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog, &info, &len))
		return 0;
	return info.verified_insns;
}

static double clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* Only the time this thread ran: other tasks on the CPU do not count. */
static double cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

static int test_run(struct bcase *c, unsigned long rep, uint32_t *dur,
		    double *cpu)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = c->pkt.data,
		    .data_size_in = (uint32_t)c->pkt.len,
		    .repeat = (uint32_t)rep);
	double t0, t1;
	int err;

	t0 = cpu_ns();
	err = bpf_prog_test_run_opts(c->prog, &opts);
	t1 = cpu_ns();
	if (err)
		die("test run of %s: %s\n", c->program, strerror(-err));
	if ((int)opts.retval != c->verdict)
		die("%s %s: verdict %u, expected %d\n", c->program,
		    c->pol ? c->pol->label : "", opts.retval, c->verdict);
	if (dur)
		*dur = opts.duration;
	if (cpu)
		*cpu = (t1 - t0) / (double)rep;
	return 0;
}

/* The copy of @p that @prog is. */
static struct fwc_bpf *skel_of(const struct policy *p, int prog)
{
	if (prog == p->prog)
		return p->skel;
	if (p->skel_ct && prog == p->prog_ct)
		return p->skel_ct;
	if (prog == p->nprog)
		return as_fwc(p->nskel);
	if (p->nskel_ct && prog == p->nprog_ct)
		return as_fwc(p->nskel_ct);
	die("%s: no copy of fd %d\n", p->label, prog);
	return NULL;
}

/* Packets counted against rule @id by @prog's copy, all CPUs. */
static uint64_t counter(const struct policy *p, int prog, uint32_t id)
{
	struct fwc_bpf *skel = skel_of(p, prog);
	int ncpu = libbpf_num_possible_cpus(), i;
	struct fwc_counter *v = calloc(ncpu, sizeof(*v));
	uint64_t sum = 0;

	if (!v || bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &id, v))
		die("reading counter %u\n", id);
	for (i = 0; i < ncpu; i++)
		sum += v[i].packets;
	free(v);
	return sum;
}

/* The datapath must decide what the userspace classifier decided. */
static void check_case(struct bcase *c)
{
	uint64_t before, after;

	if (!c->pol) {
		test_run(c, 1, NULL, NULL);
		return;
	}
	if (c->prep)
		c->prep(c);
	before = counter(c->pol, c->prog, c->rule);
	test_run(c, 1000, NULL, NULL);
	after = counter(c->pol, c->prog, c->rule);
	if (after - before != 1000)
		die("%s %s%s: rule %u counted %lu of 1000 packets\n",
		    c->pol->label, kind_name[c->kind],
		    c->norpc ? " (norpc)" : "", c->rule,
		    (unsigned long)(after - before));
}

static struct fwc_bpf *load_copy(const struct policy *p,
				 const struct fwc_tables *t)
{
	struct fwc_bpf *skel = fwc_bpf__open();
	int err;

	if (!skel)
		die("opening the fwc object\n");
	err = fwc_maps_size(skel, t);
	if (!err)
		err = fwc_bpf__load(skel);
	if (!err)
		err = fwc_maps_fill(skel, t);
	if (err)
		die("loading %s: %s\n", p->path, strerror(-err));
	return skel;
}

/* The same from the norpc object, filled by the same code. */
static struct fwc_norpc_bpf *load_norpc(const struct policy *p,
					const struct fwc_tables *t)
{
	struct fwc_norpc_bpf *skel = fwc_norpc_bpf__open();
	int err;

	if (!skel)
		die("opening the norpc object\n");
	err = fwc_maps_size(as_fwc(skel), t);
	if (!err)
		err = fwc_norpc_bpf__load(skel);
	if (!err)
		err = fwc_maps_fill(as_fwc(skel), t);
	if (err)
		die("loading %s (norpc): %s\n", p->path, strerror(-err));
	return skel;
}

static void load_policy(struct policy *p)
{
	struct fwc_compile_opts copts = { .err = stderr };
	struct fwc_tables *t;
	uint32_t flags;
	int err, fam;

	err = fwc_compile_file(p->path, &copts, &t);
	if (err)
		die("compiling %s: %s\n", p->path, strerror(-err));
	flags = t->meta.flags;
	if (!(flags & FWC_META_STATE_OFF)) {
		p->skel_ct = load_copy(p, t);
		p->prog_ct = bpf_program__fd(p->skel_ct->progs.fwc_xdp);
		p->nskel_ct = load_norpc(p, t);
		p->nprog_ct = bpf_program__fd(p->nskel_ct->progs.fwc_xdp);
	}
	/* The classifier alone: stateless, whatever the policy says. */
	t->meta.flags |= FWC_META_STATE_OFF;
	p->skel = load_copy(p, t);
	p->nskel = load_norpc(p, t);
	t->meta.flags = flags;
	p->prog = bpf_program__fd(p->skel->progs.fwc_xdp);
	p->nprog = bpf_program__fd(p->nskel->progs.fwc_xdp);
	p->n_rules = t->meta.n_rules;
	p->v6_trie = t->meta.flags & FWC_META_V6_TRIE;
	p->rpc = t->meta.flags & FWC_META_RPC;
	p->verified = verified_insns(p->prog);
	p->nverified = verified_insns(p->nprog);
	for (fam = 4; fam <= 6; fam += 2)
		find_packets(p, t, fam);
	if (p->rpc && p->skel_ct)
		add_rpc_cases(p, t);
	fwc_tables_free(t);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_u32(uint32_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u32);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static double median_dbl(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static double bare_ns(int family, bool cpu)
{
	int i;

	for (i = 0; i < n_cases; i++)
		if (!strcmp(cases[i].program, "bare") &&
		    cases[i].family == family)
			return cpu ? cases[i].ns_cpu : cases[i].ns;
	return 0;
}

static void packet_desc(const struct bcase *c, char *buf, size_t n)
{
	int len = (int)c->pkt.len;

	if (c->kind < 0) {
		snprintf(buf, n, "tcp%d %dB", c->family, len);
		return;
	}
	if (c->kind == V_EST) {
		snprintf(buf, n, "tcp%d est reply ACK", c->family);
		return;
	}
	if (c->kind >= V_SYN_FLOW) {
		static const char *const what[] = { "allow SYN of flow",
						    "SYN via pinhole",
						    "ept_map request",
						    "answer, no call",
						    "answer, other call" };

		snprintf(buf, n, "tcp%d %s", c->family,
			 what[c->kind - V_SYN_FLOW]);
		return;
	}
	/* Trie levels read of src/dst (L), or LPM prefix lengths (/, 0 miss). */
	snprintf(buf, n, "tcp%d %-7s %s%s%d/%d", c->family, kind_name[c->kind],
		 c->kind == V_MISS ? "ACK " : "",
		 c->family == 4 || c->pol->v6_trie ? "L" : "/", c->depth[0],
		 c->depth[1]);
}

static void print_table(void)
{
	char pkt[64], rule[16], nrules[16];
	int i;

	printf("%-6s %-12s %7s  %-22s %7s %7s %7s %7s  %7s %8s %7s\n", "prog",
	       "policy", "rules", "packet", "rule", "ns/pkt", "own ns",
	       "x bare", "cpu ns", "own cpu", "x bare");
	for (i = 0; i < n_cases; i++) {
		const struct bcase *c = &cases[i];
		double base = bare_ns(c->family, false);
		double base_c = bare_ns(c->family, true);

		if (c->norpc)
			continue; /* print_rpc_table */
		packet_desc(c, pkt, sizeof(pkt));
		strcpy(rule, "-");
		strcpy(nrules, "-");
		if (c->pol) {
			snprintf(rule, sizeof(rule), "#%u", c->rule);
			snprintf(nrules, sizeof(nrules), "%u", c->pol->n_rules);
		}
		printf("%-6s %-12s %7s  %-22s %7s %7.1f %7.1f %7.2f  %7.2f "
		       "%8.2f %7.2f\n",
		       c->program, c->pol ? c->pol->label : "-", nrules, pkt,
		       rule, c->ns, c->ns - base, base > 0 ? c->ns / base : 0,
		       c->ns_cpu, c->ns_cpu - base_c,
		       base_c > 0 ? c->ns_cpu / base_c : 0);
	}
}

/*
 * Own cost of the tcp4 allow packet across the generated policies (those
 * whose label starts with "gen", as bench/testrun_bench.sh names them):
 * max/min, by the kernel's whole ns and by CPU time.
 */
static void print_flatness(void)
{
	const struct bcase *lo = NULL, *hi = NULL, *lo_c = NULL, *hi_c = NULL;
	uint32_t r_lo = UINT32_MAX, r_hi = 0;
	int i, n = 0;

	for (i = 0; i < n_cases; i++) {
		const struct bcase *c = &cases[i];

		if (!c->pol || c->norpc || strncmp(c->pol->label, "gen", 3) ||
		    c->family != 4 || c->kind != V_ALLOW)
			continue;
		if (!lo || c->ns < lo->ns)
			lo = c;
		if (!hi || c->ns > hi->ns)
			hi = c;
		if (!lo_c || c->ns_cpu < lo_c->ns_cpu)
			lo_c = c;
		if (!hi_c || c->ns_cpu > hi_c->ns_cpu)
			hi_c = c;
		if (c->pol->n_rules < r_lo)
			r_lo = c->pol->n_rules;
		if (c->pol->n_rules > r_hi)
			r_hi = c->pol->n_rules;
		n++;
	}
	if (n < 2 || lo->ns <= bare_ns(4, false) ||
	    lo_c->ns_cpu <= bare_ns(4, true)) {
		printf("flatness: not enough generated policies\n");
		return;
	}
	printf("flatness, tcp4 allow own cost over %d generated policies "
	       "(%u..%u rules):\n",
	       n, r_lo, r_hi);
	printf("  ns/pkt: max/min = %.1f (%s) / %.1f (%s) = %.2f\n",
	       hi->ns - bare_ns(4, false), hi->pol->label,
	       lo->ns - bare_ns(4, false), lo->pol->label,
	       (hi->ns - bare_ns(4, false)) / (lo->ns - bare_ns(4, false)));
	printf("  cpu:    max/min = %.2f (%s) / %.2f (%s) = %.2f\n",
	       hi_c->ns_cpu - bare_ns(4, true), hi_c->pol->label,
	       lo_c->ns_cpu - bare_ns(4, true), lo_c->pol->label,
	       (hi_c->ns_cpu - bare_ns(4, true)) /
		       (lo_c->ns_cpu - bare_ns(4, true)));
}

static const char *verdict_name(int v)
{
	return v == XDP_PASS ? "pass" : v == XDP_DROP ? "drop" : "?";
}

/* What the rpc hooks do to case @c (by the copy with them). */
enum rpc_role {
	R_SAME,	  /* nothing: not TCP 135, no denied SYN of an rpc policy */
	R_LOOKUP, /* a SYN the rules deny, of an rpc policy: pinhole lookup */
	R_RPC,	  /* the rpc cases: pinhole hit, EPM request and answer */
};

static enum rpc_role rpc_role(const struct bcase *c)
{
	if (c->kind == V_PINHOLE || c->kind == V_EPM_REQ ||
	    c->kind == V_EPM_NOCALL || c->kind == V_EPM_OTHER)
		return R_RPC;
	if (c->pol->rpc && c->prog == c->pol->prog_ct && c->kind == V_DEFAULT)
		return R_LOOKUP;
	return R_SAME;
}

/*
 * Each case of a policy against its norpc twin, run next to it in every
 * round: ns/pkt and CPU ns of both, and rpc/norpc. Then the spread of
 * that ratio over the rows the hooks must leave alone, and over the
 * denied SYNs of rpc policies.
 */
static void print_rpc_table(void)
{
	static const char *const role_name[] = {
		"not TCP 135, not a denied SYN of an rpc policy",
		"denied SYN of an rpc policy (pinhole lookup, miss)",
	};
	double ratio[2][MAX_CASES], own[2][MAX_CASES];
	int n_ratio[2] = { 0, 0 }, i, r;
	char pkt[64], rule[24], verdict[16];

	printf("--- rpc hooks\n");
	printf("rpc hooks compiled out (norpc, FWC_NO_RPC: the program before "
	       "them) and in (rpc), same run;\na case and its twin alternate "
	       "in %d slices a run; x norpc = median over the runs of rpc / "
	       "norpc\n",
	       slices);
	printf("%-12s %-4s %-22s %9s %-9s %8s %7s %7s  %9s %7s %7s\n", "policy",
	       "prog", "packet", "rule", "verdict", "norpc ns", "rpc ns",
	       "x norpc", "norpc cpu", "rpc cpu", "x norpc");
	for (i = 0; i < n_cases; i++) {
		const struct bcase *c = &cases[i], *t;
		enum rpc_role role;

		if (c->twin < 0)
			continue;
		t = &cases[c->twin];
		packet_desc(c, pkt, sizeof(pkt));
		if (t->rule == c->rule)
			snprintf(rule, sizeof(rule), "#%u", c->rule);
		else
			snprintf(rule, sizeof(rule), "#%u/#%u", t->rule,
				 c->rule);
		if (t->verdict == c->verdict)
			snprintf(verdict, sizeof(verdict), "%s",
				 verdict_name(c->verdict));
		else
			snprintf(verdict, sizeof(verdict), "%s/%s",
				 verdict_name(t->verdict),
				 verdict_name(c->verdict));
		printf("%-12s %-4s %-22s %9s %-9s %8.1f %7.1f %7.2f  %9.2f "
		       "%7.2f %7.2f\n",
		       c->pol->label, c->program, pkt, rule, verdict, t->ns,
		       c->ns, c->x, t->ns_cpu, c->ns_cpu, c->x_cpu);
		role = rpc_role(c);
		if (role == R_RPC)
			continue;
		ratio[role][n_ratio[role]] = c->x_cpu;
		own[role][n_ratio[role]++] = c->ns_cpu - t->ns_cpu;
	}
	for (r = 0; r < 2; r++) {
		int n = n_ratio[r];

		if (!n)
			continue;
		qsort(ratio[r], n, sizeof(double), cmp_dbl);
		qsort(own[r], n, sizeof(double), cmp_dbl);
		printf("%s, %d rows:\n  rpc/norpc cpu ns: min %.3f, median "
		       "%.3f, max %.3f; rpc - norpc: min %+.2f, median %+.2f, "
		       "max %+.2f ns\n",
		       role_name[r], n, ratio[r][0], median_dbl(ratio[r], n),
		       ratio[r][n - 1], own[r][0], median_dbl(own[r], n),
		       own[r][n - 1]);
	}
}

/* One repeat of @b through @prog: the kernel's ns; the verdict checked. */
static uint32_t run_one_ns(int prog, const struct pb *b, int verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = b->data,
		    .data_size_in = (uint32_t)b->len, .repeat = 1);

	if (bpf_prog_test_run_opts(prog, &opts))
		die("test run: %s\n", strerror(errno));
	if ((int)opts.retval != verdict)
		die("pairs: verdict %u, expected %d\n", opts.retval, verdict);
	return opts.duration;
}

/* The rpc copy's case of @kind for @p, or NULL. */
static const struct bcase *rpc_case(const struct policy *p, int kind)
{
	for (int i = 0; i < n_cases; i++)
		if (cases[i].pol == p && cases[i].kind == kind &&
		    !cases[i].norpc)
			return &cases[i];
	return NULL;
}

/*
 * The answer's parse. A repeated test run parses an answer once: the
 * first repeat takes its awaited call, the rest find none (the "answer,
 * no call" row). So this loop runs each frame once per test run, in
 * rounds of: the ept_map request (arms the call) and the answer (parsed,
 * its pinhole renewed) through the rpc copy, the answer again (no call
 * awaited), the request and the answer through the norpc copy (their
 * flow's cost before rpc), and the bare XDP_PASS (the floor of a
 * one-repeat test run). Medians of each; the rpc-opened counter must
 * have moved once a round, so every parse timed opened its pinhole.
 * One repeat per test run runs colder than a repeated frame: the
 * request's and the unawaited answer's own cost, repeated (the rows
 * above) and once per run, say by how much.
 */
static void rpc_pairs(const struct policy *p, int rounds, int bare_prog,
		      const struct pb *bare_pkt)
{
	enum {
		REQ,
		ANS,
		NOCALL,
		N_REQ,
		N_ANS,
		BARE,
		SERIES
	};
	uint32_t *d = calloc((size_t)rounds * SERIES, sizeof(*d));
	uint32_t opened_id = p->n_rules + 1 + FWC_RSV_RPC_OPENED;
	const struct bcase *req = rpc_case(p, V_EPM_REQ);
	const struct bcase *nocall = rpc_case(p, V_EPM_NOCALL);
	uint64_t before, after;
	double med[SERIES];
	int i, k;

	if (!d || !req || !nocall)
		die("rpc_pairs: %s\n", d ? "no rpc cases" : "out of memory");
	before = counter(p, p->prog_ct, opened_id);
	for (i = 0; i < rounds; i++) {
		d[REQ * rounds + i] = run_one_ns(p->prog_ct, &p->req, XDP_PASS);
		d[ANS * rounds + i] = run_one_ns(p->prog_ct, &p->ans, XDP_PASS);
		d[NOCALL * rounds + i] =
			run_one_ns(p->prog_ct, &p->ans, XDP_PASS);
		d[N_REQ * rounds + i] =
			run_one_ns(p->nprog_ct, &p->req, XDP_PASS);
		d[N_ANS * rounds + i] =
			run_one_ns(p->nprog_ct, &p->ans, XDP_PASS);
		d[BARE * rounds + i] =
			run_one_ns(bare_prog, bare_pkt, XDP_PASS);
	}
	after = counter(p, p->prog_ct, opened_id);
	if (after - before != (uint64_t)rounds)
		die("%s: %lu pinholes opened in %d rounds\n", p->label,
		    (unsigned long)(after - before), rounds);
	for (k = 0; k < SERIES; k++)
		med[k] = median_u32(d + (size_t)k * rounds, rounds);
	free(d);
	printf("EPM answer parse, %s, tcp4: each frame once per test run "
	       "(repeat 1), median of %d rounds\n",
	       p->label, rounds);
	printf("  %-32s %8s %8s %12s %10s\n", "", "rpc ns", "norpc ns",
	       "rpc - norpc", "repeated");
	printf("  %-32s %8.1f %8.1f %+12.1f %+10.1f\n", "ept_map request",
	       med[REQ], med[N_REQ], med[REQ] - med[N_REQ],
	       req->ns - cases[req->twin].ns);
	printf("  %-32s %8.1f %8.1f %+12.1f %10s\n",
	       "answer, call awaited: parsed", med[ANS], med[N_ANS],
	       med[ANS] - med[N_ANS], "-");
	printf("  %-32s %8.1f %8.1f %+12.1f %+10.1f\n",
	       "answer, no call awaited", med[NOCALL], med[N_ANS],
	       med[NOCALL] - med[N_ANS], nocall->ns - cases[nocall->twin].ns);
	printf("  %-32s %8.1f\n", "bare XDP_PASS", med[BARE]);
}

/*
 * Run @r of case @c: @repeat frames. A case with a norpc twin alternates
 * with it, @slices test runs of repeat / slices each, so that the two
 * meet the same state of the machine (on a shared VM its speed changes
 * by a third from one second to the next); the run's figure is the
 * mean of the slices, and the pair's ratio that of their sums.
 */
static void time_run(struct bcase *c, int r)
{
	struct bcase *t = c->twin >= 0 ? &cases[c->twin] : NULL;
	int n = t ? slices : 1, k;
	unsigned long rep = repeat / (unsigned long)n;
	double d = 0, dt = 0, cpu = 0, cput = 0, y;
	uint32_t x;

	if (c->prep)
		c->prep(c);
	if (t && t->prep)
		t->prep(t);
	for (k = 0; k < n; k++) {
		test_run(c, rep, &x, &y);
		d += x;
		cpu += y;
		if (!t)
			continue;
		test_run(t, rep, &x, &y);
		dt += x;
		cput += y;
	}
	c->dur[r] = d / n;
	c->cpu[r] = cpu / n;
	if (!t)
		return;
	t->dur[r] = dt / n;
	t->cpu[r] = cput / n;
	c->x_run[r] = dt > 0 ? d / dt : 0;
	c->x_cpu_run[r] = cput > 0 ? cpu / cput : 0;
}

/* The fwc case of @p, family @fam, verdict kind @kind (twins aside). */
static struct bcase *fwc_case(const struct policy *p, int fam, int kind)
{
	for (int i = 0; i < n_cases; i++)
		if (cases[i].pol == p && !cases[i].norpc &&
		    !strcmp(cases[i].program, "fwc") &&
		    cases[i].family == fam && cases[i].kind == kind)
			return &cases[i];
	return NULL;
}

/*
 * The measure of a policy's datapath: its own cost over the
 * first policy's (passwordmgr) in the same run. Cases timed one after
 * the other meet different machines (this VM's speed moves by a third
 * within seconds), so here each fwc case alternates with the first
 * policy's allow and default frames of its family and with bare
 * XDP_PASS, in BENCH_SLICES slices of BENCH_REF_REPEAT frames in all
 * (default BENCH_REPEAT / 10); a run's ratio is (case - bare) /
 * (mean(allow, default) - bare) of the slices' sums, and the median of
 * BENCH_RUNS runs is printed.
 */
static void print_ref_table(const struct policy *pols, int n_pol)
{
	const char *env = getenv("BENCH_REF_REPEAT");
	unsigned long rep = env ? strtoul(env, NULL, 0) : repeat / 10;
	double x[MAX_RUNS];

	if (n_pol < 2)
		return;
	rep /= (unsigned long)slices;
	if (!rep)
		rep = 1;
	printf("--- own cost x %s, in slices of the same run (median of %d "
	       "runs)\n",
	       pols[0].label, runs);
	for (int i = 0; i < n_cases; i++) {
		struct bcase *c = &cases[i], *ra, *rd, *bare;
		int fam = c->family;

		if (!c->pol || c->pol == &pols[0] || c->norpc ||
		    strcmp(c->program, "fwc"))
			continue;
		ra = fwc_case(&pols[0], fam, V_ALLOW);
		rd = fwc_case(&pols[0], fam, V_DEFAULT);
		bare = &cases[fam == 4 ? 0 : 2];
		if (!ra || !rd)
			continue;
		for (int r = 0; r < runs; r++) {
			double sc = 0, sa = 0, sd = 0, sb = 0;
			uint32_t d;

			for (int k = 0; k < slices; k++) {
				test_run(c, rep, &d, NULL);
				sc += d;
				test_run(ra, rep, &d, NULL);
				sa += d;
				test_run(rd, rep, &d, NULL);
				sd += d;
				test_run(bare, rep, &d, NULL);
				sb += d;
			}
			x[r] = (sa + sd) / 2 > sb ?
				       (sc - sb) / ((sa + sd) / 2 - sb) :
				       0;
		}
		printf("%-12s tcp%d %-8s #%-6u x %.2f\n", c->pol->label, fam,
		       kind_name[c->kind], c->rule, median_dbl(x, runs));
	}
}

static void pin_cpu(void)
{
	const char *env = getenv("BENCH_CPU");
	cpu_set_t set;
	int cpu = -1, i;

	if (env) {
		cpu = atoi(env);
	} else {
		CPU_ZERO(&set);
		if (sched_getaffinity(0, sizeof(set), &set))
			die("sched_getaffinity: %s\n", strerror(errno));
		for (i = 0; i < CPU_SETSIZE && cpu < 0; i++)
			if (CPU_ISSET(i, &set))
				cpu = i;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("pinning to CPU %d: %s\n", cpu, strerror(errno));
	printf("pinned to CPU %d, repeat %lu, median of %d runs\n", cpu, repeat,
	       runs);
}

int main(int argc, char **argv)
{
	struct policy pols[MAX_POLICIES];
	struct bare_bpf *bare;
	int n_pol = 0, i, r, fam;
	const char *env;
	struct pb b;
	uint8_t s4[16], d4[16], s6[16], d6[16];
	double t0 = now_ns();

	if (argc < 2 || argc - 1 > MAX_POLICIES)
		die("usage: testrun_bench [LABEL=]POLICY... (at most %d)\n",
		    MAX_POLICIES);
	env = getenv("BENCH_REPEAT");
	if (env && (repeat = strtoul(env, NULL, 0)) == 0)
		die("bad BENCH_REPEAT\n");
	if (repeat > UINT32_MAX)
		die("BENCH_REPEAT above 2^32-1\n");
	env = getenv("BENCH_RUNS");
	if (env && ((runs = atoi(env)) < 1 || runs > MAX_RUNS))
		die("bad BENCH_RUNS\n");
	env = getenv("BENCH_SLICES");
	if (env && ((slices = atoi(env)) < 1 || (unsigned long)slices > repeat))
		die("bad BENCH_SLICES\n");
	env = getenv("BENCH_PAIRS");
	if (env && (pairs = atoi(env)) < 1)
		die("bad BENCH_PAIRS\n");
	libbpf_set_print(libbpf_warn);
	pin_cpu();

	bare = bare_bpf__open_and_load();
	if (!bare)
		die("loading bench/bare.bpf.o: %s\n", strerror(errno));
	pb_addr("192.0.2.7", s4);
	pb_addr("198.51.100.10", d4);
	pb_addr("2001:db8:1::7", s6);
	pb_addr("2001:db8:2::10", d6);
	for (fam = 4; fam <= 6; fam += 2) {
		make_frame(&b, fam, fam == 4 ? s4 : s6, fam == 4 ? d4 : d6, 80,
			   50000);
		new_case("bare", bpf_program__fd(bare->progs.xdp_bare), fam)
			->pkt = b;
		new_case("parse", bpf_program__fd(bare->progs.xdp_parse), fam)
			->pkt = b;
	}

	for (i = 1; i < argc; i++) {
		struct policy *p = &pols[n_pol++];
		char *eq = strchr(argv[i], '=');

		memset(p, 0, sizeof(*p));
		if (eq) {
			*eq = '\0';
			p->label = argv[i];
			p->path = eq + 1;
		} else {
			p->path = argv[i];
			p->label = strrchr(argv[i], '/') ?
					   strrchr(argv[i], '/') + 1 :
					   argv[i];
		}
		load_policy(p);
	}
	for (i = 0; i < n_cases; i++)
		check_case(&cases[i]);
	fprintf(stderr, "testrun_bench: %d cases loaded in %.1f s\n", n_cases,
		(now_ns() - t0) / 1e9);

	/* Warm-up, then round-robin runs over every case. */
	for (i = 0; i < n_cases; i++) {
		if (cases[i].prep)
			cases[i].prep(&cases[i]);
		test_run(&cases[i], repeat / 20 ? repeat / 20 : 1, NULL, NULL);
	}
	for (r = 0; r < runs; r++)
		for (i = 0; i < n_cases; i++)
			if (!cases[i].norpc) /* with its case */
				time_run(&cases[i], r);
	for (i = 0; i < n_cases; i++) {
		cases[i].ns = median_dbl(cases[i].dur, runs);
		cases[i].ns_cpu = median_dbl(cases[i].cpu, runs);
		if (cases[i].twin < 0)
			continue;
		cases[i].x = median_dbl(cases[i].x_run, runs);
		cases[i].x_cpu = median_dbl(cases[i].x_cpu_run, runs);
	}

	print_table();
	print_flatness();
	print_ref_table(pols, n_pol);
	printf("verifier (verified_insns): bare %u, parse %u",
	       verified_insns(bpf_program__fd(bare->progs.xdp_bare)),
	       verified_insns(bpf_program__fd(bare->progs.xdp_parse)));
	for (i = 0; i < n_pol; i++)
		printf(", fwc/%s %u", pols[i].label, pols[i].verified);
	printf("\n");
	print_rpc_table();
	for (i = 0; i < n_pol; i++)
		if (pols[i].epm)
			rpc_pairs(&pols[i], pairs,
				  bpf_program__fd(bare->progs.xdp_bare),
				  &cases[0].pkt);
	printf("verifier (verified_insns), rpc / norpc:");
	for (i = 0; i < n_pol; i++)
		printf("%s %s %u / %u", i ? "," : "", pols[i].label,
		       pols[i].verified, pols[i].nverified);
	printf("\n");
	fprintf(stderr, "testrun_bench: total %.1f s\n", (now_ns() - t0) / 1e9);

	for (i = 0; i < n_pol; i++) {
		fwc_bpf__destroy(pols[i].skel);
		fwc_bpf__destroy(pols[i].skel_ct);
		fwc_norpc_bpf__destroy(pols[i].nskel);
		fwc_norpc_bpf__destroy(pols[i].nskel_ct);
	}
	bare_bpf__destroy(bare);
	return 0;
}
