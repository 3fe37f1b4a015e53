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
#include <sys/stat.h>

#include "cli.h"
#include "fwc_exit.h"
#include "ops.h"

const char *const fwc_usage_load =
	"usage: fwc load POLICY|ARTIFACT IFACE... [--mode native|generic|auto]\n"
	"                [--bpffs DIR] [--wait SECONDS] [-v]\n"
	"       fwc load --instance NAME [--conf FILE] [options]\n"
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
	"                " FWC_BPFFS_DEFAULT
	"); bpffs refuses dots, so eth0.100's\n"
	"                directory is eth0:100\n"
	"  --wait S      wait up to S seconds for missing interfaces to appear\n"
	"  --instance NAME  the policy and interfaces of instance NAME, as\n"
	"                fwc@NAME.service loads them: its line in the\n"
	"                configuration file, else NAME.pol beside that file,\n"
	"                enforced on interface NAME\n"
	"  --conf FILE   the configuration file (default $" FWC_CONF_ENV
	", else\n"
	"                " FWC_CONF_DEFAULT "); see fwc(8)\n"
	"  --flush-flows drop the tracked flows the new policy would not admit\n"
	"                (by default a reload keeps every flow, see fwc flows)\n"
	"  --max-flows N entries of the flow table when it is created (16 to\n"
	"                16777216, default 65536; when it is full the least\n"
	"                recently used flow goes)\n"
	"  --audit       audit mode (as set mode audit): every packet the\n"
	"                policy would drop passes, counted against its rule and\n"
	"                as would-drop, and logged (fwc log)\n"
	"  --confirm S   roll back to the policy running now (or unload, when\n"
	"                none ran) unless fwc confirm runs within S seconds; a\n"
	"                detached watchdog does it, whatever becomes of this\n"
	"                process or its terminal (state in $" FWC_STATE_ENV
	",\n"
	"                default " FWC_STATE_DEFAULT ")\n"
	"  --keep PACKET a session that must survive, in fwc test notation\n"
	"                ('tcp 192.0.2.5 -> 198.51.100.1:22'), repeatable; with\n"
	"                SSH_CONNECTION, checked before loading: a policy that\n"
	"                would drop one is refused (lockout guard)\n"
	"  --force       load even so (a warning names the session)\n"
	"  -v, --verbose libbpf's messages, such as the verifier log\n";

const char *const fwc_usage_unload =
	"usage: fwc unload IFACE...|--all [--bpffs DIR]\n"
	"       fwc unload --instance NAME [--conf FILE] [--stop] [--bpffs DIR]\n"
	"  Detach fwc from each IFACE and remove its pins; --all: every\n"
	"  interface pinned under the bpffs directory; --instance: the\n"
	"  interfaces of instance NAME (see fwc load).\n"
	"  --stop        as ExecStop of fwc@.service: unload only when the\n"
	"                instance says unload-on-stop=yes or the environment\n"
	"                has FWC_UNLOAD_ON_STOP=yes; otherwise leave the\n"
	"                policy enforced (a stopped firewall must not fail\n"
	"                open) and exit 0\n";

const char *const fwc_usage_status =
	"usage: fwc status [IFACE...] [--json] [--bpffs DIR]\n"
	"  What runs where: policy file and sha256, rule count, XDP mode, load\n"
	"  time, program and link ids, interfaces sharing the same tables.\n"
	"  Half states are explained, with what to do, and exit 2: pins\n"
	"  without an attached program, a link detached by a re-created\n"
	"  interface or of another network namespace, pins of an interrupted\n"
	"  load. Interfaces running an XDP program that something else\n"
	"  attached are listed too.\n";

