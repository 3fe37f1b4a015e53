/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The XDP program on crafted frames (BPF_PROG_TEST_RUN): every parser path,
 * the verdict and which counter moved, by how many packets and bytes.
 * Needs root.
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
#include "maps.h"
#include "packets.h"

/* Rule numbers below follow this file order. */
static const char policy[] =
	"zone lan = { 192.0.2.0/24, 2001:db8:1::/48 }\n"
	"zone srv = { 198.51.100.10, 2001:db8:2::10 }\n"
	"allow lan -> srv proto tcp port { 80, 443 } label \"web\"\n" /* 1 */
	"allow lan -> srv proto udp port 53\n"			      /* 2 */
	"allow lan -> srv proto sctp port 3868\n"		      /* 3 */
	"allow lan -> srv proto icmp type 8\n"			      /* 4 */
	"allow lan -> srv proto icmp6 type 128\n"		      /* 5 */
	"deny lan -> srv proto tcp port 22\n"			      /* 6 */
	"allow lan -> srv proto 47\n"				      /* 7 */
	"allow lan -> srv proto tcp port 8000-8080 from-port 1024-65535\n"
	/* 8 */
	"deny lan -> srv proto icmp type 0\n"; /* 9 */

static uint8_t lan4[16], srv4[16], out4[16];
static uint8_t lan6[16], srv6[16], out6[16];

static void addrs_init(void)
{
	pb_addr("192.0.2.7", lan4);
	pb_addr("198.51.100.10", srv4);
	pb_addr("203.0.113.1", out4);
	pb_addr("2001:db8:1:2::7", lan6);
	pb_addr("2001:db8:2::10", srv6);
	pb_addr("2001:db8:3::1", out6);
}

static const uint8_t *lan(int fam)
{
	return fam == 4 ? lan4 : lan6;
}

static const uint8_t *srv(int fam)
{
	return fam == 4 ? srv4 : srv6;
}

static void test_plain(void **state)
{
	struct env *e = env_load(policy);
	struct pb b;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		pb_simple(&b, fam, 6, lan(fam), srv(fam), 80, 40000, 0);
		PASS(e, &b, 1);
		pb_simple(&b, fam, 6, lan(fam), srv(fam), 443, 1, 100);
		PASS(e, &b, 1);
		pb_simple(&b, fam, 6, lan(fam), srv(fam), 81, 40000, 0);
		DROP(e, &b, 0);
		pb_simple(&b, fam, 6, lan(fam), srv(fam), 22, 40000, 0);
		DROP(e, &b, 6);
		pb_simple(&b, fam, 17, lan(fam), srv(fam), 53, 5353, 30);
		PASS(e, &b, 2);
		pb_simple(&b, fam, 17, lan(fam), srv(fam), 54, 5353, 30);
		DROP(e, &b, 0);
		pb_simple(&b, fam, 132, lan(fam), srv(fam), 3868, 3868, 0);
		PASS(e, &b, 3);
		pb_simple(&b, fam, 132, lan(fam), srv(fam), 3869, 3868, 0);
		DROP(e, &b, 0);
		/* Reversed direction and outside addresses. */
		pb_simple(&b, fam, 6, srv(fam), lan(fam), 80, 40000, 0);
		DROP(e, &b, 0);
		pb_simple(&b, fam, 6, fam == 4 ? out4 : out6, srv(fam), 80,
			  40000, 0);
		DROP(e, &b, 0);
		/* TCP ports versus rule 8's source range edges. */
		pb_simple(&b, fam, 6, lan(fam), srv(fam), 8000, 1024, 0);
		PASS(e, &b, 8);
		pb_simple(&b, fam, 6, lan(fam), srv(fam), 8080, 65535, 0);
		PASS(e, &b, 8);
		pb_simple(&b, fam, 6, lan(fam), srv(fam), 8000, 1023, 0);
		DROP(e, &b, 0);
		pb_simple(&b, fam, 6, lan(fam), srv(fam), 8081, 2000, 0);
		DROP(e, &b, 0);
		pb_simple(&b, fam, 6, lan(fam), srv(fam), 7999, 2000, 0);
		DROP(e, &b, 0);
		/* GRE by number, and a protocol no rule names. */
		pb_simple(&b, fam, 47, lan(fam), srv(fam), 0, 0, 24);
		PASS(e, &b, 7);
		pb_simple(&b, fam, 99, lan(fam), srv(fam), 0, 0, 24);
		DROP(e, &b, 0);
	}
	/* ICMPv6's protocol number under IPv4: no ICMP at all. */
	pb_simple(&b, 4, 58, lan4, srv4, 8, 0, 0);
	MALFORMED(e, &b);
	env_free(e);
}

