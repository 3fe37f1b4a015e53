// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The commands that only read policies: check, compile, test, diff. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "diag.h"
#include "diff.h"
#include "emit_nft.h"
#include "graph.h"
#include "packet.h"
#include "resolve.h"
#include "rpc_iface.h"
#include "cli.h"
#include "fwc_exit.h"

/*
 * Long-only keys of this file's options beyond cli.h's enum fwc_opt_key
 * (a key needs only be unique within its command's table).
 */
enum {
	OPT_RPC_FALLBACK = 0x1000,
};

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
		} else if (c == FWC_OPT_MAX_TABLE_MEMORY) {
			if (fwc_opt_bytes("max-table-memory", optarg,
					  &opts.max_table_memory))
				return FWC_EXIT_ERR;
		} else if (c == FWC_OPT_LAYOUT) {
			if (fwc_opt_layout(optarg, &opts))
				return FWC_EXIT_ERR;
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
	.synopsis = "[-q] [--json] [--strict] [--wide-ports N] "
		    "[--max-table-memory BYTES] [--layout LAYOUT] POLICY",
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
			FWC_OPT_TABLE_MEMORY,
			FWC_OPT_TABLE_LAYOUT,
			{ NULL },
		},
	.tail = "Exit 0 when the policy is valid (warnings allowed), 2 on "
		"errors.",
	.args = "@policy",
	.run = run_check,
};

/*
 * The layout: the single cross product, or the groups (include/fwc_abi.h,
 * "Groups"), one a line in lookup order, and their candidate lists.
 */
static void print_groups(const struct fwc_tables *t)
{
	const struct fwc_meta *m = &t->meta;
	uint32_t long_lists = 0;

	if (!m->n_groups) {
		printf("layout           single cross product\n");
		return;
	}
	printf("layout           grouped, %u group%s\n", m->n_groups,
	       m->n_groups == 1 ? "" : "s");
	for (uint32_t i = 0; i < m->n_groups; i++) {
		const struct fwc_group *g = &t->groups[i];
		const char *kind = g->kind == FWC_GROUP_LISTS  ? "lists" :
				   g->kind == FWC_GROUP_SPARSE ? "sparse" :
								 "?";

		printf("group %-10u %s, min rule %u, %u x %u classes", i, kind,
		       g->min_rule, g->n_src, g->n_dst);
		if (g->kind == FWC_GROUP_SPARSE)
			printf(", %u slots", g->mask + 1);
		putchar('\n');
	}
	/* A list too long to walk is one entry naming a decision row. */
	for (uint32_t i = 0; i < m->n_glist; i++)
		long_lists += t->glist[i].rule == FWC_GENTRY_ROW;
	printf("candidate lists  %u glist entries, %u naming a decision row\n",
	       m->n_glist, long_lists);
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
	print_groups(t);
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

/*
 * --rpc-fallback LO-HI (or one port): the TCP ports an rpc rule opens
 * under --emit nft instead of pinholes. 0 or -1 for a bad range.
 */
static int parse_port_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return -1;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end || a < 1 || b > 65535 || a > b)
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/*
 * fwc compile --emit nft: the ruleset to @out, or stdout. From the
 * resolved policy alone: no classes and no tables, so a policy whose
 * tables would not fit any budget still gets its ruleset.
 */
static int compile_nft(const char *path, const char *out,
		       struct fwc_nft_opts *nopts)
{
	struct fwc_compile_opts opts = { .warnings = false };
	struct fwc_policy *pol = NULL;
	struct fwc_diag diag;
	struct fwc_src src;
	FILE *f = stdout, *m;
	char *text, *rules = NULL;
	size_t len, rules_len = 0;
	int err;