const char *const fwc_usage_stats =
	"usage: fwc stats [IFACE...] [--json] [--bpffs DIR]\n"
	"       fwc stats [IFACE...] --watch [-i SECONDS] [--sort KEY]\n"
	"                 [--filter TEXT] [--count N]\n"
	"       fwc stats [IFACE...] --prometheus | --listen [ADDR:]PORT\n"
	"  Packets and bytes per rule, summed over CPUs, in policy order, then\n"
	"  the default rule (id 0) and the reserved counters (non-ip,\n"
	"  malformed, fragment, neighbour-discovery, source-route, mld,\n"
	"  orphan-flow: packets of\n"
	"  flows whose rule a reload removed; would-drop: packets audit mode\n"
	"  passed; log-suppressed, log-lost: events the rate limit held back\n"
	"  or the full buffer lost). Interfaces that share a\n"
	"  load share its counters and are shown once.\n"
	"  --watch       a live table, refreshed in place, with packets and\n"
	"                bytes per second; q or Ctrl-C quits, s changes the\n"
	"                order\n"
	"  -i, --interval S  seconds between refreshes (default 1, min 0.1)\n"
	"  --sort KEY    rule (policy order, default), packets, bytes, rate\n"
	"  --filter TEXT rows whose label, rule text or action contains TEXT\n"
	"                (any case), or whose id is TEXT\n"
	"  --count N     stop after N refreshes\n"
	"  --prometheus  the Prometheus text format (node_exporter textfile\n"
	"                collector): fwc_rule_packets_total{iface,rule,label,\n"
	"                action}, fwc_rule_bytes_total, fwc_reserved_*_total,\n"
	"                fwc_policy_info, fwc_interface_enforcing...\n"
	"  --listen A    serve the same on http://A/metrics: PORT alone binds\n"
	"                127.0.0.1, else ADDR:PORT or [ADDR6]:PORT (0.0.0.0:9469\n"
	"                for every address); SIGTERM or Ctrl-C stops it\n"
	"  Plain bpftool works too: bpftool map dump pinned DIR/IFACE/counters\n"
	"  (and .../labels for the names of the ids).\n";

enum {
	OPT_MODE = 0x100,
	OPT_BPFFS,
	OPT_JSON,
	OPT_ALL,
	OPT_WAIT,
	OPT_INSTANCE,
	OPT_CONF,
	OPT_STOP,
	OPT_WATCH,
	OPT_SORT,
	OPT_FILTER,
	OPT_COUNT,
	OPT_PROM,
	OPT_LISTEN,
	OPT_FLUSH_FLOWS,
	OPT_MAX_FLOWS,
	OPT_AUDIT,
	OPT_FORCE,
	OPT_KEEP,
	OPT_CONFIRM
};

static const struct option longopts[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "bpffs", required_argument, NULL, OPT_BPFFS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "instance", required_argument, NULL, OPT_INSTANCE },
	{ "conf", required_argument, NULL, OPT_CONF },
	{ "stop", no_argument, NULL, OPT_STOP },
	{ "watch", no_argument, NULL, OPT_WATCH },
	{ "interval", required_argument, NULL, 'i' },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "prometheus", no_argument, NULL, OPT_PROM },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "flush-flows", no_argument, NULL, OPT_FLUSH_FLOWS },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "audit", no_argument, NULL, OPT_AUDIT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "confirm", required_argument, NULL, OPT_CONFIRM },
	{ NULL, 0, NULL, 0 },
};

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
	double confirm; /* load --confirm seconds (0: none) */
	double wait;	/* --wait seconds */
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

