/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Semantic diff of two policies (fwc diff): the exact set of packets whose
 * verdict changes, as regions of the classes both policies induce
 * together. Not sampled: every (source, destination, service) class
 * triple is decided once by each policy and compared. So are the pinholes
 * of rpc rules (docs/rpc-pinholes.md): TCP 135 allowed by both, but with
 * other interfaces or port bounds for its endpoint-mapper answers, is a
 * region too (rpc set, the verdicts equal).
 */
#ifndef FWC_DIFF_H
#define FWC_DIFF_H

#include <stdio.h>

#include "lower.h"

struct fwc_diff_region {
	uint32_t src, dst, svc;	     /* classes of the merged policy */
	uint32_t old_rule, new_rule; /* deciding rule ids, 0 = default */
	bool old_allow, new_allow;
	bool rpc; /* allowed by both: what its EPM answers open differs */
};

struct fwc_diff {
	const struct fwc_policy *old_pol, *new_pol;
	struct fwc_policy merged; /* old's rules, then new's */
	struct fwc_classes c;
	struct fwc_tables t;
	struct fwc_lower lw;
	struct fwc_diff_region *regions;
	size_t n, cap;
	size_t n_rpc; /* regions with rpc set */
	uint8_t *epm; /* per service class: holds TCP dport 135 */
};

/* Compares @old_pol with @new_pol (both kept, not owned). */
int fwc_diff_compute(const struct fwc_policy *old_pol,
		     const struct fwc_policy *new_pol, struct fwc_diff *d);
void fwc_diff_free(struct fwc_diff *d);

/*
 * The region @pkt falls in, or -1 when neither its verdict nor (TCP 135)
 * its pinholes change.
 */
long fwc_diff_find(const struct fwc_diff *d, const struct fwc_packet *pkt);
/* A packet inside region @i. */
void fwc_diff_sample(const struct fwc_diff *d, size_t i,
		     struct fwc_packet *pkt);
/*
 * Regions as text lines or JSON objects, those differing only in their
 * sources joined; returns the number printed.
 */
size_t fwc_diff_print(const struct fwc_diff *d, FILE *f, bool json);

/*
 * The service classes of @c that hold TCP packets to port 135, which an
 * rpc service classifies as (an array of c->n_svc + 1 flags to free).
 * Defined in analyze.c (fwc check's analysis needs it, and must not
 * depend on diff.c: make layers).
 */
uint8_t *fwc_epm_classes(const struct fwc_classes *c);

#endif /* FWC_DIFF_H */
