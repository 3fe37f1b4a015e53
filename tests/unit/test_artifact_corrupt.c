// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Corrupt artifacts: every count, offset and index the reader takes from
 * the file is checked against what it read before anything uses it. A bad
 * one is refused with "ARTIFACT: corrupt artifact: <what>" and no tables;
 * nothing reads or writes out of bounds (make asan-unit runs these too).
 *
 * The tables are edited in the decompressed stream (the counts of the
 * meta, a truncated section) or in the compiled tables before writing them
 * (an index, an offset), then compressed again with a right header.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <zlib.h>

#include "helpers.h"

/* Policies of each layout: IPv4 trie, IPv6 trie with range leaves, LPM. */
#define POL_V4                                                            \
	"zone lan = { 192.0.2.0/24 }\n"                                   \
	"zone srv = { 198.51.100.10, 198.51.100.20 }\n"                   \
	"allow lan -> srv proto tcp port { 22, 80, 443 } label \"web\"\n" \
	"allow lan -> srv proto udp port 53 from-port 53\n"               \
	"deny log any -> srv proto icmp type echo-request\n"
#define POL_V6_TRIE                                            \
	"zone a = { 2001:db8::5, 2001:db8:1::7, 192.0.2.7 }\n" \
	"zone b = { 2001:db8:2::/48 }\n"                       \
	"allow a -> b proto tcp port 22\n"                     \
	"allow b -> a proto icmp6 type echo-request\n"
#define POL_V6_LPM                                        \
	"zone a = { 2001:db8::/64, 2001:db8:5::/48 }\n"   \
	"zone b = { 2001:db8:1::1, 192.0.2.0/24 }\n"      \
	"allow a -> b proto tcp port 80 label \"http\"\n" \
	"allow b -> a proto udp port 1000-2000\n"
/* rpc rules (docs/rpc-pinholes.md): interfaces, bounds, a deny between. */
#define POL_RPC                                                          \
	"zone clients = { 192.0.2.128/25 }\n"                            \
	"zone dcs = { 198.51.100.53 }\n"                                 \
	"allow clients -> dcs rpc { samr, netlogon } port 49152-65535\n" \
	"deny clients -> dcs rpc any\n"                                  \
	"allow dcs -> dcs rpc { any, 12345778-1234-abcd-ef00-0123456789ab }\n"

/* Overlapping rules: decision rows with several rules (grouped layout). */
#define POL_GROUP                                                         \
	"zone lan = { 192.0.2.0/24 }\n"                                   \
	"zone srv = { 198.51.100.10, 198.51.100.20 }\n"                   \
	"zone dmz = { 203.0.113.0/24, 2001:db8:9::/48 }\n"                \
	"allow lan -> srv proto tcp port { 22, 80, 443 } label \"web\"\n" \
	"allow lan -> srv proto udp port 53 from-port 53\n"               \
	"deny log any -> srv proto icmp type echo-request\n"              \
	"allow dmz -> srv proto tcp port 1-1024\n"                        \
	"deny any -> any proto tcp port 80\n"                             \
	"allow dmz -> lan proto udp port 1000-2000\n"

/* The format compiler/artifact.c writes (4: ABI 8's gmap rows). */
#define FORMAT 4

static struct compiled compile_layout(const char *text,
				      enum fwc_v6_layout layout)
{
	struct fwc_compile_opts opts = { .warnings = false,
					 .v6_layout = layout };
	struct compiled c = compile_text_opts(text, opts);

	if (c.err)
		fail_msg("%s", c.diag);
	return c;
}

/* The decompressed tables of an artifact. */
struct raw {
	uint8_t *p;
	size_t n;
};

static char *tmp_path(void)
{
	char *path = strdup("/tmp/fwc-corrupt-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	return path;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	char *text;

	assert_int_equal(fwc_read_file(path, &text, n), 0);
	return (uint8_t *)text;
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* @t as fwc_artifact_write() writes it, decompressed. */
static struct raw raw_of(const struct fwc_tables *t)
{
	char *path = tmp_path();
	struct raw r;
	size_t n;
	uint8_t *file;
	uLongf len;

	assert_int_equal(fwc_artifact_write(t, path), 0);
	file = slurp(path, &n);
	unlink(path);
	free(path);
	assert_true(n > 16);
	r.n = get32(file + 8);
	r.p = malloc(r.n + 64);
	len = r.n;
	assert_int_equal(uncompress(r.p, &len, file + 16, n - 16), Z_OK);
	assert_int_equal(len, r.n);
	free(file);
	return r;
}

/* @r compressed again behind a right header. */
static uint8_t *file_of(const struct raw *r, size_t *n)
{
	uLongf zlen = compressBound(r->n);
	uint8_t *f = malloc(16 + zlen);

	assert_int_equal(compress2(f + 16, &zlen, r->p, r->n, 1), Z_OK);
	memcpy(f, "FWCA", 4);
	le32(f + 4, FORMAT);
	le32(f + 8, (uint32_t)r->n);
	le32(f + 12, (uint32_t)zlen);
	*n = 16 + zlen;
	return f;
}

/*
 * fwc_artifact_read() of @file: its return, what it printed, and the
 * tables (NULL unless it returned 0; the caller frees them).
 */
static int read_bytes(const uint8_t *file, size_t n, char **msg,
		      struct fwc_tables **t, char **pathp)
{
	char *path = tmp_path(), *errpath = tmp_path();
	int fd = open(path, O_WRONLY | O_TRUNC), saved, efd, err;
	size_t len;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, file, n), (ssize_t)n);
	close(fd);
	fflush(stderr);
	saved = dup(2);
	efd = open(errpath, O_WRONLY | O_TRUNC);
	assert_true(saved >= 0 && efd >= 0);
	dup2(efd, 2);
	close(efd);
	*t = (struct fwc_tables *)1;
	err = fwc_artifact_read(path, t);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	*msg = (char *)slurp(errpath, &len);
	unlink(path);
	unlink(errpath);
	free(errpath);
	if (pathp)
		*pathp = path;
	else
		free(path);
	return err;
}

/*
 * The reader must refuse @file with "PATH: corrupt artifact: " and a
 * reason containing @why (when not NULL), and hand back no tables.
 */
static void expect_refused(const uint8_t *file, size_t n, const char *why)
{
	struct fwc_tables *t;
	char *msg, *path, want[128];
	int err = read_bytes(file, n, &msg, &t, &path);

	snprintf(want, sizeof(want), "%s: corrupt artifact: ", path);
	if (err != -EINVAL || t || !strstr(msg, want) ||
	    (why && !strstr(msg, why)))
		fail_msg("want refusal '%s%s', got %d, tables %p, '%s'", want,
			 why ? why : "...", err, (void *)t, msg);
	/* One line, with a reason. */
	assert_true(strlen(msg) > strlen(want) + 1);
	assert_true(strchr(msg, '\n') == msg + strlen(msg) - 1);
	free(msg);
	free(path);
}

static void expect_raw_refused(const struct raw *r, const char *why)
{
	size_t n;
	uint8_t *f = file_of(r, &n);

	expect_refused(f, n, why);
	free(f);
}

/* @t written by fwc_artifact_write() must be refused. */
static void expect_tables_refused(const struct fwc_tables *t, const char *why)
{
	struct raw r = raw_of(t);

	expect_raw_refused(&r, why);
	free(r.p);
}

/* And a good one read back whole, printing nothing. */
static void expect_raw_accepted(const struct raw *r)
{
	struct fwc_tables *t;
	size_t n;
	uint8_t *f = file_of(r, &n);
	char *msg;

	assert_int_equal(read_bytes(f, n, &msg, &t, NULL), 0);
	assert_non_null(t);
	assert_string_equal(msg, "");
	fwc_tables_free(t);
	free(msg);
	free(f);
}

/* Where each table starts in the stream (the order of serialise()). */
enum sect {
	S_META,
	S_V4_ROOT,
	S_V6_ROOT,
	S_CHUNKS,
	S_RANGES,
	S_V6_KEYS,
	S_V6_VALS,
	S_ADDR,
	S_PAIR,
	S_PROTO,
	S_PINFO,
	S_L4,
	S_SVC,
	S_DECISION,
	S_RULES,
	S_RPC,
	S_GROUPS,
	S_GMAP,
	S_SLOTS,
	S_GLIST,
	S_RULE_META,
	S_N
};

static void sections(const struct fwc_meta *m, size_t off[S_N])
{
	size_t len[S_RULE_META] = {
		[S_META] = sizeof(*m),
		[S_V4_ROOT] = FWC_TRIE_ROOT_SIZE * 4,
		[S_V6_ROOT] = m->flags & FWC_META_V6_TRIE ?
				      FWC_TRIE_ROOT_SIZE * 4 :
				      0,
		[S_CHUNKS] = (size_t)m->n_chunks * FWC_TRIE_CHUNK_SIZE * 4,
		[S_RANGES] =
			(size_t)m->n_v6_ranges * sizeof(struct fwc_v6_range),
		[S_V6_KEYS] = (size_t)m->n_v6 * 20,
		[S_V6_VALS] = (size_t)m->n_v6 * 4,
		[S_ADDR] = (size_t)m->n_addr * 8,
		[S_PAIR] = m->n_groups ? (size_t)m->n_pair * 4 :
					 (size_t)m->n_src * m->n_dst * 4,
		[S_PROTO] = FWC_PROTO_SIZE * 4,
		[S_PINFO] = (size_t)m->n_pc * sizeof(struct fwc_proto_info),
		[S_L4] = (size_t)m->n_l4 * 4,
		[S_SVC] = (size_t)m->n_svc_map * 4,
		[S_DECISION] = m->n_groups ? (size_t)m->n_dec * 4 :
					     (size_t)m->n_rows * m->n_svc * 4,
		[S_RULES] =
			((size_t)m->n_rules + 1) * sizeof(struct fwc_rule_info),
		[S_RPC] = (size_t)m->n_rpc * sizeof(struct fwc_rpc_iface),
		[S_GROUPS] = (size_t)m->n_groups * sizeof(struct fwc_group),
		[S_GMAP] = (size_t)m->n_gmap * sizeof(struct fwc_gclass),
		[S_SLOTS] = (size_t)m->n_slots * sizeof(struct fwc_slot),
		[S_GLIST] = (size_t)m->n_glist * sizeof(struct fwc_gentry),
	};

	off[0] = 0;
	for (int s = 1; s < S_N; s++)
		off[s] = off[s - 1] + len[s - 1];
}

