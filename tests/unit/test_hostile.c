// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Hostile policy files (issue 10): inputs built to crash, hang or mislead
 * the compiler get a clear error at file:line:col, or work.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "helpers.h"

/* A growable string for the big generated policies. */
struct text {
	char *s;
	size_t n, cap;
};

static void __attribute__((format(printf, 2, 3)))
add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (t->n + (size_t)n < t->cap)
			break;
		t->cap = t->cap * 2 + (size_t)n + 64;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
	t->n += (size_t)n;
}

static void add_rep(struct text *t, const char *s, size_t times)
{
	for (size_t i = 0; i < times; i++)
		add(t, "%s", s);
}

/* ---- 6: nesting ----------------------------------------------------- */

#define DEEP_ERR "nesting too deep: more than 256 levels"

static void test_deep_braces(void **state)
{
	struct text t = { 0 };

	(void)state;
	add(&t, "zone a = ");
	add_rep(&t, "{", 50000);
	add(&t, "10.0.0.1");
	add_rep(&t, "}", 50000);
	add(&t, "\nallow a -> a any\n");
	/* The 257th '{' is at column 10 + 256. */
	expect_error(t.s, "t.pol:1:266: error: " DEEP_ERR " of '{' and '!'",
		     NULL);
	free(t.s);

	t = (struct text){ 0 };
	add(&t, "allow any -> any service ");
	add_rep(&t, "{ ", 50000);
	add(&t, "any");
	add_rep(&t, " }", 50000);
	add(&t, "\n");
	expect_error(t.s, DEEP_ERR, NULL);
	free(t.s);
}

static void test_deep_bangs(void **state)
{
	struct text t = { 0 };

	(void)state;
	add(&t, "zone a = ");
	add_rep(&t, "!", 100000);
	add(&t, "10.0.0.1\nallow a -> any any\n");
	expect_error(t.s, "t.pol:1:266: error: " DEEP_ERR, NULL);
	free(t.s);

	t = (struct text){ 0 };
	add(&t, "allow any -> any proto tcp port ");
	add_rep(&t, "!", 100000);
	add(&t, "80\n");
	expect_error(t.s, DEEP_ERR, NULL);
	free(t.s);
}

/* zone z0 = z1 ... zone zN = 10.0.0.1, and the same of defines, services. */
static char *chain(const char *kind, const char *ref, const char *last,
		   unsigned int n, const char *rule)
{
	struct text t = { 0 };

	for (unsigned int i = 0; i < n; i++)
		add(&t, "%s %s%u = %s%s%u\n", kind, kind[0] == 'd' ? "d" : "z",
		    i, ref, kind[0] == 'd' ? "d" : "z", i + 1);
	add(&t, "%s %s%u = %s\n%s\n", kind, kind[0] == 'd' ? "d" : "z", n, last,
	    rule);
	return t.s;
}

static void test_deep_chains(void **state)
{
	char *s;

	(void)state;
	s = chain("zone", "", "10.0.0.1", 100000, "allow z0 -> z0 any");
	/* z0 is level 2 under the rule's source: z256 is level 258. */
	expect_error(s, "t.pol:256:13: error: " DEEP_ERR,
		     "t.pol:100002:7: note: in the expansion of this", NULL);
	free(s);
	s = chain("define", "$", "80", 100000,
		  "allow any -> any proto tcp port $d0");
	expect_error(s, DEEP_ERR, "define d254 = $d255", NULL);
	free(s);
	s = chain("service", "", "proto tcp port 80", 100000,
		  "allow any -> any service z0");
	expect_error(s, DEEP_ERR, NULL);
	free(s);
}

