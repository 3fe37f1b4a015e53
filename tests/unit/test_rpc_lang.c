// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * `rpc IFACES [port PORTS]`, the MS-RPC service of issue 12
 * (docs/policy-language.md, "rpc services"): the forms, the errors with
 * their positions, the defaults, what lands in the tables (rules' flags
 * and rpc_first/rpc_n, rpc_ifaces, meta), the artifact, deny rules, and
 * `rpc` staying a name where no interfaces follow it.
 */
#include <errno.h>

#include "helpers.h"
#include "lexer.h"
#include "rpc_iface.h"

#define Z                               \
	"zone backend = 192.0.2.0/24\n" \
	"zone dc = 198.51.100.10\n"     \
	"zone mgmt = 203.0.113.0/24\n"

static struct compiled ok(const char *text)
{
	struct compiled c = compile_text(text);

	if (c.err)
		fail_msg("compile failed:\n%s\n%s", text, c.diag);
	assert_int_equal(fwc_tables_validate(c.t, NULL, 0), 0);
	return c;
}

static const struct fwc_rpc_iface_row *row(const char *name)
{
	const struct fwc_rpc_iface_row *r = fwc_rpc_iface_find(name);

	assert_non_null(r);
	return r;
}

/* Entry @i of rule @id (1-based) is interface @name of the table. */
static void expect_named(const struct compiled *c, uint32_t id, uint32_t i,
			 const char *name, uint16_t lo, uint16_t hi)
{
	const struct fwc_rule_info *ri = &c->t->rules[id];
	const struct fwc_rpc_iface *e;
	const struct fwc_rpc_iface_row *r = row(name);

	assert_true(ri->flags & FWC_RULE_RPC);
	assert_true(i < ri->rpc_n);
	e = &c->t->rpc_ifaces[ri->rpc_first + i];
	assert_memory_equal(e->uuid, r->uuid, 16);
	assert_int_equal(e->major, r->vers_major);
	assert_int_equal(e->flags, 0);
	assert_int_equal(e->port_lo, lo);
	assert_int_equal(e->port_hi, hi);
}

static const struct fwc_rpc_iface *entry(const struct compiled *c, uint32_t id,
					 uint32_t i)
{
	const struct fwc_rule_info *ri = &c->t->rules[id];

	assert_true(i < ri->rpc_n);
	return &c->t->rpc_ifaces[ri->rpc_first + i];
}

/* The lexer keeps a UUID literal, with or without a version, one word. */
static void test_uuid_is_one_word(void **state)
{
	static const char *words[] = {
		"12345778-1234-abcd-ef00-0123456789ac",
		"12345778-1234-abcd-ef00-0123456789ac:1.0",
		"a4f1db00-ca47-1067-b31f-00dd010662da:0.81",
		"E1AF8308-5D1F-11C9-91A4-08002B14A0FA:3",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		char text[128];
		struct fwc_src src = { "t.pol", text, 0 };
		struct fwc_diag diag;
		struct fwc_lexer lx;
		struct fwc_token tok;

		snprintf(text, sizeof(text), "{ %s, samr }", words[i]);
		src.len = strlen(text);
		fwc_diag_init(&diag, &src, stderr);
		fwc_lexer_init(&lx, &src, &diag);
		assert_int_equal(fwc_lexer_next(&lx, &tok), 0);
		assert_int_equal(tok.kind, TOK_LBRACE);
		assert_int_equal(fwc_lexer_next(&lx, &tok), 0);
		assert_int_equal(tok.kind, TOK_WORD);
		assert_string_equal(tok.text, words[i]);
		fwc_token_free(&tok);
		assert_int_equal(fwc_lexer_next(&lx, &tok), 0);
		assert_int_equal(tok.kind, TOK_COMMA);
		assert_int_equal(diag.errors, 0);
	}
}

