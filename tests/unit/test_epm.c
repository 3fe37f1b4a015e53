// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The reference parser of endpoint-mapper PDUs (compiler/epm.c) on the
 * payloads of real captures (epm_fixtures.h) and on what an attacker or a
 * small MSS makes of them: every truncation is refused, every bit flip is
 * refused or parses to facts that are really in the bytes, a flipped
 * length is refused, sealed, split and fragmented PDUs are refused with
 * their reason. Built towers cover what no capture has: several towers,
 * NULL and aliased pointers, too many towers or floors. Each parse reads
 * a heap copy of exactly the bytes given, so that make asan-unit sees
 * any read past them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "epm.h"
#include "epm_build.h"
#include "epm_fixtures.h"

#define SAMR "12345778-1234-abcd-ef00-0123456789ac"
#define FX(name)                                    \
	{                                           \
#name, fx_##name, sizeof(fx_##name) \
	}

struct fixture {
	const char *name;
	const uint8_t *p;
	size_t len;
};

/* The fixtures that parse whole (return 0). */
static const struct fixture whole[] = {
	FX(samba_impacket_resp),  FX(impacket_req),	   FX(impacket_bind),
	FX(samba_rpcclient_resp), FX(rpcclient_req),	   FX(integrity_req),
	FX(integrity_resp),	  FX(not_registered_resp), FX(lookup_req),
	FX(lookup_end_resp),
};

static int parse(const uint8_t *p, size_t len, struct fwc_epm_pdu *out,
		 const char **why)
{
	uint8_t *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, p, len);
	err = fwc_epm_parse(copy, len, out, why);
	free(copy);
	assert_non_null(*why);
	return err;
}

static void assert_samr_49154(const struct fwc_epm_map *m)
{
	char u[37];

	fwc_epm_uuid_format(m->uuid, u);
	assert_string_equal(u, SAMR);
	assert_int_equal(m->vers_major, 1);
	assert_int_equal(m->vers_minor, 0);
	assert_int_equal(m->port, 49154);
	assert_true(m->has_ip);
	assert_memory_equal(m->ip, "\0\0\0\0", 4);
	/* epm-wire.md section 3: UUID @77, port @136 for one 5-floor tower */
	assert_int_equal(m->uuid_off, 77);
	assert_int_equal(m->port_off, 136);
}

static void test_samba_responses(void **state)
{
	struct fwc_epm_pdu o;
	const char *why;

	(void)state;
	assert_int_equal(parse(fx_samba_impacket_resp,
			       sizeof(fx_samba_impacket_resp), &o, &why),
			 0);
	assert_int_equal(o.kind, FWC_EPM_MAP_RESPONSE);
	assert_int_equal(o.call_id, 1);
	assert_int_equal(o.frag_length, 152);
	assert_int_equal(o.stub_off, 24);
	assert_int_equal(o.stub_len, 128);
	assert_int_equal(o.status, 0);
	assert_int_equal(o.num_towers, 1);
	assert_int_equal(o.n_maps, 1);
	assert_int_equal(o.n_other, 0);
	assert_samr_49154(&o.maps[0]);

	assert_int_equal(parse(fx_samba_rpcclient_resp,
			       sizeof(fx_samba_rpcclient_resp), &o, &why),
			 0);
	assert_int_equal(o.kind, FWC_EPM_MAP_RESPONSE);
	assert_int_equal(o.call_id, 2);
	assert_int_equal(o.n_maps, 1);
	assert_samr_49154(&o.maps[0]);
}

