/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Audit mode and the deny log on crafted frames (BPF_PROG_TEST_RUN): what
 * audit passes and counts, which packets make events and what they say,
 * the rate limiter's cap and exact suppressed count, and the lost count
 * of a full ring buffer. Needs root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "compile.h"
#include "fwc.skel.h"
#include "maps.h"
#include "packets.h"

#define MAX_EVENTS 8192

struct env {
	struct fwc_tables *t;
	struct fwc_bpf *skel;
	struct ring_buffer *rb;
	int prog, ncpu;
	struct fwc_counter *percpu;
	struct fwc_event ev[MAX_EVENTS];
	unsigned int n_ev;
};

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct env *e = ctx;

	assert_int_equal(size, sizeof(struct fwc_event));
	if (e->n_ev < MAX_EVENTS)
		memcpy(&e->ev[e->n_ev], data, sizeof(struct fwc_event));
	e->n_ev++;
	return 0;
}

/* @policy compiled and loaded; @audit as fwc load --audit. */
static struct env *env_load(const char *policy, bool audit)
{
	struct fwc_compile_opts copts = { .err = stderr };
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_int_equal(fwc_compile_string("log.pol", policy, strlen(policy),
					    &copts, &e->t),
			 0);
	if (audit)
		e->t->meta.flags |= FWC_META_AUDIT;
	e->skel = fwc_bpf__open();
	assert_non_null(e->skel);
	assert_int_equal(fwc_maps_size(e->skel, e->t), 0);
	assert_int_equal(fwc_bpf__load(e->skel), 0);
	assert_int_equal(fwc_maps_fill(e->skel, e->t), 0);
	e->prog = bpf_program__fd(e->skel->progs.fwc_xdp);
	e->ncpu = libbpf_num_possible_cpus();
	e->percpu = calloc(e->ncpu, sizeof(*e->percpu));
	assert_non_null(e->percpu);
	e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.events), on_event, e,
				 NULL);
	assert_non_null(e->rb);
	return e;
}

static void env_free(struct env *e)
{
	ring_buffer__free(e->rb);
	fwc_bpf__destroy(e->skel);
	fwc_tables_free(e->t);
	free(e->percpu);
	free(e);
}

static uint32_t rsv(const struct env *e, uint32_t r)
{
	return e->t->meta.n_rules + 1 + r;
}

static uint64_t packets(struct env *e, uint32_t id)
{
	uint64_t sum = 0;

	assert_int_equal(
		bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.counters), &id,
				    e->percpu),
		0);
	for (int i = 0; i < e->ncpu; i++)
		sum += e->percpu[i].packets;
	return sum;
}

/* Runs @b @repeat times; its verdict. */
static int run(struct env *e, const struct pb *b, unsigned int repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = b->data,
		    .data_size_in = b->len, .repeat = repeat);

	assert_int_equal(bpf_prog_test_run_opts(e->prog, &opts), 0);
	return opts.retval;
}

/* Takes the events out of the ring buffer: how many came. */
static unsigned int drain(struct env *e)
{
	e->n_ev = 0;
	assert_true(ring_buffer__consume(e->rb) >= 0);
	return e->n_ev;
}

static uint8_t lan4[16], srv4[16], lan6[16], srv6[16];

static void addrs_init(void)
{
	pb_addr("192.0.2.7", lan4);
	pb_addr("198.51.100.10", srv4);
	pb_addr("2001:db8:1::7", lan6);
	pb_addr("2001:db8:2::10", srv6);
}

/* Rule numbers follow this order. */
static const char policy[] =
	"zone lan = { 192.0.2.0/24, 2001:db8:1::/48 }\n"
	"zone srv = { 198.51.100.10, 2001:db8:2::10 }\n"
	"allow lan -> srv proto tcp port 443 label \"web\"\n"	  /* 1 */
	"allow log lan -> srv proto tcp port 22 label \"ssh\"\n"  /* 2 */
	"deny log lan -> srv proto tcp port 3389 label \"rdp\"\n" /* 3 */
	"deny lan -> srv proto udp port 161\n"			  /* 4 */
	"deny log lan -> srv proto icmp type 13\n";		  /* 5 */

