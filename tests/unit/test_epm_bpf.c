// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The datapath's endpoint-mapper parser (bpf/epm.h, compiled here as host
 * C) against the reference (compiler/epm.c): on every fixture of
 * epm_fixtures.h, every prefix of each, every single-bit flip of every
 * byte, built answers of several towers (the builders of test_epm.c),
 * answers past FWC_EPM_BUF and seeded random mutations, fwc_epm_request
 * and fwc_epm_response must return what epm_agree.h derives from
 * fwc_epm_parse's result and reason, with the same call_id, status and
 * towers. Each payload is checked twice, the scratch past its bytes zeroed
 * and filled with 0xff: no result may depend on bytes the datapath did
 * not copy. The known answers are also checked by value, so that the
 * parser and the reference cannot drift together.
 */
#include "epm_agree.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "epm_fixtures.h"
#include "epm_build.h"

#define FX(name)                                    \
	{                                           \
#name, fx_##name, sizeof(fx_##name) \
	}

struct fixture {
	const char *name;
	const uint8_t *p;
	size_t len;
};

static const struct fixture fixtures[] = {
	FX(samba_impacket_resp),  FX(impacket_req),	   FX(impacket_bind),
	FX(samba_rpcclient_resp), FX(rpcclient_req),	   FX(integrity_req),
	FX(integrity_resp),	  FX(not_registered_resp), FX(mss64_seg1),
	FX(mss64_seg2),		  FX(mss64_seg3),	   FX(lookup_req),
	FX(lookup_frag1),	  FX(lookup_end_resp),
};
#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

/* Results of fwc_epm_response over a test, to show what was reached. */
static unsigned long seen[EPM_RES_N];

/* Agreement with both fills; the response's result. */
static int agree(const char *what, const uint8_t *p, size_t len)
{
	static const uint8_t fills[] = { 0x00, 0xff };
	char msg[256];
	int r = -1, r0 = -1;

	for (size_t f = 0; f < sizeof(fills); f++) {
		if (epm_agree(p, len, fills[f], &r, msg, sizeof(msg)))
			fail_msg("%s (%zu bytes, fill %#x): %s", what, len,
				 fills[f], msg);
		if (f && r != r0)
			fail_msg("%s: %s with fill 0, %s with 0xff", what,
				 epm_res_str(r0), epm_res_str(r));
		r0 = r;
	}
	seen[r]++;
	return r;
}

static void reset_seen(void)
{
	memset(seen, 0, sizeof(seen));
}

/* The datapath's view of @len bytes of @p. */
static struct fwc_epm_scratch sc;

static int response(const uint8_t *p, size_t len)
{
	epm_agree_load(&sc, p, len < FWC_EPM_BUF ? len : FWC_EPM_BUF, 0);
	return fwc_epm_response(&sc, (__u32)len);
}

static int request(const uint8_t *p, size_t len)
{
	epm_agree_load(&sc, p, len < FWC_EPM_BUF ? len : FWC_EPM_BUF, 0);
	return fwc_epm_request(&sc, (__u32)len);
}

static void assert_samr(const struct fwc_epm_tower *t, uint16_t port)
{
	assert_memory_equal(t->uuid, samr, 16);
	assert_int_equal(t->major, 1);
	assert_int_equal(t->minor, 0);
	assert_int_equal(t->port, port);
}

