// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* fwc check's analysis: known answers on crafted policies. */
#include "helpers.h"

#define HEAD                                                \
	"zone a = 192.0.2.0/24\nzone b = 198.51.100.0/24\n" \
	"zone h = 192.0.2.7\n"

static void expect_finding(const char *text, const char *needle)
{
	struct compiled c = compile_text(text);

	assert_int_equal(c.err, 0);
	if (!strstr(c.diag, needle))
		fail_msg("no '%s' in:\n%s", needle, c.diag);
	compiled_free(&c);
}

static void expect_no_finding(const char *text, const char *needle)
{
	struct compiled c = compile_text(text);

	assert_int_equal(c.err, 0);
	if (strstr(c.diag, needle))
		fail_msg("unexpected '%s' in:\n%s", needle, c.diag);
	compiled_free(&c);
}

static void test_shadowed_by_which(void **state)
{
	(void)state;
	/* Two earlier rules together cover rule 3; neither alone does. */
	expect_finding(HEAD "allow a -> b proto tcp port 1-100\n"
			    "deny a -> b proto tcp port 101-200\n"
			    "allow h -> b proto tcp port 50-150\n",
		       "t.pol:6:1: warning: rule 3 is shadowed by earlier "
		       "rules 1 and 2 and never decides a packet");
	expect_no_finding(HEAD "allow a -> b proto tcp port 1-100\n"
			       "allow h -> b proto tcp port 50-150\n",
			  "shadowed");
}

static void test_unmatched(void **state)
{
	(void)state;
	expect_finding(HEAD "allow a -> 2001:db8::1 any\n",
		       "rule 1 matches no packet");
	expect_finding("allow { 192.0.2.0/24, !192.0.2.0/24 } -> any any\n"
		       "allow any -> any proto tcp port 1\n",
		       "rule 1 matches no packet");
	/* icmp6 is IPv6 only: between IPv4 zones it never matches. */
	expect_finding(HEAD "allow a -> b proto icmp6 type echo-request\n",
		       "rule 1 matches no packet: icmp6 is IPv6 only, and its "
		       "source has no IPv6 address");
	expect_finding("allow 2001:db8::1 -> any proto icmp\n",
		       "rule 1 matches no packet: icmp is IPv4 only, and its "
		       "source has no IPv4 address");
	expect_no_finding("allow any -> 2001:db8::1 proto icmp6\n"
			  "allow any -> 192.0.2.1 proto { icmp, icmp6 }\n",
			  "matches no packet");
}

static void test_redundant(void **state)
{
	(void)state;
	/* Rule 1 allows a subset of what rule 2 allows: same verdicts. */
	expect_finding(HEAD "allow h -> b proto tcp port 22\n"
			    "allow a -> b proto tcp port 1-1024\n",
		       "rule 1 is redundant: without it rule 2 would give");
	/* A deny before the default deny changes nothing... */
	expect_finding(HEAD "deny a -> b proto tcp port 22\n"
			    "allow a -> a any\n",
		       "rule 1 is redundant: without it the default would");
	/* ...unless it logs, or something later would allow it. */
	expect_no_finding(HEAD "deny log a -> b proto tcp port 22\n"
			       "allow a -> a any\n",
			  "redundant");
	expect_no_finding(HEAD "deny a -> b proto tcp port 22\n"
			       "allow a -> b proto tcp\n",
			  "rule 1 is redundant");
}

static void test_overlap(void **state)
{
	(void)state;
	expect_finding(HEAD "deny h -> b proto tcp port 22\n"
			    "allow a -> b proto tcp port 22\n",
		       "rule 2 (allow) overlaps earlier rule 1 (deny), which "
		       "decides part of what it matches");
	expect_no_finding(HEAD "allow h -> b proto tcp port 22\n"
			       "allow a -> b proto tcp port 22\n",
			  "overlaps");
}

