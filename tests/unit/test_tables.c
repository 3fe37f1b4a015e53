// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Address sets, partitions, the trie and the artifact. */
#include <errno.h>
#include <unistd.h>

#include "helpers.h"
#include "classes.h"

static void collect(void *ctx, fwc_u128 start, unsigned int len)
{
	char *out = ctx, buf[64];

	fwc_format_addr(buf, sizeof(buf), 4, start);
	sprintf(out + strlen(out), "%s/%u ", buf, len);
}

static void test_range_to_prefixes(void **state)
{
	char out[512] = "";
	fwc_u128 lo, hi;

	(void)state;
	fwc_parse_v4("192.0.2.10", &lo);
	fwc_parse_v4("192.0.2.20", &hi);
	assert_int_equal(fwc_range_to_prefixes(lo, hi, 32, collect, out), 4);
	assert_string_equal(out, "192.0.2.10/31 192.0.2.12/30 192.0.2.16/30 "
				 "192.0.2.20/32 ");
}

static void test_ivset_algebra(void **state)
{
	struct fwc_ivset a = { 0 }, b = { 0 };

	(void)state;
	fwc_ivset_add(&a, 0, 100);
	fwc_ivset_add(&a, 101, 200); /* adjacent: merges */
	fwc_ivset_add(&a, 300, 400);
	fwc_ivset_normalise(&a);
	assert_int_equal(a.n, 2);
	fwc_ivset_add(&b, 50, 60);
	fwc_ivset_add(&b, 350, 500);
	fwc_ivset_normalise(&b);
	fwc_ivset_subtract(&a, &b);
	assert_int_equal(a.n, 3);
	assert_true(fwc_ivset_contains(&a, 49));
	assert_false(fwc_ivset_contains(&a, 55));
	assert_true(fwc_ivset_contains(&a, 61));
	assert_true(fwc_ivset_contains(&a, 349));
	assert_false(fwc_ivset_contains(&a, 350));
	assert_true(fwc_ivset_count(&a) ==
		    50 + 140 + 50); /* 0-49 61-200 300-349 */
	fwc_ivset_free(&a);
	fwc_ivset_free(&b);
}

static void test_partition_classes(void **state)
{
	struct fwc_ivset x = { 0 }, y = { 0 };
	const struct fwc_ivset *in[2] = { &x, &y };
	struct fwc_partition p;

	(void)state;
	fwc_ivset_add(&x, 10, 20);
	fwc_ivset_add(&x, 40, 50);
	fwc_ivset_add(&y, 15, 45);
	fwc_partition(in, 2, 100, false, &p);
	/* classes: none, x, x+y, y */
	assert_int_equal(p.n_cls, 4);
	assert_int_equal(p.n_seg, 7);
	assert_int_equal(p.seg[0].cls, p.seg[6].cls); /* 0-9 and 51-100 */
	assert_int_equal(p.seg[1].cls, p.seg[5].cls); /* 10-14, 46-50: x */
	assert_int_equal(p.seg[2].cls, p.seg[4].cls); /* 15-20, 40-45: x+y */
	fwc_partition_free(&p);
	fwc_ivset_free(&x);
	fwc_ivset_free(&y);
}

static void test_trie_layout(void **state)
{
	struct compiled c =
		compile_text("zone a = 192.0.2.128/25\n"
			     "zone b = 198.51.0.0/16\n"
			     "zone h = 192.0.2.7\n"
			     "allow a -> b any\nallow h -> b any\n");

	(void)state;
	assert_int_equal(c.err, 0);
	/* /16 is a leaf in the root; /25 and /32 need chunks (16-8-8). */
	assert_false(c.t->v4_root[198 << 8 | 51] & FWC_TRIE_CHUNK);
	assert_true(c.t->v4_root[192 << 8 | 0] & FWC_TRIE_CHUNK);
	assert_int_equal(c.t->meta.n_chunks, 2);
	assert_int_equal(classify(&c, "tcp 192.0.2.128:1 -> 198.51.3.4:5"), 1);
	assert_int_equal(classify(&c, "tcp 192.0.2.127:1 -> 198.51.3.4:5"), 0);
	assert_int_equal(classify(&c, "tcp 192.0.2.7:1 -> 198.51.3.4:5"), 2);
	assert_int_equal(classify(&c, "tcp 192.0.2.6:1 -> 198.51.3.4:5"), 0);
	compiled_free(&c);
}

