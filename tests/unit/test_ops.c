// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * ops/ without root: fwc.conf instances, the Prometheus exposition, the
 * --watch table, the lockout guard's decisions and fwc status's
 * explanations of half states, against a fake of the
 * one read they make of the pins (fwc_snapshot_read) and of the kernel
 * layer's mode names. The guard's session runs over lo, which every host
 * has.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "ops.h"

/* ---- fakes of what ops/ reads below it --------------------------------- */

int fwc_mode_parse(const char *s, enum fwc_mode *mode)
{
	if (!strcmp(s, "native"))
		*mode = FWC_MODE_NATIVE;
	else if (!strcmp(s, "generic"))
		*mode = FWC_MODE_GENERIC;
	else if (!strcmp(s, "auto"))
		*mode = FWC_MODE_AUTO;
	else
		return -EINVAL;
	return 0;
}

static int reads; /* fwc_snapshot_read calls: each is one second later */

static void row(struct fwc_stat_row *r, uint32_t id, uint32_t line,
		const char *action, const char *label, bool reserved,
		uint64_t packets)
{
	r->id = id;
	r->line = line;
	r->action = action;
	r->reserved = reserved;
	r->has_label = label && !reserved;
	snprintf(r->label, sizeof(r->label), "%s", label ? label : "");
	snprintf(r->text, sizeof(r->text), "rule text %u", id);
	r->c.packets = packets;
	r->c.bytes = packets * 100;
}

/*
 * One set on eth1 and eth2: rules 1 ("web", label with a quote and a
 * backslash) and 2, the default, one reserved counter. Read k counts
 * (k + 1) times a base, so rates between two reads are the base.
 */
int fwc_snapshot_read(const char *root, char **ifaces, int n_ifaces,
		      struct fwc_snapshot *s)
{
	struct fwc_stat_set *set;
	uint64_t k = (uint64_t)++reads;

	(void)root, (void)ifaces, (void)n_ifaces;
	memset(s, 0, sizeof(*s));
	s->at.tv_sec = reads;
	s->sets = calloc(1, sizeof(*s->sets));
	s->ifaces = calloc(2, sizeof(*s->ifaces));
	assert_non_null(s->sets);
	assert_non_null(s->ifaces);
	s->n_sets = 1;
	set = &s->sets[0];
	set->counters_id = 7;
	set->n_rules = 2;
	snprintf(set->info.policy, sizeof(set->info.policy), "/etc/fwc/gw.pol");
	snprintf(set->info.sha256, sizeof(set->info.sha256), "%064d", 0);
	set->info.loaded_at = 1700000000;
	set->n_ifaces = 2;
	snprintf(set->ifaces[0], FWC_IFNAME_LEN, "eth1");
	snprintf(set->ifaces[1], FWC_IFNAME_LEN, "eth2");
	set->n_rows = 4;
	set->rows = calloc(set->n_rows, sizeof(*set->rows));
	assert_non_null(set->rows);
	row(&set->rows[0], 1, 3, "allow", "web \"a\\b\"", false, 10 * k);
	row(&set->rows[1], 2, 4, "deny", NULL, false, 30 * k);
	row(&set->rows[2], 0, 0, "deny", "default", true, 20 * k);
	row(&set->rows[3], 3 + FWC_RSV_SOURCE_ROUTE, 0, "drop", "source-route",
	    true, 5 * k);
	s->n_ifaces = 2;
	snprintf(s->ifaces[0].name, sizeof(s->ifaces[0].name), "eth1");
	s->ifaces[0].enforcing = true;
	snprintf(s->ifaces[1].name, sizeof(s->ifaces[1].name), "eth2");
	return 0;
}

void fwc_snapshot_free(struct fwc_snapshot *s)
{
	for (int i = 0; i < s->n_sets; i++)
		free(s->sets[i].rows);
	free(s->sets);
	free(s->ifaces);
}

/* ---- helpers ------------------------------------------------------------ */

static char dir[] = "/tmp/fwc-test-ops-XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *conf_path(void)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/fwc.conf", dir);
	return path;
}

