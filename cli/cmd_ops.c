// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The command lines of fwc flows, log, confirm, graph and matrix (ops/). */
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "fwc_exit.h"
#include "ops.h"

/* The pins' root, as fwc load, unload, status and stats have it. */
#define OPT_BPFFS                                                 \
	{                                                         \
		"bpffs", FWC_OPT_BPFFS, "DIR",                    \
			"the pins' root (default $" FWC_BPFFS_ENV \
			", else " FWC_BPFFS_DEFAULT ")",          \
			"@dir"                                    \
	}

static int run_flows(const struct fwc_cmd *cmd, int argc, char **argv)
{
	const char *bpffs = NULL;
	bool json = false, flush = false;
	struct fwc_getopt g;
	int c;

	fwc_getopt_init(&g, cmd);
	while ((c = fwc_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case FWC_OPT_JSON:
			json = true;
			break;
		case FWC_OPT_FLUSH:
			flush = true;
			break;
		case FWC_OPT_BPFFS:
			bpffs = optarg;
			break;
		default:
			return fwc_usage_error(cmd);
		}
	}
	if (json && flush)
		return fwc_usage_error(cmd);
	fwc_libbpf_verbose(false);
	return fwc_flows_show(fwc_pin_root(bpffs), argv + optind, argc - optind,
			      json, flush) ?
		       FWC_EXIT_ERR :
		       0;
}

const struct fwc_cmd fwc_cmd_flows = {
	.name = "flows",
	.synopsis = "[IFACE...] [--json] [--flush] [--bpffs DIR]",
	.summary =
		"tracked connections: tuple, state, age, rule (--json, --flush)",
	.doc = "The flows connection tracking follows (set state on): "
	       "protocol, the endpoints as the opening packet had them, state, "
	       "age, time since the last packet, and the rule that admitted "
	       "the flow (its id, then label or text; orphan: a reload removed "
	       "it). Interfaces of one load share one table, shown once. "
	       "Expired entries are left out.",
	.opts =
		(const struct fwc_opt[]){
			{ "json", FWC_OPT_JSON, NULL,
			  "one object per table, with its interfaces and flows" },
			{ "flush", FWC_OPT_FLUSH, NULL,
			  "forget every flow of the selected tables: their next packets "
			  "meet the rules as new ones" },
			OPT_BPFFS,
			{ NULL },
		},
	.tail = "Plain bpftool works too: bpftool map dump pinned DIR/IFACE/ct",
	.args = "@pinned...",
	.run = run_flows,
};

static int run_pinholes(const struct fwc_cmd *cmd, int argc, char **argv)
{
	const char *bpffs = NULL;
	bool json = false;
	struct fwc_getopt g;
	int c;

	fwc_getopt_init(&g, cmd);
	while ((c = fwc_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case FWC_OPT_JSON:
			json = true;
			break;
		case FWC_OPT_BPFFS:
			bpffs = optarg;
			break;
		default:
			return fwc_usage_error(cmd);
		}
	}
	fwc_libbpf_verbose(false);
	return fwc_pinholes_show(fwc_pin_root(bpffs), argv + optind,
				 argc - optind, json) ?
		       FWC_EXIT_ERR :
		       0;
}

const struct fwc_cmd fwc_cmd_pinholes = {
	.name = "pinholes",
	.synopsis = "[IFACE...] [--json] [--bpffs DIR]",
	.summary = "MS-RPC pinholes the endpoint mapper's answers opened",
	.doc = "The ports rpc rules' endpoint-mapper answers opened (see "
	       "docs/rpc-pinholes.md): the client, the server and port, the "
	       "interface the tower mapped (its name when the table knows it, "
	       "else its UUID) and version, when it expires, how many "
	       "connections used it, and the rule it belongs to. Interfaces "
	       "of one load share one table, shown once. Expired pinholes are "
	       "left out.",
	.opts =
		(const struct fwc_opt[]){
			{ "json", FWC_OPT_JSON, NULL,
			  "one object per table, with its interfaces and "
			  "pinholes" },
			OPT_BPFFS,
			{ NULL },
		},
	.tail = "Plain bpftool works too: bpftool map dump pinned "
		"DIR/IFACE/pinholes",
	.args = "@pinned...",
	.run = run_pinholes,
};

static int run_log(const struct fwc_cmd *cmd, int argc, char **argv)
{
	const char *bpffs = NULL;
	bool follow = false;
	bool json = false;
	struct fwc_getopt g;
	int c;

	fwc_getopt_init(&g, cmd);
	while ((c = fwc_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case FWC_OPT_JSON:
			json = true;
			break;
		case 'f':
			follow = true;
			break;
		case FWC_OPT_BPFFS:
			bpffs = optarg;
			break;
		default:
			return fwc_usage_error(cmd);
		}
	}
	fwc_libbpf_verbose(false);
	return fwc_log_show(fwc_pin_root(bpffs), argv + optind, argc - optind,
			    json, follow) ?
		       FWC_EXIT_ERR :
		       0;
}