/* Deep but within the bound compiles; the bound counts memoized zones. */
static void test_deep_within_bound(void **state)
{
	struct text t = { 0 };
	struct compiled c;
	char *s;

	(void)state;
	add(&t, "zone a = ");
	add_rep(&t, "{", 200);
	add(&t, "10.0.0.1");
	add_rep(&t, "}", 200);
	add(&t, "\nallow a -> !!!!10.0.0.2 proto tcp port { { !!8080 } }\n");
	c = compile_text(t.s);
	assert_int_equal(c.err, 0);
	assert_int_equal(classify(&c, "tcp 10.0.0.1:1 -> 10.0.0.2:8080"), 1);
	compiled_free(&c);
	free(t.s);

	s = chain("zone", "", "10.0.0.1", 200, "allow z0 -> z0 any");
	c = compile_text(s);
	assert_int_equal(c.err, 0);
	compiled_free(&c);
	free(s);

	/* z0 is resolved (200 deep) by rule 1; w puts it 100 deeper. */
	s = chain("zone", "", "10.0.0.1", 200, "allow z0 -> z0 any");
	t = (struct text){ 0 };
	add(&t, "%szone w = ", s);
	add_rep(&t, "{", 100);
	add(&t, "z0");
	add_rep(&t, "}", 100);
	add(&t, "\nallow w -> any any\n");
	expect_error(t.s, DEEP_ERR, NULL);
	free(t.s);
	free(s);
}

/* ---- 7: what a path may name ------------------------------------------ */

/* Compiles @path as fwc check does; returns the error, *@diag its text. */
static int compile_path(const char *path, char **diag)
{
	struct fwc_compile_opts opts = { .warnings = true };
	struct fwc_tables *t = NULL;
	size_t n;
	FILE *f = open_memstream(diag, &n);
	int err;

	opts.err = f;
	err = fwc_tables_open(path, &opts, &t);
	fclose(f);
	fwc_tables_free(t);
	return err;
}

static void expect_unreadable(const char *path, int err, const char *needle)
{
	char *text = NULL, *diag = NULL;
	size_t len = 0;

	assert_int_equal(fwc_read_file(path, &text, &len), err);
	assert_null(text);
	assert_int_equal(compile_path(path, &diag), err);
	if (!strstr(diag, needle))
		fail_msg("%s: diagnostic lacks '%s':\n%s", path, needle, diag);
	free(diag);
}

#define NOT_REGULAR                                                        \
	"error: cannot read policy: not a regular file (a FIFO, a device " \
	"or a socket): give a file, or - for standard input"

static void test_fifo_does_not_hang(void **state)
{
	char dir[] = "/tmp/fwc-test-fifo-XXXXXX", path[64];
	struct fwc_tables *t = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.pol", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10); /* a hang is a failure, not a stuck test run */
	expect_unreadable(path, -ESPIPE, NOT_REGULAR);
	assert_int_not_equal(fwc_artifact_read(path, &t), 0);
	assert_null(t);
	alarm(0);
	unlink(path);
	rmdir(dir);
}

static void test_devices_refused(void **state)
{
	char *diag = NULL;

	(void)state;
	alarm(10);
	expect_unreadable("/dev/zero", -ESPIPE, "/dev/zero: " NOT_REGULAR);
	expect_unreadable("/dev/urandom", -ESPIPE, NOT_REGULAR);
	expect_unreadable("/dev/null", -ESPIPE, NOT_REGULAR);
	/* Regular, st_size 0, and unreadable: an error, not "empty". */
	assert_int_not_equal(compile_path("/proc/self/mem", &diag), 0);
	assert_null(strstr(diag, "empty policy"));
	assert_non_null(strstr(diag, "cannot read policy"));
	free(diag);
	alarm(0);
}

/* /proc files say st_size 0 and have content: what is there is read. */
static void test_size_zero_files_read_whole(void **state)
{
	char *text = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(fwc_read_file("/proc/self/status", &text, &len), 0);
	assert_true(len > 0);
	assert_non_null(strstr(text, "Pid:"));
	assert_int_equal(strlen(text), len);
	free(text);
}