static void test_v6_layouts(void **state)
{
	/* 16 unrelated /48s: a 5-read trie beats an LPM of 16 prefixes. */
	static const char wide[] =
		"zone a = { 2001:db8:0::/48 2001:db8:2::/48 2001:db8:4::/48 "
		"2001:db8:6::/48 2001:db8:8::/48 2001:db8:a::/48 2001:db8:c::/48 "
		"2001:db8:e::/48 2001:db8:10::/48 2001:db8:12::/48 "
		"2001:db8:14::/48 2001:db8:16::/48 2001:db8:18::/48 "
		"2001:db8:1a::/48 2001:db8:1c::/48 2001:db8:1e::/48 }\n"
		"allow a -> any proto tcp port 22\n";
	/* Two servers in their own /56s: a root read and a range leaf. */
	static const char hosts[] = "zone a = { 2001:db8::5, 2001:db8:1::7 }\n"
				    "allow a -> any proto tcp port 22\n";
	/* Two pairs of hosts: 10 reads of a trie lose to a 4-prefix LPM. */
	static const char pairs[] =
		"zone a = { 2001:db8:1::5, 2001:db8:1::7, 2001:db8:2::5, "
		"2001:db8:2::7 }\n"
		"allow a -> any proto tcp port 22\n";
	struct fwc_compile_opts lpm = { .v6_layout = FWC_V6_LPM };
	struct fwc_compile_opts trie = { .v6_layout = FWC_V6_TRIE };
	struct fwc_compile_opts tiny = { .v6_layout = FWC_V6_TRIE,
					 .v6_trie_chunks = 4 };
	struct compiled c = compile_text(wide);

	(void)state;
	assert_int_equal(c.err, 0);
	assert_true(c.t->meta.flags & FWC_META_V6_TRIE);
	assert_int_equal(c.t->meta.n_v6, 0);
	assert_int_equal(classify(&c, "tcp [2001:db8:1e::5]:1 -> [::1]:22"), 1);
	assert_int_equal(classify(&c, "tcp [2001:db8:1f::5]:1 -> [::1]:22"), 0);
	compiled_free(&c);
	c = compile_text(hosts);
	assert_true(c.t->meta.flags & FWC_META_V6_TRIE);
	assert_int_equal(c.t->meta.n_chunks, 0);
	assert_int_equal(c.t->meta.n_v6_ranges, 2);
	assert_int_equal(classify(&c, "tcp [2001:db8:1::7]:1 -> [::1]:22"), 1);
	assert_int_equal(classify(&c, "tcp [2001:db8::5]:1 -> [::1]:22"), 1);
	assert_int_equal(classify(&c, "tcp [2001:db8:1::6]:1 -> [::1]:22"), 0);
	assert_int_equal(classify(&c, "tcp [2001:db8:1::8]:1 -> [::1]:22"), 0);
	assert_int_equal(classify(&c, "tcp [2001:db8::4]:1 -> [::1]:22"), 0);
	compiled_free(&c);
	c = compile_text(pairs);
	assert_false(c.t->meta.flags & FWC_META_V6_TRIE);
	assert_int_equal(c.t->meta.n_v6, 4);
	assert_int_equal(classify(&c, "tcp [2001:db8:2::7]:1 -> [::1]:22"), 1);
	compiled_free(&c);
	/* Forced either way, and over the chunk budget: LPM. */
	c = compile_text_opts(wide, lpm);
	assert_false(c.t->meta.flags & FWC_META_V6_TRIE);
	assert_int_equal(c.t->meta.n_v6, 16);
	compiled_free(&c);
	c = compile_text_opts(pairs, trie);
	assert_true(c.t->meta.flags & FWC_META_V6_TRIE);
	assert_int_equal(classify(&c, "tcp [2001:db8:1::7]:1 -> [::1]:22"), 1);
	assert_int_equal(classify(&c, "tcp [2001:db8:1::6]:1 -> [::1]:22"), 0);
	assert_int_equal(classify(&c, "tcp [2001:db8:2::8]:1 -> [::1]:22"), 0);
	compiled_free(&c);
	c = compile_text_opts(pairs, tiny);
	assert_false(c.t->meta.flags & FWC_META_V6_TRIE);
	assert_int_equal(c.t->meta.n_chunks, 0);
	compiled_free(&c);
}

/*
 * The IPv6 trie starts below the longest whole-byte prefix that holds
 * every class boundary; outside it, one class without a trie read.
 */
