// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Command lines of the kernel commands: load, unload, status, stats. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "loader.h"

const char *const fwc_usage_load =
	"usage: fwc load POLICY|ARTIFACT IFACE... [--mode native|generic|auto]\n"
	"                [--bpffs DIR] [-v]\n"
	"  Compile POLICY (or read an artifact of 'fwc compile -o') and enforce\n"
	"  it with XDP on every IFACE; they share one program, one set of tables\n"
	"  and one set of counters. An IFACE that already runs a policy gets the\n"
	"  new one atomically (bpf_link_update), with the counters of surviving\n"
	"  rules (same label, else same rule text) carried over. On any error\n"
	"  nothing changes and fwc exits 2.\n"
	"  --mode M      native (driver), generic (any device, slower) or auto:\n"
	"                native, else generic with a warning (default)\n"
	"  --bpffs DIR   pin under DIR/IFACE/ (default $" FWC_BPFFS_ENV
	", else\n"
	"                " FWC_BPFFS_DEFAULT "); bpffs refuses dots, so eth0.100's\n"
	"                directory is eth0:100\n"
	"  -v, --verbose libbpf's messages, such as the verifier log\n";

const char *const fwc_usage_unload =
	"usage: fwc unload IFACE...|--all [--bpffs DIR]\n"
	"  Detach fwc from each IFACE and remove its pins; --all: every\n"
	"  interface pinned under the bpffs directory.\n";

const char *const fwc_usage_status =
	"usage: fwc status [IFACE...] [--json] [--bpffs DIR]\n"
	"  What runs where: policy file and sha256, rule count, XDP mode, load\n"
	"  time, program and link ids, interfaces sharing the same tables.\n";

const char *const fwc_usage_stats =
	"usage: fwc stats [IFACE...] [--json] [--bpffs DIR]\n"
	"  Packets and bytes per rule, summed over CPUs, in policy order, then\n"
	"  the default rule (id 0) and the reserved counters (non-ip,\n"
	"  malformed, fragment, neighbour-discovery). Interfaces that share a\n"
	"  load share its counters and are shown once.\n"
	"  Plain bpftool works too: bpftool map dump pinned DIR/IFACE/counters\n"
	"  (and .../labels for the names of the ids).\n";

enum { OPT_MODE = 0x100, OPT_BPFFS, OPT_JSON, OPT_ALL };

static const struct option longopts[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "bpffs", required_argument, NULL, OPT_BPFFS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

struct args {
	const char *bpffs;
	enum fwc_mode mode;
	bool json, all, verbose;
	char **pos;		/* positional arguments */
	int n_pos;
};

/* Options this command accepts, as the OPT_ values and 'v'. */
static int parse(int argc, char **argv, const int *allowed, struct args *a)
{
	int c;

	optind = 0; /* full reset: fwc.c may have used getopt */
	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		bool ok = false;

		for (const int *o = allowed; *o; o++)
			ok |= *o == c;
		if (!ok)
			return -EINVAL;
		switch (c) {
		case OPT_MODE:
			if (fwc_mode_parse(optarg, &a->mode)) {
				fprintf(stderr, "fwc: --mode: '%s' is not "
						"native, generic or auto\n",
					optarg);
				return -EBADMSG;
			}
			break;
		case OPT_BPFFS:
			a->bpffs = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_ALL:
			a->all = true;
			break;
		case 'v':
			a->verbose = true;
			break;
		}
	}
	a->pos = argv + optind;
	a->n_pos = argc - optind;
	return 0;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int libbpf_verbose(enum libbpf_print_level level, const char *fmt,
			  va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

/* -EBADMSG: the error was told already; else print the usage. */
static int usage(int err, const char *u)
{
	if (err != -EBADMSG)
		fputs(u, stderr);
	return FWC_EXIT_ERR;
}

static int exit_code(int err)
{
	return err ? FWC_EXIT_ERR : 0;
}

int fwc_cmd_load(int argc, char **argv)
{
	static const int allowed[] = { OPT_MODE, OPT_BPFFS, 'v', 0 };
	struct args a = { .mode = FWC_MODE_AUTO };
	struct fwc_load_opts o;
	int err = parse(argc, argv, allowed, &a);

	if (err || a.n_pos < 2)
		return usage(err, fwc_usage_load);
	libbpf_set_print(a.verbose ? libbpf_verbose : libbpf_quiet);
	o = (struct fwc_load_opts){
		.policy = a.pos[0],
		.ifaces = a.pos + 1,
		.n_ifaces = a.n_pos - 1,
		.mode = a.mode,
		.root = fwc_pin_root(a.bpffs),
	};
	return exit_code(fwc_load(&o));
}

/* The interface directories under @root, for --all. */
static int all_ifaces(const char *root, char ***out)
{
	struct dirent **ents;
	int n = scandir(root, &ents, NULL, alphasort), k = 0;

	*out = NULL;
	if (n < 0)
		return 0;
	*out = calloc(n ? n : 1, sizeof(**out));
	for (int i = 0; i < n; i++) {
		char name[NAME_MAX + 1];

		fwc_pin_iface(ents[i]->d_name, name, sizeof(name));
		if (*out && name[0] != '.' && ents[i]->d_type == DT_DIR)
			(*out)[k++] = strdup(name);
		free(ents[i]);
	}
	free(ents);
	return k;
}

int fwc_cmd_unload(int argc, char **argv)
{
	static const int allowed[] = { OPT_BPFFS, OPT_ALL, 0 };
	struct args a = { 0 };
	const char *root;
	char **names;
	int n, err;

	if (parse(argc, argv, allowed, &a) || (a.all == (a.n_pos > 0)))
		return usage(0, fwc_usage_unload);
	libbpf_set_print(libbpf_quiet);
	root = fwc_pin_root(a.bpffs);
	if (!a.all)
		return exit_code(fwc_unload(root, a.pos, a.n_pos));
	n = all_ifaces(root, &names);
	err = fwc_unload(root, names, n);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return exit_code(err);
}

int fwc_cmd_status(int argc, char **argv)
{
	static const int allowed[] = { OPT_BPFFS, OPT_JSON, 0 };
	struct args a = { 0 };

	if (parse(argc, argv, allowed, &a))
		return usage(0, fwc_usage_status);
	libbpf_set_print(libbpf_quiet);
	return exit_code(fwc_status(fwc_pin_root(a.bpffs), a.pos,
				    a.n_pos, a.json));
}

int fwc_cmd_stats(int argc, char **argv)
{
	static const int allowed[] = { OPT_BPFFS, OPT_JSON, 0 };
	struct args a = { 0 };

	if (parse(argc, argv, allowed, &a))
		return usage(0, fwc_usage_stats);
	libbpf_set_print(libbpf_quiet);
	return exit_code(fwc_stats(fwc_pin_root(a.bpffs), a.pos, a.n_pos,
				   a.json));
}
