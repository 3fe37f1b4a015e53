/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The command line: one declarative table per command (struct fwc_cmd,
 * with its struct fwc_opt[]) from which cli/opts.c derives everything
 * else: getopt_long's struct option[] and short-option string, the
 * command's --help text, the list of commands that plain `fwc` prints,
 * the option list `make test` compares with fwc(8) (tools/check-man.sh)
 * and the bash completion script (fwc completion bash).
 *
 * cli/main.c holds the table of commands; each command's table and run
 * function live beside its option handling (cmd_policy.c: check, compile,
 * test, diff; cmd.c: load, unload, status, stats; cmd_ops.c: flows, log,
 * confirm, graph, matrix). Run functions return an exit code of
 * include/fwc_exit.h.
 */
#ifndef FWC_CLI_H
#define FWC_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * getopt_long's values of the long-only options (above any char: a key
 * below 0x100 is the option's short letter as well).
 */
enum fwc_opt_key {
	FWC_OPT_MODE = 0x100,
	FWC_OPT_BPFFS,
	FWC_OPT_JSON,
	FWC_OPT_ALL,
	FWC_OPT_WAIT,
	FWC_OPT_INSTANCE,
	FWC_OPT_CONF,
	FWC_OPT_STOP,
	FWC_OPT_WATCH,
	FWC_OPT_SORT,
	FWC_OPT_FILTER,
	FWC_OPT_COUNT,
	FWC_OPT_PROM,
	FWC_OPT_LISTEN,
	FWC_OPT_FLUSH_FLOWS,
	FWC_OPT_MAX_FLOWS,
	FWC_OPT_AUDIT,
	FWC_OPT_FORCE,
	FWC_OPT_KEEP,
	FWC_OPT_CONFIRM,
	FWC_OPT_STRICT,
	FWC_OPT_WIDE_PORTS,
	FWC_OPT_EMIT,
	FWC_OPT_FLUSH,
	FWC_OPT_STATS,
	FWC_OPT_MAX_TABLE_MEMORY,
	FWC_OPT_LAYOUT,
};

/*
 * --max-table-memory, the same in every command that compiles (check,
 * compile, test, load): compiler/compile.h's max_table_memory.
 */
#define FWC_OPT_TABLE_MEMORY                                                                  \
	{                                                                                     \
		"max-table-memory", FWC_OPT_MAX_TABLE_MEMORY, "BYTES",                        \
			"the most the tables that grow as products of class counts "          \
			"(svc, pair, decision) may take together, and the compiler's "        \
			"candidate rule lists on their own; K, M, G suffixes (1024s), "       \
			"default 256M. Checked before they are built: a policy over it "      \
			"takes the grouped layout (fwc compile --layout); one whose grouped " \
			"tables do not fit either is an error naming the table, its size, "   \
			"its class counts and the rules that add the most classes"            \
	}

/*
 * --layout, beside --max-table-memory in the commands that compile
 * (check, compile, test, load): compiler/compile.h's layout.
 */
#define FWC_OPT_TABLE_LAYOUT                                                       \
	{                                                                          \
		"layout", FWC_OPT_LAYOUT, "LAYOUT",                                \
			"auto (the default) keeps the single cross product of "    \
			"classes when it fits --max-table-memory, for its speed, " \
			"and else splits the rules into groups looked up one "     \
			"after another; single never groups (a policy over the "   \
			"budget is an error); groups always does (tests, "         \
			"benchmarks)",                                             \
			"auto single groups"                                       \
	}

struct fwc_compile_opts;

/*
 * --layout's argument into @o->layout: 0, or -1 after telling why.
 */
int fwc_opt_layout(const char *s, struct fwc_compile_opts *o);

/*
 * A byte count of option @name: digits and an optional K, M or G (of
 * 1024), from 1 to 1024G. 0 and *@out, or -1 after telling why.
 */
int fwc_opt_bytes(const char *name, const char *s, uint64_t *out);

/*
 * What bash completes for an option's argument or a positional argument:
 * NULL nothing, "@policy" policy files and artifacts, "@file", "@dir",
 * "@iface" interfaces, "@pinned" interfaces with pins, "@instance"
 * instances of fwc@.service, else a blank-separated list of words.
 */
struct fwc_opt {
	const char *name; /* the long name, without "--" */
	int key;	  /* a short letter, or an enum fwc_opt_key */
	const char *arg;  /* the argument's name; NULL: takes none */
	const char *help; /* one paragraph; wrapped by the usage printer */
	const char *complete;
};

struct fwc_cmd {
	const char *name;
	/* What follows "fwc NAME"; one line per form, '\n' between them. */
	const char *synopsis;
	const char *summary; /* one line, for the list of commands */
	const char *doc;     /* paragraphs before the options ('\n' breaks) */
	const char *tail;    /* after the options */
	const struct fwc_opt *opts; /* ends with { NULL } */
	/*
	 * Completion of the positional arguments, one per word in order;
	 * "..." after the last repeats it ("@policy @iface...").
	 */
	const char *args;
	bool hidden; /* not listed, documented or completed */
	int (*run)(const struct fwc_cmd *cmd, int argc, char **argv);
};

extern const struct fwc_cmd fwc_cmd_check, fwc_cmd_compile, fwc_cmd_test,
	fwc_cmd_diff, fwc_cmd_load, fwc_cmd_unload, fwc_cmd_status,
	fwc_cmd_stats, fwc_cmd_flows, fwc_cmd_pinholes, fwc_cmd_log,
	fwc_cmd_confirm, fwc_cmd_graph, fwc_cmd_matrix, fwc_cmd_completion,
	fwc_cmd_options;

#define FWC_MAX_OPTS 32

/* getopt_long over one command's table. */
struct fwc_getopt {
	struct option longopts[FWC_MAX_OPTS + 1];
	char shortopts[2 * FWC_MAX_OPTS + 2];
};

/* Builds @g from @cmd's table and resets getopt (optind = 0). */
void fwc_getopt_init(struct fwc_getopt *g, const struct fwc_cmd *cmd);
/* getopt_long with @g: the option's key, '?' for an unknown one, -1. */
int fwc_getopt(struct fwc_getopt *g, int argc, char **argv);

/* The --help text of @cmd. */
void fwc_cmd_usage(const struct fwc_cmd *cmd, FILE *f);
/* Prints @cmd's usage to stderr and returns FWC_EXIT_ERR. */
int fwc_usage_error(const struct fwc_cmd *cmd);
/*
 * Over the table of commands (cli/main.c passes it, in the order `fwc`
 * lists them): what plain `fwc` prints, the commands and their summaries;
 * every command and its options, one a line ("load", "load --mode"), for
 * tools/check-man.sh; the bash completion script.
 */
void fwc_usage_commands(FILE *f, const struct fwc_cmd *const *cmds,
			size_t n_cmds);
void fwc_print_options(FILE *f, const struct fwc_cmd *const *cmds,
		       size_t n_cmds);
void fwc_print_completion_bash(FILE *f, const struct fwc_cmd *const *cmds,
			       size_t n_cmds);

#endif /* FWC_CLI_H */
