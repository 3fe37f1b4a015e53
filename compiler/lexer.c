// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"
#include "utf8.h"

void fwc_lexer_init(struct fwc_lexer *lx, const struct fwc_src *src,
		    struct fwc_diag *diag)
{
	memset(lx, 0, sizeof(*lx));
	lx->src = src;
	lx->diag = diag;
	lx->line = 1;
	/* A byte-order mark (editors on Windows write one) is no text. */
	lx->off = lx->line_start = fwc_bom_len(src->text, src->len);
}

const char *fwc_tok_name(enum fwc_tok_kind kind)
{
	static const char *const names[] = {
		[TOK_EOF] = "end of file", [TOK_NL] = "end of line",
		[TOK_WORD] = "a word",	   [TOK_MACRO] = "a $macro",
		[TOK_STRING] = "a string", [TOK_LBRACE] = "'{'",
		[TOK_RBRACE] = "'}'",	   [TOK_COMMA] = "','",
		[TOK_EQUAL] = "'='",	   [TOK_BANG] = "'!'",
		[TOK_ARROW] = "'->'",	   [TOK_ERROR] = "an error",
	};
	return names[kind];
}

void fwc_token_free(struct fwc_token *tok)
{
	free(tok->text);
	tok->text = NULL;
}

static struct fwc_pos here(const struct fwc_lexer *lx)
{
	return (struct fwc_pos){ .line = lx->line,
				 .col = (unsigned int)(lx->off -
						       lx->line_start + 1),
				 .off = lx->off };
}

static int peek(const struct fwc_lexer *lx, size_t ahead)
{
	size_t i = lx->off + ahead;

	return i < lx->src->len ? (unsigned char)lx->src->text[i] : -1;
}

static void newline(struct fwc_lexer *lx)
{
	lx->off++;
	lx->line++;
	lx->line_start = lx->off;
}

/* Characters of a word: names, numbers, addresses, prefixes, ranges. */
static int is_word_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
	       c == ':' || c == '/';
}

static int set_text(struct fwc_token *tok, const char *s, size_t n)
{
	tok->text = malloc(n + 1);
	if (!tok->text)
		return -ENOMEM;
	memcpy(tok->text, s, n);
	tok->text[n] = '\0';
	tok->len = n;
	return 0;
}

/* Skips blanks, comments and `\` line joins; stops at a significant char. */
static void skip_blanks(struct fwc_lexer *lx)
{
	for (;;) {
		int c = peek(lx, 0);

		if (c == ' ' || c == '\t' || c == '\r') {
			lx->off++;
		} else if (c == '#') {
			while (peek(lx, 0) != -1 && peek(lx, 0) != '\n')
				lx->off++;
		} else if (c == '\\' && peek(lx, 1) == '\n') {
			lx->off++;
			newline(lx);
		} else if (c == '\\' && peek(lx, 1) == '\r' &&
			   peek(lx, 2) == '\n') {
			lx->off += 2;
			newline(lx);
		} else if (c == '\n' && lx->depth > 0) {
			newline(lx);
		} else {
			return;
		}
	}
}

static int lex_word(struct fwc_lexer *lx, struct fwc_token *tok)
{
	size_t start = lx->off;

	/* "a->b": the arrow ends a word even without blanks. */
	while (is_word_char(peek(lx, 0)) &&
	       !(peek(lx, 0) == '-' && peek(lx, 1) == '>'))
		lx->off++;
	tok->kind = TOK_WORD;
	return set_text(tok, lx->src->text + start, lx->off - start);
}

static int lex_macro(struct fwc_lexer *lx, struct fwc_token *tok)
{
	size_t start;
	int c;

	lx->off++; /* $ */
	start = lx->off;
	c = peek(lx, 0);
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')) {
		fwc_error(lx->diag, here(lx),
			  "expected a macro name after '$'");
		tok->kind = TOK_ERROR;
		return 0;
	}
	while (is_word_char(peek(lx, 0)) && peek(lx, 0) != ':' &&
	       peek(lx, 0) != '/' &&
	       !(peek(lx, 0) == '-' && peek(lx, 1) == '>'))
		lx->off++;
	tok->kind = TOK_MACRO;
	return set_text(tok, lx->src->text + start, lx->off - start);
}