/* The captures, by value: what the datapath will act on. */
static void test_known_answers(void **state)
{
	uint8_t p[sizeof(fx_integrity_resp)];

	(void)state;
	assert_int_equal(response(fx_samba_impacket_resp, 152), FWC_EPM_OK);
	assert_int_equal(sc.pdu.ptype, 2);
	assert_int_equal(sc.pdu.call_id, 1);
	assert_int_equal(sc.pdu.status, 0);
	assert_int_equal(sc.pdu.n_maps, 1);
	assert_samr(&sc.pdu.map[0], 49154);
	assert_int_equal(response(fx_samba_rpcclient_resp, 152), FWC_EPM_OK);
	assert_int_equal(sc.pdu.call_id, 2);
	assert_int_equal(sc.pdu.n_maps, 1);
	assert_samr(&sc.pdu.map[0], 49154);
	assert_int_equal(response(fx_integrity_resp, sizeof(fx_integrity_resp)),
			 FWC_EPM_OK);
	assert_int_equal(sc.pdu.n_maps, 1);
	assert_samr(&sc.pdu.map[0], 49154);
	assert_int_equal(response(fx_not_registered_resp,
				  sizeof(fx_not_registered_resp)),
			 FWC_EPM_OK);
	assert_int_equal(sc.pdu.status, FWC_EPM_NOT_REGISTERED);
	assert_int_equal(sc.pdu.n_maps, 0);

	/* The header of a request, as the datapath copies it: 24 bytes. */
	assert_int_equal(request(fx_impacket_req, 24), FWC_EPM_OK);
	assert_int_equal(sc.pdu.ptype, 0);
	assert_int_equal(sc.pdu.call_id, 1);
	assert_int_equal(sc.pdu.opnum, 3);
	assert_int_equal(request(fx_rpcclient_req, 24), FWC_EPM_OK);
	assert_int_equal(sc.pdu.call_id, 2);
	assert_int_equal(sc.pdu.opnum, 3);
	assert_int_equal(request(fx_lookup_req, 24), FWC_EPM_OK);
	assert_int_equal(sc.pdu.opnum, 2);
	assert_int_equal(request(fx_impacket_req, 23), FWC_EPM_SPLIT);
	assert_int_equal(request(fx_impacket_bind, 16), FWC_EPM_OK);
	assert_int_equal(sc.pdu.ptype, 11);
	assert_int_equal(sc.pdu.opnum, 0);
	/* A response's header: its call_id, before it is read whole. */
	assert_int_equal(request(fx_mss64_seg1, sizeof(fx_mss64_seg1)),
			 FWC_EPM_OK);
	assert_int_equal(sc.pdu.ptype, 2);
	assert_int_equal(sc.pdu.call_id, 1);

	/* Refusals. */
	assert_int_equal(response(fx_impacket_req, sizeof(fx_impacket_req)),
			 FWC_EPM_NOT_RESPONSE);
	assert_int_equal(response(fx_impacket_bind, sizeof(fx_impacket_bind)),
			 FWC_EPM_NOT_RESPONSE);
	assert_int_equal(response(fx_mss64_seg1, sizeof(fx_mss64_seg1)),
			 FWC_EPM_SPLIT);
	assert_int_equal(response(fx_mss64_seg2, sizeof(fx_mss64_seg2)),
			 FWC_EPM_MALFORMED);
	assert_int_equal(response(fx_lookup_frag1, sizeof(fx_lookup_frag1)),
			 FWC_EPM_FRAGMENT);
	assert_int_equal(request(fx_lookup_frag1, sizeof(fx_lookup_frag1)),
			 FWC_EPM_FRAGMENT);
	assert_int_equal(response(fx_samba_impacket_resp, 0),
			 FWC_EPM_MALFORMED);
	memcpy(p, fx_integrity_resp, sizeof(p));
	p[sizeof(p) - 16 - 8 + 1] = 6; /* auth_level privacy */
	assert_int_equal(response(p, sizeof(p)), FWC_EPM_SEALED);
	assert_int_equal(sc.pdu.n_maps, 0);
	assert_int_equal(sc.pdu.call_id, 0);
	memcpy(p, fx_samba_impacket_resp, 152);
	p[4] = 0x00; /* big-endian integers */
	assert_int_equal(response(p, 152), FWC_EPM_UNSUPPORTED);
	assert_int_equal(request(p, 152), FWC_EPM_UNSUPPORTED);
}

