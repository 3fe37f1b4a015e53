// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* fwc: the command line. It parses arguments and calls; nothing more. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "diff.h"
#include "emit_nft.h"
#include "packet.h"
#include "resolve.h"
#include "cli.h"
#include "fwc_exit.h"

static const char *const usage_check =
	"usage: fwc check [-q] [--json] [--strict] [--wide-ports N] POLICY\n"
	"  Parse and resolve POLICY; print errors and the findings of an\n"
	"  exact analysis on its equivalence classes: unused names, rules\n"
	"  that are shadowed (and by which rules), match nothing, are\n"
	"  redundant, overlap an earlier rule of the opposite action, or\n"
	"  open more than N destination ports (default 1024).\n"
	"  -q, --quiet   errors only\n"
	"  --json        findings as a JSON array of objects (file, line,\n"
	"                col, severity, kind, rules, message)\n"
	"  --strict      exit 1 when there are warnings\n"
	"  Exit 0 when the policy is valid (warnings allowed), 2 on errors.\n";

static const char *const usage_compile =
	"usage: fwc compile POLICY [--stats] [-o FILE]\n"
	"       fwc compile POLICY --emit nft [-o FILE]\n"
	"  Build the lookup tables.\n"
	"  --stats       class counts, table entries and bytes per table\n"
	"  -o FILE       write the deterministic compressed artifact that\n"
	"                'fwc load' accepts in place of the policy\n"
	"  --emit nft    write the policy as an nftables ruleset instead\n"
	"                (table inet fwc, hook forward; 'nft -f FILE' loads\n"
	"                it), to FILE or stdout\n";

static const char *const usage_test =
	"usage: fwc test POLICY|ARTIFACT PACKET\n"
	"       fwc test POLICY|ARTIFACT --packets FILE|-\n"
	"  Classify packets with the compiled tables (no kernel needed);\n"
	"  an artifact of 'fwc compile -o' classifies as its source.\n"
	"  PACKET is 'PROTO SRC[:PORT] -> DST[:PORT] [type T] [code C]',\n"
	"  e.g. 'tcp 192.0.2.5:50000 -> 198.51.100.10:135'; IPv6 addresses\n"
	"  in brackets when a port follows: [2001:db8::1]:443.\n"
	"  --packets F   one packet a line from F (- for stdin)\n"
	"  --reference   classify with the naive first-match scan instead\n"
	"                (needs the source)\n"
	"  Prints 'allow|deny rule N ...'; exits 0 allow, 1 deny, 2 error.\n";

