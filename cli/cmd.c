// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Command lines of the kernel commands: load, unload, status, stats. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "compile.h"
#include "fwc_exit.h"
#include "ops.h"

struct args {
	const char *bpffs;
	enum fwc_mode mode;
	bool mode_set;
	bool json, all, verbose;
	bool flush_flows;  /* load --flush-flows */
	double max_flows;  /* load --max-flows */
	bool audit, force; /* load --audit, --force */
	char **keep;	   /* load --keep, repeatable */
	int n_keep;
	double confirm;		   /* load --confirm seconds (0: none) */
	uint64_t max_table_memory; /* load --max-table-memory (0: default) */
	struct fwc_compile_opts layout; /* load --layout: its layout */
	double wait;			/* --wait seconds */
	const char *instance, *conf;
	bool stop;
	bool watch, prometheus;
	const char *listen;
	struct fwc_watch_opts w;
	bool w_set; /* a --watch option was given */
	char **pos; /* positional arguments */
	int n_pos;
};

/* A number in [min, max] from option @name, or -EBADMSG (told). */
static int number(const char *name, const char *s, double min, double max,
		  double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || *out < min || *out > max) {
		fprintf(stderr,
			"fwc: %s: '%s' is not a number from %g to "
			"%g\n",
			name, s, min, max);
		return -EBADMSG;
	}
	return 0;
}

/* The options of @cmd's table into @a; -EINVAL for one it lacks. */
static int parse(const struct fwc_cmd *cmd, int argc, char **argv,
		 struct args *a)
{
	struct fwc_getopt g;
	int c;

	fwc_getopt_init(&g, cmd);
	while ((c = fwc_getopt(&g, argc, argv)) != -1) {
		double d;

		switch (c) {
		case FWC_OPT_MODE:
			if (fwc_mode_parse(optarg, &a->mode)) {
				fprintf(stderr,
					"fwc: --mode: '%s' is not "
					"native, generic or auto\n",
					optarg);
				return -EBADMSG;
			}
			a->mode_set = true;
			break;
		case FWC_OPT_BPFFS:
			a->bpffs = optarg;
			break;
		case FWC_OPT_JSON:
			a->json = true;
			break;
		case FWC_OPT_ALL:
			a->all = true;
			break;
		case 'v':
			a->verbose = true;
			break;
		case FWC_OPT_WAIT:
			if (number("--wait", optarg, 0, 3600, &a->wait))
				return -EBADMSG;
			break;
		case FWC_OPT_INSTANCE:
			a->instance = optarg;
			break;
		case FWC_OPT_CONF:
			a->conf = optarg;
			break;
		case FWC_OPT_STOP:
			a->stop = true;
			break;
		case FWC_OPT_WATCH:
			a->watch = true;
			break;
		case 'i':
			if (number("--interval", optarg, 0.1, 86400,
				   &a->w.interval))
				return -EBADMSG;
			a->w_set = true;
			break;
		case FWC_OPT_SORT:
			if (fwc_sort_parse(optarg, &a->w.sort)) {
				fprintf(stderr,
					"fwc: --sort: '%s' is not rule, "
					"packets, bytes or rate\n",
					optarg);
				return -EBADMSG;
			}
			a->w_set = true;
			break;
		case FWC_OPT_FILTER:
			a->w.filter = optarg;
			a->w_set = true;
			break;
		case FWC_OPT_COUNT:
			if (number("--count", optarg, 1, 1e9, &d))
				return -EBADMSG;
			a->w.count = (long)d;
			a->w_set = true;
			break;
		case FWC_OPT_PROM:
			a->prometheus = true;
			break;
		case FWC_OPT_LISTEN:
			a->listen = optarg;
			break;
		case FWC_OPT_FLUSH_FLOWS:
			a->flush_flows = true;
			break;
		case FWC_OPT_MAX_FLOWS:
			/* LRU hashes preallocate: 2^24 flows is ~2 GiB. */
			if (number("--max-flows", optarg, 16, 1 << 24,
				   &a->max_flows))
				return -EBADMSG;
			break;
		case FWC_OPT_AUDIT:
			a->audit = true;
			break;
		case FWC_OPT_FORCE:
			a->force = true;
			break;
		case FWC_OPT_KEEP:
			/* At most one per argument: argc bounds them. */
			if (!a->keep)
				a->keep =
					calloc((size_t)argc, sizeof(*a->keep));
			if (!a->keep)
				return -ENOMEM;
			a->keep[a->n_keep++] = optarg;
			break;
		case FWC_OPT_CONFIRM:
			if (number("--confirm", optarg, 1, 86400, &a->confirm))
				return -EBADMSG;
			break;
		case FWC_OPT_MAX_TABLE_MEMORY:
			if (fwc_opt_bytes("max-table-memory", optarg,
					  &a->max_table_memory))
				return -EBADMSG;
			break;
		case FWC_OPT_LAYOUT:
			if (fwc_opt_layout(optarg, &a->layout))
				return -EBADMSG;
			break;
		default:
			return -EINVAL;
		}
	}
	a->pos = argv + optind;
	a->n_pos = argc - optind;
	return 0;
}