/* Whole fixtures, then every prefix of each. */
static void test_fixtures_and_prefixes(void **state)
{
	(void)state;
	reset_seen();
	for (size_t f = 0; f < N_FIXTURES; f++)
		for (size_t n = 0; n <= fixtures[f].len; n++)
			agree(fixtures[f].name, fixtures[f].p, n);
	assert_true(seen[FWC_EPM_OK] > 0);
	assert_true(seen[FWC_EPM_SPLIT] > 0);
	assert_true(seen[FWC_EPM_MALFORMED] > 0);
	assert_true(seen[FWC_EPM_FRAGMENT] > 0);
	assert_true(seen[FWC_EPM_NOT_RESPONSE] > 0);
}

static void flip_all(const char *what, const uint8_t *p0, size_t len)
{
	uint8_t *p = malloc(len);

	assert_non_null(p);
	for (size_t i = 0; i < len * 8; i++) {
		memcpy(p, p0, len);
		p[i / 8] ^= (uint8_t)(1u << (i % 8));
		agree(what, p, len);
	}
	free(p);
}

/* Every bit of every byte of every fixture. */
static void test_bit_flips(void **state)
{
	(void)state;
	reset_seen();
	for (size_t f = 0; f < N_FIXTURES; f++)
		flip_all(fixtures[f].name, fixtures[f].p, fixtures[f].len);
	assert_true(seen[FWC_EPM_OK] > 0);
	assert_true(seen[FWC_EPM_UNSUPPORTED] > 0); /* drep */
	assert_true(seen[FWC_EPM_FRAGMENT] > 0);
	assert_true(seen[FWC_EPM_MALFORMED] > 0);
}

/* Each built answer: by value, then agreement on its prefixes and flips. */
static void check_built(const char *what, const struct built *b, int want)
{
	assert_int_equal(response(b->p, b->len), want);
	assert_int_equal(agree(what, b->p, b->len), want);
	for (size_t n = 0; n < b->len; n++)
		agree(what, b->p, n);
	flip_all(what, b->p, b->len);
}

static void test_several_towers(void **state)
{
	uint8_t t1[75], t2[75], t9[9][75];
	const uint8_t *towers[9] = { t1, pipe_tower, NULL, t2 };
	size_t tlen[9] = { 75, sizeof(pipe_tower), 0, 75 };
	uint32_t refs[9] = { 7, 8, 0, 9 };
	struct built *b = malloc(sizeof(*b));

	(void)state;
	assert_non_null(b);
	reset_seen();
	samr_tower(t1, 49154);
	samr_tower(t2, 49666);
	/* 2 TCP towers, a named pipe between them, a NULL pointer. */
	build(b, refs, 4, towers, tlen, 0);
	check_built("tcp, pipe, NULL, tcp", b, FWC_EPM_OK);
	assert_int_equal(response(b->p, b->len), FWC_EPM_OK);
	assert_int_equal(sc.pdu.n_maps, 2);
	assert_samr(&sc.pdu.map[0], 49154);
	assert_samr(&sc.pdu.map[1], 49666);

	/* Two pointers with one referent id. */
	refs[3] = 7;
	build(b, refs, 4, towers, tlen, 0);
	check_built("aliased", b, FWC_EPM_UNSUPPORTED);
	refs[3] = 9;

	/* Bytes after the status word. */
	build(b, refs, 4, towers, tlen, 0);
	b->p[8] += 4;
	b->len += 4;
	check_built("trailing", b, FWC_EPM_MALFORMED);

	/* 8 towers are walked, 9 refused. */
	for (uint32_t i = 0; i < 9; i++) {
		samr_tower(t9[i], (uint16_t)(50000 + i));
		towers[i] = t9[i];
		tlen[i] = 75;
		refs[i] = i + 1;
	}
	build(b, refs, FWC_EPM_TOWERS, towers, tlen, 0);
	check_built("8 towers", b, FWC_EPM_OK);
	assert_int_equal(response(b->p, b->len), FWC_EPM_OK);
	assert_int_equal(sc.pdu.n_maps, 8);
	for (uint32_t i = 0; i < 8; i++)
		assert_samr(&sc.pdu.map[i], (uint16_t)(50000 + i));
	build(b, refs, FWC_EPM_TOWERS + 1, towers, tlen, 0);
	check_built("9 towers", b, FWC_EPM_UNSUPPORTED);

	/* 8 pointers, every other NULL, the others alternating pipe/TCP. */
	for (uint32_t i = 0; i < 8; i++) {
		refs[i] = i % 2 ? 0x20000 + i : 0;
		towers[i] = i % 4 == 1 ? pipe_tower : t9[i];
		tlen[i] = i % 4 == 1 ? sizeof(pipe_tower) : 75;
	}
	build(b, refs, 8, towers, tlen, 0x16c9a0d6);
	check_built("sparse", b, FWC_EPM_OK);
	assert_int_equal(response(b->p, b->len), FWC_EPM_OK);
	assert_int_equal(sc.pdu.n_maps, 2);
	assert_int_equal(sc.pdu.status, 0x16c9a0d6);
	assert_samr(&sc.pdu.map[0], 50003);
	assert_samr(&sc.pdu.map[1], 50007);
	free(b);
}