static void test_wide(void **state)
{
	struct fwc_compile_opts o = { .warnings = true, .wide_ports = 20000 };
	struct compiled c;

	(void)state;
	expect_finding(HEAD "define rpc = 49152-65535\n"
			    "allow a -> b proto tcp port $rpc\n",
		       "rule 1 opens 16384 TCP ports from a to b (256 source "
		       "x 256 destination addresses)");
	expect_no_finding(HEAD "allow a -> b proto tcp port 1-1024\n", "opens");
	c = compile_text_opts(HEAD "allow a -> b proto udp port 1024-65535\n",
			      o);
	assert_non_null(strstr(c.diag, "opens 64512 UDP ports"));
	compiled_free(&c);
	c = compile_text_opts(HEAD "allow a -> b proto udp port 49152-65535\n",
			      o);
	assert_null(strstr(c.diag, "opens"));
	compiled_free(&c);
}

#define RPC_HINT "it opens the dynamic RPC range: `rpc { INTERFACES }`"

/* A wide rule of the dynamic RPC range towards hosts that get TCP 135. */
static void test_wide_rpc_hint(void **state)
{
	(void)state;
	/* 135 by another rule, earlier or later; 49152-65535 or more. */
	expect_finding(
		HEAD "allow a -> b proto tcp port 135\n"
		     "allow a -> b proto tcp port 49152-65535\n",
		"t.pol:5:1: warning: rule 2 opens 16384 TCP ports from "
		"a to b (256 source x 256 destination addresses); " RPC_HINT
		" opens only the port the endpoint mapper hands out "
		"(docs/rpc-pinholes.md)");
	expect_finding(HEAD "allow a -> b proto tcp port 1024-65535\n"
			    "allow h -> b proto tcp port 135\n",
		       "rule 1 opens 64512 TCP ports from a to b (256 source x "
		       "256 destination addresses); " RPC_HINT);
	/* The same rule, as `service msrpc = tcp 135, 49152-65535` does. */
	expect_finding(HEAD
		       "allow a -> b proto tcp port { 135, 49152-65535 }\n",
		       RPC_HINT);
	/* An rpc rule's TCP 135 counts too. */
	expect_finding(HEAD "allow a -> b rpc { samr }\n"
			    "allow a -> b proto tcp port 49152-65535\n",
		       "rule 2 opens 16384 TCP ports from a to b (256 source x "
		       "256 destination addresses); " RPC_HINT);
	/* No TCP 135 for those sources: wide, but no hint. */
	expect_finding(HEAD "allow a -> b proto tcp port 49152-65535\n",
		       "rule 1 opens 16384 TCP ports");
	expect_no_finding(HEAD "allow a -> b proto tcp port 49152-65535\n",
			  "RPC");
	expect_no_finding(HEAD "allow 203.0.113.0/24 -> b proto tcp port 135\n"
			       "allow a -> b proto tcp port 49152-65535\n",
			  "RPC");
	/* ...or to other destinations, or denied before. */
	expect_no_finding(
		HEAD "allow a -> h proto tcp port 135\n"
		     "allow a -> 198.51.100.7 proto tcp port 49152-65535\n",
		"RPC");
	expect_no_finding(HEAD "deny a -> b proto tcp port 135\n"
			       "allow a -> b proto tcp port 135\n"
			       "allow a -> b proto tcp port 49152-65535\n",
			  "RPC");
	/* Not the dynamic range: below it, UDP, or every TCP port. */
	expect_no_finding(HEAD "allow a -> b proto tcp port 135\n"
			       "allow a -> b proto tcp port 10000-40000\n",
			  "RPC");
	expect_no_finding(HEAD "allow a -> b proto tcp port 135\n"
			       "allow a -> b proto udp port 49152-65535\n",
			  "RPC");
	expect_no_finding(HEAD "allow a -> b proto tcp port 135\n"
			       "allow a -> b proto tcp\n",
			  "RPC");
}

