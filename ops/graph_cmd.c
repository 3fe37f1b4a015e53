// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc graph and fwc matrix. The picture is the compiler's (graph.c); this
 * file only adds the live counters of --stats IFACE, read from the pins.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "graph.h"
#include "ops.h"

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

/* Endpoints fwc matrix prints a table of. */
#define FWC_MATRIX_MAX 2000u

static void caption_fill(char *buf, size_t n, const char *iface)
{
	time_t now = time(NULL);
	struct tm tm;
	char when[32] = "";

	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(buf, n, "packets counted on %s, read %s", iface, when);
}

int fwc_graph_show(const char *policy, const char *iface, const char *root,
		   bool dot)
{
	struct fwc_counter *counts = NULL;
	struct fwc_snapshot snap = { 0 };
	struct fwc_graph *g;
	char caption[128];
	int err;

	if (fwc_graph_build(policy, NULL, &g))
		return -EBADMSG;
	/*
	 * A matrix of every endpoint against every other is no table to
	 * read past a few thousand (and a ClassBench-like 100k-rule policy
	 * has as many endpoints: 10^10 cells); refuse before its memory.
	 */
	if (!dot && g->n_nodes > FWC_MATRIX_MAX) {
		fprintf(stderr,
			"fwc: %s: %zu endpoints: a matrix of %zu x %zu cells "
			"is not printed (at most %u endpoints); fwc graph "
			"draws the policy, fwc test answers for one packet\n",
			policy, g->n_nodes, g->n_nodes, g->n_nodes,
			FWC_MATRIX_MAX);
		fwc_graph_free(g);
		return -E2BIG;
	}
	if (iface) {
		char *one[] = { (char *)iface };

		fwc_libbpf_verbose(false);
		err = fwc_snapshot_read(root, one, 1, &snap);
		if (err || snap.n_sets != 1) {
			fprintf(stderr, "fwc: %s: %s\n", iface,
				err	      ? strerror(-err) :
				snap.n_ifaces ? snap.ifaces[0].state :
						"no fwc policy loaded");
			fwc_snapshot_free(&snap);
			fwc_graph_free(g);
			return err ? err : -ENOENT;
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
}