/* -EBADMSG: the error was told already; else print the usage. */
static int usage(int err, const struct fwc_cmd *cmd)
{
	if (err != -EBADMSG)
		fwc_cmd_usage(cmd, stderr);
	return FWC_EXIT_ERR;
}

static int exit_code(int err)
{
	return err ? FWC_EXIT_ERR : 0;
}

static int run_load(const struct fwc_cmd *cmd, int argc, char **argv)
{
	struct args a = { .mode = FWC_MODE_AUTO };
	struct fwc_instance in = { 0 };
	struct fwc_load_opts o;
	int err = parse(cmd, argc, argv, &a);

	if (err || (a.instance ? a.n_pos != 0 : a.n_pos < 2) ||
	    (a.conf && !a.instance))
		return usage(err, cmd);
	fwc_libbpf_verbose(a.verbose);
	o = (struct fwc_load_opts){
		.policy = a.pos[0],
		.ifaces = a.pos + 1,
		.n_ifaces = a.n_pos - 1,
		.mode = a.mode,
		.root = fwc_pin_root(a.bpffs),
		.flush_flows = a.flush_flows,
		.max_flows = (uint32_t)a.max_flows,
		.audit = a.audit,
		.force = a.force,
		.keep = a.keep,
		.n_keep = a.n_keep,
		.max_table_memory = a.max_table_memory,
		.layout = a.layout.layout,
		.check = fwc_guard_check,
	};
	if (a.instance) {
		err = fwc_instance_resolve(a.instance, fwc_conf_path(a.conf),
					   &in);
		if (err)
			return FWC_EXIT_ERR;
		o.policy = in.policy;
		o.ifaces = in.ifaces;
		o.n_ifaces = in.n_ifaces;
		if (in.mode_set && !a.mode_set)
			o.mode = in.mode;
	}
	if (a.wait > 0)
		fwc_ifaces_wait(o.ifaces, o.n_ifaces, a.wait);
	err = a.confirm > 0 ? fwc_confirm_load(&o, a.confirm) : fwc_load(&o);
	fwc_instance_free(&in);
	free(a.keep);
	return exit_code(err);
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

/*
 * fwc unload --instance NAME [--stop]: a stop leaves the policy enforced
 * unless told otherwise, and is no error when nothing is loaded.
 */
static int unload_instance(const struct args *a, const char *root)
{
	struct fwc_instance in;
	char dir[PATH_MAX];
	struct stat st;
	int err, k = 0;

	if (fwc_instance_resolve(a->instance, fwc_conf_path(a->conf), &in))
		return FWC_EXIT_ERR;
	if (a->stop && !fwc_unload_on_stop(&in)) {
		printf("fwc: instance %s stopped; its policy stays enforced "
		       "(a stopped firewall must not fail open; "
		       "FWC_UNLOAD_ON_STOP=yes unloads)\n",
		       in.name);
		fwc_instance_free(&in);
		return 0;
	}
	for (int i = 0; i < in.n_ifaces; i++) {
		bool pinned =
			!fwc_pin_dir(root, in.ifaces[i], dir, sizeof(dir)) &&
			!stat(dir, &st);

		if (pinned || !a->stop)
			in.ifaces[k++] = in.ifaces[i];
		else
			free(in.ifaces[i]);
	}
	in.n_ifaces = k;
	err = k ? fwc_unload(root, in.ifaces, k) : 0;
	fwc_instance_free(&in);
	return exit_code(err);
}

static int run_unload(const struct fwc_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };
	const char *root;
	char **names;
	int n, err;

	if (parse(cmd, argc, argv, &a) ||
	    (a.all + !!a.instance + (a.n_pos > 0)) != 1 ||
	    ((a.conf || a.stop) && !a.instance))
		return usage(0, cmd);
	fwc_libbpf_verbose(false);
	root = fwc_pin_root(a.bpffs);
	if (a.instance)
		return unload_instance(&a, root);
	if (!a.all)
		return exit_code(fwc_unload(root, a.pos, a.n_pos));
	n = all_ifaces(root, &names);
	err = fwc_unload(root, names, n);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return exit_code(err);
}