	err = fwc_read_file(path, &text, &len);
	if (err) {
		fprintf(stderr, "%s: error: cannot read policy: %s\n", path,
			fwc_read_error(err));
		return FWC_EXIT_ERR;
	}
	err = fwc_policy_parse(path, text, len, &opts, &pol);
	if (err) {
		free(text);
		return FWC_EXIT_ERR;
	}
	/* Refused rpc rules are errors of the source: file:line:col. */
	src = (struct fwc_src){ path, text, len };
	fwc_diag_init(&diag, &src, stderr);
	nopts->diag = &diag;
	/* In memory first: a refused policy leaves @out untouched. */
	m = open_memstream(&rules, &rules_len);
	err = fwc_emit_nft(pol, nopts, m);
	if (fclose(m) && !err)
		err = -EIO;
	if (err == -EOPNOTSUPP)
		goto out;
	if (!err && out && !(f = fopen(out, "w")))
		err = -errno;
	if (!err && fwrite(rules, 1, rules_len, f) != rules_len)
		err = -EIO;
	if (f && f != stdout && fclose(f) && !err)
		err = -errno;
	if (err)
		fprintf(stderr, "fwc: cannot write %s: %s\n",
			out ? out : "stdout", strerror(-err));
out:
	free(rules);
	free(text);
	fwc_policy_destroy(pol);
	return err ? FWC_EXIT_ERR : 0;
}

static int run_compile(const struct fwc_cmd *cmd, int argc, char **argv)
{
	struct fwc_compile_opts opts = { .warnings = false };
	struct fwc_nft_opts nopts = { 0 };
	const char *out = NULL;
	struct fwc_tables *t;
	bool stats = false, nft = false;
	struct fwc_getopt g;
	int c, err;

	fwc_getopt_init(&g, cmd);
	while ((c = fwc_getopt(&g, argc, argv)) != -1) {
		if (c == 's') {
			stats = true;
		} else if (c == 'o') {
			out = optarg;
		} else if (c == FWC_OPT_EMIT && !strcmp(optarg, "nft")) {
			nft = true;
		} else if (c == OPT_RPC_FALLBACK) {
			if (parse_port_range(optarg, &nopts.rpc_lo,
					     &nopts.rpc_hi)) {
				fprintf(stderr,
					"fwc: --rpc-fallback %s: expected "
					"LO-HI or PORT, ports 1-65535\n",
					optarg);
				return FWC_EXIT_ERR;
			}
		} else if (c == FWC_OPT_MAX_TABLE_MEMORY) {
			if (fwc_opt_bytes("max-table-memory", optarg,
					  &opts.max_table_memory))
				return FWC_EXIT_ERR;
		} else if (c == FWC_OPT_LAYOUT) {
			if (fwc_opt_layout(optarg, &opts))
				return FWC_EXIT_ERR;
		} else {
			goto usage;
		}
	}
	if (optind != argc - 1 || (nft && stats))
		goto usage;
	if (nopts.rpc_hi && !nft) {
		fprintf(stderr, "fwc: --rpc-fallback goes with --emit nft\n");
		goto usage;
	}
	if (nft)
		return compile_nft(argv[optind], out, &nopts);
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
	.synopsis = "POLICY [--stats] [--max-table-memory BYTES] "
		    "[--layout LAYOUT] [-o FILE]\n"
		    "POLICY --emit nft [--rpc-fallback LO-HI] [-o FILE]",
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
			{ "rpc-fallback", OPT_RPC_FALLBACK, "LO-HI",
			  "with --emit nft: nftables cannot follow the RPC endpoint "
			  "mapper, so an rpc rule is refused; with this, each rpc rule "
			  "opens TCP ports LO-HI (within its interfaces' port bounds) "
			  "besides its TCP 135 instead of pinholes: weaker" },
			FWC_OPT_TABLE_MEMORY,
			FWC_OPT_TABLE_LAYOUT,
			{ NULL },
		},
	.args = "@policy",
	.run = run_compile,
};

struct tester {
	struct fwc_tables *t;
	struct fwc_policy *pol; /* set for --reference */
	bool json;
	size_t n_json; /* objects printed (for the commas of --packets) */
};

static uint32_t classify_one(const struct tester *ts,
			     const struct fwc_packet *p)
{
	return ts->pol ? fwc_reference_classify(ts->pol, p) :
			 fwc_tables_classify(ts->t, p);
}

static uint32_t classify_cb(const void *ctx, const struct fwc_packet *p)
{
	return classify_one(ctx, p);
}

/* fwc_rpc_pinhole() with this tester's classifier. */
static int pinhole_case(const struct tester *ts, const struct fwc_packet *p,
			uint32_t id, uint32_t *rpc_id, int *port)
{
	return fwc_rpc_pinhole(ts->t, p, id, classify_cb, ts, rpc_id, port);
}