#define META_OFF(field) offsetof(struct fwc_meta, field)

static const struct {
	size_t off;
	const char *name;
} counts[] = {
	{ META_OFF(n_rules), "n_rules" },
	{ META_OFF(n_src), "n_src" },
	{ META_OFF(n_dst), "n_dst" },
	{ META_OFF(n_svc), "n_svc" },
	{ META_OFF(n_rows), "n_rows" },
	{ META_OFF(n_addr), "n_addr" },
	{ META_OFF(n_chunks), "n_chunks" },
	{ META_OFF(n_v6), "n_v6" },
	{ META_OFF(n_pc), "n_pc" },
	{ META_OFF(n_l4), "n_l4" },
	{ META_OFF(n_svc_map), "n_svc_map" },
	{ META_OFF(n_v6_ranges), "n_v6_ranges" },
	{ META_OFF(n_rpc), "n_rpc" },
	{ META_OFF(n_groups), "n_groups" },
	{ META_OFF(n_gmap), "n_gmap" },
	{ META_OFF(n_slots), "n_slots" },
	{ META_OFF(n_glist), "n_glist" },
	{ META_OFF(n_pair), "n_pair" },
	{ META_OFF(n_dec), "n_dec" },
};

/* The round trip through raw_of() and file_of() is faithful. */
static void test_good_artifacts_accepted(void **state)
{
	static const struct {
		const char *text;
		enum fwc_v6_layout layout;
	} pols[] = { { POL_V4, FWC_V6_AUTO },
		     { POL_V6_TRIE, FWC_V6_TRIE },
		     { POL_V6_LPM, FWC_V6_LPM },
		     { POL_RPC, FWC_V6_AUTO },
		     { "allow any -> any proto tcp port 22\n", FWC_V6_AUTO } };

	(void)state;
	for (size_t i = 0; i < sizeof(pols) / sizeof(pols[0]); i++) {
		struct compiled c =
			compile_layout(pols[i].text, pols[i].layout);
		struct raw r = raw_of(c.t);

		expect_raw_accepted(&r);
		free(r.p);
		compiled_free(&c);
	}
}

/*
 * n_v6 larger than the data: the reader wrote IPv6 keys past a one-entry
 * allocation (ASan: heap-buffer-overflow WRITE in compiler/artifact.c).
 */
static void test_n_v6_beyond_data(void **state)
{
	struct compiled c = compile_layout(POL_V6_LPM, FWC_V6_LPM);
	struct raw r = raw_of(c.t);
	uint32_t big[] = { UINT32_MAX, (uint32_t)r.n + 1, (uint32_t)r.n / 20,
			   c.t->meta.n_v6 + 1 };

	(void)state;
	assert_true(c.t->meta.n_v6 > 0);
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		le32(r.p + META_OFF(n_v6), big[i]);
		/* One more: the rest read 24 bytes late, refused later. */
		expect_raw_refused(&r, i < 3 ? "v6_lpm: n_v6 = " : NULL);
	}
	free(r.p);
	compiled_free(&c);
}

/*
 * A protocol class's svc_base (or n2) past the service map: accepted
 * before, and the table classifier read beyond t->svc.
 */
static void test_svc_base_beyond_map(void **state)
{
	struct compiled c = compile_layout(POL_V4, FWC_V6_AUTO);
	struct fwc_tables *t = c.t;
	uint32_t pc = t->proto[6], keep;

	(void)state;
	assert_true(t->pinfo[pc].n2 >= 1);
	keep = t->pinfo[pc].svc_base;
	t->pinfo[pc].svc_base = 0x7fffffff;
	expect_tables_refused(t, "svc_base");
	t->pinfo[pc].svc_base = t->meta.n_svc_map;
	expect_tables_refused(t, "svc_base");
	/* The last row of this class would end past the map. */
	t->pinfo[pc].svc_base = t->meta.n_svc_map - 1;
	expect_tables_refused(t, "svc_base");
	t->pinfo[pc].svc_base = keep;
	keep = t->pinfo[pc].n2;
	t->pinfo[pc].n2 = 0x10000;
	expect_tables_refused(t, NULL);
	t->pinfo[pc].n2 = 0;
	expect_tables_refused(t, "n2");
	t->pinfo[pc].n2 = keep;
	/* Sound again: read back. */
	{
		struct raw r = raw_of(t);

		expect_raw_accepted(&r);
		free(r.p);
	}
	compiled_free(&c);
}

/* fwc stats --json writes labels as they are: they must be UTF-8. */
static void test_label_not_utf8(void **state)
{
	struct compiled c = compile_layout(POL_V4, FWC_V6_AUTO);
	struct fwc_tables *t = c.t;
	char *keep = t->rule_meta[1].label, bad[] = "web\xff\"}";

	(void)state;
	assert_non_null(keep);
	t->rule_meta[1].label = bad;
	expect_tables_refused(t, "not UTF-8");
	t->rule_meta[1].label = keep;
	keep = t->rule_meta[2].text;
	t->rule_meta[2].text = (char *)"allow \xed\xa0\x80"; /* a surrogate */
	expect_tables_refused(t, "not UTF-8");
	t->rule_meta[2].text = keep;
	compiled_free(&c);
}

/*
 * Each count of @t's meta, too large, off by one, zero or huge. In the
 * grouped layout the service classes and rows size no table: the groups'
 * checks look at them (test_grouped_*); the address classes size gmap.
 */
static void meta_counts(const struct fwc_tables *t, bool grouped)
{
	struct raw r = raw_of(t);

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		uint8_t *at = r.p + counts[i].off;
		uint32_t v = get32(at), tries[] = {
			UINT32_MAX, 0x80000000u, 0x40000001u,	(uint32_t)r.n,
			v + 1,	    v + 2,	 v ? v - 1 : 7,
		};

		if (grouped && (counts[i].off == META_OFF(n_svc) ||
				counts[i].off == META_OFF(n_rows)))
			continue;

		for (size_t k = 0; k < sizeof(tries) / sizeof(tries[0]); k++) {
			le32(at, tries[k]);
			expect_raw_refused(&r, NULL);
		}
		le32(at, v);
	}
	expect_raw_accepted(&r);
	free(r.p);
}

static void test_meta_counts(void **state)
{
	static const struct {
		const char *text;
		enum fwc_v6_layout layout;
	} pols[] = { { POL_V4, FWC_V6_AUTO },
		     { POL_V6_TRIE, FWC_V6_TRIE },
		     { POL_V6_LPM, FWC_V6_LPM },
		     { POL_RPC, FWC_V6_AUTO } };

	(void)state;
	for (size_t p = 0; p < sizeof(pols) / sizeof(pols[0]); p++) {
		struct compiled c =
			compile_layout(pols[p].text, pols[p].layout);

		meta_counts(c.t, false);
		compiled_free(&c);
	}
}

/* Trie entries: a leaf past the classes, a chunk past the pool. */
static void test_trie_indexes(void **state)
{
	struct compiled c = compile_layout(POL_V6_TRIE, FWC_V6_TRIE);
	struct fwc_tables *t = c.t;
	uint32_t keep, *e;

	(void)state;
	assert_true(t->meta.flags & FWC_META_V6_TRIE);
	assert_true(t->meta.n_v6_ranges > 0);
	/* A leaf past the classes, in each root. */
	keep = t->v4_root[0];
	t->v4_root[0] = t->meta.n_addr;
	expect_tables_refused(t, "v4_root");
	t->v4_root[0] = keep;
	keep = t->v6_root[9];
	t->v6_root[9] = t->meta.n_addr + 5;
	expect_tables_refused(t, "v6_root");
	/* A chunk pointer past the pool, from a root and from a chunk. */
	t->v6_root[9] = FWC_TRIE_CHUNK | t->meta.n_chunks;
	expect_tables_refused(t, "chunk");
	t->v6_root[9] = FWC_TRIE_CHUNK | 0x7fffffff;
	expect_tables_refused(t, "chunk");
	t->v6_root[9] = keep;
	assert_true(t->meta.n_chunks > 0);
	e = &t->chunks[3];
	keep = *e;
	*e = FWC_TRIE_CHUNK | (t->meta.n_chunks + 1);
	expect_tables_refused(t, "chunk");
	/* A range leaf past the ranges. */
	*e = FWC_TRIE_RANGE | t->meta.n_v6_ranges;
	expect_tables_refused(t, "range");
	*e = keep;
	/* A range leaf whose classes are past the classes. */
	keep = t->v6_ranges[0].out;
	t->v6_ranges[0].out = t->meta.n_addr;
	expect_tables_refused(t, "range");
	t->v6_ranges[0].out = keep;
	/* v6_at past the address, v6_outside past the classes. */
	keep = t->meta.v6_at;
	t->meta.v6_at = 15;
	expect_tables_refused(t, "v6_at");
	t->meta.v6_at = keep;
	keep = t->meta.v6_outside;
	t->meta.v6_outside = t->meta.n_addr;
	expect_tables_refused(t, "v6_outside");
	t->meta.v6_outside = keep;
	{
		struct raw r = raw_of(t);

		expect_raw_accepted(&r);
		free(r.p);
	}
	compiled_free(&c);
}