static int run_status(const struct fwc_cmd *cmd, int argc, char **argv)
{
	struct args a = { 0 };

	if (parse(cmd, argc, argv, &a))
		return usage(0, cmd);
	fwc_libbpf_verbose(false);
	return exit_code(
		fwc_status(fwc_pin_root(a.bpffs), a.pos, a.n_pos, a.json));
}

static int run_stats(const struct fwc_cmd *cmd, int argc, char **argv)
{
	struct args a = { .w = { .interval = 1 } };
	const char *root;
	int err = parse(cmd, argc, argv, &a);

	/* One output at a time; the --watch options only with --watch. */
	if (err || a.json + a.watch + a.prometheus + !!a.listen > 1 ||
	    (a.w_set && !a.watch))
		return usage(err, cmd);
	fwc_libbpf_verbose(false);
	root = fwc_pin_root(a.bpffs);
	if (a.watch)
		return exit_code(fwc_watch(root, a.pos, a.n_pos, &a.w));
	if (a.prometheus)
		return exit_code(
			fwc_metrics_print(root, a.pos, a.n_pos, stdout));
	if (a.listen)
		return exit_code(
			fwc_metrics_listen(root, a.pos, a.n_pos, a.listen));
	return exit_code(fwc_stats(root, a.pos, a.n_pos, a.json));
}

/* Options more than one of these commands has. */
#define OPT_BPFFS                                                 \
	{                                                         \
		"bpffs", FWC_OPT_BPFFS, "DIR",                    \
			"the pins' root (default $" FWC_BPFFS_ENV \
			", else " FWC_BPFFS_DEFAULT ")",          \
			"@dir"                                    \
	}
#define OPT_INSTANCE                                                                       \
	{                                                                                  \
		"instance", FWC_OPT_INSTANCE, "NAME",                                      \
			"the policy and interfaces of instance NAME, as fwc@NAME.service " \
			"loads them: its line in the configuration file, else NAME.pol "   \
			"beside that file, enforced on interface NAME",                    \
			"@instance"                                                        \
	}
#define OPT_CONF                                                                       \
	{                                                                              \
		"conf", FWC_OPT_CONF, "FILE",                                          \
			"the configuration file of --instance (default $" FWC_CONF_ENV \
			", else " FWC_CONF_DEFAULT "); see fwc(8)",                    \
			"@file"                                                        \
	}

