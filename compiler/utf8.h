/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* UTF-8, strictly: what the lexer accepts and JSON/Prometheus may carry. */
#ifndef FWC_UTF8_H
#define FWC_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Bytes of the UTF-8 character at @s (1 for ASCII), looking at no more
 * than @avail bytes; 0 when they are no valid UTF-8: a stray continuation
 * byte, an overlong form, a surrogate, past U+10FFFF, or cut short.
 */
size_t fwc_utf8_len(const unsigned char *s, size_t avail);

/* Is NUL-terminated @s valid UTF-8 throughout? */
bool fwc_utf8_valid(const char *s);

#endif /* FWC_UTF8_H */