static int lex_string(struct fwc_lexer *lx, struct fwc_token *tok)
{
	size_t n = 0, cap = 32;
	char *buf = malloc(cap), *grown;
	int c, cont = 0; /* continuation bytes of a UTF-8 character */

	if (!buf)
		return -ENOMEM;
	lx->off++;
	for (;;) {
		c = peek(lx, 0);
		if (c == -1 || c == '\n') {
			fwc_error(lx->diag, tok->pos,
				  "unterminated string: expected a closing "
				  "'\"' before the end of the line");
			goto bad;
		}
		if (cont > 0) {
			cont--; /* checked with its first byte */
		} else if (c >= 0x80) {
			cont = (int)fwc_utf8_len(
				(const unsigned char *)lx->src->text + lx->off,
				lx->src->len - lx->off);
			if (!cont) {
				fwc_error(lx->diag, here(lx),
					  "invalid UTF-8 in string (byte "
					  "0x%02x): strings are UTF-8 text",
					  c);
				goto bad;
			}
			cont--;
		}
		lx->off++;
		if (c == '"')
			break;
		if (c == '\\') {
			c = peek(lx, 0);
			if (c != '"' && c != '\\') {
				fwc_error(lx->diag, here(lx),
					  "unknown escape in string: only \\\" "
					  "and \\\\ are allowed");
				goto bad;
			}
			lx->off++;
		}
		if (n + 1 >= cap) {
			cap *= 2;
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
		}
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	tok->kind = TOK_STRING;
	tok->text = buf;
	tok->len = n;
	return 0;
bad:
	free(buf);
	/* One error per bad string: skip what is left of the line. */
	while (peek(lx, 0) != -1 && peek(lx, 0) != '\n')
		lx->off++;
	tok->kind = TOK_ERROR;
	return 0;
}

int fwc_lexer_next(struct fwc_lexer *lx, struct fwc_token *tok)
{
	int c;

	memset(tok, 0, sizeof(*tok));
	skip_blanks(lx);
	tok->pos = here(lx);
	c = peek(lx, 0);
	switch (c) {
	case -1:
		tok->kind = TOK_EOF;
		return 0;
	case '\n':
		newline(lx);
		tok->kind = TOK_NL;
		return 0;
	case '{':
		lx->off++;
		lx->depth++;
		tok->kind = TOK_LBRACE;
		return 0;
	case '}':
		lx->off++;
		if (lx->depth > 0)
			lx->depth--;
		tok->kind = TOK_RBRACE;
		return 0;
	case ',':
		lx->off++;
		tok->kind = TOK_COMMA;
		return 0;
	case '=':
		lx->off++;
		tok->kind = TOK_EQUAL;
		return 0;
	case '!':
		lx->off++;
		tok->kind = TOK_BANG;
		return 0;
	case '"':
		return lex_string(lx, tok);
	case '$':
		return lex_macro(lx, tok);
	case '-':
		if (peek(lx, 1) == '>') {
			lx->off += 2;
			tok->kind = TOK_ARROW;
			return 0;
		}
		break;
	default:
		if (is_word_char(c))
			return lex_word(lx, tok);
	}
	if (c >= 0x20 && c < 0x7f)
		fwc_error(lx->diag, tok->pos, "unexpected character '%c'", c);
	else
		fwc_error(lx->diag, tok->pos,
			  "unexpected byte 0x%02x (is this a policy file?)", c);
	/* Skip the rest of the line so one bad byte gives one error. */
	while (peek(lx, 0) != -1 && peek(lx, 0) != '\n')
		lx->off++;
	tok->kind = TOK_ERROR;
	return 0;
}
