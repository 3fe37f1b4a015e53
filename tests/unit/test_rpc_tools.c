// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The tools around rpc rules (issue 12, docs/rpc-pinholes.md): the text
 * fwc test, diff, graph, matrix and --emit nft show an rpc rule's
 * interfaces by; what fwc test says of pinholes, from a policy's tables
 * and from its artifact alike; rpc services in fwc graph and fwc matrix.
 * (--emit nft: test_nft; fwc check: test_analyze; fwc diff: test_diff.)
 */
#include "helpers.h"

#include <unistd.h>

#include "graph.h"

#define ZONES                                               \
	"zone backend = 10.1.0.0/24\nzone dc = 10.2.0.10\n" \
	"zone mgmt = 10.3.0.0/24\n"                         \
	"service ad-rpc = rpc { drsuapi, netlogon, samr, lsarpc }\n"

/* Rule 2: ad-rpc; rule 3: a literal of any version, narrow bounds. */
static const char policy[] = ZONES
	"allow backend -> dc proto tcp port 443\n"
	"allow backend -> dc service ad-rpc label \"ad-rpc\"\n"
	"allow mgmt -> dc rpc { 12345778-1234-abcd-ef00-0123456789ac, "
	"samr } port 49152-65535\n"
	"allow mgmt -> dc rpc { netlogon } port 5000\n"
	"allow dc -> backend rpc any\n"
	"allow mgmt -> dc proto tcp port 40000-40010\n";

static struct fwc_packet pkt(const char *text)
{
	struct fwc_packet p;
	char err[128];
	size_t col;

	if (fwc_packet_parse(text, &p, err, sizeof(err), &col))
		fail_msg("bad packet '%s': %s", text, err);
	return p;
}

static const struct fwc_rpc_iface *ifaces_of(const struct fwc_tables *t,
					     uint32_t id)
{
	assert_true(t->rules[id].flags & FWC_RULE_RPC);
	return &t->rpc_ifaces[t->rules[id].rpc_first];
}

/* The text of rule @id's interfaces from the tables, @port as given. */
static char *tables_text(const struct fwc_tables *t, uint32_t id, int port)
{
	return fwc_rpc_text(ifaces_of(t, id), NULL, t->rules[id].rpc_n, port);
}

static void expect_str(char *got, const char *want)
{
	if (strcmp(got, want))
		fail_msg("got '%s', want '%s'", got, want);
	free(got);
}

static void test_text(void **state)
{
	struct compiled c = compile_text(policy);

	(void)state;
	assert_int_equal(c.err, 0);
	/* From the tables: names of the table of well-known interfaces. */
	expect_str(tables_text(c.t, 2, -1),
		   "rpc { drsuapi v4, netlogon v1, samr v1, lsarpc v0 } port "
		   "1024-65535");
	/* A literal of any version stays a UUID; bounds of one port. */
	expect_str(tables_text(c.t, 3, -1),
		   "rpc { 12345778-1234-abcd-ef00-0123456789ac, samr v1 } port "
		   "49152-65535");
	expect_str(tables_text(c.t, 4, -1), "rpc { netlogon v1 } port 5000");
	expect_str(tables_text(c.t, 5, -1), "rpc { any } port 1024-65535");
	/* Only the entries whose bounds hold the port. */
	expect_str(tables_text(c.t, 3, 49154),
		   "rpc { 12345778-1234-abcd-ef00-0123456789ac, samr v1 } port "
		   "49152-65535");
	expect_str(tables_text(c.t, 3, 1024), "");
	/* From the policy: the names as the table spells them. */
	expect_str(fwc_rpc_rule_text(c.pol, &c.pol->rules[1], -1),
		   "rpc { drsuapi v4, netlogon v1, samr v1, lsarpc v0 } port "
		   "1024-65535");
	expect_str(fwc_rpc_iface_text(&ifaces_of(c.t, 3)[0], NULL),
		   "12345778-1234-abcd-ef00-0123456789ac");
	expect_str(fwc_rpc_iface_text(&ifaces_of(c.t, 2)[2], NULL), "samr v1");
	expect_str(fwc_rpc_iface_text(&ifaces_of(c.t, 5)[0], NULL), "any");
	compiled_free(&c);

	/* Several bounds: one group each, in order; an interface once. */
	c = compile_text(ZONES "service a = rpc { samr, samr } port 6000-7000\n"
			       "service b = rpc { SAMR, "
			       "12345778-1234-abcd-ef00-0123456789ac:1 }\n"
			       "allow backend -> dc service { a, b, "
			       "rpc { netlogon } port 6000-7000 }\n");
	assert_int_equal(c.err, 0);
	expect_str(
		tables_text(c.t, 1, -1),
		"rpc { samr v1, netlogon v1 } port 6000-7000, rpc { samr v1 } "
		"port 1024-65535");
	expect_str(tables_text(c.t, 1, 2000),
		   "rpc { samr v1 } port 1024-65535");
	/* The policy's samr and UUID:1 are one interface, shown once. */
	expect_str(fwc_rpc_rule_text(c.pol, &c.pol->rules[0], 2000),
		   "rpc { samr v1 } port 1024-65535");
	compiled_free(&c);
	/* The policy knows what was a literal; the tables name it. */
	c = compile_text(ZONES "allow backend -> dc rpc { "
			       "12345778-1234-abcd-ef00-0123456789ac:1 }\n");
	assert_int_equal(c.err, 0);
	expect_str(fwc_rpc_rule_text(c.pol, &c.pol->rules[0], -1),
		   "rpc { 12345778-1234-abcd-ef00-0123456789ac v1 } port "
		   "1024-65535");
	expect_str(tables_text(c.t, 1, -1), "rpc { samr v1 } port 1024-65535");
	compiled_free(&c);
	/* lsarpc's UUID of any version is not lsarpc v0. */
	c = compile_text(ZONES "allow backend -> dc rpc { "
			       "12345778-1234-abcd-ef00-0123456789ab }\n");
	assert_int_equal(c.err, 0);
	expect_str(tables_text(c.t, 1, -1),
		   "rpc { 12345778-1234-abcd-ef00-0123456789ab } port "
		   "1024-65535");
	compiled_free(&c);
}