/* The IPv6 LPM prefixes: lengths, classes, order. */
static void test_v6_keys(void **state)
{
	struct compiled c = compile_layout(POL_V6_LPM, FWC_V6_LPM);
	struct fwc_tables *t = c.t;
	struct fwc_v6_key k0;
	uint32_t keep;

	(void)state;
	assert_true(t->meta.n_v6 >= 2);
	keep = t->v6_keys[0].prefixlen;
	t->v6_keys[0].prefixlen = 129;
	expect_tables_refused(t, "v6_lpm");
	t->v6_keys[0].prefixlen = keep;
	keep = t->v6_vals[1];
	t->v6_vals[1] = t->meta.n_addr;
	expect_tables_refused(t, "v6_lpm");
	t->v6_vals[1] = keep;
	/* Out of order: the binary search would miss. */
	k0 = t->v6_keys[0];
	t->v6_keys[0] = t->v6_keys[1];
	t->v6_keys[1] = k0;
	expect_tables_refused(t, "v6_lpm");
	t->v6_keys[1] = t->v6_keys[0];
	t->v6_keys[0] = k0;
	{
		struct raw r = raw_of(t);

		expect_raw_accepted(&r);
		free(r.p);
	}
	compiled_free(&c);
}

/* Classes, rows, protocol classes, l4 keys, services, decisions, rules. */
static void test_class_indexes(void **state)
{
	struct compiled c = compile_layout(POL_V4, FWC_V6_AUTO);
	struct fwc_tables *t = c.t;
	const struct fwc_meta *m = &t->meta;
	uint32_t pc = t->proto[6], keep;
	char *text;

#define TRY(lvalue, bad, why)                    \
	do {                                     \
		keep = (lvalue);                 \
		(lvalue) = (bad);                \
		expect_tables_refused(t, (why)); \
		(lvalue) = keep;                 \
	} while (0)

	(void)state;
	TRY(t->addr[1].src, m->n_src, "addr_class");
	TRY(t->addr[0].dst, m->n_dst, "addr_class");
	TRY(t->pair[0], m->n_rows, "pair");
	TRY(t->proto[255], m->n_pc, "proto");
	TRY(t->proto[6], UINT32_MAX, "proto");
	TRY(t->pinfo[pc].k1_off, m->n_l4, "k1");
	TRY(t->pinfo[pc].k1_off, UINT32_MAX, "k1");
	TRY(t->pinfo[pc].k2_off, m->n_l4 - t->pinfo[pc].k2_mask, "k2");
	TRY(t->pinfo[pc].k1_mask, 0x1ffff, "k1");
	TRY(t->pinfo[pc].k2_mask, UINT32_MAX, "k2");
	TRY(t->l4[t->pinfo[pc].k1_off + 22], 0x10000, "l4");
	/* A c2 class past n2 would read the next row's services. */
	pc = t->proto[17];
	assert_true(t->pinfo[pc].n2 > 1);
	TRY(t->l4[t->pinfo[pc].k2_off + 7], t->pinfo[pc].n2, "n2");
	TRY(t->svc[0], m->n_svc, "svc");
	TRY(t->decision[0], m->n_rules + 1, "decision");
	TRY(t->rules[1].action, 7, "rule 1");
	TRY(t->rules[0].action, !m->default_act, "rule 0");
	TRY(t->meta.default_act, 2, "default");
	TRY(t->rule_meta[2].id, 5, "rule 2");
#undef TRY
	/* A rule with no text. */
	text = t->rule_meta[1].text;
	t->rule_meta[1].text = NULL;
	expect_tables_refused(t, "rule 1");
	t->rule_meta[1].text = text;
	{
		struct raw r = raw_of(t);

		expect_raw_accepted(&r);
		free(r.p);
	}
	compiled_free(&c);
}

/*
 * The rpc rules' runs of rpc_ifaces and the entries themselves: the
 * datapath reads rpc_ifaces[rpc_first + j] for j < rpc_n, and only an
 * allow rule may open pinholes.
 */
static void test_rpc(void **state)
{
	struct compiled c = compile_layout(POL_RPC, FWC_V6_AUTO);
	struct fwc_tables *t = c.t;
	struct fwc_rule_info *r1 = &t->rules[1], *r3 = &t->rules[3];
	struct fwc_rpc_iface *e, *big;
	uint32_t keep, n;

#define TRY(lvalue, bad, why)                    \
	do {                                     \
		keep = (lvalue);                 \
		(lvalue) = (bad);                \
		expect_tables_refused(t, (why)); \
		(lvalue) = keep;                 \
	} while (0)

	(void)state;
	assert_int_equal(t->meta.n_rpc, 4);
	assert_true(t->meta.flags & FWC_META_RPC);
	assert_int_equal(r1->flags, FWC_RULE_RPC);
	assert_int_equal(r1->rpc_n, 2);
	assert_int_equal(t->rules[2].flags, 0);
	assert_int_equal(r3->rpc_first, 2);
	/* A run past the table, by its length or its start, and overflow. */
	TRY(r3->rpc_n, 3, "rule 3: rpc_ifaces[2..4], n_rpc 4");
	TRY(r3->rpc_first, 3, "rule 3: rpc_ifaces[3..4], n_rpc 4");
	TRY(r3->rpc_first, UINT32_MAX - 1, "rule 3: rpc_ifaces[");
	TRY(r3->rpc_first, UINT32_MAX, "rule 3: rpc_ifaces[");
	TRY(r1->rpc_n, UINT32_MAX, "rule 1: rpc_n");
	TRY(r1->rpc_n, FWC_RPC_PER_RULE + 1, "rule 1: rpc_n 65, expected 1-64");
	TRY(r1->rpc_n, 0, "rule 1: rpc_n 0");
	/* Runs out of rule order, overlapping, or leaving entries unowned. */
	TRY(r3->rpc_first, 0,
	    "rule 3: rpc_first 0, the rules before it end "
	    "at 2");
	TRY(r1->rpc_first, 2, "rule 1: rpc_first 2");
	TRY(r1->rpc_n, 1, "rule 3: rpc_first 2, the rules before it end at 1");
	/* The flag without a run, a run without the flag. */
	TRY(r1->flags, 0, "rule 1: rpc_first 0, rpc_n 2 without FWC_RULE_RPC");
	TRY(t->rules[2].rpc_n, 1, "rule 2: rpc_first 0, rpc_n 1 without");
	TRY(t->rules[2].rpc_first, 7, "without FWC_RULE_RPC");
	/* A deny rule, or the default rule, opening pinholes. */
	TRY(r1->action, FWC_ACT_DENY,
	    "rule 1: an rpc rule that is not an "
	    "allow rule");
	TRY(t->rules[0].flags, FWC_RULE_RPC, "rule 0: an rpc rule");
	/* Flag bits nobody knows. */
	TRY(r1->flags, FWC_RULE_RPC | 0x10, "rule 1: unknown flags 0x10");
	TRY(t->rules[2].flags, 1u << 31, "rule 2: unknown flags 0x80000000");
	/* The meta's flag and count agree. */
	TRY(t->meta.flags, t->meta.flags & ~FWC_META_RPC,
	    "meta: n_rpc 4 without FWC_META_RPC");
	/* The entries: bounds, flags, one form each. */
	e = &t->rpc_ifaces[1];
	TRY(e->port_lo, 0, "rpc_ifaces[1]: ports 0-65535");
	TRY(e->port_hi, 49151, "rpc_ifaces[1]: ports 49152-49151");
	keep = e->port_hi;
	e->port_lo = 100;
	e->port_hi = 99;
	expect_tables_refused(t, "rpc_ifaces[1]: ports 100-99");
	e->port_lo = 49152;
	e->port_hi = (uint16_t)keep;
	TRY(e->flags, 4, "rpc_ifaces[1]: unknown flags 0x4");
	TRY(e->flags, 0x8000, "rpc_ifaces[1]: unknown flags 0x8000");
	e = &t->rpc_ifaces[2];
	assert_int_equal(e->flags, FWC_RPC_ANY);
	TRY(e->uuid[5], 1, "rpc_ifaces[2]: FWC_RPC_ANY with a UUID");
	TRY(e->major, 1, "rpc_ifaces[2]: FWC_RPC_ANY with");
	TRY(e->flags, FWC_RPC_ANY | FWC_RPC_ANY_VERSION,
	    "rpc_ifaces[2]: FWC_RPC_ANY with");
	e = &t->rpc_ifaces[0];
	TRY(e->flags, FWC_RPC_ANY_VERSION,
	    "rpc_ifaces[0]: FWC_RPC_ANY_VERSION with major 1");
#undef TRY
	{
		struct raw r = raw_of(t);

		expect_raw_accepted(&r);
		free(r.p);
	}
	/* More entries than FWC_RPC_PER_RULE for each rule. */
	n = t->meta.n_rules * FWC_RPC_PER_RULE + 1;
	big = calloc(n, sizeof(*big));
	memcpy(big, t->rpc_ifaces, t->meta.n_rpc * sizeof(*big));
	free(t->rpc_ifaces);
	t->rpc_ifaces = big;
	keep = t->meta.n_rpc;
	t->meta.n_rpc = n;
	expect_tables_refused(t, "meta: n_rpc 193, more than 64 per rule of 3");
	t->meta.n_rpc = n - 1;
	expect_tables_refused(t, "rpc_ifaces: 192 entries, the rules own 4");
	t->meta.n_rpc = keep;
	compiled_free(&c);
	/* FWC_META_RPC in a policy without rpc rules. */
	c = compile_layout(POL_V4, FWC_V6_AUTO);
	c.t->meta.flags |= FWC_META_RPC;
	expect_tables_refused(c.t, "meta: n_rpc 0 with FWC_META_RPC");
	compiled_free(&c);
}

