/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Commands that talk to the kernel (load, unload, status, stats). */
#ifndef FWC_CLI_H
#define FWC_CLI_H

/* Each returns the process exit code: 0, or 2 on any error. */
int fwc_cmd_load(int argc, char **argv);
int fwc_cmd_unload(int argc, char **argv);
int fwc_cmd_status(int argc, char **argv);
int fwc_cmd_stats(int argc, char **argv);
int fwc_cmd_flows(int argc, char **argv);
int fwc_cmd_graph(int argc, char **argv);
int fwc_cmd_matrix(int argc, char **argv);
int fwc_cmd_log(int argc, char **argv);
int fwc_cmd_confirm(int argc, char **argv);

extern const char *const fwc_usage_load;
extern const char *const fwc_usage_unload;
extern const char *const fwc_usage_status;
extern const char *const fwc_usage_stats;
extern const char *const fwc_usage_flows;
extern const char *const fwc_usage_graph;
extern const char *const fwc_usage_matrix;
extern const char *const fwc_usage_log;
extern const char *const fwc_usage_confirm;

/* Entries of fwc.c's command table. */
#define FWC_LOADER_COMMANDS                                                           \
	{ "load", fwc_cmd_load, &fwc_usage_load,                                      \
	  "enforce a policy with XDP on interfaces (atomic reload)" },                \
		{ "unload", fwc_cmd_unload, &fwc_usage_unload,                        \
		  "detach from interfaces and remove the pins" },                     \
		{ "status", fwc_cmd_status, &fwc_usage_status,                        \
		  "what runs where: policy, hash, rules, mode, since when" },         \
		{ "stats", fwc_cmd_stats, &fwc_usage_stats,                           \
		  "packets and bytes per rule (--json, --watch, --prometheus)" },     \
		{ "flows", fwc_cmd_flows, &fwc_usage_flows,                           \
		  "tracked connections: tuple, state, age, rule (--json, --flush)" }, \
		{ "log", fwc_cmd_log, &fwc_usage_log,                                 \
		  "the deny log: logged and would-drop packets (--json, --follow)" }, \
		{ "confirm", fwc_cmd_confirm, &fwc_usage_confirm,                     \
		  "keep a policy loaded with --confirm (calls off its rollback)" },   \
		{ "graph", fwc_cmd_graph, &fwc_usage_graph,                           \
		  "the zone-to-zone picture of a policy, as Graphviz DOT" },          \
		{ "matrix", fwc_cmd_matrix, &fwc_usage_matrix,                        \
		  "the zone-to-zone picture as a text table" },

#endif /* FWC_CLI_H */
