// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* fwc diff: known answers, and a property test against the reference. */
#include "helpers.h"
#include "diff.h"
#include "randpol.h"

static bool ref_allows(const struct fwc_policy *p, const struct fwc_packet *k)
{
	uint32_t id = fwc_reference_classify(p, k);

	return id ? p->rules[id - 1].allow : p->default_allow;
}

/* Number of regions between two policies given as text. */
static size_t regions(const char *a, const char *b, struct fwc_diff *keep)
{
	struct compiled ca = compile_text(a), cb = compile_text(b);
	struct fwc_diff d;
	size_t n;

	assert_int_equal(ca.err, 0);
	assert_int_equal(cb.err, 0);
	assert_int_equal(fwc_diff_compute(ca.pol, cb.pol, &d), 0);
	n = d.n;
	if (keep) {
		FILE *f = fopen("/dev/null", "w");

		assert_true(fwc_diff_print(&d, f, false) >= (n ? 1 : 0));
		fclose(f);
	}
	fwc_diff_free(&d);
	compiled_free(&ca);
	compiled_free(&cb);
	return n;
}

static void test_equivalent_policies(void **state)
{
	(void)state;
	/* Renaming zones. */
	assert_int_equal(
		regions("zone dmz = 192.0.2.0/28\nzone dc = 198.51.100.20\n"
			"allow dmz -> dc proto tcp port 88\n",
			"zone web = 192.0.2.0/28\nzone ad = 198.51.100.20\n"
			"allow web -> ad proto tcp port 88\n",
			NULL),
		0);
	/* Reordering rules that do not overlap. */
	assert_int_equal(
		regions("allow 192.0.2.1 -> any proto tcp port 22\n"
			"deny 192.0.2.2 -> any proto tcp port 22\n"
			"allow any -> 198.51.100.1 proto udp port 53\n",
			"allow any -> 198.51.100.1 proto udp port 53\n"
			"allow 192.0.2.1 -> any proto tcp port 22\n"
			"deny 192.0.2.2 -> any proto tcp port 22\n",
			NULL),
		0);
	/* Same sets written differently: a list, a range, a prefix. */
	assert_int_equal(
		regions("allow { 192.0.2.0/25, 192.0.2.128/25 } -> any any\n",
			"allow 192.0.2.0-192.0.2.255 -> any any\n", NULL),
		0);
	/* A deny that only restates the default. */
	assert_int_equal(regions("deny any -> any proto tcp port 23\n"
				 "allow any -> any proto tcp port 22\n",
				 "allow any -> any proto tcp port 22\n", NULL),
			 0);
}

static void test_known_changes(void **state)
{
	struct compiled a =
		compile_text("zone dmz = 192.0.2.0/28\n"
			     "allow dmz -> 198.51.100.20 proto tcp port 88\n");
	struct compiled b = compile_text(
		"zone dmz = 192.0.2.0/28\n"
		"allow dmz -> 198.51.100.20 proto tcp port { 88, 389 }\n");
	struct fwc_diff d;
	struct fwc_packet k;
	char err[64];
	size_t col;

	(void)state;
	assert_int_equal(fwc_diff_compute(a.pol, b.pol, &d), 0);
	assert_int_equal(d.n, 1);
	assert_false(d.regions[0].old_allow);
	assert_true(d.regions[0].new_allow);
	assert_int_equal(d.regions[0].old_rule, 0);
	assert_int_equal(d.regions[0].new_rule, 1);
	fwc_packet_parse("tcp 192.0.2.3:1000 -> 198.51.100.20:389", &k, err,
			 sizeof(err), &col);
	assert_int_equal(fwc_diff_find(&d, &k), 0);
	fwc_packet_parse("tcp 192.0.2.3:1000 -> 198.51.100.20:88", &k, err,
			 sizeof(err), &col);
	assert_int_equal(fwc_diff_find(&d, &k), -1);
	fwc_packet_parse("tcp 192.0.2.16:1000 -> 198.51.100.20:389", &k, err,
			 sizeof(err), &col);
	assert_int_equal(fwc_diff_find(&d, &k), -1);
	fwc_diff_free(&d);
	compiled_free(&a);
	compiled_free(&b);
	/* Flipping the default changes everything no rule decides. */
	assert_true(
		regions("allow any -> any proto tcp port 22\n",
			"set default allow\nallow any -> any proto tcp port 22\n",
			NULL) > 0);
}

/* The diff of two policies as printed (text or JSON); its region count. */
static char *diff_text(const char *a, const char *b, bool json, size_t *n,
		       size_t *n_rpc)
{
	struct compiled ca = compile_text(a), cb = compile_text(b);
	struct fwc_diff d;
	char *out = NULL;
	size_t len;
	FILE *f;

	assert_int_equal(ca.err, 0);
	assert_int_equal(cb.err, 0);
	assert_int_equal(fwc_diff_compute(ca.pol, cb.pol, &d), 0);
	f = open_memstream(&out, &len);
	fwc_diff_print(&d, f, json);
	fclose(f);
	*n = d.n;
	*n_rpc = d.n_rpc;
	fwc_diff_free(&d);
	compiled_free(&ca);
	compiled_free(&cb);
	return out;
}

