// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Recursive descent over the grammar of docs/policy-language.md. */
#include <errno.h>
#include <string.h>

#include "parser.h"
#include "util.h"

struct parser {
	struct fwc_lexer lx;
	struct fwc_diag *diag;
	const struct fwc_src *src;
	struct fwc_token cur;
	struct fwc_token ahead; /* the token after cur, when has_ahead */
	bool has_ahead;
	int failed; /* the current statement had an error */
	int depth;  /* '{' and '!' open around the current token */
};

static const char *const keywords[] = {
	"define", "zone",  "service", "set",	   "allow", "deny", "log",
	"label",  "proto", "port",    "from-port", "type",  "any",
};

bool fwc_is_keyword(const char *word)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (!strcmp(word, keywords[i]))
			return true;
	return false;
}

static void next(struct parser *p)
{
	fwc_token_free(&p->cur);
	if (p->has_ahead) {
		p->cur = p->ahead;
		p->has_ahead = false;
	} else if (fwc_lexer_next(&p->lx, &p->cur)) {
		fwc_oom();
	}
	if (p->cur.kind == TOK_ERROR)
		p->failed = 1;
}

/* The token after the current one, without moving. */
static const struct fwc_token *peek_next(struct parser *p)
{
	if (!p->has_ahead) {
		if (fwc_lexer_next(&p->lx, &p->ahead))
			fwc_oom();
		p->has_ahead = true;
	}
	return &p->ahead;
}

static bool is_word(const struct parser *p, const char *w)
{
	return p->cur.kind == TOK_WORD && !strcmp(p->cur.text, w);
}

/* Reports what was found where something else was expected. */
static void expected(struct parser *p, const char *what)
{
	if (p->failed)
		return;
	p->failed = 1;
	if (p->cur.kind == TOK_WORD || p->cur.kind == TOK_MACRO)
		fwc_error(p->diag, p->cur.pos, "expected %s, found '%s%s'",
			  what, p->cur.kind == TOK_MACRO ? "$" : "",
			  fwc_quote(p->cur.text));
	else if (p->cur.kind == TOK_STRING)
		fwc_error(p->diag, p->cur.pos, "expected %s, found a string",
			  what);
	else if (p->cur.kind != TOK_ERROR)
		fwc_error(p->diag, p->cur.pos, "expected %s, found %s", what,
			  fwc_tok_name(p->cur.kind));
}

static struct fwc_val *new_val(enum fwc_val_kind kind, struct fwc_pos pos)
{
	struct fwc_val *v = xcalloc(1, sizeof(*v));

	v->kind = kind;
	v->pos = pos;
	return v;
}

static void val_free(struct fwc_val *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++)
		val_free(v->items[i]);
	free(v->items);
	free(v->text);
	free(v);
}

static void svc_free(struct fwc_svc *s)
{
	if (!s)
		return;
	val_free(s->protos);
	val_free(s->ports);
	val_free(s->sports);
	val_free(s->types);
	val_free(s->rpc);
	val_free(s->rpc_ports);
	for (size_t i = 0; i < s->n; i++)
		svc_free(s->items[i]);
	free(s->items);
	free(s->name);
	free(s);
}

static void val_push(struct fwc_val *list, struct fwc_val *item)
{
	VEC_PUSH(list->items, list->n, list->cap, item);
}

static struct fwc_val *parse_value(struct parser *p, const char *what);

/* One level deeper into '{' or '!'; false (after an error) past the bound. */
static bool nest_enter(struct parser *p)
{
	if (p->depth < FWC_MAX_DEPTH) {
		p->depth++;
		return true;
	}
	if (!p->failed)
		fwc_error(p->diag, p->cur.pos,
			  "nesting too deep: more than %d levels of '{' and "
			  "'!'",
			  FWC_MAX_DEPTH);
	p->failed = 1;
	return false;
}

/* A statement keyword on a later line: the list before it was not closed. */
static bool starts_statement(const struct parser *p, struct fwc_pos open)
{
	static const char *const kw[] = { "allow",  "deny",    "zone",
					  "define", "service", "set" };

	if (p->cur.kind != TOK_WORD || p->cur.pos.line == open.line)
		return false;
	for (size_t i = 0; i < sizeof(kw) / sizeof(*kw); i++)
		if (!strcmp(p->cur.text, kw[i]))
			return true;
	return false;
}

