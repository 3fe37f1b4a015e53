// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The compiled artifact: "FWCA", a format version, the raw and compressed
 * sizes, then zlib of the tables in a fixed order (level 6: level 9 took
 * 5 s on the 95 MB of tables of 100k rules to save 6 %). Nothing in it
 * depends on time or memory layout, so the same policy gives the same
 * bytes. Integers are little-endian.
 */
#include <errno.h>
#include <string.h>
#include <zlib.h>

#include "compile.h"
#include "util.h"

#define MAGIC "FWCA"
#define FORMAT 1
#define HEADER 16

struct buf {
	uint8_t *p;
	size_t n, cap, off;
	bool bad;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = xrealloc(b->p, b->cap, 1);
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void put_u32(struct buf *b, uint32_t v)
{
	uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			  (uint8_t)(v >> 24) };

	put(b, le, 4);
}

static void put_u32s(struct buf *b, const uint32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_u32(b, v[i]);
}

static void put_str(struct buf *b, const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) + 1 : 0;

	put_u32(b, n);
	put(b, s, n);
}

static void serialise(const struct fwc_tables *t, struct buf *b)
{
	const struct fwc_meta *m = &t->meta;

	put_u32s(b, (const uint32_t *)m, sizeof(*m) / 4);
	put_u32s(b, t->v4_root, FWC_TRIE_ROOT_SIZE);
	if (m->flags & FWC_META_V6_TRIE)
		put_u32s(b, t->v6_root, FWC_TRIE_ROOT_SIZE);
	put_u32s(b, t->chunks, (size_t)m->n_chunks * FWC_TRIE_CHUNK_SIZE);
	put_u32s(b, (const uint32_t *)t->v6_ranges,
		 (size_t)m->n_v6_ranges * sizeof(*t->v6_ranges) / 4);
	for (uint32_t i = 0; i < m->n_v6; i++) {
		put_u32(b, t->v6_keys[i].prefixlen);
		put(b, t->v6_keys[i].addr, 16);
	}
	put_u32s(b, t->v6_vals, m->n_v6);
	put_u32s(b, (const uint32_t *)t->addr, (size_t)m->n_addr * 2);
	put_u32s(b, t->pair, (size_t)m->n_src * m->n_dst);
	put_u32s(b, t->proto, FWC_PROTO_SIZE);
	put_u32s(b, (const uint32_t *)t->pinfo,
		 (size_t)m->n_pc * sizeof(*t->pinfo) / 4);
	put_u32s(b, t->l4, m->n_l4);
	put_u32s(b, t->svc, m->n_svc_map);
	put_u32s(b, t->decision, (size_t)m->n_rows * m->n_svc);
	put_u32s(b, (const uint32_t *)t->rules, (size_t)(m->n_rules + 1) * 2);
	for (uint32_t i = 0; i <= m->n_rules; i++) {
		put_u32(b, t->rule_meta[i].id);
		put_u32(b, t->rule_meta[i].line);
		put_str(b, t->rule_meta[i].label);
		put_str(b, t->rule_meta[i].text);
	}
	put_str(b, t->source);
	put(b, t->source_sha256, 32);
}

int fwc_artifact_write(const struct fwc_tables *t, const char *path)
{
	return fwc_artifact_write_level(t, path, 6);
}

int fwc_artifact_write_level(const struct fwc_tables *t, const char *path,
			     int level)
{
	struct buf raw = { 0 }, out = { 0 };
	uLongf zlen;
	FILE *f;
	int err = 0;

	serialise(t, &raw);
	zlen = compressBound(raw.n);
	out.p = xcalloc(HEADER + zlen, 1);
	if (compress2(out.p + HEADER, &zlen, raw.p, raw.n, level) != Z_OK) {
		err = -EIO;
		goto out;
	}
	out.n = 0;
	out.cap = HEADER + zlen;
	put(&out, MAGIC, 4);
	put_u32(&out, FORMAT);
	put_u32(&out, (uint32_t)raw.n);
	put_u32(&out, (uint32_t)zlen);
	f = fopen(path, "wb");
	if (!f) {
		err = -errno;
		goto out;
	}
	if (fwrite(out.p, 1, HEADER + zlen, f) != HEADER + zlen)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
out:
	free(raw.p);
	free(out.p);
	return err;
}

static void get(struct buf *b, void *p, size_t n)
{
	if (b->bad || n > b->n - b->off) {
		b->bad = true;
		memset(p, 0, n);
		return;
	}
	memcpy(p, b->p + b->off, n);
	b->off += n;
}

static uint32_t get_u32(struct buf *b)
{
	uint8_t le[4];

	get(b, le, 4);
	return (uint32_t)le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 |
	       (uint32_t)le[3] << 24;
}