/* In a rule: the interfaces, in order, each with the default bounds. */
static void test_rule(void **state)
{
	struct compiled c = ok(Z "allow backend -> dc rpc { samr, netlogon } "
				 "label \"x\"\n"
				 "allow backend -> dc proto tcp port 22\n");

	(void)state;
	assert_int_equal(c.t->meta.n_rpc, 2);
	assert_true(c.t->meta.flags & FWC_META_RPC);
	assert_int_equal(c.t->rules[1].action, FWC_ACT_ALLOW);
	assert_int_equal(c.t->rules[1].flags, FWC_RULE_RPC);
	assert_int_equal(c.t->rules[1].rpc_first, 0);
	assert_int_equal(c.t->rules[1].rpc_n, 2);
	expect_named(&c, 1, 0, "samr", FWC_RPC_PORT_LO, FWC_RPC_PORT_HI);
	expect_named(&c, 1, 1, "netlogon", 1024, 65535);
	/* The other rule, and the default one, are no rpc rules. */
	assert_int_equal(c.t->rules[2].flags, 0);
	assert_int_equal(c.t->rules[2].rpc_n, 0);
	assert_int_equal(c.t->rules[0].flags, 0);
	/* What the rules admit: TCP 135, not the dynamic ports. */
	assert_int_equal(classify(&c, "tcp 192.0.2.5:50000 -> "
				      "198.51.100.10:135"),
			 1);
	assert_int_equal(classify(&c, "tcp 192.0.2.5:135 -> "
				      "198.51.100.10:135"),
			 1);
	assert_int_equal(classify(&c, "tcp 192.0.2.5:50000 -> "
				      "198.51.100.10:49154"),
			 0);
	assert_int_equal(classify(&c, "udp 192.0.2.5:50000 -> "
				      "198.51.100.10:135"),
			 0);
	assert_int_equal(classify(&c, "tcp 203.0.113.5:50000 -> "
				      "198.51.100.10:135"),
			 0);
	/* The resolved policy says where each was written. */
	assert_int_equal(c.pol->n_rpc, 2);
	assert_string_equal(c.pol->rpc[0].name, "samr");
	assert_int_equal(c.pol->rpc[0].pos.line, 4);
	assert_int_equal(c.pol->rpc[0].pos.col, 27);
	assert_int_equal(c.pol->rpc[1].pos.col, 33);
	assert_int_equal(c.pol->rules[0].rpc_first, 0);
	assert_int_equal(c.pol->rules[0].n_rpc, 2);
	compiled_free(&c);
	/* One interface, without braces. */
	c = ok(Z "allow backend -> dc rpc drsuapi\n");
	assert_int_equal(c.t->meta.n_rpc, 1);
	expect_named(&c, 1, 0, "drsuapi", 1024, 65535);
	compiled_free(&c);
	/* Commas are optional, newlines inside braces are blanks. */
	c = ok(Z "allow backend -> dc rpc {\n  samr\n  lsarpc netlogon\n}\n");
	assert_int_equal(c.t->meta.n_rpc, 3);
	expect_named(&c, 1, 1, "lsarpc", 1024, 65535);
	compiled_free(&c);
}

/* As a service's body, in service lists, named from rules. */
static void test_services(void **state)
{
	struct compiled c = ok(Z "service ad-rpc = rpc { drsuapi, netlogon }\n"
				 "allow backend -> dc service ad-rpc\n"
				 "allow mgmt -> dc service { ad-rpc }\n");

	(void)state;
	assert_int_equal(c.t->meta.n_rpc, 4);
	expect_named(&c, 1, 0, "drsuapi", 1024, 65535);
	expect_named(&c, 1, 1, "netlogon", 1024, 65535);
	expect_named(&c, 2, 0, "drsuapi", 1024, 65535);
	assert_int_equal(c.t->rules[2].rpc_first, 2);
	/* Where the interface was written: in the service. */
	assert_int_equal(c.pol->rpc[2].pos.line, 4);
	assert_int_equal(classify(&c, "tcp 203.0.113.9:1 -> 198.51.100.10:135"),
			 2);
	compiled_free(&c);
	/* A list mixing rpc and other services. */
	c = ok(Z "service x = { proto udp port 53, rpc any }\n"
		 "allow backend -> dc service x\n");
	assert_int_equal(c.t->meta.n_rpc, 1);
	assert_int_equal(entry(&c, 1, 0)->flags, FWC_RPC_ANY);
	assert_int_equal(entry(&c, 1, 0)->major, 0);
	assert_int_equal(entry(&c, 1, 0)->port_lo, 1024);
	assert_int_equal(classify(&c, "udp 192.0.2.1:5 -> 198.51.100.10:53"),
			 1);
	assert_int_equal(classify(&c, "tcp 192.0.2.1:5 -> 198.51.100.10:135"),
			 1);
	assert_int_equal(classify(&c, "tcp 192.0.2.1:5 -> 198.51.100.10:53"),
			 0);
	compiled_free(&c);
	/* A rule's inline list, and a service used by two rules. */
	c = ok(Z "service dns = proto udp port 53\n"
		 "service epm = rpc { samr lsarpc }\n"
		 "allow backend -> dc service { dns, epm, rpc netlogon }\n"
		 "allow mgmt -> dc service epm\n");
	assert_int_equal(c.t->meta.n_rpc, 5);
	assert_int_equal(c.t->rules[1].rpc_n, 3);
	expect_named(&c, 1, 2, "netlogon", 1024, 65535);
	assert_int_equal(c.t->rules[2].rpc_first, 3);
	assert_int_equal(c.t->rules[2].rpc_n, 2);
	compiled_free(&c);
}