/* What fwc test says, with @t, of @packet. */
static int pinhole(const struct fwc_tables *t, const char *packet,
		   uint32_t *rpc_id, int *port)
{
	struct fwc_packet p = pkt(packet);

	return fwc_rpc_pinhole(t, &p, fwc_tables_classify(t, &p), NULL, NULL,
			       rpc_id, port);
}

static uint32_t reference(const void *ctx, const struct fwc_packet *p)
{
	return fwc_reference_classify(ctx, p);
}

static void check_pinholes(const struct fwc_tables *t)
{
	uint32_t id;
	int port;

	/* Denied, the EPM admitted by rule 2, within its bounds. */
	assert_int_equal(pinhole(t, "tcp 10.1.0.5:50000 -> 10.2.0.10:49154",
				 &id, &port),
			 FWC_PINHOLE_MAY);
	assert_int_equal(id, 2);
	assert_int_equal(port, 49154);
	assert_int_equal(pinhole(t, "tcp 10.1.0.5:50000 -> 10.2.0.10:1024", &id,
				 &port),
			 FWC_PINHOLE_MAY);
	/* Below the bounds; allowed by a rule; not TCP; another source. */
	assert_int_equal(pinhole(t, "tcp 10.1.0.5:50000 -> 10.2.0.10:1023", &id,
				 &port),
			 FWC_PINHOLE_NONE);
	assert_int_equal(id, 0);
	assert_int_equal(pinhole(t, "tcp 10.1.0.5:50000 -> 10.2.0.10:443", &id,
				 &port),
			 FWC_PINHOLE_NONE);
	assert_int_equal(pinhole(t, "udp 10.1.0.5:50000 -> 10.2.0.10:49154",
				 &id, &port),
			 FWC_PINHOLE_NONE);
	assert_int_equal(pinhole(t, "tcp 10.9.0.5:50000 -> 10.2.0.10:49154",
				 &id, &port),
			 FWC_PINHOLE_NONE);
	/* Rule 3's bounds are 49152-65535; rule 4 comes after for 5000. */
	assert_int_equal(pinhole(t, "tcp 10.3.0.5:50000 -> 10.2.0.10:49152",
				 &id, &port),
			 FWC_PINHOLE_MAY);
	assert_int_equal(id, 3);
	assert_int_equal(pinhole(t, "tcp 10.3.0.5:50000 -> 10.2.0.10:5000", &id,
				 &port),
			 FWC_PINHOLE_NONE);
	/* Allowed by rule 6 whatever pinholes would do. */
	assert_int_equal(pinhole(t, "tcp 10.3.0.5:50000 -> 10.2.0.10:40005",
				 &id, &port),
			 FWC_PINHOLE_NONE);
	/* To the endpoint mapper: what its answers open. */
	assert_int_equal(pinhole(t, "tcp 10.1.0.5:50000 -> 10.2.0.10:135", &id,
				 &port),
			 FWC_PINHOLE_OPENS);
	assert_int_equal(id, 2);
	assert_int_equal(port, -1);
	assert_int_equal(pinhole(t, "tcp 10.2.0.10:50000 -> 10.1.0.7:135", &id,
				 &port),
			 FWC_PINHOLE_OPENS);
	assert_int_equal(id, 5);
	assert_int_equal(pinhole(t, "tcp 10.9.0.5:50000 -> 10.2.0.10:135", &id,
				 &port),
			 FWC_PINHOLE_NONE);
}

