// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addrset.h"
#include "util.h"

void fwc_ivset_free(struct fwc_ivset *s)
{
	free(s->iv);
	memset(s, 0, sizeof(*s));
}

void fwc_ivset_add(struct fwc_ivset *s, fwc_u128 lo, fwc_u128 hi)
{
	struct fwc_iv iv = { lo, hi };

	VEC_PUSH(s->iv, s->n, s->cap, iv);
}

static int cmp_iv(const void *a, const void *b)
{
	const struct fwc_iv *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

void fwc_ivset_coalesce(struct fwc_ivset *s)
{
	size_t o = 0;

	if (s->n < 2)
		return;
	for (size_t i = 1; i < s->n; i++) {
		struct fwc_iv *last = &s->iv[o];

		/* Merge overlapping and adjacent intervals. */
		if (last->hi == FWC_V6_MAX || s->iv[i].lo <= last->hi + 1) {
			if (s->iv[i].hi > last->hi)
				last->hi = s->iv[i].hi;
		} else {
			s->iv[++o] = s->iv[i];
		}
	}
	s->n = o + 1;
}

void fwc_ivset_normalise(struct fwc_ivset *s)
{
	if (s->n < 2)
		return;
	qsort(s->iv, s->n, sizeof(*s->iv), cmp_iv);
	fwc_ivset_coalesce(s);
}

void fwc_ivset_union(struct fwc_ivset *dst, const struct fwc_ivset *src)
{
	struct fwc_ivset out = { 0 };
	size_t i = 0, j = 0;

	if (!src->n)
		return;
	/* Both are sorted: merge, then coalesce overlaps in one pass. */
	out.cap = dst->n + src->n;
	out.iv = xcalloc(out.cap, sizeof(*out.iv));
	while (i < dst->n || j < src->n) {
		bool take_dst = j >= src->n ||
				(i < dst->n && dst->iv[i].lo <= src->iv[j].lo);

		out.iv[out.n++] = take_dst ? dst->iv[i++] : src->iv[j++];
	}
	free(dst->iv);
	*dst = out;
	fwc_ivset_coalesce(dst);
}

void fwc_ivset_subtract(struct fwc_ivset *dst, const struct fwc_ivset *src)
{
	struct fwc_ivset out = { 0 };
	size_t j = 0;

	for (size_t i = 0; i < dst->n; i++) {
		fwc_u128 lo = dst->iv[i].lo, hi = dst->iv[i].hi;
		bool alive = true;

		while (j < src->n && src->iv[j].hi < lo)
			j++;
		for (size_t k = j; k < src->n && src->iv[k].lo <= hi; k++) {
			if (src->iv[k].lo > lo)
				fwc_ivset_add(&out, lo, src->iv[k].lo - 1);
			if (src->iv[k].hi >= hi) {
				alive = false;
				break;
			}
			lo = src->iv[k].hi + 1;
		}
		if (alive)
			fwc_ivset_add(&out, lo, hi);
	}
	free(dst->iv);
	*dst = out;
}

bool fwc_ivset_contains(const struct fwc_ivset *s, fwc_u128 x)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->iv[mid].hi < x)
			lo = mid + 1;
		else if (s->iv[mid].lo > x)
			hi = mid;
		else
			return true;
	}
	return false;
}

bool fwc_ivset_equal(const struct fwc_ivset *a, const struct fwc_ivset *b)
{
	return a->n == b->n &&
	       (a->n == 0 || !memcmp(a->iv, b->iv, a->n * sizeof(*a->iv)));
}

void fwc_ivset_copy(struct fwc_ivset *dst, const struct fwc_ivset *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src->n)
		return;
	dst->iv = xcalloc(src->n, sizeof(*src->iv));
	memcpy(dst->iv, src->iv, src->n * sizeof(*src->iv));
	dst->n = dst->cap = src->n;
}

fwc_u128 fwc_ivset_count(const struct fwc_ivset *s)
{
	fwc_u128 c = 0;

	for (size_t i = 0; i < s->n; i++)
		c += s->iv[i].hi - s->iv[i].lo + 1;
	return c;
}

void fwc_addrset_free(struct fwc_addrset *s)
{
	fwc_ivset_free(&s->v4);
	fwc_ivset_free(&s->v6);
}

void fwc_addrset_any(struct fwc_addrset *s)
{
	fwc_ivset_add(&s->v4, 0, FWC_V4_MAX);
	fwc_ivset_add(&s->v6, 0, FWC_V6_MAX);
	fwc_ivset_normalise(&s->v4);
	fwc_ivset_normalise(&s->v6);
}

