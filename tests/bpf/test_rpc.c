// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * MS-RPC pinholes through the real XDP program (test-run): an EPM
 * connection's handshake, an ept_map request and the answer Samba sent
 * (tests/unit/epm_fixtures.h, byte for byte), then SYNs to the dynamic
 * port. Every broken variant of the answer (each prefix, each bit
 * flipped) must open a pinhole exactly when the reference parser
 * (compiler/epm.c) reads a map of the rule's interface from it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "env.h"
#include "expect.h"
#include "packets.h"
#include "epm.h" /* the reference, compiler/epm.h */
#include "rpc_iface.h"
#include "../unit/epm_fixtures.h"

#define CLI "10.98.1.2"
#define CLI2 "10.98.1.3"
#define DC "10.98.2.2"
#define DC2 "10.98.2.3"
#define CLI6 "2001:db8:1::2"
#define DC6 "2001:db8:2::2"

#define F_SYN 0x02
#define F_ACK 0x10
#define F_PSH 0x08
#define F_SYNACK (F_SYN | F_ACK)
#define F_DATA (F_PSH | F_ACK)

#define SAMR_PORT 49154	  /* what the fixtures' answers map SAMR to */
#define DATAPATH_BUF 1024 /* bpf/epm.h's FWC_EPM_BUF: longer PDUs refused */

#define POLICY                                                  \
	"zone cli = { " CLI ", " CLI6 " }\n"                    \
	"zone cli2 = " CLI2 "\n"                                \
	"zone dc = { " DC ", " DC2 ", " DC6 " }\n"              \
	"allow cli -> dc rpc { samr, netlogon } label \"ad\"\n" \
	"allow cli2 -> dc proto tcp port 135 label \"plain\"\n"

/* The sequence number the next segment built carries. */
static uint32_t next_seq = 1000;

/* A TCP segment @src:@sport -> @dst:@dport with @flags and @payload. */
static void seg(struct pb *b, const char *src, uint16_t sport, const char *dst,
		uint16_t dport, uint8_t flags, const uint8_t *payload, size_t n)
{
	uint8_t s[16], d[16];
	int fam = pb_addr(src, s);

	assert_int_equal(pb_addr(dst, d), fam);
	pb_init(b);
	pb_eth(b, fam == 4 ? PB_ETH_IP : PB_ETH_IPV6);
	if (fam == 4)
		pb_ipv4(b, 6, s, d, 0, 0);
	else
		pb_ipv6(b, 6, s, d);
	pb_tcp(b, sport, dport);
	b->data[b->len - 7] = flags;
	b->data[b->len - 16] = next_seq >> 24;
	b->data[b->len - 15] = next_seq >> 16 & 0xff;
	b->data[b->len - 14] = next_seq >> 8 & 0xff;
	b->data[b->len - 13] = next_seq & 0xff;
	if (n)
		memcpy(pb_put(b, n), payload, n);
	pb_finish(b);
}

static int send_seg(struct env *e, const char *src, uint16_t sport,
		    const char *dst, uint16_t dport, uint8_t flags,
		    const uint8_t *payload, size_t n)
{
	struct pb b;

	seg(&b, src, sport, dst, dport, flags, payload, n);
	return run_len(e, &b, b.len);
}

static uint64_t packets(struct env *e, uint32_t id)
{
	return counter(e, id).packets;
}

/* The client's EPM connection: handshake, all passed by @rule. */
static void epm_connect(struct env *e, const char *cl, uint16_t port,
			const char *sv)
{
	assert_int_equal(send_seg(e, cl, port, sv, 135, F_SYN, NULL, 0),
			 XDP_PASS);
	assert_int_equal(send_seg(e, sv, 135, cl, port, F_SYNACK, NULL, 0),
			 XDP_PASS);
	assert_int_equal(send_seg(e, cl, port, sv, 135, F_ACK, NULL, 0),
			 XDP_PASS);
}

static uint32_t call_id(const uint8_t *pdu)
{
	return pdu[12] | pdu[13] << 8 | pdu[14] << 16 | (uint32_t)pdu[15] << 24;
}