/* Names in any case, literals with and without a version, any. */
static void test_interfaces(void **state)
{
	struct compiled c =
		ok(Z "allow backend -> dc rpc { SAMR, itaskschedulerservice, "
		     "NetLogon, 12345678-1234-ABCD-EF00-01234567CFFB:7, "
		     "a4f1db00-ca47-1067-b31f-00dd010662da:0.81, "
		     "e3514235-4b06-11d1-ab04-00c04fc2dcd2 }\n"
		     "allow mgmt -> dc rpc any\n");
	const struct fwc_rpc_iface *e;

	(void)state;
	assert_int_equal(c.t->rules[1].rpc_n, 6);
	expect_named(&c, 1, 0, "samr", 1024, 65535);
	expect_named(&c, 1, 1, "ITaskSchedulerService", 1024, 65535);
	expect_named(&c, 1, 2, "netlogon", 1024, 65535);
	assert_string_equal(c.pol->rpc[1].name, "ITaskSchedulerService");
	/* netlogon's UUID with another major: an entry of its own. */
	e = entry(&c, 1, 3);
	assert_memory_equal(e->uuid, row("netlogon")->uuid, 16);
	assert_int_equal(e->major, 7);
	assert_int_equal(e->flags, 0);
	assert_null(c.pol->rpc[3].name);
	/* mapi's, written out: major 0 (the minor is RPC's business). */
	e = entry(&c, 1, 4);
	assert_memory_equal(e->uuid, row("mapi")->uuid, 16);
	assert_int_equal(e->major, 0);
	assert_int_equal(e->flags, 0);
	/* drsuapi's without a version: every version. */
	e = entry(&c, 1, 5);
	assert_memory_equal(e->uuid, row("drsuapi")->uuid, 16);
	assert_int_equal(e->major, 0);
	assert_int_equal(e->flags, FWC_RPC_ANY_VERSION);
	/* any: one entry, nothing else set. */
	e = entry(&c, 2, 0);
	assert_int_equal(c.t->rules[2].rpc_n, 1);
	assert_int_equal(e->flags, FWC_RPC_ANY);
	for (int i = 0; i < 16; i++)
		assert_int_equal(e->uuid[i], 0);
	compiled_free(&c);
	/* The wire form: samr's literal gives the samr row's bytes. */
	c = ok(Z "allow backend -> dc rpc "
		 "12345778-1234-abcd-ef00-0123456789ac:1.0\n");
	expect_named(&c, 1, 0, "samr", 1024, 65535);
	assert_int_equal(entry(&c, 1, 0)->uuid[0], 0x78);
	assert_int_equal(entry(&c, 1, 0)->uuid[3], 0x12);
	assert_int_equal(entry(&c, 1, 0)->uuid[15], 0xac);
	compiled_free(&c);
}

