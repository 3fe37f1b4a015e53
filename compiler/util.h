/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Allocation helpers: the compiler treats running out of memory as fatal. */
#ifndef FWC_UTIL_H
#define FWC_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void *fwc_oom(void)
{
	fputs("fwc: out of memory\n", stderr);
	abort();
}

static inline void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	return p ? p : fwc_oom();
}

static inline void *xrealloc(void *p, size_t n, size_t size)
{
	if (size && n > (size_t)-1 / size)
		return fwc_oom();
	p = realloc(p, (n * size) != 0 ? n * size : 1);
	return p ? p : fwc_oom();
}

static inline char *xstrdup(const char *s)
{
	char *p = strdup(s);

	return p ? p : fwc_oom();
}

/* Appends one element to a growable array. */
#define VEC_PUSH(arr, n, cap, val)                                      \
	do {                                                            \
		if ((n) == (cap)) {                                     \
			(cap) = (cap) ? (cap)*2 : 8;                    \
			(arr) = xrealloc((arr), (cap), sizeof(*(arr))); \
		}                                                       \
		(arr)[(n)++] = (val);                                   \
	} while (0)

#endif /* FWC_UTIL_H */