/* fwc test's pinhole lines: a policy's tables and its artifact alike. */
static void test_pinholes(void **state)
{
	struct compiled c = compile_text(policy);
	struct fwc_tables *t;
	struct fwc_packet p = pkt("tcp 10.1.0.5:50000 -> 10.2.0.10:49154");
	uint32_t id;
	int port;

	(void)state;
	assert_int_equal(c.err, 0);
	check_pinholes(c.t);
	t = artifact_roundtrip(&c);
	check_pinholes(t);
	/* --reference: the same answers by the reference scan. */
	assert_int_equal(fwc_rpc_pinhole(c.t, &p,
					 fwc_reference_classify(c.pol, &p),
					 reference, c.pol, &id, &port),
			 FWC_PINHOLE_MAY);
	assert_int_equal(id, 2);
	fwc_tables_free(t);
	compiled_free(&c);

	/* A deny rule of an rpc service is only its TCP 135. */
	c = compile_text(ZONES "deny backend -> dc rpc { samr }\n");
	assert_int_equal(c.err, 0);
	assert_int_equal(pinhole(c.t, "tcp 10.1.0.5:50000 -> 10.2.0.10:49154",
				 &id, &port),
			 FWC_PINHOLE_NONE);
	compiled_free(&c);
}

/* The graph of @text, written to a temporary file first. */
static struct fwc_graph *graph_of(const char *text)
{
	char path[] = "/tmp/fwc-graph-XXXXXX";
	struct fwc_graph *g = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	assert_int_equal(fwc_graph_build(path, stderr, &g), 0);
	unlink(path);
	return g;
}

static char *render(const struct fwc_graph *g, bool dot)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (dot)
		fwc_graph_dot(g, NULL, NULL, f);
	else
		fwc_graph_matrix(g, NULL, NULL, f);
	fclose(f);
	return buf;
}

/* rpc services show as rpc { ... } as written, not as tcp 135. */
static void test_graph(void **state)
{
	struct fwc_graph *g = graph_of(
		ZONES "allow backend -> dc service { proto tcp port 443, "
		      "ad-rpc } label \"ad\"\n"
		      "allow mgmt -> dc rpc { 12345778-1234-abcd-ef00-"
		      "0123456789ac:1 } port 49152-65535\n"
		      "allow dc -> backend rpc any\n"
		      "allow mgmt -> dc proto tcp port 135\n");
	char *s;

	(void)state;
	assert_string_equal(g->rules[0].svc,
			    "tcp 443, ad-rpc (rpc { drsuapi, netlogon, samr, "
			    "lsarpc })");
	assert_string_equal(
		g->rules[1].svc,
		"rpc { 12345778-1234-abcd-ef00-0123456789ac:1 } port "
		"49152-65535");
	assert_string_equal(g->rules[2].svc, "rpc any");
	assert_string_equal(g->rules[3].svc, "tcp 135");
	s = render(g, false);
	if (!strstr(s, "  rpc any  "))
		fail_msg("matrix lacks rpc any:\n%s", s);
	free(s);
	s = render(g, true);
	if (!strstr(s, "#1 ad: tcp 443, ad-rpc (rpc { drsuapi, netlogon, samr, "
		       "lsarpc })\\l"))
		fail_msg("dot lacks the rpc service:\n%s", s);
	free(s);
	fwc_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_pinholes),
		cmocka_unit_test(test_graph),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