/* @t cut anywhere, or with bytes after the last table: refused. */
static void cuts(const struct fwc_tables *t)
{
	struct raw r = raw_of(t), cut;
	size_t off[S_N];

	sections(&t->meta, off);
	assert_true(off[S_RULE_META] < r.n);
	for (int s = 0; s < S_N; s++) {
		size_t at[] = { off[s], off[s] + 1, off[s] + 7 };

		for (size_t k = 0; k < 3; k++) {
			if (at[k] >= r.n)
				continue;
			cut.p = r.p;
			cut.n = at[k];
			expect_raw_refused(&cut, NULL);
		}
	}
	cut.p = r.p;
	cut.n = r.n - 1;
	expect_raw_refused(&cut, NULL);
	cut.n = r.n - 32;
	expect_raw_refused(&cut, NULL);
	/* Bytes after the end of the tables. */
	memset(r.p + r.n, 0, 8);
	cut.n = r.n + 4;
	expect_raw_refused(&cut, NULL);
	/* A string length past the end (the source name's). */
	{
		size_t src = r.n - 32 - 4 - strlen(t->source) - 1;

		assert_int_equal(get32(r.p + src), strlen(t->source) + 1);
		le32(r.p + src, 0x7fffffff);
		expect_raw_refused(&r, NULL);
		le32(r.p + src, 0);
		expect_raw_refused(&r, NULL);
		le32(r.p + src, (uint32_t)strlen(t->source) + 1);
	}
	expect_raw_accepted(&r);
	free(r.p);
}

static void test_truncated_and_trailing(void **state)
{
	struct compiled c = compile_layout(POL_V6_TRIE POL_RPC, FWC_V6_TRIE);
	size_t off[S_N];

	(void)state;
	sections(&c.t->meta, off);
	assert_true(off[S_RPC] < off[S_GROUPS]);
	/* No groups, no group sections. */
	assert_true(off[S_GLIST] == off[S_GROUPS] &&
		    off[S_RULE_META] == off[S_GROUPS]);
	cuts(c.t);
	compiled_free(&c);
}

/* The file's header and its zlib stream. */
static void test_header(void **state)
{
	struct compiled c = compile_layout(POL_V4, FWC_V6_AUTO);
	struct raw r = raw_of(c.t);
	size_t n;
	uint8_t *f = file_of(&r, &n), *g = malloc(n + 16);

	(void)state;
	/* Raw size wrong, either way, or beyond what zlib can inflate to. */
	memcpy(g, f, n);
	le32(g + 8, (uint32_t)r.n + 1);
	expect_refused(g, n, NULL);
	le32(g + 8, (uint32_t)r.n - 1);
	expect_refused(g, n, NULL);
	le32(g + 8, 0x80000000u);
	expect_refused(g, n, NULL);
	le32(g + 8, UINT32_MAX);
	expect_refused(g, n, NULL);
	/* Compressed size not the file's. */
	memcpy(g, f, n);
	le32(g + 12, (uint32_t)(n - 16) + 1);
	expect_refused(g, n, NULL);
	/* Another format, newer or older (before ABI 8's gmap rows). */
	memcpy(g, f, n);
	le32(g + 4, FORMAT + 1);
	expect_refused(g, n, "format");
	le32(g + 4, FORMAT - 1);
	expect_refused(g, n, "format 3, this fwc reads 4");
	/* A short header, a broken stream, bytes after the stream. */
	expect_refused(f, 12, NULL);
	memcpy(g, f, n);
	memset(g + 16 + (n - 16) / 2, 0xa5, 8);
	expect_refused(g, n, NULL);
	memcpy(g, f, n);
	memset(g + n, 0, 16);
	le32(g + 12, (uint32_t)(n - 16) + 16);
	expect_refused(g, n + 16, NULL);
	free(g);
	free(f);
	free(r.p);
	compiled_free(&c);
}

/*
 * Random byte flips in @t's tables: each one refused with the message, or
 * read and classified (@pkts) without a fault (ASan/UBSan watch that).
 */
static void flips(const struct fwc_tables *tab, const char *const *pkts,
		  size_t n_pkts)
{
	struct raw r = raw_of(tab);
	uint8_t *orig = malloc(r.n);
	unsigned int seed = 12345, accepted = 0;

	memcpy(orig, r.p, r.n);
	for (int i = 0; i < 300; i++) {
		struct fwc_tables *t;
		size_t n;
		uint8_t *f;
		char *msg;
		int err, flips = 1 + rand_r(&seed) % 4;

		for (int k = 0; k < flips; k++) {
			size_t at = (size_t)rand_r(&seed) % r.n;

			/* Most flips where the counts and indexes are. */
			if (k == 0 && i % 2)
				at = (size_t)rand_r(&seed) % 128;
			r.p[at] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
		}
		f = file_of(&r, &n);
		err = read_bytes(f, n, &msg, &t, NULL);
		if (err == -EPROTO) {
			/* The ABI version flipped: said as such. */
			assert_null(t);
			assert_non_null(strstr(msg, "tables of ABI"));
		} else if (err) {
			assert_int_equal(err, -EINVAL);
			assert_null(t);
			assert_non_null(strstr(msg, ": corrupt artifact: "));
		} else {
			accepted++;
			for (size_t p = 0; p < n_pkts; p++) {
				struct fwc_packet pkt;
				char e[128];
				size_t col;
				uint32_t id;

				assert_int_equal(fwc_packet_parse(pkts[p], &pkt,
								  e, sizeof(e),
								  &col),
						 0);
				id = fwc_tables_classify(t, &pkt);
				assert_true(id <= t->meta.n_rules);
				(void)fwc_tables_action(t, id);
			}
			fwc_tables_free(t);
		}
		free(msg);
		free(f);
		memcpy(r.p, orig, r.n);
	}
	/* Flips in trie leaves or padding stay valid: some must pass. */
	assert_true(accepted > 0);
	free(orig);
	free(r.p);
}

static void test_random_flips(void **state)
{
	static const char *const pkts[] = {
		"tcp 192.0.2.5:40000 -> 198.51.100.10:443",
		"udp 192.0.2.5:53 -> 198.51.100.20:53",
		"icmp 192.0.2.9 -> 198.51.100.10 type echo-request",
		"tcp [2001:db8::5]:1 -> [2001:db8:2::9]:22",
		"icmp6 2001:db8:2::1 -> 2001:db8:1::7 type echo-request",
	};
	struct compiled c =
		compile_layout(POL_V6_TRIE POL_V4 POL_RPC, FWC_V6_TRIE);

	(void)state;
	flips(c.t, pkts, sizeof(pkts) / sizeof(pkts[0]));
	compiled_free(&c);
}

/*
 * ABI 7's grouped layout, built by hand from the single layout of a
 * compiled policy (the compiler's groups are tested elsewhere): one LISTS
 * or SPARSE group over the same classes (identity class maps), the
 * decision row of each pair turned into a list of boxes (struct
 * fwc_gentry), one per run of keys of a protocol that a rule of the row
 * decides; or (the _rows variants) into a list of one entry naming that
 * row (FWC_GENTRY_ROW), the way the compiler writes a long list. The
 * single layout's decision rows stay, every group's (n_svc, n_rows and
 * dec_off 0 as the table's).
 */
/*
 * gmap: every global class its own class in each of @n_groups groups,
 * and in all of them (true of these groups, whose classes are the
 * table's and decide pairs of any class, class 0 too; a clear mask bit
 * only skips a group, see test_grouped_gmask).
 */
static struct fwc_gclass *identity_gmap(const struct fwc_meta *m,
					uint32_t n_groups)
{
	struct fwc_gclass *gmap =
		calloc((size_t)m->n_src + m->n_dst, sizeof(*gmap));

	for (uint32_t i = 0; i < m->n_src + m->n_dst; i++) {
		gmap[i].mask = (1u << n_groups) - 1;
		for (uint32_t k = 0; k < n_groups; k++)
			gmap[i].cls[k] = i < m->n_src ? i : i - m->n_src;
	}
	return gmap;
}

static struct fwc_group one_group(const struct fwc_meta *m, uint32_t kind)
{
	return (struct fwc_group){
		.kind = kind,
		.min_rule = 1,
		.n_src = m->n_src,
		.n_dst = m->n_dst,
		.n_svc = m->n_svc,
		.n_rows = m->n_rows,
	};
}

/* Runs of equal l4 classes of keys l4[off .. off + mask]: their bounds. */
static size_t key_runs(const struct fwc_tables *t, uint32_t off, uint32_t mask,
		       uint32_t lo[], uint32_t hi[], uint32_t cls[])
{
	size_t n = 0;

	for (uint32_t k = 0; k <= mask; k++) {
		if (n && t->l4[off + k] == cls[n - 1]) {
			hi[n - 1] = k;
			continue;
		}
		lo[n] = hi[n] = k;
		cls[n++] = t->l4[off + k];
	}
	/* A single class: every key (the readers mask k, the boxes not). */
	if (n == 1)
		hi[0] = 65535;
	return n;
}

/*
 * glist: the empty list at 0 (fwc_tables_validate), then for each
 * decision row the boxes its rules decide in rule order and a rule 0;
 * @list_off and @list_n the row's offset and boxes.
 */
