// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc compile --emit nft: the text emitted for small policies holds what
 * it must (sets, order, counters, state, the default). Whether nft loads
 * it is checked by tests/diff/nft-check.sh, what it does by tests/diff/.
 */
#include "helpers.h"

#include <errno.h>

#include "diag.h"
#include "emit_nft.h"

static char *emit(const char *text)
{
	struct compiled c = compile_text(text);
	char *out = NULL;
	size_t len;
	FILE *f;

	if (c.err)
		fail_msg("policy does not compile:\n%s\n%s", text, c.diag);
	f = open_memstream(&out, &len);
	assert_int_equal(fwc_emit_nft(c.pol, NULL, f), 0);
	fclose(f);
	compiled_free(&c);
	return out;
}

/* @needle occurs in @hay, after @after when that is given. */
static const char *has(const char *hay, const char *needle, const char *after)
{
	const char *p = strstr(after ? after : hay, needle);

	if (!p)
		fail_msg("missing '%s' in:\n%s", needle, hay);
	return p + strlen(needle);
}

static void lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("unexpected '%s' in:\n%s", needle, hay);
}

static void test_default_deny_and_allow(void **state)
{
	char *s = emit("allow 192.0.2.1 -> 192.0.2.2 proto tcp port 22\n");
	const char *p;

	(void)state;
	p = has(s, "table inet fwc\ndelete table inet fwc\n", NULL);
	p = has(s, "type filter hook forward priority filter; policy drop;", p);
	p = has(s,
		"ip saddr 192.0.2.1 ip daddr 192.0.2.2 tcp dport 22 "
		"counter name \"r1\" ct mark set 1 accept comment \"rule 1\"",
		p);
	has(s,
	    "counter name \"r0-default\" drop comment \"rule 0: default "
	    "deny\"\n\t}\n}\n",
	    p);
	free(s);

	s = emit("set default allow\ndeny any -> 192.0.2.2 any label \"x\"\n");
	p = has(s, "policy accept;", NULL);
	p = has(s, "ip daddr 192.0.2.2 counter name \"r1-x\" drop", p);
	has(s, "counter name \"r0-default\" accept", p);
	free(s);
}

static void test_first_match_order(void **state)
{
	char *s = emit("zone a = 10.0.0.0/8\n"
		       "deny a -> a proto tcp port 3389 label \"no rdp\"\n"
		       "allow a -> a proto tcp label \"tcp\"\n"
		       "deny log a -> a any\n");
	const char *p;

	(void)state;
	p = has(s, "# rule 1 \"no rdp\", line 2: deny a -> a", NULL);
	p = has(s, "tcp dport 3389 counter name \"r1-no_rdp\" drop", p);
	p = has(s,
		"meta l4proto tcp counter name \"r2-tcp\" ct mark set 2 "
		"accept",
		p);
	p = has(s,
		"ip saddr 10.0.0.0/8 ip daddr 10.0.0.0/8 limit name "
		"\"log-r3\" log prefix \"fwc r3: \" comment \"rule 3 log\"\n"
		"\t\tip saddr 10.0.0.0/8 ip daddr 10.0.0.0/8 counter name "
		"\"r3\" drop",
		p);
	has(s, "counter name \"r0-default\" drop", p);
	/* Deny rules never create state. */
	lacks(s, "ct mark set 1 ");
	lacks(s, "ct mark set 3 ");
	free(s);
}

static void test_interval_sets(void **state)
{
	char *s = emit("zone a = { 10.0.0.0/24, !10.0.0.16/28 }\n"
		       "zone b = { 192.0.2.10-192.0.2.20, 2001:db8::/126, "
		       "2001:db8::10-2001:db8::12 }\n"
		       "allow a -> b any\n");
	const char *p;

	(void)state;
	p = has(s, "set h", NULL);
	p = has(s,
		"_v4 {\n\t\ttype ipv4_addr; flags interval;\n"
		"\t\telements = {\n\t\t\t10.0.0.0/28, 10.0.0.32-10.0.0.255\n",
		p);
	/* b is one interval in IPv4: no set, the range inline. */
	lacks(s, "192.0.2.10-192.0.2.20,");
	has(s, "ip daddr 192.0.2.10-192.0.2.20 ", NULL);
	/* a has no IPv6: no IPv6 rule, no IPv6 set. */
	lacks(has(s, "# rule 1", NULL), "ip6 ");
	lacks(s, "ipv6_addr");
	free(s);

	s = emit("zone b = { 2001:db8::/126, 2001:db8::10-2001:db8::12 }\n"
		 "allow any -> b any\n");
	p = has(s,
		"type ipv6_addr; flags interval;\n\t\telements = {\n"
		"\t\t\t2001:db8::/126, 2001:db8::10-2001:db8::12\n",
		NULL);
	has(s, "ip6 daddr @h", p);
	lacks(s, "ip saddr");
	free(s);
}