static void test_icmp(void **state)
{
	struct env *e = env_load(policy);
	struct pb b;
	int code;

	(void)state;
	/* ICMP: type matters, the code does not (no rule names codes). */
	for (code = 0; code < 3; code++) {
		pb_simple(&b, 4, 1, lan4, srv4, 8, code, 56);
		PASS(e, &b, 4);
	}
	pb_simple(&b, 4, 1, lan4, srv4, 0, 0, 56);
	DROP(e, &b, 9);
	/* An error whose quote is no IP header (state on reads it). */
	pb_simple(&b, 4, 1, lan4, srv4, 3, 4, 28);
	MALFORMED(e, &b);
	pb_simple(&b, 4, 1, lan4, srv4, 128, 0, 0);
	DROP(e, &b, 0);

	pb_simple(&b, 6, 58, lan6, srv6, 128, 0, 56);
	PASS(e, &b, 5);
	pb_simple(&b, 6, 58, lan6, srv6, 129, 0, 56);
	DROP(e, &b, 0);
	pb_simple(&b, 6, 58, lan6, srv6, 8, 0, 56);
	DROP(e, &b, 0);
	env_free(e);
}

/* Neighbour discovery passes whoever sends it, counted apart. */
static void test_nd(void **state)
{
	struct env *e = env_load(policy);
	struct pb b;
	int type;

	(void)state;
	for (type = 133; type <= 137; type++) {
		pb_simple(&b, 6, 58, out6, srv6, type, 0, 24);
		pb_hop(&b, 255);
		PASS(e, &b, rsv(e, FWC_RSV_ND));
	}
	pb_simple(&b, 6, 58, out6, srv6, 132, 0, 24);
	DROP(e, &b, 0);
	pb_simple(&b, 6, 58, out6, srv6, 138, 0, 24);
	DROP(e, &b, 0);
	/* ICMPv4 with type 135 is no neighbour discovery. */
	pb_simple(&b, 4, 1, out4, srv4, 135, 0, 24);
	DROP(e, &b, 0);
	/* ND behind extension headers is still ND. */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IPV6);
	pb_ipv6(&b, 0, out6, srv6);
	pb_ext6(&b, 0, 58, 8);
	pb_icmp(&b, 135, 0);
	pb_payload(&b, 16);
	pb_finish(&b);
	pb_hop(&b, 255);
	PASS(e, &b, rsv(e, FWC_RSV_ND));
	/* A truncated ND message is malformed. */
	pb_simple(&b, 6, 58, out6, srv6, 135, 0, 0);
	b.len -= 5;
	pb_finish(&b);
	MALFORMED(e, &b);
	env_free(e);
}

static void test_non_ip(void **state)
{
	static const char *const pols[] = {
		"allow any -> any any\n",
		"set non-ip pass\nallow any -> any any\n",
		"set non-ip drop\nallow any -> any any\n",
	};
	static const uint16_t types[] = { PB_ETH_ARP, 0x88cc, 0x8847, 0x0600,
					  0x002e };
	struct pb b;
	size_t p, i;

	(void)state;
	for (p = 0; p < 3; p++) {
		struct env *e = env_load(pols[p]);
		int verdict = p == 2 ? XDP_DROP : XDP_PASS;

		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			pb_init(&b);
			pb_eth(&b, types[i]);
			pb_payload(&b, 28);
			EXPECT(e, &b, verdict, rsv(e, FWC_RSV_NON_IP));
			/* The same behind a VLAN tag. */
			pb_init(&b);
			pb_eth(&b, PB_ETH_8021Q);
			pb_vlan(&b, 10, types[i]);
			pb_payload(&b, 28);
			EXPECT(e, &b, verdict, rsv(e, FWC_RSV_NON_IP));
		}
		/* A bare Ethernet header. */
		pb_init(&b);
		pb_eth(&b, PB_ETH_ARP);
		EXPECT(e, &b, verdict, rsv(e, FWC_RSV_NON_IP));
		/* IP still goes through the rules. */
		pb_simple(&b, 4, 6, out4, srv4, 1, 2, 0);
		PASS(e, &b, 1);
		env_free(e);
	}
}

/* A TCP/80 frame behind @n tags of the given TPIDs. */
static void build_tagged(struct pb *b, int fam, const uint16_t *tpid, int n)
{
	int i;

	pb_init(b);
	pb_eth(b, n ? tpid[0] : (fam == 4 ? PB_ETH_IP : PB_ETH_IPV6));
	for (i = 0; i < n; i++)
		pb_vlan(b, 100 + i,
			i + 1 < n ? tpid[i + 1] :
				    (fam == 4 ? PB_ETH_IP : PB_ETH_IPV6));
	if (fam == 4)
		pb_ipv4(b, 6, lan4, srv4, 0, 0);
	else
		pb_ipv6(b, 6, lan6, srv6);
	pb_tcp(b, 40000, 80);
	pb_finish(b);
}