/* Reads @n u32s into a new array; refuses counts the data cannot hold. */
static void *get_u32s(struct buf *b, size_t n)
{
	uint32_t *v;

	if (b->bad || n > (b->n - b->off) / 4) {
		b->bad = true;
		return xcalloc(1, 4);
	}
	v = xcalloc(n, 4);
	for (size_t i = 0; i < n; i++)
		v[i] = get_u32(b);
	return v;
}

static char *get_str(struct buf *b)
{
	uint32_t n = get_u32(b);
	char *s;

	if (!n || b->bad)
		return NULL;
	if (n > b->n - b->off) {
		b->bad = true;
		return NULL;
	}
	s = xcalloc(n, 1);
	get(b, s, n);
	s[n - 1] = '\0';
	return s;
}

static void deserialise(struct buf *b, struct fwc_tables *t)
{
	struct fwc_meta *m = &t->meta;
	uint32_t *meta = get_u32s(b, sizeof(*m) / 4), *root;

	memcpy(m, meta, b->bad ? 0 : sizeof(*m));
	free(meta);
	root = get_u32s(b, FWC_TRIE_ROOT_SIZE);
	t->v4_root = root;
	if (m->flags & FWC_META_V6_TRIE)
		t->v6_root = get_u32s(b, FWC_TRIE_ROOT_SIZE);
	t->chunks = get_u32s(b, (size_t)m->n_chunks * FWC_TRIE_CHUNK_SIZE);
	t->v6_ranges =
		get_u32s(b, (size_t)m->n_v6_ranges * sizeof(*t->v6_ranges) / 4);
	t->v6_keys = xcalloc(b->bad || m->n_v6 > b->n ? 1 : m->n_v6,
			     sizeof(*t->v6_keys));
	for (uint32_t i = 0; i < m->n_v6 && !b->bad; i++) {
		t->v6_keys[i].prefixlen = get_u32(b);
		get(b, t->v6_keys[i].addr, 16);
	}
	t->v6_vals = get_u32s(b, m->n_v6);
	t->addr = get_u32s(b, (size_t)m->n_addr * 2);
	t->pair = get_u32s(b, (size_t)m->n_src * m->n_dst);
	{
		uint32_t *proto = get_u32s(b, FWC_PROTO_SIZE);

		memcpy(t->proto, proto, b->bad ? 0 : sizeof(t->proto));
		free(proto);
	}
	t->pinfo = get_u32s(b, (size_t)m->n_pc * sizeof(*t->pinfo) / 4);
	t->l4 = get_u32s(b, m->n_l4);
	t->svc = get_u32s(b, m->n_svc_map);
	t->decision = get_u32s(b, (size_t)m->n_rows * m->n_svc);
	t->rules = get_u32s(b, ((size_t)m->n_rules + 1) * 2);
	if (b->bad || m->n_rules > b->n) {
		b->bad = true;
		m->n_rules = 0;
		return;
	}
	t->rule_meta = xcalloc((size_t)m->n_rules + 1, sizeof(*t->rule_meta));
	for (uint32_t i = 0; i <= m->n_rules && !b->bad; i++) {
		t->rule_meta[i].id = get_u32(b);
		t->rule_meta[i].line = get_u32(b);
		t->rule_meta[i].label = get_str(b);
		t->rule_meta[i].text = get_str(b);
	}
	t->source = get_str(b);
	get(b, t->source_sha256, 32);
}

bool fwc_artifact_probe(const char *path)
{
	char magic[4];
	FILE *f = fopen(path, "rb");
	bool yes;

	if (!f)
		return false;
	yes = fread(magic, 1, 4, f) == 4 && !memcmp(magic, MAGIC, 4);
	fclose(f);
	return yes;
}

/*
 * A trie walk from @e at @level (1: root) of @levels must end on a leaf
 * within the tables: a class, a chunk of the pool, a range leaf only in
 * IPv6, no chunk past the last byte. @seen marks each chunk's levels
 * checked, per family, so shared or looping chunks cost one visit each.
 */
static bool trie_walk_ok(const struct fwc_tables *t, uint32_t e, int level,
			 int levels, bool v6, uint32_t *seen)
{
	const struct fwc_meta *m = &t->meta;
	uint32_t bit = 1u << (v6 ? level : level + 15);
	uint32_t c;

	if (!(e & FWC_TRIE_CHUNK)) {
		if (!(e & FWC_TRIE_RANGE))
			return e < m->n_addr;
		e &= ~FWC_TRIE_RANGE;
		return v6 && e < m->n_v6_ranges &&
		       t->v6_ranges[e].in < m->n_addr &&
		       t->v6_ranges[e].out < m->n_addr;
	}
	c = e & ~FWC_TRIE_CHUNK;
	if (level >= levels || c >= m->n_chunks)
		return false;
	if (seen[c] & bit)
		return true;
	seen[c] |= bit;
	for (uint32_t i = 0; i < FWC_TRIE_CHUNK_SIZE; i++)
		if (!trie_walk_ok(
			    t, t->chunks[(size_t)c * FWC_TRIE_CHUNK_SIZE + i],
			    level + 1, levels, v6, seen))
			return false;
	return true;
}

