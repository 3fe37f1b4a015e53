/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The datapath against the packets an attacker writes (hardening issue):
 * ICMP of the other family, source routes, fragment identifier reuse and
 * overlaps, ND and MLD off their link, and path MTU discovery behind
 * extension headers. Each case failed before the fix. Needs root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
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
#include "env.h"
#include "expect.h"
#include "packets.h"

#define POLICY_ZONES                                     \
	"zone lan = { 192.0.2.0/24, 2001:db8:1::/48 }\n" \
	"zone srv = { 198.51.100.10, 2001:db8:2::10 }\n"

/* Rule numbers below follow this file order. */
static const char policy[] = POLICY_ZONES
	"allow lan -> srv proto tcp port 80\n"		   /* 1 */
	"allow lan -> srv proto icmp6 type echo-request\n" /* 2 */
	"allow lan -> srv proto icmp type echo-request\n"  /* 3 */
	"deny lan -> srv proto tcp port 22\n"		   /* 4 */
	"allow lan -> srv proto udp port 53\n";		   /* 5 */

#define R_WEB 1
#define R_ECHO6 2
#define R_ECHO4 3
#define R_SSH 4

static uint8_t lan4[16], srv4[16], lan6[16], srv6[16], rtr6[16], mld6[16];

static void addrs_init(void)
{
	pb_addr("192.0.2.7", lan4);
	pb_addr("198.51.100.10", srv4);
	pb_addr("2001:db8:1:2::7", lan6);
	pb_addr("2001:db8:2::10", srv6);
	pb_addr("2001:db8:9::1", rtr6);
	pb_addr("ff02::16", mld6);
}

/* ---- 1. ICMP across families ------------------------------------------ */

/* @echo6, @echo4: the rules that admit each in its own family. */
static void icmp_cross(struct env *e, uint32_t echo6, uint32_t echo4)
{
	struct pb b;

	/* ICMPv6 echo in IPv4, ICMP echo in IPv6: no ICMP at all. */
	pb_simple(&b, 4, 58, lan4, srv4, 128, 0, 24);
	MALFORMED(e, &b);
	pb_simple(&b, 6, 1, lan6, srv6, 8, 0, 24);
	MALFORMED(e, &b);
	/* Each in its own family still meets its rule. */
	pb_simple(&b, 6, 58, lan6, srv6, 128, 0, 24);
	PASS(e, &b, echo6);
	pb_simple(&b, 4, 1, lan4, srv4, 8, 0, 24);
	PASS(e, &b, echo4);
}

static void test_icmp_families(void **state)
{
	struct env *e = env_load(policy);

	(void)state;
	icmp_cross(e, R_ECHO6, R_ECHO4);
	env_free(e);
	/* Not even a rule for every protocol admits them. */
	e = env_load(POLICY_ZONES "allow lan -> srv any\n");
	icmp_cross(e, 1, 1);
	env_free(e);
}

/* ---- 2. Source routing ------------------------------------------------- */

/* A SYN to srv:80 with 8 bytes of IPv4 options @opt (NOP padded). */
static void syn_opts(struct pb *b, const uint8_t *opt, size_t n)
{
	pb_init(b);
	pb_eth(b, PB_ETH_IP);
	pb_ipv4(b, 6, lan4, srv4, 8, 0);
	memcpy(b->data + 14 + 20, opt, n);
	pb_tcp(b, 40000, 80);
	pb_finish(b);
}

/* A SYN to srv:80 behind a routing header with @left segments left. */
static void syn_rh(struct pb *b, uint8_t left)
{
	pb_init(b);
	pb_eth(b, PB_ETH_IPV6);
	pb_ipv6(b, 43, lan6, srv6);
	pb_ext6(b, 43, 6, 24);
	b->data[b->len - 24 + 2] = 4; /* segment routing (RFC 8754) */
	b->data[b->len - 24 + 3] = left;
	pb_tcp(b, 40000, 80);
	pb_finish(b);
}