static void expect_text(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("missing '%s' in:\n%s", needle, text);
}

#define RPC_ZONES "zone a = 192.0.2.0/24\nzone dc = 198.51.100.10\n"

/* Same verdicts, other pinholes: a region, and what changes in it. */
static void test_rpc_changes(void **state)
{
	const char *samr = RPC_ZONES
		"allow a -> dc rpc { samr } label \"ad\"\n";
	struct compiled ca, cb;
	struct fwc_diff d;
	struct fwc_packet k;
	char err[64], *t;
	size_t n, n_rpc, col;

	(void)state;
	/* An interface more. */
	t = diff_text(samr,
		      RPC_ZONES "allow a -> dc rpc { samr, netlogon } label "
				"\"ad\"\n",
		      false, &n, &n_rpc);
	assert_int_equal(n, 1);
	assert_int_equal(n_rpc, 1);
	expect_text(t, "from 192.0.2.0/24 to 198.51.100.10/32: tcp dport 135: "
		       "allow, pinholes rpc { samr v1 } port 1024-65535 -> "
		       "rpc { samr v1, netlogon v1 } port 1024-65535 (rule 1 "
		       "\"ad\" -> rule 1 \"ad\")\n");
	free(t);
	/* Other bounds. */
	t = diff_text(samr,
		      RPC_ZONES "allow a -> dc rpc { samr } port 49152-65535\n",
		      true, &n, &n_rpc);
	assert_int_equal(n_rpc, 1);
	expect_text(t, "\"old\": {\"verdict\": \"allow\", \"rule\": 1}, "
		       "\"new\": {\"verdict\": \"allow\", \"rule\": 1}");
	expect_text(t, "\"pinholes\": {\"old\": \"rpc { samr v1 } port "
		       "1024-65535\", \"new\": \"rpc { samr v1 } port "
		       "49152-65535\"}");
	free(t);
	/* A literal (as a UUID) for another version. */
	t = diff_text(samr,
		      RPC_ZONES "allow a -> dc rpc { 12345778-1234-abcd-ef00-"
				"0123456789ac:2 }\n",
		      false, &n, &n_rpc);
	assert_int_equal(n_rpc, 1);
	expect_text(t, "-> rpc { 12345778-1234-abcd-ef00-0123456789ac v2 } "
		       "port 1024-65535");
	free(t);
	/* rpc where the ports were open by hand: pinholes none -> some. */
	t = diff_text(RPC_ZONES "allow a -> dc proto tcp port 135\n"
				"allow a -> dc proto tcp port 49152-65535\n",
		      samr, false, &n, &n_rpc);
	assert_int_equal(n, 2);
	assert_int_equal(n_rpc, 1);
	expect_text(t, "tcp dport 135: allow, pinholes none -> rpc { samr v1 } "
		       "port 1024-65535 (rule 1 -> rule 1 \"ad\")");
	expect_text(t,
		    "tcp dport 49152-65535: allow -> deny (rule 2 -> default "
		    "deny)");
	free(t);
	/* Only where the rule that decides TCP 135 changes. */
	t = diff_text(samr,
		      RPC_ZONES "allow 192.0.2.7 -> dc rpc { samr, netlogon }\n"
				"allow a -> dc rpc { samr } label \"ad\"\n",
		      false, &n, &n_rpc);
	assert_int_equal(n_rpc, 1);
	expect_text(t, "from 192.0.2.7/32 to 198.51.100.10/32: tcp dport 135: "
		       "allow, pinholes");
	free(t);

	/* fwc_diff_find: the region holds TCP 135, not the rest. */
	ca = compile_text(samr);
	cb = compile_text(RPC_ZONES "allow a -> dc rpc { netlogon }\n"
				    "allow a -> dc proto tcp port 443\n");
	assert_int_equal(fwc_diff_compute(ca.pol, cb.pol, &d), 0);
	assert_int_equal(d.n_rpc, 1);
	fwc_packet_parse("tcp 192.0.2.3:50000 -> 198.51.100.10:135", &k, err,
			 sizeof(err), &col);
	assert_true(fwc_diff_find(&d, &k) >= 0);
	assert_true(d.regions[fwc_diff_find(&d, &k)].rpc);
	fwc_packet_parse("tcp 192.0.2.3:50000 -> 198.51.100.10:443", &k, err,
			 sizeof(err), &col);
	assert_true(fwc_diff_find(&d, &k) >= 0);
	assert_false(d.regions[fwc_diff_find(&d, &k)].rpc);
	fwc_packet_parse("tcp 192.0.2.3:50000 -> 198.51.100.10:49154", &k, err,
			 sizeof(err), &col);
	assert_int_equal(fwc_diff_find(&d, &k), -1);
	fwc_diff_free(&d);
	compiled_free(&ca);
	compiled_free(&cb);
}