static const struct fwc_rpc_iface *rule_ifaces(const struct fwc_tables *t,
					       uint32_t id)
{
	return &t->rpc_ifaces[t->rules[id].rpc_first];
}

static void json_rule(const struct fwc_rule_meta *rm)
{
	printf("\"rule\": %u, \"line\": %u, \"label\": ", rm->id, rm->line);
	if (rm->label)
		fwc_json_str(stdout, rm->label);
	else
		fputs("null", stdout);
	fputs(", \"text\": ", stdout);
	fwc_json_str(stdout, rm->text ? rm->text : "");
}

/*
 * The interfaces of rule @id whose bounds hold @port (all when < 0):
 * name (of the table of well-known interfaces; null for a literal, "any"
 * for rpc any), uuid and major (null when any), the bounds.
 */
static void json_ifaces(const struct fwc_tables *t, uint32_t id, int port)
{
	const struct fwc_rpc_iface *e = rule_ifaces(t, id);
	char uuid[FWC_RPC_UUID_STRLEN];
	size_t n = 0;

	fputs("[", stdout);
	for (uint32_t i = 0; i < t->rules[id].rpc_n; i++) {
		const struct fwc_rpc_iface_row *row = NULL;

		if (port >= 0 && (port < e[i].port_lo || port > e[i].port_hi))
			continue;
		if (!(e[i].flags & (FWC_RPC_ANY | FWC_RPC_ANY_VERSION)))
			row = fwc_rpc_iface_by_uuid(e[i].uuid, e[i].major);
		fwc_rpc_uuid_format(e[i].uuid, uuid);
		printf("%s{\"name\": ", n++ ? ", " : "");
		if (e[i].flags & FWC_RPC_ANY)
			fputs("\"any\", \"uuid\": null, \"major\": null",
			      stdout);
		else if (e[i].flags & FWC_RPC_ANY_VERSION)
			printf("null, \"uuid\": \"%s\", \"major\": null", uuid);
		else if (row)
			printf("\"%s\", \"uuid\": \"%s\", \"major\": %u",
			       row->name, uuid, e[i].major);
		else
			printf("null, \"uuid\": \"%s\", \"major\": %u", uuid,
			       e[i].major);
		printf(", \"port_lo\": %u, \"port_hi\": %u}", e[i].port_lo,
		       e[i].port_hi);
	}
	fputs("]", stdout);
}

static void verdict_json(struct tester *ts, const struct fwc_packet *p,
			 uint32_t id, uint32_t act)
{
	uint32_t rpc_id = 0;
	int port, how = pinhole_case(ts, p, id, &rpc_id, &port);
	char pkt[160];

	fwc_packet_format(p, pkt, sizeof(pkt));
	printf("%s{\"packet\": ", ts->n_json++ ? ",\n " : "");
	fwc_json_str(stdout, pkt);
	printf(", \"verdict\": \"%s\", ",
	       act == FWC_ACT_ALLOW ? "allow" : "deny");
	json_rule(&ts->t->rule_meta[id]);
	if (how) {
		const struct fwc_tables *t = ts->t;
		char *text = fwc_rpc_text(rule_ifaces(t, rpc_id), NULL,
					  t->rules[rpc_id].rpc_n, port);

		printf(", \"%s\": {",
		       how == FWC_PINHOLE_MAY ? "pinhole" : "opens");
		if (how == FWC_PINHOLE_MAY) {
			json_rule(&t->rule_meta[rpc_id]);
			fputs(", ", stdout);
		}
		fputs("\"rpc\": ", stdout);
		fwc_json_str(stdout, text);
		fputs(", \"interfaces\": ", stdout);
		json_ifaces(t, rpc_id, port);
		fputs("}", stdout);
		free(text);
	}
	fputs("}", stdout);
}