const struct fwc_cmd fwc_cmd_load = {
	.name = "load",
	.synopsis = "POLICY|ARTIFACT IFACE... [--mode native|generic|auto] "
		    "[--bpffs DIR] [--wait SECONDS] [-v]\n"
		    "--instance NAME [--conf FILE] [options]",
	.summary = "enforce a policy with XDP on interfaces (atomic reload)",
	.doc = "Compile POLICY (or read an artifact of 'fwc compile -o') and "
	       "enforce it with XDP on every IFACE; they share one program, one "
	       "set of tables and one set of counters. An IFACE that already "
	       "runs a policy gets the new one atomically (bpf_link_update), "
	       "with the counters of surviving rules (same label, else same "
	       "rule text) carried over. On any error nothing changes and fwc "
	       "exits 2.",
	.opts =
		(const struct fwc_opt[]){
			{ "mode", FWC_OPT_MODE, "M",
			  "native (driver), generic (any device, slower) or auto: "
			  "native, else generic with a warning (default)",
			  "native generic auto" },
			{ "bpffs", FWC_OPT_BPFFS, "DIR",
			  "pin under DIR/IFACE/ (default $" FWC_BPFFS_ENV
			  ", else " FWC_BPFFS_DEFAULT
			  "); bpffs refuses dots, so "
			  "eth0.100's directory is eth0:100",
			  "@dir" },
			{ "wait", FWC_OPT_WAIT, "S",
			  "wait up to S seconds for missing interfaces to appear" },
			OPT_INSTANCE,
			OPT_CONF,
			{ "flush-flows", FWC_OPT_FLUSH_FLOWS, NULL,
			  "drop the tracked flows the new policy would not admit (by "
			  "default a reload keeps every flow, see fwc flows)" },
			{ "max-flows", FWC_OPT_MAX_FLOWS, "N",
			  "entries of the flow table when it is created (16 to "
			  "16777216, default 65536; when it is full the least recently "
			  "used flow goes)" },
			{ "audit", FWC_OPT_AUDIT, NULL,
			  "audit mode (as set mode audit): every packet the policy "
			  "would drop passes, counted against its rule and as "
			  "would-drop, and logged (fwc log)" },
			{ "confirm", FWC_OPT_CONFIRM, "S",
			  "roll back to the policy running now (or unload, when none "
			  "ran) unless fwc confirm runs within S seconds; a detached "
			  "watchdog does it, whatever becomes of this process or its "
			  "terminal (state in $" FWC_STATE_ENV
			  ", default " FWC_STATE_DEFAULT ")" },
			{ "keep", FWC_OPT_KEEP, "PACKET",
			  "a session that must survive, in fwc test notation ('tcp "
			  "192.0.2.5 -> 198.51.100.1:22'), repeatable; with "
			  "SSH_CONNECTION, checked before loading: a policy that would "
			  "drop one is refused (lockout guard)" },
			{ "force", FWC_OPT_FORCE, NULL,
			  "load even so (a warning names the session)" },
			{ "verbose", 'v', NULL,
			  "libbpf's messages, such as the verifier log" },
			FWC_OPT_TABLE_MEMORY,
			FWC_OPT_TABLE_LAYOUT,
			{ NULL },
		},
	.args = "@policy @iface...",
	.run = run_load,
};

const struct fwc_cmd fwc_cmd_unload = {
	.name = "unload",
	.synopsis = "IFACE...|--all [--bpffs DIR]\n"
		    "--instance NAME [--conf FILE] [--stop] [--bpffs DIR]",
	.summary = "detach from interfaces and remove the pins",
	.doc = "Detach fwc from each IFACE and remove its pins; --all: every "
	       "interface pinned under the bpffs directory; --instance: the "
	       "interfaces of instance NAME (see fwc load).",
	.opts =
		(const struct fwc_opt[]){
			{ "all", FWC_OPT_ALL, NULL,
			  "every interface pinned under the bpffs directory" },
			OPT_INSTANCE,
			OPT_CONF,
			{ "stop", FWC_OPT_STOP, NULL,
			  "as ExecStop of fwc@.service: unload only when the instance "
			  "says unload-on-stop=yes or the environment has "
			  "FWC_UNLOAD_ON_STOP=yes; otherwise leave the policy enforced "
			  "(a stopped firewall must not fail open) and exit 0" },
			OPT_BPFFS,
			{ NULL },
		},
	.args = "@pinned...",
	.run = run_unload,
};

