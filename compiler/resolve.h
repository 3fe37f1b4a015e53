/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Name resolution: AST → flat rules over interned host and port sets. */
#ifndef FWC_RESOLVE_H
#define FWC_RESOLVE_H

#include "addrset.h"
#include "fwc_abi.h"
#include "parser.h"

/*
 * A term is one protocol/port combination of a rule's service; a rule
 * matches when its addresses match and any of its terms does. Sets are
 * ids into struct fwc_policy's interned pools; an unrestricted field holds
 * the full set (all ports, all types).
 */
struct fwc_term {
	uint32_t rule;	 /* index into rules */
	uint32_t protos; /* set of protocol numbers (0-255) */
	uint32_t dports; /* set of ports (0-65535) */
	uint32_t sports;
	uint32_t types; /* set of ICMP types (0-255) */
};

struct fwc_rule {
	uint32_t id; /* 1-based, file order */
	bool allow, log;
	char *label;
	char *text;
	struct fwc_pos pos;
	uint32_t src, dst; /* host set ids */
	size_t term_first, n_terms;
	/* rpc services (issue 12): the rule's entries of fwc_policy.rpc */
	size_t rpc_first, n_rpc;
};

/*
 * One interface an rpc rule's EPM answers may open a pinhole for
 * (docs/rpc-pinholes.md): the fields of struct fwc_rpc_iface, and where
 * it was written. `rpc any` is one entry with FWC_RPC_ANY.
 */
struct fwc_rpc_entry {
	uint32_t rule;	  /* index into rules */
	uint8_t uuid[16]; /* wire form (compiler/rpc_iface.h) */
	uint16_t major;
	uint16_t flags; /* FWC_RPC_* */
	uint16_t port_lo, port_hi;
	const char *name; /* the table's name, or NULL for a literal/any */
	struct fwc_pos pos;
};

/* Ports an rpc service's pinholes may open without `port`. */
#define FWC_RPC_PORT_LO 1024
#define FWC_RPC_PORT_HI 65535

struct fwc_policy {
	char *name;
	struct fwc_addrset *hosts; /* interned host sets */
	size_t n_hosts, cap_hosts;
	struct fwc_ivset *sets; /* interned protocol/port/type sets */
	size_t n_sets, cap_sets;
	struct fwc_rule *rules;
	size_t n_rules, cap_rules;
	struct fwc_term *terms;
	size_t n_terms, cap_terms;
	struct fwc_rpc_entry *rpc; /* by rule, then as written */
	size_t n_rpc, cap_rpc;
	bool default_allow, nonip_drop, state_off;
	bool state_loose;		/* set state loose (implies state on) */
	uint32_t timeout[FWC_TO_COUNT]; /* seconds, enum fwc_timeout */
	bool audit;			/* set mode audit */
	bool log_default;		/* set log default on: rule 0 logs */
	bool srcroute_pass; /* set source-route pass: they meet the rules */
	uint32_t log_rate;  /* set log rate N; 0: FWC_LOG_RATE_DEFAULT */
	uint8_t sha256[32];
};

/* Longest `set timeout`: a year; anything longer is surely a typo. */
#define FWC_TIMEOUT_MAX 31536000u

/* `set timeout` names (tcp-syn, ...) and defaults, by enum fwc_timeout. */
const char *fwc_timeout_name(unsigned int i);
uint32_t fwc_timeout_default(unsigned int i);

/* Protocols that carry ports, and the ICMP protocols. */
static inline bool fwc_proto_has_ports(unsigned int p)
{
	return p == 6 || p == 17 || p == 132;
}

static inline bool fwc_proto_is_icmp(unsigned int p)
{
	return p == 1 || p == 58;
}

int fwc_resolve(const struct fwc_ast *ast, struct fwc_diag *diag,
		struct fwc_policy *pol);
void fwc_policy_free(struct fwc_policy *pol);

/* Names: protocol, ICMP type (per protocol 1 or 58). -1 when unknown. */
int fwc_proto_by_name(const char *name);
const char *fwc_proto_name(unsigned int proto);
int fwc_icmp_type_by_name(unsigned int proto, const char *name);

/* Reference first-match over the resolved rules (the naive oracle). */
struct fwc_packet;
uint32_t fwc_reference_classify(const struct fwc_policy *pol,
				const struct fwc_packet *pkt);

#endif /* FWC_RESOLVE_H */