static void test_vlan(void **state)
{
	static const uint16_t q[] = { PB_ETH_8021Q, PB_ETH_8021Q,
				      PB_ETH_8021Q };
	static const uint16_t ad[] = { PB_ETH_8021AD, PB_ETH_8021Q,
				       PB_ETH_8021Q };
	static const uint16_t adad[] = { PB_ETH_8021AD, PB_ETH_8021AD };
	struct env *e = env_load(policy);
	struct pb b;
	int fam;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		build_tagged(&b, fam, q, 1);
		PASS(e, &b, 1);
		build_tagged(&b, fam, ad, 1);
		PASS(e, &b, 1);
		build_tagged(&b, fam, ad, 2);
		PASS(e, &b, 1);
		build_tagged(&b, fam, q, 2);
		PASS(e, &b, 1);
		build_tagged(&b, fam, adad, 2);
		PASS(e, &b, 1);
		/* Three tags hide the payload: fail closed. */
		build_tagged(&b, fam, q, 3);
		MALFORMED(e, &b);
		build_tagged(&b, fam, ad, 3);
		MALFORMED(e, &b);
	}
	/* Tags cut short. */
	build_tagged(&b, 4, ad, 2);
	expect_len(e, &b, 14, XDP_DROP, rsv(e, FWC_RSV_MALFORMED), __LINE__);
	expect_len(e, &b, 17, XDP_DROP, rsv(e, FWC_RSV_MALFORMED), __LINE__);
	expect_len(e, &b, 18, XDP_DROP, rsv(e, FWC_RSV_MALFORMED), __LINE__);
	expect_len(e, &b, 21, XDP_DROP, rsv(e, FWC_RSV_MALFORMED), __LINE__);
	/* Both tags complete, nothing after them. */
	expect_len(e, &b, 22, XDP_DROP, rsv(e, FWC_RSV_MALFORMED), __LINE__);
	env_free(e);
}

static void test_ipv4_options(void **state)
{
	struct env *e = env_load(policy);
	struct pb b;
	size_t opt;

	(void)state;
	/* NOP options read as ports would be 257 -> 257: denied. */
	for (opt = 4; opt <= 40; opt += 4) {
		pb_init(&b);
		pb_eth(&b, PB_ETH_IP);
		pb_ipv4(&b, 6, lan4, srv4, opt, 0);
		pb_tcp(&b, 40000, 443);
		pb_finish(&b);
		PASS(e, &b, 1);
		pb_init(&b);
		pb_eth(&b, PB_ETH_IP);
		pb_ipv4(&b, 17, lan4, srv4, opt, 0);
		pb_udp(&b, 40000, 53);
		pb_finish(&b);
		PASS(e, &b, 2);
	}
	/* Options cut: IHL 15 but the frame ends inside them. */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IP);
	pb_ipv4(&b, 6, lan4, srv4, 40, 0);
	b.len = 14 + 30;
	pb_finish(&b);
	MALFORMED(e, &b);
	env_free(e);
}