static void build_glist(struct fwc_tables *t, uint32_t *list_off,
			uint32_t *list_n)
{
	static uint32_t lo1[65536], hi1[65536], c1[65536];
	static uint32_t lo2[65536], hi2[65536], c2[65536];
	const struct fwc_meta *m = &t->meta;
	struct fwc_gentry *all = calloc(64, sizeof(*all));
	size_t n = 1, cap = 64;

	for (uint32_t r = 0; r < m->n_rows; r++) {
		size_t first = n;

		for (uint32_t p = 0; p < FWC_PROTO_SIZE; p++) {
			const struct fwc_proto_info *pi =
				&t->pinfo[t->proto[p]];
			size_t n1 = key_runs(t, pi->k1_off, pi->k1_mask, lo1,
					     hi1, c1);
			size_t n2 = key_runs(t, pi->k2_off, pi->k2_mask, lo2,
					     hi2, c2);

			for (size_t a = 0; a < n1; a++)
				for (size_t b = 0; b < n2; b++) {
					uint32_t v =
						t->svc[pi->svc_base +
						       c1[a] * pi->n2 + c2[b]];
					uint32_t id =
						t->decision[r * m->n_svc + v];
					struct fwc_gentry e = {
						.rule = id,
						.k1_lo = (uint16_t)lo1[a],
						.k1_hi = (uint16_t)hi1[a],
						.k2_lo = (uint16_t)lo2[b],
						.k2_hi = (uint16_t)hi2[b],
						.proto_lo = (uint8_t)p,
						.proto_hi = (uint8_t)p,
					};
					size_t at = n;

					if (!id)
						continue;
					if (n + 2 > cap) {
						cap = cap ? 2 * cap : 64;
						all = realloc(
							all,
							cap * sizeof(*all));
					}
					/* In rule order (boxes disjoint). */
					while (at > first &&
					       all[at - 1].rule > id) {
						all[at] = all[at - 1];
						at--;
					}
					all[at] = e;
					n++;
				}
		}
		list_off[r] = (uint32_t)first;
		list_n[r] = (uint32_t)(n - first);
		assert_true(list_n[r] < FWC_LIST_MAX);
		if (n + 1 > cap) {
			cap = cap ? 2 * cap : 64;
			all = realloc(all, cap * sizeof(*all));
		}
		memset(&all[n++], 0, sizeof(*all)); /* the list's end */
	}
	t->glist = all;
	t->meta.n_glist = (uint32_t)n;
}

/* The lowest rule of glist: the group's min_rule. */
static uint32_t glist_min(const struct fwc_tables *t)
{
	uint32_t min = UINT32_MAX;

	for (uint32_t i = 0; i < t->meta.n_glist; i++)
		if (t->glist[i].rule && t->glist[i].rule < min)
			min = t->glist[i].rule;
	return min;
}

/*
 * The glist of boxes (build_glist) and, with @rows, then one of row
 * entries instead: the empty list at glist[0], then row r's list at
 * glist[1 + 2r], its row and a rule 0. Returns the lowest rule of the
 * boxes.
 */
static uint32_t group_glist(struct fwc_tables *t, bool rows, uint32_t *list_off,
			    uint32_t *list_n)
{
	const struct fwc_meta *m = &t->meta;
	uint32_t min;

	build_glist(t, list_off, list_n);
	min = glist_min(t);
	if (!rows)
		return min;
	free(t->glist);
	t->glist = calloc(1 + 2 * (size_t)m->n_rows, sizeof(*t->glist));
	for (uint32_t r = 0; r < m->n_rows; r++) {
		t->glist[1 + 2 * r] = (struct fwc_gentry){
			.rule = FWC_GENTRY_ROW,
			.k1_lo = (uint16_t)r,
			.k1_hi = (uint16_t)(r >> 16),
		};
		list_off[r] = 1 + 2 * r;
	}
	t->meta.n_glist = 1 + 2 * m->n_rows;
	return min;
}

static void to_lists_as(struct fwc_tables *t, bool rows)
{
	struct fwc_meta *m = &t->meta;
	uint32_t *list_off = calloc(m->n_rows, 4),
		 *list_n = calloc(m->n_rows, 4);

	assert_int_equal(m->n_groups, 0);
	t->groups = calloc(1, sizeof(*t->groups));
	t->groups[0] = one_group(m, FWC_GROUP_LISTS);
	t->groups[0].min_rule = group_glist(t, rows, list_off, list_n);
	for (uint32_t i = 0; i < m->n_src * m->n_dst; i++)
		t->pair[i] = list_off[t->pair[i]];
	t->gmap = identity_gmap(m, 1);
	m->n_groups = 1;
	m->n_gmap = m->n_src + m->n_dst;
	m->n_pair = m->n_src * m->n_dst;
	m->n_dec = m->n_rows * m->n_svc;
	free(list_off);
	free(list_n);
}

static void to_lists(struct fwc_tables *t)
{
	to_lists_as(t, false);
}

static void to_lists_rows(struct fwc_tables *t)
{
	to_lists_as(t, true);
}

/* Slots for the pairs of @pair that decide anything, as the readers probe. */
static bool fill_slots(struct fwc_tables *t, const struct fwc_group *g,
		       const uint32_t *list_off, const uint32_t *list_n)
{
	memset(t->slots, 0, ((size_t)g->mask + 1) * sizeof(*t->slots));
	for (uint32_t s = 0; s < g->n_src; s++)
		for (uint32_t d = 0; d < g->n_dst; d++) {
			uint32_t row = t->pair[s * g->n_dst + d], i;
			uint32_t h = fwc_slot_hash(s, d, g->seed);

			if (!list_n[row])
				continue; /* decides nothing: a miss */
			for (i = 0; i < FWC_PROBE_MAX; i++)
				if (!t->slots[(h + i) & g->mask].src)
					break;
			if (i == FWC_PROBE_MAX)
				return false;
			t->slots[(h + i) & g->mask] = (struct fwc_slot){
				.src = s + 1,
				.dst = d + 1,
				.list = list_off[row],
			};
		}
	return true;
}

static void to_sparse_as(struct fwc_tables *t, bool rows)
{
	struct fwc_meta *m = &t->meta;
	uint32_t *list_off = calloc(m->n_rows, 4),
		 *list_n = calloc(m->n_rows, 4);
	uint32_t size = 8, pairs = 0;
	struct fwc_group *g;

	assert_int_equal(m->n_groups, 0);
	t->groups = calloc(1, sizeof(*t->groups));
	g = t->groups;
	*g = one_group(m, FWC_GROUP_SPARSE);
	g->min_rule = group_glist(t, rows, list_off, list_n);
	for (uint32_t i = 0; i < m->n_src * m->n_dst; i++)
		pairs += list_n[t->pair[i]] > 0;
	while (size < 4 * pairs)
		size *= 2;
	assert_true(pairs > 1);
	g->mask = size - 1;
	t->slots = calloc(size, sizeof(*t->slots));
	while (!fill_slots(t, g, list_off, list_n))
		g->seed++;
	t->gmap = identity_gmap(m, 1);
	m->n_groups = 1;
	m->n_gmap = m->n_src + m->n_dst;
	m->n_slots = size;
	m->n_pair = 0; /* t->pair stays, unused */
	m->n_dec = m->n_rows * m->n_svc;
	free(list_off);
	free(list_n);
}

static void to_sparse(struct fwc_tables *t)
{
	to_sparse_as(t, false);
}

static void to_sparse_rows(struct fwc_tables *t)
{
	to_sparse_as(t, true);
}

static const char *const group_pkts[] = {
	"tcp 192.0.2.5:40000 -> 198.51.100.10:443",
	"tcp 192.0.2.5:40000 -> 198.51.100.10:80",
	"tcp 192.0.2.5:40000 -> 198.51.100.20:8080",
	"udp 192.0.2.5:53 -> 198.51.100.20:53",
	"udp 192.0.2.5:54 -> 198.51.100.20:53",
	"icmp 192.0.2.9 -> 198.51.100.10 type echo-request",
	"icmp 203.0.113.9 -> 198.51.100.10 type echo-request",
	"icmp 203.0.113.9 -> 198.51.100.10 type echo-reply",
	"tcp 203.0.113.7:1 -> 198.51.100.20:80",
	"tcp 203.0.113.7:1 -> 198.51.100.20:1024",
	"tcp 203.0.113.7:1 -> 198.51.100.20:1025",
	"tcp 203.0.113.7:1 -> 192.0.2.1:80",
	"udp 203.0.113.7:1 -> 192.0.2.1:1500",
	"udp 203.0.113.7:1 -> 192.0.2.1:2001",
	"udp [2001:db8:9::1]:1 -> [2001:db8::7]:1500",
	"tcp [2001:db8:9::1]:1 -> [2001:db8::1]:80",
	"tcp 10.0.0.1:5 -> 198.51.100.10:22",
	"tcp 10.0.0.1:5 -> 10.0.0.2:80",
	"sctp 10.0.0.1:5 -> 10.0.0.2:80",
};
#define N_GROUP_PKTS (sizeof(group_pkts) / sizeof(group_pkts[0]))

/* The rule ids fwc_tables_classify() gives @t for group_pkts[]. */
static void classify_all(const struct fwc_tables *t, uint32_t *ids)
{
	for (size_t i = 0; i < N_GROUP_PKTS; i++) {
		struct fwc_packet pkt;
		char e[128];
		size_t col;

		if (fwc_packet_parse(group_pkts[i], &pkt, e, sizeof(e), &col))
			fail_msg("%s: %s", group_pkts[i], e);
		ids[i] = fwc_tables_classify(t, &pkt);
	}
}

/*
 * @c's tables, now grouped, are valid, classify as before (@want) and as
 * the reference classifier does, and read back from an artifact whole,
 * classifying the same again.
 */
static void expect_grouped_same(const struct compiled *c, const uint32_t *want)
{
	struct raw r = raw_of(c->t);
	uint32_t got[N_GROUP_PKTS];
	struct fwc_tables *t;
	char why[256], *msg;
	uint8_t *f;
	size_t n;

	if (fwc_tables_validate(c->t, why, sizeof(why)))
		fail_msg("grouped tables refused: %s", why);
	for (size_t i = 0; i < N_GROUP_PKTS; i++)
		if (classify(c, group_pkts[i]) != want[i])
			fail_msg("%s: rule %u grouped, %u before",
				 group_pkts[i], classify(c, group_pkts[i]),
				 want[i]);
	f = file_of(&r, &n);
	assert_int_equal(read_bytes(f, n, &msg, &t, NULL), 0);
	assert_string_equal(msg, "");
	assert_memory_equal(&t->meta, &c->t->meta, sizeof(t->meta));
	classify_all(t, got);
	assert_memory_equal(got, want, sizeof(got));
	fwc_tables_free(t);
	free(msg);
	free(f);
	free(r.p);
}

/* Refused by fwc_tables_validate() itself, with @why. */
static void expect_invalid(const struct fwc_tables *t, const char *why)
{
	char msg[256];

	assert_int_equal(fwc_tables_validate(t, msg, sizeof(msg)), -EINVAL);
	if (!strstr(msg, why))
		fail_msg("want '%s', got '%s'", why, msg);
}