static void test_floors(void **state)
{
	uint8_t t[75 + 5];
	const uint8_t *towers[1] = { t };
	size_t tlen[1] = { 75 };
	uint32_t refs[1] = { 3 };
	struct built *b = malloc(sizeof(*b));

	(void)state;
	assert_non_null(b);
	/* A sixth floor: well formed, not TCP. */
	samr_tower(t, 49154);
	t[0] = 6;
	memcpy(t + 75, "\x01\x00\x09\x00\x00", 5);
	tlen[0] = 80;
	build(b, refs, 1, towers, tlen, 0);
	check_built("6 floors", b, FWC_EPM_OK);
	assert_int_equal(response(b->p, b->len), FWC_EPM_OK);
	assert_int_equal(sc.pdu.n_maps, 0);
	/* Seven floors. */
	t[0] = 7;
	build(b, refs, 1, towers, tlen, 0);
	check_built("7 floors", b, FWC_EPM_MALFORMED);
	/* Four floors (no IP floor): a map. */
	samr_tower(t, 49154);
	t[0] = 4;
	tlen[0] = 75 - 9;
	build(b, refs, 1, towers, tlen, 0);
	check_built("4 floors", b, FWC_EPM_OK);
	assert_int_equal(response(b->p, b->len), FWC_EPM_OK);
	assert_int_equal(sc.pdu.n_maps, 1);
	assert_samr(&sc.pdu.map[0], 49154);
	/* A UDP port floor (0x08): not a TCP map. */
	samr_tower(t, 49154);
	t[136 - 72 - 3] = 0x08;
	tlen[0] = 75;
	build(b, refs, 1, towers, tlen, 0);
	check_built("udp", b, FWC_EPM_OK);
	assert_int_equal(response(b->p, b->len), FWC_EPM_OK);
	assert_int_equal(sc.pdu.n_maps, 0);
	free(b);
}

/*
 * Every element of ncacn_ip_tcp's floor signature changed alone (an id, a
 * LHS or RHS length one more or one less, the tower's length following):
 * a well-formed tower that is a TCP map only where the reference does not
 * look (the RHS of floors 2 and 3). And the floor counts around 4 and 5,
 * a sixth floor that looks like a second IP floor included.
 */
