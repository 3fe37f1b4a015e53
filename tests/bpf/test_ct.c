/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Connection tracking and fragment verdicts of the XDP program, on
 * sequences of crafted frames (BPF_PROG_TEST_RUN): which packets pass,
 * which counter each one moves (replies and related errors go to the rule
 * that admitted the flow), and what the flow table then holds. Timeouts
 * are tested with short `set timeout` values and real sleeps: the program
 * reads bpf_ktime_get_coarse_ns(). Needs root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "compile.h"
#include "fwc.skel.h"
#include "env.h"
#include "maps.h"
#include "packets.h"

#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define RST 0x04
#define PSH 0x08

/* Run @b: the verdict must be @verdict and only counter @id move, by 1. */
static void expect(struct env *e, const struct pb *b, int verdict, uint32_t id,
		   int line)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = b->data,
		    .data_size_in = b->len, .repeat = 1);
	struct fwc_counter *before = calloc(e->n_ids, sizeof(*before));
	uint32_t i;

	assert_non_null(before);
	for (i = 0; i < e->n_ids; i++)
		before[i] = counter(e, i);
	assert_int_equal(bpf_prog_test_run_opts(e->prog, &opts), 0);
	if ((int)opts.retval != verdict)
		print_error("line %d: verdict %u, expected %d\n", line,
			    opts.retval, verdict);
	_assert_int_equal(opts.retval, verdict, __FILE__, line);
	for (i = 0; i < e->n_ids; i++) {
		struct fwc_counter now = counter(e, i);
		uint64_t dp = now.packets - before[i].packets;

		if (dp != (i == id))
			print_error("line %d: counter %u moved by %lu, "
				    "expected id %u\n",
				    line, i, (unsigned long)dp, id);
		_assert_int_equal(dp, i == id, __FILE__, line);
		_assert_int_equal(now.bytes - before[i].bytes,
				  i == id ? b->len : 0, __FILE__, line);
	}
	free(before);
}

#define PASS(e, b, id) expect(e, b, XDP_PASS, id, __LINE__)
#define DROP(e, b, id) expect(e, b, XDP_DROP, id, __LINE__)

/* ---- the flow table, read as fwc flows reads it ----------------------- */

static int n_flows(struct env *e)
{
	int fd = bpf_map__fd(e->skel->maps.ct), n = 0;
	struct fwc_ct_key k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* The only flow in the table (fails when there is not exactly one). */
static struct fwc_ct_val only_flow(struct env *e, struct fwc_ct_key *key)
{
	int fd = bpf_map__fd(e->skel->maps.ct);
	struct fwc_ct_key k;
	struct fwc_ct_val v;

	assert_int_equal(n_flows(e), 1);
	assert_int_equal(bpf_map_get_next_key(fd, NULL, &k), 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &v), 0);
	if (key)
		*key = k;
	return v;
}

static void flush_flows(struct env *e)
{
	int fd = bpf_map__fd(e->skel->maps.ct);
	struct fwc_ct_key k;

	while (!bpf_map_get_next_key(fd, NULL, &k))
		assert_int_equal(bpf_map_delete_elem(fd, &k), 0);
}

/* ---- frames ------------------------------------------------------------ */

static uint8_t lan4[16], srv4[16], rtr4[16], lan6[16], srv6[16], rtr6[16];

static const uint8_t *lan(int fam)
{
	return fam == 4 ? lan4 : lan6;
}
static const uint8_t *srv(int fam)
{
	return fam == 4 ? srv4 : srv6;
}
static const uint8_t *rtr(int fam)
{
	return fam == 4 ? rtr4 : rtr6;
}

static size_t l4_off(int fam)
{
	return 14 + (fam == 4 ? 20 : 40);
}

static void tcp(struct pb *b, int fam, const uint8_t *src, uint16_t sport,
		const uint8_t *dst, uint16_t dport, uint8_t flags,
		size_t payload)
{
	pb_simple(b, fam, 6, src, dst, dport, sport, payload);
	b->data[l4_off(fam) + 13] = flags;
}

static void udp(struct pb *b, int fam, const uint8_t *src, uint16_t sport,
		const uint8_t *dst, uint16_t dport)
{
	pb_simple(b, fam, 17, src, dst, dport, sport, 20);
}

/* ICMP(v6) echo request or reply with identifier @id. */
static void echo(struct pb *b, int fam, const uint8_t *src, const uint8_t *dst,
		 int reply, uint16_t id)
{
	uint8_t type = fam == 4 ? (reply ? 0 : 8) : (reply ? 129 : 128);

	pb_simple(b, fam, fam == 4 ? 1 : 58, src, dst, type, 0, 24);
	pb_be16(b->data + l4_off(fam) + 4, id);
	pb_be16(b->data + l4_off(fam) + 6, 1);
}

