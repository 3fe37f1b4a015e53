// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Every class of bad input: a precise message at file:line:col. */
#include <errno.h>

#include "helpers.h"

#define Z "zone a = 192.0.2.0/24\nzone b = 198.51.100.0/24\n"

static void test_unknown_names(void **state)
{
	(void)state;
	expect_error(Z "allow a -> c any\n",
		     "t.pol:3:12: error: unknown zone 'c'", NULL);
	expect_error(Z "allow a -> bb any\n",
		     "unknown zone 'bb' (did you mean 'b'?)", NULL);
	expect_error(Z "allow a -> b service web\n", "unknown service 'web'",
		     NULL);
	expect_error(Z "allow a -> b proto tcp port $rpc\n",
		     "t.pol:3:29: error: unknown macro 'rpc'", NULL);
	expect_error("define rpc = 49152-65535\n" Z
		     "allow a -> b proto tcp port rpc\n",
		     "did you mean $rpc?", NULL);
}

static void test_defined_twice(void **state)
{
	(void)state;
	expect_error(Z "zone a = 203.0.113.1\nallow a -> b any\n",
		     "t.pol:3:6: error: zone 'a' is defined twice",
		     "t.pol:1:6: note: first defined here", NULL);
}

static void test_self_reference(void **state)
{
	(void)state;
	expect_error("zone a = { b }\nzone b = { 192.0.2.1, a }\n"
		     "allow a -> b any\n",
		     "is defined through itself", NULL);
	expect_error("service s = { proto tcp port 1, s }\n"
		     "allow any -> any service s\n",
		     "service 's' is defined through itself", NULL);
	expect_error(
		"define x = { 1, $x }\nallow any -> any proto tcp port $x\n",
		"macro 'x' is defined through itself", NULL);
}

static void test_addresses(void **state)
{
	(void)state;
	expect_error("allow 10.0.0.1/8 -> any any\n",
		     "t.pol:1:7: error: '10.0.0.1/8' is not a canonical prefix",
		     "did you mean 10.0.0.0/8?", NULL);
	expect_error("allow 2001:db8::1/32 -> any any\n",
		     "did you mean 2001:db8::/32?", NULL);
	expect_error("allow 192.0.2.256 -> any any\n",
		     "bad address '192.0.2.256'", NULL);
	expect_error("allow 192.0.2.0/33 -> any any\n",
		     "bad prefix length in '192.0.2.0/33': expected 0-32",
		     NULL);
	expect_error("allow 192.0.2.20-192.0.2.10 -> any any\n",
		     "reversed range '192.0.2.20-192.0.2.10'", NULL);
	expect_error("allow 192.0.2.1-2001:db8::1 -> any any\n",
		     "mixes IPv4 and IPv6", NULL);
}

static void test_ports(void **state)
{
	(void)state;
	expect_error("allow any -> any proto tcp port 65536\n",
		     "t.pol:1:33: error: port out of range in '65536'", NULL);
	expect_error("allow any -> any proto tcp port 139-135\n",
		     "reversed port range '139-135'", "did you mean 135-139?",
		     NULL);
	expect_error("allow any -> any proto icmp port 80\n",
		     "t.pol:1:29: error: 'port' needs tcp, udp or sctp: icmp "
		     "has no ports",
		     NULL);
	expect_error("allow any -> any proto 47 from-port 80\n",
		     "'from-port' needs tcp, udp or sctp: gre has no ports",
		     NULL);
	expect_error("allow any -> any proto tcp type echo-request\n",
		     "'type' applies to icmp and icmp6 only", NULL);
	expect_error("allow any -> any proto icmp type bogus\n",
		     "unknown icmp type 'bogus'", NULL);
	expect_error("allow any -> any proto tcpp\n", "unknown protocol 'tcpp'",
		     NULL);
	expect_error("allow any -> any proto 256\n", "unknown protocol '256'",
		     NULL);
}

static void test_syntax(void **state)
{
	(void)state;
	expect_error("zone a = { 192.0.2.1, 192.0.2.2\nallow a -> a any\n",
		     "t.pol:1:10: error: unterminated list: this '{' is never "
		     "closed (expected '}')",
		     NULL);
	expect_error("allow any -> any any label \"x\n", "unterminated string",
		     NULL);
	expect_error("allow any any any\n",
		     "t.pol:1:11: error: expected '->' between source and "
		     "destination, found 'any'",
		     NULL);
	expect_error(
		"allow any -> any\n",
		"expected a service: 'proto ...', 'rpc ...', 'service NAME' "
		"or 'any', "
		"found end of line",
		NULL);
	expect_error("permit any -> any any\n",
		     "expected a statement: define, zone, service, set, allow "
		     "or deny, found 'permit'",
		     NULL);
	expect_error("zone allow = 192.0.2.1\n",
		     "'allow' is a reserved keyword", NULL);
	expect_error("allow any -> any any extra\n",
		     "expected end of line or 'label \"...\"', found 'extra'",
		     NULL);
	expect_error("set default maybe\n", "expected 'allow' or 'deny'", NULL);
	expect_error("set colour blue\n", "unknown option 'colour'", NULL);
	expect_error("zone a = {}\n", "empty list", NULL);
}

