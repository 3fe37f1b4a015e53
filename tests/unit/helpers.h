/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Shared by the unit tests: compile text, capture diagnostics, classify. */
#ifndef FWC_TEST_HELPERS_H
#define FWC_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "compile.h"
#include "packet.h"
#include "resolve.h"

struct compiled {
	int err;
	char *diag; /* everything printed, errors and warnings */
	size_t diag_len;
	struct fwc_tables *t;
	struct fwc_policy *pol;
};

static inline struct compiled compile_text_opts(const char *text,
						struct fwc_compile_opts opts)
{
	struct compiled c = { 0 };
	FILE *f = open_memstream(&c.diag, &c.diag_len);

	opts.err = f;
	c.err = fwc_compile("t.pol", text, strlen(text), &opts, &c.t, &c.pol);
	fclose(f);
	return c;
}

static inline struct compiled compile_text(const char *text)
{
	struct fwc_compile_opts opts = { .warnings = true };

	return compile_text_opts(text, opts);
}

static inline void compiled_free(struct compiled *c)
{
	fwc_tables_free(c->t);
	fwc_policy_destroy(c->pol);
	free(c->diag);
	memset(c, 0, sizeof(*c));
}

/* Asserts that @text fails with a diagnostic containing every @needle. */
static inline void expect_error(const char *text, ...)
{
	struct compiled c = compile_text(text);
	const char *needle;
	va_list ap;

	if (c.err == 0)
		fail_msg("expected an error for:\n%s", text);
	va_start(ap, text);
	while ((needle = va_arg(ap, const char *)))
		if (!strstr(c.diag, needle))
			fail_msg("diagnostic lacks '%s':\n%s", needle, c.diag);
	va_end(ap);
	compiled_free(&c);
}

/* Rule id both classifiers give; fails when they disagree. */
static inline uint32_t classify(const struct compiled *c, const char *pkt)
{
	struct fwc_packet p;
	char err[128];
	size_t col;
	uint32_t a, b;

	if (fwc_packet_parse(pkt, &p, err, sizeof(err), &col))
		fail_msg("bad packet '%s': %s", pkt, err);
	a = fwc_tables_classify(c->t, &p);
	b = fwc_reference_classify(c->pol, &p);
	if (a != b)
		fail_msg("tables say rule %u, reference says %u for %s", a, b,
			 pkt);
	return a;
}

/*
 * @c written as an artifact and read back: the tables fwc load would get
 * (the caller frees them). Its header must come back byte for byte.
 */
static inline struct fwc_tables *artifact_roundtrip(const struct compiled *c)
{
	char path[] = "/tmp/fwc-test-artifact-XXXXXX";
	struct fwc_tables *t = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(c->err, 0);
	assert_int_equal(fwc_artifact_write(c->t, path), 0);
	assert_int_equal(fwc_artifact_read(path, &t), 0);
	unlink(path);
	assert_memory_equal(&t->meta, &c->t->meta, sizeof(t->meta));
	return t;
}

#endif
