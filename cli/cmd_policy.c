// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The commands that only read policies: check, compile, test, diff. */
#include <arpa/inet.h>
#include <errno.h>
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

static int run_check(const struct fwc_cmd *cmd, int argc, char **argv)
{
	struct fwc_compile_opts opts = { .warnings = true, .err = stderr };
	bool strict = false;
	struct fwc_tables *t;
	char *end;
	struct fwc_getopt g;
	int c, err;

	fwc_getopt_init(&g, cmd);
	while ((c = fwc_getopt(&g, argc, argv)) != -1) {
		if (c == 'q') {
			opts.warnings = false;
		} else if (c == FWC_OPT_JSON) {
			opts.json = true;
			opts.err = stdout;
		} else if (c == FWC_OPT_STRICT) {
			strict = true;
		} else if (c == FWC_OPT_WIDE_PORTS) {
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
	return fwc_usage_error(cmd);
}

const struct fwc_cmd fwc_cmd_check = {
	.name = "check",
	.synopsis = "[-q] [--json] [--strict] [--wide-ports N] POLICY",
	.summary = "check a policy for errors",
	.doc = "Parse and resolve POLICY; print errors and the findings of an "
	       "exact analysis on its equivalence classes: unused names, rules "
	       "that are shadowed (and by which rules), match nothing, are "
	       "redundant, overlap an earlier rule of the opposite action, or "
	       "open more than N destination ports (default 1024).",
	.opts =
		(const struct fwc_opt[]){
			{ "quiet", 'q', NULL, "errors only" },
			{ "json", FWC_OPT_JSON, NULL,
			  "findings as a JSON array of objects (file, line, col, "
			  "severity, kind, rules, message)" },
			{ "strict", FWC_OPT_STRICT, NULL,
			  "exit 1 when there are warnings" },
			{ "wide-ports", FWC_OPT_WIDE_PORTS, "N",
			  "report rules that open more than N destination ports" },
			{ NULL },
		},
	.tail = "Exit 0 when the policy is valid (warnings allowed), 2 on "
		"errors.",
	.args = "@policy",
	.run = run_check,
};

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

static int run_compile(const struct fwc_cmd *cmd, int argc, char **argv)
{
	struct fwc_compile_opts opts = { .warnings = false };
	const char *out = NULL;
	struct fwc_tables *t;
	bool stats = false, nft = false;
	struct fwc_getopt g;
	int c, err;

	fwc_getopt_init(&g, cmd);
	while ((c = fwc_getopt(&g, argc, argv)) != -1) {
		if (c == 's')
			stats = true;
		else if (c == 'o')
			out = optarg;
		else if (c == FWC_OPT_EMIT && !strcmp(optarg, "nft"))
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
	return fwc_usage_error(cmd);
}

const struct fwc_cmd fwc_cmd_compile = {
	.name = "compile",
	.synopsis = "POLICY [--stats] [-o FILE]\n"
		    "POLICY --emit nft [-o FILE]",
	.summary = "build the lookup tables (--stats, -o artifact)",
	.doc = "Build the lookup tables.",
	.opts =
		(const struct fwc_opt[]){
			{ "stats", 's', NULL,
			  "class counts, table entries and bytes per table" },
			{ "output", 'o', "FILE",
			  "write the deterministic compressed artifact that 'fwc load' "
			  "accepts in place of the policy",
			  "@file" },
			{ "emit", FWC_OPT_EMIT, "nft",
			  "write the policy as an nftables ruleset instead (table inet "
			  "fwc, hook forward; 'nft -f FILE' loads it), to FILE or "
			  "stdout",
			  "nft" },
			{ NULL },
		},
	.args = "@policy",
	.run = run_compile,
};

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

static int run_test(const struct fwc_cmd *cmd, int argc, char **argv)
{
	struct fwc_compile_opts opts = { .warnings = false };
	struct tester ts = { 0 };
	const char *packets = NULL;
	bool reference = false;
	char *text = NULL;
	size_t len;
	struct fwc_getopt g;
	int c, rc = FWC_EXIT_ERR, err;

	fwc_getopt_init(&g, cmd);
	while ((c = fwc_getopt(&g, argc, argv)) != -1) {
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
	return fwc_usage_error(cmd);
}

const struct fwc_cmd fwc_cmd_test = {
	.name = "test",
	.synopsis = "POLICY|ARTIFACT PACKET\n"
		    "POLICY|ARTIFACT --packets FILE|-",
	.summary = "classify packets with a policy",
	.doc = "Classify packets with the compiled tables (no kernel needed); "
	       "an artifact of 'fwc compile -o' classifies as its source. "
	       "PACKET is 'PROTO SRC[:PORT] -> DST[:PORT] [type T] [code C]', "
	       "e.g. 'tcp 192.0.2.5:50000 -> 198.51.100.10:135'; IPv6 "
	       "addresses in brackets when a port follows: [2001:db8::1]:443.",
	.opts =
		(const struct fwc_opt[]){
			{ "packets", 'p', "FILE",
			  "one packet a line from FILE (- for stdin)",
			  "@file" },
			{ "reference", 'r', NULL,
			  "classify with the naive first-match scan instead (needs the "
			  "source)" },
			{ NULL },
		},
	.tail = "Prints 'allow|deny rule N ...'; exits 0 allow, 1 deny, 2 "
		"error.",
	.args = "@policy",
	.run = run_test,
};

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

static int run_diff(const struct fwc_cmd *cmd, int argc, char **argv)
{
	struct fwc_tables *ta = NULL, *tb = NULL;
	struct fwc_policy *a = NULL, *b = NULL;
	struct fwc_diff d;
	bool json = false;
	size_t lines;
	struct fwc_getopt g;
	int c, rc = FWC_EXIT_ERR;

	fwc_getopt_init(&g, cmd);
	while ((c = fwc_getopt(&g, argc, argv)) != -1) {
		if (c != FWC_OPT_JSON)
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
	return fwc_usage_error(cmd);
}

const struct fwc_cmd fwc_cmd_diff = {
	.name = "diff",
	.synopsis = "[--json] OLD NEW",
	.summary = "packets whose verdict changes between two policies",
	.doc = "The exact set of packets whose verdict changes from policy OLD "
	       "to policy NEW, as regions (sources, destinations, protocol and "
	       "ports, old verdict and rule -> new verdict and rule), computed "
	       "on the classes both policies induce together, not by sampling.",
	.opts =
		(const struct fwc_opt[]){
			{ "json", FWC_OPT_JSON, NULL, "the regions as JSON" },
			{ NULL },
		},
	.tail = "Exit 0 when they are equivalent, 1 when verdicts change, 2 on "
		"errors.",
	.args = "@policy @policy",
	.run = run_diff,
};
