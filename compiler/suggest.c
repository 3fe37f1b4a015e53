// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* "Did you mean": the one edit distance of zones, services and RPC names. */
#include <ctype.h>
#include <string.h>

#include "suggest.h"

static bool same(char x, char y, bool fold)
{
	return fold ? tolower((unsigned char)x) == tolower((unsigned char)y) :
		      x == y;
}

unsigned int fwc_edit_distance(const char *a, const char *b, bool fold)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned int row[64], prev, tmp;

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned int)j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (unsigned int)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned int best =
				prev + !same(a[i - 1], b[j - 1], fold);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}
