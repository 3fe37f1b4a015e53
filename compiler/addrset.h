/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Interval sets: addresses (IPv4 and IPv6 kept apart) and ports are sorted,
 * disjoint, non-adjacent closed intervals, so set algebra (lists, `!`
 * exclusions, ranges) is exact and two equal sets compare equal.
 */
#ifndef FWC_ADDRSET_H
#define FWC_ADDRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 fwc_u128;

struct fwc_iv {
	fwc_u128 lo, hi;
};

struct fwc_ivset {
	struct fwc_iv *iv;
	size_t n, cap;
};

#define FWC_V4_MAX ((fwc_u128)0xffffffffu)
#define FWC_V6_MAX (~(fwc_u128)0)

struct fwc_addrset {
	struct fwc_ivset v4, v6;
};

void fwc_ivset_free(struct fwc_ivset *s);
/* Appends [lo, hi]; call fwc_ivset_normalise() after a batch of adds. */
void fwc_ivset_add(struct fwc_ivset *s, fwc_u128 lo, fwc_u128 hi);
void fwc_ivset_normalise(struct fwc_ivset *s);
/* Merges overlapping/adjacent intervals of a sorted set. */
void fwc_ivset_coalesce(struct fwc_ivset *s);
uint64_t fwc_ivset_hash(const struct fwc_ivset *s);
void fwc_ivset_union(struct fwc_ivset *dst, const struct fwc_ivset *src);
/* dst = dst \ src (both normalised). */
void fwc_ivset_subtract(struct fwc_ivset *dst, const struct fwc_ivset *src);
bool fwc_ivset_contains(const struct fwc_ivset *s, fwc_u128 x);
bool fwc_ivset_equal(const struct fwc_ivset *a, const struct fwc_ivset *b);
void fwc_ivset_copy(struct fwc_ivset *dst, const struct fwc_ivset *src);
fwc_u128 fwc_ivset_count(const struct fwc_ivset *s);

void fwc_addrset_free(struct fwc_addrset *s);
void fwc_addrset_any(struct fwc_addrset *s);
void fwc_addrset_union(struct fwc_addrset *dst, const struct fwc_addrset *src);
/* Appends without normalising; call fwc_addrset_normalise() once after. */
void fwc_addrset_append(struct fwc_addrset *dst, const struct fwc_addrset *src);
void fwc_addrset_normalise(struct fwc_addrset *s);
void fwc_addrset_subtract(struct fwc_addrset *dst,
			  const struct fwc_addrset *src);
void fwc_addrset_copy(struct fwc_addrset *dst, const struct fwc_addrset *src);
bool fwc_addrset_equal(const struct fwc_addrset *a,
		       const struct fwc_addrset *b);
bool fwc_addrset_empty(const struct fwc_addrset *s);
uint64_t fwc_addrset_hash(const struct fwc_addrset *s);

/*
 * Splits [lo, hi] of a @bits-bit space into CIDR prefixes; calls @fn with
 * each prefix start and length. Returns the number of prefixes.
 */
size_t fwc_range_to_prefixes(fwc_u128 lo, fwc_u128 hi, unsigned int bits,
			     void (*fn)(void *ctx, fwc_u128 start,
					unsigned int len),
			     void *ctx);

/* Address text: parse and format (IPv4 in the low 32 bits). */
int fwc_parse_v4(const char *s, fwc_u128 *out);
int fwc_parse_v6(const char *s, fwc_u128 *out);
void fwc_format_addr(char *buf, size_t len, int family, fwc_u128 a);

#endif /* FWC_ADDRSET_H */