/* POL_GROUP compiled, and its answers for group_pkts[] in @want. */
static struct compiled compile_group_pol(uint32_t *want)
{
	struct compiled c = compile_layout(POL_GROUP, FWC_V6_AUTO);
	uint32_t hits = 0, misses = 0;

	classify_all(c.t, want);
	for (size_t i = 0; i < N_GROUP_PKTS; i++) {
		hits += want[i] > 1;
		misses += !want[i];
	}
	/* Rules past the first, and the default rule: worth comparing. */
	assert_true(hits >= 4 && misses >= 3);
	return c;
}

#define TRY(lvalue, bad, why)                    \
	do {                                     \
		keep = (lvalue);                 \
		(lvalue) = (bad);                \
		expect_tables_refused(t, (why)); \
		(lvalue) = keep;                 \
	} while (0)

/*
 * One LISTS group whose every list is a row entry (FWC_GENTRY_ROW): valid,
 * the same answers through the decision rows; each field broken, refused.
 */
static void test_grouped_row_entries(void **state)
{
	uint32_t want[N_GROUP_PKTS], got[N_GROUP_PKTS], keep, n_glist, *dec;
	struct compiled c = compile_group_pol(want);
	struct fwc_tables *t = c.t;
	struct fwc_meta *m = &t->meta;
	struct fwc_gentry *e, *glist;
	struct fwc_group *g;
	char msg[160];

	(void)state;
	assert_true(m->n_rules >= 6 && m->n_rows >= 3);
	to_lists_rows(t);
	expect_grouped_same(&c, want);
	g = &t->groups[0];
	assert_int_equal(m->n_glist, 1 + 2 * m->n_rows);
	assert_int_equal(t->glist[0].rule, 0);
	assert_int_equal(t->glist[3].rule, FWC_GENTRY_ROW);
	/* A row past the rows, by either half of the index. */
	e = &t->glist[1 + 2 * (m->n_rows - 1)];
	snprintf(msg, sizeof(msg), "glist[%u]: decision row %u, n_rows %u",
		 1 + 2 * (m->n_rows - 1), m->n_rows, m->n_rows);
	TRY(e->k1_lo, (uint16_t)m->n_rows, msg);
	snprintf(msg, sizeof(msg), "glist[%u]: decision row %u, n_rows %u",
		 1 + 2 * (m->n_rows - 1), (1u << 16) + m->n_rows - 1,
		 m->n_rows);
	TRY(e->k1_hi, 1, msg);
	/* The answers are the rows': with no rule in them, none. */
	dec = malloc((size_t)m->n_dec * sizeof(*dec));
	memcpy(dec, t->decision, (size_t)m->n_dec * sizeof(*dec));
	memset(t->decision, 0, (size_t)m->n_dec * sizeof(*dec));
	classify_all(t, got);
	for (size_t i = 0; i < N_GROUP_PKTS; i++)
		assert_int_equal(got[i], 0);
	memcpy(t->decision, dec, (size_t)m->n_dec * sizeof(*dec));
	free(dec);
	/* Another row is as good: its pairs take that row's answers. */
	e->k1_lo = 0;
	if (fwc_tables_validate(t, msg, sizeof(msg)))
		fail_msg("row 0 refused: %s", msg);
	e->k1_lo = (uint16_t)(m->n_rows - 1);
	expect_grouped_same(&c, want);
	/* Every group's rows are the table's. */
	snprintf(msg, sizeof(msg),
		 "group 0: a LISTS group with n_svc %u, n_rows %u, dec_off 0",
		 m->n_svc + 1, m->n_rows);
	TRY(g->n_svc, m->n_svc + 1, msg);
	TRY(g->n_svc, 0, "a LISTS group with n_svc 0");
	snprintf(msg, sizeof(msg), "a LISTS group with n_svc %u, n_rows %u",
		 m->n_svc, m->n_rows - 1);
	TRY(g->n_rows, m->n_rows - 1, msg);
	TRY(g->n_rows, m->n_rows + 1, "a LISTS group with n_svc");
	TRY(g->dec_off, 1, "dec_off 1 (the table's");
	TRY(g->dec_off, UINT32_MAX, "dec_off 4294967295");
	TRY(m->n_dec, m->n_dec - 1, "n_dec");
	TRY(m->n_svc, m->n_svc + 1, "n_svc");
	TRY(m->n_rows, m->n_rows + 1, "n_rows");
	/* A rule past the rules in a row. */
	TRY(t->decision[m->n_dec - 1], m->n_rules + 1, "decision[");
	/* The group's fields. */
	TRY(g->kind, 0, "group 0: kind 0");
	TRY(g->kind, 3, "group 0: kind 3");
	TRY(g->kind, UINT32_MAX, "group 0: kind");
	TRY(g->min_rule, 0, "group 0: min_rule 0");
	snprintf(msg, sizeof(msg), "group 0: min_rule %u, n_rules %u",
		 m->n_rules + 1, m->n_rules);
	TRY(g->min_rule, m->n_rules + 1, msg);
	TRY(g->n_src, 0, "group 0: n_src 0");
	TRY(g->n_dst, 0, "group 0: n_src");
	/* The pairs past pair, by the offset or the group's classes. */
	TRY(g->pair_off, 1, "group 0: pair[1..");
	TRY(g->pair_off, UINT32_MAX, "group 0: pair[");
	TRY(g->n_dst, m->n_dst + 1, "group 0: pair[0..");
	TRY(m->n_pair, m->n_pair - 1, "n_pair");
	snprintf(msg, sizeof(msg), "pair[1]: list at glist[%u], n_glist %u",
		 m->n_glist, m->n_glist);
	TRY(t->pair[1], m->n_glist, msg);
	/* A class past the group's, or in a group past the groups. */
	TRY(t->gmap[0].cls[0], m->n_src, "gmap[0]: group 0 src class");
	TRY(t->gmap[m->n_src].cls[0], UINT32_MAX, "group 0 dst class");
	TRY(g->n_src, m->n_src - 1, "src class");
	TRY(t->gmap[1].cls[1], 1, "gmap[1]: class 1 in group 1, past 1 groups");
	TRY(t->gmap[m->n_src].cls[FWC_GROUPS_MAX - 1], 1, "past 1 groups");
	/* n_gmap is n_src + n_dst. */
	TRY(m->n_gmap, m->n_gmap - 1, "meta: n_gmap");
	/* Grouped counts without groups, or groups without their table. */
	n_glist = m->n_glist;
	m->n_groups = 0;
	expect_invalid(t, "meta: n_gmap");
	expect_invalid(t, "without groups");
	keep = m->n_gmap;
	m->n_gmap = 0;
	expect_tables_refused(t, "meta: n_glist");
	m->n_glist = 0;
	expect_tables_refused(t, "meta: n_pair");
	m->n_pair = m->n_dec = 0;
	expect_invalid(t, "meta: n_groups 0 with a groups, gmap, slots or "
			  "glist table");
	m->n_slots = 3;
	expect_invalid(t, "meta: n_slots 3 without groups");
	m->n_slots = 0;
	m->n_glist = 1;
	expect_invalid(t, "meta: n_glist 1 without groups");
	m->n_groups = 1;
	m->n_gmap = keep;
	m->n_glist = n_glist;
	m->n_pair = m->n_src * m->n_dst;
	m->n_dec = m->n_rows * m->n_svc;
	expect_grouped_same(&c, want);
	g = t->groups;
	t->groups = NULL;
	expect_invalid(t, "a table its count sizes is missing");
	t->groups = g;
	glist = t->glist;
	t->glist = NULL;
	expect_invalid(t, "a table its count sizes is missing");
	t->glist = glist;
	expect_grouped_same(&c, want);
	compiled_free(&c);
}

/* One SPARSE group of row entries: the same answers; a bad row refused. */
static void test_grouped_sparse_row_entries(void **state)
{
	uint32_t want[N_GROUP_PKTS], keep, at = UINT32_MAX;
	struct compiled c = compile_group_pol(want);
	struct fwc_tables *t = c.t;
	struct fwc_meta *m = &t->meta;
	char msg[128];

	(void)state;
	to_sparse_rows(t);
	expect_grouped_same(&c, want);
	for (uint32_t i = 0; i < m->n_slots && at == UINT32_MAX; i++)
		if (t->slots[i].src)
			at = t->slots[i].list;
	assert_true(at < m->n_glist);
	assert_int_equal(t->glist[at].rule, FWC_GENTRY_ROW);
	snprintf(msg, sizeof(msg), "glist[%u]: decision row %u, n_rows %u", at,
		 m->n_rows, m->n_rows);
	TRY(t->glist[at].k1_lo, (uint16_t)m->n_rows, msg);
	TRY(t->glist[at].k1_hi, 0xffff, "decision row");
	TRY(t->groups[0].n_rows, 0, "a SPARSE group with");
	TRY(m->n_dec, m->n_dec - 1, "n_dec");
	expect_grouped_same(&c, want);
	compiled_free(&c);
}

