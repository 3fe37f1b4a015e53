/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The commands of cli/cmd.c, on top of ops/ and kernel/ (load, unload,
 * status, stats, flows, log, confirm, graph, matrix); cli/main.c has the
 * table of every command.
 */
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

#endif /* FWC_CLI_H */