/* An IP header inside an ICMP error (b->l3 keeps the outer one). */
static void quote_ip(struct pb *b, int fam, uint8_t proto, const uint8_t *src,
		     const uint8_t *dst)
{
	uint8_t *p;

	if (fam == 4) {
		p = pb_put(b, 20);
		p[0] = 0x45;
		pb_be16(p + 2, 1500);
		p[8] = 64;
		p[9] = proto;
		memcpy(p + 12, src, 4);
		memcpy(p + 16, dst, 4);
	} else {
		p = pb_put(b, 40);
		p[0] = 0x60;
		pb_be16(p + 4, 1460);
		p[6] = proto;
		p[7] = 64;
		memcpy(p + 8, src, 16);
		memcpy(p + 24, dst, 16);
	}
}

/*
 * An ICMP error (@type/@code) from @from to @to quoting a packet
 * @qs:@qsp -> @qd:@qdp of protocol @qproto (ports, or for ICMP the type
 * in @qsp and the echo id in @qdp), with @l4len bytes of its l4 header.
 */
static void icmp_error(struct pb *b, int fam, const uint8_t *from,
		       const uint8_t *to, uint8_t type, uint8_t code,
		       uint8_t qproto, const uint8_t *qs, uint16_t qsp,
		       const uint8_t *qd, uint16_t qdp, size_t l4len)
{
	uint8_t *p;

	pb_init(b);
	pb_eth(b, fam == 4 ? PB_ETH_IP : PB_ETH_IPV6);
	if (fam == 4)
		pb_ipv4(b, 1, from, to, 0, 0);
	else
		pb_ipv6(b, 58, from, to);
	pb_icmp(b, type, code);
	if (type == (fam == 4 ? 3 : 2))
		pb_be16(b->data + b->len - 2, 1280); /* next-hop MTU */
	quote_ip(b, fam, qproto, qs, qd);
	p = pb_put(b, l4len);
	if (l4len >= 8) {
		if (qproto == 1 || qproto == 58) {
			p[0] = (uint8_t)qsp;
			pb_be16(p + 4, qdp);
		} else {
			pb_be16(p, qsp);
			pb_be16(p + 2, qdp);
		}
	}
	pb_finish(b);
}

/* Rule numbers below follow this file order. */
static const char policy[] =
	"zone lan = { 192.0.2.0/24, 2001:db8:1::/48 }\n"
	"zone srv = { 198.51.100.10, 2001:db8:2::10 }\n"
	"allow lan -> srv proto tcp port { 80, 443 } label \"web\"\n" /* 1 */
	"allow lan -> srv proto udp port 53 label \"dns\"\n"	      /* 2 */
	"allow lan -> srv proto icmp type echo-request\n"	      /* 3 */
	"allow lan -> srv proto icmp6 type echo-request\n"	      /* 4 */
	"deny lan -> srv proto tcp port 22 label \"no-ssh\"\n"	      /* 5 */
	"allow lan -> srv proto udp port 4660\n";		      /* 6 */

static uint32_t echo_rule(int fam)
{
	return fam == 4 ? 3 : 4;
}

/* SYN, SYN-ACK, ACK, data both ways, FIN both ways, last ACK. */
static void test_tcp_session(void **state)
{
	struct env *e = env_load(policy);
	struct fwc_ct_key k;
	struct fwc_ct_val v;
	struct pb b;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		const uint8_t *c = lan(fam), *s = srv(fam);

		tcp(&b, fam, c, 40000, s, 80, SYN, 0);
		PASS(e, &b, 1);
		v = only_flow(e, &k);
		assert_int_equal(v.state, FWC_CT_TCP_SYN_SENT);
		assert_int_equal(v.rule, 1);
		assert_int_equal(k.family, fam);
		assert_int_equal(k.proto, 6);
		assert_int_equal(k.port[v.orig], 40000);
		assert_int_equal(k.port[!v.orig], 80);
		assert_memory_equal(k.addr[v.orig], c, 16);
		/* A retransmitted SYN is the same flow's. */
		PASS(e, &b, 1);
		/* The reply: no rule allows srv -> lan, the flow does. */
		tcp(&b, fam, s, 80, c, 40000, SYN | ACK, 0);
		PASS(e, &b, 1);
		assert_int_equal(only_flow(e, NULL).state, FWC_CT_TCP_SYN_RECV);
		tcp(&b, fam, c, 40000, s, 80, ACK, 0);
		PASS(e, &b, 1);
		assert_int_equal(only_flow(e, NULL).state,
				 FWC_CT_TCP_ESTABLISHED);
		tcp(&b, fam, c, 40000, s, 80, ACK | PSH, 100);
		PASS(e, &b, 1);
		tcp(&b, fam, s, 80, c, 40000, ACK | PSH, 1000);
		PASS(e, &b, 1);
		tcp(&b, fam, c, 40000, s, 80, FIN | ACK, 0);
		PASS(e, &b, 1);
		v = only_flow(e, NULL);
		assert_int_equal(v.state, FWC_CT_TCP_FIN);
		assert_int_equal(v.flags, FWC_CT_F_FIN_ORIG);
		tcp(&b, fam, s, 80, c, 40000, FIN | ACK, 0);
		PASS(e, &b, 1);
		assert_int_equal(only_flow(e, NULL).flags,
				 FWC_CT_F_FIN_ORIG | FWC_CT_F_FIN_REPLY);
		tcp(&b, fam, c, 40000, s, 80, ACK, 0);
		PASS(e, &b, 1);
		/* The same ports again: a new SYN is judged afresh. */
		tcp(&b, fam, c, 40000, s, 80, SYN, 0);
		PASS(e, &b, 1);
		assert_int_equal(only_flow(e, NULL).state, FWC_CT_TCP_SYN_SENT);
		/* Another client port is another flow. */
		tcp(&b, fam, s, 80, c, 40001, SYN | ACK, 0);
		DROP(e, &b, 0);
		flush_flows(e);
	}
	env_free(e);
}