static const uint8_t lsrr[] = { 0x83, 7, 4, 198, 51, 100, 99, 1 };
static const uint8_t ssrr[] = { 0x89, 7, 4, 198, 51, 100, 99, 1 };
static const uint8_t rr[] = { 0x07, 7, 4, 0, 0, 0, 0, 1 };
static const uint8_t nop_lsrr[] = { 1, 0x83, 3, 4, 0, 1, 1, 1 };
static const uint8_t bad_len[] = { 0x83, 1, 4, 0, 0, 0, 0, 0 };
static const uint8_t long_len[] = { 0x07, 12, 4, 0, 0, 0, 0, 0 };

static void test_source_route(void **state)
{
	struct env *e = env_load(policy);
	uint32_t sr = rsv(e, FWC_RSV_SOURCE_ROUTE);
	struct pb b;

	(void)state;
	syn_opts(&b, lsrr, sizeof(lsrr));
	DROP(e, &b, sr);
	syn_opts(&b, ssrr, sizeof(ssrr));
	DROP(e, &b, sr);
	syn_opts(&b, nop_lsrr, sizeof(nop_lsrr));
	DROP(e, &b, sr);
	/* Record route is no source route: the rules judge. */
	syn_opts(&b, rr, sizeof(rr));
	PASS(e, &b, R_WEB);
	/* Options Linux would refuse are malformed. */
	syn_opts(&b, bad_len, sizeof(bad_len));
	MALFORMED(e, &b);
	syn_opts(&b, long_len, sizeof(long_len));
	MALFORMED(e, &b);
	/* IPv6: a routing header with segments left. */
	syn_rh(&b, 1);
	DROP(e, &b, sr);
	syn_rh(&b, 0);
	PASS(e, &b, R_WEB);
	env_free(e);

	/* set source-route pass: they meet the rules as before. */
	e = env_load(POLICY_ZONES "set source-route pass\n"
				  "allow lan -> srv proto tcp port 80\n");
	syn_opts(&b, lsrr, sizeof(lsrr));
	PASS(e, &b, 1);
	syn_rh(&b, 2);
	PASS(e, &b, 1);
	env_free(e);
}

/* ---- 3. Fragments ------------------------------------------------------ */

/*
 * A TCP fragment @src -> srv: the first (offset 0) carries a TCP header to
 * @dport and 4 bytes; a later one @len bytes at @off8 8-byte units.
 */
static void tcp_frag(struct pb *b, int fam, uint32_t id, uint16_t dport,
		     uint16_t off8, int more, size_t len)
{
	pb_ip_frag(b, fam, 6, fam == 4 ? lan4 : lan6, fam == 4 ? srv4 : srv6,
		   id, off8, more);
	if (off8 == 0) {
		pb_tcp(b, 40000, dport);
		pb_payload(b, 4);
	} else {
		pb_payload(b, len);
	}
	pb_finish(b);
}

/* A denied first fragment replaces the allowed verdict of its id. */
static void test_frag_id_reuse(void **state)
{
	struct env *e = env_load(policy);
	uint32_t frag = rsv(e, FWC_RSV_FRAGMENT);
	struct pb b;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		uint32_t id = fam == 4 ? 0x5151 : 0x51515151;

		tcp_frag(&b, fam, id, 80, 0, 1, 0);
		PASS(e, &b, R_WEB);
		tcp_frag(&b, fam, id, 0, 3, 0, 16);
		PASS(e, &b, R_WEB);
		/* The same addresses, id and protocol, now to port 22. */
		tcp_frag(&b, fam, id, 22, 0, 1, 0);
		DROP(e, &b, R_SSH);
		tcp_frag(&b, fam, id, 0, 3, 0, 16);
		DROP(e, &b, frag);
		/* A malformed first fragment leaves a drop too. */
		tcp_frag(&b, fam, id + 1, 80, 0, 1, 0);
		PASS(e, &b, R_WEB);
		tcp_frag(&b, fam, id + 1, 80, 0, 1, 0);
		b.data[b.len - 4 - 20 + 12] = 0x40; /* data offset 16 < 20 */
		MALFORMED(e, &b);
		tcp_frag(&b, fam, id + 1, 0, 3, 0, 16);
		DROP(e, &b, frag);
	}
	env_free(e);
}

