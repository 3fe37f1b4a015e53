/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Equivalence classes: the address, protocol and port spaces partitioned so
 * that no rule tells apart two members of a class (architecture note).
 */
#ifndef FWC_CLASSES_H
#define FWC_CLASSES_H

#include "fwc_abi.h"
#include "resolve.h"

/* A partition of [0, max] into segments labelled with class ids. */
struct fwc_seg {
	fwc_u128 lo, hi;
	uint32_t cls;
};

struct fwc_partition {
	struct fwc_seg *seg;
	size_t n_seg;
	uint32_t n_cls;
	size_t words;  /* bitset words per class signature */
	uint64_t *sig; /* n_cls * words: which input sets contain the class */
};

/*
 * Partitions [0, max] by membership in @sets. With @reserve_empty, class 0
 * is "in no set" even when no point is.
 */
void fwc_partition(const struct fwc_ivset *const *sets, size_t n_sets,
		   fwc_u128 max, bool reserve_empty, struct fwc_partition *out);
void fwc_partition_free(struct fwc_partition *p);

static inline bool fwc_bit(const uint64_t *bits, size_t i)
{
	return bits[i / 64] >> (i % 64) & 1;
}

static inline void fwc_bit_set(uint64_t *bits, size_t i)
{
	bits[i / 64] |= (uint64_t)1 << (i % 64);
}

enum fwc_pc_kind {
	PC_OTHER,
	PC_PORTS,
	PC_ICMP
};

struct fwc_pclass {
	enum fwc_pc_kind kind;
	uint32_t *terms; /* terms whose protocols include this class */
	size_t n_terms, cap_terms;
	struct fwc_partition k1, k2; /* dport/sport, or type */
	uint32_t *k1_sets, *k2_sets; /* set id of each partition input */
	uint32_t *svc;		     /* k1.n_cls * k2.n_cls service classes */
};

/* What passes a table budget (fwc_classes_build_within, lower.h). */
enum fwc_over {
	FWC_OVER_NONE,
	FWC_OVER_SVC,	    /* the svc map */
	FWC_OVER_SVC_RULES, /* the service classes' rule sets */
	FWC_OVER_PAIR,	    /* the pair table */
	FWC_OVER_DECISION,  /* the decision table */
	FWC_OVER_LISTS,	    /* the candidate rule lists */
	FWC_OVER_RULE_SVCS, /* each rule's service classes */
	FWC_OVER_WORK,	    /* counting the rows passed its bound (auto) */
};

struct fwc_classes {
	/* Addresses: src/dst partitions per family; v6 ids follow v4's. */
	struct fwc_partition src4, src6, dst4, dst6;
	uint32_t *src_role, *dst_role; /* rule → index of its host set role */
	uint32_t *src_sets, *dst_sets; /* role → host set id */
	size_t n_src_roles, n_dst_roles;
	uint32_t n_src, n_dst; /* classes, both families */
	/* addr classes: (src class, dst class) of each refined segment */
	struct fwc_addr_class *addr;
	uint32_t n_addr, cap_addr;
	struct fwc_seg *aseg4, *aseg6; /* segments labelled by addr class */
	size_t n_aseg4, n_aseg6;

	/* Protocols. */
	uint32_t proto_pc[256];
	struct fwc_pclass *pc;
	uint32_t n_pc;

	/* Service classes: sets of rules a (proto, k1, k2) combination
	 * matches, as bitsets over rules. */
	uint64_t *svc_rules;
	uint32_t n_svc, cap_svc;
	size_t rule_words;
	/* FWC_OVER_NONE, or where a budget stopped the build. */
	enum fwc_over over;
};

void fwc_classes_build(const struct fwc_policy *pol, struct fwc_classes *c);
/*
 * The same within a budget of @max_bytes for the tables that are
 * products of class counts: -E2BIG and c->over when the pair table
 * (n_src * n_dst u32s, counted before any address class is built; then
 * only n_src and n_dst are set), the svc map (fwc_svc_map_entries() u32s)
 * or the two together would pass it, before the service classes are
 * built, or when the service classes' rule sets (n_svc bitsets of
 * rule_words words) pass it while they are. Free @c with
 * fwc_classes_free() either way.
 */
int fwc_classes_build_within(const struct fwc_policy *pol,
			     struct fwc_classes *c, uint64_t max_bytes);
/*
 * From the four address partitions of @c (their segments and class
 * counts; class 0 of each "in no set"): n_src, n_dst, the addr classes
 * and the segments labelled by them (addr class 0: IPv6 in no set).
 */
void fwc_classes_refine(struct fwc_classes *c);
/* Entries of the svc map: the (k1, k2) combinations of every protocol. */
uint64_t fwc_svc_map_entries(const struct fwc_classes *c);
void fwc_classes_free(struct fwc_classes *c);

/* Family of source/destination class @id (4 or 6). */
static inline int fwc_src_family(const struct fwc_classes *c, uint32_t id)
{
	return id < c->src4.n_cls ? 4 : 6;
}

static inline int fwc_dst_family(const struct fwc_classes *c, uint32_t id)
{
	return id < c->dst4.n_cls ? 4 : 6;
}

/* Does source class @s contain the source set of rule @r? */
bool fwc_src_has_rule(const struct fwc_classes *c, uint32_t s, uint32_t r);
bool fwc_dst_has_rule(const struct fwc_classes *c, uint32_t d, uint32_t r);

#endif /* FWC_CLASSES_H */
