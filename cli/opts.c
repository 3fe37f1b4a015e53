// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What the command tables (cli/cli.h) give: getopt_long's arrays, the
 * --help texts, the list of commands, the option list for the man-page
 * check and the bash completion script. Nothing here knows a command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compile.h"
#include "fwc_exit.h"

#define WIDTH 78   /* of the help texts */
#define OPT_COL 24 /* where an option's help starts */

void fwc_getopt_init(struct fwc_getopt *g, const struct fwc_cmd *cmd)
{
	char *s = g->shortopts;
	size_t n = 0;

	/* A table too long for the arrays is a programming error. */
	for (const struct fwc_opt *o = cmd->opts; o && o->name; o++, n++) {
		if (n == FWC_MAX_OPTS)
			abort();
		g->longopts[n] = (struct option){
			.name = o->name,
			.has_arg = o->arg ? required_argument : no_argument,
			.val = o->key,
		};
		if (o->key < 0x100) {
			*s++ = (char)o->key;
			if (o->arg)
				*s++ = ':';
		}
	}
	g->longopts[n] = (struct option){ 0 };
	*s = '\0';
	optind = 0; /* full reset: an earlier parse may have used getopt */
}

int fwc_getopt(struct fwc_getopt *g, int argc, char **argv)
{
	return getopt_long(argc, argv, g->shortopts, g->longopts, NULL);
}

int fwc_opt_bytes(const char *name, const char *s, uint64_t *out)
{
	if (!fwc_bytes_parse(s, out))
		return 0;
	fprintf(stderr,
		"fwc: --%s: '%s' is not a byte count from 1 to 1024G (digits, "
		"then K, M or G)\n",
		name, s);
	return -1;
}

int fwc_opt_layout(const char *s, struct fwc_compile_opts *o)
{
	if (!strcmp(s, "auto"))
		o->layout = FWC_LAYOUT_AUTO;
	else if (!strcmp(s, "single"))
		o->layout = FWC_LAYOUT_SINGLE;
	else if (!strcmp(s, "groups"))
		o->layout = FWC_LAYOUT_GROUPS;
	else {
		fprintf(stderr,
			"fwc: --layout: '%s' is not auto, single or groups\n",
			s);
		return -1;
	}
	return 0;
}

/* The length of the word at @s; a bracketed group is one word. */
static size_t word_len(const char *s)
{
	size_t n = 0;
	int depth = 0;

	for (; s[n] && s[n] != '\n' && (depth || s[n] != ' '); n++)
		depth += (s[n] == '[') - (s[n] == ']');
	return n;
}

/*
 * Prints @s from column @col, wrapped at WIDTH, continuation lines at
 * @indent; '\n' breaks the line, and spaces after it are kept (examples).
 */
static void wrap(FILE *f, const char *s, int indent, int col)
{
	bool first = true;

	while (*s) {
		size_t n;

		if (*s == '\n') {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
			first = true;
			for (s++; *s == ' '; s++, col++)
				fputc(' ', f);
			continue;
		}
		if (*s == ' ') {
			s++;
			continue;
		}
		n = word_len(s);
		if (!first && col + 1 + (int)n > WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
			first = true;
		}
		if (!first) {
			fputc(' ', f);
			col++;
		}
		fwrite(s, 1, n, f);
		col += (int)n;
		s += n;
		first = false;
	}
	fputc('\n', f);
}

void fwc_cmd_usage(const struct fwc_cmd *cmd, FILE *f)
{
	const char *s = cmd->synopsis ? cmd->synopsis : "";

	/* One line per form, wrapped under its first argument. */
	for (const char *lead = "usage:";; lead = "") {
		size_t n = strcspn(s, "\n");
		char form[256];
		int col;

		snprintf(form, sizeof(form), "%.*s", (int)n, s);
		col = fprintf(f, "%-6s fwc %s ", lead, cmd->name);
		wrap(f, form, col, col);
		s += n;
		if (!*s)
			break;
		s++;
	}
	if (cmd->doc) {
		fputs("  ", f);
		wrap(f, cmd->doc, 2, 2);
	}
	for (const struct fwc_opt *o = cmd->opts; o && o->name; o++) {
		int col;

		if (o->key < 0x100)
			col = fprintf(f, "  -%c, --%s", o->key, o->name);
		else
			col = fprintf(f, "      --%s", o->name);
		if (o->arg)
			col += fprintf(f, " %s", o->arg);
		if (col >= OPT_COL - 1) {
			fputc('\n', f);
			col = 0;
		}
		fprintf(f, "%*s", OPT_COL - col, "");
		wrap(f, o->help, OPT_COL, OPT_COL);
	}
	if (cmd->tail) {
		fputs("  ", f);
		wrap(f, cmd->tail, 2, 2);
	}
}

int fwc_usage_error(const struct fwc_cmd *cmd)
{
	fwc_cmd_usage(cmd, stderr);
	return FWC_EXIT_ERR;
}

