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
/* The service classes each rule is in, in class order. */
void fwc_svcs_by_rule(const struct fwc_classes *c, size_t n_rules,
		      struct fwc_csr *out);

struct fwc_compile_opts;
int fwc_tables_build(const struct fwc_policy *pol, const struct fwc_classes *c,
		     const struct fwc_compile_opts *opts, struct fwc_tables *t,
		     struct fwc_lower *lw);
void fwc_lower_free(struct fwc_lower *lw);

/* fwc check's findings: shadowed, unmatched, redundant, overlap, wide. */
void fwc_analyze(const struct fwc_policy *pol, const struct fwc_classes *c,
		 const struct fwc_tables *t, const struct fwc_lower *lw,
		 uint32_t wide_ports, struct fwc_diag *diag);

#endif /* FWC_LOWER_H */
