// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc graph and fwc matrix. The picture is the compiler's (graph.c); this
 * file only adds the live counters of --stats IFACE, read from the pins.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "graph.h"
#include "kernel.h"

const char *const fwc_usage_graph =
	"usage: fwc graph POLICY [--stats IFACE] [--bpffs DIR]\n"
	"  Print the zone-to-zone picture of POLICY as Graphviz DOT: zones\n"
	"  as nodes, one edge per zone pair and verdict, labelled with its\n"
	"  rules (number, label, service); deny edges are dashed and red.\n"
	"  Endpoints that are not a zone name (addresses, lists with\n"
	"  exclusions, any) are grey nodes of their own.\n"
	"    fwc graph policy.pol | dot -Tpng -o policy.png\n"
	"  --stats IFACE  weight the edges by the live packet counters of the\n"
	"                 policy loaded on IFACE (matched by rule number when\n"
	"                 it is the same policy text, else by label and text)\n"
	"  --bpffs DIR    where the pins are (as for fwc stats)\n";

const char *const fwc_usage_matrix =
	"usage: fwc matrix POLICY [--stats IFACE] [--bpffs DIR]\n"
	"  The same picture as fwc graph, as a text table for the terminal:\n"
	"  one row per source, one column per destination, each cell lists\n"
	"  the rules of that pair in policy order (!N: rule N denies), then\n"
	"  one line per rule. --stats IFACE adds packets and bytes per rule.\n";

static bool same_rule(const struct fwc_stat_row *r,
		      const struct fwc_graph_rule *gr, bool by_label)
{
	if (by_label)
		return r->has_label && !strcmp(r->label, gr->label);
	/* The record holds the text cut to its size. */
	return !strncmp(r->text, gr->text, sizeof(r->text) - 1);
}

/* Counter per rule id of @g from @set, matched as the usage says. */
static void counts_fill(const struct fwc_graph *g,
			const struct fwc_stat_set *set,
			struct fwc_counter *counts, const char *iface)
{
	bool same = !strcmp(set->info.sha256, g->sha256);
	bool *used = calloc(set->n_rows + 1, sizeof(*used));

	if (!same)
		fprintf(stderr,
			"fwc: %s runs another version of %s (sha256 "
			"%.12s..., the file has %.12s...): counters "
			"matched by label, then rule text\n",
			iface, g->name, set->info.sha256, g->sha256);
	for (uint32_t k = 0; k < set->n_rows; k++) {
		const struct fwc_stat_row *r = &set->rows[k];

		if (r->reserved)
			continue;
		if (r->id == 0 || (same && r->id <= g->n_rules))
			counts[r->id <= g->n_rules ? r->id : 0] = r->c;
	}
	for (int by_label = 1; !same && used && by_label >= 0; by_label--) {
		for (size_t i = 0; i < g->n_rules; i++) {
			const struct fwc_graph_rule *gr = &g->rules[i];

			if (counts[gr->id].packets || counts[gr->id].bytes ||
			    (by_label && !gr->label))
				continue;
			for (uint32_t k = 0; k < set->n_rows; k++) {
				const struct fwc_stat_row *r = &set->rows[k];

				if (r->reserved || !r->id || used[k] ||
				    !same_rule(r, gr, by_label))
					continue;
				counts[gr->id] = r->c;
				used[k] = true;
				break;
			}
		}
	}
	free(used);
}

static void caption_fill(char *buf, size_t n, const char *iface)
{
	time_t now = time(NULL);
	struct tm tm;
	char when[32] = "";

	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(buf, n, "packets counted on %s, read %s", iface, when);
}

static int run(int argc, char **argv, bool dot, const char *usage)
{
	static const struct option longopts[] = {
		{ "stats", required_argument, NULL, 's' },
		{ "bpffs", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *iface = NULL, *bpffs = NULL;
	struct fwc_counter *counts = NULL;
	struct fwc_snapshot snap = { 0 };
	struct fwc_graph *g;
	char caption[128];
	int c, err;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 's')
			iface = optarg;
		else if (c == 'b')
			bpffs = optarg;
		else
			goto usage;
	}
	if (optind != argc - 1)
		goto usage;
	if (fwc_graph_build(argv[optind], NULL, &g))
		return FWC_EXIT_ERR;
	if (iface) {
		char *one[] = { (char *)iface };

		libbpf_set_print(NULL);
		err = fwc_snapshot_read(fwc_pin_root(bpffs), one, 1, &snap);
		if (err || snap.n_sets != 1) {
			fprintf(stderr, "fwc: %s: %s\n", iface,
				err	      ? strerror(-err) :
				snap.n_ifaces ? snap.ifaces[0].state :
						"no fwc policy loaded");
			fwc_snapshot_free(&snap);
			fwc_graph_free(g);
			return FWC_EXIT_ERR;
		}
		counts = calloc(g->n_rules + 1, sizeof(*counts));
		if (counts)
			counts_fill(g, &snap.sets[0], counts, iface);
		caption_fill(caption, sizeof(caption), iface);
	}
	if (dot)
		fwc_graph_dot(g, counts, counts ? caption : NULL, stdout);
	else
		fwc_graph_matrix(g, counts, counts ? caption : NULL, stdout);
	free(counts);
	fwc_snapshot_free(&snap);
	fwc_graph_free(g);
	return 0;
usage:
	fputs(usage, stderr);
	return FWC_EXIT_ERR;
}

int fwc_cmd_graph(int argc, char **argv)
{
	return run(argc, argv, true, fwc_usage_graph);
}

int fwc_cmd_matrix(int argc, char **argv)
{
	return run(argc, argv, false, fwc_usage_matrix);
}