static void test_integrity(void **state)
{
	struct fwc_epm_pdu o;
	const char *why;

	(void)state;
	assert_int_equal(parse(fx_integrity_resp, sizeof(fx_integrity_resp), &o,
			       &why),
			 0);
	assert_int_equal(o.kind, FWC_EPM_MAP_RESPONSE);
	assert_int_equal(o.auth_length, 16);
	assert_int_equal(o.auth_type, 0x0a); /* NTLMSSP */
	assert_int_equal(o.auth_level, 5);   /* integrity */
	assert_int_equal(o.auth_pad, 0);
	assert_int_equal(o.stub_len, 128);
	assert_int_equal(o.call_id, 2);
	assert_int_equal(o.n_maps, 1);
	assert_samr_49154(&o.maps[0]);

	assert_int_equal(
		parse(fx_integrity_req, sizeof(fx_integrity_req), &o, &why), 0);
	assert_int_equal(o.kind, FWC_EPM_MAP_REQUEST);
	assert_int_equal(o.auth_level, 5);
	assert_int_equal(o.call_id, 2);
	assert_true(o.has_asked);
}

static void test_sealed(void **state)
{
	uint8_t p[sizeof(fx_integrity_resp)];
	struct fwc_epm_pdu o;
	const char *why;

	(void)state;
	memcpy(p, fx_integrity_resp, sizeof(p));
	p[sizeof(p) - 16 - 8 + 1] = 6; /* auth_level privacy */
	assert_int_equal(parse(p, sizeof(p), &o, &why), -EOPNOTSUPP);
	assert_true(strncmp(why, "sealed", 6) == 0);
	assert_int_equal(o.n_maps, 0);
}

static void test_not_registered(void **state)
{
	struct fwc_epm_pdu o;
	const char *why;

	(void)state;
	assert_int_equal(parse(fx_not_registered_resp,
			       sizeof(fx_not_registered_resp), &o, &why),
			 0);
	assert_int_equal(o.kind, FWC_EPM_MAP_RESPONSE);
	assert_int_equal(o.status, FWC_EPM_NOT_REGISTERED);
	assert_int_equal(o.num_towers, 0);
	assert_int_equal(o.n_maps, 0);
	/*
	 * An ept_lookup answer with no entries has the same shape: only the
	 * call_id of an ept_map request tells a response is one.
	 */
	assert_int_equal(parse(fx_lookup_end_resp, sizeof(fx_lookup_end_resp),
			       &o, &why),
			 0);
	assert_int_equal(o.kind, FWC_EPM_MAP_RESPONSE);
	assert_int_equal(o.n_maps, 0);
	assert_int_not_equal(o.status, 0);
}

static void test_requests(void **state)
{
	struct fwc_epm_pdu o;
	const char *why;
	char u[37];

	(void)state;
	assert_int_equal(
		parse(fx_impacket_req, sizeof(fx_impacket_req), &o, &why), 0);
	assert_int_equal(o.kind, FWC_EPM_MAP_REQUEST);
	assert_int_equal(o.opnum, 3);
	assert_int_equal(o.call_id, 1);
	assert_int_equal(o.p_cont_id, 0);
	assert_true(o.has_object);
	assert_int_equal(o.max_towers, 4);
	assert_true(o.has_asked);
	fwc_epm_uuid_format(o.asked.uuid, u);
	assert_string_equal(u, SAMR);
	assert_int_equal(o.asked.vers_major, 1);
	assert_int_equal(o.asked.port, 0);

	assert_int_equal(
		parse(fx_rpcclient_req, sizeof(fx_rpcclient_req), &o, &why), 0);
	assert_int_equal(o.kind, FWC_EPM_MAP_REQUEST);
	assert_int_equal(o.call_id, 2);
	assert_false(o.has_object);
	assert_int_equal(o.max_towers, 1);
	assert_true(o.has_asked);

	assert_int_equal(parse(fx_lookup_req, sizeof(fx_lookup_req), &o, &why),
			 0);
	assert_int_equal(o.kind, FWC_EPM_REQUEST);
	assert_int_equal(o.opnum, 2);

	assert_int_equal(
		parse(fx_impacket_bind, sizeof(fx_impacket_bind), &o, &why), 0);
	assert_int_equal(o.kind, FWC_EPM_OTHER);
	assert_int_equal(o.ptype, 11);
}