static void test_v6_prefix(void **state)
{
	/* One /48 site: /64s in it, and hosts of one /64. */
	static const char site[] =
		"zone a = { 2001:db8:42:10::/64 2001:db8:42:20::/64 }\n"
		"zone b = { 2001:db8:42:30::7 }\n"
		"allow a -> b proto tcp port 22\n"
		"allow any -> a proto tcp port 80\n";
	/* Boundaries at both ends of the space, with different classes. */
	static const char ends[] = "zone lo = ::/8\n"
				   "zone hi = ff00::/8\n"
				   "zone mid = 2001:db8::/32\n"
				   "allow lo -> hi proto tcp port 22\n"
				   "allow mid -> any proto tcp port 22\n";
	/*
	 * Holes give the site the most prefixes, so addr class 0 (what an
	 * LPM miss reads) is the site's: the outside class must be kept.
	 */
	static const char holes[] =
		"zone site = { 2001:db8:42::/48, !2001:db8:42:1::/64, "
		"!2001:db8:42:4000::/64, !2001:db8:42:8000::/64, "
		"!2001:db8:42:c000::/64 }\n"
		"allow site -> site proto tcp port 22\n";
	struct fwc_compile_opts trie = { .v6_layout = FWC_V6_TRIE };
	struct compiled c = compile_text_opts(site, trie);

	(void)state;
	assert_int_equal(c.err, 0);
	assert_true(c.t->meta.flags & FWC_META_V6_TRIE);
	/* 2001:db8:42:: then byte 6 (00): bytes 7-8 index the root. */
	assert_int_equal(c.t->meta.v6_at, 7);
	assert_int_equal(c.t->meta.v6_pre[0], 0x20010db8);
	assert_int_equal(c.t->meta.v6_pre[1], 0x00420000);
	assert_int_equal(c.t->meta.v6_mask[1], 0xffffff00);
	assert_int_equal(c.t->meta.v6_mask[2], 0);
	assert_int_equal(
		classify(&c,
			 "tcp [2001:db8:42:10::1]:1 -> [2001:db8:42:30::7]:22"),
		1);
	assert_int_equal(
		classify(
			&c,
			"tcp [2001:db8:42:20:ffff::]:1 -> [2001:db8:42:30::7]:22"),
		1);
	/* Next to the host, and outside the site: no zone. */
	assert_int_equal(
		classify(&c,
			 "tcp [2001:db8:42:10::1]:1 -> [2001:db8:42:30::8]:22"),
		0);
	assert_int_equal(
		classify(&c,
			 "tcp [2001:db8:43:10::1]:1 -> [2001:db8:42:30::7]:22"),
		0);
	/* any: the outside class is in it. */
	assert_int_equal(
		classify(&c, "tcp [fe80::1]:1 -> [2001:db8:42:10::9]:80"), 2);
	assert_int_equal(classify(&c, "tcp [::1]:1 -> [2001:db8:42:11::9]:80"),
			 0);
	compiled_free(&c);
	c = compile_text_opts(ends, trie);
	assert_int_equal(c.err, 0);
	assert_true(c.t->meta.flags & FWC_META_V6_TRIE);
	assert_int_equal(c.t->meta.v6_at, 0);
	assert_int_equal(classify(&c, "tcp [::1]:1 -> [ff02::1]:22"), 1);
	assert_int_equal(classify(&c, "tcp [2001:db8::1]:1 -> [::1]:22"), 2);
	assert_int_equal(classify(&c, "tcp [2001:db9::1]:1 -> [::1]:22"), 0);
	compiled_free(&c);
	c = compile_text_opts(holes, trie);
	assert_int_equal(c.err, 0);
	assert_int_equal(c.t->meta.v6_at, 5);
	assert_int_not_equal(c.t->meta.v6_outside, 0);
	assert_int_equal(
		classify(&c,
			 "tcp [2001:db8:42:10::1]:1 -> [2001:db8:42:20::1]:22"),
		1);
	assert_int_equal(
		classify(&c, "tcp [2001:db9::1]:1 -> [2001:db8:42:20::1]:22"),
		0);
	assert_int_equal(
		classify(&c,
			 "tcp [2001:db8:42:1::1]:1 -> [2001:db8:42:20::1]:22"),
		0);
	compiled_free(&c);
}