static void test_floor_signature(void **state)
{
	static const char *const what[] = { "id", "lhs+1", "lhs-1", "rhs+1",
					    "rhs-1" };
	struct built *b = malloc(sizeof(*b));
	struct floor f[6];
	uint8_t t[256];
	const uint8_t *towers[1] = { t };
	size_t tlen[1];
	uint32_t refs[1] = { 0x20000 };
	char name[64];

	(void)state;
	assert_non_null(b);
	for (unsigned int i = 0; i < 5; i++)
		for (unsigned int a = 0; a < 5; a++) {
			int tcp;

			memcpy(f, tcp_floors, sizeof(tcp_floors));
			if (a == 0)
				f[i].id ^= 1;
			else if (a == 1)
				f[i].lhs++;
			else if (a == 2 && f[i].lhs > 1)
				f[i].lhs--;
			else if (a == 3)
				f[i].rhs++;
			else if (a == 4 && f[i].rhs > 0)
				f[i].rhs--;
			else
				continue;
			tcp = (i == 1 || i == 2) && a >= 3;
			tlen[0] = tower_of(t, f, 5);
			build(b, refs, 1, towers, tlen, 0);
			snprintf(name, sizeof(name), "floor %u %s", i + 1,
				 what[a]);
			check_built(name, b, FWC_EPM_OK);
			assert_int_equal(response(b->p, b->len), FWC_EPM_OK);
			if (sc.pdu.n_maps != tcp)
				fail_msg("%s: %u maps", name, sc.pdu.n_maps);
		}
	for (unsigned int n = 1; n <= 6; n++) {
		memcpy(f, tcp_floors, sizeof(tcp_floors));
		f[5] = tcp_floors[4]; /* a sixth floor: IP again */
		tlen[0] = tower_of(t, f, n);
		build(b, refs, 1, towers, tlen, 0);
		snprintf(name, sizeof(name), "%u floors", n);
		check_built(name, b, FWC_EPM_OK);
		assert_int_equal(response(b->p, b->len), FWC_EPM_OK);
		assert_int_equal(sc.pdu.n_maps, n == 4 || n == 5);
		if (n == 4 || n == 5)
			assert_samr(&sc.pdu.map[0], 49154);
	}
	free(b);
}

/*
 * The stub cut at every length, frag_length saying so (a PDU that ends
 * early rather than a segment that does): ended by the PDU, or by a
 * sec_trailer and verifier at integrity, so that the bytes after the
 * stub are the trailer's or none. Aliased referent ids all 0xff check
 * that a pointer half past the stub is not read from the bytes after it.
 */
static void test_stub_cut(void **state)
{
	uint8_t t[2][75];
	const uint8_t *towers[3] = { t[0], pipe_tower, t[1] };
	size_t tlen[3] = { 75, sizeof(pipe_tower), 75 };
	uint32_t refs[3][3] = { { 1, 2, 3 },
				{ 0xffffffff, 0xffffffff, 0xffffffff },
				{ 0, 0x20000, 0xffffffff } };
	struct built *b = malloc(sizeof(*b));
	static uint8_t p[4096];

	(void)state;
	assert_non_null(b);
	reset_seen();
	samr_tower(t[0], 49154);
	samr_tower(t[1], 49155);
	for (int v = 0; v < 3; v++) {
		build(b, refs[v], 3, towers, tlen, 0);
		for (size_t c = 24; c <= b->len; c++) {
			size_t frag = c;

			memcpy(p, b->p, c);
			p[8] = (uint8_t)frag;
			p[9] = (uint8_t)(frag >> 8);
			agree("stub cut", p, frag);
			/* The same stub, then a trailer and 16 bytes. */
			frag = c + 8 + 16;
			memcpy(p + c, "\x0a\x05\x00\x00\x01\x00\x00\x00", 8);
			memset(p + c + 8, 0xff, 16);
			p[8] = (uint8_t)frag;
			p[9] = (uint8_t)(frag >> 8);
			p[10] = 16;
			p[11] = 0;
			agree("stub cut, trailer", p, frag);
		}
	}
	assert_true(seen[FWC_EPM_OK] > 0);
	assert_true(seen[FWC_EPM_UNSUPPORTED] > 0);
	assert_true(seen[FWC_EPM_MALFORMED] > 0);
	free(b);
}

/*
 * Past FWC_EPM_BUF: Samba's answer at integrity with a verifier of 900
 * bytes (frag_length 1060) parses in the reference from all its bytes;
 * the datapath copies 1024 of them and says BIG, and so for every prefix
 * longer than the header. The same answer of frag_length 1024 is whole.
 */
