// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stdarg.h>
#include <string.h>

#include "diag.h"

/* Long lines (a 10 MB one-liner) are quoted as a window around the column. */
#define QUOTE_WINDOW 120

void fwc_diag_init(struct fwc_diag *d, const struct fwc_src *src, FILE *out)
{
	memset(d, 0, sizeof(*d));
	d->src = src;
	d->out = out ? out : stderr;
}

static void quote_line(struct fwc_diag *d, struct fwc_pos pos)
{
	const char *t = d->src->text;
	size_t len = d->src->len, start = pos.off, end = pos.off, from, to, i;

	if (pos.off > len)
		return;
	while (start > 0 && t[start - 1] != '\n')
		start--;
	while (end < len && t[end] != '\n')
		end++;
	from = start;
	to = end;
	if (pos.off - start > QUOTE_WINDOW / 2)
		from = pos.off - QUOTE_WINDOW / 2;
	if (to - from > QUOTE_WINDOW)
		to = from + QUOTE_WINDOW;
	fputs("  ", d->out);
	if (from > start)
		fputs("...", d->out);
	for (i = from; i < to; i++) {
		unsigned char c = (unsigned char)t[i];

		fputc(c == '\t' || (c >= 0x20 && c < 0x7f) ? c : '?', d->out);
	}
	if (to < end)
		fputs("...", d->out);
	fputs("\n  ", d->out);
	if (from > start)
		fputs("   ", d->out);
	for (i = from; i < pos.off; i++)
		fputc(t[i] == '\t' ? '\t' : ' ', d->out);
	fputs("^\n", d->out);
}

static void report(struct fwc_diag *d, struct fwc_pos pos, const char *kind,
		   const char *fmt, va_list ap)
{
	fprintf(d->out, "%s:%u:%u: %s: ", d->src->name, pos.line, pos.col,
		kind);
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
	quote_line(d, pos);
}

void fwc_error(struct fwc_diag *d, struct fwc_pos pos, const char *fmt, ...)
{
	va_list ap;

	if (++d->errors > FWC_DIAG_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	report(d, pos, "error", fmt, ap);
	va_end(ap);
	if (d->errors == FWC_DIAG_MAX_ERRORS)
		fprintf(d->out, "%s: too many errors, stopping\n",
			d->src->name);
}

void fwc_warning(struct fwc_diag *d, struct fwc_pos pos, const char *fmt, ...)
{
	va_list ap;

	d->warnings++;
	if (d->quiet_warnings)
		return;
	va_start(ap, fmt);
	report(d, pos, "warning", fmt, ap);
	va_end(ap);
}

void fwc_note(struct fwc_diag *d, struct fwc_pos pos, const char *fmt, ...)
{
	va_list ap;

	if (d->quiet_warnings && d->errors == 0)
		return;
	va_start(ap, fmt);
	report(d, pos, "note", fmt, ap);
	va_end(ap);
}

void fwc_error_file(struct fwc_diag *d, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	fprintf(d->out, "%s: error: ", d->src->name);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
}

int fwc_diag_full(const struct fwc_diag *d)
{
	return d->errors >= FWC_DIAG_MAX_ERRORS;
}
