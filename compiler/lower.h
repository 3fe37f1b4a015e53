/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Internal: classes → tables, and what analysis needs from the lowering. */
#ifndef FWC_LOWER_H
#define FWC_LOWER_H

#include "classes.h"
#include "tables.h"

struct fwc_lower {
	/* Distinct candidate rule lists of (src, dst) class pairs. */
	struct vectab {
		uint32_t *slot;
		size_t cap;
		uint32_t **vec; /* into blocks: stable, freed together */
		size_t *len;
		uint64_t *hash;
		uint32_t n, cap_vec;
		uint32_t **blocks;
		size_t n_blocks, cap_blocks, used, room;
	} lists;
	uint32_t empty_list;
	uint8_t *realised; /* list reached by a same-family address pair */
	size_t cap_realised;
	uint32_t *list_row;  /* list → decision row */
	uint32_t *pair_list; /* (src, dst) class pair → list */
};

/* Compressed lists: members of group g are item[off[g] .. off[g + 1]). */
struct fwc_csr {
	uint32_t *off, *item;
};

void fwc_csr_free(struct fwc_csr *c);
/*
 * A decision row: for every service class, 1 + the first of @list's
 * rules (indexes of @by_rule's rules, in order) in it, or 0.
 */
void fwc_decide_row(const struct fwc_csr *by_rule, const uint32_t *list,
		    size_t n, uint32_t *dec, uint32_t n_svc);
/* The service classes each rule is in, in class order. */
void fwc_svcs_by_rule(const struct fwc_classes *c, size_t n_rules,
		      struct fwc_csr *out);

/*
 * What fwc_tables_build() would allocate for the tables whose size is a
 * product of class counts (svc, pair, decision) and for the candidate
 * rule lists it interns on the way, known before it allocates them.
 */
struct fwc_estimate {
	uint64_t budget; /* bytes of svc + pair + decision; of the lists */
	enum fwc_over over;
	uint64_t svc_bytes, pair_bytes, decision_bytes;
	/*
	 * Decision rows: counted (exact), or a bound the budget holds
	 * (!exact), or with more: counting stopped past what it holds.
	 */
	uint64_t rows;
	bool exact, more;
	uint64_t lists, list_bytes; /* distinct lists, bytes (or a bound) */
	uint64_t pairs;		    /* same-family (src, dst) class pairs */
	uint64_t rule_svc_bytes;    /* each rule's service classes (CSR) */
	uint64_t max_work;	    /* counting stops past it (0: never) */
	uint64_t work;		    /* what the count did: fwc_tables_count() */
};

/*
 * The work --layout auto lets the exact count of the single layout's rows
 * do before it takes the grouped layout: a bound on steps, not a clock,
 * so that a policy takes the same layout on any machine and under any
 * load. A step is a (rule, destination class) spread, a destination class
 * scanned, or a rule or service class of a new list's row; about 290 M
 * steps a second here (fw 10k: 3.2 G steps, 11 s, to find that its lists
 * do not fit; acl 10k: 0.14 G to find that its rows do).
 */
#define FWC_COUNT_WORK 500000000ull

/* Bytes of an interned candidate list beyond its entries (struct vectab). */
#define FWC_LIST_COST 48u

/*
 * Fills @e for @budget bytes: 0 when the tables fit, -E2BIG (e->over says
 * which) when they would not. The rows are bounded cheaply from the
 * classes (at most one a same-family address-class pair covered by some
 * rule, plus the empty one); only when that bound does not fit are they
 * counted, by fingerprints of each pair's list and row, without keeping
 * the lists, and the count stops once past the budget, or past
 * @max_work steps (FWC_OVER_WORK; 0: no bound).
 */
int fwc_tables_estimate(const struct fwc_policy *pol,
			const struct fwc_classes *c, uint64_t budget,
			uint64_t max_work, struct fwc_estimate *e);

/*
 * The count itself: e->rows, e->lists and e->list_bytes, exact unless
 * it stops (e->more) once the rows pass @max_rows or the lists, or one
 * source class's lists together, e->budget bytes.
 */
int fwc_tables_count(const struct fwc_policy *pol, const struct fwc_classes *c,
		     uint64_t max_rows, struct fwc_estimate *e);

struct fwc_compile_opts;
/*
 * The tables but the cross product: rules, rpc, address tries, addr
 * classes, protocol, l4 and svc maps, from @c's address segments and
 * protocol classes.
 */
void fwc_tables_build_lookup(const struct fwc_policy *pol,
			     const struct fwc_classes *c,
			     const struct fwc_compile_opts *opts,
			     struct fwc_tables *t);
/*
 * The cross product: pair and decision (meta n_src, n_dst, n_rows), with
 * rule ids of @pol, within @budget bytes (-E2BIG).
 */
int fwc_tables_build_cross(const struct fwc_policy *pol,
			   const struct fwc_classes *c, struct fwc_tables *t,
			   struct fwc_lower *lw, uint64_t budget);
int fwc_tables_build(const struct fwc_policy *pol, const struct fwc_classes *c,
		     const struct fwc_compile_opts *opts, struct fwc_tables *t,
		     struct fwc_lower *lw);
void fwc_lower_free(struct fwc_lower *lw);

/*
 * The grouped layout (compiler/groups.c, include/fwc_abi.h "Groups"),
 * for a policy whose single cross product passes the budget: 0 and @t,
 * or -E2BIG and in @why what passes it (the largest group, its rules and
 * classes), before its tables are allocated whole.
 */
int fwc_tables_build_groups(const struct fwc_policy *pol,
			    const struct fwc_compile_opts *opts,
			    struct fwc_tables *t, char *why, size_t len);

/* fwc check's findings: shadowed, unmatched, redundant, overlap, wide. */
void fwc_analyze(const struct fwc_policy *pol, const struct fwc_classes *c,
		 const struct fwc_tables *t, const struct fwc_lower *lw,
		 uint32_t wide_ports, struct fwc_diag *diag);

#endif /* FWC_LOWER_H */
