// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* `set state` and `set timeout`: values, defaults, errors, the artifact. */
#include <errno.h>
#include <unistd.h>

#include "helpers.h"

#define R "allow 192.0.2.0/24 -> 198.51.100.0/24 proto tcp port 80\n"

static void test_state_modes(void **state)
{
	struct compiled c;

	(void)state;
	c = compile_text(R);
	assert_int_equal(c.err, 0);
	assert_false(c.t->meta.flags & FWC_META_STATE_OFF);
	assert_false(c.t->meta.flags & FWC_META_STATE_LOOSE);
	compiled_free(&c);

	c = compile_text("set state on\n" R);
	assert_int_equal(c.err, 0);
	assert_false(c.t->meta.flags &
		     (FWC_META_STATE_OFF | FWC_META_STATE_LOOSE));
	compiled_free(&c);

	c = compile_text("set state off\n" R);
	assert_int_equal(c.err, 0);
	assert_true(c.t->meta.flags & FWC_META_STATE_OFF);
	assert_false(c.t->meta.flags & FWC_META_STATE_LOOSE);
	assert_true(c.pol->state_off);
	compiled_free(&c);

	c = compile_text("set state loose\n" R);
	assert_int_equal(c.err, 0);
	assert_false(c.t->meta.flags & FWC_META_STATE_OFF);
	assert_true(c.t->meta.flags & FWC_META_STATE_LOOSE);
	assert_true(c.pol->state_loose);
	compiled_free(&c);

	/* The last `set state` wins, as for every option. */
	c = compile_text("set state loose\nset state on\n" R);
	assert_int_equal(c.err, 0);
	assert_false(c.t->meta.flags &
		     (FWC_META_STATE_OFF | FWC_META_STATE_LOOSE));
	compiled_free(&c);
}

static void test_timeout_defaults(void **state)
{
	static const struct {
		const char *name;
		uint32_t secs;
	} want[FWC_TO_COUNT] = {
		[FWC_TO_TCP_SYN] = { "tcp-syn", 120 },
		[FWC_TO_TCP_ESTABLISHED] = { "tcp-established", 432000 },
		[FWC_TO_TCP_FIN] = { "tcp-fin", 120 },
		[FWC_TO_TCP_CLOSE] = { "tcp-close", 10 },
		[FWC_TO_UDP] = { "udp", 30 },
		[FWC_TO_UDP_STREAM] = { "udp-stream", 120 },
		[FWC_TO_ICMP] = { "icmp", 30 },
		[FWC_TO_FRAGMENT] = { "fragment", 30 },
		[FWC_TO_RPC_PINHOLE] = { "rpc-pinhole", 120 },
	};
	struct compiled c = compile_text(R);

	(void)state;
	assert_int_equal(c.err, 0);
	for (int i = 0; i < FWC_TO_COUNT; i++) {
		assert_string_equal(fwc_timeout_name(i), want[i].name);
		assert_int_equal(fwc_timeout_default(i), want[i].secs);
		assert_int_equal(c.t->meta.timeout[i], want[i].secs);
		assert_int_equal(c.pol->timeout[i], want[i].secs);
	}
	assert_null(fwc_timeout_name(FWC_TO_COUNT));
	compiled_free(&c);
}