void fwc_addrset_union(struct fwc_addrset *dst, const struct fwc_addrset *src)
{
	fwc_ivset_union(&dst->v4, &src->v4);
	fwc_ivset_union(&dst->v6, &src->v6);
}

void fwc_addrset_append(struct fwc_addrset *dst, const struct fwc_addrset *src)
{
	for (size_t i = 0; i < src->v4.n; i++)
		fwc_ivset_add(&dst->v4, src->v4.iv[i].lo, src->v4.iv[i].hi);
	for (size_t i = 0; i < src->v6.n; i++)
		fwc_ivset_add(&dst->v6, src->v6.iv[i].lo, src->v6.iv[i].hi);
}

void fwc_addrset_normalise(struct fwc_addrset *s)
{
	fwc_ivset_normalise(&s->v4);
	fwc_ivset_normalise(&s->v6);
}

void fwc_addrset_subtract(struct fwc_addrset *dst,
			  const struct fwc_addrset *src)
{
	fwc_ivset_subtract(&dst->v4, &src->v4);
	fwc_ivset_subtract(&dst->v6, &src->v6);
}

void fwc_addrset_copy(struct fwc_addrset *dst, const struct fwc_addrset *src)
{
	fwc_ivset_copy(&dst->v4, &src->v4);
	fwc_ivset_copy(&dst->v6, &src->v6);
}

bool fwc_addrset_equal(const struct fwc_addrset *a, const struct fwc_addrset *b)
{
	return fwc_ivset_equal(&a->v4, &b->v4) &&
	       fwc_ivset_equal(&a->v6, &b->v6);
}

bool fwc_addrset_empty(const struct fwc_addrset *s)
{
	return s->v4.n == 0 && s->v6.n == 0;
}

static uint64_t mix(uint64_t h, uint64_t x)
{
	h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t hash_ivset(uint64_t h, const struct fwc_ivset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		h = mix(h, (uint64_t)s->iv[i].lo);
		h = mix(h, (uint64_t)(s->iv[i].lo >> 64));
		h = mix(h, (uint64_t)s->iv[i].hi);
		h = mix(h, (uint64_t)(s->iv[i].hi >> 64));
	}
	return mix(h, s->n);
}

uint64_t fwc_addrset_hash(const struct fwc_addrset *s)
{
	return hash_ivset(hash_ivset(0xcbf29ce484222325ull, &s->v4), &s->v6);
}

uint64_t fwc_ivset_hash(const struct fwc_ivset *s)
{
	return hash_ivset(0x84222325cbf29ce4ull, s);
}

size_t fwc_range_to_prefixes(fwc_u128 lo, fwc_u128 hi, unsigned int bits,
			     void (*fn)(void *ctx, fwc_u128 start,
					unsigned int len),
			     void *ctx)
{
	size_t n = 0;

	for (;;) {
		unsigned int size = 0; /* log2 of the block */

		/* Largest aligned block at lo that stays within hi. */
		while (size < bits) {
			fwc_u128 mask = size + 1 >= 128 ?
						FWC_V6_MAX :
						((fwc_u128)1 << (size + 1)) - 1;

			if (lo & mask)
				break;
			if ((lo | mask) > hi)
				break;
			size++;
		}
		if (fn)
			fn(ctx, lo, bits - size);
		n++;
		if (size == bits)
			return n; /* the whole space */
		{
			fwc_u128 last = lo | (((fwc_u128)1 << size) - 1);

			if (last >= hi)
				return n;
			lo = last + 1;
		}
	}
}

int fwc_parse_v4(const char *s, fwc_u128 *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

int fwc_parse_v6(const char *s, fwc_u128 *out)
{
	struct in6_addr a;
	fwc_u128 v = 0;

	if (inet_pton(AF_INET6, s, &a) != 1)
		return -EINVAL;
	for (int i = 0; i < 16; i++)
		v = (v << 8) | a.s6_addr[i];
	*out = v;
	return 0;
}

void fwc_format_addr(char *buf, size_t len, int family, fwc_u128 a)
{
	if (family == 4) {
		struct in_addr in = { htonl((uint32_t)a) };

		inet_ntop(AF_INET, &in, buf, (socklen_t)len);
	} else {
		struct in6_addr in6;

		for (int i = 15; i >= 0; i--, a >>= 8)
			in6.s6_addr[i] = (uint8_t)a;
		inet_ntop(AF_INET6, &in6, buf, (socklen_t)len);
	}
}
