/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Built ept_map answers, for what no capture has: several towers, NULL
 * and aliased pointers, floors of any shape (the builders of
 * tests/unit/test_epm.c, shared by tests/unit/test_epm_bpf.c and the
 * seeds of tests/fuzz/fuzz_epm.c). Little-endian NDR20, as Samba sends.
 */
#ifndef FWC_EPM_BUILD_H
#define FWC_EPM_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "epm_fixtures.h"

/* SAMR 12345778-1234-abcd-ef00-0123456789ac v1.0, wire form. */
static const uint8_t samr[16] = { 0x78, 0x57, 0x34, 0x12, 0x34, 0x12,
				  0xcd, 0xab, 0xef, 0x00, 0x01, 0x23,
				  0x45, 0x67, 0x89, 0xac };

/* A response built around towers (test_epm.c's): refs[i] 0 is NULL. */
struct built {
	uint8_t p[4096];
	size_t len;
};

static inline void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void build(struct built *b, const uint32_t *refs, uint32_t n,
			 const uint8_t *const *towers, const size_t *tlen,
			 uint32_t status)
{
	size_t at = 24 + 20;

	memset(b, 0, sizeof(*b));
	memcpy(b->p, fx_samba_impacket_resp, 24);
	put32(b->p + at, n);
	put32(b->p + at + 4, n + 1 > 4 ? n + 1 : 4);
	put32(b->p + at + 8, 0);
	put32(b->p + at + 12, n);
	at += 16;
	for (uint32_t i = 0; i < n; i++, at += 4)
		put32(b->p + at, refs[i]);
	for (uint32_t i = 0; i < n; i++) {
		if (!refs[i])
			continue;
		at = (at + 3) & ~(size_t)3;
		put32(b->p + at, (uint32_t)tlen[i]);
		put32(b->p + at + 4, (uint32_t)tlen[i]);
		memcpy(b->p + at + 8, towers[i], tlen[i]);
		at += 8 + tlen[i];
	}
	at = (at + 3) & ~(size_t)3;
	put32(b->p + at, status);
	b->len = at + 4;
	b->p[8] = (uint8_t)b->len;
	b->p[9] = (uint8_t)(b->len >> 8);
	put32(b->p + 16, (uint32_t)(b->len - 24)); /* alloc_hint */
}

/* Samba's tower (75 bytes, @72 of the answer), with port @port. */
static inline void samr_tower(uint8_t t[75], uint16_t port)
{
	memcpy(t, fx_samba_impacket_resp + 72, 75);
	t[136 - 72] = (uint8_t)(port >> 8);
	t[137 - 72] = (uint8_t)port;
}

/* A named-pipe tower: 5 floors, 0x0f \pipe\samr and 0x11 host. */
static const uint8_t pipe_tower[] = {
	0x05, 0x00, 0x13, 0x00, 0x0d, 0x78, 0x57, 0x34, 0x12, 0x34, 0x12, 0xcd,
	0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xac, 0x01, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x13, 0x00, 0x0d, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c,
	0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x0f, 0x0b, 0x00, '\\', 'p',  'i',  'p',	'e',  '\\', 's',  'a',
	'm',  'r',  0x00, 0x01, 0x00, 0x11, 0x03, 0x00, 'd',  'c',  0x00,
};

/* A floor of a built tower: protocol id, LHS and RHS lengths. */
struct floor {
	uint8_t id;
	uint16_t lhs, rhs;
};

/* ncacn_ip_tcp's floors, as Samba sends them. */
static const struct floor tcp_floors[5] = {
	{ 0x0d, 19, 2 }, { 0x0d, 19, 2 }, { 0x0b, 1, 2 },
	{ 0x07, 1, 2 },	 { 0x09, 1, 4 },
};

/*
 * The tower of @n floors @f into @t: floor 1 carries SAMR v1.0 when its
 * LHS has room, floor 4's RHS the port 49154, the other bytes a pattern.
 * Returns its length.
 */
static inline size_t tower_of(uint8_t *t, const struct floor *f, unsigned int n)
{
	size_t o = 2;

	t[0] = (uint8_t)n;
	t[1] = 0;
	for (unsigned int i = 0; i < n; i++) {
		t[o] = (uint8_t)f[i].lhs;
		t[o + 1] = (uint8_t)(f[i].lhs >> 8);
		o += 2;
		for (unsigned int k = 0; k < f[i].lhs; k++)
			t[o + k] = (uint8_t)(0x40 + k);
		t[o] = f[i].id;
		if (i == 0 && f[i].lhs >= 19) {
			memcpy(t + o + 1, samr, 16);
			t[o + 17] = 1;
			t[o + 18] = 0;
		}
		o += f[i].lhs;
		t[o] = (uint8_t)f[i].rhs;
		t[o + 1] = (uint8_t)(f[i].rhs >> 8);
		o += 2;
		for (unsigned int k = 0; k < f[i].rhs; k++)
			t[o + k] = 0;
		if (i == 3 && f[i].rhs >= 2) {
			t[o] = 49154 >> 8;
			t[o + 1] = 49154 & 0xff;
		}
		o += f[i].rhs;
	}
	return o;
}

#endif /* FWC_EPM_BUILD_H */