/* After '{': items until '}', commas optional. */
static struct fwc_val *parse_list(struct parser *p, const char *what)
{
	struct fwc_val *list = new_val(VAL_LIST, p->cur.pos), *item;
	struct fwc_pos open = p->cur.pos;

	next(p);
	for (;;) {
		if (p->cur.kind == TOK_RBRACE) {
			next(p);
			break;
		}
		if (p->cur.kind == TOK_EOF || starts_statement(p, open)) {
			if (!p->failed)
				fwc_error(p->diag, open,
					  "unterminated list: this '{' is "
					  "never closed (expected '}')");
			p->failed = 1;
			goto err;
		}
		if (p->cur.kind == TOK_COMMA) {
			if (list->n == 0) {
				expected(p, what);
				goto err;
			}
			next(p);
			continue;
		}
		item = parse_value(p, what);
		if (!item)
			goto err;
		val_push(list, item);
	}
	if (list->n == 0) {
		fwc_error(p->diag, open, "empty list: expected %s", what);
		p->failed = 1;
		goto err;
	}
	return list;
err:
	val_free(list);
	return NULL;
}

static struct fwc_val *parse_value(struct parser *p, const char *what)
{
	struct fwc_val *v, *item;

	switch (p->cur.kind) {
	case TOK_WORD:
		if (!strcmp(p->cur.text, "any")) {
			v = new_val(VAL_ANY, p->cur.pos);
		} else if (fwc_is_keyword(p->cur.text)) {
			expected(p, what);
			return NULL;
		} else {
			v = new_val(VAL_WORD, p->cur.pos);
			v->text = xstrdup(p->cur.text);
		}
		next(p);
		return v;
	case TOK_MACRO:
		v = new_val(VAL_MACRO, p->cur.pos);
		v->text = xstrdup(p->cur.text);
		next(p);
		return v;
	case TOK_LBRACE:
		if (!nest_enter(p))
			return NULL;
		v = parse_list(p, what);
		p->depth--;
		return v;
	case TOK_BANG:
		if (!nest_enter(p))
			return NULL;
		v = new_val(VAL_NOT, p->cur.pos);
		next(p);
		item = parse_value(p, what);
		p->depth--;
		if (!item) {
			val_free(v);
			return NULL;
		}
		val_push(v, item);
		return v;
	default:
		expected(p, what);
		return NULL;
	}
}

static struct fwc_svc *new_svc(enum fwc_svc_kind kind, struct fwc_pos pos)
{
	struct fwc_svc *s = xcalloc(1, sizeof(*s));

	s->kind = kind;
	s->pos = pos;
	return s;
}

static void svc_push(struct fwc_svc *list, struct fwc_svc *item)
{
	VEC_PUSH(list->items, list->n, list->cap, item);
}

/* One optional clause of `proto`: port, from-port or type. */
static int parse_proto_clause(struct parser *p, struct fwc_svc *s)
{
	struct fwc_val **slot;
	struct fwc_pos *pos;
	const char *what;

	if (is_word(p, "port")) {
		slot = &s->ports, pos = &s->ports_pos;
		what = "a port, a port range, a $macro or a list of ports";
	} else if (is_word(p, "from-port")) {
		slot = &s->sports, pos = &s->sports_pos;
		what = "a port, a port range, a $macro or a list of ports";
	} else if (is_word(p, "type")) {
		slot = &s->types, pos = &s->types_pos;
		what = "an ICMP type (number or name) or a list of types";
	} else {
		return 0;
	}
	if (*slot) {
		fwc_error(p->diag, p->cur.pos, "'%s' given twice", p->cur.text);
		p->failed = 1;
		return -1;
	}
	*pos = p->cur.pos;
	next(p);
	*slot = parse_value(p, what);
	return *slot ? 1 : -1;
}

static struct fwc_svc *parse_proto(struct parser *p)
{
	struct fwc_svc *s = new_svc(SVC_PROTO, p->cur.pos);
	int r;

	next(p);
	s->protos = parse_value(p, "a protocol (tcp, udp, sctp, icmp, icmp6, "
				   "a number 0-255) or a list of protocols");
	if (!s->protos)
		goto err;
	while ((r = parse_proto_clause(p, s)) > 0)
		;
	if (r < 0)
		goto err;
	return s;
err:
	svc_free(s);
	return NULL;
}

/*
 * `rpc` is no keyword (policies say `define rpc = 49152-65535` and name
 * services rpc): it starts an rpc service when interfaces follow it, a
 * '{', `any` or a word that is no keyword; else it is a name.
 */