static void test_ipv4_header(void **state)
{
	struct env *e = env_load(policy);
	struct pb b;
	uint8_t ihl;

	(void)state;
	/* IHL below 5. */
	for (ihl = 0; ihl < 5; ihl++) {
		pb_simple(&b, 4, 6, lan4, srv4, 80, 40000, 0);
		b.data[14] = 0x40 | ihl;
		MALFORMED(e, &b);
	}
	/* IHL pointing beyond the total length. */
	pb_simple(&b, 4, 6, lan4, srv4, 80, 40000, 0);
	b.data[14] = 0x4f;
	MALFORMED(e, &b);
	/* Wrong version under the IPv4 ethertype, and v6 under v4's. */
	pb_simple(&b, 4, 6, lan4, srv4, 80, 40000, 0);
	b.data[14] = 0x65;
	MALFORMED(e, &b);
	pb_simple(&b, 6, 6, lan6, srv6, 80, 40000, 0);
	b.data[14] = 0x45;
	MALFORMED(e, &b);
	/* Total length below the header, or beyond the frame. */
	pb_simple(&b, 4, 6, lan4, srv4, 80, 40000, 0);
	pb_be16(b.data + 16, 19);
	MALFORMED(e, &b);
	pb_be16(b.data + 16, 0);
	MALFORMED(e, &b);
	pb_be16(b.data + 16, 41);
	MALFORMED(e, &b);
	pb_be16(b.data + 16, 0xffff);
	MALFORMED(e, &b);
	/* Total length cutting the TCP header. */
	pb_be16(b.data + 16, 20 + 19);
	MALFORMED(e, &b);
	/* Ethernet padding after the datagram is fine. */
	pb_be16(b.data + 16, 40);
	PASS(e, &b, 1);
	pb_simple(&b, 4, 6, lan4, srv4, 80, 40000, 0);
	pb_payload(&b, 20);
	PASS(e, &b, 1);
	/* TCP data offset below 5 or beyond the datagram. */
	pb_simple(&b, 4, 6, lan4, srv4, 80, 40000, 0);
	b.data[14 + 20 + 12] = 4 << 4;
	MALFORMED(e, &b);
	b.data[14 + 20 + 12] = 6 << 4;
	MALFORMED(e, &b);
	pb_payload(&b, 4);
	pb_finish(&b);
	PASS(e, &b, 1);
	/* ICMP needs 8 bytes inside the datagram, padding does not count. */
	pb_simple(&b, 4, 1, lan4, srv4, 8, 0, 0);
	pb_be16(b.data + 16, 20 + 7);
	MALFORMED(e, &b);
	pb_be16(b.data + 16, 20 + 8);
	PASS(e, &b, 4);
	pb_simple(&b, 6, 6, lan6, srv6, 80, 40000, 0);
	pb_be16(b.data + 18, 12);
	MALFORMED(e, &b);
	pb_simple(&b, 6, 17, lan6, srv6, 53, 40000, 0);
	pb_payload(&b, 16);
	pb_be16(b.data + 18, 7);
	MALFORMED(e, &b);
	pb_be16(b.data + 18, 8);
	PASS(e, &b, 2);
	/* IPv6 payload length beyond the frame. */
	pb_simple(&b, 6, 6, lan6, srv6, 80, 40000, 0);
	pb_be16(b.data + 18, 21);
	MALFORMED(e, &b);
	pb_be16(b.data + 18, 19);
	MALFORMED(e, &b);
	env_free(e);
}

/* Every cut of a valid frame inside its headers is malformed. */
static void expect_cuts(struct env *e, struct pb *b, size_t hdr_end, int line)
{
	struct pb c;
	size_t len;

	for (len = 14; len < hdr_end; len++) {
		/* Lengths as sent (beyond the cut)... */
		expect_len(e, b, len, XDP_DROP, rsv(e, FWC_RSV_MALFORMED),
			   line);
		/* ...and lengths consistent with the cut frame. */
		c = *b;
		c.len = len;
		if (c.l3 + (c.family == 4 ? 20 : 40) <= len)
			pb_finish(&c);
		expect_len(e, &c, len, XDP_DROP, rsv(e, FWC_RSV_MALFORMED),
			   line);
	}
}

/*
 * Frames shorter than an Ethernet header: BPF_PROG_TEST_RUN refuses them
 * (-EINVAL, as no driver hands them to XDP either); should a kernel take
 * them, they must be malformed.
 */
static void test_truncated_eth(void **state)
{
	struct env *e = env_load(policy);
	struct pb b;
	size_t len;

	(void)state;
	pb_simple(&b, 4, 6, lan4, srv4, 80, 40000, 0);
	for (len = 1; len < 14; len++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = b.data,
			    .data_size_in = len, .repeat = 1);

		if (bpf_prog_test_run_opts(e->prog, &opts) == -EINVAL)
			continue;
		expect_len(e, &b, len, XDP_DROP, rsv(e, FWC_RSV_MALFORMED),
			   __LINE__);
	}
	env_free(e);
}