/* rpc rules: pinholes no earlier rule takes away; never redundant. */
static void test_rpc_rules(void **state)
{
	(void)state;
	/* Its TCP 135 all decided earlier: no pinhole ever opens for it. */
	expect_finding(
		HEAD "allow a -> b proto tcp port 135\n"
		     "allow a -> b service { proto tcp port 443, "
		     "rpc { samr } }\n",
		"t.pol:5:1: warning: rule 2's rpc never opens a pinhole: "
		"earlier rule 1 decides all of its TCP 135, the "
		"endpoint-mapper connections whose answers would open "
		"them");
	expect_finding(HEAD
		       "allow h -> b rpc { netlogon }\n"
		       "deny 192.0.2.8 -> b proto tcp port 135\n"
		       "allow { h, 192.0.2.8 } -> b service { proto tcp port "
		       "443, rpc { samr } }\n",
		       "rule 3's rpc never opens a pinhole: earlier rules 1 "
		       "and 2 decide all of its TCP 135");
	/* Some of its TCP 135 is its own: quiet. */
	expect_no_finding(HEAD "allow h -> b proto tcp port 135\n"
			       "allow a -> b service { proto tcp port 443, "
			       "rpc { samr } }\n",
			  "never opens");
	/* Entirely shadowed: the shadow warning says it, once. */
	expect_finding(HEAD "allow a -> b proto tcp port 135\n"
			    "allow a -> b rpc { samr }\n",
		       "rule 2 is shadowed by earlier rule 1");
	expect_no_finding(HEAD "allow a -> b proto tcp port 135\n"
			       "allow a -> b rpc { samr }\n",
			  "never opens");
	/* Its pinholes are an effect of its own, as a log is. */
	expect_no_finding(HEAD "allow a -> b rpc { samr }\n"
			       "allow a -> b proto tcp port 135\n",
			  "rule 1 is redundant");
	/* And a rule that keeps TCP 135 from an rpc rule is needed. */
	expect_no_finding(HEAD "allow h -> b proto tcp port 135\n"
			       "allow a -> b rpc { samr }\n",
			  "redundant");
	/* ...but one whose rpc opens nothing and the rest is decided later. */
	expect_finding(HEAD "allow a -> b proto tcp port 135\n"
			    "allow a -> b service { proto tcp port 443, rpc { "
			    "samr } }\n"
			    "allow a -> b proto tcp port 443\n",
		       "rule 2 is redundant: without it rule 3 would give");
	/* Two rpc rules of the same pair: the second opens nothing. */
	expect_finding(HEAD "allow a -> b rpc { samr }\n"
			    "allow a -> b service { proto tcp port 443, rpc { "
			    "netlogon } }\n",
		       "rule 2's rpc never opens a pinhole: earlier rule 1");
}

static void test_json(void **state)
{
	struct fwc_compile_opts o = { .warnings = true, .json = true };
	struct compiled c =
		compile_text_opts(HEAD "allow a -> b proto tcp port 1-100\n"
				       "allow h -> b proto tcp port \"x\"\n",
				  o);

	(void)state;
	/* An error as JSON, with its position. */
	assert_int_not_equal(c.err, 0);
	assert_non_null(strstr(c.diag, "{\"file\": \"t.pol\", \"line\": 5, "
				       "\"col\": 29, \"severity\": \"error\""));
	compiled_free(&c);
	c = compile_text_opts(HEAD "zone spare = 203.0.113.1\n"
				   "allow a -> b proto tcp port 1-100\n"
				   "allow h -> b proto tcp port 50\n",
			      o);
	assert_int_equal(c.err, 0);
	assert_non_null(
		strstr(c.diag, "\"kind\": \"shadowed\", \"rules\": [1]"));
	assert_non_null(strstr(c.diag, "\"kind\": \"unused\""));
	compiled_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shadowed_by_which),
		cmocka_unit_test(test_unmatched),
		cmocka_unit_test(test_redundant),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_wide),
		cmocka_unit_test(test_wide_rpc_hint),
		cmocka_unit_test(test_rpc_rules),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
