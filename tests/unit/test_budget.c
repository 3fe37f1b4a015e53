// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The table budget (--max-table-memory, issue 13): the tables whose size
 * is a product of class counts are sized before they are built, a policy
 * just under the budget compiles and one just over is refused (--layout
 * single) with a message that names the table, its size, its class counts
 * and the rules behind it; nothing big is allocated on the way (checked in
 * a child under a low RLIMIT_AS); and --emit nft never builds tables at
 * all. Past the single cross product, --layout auto takes the grouped
 * layout (compiler/groups.c) within the same budget, or refuses saying
 * neither fits.
 */
#include "helpers.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "emit_nft.h"
#include "lower.h"
#include "tables.h"

/* ASan reserves terabytes of address space: no RLIMIT_AS under it. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* A policy written by @fn(i, f) for rules 0..n-1 after @head. */
static char *policy_of(const char *head, unsigned int n,
		       void (*fn)(unsigned int i, FILE *f))
{
	char *text;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	fputs(head, f);
	for (unsigned int i = 0; i < n; i++)
		fn(i, f);
	fclose(f);
	return text;
}

/* Each rule its own source and destination host and port range. */
static void own_everything(unsigned int i, FILE *f)
{
	unsigned int lo = 1000 + 7 * (i % 500);

	fprintf(f,
		"allow 10.%u.%u.%u -> 172.%u.%u.%u proto tcp port %u-%u "
		"from-port 1024-65535\n",
		(i >> 16) & 255, (i >> 8) & 255, i & 255, 16 + ((i >> 16) & 15),
		(i >> 8) & 255, i & 255, lo, lo + i % 50);
}

static struct compiled compile_layout(const char *text, uint64_t budget,
				      enum fwc_layout layout)
{
	struct fwc_compile_opts o = { .max_table_memory = budget,
				      .layout = layout };

	return compile_text_opts(text, o);
}

/*
 * The single cross product's budget: with --layout single, so that a
 * policy over it is refused, not grouped.
 */
static struct compiled compile_budget(const char *text, uint64_t budget)
{
	return compile_layout(text, budget, FWC_LAYOUT_SINGLE);
}

static void has(const struct compiled *c, const char *needle)
{
	if (!c->diag || !strstr(c->diag, needle))
		fail_msg("diagnostic lacks '%s':\n%s", needle,
			 c->diag ? c->diag : "(none)");
}

/* Bytes of the tables the budget holds: svc, pair and decision. */
static uint64_t budgeted(const struct fwc_tables *t)
{
	return fwc_tables_bytes(t, "svc") + fwc_tables_bytes(t, "pair") +
	       fwc_tables_bytes(t, "decision");
}

static void test_bytes_parse(void **state)
{
	uint64_t n = 0;

	(void)state;
	assert_int_equal(fwc_bytes_parse("256M", &n), 0);
	assert_true(n == 256ull << 20);
	assert_int_equal(fwc_bytes_parse("64k", &n), 0);
	assert_true(n == 64ull << 10);
	assert_int_equal(fwc_bytes_parse("1024G", &n), 0);
	assert_true(n == 1ull << 40);
	assert_int_equal(fwc_bytes_parse("100", &n), 0);
	assert_true(n == 100);
	assert_int_equal(fwc_bytes_parse("1025G", &n), -EINVAL);
	assert_int_equal(fwc_bytes_parse("0", &n), -EINVAL);
	assert_int_equal(fwc_bytes_parse("", &n), -EINVAL);
	assert_int_equal(fwc_bytes_parse("M", &n), -EINVAL);
	assert_int_equal(fwc_bytes_parse("12x", &n), -EINVAL);
	assert_int_equal(fwc_bytes_parse("1K2", &n), -EINVAL);
	assert_int_equal(fwc_bytes_parse("1T", &n), -EINVAL);
	assert_int_equal(fwc_bytes_parse("-5", &n), -EINVAL);
	assert_int_equal(fwc_bytes_parse("99999999999999999999999", &n),
			 -EINVAL);
}