/* rpcclient's ept_map request, with @call as its call_id. */
static void epm_request(struct env *e, const char *cl, uint16_t port,
			const char *sv, uint32_t call)
{
	uint8_t req[sizeof(fx_rpcclient_req)];

	memcpy(req, fx_rpcclient_req, sizeof(req));
	req[12] = call & 0xff;
	req[13] = call >> 8 & 0xff;
	req[14] = call >> 16 & 0xff;
	req[15] = call >> 24;
	assert_int_equal(send_seg(e, cl, port, sv, 135, F_DATA, req,
				  sizeof(req)),
			 XDP_PASS);
}

static void epm_answer(struct env *e, const char *cl, uint16_t port,
		       const char *sv, const uint8_t *resp, size_t n)
{
	assert_int_equal(send_seg(e, sv, 135, cl, port, F_DATA, resp, n),
			 XDP_PASS);
}

/* A SYN from @cl to @sv:@port: its verdict. */
static int syn(struct env *e, const char *cl, uint16_t sport, const char *sv,
	       uint16_t port)
{
	return send_seg(e, cl, sport, sv, port, F_SYN, NULL, 0);
}

static size_t n_pinholes(struct env *e)
{
	int fd = bpf_map__fd(e->skel->maps.pinholes);
	struct fwc_pinhole_key k, *prev = NULL;
	size_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, &k)) {
		n++;
		prev = &k;
	}
	return n;
}

static void clear_pinholes(struct env *e)
{
	int fd = bpf_map__fd(e->skel->maps.pinholes);
	struct fwc_pinhole_key k;

	while (!bpf_map_get_next_key(fd, NULL, &k))
		assert_int_equal(bpf_map_delete_elem(fd, &k), 0);
}

static int get_pinhole(struct env *e, const char *cl, const char *sv,
		       uint16_t port, struct fwc_pinhole_val *v)
{
	struct fwc_pinhole_key k = { .port = port, .proto = 6 };

	k.family = pb_addr(cl, k.client);
	pb_addr(sv, k.server);
	return bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.pinholes), &k, v);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The whole exchange: the answer opens SAMR's port, for that client only. */
static void test_pinhole_opens(void **state)
{
	struct env *e = env_load(POLICY);
	const struct fwc_rpc_iface_row *samr = fwc_rpc_iface_find("samr");
	uint64_t opened = packets(e, rsv(e, FWC_RSV_RPC_OPENED));
	uint64_t used = packets(e, rsv(e, FWC_RSV_RPC_USED));
	uint64_t r1, r0;
	struct fwc_pinhole_val v;
	(void)state;

	assert_true(e->t->meta.flags & FWC_META_RPC);
	/* Before any answer the port is closed, to everyone. */
	assert_int_equal(syn(e, CLI, 50000, DC, SAMR_PORT), XDP_DROP);
	epm_connect(e, CLI, 43606, DC);
	epm_request(e, CLI, 43606, DC, call_id(fx_samba_impacket_resp));
	epm_answer(e, CLI, 43606, DC, fx_samba_impacket_resp,
		   sizeof(fx_samba_impacket_resp));
	assert_int_equal(packets(e, rsv(e, FWC_RSV_RPC_OPENED)), opened + 1);
	assert_int_equal(n_pinholes(e), 1);
	assert_int_equal(get_pinhole(e, CLI, DC, SAMR_PORT, &v), 0);
	assert_int_equal(v.rule, 1);
	assert_memory_equal(v.uuid, samr->uuid, 16);
	assert_int_equal(v.major, 1);
	assert_true(v.expires > v.created);
	assert_int_equal((v.expires - v.created) / 1000000000ull, 120);
	assert_true(v.created <= mono_ns() + 1000000000ull);

	/* The client's SYN to the announced port: a flow of rule 1. */
	r1 = packets(e, 1);
	assert_int_equal(syn(e, CLI, 50000, DC, SAMR_PORT), XDP_PASS);
	assert_int_equal(packets(e, 1), r1 + 1);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_RPC_USED)), used + 1);
	assert_int_equal(send_seg(e, DC, SAMR_PORT, CLI, 50000, F_SYNACK, NULL,
				  0),
			 XDP_PASS);
	assert_int_equal(send_seg(e, CLI, 50000, DC, SAMR_PORT, F_ACK, NULL, 0),
			 XDP_PASS);
	assert_int_equal(packets(e, 1), r1 + 3);
	/* A second connection through the same pinhole. */
	assert_int_equal(syn(e, CLI, 50001, DC, SAMR_PORT), XDP_PASS);
	assert_int_equal(get_pinhole(e, CLI, DC, SAMR_PORT, &v), 0);
	assert_int_equal(v.used, 2);

	/* The port's bit gates the lookup: a pinhole without it is unseen. */
	{
		int bits = bpf_map__fd(e->skel->maps.pinhole_ports);
		uint32_t w = SAMR_PORT >> 6;
		uint64_t b = 0, was;

		assert_int_equal(bpf_map_lookup_elem(bits, &w, &was), 0);
		assert_true(was & 1ull << (SAMR_PORT & 63));
		assert_int_equal(bpf_map_update_elem(bits, &w, &b, BPF_ANY), 0);
		assert_int_equal(syn(e, CLI, 50009, DC, SAMR_PORT), XDP_DROP);
		assert_int_equal(bpf_map_update_elem(bits, &w, &was, BPF_ANY),
				 0);
	}

	/* Not another port, client, server or protocol. */
	r0 = packets(e, 0);
	assert_int_equal(syn(e, CLI, 50002, DC, SAMR_PORT - 1), XDP_DROP);
	assert_int_equal(syn(e, CLI2, 50003, DC, SAMR_PORT), XDP_DROP);
	assert_int_equal(syn(e, CLI, 50004, DC2, SAMR_PORT), XDP_DROP);
	assert_int_equal(send_seg(e, CLI, 50005, DC, SAMR_PORT, F_ACK, NULL, 0),
			 XDP_DROP);
	assert_int_equal(packets(e, 0), r0 + 4);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_RPC_USED)), used + 2);
	env_free(e);
}