const struct fwc_cmd fwc_cmd_log = {
	.name = "log",
	.synopsis = "[IFACE...] [--json] [--follow] [--bpffs DIR]",
	.summary =
		"the deny log: logged and would-drop packets (--json, --follow)",
	.doc = "The deny log: packets of rules marked `log` (and of the default "
	       "rule with `set log default on`), and in audit mode every packet "
	       "the policy would drop, rate-limited per rule in the datapath "
	       "(set log rate). One line per event: time, interface, verdict "
	       "(drop, would-drop, allow), rule id and label or text, and the "
	       "packet in fwc test notation. Reading takes the events out of "
	       "the buffer. At exit, the events held back by the rate limit "
	       "(suppressed) and lost because the buffer was full, as counted "
	       "so far (the counters carry over reloads), go to stderr (with "
	       "--json: a last line {\"summary\":...}).",
	.opts =
		(const struct fwc_opt[]){
			{ "json", FWC_OPT_JSON, NULL,
			  "one JSON object per line" },
			{ "follow", 'f', NULL,
			  "wait for more until SIGINT or SIGTERM (new loads are picked "
			  "up)" },
			OPT_BPFFS,
			{ NULL },
		},
	.args = "@pinned...",
	.run = run_log,
};

static int run_confirm(const struct fwc_cmd *cmd, int argc, char **argv)
{
	/* No options: even a lone "-" is none of its interfaces. */
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-')
			return fwc_usage_error(cmd);
	return fwc_confirm(argv + 1, argc - 1) ? FWC_EXIT_ERR : 0;
}

const struct fwc_cmd fwc_cmd_confirm = {
	.name = "confirm",
	.synopsis = "[IFACE...]",
	.summary =
		"keep a policy loaded with --confirm (calls off its rollback)",
	.doc = "Keep the policy that fwc load --confirm loaded: its rollback is "
	       "called off. Without IFACE, every pending confirmation; with "
	       "IFACE, the loads that include it (a load is confirmed whole). "
	       "Exit 2 when there is nothing to confirm, saying so when the "
	       "rollback came first. State: $" FWC_STATE_ENV
	       " (default " FWC_STATE_DEFAULT ").",
	.args = "@pinned...",
	.run = run_confirm,
};

/* fwc graph and fwc matrix: the same options, DOT or a text table. */
static int run_graph(const struct fwc_cmd *cmd, int argc, char **argv)
{
	const char *iface = NULL, *bpffs = NULL;
	struct fwc_getopt g;
	int c;

	fwc_getopt_init(&g, cmd);
	while ((c = fwc_getopt(&g, argc, argv)) != -1) {
		if (c == FWC_OPT_STATS)
			iface = optarg;
		else if (c == FWC_OPT_BPFFS)
			bpffs = optarg;
		else
			return fwc_usage_error(cmd);
	}
	if (optind != argc - 1)
		return fwc_usage_error(cmd);
	return fwc_graph_show(argv[optind], iface, fwc_pin_root(bpffs),
			      cmd == &fwc_cmd_graph) ?
		       FWC_EXIT_ERR :
		       0;
}

static const struct fwc_opt graph_opts[] = {
	{ "stats", FWC_OPT_STATS, "IFACE",
	  "weight the edges by the live packet counters of the policy loaded "
	  "on IFACE (matched by rule number when it is the same policy text, "
	  "else by label and text)",
	  "@pinned" },
	{ "bpffs", FWC_OPT_BPFFS, "DIR",
	  "where the pins are (as for fwc stats)", "@dir" },
	{ NULL },
};

const struct fwc_cmd fwc_cmd_graph = {
	.name = "graph",
	.synopsis = "POLICY [--stats IFACE] [--bpffs DIR]",
	.summary = "the zone-to-zone picture of a policy, as Graphviz DOT",
	.doc = "Print the zone-to-zone picture of POLICY as Graphviz DOT: zones "
	       "as nodes, one edge per zone pair and verdict, labelled with its "
	       "rules (number, label, service); deny edges are dashed and red. "
	       "Endpoints that are not a zone name (addresses, lists with "
	       "exclusions, any) are grey nodes of their own.\n"
	       "  fwc graph policy.pol | dot -Tpng -o policy.png",
	.opts = graph_opts,
	.args = "@policy",
	.run = run_graph,
};

const struct fwc_cmd fwc_cmd_matrix = {
	.name = "matrix",
	.synopsis = "POLICY [--stats IFACE] [--bpffs DIR]",
	.summary = "the zone-to-zone picture as a text table",
	.doc = "The same picture as fwc graph, as a text table for the "
	       "terminal: one row per source, one column per destination, each "
	       "cell lists the rules of that pair in policy order (!N: rule N "
	       "denies), then one line per rule. --stats IFACE adds packets "
	       "and bytes per rule.",
	.opts = graph_opts,
	.args = "@policy",
	.run = run_graph,
};