/*
 * Just under and just over, at each table: the tables of a budget that
 * holds them are those of an unlimited one; a byte less is refused, with
 * the table that passes it named, and the exact row count.
 */
static void test_just_under_and_over(void **state)
{
	char *text = policy_of("set default deny\n", 60, own_everything);
	struct compiled big = compile_budget(text, 1ull << 30), c;
	uint64_t total, pair, svc;
	char want[160];

	(void)state;
	assert_int_equal(big.err, 0);
	total = budgeted(big.t);
	pair = fwc_tables_bytes(big.t, "pair");
	svc = fwc_tables_bytes(big.t, "svc");

	c = compile_budget(text, total);
	assert_int_equal(c.err, 0);
	assert_memory_equal(&c.t->meta, &big.t->meta, sizeof(c.t->meta));
	assert_memory_equal(c.t->decision, big.t->decision,
			    fwc_tables_bytes(big.t, "decision"));
	compiled_free(&c);

	c = compile_budget(text, total - 1);
	assert_int_equal(c.err, -E2BIG);
	assert_null(c.t);
	snprintf(want, sizeof(want),
		 "t.pol: error: the decision table would need more than %u "
		 "rows x %u service classes",
		 big.t->meta.n_rows - 1, big.t->meta.n_svc);
	has(&c, want);
	has(&c, "over the table budget of");
	has(&c, "(--max-table-memory)");
	snprintf(want, sizeof(want), "pairs of %u source x %u destination",
		 big.t->meta.n_src, big.t->meta.n_dst);
	has(&c, want);
	has(&c, "t.pol:2:1: note: rule 1 adds 2 source, 2 destination and ");
	has(&c, "rules ranked by the class boundaries each adds");
	compiled_free(&c);

	/* The pair table with the svc map's bytes: the second check. */
	c = compile_budget(text, svc + pair - 1);
	assert_int_equal(c.err, -E2BIG);
	snprintf(want, sizeof(want),
		 "the pair table would need %u source x %u destination "
		 "address classes = %llu entries",
		 big.t->meta.n_src, big.t->meta.n_dst,
		 (unsigned long long)(pair / 4));
	has(&c, want);
	has(&c, "with the svc table's");
	compiled_free(&c);

	/* The pair table alone: counted before any address class is built. */
	c = compile_budget(text, pair - 1);
	assert_int_equal(c.err, -E2BIG);
	has(&c, want);
	if (strstr(c.diag, "with the svc table's"))
		fail_msg("the svc map is not built yet:\n%s", c.diag);
	compiled_free(&c);
	compiled_free(&big);
	free(text);
}

/* Rule 2's zone of 40 prefixes makes the classes: it is named first. */
static void test_blames_the_rule(void **state)
{
	char *text;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	struct compiled c;

	(void)state;
	fputs("allow 192.0.2.1 -> 198.51.100.1 proto tcp port 22\n"
	      "allow {",
	      f);
	for (int i = 0; i < 40; i++)
		fprintf(f, " 10.%d.0.0/24", 2 * i);
	fputs(" } -> 198.51.100.2 proto tcp port 80\n"
	      "allow 192.0.2.3 -> 198.51.100.3 proto udp port 53\n",
	      f);
	fclose(f);
	c = compile_budget(text, 64);
	assert_int_equal(c.err, -E2BIG);
	has(&c, "t.pol: error: the pair table would need");
	/* The first note is rule 2's, then rule 1's (ties: file order). */
	/* Its destination's far end is rule 1's: it adds the other one. */
	has(&c, "t.pol:2:1: note: rule 2 adds 80 source and 1 destination "
		"boundary\n");
	if (strstr(c.diag, "note: rule 1") < strstr(c.diag, "note: rule 2"))
		fail_msg("rule 2 should come first:\n%s", c.diag);
	has(&c, "the 3 shown add 88 of 88, 3 of 3 rules add some\n");
	compiled_free(&c);
	free(text);
}

/*
 * One pair of address classes, nested port ranges: a class of each
 * (destination port, source port) combination is the interval of rules
 * i..j, nearly all distinct.
 */
