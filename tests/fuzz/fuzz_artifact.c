// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer target: any bytes as an artifact (fwc_artifact_parse) must be
 * refused as corrupt or give tables that classify packets without a
 * crash, a hang or a sanitizer report. `make fuzz-artifact` runs it for
 * FUZZ_SECONDS, seeded with the artifacts of the shipped policies.
 *
 * Mutating the compressed bytes would mostly break the zlib stream, so
 * the mutator (LLVMFuzzerCustomMutator) mostly mutates the decompressed
 * tables and compresses them again behind a right header: one word of
 * one table set to an edge value (one past, a meta count, a flag bit) or
 * a few of its bytes mutated, each table as likely as the next (the
 * meta's counts, pinfo's offsets as often as the 256 KiB of v4_root), or
 * anything anywhere; now and then the file's bytes as they are.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "compile.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

#define HEADER 16
#define RAW_MAX (8u << 20)
#define WINDOW 64

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * Where each table of @raw starts, in the order of compiler/artifact.c's
 * serialise(), from the meta at its head; the last entry is the rule
 * texts and the rest. The number of tables, or 0 when the counts do not
 * fit @n bytes.
 */
static int tables_of(const uint8_t *raw, size_t n, size_t off[17])
{
	struct fwc_meta m;
	uint64_t cnt[16], at = 0;
	size_t sz[16];
	int k = 0;

	if (n < sizeof(m))
		return 0;
	memcpy(&m, raw, sizeof(m)); /* little-endian, as the host */
#define TABLE(count, size) (cnt[k] = (count), sz[k++] = (size))
	TABLE(1, sizeof(m));
	TABLE(FWC_TRIE_ROOT_SIZE, 4);
	TABLE(m.flags & FWC_META_V6_TRIE ? FWC_TRIE_ROOT_SIZE : 0, 4);
	TABLE((uint64_t)m.n_chunks * FWC_TRIE_CHUNK_SIZE, 4);
	TABLE(m.n_v6_ranges, sizeof(struct fwc_v6_range));
	TABLE(m.n_v6, 20);
	TABLE(m.n_v6, 4);
	TABLE(m.n_addr, sizeof(struct fwc_addr_class));
	TABLE((uint64_t)m.n_src * m.n_dst, 4);
	TABLE(FWC_PROTO_SIZE, 4);
	TABLE(m.n_pc, sizeof(struct fwc_proto_info));
	TABLE(m.n_l4, 4);
	TABLE(m.n_svc_map, 4);
	TABLE((uint64_t)m.n_rows * m.n_svc, 4);
	TABLE((uint64_t)m.n_rules + 1, sizeof(struct fwc_rule_info));
	TABLE(m.n_rpc, sizeof(struct fwc_rpc_iface));
#undef TABLE
	for (int i = 0; i < k; i++) {
		off[i] = (size_t)at;
		if (cnt[i] > (n - at) / sz[i])
			return 0;
		at += cnt[i] * sz[i];
	}
	off[k] = (size_t)at;
	return k + 1;
}

/*
 * A value for word @v that an index check must get right: one off, a
 * little or a lot past, a flag bit, a count of the meta (@m) or one past.
 */
static uint32_t edge(uint32_t v, const uint8_t *m, unsigned int seed)
{
	uint32_t count = m[8 + 4 * (seed / 16 % 11)] |
			 (uint32_t)m[9 + 4 * (seed / 16 % 11)] << 8 |
			 (uint32_t)m[10 + 4 * (seed / 16 % 11)] << 16 |
			 (uint32_t)m[11 + 4 * (seed / 16 % 11)] << 24;

	switch (seed % 10) {
	case 0:
		return v + 1;
	case 1:
		return v - 1;
	case 2:
		return v + 1 + seed / 256 % 300;
	case 3:
		return count;
	case 4:
		return count + 1;
	case 5:
		return UINT32_MAX - seed / 256 % 4;
	case 6:
		return FWC_TRIE_CHUNK | (v + seed / 256 % 8);
	case 7:
		return FWC_TRIE_RANGE | (seed / 256 % 8);
	case 8:
		return 0;
	default:
		return 1u << (seed / 256 % 32);
	}
}

/*
 * One table of @raw, its size kept: a word of it set to an edge value,
 * or a few bytes of it mutated.
 */