/* SYN, SYN-ACK, ACK from client @c to server @s: each passes by @rule. */
static void handshake(struct env *e, int fam, const uint8_t *c, uint16_t cport,
		      const uint8_t *s, uint16_t sport, uint32_t rule)
{
	struct pb b;

	tcp(&b, fam, c, cport, s, sport, SYN, 0);
	PASS(e, &b, rule);
	tcp(&b, fam, s, sport, c, cport, SYN | ACK, 0);
	PASS(e, &b, rule);
	tcp(&b, fam, c, cport, s, sport, ACK, 0);
	PASS(e, &b, rule);
}

/*
 * A bare SYN is judged by the rules before the flow table: one the rules
 * deny is dropped even on the ports of a live flow, whose state it leaves
 * alone; one they allow still refreshes its flow.
 */
static void test_bare_syn(void **state)
{
	struct env *e = env_load(policy);
	struct pb b;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		const uint8_t *c = lan(fam), *s = srv(fam);

		handshake(e, fam, c, 40000, s, 80, 1);
		assert_int_equal(only_flow(e, NULL).state,
				 FWC_CT_TCP_ESTABLISHED);
		/* From the server's side: no rule allows srv -> lan. */
		tcp(&b, fam, s, 80, c, 40000, SYN, 0);
		DROP(e, &b, 0);
		tcp(&b, fam, s, 80, c, 40000, SYN | 0xc0, 0); /* ECE, CWR */
		DROP(e, &b, 0);
		assert_int_equal(only_flow(e, NULL).state,
				 FWC_CT_TCP_ESTABLISHED);
		tcp(&b, fam, s, 80, c, 40000, ACK | PSH, 100);
		PASS(e, &b, 1);
		/* From the client, allowed: the flow's, state unchanged. */
		tcp(&b, fam, c, 40000, s, 80, SYN, 0);
		PASS(e, &b, 1);
		assert_int_equal(only_flow(e, NULL).state,
				 FWC_CT_TCP_ESTABLISHED);
		/* Denied by rule 5: dropped, counted there, no flow. */
		tcp(&b, fam, c, 40002, s, 22, SYN, 0);
		DROP(e, &b, 5);
		assert_int_equal(n_flows(e), 1);
		/* SYN-ACK and RST still look up the flow table first. */
		tcp(&b, fam, s, 80, c, 40000, RST, 0);
		PASS(e, &b, 1);
		assert_int_equal(only_flow(e, NULL).state, FWC_CT_TCP_CLOSE);
		flush_flows(e);
	}
	env_free(e);
}

/* Replies without a SYN first, and mid-stream packets, are not tracked. */
static void test_no_syn(void **state)
{
	struct env *e = env_load(policy);
	struct pb b;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		const uint8_t *c = lan(fam), *s = srv(fam);

		tcp(&b, fam, s, 80, c, 40000, SYN | ACK, 0);
		DROP(e, &b, 0);
		tcp(&b, fam, s, 80, c, 40000, ACK, 10);
		DROP(e, &b, 0);
		/* Mid-stream, allowed by rule 1: passes, opens nothing. */
		tcp(&b, fam, c, 40000, s, 80, ACK, 10);
		PASS(e, &b, 1);
		tcp(&b, fam, c, 40000, s, 80, SYN | ACK, 0);
		PASS(e, &b, 1);
		assert_int_equal(n_flows(e), 0);
		tcp(&b, fam, s, 80, c, 40000, ACK, 10);
		DROP(e, &b, 0);
		/* A denied SYN leaves no state, its reply stays denied. */
		tcp(&b, fam, c, 40000, s, 22, SYN, 0);
		DROP(e, &b, 5);
		assert_int_equal(n_flows(e), 0);
		tcp(&b, fam, s, 22, c, 40000, SYN | ACK, 0);
		DROP(e, &b, 0);
		/* Before the SYN-ACK, the server may not send anything else. */
		tcp(&b, fam, c, 40002, s, 443, SYN, 0);
		PASS(e, &b, 1);
		tcp(&b, fam, s, 443, c, 40002, ACK, 10);
		DROP(e, &b, 0);
		tcp(&b, fam, s, 443, c, 40002, SYN, 0);
		DROP(e, &b, 0);
		flush_flows(e);
	}
	env_free(e);
}