static void port_ranges(unsigned int i, FILE *f)
{
	fprintf(f, "allow any -> any proto tcp port 1-%u from-port 1-%u\n",
		100 * (i + 1), 100 * (150 - i));
}

static void test_svc_map_and_rule_sets(void **state)
{
	char *text = policy_of("", 150, port_ranges);
	struct compiled big = compile_budget(text, 1ull << 30), c;
	uint64_t svc;

	(void)state;
	assert_int_equal(big.err, 0);
	svc = fwc_tables_bytes(big.t, "svc");
	assert_true(svc > 64 * 1024);
	c = compile_budget(text, svc - 1);
	assert_int_equal(c.err, -E2BIG);
	has(&c, "t.pol: error: the service table (svc) would need");
	has(&c, "destination-port (or ICMP type) and source-port classes");
	/* The ends of 1-100 and of 1-15000 (two fields); then two each. */
	has(&c, "t.pol:1:1: note: rule 1 adds 4 port or type boundaries\n");
	has(&c, "t.pol:2:1: note: rule 2 adds 2 port or type boundaries\n");
	compiled_free(&c);
	/* With the pair table's 64 bytes, the svc map and the pair table
	 * fit; the service classes' rule sets (11k of 3 words) do not. */
	c = compile_budget(text, svc + fwc_tables_bytes(big.t, "pair") + 16);
	assert_int_equal(c.err, -E2BIG);
	has(&c, "t.pol: error: the service classes' rule sets would need "
		"more than");
	compiled_free(&c);
	compiled_free(&big);
	free(text);
}

/*
 * Sources 0..K-1 to anywhere, then anywhere to destinations 0..K-1, all
 * one service: K * K distinct candidate lists, K + 1 distinct rows.
 */
static void lists_shape(unsigned int i, FILE *f)
{
	if (i < 150)
		fprintf(f, "allow 10.0.%u.0/24 -> any proto tcp port 1\n", i);
	else
		fprintf(f, "allow any -> 10.1.%u.0/24 proto tcp port 1\n",
			i - 150);
}

static void test_candidate_lists(void **state)
{
	char *text = policy_of("", 300, lists_shape);
	struct compiled c = compile_budget(text, 1ull << 30);
	uint64_t tables;

	(void)state;
	assert_int_equal(c.err, 0);
	tables = budgeted(c.t);
	assert_true(tables < 512 * 1024);
	compiled_free(&c);
	/* The tables fit 512K; the 22500 lists (1.2 MiB) do not. */
	c = compile_budget(text, 512 * 1024);
	assert_int_equal(c.err, -E2BIG);
	has(&c, "t.pol: error: the candidate rule lists of the decision rows "
		"would need at least 524");
	compiled_free(&c);
	free(text);
}

/* ---- past the single cross product: the grouped layout --------------- */

/*
 * Rules of their own hosts and ports (a narrow group), with a rule to
 * any, wide ones, and one of /24 to any among them: groups of each kind.
 */
#define MIXED_RULES 2000

static void mixed(unsigned int i, FILE *f)
{
	own_everything(i, f);
	if (i == 700)
		fputs("deny any -> 172.16.0.0/22 proto tcp port 1000-2000\n",
		      f);
	if (i == 900)
		fputs("allow 10.0.0.0/20 -> 172.16.0.0/12 proto udp\n", f);
	if (i == 1200)
		fputs("allow 10.0.4.0/24 -> any proto tcp port 1100-1200\n", f);
}

static const char mixed_head[] =
	"set default deny\n"
	"allow any -> any proto icmp type echo-request\n";