static int help_requested(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

static int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "strict", no_argument, NULL, 's' },
		{ "wide-ports", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct fwc_compile_opts opts = { .warnings = true, .err = stderr };
	bool strict = false;
	struct fwc_tables *t;
	char *end;
	int c, err;

	while ((c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
		if (c == 'q') {
			opts.warnings = false;
		} else if (c == 'j') {
			opts.json = true;
			opts.err = stdout;
		} else if (c == 's') {
			strict = true;
		} else if (c == 'w') {
			opts.wide_ports = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || !opts.wide_ports)
				goto usage;
		} else {
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	if (opts.json)
		fputs("[", stdout);
	err = fwc_compile_file(argv[optind], &opts, &t);
	if (opts.json)
		fputs("]\n", stdout);
	if (err)
		return FWC_EXIT_ERR;
	if (!opts.json)
		printf("%s: ok, %u rules, %u warning%s\n", argv[optind],
		       t->meta.n_rules, fwc_last_warnings,
		       fwc_last_warnings == 1 ? "" : "s");
	fwc_tables_free(t);
	return strict && fwc_last_warnings ? 1 : 0;
usage:
	fputs(usage_check, stderr);
	return FWC_EXIT_ERR;
}

static void print_stats(const struct fwc_tables *t)
{
	const struct fwc_meta *m = &t->meta;
	size_t total = 0;

	printf("rules            %u\n", m->n_rules);
	printf("classes          src %u, dst %u, addr %u, proto %u, "
	       "service %u\n",
	       m->n_src, m->n_dst, m->n_addr, m->n_pc, m->n_svc);
	printf("decision rows    %u\n", m->n_rows);
	if (m->flags & FWC_META_V6_TRIE) {
		uint8_t pre[16];
		char s[INET6_ADDRSTRLEN];

		fwc_v6_bytes(m->v6_pre, pre);
		inet_ntop(AF_INET6, pre, s, sizeof(s));
		printf("ipv6 lookup      trie (v6_root, chunks, v6_range) "
		       "under %s/%u\n",
		       s, 8 * m->v6_at);
	} else {
		printf("ipv6 lookup      lpm (v6_lpm)\n");
	}
	printf("%-16s %12s %12s\n", "table", "entries", "bytes");
	/* The rows: the tables of the list of maps (include/fwc_maps.h). */
	for (size_t i = 0; i < fwc_n_table_descs; i++) {
		const char *name = fwc_table_descs[i].name;
		size_t b = fwc_tables_bytes(t, name);

		if (!fwc_table_descs[i].row)
			continue;
		printf("%-16s %12zu %12zu\n", name, fwc_tables_entries(t, name),
		       b);
		total += b;
	}
	printf("%-16s %12s %12zu\n", "total", "", total);
}

/* fwc compile --emit nft: the ruleset to @out, or stdout. */
static int compile_nft(const char *path, const char *out)
{
	struct fwc_compile_opts opts = { .warnings = false };
	struct fwc_policy *pol = NULL;
	struct fwc_tables *t;
	FILE *f = stdout;
	char *text;
	size_t len;
	int err;

	err = fwc_read_file(path, &text, &len);
	if (err) {
		fprintf(stderr, "%s: error: cannot read policy: %s\n", path,
			fwc_read_error(err));
		return FWC_EXIT_ERR;
	}
	err = fwc_compile(path, text, len, &opts, &t, &pol);
	free(text);
	if (err)
		return FWC_EXIT_ERR;
	if (out && !(f = fopen(out, "w")))
		err = -errno;
	if (!err)
		err = fwc_emit_nft(pol, NULL, f);
	if (f && f != stdout && fclose(f) && !err)
		err = -errno;
	if (err)
		fprintf(stderr, "fwc: cannot write %s: %s\n",
			out ? out : "stdout", strerror(-err));
	fwc_tables_free(t);
	fwc_policy_destroy(pol);
	return err ? FWC_EXIT_ERR : 0;
}

static int cmd_compile(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "stats", no_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "emit", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct fwc_compile_opts opts = { .warnings = false };
	const char *out = NULL;
	struct fwc_tables *t;
	bool stats = false, nft = false;
	int c, err;

	while ((c = getopt_long(argc, argv, "so:", longopts, NULL)) != -1) {
		if (c == 's')
			stats = true;
		else if (c == 'o')
			out = optarg;
		else if (c == 'e' && !strcmp(optarg, "nft"))
			nft = true;
		else
			goto usage;
	}
	if (optind != argc - 1 || (nft && stats))
		goto usage;
	if (nft)
		return compile_nft(argv[optind], out);
	if (fwc_compile_file(argv[optind], &opts, &t))
		return FWC_EXIT_ERR;
	if (stats)
		print_stats(t);
	err = out ? fwc_artifact_write(t, out) : 0;
	if (err)
		fprintf(stderr, "fwc: cannot write %s: %s\n", out,
			strerror(-err));
	else if (!stats)
		printf("%s: %u rules compiled%s%s\n", argv[optind],
		       t->meta.n_rules, out ? " to " : "", out ? out : "");
	fwc_tables_free(t);
	return err ? FWC_EXIT_ERR : 0;
usage:
	fputs(usage_compile, stderr);
	return FWC_EXIT_ERR;
}

struct tester {
	struct fwc_tables *t;
	struct fwc_policy *pol; /* set for --reference */
};

/* Prints the verdict line; returns the action. */
static uint32_t verdict(const struct tester *ts, const struct fwc_packet *p)
{
	uint32_t id = ts->pol ? fwc_reference_classify(ts->pol, p) :
				fwc_tables_classify(ts->t, p);
	const struct fwc_rule_meta *rm = &ts->t->rule_meta[id];
	uint32_t act = fwc_tables_action(ts->t, id);

	printf("%s rule %u", act == FWC_ACT_ALLOW ? "allow" : "deny", id);
	if (id == 0)
		printf(" (%s)\n", rm->text);
	else if (rm->label)
		printf(" \"%s\" line %u: %s\n", rm->label, rm->line, rm->text);
	else
		printf(" line %u: %s\n", rm->line, rm->text);
	return act;
}

static int test_stream(const struct tester *ts, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL, err[160];
	size_t cap = 0, col;
	unsigned int lineno = 0;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "fwc: cannot open %s: %s\n", path,
			strerror(errno));
		return FWC_EXIT_ERR;
	}
	while (getline(&line, &cap, f) > 0) {
		struct fwc_packet p;
		char *s = line;

		lineno++;
		s[strcspn(s, "#\r\n")] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			continue;
		if (fwc_packet_parse(s, &p, err, sizeof(err), &col)) {
			fprintf(stderr, "%s:%u:%zu: error: %s\n  %s\n  %*s^\n",
				path, lineno, col + 1 + (size_t)(s - line), err,
				line, (int)(col + (size_t)(s - line)), "");
			printf("error line %u\n", lineno);
			rc = FWC_EXIT_ERR;
			continue;
		}
		verdict(ts, &p);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int cmd_test(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "packets", required_argument, NULL, 'p' },
		{ "reference", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct fwc_compile_opts opts = { .warnings = false };
	struct tester ts = { 0 };
	const char *packets = NULL;
	bool reference = false;
	char *text = NULL;
	size_t len;
	int c, rc = FWC_EXIT_ERR, err;

	while ((c = getopt_long(argc, argv, "p:r", longopts, NULL)) != -1) {
		if (c == 'p')
			packets = optarg;
		else if (c == 'r')
			reference = true;
		else
			goto usage;
	}
	if (packets ? optind != argc - 1 : optind != argc - 2)
		goto usage;
	if (fwc_file_regular(argv[optind]) &&
	    fwc_artifact_probe(argv[optind])) {
		/* The tables alone: no resolved rules to scan. */
		if (reference) {
			fprintf(stderr,
				"%s: error: --reference needs the "
				"policy source, not an artifact\n",
				argv[optind]);
			return FWC_EXIT_ERR;
		}
		if (fwc_artifact_read(argv[optind], &ts.t))
			return FWC_EXIT_ERR;
		goto classify;
	}
	err = fwc_read_file(argv[optind], &text, &len);
	if (err) {
		fprintf(stderr, "%s: error: cannot read policy: %s\n",
			argv[optind], fwc_read_error(err));
		return FWC_EXIT_ERR;
	}
	err = fwc_compile(argv[optind], text, len, &opts, &ts.t,
			  reference ? &ts.pol : NULL);
	free(text);
	if (err)
		return FWC_EXIT_ERR;
classify:
	if (packets) {
		rc = test_stream(&ts, packets);
	} else {
		struct fwc_packet p;
		char msg[160];
		size_t col;

		if (fwc_packet_parse(argv[optind + 1], &p, msg, sizeof(msg),
				     &col)) {
			fprintf(stderr, "fwc: bad packet: %s\n  %s\n  %*s^\n",
				msg, argv[optind + 1], (int)col, "");
		} else {
			rc = verdict(&ts, &p) == FWC_ACT_ALLOW ?
				     FWC_EXIT_ALLOW :
				     FWC_EXIT_DENY;
		}
	}
	fwc_tables_free(ts.t);
	fwc_policy_destroy(ts.pol);
	return rc;
usage:
	fputs(usage_test, stderr);
	return FWC_EXIT_ERR;
}

static const char *const usage_diff =
	"usage: fwc diff [--json] OLD NEW\n"
	"  The exact set of packets whose verdict changes from policy OLD to\n"
	"  policy NEW, as regions (sources, destinations, protocol and\n"
	"  ports, old verdict and rule -> new verdict and rule), computed\n"
	"  on the classes both policies induce together, not by sampling.\n"
	"  Exit 0 when they are equivalent, 1 when verdicts change, 2 on\n"
	"  errors.\n";

static int compile_policy(const char *path, struct fwc_tables **t,
			  struct fwc_policy **pol)
{
	struct fwc_compile_opts opts = { .warnings = false };
	char *text;
	size_t len;
	int err = fwc_read_file(path, &text, &len);

	if (err) {
		fprintf(stderr, "%s: error: cannot read policy: %s\n", path,
			fwc_read_error(err));
		return err;
	}
	err = fwc_compile(path, text, len, &opts, t, pol);
	free(text);
	return err;
}

static int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct fwc_tables *ta = NULL, *tb = NULL;
	struct fwc_policy *a = NULL, *b = NULL;
	struct fwc_diff d;
	bool json = false;
	size_t lines;
	int c, rc = FWC_EXIT_ERR;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != 'j')
			goto usage;
		json = true;
	}
	if (optind != argc - 2)
		goto usage;
	if (compile_policy(argv[optind], &ta, &a) ||
	    compile_policy(argv[optind + 1], &tb, &b))
		goto out;
	if (fwc_diff_compute(a, b, &d)) {
		fprintf(stderr, "fwc: the policies are too large to compare\n");
		fwc_diff_free(&d);
		goto out;
	}
	lines = fwc_diff_print(&d, stdout, json);
	if (!json)
		printf(d.n ? "%zu region%s change verdict\n" :
			     "equivalent: no packet changes verdict\n",
		       lines, lines == 1 ? "" : "s");
	rc = d.n ? 1 : 0;
	fwc_diff_free(&d);