/* Each fixture pair: which answers open what. */
static void test_answers(void **state)
{
	static const struct {
		const char *what;
		const uint8_t *resp;
		size_t n;
		int opens; /* SAMR's port */
		int unparsed;
	} cases[] = {
		{ "rpcclient", fx_samba_rpcclient_resp,
		  sizeof(fx_samba_rpcclient_resp), 1, 0 },
		{ "integrity", fx_integrity_resp, sizeof(fx_integrity_resp), 1,
		  0 },
		{ "not registered", fx_not_registered_resp,
		  sizeof(fx_not_registered_resp), 0, 0 },
		{ "MSS 64, first segment alone: waits", fx_mss64_seg1,
		  sizeof(fx_mss64_seg1), 0, 0 },
		{ "ept_lookup's first fragment", fx_lookup_frag1,
		  sizeof(fx_lookup_frag1), 0, 1 },
	};
	struct env *e = env_load(POLICY);
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint64_t up = packets(e, rsv(e, FWC_RSV_RPC_UNPARSED));
		uint16_t port = 40000 + i;

		clear_pinholes(e);
		epm_connect(e, CLI, port, DC);
		epm_request(e, CLI, port, DC, call_id(cases[i].resp));
		epm_answer(e, CLI, port, DC, cases[i].resp, cases[i].n);
		if (n_pinholes(e) != (size_t)cases[i].opens)
			print_error("%s: %zu pinholes\n", cases[i].what,
				    n_pinholes(e));
		assert_int_equal(n_pinholes(e), cases[i].opens);
		assert_int_equal(packets(e, rsv(e, FWC_RSV_RPC_UNPARSED)),
				 up + cases[i].unparsed);
		assert_int_equal(syn(e, CLI, 51000 + i, DC, SAMR_PORT),
				 cases[i].opens ? XDP_PASS : XDP_DROP);
	}
	env_free(e);
}