static void test_truncated(void **state)
{
	static const uint16_t tags[] = { PB_ETH_8021AD, PB_ETH_8021Q };
	static const uint8_t protos[] = { 6, 17, 132, 1 };
	struct env *e = env_load(policy);
	struct pb b;
	size_t i;
	int fam, vlan;

	(void)state;
	for (fam = 4; fam <= 6; fam += 2) {
		for (vlan = 0; vlan <= 2; vlan++) {
			for (i = 0; i < sizeof(protos); i++) {
				uint8_t p = protos[i];

				if (fam == 6 && p == 1)
					p = 58;
				pb_init(&b);
				pb_eth(&b, vlan ? tags[2 - vlan] :
						  (fam == 4 ? PB_ETH_IP :
							      PB_ETH_IPV6));
				if (vlan == 2)
					pb_vlan(&b, 1, PB_ETH_8021Q);
				if (vlan)
					pb_vlan(&b, 2,
						fam == 4 ? PB_ETH_IP :
							   PB_ETH_IPV6);
				if (fam == 4)
					pb_ipv4(&b, p, lan4, srv4, 8, 0);
				else
					pb_ipv6(&b, p, lan6, srv6);
				switch (p) {
				case 6:
					pb_tcp(&b, 1, 80);
					break;
				case 17:
					pb_udp(&b, 1, 53);
					break;
				case 132:
					pb_sctp(&b, 1, 3868);
					break;
				default:
					pb_icmp(&b, fam == 4 ? 8 : 128, 0);
				}
				pb_finish(&b);
				/* Rules 1-4, and 5 for ICMPv6. */
				EXPECT(e, &b, XDP_PASS, p == 58 ? 5 : i + 1);
				expect_cuts(e, &b, b.len, __LINE__);
			}
		}
	}
	/* An IPv6 extension chain cut anywhere. */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IPV6);
	pb_ipv6(&b, 0, lan6, srv6);
	pb_ext6(&b, 0, 43, 16);
	pb_ext6(&b, 43, 51, 24);
	pb_ext6(&b, 51, 60, 12);
	pb_ext6(&b, 60, 6, 8);
	pb_tcp(&b, 1, 80);
	pb_finish(&b);
	PASS(e, &b, 1);
	expect_cuts(e, &b, b.len, __LINE__);
	env_free(e);
}

static void test_ipv6_ext(void **state)
{
	struct env *e = env_load(policy);
	struct pb b;
	int n, k;

	(void)state;
	/* hop-by-hop + destination options + TCP */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IPV6);
	pb_ipv6(&b, 0, lan6, srv6);
	pb_ext6(&b, 0, 60, 8);
	pb_ext6(&b, 60, 6, 16);
	pb_tcp(&b, 40000, 80);
	pb_payload(&b, 10);
	pb_finish(&b);
	PASS(e, &b, 1);
	/* routing + UDP */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IPV6);
	pb_ipv6(&b, 43, lan6, srv6);
	pb_ext6(&b, 43, 17, 24);
	pb_udp(&b, 40000, 53);
	pb_finish(&b);
	PASS(e, &b, 2);
	/* AH (length in 4-byte units) + TCP, and + ICMPv6 */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IPV6);
	pb_ipv6(&b, 51, lan6, srv6);
	pb_ext6(&b, 51, 6, 24);
	pb_tcp(&b, 40000, 443);
	pb_finish(&b);
	PASS(e, &b, 1);
	pb_init(&b);
	pb_eth(&b, PB_ETH_IPV6);
	pb_ipv6(&b, 51, lan6, srv6);
	pb_ext6(&b, 51, 58, 12);
	pb_icmp(&b, 128, 0);
	pb_finish(&b);
	PASS(e, &b, 5);
	/* Port 22 behind headers is still port 22. */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IPV6);
	pb_ipv6(&b, 60, lan6, srv6);
	pb_ext6(&b, 60, 6, 8);
	pb_tcp(&b, 40000, 22);
	pb_finish(&b);
	DROP(e, &b, 6);
	/* Up to six extension headers are walked; a seventh fails closed. */
	for (n = 1; n <= 7; n++) {
		pb_init(&b);
		pb_eth(&b, PB_ETH_IPV6);
		pb_ipv6(&b, 60, lan6, srv6);
		for (k = 0; k < n; k++)
			pb_ext6(&b, 60, k + 1 < n ? 60 : 6, 8);
		pb_tcp(&b, 40000, 80);
		pb_finish(&b);
		if (n <= 6)
			PASS(e, &b, 1);
		else
			MALFORMED(e, &b);
	}
	/* An extension header longer than the payload. */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IPV6);
	pb_ipv6(&b, 60, lan6, srv6);
	pb_ext6(&b, 60, 6, 8);
	pb_tcp(&b, 40000, 80);
	pb_finish(&b);
	b.data[14 + 40 + 1] = 3; /* 32 bytes > 8 + 20 */
	MALFORMED(e, &b);
	/* No next header (59) and ESP (50): no ports, default deny. */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IPV6);
	pb_ipv6(&b, 0, lan6, srv6);
	pb_ext6(&b, 0, 59, 8);
	pb_finish(&b);
	DROP(e, &b, 0);
	pb_simple(&b, 6, 50, lan6, srv6, 0, 0, 32);
	DROP(e, &b, 0);
	/* GRE behind a destination options header. */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IPV6);
	pb_ipv6(&b, 60, lan6, srv6);
	pb_ext6(&b, 60, 47, 8);
	pb_payload(&b, 4);
	pb_finish(&b);
	PASS(e, &b, 7);
	env_free(e);
}