static bool mutate_table(uint8_t *raw, size_t n, unsigned int seed)
{
	size_t off[17], lo, hi, w, at;
	uint8_t win[WINDOW];
	int k = tables_of(raw, n, off), i;
	uint32_t v;

	if (!k)
		return false;
	/* A table, skipping empty ones (the last holds the strings). */
	for (i = (int)(seed % (unsigned int)k), seed /= 16;; i = (i + 1) % k) {
		lo = off[i];
		hi = i + 1 < k ? off[i + 1] : n;
		if (hi > lo)
			break;
	}
	if (seed % 2 && hi - lo >= 4) {
		at = lo + (seed / 2 % ((hi - lo) / 4)) * 4;
		memcpy(&v, raw + at, 4);
		v = edge(v, raw, seed / 2 / 4096);
		memcpy(raw + at, &v, 4);
		return true;
	}
	seed /= 2;
	w = hi - lo < WINDOW ? hi - lo : WINDOW;
	at = lo + seed % (hi - lo - w + 1);
	memcpy(win, raw + at, w);
	/* A shorter result leaves the rest of the window as it was. */
	memcpy(raw + at, win, LLVMFuzzerMutate(win, w, w));
	return true;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	static uint8_t raw[RAW_MAX], z[RAW_MAX + RAW_MAX / 1000 + 64];
	uLongf rawlen = sizeof(raw) - 64, zlen = sizeof(z);
	size_t n;

	if (seed % 8 == 0 || size < HEADER || memcmp(data, "FWCA", 4) ||
	    uncompress(raw, &rawlen, data + HEADER, size - HEADER) != Z_OK)
		return LLVMFuzzerMutate(data, size, max_size);
	n = rawlen;
	if (seed % 8 == 1 || !mutate_table(raw, n, seed / 8))
		n = LLVMFuzzerMutate(raw, rawlen, rawlen + 64);
	if (compress2(z, &zlen, raw, n, 1) != Z_OK || HEADER + zlen > max_size)
		return LLVMFuzzerMutate(data, size, max_size);
	put32(data + 8, (uint32_t)n);
	put32(data + 12, (uint32_t)zlen);
	memcpy(data + HEADER, z, zlen);
	return HEADER + zlen;
}

/*
 * Address @a in the tables' own space where it can be: under a root entry
 * that points to a chunk (IPv4 from the root's top, IPv6 below the trie's
 * prefix), or an LPM key's; the other bytes as they came.
 */
static void aim(const struct fwc_tables *t, int family, size_t i, uint8_t *a)
{
	const struct fwc_meta *m = &t->meta;
	const uint32_t *root = t->v4_root;
	uint32_t at = 0, r = (uint32_t)(i * 7919);

	if (family == 6 && !(m->flags & FWC_META_V6_TRIE)) {
		if (m->n_v6)
			memcpy(a, t->v6_keys[i % m->n_v6].addr, 16);
		return;
	}
	if (family == 6) {
		uint8_t pre[16];

		fwc_v6_bytes(m->v6_pre, pre);
		memcpy(a, pre, m->v6_at);
		root = t->v6_root;
		at = m->v6_at;
	}
	for (uint32_t k = 0; k < 4096; k++, r++)
		if (root[r % FWC_TRIE_ROOT_SIZE] & FWC_TRIE_CHUNK)
			break;
	a[at] = (uint8_t)(r >> 8);
	a[at + 1] = (uint8_t)r;
}

/*
 * The key k1 of @p where its protocol class gives it a class of its own
 * (the first one at or after k1 that is not class 0), and k2 likewise.
 */
static void aim_key(const struct fwc_tables *t, struct fwc_packet *p)
{
	const struct fwc_proto_info *pi = &t->pinfo[t->proto[p->proto]];
	uint16_t *key[2] = { &p->k1, &p->k2 };
	uint32_t off[2] = { pi->k1_off, pi->k2_off };
	uint32_t mask[2] = { pi->k1_mask, pi->k2_mask };

	for (int k = 0; k < 2; k++)
		for (uint32_t x = *key[k], n = 0; mask[k] && n < 1024; n++, x++)
			if (t->l4[off[k] + (x & mask[k])]) {
				*key[k] = (uint16_t)(x & mask[k]);
				break;
			}
}

/*
 * Packets down every path: IPv4 and IPv6, each kind of protocol class,
 * addresses aimed at the tables or not, keys from the input. A rule id
 * past the rules would be a hole in the checks.
 */
static void classify(const struct fwc_tables *t, const uint8_t *data,
		     size_t size)
{
	static const uint8_t protos[] = { 6, 17, 1, 58, 132, 0, 47, 255 };
	struct fwc_packet p;
	uint32_t s, d, v, id;

	for (size_t i = 0; i < 4 * sizeof(protos); i++) {
		memset(&p, 0, sizeof(p));
		p.family = i % 2 ? 6 : 4;
		p.proto = protos[i / 4];
		for (int k = 0; k < 16; k++) {
			p.src[k] = data[(i * 37 + k) % size];
			p.dst[k] = data[(i * 53 + k + 7) % size];
		}
		if (i % 4 >= 2) {
			aim(t, p.family, i, p.src);
			aim(t, p.family, i + 1, p.dst);
		}
		p.k1 = (uint16_t)(data[i % size] * 257u + i);
		p.k2 = (uint16_t)(i * 4099);
		if (i % 4 >= 2)
			aim_key(t, &p);
		id = fwc_tables_classify(t, &p);
		fwc_tables_classes(t, &p, &s, &d, &v);
		if (id > t->meta.n_rules)
			__builtin_trap();
		(void)fwc_tables_action(t, id);
		(void)strlen(t->rule_meta[id].text);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct fwc_tables *t;

	if (!null)
		null = fopen("/dev/null", "w");
	if (fwc_artifact_parse("fuzz.fwca", data, size, null, &t))
		return 0;
	classify(t, data, size);
	fwc_tables_free(t);
	return 0;
}
