// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* UTF-8, strictly (RFC 3629): one decoder for the lexer, reader, metrics. */
#include <string.h>

#include "utf8.h"

size_t fwc_utf8_len(const unsigned char *s, size_t avail)
{
	unsigned int lo = 0x80, hi = 0xbf;
	size_t n;

	if (!avail)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* The second byte's range rules out overlongs and surrogates. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
			return 0;
	return n;
}

bool fwc_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), n;

	for (; left; p += n, left -= n)
		if (!(n = fwc_utf8_len(p, left)))
			return false;
	return true;
}
