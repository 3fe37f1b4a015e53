// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Every example of docs/policy-language.md parses and means what it says. */
#include "helpers.h"

#ifndef SPEC_EXAMPLE
#define SPEC_EXAMPLE "tests/spec/example.pol"
#endif

static struct compiled compile_path(const char *path)
{
	struct compiled c = { 0 };
	char *text;
	size_t len;

	assert_int_equal(fwc_read_file(path, &text, &len), 0);
	c.diag = NULL;
	{
		FILE *f = open_memstream(&c.diag, &c.diag_len);
		struct fwc_compile_opts o = { .warnings = true, .err = f };

		c.err = fwc_compile(path, text, len, &o, &c.t, &c.pol);
		fclose(f);
	}
	free(text);
	return c;
}

static void test_password_manager_example(void **state)
{
	struct compiled c = compile_path(SPEC_EXAMPLE);
	static const struct {
		const char *pkt;
		uint32_t rule;
	} cases[] = {
		{ "tcp 203.0.113.9:40000 -> 192.0.2.3:443", 1 },
		{ "tcp 203.0.113.9:40000 -> 192.0.2.3:80", 1 },
		{ "tcp 203.0.113.9:40000 -> 192.0.2.3:8080", 0 },
		{ "tcp 203.0.113.9:40000 -> 192.0.2.16:443",
		  0 }, /* outside /28 */
		{ "tcp 198.51.100.10:49152 -> 192.0.2.5:135", 2 },
		{ "tcp 198.51.100.10:65535 -> 192.0.2.5:135", 2 },
		{ "tcp 198.51.100.10:49151 -> 192.0.2.5:135", 0 },
		{ "tcp 192.0.2.5:50000 -> 198.51.100.10:135", 3 },
		{ "udp 192.0.2.5:50000 -> 198.51.100.21:139", 3 },
		{ "tcp 192.0.2.5:50000 -> 198.51.100.20:88", 4 },
		{ "udp 192.0.2.5:50000 -> 198.51.100.20:464", 4 },
		{ "udp 192.0.2.5:50000 -> 198.51.100.21:389", 4 },
		{ "tcp 192.0.2.5:50000 -> 198.51.100.10:389",
		  5 - 5 }, /* not dc */
		{ "tcp 192.0.2.5:50000 -> 198.51.100.10:49152", 5 },
		{ "udp 192.0.2.5:50000 -> 198.51.100.10:49152", 0 },
		{ "udp 192.0.2.5:50000 -> 198.51.100.53:53", 6 },
		{ "tcp 192.0.2.5:50000 -> 198.51.100.53:53", 0 },
		{ "tcp 198.51.100.10:50000 -> 198.51.100.25:25", 7 },
		{ "tcp 192.0.2.5:50000 -> 198.51.100.20:3389", 8 },
		{ "icmp 192.0.2.5 -> 198.51.100.20 type echo-request", 0 },
		{ "tcp [2001:db8::1]:443 -> [2001:db8::2]:80", 0 },
	};

	(void)state;
	assert_int_equal(c.err, 0);
	assert_int_equal(c.t->meta.n_rules, 8);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint32_t got = classify(&c, cases[i].pkt);

		if (got != cases[i].rule)
			fail_msg("%s: rule %u, expected %u", cases[i].pkt, got,
				 cases[i].rule);
	}
	assert_int_equal(fwc_tables_action(c.t, 8), FWC_ACT_DENY);
	assert_int_equal(c.t->rules[8].flags, FWC_RULE_LOG);
	assert_string_equal(c.t->rule_meta[1].label, "web");
	assert_string_equal(c.t->rule_meta[8].label, "no rdp");
	compiled_free(&c);
}

