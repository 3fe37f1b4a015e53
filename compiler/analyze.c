// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Exact shadowing analysis on the classes: which rules never decide. */
#include <string.h>

#include "lower.h"
#include "util.h"

static bool list_has(const uint32_t *list, size_t n, uint32_t r)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (list[mid] < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && list[lo] == r;
}

#define MAX_NAMED 8

/* Where rule @r would match, which earlier rules decide instead. */
static size_t winners_over(const struct fwc_classes *c,
			   const struct fwc_tables *t,
			   const struct fwc_lower *lw, uint32_t r,
			   uint64_t *seen, uint32_t *named)
{
	size_t n_named = 0;

	for (uint32_t l = 0; l < lw->lists.n; l++) {
		const uint32_t *dec;

		if (l >= lw->cap_realised || !lw->realised[l] ||
		    !list_has(lw->lists.vec[l], lw->lists.len[l], r))
			continue;
		dec = t->decision + (size_t)lw->list_row[l] * c->n_svc;
		for (uint32_t v = 0; v < c->n_svc; v++) {
			uint32_t w;

			if (!fwc_bit(c->svc_rules + (size_t)v * c->rule_words,
				     r))
				continue;
			w = dec[v];
			if (w && !fwc_bit(seen, w - 1)) {
				fwc_bit_set(seen, w - 1);
				if (n_named < MAX_NAMED)
					named[n_named] = w;
				n_named++;
			}
		}
	}
	return n_named;
}

static void report(const struct fwc_policy *pol, uint32_t r,
		   const uint32_t *named, size_t n, struct fwc_diag *diag)
{
	char buf[256];
	size_t o = 0;

	if (n == 0) {
		fwc_warning(diag, pol->rules[r].pos,
			    "rule %u matches no packet (are source and "
			    "destination of different address families?)",
			    pol->rules[r].id);
		return;
	}
	for (size_t i = 0; i < n && i < MAX_NAMED; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%u",
				      i ? ", " : "", named[i]);
	if (n > MAX_NAMED)
		snprintf(buf + o, sizeof(buf) - o, " and %zu more",
			 n - MAX_NAMED);
	fwc_warning(diag, pol->rules[r].pos,
		    "rule %u is shadowed by earlier rule%s %s and never "
		    "decides a packet",
		    pol->rules[r].id, n > 1 ? "s" : "", buf);
}

void fwc_analyze_shadowing(const struct fwc_policy *pol,
			   const struct fwc_classes *c,
			   const struct fwc_tables *t,
			   const struct fwc_lower *lw, struct fwc_diag *diag)
{
	uint64_t *won = xcalloc(c->rule_words, sizeof(*won));
	uint64_t *seen = xcalloc(c->rule_words, sizeof(*seen));
	uint32_t named[MAX_NAMED];

	for (uint32_t l = 0; l < lw->lists.n; l++) {
		const uint32_t *dec;

		if (l >= lw->cap_realised || !lw->realised[l])
			continue;
		dec = t->decision + (size_t)lw->list_row[l] * c->n_svc;
		for (uint32_t v = 0; v < c->n_svc; v++)
			if (dec[v])
				fwc_bit_set(won, dec[v] - 1);
	}
	for (uint32_t r = 0; r < pol->n_rules; r++) {
		size_t n;

		if (fwc_bit(won, r) || pol->rules[r].n_terms == 0)
			continue;
		memset(seen, 0, c->rule_words * sizeof(*seen));
		n = winners_over(c, t, lw, r, seen, named);
		report(pol, r, named, n, diag);
	}
	free(won);
	free(seen);
}
