// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc graph and fwc matrix: nodes, edges, rule numbers, DOT escaping,
 * the matrix cells, counters, and refusing what is not a valid source.
 */
#include "helpers.h"

#include <errno.h>
#include <unistd.h>

#include "graph.h"

static const char policy[] =
	"define nets = { lan, dmz }\n"
	"zone lan = 10.0.0.0/8\n"
	"zone dmz = { 192.0.2.10, 192.0.2.11 }\n"
	"zone unused = 10.9.9.9\n"
	"service ssh = proto tcp port 22\n"
	"allow lan -> dmz service ssh label \"say \\\"hi\\\" \\\\ now\"\n"
	"deny log lan -> { 10.1.2.3, !10.1.2.0/24 } proto tcp port 3389\n"
	"allow $nets -> any proto icmp type echo-request\n"
	"deny any -> dmz proto udp\n"
	"allow { lan, lan } -> dmz proto udp port 53\n";

/* The graph of @text, written to a temporary file first. */
static struct fwc_graph *graph_of(const char *text, int *err)
{
	char path[] = "/tmp/fwc-graph-XXXXXX";
	struct fwc_graph *g = NULL;
	FILE *devnull = fopen("/dev/null", "w");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	*err = fwc_graph_build(path, devnull, &g);
	unlink(path);
	fclose(devnull);
	return g;
}

static char *render(const struct fwc_graph *g, bool dot,
		    const struct fwc_counter *counts)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (dot)
		fwc_graph_dot(g, counts, counts ? "caption" : NULL, f);
	else
		fwc_graph_matrix(g, counts, NULL, f);
	fclose(f);
	return buf;
}

static size_t node(const struct fwc_graph *g, const char *name)
{
	for (size_t i = 0; i < g->n_nodes; i++)
		if (!strcmp(g->nodes[i].name, name))
			return i;
	fail_msg("no node %s", name);
	return 0;
}

static const struct fwc_graph_edge *
edge(const struct fwc_graph *g, const char *from, const char *to, bool allow)
{
	size_t f = node(g, from), t = node(g, to);

	for (size_t i = 0; i < g->n_edges; i++)
		if (g->edges[i].from == f && g->edges[i].to == t &&
		    g->edges[i].allow == allow)
			return &g->edges[i];
	return NULL;
}

static void test_model(void **state)
{
	const struct fwc_graph_edge *e;
	struct fwc_graph *g;
	int err;

	(void)state;
	g = graph_of(policy, &err);
	assert_int_equal(err, 0);
	assert_int_equal(g->n_rules, 5);
	/* Zones first, in order, used or not; then other endpoints. */
	assert_string_equal(g->nodes[0].name, "lan");
	assert_string_equal(g->nodes[1].name, "dmz");
	assert_string_equal(g->nodes[1].detail, "192.0.2.10, 192.0.2.11");
	assert_string_equal(g->nodes[2].name, "unused");
	assert_true(g->nodes[2].zone);
	assert_false(g->nodes[node(g, "any")].zone);
	assert_false(g->nodes[node(g, "{ 10.1.2.3, !10.1.2.0/24 }")].zone);
	/* Rule 1 and 5 share lan -> dmz (allow); { lan, lan } counts once. */
	e = edge(g, "lan", "dmz", true);
	assert_non_null(e);
	assert_int_equal(e->n_rules, 2);
	assert_int_equal(e->rules[0], 1);
	assert_int_equal(e->rules[1], 5);
	/* $nets splits into its zones. */
	assert_non_null(edge(g, "lan", "any", true));
	assert_non_null(edge(g, "dmz", "any", true));
	assert_non_null(edge(g, "any", "dmz", false));
	assert_null(edge(g, "any", "dmz", true));
	assert_string_equal(g->rules[0].svc, "ssh");
	assert_string_equal(g->rules[1].svc, "tcp 3389");
	assert_string_equal(g->rules[2].svc, "icmp type echo-request");
	assert_true(g->rules[1].log);
	assert_string_equal(g->rules[2].from, "$nets");
	fwc_graph_free(g);
}

static void test_dot(void **state)
{
	struct fwc_counter
		counts[6] = { [1] = { 1000, 64000 }, [5] = { 10, 640 } };
	struct fwc_graph *g;
	char *s;
	int err;

	(void)state;
	g = graph_of(policy, &err);
	assert_int_equal(err, 0);
	s = render(g, true, NULL);
	assert_non_null(strstr(s, "digraph fwc {"));
	/* The label's quote and backslash escaped for DOT. */
	assert_non_null(strstr(s, "#1 say \\\"hi\\\" \\\\ now: ssh\\l"));
	assert_non_null(strstr(s, "#2 tcp 3389 (log)\\l\", style=dashed"));
	assert_null(strstr(s, "penwidth"));
	free(s);
	s = render(g, true, counts);
	assert_non_null(strstr(s, "[1.0k pkts]"));
	assert_non_null(strstr(s, "penwidth=6.0"));
	assert_non_null(strstr(s, "\\ncaption"));
	free(s);
	fwc_graph_free(g);
}

static void test_matrix(void **state)
{
	struct fwc_counter counts[6] = { [0] = { 7, 700 }, [1] = { 3, 180 } };
	struct fwc_graph *g;
	char *s;
	int err;

	(void)state;
	g = graph_of(policy, &err);
	assert_int_equal(err, 0);
	s = render(g, false, NULL);
	assert_non_null(strstr(s, "5 endpoints, 5 rules, default deny"));
	/* Row lan: dmz 1,5; the excluded list !2; any 3. */
	assert_non_null(strstr(s, "\nlan  "));
	assert_non_null(strstr(s, "1,5"));
	assert_non_null(strstr(s, "!2"));
	assert_non_null(strstr(s, "!4"));
	/* No trailing blanks. */
	assert_null(strstr(s, " \n"));
	free(s);
	s = render(g, false, counts);
	assert_non_null(strstr(s, "packets"));
	assert_non_null(strstr(s, "default deny"));
	free(s);
	fwc_graph_free(g);
}

static void test_errors(void **state)
{
	FILE *devnull = fopen("/dev/null", "w");
	struct fwc_graph *g;
	int err;

	(void)state;
	g = graph_of("zone a = 10.0.0.0/8\nallow a -> b any\n", &err);
	assert_int_equal(err, -EINVAL);
	assert_null(g);
	g = graph_of("set default allow\n", &err);
	assert_int_equal(err, 0);
	assert_true(g->default_allow);
	assert_int_equal(g->n_nodes, 0);
	free(render(g, false, NULL));
	free(render(g, true, NULL));
	fwc_graph_free(g);
	assert_int_equal(fwc_graph_build("/nonexistent.pol", devnull, &g),
			 -ENOENT);
	fclose(devnull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
