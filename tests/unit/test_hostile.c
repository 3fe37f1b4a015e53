// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Hostile policy files (issue 10): inputs built to crash, hang or mislead
 * the compiler get a clear error at file:line:col, or work.
 */
#include <errno.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deep_braces),
		cmocka_unit_test(test_deep_bangs),
		cmocka_unit_test(test_deep_chains),
		cmocka_unit_test(test_deep_within_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
