/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The zone-to-zone picture of a policy (fwc graph, fwc matrix): zones as
 * nodes, one edge per (from, to, allow|deny) with the rules that make it.
 * It follows the rules as written, by name, not the address sets they
 * resolve to: "internet -> dns" is one edge even when internet = any.
 */
#ifndef FWC_GRAPH_H
#define FWC_GRAPH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fwc_abi.h"

struct fwc_graph_node {
	char *name;   /* zone name, "any", or the endpoint as written */
	char *detail; /* a zone's definition, shortened, or NULL */
	bool zone;
};

struct fwc_graph_rule {
	uint32_t id; /* 1-based, as fwc test and fwc stats */
	uint32_t line;
	bool allow, log;
	char *label;	 /* NULL when the rule has none */
	char *from, *to; /* the endpoints as written */
	char *svc;	 /* the service, shortened */
	char *text;	 /* normalised rule text (as in rule_meta) */
};

struct fwc_graph_edge {
	size_t from, to; /* node indexes */
	bool allow;
	uint32_t *rules; /* rule ids, ascending */
	size_t n_rules, cap_rules;
};

struct fwc_graph {
	char *name;	 /* the policy file as given */
	char sha256[65]; /* hex, of the policy text */
	bool default_allow;
	struct fwc_graph_node *nodes;
	size_t n_nodes, cap_nodes;
	struct fwc_graph_rule *rules; /* rules[i].id == i + 1 */
	size_t n_rules, cap_rules;
	struct fwc_graph_edge *edges; /* by their first rule */
	size_t n_edges, cap_edges;
};

/*
 * Compiles @path (errors to @err, stderr when NULL) and builds its graph.
 * 0, -EINVAL for a policy with errors (already reported), or -errno.
 */
int fwc_graph_build(const char *path, FILE *err, struct fwc_graph **out);
void fwc_graph_free(struct fwc_graph *g);

/*
 * Output. @counts, when not NULL, holds a counter per rule id
 * (0..n_rules) of live traffic: edges get widths and packet counts, and
 * @caption (may be NULL) says where the counters come from.
 */
void fwc_graph_dot(const struct fwc_graph *g, const struct fwc_counter *counts,
		   const char *caption, FILE *f);
void fwc_graph_matrix(const struct fwc_graph *g,
		      const struct fwc_counter *counts, const char *caption,
		      FILE *f);

#endif /* FWC_GRAPH_H */