/* Prints the verdict line (or object); returns the action. */
static uint32_t verdict(struct tester *ts, const struct fwc_packet *p)
{
	uint32_t id = classify_one(ts, p), rpc_id = 0;
	const struct fwc_rule_meta *rm = &ts->t->rule_meta[id];
	uint32_t act = fwc_tables_action(ts->t, id);
	int port, how;
	char *text;

	if (ts->json) {
		verdict_json(ts, p, id, act);
		return act;
	}
	printf("%s rule %u", act == FWC_ACT_ALLOW ? "allow" : "deny", id);
	if (id == 0)
		printf(" (%s)\n", rm->text);
	else if (rm->label)
		printf(" \"%s\" line %u: %s\n", rm->label, rm->line, rm->text);
	else
		printf(" line %u: %s\n", rm->line, rm->text);
	how = pinhole_case(ts, p, id, &rpc_id, &port);
	if (!how)
		return act;
	rm = &ts->t->rule_meta[rpc_id];
	text = fwc_rpc_text(rule_ifaces(ts->t, rpc_id), NULL,
			    ts->t->rules[rpc_id].rpc_n, port);
	if (how == FWC_PINHOLE_OPENS)
		printf("  its endpoint mapper answers open pinholes for %s\n",
		       text);
	else if (rm->label)
		printf("  closed, except through a pinhole of rule %u (%s): "
		       "%s\n",
		       rpc_id, rm->label, text);
	else
		printf("  closed, except through a pinhole of rule %u (line "
		       "%u): %s\n",
		       rpc_id, rm->line, text);
	free(text);
	return act;
}

static int test_stream(struct tester *ts, const char *path)
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
	if (ts->json)
		fputs("[", stdout);
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
			if (ts->json)
				printf("%s{\"line\": %u, \"error\": ",
				       ts->n_json++ ? ",\n " : "", lineno);
			else
				printf("error line %u\n", lineno);
			if (ts->json) {
				fwc_json_str(stdout, err);
				fputs("}", stdout);
			}
			rc = FWC_EXIT_ERR;
			continue;
		}
		verdict(ts, &p);
	}
	if (ts->json)
		fputs("]\n", stdout);
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
		if (c == 'p') {
			packets = optarg;
		} else if (c == 'r') {
			reference = true;
		} else if (c == FWC_OPT_JSON) {
			ts.json = true;
		} else if (c == FWC_OPT_MAX_TABLE_MEMORY) {
			if (fwc_opt_bytes("max-table-memory", optarg,
					  &opts.max_table_memory))
				return FWC_EXIT_ERR;
		} else if (c == FWC_OPT_LAYOUT) {
			if (fwc_opt_layout(optarg, &opts))
				return FWC_EXIT_ERR;
		} else {
			goto usage;
		}
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
			if (ts.json)
				fputs("\n", stdout);
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
	.synopsis = "[--json] POLICY|ARTIFACT PACKET\n"
		    "[--json] POLICY|ARTIFACT --packets FILE|-",
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
			{ "json", FWC_OPT_JSON, NULL,
			  "the verdict as a JSON object (packet, verdict, rule, line, "
			  "label, text, and pinhole or opens for rpc rules); with "
			  "--packets an array of them" },
			FWC_OPT_TABLE_MEMORY,
			FWC_OPT_TABLE_LAYOUT,
			{ NULL },
		},
	.tail = "Prints 'allow|deny rule N ...'. A TCP packet the rules deny "
		"that an rpc rule's pinhole may admit (the rule admits the same "
		"packet to port 135 and the port is within its bounds) gets "
		"'closed, except through a pinhole of rule N (LABEL): rpc { ... "
		"}'; a packet to port 135 an rpc rule admits, the interfaces "
		"its endpoint mapper answers open pinholes for. Exits 0 allow, "
		"1 deny (a pinhole is not counted), 2 error.",
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
	if (!json && d.n_rpc)
		printf("%zu region%s change verdict or pinholes\n", lines,
		       lines == 1 ? "" : "s");
	else if (!json)
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
	       "on the classes both policies induce together, not by sampling. "
	       "TCP 135 allowed by both whose endpoint-mapper answers open "
	       "other pinholes (an rpc rule's interfaces or port bounds "
	       "changed, or rpc where there was none) is a region too: 'allow, "
	       "pinholes OLD -> NEW'.",
	.opts =
		(const struct fwc_opt[]){
			{ "json", FWC_OPT_JSON, NULL, "the regions as JSON" },
			{ NULL },
		},
	.tail = "Exit 0 when they are equivalent, 1 when verdicts or pinholes "
		"change, 2 on errors.",
	.args = "@policy @policy",
	.run = run_diff,
};
