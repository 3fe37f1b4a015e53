// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The command lines of fwc flows, log, confirm, graph and matrix (ops/). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "fwc_exit.h"
#include "ops.h"

const char *const fwc_usage_flows =
	"usage: fwc flows [IFACE...] [--json] [--flush] [--bpffs DIR]\n"
	"  The flows connection tracking follows (set state on): protocol,\n"
	"  the endpoints as the opening packet had them, state, age, time\n"
	"  since the last packet, and the rule that admitted the flow (its id,\n"
	"  then label or text; orphan: a reload removed it). Interfaces of one\n"
	"  load share one table, shown once. Expired entries are left out.\n"
	"  --json        one object per table, with its interfaces and flows\n"
	"  --flush       forget every flow of the selected tables: their next\n"
	"                packets meet the rules as new ones\n"
	"  Plain bpftool works too: bpftool map dump pinned DIR/IFACE/ct\n";

const char *const fwc_usage_log =
	"usage: fwc log [IFACE...] [--json] [--follow] [--bpffs DIR]\n"
	"  The deny log: packets of rules marked `log` (and of the default\n"
	"  rule with `set log default on`), and in audit mode every packet the\n"
	"  policy would drop, rate-limited per rule in the datapath (set log\n"
	"  rate). One line per event: time, interface, verdict (drop,\n"
	"  would-drop, allow), rule id and label or text, and the packet in\n"
	"  fwc test notation. Reading takes the events out of the buffer.\n"
	"  At exit, the events held back by the rate limit (suppressed) and\n"
	"  lost because the buffer was full, as counted so far (the counters\n"
	"  carry over reloads), go to stderr (with --json: a last line\n"
	"  {\"summary\":...}).\n"
	"  --json        one JSON object per line\n"
	"  --follow      wait for more until SIGINT or SIGTERM (new loads are\n"
	"                picked up)\n"
	"  --bpffs DIR   the pins' root (default $" FWC_BPFFS_ENV ", else\n"
	"                " FWC_BPFFS_DEFAULT ")\n";

const char *const fwc_usage_confirm =
	"usage: fwc confirm [IFACE...]\n"
	"  Keep the policy that fwc load --confirm loaded: its rollback is\n"
	"  called off. Without IFACE, every pending confirmation; with IFACE,\n"
	"  the loads that include it (a load is confirmed whole). Exit 2 when\n"
	"  there is nothing to confirm, saying so when the rollback came\n"
	"  first. State: $" FWC_STATE_ENV " (default " FWC_STATE_DEFAULT ").\n";

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

int fwc_cmd_flows(int argc, char **argv)
{
	enum {
		OPT_JSON = 0x100,
		OPT_FLUSH,
		OPT_BPFFS
	};
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "flush", no_argument, NULL, OPT_FLUSH },
		{ "bpffs", required_argument, NULL, OPT_BPFFS },
		{ NULL, 0, NULL, 0 },
	};
	const char *bpffs = NULL;
	bool json = false, flush = false;
	int c;

	optind = 0; /* full reset: cli/main.c may have used getopt */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_FLUSH:
			flush = true;
			break;
		case OPT_BPFFS:
			bpffs = optarg;
			break;
		default:
			fputs(fwc_usage_flows, stderr);
			return FWC_EXIT_ERR;
		}
	}
	if (json && flush) {
		fputs(fwc_usage_flows, stderr);
		return FWC_EXIT_ERR;
	}
	fwc_libbpf_verbose(false);
	return fwc_flows_show(fwc_pin_root(bpffs), argv + optind, argc - optind,
			      json, flush) ?
		       FWC_EXIT_ERR :
		       0;
}

int fwc_cmd_log(int argc, char **argv)
{
	enum {
		OPT_JSON = 0x100,
		OPT_FOLLOW,
		OPT_BPFFS
	};
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "bpffs", required_argument, NULL, OPT_BPFFS },
		{ NULL, 0, NULL, 0 },
	};
	const char *bpffs = NULL;
	bool follow = false;
	bool json = false;
	int c;

	optind = 0; /* full reset: cli/main.c may have used getopt */
	while ((c = getopt_long(argc, argv, "f", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case 'f':
		case OPT_FOLLOW:
			follow = true;
			break;
		case OPT_BPFFS:
			bpffs = optarg;
			break;
		default:
			fputs(fwc_usage_log, stderr);
			return FWC_EXIT_ERR;
		}
	}
	fwc_libbpf_verbose(false);
	return fwc_log_show(fwc_pin_root(bpffs), argv + optind, argc - optind,
			    json, follow) ?
		       FWC_EXIT_ERR :
		       0;
}

int fwc_cmd_confirm(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-') {
			fputs(fwc_usage_confirm, stderr);
			return FWC_EXIT_ERR;
		}
	return fwc_confirm(argv + 1, argc - 1) ? FWC_EXIT_ERR : 0;
}

static int graph(int argc, char **argv, bool dot, const char *usage)
{
	static const struct option longopts[] = {
		{ "stats", required_argument, NULL, 's' },
		{ "bpffs", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *iface = NULL, *bpffs = NULL;
	int c;

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
	return fwc_graph_show(argv[optind], iface, fwc_pin_root(bpffs), dot) ?
		       FWC_EXIT_ERR :
		       0;
usage:
	fputs(usage, stderr);
	return FWC_EXIT_ERR;
}

int fwc_cmd_graph(int argc, char **argv)
{
	return graph(argc, argv, true, fwc_usage_graph);
}

int fwc_cmd_matrix(int argc, char **argv)
{
	return graph(argc, argv, false, fwc_usage_matrix);
}
