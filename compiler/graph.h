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

/*
 * The interfaces of an rpc rule as text, shared by fwc graph, matrix,
 * diff, test and --emit nft: "rpc { samr v1, netlogon v1 } port
 * 1024-65535", one "rpc { ... } port ..." per distinct port bounds, in
 * the order written. An entry is shown by @names[i] when @names is given
 * (NULL there: a literal, shown as its UUID), else by the row of the
 * table of well-known interfaces with its UUID and major version (compiled
 * tables keep no names); a literal of any version as its UUID alone, `rpc
 * any` as "any". With @port >= 0 only the entries whose bounds hold
 * @port. A string to free; "" when no entry is left.
 */
struct fwc_policy;
struct fwc_rule;
char *fwc_rpc_text(const struct fwc_rpc_iface *e, const char *const *names,
		   size_t n, int port);
/*
 * What MS-RPC pinholes say about packet @p that rule @id decides (fwc
 * test), from the tables alone, so that a policy and its artifact answer
 * alike. @classify (NULL: fwc_tables_classify() of @t) decides a packet,
 * with @ctx. Returns
 *   FWC_PINHOLE_MAY: TCP the rules deny, but rpc rule *@rpc_id admits
 *     the same packet to port 135 (the endpoint mapper) and the bounds of
 *     one of its interfaces hold its port: a pinhole of that rule may
 *     admit it. *@port is that port (to show the interfaces holding it);
 *   FWC_PINHOLE_OPENS: TCP to 135 that rpc rule *@rpc_id admits: its
 *     answers open pinholes for its interfaces (*@port -1: all);
 *   FWC_PINHOLE_NONE: nothing to say.
 */
enum {
	FWC_PINHOLE_NONE,
	FWC_PINHOLE_MAY,
	FWC_PINHOLE_OPENS,
};

struct fwc_tables;
struct fwc_packet;
int fwc_rpc_pinhole(const struct fwc_tables *t, const struct fwc_packet *p,
		    uint32_t id,
		    uint32_t (*classify)(const void *ctx,
					 const struct fwc_packet *p),
		    const void *ctx, uint32_t *rpc_id, int *port);

/* One entry: "samr v1", "UUID v1", "UUID", "any" (@name: as above). */
char *fwc_rpc_iface_text(const struct fwc_rpc_iface *e, const char *name);
/* The same of rule @r of a resolved policy (names as written). */
char *fwc_rpc_rule_text(const struct fwc_policy *pol, const struct fwc_rule *r,
			int port);

#endif /* FWC_GRAPH_H */
