// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include "helpers.h"
#include "lexer.h"

struct lexed {
	enum fwc_tok_kind kind[64];
	char text[64][32];
	unsigned int line[64], col[64];
	int n;
	unsigned int errors;
};

static struct lexed lex(const char *s)
{
	struct fwc_src src = { "t", s, strlen(s) };
	struct fwc_diag d;
	struct fwc_lexer lx;
	struct lexed out = { 0 };
	struct fwc_token t;
	FILE *null = fopen("/dev/null", "w");

	fwc_diag_init(&d, &src, null);
	fwc_lexer_init(&lx, &src, &d);
	do {
		fwc_lexer_next(&lx, &t);
		out.kind[out.n] = t.kind;
		snprintf(out.text[out.n], 32, "%s", t.text ? t.text : "");
		out.line[out.n] = t.pos.line;
		out.col[out.n] = t.pos.col;
		out.n++;
		fwc_token_free(&t);
	} while (t.kind != TOK_EOF && out.n < 63);
	out.errors = d.errors;
	fclose(null);
	return out;
}

static void test_words_and_punct(void **state)
{
	struct lexed l =
		lex("allow dmz->dc proto tcp port { 80, 443 } label \"w\"");

	(void)state;
	assert_int_equal(l.kind[0], TOK_WORD);
	assert_string_equal(l.text[1], "dmz");
	assert_int_equal(l.kind[2], TOK_ARROW);
	assert_string_equal(l.text[3], "dc");
	assert_int_equal(l.kind[7], TOK_LBRACE);
	assert_string_equal(l.text[8], "80");
	assert_int_equal(l.kind[9], TOK_COMMA);
	assert_int_equal(l.kind[11], TOK_RBRACE);
	assert_int_equal(l.kind[13], TOK_STRING);
	assert_string_equal(l.text[13], "w");
	assert_int_equal(l.errors, 0);
}

static void test_addresses_are_words(void **state)
{
	struct lexed l = lex("2001:db8::/32 192.0.2.10-192.0.2.20 $rpc");

	(void)state;
	assert_string_equal(l.text[0], "2001:db8::/32");
	assert_string_equal(l.text[1], "192.0.2.10-192.0.2.20");
	assert_int_equal(l.kind[2], TOK_MACRO);
	assert_string_equal(l.text[2], "rpc");
}

static void test_newlines_comments_joins(void **state)
{
	struct lexed l = lex("a # comment\nb \\\n c { d\n e }\n");

	(void)state;
	assert_string_equal(l.text[0], "a");
	assert_int_equal(l.kind[1], TOK_NL);
	assert_string_equal(l.text[2], "b");
	assert_string_equal(l.text[3], "c"); /* joined: no NL between */
	assert_int_equal(l.line[3], 3);
	assert_int_equal(l.col[3], 2);
	assert_int_equal(l.kind[4], TOK_LBRACE);
	assert_string_equal(l.text[6], "e"); /* newline inside braces */
	assert_int_equal(l.kind[8], TOK_NL);
}

static void test_string_escapes(void **state)
{
	struct lexed l = lex("\"a \\\"b\\\\\"");

	(void)state;
	assert_int_equal(l.kind[0], TOK_STRING);
	assert_string_equal(l.text[0], "a \"b\\");
}

static void test_errors(void **state)
{
	(void)state;
	assert_int_equal(lex("\"open").errors, 1);
	assert_int_equal(lex("\"bad \\n\"").errors, 1);
	assert_int_equal(lex("a ; b").errors, 1);
	assert_int_equal(lex("$").errors, 1);
	assert_int_equal(lex("\x01\x02\x03").errors, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_and_punct),
		cmocka_unit_test(test_addresses_are_words),
		cmocka_unit_test(test_newlines_comments_joins),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