static void build_frag4(struct pb *b, uint16_t frag, size_t l4len)
{
	pb_init(b);
	pb_eth(b, PB_ETH_IP);
	pb_ipv4(b, 6, lan4, srv4, 0, frag);
	if (l4len >= 20) {
		pb_tcp(b, 40000, 80);
		pb_payload(b, l4len - 20);
	} else {
		pb_payload(b, l4len);
	}
	pb_finish(b);
}

static void build_frag6(struct pb *b, uint16_t offset, int more, size_t l4len)
{
	pb_init(b);
	pb_eth(b, PB_ETH_IPV6);
	pb_ipv6(b, 44, lan6, srv6);
	pb_frag6(b, 6, offset, more);
	if (l4len >= 20) {
		pb_tcp(b, 40000, 80);
		pb_payload(b, l4len - 20);
	} else {
		pb_payload(b, l4len);
	}
	pb_finish(b);
}

/* Stateless: later fragments following a first one are in test_ct.c. */
static void test_fragments(void **state)
{
	static char pol[sizeof(policy) + 16];
	struct env *e;
	uint32_t frag;
	struct pb b;

	(void)state;
	snprintf(pol, sizeof(pol), "set state off\n%s", policy);
	e = env_load(pol);
	frag = rsv(e, FWC_RSV_FRAGMENT);
	/* First fragments are classified like whole datagrams. */
	build_frag4(&b, 0x2000, 64);
	PASS(e, &b, 1);
	build_frag4(&b, 0x4000, 64); /* DF */
	PASS(e, &b, 1);
	build_frag6(&b, 0, 1, 64);
	PASS(e, &b, 1);
	build_frag6(&b, 0, 0, 64); /* atomic fragment */
	PASS(e, &b, 1);
	/* Non-first fragments, with or without more to follow. */
	build_frag4(&b, 0x2000 | 1, 64);
	DROP(e, &b, frag);
	build_frag4(&b, 185, 64);
	DROP(e, &b, frag);
	build_frag4(&b, 0x1fff, 8);
	DROP(e, &b, frag);
	build_frag6(&b, 1, 1, 64);
	DROP(e, &b, frag);
	build_frag6(&b, 185, 0, 64);
	DROP(e, &b, frag);
	build_frag6(&b, 0x1fff, 0, 8);
	DROP(e, &b, frag);
	/* A non-first fragment whose bytes look like an allowed TCP. */
	build_frag4(&b, 0x2000 | 3, 20);
	DROP(e, &b, frag);
	/* A first fragment too short for the TCP header. */
	build_frag4(&b, 0x2000, 16);
	MALFORMED(e, &b);
	build_frag6(&b, 0, 1, 16);
	MALFORMED(e, &b);
	/* Fragment header behind another extension header. */
	pb_init(&b);
	pb_eth(&b, PB_ETH_IPV6);
	pb_ipv6(&b, 0, lan6, srv6);
	pb_ext6(&b, 0, 44, 8);
	pb_frag6(&b, 6, 100, 1);
	pb_payload(&b, 40);
	pb_finish(&b);
	DROP(e, &b, frag);
	env_free(e);
}

/* Bytes are the whole frame, VLAN tags and padding included. */
static void test_bytes(void **state)
{
	struct env *e = env_load(policy);
	struct fwc_counter c0, c1;
	struct pb b;
	int i;

	(void)state;
	pb_simple(&b, 4, 6, lan4, srv4, 80, 40000, 1000);
	c0 = counter(e, 1);
	for (i = 0; i < 10; i++)
		run_len(e, &b, b.len);
	c1 = counter(e, 1);
	assert_int_equal(c1.packets - c0.packets, 10);
	assert_int_equal(c1.bytes - c0.bytes, 10 * b.len);
	env_free(e);
}

static void test_default_allow(void **state)
{
	struct env *e = env_load("set default allow\n"
				 "deny any -> 198.51.100.10 proto tcp port 23\n"
				 "deny 192.0.2.0/24 -> any proto udp\n");
	struct pb b;

	(void)state;
	pb_simple(&b, 4, 6, out4, srv4, 23, 1, 0);
	DROP(e, &b, 1);
	pb_simple(&b, 4, 6, out4, srv4, 24, 1, 0);
	PASS(e, &b, 0);
	pb_simple(&b, 4, 17, lan4, srv4, 24, 1, 0);
	DROP(e, &b, 2);
	pb_simple(&b, 6, 17, lan6, srv6, 24, 1, 0);
	PASS(e, &b, 0);
	/* Malformed and fragments still drop under default allow. */
	build_frag4(&b, 0x2000 | 1, 64);
	DROP(e, &b, rsv(e, FWC_RSV_FRAGMENT));
	pb_simple(&b, 4, 6, out4, srv4, 23, 1, 0);
	b.data[14] = 0x44;
	MALFORMED(e, &b);
	env_free(e);
}