/* Audit: drops pass, counted twice; allows and malformed as usual. */
static void test_audit(void **state)
{
	struct env *e = env_load(policy, true);
	uint64_t wd, r4, r0, mal;
	struct pb b;

	(void)state;
	/* Rule 4 (deny, no log): passes, counted, would-drop, logged. */
	pb_simple(&b, 4, 17, lan4, srv4, 161, 40000, 10);
	assert_int_equal(run(e, &b, 1), XDP_PASS);
	assert_int_equal(packets(e, 4), 1);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_WOULD_DROP)), 1);
	assert_int_equal(drain(e), 1);
	assert_int_equal(e->ev[0].verdict, FWC_LOG_WOULD_DROP);
	assert_int_equal(e->ev[0].rule, 4);
	/* Default deny: the same, against rule 0. */
	pb_simple(&b, 6, 6, lan6, srv6, 25, 40000, 0);
	assert_int_equal(run(e, &b, 1), XDP_PASS);
	assert_int_equal(packets(e, 0), 1);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_WOULD_DROP)), 2);
	assert_int_equal(drain(e), 1);
	assert_int_equal(e->ev[0].rule, 0);
	assert_int_equal(e->ev[0].family, 6);
	/* An allowed packet: no would-drop, no event (rule 1 logs not). */
	pb_simple(&b, 4, 6, lan4, srv4, 443, 40000, 0);
	assert_int_equal(run(e, &b, 1), XDP_PASS);
	assert_int_equal(packets(e, 1), 1);
	assert_int_equal(drain(e), 0);
	/* A would-drop SYN opens no flow: its reply meets the rules. */
	pb_simple(&b, 4, 6, lan4, srv4, 3389, 40001, 0);
	assert_int_equal(run(e, &b, 1), XDP_PASS);
	pb_simple(&b, 4, 6, srv4, lan4, 40001, 3389, 0);
	r0 = packets(e, 0);
	assert_int_equal(run(e, &b, 1), XDP_PASS);
	assert_int_equal(packets(e, 0), r0 + 1);
	/* Malformed stays dropped: a truncated TCP header. */
	pb_simple(&b, 4, 6, lan4, srv4, 22, 40000, 0);
	b.len -= 8;
	pb_finish(&b);
	wd = packets(e, rsv(e, FWC_RSV_WOULD_DROP));
	mal = packets(e, rsv(e, FWC_RSV_MALFORMED));
	assert_int_equal(run(e, &b, 1), XDP_DROP);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_MALFORMED)), mal + 1);
	/* So does a later fragment whose first fragment never came. */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IP);
	pb_ipv4(&b, 17, lan4, srv4, 0, 100);
	pb_payload(&b, 40);
	pb_finish(&b);
	assert_int_equal(run(e, &b, 1), XDP_DROP);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_WOULD_DROP)), wd);
	/* A would-drop first fragment lets its datagram's rest follow. */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IP);
	pb_ipv4(&b, 17, lan4, srv4, 0, 0x2000); /* MF, offset 0 */
	pb_udp(&b, 40000, 161);
	pb_payload(&b, 32);
	pb_finish(&b);
	r4 = packets(e, 4);
	assert_int_equal(run(e, &b, 1), XDP_PASS);
	pb_init(&b);
	pb_eth(&b, PB_ETH_IP);
	pb_ipv4(&b, 17, lan4, srv4, 0, 5);
	pb_payload(&b, 40);
	pb_finish(&b);
	assert_int_equal(run(e, &b, 1), XDP_PASS);
	assert_int_equal(packets(e, 4), r4 + 2);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_WOULD_DROP)), wd + 1);
	env_free(e);

	/* `set mode audit` in the policy does the same. */
	e = env_load("set mode audit\n"
		     "deny any -> any proto udp port 9\n",
		     false);
	assert_true(e->t->meta.flags & FWC_META_AUDIT);
	pb_simple(&b, 4, 17, lan4, srv4, 9, 1, 0);
	assert_int_equal(run(e, &b, 1), XDP_PASS);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_WOULD_DROP)), 1);
	env_free(e);

	/* Enforce (the default): the same packet is dropped, no event. */
	e = env_load(policy, false);
	pb_simple(&b, 4, 17, lan4, srv4, 161, 40000, 10);
	assert_int_equal(run(e, &b, 1), XDP_DROP);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_WOULD_DROP)), 0);
	assert_int_equal(drain(e), 0);
	env_free(e);
}