static bool at_rpc(struct parser *p)
{
	const struct fwc_token *n;

	if (!is_word(p, "rpc"))
		return false;
	n = peek_next(p);
	return n->kind == TOK_LBRACE ||
	       (n->kind == TOK_WORD &&
		(!strcmp(n->text, "any") || !fwc_is_keyword(n->text)));
}

static struct fwc_val *word_val(const char *text, struct fwc_pos pos)
{
	struct fwc_val *v = new_val(VAL_WORD, pos);

	v->text = xstrdup(text);
	return v;
}

#define RPC_IFACES_WHAT                                             \
	"rpc interfaces: any, a name such as samr, a UUID such as " \
	"12345778-1234-abcd-ef00-0123456789ac[:1.0], or a list { ... }"

/*
 * `rpc IFACES [port PORTS]`: proto tcp port 135 for the rules, and the
 * interfaces and bounds of its pinholes (struct fwc_svc).
 */
static struct fwc_svc *parse_rpc(struct parser *p)
{
	struct fwc_svc *s = new_svc(SVC_PROTO, p->cur.pos);

	s->protos = word_val("tcp", p->cur.pos);
	s->ports = word_val("135", p->cur.pos);
	s->ports_pos = p->cur.pos;
	next(p);
	s->rpc = parse_value(p, RPC_IFACES_WHAT);
	if (!s->rpc)
		goto err;
	if (is_word(p, "port")) {
		s->rpc_ports_pos = p->cur.pos;
		next(p);
		s->rpc_ports = parse_value(p, "the ports a pinhole may open: "
					      "a port, a range or a $macro");
		if (!s->rpc_ports)
			goto err;
	}
	if (is_word(p, "port") || is_word(p, "from-port") ||
	    is_word(p, "type")) {
		if (is_word(p, "port"))
			fwc_error(p->diag, p->cur.pos, "'port' given twice");
		else
			fwc_error(p->diag, p->cur.pos,
				  "'%s' does not apply to rpc: it takes "
				  "'port', the ports a pinhole may open",
				  p->cur.text);
		p->failed = 1;
		goto err;
	}
	return s;
err:
	svc_free(s);
	return NULL;
}

static struct fwc_svc *parse_svc_item(struct parser *p);

/* `service NAME` or `service { NAME ... }` */
static struct fwc_svc *parse_service_ref(struct parser *p)
{
	struct fwc_svc *s;

	next(p);
	if (p->cur.kind == TOK_LBRACE)
		return parse_svc_item(p);
	if (p->cur.kind != TOK_WORD || fwc_is_keyword(p->cur.text)) {
		expected(p, "a service name or a list of services");
		return NULL;
	}
	s = new_svc(SVC_REF, p->cur.pos);
	s->name = xstrdup(p->cur.text);
	next(p);
	return s;
}

static struct fwc_svc *parse_svc_list(struct parser *p)
{
	struct fwc_svc *list = new_svc(SVC_LIST, p->cur.pos), *item;
	struct fwc_pos open = p->cur.pos;

	next(p);
	for (;;) {
		if (p->cur.kind == TOK_RBRACE) {
			next(p);
			break;
		}
		if (p->cur.kind == TOK_EOF) {
			if (!p->failed)
				fwc_error(p->diag, open,
					  "unterminated list: this '{' is "
					  "never closed (expected '}')");
			p->failed = 1;
			goto err;
		}
		if (p->cur.kind == TOK_COMMA && list->n) {
			next(p);
			continue;
		}
		item = parse_svc_item(p);
		if (!item)
			goto err;
		svc_push(list, item);
	}
	if (list->n == 0) {
		fwc_error(p->diag, open, "empty list: expected services");
		p->failed = 1;
		goto err;
	}
	return list;
err:
	svc_free(list);
	return NULL;
}

#define SVC_WHAT "a service: 'proto ...', 'rpc ...', 'service NAME' or 'any'"

/* A service, or in a list a bare service name. */
static struct fwc_svc *parse_svc_item(struct parser *p)
{
	struct fwc_svc *s;

	if (is_word(p, "proto"))
		return parse_proto(p);
	if (at_rpc(p))
		return parse_rpc(p);
	if (is_word(p, "service"))
		return parse_service_ref(p);
	if (is_word(p, "any")) {
		s = new_svc(SVC_ANY, p->cur.pos);
		next(p);
		return s;
	}
	if (p->cur.kind == TOK_LBRACE) {
		if (!nest_enter(p))
			return NULL;
		s = parse_svc_list(p);
		p->depth--;
		return s;
	}
	if (p->cur.kind == TOK_WORD && !fwc_is_keyword(p->cur.text)) {
		s = new_svc(SVC_REF, p->cur.pos);
		s->name = xstrdup(p->cur.text);
		next(p);
		return s;
	}
	expected(p, SVC_WHAT);
	return NULL;
}