static void test_loose(void **state)
{
	char pol[sizeof(policy) + 32];
	struct env *e;
	struct pb b;
	struct fwc_ct_val v;

	(void)state;
	snprintf(pol, sizeof(pol), "set state loose\n%s", policy);
	e = env_load(pol);
	/* An admitted mid-stream packet opens an established flow. */
	tcp(&b, 4, lan4, 40000, srv4, 80, ACK | PSH, 100);
	PASS(e, &b, 1);
	v = only_flow(e, NULL);
	assert_int_equal(v.state, FWC_CT_TCP_ESTABLISHED);
	assert_int_equal(v.flags, FWC_CT_F_LOOSE);
	tcp(&b, 4, srv4, 80, lan4, 40000, ACK, 0);
	PASS(e, &b, 1);
	/* Still only what the rules allow: the server cannot start one. */
	tcp(&b, 4, srv4, 80, lan4, 40001, ACK, 0);
	DROP(e, &b, 0);
	/* A RST opens nothing. */
	flush_flows(e);
	tcp(&b, 4, lan4, 40000, srv4, 80, RST, 0);
	PASS(e, &b, 1);
	assert_int_equal(n_flows(e), 0);
	env_free(e);
}

/* A RST closes the flow: after tcp-close seconds, replies are denied. */
static void test_rst(void **state)
{
	char pol[sizeof(policy) + 64];
	struct env *e;
	struct pb b;

	(void)state;
	snprintf(pol, sizeof(pol), "set timeout tcp-close 1\n%s", policy);
	e = env_load(pol);
	tcp(&b, 4, lan4, 40000, srv4, 80, SYN, 0);
	PASS(e, &b, 1);
	/* Connection refused: the RST passes and closes the flow. */
	tcp(&b, 4, srv4, 80, lan4, 40000, RST | ACK, 0);
	PASS(e, &b, 1);
	assert_int_equal(only_flow(e, NULL).state, FWC_CT_TCP_CLOSE);
	/* A RST from the client of an established flow, likewise. */
	handshake(e, 4, lan4, 40001, srv4, 443, 1);
	tcp(&b, 4, lan4, 40001, srv4, 443, RST, 0);
	PASS(e, &b, 1);
	/* Stragglers pass for tcp-close seconds, then the flow is gone. */
	tcp(&b, 4, srv4, 443, lan4, 40001, ACK, 10);
	PASS(e, &b, 1);
	usleep(1300 * 1000);
	DROP(e, &b, 0);
	tcp(&b, 4, srv4, 80, lan4, 40000, ACK, 0);
	DROP(e, &b, 0);
	/* A new SYN on closed ports opens a fresh flow at once. */
	tcp(&b, 4, lan4, 40001, srv4, 443, SYN, 0);
	PASS(e, &b, 1);
	tcp(&b, 4, srv4, 443, lan4, 40001, SYN | ACK, 0);
	PASS(e, &b, 1);
	env_free(e);
}

static void test_udp(void **state)
{
	struct env *e = env_load(policy);
	struct pb b;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		const uint8_t *c = lan(fam), *s = srv(fam);

		udp(&b, fam, s, 53, c, 5353);
		DROP(e, &b, 0);
		udp(&b, fam, c, 5353, s, 53);
		PASS(e, &b, 2);
		assert_int_equal(only_flow(e, NULL).state, FWC_CT_UDP);
		udp(&b, fam, s, 53, c, 5353);
		PASS(e, &b, 2);
		assert_int_equal(only_flow(e, NULL).state, FWC_CT_UDP_REPLIED);
		PASS(e, &b, 2);
		udp(&b, fam, c, 5353, s, 53);
		PASS(e, &b, 2);
		/* Other ports are other flows. */
		udp(&b, fam, s, 53, c, 5354);
		DROP(e, &b, 0);
		udp(&b, fam, s, 54, c, 5353);
		DROP(e, &b, 0);
		flush_flows(e);
	}
	env_free(e);
}

static void test_echo(void **state)
{
	struct env *e = env_load(policy);
	struct fwc_ct_key k;
	struct pb b;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		const uint8_t *c = lan(fam), *s = srv(fam);

		echo(&b, fam, s, c, 1, 0x1234);
		DROP(e, &b, 0);
		echo(&b, fam, c, s, 0, 0x1234);
		PASS(e, &b, echo_rule(fam));
		assert_int_equal(only_flow(e, &k).state, FWC_CT_ICMP_ECHO);
		assert_int_equal(k.echo_id, 0x1234);
		assert_int_equal(k.port[0], 0);
		assert_int_equal(k.port[1], 0);
		echo(&b, fam, s, c, 1, 0x1234);
		PASS(e, &b, echo_rule(fam));
		PASS(e, &b, echo_rule(fam));
		/* Another identifier, or a reply the wrong way: denied. */
		echo(&b, fam, s, c, 1, 0x1235);
		DROP(e, &b, 0);
		echo(&b, fam, c, s, 1, 0x1234);
		DROP(e, &b, 0);
		/* A request from the server is no part of the client's flow. */
		echo(&b, fam, s, c, 0, 0x1234);
		DROP(e, &b, 0);
		flush_flows(e);
	}
	env_free(e);
}