static void test_families(void **state)
{
	char *s = emit("zone a = { 192.0.2.1, 2001:db8::1 }\n"
		       "allow a -> any proto udp port 53\n"
		       "allow 192.0.2.1 -> 2001:db8::2 any\n"
		       "allow any -> any proto tcp port 80\n");
	const char *p;

	(void)state;
	p = has(s, "ip saddr 192.0.2.1 udp dport 53 counter name \"r1\"", NULL);
	p = has(s, "ip6 saddr 2001:db8::1 udp dport 53 counter name \"r1\"", p);
	p = has(s, "# (matches no packet)", p);
	/* any -> any in both families: no address, no family. */
	has(s, "\n\t\ttcp dport 80 counter name \"r3\"", p);
	lacks(s, "counter name \"r2\"");
	free(s);
}

static void test_service_shapes(void **state)
{
	char *s = emit("allow any -> 10.0.0.1 service { proto tcp port 80, "
		       "proto icmp type { echo-request, 3 }, proto 47, "
		       "proto tcp port 443, proto udp from-port 53 }\n"
		       "allow any -> 10.0.0.2 proto { tcp, udp, icmp }\n"
		       "allow any -> 10.0.0.3 proto tcp port { 1024-65535, "
		       "!3389 }\n"
		       "allow any -> 2001:db8::3 proto { tcp, sctp } port 9\n"
		       "allow any -> 10.0.0.4 proto icmp6 type echo-request\n");
	const char *p;

	(void)state;
	/* Port sets are named, one per distinct set, declared first. */
	p = has(s,
		"\tset p0 {\n\t\ttype inet_service; flags interval;\n"
		"\t\telements = { 80, 443 }\n\t}\n",
		NULL);
	p = has(s,
		"\tset p1 {\n\t\ttype inet_service; flags interval;\n"
		"\t\telements = { 1024-3388, 3390-65535 }\n\t}\n",
		p);
	lacks(s, "set p2");
	/* tcp 80 and tcp 443: one rule with both ports. */
	p = has(s, "ip daddr 10.0.0.1 tcp dport @p0 counter", p);
	p = has(s, "ip daddr 10.0.0.1 icmp type { 3, 8 } counter", p);
	p = has(s, "ip daddr 10.0.0.1 meta l4proto 47 counter", p);
	p = has(s, "ip daddr 10.0.0.1 udp sport 53 counter", p);
	p = has(s,
		"ip daddr 10.0.0.2 meta l4proto { icmp, tcp, udp } "
		"counter",
		p);
	p = has(s, "ip daddr 10.0.0.3 tcp dport @p1 counter", p);
	p = has(s,
		"ip6 daddr 2001:db8::3 meta l4proto { tcp, sctp } "
		"th dport 9 counter",
		p);
	/* fwc matches ICMPv6 types in IPv4 packets too: so does nft. */
	/* icmp6 is IPv6 only: with IPv4 addresses the rule matches nothing. */
	lacks(s, "icmpv6 type 128 counter");
	free(s);
	/* The same set twice: declared once, used twice. */
	s = emit("allow any -> 10.0.0.1 proto tcp port { 80, 443 }\n"
		 "allow any -> 10.0.0.2 proto udp from-port { 80, 443 }\n");
	p = has(s, "elements = { 80, 443 }", NULL);
	lacks(p, "elements = ");
	p = has(s, "ip daddr 10.0.0.1 tcp dport @p0 counter", p);
	has(s, "ip daddr 10.0.0.2 udp sport @p0 counter", p);
	free(s);
}