/* Broken tables fail closed: drop, counted as malformed. */
static void test_fail_closed(void **state)
{
	struct env *e = env_load(policy);
	int fd = bpf_map__fd(e->skel->maps.decision);
	uint32_t bad = 1000000, k, n;
	struct pb b;

	(void)state;
	n = e->t->meta.n_rows * e->t->meta.n_svc;
	for (k = 0; k < n; k++)
		assert_int_equal(bpf_map_update_elem(fd, &k, &bad, BPF_ANY), 0);
	pb_simple(&b, 4, 6, lan4, srv4, 80, 40000, 0);
	MALFORMED(e, &b);
	pb_simple(&b, 6, 17, out6, srv6, 80, 40000, 0);
	MALFORMED(e, &b);
	/* Non-IP and ND do not need the tables. */
	pb_simple(&b, 6, 58, out6, srv6, 135, 0, 24);
	pb_hop(&b, 255);
	PASS(e, &b, rsv(e, FWC_RSV_ND));
	env_free(e);
}

/* A chunk pointer where the last 8 bits should give a leaf. */
static void test_broken_trie(void **state)
{
	/* Stateless, or the repeated packet would be a tracked flow's. */
	struct env *e = env_load("set state off\n"
				 "allow 192.0.2.7 -> any proto tcp\n");
	int fd = bpf_map__fd(e->skel->maps.chunks);
	uint32_t k, v, bad = FWC_TRIE_CHUNK;
	struct pb b;

	(void)state;
	/* 192.0.2.7: root[192.0] -> chunk[2] -> chunk[7]. */
	v = e->t->v4_root[192 << 8];
	assert_true(v & FWC_TRIE_CHUNK);
	v = e->t->chunks[(v & ~FWC_TRIE_CHUNK) * FWC_TRIE_CHUNK_SIZE + 2];
	assert_true(v & FWC_TRIE_CHUNK);
	pb_simple(&b, 4, 6, lan4, srv4, 80, 40000, 0);
	PASS(e, &b, 1);
	k = (v & ~FWC_TRIE_CHUNK) * FWC_TRIE_CHUNK_SIZE + 7;
	assert_int_equal(bpf_map_update_elem(fd, &k, &bad, BPF_ANY), 0);
	MALFORMED(e, &b);
	/* A chunk index beyond the table. */
	bad = FWC_TRIE_CHUNK | e->t->meta.n_chunks;
	assert_int_equal(bpf_map_update_elem(fd, &k, &bad, BPF_ANY), 0);
	MALFORMED(e, &b);
	env_free(e);
}

/*
 * An IPv6 address no prefix covers is addr class 0, as in
 * fwc_tables_classify() (the compiler may cover all of ::/0, so empty the
 * trie to see misses).
 */
static void test_v6_miss(void **state)
{
	/* IPv4 classes sit right after class 0: a miss must not read them. */
	struct env *e = env_load("allow 0.0.0.0/0 -> 0.0.0.0/0 proto tcp\n"
				 "allow 2001:db8::/32 -> any proto udp\n");
	int fd = bpf_map__fd(e->skel->maps.v6_lpm);
	struct fwc_tables t = *e->t;
	struct fwc_packet p = { .family = 6, .proto = 6, .k1 = 80, .k2 = 40000 };
	uint32_t i, id;
	struct pb b;

	(void)state;
	for (i = 0; i < e->t->meta.n_v6; i++)
		assert_int_equal(bpf_map_delete_elem(fd, &e->t->v6_keys[i]), 0);
	t.meta.n_v6 = 0;
	memcpy(p.src, lan6, 16);
	memcpy(p.dst, srv6, 16);
	id = fwc_tables_classify(&t, &p);
	assert_int_equal(id, 0);
	pb_simple(&b, 6, 6, lan6, srv6, 80, 40000, 0);
	DROP(e, &b, 0);
	p.proto = 17;
	id = fwc_tables_classify(&t, &p);
	pb_simple(&b, 6, 17, lan6, srv6, 80, 40000, 0);
	EXPECT(e, &b,
	       fwc_tables_action(&t, id) == FWC_ACT_ALLOW ? XDP_PASS : XDP_DROP,
	       id);
	env_free(e);
}

