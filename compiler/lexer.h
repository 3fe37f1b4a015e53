/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Lexer: policy text → tokens, each with its position. */
#ifndef FWC_LEXER_H
#define FWC_LEXER_H

#include "diag.h"

enum fwc_tok_kind {
	TOK_EOF,
	TOK_NL,	    /* end of statement */
	TOK_WORD,   /* name, keyword, number, address, port range... */
	TOK_MACRO,  /* $name (text without the $) */
	TOK_STRING, /* "..." (text unescaped) */
	TOK_LBRACE,
	TOK_RBRACE,
	TOK_COMMA,
	TOK_EQUAL,
	TOK_BANG,
	TOK_ARROW,
	TOK_ERROR,
};

struct fwc_token {
	enum fwc_tok_kind kind;
	struct fwc_pos pos;
	char *text; /* owned; NULL for punctuation */
	size_t len;
};

struct fwc_lexer {
	const struct fwc_src *src;
	struct fwc_diag *diag;
	size_t off;
	unsigned int line;
	size_t line_start;
	int depth; /* { } nesting: newlines inside do not end statements */
};

void fwc_lexer_init(struct fwc_lexer *lx, const struct fwc_src *src,
		    struct fwc_diag *diag);
/* Next token; on a lexical error reports it and returns TOK_ERROR. */
int fwc_lexer_next(struct fwc_lexer *lx, struct fwc_token *tok);
void fwc_token_free(struct fwc_token *tok);
const char *fwc_tok_name(enum fwc_tok_kind kind);

#endif /* FWC_LEXER_H */