static void test_too_big(void **state)
{
	char path[] = "/tmp/fwc-test-big-XXXXXX", *text = NULL;
	int fd = mkstemp(path);
	size_t len;

	(void)state;
	assert_true(fd >= 0);
	/* Sparse: 64 MiB and one byte cost no disk. */
	assert_int_equal(ftruncate(fd, (off_t)FWC_MAX_FILE_BYTES + 1), 0);
	close(fd);
	expect_unreadable(path, -EFBIG,
			  "error: cannot read policy: larger than 64 MiB");
	/* At the bound exactly, it is read (and is no policy). */
	assert_int_equal(truncate(path, (off_t)FWC_MAX_FILE_BYTES), 0);
	assert_int_equal(fwc_read_file(path, &text, &len), 0);
	assert_int_equal(len, FWC_MAX_FILE_BYTES);
	free(text);
	unlink(path);
}

/* "-" is standard input, read to its end (a pipe says no size). */
static void test_stdin(void **state)
{
	static const char pol[] = "zone a = 192.0.2.0/24\n"
				  "allow a -> a proto tcp port 22\n"
				  "allow a -> b any\n";
	int p[2], saved = dup(STDIN_FILENO);
	char *diag = NULL;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], pol, sizeof(pol) - 1),
			 (ssize_t)sizeof(pol) - 1);
	close(p[1]);
	assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
	assert_int_equal(compile_path("-", &diag), -EINVAL);
	dup2(saved, STDIN_FILENO);
	close(saved);
	/* The whole text was read: the error is on line 3, named <stdin>. */
	if (!strstr(diag, "<stdin>:3:12: error: unknown zone 'b'"))
		fail_msg("unexpected diagnostic:\n%s", diag);
	free(diag);
}

/* ---- 8: bounded output ---------------------------------------------- */

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

#define N_UNUSED 100000u

static char *unused_zones(void)
{
	struct text t = { 0 };

	for (unsigned int i = 0; i < N_UNUSED; i++)
		add(&t, "zone z%u = 10.%u.%u.%u\n", i, i >> 16 & 255,
		    i >> 8 & 255, i & 255);
	add(&t, "allow 192.0.2.1 -> 192.0.2.2 proto tcp port 22\n");
	return t.s;
}

/* The first 20 of a kind, then how many more; the count stays whole. */
static void test_warnings_capped(void **state)
{
	struct fwc_compile_opts opts = { .warnings = true };
	char *s = unused_zones(), more[64];
	struct compiled c;

	(void)state;
	c = compile_text(s);
	assert_int_equal(c.err, 0);
	assert_int_equal(fwc_last_warnings, N_UNUSED);
	assert_int_equal(count(c.diag, "is never used"), 20);
	snprintf(more, sizeof(more),
		 "t.pol: note: and %u more unused warnings (not shown)\n",
		 N_UNUSED - 20);
	if (!strstr(c.diag, more))
		fail_msg("no '%s' in:\n%.2000s", more, c.diag);
	assert_true(c.diag_len < 8192);
	compiled_free(&c);

	opts.json = true;
	c = compile_text_opts(s, opts);
	assert_int_equal(c.err, 0);
	assert_int_equal(count(c.diag, "\"kind\": \"unused\""), 21);
	snprintf(more, sizeof(more), "\"more\": %u}", N_UNUSED - 20);
	assert_non_null(strstr(c.diag, more));
	assert_true(c.diag_len < 8192);
	compiled_free(&c);
	free(s);
}

/* One warning of each of two kinds under the cap: no "more" line. */
static void test_few_warnings_whole(void **state)
{
	struct compiled c = compile_text("zone a = 192.0.2.1\n"
					 "zone b = 192.0.2.2\n"
					 "allow any -> any proto tcp port 1\n"
					 "allow any -> any proto tcp port 1\n");

	(void)state;
	assert_int_equal(c.err, 0);
	assert_int_equal(count(c.diag, "is never used"), 2);
	assert_null(strstr(c.diag, "more"));
	compiled_free(&c);
}