void fwc_usage_commands(FILE *f, const struct fwc_cmd *const *cmds,
			size_t n_cmds)
{
	fputs("usage: fwc COMMAND [ARGS]   (fwc COMMAND --help for more)\n\n"
	      "fwc compiles zone-to-zone firewall policies into lookup tables\n"
	      "and enforces them with XDP (default deny, per-rule counters).\n\n"
	      "commands:\n",
	      f);
	for (size_t i = 0; i < n_cmds; i++)
		if (!cmds[i]->hidden)
			fprintf(f, "  %-10s %s\n", cmds[i]->name,
				cmds[i]->summary);
	fputs("\n  fwc --version\n", f);
}

void fwc_print_options(FILE *f, const struct fwc_cmd *const *cmds,
		       size_t n_cmds)
{
	for (size_t i = 0; i < n_cmds; i++) {
		const struct fwc_cmd *c = cmds[i];

		if (c->hidden)
			continue;
		fprintf(f, "%s\n", c->name);
		for (const struct fwc_opt *o = c->opts; o && o->name; o++) {
			fprintf(f, "%s --%s\n", c->name, o->name);
			if (o->key < 0x100)
				fprintf(f, "%s -%c\n", c->name, o->key);
		}
	}
}

/* The helpers of the script: each adds to COMPREPLY what matches $cur. */
static const char completion_helpers[] =
	"# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause\n"
	"# bash completion for fwc(8): commands, options, interfaces, policy\n"
	"# files. Generated by 'fwc completion bash' from the option tables\n"
	"# of fwc's cli/; installed as share/bash-completion/completions/fwc.\n"
	"\n"
	"_fwc_words()\n"
	"{\n"
	"\tCOMPREPLY+=($(compgen -W \"$1\" -- \"$cur\"))\n"
	"}\n"
	"\n"
	"# Interfaces of this network namespace (ip asks the kernel; /sys shows\n"
	"# the namespace it was mounted in).\n"
	"_fwc_c_iface()\n"
	"{\n"
	"\tlocal d l=\n"
	"\tif command -v ip >/dev/null; then\n"
	"\t\tl=$(ip -o link show 2>/dev/null |\n"
	"\t\t\tawk -F': ' '{ sub(/@.*/, \"\", $2); print $2 }')\n"
	"\telse\n"
	"\t\tfor d in /sys/class/net/*; do\n"
	"\t\t\t[ -e \"$d\" ] && l+=\" ${d##*/}\"\n"
	"\t\tdone\n"
	"\tfi\n"
	"\t_fwc_words \"$l\"\n"
	"}\n"
	"\n"
	"# Interfaces with something pinned; bpffs writes a dot as ':'.\n"
	"_fwc_c_pinned()\n"
	"{\n"
	"\tlocal root=${FWC_BPFFS:-/sys/fs/bpf/fwc} d n l=\n"
	"\tfor d in \"$root\"/*/; do\n"
	"\t\t[ -d \"$d\" ] || continue\n"
	"\t\tn=${d%/}\n"
	"\t\tn=${n##*/}\n"
	"\t\tl+=\" ${n//:/.}\"\n"
	"\tdone\n"
	"\t_fwc_words \"$l\"\n"
	"}\n"
	"\n"
	"# Instances of fwc@.service: names in fwc.conf, NAME.pol beside it.\n"
	"_fwc_c_instance()\n"
	"{\n"
	"\tlocal conf=${FWC_CONF:-/etc/fwc/fwc.conf} f l=\n"
	"\t[ -r \"$conf\" ] &&\n"
	"\t\tl=$(sed -e 's/#.*//' \"$conf\" | awk 'NF >= 3 { print $1 }')\n"
	"\tfor f in \"$(dirname \"$conf\")\"/*.pol; do\n"
	"\t\t[ -e \"$f\" ] && { f=${f##*/}; l+=\" ${f%.pol}\"; }\n"
	"\tdone\n"
	"\t_fwc_words \"$l\"\n"
	"}\n"
	"\n"
	"# Policy sources and artifacts, and directories to descend into.\n"
	"_fwc_c_policy()\n"
	"{\n"
	"\tcompopt -o filenames 2>/dev/null\n"
	"\tCOMPREPLY+=($(compgen -d -- \"$cur\"))\n"
	"\tCOMPREPLY+=($(compgen -f -X '!*.@(pol|fwca)' -- \"$cur\"))\n"
	"}\n"
	"\n"
	"_fwc_c_file()\n"
	"{\n"
	"\tcompopt -o filenames 2>/dev/null\n"
	"\tCOMPREPLY+=($(compgen -f -- \"$cur\"))\n"
	"}\n"
	"\n"
	"_fwc_c_dir()\n"
	"{\n"
	"\tcompopt -o filenames 2>/dev/null\n"
	"\tCOMPREPLY+=($(compgen -d -- \"$cur\"))\n"
	"}\n"
	"\n";

static const char *const complete_kinds[] = { "policy", "file",	  "dir",
					      "iface",	"pinned", "instance" };