/*
 * The IPv6 trie below a common prefix: an address outside it takes the
 * outside class (here `any`'s) with no trie read, one inside is walked
 * from the bytes after the prefix. The holes make the site the class
 * with the most prefixes, so addr class 0 (the LPM miss class) is the
 * site's, and the outside class cannot pass for it.
 */
static void test_v6_prefix(void **state)
{
	struct env *e =
		env_load("set state off\n"
			 "zone site = { 2001:db8:42::/48, !2001:db8:42:1::/64, "
			 "!2001:db8:42:4000::/64, !2001:db8:42:8000::/64, "
			 "!2001:db8:42:c000::/64 }\n"
			 "allow site -> site proto tcp port 22\n"  /* 1 */
			 "allow any -> site proto tcp port 80\n"); /* 2 */
	uint8_t a[16], b6[16], far[16], hole[16];
	struct pb b;

	(void)state;
	assert_true(e->t->meta.flags & FWC_META_V6_TRIE);
	assert_int_equal(e->t->meta.v6_at, 5); /* 2001:db8:00, then 42 */
	assert_int_not_equal(e->t->meta.v6_outside, 0);
	pb_addr("2001:db8:42:10::5", a);
	pb_addr("2001:db8:42:20::9", b6);
	pb_addr("2001:db9::1", far);
	pb_addr("2001:db8:42:1::5", hole);
	pb_simple(&b, 6, 6, a, b6, 22, 40000, 0);
	PASS(e, &b, 1);
	pb_simple(&b, 6, 6, far, b6, 80, 40000, 0);
	PASS(e, &b, 2);
	pb_simple(&b, 6, 6, hole, b6, 80, 40000, 0);
	PASS(e, &b, 2);
	pb_simple(&b, 6, 6, far, b6, 22, 40000, 0);
	DROP(e, &b, 0);
	pb_simple(&b, 6, 6, hole, b6, 22, 40000, 0);
	DROP(e, &b, 0);
	pb_simple(&b, 6, 6, a, far, 80, 40000, 0);
	DROP(e, &b, 0);
	env_free(e);
}

static void test_labels(void **state)
{
	struct env *e = env_load(policy);
	int fd = bpf_map__fd(e->skel->maps.labels);
	struct fwc_label l;
	uint32_t k;

	(void)state;
	k = 0;
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &l), 0);
	assert_string_equal(l.text, "default deny");
	k = 1;
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &l), 0);
	assert_string_equal(l.text, "web");
	k = 2;
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &l), 0);
	assert_true(strlen(l.text) > 0);
	k = rsv(e, FWC_RSV_NON_IP);
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &l), 0);
	assert_string_equal(l.text, "non-ip");
	k = rsv(e, FWC_RSV_MALFORMED);
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &l), 0);
	assert_string_equal(l.text, "malformed");
	k = rsv(e, FWC_RSV_FRAGMENT);
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &l), 0);
	assert_string_equal(l.text, "fragment");
	k = rsv(e, FWC_RSV_ND);
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &l), 0);
	assert_string_equal(l.text, "neighbour-discovery");
	env_free(e);

	e = env_load("set default allow\ndeny any -> any proto tcp port 1\n");
	fd = bpf_map__fd(e->skel->maps.labels);
	k = 0;
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &l), 0);
	assert_string_equal(l.text, "default allow");
	env_free(e);
}

/* Empty tables (no chunks, no IPv6 prefixes) still load and classify. */
static void test_empty_tables(void **state)
{
	struct env *e = env_load("allow 10.0.0.0/8 -> 10.0.0.0/8 proto 47\n");
	uint8_t a[16], z[16];
	struct pb b;

	(void)state;
	assert_int_equal(e->t->meta.n_chunks, 0);
	assert_int_equal(e->t->meta.n_v6, 0);
	pb_addr("10.1.2.3", a);
	pb_addr("10.200.0.1", z);
	pb_simple(&b, 4, 47, a, z, 0, 0, 8);
	PASS(e, &b, 1);
	pb_simple(&b, 4, 6, a, z, 80, 40000, 0);
	DROP(e, &b, 0);
	pb_simple(&b, 6, 47, lan6, srv6, 0, 0, 8);
	DROP(e, &b, 0);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_nd),
		cmocka_unit_test(test_non_ip),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_truncated_eth),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_ipv6_ext),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_default_allow),
		cmocka_unit_test(test_fail_closed),
		cmocka_unit_test(test_broken_trie),
		cmocka_unit_test(test_v6_miss),
		cmocka_unit_test(test_v6_prefix),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_empty_tables),
	};

	libbpf_set_print(libbpf_quiet);
	addrs_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