/* A rule's SERVICE: a bare name is not allowed there (it reads as a zone). */
static struct fwc_svc *parse_rule_svc(struct parser *p)
{
	if (is_word(p, "proto") || is_word(p, "service") || is_word(p, "any") ||
	    at_rpc(p))
		return parse_svc_item(p);
	if (is_word(p, "rpc")) {
		/* No service is named here: what follows must be interfaces. */
		next(p);
		expected(p, RPC_IFACES_WHAT);
		return NULL;
	}
	expected(p, SVC_WHAT);
	return NULL;
}

static int expect_name(struct parser *p, struct fwc_stmt *st, const char *what)
{
	if (p->cur.kind != TOK_WORD) {
		expected(p, what);
		return -1;
	}
	if (fwc_is_keyword(p->cur.text)) {
		fwc_error(p->diag, p->cur.pos,
			  "'%s' is a reserved keyword and cannot be a name",
			  p->cur.text);
		p->failed = 1;
		return -1;
	}
	st->name = xstrdup(p->cur.text);
	st->name_pos = p->cur.pos;
	next(p);
	return 0;
}

static int expect_equal(struct parser *p)
{
	if (p->cur.kind != TOK_EQUAL) {
		expected(p, "'='");
		return -1;
	}
	next(p);
	return 0;
}

/* The rule as written, on one line: comments, joins and runs of blanks go. */
static char *normalise(const char *s, size_t n)
{
	char *out = xcalloc(n + 1, 1);
	size_t o = 0;
	bool in_str = false, blank = false;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!in_str && c == '#') {
			while (i < n && s[i] != '\n')
				i++;
			blank = true;
			continue;
		}
		if (in_str && c == '\\' && i + 1 < n) {
			out[o++] = c;
			out[o++] = s[++i];
			continue;
		}
		if (c == '"')
			in_str = !in_str;
		if (!in_str && (c == ' ' || c == '\t' || c == '\n' ||
				c == '\r' || c == '\\')) {
			blank = true;
			continue;
		}
		if (blank && o)
			out[o++] = ' ';
		blank = false;
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

static int parse_rule(struct parser *p, struct fwc_stmt *st)
{
	st->kind = ST_RULE;
	st->allow = is_word(p, "allow");
	next(p);
	if (is_word(p, "log")) {
		st->log = true;
		next(p);
	}
	st->from = parse_value(p, "a source: a zone, an address, 'any' or "
				  "a list");
	if (!st->from)
		return -1;
	if (p->cur.kind != TOK_ARROW) {
		expected(p, "'->' between source and destination");
		return -1;
	}
	next(p);
	st->to = parse_value(p, "a destination: a zone, an address, 'any' "
				"or a list");
	if (!st->to)
		return -1;
	st->svc = parse_rule_svc(p);
	if (!st->svc)
		return -1;
	if (is_word(p, "label")) {
		next(p);
		if (p->cur.kind != TOK_STRING) {
			expected(p, "a quoted label after 'label'");
			return -1;
		}
		st->label = xstrdup(p->cur.text);
		st->label_pos = p->cur.pos;
		next(p);
	}
	return 0;
}

/*
 * `set timeout NAME SECONDS`, `set log default on`, `set log rate N`: the
 * option takes a second word.
 */
static int parse_set_arg(struct parser *p, struct fwc_stmt *st)
{
	if (p->cur.kind != TOK_WORD) {
		expected(p, strcmp(st->name, "log") ?
				    "a number of seconds (set timeout NAME "
				    "SECONDS)" :
				    "a value (set log default on|off, set "
				    "log rate N)");
		return -1;
	}
	st->arg = new_val(VAL_WORD, p->cur.pos);
	st->arg->text = xstrdup(p->cur.text);
	next(p);
	return 0;
}

/* Whether `set NAME VALUE` takes a second word (see parse_set_arg). */
static bool set_takes_arg(const struct fwc_stmt *st)
{
	if (!strcmp(st->name, "timeout"))
		return true;
	/* Another word after `set log` is the resolver's to report. */
	return !strcmp(st->name, "log") && (!strcmp(st->val->text, "default") ||
					    !strcmp(st->val->text, "rate"));
}

