/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* "Did you mean": how far apart two names are. */
#ifndef FWC_SUGGEST_H
#define FWC_SUGGEST_H

#include <stdbool.h>

/*
 * Levenshtein distance of @a and @b, letters compared without case when
 * @fold; 99 when either is 63 bytes or longer (no suggestion is worth it).
 */
unsigned int fwc_edit_distance(const char *a, const char *b, bool fold);

#endif /* FWC_SUGGEST_H */