static void test_split_and_fragments(void **state)
{
	uint8_t all[sizeof(fx_mss64_seg1) + sizeof(fx_mss64_seg2) +
		    sizeof(fx_mss64_seg3)];
	struct fwc_epm_pdu o;
	const char *why;

	(void)state;
	assert_int_equal(parse(fx_mss64_seg1, sizeof(fx_mss64_seg1), &o, &why),
			 -EAGAIN);
	assert_true(strncmp(why, "split", 5) == 0);
	assert_int_equal(o.need, 152 - 52);
	assert_int_equal(o.n_maps, 0);
	/* The other segments do not start with a header. */
	assert_int_equal(parse(fx_mss64_seg2, sizeof(fx_mss64_seg2), &o, &why),
			 -EBADMSG);
	assert_int_equal(parse(fx_mss64_seg3, sizeof(fx_mss64_seg3), &o, &why),
			 -EBADMSG);
	/* Reassembled, it is the impacket answer. */
	memcpy(all, fx_mss64_seg1, sizeof(fx_mss64_seg1));
	memcpy(all + 52, fx_mss64_seg2, sizeof(fx_mss64_seg2));
	memcpy(all + 104, fx_mss64_seg3, sizeof(fx_mss64_seg3));
	assert_int_equal(parse(all, sizeof(all), &o, &why), 0);
	assert_int_equal(o.n_maps, 1);
	assert_samr_49154(&o.maps[0]);
	/* A header of less than 16 bytes is split too. */
	assert_int_equal(parse(fx_mss64_seg1, 10, &o, &why), -EAGAIN);
	assert_int_equal(o.need, 6);
	assert_int_equal(parse(fx_mss64_seg1, 0, &o, &why), -ENODATA);

	/* ept_lookup's first fragment: refused before waiting for it. */
	assert_int_equal(parse(fx_lookup_frag1, sizeof(fx_lookup_frag1), &o,
			       &why),
			 -EOPNOTSUPP);
	assert_non_null(strstr(why, "fragment"));
}

static void test_two_pdus_and_drep(void **state)
{
	uint8_t p[sizeof(fx_samba_rpcclient_resp) + sizeof(fx_impacket_bind)];
	struct fwc_epm_pdu o;
	const char *why;

	(void)state;
	memcpy(p, fx_samba_rpcclient_resp, sizeof(fx_samba_rpcclient_resp));
	memcpy(p + 152, fx_impacket_bind, sizeof(fx_impacket_bind));
	assert_int_equal(parse(p, sizeof(p), &o, &why), 0);
	assert_int_equal(o.frag_length, 152);
	assert_int_equal(o.n_maps, 1);
	assert_int_equal(parse(p + o.frag_length, sizeof(p) - o.frag_length, &o,
			       &why),
			 0);
	assert_int_equal(o.kind, FWC_EPM_OTHER);

	memcpy(p, fx_samba_rpcclient_resp, sizeof(fx_samba_rpcclient_resp));
	p[4] = 0x00; /* big-endian integers */
	assert_int_equal(parse(p, 152, &o, &why), -EOPNOTSUPP);
	assert_non_null(strstr(why, "big-endian"));
	p[4] = 0x20;
	assert_int_equal(parse(p, 152, &o, &why), -EBADMSG);
}

/* Every prefix of every fixture is refused, and never read past. */
static void test_truncations(void **state)
{
	struct fwc_epm_pdu o;
	const char *why;

	(void)state;
	for (size_t f = 0; f < sizeof(whole) / sizeof(whole[0]); f++) {
		assert_int_equal(parse(whole[f].p, whole[f].len, &o, &why), 0);
		for (size_t n = 0; n < whole[f].len; n++) {
			int err = parse(whole[f].p, n, &o, &why);

			if (err == 0)
				fail_msg("%s cut at %zu parsed", whole[f].name,
					 n);
			assert_int_equal(o.n_maps, 0);
		}
	}
}