/*
 * An echo identifier never reads as a port pair, nor the other way: flows
 * of UDP (and TCP) ports 0x1234 and 53 or 0 do not admit echo replies with
 * identifier 0x1234, 0x0035 or 0, nor does an echo flow admit UDP.
 */
static void test_echo_port_collision(void **state)
{
	static const uint16_t ids[] = { 0x1234, 53, 0, 0x3500, 0x1235 };
	struct env *e = env_load(policy);
	struct pb b;
	size_t i;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		const uint8_t *c = lan(fam), *s = srv(fam);

		udp(&b, fam, c, 0x1234, s, 53);
		PASS(e, &b, 2);
		udp(&b, fam, c, 0, s, 4660);
		PASS(e, &b, 6);
		tcp(&b, fam, c, 0x1234, s, 80, SYN, 0);
		PASS(e, &b, 1);
		for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			echo(&b, fam, s, c, 1, ids[i]);
			DROP(e, &b, 0);
			echo(&b, fam, c, s, 1, ids[i]);
			DROP(e, &b, 0);
		}
		flush_flows(e);
		/* An echo flow with id 53 does not open UDP 53 <-> 0. */
		echo(&b, fam, c, s, 0, 53);
		PASS(e, &b, echo_rule(fam));
		udp(&b, fam, s, 53, c, 0);
		DROP(e, &b, 0);
		udp(&b, fam, s, 0, c, 53);
		DROP(e, &b, 0);
		tcp(&b, fam, s, 0, c, 53, SYN | ACK, 0);
		DROP(e, &b, 0);
		flush_flows(e);
	}
	env_free(e);
}

/* ICMP errors quoting a tracked flow pass as related, counted to its rule. */
static void test_related(void **state)
{
	struct env *e = env_load(policy);
	uint32_t mal = rsv(e, FWC_RSV_MALFORMED);
	struct pb b;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		const uint8_t *c = lan(fam), *s = srv(fam), *r = rtr(fam);
		uint8_t unreach = fam == 4 ? 3 : 1, toobig = fam == 4 ? 3 : 2;
		uint8_t toobig_code = fam == 4 ? 4 : 0;
		uint8_t exceeded = fam == 4 ? 11 : 3, param = fam == 4 ? 12 : 4;
		uint8_t icmp = fam == 4 ? 1 : 58;

		tcp(&b, fam, c, 40000, s, 80, SYN, 0);
		PASS(e, &b, 1);
		/* Fragmentation needed / packet too big from a router. */
		icmp_error(&b, fam, r, c, toobig, toobig_code, 6, c, 40000, s,
			   80, 8);
		PASS(e, &b, 1);
		/* The same, more of the quoted TCP header. */
		icmp_error(&b, fam, r, c, toobig, toobig_code, 6, c, 40000, s,
			   80, 20);
		PASS(e, &b, 1);
		/* About the server's packet, back to the server. */
		icmp_error(&b, fam, r, s, exceeded, 0, 6, s, 80, c, 40000, 8);
		PASS(e, &b, 1);
		icmp_error(&b, fam, s, c, param, 0, 6, c, 40000, s, 80, 8);
		PASS(e, &b, 1);
		/* An unknown flow: the rules judge the error (default deny). */
		icmp_error(&b, fam, r, c, toobig, toobig_code, 6, c, 40999, s,
			   80, 8);
		DROP(e, &b, 0);
		icmp_error(&b, fam, r, c, toobig, toobig_code, 17, c, 40000, s,
			   80, 8);
		DROP(e, &b, 0);
		/* Not addressed back to the quoted packet's sender. */
		icmp_error(&b, fam, r, s, toobig, toobig_code, 6, c, 40000, s,
			   80, 8);
		DROP(e, &b, 0);
		/* A quote too short for 8 bytes of l4, or no IP header. */
		icmp_error(&b, fam, r, c, toobig, toobig_code, 6, c, 40000, s,
			   80, 7);
		DROP(e, &b, mal);
		icmp_error(&b, fam, r, c, toobig, toobig_code, 6, c, 40000, s,
			   80, 8);
		b.data[l4_off(fam) + 8] = fam == 4 ? 0x65 : 0x45;
		DROP(e, &b, mal);
		if (fam == 4) {
			icmp_error(&b, fam, r, c, toobig, toobig_code, 6, c,
				   40000, s, 80, 8);
			b.data[l4_off(fam) + 8] = 0x44; /* IHL 4 */
			DROP(e, &b, mal);
		}
		/* The quote cut by the error's own length: malformed. */
		icmp_error(&b, fam, r, c, toobig, toobig_code, 6, c, 40000, s,
			   80, 8);
		pb_be16(b.data + 14 + (fam == 4 ? 2 : 4),
			fam == 4 ? 20 + 8 + 20 + 4 : 8 + 40 + 4);
		DROP(e, &b, mal);

		/* UDP and echo flows have related errors too. */
		udp(&b, fam, c, 5353, s, 53);
		PASS(e, &b, 2);
		icmp_error(&b, fam, s, c, unreach, fam == 4 ? 3 : 4, 17, c,
			   5353, s, 53, 8);
		PASS(e, &b, 2);
		echo(&b, fam, c, s, 0, 77);
		PASS(e, &b, echo_rule(fam));
		icmp_error(&b, fam, r, c, exceeded, 0, icmp, c,
			   fam == 4 ? 8 : 128, s, 77, 8);
		PASS(e, &b, echo_rule(fam));
		icmp_error(&b, fam, r, c, exceeded, 0, icmp, c,
			   fam == 4 ? 8 : 128, s, 78, 8);
		DROP(e, &b, 0);
		flush_flows(e);
		/* Once the flow is gone, so are its errors. */
		icmp_error(&b, fam, r, c, toobig, toobig_code, 6, c, 40000, s,
			   80, 8);
		DROP(e, &b, 0);
	}
	env_free(e);
}