static void test_quote_and_caret(void **state)
{
	struct compiled c = compile_text("zone a = 192.0.2.0/24\n"
					 "allow a -> nowhere any\n");

	(void)state;
	assert_int_not_equal(c.err, 0);
	assert_non_null(strstr(c.diag, "t.pol:2:12: error: unknown zone "
				       "'nowhere'\n"
				       "  allow a -> nowhere any\n"
				       "             ^\n"));
	compiled_free(&c);
}

static void test_empty_and_garbage(void **state)
{
	static char big[10 * 1024 * 1024 + 1];
	struct compiled c;

	(void)state;
	expect_error("", "empty policy", NULL);
	expect_error("# only a comment\n\n", "empty policy", NULL);
	expect_error("\x7f"
		     "ELF\x02\x01\x01\0\0\0",
		     "unexpected byte 0x7f", NULL);
	expect_error("FWCA\x03",
		     "a compiled artifact (fwc compile -o), not "
		     "policy source",
		     NULL);
	/* A NUL anywhere: one error, at the first NUL, not one per line. */
	{
		static const char nul[] = "zone a = 192.0.2.0/24\n\0\x01\x02\n"
					  "\x03\x04\n";
		struct fwc_compile_opts opts = { .warnings = true };
		struct fwc_tables *t = NULL;
		char *msg = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&msg, &len);

		opts.err = f;
		assert_int_equal(fwc_compile("t.pol", nul, sizeof(nul) - 1,
					     &opts, &t, NULL),
				 -EINVAL);
		fclose(f);
		assert_null(t);
		assert_string_equal(msg,
				    "t.pol:2:1: error: a NUL byte: binary "
				    "data, not a policy file\n  ???\n  ^\n");
		free(msg);
	}
	/* 10 MB on one line: an error, quickly, with a bounded quote. */
	memset(big, 'a', sizeof(big) - 1);
	c = compile_text(big);
	assert_int_not_equal(c.err, 0);
	assert_true(c.diag_len < 1024);
	compiled_free(&c);
	/* 10 MB of a valid list on one line compiles. */
	{
		size_t o = 0, n = 10 * 1024 * 1024;
		char *s = malloc(n + 64);

		o += (size_t)sprintf(s + o, "zone a = {");
		for (unsigned int i = 0; o < n - 32; i++)
			o += (size_t)sprintf(s + o, " 10.%u.%u.%u",
					     i >> 16 & 255, i >> 8 & 255,
					     i & 255);
		sprintf(s + o, " }\nallow a -> a any\n");
		c = compile_text(s);
		assert_int_equal(c.err, 0);
		compiled_free(&c);
		free(s);
	}
}

static void test_missing_file(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct fwc_compile_opts opts = { .err = f };
	struct fwc_tables *t = NULL;

	(void)state;
	assert_int_equal(fwc_compile_file("/nonexistent/x.pol", &opts, &t),
			 -ENOENT);
	assert_int_equal(fwc_compile_file("/", &opts, &t), -EISDIR);
	fclose(f);
	assert_null(t);
	assert_non_null(strstr(out, "/nonexistent/x.pol: error: cannot read "
				    "policy: No such file or directory"));
	assert_non_null(strstr(out, "/: error: cannot read policy: Is a "
				    "directory"));
	free(out);
}

static void test_warnings_do_not_fail(void **state)
{
	struct compiled c =
		compile_text("zone a = 192.0.2.0/24\nzone unused = 192.0.2.9\n"
			     "service web = proto tcp port 80\n"
			     "allow a -> a proto tcp\n"
			     "allow a -> a service web\n"
			     "allow a -> 2001:db8::1 any\n");

	(void)state;
	assert_int_equal(c.err, 0);
	assert_non_null(strstr(c.diag, "t.pol:2:6: warning: zone 'unused' is "
				       "never used"));
	assert_non_null(strstr(c.diag, "t.pol:5:1: warning: rule 2 is shadowed "
				       "by earlier rule 1"));
	assert_non_null(strstr(c.diag, "t.pol:6:1: warning: rule 3 matches no "
				       "packet"));
	compiled_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_defined_twice),
		cmocka_unit_test(test_self_reference),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_quote_and_caret),
		cmocka_unit_test(test_empty_and_garbage),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_warnings_do_not_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