/* `port PORTS`: one port or one range, each rpc service its own. */
static void test_ports(void **state)
{
	struct compiled c =
		ok(Z "define rpc = 49152-65535\n"
		     "define one = 5000\n"
		     "allow backend -> dc service { rpc samr port 49152-65535, "
		     "rpc drsuapi }\n"
		     "allow mgmt -> dc rpc { samr, netlogon } port $rpc\n"
		     "allow mgmt -> backend rpc samr port $one\n"
		     "allow dc -> backend rpc samr port { 6000-6010 6011 }\n"
		     "allow dc -> mgmt rpc any port 1\n");

	(void)state;
	expect_named(&c, 1, 0, "samr", 49152, 65535);
	expect_named(&c, 1, 1, "drsuapi", 1024, 65535);
	expect_named(&c, 2, 0, "samr", 49152, 65535);
	expect_named(&c, 2, 1, "netlogon", 49152, 65535);
	expect_named(&c, 3, 0, "samr", 5000, 5000);
	expect_named(&c, 4, 0, "samr", 6000, 6011);
	assert_int_equal(entry(&c, 5, 0)->port_lo, 1);
	assert_int_equal(entry(&c, 5, 0)->port_hi, 1);
	/* The bounds are the pinholes': the rules admit TCP 135 only. */
	assert_int_equal(classify(&c, "tcp 192.0.2.5:1 -> 198.51.100.10:50000"),
			 0);
	compiled_free(&c);
	expect_error(Z "allow backend -> dc rpc samr port 0\n",
		     "t.pol:4:35: error: port 0 in rpc 'port': the ports a "
		     "pinhole may open are 1-65535",
		     NULL);
	expect_error(Z "allow backend -> dc rpc samr port 0-1000\n",
		     "port 0 in rpc 'port'", NULL);
	expect_error(Z "allow backend -> dc rpc samr port { 1000, 2000 }\n",
		     "t.pol:4:35: error: rpc 'port' takes one port or one "
		     "range, the ports a pinhole may open (such as "
		     "49152-65535): found 2 ranges",
		     NULL);
	expect_error(Z "define r = { 1000-2000, 3000-4000 }\n"
		       "allow backend -> dc rpc samr port $r\n",
		     "t.pol:5:35: error: rpc 'port' takes one port or one "
		     "range",
		     NULL);
	expect_error(Z "allow backend -> dc rpc samr port { 1024-65535, "
		       "!3389 }\n",
		     "found 2 ranges", NULL);
	expect_error(Z "allow backend -> dc rpc samr port 65536\n",
		     "port out of range in '65536'", NULL);
	expect_error(Z "allow backend -> dc rpc samr port 2000-1000\n",
		     "reversed port range '2000-1000'", NULL);
	expect_error(Z "allow backend -> dc rpc samr port high\n",
		     "expected a port (0-65535) or a port range", NULL);
	expect_error(Z "allow backend -> dc rpc samr port 5 port 6\n",
		     "t.pol:4:37: error: 'port' given twice", NULL);
	expect_error(Z "allow backend -> dc rpc samr from-port 5\n",
		     "t.pol:4:30: error: 'from-port' does not apply to rpc",
		     NULL);
}

/* The same interface twice in a rule is one entry; other bounds are not. */
static void test_duplicates(void **state)
{
	struct compiled c = ok(
		Z "service s = rpc samr\n"
		  "allow backend -> dc service { rpc { samr, SAMR }, rpc samr, "
		  "service s, rpc 12345778-1234-abcd-ef00-0123456789ac:1, "
		  "rpc samr port 1024-65535 }\n"
		  "allow mgmt -> dc service { rpc samr, rpc samr port 2000, "
		  "rpc any, rpc any }\n");

	(void)state;
	assert_int_equal(c.t->rules[1].rpc_n, 1);
	expect_named(&c, 1, 0, "samr", 1024, 65535);
	assert_int_equal(c.t->rules[2].rpc_first, 1);
	assert_int_equal(c.t->rules[2].rpc_n, 3);
	expect_named(&c, 2, 1, "samr", 2000, 2000);
	assert_int_equal(entry(&c, 2, 2)->flags, FWC_RPC_ANY);
	assert_int_equal(c.t->meta.n_rpc, 4);
	compiled_free(&c);
}