/* What a parse says is in the bytes it was given. */
static void assert_consistent(const uint8_t *p, size_t len,
			      const struct fwc_epm_pdu *o)
{
	assert_true(o->frag_length <= len);
	assert_true((size_t)o->stub_off + o->stub_len <= o->frag_length);
	assert_true(o->n_maps <= FWC_EPM_MAX_TOWERS);
	for (uint32_t i = 0; i < o->n_maps; i++) {
		const struct fwc_epm_map *m = &o->maps[i];

		assert_true(m->uuid_off + 16u <= o->frag_length);
		assert_true(m->port_off + 2u <= o->frag_length);
		assert_memory_equal(m->uuid, p + m->uuid_off, 16);
		assert_int_equal(m->port,
				 p[m->port_off] << 8 | p[m->port_off + 1]);
	}
}

/* Every bit of every byte: refused, or consistent with the bytes. */
static void test_bit_flips(void **state)
{
	struct fwc_epm_pdu o;
	const char *why;

	(void)state;
	for (size_t f = 0; f < sizeof(whole) / sizeof(whole[0]); f++) {
		uint8_t *p = malloc(whole[f].len);

		assert_non_null(p);
		for (size_t i = 0; i < whole[f].len * 8; i++) {
			memcpy(p, whole[f].p, whole[f].len);
			p[i / 8] ^= (uint8_t)(1u << (i % 8));
			if (fwc_epm_parse(p, whole[f].len, &o, &why) == 0)
				assert_consistent(p, whole[f].len, &o);
			else
				assert_int_equal(o.n_maps, 0);
		}
		free(p);
	}
}

/*
 * The length fields of the Samba answer (epm-wire.md section 5): a flip
 * of any bit of any of them is refused or, where the floors happen to
 * fall into place again (floor 3's LHS of 3 bytes and an RHS of 0), leaves
 * a well-formed tower that is not ncacn_ip_tcp: no map either way.
 * max_count is not among them: any value from actual_count to 500 is
 * legal.
 */
static void test_length_flips(void **state)
{
	static const size_t fields[][2] = {
		{ 8, 2 },  /* frag_length */
		{ 10, 2 }, /* auth_length */
		{ 44, 4 }, /* num_towers */
		{ 52, 4 }, /* offset */
		{ 56, 4 }, /* actual_count */
		{ 64, 4 }, /* twr_t max_count */
		{ 68, 4 }, /* tower_length */
		{ 72, 2 }, /* floor count */
		{ 74, 2 },  { 95, 2 },	{ 99, 2 },  { 120, 2 }, /* floor 1, 2 */
		{ 124, 2 }, { 127, 2 }, { 131, 2 }, { 134, 2 }, /* floor 3, 4 */
		{ 138, 2 }, { 141, 2 },				/* floor 5 */
	};
	uint8_t p[sizeof(fx_samba_impacket_resp)];
	struct fwc_epm_pdu o;
	const char *why;

	(void)state;
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
		for (size_t b = 0; b < fields[f][1] * 8; b++) {
			int err;

			memcpy(p, fx_samba_impacket_resp, sizeof(p));
			p[fields[f][0] + b / 8] ^= (uint8_t)(1u << (b % 8));
			err = parse(p, sizeof(p), &o, &why);
			if (err == 0 && o.n_maps)
				fail_msg("flip of bit %zu at %zu mapped", b,
					 fields[f][0]);
		}
}

