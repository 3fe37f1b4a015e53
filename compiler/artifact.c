// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The compiled artifact: "FWCA", a format version, the raw and compressed
 * sizes, then zlib of the tables in a fixed order (level 6: level 9 took
 * 5 s on the 95 MB of tables of 100k rules to save 6 %): the sections of
 * fwc_table_descs, the maps of include/fwc_maps.h that have one, in its
 * order, written and read by that one table; then the policy's name and
 * hash. Nothing in it
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
/* 2: ABI 6's rpc_ifaces section (include/fwc_maps.h), after the rules;
 * 3: ABI 7's groups, gmap, slots and glist sections after it;
 * 4: ABI 8's gmap of one struct fwc_gclass per class, no gmask. */
#define FORMAT 4
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

/* Where a table of kind @art at @off of @t starts: in @t, or the array
 * @t points to. */
static const void *table_at(const struct fwc_tables *t, size_t off,
			    enum fwc_art art)
{
	const void *p = (const char *)t + off;

	if (art != FWC_ART_HEAD && art != FWC_ART_INLINE)
		memcpy(&p, p, sizeof(p));
	return p;
}

/*
 * The tables in the order of fwc_table_descs (the list of maps), then the
 * policy's name and hash; deserialise() reads them by the same table.
 */
static void serialise(const struct fwc_tables *t, struct buf *b)
{
	const struct fwc_meta *m = &t->meta;

	for (size_t i = 0; i < fwc_n_table_descs; i++) {
		const struct fwc_table_desc *d = &fwc_table_descs[i];
		const void *p = table_at(t, d->off, d->art);
		uint64_t n = d->entries(m);

		switch (d->art) {
		case FWC_ART_LPM: {
			const struct fwc_v6_key *k = p;

			for (uint64_t j = 0; j < n; j++) {
				put_u32(b, k[j].prefixlen);
				put(b, k[j].addr, 16);
			}
			put_u32s(b, table_at(t, d->off2, d->art), n);
			break;
		}
		case FWC_ART_RULES: {
			const struct fwc_rule_meta *r = p;

			for (uint64_t j = 0; j < n; j++) {
				put_u32(b, r[j].id);
				put_u32(b, r[j].line);
				put_str(b, r[j].label);
				put_str(b, r[j].text);
			}
			break;
		}
		default:
			put_u32s(b, p, n * d->size / 4);
			break;
		}
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

/* A table of kind ARRAY, OPTIONAL or LPM: the array read for it. */
static void set_table(struct fwc_tables *t, size_t off, void *p)
{
	memcpy((char *)t + off, &p, sizeof(p));
}

/*
 * The tables in serialise()'s order, by fwc_table_descs: each count from
 * the meta read first; stops at the first shortfall.
 */
static void deserialise(struct buf *b, struct fwc_tables *t)
{
	struct fwc_meta *m = &t->meta;

	for (size_t i = 0; i < fwc_n_table_descs; i++) {
		const struct fwc_table_desc *d = &fwc_table_descs[i];
		uint64_t n = d->entries(m);
		char what[64];
		void *v;

		switch (d->art) {
		case FWC_ART_HEAD:
			if (room(b, d->name, NULL, 1, d->size))
				for (size_t j = 0; j < d->size / 4; j++)
					((uint32_t *)m)[j] = get_u32(b);
			break;
		case FWC_ART_INLINE:
			v = get_u32s(b, n, d->size, d->name, d->counts);
			if (v)
				memcpy((char *)t + d->off, v, n * d->size);
			free(v);
			break;
		case FWC_ART_OPTIONAL:
			if (!n)
				break;
			/* fall through */
		case FWC_ART_ARRAY:
			set_table(t, d->off,
				  get_u32s(b, n, d->size, d->name, d->counts));
			break;
		case FWC_ART_LPM:
			if (room(b, d->name, d->counts, n, d->key_size)) {
				struct fwc_v6_key *k = xcalloc(n, sizeof(*k));

				for (uint64_t j = 0; j < n; j++) {
					k[j].prefixlen = get_u32(b);
					get(b, k[j].addr, 16);
				}
				set_table(t, d->off, k);
			}
			snprintf(what, sizeof(what), "%s classes", d->name);
			set_table(t, d->off2,
				  get_u32s(b, n, d->size, what, d->counts));
			break;
		case FWC_ART_RULES: {
			struct fwc_rule_meta *r;

			/* Each rule's id, line and two string lengths at least. */
			if (!room(b, d->name, d->counts, n, 16))
				return;
			r = xcalloc(n, sizeof(*r));
			set_table(t, d->off, r);
			for (uint64_t j = 0; j < n && !b->bad; j++) {
				r[j].id = get_u32(b);
				r[j].line = get_u32(b);
				r[j].label = get_str(b, "rule label");
				r[j].text = get_str(b, "rule text");
			}
			break;
		}
		}
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