/* FWC_RPC_PER_RULE interfaces in one rule, and no more. */
static void test_per_rule_bound(void **state)
{
	char *text = malloc(8192);
	struct compiled c;
	size_t n;

	(void)state;
	for (unsigned int total = FWC_RPC_PER_RULE;
	     total <= FWC_RPC_PER_RULE + 1; total++) {
		n = (size_t)sprintf(text, Z "allow backend -> dc rpc {");
		for (unsigned int i = 0; i < total; i++)
			n += (size_t)sprintf(
				text + n, " 00000000-0000-0000-0000-%012x", i);
		sprintf(text + n, " }\n");
		c = compile_text(text);
		if (total == FWC_RPC_PER_RULE) {
			assert_int_equal(c.err, 0);
			assert_int_equal(c.t->rules[1].rpc_n, FWC_RPC_PER_RULE);
			assert_int_equal(c.t->meta.n_rpc, FWC_RPC_PER_RULE);
			assert_int_equal(entry(&c, 1, 63)->uuid[15], 63);
		} else {
			assert_int_not_equal(c.err, 0);
			assert_non_null(strstr(c.diag, "t.pol:4:2395: error: "
						       "more than 64 rpc "
						       "interfaces in one "
						       "rule"));
			assert_non_null(strstr(c.diag, "t.pol:4:1: note: in "
						       "this rule"));
		}
		compiled_free(&c);
	}
	/* Duplicates do not count. */
	n = (size_t)sprintf(text, Z "allow backend -> dc rpc {");
	for (unsigned int i = 0; i < 200; i++)
		n += (size_t)sprintf(text + n, " samr");
	sprintf(text + n, " }\n");
	c = ok(text);
	assert_int_equal(c.t->meta.n_rpc, 1);
	compiled_free(&c);
	free(text);
}

/* Unknown names and malformed literals, at their column, with a caret. */
static void test_errors(void **state)
{
	(void)state;
	expect_error(Z "allow backend -> dc rpc { samr, netlgon }\n",
		     "t.pol:4:33: error: unknown rpc interface 'netlgon' "
		     "(did you mean 'netlogon'?)",
		     "  allow backend -> dc rpc { samr, netlgon }\n"
		     "                                  ^\n",
		     NULL);
	expect_error(Z "service s = rpc samrr\nallow backend -> dc service s\n",
		     "t.pol:4:17: error: unknown rpc interface 'samrr' (did "
		     "you mean 'samr'?)",
		     NULL);
	expect_error(Z "allow backend -> dc rpc SAMRR\n",
		     "(did you mean 'samr'?)", NULL);
	expect_error(Z "allow backend -> dc rpc dcom\n",
		     "t.pol:4:25: error: unknown rpc interface 'dcom': "
		     "expected a name of the table in docs/rpc-pinholes.md",
		     NULL);
	/* An unused service's errors show too. */
	expect_error(Z "service s = rpc { samr, nope }\n"
		       "allow backend -> dc rpc samr\n",
		     "t.pol:4:25: error: unknown rpc interface 'nope'", NULL);
	/* Literals: a digit short or more, a dash moved, a bad version. */
	expect_error(Z "allow backend -> dc rpc "
		       "12345778-1234-abcd-ef00-0123456789a\n",
		     "t.pol:4:25: error: malformed rpc interface UUID "
		     "'12345778-1234-abcd-ef00-0123456789a': expected "
		     "8-4-4-4-12 hex digits",
		     NULL);
	expect_error(Z "allow backend -> dc rpc "
		       "12345778-12341-abcd-ef00-0123456789a\n",
		     "malformed rpc interface UUID", NULL);
	expect_error(Z "allow backend -> dc rpc "
		       "12345778-1234-abcd-ef00-0123456789ag\n",
		     "malformed rpc interface UUID", NULL);
	expect_error(Z "allow backend -> dc rpc "
		       "12345778-1234-abcd-ef00-0123456789ac0\n",
		     "malformed rpc interface UUID", NULL);
	expect_error(Z "allow backend -> dc rpc "
		       "12345778-1234-abcd-ef00-0123456789ac:x\n",
		     "t.pol:4:25: error: bad version in rpc interface "
		     "'12345778-1234-abcd-ef00-0123456789ac:x': expected "
		     "UUID:MAJOR or UUID:MAJOR.MINOR",
		     NULL);
	expect_error(Z "allow backend -> dc rpc "
		       "12345778-1234-abcd-ef00-0123456789ac:65536\n",
		     "bad version in rpc interface", NULL);
	expect_error(Z "allow backend -> dc rpc "
		       "12345778-1234-abcd-ef00-0123456789ac:1.2.3\n",
		     "bad version in rpc interface", NULL);
	expect_error(Z "allow backend -> dc rpc "
		       "12345778-1234-abcd-ef00-0123456789ac:\n",
		     "bad version in rpc interface", NULL);
	/* What IFACES may not hold. */
	expect_error(Z "allow backend -> dc rpc { any, !samr }\n",
		     "t.pol:4:32: error: '!' cannot exclude rpc interfaces",
		     NULL);
	expect_error(Z "define i = samr\nallow backend -> dc rpc { $i }\n",
		     "t.pol:5:27: error: '$i' in rpc interfaces: macros hold "
		     "ports or hosts",
		     NULL);
	expect_error(Z "allow backend -> dc rpc { samr, port }\n",
		     "t.pol:4:33: error: expected rpc interfaces: any, a name "
		     "such as samr",
		     NULL);
	expect_error(Z "allow backend -> dc rpc { }\n",
		     "empty list: expected rpc interfaces", NULL);
	/* In a rule, `rpc` must be followed by interfaces. */
	expect_error(Z "allow backend -> dc rpc label \"x\"\n",
		     "t.pol:4:25: error: expected rpc interfaces: any, a name "
		     "such as samr, a UUID such as "
		     "12345778-1234-abcd-ef00-0123456789ac[:1.0], or a list "
		     "{ ... }, found 'label'",
		     NULL);
	expect_error(Z "allow backend -> dc rpc\n", "expected rpc interfaces",
		     "found end of line", NULL);
	/* Errors in a deny rule's interfaces are errors too. */
	expect_error(Z "deny backend -> dc rpc samrr\n",
		     "unknown rpc interface 'samrr'", NULL);
}