/* The answer is read only when its call was asked, on an rpc rule's flow. */
static void test_only_awaited(void **state)
{
	struct env *e = env_load(POLICY);
	const uint8_t *resp = fx_samba_impacket_resp;
	size_t n = sizeof(fx_samba_impacket_resp);
	uint64_t up = packets(e, rsv(e, FWC_RSV_RPC_UNPARSED));
	(void)state;

	/* No request: an answer out of the blue opens nothing. */
	epm_connect(e, CLI, 41000, DC);
	epm_answer(e, CLI, 41000, DC, resp, n);
	assert_int_equal(n_pinholes(e), 0);
	/* A request of another call_id. */
	epm_request(e, CLI, 41000, DC, call_id(resp) + 1);
	epm_answer(e, CLI, 41000, DC, resp, n);
	assert_int_equal(n_pinholes(e), 0);
	/* Another opnum (ept_lookup's request) awaits nothing. */
	assert_int_equal(send_seg(e, CLI, 41000, DC, 135, F_DATA, fx_lookup_req,
				  sizeof(fx_lookup_req)),
			 XDP_PASS);
	epm_answer(e, CLI, 41000, DC, resp, n);
	assert_int_equal(n_pinholes(e), 0);
	/* A connection of the plain tcp/135 rule never opens one. */
	epm_connect(e, CLI2, 41001, DC);
	epm_request(e, CLI2, 41001, DC, call_id(resp));
	epm_answer(e, CLI2, 41001, DC, resp, n);
	assert_int_equal(n_pinholes(e), 0);
	assert_int_equal(syn(e, CLI2, 52000, DC, SAMR_PORT), XDP_DROP);
	/* The call is answered once: a replayed answer opens nothing. */
	epm_request(e, CLI, 41000, DC, call_id(resp));
	epm_answer(e, CLI, 41000, DC, resp, n);
	assert_int_equal(n_pinholes(e), 1);
	clear_pinholes(e);
	epm_answer(e, CLI, 41000, DC, resp, n);
	assert_int_equal(n_pinholes(e), 0);
	/* None of that was a parse failure. */
	assert_int_equal(packets(e, rsv(e, FWC_RSV_RPC_UNPARSED)), up);
	/* An answer with no TCP flow at all is dropped by the rules. */
	assert_int_equal(send_seg(e, DC, 135, CLI, 41002, F_DATA, resp, n),
			 XDP_DROP);
	assert_int_equal(n_pinholes(e), 0);
	env_free(e);
}

/* The reference's verdict on @resp: does it map SAMR v1 to a port? */
static int reference_opens(const uint8_t *resp, size_t n, uint16_t *port)
{
	const struct fwc_rpc_iface_row *samr = fwc_rpc_iface_find("samr");
	const struct fwc_rpc_iface_row *nl = fwc_rpc_iface_find("netlogon");
	struct fwc_epm_pdu r;
	const char *why;
	int opens = 0;

	if (fwc_epm_parse(resp, n, &r, &why) ||
	    r.kind != FWC_EPM_MAP_RESPONSE || r.status != 0 ||
	    r.frag_length > DATAPATH_BUF)
		return 0;
	for (unsigned int i = 0; i < r.n_maps; i++) {
		const struct fwc_epm_map *m = &r.maps[i];
		int listed = (!memcmp(m->uuid, samr->uuid, 16) &&
			      m->vers_major == samr->vers_major) ||
			     (!memcmp(m->uuid, nl->uuid, 16) &&
			      m->vers_major == nl->vers_major);

		if (listed && m->port >= 1024) {
			opens++;
			*port = m->port;
		}
	}
	return opens;
}

/*
 * Every prefix and every bit flip of Samba's answer: the program opens a
 * pinhole exactly when the reference reads a listed interface from it.
 */
static void test_broken_answers(void **state)
{
	struct env *e = env_load(POLICY);
	uint8_t resp[sizeof(fx_samba_impacket_resp)];
	size_t n = sizeof(resp), runs = 0, opened = 0;
	uint16_t cport = 20000;
	(void)state;

	for (size_t cut = 0; cut <= n; cut++) {
		uint16_t port = 0;
		int want = cut ? reference_opens(fx_samba_impacket_resp, cut,
						 &port) :
				 0;

		clear_pinholes(e);
		epm_connect(e, CLI, cport, DC);
		epm_request(e, CLI, cport, DC, call_id(fx_samba_impacket_resp));
		if (cut)
			epm_answer(e, CLI, cport, DC, fx_samba_impacket_resp,
				   cut);
		cport++;
		if (n_pinholes(e) != (size_t)want)
			print_error("prefix %zu: %zu pinholes, reference %d\n",
				    cut, n_pinholes(e), want);
		assert_int_equal(n_pinholes(e), want);
		runs++;
	}
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			struct fwc_pinhole_val v;
			uint16_t port = 0;
			int want;

			memcpy(resp, fx_samba_impacket_resp, n);
			resp[i] ^= 1u << bit;
			want = reference_opens(resp, n, &port);
			clear_pinholes(e);
			epm_connect(e, CLI, cport, DC);
			epm_request(e, CLI, cport, DC, call_id(resp));
			epm_answer(e, CLI, cport, DC, resp, n);
			cport = cport == 65000 ? 20000 : cport + 1;
			if (n_pinholes(e) != (size_t)want)
				print_error("byte %zu bit %d: %zu pinholes, "
					    "reference %d\n",
					    i, bit, n_pinholes(e), want);
			assert_int_equal(n_pinholes(e), want);
			if (want) {
				assert_int_equal(
					get_pinhole(e, CLI, DC, port, &v), 0);
				opened++;
			}
			runs++;
		}
	}
	/* Flips of pad, referent and tower IP bytes still open. */
	assert_true(opened > 0);
	print_message("%zu answers, %zu opened a pinhole\n", runs, opened);
	env_free(e);
}