/* The shell command that completes @what (see struct fwc_opt). */
static void complete_with(FILE *f, const char *what)
{
	if (!what) {
		fputs(":", f);
		return;
	}
	if (what[0] != '@') {
		fprintf(f, "_fwc_words '%s'", what);
		return;
	}
	for (size_t i = 0; i < sizeof(complete_kinds) / sizeof(*complete_kinds);
	     i++)
		if (!strcmp(what + 1, complete_kinds[i])) {
			fprintf(f, "_fwc_c_%s", what + 1);
			return;
		}
	/* A typo in a table: complete nothing, and say so where it shows. */
	fprintf(stderr, "fwc: completion: unknown kind '%s'\n", what);
	fputs(":", f);
}

/*
 * A case pattern for each option of @c that takes an argument (its long
 * and short forms), indented by @ind: @action, or completing the argument.
 */
static void print_arg_opts(FILE *f, const struct fwc_cmd *c, const char *ind,
			   const char *action)
{
	for (const struct fwc_opt *o = c->opts; o && o->name; o++) {
		if (!o->arg)
			continue;
		fprintf(f, "%s%s:--%s", ind, c->name, o->name);
		if (o->key < 0x100)
			fprintf(f, " | %s:-%c", c->name, o->key);
		fputs(") ", f);
		if (action) {
			fputs(action, f);
		} else {
			complete_with(f, o->complete);
			fputs("; return", f);
		}
		fputs(" ;;\n", f);
	}
}

/* The positional arguments of @c: "@policy @iface..." and the like. */
static void print_positional(FILE *f, const struct fwc_cmd *c)
{
	const char *s = c->args;
	char word[64];

	for (int i = 0; s && *s; i++) {
		size_t n = strcspn(s, " ");
		bool more = n > 3 && !strncmp(s + n - 3, "...", 3);

		if (n - (more ? 3 : 0) >= sizeof(word))
			abort();
		memcpy(word, s, n - (more ? 3 : 0));
		word[n - (more ? 3 : 0)] = '\0';
		if (more)
			fprintf(f, "\t%s:*) ", c->name);
		else
			fprintf(f, "\t%s:%d) ", c->name, i);
		complete_with(f, word);
		fputs(" ;;\n", f);
		s += n;
		s += strspn(s, " ");
	}
}

void fwc_print_completion_bash(FILE *f, const struct fwc_cmd *const *cmds,
			       size_t n_cmds)
{
	fputs(completion_helpers, f);
	fputs("_fwc()\n"
	      "{\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} "
	      "prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tlocal cmd= npos=0 i w\n"
	      "\tCOMPREPLY=()\n"
	      "\tshopt -s extglob\n"
	      "\n"
	      "\t# The command, and how many positional words precede $cur.\n"
	      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	      "\t\tw=${COMP_WORDS[i]}\n"
	      "\t\tif [ -z \"$cmd\" ]; then\n"
	      "\t\t\tcmd=$w\n"
	      "\t\t\tcontinue\n"
	      "\t\tfi\n"
	      "\t\tcase $cmd:$w in\n",
	      f);
	for (size_t i = 0; i < n_cmds; i++)
		if (!cmds[i]->hidden)
			print_arg_opts(f, cmds[i], "\t\t", "((i++))");
	fputs("\t\t*:-*) ;;\n"
	      "\t\t*) ((npos++)) ;;\n"
	      "\t\tesac\n"
	      "\tdone\n"
	      "\tif [ -z \"$cmd\" ]; then\n"
	      "\t\t_fwc_words '",
	      f);
	for (size_t i = 0; i < n_cmds; i++)
		if (!cmds[i]->hidden)
			fprintf(f, "%s ", cmds[i]->name);
	fputs("--help --version'\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\n"
	      "\t# The argument of an option.\n"
	      "\tcase $cmd:$prev in\n",
	      f);
	for (size_t i = 0; i < n_cmds; i++)
		if (!cmds[i]->hidden)
			print_arg_opts(f, cmds[i], "\t", NULL);
	fputs("\tesac\n"
	      "\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tcase $cmd in\n",
	      f);
	for (size_t i = 0; i < n_cmds; i++) {
		const struct fwc_cmd *c = cmds[i];

		if (c->hidden)
			continue;
		fprintf(f, "\t\t%s) _fwc_words '", c->name);
		for (const struct fwc_opt *o = c->opts; o && o->name; o++) {
			if (o->key < 0x100)
				fprintf(f, "-%c ", o->key);
			fprintf(f, "--%s ", o->name);
		}
		fputs("--help' ;;\n", f);
	}
	fputs("\t\tesac\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\n"
	      "\t# A positional argument.\n"
	      "\tcase $cmd:$npos in\n",
	      f);
	for (size_t i = 0; i < n_cmds; i++)
		if (!cmds[i]->hidden)
			print_positional(f, cmds[i]);
	fputs("\tesac\n"
	      "}\n"
	      "\n"
	      "complete -F _fwc fwc\n",
	      f);
}
