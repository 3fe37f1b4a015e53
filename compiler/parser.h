/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Parser: tokens → AST. Every node keeps its source position. */
#ifndef FWC_PARSER_H
#define FWC_PARSER_H

#include <stdbool.h>

#include "lexer.h"

/*
 * Deepest nesting of a value: '{' and '!' in the parser, and in the
 * resolver the whole expansion of a rule's hosts or service, with every
 * zone, service and macro it goes through (zone a = b, zone b = { c }...).
 * It bounds the recursion of both, so that no input overflows the stack.
 */
#define FWC_MAX_DEPTH 256

/* A value in host or port context: interpreted by resolve. */
enum fwc_val_kind {
	VAL_WORD,  /* 192.0.2.0/24, 135-139, dmz, tcp, echo-request */
	VAL_MACRO, /* $name */
	VAL_LIST,  /* { a, b } */
	VAL_NOT,   /* !a */
	VAL_ANY,   /* any */
};

struct fwc_val {
	enum fwc_val_kind kind;
	struct fwc_pos pos;
	char *text;		/* VAL_WORD, VAL_MACRO */
	struct fwc_val **items; /* VAL_LIST; VAL_NOT has one item */
	size_t n, cap;
};

enum fwc_svc_kind {
	SVC_PROTO, /* proto P [port X] [from-port Y] [type T], or rpc */
	SVC_REF,   /* a named service */
	SVC_LIST,  /* { svc, svc } or service { a, b } */
	SVC_ANY,
};

/*
 * `rpc IFACES [port PORTS]` (docs/rpc-pinholes.md) is, for
 * classification, `proto tcp port 135` (the endpoint mapper): a SVC_PROTO
 * whose protos and ports the parser fills with those words at the
 * position of `rpc`, so that whatever reads services sees what the rule
 * admits before any pinhole. @rpc is then set: the interfaces (VAL_ANY,
 * a VAL_WORD, or a VAL_LIST of them, checked by the resolver), and
 * @rpc_ports the bounds of the ports a pinhole may open (NULL: the
 * default), written at @rpc_ports_pos.
 */
struct fwc_svc {
	enum fwc_svc_kind kind;
	struct fwc_pos pos;
	struct fwc_val *protos, *ports, *sports, *types;
	struct fwc_pos ports_pos, sports_pos, types_pos;
	char *name; /* SVC_REF */
	struct fwc_svc **items;
	size_t n, cap;
	struct fwc_val *rpc, *rpc_ports; /* SVC_PROTO of `rpc ...` */
	struct fwc_pos rpc_ports_pos;
};

enum fwc_stmt_kind {
	ST_DEFINE,
	ST_ZONE,
	ST_SERVICE,
	ST_SET,
	ST_RULE
};

struct fwc_stmt {
	enum fwc_stmt_kind kind;
	struct fwc_pos pos;
	char *name; /* define/zone/service name, set option */
	struct fwc_pos name_pos;
	struct fwc_val *val; /* define, zone, set value */
	struct fwc_val *arg; /* set timeout NAME SECONDS, set log X Y: 2nd */
	struct fwc_svc *svc; /* service, rule */
	/* rule */
	bool allow, log;
	struct fwc_val *from, *to;
	char *label;
	struct fwc_pos label_pos;
	char *text; /* the rule as written, on one line, comments removed */
};

struct fwc_ast {
	struct fwc_stmt **stmts;
	size_t n;
};

/* Parses the whole source; errors go to @diag. Returns 0 or -ENOMEM. */
int fwc_parse(const struct fwc_src *src, struct fwc_diag *diag,
	      struct fwc_ast *ast);
void fwc_ast_free(struct fwc_ast *ast);
bool fwc_is_keyword(const char *word);

#endif /* FWC_PARSER_H */