/* An IPv4 quote with options, and an error quoting a later fragment. */
static void test_related_shapes(void **state)
{
	struct env *e = env_load(policy);
	struct pb b;
	uint8_t *p;

	(void)state;
	tcp(&b, 4, lan4, 40000, srv4, 80, SYN, 0);
	PASS(e, &b, 1);
	pb_init(&b);
	pb_eth(&b, PB_ETH_IP);
	pb_ipv4(&b, 1, rtr4, lan4, 0, 0);
	pb_icmp(&b, 3, 4);
	p = pb_put(&b, 24 + 8);
	p[0] = 0x46; /* 4 bytes of options */
	p[9] = 6;
	memcpy(p + 12, lan4, 4);
	memcpy(p + 16, srv4, 4);
	memset(p + 20, 1, 4);
	pb_be16(p + 24, 40000);
	pb_be16(p + 26, 80);
	pb_finish(&b);
	PASS(e, &b, 1);
	/* The quoted packet is a later fragment: no ports, the rules judge. */
	p[6] = 0x00;
	p[7] = 0x10;
	DROP(e, &b, 0);
	env_free(e);
}

/* Later fragments follow the first fragment's verdict. */
static void build_frag(struct pb *b, int fam, const uint8_t *src,
		       uint16_t sport, const uint8_t *dst, uint16_t dport,
		       uint32_t id, uint16_t offset, int more)
{
	pb_ip_frag(b, fam, 17, src, dst, id, offset, more);
	if (offset == 0) {
		pb_udp(b, sport, dport);
		pb_payload(b, 64);
	} else {
		pb_payload(b, 72);
	}
	pb_finish(b);
}

static void test_fragments(void **state)
{
	struct env *e = env_load(policy);
	uint32_t frag = rsv(e, FWC_RSV_FRAGMENT);
	struct pb b;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		const uint8_t *c = lan(fam), *s = srv(fam);
		uint32_t id = fam == 4 ? 0x4242 : 0x42424242;

		/* A later fragment before its first: dropped. */
		build_frag(&b, fam, c, 5353, s, 53, id, 9, 1);
		DROP(e, &b, frag);
		build_frag(&b, fam, c, 5353, s, 53, id, 0, 1);
		PASS(e, &b, 2);
		build_frag(&b, fam, c, 5353, s, 53, id, 9, 1);
		PASS(e, &b, 2);
		build_frag(&b, fam, c, 5353, s, 53, id, 18, 0);
		PASS(e, &b, 2);
		/* Another id, or another source: no verdict to follow. */
		build_frag(&b, fam, c, 5353, s, 53, id + 1, 9, 0);
		DROP(e, &b, frag);
		build_frag(&b, fam, s, 53, c, 53, id, 9, 0);
		DROP(e, &b, frag);
		/* A denied datagram's later fragments stay dropped. */
		build_frag(&b, fam, c, 5353, s, 54, id + 2, 0, 1);
		DROP(e, &b, 0);
		build_frag(&b, fam, c, 5353, s, 54, id + 2, 9, 0);
		DROP(e, &b, frag);
		/* The first fragment of a reply follows its flow. */
		flush_flows(e);
		build_frag(&b, fam, s, 53, c, 5353, id + 3, 0, 1);
		DROP(e, &b, 0);
		udp(&b, fam, c, 5353, s, 53);
		PASS(e, &b, 2);
		build_frag(&b, fam, s, 53, c, 5353, id + 3, 0, 1);
		PASS(e, &b, 2);
		build_frag(&b, fam, s, 53, c, 5353, id + 3, 9, 0);
		PASS(e, &b, 2);
		flush_flows(e);
	}
	env_free(e);
}

