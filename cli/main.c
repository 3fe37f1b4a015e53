// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc: the command line. The table of commands; each command's options
 * are a table beside its code (cli/cli.h), and everything the user reads
 * about them, --help, fwc(8)'s check, bash completion, comes from there.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fwc_abi.h"
#include "fwc_exit.h"

/* In the order `fwc` lists them. */
static const struct fwc_cmd *const cmds[] = {
	&fwc_cmd_check,	   &fwc_cmd_compile, &fwc_cmd_test,
	&fwc_cmd_diff,	   &fwc_cmd_load,    &fwc_cmd_unload,
	&fwc_cmd_status,   &fwc_cmd_stats,   &fwc_cmd_flows,
	&fwc_cmd_pinholes, &fwc_cmd_log,     &fwc_cmd_confirm,
	&fwc_cmd_graph,	   &fwc_cmd_matrix,  &fwc_cmd_completion,
	&fwc_cmd_options,
};
#define N_CMDS (sizeof(cmds) / sizeof(*cmds))

static int run_completion(const struct fwc_cmd *cmd, int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "bash"))
		return fwc_usage_error(cmd);
	fwc_print_completion_bash(stdout, cmds, N_CMDS);
	return 0;
}

const struct fwc_cmd fwc_cmd_completion = {
	.name = "completion",
	.synopsis = "bash",
	.summary = "the bash completion script, from fwc's option tables",
	.doc = "Print a bash completion script for fwc: commands, their "
	       "options, interfaces, pinned interfaces, instances and policy "
	       "files. make install installs it; by hand:\n"
	       "  source <(fwc completion bash)",
	.args = "bash",
	.run = run_completion,
};

/* tools/check-man.sh compares this with fwc(8). */
static int run_options(const struct fwc_cmd *cmd, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return fwc_usage_error(cmd);
	fwc_print_options(stdout, cmds, N_CMDS);
	return 0;
}

const struct fwc_cmd fwc_cmd_options = {
	.name = "__options",
	.summary = "every command and option, one a line",
	.hidden = true,
	.run = run_options,
};

static int help_requested(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fwc_usage_commands(stderr, cmds, N_CMDS);
		return FWC_EXIT_ERR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fwc_usage_commands(stdout, cmds, N_CMDS);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("fwc %s (abi %d)\n", FWC_VERSION, FWC_ABI_VERSION);
		return 0;
	}
	for (size_t i = 0; i < N_CMDS; i++) {
		const struct fwc_cmd *c = cmds[i];

		if (strcmp(argv[1], c->name))
			continue;
		if (help_requested(argc - 1, argv + 1)) {
			fwc_cmd_usage(c, stdout);
			return 0;
		}
		return c->run(c, argc - 1, argv + 1);
	}
	fprintf(stderr, "fwc: unknown command '%s'\n", argv[1]);
	fwc_usage_commands(stderr, cmds, N_CMDS);
	return FWC_EXIT_ERR;
}