/* A 4 MB token (10 MB in the issue) is quoted by its first 32 bytes. */
static void test_long_tokens_shortened(void **state)
{
	size_t n = 4u << 20;
	char *big = malloc(n + 1), *s = malloc(2 * n + 256);
	struct compiled c;

	(void)state;
	memset(big, 'x', n);
	big[n] = '\0';
	sprintf(s, "allow %s -> any any\n", big);
	c = compile_text(s);
	assert_int_not_equal(c.err, 0);
	assert_non_null(strstr(c.diag,
			       "t.pol:1:7: error: unknown zone "
			       "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"));
	assert_true(c.diag_len < 4096);
	compiled_free(&c);

	sprintf(s, "zone %s = 192.0.2.1\nallow any -> any any\n", big);
	c = compile_text(s);
	assert_int_equal(c.err, 0);
	assert_non_null(strstr(c.diag, "zone 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				       "...' is never used"));
	assert_true(c.diag_len < 4096);
	compiled_free(&c);

	memset(big, '9', n);
	sprintf(s, "allow any -> any proto tcp port %s\n", big);
	c = compile_text(s);
	assert_int_not_equal(c.err, 0);
	assert_non_null(strstr(c.diag,
			       "port out of range in "
			       "'99999999999999999999999999999999...'"));
	assert_true(c.diag_len < 4096);
	compiled_free(&c);

	sprintf(s, "set timeout tcp-syn %s\n", big);
	expect_error(s, "timeout out of range in '9999", NULL);
	c = compile_text(s);
	assert_true(c.diag_len < 4096);
	compiled_free(&c);

	memset(big, 'l', n);
	sprintf(s,
		"allow any -> any proto tcp port 1 label \"%s\"\n"
		"allow any -> any proto tcp port 2 label \"%s\"\n",
		big, big);
	c = compile_text(s);
	assert_int_equal(c.err, 0);
	assert_non_null(strstr(c.diag, "label \"llllllllllllllllllllllllllllll"
				       "ll...\" is also used by rule 1"));
	assert_true(c.diag_len < 4096);
	compiled_free(&c);
	free(big);
	free(s);
}

/* Many labelled rules: duplicate labels are found without n^2 compares. */
static void test_many_labels(void **state)
{
	struct text t = { 0 };
	struct compiled c;

	(void)state;
	for (unsigned int i = 0; i < 20000; i++)
		add(&t,
		    "allow 10.%u.%u.%u -> 192.0.2.1 proto tcp port 22 "
		    "label \"r%u\"\n",
		    i >> 16 & 255, i >> 8 & 255, i & 255, i);
	add(&t, "allow any -> 192.0.2.1 proto tcp port 23 label \"r7\"\n");
	c = compile_text(t.s);
	assert_int_equal(c.err, 0);
	assert_non_null(strstr(c.diag, "t.pol:20001:1: warning: label \"r7\" "
				       "is also used by rule 8"));
	compiled_free(&c);
	free(t.s);
}

/* ---- 9: messages that say what is wrong, and where ------------------ */

/* @len bytes of @text, NULs included. */
static struct compiled compile_bytes(const char *text, size_t len)
{
	struct fwc_compile_opts opts = { .warnings = true };
	struct compiled c = { 0 };
	FILE *f = open_memstream(&c.diag, &c.diag_len);

	opts.err = f;
	c.err = fwc_compile("t.pol", text, len, &opts, &c.t, &c.pol);
	fclose(f);
	return c;
}

static void test_nul_byte_position(void **state)
{
	static const char pol[] =
		"allow any -> any any\nallow a\0 -> any any\n";
	struct compiled c = compile_bytes(pol, sizeof(pol) - 1);

	(void)state;
	assert_int_not_equal(c.err, 0);
	if (!strstr(c.diag, "t.pol:2:8: error: a NUL byte: binary data, not "
			    "a policy file\n  allow a? -> any any\n         ^"))
		fail_msg("unexpected diagnostic:\n%s", c.diag);
	compiled_free(&c);
}

static void test_ipv4_mapped(void **state)
{
	struct compiled c;

	(void)state;
	expect_error("allow ::ffff:1.2.3.4 -> any any\n",
		     "t.pol:1:7: error: IPv4-mapped IPv6 address "
		     "'::ffff:1.2.3.4' matches no packet: write 1.2.3.4",
		     NULL);
	expect_error("allow any -> ::ffff:a00:1 any\n",
		     "t.pol:1:14: error: IPv4-mapped IPv6 address "
		     "'::ffff:a00:1' matches no packet: write 10.0.0.1",
		     NULL);
	expect_error("zone z = { ::ffff:10.0.0.0/104 }\nallow z -> any any\n",
		     "t.pol:1:12: error: IPv4-mapped IPv6 prefix "
		     "'::ffff:10.0.0.0/104' matches no packet: write "
		     "10.0.0.0/8",
		     NULL);
	expect_error("allow ::ffff:10.0.0.1-::ffff:10.0.0.9 -> any any\n",
		     "IPv4-mapped IPv6 range '::ffff:10.0.0.1-::ffff:10.0.0.9' "
		     "matches no packet: write 10.0.0.1-10.0.0.9",
		     NULL);
	/* Wider sets that merely contain ::ffff:0:0/96 are fine. */
	c = compile_text("allow ::/0 -> ::fffe:0:0/95 proto tcp port 1\n"
			 "allow 10.0.0.1 -> 2001:db8::1 proto tcp port 2\n");
	assert_int_equal(c.err, 0);
	compiled_free(&c);
}

static void test_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"\xff",		"\x80",
		"\xc0\xaf", /* overlong '/' */
		"\xed\xa0\x80", /* surrogate */ "\xf4\x90\x80\x80",
		"\xe2\x82",	"\xc3",
	};
	char pol[128];
	struct compiled c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(pol, sizeof(pol),
			 "allow any -> any proto tcp port 1 label \"ab%s\"\n",
			 bad[i]);
		expect_error(pol,
			     "t.pol:1:44: error: invalid UTF-8 in string (byte "
			     "0x",
			     NULL);
	}
	/* Whole characters of 2, 3 and 4 bytes pass, and stay as written. */
	c = compile_text("allow any -> any proto tcp port 1 label "
			 "\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\"\n");
	assert_int_equal(c.err, 0);
	assert_string_equal(c.pol->rules[0].label,
			    "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80");
	compiled_free(&c);
}