/* One LISTS group: valid, the same answers; each field broken, refused. */
static void test_grouped_lists(void **state)
{
	uint32_t want[N_GROUP_PKTS], keep, at, n;
	struct compiled c = compile_group_pol(want);
	struct fwc_tables *t = c.t;
	struct fwc_meta *m = &t->meta;
	struct fwc_gentry *e;
	struct fwc_group *g;
	char msg[128];

	(void)state;
	to_lists(t);
	expect_grouped_same(&c, want);
	g = &t->groups[0];
	assert_int_equal(g->min_rule, 1);
	assert_true(m->n_glist > 4 && !t->glist[m->n_glist - 1].rule);
	TRY(g->kind, FWC_GROUP_SPARSE + 1, "group 0: kind 3");
	snprintf(msg, sizeof(msg),
		 "group 0: a LISTS group with n_svc %u, n_rows %u",
		 m->n_svc + 1, m->n_rows);
	TRY(g->n_svc, m->n_svc + 1, msg);
	snprintf(msg, sizeof(msg),
		 "group 0: a LISTS group with n_svc %u, n_rows %u", m->n_svc,
		 m->n_rows + 1);
	TRY(g->n_rows, m->n_rows + 1, msg);
	TRY(g->mask, 1, "group 0: a LISTS group with mask 0x1");
	TRY(g->pair_off, 1, "group 0: pair[1..");
	TRY(m->n_pair, m->n_pair - 1, "group 0: pair[0..");
	/* A list that starts past glist, or runs past it. */
	snprintf(msg, sizeof(msg), "pair[2]: list at glist[%u], n_glist %u",
		 m->n_glist, m->n_glist);
	TRY(t->pair[2], m->n_glist, msg);
	TRY(t->pair[2], UINT32_MAX, "pair[2]: list at glist[4294967295]");
	TRY(t->glist[m->n_glist - 1].rule, 1, "runs past n_glist");
	TRY(m->n_glist, m->n_glist - 1, "without its rule 0");
	/* Entries: rules past the rules, empty boxes. */
	for (at = 0; at < m->n_glist; at++)
		if (t->glist[at].rule && t->glist[at].k1_hi < 65535)
			break;
	assert_true(at < m->n_glist);
	e = &t->glist[at];
	snprintf(msg, sizeof(msg), "glist[%u]: rule %u, n_rules %u", at,
		 m->n_rules + 1, m->n_rules);
	TRY(e->rule, m->n_rules + 1, msg);
	snprintf(msg, sizeof(msg), "glist[%u]: rule %u, an empty box", at,
		 e->rule);
	TRY(e->k1_lo, 65535, msg);
	TRY(e->proto_lo, 255, msg);
	e->k2_lo = 1;
	keep = e->k2_hi;
	e->k2_hi = 0;
	expect_tables_refused(t, msg);
	e->k2_lo = 0;
	e->k2_hi = (uint16_t)keep;
	/* A list of FWC_LIST_MAX boxes needs no rule 0; one less does. */
	n = m->n_glist;
	t->glist = realloc(t->glist, (n + FWC_LIST_MAX) * sizeof(*e));
	for (uint32_t i = 0; i < FWC_LIST_MAX; i++)
		t->glist[n + i] = (struct fwc_gentry){ .rule = m->n_rules,
						       .k1_hi = 65535,
						       .k2_hi = 65535 };
	for (at = 0; at < m->n_src * m->n_dst; at++)
		if (!t->glist[t->pair[at]].rule)
			break; /* a pair with an empty list */
	assert_true(at < m->n_src * m->n_dst);
	keep = t->pair[at];
	t->pair[at] = n;
	m->n_glist = n + FWC_LIST_MAX;
	expect_grouped_same(&c, want);
	t->pair[at] = n + 1;
	snprintf(msg, sizeof(msg),
		 "pair[%u]: list at glist[%u] runs past n_glist %u without "
		 "its rule 0",
		 at, n + 1, n + FWC_LIST_MAX);
	expect_tables_refused(t, msg);
	t->pair[at] = keep;
	m->n_glist = n;
	expect_grouped_same(&c, want);
	/* Up to FWC_GROUPS_MAX groups (each as good as the first). */
	g = calloc(FWC_GROUPS_MAX + 1, sizeof(*g));
	for (uint32_t k = 0; k <= FWC_GROUPS_MAX; k++)
		g[k] = t->groups[0];
	free(t->groups);
	t->groups = g;
	free(t->gmap);
	t->gmap = identity_gmap(m, FWC_GROUPS_MAX);
	m->n_groups = FWC_GROUPS_MAX;
	expect_grouped_same(&c, want);
	m->n_groups = FWC_GROUPS_MAX + 1;
	snprintf(msg, sizeof(msg), "meta: n_groups %u, more than %u",
		 FWC_GROUPS_MAX + 1, FWC_GROUPS_MAX);
	expect_tables_refused(t, msg);
	m->n_groups = UINT32_MAX;
	snprintf(msg, sizeof(msg), "meta: n_groups 4294967295, more than %u",
		 FWC_GROUPS_MAX);
	expect_invalid(t, msg);
	m->n_groups = 1;
	/* Bits and classes of the groups gone: refused. */
	snprintf(msg, sizeof(msg), "gmap[0]: mask 0x%x, past 1 groups",
		 (1u << FWC_GROUPS_MAX) - 1);
	expect_tables_refused(t, msg);
	for (uint32_t i = 0; i < m->n_gmap; i++)
		t->gmap[i].mask = 1;
	expect_tables_refused(t, "gmap[1]: class 1 in group 1, past 1 groups");
	compiled_free(&c);
}

/* One SPARSE group: valid, the same answers; each field broken, refused. */
static void test_grouped_sparse(void **state)
{
	uint32_t want[N_GROUP_PKTS], keep, full = UINT32_MAX,
					   empty = UINT32_MAX;
	struct compiled c = compile_group_pol(want);
	struct fwc_tables *t = c.t;
	struct fwc_meta *m = &t->meta;
	struct fwc_group *g;
	struct fwc_slot *sl;
	char msg[128];

	(void)state;
	to_sparse(t);
	expect_grouped_same(&c, want);
	g = &t->groups[0];
	assert_true(m->n_slots >= 8);
	for (uint32_t i = 0; i < m->n_slots; i++) {
		if (t->slots[i].src && full == UINT32_MAX)
			full = i;
		if (!t->slots[i].src && empty == UINT32_MAX)
			empty = i;
	}
	assert_true(full != UINT32_MAX && empty != UINT32_MAX);
	TRY(g->kind, 7, "group 0: kind 7");
	TRY(g->kind, FWC_GROUP_LISTS, "a LISTS group with mask");
	TRY(g->kind, 0, "group 0: kind 0");
	snprintf(msg, sizeof(msg),
		 "group 0: a SPARSE group with n_svc %u, n_rows %u", m->n_svc,
		 m->n_rows + 1);
	TRY(g->n_rows, m->n_rows + 1, msg);
	TRY(g->dec_off, 2, "a SPARSE group with");
	/* Slots: a power of two inside the table. */
	TRY(g->mask, m->n_slots - 2, "not a power of two less 1");
	TRY(g->mask, 6, "group 0: mask 0x6, not a power of two less 1");
	TRY(g->mask, UINT32_MAX, "group 0: slots[0..4294967295]");
	TRY(g->mask, 2 * m->n_slots - 1, "group 0: slots[0..");
	TRY(g->pair_off, 1, "group 0: slots[1..");
	TRY(g->pair_off, UINT32_MAX, "group 0: slots[4294967295..");
	TRY(m->n_slots, m->n_slots - 1, "group 0: slots[0..");
	/* A slot's classes and list. */
	sl = &t->slots[full];
	snprintf(msg, sizeof(msg), "slots[%u]: group 0 classes", full);
	TRY(sl->src, g->n_src + 1, msg);
	TRY(sl->dst, g->n_dst + 1, msg);
	TRY(sl->dst, 0, msg);
	snprintf(msg, sizeof(msg), "slots[%u]: list at glist[%u]", full,
		 m->n_glist);
	TRY(sl->list, m->n_glist, msg);
	TRY(sl->list, UINT32_MAX, "list at glist[4294967295]");
	/* The last list, without its rule 0. */
	keep = sl->list;
	sl->list = m->n_glist - 1;
	t->glist[m->n_glist - 1].rule = 1;
	snprintf(msg, sizeof(msg),
		 "slots[%u]: list at glist[%u] runs past n_glist %u without "
		 "its rule 0",
		 full, m->n_glist - 1, m->n_glist);
	expect_tables_refused(t, msg);
	t->glist[m->n_glist - 1].rule = 0;
	sl->list = keep;
	/* An empty slot is all zero. */
	snprintf(msg, sizeof(msg), "slots[%u]: empty, with dst 0, list 1",
		 empty);
	TRY(t->slots[empty].list, 1, msg);
	TRY(t->slots[empty].dst, 2, "empty, with dst 2, list 0");
	/* Rules past the rules; a class map's class. */
	TRY(t->glist[0].rule, m->n_rules + 1, "glist[0]: rule");
	TRY(t->gmap[1].cls[0], g->n_src, "gmap[1]: group 0 src class");
	/* The seed only moves pairs: misses, never a fault. */
	keep = g->seed;
	g->seed ^= 0x5a5a5a5a;
	{
		struct raw r = raw_of(t);

		expect_raw_accepted(&r);
		free(r.p);
	}
	g->seed = keep;
	expect_grouped_same(&c, want);
	compiled_free(&c);
}

/*
 * Groups together: a SPARSE group and after it a LISTS group of one
 * class each side whose one pair has an empty list (min_rule n_rules:
 * it decides nothing), in the order of their lowest rule only.
 */