/* Idle timeouts: short ones, real time. */
static void test_timeouts(void **state)
{
	char pol[sizeof(policy) + 128];
	struct env *e;
	struct pb b;
	int i;

	(void)state;
	snprintf(pol, sizeof(pol),
		 "set timeout udp 1\nset timeout icmp 1\n"
		 "set timeout fragment 1\nset timeout tcp-syn 1\n%s",
		 policy);
	e = env_load(pol);
	udp(&b, 4, lan4, 5353, srv4, 53);
	PASS(e, &b, 2);
	echo(&b, 4, lan4, srv4, 0, 9);
	PASS(e, &b, 3);
	tcp(&b, 4, lan4, 40000, srv4, 80, SYN, 0);
	PASS(e, &b, 1);
	build_frag(&b, 4, lan4, 5353, srv4, 53, 7, 0, 1);
	PASS(e, &b, 2);
	/* Traffic keeps a flow alive past its timeout... */
	udp(&b, 4, lan4, 5353, srv4, 53);
	for (i = 0; i < 4; i++) {
		usleep(400 * 1000);
		PASS(e, &b, 2);
	}
	udp(&b, 4, srv4, 53, lan4, 5353);
	PASS(e, &b, 2);
	/* ...an idle one expires. */
	echo(&b, 4, srv4, lan4, 1, 9);
	DROP(e, &b, 0);
	tcp(&b, 4, srv4, 80, lan4, 40000, SYN | ACK, 0);
	DROP(e, &b, 0);
	build_frag(&b, 4, lan4, 5353, srv4, 53, 7, 9, 0);
	DROP(e, &b, rsv(e, FWC_RSV_FRAGMENT));
	usleep(1300 * 1000);
	udp(&b, 4, srv4, 53, lan4, 5353);
	DROP(e, &b, 0);
	env_free(e);
}

/* `set default allow` admits, so it opens flows; a deny rule never does. */
static void test_default_allow(void **state)
{
	struct env *e = env_load("set default allow\n"
				 "deny 198.51.100.10 -> 192.0.2.0/24 any\n"
				 "deny 192.0.2.7 -> any proto udp\n");
	struct pb b;

	(void)state;
	tcp(&b, 4, lan4, 40000, srv4, 80, SYN, 0);
	PASS(e, &b, 0);
	tcp(&b, 4, srv4, 80, lan4, 40000, SYN | ACK, 0);
	PASS(e, &b, 0);
	tcp(&b, 4, srv4, 80, lan4, 40001, SYN, 0);
	DROP(e, &b, 1);
	udp(&b, 4, lan4, 5353, srv4, 53);
	DROP(e, &b, 2);
	assert_int_equal(n_flows(e), 1);
	env_free(e);
}

static void test_state_off(void **state)
{
	char pol[sizeof(policy) + 32];
	struct env *e;
	struct pb b;

	(void)state;
	snprintf(pol, sizeof(pol), "set state off\n%s", policy);
	e = env_load(pol);
	tcp(&b, 4, lan4, 40000, srv4, 80, SYN, 0);
	PASS(e, &b, 1);
	tcp(&b, 4, srv4, 80, lan4, 40000, SYN | ACK, 0);
	DROP(e, &b, 0);
	udp(&b, 4, lan4, 5353, srv4, 53);
	PASS(e, &b, 2);
	build_frag(&b, 4, lan4, 5353, srv4, 53, 5, 0, 1);
	PASS(e, &b, 2);
	build_frag(&b, 4, lan4, 5353, srv4, 53, 5, 9, 0);
	DROP(e, &b, rsv(e, FWC_RSV_FRAGMENT));
	/* Stateless: an error's quote is not read, the rules judge it. */
	icmp_error(&b, 4, rtr4, lan4, 3, 4, 6, lan4, 40000, srv4, 80, 2);
	DROP(e, &b, 0);
	assert_int_equal(n_flows(e), 0);
	env_free(e);
}

/*
 * A reload changes rule ids: entries of the previous generation move to
 * the new ids through ct_remap on their next packet; one whose rule is
 * gone, or older than the previous generation, counts as orphan-flow.
 * (The loader's side of a reload is in tests/e2e/50-state.sh.)
 */
