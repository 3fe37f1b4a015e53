/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The nftables backend: a resolved policy as one nftables table that
 * `nft -f` loads, with the same meaning as the compiled tables (first
 * match, per-rule counters, stateful replies). Used as a fallback where
 * XDP is not wanted, and as an independent oracle in tests/diff/.
 */
#ifndef FWC_EMIT_NFT_H
#define FWC_EMIT_NFT_H

#include <stdint.h>
#include <stdio.h>

struct fwc_policy;
struct fwc_diag;

struct fwc_nft_opts {
	const char *table; /* table name in family inet; "fwc" when NULL */
	/*
	 * nftables has no endpoint-mapper helper, so an rpc rule
	 * (docs/rpc-pinholes.md) cannot open pinholes. rpc_hi 0: such a
	 * rule is refused. Else (--rpc-fallback LO-HI) it also admits TCP
	 * to the ports of rpc_lo..rpc_hi its pinholes could open (within
	 * its interfaces' port bounds): the weaker fallback.
	 */
	uint16_t rpc_lo, rpc_hi;
	/* Where refused rpc rules are reported; stderr, unplaced, if NULL. */
	struct fwc_diag *diag;
};

/*
 * Writes the ruleset of @pol to @out. The file replaces the table
 * atomically when loaded again. Returns 0, -EINVAL for a table name nft
 * would not accept, -EOPNOTSUPP for rpc rules without a fallback (each
 * reported, nothing written), or -EIO when writing failed.
 */
int fwc_emit_nft(const struct fwc_policy *pol, const struct fwc_nft_opts *opts,
		 FILE *out);

#endif /* FWC_EMIT_NFT_H */