static int parse_stmt_body(struct parser *p, struct fwc_stmt *st)
{
	if (is_word(p, "allow") || is_word(p, "deny"))
		return parse_rule(p, st);
	if (is_word(p, "define") || is_word(p, "zone")) {
		st->kind = is_word(p, "zone") ? ST_ZONE : ST_DEFINE;
		next(p);
		if (expect_name(p, st,
				st->kind == ST_ZONE ? "a zone name" :
						      "a macro name") ||
		    expect_equal(p))
			return -1;
		st->val = parse_value(p, st->kind == ST_ZONE ?
						 "hosts: an address, a prefix, "
						 "a range, a zone or a list" :
						 "a value: ports or hosts");
		return st->val ? 0 : -1;
	}
	if (is_word(p, "service")) {
		st->kind = ST_SERVICE;
		next(p);
		if (expect_name(p, st, "a service name") || expect_equal(p))
			return -1;
		st->svc = parse_svc_item(p);
		return st->svc ? 0 : -1;
	}
	if (is_word(p, "set")) {
		st->kind = ST_SET;
		next(p);
		if (p->cur.kind != TOK_WORD) {
			expected(p, "an option name (default, non-ip, state, "
				    "timeout, mode, log, source-route)");
			return -1;
		}
		st->name = xstrdup(p->cur.text);
		st->name_pos = p->cur.pos;
		next(p);
		if (!strcmp(st->name, "timeout") && p->cur.kind != TOK_WORD) {
			expected(p, "a timeout name (tcp-syn, tcp-established, "
				    "tcp-fin, tcp-close, udp, udp-stream, "
				    "icmp, fragment, rpc-pinhole)");
			return -1;
		}
		/* Option values may be keywords: `set default allow`. */
		if (p->cur.kind == TOK_WORD) {
			st->val = new_val(VAL_WORD, p->cur.pos);
			st->val->text = xstrdup(p->cur.text);
			next(p);
			if (!set_takes_arg(st))
				return 0;
			return parse_set_arg(p, st);
		}
		st->val = parse_value(p, "an option value");
		return st->val ? 0 : -1;
	}
	expected(p, "a statement: define, zone, service, set, allow or deny");
	return -1;
}

static void stmt_free(struct fwc_stmt *st)
{
	if (!st)
		return;
	free(st->name);
	val_free(st->val);
	val_free(st->arg);
	svc_free(st->svc);
	val_free(st->from);
	val_free(st->to);
	free(st->label);
	free(st->text);
	free(st);
}

/* Skips to the end of the statement after an error. */
static void resync(struct parser *p)
{
	while (p->cur.kind != TOK_NL && p->cur.kind != TOK_EOF)
		next(p);
}

int fwc_parse(const struct fwc_src *src, struct fwc_diag *diag,
	      struct fwc_ast *ast)
{
	struct parser p = { .diag = diag, .src = src };
	size_t cap = 0;

	memset(ast, 0, sizeof(*ast));
	fwc_lexer_init(&p.lx, src, diag);
	next(&p);
	while (p.cur.kind != TOK_EOF && !fwc_diag_full(diag)) {
		struct fwc_stmt *st;
		size_t start;

		if (p.cur.kind == TOK_NL) {
			next(&p);
			continue;
		}
		p.failed = p.cur.kind == TOK_ERROR;
		if (p.failed) {
			resync(&p);
			continue;
		}
		st = xcalloc(1, sizeof(*st));
		st->pos = p.cur.pos;
		start = p.cur.pos.off;
		if (parse_stmt_body(&p, st) == 0 && p.cur.kind != TOK_NL &&
		    p.cur.kind != TOK_EOF)
			expected(&p, st->kind == ST_RULE ?
					     "end of line or 'label \"...\"'" :
					     "end of line");
		if (p.failed) {
			stmt_free(st);
			resync(&p);
			continue;
		}
		if (st->kind == ST_RULE)
			st->text = normalise(src->text + start,
					     p.cur.pos.off - start);
		VEC_PUSH(ast->stmts, ast->n, cap, st);
	}
	fwc_token_free(&p.cur);
	if (p.has_ahead)
		fwc_token_free(&p.ahead);
	return 0;
}

void fwc_ast_free(struct fwc_ast *ast)
{
	for (size_t i = 0; i < ast->n; i++)
		stmt_free(ast->stmts[i]);
	free(ast->stmts);
	memset(ast, 0, sizeof(*ast));
}