/* Later fragments may not rewrite the first one's transport header. */
static void test_frag_overlap(void **state)
{
	struct env *e = env_load(policy);
	uint32_t frag = rsv(e, FWC_RSV_FRAGMENT);
	struct pb b;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		uint32_t id = fam == 4 ? 0x6161 : 0x61616161;

		/* RFC 1858: offset 1 rewrites the ports and flags. */
		tcp_frag(&b, fam, id, 80, 0, 1, 0);
		PASS(e, &b, R_WEB);
		tcp_frag(&b, fam, id, 0, 1, 1, 16);
		DROP(e, &b, frag);
		/* ... and condemns its datagram. */
		tcp_frag(&b, fam, id, 0, 3, 0, 16);
		DROP(e, &b, frag);
		/* Offset 2 still starts inside the 20-byte TCP header. */
		tcp_frag(&b, fam, id + 1, 80, 0, 1, 0);
		PASS(e, &b, R_WEB);
		tcp_frag(&b, fam, id + 1, 0, 2, 0, 16);
		DROP(e, &b, frag);
		/* Right after the first fragment: passes. */
		tcp_frag(&b, fam, id + 2, 80, 0, 1, 0);
		PASS(e, &b, R_WEB);
		tcp_frag(&b, fam, id + 2, 0, 3, 1, 16);
		PASS(e, &b, R_WEB);
		tcp_frag(&b, fam, id + 2, 0, 5, 0, 16);
		PASS(e, &b, R_WEB);
	}
	env_free(e);
}

/* IPv6 (RFC 5722): any overlap at all drops the datagram. */
static void test_frag6_overlap(void **state)
{
	struct env *e = env_load(policy);
	uint32_t frag = rsv(e, FWC_RSV_FRAGMENT);
	struct pb b;

	(void)state;
	tcp_frag(&b, 6, 0x71, 80, 0, 1, 0);
	PASS(e, &b, R_WEB);
	tcp_frag(&b, 6, 0x71, 0, 3, 1, 32); /* units 3-6 */
	PASS(e, &b, R_WEB);
	tcp_frag(&b, 6, 0x71, 0, 6, 1, 16); /* unit 6 again */
	DROP(e, &b, frag);
	tcp_frag(&b, 6, 0x71, 0, 7, 0, 16); /* clean, but condemned */
	DROP(e, &b, frag);
	/* An exact duplicate is an overlap too. */
	tcp_frag(&b, 6, 0x72, 80, 0, 1, 0);
	PASS(e, &b, R_WEB);
	tcp_frag(&b, 6, 0x72, 0, 3, 1, 64);
	PASS(e, &b, R_WEB);
	tcp_frag(&b, 6, 0x72, 0, 3, 1, 64);
	DROP(e, &b, frag);
	/* Across 64-unit words: units 60-67, then 67 alone. */
	tcp_frag(&b, 6, 0x73, 80, 0, 1, 0);
	PASS(e, &b, R_WEB);
	tcp_frag(&b, 6, 0x73, 0, 60, 1, 64);
	PASS(e, &b, R_WEB);
	tcp_frag(&b, 6, 0x73, 0, 67, 0, 8);
	DROP(e, &b, frag);
	/* IPv4 keeps RFC 791's reassembly: past the header, overlaps pass. */
	tcp_frag(&b, 4, 0x74, 80, 0, 1, 0);
	PASS(e, &b, R_WEB);
	tcp_frag(&b, 4, 0x74, 0, 3, 1, 32);
	PASS(e, &b, R_WEB);
	tcp_frag(&b, 4, 0x74, 0, 6, 0, 16);
	PASS(e, &b, R_WEB);
	env_free(e);
}