static void test_lists_exclusions_ranges(void **state)
{
	struct compiled c = compile_text(
		"zone net = { 10.0.0.0/8, !10.9.0.0/16 }\n"
		"zone r = 192.0.2.10-192.0.2.20\n"
		"zone v6 = 2001:db8:10::/48\n"
		"zone nested = { r, { 198.51.100.7 198.51.100.8 } }\n"
		"allow net -> r proto tcp port 22\n"
		"allow nested -> net proto udp port { 80, 443, 5075-5077 }\n"
		"allow v6 -> v6 proto icmp6 type { echo-request, 129 }\n"
		"allow { !net } -> r proto tcp port 23\n");

	(void)state;
	assert_int_equal(c.err, 0);
	assert_int_equal(classify(&c, "tcp 10.1.2.3:1 -> 192.0.2.10:22"), 1);
	assert_int_equal(classify(&c, "tcp 10.1.2.3:1 -> 192.0.2.20:22"), 1);
	assert_int_equal(classify(&c, "tcp 10.1.2.3:1 -> 192.0.2.21:22"), 0);
	assert_int_equal(classify(&c, "tcp 10.1.2.3:1 -> 192.0.2.9:22"), 0);
	assert_int_equal(classify(&c, "tcp 10.9.2.3:1 -> 192.0.2.15:22"), 0);
	assert_int_equal(classify(&c, "tcp 10.9.2.3:1 -> 192.0.2.15:23"), 4);
	assert_int_equal(classify(&c, "tcp 10.1.2.3:1 -> 192.0.2.15:23"), 0);
	assert_int_equal(classify(&c, "udp 192.0.2.12:9 -> 10.0.0.1:5076"), 2);
	assert_int_equal(classify(&c, "udp 198.51.100.8:9 -> 10.0.0.1:443"), 2);
	assert_int_equal(classify(&c, "udp 198.51.100.9:9 -> 10.0.0.1:443"), 0);
	assert_int_equal(classify(&c, "udp 198.51.100.8:9 -> 10.9.0.1:443"), 0);
	assert_int_equal(
		classify(
			&c,
			"icmp6 2001:db8:10::1 -> 2001:db8:10:ffff::1 type echo-request"),
		3);
	assert_int_equal(
		classify(&c, "icmp6 2001:db8:10::1 -> 2001:db8:10::2 type 129"),
		3);
	assert_int_equal(
		classify(&c, "icmp6 2001:db8:10::1 -> 2001:db8:11::2 type 129"),
		0);
	assert_int_equal(
		classify(&c, "icmp6 2001:db8:10::1 -> 2001:db8:10::2 type 1"),
		0);
	compiled_free(&c);
}

static void test_services_and_syntax(void **state)
{
	struct compiled c = compile_text(
		"define rpc = 49152-65535\n"
		"define hosts = { 192.0.2.1 192.0.2.2 }\n"
		"service kerberos = proto { tcp, udp } port { 88, 464 }\n"
		"service ldap     = proto { tcp, udp } port 389\n"
		"service ad = { kerberos, ldap, proto tcp port 3268 }\n"
		"zone dc = $hosts\n"
		"allow any -> dc service ad label \"a \\\"quoted\\\" label\"\n"
		"allow any -> dc \\\n  proto tcp port 135 from-port $rpc\n"
		"deny any -> any proto 47\n"
		"allow any -> any proto icmp type echo-request\n");

	(void)state;
	assert_int_equal(c.err, 0);
	assert_int_equal(classify(&c, "tcp 203.0.113.1:5 -> 192.0.2.2:3268"),
			 1);
	assert_int_equal(classify(&c, "udp 203.0.113.1:5 -> 192.0.2.1:88"), 1);
	assert_int_equal(classify(&c, "udp 203.0.113.1:5 -> 192.0.2.1:3268"),
			 0);
	assert_int_equal(classify(&c, "tcp 203.0.113.1:49152 -> 192.0.2.1:135"),
			 2);
	assert_int_equal(classify(&c, "tcp 203.0.113.1:1024 -> 192.0.2.1:135"),
			 0);
	assert_int_equal(classify(&c, "47 203.0.113.1 -> 192.0.2.1"), 3);
	assert_int_equal(classify(&c, "icmp 203.0.113.1 -> 192.0.2.1 type 8"),
			 4);
	assert_int_equal(classify(&c, "icmp 203.0.113.1 -> 192.0.2.1 type 0"),
			 0);
	assert_string_equal(c.t->rule_meta[1].label, "a \"quoted\" label");
	assert_string_equal(
		c.t->rule_meta[2].text,
		"allow any -> dc proto tcp port 135 from-port $rpc");
	compiled_free(&c);
}

static void test_options(void **state)
{
	struct compiled c =
		compile_text("set default allow\nset non-ip drop\n"
			     "set state off\n"
			     "deny any -> 192.0.2.1 proto tcp port 22\n");

	(void)state;
	assert_int_equal(c.err, 0);
	assert_int_equal(c.t->meta.default_act, FWC_ACT_ALLOW);
	assert_true(c.t->meta.flags & FWC_META_NONIP_DROP);
	assert_true(c.t->meta.flags & FWC_META_STATE_OFF);
	assert_int_equal(classify(&c, "tcp 203.0.113.1:5 -> 192.0.2.1:22"), 1);
	assert_int_equal(classify(&c, "tcp 203.0.113.1:5 -> 192.0.2.1:23"), 0);
	assert_int_equal(fwc_tables_action(c.t, 0), FWC_ACT_ALLOW);
	compiled_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_manager_example),
		cmocka_unit_test(test_lists_exclusions_ranges),
		cmocka_unit_test(test_services_and_syntax),
		cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