out:
	fwc_tables_free(ta);
	fwc_tables_free(tb);
	fwc_policy_destroy(a);
	fwc_policy_destroy(b);
	return rc;
usage:
	fputs(usage_diff, stderr);
	return FWC_EXIT_ERR;
}

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *const *usage;
	const char *summary;
};

static const struct command commands[] = {
	{ "check", cmd_check, &usage_check, "check a policy for errors" },
	{ "compile", cmd_compile, &usage_compile,
	  "build the lookup tables (--stats, -o artifact)" },
	{ "test", cmd_test, &usage_test, "classify packets with a policy" },
	{ "diff", cmd_diff, &usage_diff,
	  "packets whose verdict changes between two policies" },
	{ "load", fwc_cmd_load, &fwc_usage_load,
	  "enforce a policy with XDP on interfaces (atomic reload)" },
	{ "unload", fwc_cmd_unload, &fwc_usage_unload,
	  "detach from interfaces and remove the pins" },
	{ "status", fwc_cmd_status, &fwc_usage_status,
	  "what runs where: policy, hash, rules, mode, since when" },
	{ "stats", fwc_cmd_stats, &fwc_usage_stats,
	  "packets and bytes per rule (--json, --watch, --prometheus)" },
	{ "flows", fwc_cmd_flows, &fwc_usage_flows,
	  "tracked connections: tuple, state, age, rule (--json, --flush)" },
	{ "log", fwc_cmd_log, &fwc_usage_log,
	  "the deny log: logged and would-drop packets (--json, --follow)" },
	{ "confirm", fwc_cmd_confirm, &fwc_usage_confirm,
	  "keep a policy loaded with --confirm (calls off its rollback)" },
	{ "graph", fwc_cmd_graph, &fwc_usage_graph,
	  "the zone-to-zone picture of a policy, as Graphviz DOT" },
	{ "matrix", fwc_cmd_matrix, &fwc_usage_matrix,
	  "the zone-to-zone picture as a text table" },
};

static void usage(FILE *f)
{
	fputs("usage: fwc COMMAND [ARGS]   (fwc COMMAND --help for more)\n\n"
	      "fwc compiles zone-to-zone firewall policies into lookup tables\n"
	      "and enforces them with XDP (default deny, per-rule counters).\n\n"
	      "commands:\n",
	      f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name,
			commands[i].summary);
	fputs("\n  fwc --version\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return FWC_EXIT_ERR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("fwc %s (abi %d)\n", FWC_VERSION, FWC_ABI_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (help_requested(argc - 1, argv + 1)) {
			fputs(*commands[i].usage, stdout);
			return 0;
		}
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "fwc: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return FWC_EXIT_ERR;
}