static void test_state(void **state)
{
	char *s = emit("allow 10.0.0.1 -> 10.0.0.2 proto tcp port 80 "
		       "label \"web\"\n"
		       "deny 10.0.0.2 -> 10.0.0.1 any\n");
	const char *p;

	(void)state;
	p = has(s, "counter r1-web { comment \"rule 1: web\" }", NULL);
	/* Only allow rules admit flows: only they are in the map. */
	p = has(s,
		"map flows {\n\t\ttype mark : counter;\n\t\telements = "
		"{\n\t\t\t1 : \"r1-web\"\n\t\t}\n",
		p);
	p = has(s,
		"meta nfproto ipv6 icmpv6 type 133-137 ip6 hoplimit 255 "
		"counter name \"nd\" accept",
		p);
	p = has(s,
		"ct state established meta l4proto { tcp, udp } counter "
		"name ct mark map @flows accept",
		p);
	p = has(s,
		"ct state related meta nfproto ipv4 icmp type "
		"{ destination-unreachable, time-exceeded, "
		"parameter-problem }",
		p);
	p = has(s,
		"ct state related meta nfproto ipv6 icmpv6 type "
		"{ destination-unreachable, packet-too-big, time-exceeded, "
		"parameter-problem }",
		p);
	p = has(s, "# rule 1 \"web\"", p);
	has(s, "ct mark set 1 accept", p);
	lacks(s, "ct state invalid");
	free(s);

	s = emit("set state off\nallow 10.0.0.1 -> 10.0.0.2 any\n");
	lacks(s, "ct ");
	lacks(s, "map flows");
	/* No reassembly without conntrack: later fragments go, as in XDP. */
	p = has(s, "ip frag-off & 0x1fff != 0 counter name \"fragment\" drop",
		NULL);
	p = has(s, "frag frag-off != 0 counter name \"fragment\" drop", p);
	has(s, "icmpv6 type 133-137", p);
	free(s);

	/* The default opens flows too when it allows. */
	s = emit("set default allow\ndeny 10.0.0.2 -> 10.0.0.1 any\n");
	has(s, "elements = {\n\t\t\t0 : \"r0-default\"\n\t\t}", NULL);
	lacks(s, "ct timeout");
	lacks(s, "frag-off");
	free(s);
}

static void test_timeouts(void **state)
{
	char *s = emit("set timeout tcp-established 3600\n"
		       "set timeout udp 10\nset timeout icmp 5\n"
		       "set state loose\nallow any -> 10.0.0.1 any\n");
	const char *p;

	(void)state;
	has(s, "nf_conntrack_tcp_loose=1", NULL);
	has(s, "nf_conntrack_icmp_timeout=5", NULL);
	p = has(s, "ct timeout tcp_timeouts {", NULL);
	p = has(s,
		"syn_sent: 120, syn_recv: 120, established: 3600, "
		"fin_wait: 120, close_wait: 120, last_ack: 120, "
		"time_wait: 120, close: 10 }",
		p);
	p = has(s, "ct timeout udp_timeouts {", p);
	p = has(s, "policy = { unreplied: 10, replied: 120 }", p);
	has(s,
	    "ct state new ct timeout set meta l4proto map { tcp : "
	    "\"tcp_timeouts\", udp : \"udp_timeouts\" }",
	    p);
	free(s);

	s = emit("allow any -> 10.0.0.1 any\n");
	has(s, "nf_conntrack_tcp_loose=0", NULL);
	lacks(s, "ct timeout");
	lacks(s, "icmp_timeout");
	free(s);
}

static void test_log_and_audit(void **state)
{
	char *s = emit("set log rate 5\nset log default on\n"
		       "deny log 10.0.0.1 -> 10.0.0.2 any label \"x\"\n"
		       "allow 10.0.0.1 -> 10.0.0.3 any\n");
	const char *p;

	(void)state;
	p = has(s,
		"counter r0-default { comment \"rule 0: default deny\" }\n"
		"\tlimit log-r0 { rate 5/second burst 5 packets }",
		NULL);
	p = has(s, "limit log-r1 { rate 5/second burst 5 packets }", p);
	lacks(s, "log-r2");
	/* The log on a rule of its own: a spent limit stops only it. */
	p = has(s,
		"ip saddr 10.0.0.1 ip daddr 10.0.0.2 limit name \"log-r1\" "
		"log prefix \"fwc r1 x: \" comment \"rule 1 log\"\n"
		"\t\tip saddr 10.0.0.1 ip daddr 10.0.0.2 counter name "
		"\"r1-x\" drop",
		p);
	has(s,
	    "\t\tlimit name \"log-r0\" log prefix \"fwc r0 default deny: \" "
	    "comment \"rule 0 log\"\n\t\tcounter name \"r0-default\" drop",
	    p);
	lacks(s, "would-drop");
	free(s);

	/* Audit: every drop passes, counted twice and logged. */
	s = emit("set mode audit\ndeny 10.0.0.1 -> 10.0.0.2 any\n"
		 "allow 10.0.0.1 -> 10.0.0.3 any\n");
	p = has(s, "counter would-drop {", NULL);
	p = has(s, "policy accept;", p);
	p = has(s, "limit name \"log-r1\" log prefix \"fwc r1 would-drop: \"",
		p);
	p = has(s, "counter name \"r1\" counter name \"would-drop\" accept", p);
	p = has(s, "counter name \"r2\" ct mark set 2 accept", p);
	has(s,
	    "counter name \"r0-default\" counter name \"would-drop\" "
	    "accept",
	    p);
	/* Audit drops nothing the rules decide (malformed still goes). */
	lacks(s, " drop comment \"rule");
	free(s);
}