/* What @fn writes to stdout (fwc_watch prints there). */
static char *capture_stdout(int (*fn)(void *), void *arg, int *ret)
{
	char path[256], *text;
	int fd, saved;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/stdout", dir);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	*ret = fn(arg);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

static void has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("missing '%s' in:\n%s", needle, hay);
}

/* ---- fwc.conf ----------------------------------------------------------- */

static void test_conf(void **state)
{
	struct fwc_instance in;
	char want[256];

	(void)state;
	write_file("fwc.conf", "# gateways\n"
			       "edge  edge.pol  eth1 eth2 mode=generic\n"
			       "core /abs/core.pol eth3 unload-on-stop=yes\n"
			       "\n"
			       "bad mode.pol eth4 mode=fast\n"
			       "twice a.pol eth5\ntwice b.pol eth6\n"
			       "noiface x.pol mode=auto\n");
	assert_int_equal(fwc_instance_resolve("edge", conf_path(), &in), 0);
	snprintf(want, sizeof(want), "%s/edge.pol", dir);
	assert_string_equal(in.policy, want);
	assert_int_equal(in.n_ifaces, 2);
	assert_string_equal(in.ifaces[0], "eth1");
	assert_string_equal(in.ifaces[1], "eth2");
	assert_true(in.mode_set);
	assert_int_equal(in.mode, FWC_MODE_GENERIC);
	assert_false(fwc_unload_on_stop(&in));
	fwc_instance_free(&in);

	assert_int_equal(fwc_instance_resolve("core", conf_path(), &in), 0);
	assert_string_equal(in.policy, "/abs/core.pol");
	assert_false(in.mode_set);
	assert_true(fwc_unload_on_stop(&in));
	fwc_instance_free(&in);

	/* Errors name the file and line; nothing is returned half made. */
	assert_int_not_equal(fwc_instance_resolve("bad", conf_path(), &in), 0);
	assert_int_not_equal(fwc_instance_resolve("twice", conf_path(), &in),
			     0);
	assert_int_not_equal(fwc_instance_resolve("noiface", conf_path(), &in),
			     0);
	assert_int_not_equal(fwc_instance_resolve("a/b", conf_path(), &in), 0);
	/* No line: NAME.pol beside the file, on the interface NAME. */
	assert_int_equal(fwc_instance_resolve("eth9", conf_path(), &in),
			 -ENOENT);
	write_file("eth9.pol", "allow any -> any any\n");
	assert_int_equal(fwc_instance_resolve("eth9", conf_path(), &in), 0);
	assert_int_equal(in.n_ifaces, 1);
	assert_string_equal(in.ifaces[0], "eth9");
	fwc_instance_free(&in);
}

/* ---- Prometheus exposition ---------------------------------------------- */

static int print_metrics(void *arg)
{
	return fwc_metrics_print("/nonexistent", NULL, 0, arg);
}

static void test_metrics(void **state)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	reads = 0;
	assert_int_equal(print_metrics(f), 0);
	fclose(f);
	has(text, "# TYPE fwc_rule_packets_total counter\n");
	has(text, "fwc_rule_packets_total{iface=\"eth1,eth2\",rule=\"1\"");
	/* Label values escape quotes and backslashes. */
	has(text, "label=\"web \\\"a\\\\b\\\"\"");
	has(text, "} 10\n");
	has(text, "fwc_rule_bytes_total{iface=\"eth1,eth2\",rule=\"2\"");
	has(text, "} 3000\n");
	has(text, "fwc_reserved_packets_total{iface=\"eth1,eth2\","
		  "counter=\"source-route\",action=\"drop\"} 5\n");
	has(text, "fwc_policy_rules{iface=\"eth1,eth2\"} 2\n");
	has(text, "fwc_policy_loaded_timestamp_seconds{iface=\"eth1,eth2\"} "
		  "1700000000\n");
	has(text, "fwc_interface_enforcing{iface=\"eth1\"} 1\n");
	has(text, "fwc_interface_enforcing{iface=\"eth2\"} 0\n");
	/* Every family is announced once, before its samples. */
	assert_null(strstr(strstr(text, "# TYPE fwc_rule_packets_total") + 1,
			   "# TYPE fwc_rule_packets_total"));
	free(text);
}