/* Port bounds, interfaces the rule does not list, and logging. */
static void test_bounds_and_unlisted(void **state)
{
	struct env *e = env_load(
		"zone cli = " CLI "\nzone dc = " DC "\n"
		"service b = { rpc samr port 50000-60000, rpc netlogon }\n"
		"allow cli -> dc service b label \"bounded\"\n");
	struct env *u = env_load("zone cli = " CLI "\nzone dc = " DC "\n"
				 "allow cli -> dc rpc netlogon\n");
	const uint8_t *resp = fx_samba_impacket_resp;
	size_t n = sizeof(fx_samba_impacket_resp);
	(void)state;

	epm_connect(e, CLI, 42000, DC);
	epm_request(e, CLI, 42000, DC, call_id(resp));
	epm_answer(e, CLI, 42000, DC, resp, n);
	assert_int_equal(n_pinholes(e), 0);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_RPC_REFUSED)), 1);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_RPC_OPENED)), 0);
	assert_int_equal(syn(e, CLI, 53000, DC, SAMR_PORT), XDP_DROP);

	epm_connect(u, CLI, 42001, DC);
	epm_request(u, CLI, 42001, DC, call_id(resp));
	epm_answer(u, CLI, 42001, DC, resp, n);
	assert_int_equal(n_pinholes(u), 0);
	assert_int_equal(packets(u, rsv(u, FWC_RSV_RPC_UNLISTED)), 1);
	assert_int_equal(syn(u, CLI, 53001, DC, SAMR_PORT), XDP_DROP);
	env_free(u);
	env_free(e);
}

/* `rpc any` opens whatever the EPM maps. */
static void test_any(void **state)
{
	struct env *e = env_load("zone cli = " CLI "\nzone dc = " DC "\n"
				 "allow cli -> dc rpc any\n");
	(void)state;

	epm_connect(e, CLI, 42100, DC);
	epm_request(e, CLI, 42100, DC, call_id(fx_integrity_resp));
	epm_answer(e, CLI, 42100, DC, fx_integrity_resp,
		   sizeof(fx_integrity_resp));
	assert_int_equal(n_pinholes(e), 1);
	assert_int_equal(syn(e, CLI, 53100, DC, SAMR_PORT), XDP_PASS);
	env_free(e);
}

/* A pinhole lives `set timeout rpc-pinhole` seconds, then is gone. */
static void test_expiry(void **state)
{
	struct env *e = env_load("set timeout rpc-pinhole 1\n" POLICY);
	struct fwc_pinhole_val v;
	(void)state;

	epm_connect(e, CLI, 42200, DC);
	epm_request(e, CLI, 42200, DC, call_id(fx_samba_impacket_resp));
	epm_answer(e, CLI, 42200, DC, fx_samba_impacket_resp,
		   sizeof(fx_samba_impacket_resp));
	assert_int_equal(get_pinhole(e, CLI, DC, SAMR_PORT, &v), 0);
	assert_int_equal((v.expires - v.created) / 1000000000ull, 1);
	/* The coarse clock: a tick more than the timeout. */
	usleep(1200 * 1000);
	assert_int_equal(syn(e, CLI, 53200, DC, SAMR_PORT), XDP_DROP);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_RPC_EXPIRED)), 1);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_RPC_USED)), 0);
	assert_int_equal(n_pinholes(e), 0);
	env_free(e);
}