static void test_quoting(void **state)
{
	char *s = emit("allow 10.0.0.1 -> 10.0.0.2 any "
		       "label \"a \\\"quoted\\\" label/with:odd chars\"\n");

	(void)state;
	has(s, "counter r1-a_quoted_label_with_odd_chars {", NULL);
	has(s, "comment \"rule 1: a 'quoted' label/with:odd chars\"", NULL);
	free(s);
}

static void test_table_name(void **state)
{
	struct compiled c = compile_text("allow any -> any any\n");
	struct fwc_nft_opts bad = { .table = "no spaces" };
	struct fwc_nft_opts good = { .table = "fwc_test-1" };
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_int_equal(c.err, 0);
	assert_int_equal(fwc_emit_nft(c.pol, &bad, f), -EINVAL);
	assert_int_equal(fwc_emit_nft(c.pol, &good, f), 0);
	fclose(f);
	has(out, "table inet fwc_test-1 {", NULL);
	free(out);
	compiled_free(&c);
}

/*
 * As the datapath: ICMP of the other family, source routes, ND off the
 * link go before the rules; `set source-route pass` lets routes through.
 */
static void test_hardening(void **state)
{
	char *s = emit("allow any -> any proto icmp6 type echo-request\n"
		       "allow any -> any proto icmp type echo-request\n");
	const char *p;

	(void)state;
	p = has(s,
		"meta nfproto ipv4 meta l4proto ipv6-icmp counter name "
		"\"malformed\" drop",
		NULL);
	p = has(s,
		"meta nfproto ipv6 meta l4proto icmp counter name "
		"\"malformed\" drop",
		p);
	p = has(s, "ip option lsrr exists counter name \"source-route\" drop",
		p);
	p = has(s, "ip option ssrr exists counter name \"source-route\" drop",
		p);
	p = has(s, "rt seg-left != 0 counter name \"source-route\" drop", p);
	p = has(s, "icmpv6 type 133-137 ip6 hoplimit 255 counter name \"nd\"",
		p);
	p = has(s,
		"icmpv6 type { 130-132, 143 } ip6 hoplimit 1 "
		"ip6 daddr & ff0f:: == ff02:: counter name \"mld\" accept",
		p);
	/* Each ICMP in its own family, never the other's. */
	has(s, "meta nfproto ipv6 icmpv6 type 128 counter name \"r1\"", p);
	has(s, "meta nfproto ipv4 icmp type 8 counter name \"r2\"", p);
	lacks(s, "ipv4 icmpv6");
	lacks(s, "ipv6 icmp type");
	free(s);

	s = emit("set source-route pass\nallow any -> any proto tcp port 80\n");
	lacks(s, "source-route");
	has(s, "counter name \"malformed\" drop", NULL);
	free(s);
}

/* @text emitted with @opts: the return value, the output, the errors. */
static int emit_rpc(const char *text, struct fwc_nft_opts opts, char **out,
		    char **errs)
{
	struct compiled c = compile_text(text);
	struct fwc_src src = { "t.pol", text, strlen(text) };
	struct fwc_diag diag;
	size_t len, elen;
	FILE *f, *e;
	int err;

	if (c.err)
		fail_msg("policy does not compile:\n%s\n%s", text, c.diag);
	f = open_memstream(out, &len);
	e = open_memstream(errs, &elen);
	fwc_diag_init(&diag, &src, e);
	opts.diag = &diag;
	err = fwc_emit_nft(c.pol, &opts, f);
	fclose(f);
	fclose(e);
	compiled_free(&c);
	return err;
}

#define RPC_HEAD                                           \
	"zone a = 192.0.2.0/24\nzone dc = 198.51.100.10\n" \
	"service ad = rpc { samr, netlogon }\n"            \
	"allow a -> dc proto tcp port 443\n"