/* Both tries: IPv4 in at most 3 levels, IPv6 in 15 - v6_at. */
static bool tries_ok(const struct fwc_tables *t)
{
	const struct fwc_meta *m = &t->meta;
	uint32_t *seen = xcalloc(m->n_chunks ? m->n_chunks : 1, sizeof(*seen));
	bool ok = true;

	for (uint32_t i = 0; ok && i < FWC_TRIE_ROOT_SIZE; i++)
		ok = trie_walk_ok(t, t->v4_root[i], 1, 3, false, seen);
	if (m->flags & FWC_META_V6_TRIE) {
		ok = ok && m->v6_at <= 14 && m->v6_outside < m->n_addr;
		for (uint32_t i = 0; ok && i < FWC_TRIE_ROOT_SIZE; i++)
			ok = trie_walk_ok(t, t->v6_root[i], 1,
					  15 - (int)m->v6_at, true, seen);
	}
	free(seen);
	return ok;
}

/* Every index the classifier follows must stay inside its table. */
static bool tables_consistent(const struct fwc_tables *t)
{
	const struct fwc_meta *m = &t->meta;

	if (m->abi_version != FWC_ABI_VERSION || m->n_src == 0 ||
	    m->n_dst == 0 || m->n_svc == 0 || m->n_addr == 0 || m->n_pc == 0)
		return false;
	if (!tries_ok(t))
		return false;
	for (uint32_t i = 0; i < m->n_v6; i++)
		if (t->v6_vals[i] >= m->n_addr || t->v6_keys[i].prefixlen > 128)
			return false;
	for (uint32_t i = 0; i < m->n_addr; i++)
		if (t->addr[i].src >= m->n_src || t->addr[i].dst >= m->n_dst)
			return false;
	for (size_t i = 0; i < (size_t)m->n_src * m->n_dst; i++)
		if (t->pair[i] >= m->n_rows)
			return false;
	for (uint32_t i = 0; i < FWC_PROTO_SIZE; i++)
		if (t->proto[i] >= m->n_pc)
			return false;
	for (uint32_t i = 0; i < m->n_pc; i++) {
		const struct fwc_proto_info *p = &t->pinfo[i];

		if ((uint64_t)p->k1_off + p->k1_mask >= m->n_l4 ||
		    (uint64_t)p->k2_off + p->k2_mask >= m->n_l4 || !p->n2)
			return false;
	}
	for (uint32_t i = 0; i < m->n_l4; i++)
		if (t->l4[i] > 0xffff)
			return false;
	for (uint32_t i = 0; i < m->n_svc_map; i++)
		if (t->svc[i] >= m->n_svc)
			return false;
	for (size_t i = 0; i < (size_t)m->n_rows * m->n_svc; i++)
		if (t->decision[i] > m->n_rules)
			return false;
	return true;
}

int fwc_artifact_read(const char *path, struct fwc_tables **out)
{
	struct buf in = { 0 }, raw = { 0 };
	struct fwc_tables *t = NULL;
	uLongf rawlen;
	uint32_t abi;
	size_t len;
	char *text;
	int err = fwc_read_file(path, &text, &len);

	*out = NULL;
	if (err)
		return err;
	in.p = (uint8_t *)text;
	in.n = len;
	err = -EINVAL;
	if (len < HEADER || memcmp(text, MAGIC, 4))
		goto out;
	in.off = 4;
	if (get_u32(&in) != FORMAT)
		goto out;
	rawlen = get_u32(&in);
	if (get_u32(&in) != len - HEADER || rawlen > (1u << 31))
		goto out;
	raw.p = xcalloc(rawlen ? rawlen : 1, 1);
	raw.n = rawlen;
	if (uncompress(raw.p, &rawlen, in.p + HEADER, len - HEADER) != Z_OK ||
	    rawlen != raw.n)
		goto out;
	/* The tables start with struct fwc_meta, abi_version first. */
	abi = get_u32(&raw);
	raw.off = 0;
	if (!raw.bad && abi != FWC_ABI_VERSION) {
		fprintf(stderr,
			"%s: error: artifact has tables of ABI %u, this fwc "
			"reads ABI %u: compile the policy again\n",
			path, abi, FWC_ABI_VERSION);
		err = -EPROTO;
		goto out;
	}
	t = xcalloc(1, sizeof(*t));
	deserialise(&raw, t);
	if (raw.bad || raw.off != raw.n || !tables_consistent(t))
		goto out;
	*out = t;
	t = NULL;
	err = 0;
out:
	if (err == -EINVAL)
		fprintf(stderr, "%s: error: not a valid fwc artifact\n", path);
	fwc_tables_free(t);
	free(text);
	free(raw.p);
	return err;
}