/* IPv6 EPM connections get pinholes too, keyed by IPv6 addresses. */
static void test_ipv6(void **state)
{
	struct env *e = env_load(POLICY);
	struct fwc_pinhole_val v;
	(void)state;

	epm_connect(e, CLI6, 42300, DC6);
	epm_request(e, CLI6, 42300, DC6, call_id(fx_samba_impacket_resp));
	epm_answer(e, CLI6, 42300, DC6, fx_samba_impacket_resp,
		   sizeof(fx_samba_impacket_resp));
	assert_int_equal(get_pinhole(e, CLI6, DC6, SAMR_PORT, &v), 0);
	assert_int_equal(syn(e, CLI6, 53300, DC6, SAMR_PORT), XDP_PASS);
	/* The IPv4 client has none. */
	assert_int_equal(syn(e, CLI, 53301, DC, SAMR_PORT), XDP_DROP);
	env_free(e);
}

/* Set the generation to @gen, rule ids of the one before mapped by @to. */
static void reload_to(struct env *e, uint32_t gen, const uint32_t *to)
{
	int meta = bpf_map__fd(e->skel->maps.meta);
	int remap = bpf_map__fd(e->skel->maps.ct_remap);
	struct fwc_meta m = e->t->meta;
	uint32_t zero = 0;

	for (uint32_t k = 0; k <= m.n_rules; k++)
		assert_int_equal(
			bpf_map_update_elem(remap, &k, &to[k], BPF_ANY), 0);
	m.gen = gen;
	assert_int_equal(bpf_map_update_elem(meta, &zero, &m, BPF_ANY), 0);
}

static void open_samr(struct env *e, uint16_t cport)
{
	epm_connect(e, CLI, cport, DC);
	epm_request(e, CLI, cport, DC, call_id(fx_samba_impacket_resp));
	epm_answer(e, CLI, cport, DC, fx_samba_impacket_resp,
		   sizeof(fx_samba_impacket_resp));
	assert_int_equal(n_pinholes(e), 1);
}

/*
 * A reload keeps a pinhole whose rule survives (moved to its new id
 * through ct_remap, as flows are); one whose rule is gone, or is no rpc
 * rule any more, is deleted on its next use and admits nothing.
 */
static void test_generations(void **state)
{
	const uint32_t same[] = { 0, 1, 2 }, gone[] = { 0, FWC_CT_NO_RULE, 2 },
		       plain[] = { 0, 2, 2 };
	struct env *e = env_load(POLICY);
	struct fwc_pinhole_val v;
	(void)state;

	open_samr(e, 43000);
	reload_to(e, 1, same);
	assert_int_equal(syn(e, CLI, 54000, DC, SAMR_PORT), XDP_PASS);
	assert_int_equal(get_pinhole(e, CLI, DC, SAMR_PORT, &v), 0);
	assert_int_equal(v.gen, 1);
	assert_int_equal(v.rule, 1);
	/* The old program, on an interface not swapped yet, still uses it. */
	reload_to(e, 0, same);
	assert_int_equal(syn(e, CLI, 54001, DC, SAMR_PORT), XDP_PASS);

	reload_to(e, 2, gone);
	assert_int_equal(syn(e, CLI, 54002, DC, SAMR_PORT), XDP_DROP);
	assert_int_equal(n_pinholes(e), 0);

	reload_to(e, 2, same);
	open_samr(e, 43001);
	reload_to(e, 3, plain);
	assert_int_equal(syn(e, CLI, 54003, DC, SAMR_PORT), XDP_DROP);
	assert_int_equal(n_pinholes(e), 0);
	env_free(e);
}

struct events {
	struct fwc_event ev[16];
	int n;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct events *evs = ctx;

	if (size >= sizeof(struct fwc_event) && evs->n < 16)
		memcpy(&evs->ev[evs->n++], data, sizeof(struct fwc_event));
	return 0;
}

/*
 * An rpc rule marked log: an event when a pinhole opens (client, server,
 * port), one per tower refused, one for an answer not parsed; a rule
 * without log sends none.
 */
