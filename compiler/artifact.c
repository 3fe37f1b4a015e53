// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The compiled artifact: "FWCA", a format version, the raw and compressed
 * sizes, then zlib of the tables in a fixed order (level 6: level 9 took
 * 5 s on the 95 MB of tables of 100k rules to save 6 %). Nothing in it
 * depends on time or memory layout, so the same policy gives the same
 * bytes. Integers are little-endian.
 *
 * The reader trusts nothing in the file: each count is checked against
 * the bytes left before anything is allocated or read for it, the header
 * against the file and what zlib gives, and the tables read against
 * themselves (fwc_tables_validate) before anyone uses them. Any of that
 * wrong is "ARTIFACT: corrupt artifact: <what>" and no tables.
 */
#include <errno.h>
#include <stdarg.h>
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
	char why[160]; /* reading: the first thing found short */
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

/* Marks @b short, keeping the first reason. */
__attribute__((format(printf, 2, 3))) static void fail(struct buf *b,
						       const char *fmt, ...)
{
	va_list ap;

	if (!b->bad) {
		va_start(ap, fmt);
		vsnprintf(b->why, sizeof(b->why), fmt, ap);
		va_end(ap);
	}
	b->bad = true;
}

/*
 * Room for @count entries of @size bytes of table @what (@count: the meta
 * counts named @counts, or NULL) in what is left of @b? (@count may be a
 * product of two counts: divided, not multiplied, it cannot overflow.)
 */
static bool room(struct buf *b, const char *what, const char *counts,
		 uint64_t count, uint64_t size)
{
	size_t left = b->n - b->off;

	if (b->bad)
		return false;
	if (count <= left / size)
		return true;
	fail(b, "%s: %s%s%llu entries of %llu bytes, %zu bytes left", what,
	     counts ? counts : "", counts ? " = " : "",
	     (unsigned long long)count, (unsigned long long)size, left);
	return false;
}

static void get(struct buf *b, void *p, size_t n)
{
	if (b->bad || n > b->n - b->off) {
		fail(b, "tables end %zu bytes early", n - (b->n - b->off));
		memset(p, 0, n);
		return;
	}
	memcpy(p, b->p + b->off, n);
	b->off += n;
}

static uint32_t le32(const uint8_t *le)
{
	return (uint32_t)le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 |
	       (uint32_t)le[3] << 24;
}

static uint32_t get_u32(struct buf *b)
{
	uint8_t le[4];

	get(b, le, 4);
	return le32(le);
}

/*
 * Table @what of @count entries of @size bytes (u32s), read into a new
 * array; NULL, @b marked bad, when what is left cannot hold it.
 */
static void *get_u32s(struct buf *b, uint64_t count, size_t size,
		      const char *what, const char *counts)
{
	uint32_t *v;
	size_t n;

	if (!room(b, what, counts, count, size))
		return NULL;
	n = (size_t)count * size / 4;
	v = xcalloc(n, 4);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(v, b->p + b->off, 4 * n);
#else
	for (size_t i = 0; i < n; i++)
		v[i] = le32(b->p + b->off + 4 * i);
#endif
	b->off += 4 * n;
	return v;
}

static char *get_str(struct buf *b, const char *what)
{
	uint32_t n = get_u32(b);
	char *s;

	if (!n || !room(b, what, "length", n, 1))
		return NULL;
	s = xcalloc(n, 1);
	get(b, s, n);
	s[n - 1] = '\0';
	return s;
}