/* `rpc` stays a name: macros, services and zones of that name. */
static void test_rpc_is_no_keyword(void **state)
{
	struct compiled c =
		ok(Z "define rpc = 49152-65535\n"
		     "zone rpc = 192.0.2.99\n"
		     "service rpc = proto tcp port 135\n"
		     "service both = { rpc, proto udp port 53 }\n"
		     "service one = rpc\n"
		     "service braced = { rpc }\n"
		     "allow backend -> dc proto tcp port $rpc from-port $rpc\n"
		     "allow rpc -> dc service rpc\n"
		     "allow mgmt -> dc service { both, one, braced }\n"
		     "allow dc -> backend service { rpc }\n");

	(void)state;
	assert_int_equal(c.t->meta.n_rpc, 0);
	assert_false(c.t->meta.flags & FWC_META_RPC);
	for (uint32_t i = 0; i <= c.t->meta.n_rules; i++)
		assert_int_equal(c.t->rules[i].flags, 0);
	assert_int_equal(classify(&c, "tcp 192.0.2.5:50000 -> "
				      "198.51.100.10:50001"),
			 1);
	assert_int_equal(classify(&c, "tcp 192.0.2.99:1 -> 198.51.100.10:135"),
			 2);
	assert_int_equal(classify(&c, "udp 203.0.113.1:1 -> 198.51.100.10:53"),
			 3);
	compiled_free(&c);
	/* The spec's example still compiles (tests/spec/example.pol too). */
	c = ok(Z "define rpc = 49152-65535\n"
		 "allow backend -> dc proto tcp port 135 from-port $rpc\n"
		 "allow dc -> backend proto tcp port $rpc label \"dcom\"\n");
	compiled_free(&c);
	/* rpc as a service and the service named rpc, side by side. */
	c = ok(Z "service rpc = proto tcp port 445\n"
		 "allow backend -> dc service { rpc, rpc samr }\n"
		 "allow mgmt -> dc service { rpc samr, service rpc }\n");
	assert_int_equal(c.t->rules[1].rpc_n, 1);
	assert_int_equal(c.t->rules[2].rpc_n, 1);
	assert_int_equal(classify(&c, "tcp 192.0.2.5:1 -> 198.51.100.10:445"),
			 1);
	assert_int_equal(classify(&c, "tcp 203.0.113.5:1 -> 198.51.100.10:445"),
			 2);
	compiled_free(&c);
	/* `{ rpc dns }`: rpc with interface dns; the note says so. */
	expect_error(Z "service rpc = proto tcp port 135\n"
		       "service dns = proto udp port 53\n"
		       "allow backend -> dc service { rpc dns }\n",
		     "t.pol:6:35: error: unknown rpc interface 'dns'",
		     "t.pol:6:31: note: this 'rpc' starts an rpc service; to "
		     "name the service 'rpc' in a list, write 'service rpc' "
		     "or a comma after it",
		     NULL);
	/* No service named rpc: a bare rpc in a list is unknown. */
	expect_error(Z "allow backend -> dc service { rpc }\n",
		     "unknown service 'rpc'", NULL);
}