static void test_log(void **state)
{
	struct env *e = env_load("zone cli = " CLI "\nzone dc = " DC "\n"
				 "allow log cli -> dc rpc samr port 1024-49153 "
				 "label \"bounded\"\n");
	struct events evs = { .n = 0 };
	struct ring_buffer *rb = ring_buffer__new(
		bpf_map__fd(e->skel->maps.events), on_event, &evs, NULL);
	uint8_t cl[16], sv[16];
	(void)state;

	assert_non_null(rb);
	pb_addr(CLI, cl);
	pb_addr(DC, sv);
	epm_connect(e, CLI, 42400, DC);
	epm_request(e, CLI, 42400, DC, call_id(fx_samba_impacket_resp));
	epm_answer(e, CLI, 42400, DC, fx_samba_impacket_resp,
		   sizeof(fx_samba_impacket_resp));
	uint8_t bad[sizeof(fx_samba_impacket_resp)];

	memcpy(bad, fx_samba_impacket_resp, sizeof(bad));
	bad[0] = 4; /* rpc_vers */
	epm_request(e, CLI, 42400, DC, call_id(bad));
	epm_answer(e, CLI, 42400, DC, bad, sizeof(bad));
	assert_true(ring_buffer__consume(rb) >= 0);
	/* Allow log also logs the EPM connection's packets: skip those. */
	int refused = -1, unparsed = -1;
	for (int i = 0; i < evs.n; i++) {
		if (evs.ev[i].verdict == FWC_LOG_PINHOLE_REFUSED)
			refused = i;
		if (evs.ev[i].verdict == FWC_LOG_RPC_UNPARSED)
			unparsed = i;
		assert_true(evs.ev[i].verdict != FWC_LOG_PINHOLE_OPEN);
	}
	assert_true(refused >= 0 && unparsed > refused);
	assert_int_equal(evs.ev[refused].rule, 1);
	assert_int_equal(evs.ev[refused].k1, SAMR_PORT);
	assert_memory_equal(evs.ev[refused].src, cl, 16);
	assert_memory_equal(evs.ev[refused].dst, sv, 16);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_RPC_REFUSED)), 1);
	ring_buffer__free(rb);
	env_free(e);

	e = env_load("zone cli = " CLI "\nzone dc = " DC "\n"
		     "allow log cli -> dc rpc samr\n");
	evs.n = 0;
	rb = ring_buffer__new(bpf_map__fd(e->skel->maps.events), on_event, &evs,
			      NULL);
	assert_non_null(rb);
	epm_connect(e, CLI, 42401, DC);
	epm_request(e, CLI, 42401, DC, call_id(fx_samba_impacket_resp));
	epm_answer(e, CLI, 42401, DC, fx_samba_impacket_resp,
		   sizeof(fx_samba_impacket_resp));
	assert_true(ring_buffer__consume(rb) >= 0);
	int open = 0;
	for (int i = 0; i < evs.n; i++)
		if (evs.ev[i].verdict == FWC_LOG_PINHOLE_OPEN) {
			open++;
			assert_int_equal(evs.ev[i].k1, SAMR_PORT);
			assert_memory_equal(evs.ev[i].src, cl, 16);
		}
	assert_int_equal(open, 1);
	ring_buffer__free(rb);
	env_free(e);

	/* No log: no event at all. */
	e = env_load(POLICY);
	evs.n = 0;
	rb = ring_buffer__new(bpf_map__fd(e->skel->maps.events), on_event, &evs,
			      NULL);
	assert_non_null(rb);
	open_samr(e, 42402);
	assert_true(ring_buffer__consume(rb) >= 0);
	assert_int_equal(evs.n, 0);
	ring_buffer__free(rb);
	env_free(e);
}

/* The answer in segments @cuts (offsets where each one starts) in order. */
static void answer_in(struct env *e, uint16_t cport, const uint8_t *resp,
		      size_t n, const size_t *cuts, size_t n_cuts)
{
	uint32_t seq0 = 70000;

	for (size_t i = 0; i < n_cuts; i++) {
		size_t end = i + 1 < n_cuts ? cuts[i + 1] : n;

		next_seq = seq0 + cuts[i];
		epm_answer(e, CLI, cport, DC, resp + cuts[i], end - cuts[i]);
	}
}

/*
 * An answer over several segments (a small MSS) is gathered in order and
 * parsed once whole: Samba's three MSS-64 segments, every split in two,
 * a retransmission; a gap, a reordering or more than FWC_EPM_SEGS
 * segments opens nothing and is counted.
 */