const struct fwc_cmd fwc_cmd_status = {
	.name = "status",
	.synopsis = "[IFACE...] [--json] [--bpffs DIR]",
	.summary = "what runs where: policy, hash, rules, mode, since when",
	.doc = "What runs where: policy file and sha256, rule count, XDP mode, "
	       "load time, program and link ids, interfaces sharing the same "
	       "tables. Half states are explained, with what to do, and exit "
	       "2: pins without an attached program, a link detached by a "
	       "re-created interface or of another network namespace, pins of "
	       "an interrupted load. Interfaces running an XDP program that "
	       "something else attached are listed too.",
	.opts =
		(const struct fwc_opt[]){
			{ "json", FWC_OPT_JSON, NULL,
			  "the same as a JSON array" },
			OPT_BPFFS,
			{ NULL },
		},
	.args = "@pinned...",
	.run = run_status,
};

const struct fwc_cmd fwc_cmd_stats = {
	.name = "stats",
	.synopsis = "[IFACE...] [--json] [--bpffs DIR]\n"
		    "[IFACE...] --watch [-i SECONDS] [--sort KEY] "
		    "[--filter TEXT] [--count N]\n"
		    "[IFACE...] --prometheus | --listen [ADDR:]PORT",
	.summary = "packets and bytes per rule (--json, --watch, --prometheus)",
	.doc = "Packets and bytes per rule, summed over CPUs, in policy order, "
	       "then the default rule (id 0) and the reserved counters "
	       "(non-ip, malformed, fragment, neighbour-discovery, "
	       "source-route, mld, orphan-flow: packets of flows whose rule a "
	       "reload removed; would-drop: packets audit mode passed; "
	       "log-suppressed, log-lost: events the rate limit held back or "
	       "the full buffer lost). Interfaces that share a load share its "
	       "counters and are shown once.",
	.opts =
		(const struct fwc_opt[]){
			{ "json", FWC_OPT_JSON, NULL, "the same as JSON" },
			OPT_BPFFS,
			{ "watch", FWC_OPT_WATCH, NULL,
			  "a live table, refreshed in place, with packets and bytes "
			  "per second; q or Ctrl-C quits, s changes the order" },
			{ "interval", 'i', "S",
			  "seconds between refreshes (default 1, min 0.1)" },
			{ "sort", FWC_OPT_SORT, "KEY",
			  "rule (policy order, default), packets, bytes, rate",
			  "rule packets bytes rate" },
			{ "filter", FWC_OPT_FILTER, "TEXT",
			  "rows whose label, rule text or action contains TEXT (any "
			  "case), or whose id is TEXT" },
			{ "count", FWC_OPT_COUNT, "N",
			  "stop after N refreshes" },
			{ "prometheus", FWC_OPT_PROM, NULL,
			  "the Prometheus text format (node_exporter textfile "
			  "collector): fwc_rule_packets_total{iface,rule,label,action}, "
			  "fwc_rule_bytes_total, fwc_reserved_*_total, fwc_policy_info, "
			  "fwc_interface_enforcing..." },
			{ "listen", FWC_OPT_LISTEN, "A",
			  "serve the same on http://A/metrics: PORT alone binds "
			  "127.0.0.1, else ADDR:PORT or [ADDR6]:PORT (0.0.0.0:9469 for "
			  "every address); SIGTERM or Ctrl-C stops it" },
			{ NULL },
		},
	.tail = "Plain bpftool works too: bpftool map dump pinned "
		"DIR/IFACE/counters (and .../labels for the names of the ids).",
	.args = "@pinned...",
	.run = run_stats,
};