/* set timeout rpc-pinhole N, default 120. */
static void test_timeout(void **state)
{
	struct compiled c = ok(Z "allow backend -> dc rpc samr\n");

	(void)state;
	assert_string_equal(fwc_timeout_name(FWC_TO_RPC_PINHOLE),
			    "rpc-pinhole");
	assert_int_equal(fwc_timeout_default(FWC_TO_RPC_PINHOLE), 120);
	assert_int_equal(c.t->meta.timeout[FWC_TO_RPC_PINHOLE], 120);
	compiled_free(&c);
	c = ok("set timeout rpc-pinhole 30\n" Z
	       "allow backend -> dc rpc any\n");
	assert_int_equal(c.t->meta.timeout[FWC_TO_RPC_PINHOLE], 30);
	assert_int_equal(c.t->meta.timeout[FWC_TO_TCP_SYN], 120);
	compiled_free(&c);
	expect_error("set timeout rpc-pinhole 0\n" Z "allow any -> any any\n",
		     "t.pol:1:25: error: timeout out of range in '0'", NULL);
	expect_error("set timeout rpc-hole 5\n" Z "allow any -> any any\n",
		     "fragment or rpc-pinhole", NULL);
}

/* A deny rule's rpc is TCP 135 and nothing else. */
static void test_deny(void **state)
{
	struct compiled c = ok(Z "service ad = rpc { samr, netlogon }\n"
				 "deny log mgmt -> dc service ad\n"
				 "deny backend -> dc rpc any port 49152-65535\n"
				 "allow any -> dc service ad\n");

	(void)state;
	assert_int_equal(c.t->rules[1].action, FWC_ACT_DENY);
	assert_int_equal(c.t->rules[1].flags, FWC_RULE_LOG);
	assert_int_equal(c.t->rules[1].rpc_n, 0);
	assert_int_equal(c.t->rules[1].rpc_first, 0);
	assert_int_equal(c.t->rules[2].flags, 0);
	assert_int_equal(c.t->rules[2].rpc_n, 0);
	assert_int_equal(c.pol->rules[0].n_rpc, 0);
	/* Only the allow rule has entries. */
	assert_int_equal(c.t->meta.n_rpc, 2);
	assert_int_equal(c.t->rules[3].rpc_first, 0);
	expect_named(&c, 3, 0, "samr", 1024, 65535);
	assert_int_equal(classify(&c, "tcp 203.0.113.5:1 -> 198.51.100.10:135"),
			 1);
	assert_int_equal(classify(&c, "tcp 192.0.2.5:1 -> 198.51.100.10:135"),
			 2);
	assert_int_equal(classify(&c, "tcp 198.51.100.7:1 -> "
				      "198.51.100.10:135"),
			 3);
	/* 135 only: the deny rules leave other ports to later rules. */
	assert_int_equal(classify(&c, "tcp 192.0.2.5:1 -> 198.51.100.10:50000"),
			 0);
	compiled_free(&c);
	/* Only deny rules: no rpc table at all. */
	c = ok(Z "deny backend -> dc rpc samr\n");
	assert_int_equal(c.t->meta.n_rpc, 0);
	assert_null(c.t->rpc_ifaces);
	assert_false(c.t->meta.flags & FWC_META_RPC);
	compiled_free(&c);
}

/* Several rpc rules: their entries follow one another by rule. */
static void test_by_rule(void **state)
{
	struct compiled c = ok(Z "allow mgmt -> dc rpc { winreg svcctl }\n"
				 "allow backend -> dc proto tcp port 88\n"
				 "deny backend -> mgmt rpc any\n"
				 "allow backend -> dc rpc any\n"
				 "allow dc -> dc rpc { epm, mgmt, spoolss }\n");
	uint32_t next = 0;

	(void)state;
	for (uint32_t i = 1; i <= c.t->meta.n_rules; i++) {
		const struct fwc_rule_info *ri = &c.t->rules[i];

		assert_int_equal(!!(ri->flags & FWC_RULE_RPC), ri->rpc_n > 0);
		if (!ri->rpc_n)
			continue;
		assert_int_equal(ri->rpc_first, next);
		next += ri->rpc_n;
		for (uint32_t k = 0; k < ri->rpc_n; k++)
			assert_int_equal(c.pol->rpc[ri->rpc_first + k].rule,
					 i - 1);
	}
	assert_int_equal(next, c.t->meta.n_rpc);
	assert_int_equal(c.t->meta.n_rpc, 6);
	expect_named(&c, 5, 2, "spoolss", 1024, 65535);
	compiled_free(&c);
}