/* ---- 4. IPv6 control traffic ------------------------------------------- */

/* ICMPv6 @type from @src to @dst with hop limit @hop. */
static void icmp6(struct pb *b, const uint8_t *src, const uint8_t *dst,
		  uint8_t type, uint8_t hop)
{
	pb_simple(b, 6, 58, src, dst, type, 0, 24);
	pb_hop(b, hop);
}

static void test_nd_mld(void **state)
{
	static const uint8_t mld[] = { 130, 131, 132, 143 };
	struct env *e = env_load(policy);
	uint32_t nd = rsv(e, FWC_RSV_ND), m = rsv(e, FWC_RSV_MLD);
	struct pb b;
	size_t i;

	(void)state;
	for (i = 133; i <= 137; i++) {
		icmp6(&b, lan6, srv6, (uint8_t)i, 255);
		PASS(e, &b, nd);
		/* Routed: not from this link, the rules judge it. */
		icmp6(&b, lan6, srv6, (uint8_t)i, 64);
		DROP(e, &b, 0);
		icmp6(&b, rtr6, srv6, (uint8_t)i, 254);
		DROP(e, &b, 0);
	}
	for (i = 0; i < sizeof(mld); i++) {
		icmp6(&b, lan6, mld6, mld[i], 1);
		PASS(e, &b, m);
		icmp6(&b, lan6, mld6, mld[i], 2);
		DROP(e, &b, 0);
		/* Not to a link-scope group. */
		icmp6(&b, lan6, srv6, mld[i], 1);
		DROP(e, &b, 0);
	}
	/* A report as hosts send it: behind hop-by-hop (router alert). */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IPV6);
	pb_ipv6(&b, 0, lan6, mld6);
	pb_ext6(&b, 0, 58, 8);
	pb_icmp(&b, 143, 0);
	pb_payload(&b, 20);
	pb_finish(&b);
	pb_hop(&b, 1);
	PASS(e, &b, m);
	env_free(e);
}

/* Packet-too-big for a live flow whose packets carry hop-by-hop. */
static void test_ptb_ext(void **state)
{
	struct env *e = env_load(policy);
	struct pb b;
	uint8_t *p;

	(void)state;
	pb_simple(&b, 6, 6, lan6, srv6, 80, 40000, 0);
	PASS(e, &b, R_WEB);
	/* From a router back to the client, quoting its packet. */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IPV6);
	pb_ipv6(&b, 58, rtr6, lan6);
	pb_icmp(&b, 2, 0);
	pb_be16(b.data + b.len - 2, 1280);
	p = pb_put(&b, 40);
	p[0] = 0x60;
	pb_be16(p + 4, 1460);
	p[6] = 0; /* hop-by-hop */
	p[7] = 64;
	memcpy(p + 8, lan6, 16);
	memcpy(p + 24, srv6, 16);
	pb_ext6(&b, 0, 6, 8);
	p = pb_put(&b, 20);
	pb_be16(p, 40000);
	pb_be16(p + 2, 80);
	pb_finish(&b);
	PASS(e, &b, R_WEB);
	/* The same error quoting a flow nobody opened: the rules judge. */
	pb_be16(b.data + b.len - 20, 40001);
	DROP(e, &b, 0);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icmp_families),
		cmocka_unit_test(test_source_route),
		cmocka_unit_test(test_frag_id_reuse),
		cmocka_unit_test(test_frag_overlap),
		cmocka_unit_test(test_frag6_overlap),
		cmocka_unit_test(test_nd_mld),
		cmocka_unit_test(test_ptb_ext),
	};

	addrs_init();
	libbpf_set_print(libbpf_quiet);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