/* Tries an artifact could hold but the classifiers must never walk. */
static void test_artifact_bad_tries(void **state)
{
	struct compiled c = compile_text(
		"zone a = { 2001:db8::5, 2001:db8:1::7, 192.0.2.7 }\n"
		"allow a -> any proto tcp port 22\n");
	char path[] = "/tmp/fwc-test-trie-XXXXXX";
	struct fwc_tables *back;
	uint32_t *e, keep;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_true(c.t->meta.n_v6_ranges > 0);
	/* A range leaf's class beyond the classes. */
	keep = c.t->v6_ranges[0].in;
	c.t->v6_ranges[0].in = c.t->meta.n_addr;
	assert_int_equal(fwc_artifact_write(c.t, path), 0);
	assert_int_equal(fwc_artifact_read(path, &back), -EINVAL);
	c.t->v6_ranges[0].in = keep;
	/* A range leaf in the IPv4 trie. */
	e = &c.t->v4_root[192 << 8];
	keep = *e;
	*e = FWC_TRIE_RANGE;
	assert_int_equal(fwc_artifact_write(c.t, path), 0);
	assert_int_equal(fwc_artifact_read(path, &back), -EINVAL);
	/* A chunk where IPv4 has no byte left (root, chunk, chunk, chunk). */
	assert_true(keep & FWC_TRIE_CHUNK);
	*e = keep;
	e = &c.t->chunks[(keep & ~FWC_TRIE_CHUNK) * FWC_TRIE_CHUNK_SIZE];
	e = &c.t->chunks[(e[2] & ~FWC_TRIE_CHUNK) * FWC_TRIE_CHUNK_SIZE];
	keep = e[7];
	e[7] = FWC_TRIE_CHUNK;
	assert_int_equal(fwc_artifact_write(c.t, path), 0);
	assert_int_equal(fwc_artifact_read(path, &back), -EINVAL);
	e[7] = keep;
	assert_int_equal(fwc_artifact_write(c.t, path), 0);
	assert_int_equal(fwc_artifact_read(path, &back), 0);
	fwc_tables_free(back);
	unlink(path);
	compiled_free(&c);
}

static void test_row_merging(void **state)
{
	/* Many zones with the same rules share decision rows. */
	struct compiled c =
		compile_text("zone a = { 192.0.2.1 192.0.2.2 192.0.2.3 }\n"
			     "zone b = { 198.51.100.1 198.51.100.2 }\n"
			     "allow a -> b proto tcp port { 80, 443 }\n"
			     "allow a -> b proto udp port 53\n");

	(void)state;
	assert_int_equal(c.err, 0);
	assert_true(c.t->meta.n_rows <= 2);
	assert_true(c.t->meta.n_svc <= 4);
	compiled_free(&c);
}

static void test_artifact_roundtrip_and_determinism(void **state)
{
	struct compiled c = compile_text(
		"zone a = { 192.0.2.0/24, 2001:db8::/64 }\n"
		"allow a -> a proto tcp port 22 label \"ssh\"\n"
		"deny log any -> a proto icmp type echo-request\n");
	char p1[] = "/tmp/fwc-art-XXXXXX", p2[] = "/tmp/fwc-art-XXXXXX";
	struct fwc_tables *back;
	struct fwc_packet pkt;
	char *t1, *t2, err[64];
	size_t l1, l2, col;
	int f1 = mkstemp(p1), f2 = mkstemp(p2);

	(void)state;
	assert_int_equal(c.err, 0);
	close(f1);
	close(f2);
	assert_int_equal(fwc_artifact_write(c.t, p1), 0);
	assert_int_equal(fwc_artifact_write(c.t, p2), 0);
	assert_int_equal(fwc_read_file(p1, &t1, &l1), 0);
	assert_int_equal(fwc_read_file(p2, &t2, &l2), 0);
	assert_int_equal(l1, l2);
	assert_memory_equal(t1, t2, l1);
	assert_true(fwc_artifact_probe(p1));
	assert_int_equal(fwc_artifact_read(p1, &back), 0);
	assert_memory_equal(&back->meta, &c.t->meta, sizeof(back->meta));
	assert_string_equal(back->rule_meta[1].label, "ssh");
	fwc_packet_parse("tcp [2001:db8::5]:9 -> [2001:db8::6]:22", &pkt, err,
			 sizeof(err), &col);
	assert_int_equal(fwc_tables_classify(back, &pkt), 1);
	fwc_tables_free(back);
	/* A corrupt artifact is refused, not trusted. */
	t1[l1 / 2] ^= 0x55;
	{
		FILE *f = fopen(p1, "wb");

		fwrite(t1, 1, l1, f);
		fclose(f);
	}
	assert_int_not_equal(fwc_artifact_read(p1, &back), 0);
	/* One of another table ABI is refused as such. */
	c.t->meta.abi_version = FWC_ABI_VERSION - 1;
	assert_int_equal(fwc_artifact_write(c.t, p1), 0);
	assert_int_equal(fwc_artifact_read(p1, &back), -EPROTO);
	c.t->meta.abi_version = FWC_ABI_VERSION;
	unlink(p1);
	unlink(p2);
	free(t1);
	free(t2);
	compiled_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_to_prefixes),
		cmocka_unit_test(test_ivset_algebra),
		cmocka_unit_test(test_partition_classes),
		cmocka_unit_test(test_trie_layout),
		cmocka_unit_test(test_v6_layouts),
		cmocka_unit_test(test_v6_prefix),
		cmocka_unit_test(test_artifact_bad_tries),
		cmocka_unit_test(test_row_merging),
		cmocka_unit_test(test_artifact_roundtrip_and_determinism),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