/* An artifact keeps the interfaces, the rules' fields and the timeout. */
static void test_artifact(void **state)
{
	struct compiled c = ok("set timeout rpc-pinhole 45\n" Z
			       "allow backend -> dc rpc { samr, "
			       "12345778-1234-abcd-ef00-0123456789ab } port "
			       "49152-65535\n"
			       "allow mgmt -> dc proto tcp port 22\n"
			       "allow mgmt -> dc rpc any\n");
	struct fwc_tables *t = artifact_roundtrip(&c);

	(void)state;
	assert_int_equal(t->meta.n_rpc, 3);
	assert_true(t->meta.flags & FWC_META_RPC);
	assert_int_equal(t->meta.timeout[FWC_TO_RPC_PINHOLE], 45);
	assert_non_null(t->rpc_ifaces);
	assert_memory_equal(t->rpc_ifaces, c.t->rpc_ifaces,
			    3 * sizeof(*t->rpc_ifaces));
	assert_memory_equal(t->rules, c.t->rules,
			    (t->meta.n_rules + 1) * sizeof(*t->rules));
	assert_int_equal(t->rules[3].rpc_first, 2);
	assert_int_equal(fwc_tables_entries(t, "rpc_ifaces"), 3);
	assert_int_equal(fwc_tables_bytes(t, "rpc_ifaces"),
			 3 * sizeof(struct fwc_rpc_iface));
	fwc_tables_free(t);
	compiled_free(&c);
	/* Without rpc rules the section is empty, the table absent. */
	c = ok(Z "allow backend -> dc proto tcp port 22\n");
	t = artifact_roundtrip(&c);
	assert_int_equal(t->meta.n_rpc, 0);
	assert_null(t->rpc_ifaces);
	fwc_tables_free(t);
	compiled_free(&c);
}

/* The examples of docs/policy-language.md and docs/fwc.pol.5. */
static void test_doc_examples(void **state)
{
	struct compiled c =
		ok("zone backend = 192.0.2.0/24\n"
		   "zone dc = 198.51.100.10\n"
		   "zone dmz = 203.0.113.0/28\n"
		   "zone mgmt = 203.0.113.64/26\n"
		   "set timeout rpc-pinhole 120\n"
		   "service ad-rpc = rpc { drsuapi, netlogon, samr, lsarpc }\n"
		   "allow backend -> dc service ad-rpc                label "
		   "\"ad-rpc\"\n"
		   "allow dmz -> backend rpc any                      label "
		   "\"dcom-epm\"\n"
		   "allow mgmt -> dc rpc "
		   "12345778-1234-abcd-ef00-0123456789ac port 49152-65535\n");

	(void)state;
	assert_int_equal(c.t->rules[1].rpc_n, 4);
	assert_int_equal(entry(&c, 2, 0)->flags, FWC_RPC_ANY);
	assert_int_equal(entry(&c, 3, 0)->flags, FWC_RPC_ANY_VERSION);
	assert_int_equal(entry(&c, 3, 0)->port_lo, 49152);
	compiled_free(&c);
	c = ok("define rpc = 49152-65535\n"
	       "zone internet = any\n"
	       "zone dmz      = 192.0.2.0/28\n"
	       "zone dc       = { 198.51.100.20, 198.51.100.21 }\n"
	       "service kerberos = proto { tcp, udp } port { 88, 464 }\n"
	       "allow internet -> dmz proto tcp port { 80, 443 }   label "
	       "\"web\"\n"
	       "allow dmz      -> dc  service kerberos\n"
	       "deny  log dmz  -> dc  proto tcp port 3389          label "
	       "\"no rdp\"\n"
	       "allow dmz      -> dc  rpc { netlogon, samr } port $rpc label "
	       "\"ad\"\n");
	expect_named(&c, 4, 0, "netlogon", 49152, 65535);
	expect_named(&c, 4, 1, "samr", 49152, 65535);
	compiled_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid_is_one_word),
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_interfaces),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_per_rule_bound),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_rpc_is_no_keyword),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_deny),
		cmocka_unit_test(test_by_rule),
		cmocka_unit_test(test_artifact),
		cmocka_unit_test(test_doc_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