/* ---- fwc stats --watch -------------------------------------------------- */

static int watch_two(void *arg)
{
	return fwc_watch("/nonexistent", NULL, 0, arg);
}

static void test_watch(void **state)
{
	struct fwc_watch_opts o = { .interval = 0.01, .count = 2 };
	enum fwc_sort s;
	char *text, *second, *a, *b, *c;
	int ret;

	(void)state;
	assert_int_equal(fwc_sort_parse("packets", &o.sort), 0);
	assert_int_equal(o.sort, FWC_SORT_PACKETS);
	assert_int_equal(fwc_sort_parse("rate", &s), 0);
	assert_int_equal(s, FWC_SORT_RATE);
	assert_int_not_equal(fwc_sort_parse("speed", &s), 0);

	reads = 0;
	text = capture_stdout(watch_two, &o, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(reads, 2);
	/* The second frame has rates: one second between the fake reads. */
	second = strstr(text, "eth1 eth2: /etc/fwc/gw.pol");
	assert_non_null(second);
	second = strstr(second + 1, "eth1 eth2: /etc/fwc/gw.pol");
	assert_non_null(second);
	/* Largest first: rule 2 (60), default (40), web (20). */
	a = strstr(second, "rule text 2");
	b = strstr(second, "default");
	c = strstr(second, "web");
	assert_true(a && b && c && a < b && b < c);
	has(second, "6000        30      3.0k"); /* pkts/s, bytes/s of rule 2 */
	has(second, "total");
	free(text);

	/* --filter keeps the matching rows and says how many it hid. */
	o.filter = "web";
	o.count = 1;
	text = capture_stdout(watch_two, &o, &ret);
	assert_int_equal(ret, 0);
	has(text, "(3 rows hidden by --filter)");
	assert_null(strstr(text, "rule text 2"));
	free(text);
}

/* ---- the lockout guard -------------------------------------------------- */

/* fwc_guard_check of policy @text for a load on @iface, with --keep @keep. */
static int guard(const char *text, const char *iface, const char *keep,
		 bool force)
{
	struct compiled c = compile_text(text);
	char *ifaces[] = { (char *)iface }, *keeps[] = { (char *)keep };
	struct fwc_load_opts o = {
		.policy = "g.pol",
		.ifaces = ifaces,
		.n_ifaces = 1,
		.force = force,
		.keep = keeps,
		.n_keep = keep ? 1 : 0,
	};
	int err;

	assert_int_equal(c.err, 0);
	err = fwc_guard_check(&o, c.t);
	compiled_free(&c);
	return err;
}

#define SSH_ALLOWED "allow 127.0.0.2 -> 127.0.0.1 proto tcp port 22\n"
#define SSH_DENIED "allow 127.0.0.3 -> 127.0.0.1 proto tcp port 22\n"

static void test_guard(void **state)
{
	(void)state;
	unsetenv("SSH_CONNECTION");
	/* --keep is always judged. */
	assert_int_equal(guard(SSH_ALLOWED, "lo",
			       "tcp 127.0.0.2 -> "
			       "127.0.0.1:22",
			       false),
			 0);
	assert_int_equal(guard(SSH_DENIED, "lo",
			       "tcp 127.0.0.2 -> 127.0.0.1:22", false),
			 -EPERM);
	assert_int_equal(guard(SSH_DENIED, "lo",
			       "tcp 127.0.0.2 -> 127.0.0.1:22", true),
			 0);
	assert_int_equal(guard("set mode audit\n" SSH_DENIED, "lo",
			       "tcp 127.0.0.2 -> 127.0.0.1:22", false),
			 0);
	assert_int_equal(guard(SSH_DENIED, "lo", "tcp 127.0.0.2 => x", false),
			 -EINVAL);
	/* The session fwc runs from: its server is local, its route is lo. */
	setenv("SSH_CONNECTION", "127.0.0.2 50000 127.0.0.1 22", 1);
	assert_int_equal(guard(SSH_ALLOWED, "lo", NULL, false), 0);
	assert_int_equal(guard(SSH_DENIED, "lo", NULL, false), -EPERM);
	/* Not loaded where the session comes in: it cannot meet the policy. */
	assert_int_equal(guard(SSH_DENIED, "fwct-none0", NULL, false), 0);
	/* Its server is another host: nothing of ours to lock out. */
	setenv("SSH_CONNECTION", "127.0.0.2 50000 198.51.100.1 22", 1);
	assert_int_equal(guard(SSH_DENIED, "lo", NULL, false), 0);
	/* Unreadable: told, not checked. */
	setenv("SSH_CONNECTION", "not an address", 1);
	assert_int_equal(guard(SSH_DENIED, "lo", NULL, false), 0);
	unsetenv("SSH_CONNECTION");
}

/* ---- fwc status's explanations ------------------------------------------ */

/* Facts of a healthy interface eth1 (ifindex 4) running program 42. */
static struct fwc_iface_facts healthy(void)
{
	return (struct fwc_iface_facts){
		.name = "eth1",
		.ifindex = 4,
		.link = true,
		.link_ifindex = 4,
		.link_prog = 42,
		.recorded_ifindex = 4,
		.xdp_id = 42,
		.xdp_name = "fwc_xdp",
		.pinned_prog = 42,
		.complete = true,
		.n_pins = 27,
		.missing = "",
	};
}

/* @f explained: enforcing as @enf, and the text holds @needle. */
static void explains(const struct fwc_iface_facts *f, bool enf,
		     const char *needle)
{
	char why[1024];
	bool e = fwc_iface_explain(f, why, sizeof(why));

	if (e != enf || (needle ? !strstr(why, needle) : why[0] != '\0'))
		fail_msg("enforcing %d (expected %d), why: '%s' (expected "
			 "'%s')",
			 e, enf, why, needle ? needle : "");
}

static void test_explain(void **state)
{
	struct fwc_iface_facts f = healthy();

	(void)state;
	explains(&f, true, NULL);
	/* An unload killed between its detach and the removal of pins. */
	f.link_ifindex = 0;
	f.xdp_id = 0;
	explains(&f, false,
		 "not enforcing: the program was detached but "
		 "its pins remain (an interrupted unload?)");
	/* ... where the interface was deleted and made again. */
	f.ifindex = 9;
	explains(&f, false, "the interface was deleted and made again");
	/* ... or deleted. */
	f.ifindex = 0;
	explains(&f, false, "not enforcing: the interface is gone");
	/* One pin removed by hand: enforcing, but not whole. */
	f = healthy();
	f.complete = false;
	f.n_pins = 26;
	f.missing = "v6_range";
	explains(&f, true, "enforcing, but pins missing: v6_range");
	/* Every pin removed, the program still attached. */
	f.link = false;
	f.link_ifindex = 0;
	f.pinned_prog = 0;
	f.n_pins = 0;
	explains(&f, true, "enforcing without pins");
	/* Nothing pinned, nothing attached. */
	f.xdp_id = 0;
	explains(&f, false,
		 "not enforcing: nothing pinned and nothing "
		 "attached");
	/* Some pins gone and nothing of fwc runs. */
	f.n_pins = 5;
	f.missing = "counters, labels";
	explains(&f, false,
		 "not enforcing: pins missing: counters, labels, "
		 "link, and no fwc program attached");
	/* The link drives another interface; another program attached. */
	f = healthy();
	f.link_ifindex = 7;
	explains(&f, false, "drives ifindex 7");
	/* Pins without a link, and a program someone else attached. */
	f = healthy();
	f.link = false;
	f.link_ifindex = 0;
	f.xdp_id = 77;
	f.xdp_name = "xdp_other";
	explains(&f, false,
		 "nothing enforces here (fwc load again, or fwc "
		 "unload); eth1 runs XDP program 77 (xdp_other) "
		 "that something else attached");
	/* The pinned tables are not the running program's. */
	f = healthy();
	f.pinned_prog = 41;
	explains(&f, true, "an interrupted load");
	/* Half-made pins of an interrupted load. */
	f = healthy();
	f.complete = false;
	f.stale_new = true;
	explains(&f, true, "an fwc program enforces meanwhile");
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),	cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_watch),	cmocka_unit_test(test_guard),
		cmocka_unit_test(test_explain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