/* nftables cannot follow the endpoint mapper: each rpc rule refused. */
static void test_rpc_refused(void **state)
{
	struct fwc_nft_opts opts = { 0 };
	char *out, *errs;

	(void)state;
	assert_int_equal(emit_rpc(RPC_HEAD "allow a -> dc service ad\n"
					   "deny a -> dc rpc { samr }\n"
					   "allow dc -> a rpc any port 5000\n",
				  opts, &out, &errs),
			 -EOPNOTSUPP);
	/* Nothing written, the rules named with their place and a caret. */
	assert_string_equal(out, "");
	has(errs,
	    "t.pol:5:1: error: rule 2 uses rpc: nftables cannot follow "
	    "the endpoint mapper; give --rpc-fallback LO-HI to open that "
	    "range instead (weaker)\n"
	    "  allow a -> dc service ad\n  ^\n",
	    NULL);
	has(errs, "t.pol:7:1: error: rule 4 uses rpc", NULL);
	/* A deny rule of an rpc service is only its TCP 135: no pinhole. */
	lacks(errs, "rule 3");
	free(out);
	free(errs);

	/* No rpc rule: the fallback changes nothing. */
	opts.rpc_lo = 49152;
	opts.rpc_hi = 65535;
	assert_int_equal(emit_rpc(RPC_HEAD, opts, &out, &errs), 0);
	lacks(out, "rpc");
	assert_string_equal(errs, "");
	free(out);
	free(errs);
}

/* --rpc-fallback: TCP 135 and the range within the rule's bounds. */
static void test_rpc_fallback(void **state)
{
	struct fwc_nft_opts opts = { .rpc_lo = 49152, .rpc_hi = 65535 };
	char *out, *errs;
	const char *p;

	(void)state;
	assert_int_equal(emit_rpc(RPC_HEAD
				  "allow a -> dc service ad label \"ad\"\n"
				  "allow a -> dc rpc { 12345778-1234-abcd-"
				  "ef00-0123456789ac } port 60000-61000\n"
				  "allow dc -> a rpc any port 2000-3000\n",
				  opts, &out, &errs),
			 0);
	assert_string_equal(errs, "");
	has(out, "# rpc rules: nftables cannot follow the endpoint mapper",
	    NULL);
	p = has(out,
		"ip saddr 192.0.2.0/24 ip daddr 198.51.100.10 tcp dport 135 "
		"counter name \"r2-ad\" ct mark set 2 accept comment \"rule 2: "
		"ad\"\n",
		NULL);
	p = has(out,
		"\t\t# rule 2: rpc fallback (--rpc-fallback 49152-65535): "
		"nftables cannot follow\n\t\t# the endpoint mapper, so instead "
		"of pinholes for rpc { samr v1, netlogon v1 } port 1024-65535\n",
		p);
	p = has(out,
		"ip saddr 192.0.2.0/24 ip daddr 198.51.100.10 tcp dport "
		"49152-65535 counter name \"r2-ad\" ct mark set 2 accept",
		p);
	/* Within its bounds only: a pinhole could not open more. */
	p = has(out, "# rule 3: rpc fallback", p);
	p = has(out,
		"of pinholes for rpc { 12345778-1234-abcd-ef00-0123456789ac } "
		"port 60000-61000\n",
		p);
	p = has(out, "tcp dport 60000-61000 counter name \"r3\" ct mark set 3",
		p);
	/* Bounds outside the range: nothing but its TCP 135. */
	p = has(out, "# rule 4: rpc fallback", p);
	p = has(out, "rpc { any } port 2000-3000\n", p);
	p = has(out, "# nothing opens: the range is outside its bounds\n", p);
	has(out, "ip saddr 198.51.100.10 ip daddr 192.0.2.0/24 tcp dport 135 ",
	    NULL);
	lacks(out, "tcp dport 2000");
	free(out);
	free(errs);

	/* One port. */
	opts.rpc_lo = opts.rpc_hi = 49155;
	assert_int_equal(emit_rpc(RPC_HEAD "allow a -> dc service ad\n", opts,
				  &out, &errs),
			 0);
	has(out, "tcp dport 49155 counter name \"r2\"", NULL);
	free(out);
	free(errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_deny_and_allow),
		cmocka_unit_test(test_first_match_order),
		cmocka_unit_test(test_interval_sets),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_service_shapes),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_log_and_audit),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_table_name),
		cmocka_unit_test(test_hardening),
		cmocka_unit_test(test_rpc_refused),
		cmocka_unit_test(test_rpc_fallback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