/* Options this command accepts, as the OPT_ values and 'v'. */
static int parse(int argc, char **argv, const int *allowed, struct args *a)
{
	int c;

	optind = 0; /* full reset: cli/main.c may have used getopt */
	while ((c = getopt_long(argc, argv, "vi:", longopts, NULL)) != -1) {
		double d;
		bool ok = false;

		for (const int *o = allowed; *o; o++)
			ok |= *o == c;
		if (!ok)
			return -EINVAL;
		switch (c) {
		case OPT_MODE:
			if (fwc_mode_parse(optarg, &a->mode)) {
				fprintf(stderr,
					"fwc: --mode: '%s' is not "
					"native, generic or auto\n",
					optarg);
				return -EBADMSG;
			}
			a->mode_set = true;
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
		case OPT_WAIT:
			if (number("--wait", optarg, 0, 3600, &a->wait))
				return -EBADMSG;
			break;
		case OPT_INSTANCE:
			a->instance = optarg;
			break;
		case OPT_CONF:
			a->conf = optarg;
			break;
		case OPT_STOP:
			a->stop = true;
			break;
		case OPT_WATCH:
			a->watch = true;
			break;
		case 'i':
			if (number("--interval", optarg, 0.1, 86400,
				   &a->w.interval))
				return -EBADMSG;
			a->w_set = true;
			break;
		case OPT_SORT:
			if (fwc_sort_parse(optarg, &a->w.sort)) {
				fprintf(stderr,
					"fwc: --sort: '%s' is not rule, "
					"packets, bytes or rate\n",
					optarg);
				return -EBADMSG;
			}
			a->w_set = true;
			break;
		case OPT_FILTER:
			a->w.filter = optarg;
			a->w_set = true;
			break;
		case OPT_COUNT:
			if (number("--count", optarg, 1, 1e9, &d))
				return -EBADMSG;
			a->w.count = (long)d;
			a->w_set = true;
			break;
		case OPT_PROM:
			a->prometheus = true;
			break;
		case OPT_LISTEN:
			a->listen = optarg;
			break;
		case OPT_FLUSH_FLOWS:
			a->flush_flows = true;
			break;
		case OPT_MAX_FLOWS:
			/* LRU hashes preallocate: 2^24 flows is ~2 GiB. */
			if (number("--max-flows", optarg, 16, 1 << 24,
				   &a->max_flows))
				return -EBADMSG;
			break;
		case OPT_AUDIT:
			a->audit = true;
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		case OPT_KEEP:
			/* At most one per argument: argc bounds them. */
			if (!a->keep)
				a->keep =
					calloc((size_t)argc, sizeof(*a->keep));
			if (!a->keep)
				return -ENOMEM;
			a->keep[a->n_keep++] = optarg;
			break;
		case OPT_CONFIRM:
			if (number("--confirm", optarg, 1, 86400, &a->confirm))
				return -EBADMSG;
			break;
		}
	}
	a->pos = argv + optind;
	a->n_pos = argc - optind;
	return 0;
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
	static const int allowed[] = { OPT_MODE,
				       OPT_BPFFS,
				       'v',
				       OPT_WAIT,
				       OPT_INSTANCE,
				       OPT_CONF,
				       OPT_FLUSH_FLOWS,
				       OPT_MAX_FLOWS,
				       OPT_AUDIT,
				       OPT_FORCE,
				       OPT_KEEP,
				       OPT_CONFIRM,
				       0 };
	struct args a = { .mode = FWC_MODE_AUTO };
	struct fwc_instance in = { 0 };
	struct fwc_load_opts o;
	int err = parse(argc, argv, allowed, &a);

	if (err || (a.instance ? a.n_pos != 0 : a.n_pos < 2) ||
	    (a.conf && !a.instance))
		return usage(err, fwc_usage_load);
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

int fwc_cmd_unload(int argc, char **argv)
{
	static const int allowed[] = { OPT_BPFFS, OPT_ALL,  OPT_INSTANCE,
				       OPT_CONF,  OPT_STOP, 0 };
	struct args a = { 0 };
	const char *root;
	char **names;
	int n, err;

	if (parse(argc, argv, allowed, &a) ||
	    (a.all + !!a.instance + (a.n_pos > 0)) != 1 ||
	    ((a.conf || a.stop) && !a.instance))
		return usage(0, fwc_usage_unload);
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

int fwc_cmd_status(int argc, char **argv)
{
	static const int allowed[] = { OPT_BPFFS, OPT_JSON, 0 };
	struct args a = { 0 };

	if (parse(argc, argv, allowed, &a))
		return usage(0, fwc_usage_status);
	fwc_libbpf_verbose(false);
	return exit_code(
		fwc_status(fwc_pin_root(a.bpffs), a.pos, a.n_pos, a.json));
}

int fwc_cmd_stats(int argc, char **argv)
{
	static const int allowed[] = { OPT_BPFFS, OPT_JSON, OPT_WATCH,
				       'i',	  OPT_SORT, OPT_FILTER,
				       OPT_COUNT, OPT_PROM, OPT_LISTEN,
				       0 };
	struct args a = { .w = { .interval = 1 } };
	const char *root;
	int err = parse(argc, argv, allowed, &a);

	/* One output at a time; the --watch options only with --watch. */
	if (err || a.json + a.watch + a.prometheus + !!a.listen > 1 ||
	    (a.w_set && !a.watch))
		return usage(err, fwc_usage_stats);
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