static void test_timeout_set(void **state)
{
	struct compiled c;
	char text[256];

	(void)state;
	/* Each name reaches its own slot, and only that one. */
	for (int i = 0; i < FWC_TO_COUNT; i++) {
		snprintf(text, sizeof(text), "set timeout %s %d\n" R,
			 fwc_timeout_name(i), 7 + i);
		c = compile_text(text);
		assert_int_equal(c.err, 0);
		for (int j = 0; j < FWC_TO_COUNT; j++)
			assert_int_equal(c.t->meta.timeout[j],
					 j == i ? (uint32_t)(7 + i) :
						  fwc_timeout_default(j));
		compiled_free(&c);
	}
	/* The limits, and a later statement overriding an earlier one. */
	c = compile_text("set timeout tcp-established 1\n"
			 "set timeout udp 31536000\n"
			 "set timeout tcp-established 3600\n" R);
	assert_int_equal(c.err, 0);
	assert_int_equal(c.t->meta.timeout[FWC_TO_TCP_ESTABLISHED], 3600);
	assert_int_equal(c.t->meta.timeout[FWC_TO_UDP], 31536000);
	compiled_free(&c);
	/* Timeouts are kept with state off (they cost nothing). */
	c = compile_text("set state off\nset timeout icmp 5\n" R);
	assert_int_equal(c.err, 0);
	assert_int_equal(c.t->meta.timeout[FWC_TO_ICMP], 5);
	compiled_free(&c);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("set state maybe\n" R,
		     "t.pol:1:11: error: expected 'on', 'off' or 'loose' "
		     "after 'set state'",
		     NULL);
	expect_error("set state on off\n" R,
		     "t.pol:1:14: error: expected end of line, found 'off'",
		     NULL);
	expect_error("set timeout tcp-establised 10\n" R,
		     "t.pol:1:13: error: unknown timeout 'tcp-establised': "
		     "expected tcp-syn, tcp-established, tcp-fin, tcp-close, "
		     "udp, udp-stream, icmp, fragment or rpc-pinhole",
		     NULL);
	expect_error("set timeout udp\n" R,
		     "t.pol:1:16: error: expected a number of seconds (set "
		     "timeout NAME SECONDS), found end of line",
		     NULL);
	expect_error("set timeout\n" R,
		     "t.pol:1:12: error: expected a timeout name (tcp-syn, "
		     "tcp-established, tcp-fin, tcp-close, udp, udp-stream, "
		     "icmp, fragment, rpc-pinhole), found end of line",
		     NULL);
	expect_error("set timeout udp ten\n" R,
		     "t.pol:1:17: error: expected a number of seconds, found "
		     "'ten'",
		     NULL);
	expect_error("set timeout udp 10s\n" R,
		     "expected a number of seconds, found '10s'", NULL);
	expect_error("set timeout udp 0\n" R,
		     "t.pol:1:17: error: timeout out of range in '0': "
		     "expected 1-31536000 seconds",
		     NULL);
	expect_error("set timeout udp 31536001\n" R,
		     "timeout out of range in '31536001'", NULL);
	expect_error("set timeout udp 99999999999999999999999\n" R,
		     "timeout out of range", NULL);
	expect_error("set timeout udp 10 20\n" R,
		     "t.pol:1:20: error: expected end of line, found '20'",
		     NULL);
	expect_error("set timeout { udp } 10\n" R,
		     "t.pol:1:13: error: expected a timeout name", NULL);
	expect_error("set timeouts 10\n" R,
		     "unknown option 'timeouts': expected default, non-ip, "
		     "state, timeout, mode, log or source-route",
		     NULL);
	/* Several errors in one file are all reported. */
	expect_error("set timeout udp 0\nset timeout bogus 1\n" R,
		     "t.pol:1:17: error: timeout out of range",
		     "t.pol:2:13: error: unknown timeout 'bogus'", NULL);
}

/* The artifact carries the state options as the source does. */
static void test_artifact(void **state)
{
	struct compiled c = compile_text("set state loose\n"
					 "set timeout tcp-fin 33\n" R);
	struct fwc_tables *t = artifact_roundtrip(&c);

	(void)state;
	assert_true(t->meta.flags & FWC_META_STATE_LOOSE);
	assert_int_equal(t->meta.timeout[FWC_TO_TCP_FIN], 33);
	assert_int_equal(t->meta.gen, 0);
	fwc_tables_free(t);
	compiled_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_modes),
		cmocka_unit_test(test_timeout_defaults),
		cmocka_unit_test(test_timeout_set),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_artifact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