static void test_segments(void **state)
{
	struct env *e = env_load(POLICY);
	const uint8_t *resp = fx_samba_impacket_resp;
	size_t n = sizeof(fx_samba_impacket_resp), cuts[32];
	uint8_t mss64[sizeof(fx_mss64_seg1) + sizeof(fx_mss64_seg2) +
		      sizeof(fx_mss64_seg3)];
	uint64_t up;
	uint16_t cport = 30000;
	(void)state;

	/* The capture's three segments, as Samba sent them. */
	memcpy(mss64, fx_mss64_seg1, sizeof(fx_mss64_seg1));
	memcpy(mss64 + 52, fx_mss64_seg2, sizeof(fx_mss64_seg2));
	memcpy(mss64 + 104, fx_mss64_seg3, sizeof(fx_mss64_seg3));
	epm_connect(e, CLI, cport, DC);
	epm_request(e, CLI, cport, DC, call_id(mss64));
	cuts[0] = 0, cuts[1] = 52, cuts[2] = 104;
	answer_in(e, cport, mss64, sizeof(mss64), cuts, 3);
	assert_int_equal(n_pinholes(e), 1);
	assert_int_equal(syn(e, CLI, 55000, DC, SAMR_PORT), XDP_PASS);

	/* Every split in two, the first segment at least a header. */
	for (size_t at = 24; at < n; at++) {
		clear_pinholes(e);
		epm_connect(e, CLI, ++cport, DC);
		epm_request(e, CLI, cport, DC, call_id(resp));
		cuts[0] = 0, cuts[1] = at;
		answer_in(e, cport, resp, n, cuts, 2);
		if (n_pinholes(e) != 1)
			print_error("split at %zu: no pinhole\n", at);
		assert_int_equal(n_pinholes(e), 1);
	}
	assert_int_equal(packets(e, rsv(e, FWC_RSV_RPC_UNPARSED)), 0);

	/* A retransmitted first segment is ignored. */
	clear_pinholes(e);
	epm_connect(e, CLI, ++cport, DC);
	epm_request(e, CLI, cport, DC, call_id(resp));
	next_seq = 70000;
	epm_answer(e, CLI, cport, DC, resp, 60);
	epm_answer(e, CLI, cport, DC, resp, 60);
	next_seq = 70060;
	epm_answer(e, CLI, cport, DC, resp + 60, n - 60);
	assert_int_equal(n_pinholes(e), 1);

	/* A gap: the third part before the second. */
	up = packets(e, rsv(e, FWC_RSV_RPC_UNPARSED));
	clear_pinholes(e);
	epm_connect(e, CLI, ++cport, DC);
	epm_request(e, CLI, cport, DC, call_id(resp));
	next_seq = 70000;
	epm_answer(e, CLI, cport, DC, resp, 50);
	next_seq = 70100;
	epm_answer(e, CLI, cport, DC, resp + 100, n - 100);
	next_seq = 70050;
	epm_answer(e, CLI, cport, DC, resp + 50, 50);
	assert_int_equal(n_pinholes(e), 0);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_RPC_UNPARSED)), up + 1);

	/*
	 * The first segment must hold the header (frag_length); then 16
	 * segments of 8 bytes: 17, more than FWC_EPM_SEGS.
	 */
	epm_connect(e, CLI, ++cport, DC);
	epm_request(e, CLI, cport, DC, call_id(resp));
	cuts[0] = 0;
	for (size_t i = 1; i < 17; i++)
		cuts[i] = 24 + (i - 1) * 8;
	answer_in(e, cport, resp, n, cuts, 17);
	assert_int_equal(n_pinholes(e), 0);
	assert_int_equal(packets(e, rsv(e, FWC_RSV_RPC_UNPARSED)), up + 2);
	/* 16 segments (24, then 14 of 9, then 2 bytes) do. */
	epm_connect(e, CLI, ++cport, DC);
	epm_request(e, CLI, cport, DC, call_id(resp));
	cuts[0] = 0;
	for (size_t i = 1; i < 16; i++)
		cuts[i] = 24 + (i - 1) * 9;
	answer_in(e, cport, resp, n, cuts, 16);
	assert_int_equal(n_pinholes(e), 1);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pinhole_opens),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_only_awaited),
		cmocka_unit_test(test_broken_answers),
		cmocka_unit_test(test_bounds_and_unlisted),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_generations),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_segments),
	};

	libbpf_set_print(libbpf_quiet);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
