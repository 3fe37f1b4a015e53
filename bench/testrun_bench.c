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
 *   testrun_bench [LABEL=]POLICY...
 *
 * Environment: BENCH_REPEAT (test-run repeat, default 10^7), BENCH_RUNS
 * (runs per case, median taken; default 5), BENCH_CPU (CPU pinned to,
 * default the first one allowed). The runs go round-robin over every case,
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
#include "maps.h"
#include "packets.h"

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
static const char *const kind_name[V_KINDS + 2] = { "allow", "deny", "default",
						    "est", "default" };

struct policy {
	const char *label;
	const char *path;
	struct fwc_bpf *skel;
	int prog;
	struct fwc_bpf *skel_ct; /* as written: state on (or NULL) */
	int prog_ct;
	uint32_t n_rules;
	uint32_t verified;
	bool v6_trie; /* the compiler chose the IPv6 trie layout */
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
	struct pb pkt;
	uint32_t dur[MAX_RUNS];
	double cpu[MAX_RUNS];
	double ns, ns_cpu; /* medians */
};

static struct bcase cases[MAX_CASES];
static int n_cases;
static unsigned long repeat = 10000000;
static int runs = 5;

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
	return c;
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
static void add_est_case(struct policy *p, const struct fwc_packet *pkt,
			 uint32_t rule, int family)
{
	struct bcase *c = new_case("ct", p->prog_ct, family);
	struct pb b;

	c->pol = p;
	c->kind = V_EST;
	c->rule = rule;
	make_frame(&b, family, pkt->src, pkt->dst, pkt->k1, pkt->k2);
	tcp_flags(&b, family, 0x02);
	if (run_once(p->prog_ct, &b) != XDP_PASS)
		die("%s: the SYN of the ct case did not pass\n", p->label);
	make_frame(&b, family, pkt->dst, pkt->src, pkt->k2, pkt->k1);
	tcp_flags(&b, family, 0x12);
	if (run_once(p->prog_ct, &b) != XDP_PASS)
		die("%s: the SYN-ACK of the ct case did not pass\n", p->label);
	make_frame(&b, family, pkt->src, pkt->dst, pkt->k1, pkt->k2);
	tcp_flags(&b, family, 0x10);
	if (run_once(p->prog_ct, &b) != XDP_PASS)
		die("%s: the ACK of the ct case did not pass\n", p->label);
	make_frame(&c->pkt, family, pkt->dst, pkt->src, pkt->k2, pkt->k1);
	tcp_flags(&c->pkt, family, 0x10);
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

/* Packets counted against rule @id by @prog's copy, all CPUs. */
static uint64_t counter(struct policy *p, int prog, uint32_t id)
{
	struct fwc_bpf *skel = prog == p->prog ? p->skel : p->skel_ct;
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
	before = counter(c->pol, c->prog, c->rule);
	test_run(c, 1000, NULL, NULL);
	after = counter(c->pol, c->prog, c->rule);
	if (after - before != 1000)
		die("%s %s: rule %u counted %lu of 1000 packets\n",
		    c->pol->label, kind_name[c->kind], c->rule,
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
	}
	/* The classifier alone: stateless, whatever the policy says. */
	t->meta.flags |= FWC_META_STATE_OFF;
	p->skel = load_copy(p, t);
	t->meta.flags = flags;
	p->prog = bpf_program__fd(p->skel->progs.fwc_xdp);
	p->n_rules = t->meta.n_rules;
	p->v6_trie = t->meta.flags & FWC_META_V6_TRIE;
	p->verified = verified_insns(p->prog);
	for (fam = 4; fam <= 6; fam += 2)
		find_packets(p, t, fam);
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

		if (!c->pol || strncmp(c->pol->label, "gen", 3) ||
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
	for (i = 0; i < n_cases; i++)
		test_run(&cases[i], repeat / 20 ? repeat / 20 : 1, NULL, NULL);
	for (r = 0; r < runs; r++)
		for (i = 0; i < n_cases; i++)
			test_run(&cases[i], repeat, &cases[i].dur[r],
				 &cases[i].cpu[r]);
	for (i = 0; i < n_cases; i++) {
		cases[i].ns = median_u32(cases[i].dur, runs);
		cases[i].ns_cpu = median_dbl(cases[i].cpu, runs);
	}

	print_table();
	print_flatness();
	printf("verifier (verified_insns): bare %u, parse %u",
	       verified_insns(bpf_program__fd(bare->progs.xdp_bare)),
	       verified_insns(bpf_program__fd(bare->progs.xdp_parse)));
	for (i = 0; i < n_pol; i++)
		printf(", fwc/%s %u", pols[i].label, pols[i].verified);
	printf("\n");
	fprintf(stderr, "testrun_bench: total %.1f s\n", (now_ns() - t0) / 1e9);

	for (i = 0; i < n_pol; i++) {
		fwc_bpf__destroy(pols[i].skel);
		fwc_bpf__destroy(pols[i].skel_ct);
	}
	bare_bpf__destroy(bare);
	return 0;
}