static void test_generations(void **state)
{
	struct env *e = env_load(policy);
	int meta = bpf_map__fd(e->skel->maps.meta);
	int remap = bpf_map__fd(e->skel->maps.ct_remap);
	struct fwc_meta m = e->t->meta;
	uint32_t zero = 0, k, to;
	struct fwc_ct_val v;
	struct pb b;

	(void)state;
	tcp(&b, 4, lan4, 40000, srv4, 80, SYN, 0);
	PASS(e, &b, 1);
	udp(&b, 4, lan4, 5353, srv4, 53);
	PASS(e, &b, 2);
	/* Generation 1: rule 1 became rule 6, rule 2 is gone. */
	for (k = 0; k <= m.n_rules; k++) {
		to = k == 1 ? 6 : FWC_CT_NO_RULE;
		assert_int_equal(bpf_map_update_elem(remap, &k, &to, BPF_ANY),
				 0);
	}
	m.gen = 1;
	assert_int_equal(bpf_map_update_elem(meta, &zero, &m, BPF_ANY), 0);
	tcp(&b, 4, srv4, 80, lan4, 40000, SYN | ACK, 0);
	PASS(e, &b, 6);
	udp(&b, 4, srv4, 53, lan4, 5353);
	PASS(e, &b, rsv(e, FWC_RSV_ORPHAN));
	/* Migrated: the next packets need no remap. */
	tcp(&b, 4, lan4, 40000, srv4, 80, ACK, 0);
	PASS(e, &b, 6);
	udp(&b, 4, lan4, 5353, srv4, 53);
	PASS(e, &b, rsv(e, FWC_RSV_ORPHAN));
	/*
	 * The old program, still on an interface the reload has not
	 * swapped yet, reads the moved entry's previous id, writes nothing.
	 */
	m.gen = 0;
	assert_int_equal(bpf_map_update_elem(meta, &zero, &m, BPF_ANY), 0);
	tcp(&b, 4, srv4, 80, lan4, 40000, ACK, 0);
	PASS(e, &b, 1);
	m.gen = 1;
	assert_int_equal(bpf_map_update_elem(meta, &zero, &m, BPF_ANY), 0);
	tcp(&b, 4, lan4, 40000, srv4, 80, ACK, 0);
	PASS(e, &b, 6);
	/* New flows carry the new generation. */
	echo(&b, 4, lan4, srv4, 0, 5);
	PASS(e, &b, 3);
	flush_flows(e);
	tcp(&b, 4, lan4, 40001, srv4, 80, SYN, 0);
	PASS(e, &b, 1);
	v = only_flow(e, NULL);
	assert_int_equal(v.gen, 1);
	assert_int_equal(v.rule, 1);
	/* Two reloads on, with no packet between: an orphan. */
	m.gen = 3;
	assert_int_equal(bpf_map_update_elem(meta, &zero, &m, BPF_ANY), 0);
	tcp(&b, 4, srv4, 80, lan4, 40001, SYN | ACK, 0);
	PASS(e, &b, rsv(e, FWC_RSV_ORPHAN));
	v = only_flow(e, NULL);
	assert_int_equal(v.rule, FWC_CT_NO_RULE);
	assert_int_equal(v.gen, 3);
	/* An orphan flow still passes both ways, counted apart. */
	tcp(&b, 4, lan4, 40001, srv4, 80, ACK, 0);
	PASS(e, &b, rsv(e, FWC_RSV_ORPHAN));
	env_free(e);
}

/*
 * fwc load --flush-flows: a flow the new policy denies relates no ICMP
 * error either, from the new program's first packet. The flow is made
 * one the tables deny by moving its key to port 54 (no rule admits it).
 */
static void test_flush_related(void **state)
{
	struct env *e = env_load(policy);
	int ct = bpf_map__fd(e->skel->maps.ct);
	int meta = bpf_map__fd(e->skel->maps.meta);
	int remap = bpf_map__fd(e->skel->maps.ct_remap);
	struct fwc_meta m = e->t->meta;
	uint32_t zero = 0, k, gone = FWC_CT_NO_RULE;
	struct fwc_ct_key key;
	struct fwc_ct_val v;
	struct pb b;

	(void)state;
	udp(&b, 4, lan4, 5353, srv4, 53);
	PASS(e, &b, 2);
	v = only_flow(e, &key);
	assert_int_equal(bpf_map_delete_elem(ct, &key), 0);
	key.port[key.port[0] == 53 ? 0 : 1] = 54;
	assert_int_equal(bpf_map_update_elem(ct, &key, &v, BPF_ANY), 0);
	for (k = 0; k <= m.n_rules; k++)
		assert_int_equal(bpf_map_update_elem(remap, &k, &gone, BPF_ANY),
				 0);
	m.gen = 1;
	m.flags |= FWC_META_FLUSH_FLOWS;
	assert_int_equal(bpf_map_update_elem(meta, &zero, &m, BPF_ANY), 0);
	/* Port unreachable from srv, quoting the flushed flow: the rules. */
	icmp_error(&b, 4, srv4, lan4, 3, 3, 17, lan4, 5353, srv4, 54, 8);
	DROP(e, &b, 0);
	assert_int_equal(n_flows(e), 0);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_session),
		cmocka_unit_test(test_bare_syn),
		cmocka_unit_test(test_no_syn),
		cmocka_unit_test(test_loose),
		cmocka_unit_test(test_rst),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_echo_port_collision),
		cmocka_unit_test(test_related),
		cmocka_unit_test(test_related_shapes),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_default_allow),
		cmocka_unit_test(test_state_off),
		cmocka_unit_test(test_generations),
		cmocka_unit_test(test_flush_related),
	};

	libbpf_set_print(libbpf_quiet);
	pb_addr("192.0.2.7", lan4);
	pb_addr("198.51.100.10", srv4);
	pb_addr("203.0.113.1", rtr4);
	pb_addr("2001:db8:1:2::7", lan6);
	pb_addr("2001:db8:2::10", srv6);
	pb_addr("2001:db8:3::1", rtr6);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