/* Events of log rules carry the packet; other rules log nothing. */
static void test_events(void **state)
{
	struct env *e = env_load(policy, false);
	const struct fwc_event *ev;
	struct pb b;

	(void)state;
	pb_simple(&b, 4, 6, lan4, srv4, 3389, 40000, 0);
	assert_int_equal(run(e, &b, 1), XDP_DROP);
	assert_int_equal(drain(e), 1);
	ev = &e->ev[0];
	assert_int_equal(ev->rule, 3);
	assert_int_equal(ev->verdict, FWC_LOG_DROP);
	assert_int_equal(ev->family, 4);
	assert_int_equal(ev->proto, 6);
	assert_int_equal(ev->k1, 3389);
	assert_int_equal(ev->k2, 40000);
	assert_int_equal(ev->tcp_flags, 0x02);
	assert_int_equal(ev->len, b.len);
	assert_memory_equal(ev->src, lan4, 16);
	assert_memory_equal(ev->dst, srv4, 16);
	assert_int_equal(ev->gen, e->t->meta.gen);
	assert_true(ev->time > 0);
	/* An allow log rule: verdict allow; IPv6. */
	pb_simple(&b, 6, 6, lan6, srv6, 22, 50000, 0);
	assert_int_equal(run(e, &b, 1), XDP_PASS);
	assert_int_equal(drain(e), 1);
	assert_int_equal(e->ev[0].rule, 2);
	assert_int_equal(e->ev[0].verdict, FWC_LOG_ALLOW);
	assert_memory_equal(e->ev[0].src, lan6, 16);
	/* ...but the rest of its flow passes before the rules: no event. */
	pb_simple(&b, 6, 6, srv6, lan6, 50000, 22, 0);
	b.data[b.l3 + 40 + 13] = 0x12; /* SYN-ACK */
	assert_int_equal(run(e, &b, 1), XDP_PASS);
	assert_int_equal(drain(e), 0);
	/* ICMP: type and code. */
	pb_simple(&b, 4, 1, lan4, srv4, 13, 0, 0);
	assert_int_equal(run(e, &b, 1), XDP_DROP);
	assert_int_equal(drain(e), 1);
	assert_int_equal(e->ev[0].rule, 5);
	assert_int_equal(e->ev[0].k1, 13);
	/* No log: allowed (rule 1), denied (rule 4), default deny. */
	pb_simple(&b, 4, 6, lan4, srv4, 443, 40000, 0);
	assert_int_equal(run(e, &b, 1), XDP_PASS);
	pb_simple(&b, 4, 17, lan4, srv4, 161, 40000, 0);
	assert_int_equal(run(e, &b, 1), XDP_DROP);
	pb_simple(&b, 4, 17, lan4, srv4, 162, 40000, 0);
	assert_int_equal(run(e, &b, 1), XDP_DROP);
	assert_int_equal(drain(e), 0);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_LOG_SUPPRESSED)), 0);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_LOG_LOST)), 0);
	env_free(e);

	/* set log default on: default deny logs too. */
	e = env_load("set log default on\n"
		     "allow any -> any proto tcp "
		     "port 80\n",
		     false);
	pb_simple(&b, 4, 17, lan4, srv4, 53, 40000, 0);
	assert_int_equal(run(e, &b, 1), XDP_DROP);
	pb_simple(&b, 4, 6, lan4, srv4, 80, 40000, 0);
	assert_int_equal(run(e, &b, 1), XDP_PASS);
	assert_int_equal(drain(e), 1);
	assert_int_equal(e->ev[0].rule, 0);
	assert_int_equal(e->ev[0].verdict, FWC_LOG_DROP);
	assert_int_equal(e->ev[0].k1, 53);
	env_free(e);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A flood at one log rule: at most the burst plus the rate over the time
 * it took, at least the burst; everything else counted suppressed, each
 * packet exactly once. Per rule: another rule has its own bucket.
 */