static void test_several_towers(void **state)
{
	uint8_t t1[75], t2[75], t9[9][75];
	const uint8_t *towers[9] = { t1, pipe_tower, NULL, t2 };
	size_t tlen[9] = { 75, sizeof(pipe_tower), 0, 75 };
	uint32_t refs[9] = { 7, 8, 0, 9 };
	struct built *b = malloc(sizeof(*b));
	struct fwc_epm_pdu o;
	const char *why;

	(void)state;
	assert_non_null(b);
	samr_tower(t1, 49154);
	samr_tower(t2, 49666);
	build(b, refs, 4, towers, tlen, 0);
	assert_int_equal(parse(b->p, b->len, &o, &why), 0);
	assert_int_equal(o.num_towers, 4);
	assert_int_equal(o.n_maps, 2);
	assert_int_equal(o.n_other, 1);
	assert_int_equal(o.maps[0].port, 49154);
	assert_int_equal(o.maps[1].port, 49666);
	assert_consistent(b->p, b->len, &o);

	/* Two pointers with one referent id: aliasing, refused. */
	refs[3] = 7;
	build(b, refs, 4, towers, tlen, 0);
	assert_int_equal(parse(b->p, b->len, &o, &why), -EOPNOTSUPP);
	assert_non_null(strstr(why, "alias"));
	refs[3] = 9;

	/* Bytes after the status word. */
	build(b, refs, 4, towers, tlen, 0);
	b->p[8] += 4;
	b->len += 4;
	assert_int_equal(parse(b->p, b->len, &o, &why), -EBADMSG);

	/* 8 towers are walked, 9 refused. */
	for (uint32_t i = 0; i < 9; i++) {
		samr_tower(t9[i], (uint16_t)(50000 + i));
		towers[i] = t9[i];
		tlen[i] = 75;
		refs[i] = i + 1;
	}
	build(b, refs, FWC_EPM_MAX_TOWERS, towers, tlen, 0);
	assert_int_equal(parse(b->p, b->len, &o, &why), 0);
	assert_int_equal(o.n_maps, FWC_EPM_MAX_TOWERS);
	assert_int_equal(o.maps[7].port, 50007);
	assert_consistent(b->p, b->len, &o);
	build(b, refs, FWC_EPM_MAX_TOWERS + 1, towers, tlen, 0);
	assert_int_equal(parse(b->p, b->len, &o, &why), -EOPNOTSUPP);
	assert_int_equal(o.n_maps, 0);
	free(b);
}

static void test_floors(void **state)
{
	uint8_t t[75 + 5];
	const uint8_t *towers[1] = { t };
	size_t tlen[1] = { 75 };
	uint32_t refs[1] = { 3 };
	struct built *b = malloc(sizeof(*b));
	struct fwc_epm_pdu o;
	const char *why;

	(void)state;
	assert_non_null(b);
	/* A sixth floor (lhs 1, id 0x09, rhs 0): well formed, not TCP. */
	samr_tower(t, 49154);
	t[0] = 6;
	memcpy(t + 75, "\x01\x00\x09\x00\x00", 5);
	tlen[0] = 80;
	build(b, refs, 1, towers, tlen, 0);
	assert_int_equal(parse(b->p, b->len, &o, &why), 0);
	assert_int_equal(o.n_maps, 0);
	assert_int_equal(o.n_other, 1);
	/* Seven floors: refused (MS-RPCE: SHOULD reject more than six). */
	t[0] = 7;
	build(b, refs, 1, towers, tlen, 0);
	assert_int_equal(parse(b->p, b->len, &o, &why), -EBADMSG);
	/* Four floors (no IP floor): a map without an address. */
	samr_tower(t, 49154);
	t[0] = 4;
	tlen[0] = 75 - 9;
	build(b, refs, 1, towers, tlen, 0);
	assert_int_equal(parse(b->p, b->len, &o, &why), 0);
	assert_int_equal(o.n_maps, 1);
	assert_false(o.maps[0].has_ip);
	assert_int_equal(o.maps[0].port, 49154);
	/* A UDP port floor (0x08): not a TCP map. */
	samr_tower(t, 49154);
	t[136 - 72 - 3] = 0x08;
	tlen[0] = 75;
	build(b, refs, 1, towers, tlen, 0);
	assert_int_equal(parse(b->p, b->len, &o, &why), 0);
	assert_int_equal(o.n_maps, 0);
	assert_int_equal(o.n_other, 1);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samba_responses),
		cmocka_unit_test(test_integrity),
		cmocka_unit_test(test_sealed),
		cmocka_unit_test(test_not_registered),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_split_and_fragments),
		cmocka_unit_test(test_two_pdus_and_drep),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_length_flips),
		cmocka_unit_test(test_several_towers),
		cmocka_unit_test(test_floors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