/* What opens the same pinholes is equivalent, however it is written. */
static void test_rpc_equivalent(void **state)
{
	(void)state;
	/* A name and its UUID with the same major version. */
	assert_int_equal(regions(RPC_ZONES "allow a -> dc rpc { samr }\n",
				 RPC_ZONES
				 "allow a -> dc rpc { 12345778-1234-abcd-"
				 "ef00-0123456789ac:1.0 }\n",
				 NULL),
			 0);
	/* Order, repetition, case, a named service, the default bounds. */
	assert_int_equal(
		regions(RPC_ZONES "allow a -> dc rpc { samr, netlogon }\n",
			RPC_ZONES
			"service ad = rpc { NETLOGON, samr, netlogon } "
			"port 1024-65535\n"
			"allow a -> dc service ad label \"x\"\n",
			NULL),
		0);
	/* Denied TCP 135 opens nothing, whatever the rpc rule after it. */
	assert_int_equal(regions(RPC_ZONES "deny a -> dc proto tcp port 135\n"
					   "allow a -> dc rpc { samr }\n",
				 RPC_ZONES "deny a -> dc proto tcp port 135\n"
					   "allow a -> dc rpc { netlogon }\n",
				 NULL),
			 0);
}

static void check_pair(const char *ta, const char *tb, struct rng *r,
		       unsigned long *differing, unsigned long *n_regions,
		       const struct randpol *pa, const struct randpol *pb)
{
	struct compiled a = compile_text(ta), b = compile_text(tb);
	struct fwc_diff d;

	assert_int_equal(a.err, 0);
	assert_int_equal(b.err, 0);
	assert_int_equal(fwc_diff_compute(a.pol, b.pol, &d), 0);
	*n_regions += d.n;
	/* Every packet whose verdict changes lies in a reported region... */
	for (int k = 0; k < 300; k++) {
		struct fwc_packet p;
		bool va, vb;
		long g;

		randpol_packet(k % 2 ? pa : pb, r, &p);
		va = ref_allows(a.pol, &p);
		vb = ref_allows(b.pol, &p);
		g = fwc_diff_find(&d, &p);
		if ((va != vb) != (g >= 0))
			fail_msg(
				"packet verdicts %d -> %d, region %ld\nOLD:\n%s\nNEW:\n%s",
				va, vb, g, ta, tb);
		if (g >= 0 && (d.regions[g].old_allow != va ||
			       d.regions[g].new_allow != vb))
			fail_msg("region %ld has the wrong verdicts", g);
		*differing += va != vb;
	}
	/* ...and every reported region really changes verdict. */
	for (size_t i = 0; i < d.n; i++) {
		struct fwc_packet p;

		fwc_diff_sample(&d, i, &p);
		if (ref_allows(a.pol, &p) == ref_allows(b.pol, &p) ||
		    fwc_diff_find(&d, &p) != (long)i)
			fail_msg(
				"region %zu does not differ\nOLD:\n%s\nNEW:\n%s",
				i, ta, tb);
	}
	fwc_diff_free(&d);
	compiled_free(&a);
	compiled_free(&b);
}

static void test_random_pairs(void **state)
{
	const char *n_env = getenv("FWC_DIFF_PAIRS");
	unsigned long n = n_env ? strtoul(n_env, NULL, 0) : 600;
	unsigned long differing = 0, n_regions = 0;
	struct rng r = { 0xd1ff2026 };
	struct randpol a = { 0 }, b = { 0 };

	(void)state;
	for (unsigned long i = 0; i < n; i++) {
		randpol_make(&a, &r, 1 + rnd_below(&r, 8));
		if (i % 3 == 0) {
			/* The same policy with one more rule at the end. */
			b.len = 0;
			b.n4 = b.n6 = b.n_ports = 0;
			rp_put(&b, "%s%s ", a.text,
			       rnd_below(&r, 2) ? "allow" : "deny");
			rp_hosts(&b, &r, 0);
			rp_put(&b, " -> ");
			rp_hosts(&b, &r, 0);
			rp_put(&b, " ");
			rp_service(&b, &r);
			rp_put(&b, "\n");
		} else {
			randpol_make(&b, &r, 1 + rnd_below(&r, 8));
		}
		check_pair(a.text, b.text, &r, &differing, &n_regions, &a, &b);
	}
	printf("%lu policy pairs, %lu regions, %lu sampled packets changed "
	       "verdict\n",
	       n, n_regions, differing);
	assert_true(differing > 0);
	free(a.text);
	free(b.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equivalent_policies),
		cmocka_unit_test(test_known_changes),
		cmocka_unit_test(test_rpc_changes),
		cmocka_unit_test(test_rpc_equivalent),
		cmocka_unit_test(test_random_pairs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