static void test_big(void **state)
{
	static uint8_t p[1200];
	size_t frag;

	(void)state;
	for (frag = 1060; frag >= 1020; frag -= 4) {
		size_t auth = frag - 152 - 8;

		memset(p, 0x5a, sizeof(p));
		memcpy(p, fx_samba_impacket_resp, 152);
		p[8] = (uint8_t)frag;
		p[9] = (uint8_t)(frag >> 8);
		p[10] = (uint8_t)auth;
		p[11] = (uint8_t)(auth >> 8);
		memcpy(p + 152, "\x0a\x05\x00\x00\x01\x00\x00\x00", 8);
		agree("big", p, frag);
		agree("big + 40", p, frag + 40);
		assert_int_equal(response(p, frag),
				 frag > FWC_EPM_BUF ? FWC_EPM_BIG : FWC_EPM_OK);
	}
	for (size_t n = 0; n <= sizeof(p); n++) {
		p[8] = (uint8_t)1060;
		p[9] = (uint8_t)(1060 >> 8);
		p[10] = (uint8_t)(1060 - 160);
		p[11] = (uint8_t)((1060 - 160) >> 8);
		assert_int_equal(agree("big prefix", p, n),
				 n == 0 ? FWC_EPM_MALFORMED :
				 n < 16 ? FWC_EPM_SPLIT :
					  FWC_EPM_BIG);
	}
}

/* xorshift32: reproducible mutations. */
static uint32_t rnd_state = 0x12345678;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/*
 * A few bytes of a seed set to random or boundary values, the payload
 * cut or extended at random: what flips of single bits do not reach
 * (two length fields that agree again, a count past 8, a tower that
 * still adds up).
 */
static void test_mutations(void **state)
{
	static const uint8_t vals[] = { 0,    1,    2,	  3,	4,    5,
					6,    7,    8,	  9,	0x0b, 0x0d,
					0x13, 0x4b, 0x7f, 0x80, 0xff };
	struct built *seeds = calloc(4, sizeof(*seeds));
	uint8_t t[4][75], p[1100];
	const uint8_t *towers[4] = { t[0], pipe_tower, t[1], t[2] };
	size_t tlen[4] = { 75, sizeof(pipe_tower), 75, 75 };
	uint32_t refs[4] = { 1, 2, 3, 4 };

	(void)state;
	assert_non_null(seeds);
	reset_seen();
	for (int i = 0; i < 4; i++)
		samr_tower(t[i], (uint16_t)(49152 + i));
	build(&seeds[0], refs, 4, towers, tlen, 0);
	build(&seeds[1], refs, 1, towers, tlen, 0);
	memcpy(seeds[2].p, fx_integrity_resp, sizeof(fx_integrity_resp));
	seeds[2].len = sizeof(fx_integrity_resp);
	refs[1] = 0;
	build(&seeds[3], refs, 3, towers, tlen, 0);
	for (int it = 0; it < 500000; it++) {
		const struct built *s = &seeds[rnd() % 4];
		size_t len = s->len, k = 1 + rnd() % 4;

		memcpy(p, s->p, len);
		for (size_t j = 0; j < k; j++) {
			size_t at = rnd() % len;

			p[at] = rnd() % 2 ? vals[rnd() % sizeof(vals)] :
					    (uint8_t)rnd();
		}
		if (rnd() % 8 == 0)
			len = rnd() % (len + 1);
		agree("mutation", p, len);
	}
	assert_true(seen[FWC_EPM_OK] > 0);
	assert_true(seen[FWC_EPM_UNSUPPORTED] > 0);
	assert_true(seen[FWC_EPM_SEALED] > 0); /* the auth level set to 6 */
	assert_true(seen[FWC_EPM_MALFORMED] > 0);
	free(seeds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_fixtures_and_prefixes),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_several_towers),
		cmocka_unit_test(test_floors),
		cmocka_unit_test(test_floor_signature),
		cmocka_unit_test(test_stub_cut),
		cmocka_unit_test(test_big),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