/* The tables in serialise()'s order; stops at the first shortfall. */
static void deserialise(struct buf *b, struct fwc_tables *t)
{
	struct fwc_meta *m = &t->meta;
	uint32_t *w = (uint32_t *)m, *proto;

	if (room(b, "meta", NULL, 1, sizeof(*m)))
		for (size_t i = 0; i < sizeof(*m) / 4; i++)
			w[i] = get_u32(b);
	t->v4_root = get_u32s(b, FWC_TRIE_ROOT_SIZE, 4, "v4_root", NULL);
	if (m->flags & FWC_META_V6_TRIE)
		t->v6_root =
			get_u32s(b, FWC_TRIE_ROOT_SIZE, 4, "v6_root", NULL);
	t->chunks = get_u32s(b, (uint64_t)m->n_chunks * FWC_TRIE_CHUNK_SIZE, 4,
			     "chunks", "n_chunks * 256");
	t->v6_ranges = get_u32s(b, m->n_v6_ranges, sizeof(*t->v6_ranges),
				"v6_range", "n_v6_ranges");
	if (room(b, "v6_lpm", "n_v6", m->n_v6, 20)) {
		t->v6_keys = xcalloc(m->n_v6, sizeof(*t->v6_keys));
		for (uint32_t i = 0; i < m->n_v6; i++) {
			t->v6_keys[i].prefixlen = get_u32(b);
			get(b, t->v6_keys[i].addr, 16);
		}
	}
	t->v6_vals = get_u32s(b, m->n_v6, 4, "v6_lpm classes", "n_v6");
	t->addr = get_u32s(b, m->n_addr, sizeof(*t->addr), "addr_class",
			   "n_addr");
	t->pair = get_u32s(b, (uint64_t)m->n_src * m->n_dst, 4, "pair",
			   "n_src * n_dst");
	proto = get_u32s(b, FWC_PROTO_SIZE, 4, "proto", NULL);
	if (proto)
		memcpy(t->proto, proto, sizeof(t->proto));
	free(proto);
	t->pinfo = get_u32s(b, m->n_pc, sizeof(*t->pinfo), "pinfo", "n_pc");
	t->l4 = get_u32s(b, m->n_l4, 4, "l4", "n_l4");
	t->svc = get_u32s(b, m->n_svc_map, 4, "svc", "n_svc_map");
	t->decision = get_u32s(b, (uint64_t)m->n_rows * m->n_svc, 4, "decision",
			       "n_rows * n_svc");
	t->rules = get_u32s(b, (uint64_t)m->n_rules + 1, sizeof(*t->rules),
			    "rules", "n_rules + 1");
	/* Each rule's id, line and two string lengths at least. */
	if (!room(b, "rule_meta", "n_rules + 1", (uint64_t)m->n_rules + 1, 16))
		return;
	t->rule_meta = xcalloc((size_t)m->n_rules + 1, sizeof(*t->rule_meta));
	for (uint32_t i = 0; i <= m->n_rules && !b->bad; i++) {
		t->rule_meta[i].id = get_u32(b);
		t->rule_meta[i].line = get_u32(b);
		t->rule_meta[i].label = get_str(b, "rule label");
		t->rule_meta[i].text = get_str(b, "rule text");
	}
	t->source = get_str(b, "policy name");
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

/* Deflate inflates at most 1032:1; more than that is not zlib's doing. */
#define MAX_RATIO 1032u
#define MAX_RAW (1u << 31)

int fwc_artifact_parse(const char *name, const void *data, size_t len,
		       FILE *err, struct fwc_tables **out)
{
	struct buf in = { .p = (uint8_t *)data, .n = len }, raw = { 0 };
	struct fwc_tables *t = NULL;
	uint32_t format, rawlen, zlen, abi;
	char why[sizeof(raw.why)] = "";
	uLongf dlen;
	uLong slen;
	int rc = -EINVAL, z;

	*out = NULL;
	if (!err)
		err = stderr;
	if (len < 4 || memcmp(data, MAGIC, 4)) {
		snprintf(why, sizeof(why), "no %s magic", MAGIC);
		goto out;
	}
	if (len < HEADER) {
		snprintf(why, sizeof(why), "header: %zu bytes of %d", len,
			 HEADER);
		goto out;
	}
	in.off = 4;
	format = get_u32(&in);
	rawlen = get_u32(&in);
	zlen = get_u32(&in);
	if (format != FORMAT) {
		snprintf(why, sizeof(why), "format %u, this fwc reads %d",
			 format, FORMAT);
		goto out;
	}
	if (zlen != len - HEADER) {
		snprintf(why, sizeof(why),
			 "header: %u compressed bytes, the file has %zu", zlen,
			 len - HEADER);
		goto out;
	}
	if (rawlen > MAX_RAW || rawlen > (uint64_t)zlen * MAX_RATIO + 64) {
		snprintf(why, sizeof(why),
			 "header: %u bytes of tables from %u compressed bytes",
			 rawlen, zlen);
		goto out;
	}
	raw.p = xcalloc(rawlen, 1);
	raw.n = rawlen;
	dlen = rawlen;
	slen = zlen;
	z = uncompress2(raw.p, &dlen, in.p + HEADER, &slen);
	if (z == Z_BUF_ERROR)
		snprintf(why, sizeof(why),
			 "tables: more than the header's %u "
			 "bytes",
			 rawlen);
	else if (z != Z_OK)
		snprintf(why, sizeof(why), "zlib: %s", zError(z));
	else if (dlen != rawlen)
		snprintf(why, sizeof(why),
			 "tables: %lu bytes, the header "
			 "says %u",
			 (unsigned long)dlen, rawlen);
	else if (slen != zlen)
		snprintf(why, sizeof(why), "%lu bytes after the zlib stream",
			 (unsigned long)(zlen - slen));
	if (why[0])
		goto out;
	/* The tables start with struct fwc_meta, abi_version first. */
	abi = get_u32(&raw);
	raw.off = 0;
	if (!raw.bad && abi != FWC_ABI_VERSION) {
		fprintf(err,
			"%s: error: artifact has tables of ABI %u, this fwc "
			"reads ABI %u: compile the policy again\n",
			name, abi, FWC_ABI_VERSION);
		rc = -EPROTO;
		goto out;
	}
	raw.bad = false;
	t = xcalloc(1, sizeof(*t));
	deserialise(&raw, t);
	if (raw.bad)
		snprintf(why, sizeof(why), "%s", raw.why);
	else if (raw.off != raw.n)
		snprintf(why, sizeof(why), "%zu bytes after the last table",
			 raw.n - raw.off);
	else if (fwc_tables_validate(t, why, sizeof(why)) == 0)
		rc = 0;
	if (rc)
		goto out;
	*out = t;
	t = NULL;
out:
	if (rc == -EINVAL)
		fprintf(err, "%s: corrupt artifact: %s\n", name, why);
	fwc_tables_free(t);
	free(raw.p);
	return rc;
}

int fwc_artifact_read(const char *path, struct fwc_tables **out)
{
	size_t len;
	char *text;
	int err = fwc_read_file(path, &text, &len);

	*out = NULL;
	if (err) {
		fprintf(stderr, "%s: error: cannot read artifact: %s\n", path,
			strerror(-err));
		return err;
	}
	err = fwc_artifact_parse(path, text, len, NULL, out);
	free(text);
	return err;
}