static void test_rate(void **state)
{
	const unsigned int flood = 20000, rate = 5;
	struct env *e = env_load("set log rate 5\n"
				 "deny log any -> any proto udp port 9\n"
				 "deny log any -> any proto udp port 7\n",
				 false);
	unsigned int got, got2;
	double t0, t1;
	struct pb b;

	(void)state;
	assert_int_equal(e->t->meta.log_rate, rate);
	pb_simple(&b, 4, 17, lan4, srv4, 9, 1, 0);
	t0 = now_s();
	assert_int_equal(run(e, &b, flood), XDP_DROP);
	t1 = now_s();
	got = drain(e);
	print_message("rate %u/s: %u events of %u packets in %.3f s\n", rate,
		      got, flood, t1 - t0);
	assert_true(got >= rate);
	assert_true(got <= rate + (unsigned int)(rate * (t1 - t0)) + 1);
	assert_int_equal(packets(e, 1), flood);
	assert_int_equal(got + packets(e, rsv(e, FWC_RSV_LOG_SUPPRESSED)),
			 flood);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_LOG_LOST)), 0);
	/* Rule 2's bucket is full still. */
	pb_simple(&b, 4, 17, lan4, srv4, 7, 1, 0);
	run(e, &b, rate);
	assert_int_equal(drain(e), rate);
	/* Half a second later rule 1 has two or three tokens again. */
	pb_simple(&b, 4, 17, lan4, srv4, 9, 1, 0);
	usleep(500000);
	t0 = now_s();
	run(e, &b, 1000);
	got2 = drain(e);
	assert_true(got2 >= 2);
	assert_true(got2 <= 3 + (unsigned int)(rate * (now_s() - t0)) + 1);
	assert_int_equal(got + got2 +
				 packets(e, rsv(e, FWC_RSV_LOG_SUPPRESSED)),
			 flood + 1000);
	env_free(e);

	/* The default: 10 per second. */
	e = env_load("deny log any -> any proto udp port 9\n", false);
	assert_int_equal(e->t->meta.log_rate, FWC_LOG_RATE_DEFAULT);
	pb_simple(&b, 4, 17, lan4, srv4, 9, 1, 0);
	t0 = now_s();
	run(e, &b, 5000);
	got = drain(e);
	assert_true(got >= FWC_LOG_RATE_DEFAULT);
	assert_true(got <= FWC_LOG_RATE_DEFAULT +
				   (unsigned int)(10 * (now_s() - t0)) + 1);
	env_free(e);
}

/* Nobody reads: the buffer fills, the rest is lost, exactly. */
static void test_lost(void **state)
{
	const unsigned int flood = 10000;
	struct env *e = env_load("set log rate 1000000\n"
				 "deny log any -> any proto udp port 9\n",
				 false);
	uint64_t lost, sup;
	unsigned int got;
	struct pb b;

	(void)state;
	pb_simple(&b, 4, 17, lan4, srv4, 9, 1, 0);
	assert_int_equal(run(e, &b, flood), XDP_DROP);
	got = drain(e);
	lost = packets(e, rsv(e, FWC_RSV_LOG_LOST));
	sup = packets(e, rsv(e, FWC_RSV_LOG_SUPPRESSED));
	print_message("ring of %u bytes: %u events, %lu lost, %lu suppressed "
		      "of %u\n",
		      FWC_LOG_RING_SIZE, got, (unsigned long)lost,
		      (unsigned long)sup, flood);
	/* 64-byte events behind 8-byte record headers. */
	assert_int_equal(got,
			 FWC_LOG_RING_SIZE / (sizeof(struct fwc_event) + 8));
	assert_int_equal(sup, 0);
	assert_int_equal(got + lost, flood);
	/* Read, the buffer takes events again. */
	run(e, &b, 10);
	assert_int_equal(drain(e), 10);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_lost),
	};

	libbpf_set_print(libbpf_quiet);
	addrs_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