static void test_bom_skipped(void **state)
{
	struct compiled c;

	(void)state;
	c = compile_text("\xef\xbb\xbfzone a = 192.0.2.0/24\n"
			 "allow a -> any proto tcp port 22\n");
	assert_int_equal(c.err, 0);
	assert_int_equal(classify(&c, "tcp 192.0.2.1:1 -> 10.0.0.1:22"), 1);
	compiled_free(&c);
	/* Columns count from after the mark, and it is not quoted. */
	c = compile_text("\xef\xbb\xbf"
			 "allow b -> any any\n");
	assert_int_not_equal(c.err, 0);
	if (!strstr(c.diag, "t.pol:1:7: error: unknown zone 'b'\n"
			    "  allow b -> any any\n        ^"))
		fail_msg("unexpected diagnostic:\n%s", c.diag);
	compiled_free(&c);
	expect_error("\xef\xbb\xbf\n# nothing\n", "empty policy", NULL);
	/* Only at the start: elsewhere it is a stray byte. */
	expect_error("allow any -> any any\n\xef\xbb\xbf\n",
		     "t.pol:2:1: error: unexpected byte 0xef", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deep_braces),
		cmocka_unit_test(test_deep_bangs),
		cmocka_unit_test(test_deep_chains),
		cmocka_unit_test(test_deep_within_bound),
		cmocka_unit_test(test_fifo_does_not_hang),
		cmocka_unit_test(test_devices_refused),
		cmocka_unit_test(test_size_zero_files_read_whole),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_warnings_capped),
		cmocka_unit_test(test_few_warnings_whole),
		cmocka_unit_test(test_long_tokens_shortened),
		cmocka_unit_test(test_many_labels),
		cmocka_unit_test(test_nul_byte_position),
		cmocka_unit_test(test_ipv4_mapped),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_bom_skipped),
	};
	/* FWC_TEST_FILTER=test_stdin runs one test (cmocka's glob). */
	if (getenv("FWC_TEST_FILTER"))
		cmocka_set_test_filter(getenv("FWC_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