static void test_grouped_order(void **state)
{
	uint32_t want[N_GROUP_PKTS], keep;
	struct compiled c = compile_group_pol(want);
	struct fwc_tables *t = c.t;
	struct fwc_meta *m = &t->meta;
	struct fwc_group *g, tmp;
	char msg[128];

	(void)state;
	to_sparse(t);
	g = calloc(2, sizeof(*g));
	g[0] = t->groups[0];
	g[1] = one_group(m, FWC_GROUP_LISTS);
	/*
	 * One class each side (every global class its class 0), its pair
	 * the glist's last entry: a rule 0.
	 */
	g[1].n_src = g[1].n_dst = 1;
	g[1].min_rule = m->n_rules;
	free(t->groups);
	t->groups = g;
	assert_int_equal(t->glist[m->n_glist - 1].rule, 0);
	t->pair[0] = m->n_glist - 1;
	for (uint32_t i = 0; i < m->n_gmap; i++)
		t->gmap[i].mask |= 2;
	m->n_groups = 2;
	m->n_pair = 1;
	expect_grouped_same(&c, want);
	snprintf(msg, sizeof(msg), "group 1: min_rule %u, n_rules %u",
		 m->n_rules + 1, m->n_rules);
	TRY(g[1].min_rule, m->n_rules + 1, msg);
	snprintf(msg, sizeof(msg), "pair[0]: list at glist[%u], n_glist %u",
		 m->n_glist, m->n_glist);
	TRY(t->pair[0], m->n_glist, msg);
	TRY(m->n_pair, 0, "group 1: pair[0..0], n_pair 0");
	TRY(t->gmap[m->n_src + 1].cls[1], 1,
	    "group 1 dst class 1, its n_dst 1");
	TRY(g[1].n_rows, m->n_rows - 1, "group 1: a LISTS group with");
	/* Out of order: the early exit would miss the later group's rule. */
	g[0].min_rule = m->n_rules;
	g[1].min_rule = m->n_rules - 1;
	snprintf(msg, sizeof(msg), "group 1: min_rule %u, below group 0's %u",
		 m->n_rules - 1, m->n_rules);
	expect_tables_refused(t, msg);
	g[1].min_rule = m->n_rules;
	g[0].min_rule = 1;
	/* The LISTS group first: refused, whose min_rule is higher. */
	tmp = g[0];
	g[0] = g[1];
	g[1] = tmp;
	for (uint32_t i = 0; i < m->n_gmap; i++) {
		keep = t->gmap[i].cls[0];
		t->gmap[i].cls[0] = t->gmap[i].cls[1];
		t->gmap[i].cls[1] = keep;
	}
	snprintf(msg, sizeof(msg), "group 1: min_rule 1, below group 0's %u",
		 m->n_rules);
	expect_tables_refused(t, msg);
	/* With a lower min_rule, the same answers in this order. */
	g[0].min_rule = 1;
	expect_grouped_same(&c, want);
	compiled_free(&c);
}

/*
 * gmap's masks: a packet looks up only the groups both its classes are
 * in. A class's bit cleared skips the group (the packets it would
 * decide go to the default, valid), a bit past the groups is refused,
 * and gmap goes with groups.
 */
static void test_grouped_gmask(void **state)
{
	void (*to[])(struct fwc_tables *) = { to_lists, to_sparse };
	uint32_t want[N_GROUP_PKTS], got[N_GROUP_PKTS], keep;
	char msg[128];

	(void)state;
	for (size_t k = 0; k < sizeof(to) / sizeof(to[0]); k++) {
		struct compiled c = compile_group_pol(want);
		struct fwc_tables *t = c.t;
		struct fwc_meta *m = &t->meta;
		uint32_t s, d, v, hit = UINT32_MAX;
		struct fwc_gclass *gmap;
		struct fwc_packet pkt;
		size_t col;

		to[k](t);
		expect_grouped_same(&c, want);
		/* A packet the group decides, and its classes. */
		for (uint32_t i = 0; i < N_GROUP_PKTS && hit == UINT32_MAX; i++)
			if (want[i] > 1)
				hit = i;
		assert_true(hit != UINT32_MAX);
		assert_int_equal(fwc_packet_parse(group_pkts[hit], &pkt, msg,
						  sizeof(msg), &col),
				 0);
		fwc_tables_classes(t, &pkt, &s, &d, &v);
		/* Its source class out of the group: the default, valid. */
		t->gmap[s].mask = 0;
		if (fwc_tables_validate(t, msg, sizeof(msg)))
			fail_msg("an empty mask refused: %s", msg);
		assert_int_equal(fwc_tables_classify(t, &pkt), 0);
		classify_all(t, got);
		for (size_t i = 0; i < N_GROUP_PKTS; i++) {
			struct fwc_packet p;
			uint32_t ps, pd, pv;

			assert_int_equal(fwc_packet_parse(group_pkts[i], &p,
							  msg, sizeof(msg),
							  &col),
					 0);
			fwc_tables_classes(t, &p, &ps, &pd, &pv);
			assert_int_equal(got[i], ps == s ? 0 : want[i]);
		}
		/* And so in the table read back. */
		{
			struct raw r = raw_of(t);
			struct fwc_tables *back;
			uint32_t again[N_GROUP_PKTS];
			char *out;
			uint8_t *f;
			size_t n;

			f = file_of(&r, &n);
			assert_int_equal(read_bytes(f, n, &out, &back, NULL),
					 0);
			assert_int_equal(back->gmap[s].mask, 0);
			classify_all(back, again);
			assert_memory_equal(again, got, sizeof(got));
			fwc_tables_free(back);
			free(out);
			free(f);
			free(r.p);
		}
		t->gmap[s].mask = 1;
		/* Its destination class out of the group: the same. */
		t->gmap[m->n_src + d].mask = 0;
		assert_int_equal(fwc_tables_classify(t, &pkt), 0);
		t->gmap[m->n_src + d].mask = 1;
		/* Every class out of it: everything to the default. */
		gmap = calloc(m->n_gmap, sizeof(*gmap));
		memcpy(gmap, t->gmap, m->n_gmap * sizeof(*gmap));
		for (uint32_t i = 0; i < m->n_gmap; i++)
			t->gmap[i].mask = 0;
		if (fwc_tables_validate(t, msg, sizeof(msg)))
			fail_msg("all masks empty refused: %s", msg);
		classify_all(t, got);
		for (size_t i = 0; i < N_GROUP_PKTS; i++)
			assert_int_equal(got[i], 0);
		memcpy(t->gmap, gmap, m->n_gmap * sizeof(*gmap));
		free(gmap);
		expect_grouped_same(&c, want);
		/* A bit at or past n_groups, on either side. */
		snprintf(msg, sizeof(msg), "gmap[%u]: mask 0x3, past 1 groups",
			 m->n_src + d);
		TRY(t->gmap[m->n_src + d].mask, 3, msg);
		TRY(t->gmap[0].mask, 0x80000001u,
		    "gmap[0]: mask 0x80000001, past 1 groups");
		snprintf(msg, sizeof(msg), "gmap[%u]: mask 0x2, past 1 groups",
			 m->n_src + m->n_dst - 1);
		TRY(t->gmap[m->n_src + m->n_dst - 1].mask, 2, msg);
		/* Groups without gmap. */
		gmap = t->gmap;
		t->gmap = NULL;
		expect_invalid(t, "a table its count sizes is missing");
		t->gmap = gmap;
		expect_grouped_same(&c, want);
		compiled_free(&c);
	}
	/* A gmap without groups. */
	{
		struct compiled c = compile_layout(POL_V4, FWC_V6_AUTO);

		assert_int_equal(c.t->meta.n_groups, 0);
		c.t->gmap = identity_gmap(&c.t->meta, 1);
		expect_invalid(c.t, "meta: n_groups 0 with a groups, gmap, "
				    "slots or glist table");
		compiled_free(&c);
	}
}
#undef TRY

/* The grouped layout's counts and sections, as the single one's. */
static void test_grouped_counts_and_cuts(void **state)
{
	void (*to[])(struct fwc_tables *) = { to_lists, to_lists_rows,
					      to_sparse, to_sparse_rows };
	uint32_t want[N_GROUP_PKTS];
	size_t off[S_N];

	(void)state;
	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		struct compiled c = compile_group_pol(want);

		to[i](c.t);
		sections(&c.t->meta, off);
		assert_true(off[S_RPC] <= off[S_GROUPS] &&
			    off[S_GROUPS] < off[S_GMAP] &&
			    off[S_GMAP] < off[S_SLOTS] &&
			    off[S_SLOTS] <= off[S_GLIST] &&
			    off[S_GLIST] < off[S_RULE_META]);
		/* One gmap entry per global class (ABI 8). */
		assert_int_equal(off[S_SLOTS] - off[S_GMAP],
				 ((size_t)c.t->meta.n_src + c.t->meta.n_dst) *
					 sizeof(struct fwc_gclass));
		/* The model of the stream is the stream's (cuts() uses it). */
		{
			struct raw r = raw_of(c.t);
			const struct fwc_meta *m = &c.t->meta;

			assert_true(off[S_RULE_META] < r.n);
			assert_memory_equal(r.p + off[S_GMAP], c.t->gmap,
					    m->n_gmap * sizeof(*c.t->gmap));
			assert_memory_equal(r.p + off[S_GLIST], c.t->glist,
					    m->n_glist * sizeof(*c.t->glist));
			free(r.p);
		}
		meta_counts(c.t, true);
		cuts(c.t);
		compiled_free(&c);
	}
}

static void test_grouped_random_flips(void **state)
{
	void (*to[])(struct fwc_tables *) = { to_lists, to_lists_rows,
					      to_sparse, to_sparse_rows };
	uint32_t want[N_GROUP_PKTS];

	(void)state;
	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		struct compiled c = compile_group_pol(want);

		to[i](c.t);
		flips(c.t, group_pkts, N_GROUP_PKTS);
		compiled_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_artifacts_accepted),
		cmocka_unit_test(test_n_v6_beyond_data),
		cmocka_unit_test(test_svc_base_beyond_map),
		cmocka_unit_test(test_label_not_utf8),
		cmocka_unit_test(test_meta_counts),
		cmocka_unit_test(test_trie_indexes),
		cmocka_unit_test(test_v6_keys),
		cmocka_unit_test(test_class_indexes),
		cmocka_unit_test(test_rpc),
		cmocka_unit_test(test_truncated_and_trailing),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_random_flips),
		cmocka_unit_test(test_grouped_lists),
		cmocka_unit_test(test_grouped_sparse),
		cmocka_unit_test(test_grouped_row_entries),
		cmocka_unit_test(test_grouped_sparse_row_entries),
		cmocka_unit_test(test_grouped_order),
		cmocka_unit_test(test_grouped_gmask),
		cmocka_unit_test(test_grouped_counts_and_cuts),
		cmocka_unit_test(test_grouped_random_flips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