static uint32_t rnd32(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* A packet near rule @i of own_everything's, or anywhere; v4 only. */
static void mixed_packet(uint64_t *s, struct fwc_packet *p)
{
	static const uint8_t protos[] = { 6, 6, 6, 17, 1 };
	unsigned int i = rnd32(s) % (MIXED_RULES + 2);
	unsigned int j = rnd32(s) % 4 ? i : rnd32(s) % (MIXED_RULES + 2);
	unsigned int lo = 1000 + 7 * (i % 500);

	memset(p, 0, sizeof(*p));
	p->family = 4;
	p->proto = protos[rnd32(s) % sizeof(protos)];
	p->src[0] = 10;
	p->src[1] = (uint8_t)(i >> 16);
	p->src[2] = (uint8_t)(i >> 8);
	p->src[3] = (uint8_t)i;
	p->dst[0] = (uint8_t)(172 + (rnd32(s) % 16 == 0));
	p->dst[1] = (uint8_t)(16 + (j >> 16));
	p->dst[2] = (uint8_t)(j >> 8);
	p->dst[3] = (uint8_t)j;
	if (rnd32(s) % 8 == 0)
		p->src[2] ^= (uint8_t)(1 + rnd32(s) % 4); /* another /24 */
	if (p->proto == 1) {
		p->k1 = rnd32(s) % 2 ? 8 : (uint16_t)(rnd32(s) % 256);
		return;
	}
	p->k1 = (uint16_t)(rnd32(s) % 4 ? lo + rnd32(s) % 60 :
					  rnd32(s) % 65536);
	p->k2 = (uint16_t)(rnd32(s) % 8 ? 1024 + rnd32(s) % 64512 :
					  rnd32(s) % 1024);
}

/*
 * Over the single layout's budget, --layout auto compiles to groups,
 * which classify as the reference scan does.
 */
static void test_auto_takes_groups(void **state)
{
	char *text = policy_of(mixed_head, MIXED_RULES, mixed);
	struct compiled c = compile_budget(text, 4u << 20);
	unsigned int kinds[3] = { 0 }, matched = 0;
	uint64_t s = 0x13b0d9e7;

	(void)state;
	/* The pair table of 2005 x 2005 classes alone is 15 MiB. */
	assert_int_equal(c.err, -E2BIG);
	has(&c, "t.pol: error: the pair table would need 2005 source x 2005 "
		"destination address classes");
	compiled_free(&c);
	c = compile_layout(text, 4u << 20, FWC_LAYOUT_AUTO);
	assert_int_equal(c.err, 0);
	assert_true(c.t->meta.n_groups > 0);
	assert_true(c.t->meta.n_groups <= FWC_GROUPS_MAX);
	for (uint32_t g = 0; g < c.t->meta.n_groups; g++) {
		assert_true(c.t->groups[g].kind == FWC_GROUP_LISTS ||
			    c.t->groups[g].kind == FWC_GROUP_SPARSE);
		kinds[c.t->groups[g].kind]++;
	}
	/* The narrow rules' 2002 x 2002 classes take a sparse group. */
	assert_true(kinds[FWC_GROUP_LISTS] && kinds[FWC_GROUP_SPARSE]);
	for (int k = 0; k < 4000; k++) {
		struct fwc_packet p;
		uint32_t a, b;

		mixed_packet(&s, &p);
		a = fwc_tables_classify(c.t, &p);
		b = fwc_reference_classify(c.pol, &p);
		matched += a != 0;
		if (a != b) {
			char buf[160];

			fwc_packet_format(&p, buf, sizeof(buf));
			fail_msg("%s: groups rule %u, reference rule %u", buf,
				 a, b);
		}
	}
	/* The packets must hit rules, not only the default. */
	assert_true(matched > 1000);
	compiled_free(&c);
	free(text);
}

/* Too small even for groups: the single layout's error, and a note. */
static void test_auto_neither_fits(void **state)
{
	char *text = policy_of(mixed_head, MIXED_RULES, mixed);
	struct compiled c = compile_layout(text, 64u << 10, FWC_LAYOUT_AUTO);

	(void)state;
	assert_int_equal(c.err, -E2BIG);
	assert_null(c.t);
	has(&c, "t.pol: error: the pair table would need 2005 source x 2005 "
		"destination address classes");
	has(&c, "over the table budget of 65536 bytes (--max-table-memory)");
	has(&c, "t.pol: note: nor do the grouped tables fit (fwc compile "
		"--layout groups): ");
	compiled_free(&c);
	free(text);
}

/* Forced groups: a policy that fits either way, and a tiny budget. */
static void test_forced_groups(void **state)
{
	char *text = policy_of("set default deny\n", 60, own_everything);
	struct compiled c = compile_layout(text, 0, FWC_LAYOUT_GROUPS);

	(void)state;
	assert_int_equal(c.err, 0);
	assert_true(c.t->meta.n_groups > 0);
	compiled_free(&c);
	/* Auto keeps the single cross product where it fits. */
	c = compile_layout(text, 0, FWC_LAYOUT_AUTO);
	assert_int_equal(c.err, 0);
	assert_int_equal(c.t->meta.n_groups, 0);
	compiled_free(&c);
	c = compile_layout(text, 64, FWC_LAYOUT_GROUPS);
	assert_int_equal(c.err, -E2BIG);
	assert_null(c.t);
	has(&c, "t.pol: error: the grouped tables would pass the table "
		"budget of 64 bytes (--max-table-memory): ");
	/* Not the single layout's diagnostic: it was never sized. */
	if (strstr(c.diag, "would need"))
		fail_msg("forced groups sized the single layout:\n%s", c.diag);
	compiled_free(&c);
	free(text);
}

/*
 * Rule @i of twelve on one address pair, each its own port: a candidate
 * list of 12 boxes, more than FWC_LIST_SHORT and within FWC_LIST_MAX.
 */
static void twelve_ports(unsigned int i, FILE *f)
{
	fprintf(f, "allow 10.0.0.0/24 -> 172.16.0.0/24 proto tcp port %u\n",
		2000 + 10 * i);
}

static unsigned int row_entries(const struct fwc_tables *t)
{
	unsigned int n = 0;

	for (uint32_t i = 0; i < t->meta.n_glist; i++)
		n += t->glist[i].rule == FWC_GENTRY_ROW;
	return n;
}

/* Every port of twelve_ports' and around them, as the reference scan. */
static void twelve_agree(const struct compiled *c)
{
	struct fwc_packet p = { .family = 4, .proto = 6, .k2 = 40000 };
	unsigned int matched = 0;

	memcpy(p.src, (uint8_t[]){ 10, 0, 0, 9 }, 4);
	memcpy(p.dst, (uint8_t[]){ 172, 16, 0, 7 }, 4);
	for (unsigned int port = 1990; port <= 2130; port++) {
		uint32_t a, b;

		p.k1 = (uint16_t)port;
		a = fwc_tables_classify(c->t, &p);
		b = fwc_reference_classify(c->pol, &p);
		if (a != b)
			fail_msg("port %u: tables rule %u, reference rule %u",
				 port, a, b);
		matched += a != 0;
	}
	assert_int_equal(matched, 12);
}

/*
 * What the walk reads for twelve_ports' packet to @port from 10.0.0.9
 * (@src_in) or from 192.0.2.1 (in no rule's source): groups looked up,
 * empty pairs, list entries and decision rows, as "g e n r".
 */
static void walk_reads(const struct compiled *c, unsigned int port, bool src_in,
		       const char *want)
{
	struct fwc_packet p = { .family = 4, .proto = 6, .k2 = 40000 };
	struct fwc_walk_stats st = { 0 };
	char got[64];

	memcpy(p.src,
	       src_in ? (uint8_t[]){ 10, 0, 0, 9 } :
			(uint8_t[]){ 192, 0, 2, 1 },
	       4);
	memcpy(p.dst, (uint8_t[]){ 172, 16, 0, 7 }, 4);
	p.k1 = (uint16_t)port;
	fwc_tables_classify_traced(c->t, &p, &st);
	assert_int_equal(st.packets, 1);
	snprintf(got, sizeof(got), "%llu %llu %llu %llu",
		 (unsigned long long)st.groups, (unsigned long long)st.empty,
		 (unsigned long long)st.entries, (unsigned long long)st.rows);
	if (strcmp(got, want))
		fail_msg("port %u: the walk read %s, not %s", port, got, want);
}

/*
 * A list of more than FWC_LIST_SHORT boxes is one decision row when the
 * rows fit an eighth of the budget; in less, it stays a list to walk.
 * Both answer as the reference scan does. The row costs a packet one
 * entry and a row; the list one entry a box up to the match, or all
 * twelve and its end for no match.
 */
static void test_medium_lists_as_rows(void **state)
{
	char *text = policy_of("set default deny\n", 12, twelve_ports);
	struct compiled c = compile_layout(text, 0, FWC_LAYOUT_GROUPS);
	uint64_t rows;

	(void)state;
	assert_int_equal(c.err, 0);
	assert_int_equal(c.t->meta.n_groups, 1);
	assert_int_equal(row_entries(c.t), 1);
	assert_int_equal(c.t->meta.n_rows, 2); /* the empty row, the list's */
	twelve_agree(&c);
	walk_reads(&c, 2110, true, "1 0 1 1");
	walk_reads(&c, 2115, true, "1 0 1 1");
	walk_reads(&c, 2110, false, "0 0 0 0");
	rows = fwc_tables_bytes(c.t, "decision");
	compiled_free(&c);
	/* The row does not fit an eighth of this budget; the list does. */
	c = compile_layout(text, 8 * rows - 8, FWC_LAYOUT_GROUPS);
	assert_int_equal(c.err, 0);
	assert_int_equal(row_entries(c.t), 0);
	assert_int_equal(c.t->meta.n_rows, 1); /* the empty row alone */
	twelve_agree(&c);
	walk_reads(&c, 2000, true, "1 0 1 0");
	walk_reads(&c, 2110, true, "1 0 12 0");
	walk_reads(&c, 2115, true, "1 0 13 0");
	compiled_free(&c);
	free(text);
}

/*
 * --layout auto's count of the single layout's rows stops on a bound of
 * steps, not on a clock: the same policy counts the same steps every time,
 * stops past a bound below them, and does not at a bound of all of them.
 */
static void test_count_bound_is_work(void **state)
{
	char *text = policy_of("set default deny\n", 60, own_everything);
	struct compiled c = compile_budget(text, 1ull << 30);
	struct fwc_estimate e = { .budget = 1ull << 30 }, again;
	struct fwc_classes cls;

	(void)state;
	assert_int_equal(c.err, 0);
	assert_int_equal(fwc_classes_build_within(c.pol, &cls, 1ull << 30), 0);
	assert_int_equal(fwc_tables_count(c.pol, &cls, UINT64_MAX, &e), 0);
	assert_true(e.work > 60 * 60);
	again = (struct fwc_estimate){ .budget = 1ull << 30 };
	assert_int_equal(fwc_tables_count(c.pol, &cls, UINT64_MAX, &again), 0);
	assert_int_equal(again.work, e.work);
	assert_int_equal(again.rows, e.rows);
	again = (struct fwc_estimate){ .budget = 1ull << 30,
				       .max_work = e.work / 2 };
	assert_int_equal(fwc_tables_count(c.pol, &cls, UINT64_MAX, &again),
			 -E2BIG);
	assert_int_equal(again.over, FWC_OVER_WORK);
	assert_true(again.more);
	again = (struct fwc_estimate){ .budget = 1ull << 30,
				       .max_work = e.work };
	assert_int_equal(fwc_tables_count(c.pol, &cls, UINT64_MAX, &again), 0);
	assert_int_equal(again.rows, e.rows);
	fwc_classes_free(&cls);
	compiled_free(&c);
	free(text);
}

/* ---- in a child, under a low address-space limit ---------------------- */

static size_t vm_size(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * @fn(@arg) in a child whose address space may grow by @extra bytes
 * (without the limit under ASan); its exit status, or 128 + the signal.
 */
static int in_child(int (*fn)(const char *), const char *arg, size_t extra)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;

		rl.rlim_cur = rl.rlim_max = vm_size() + extra;
		if (!UNDER_ASAN && setrlimit(RLIMIT_AS, &rl))
			_exit(99);
		alarm(120);
		_exit(fn(arg));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define HEADROOM (160u << 20)
#define WIDE_RULES 12000 /* a pair table of 12002^2 entries: 550 MiB */

static int emit_nft_child(const char *text)
{
	struct fwc_policy *pol;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (fwc_policy_parse("t.pol", text, strlen(text), NULL, &pol))
		return 1;
	f = open_memstream(&out, &len);
	err = fwc_emit_nft(pol, NULL, f);
	fclose(f);
	err = err ||
	      !strstr(out, "ip saddr 10.0.46.223 ip daddr 172.16.46.223");
	free(out);
	fwc_policy_destroy(pol);
	return err;
}

static int compile_child(const char *text)
{
	struct compiled c = compile_budget(text, 0); /* the default */
	int ok = c.err == -E2BIG && c.diag &&
		 strstr(c.diag, "the pair table would need 12002 source x "
				"12002 destination address classes");

	compiled_free(&c);
	return ok ? 0 : 1;
}

/* --layout single without a budget: the pair table does not fit. */
static int compile_unlimited_child(const char *text)
{
	struct compiled c = compile_budget(text, 1ull << 40);

	compiled_free(&c);
	return 0; /* not reached */
}

/* --layout auto, the default budget: groups, in the same memory. */
static int compile_auto_child(const char *text)
{
	struct compiled c = compile_layout(text, 0, FWC_LAYOUT_AUTO);
	int ok = !c.err && c.t->meta.n_groups > 0;

	compiled_free(&c);
	return ok ? 0 : 1;
}

/*
 * Thousands of rules, each its own source, destination and port range:
 * tables of gigabytes. --emit nft writes the ruleset in a little memory;
 * the compile (--layout single) refuses in the same memory, before
 * allocating the tables; without a budget it runs out of memory; --layout
 * auto compiles it to groups in the same memory.
 */
static void test_nft_and_refusal_in_little_memory(void **state)
{
	char *text =
		policy_of("set default deny\n", WIDE_RULES, own_everything);

	(void)state;
	assert_int_equal(in_child(emit_nft_child, text, HEADROOM), 0);
	assert_int_equal(in_child(compile_child, text, HEADROOM), 0);
	if (!UNDER_ASAN)
		assert_int_equal(in_child(compile_unlimited_child, text,
					  HEADROOM),
				 128 + SIGABRT);
	assert_int_equal(in_child(compile_auto_child, text, HEADROOM), 0);
	free(text);
}

/* The lists shape, larger: refused while counting, in little memory. */
static void lists_shape_big(unsigned int i, FILE *f)
{
	if (i < 1500)
		fprintf(f, "allow 10.%u.%u.0/24 -> any proto tcp port 1\n",
			i >> 8, i & 255);
	else
		fprintf(f, "allow any -> 11.%u.%u.0/24 proto tcp port 1\n",
			(i - 1500) >> 8, (i - 1500) & 255);
}

static int count_child(const char *text)
{
	struct compiled c = compile_budget(text, 32u << 20);
	int ok = c.err == -E2BIG && c.diag &&
		 strstr(c.diag, "the candidate rule lists of the decision "
				"rows would need at least 32.0 MiB");

	compiled_free(&c);
	return ok ? 0 : 1;
}

static void test_counting_in_little_memory(void **state)
{
	/* 2.25 M lists: some 150 MiB interned, about 48 MiB counted. */
	char *text = policy_of("", 3000, lists_shape_big);

	(void)state;
	assert_int_equal(in_child(count_child, text, 96u << 20), 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_parse),
		cmocka_unit_test(test_just_under_and_over),
		cmocka_unit_test(test_blames_the_rule),
		cmocka_unit_test(test_svc_map_and_rule_sets),
		cmocka_unit_test(test_candidate_lists),
		cmocka_unit_test(test_auto_takes_groups),
		cmocka_unit_test(test_auto_neither_fits),
		cmocka_unit_test(test_forced_groups),
		cmocka_unit_test(test_medium_lists_as_rows),
		cmocka_unit_test(test_count_bound_is_work),
		cmocka_unit_test(test_nft_and_refusal_in_little_memory),
		cmocka_unit_test(test_counting_in_little_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
