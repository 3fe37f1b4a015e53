// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * `set mode`, `set log default`, `set log rate` and rules marked `log`:
 * what the tables carry for the datapath (bpf/log.h), errors, and the
 * artifact that a commit-confirmed rollback reloads.
 */
#include <errno.h>
#include <unistd.h>

#include "helpers.h"

#define R                                                              \
	"deny log 192.0.2.0/24 -> 198.51.100.0/24 proto tcp port 22\n" \
	"allow 192.0.2.0/24 -> 198.51.100.0/24 proto tcp port 80\n"

static void test_defaults(void **state)
{
	struct compiled c = compile_text(R);

	(void)state;
	assert_int_equal(c.err, 0);
	assert_false(c.t->meta.flags & FWC_META_AUDIT);
	assert_int_equal(c.t->meta.log_rate, FWC_LOG_RATE_DEFAULT);
	assert_int_equal(c.t->rules[0].flags, 0); /* default deny */
	assert_int_equal(c.t->rules[1].flags, FWC_RULE_LOG);
	assert_int_equal(c.t->rules[2].flags, 0);
	compiled_free(&c);
}

static void test_set(void **state)
{
	struct compiled c;

	(void)state;
	c = compile_text("set mode audit\nset log default on\n"
			 "set log rate 250\n" R);
	assert_int_equal(c.err, 0);
	assert_true(c.t->meta.flags & FWC_META_AUDIT);
	assert_true(c.pol->audit);
	assert_int_equal(c.t->meta.log_rate, 250);
	assert_int_equal(c.t->rules[0].flags, FWC_RULE_LOG);
	compiled_free(&c);

	/* The last one wins, as for every option. */
	c = compile_text("set mode audit\nset mode enforce\n"
			 "set log default on\nset log default off\n"
			 "set log rate 1\nset log rate 1000000\n" R);
	assert_int_equal(c.err, 0);
	assert_false(c.t->meta.flags & FWC_META_AUDIT);
	assert_int_equal(c.t->rules[0].flags, 0);
	assert_int_equal(c.t->meta.log_rate, FWC_LOG_RATE_MAX);
	compiled_free(&c);

	/* The log rule of `set default allow` logs what it allows. */
	c = compile_text("set default allow\nset log default on\n" R);
	assert_int_equal(c.err, 0);
	assert_int_equal(c.t->rules[0].action, FWC_ACT_ALLOW);
	assert_int_equal(c.t->rules[0].flags, FWC_RULE_LOG);
	compiled_free(&c);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("set mode learn\n" R,
		     "t.pol:1:10: error: expected 'audit' or 'enforce' after "
		     "'set mode'",
		     NULL);
	expect_error("set log everything\n" R,
		     "t.pol:1:9: error: expected 'default' or 'rate' after "
		     "'set log'",
		     NULL);
	expect_error("set log default\n" R,
		     "t.pol:1:16: error: expected a value (set log default "
		     "on|off, set log rate N), found end of line",
		     NULL);
	expect_error("set log default yes\n" R,
		     "t.pol:1:17: error: expected 'on' or 'off' after 'set log "
		     "default'",
		     NULL);
	expect_error("set log rate 0\n" R,
		     "t.pol:1:14: error: expected events per second "
		     "(1-1000000) after 'set log rate', found '0'",
		     NULL);
	expect_error("set log rate 1000001\n" R, "found '1000001'", NULL);
	expect_error("set log rate 10/s\n" R, "found '10/s'", NULL);
	expect_error("set log rate 99999999999999999999999\n" R,
		     "expected events per second", NULL);
	expect_error("set log rate 5 6\n" R,
		     "t.pol:1:16: error: expected end of line, found '6'",
		     NULL);
	expect_error("set logs on\n" R,
		     "unknown option 'logs': expected default, non-ip, "
		     "state, timeout, mode, log or source-route",
		     NULL);
}

/* The artifact keeps the log options and audit mode, for a rollback. */
static void test_artifact(void **state)
{
	struct compiled c = compile_text("set mode audit\nset log rate 7\n"
					 "set log default on\n" R);
	struct fwc_tables *t = artifact_roundtrip(&c);

	(void)state;
	assert_true(t->meta.flags & FWC_META_AUDIT);
	assert_int_equal(t->meta.log_rate, 7);
	assert_int_equal(t->rules[0].flags, FWC_RULE_LOG);
	assert_int_equal(t->rules[1].flags, FWC_RULE_LOG);
	fwc_tables_free(t);
	compiled_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_artifact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
