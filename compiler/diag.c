// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stdarg.h>
#include <stdbool.h>
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
	if (start == 0)
		start = fwc_bom_len(t, len);
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

void fwc_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void report_json(struct fwc_diag *d, struct fwc_pos pos,
			const char *severity, const char *kind,
			const uint32_t *rules, size_t n_rules, const char *msg)
{
	fprintf(d->out, "%s{\"file\": ", d->emitted++ ? ",\n " : "");
	fwc_json_str(d->out, d->src->name);
	fprintf(d->out,
		", \"line\": %u, \"col\": %u, \"severity\": \"%s\", "
		"\"kind\": \"%s\", \"rules\": [",
		pos.line, pos.col, severity, kind);
	for (size_t i = 0; i < n_rules; i++)
		fprintf(d->out, "%s%u", i ? ", " : "", rules[i]);
	fputs("], \"message\": ", d->out);
	fwc_json_str(d->out, msg);
	fputc('}', d->out);
}

static void report_kind(struct fwc_diag *d, struct fwc_pos pos,
			const char *severity, const char *kind,
			const uint32_t *rules, size_t n_rules, const char *fmt,
			va_list ap)
{
	char msg[1024];

	if (d->json) {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		report_json(d, pos, severity, kind, rules, n_rules, msg);
		return;
	}
	fprintf(d->out, "%s:%u:%u: %s: ", d->src->name, pos.line, pos.col,
		severity);
	vfprintf(d->out, fmt, ap);
	fputc('\n', d->out);
	quote_line(d, pos);
}

static void report(struct fwc_diag *d, struct fwc_pos pos, const char *kind,
		   const char *fmt, va_list ap)
{
	report_kind(d, pos, kind, kind, NULL, 0, fmt, ap);
}

/* Counts a finding of @kind; whether it is among the first shown. */
static bool kind_count(struct fwc_diag *d, const char *kind)
{
	unsigned int i;

	for (i = 0; i < d->n_kinds; i++)
		if (!strcmp(d->kinds[i].kind, kind))
			break;
	if (i == d->n_kinds) {
		if (i == FWC_DIAG_KINDS)
			return true; /* never: the kinds are a short list */
		d->kinds[d->n_kinds++].kind = kind;
	}
	return ++d->kinds[i].n <= FWC_DIAG_MAX_PER_KIND;
}

void fwc_finding(struct fwc_diag *d, struct fwc_pos pos, const char *kind,
		 const uint32_t *rules, size_t n_rules, const char *fmt, ...)
{
	va_list ap;

	d->warnings++;
	if (d->quiet_warnings || !kind_count(d, kind))
		return;
	va_start(ap, fmt);
	report_kind(d, pos, "warning", kind, rules, n_rules, fmt, ap);
	va_end(ap);
}

void fwc_error(struct fwc_diag *d, struct fwc_pos pos, const char *fmt, ...)
{
	va_list ap;

	if (++d->errors > FWC_DIAG_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	report(d, pos, "error", fmt, ap);
	va_end(ap);
	if (d->errors == FWC_DIAG_MAX_ERRORS && !d->json)
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

	if ((d->quiet_warnings && d->errors == 0) || d->json)
		return;
	va_start(ap, fmt);
	report(d, pos, "note", fmt, ap);
	va_end(ap);
}

void fwc_error_file(struct fwc_diag *d, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	if (d->json) {
		char msg[512];
		struct fwc_pos none = { 0, 0, 0 };

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		report_json(d, none, "error", "error", NULL, 0, msg);
		return;
	}
	fprintf(d->out, "%s: error: ", d->src->name);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
}

void fwc_note_file(struct fwc_diag *d, const char *fmt, ...)
{
	va_list ap;

	if ((d->quiet_warnings && d->errors == 0) || d->json)
		return;
	fprintf(d->out, "%s: note: ", d->src->name);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
}

void fwc_diag_finish(struct fwc_diag *d)
{
	if (d->quiet_warnings)
		return;
	for (unsigned int i = 0; i < d->n_kinds; i++) {
		unsigned int more = d->kinds[i].n - FWC_DIAG_MAX_PER_KIND;
		char msg[128];

		if (d->kinds[i].n <= FWC_DIAG_MAX_PER_KIND)
			continue;
		snprintf(msg, sizeof(msg), "and %u more %s warning%s", more,
			 d->kinds[i].kind, more == 1 ? "" : "s");
		if (!d->json) {
			fprintf(d->out, "%s: note: %s (not shown)\n",
				d->src->name, msg);
			continue;
		}
		fprintf(d->out, "%s{\"file\": ", d->emitted++ ? ",\n " : "");
		fwc_json_str(d->out, d->src->name);
		fprintf(d->out,
			", \"line\": 0, \"col\": 0, \"severity\": "
			"\"warning\", \"kind\": \"%s\", \"rules\": [], "
			"\"message\": \"%s\", \"more\": %u}",
			d->kinds[i].kind, msg, more);
	}
}

const char *fwc_quote(const char *s)
{
	static __thread char buf[8][FWC_QUOTE_MAX + 4];
	static __thread unsigned int next;
	size_t n = FWC_QUOTE_MAX;
	char *b;

	if (strnlen(s, FWC_QUOTE_MAX + 4) <= FWC_QUOTE_MAX + 3)
		return s;
	/* Cut before a UTF-8 continuation byte: whole characters only. */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	b = buf[next++ % 8];
	memcpy(b, s, n);
	memcpy(b + n, "...", 4);
	return b;
}

struct fwc_pos fwc_pos_at(const struct fwc_src *src, size_t off)
{
	size_t start = fwc_bom_len(src->text, src->len);
	unsigned int line = 1;

	for (size_t i = start; i < off && i < src->len; i++)
		if (src->text[i] == '\n') {
			line++;
			start = i + 1;
		}
	return (struct fwc_pos){ .line = line,
				 .col = (unsigned int)(off - start + 1),
				 .off = off };
}

int fwc_diag_full(const struct fwc_diag *d)
{
	return d->errors >= FWC_DIAG_MAX_ERRORS;
}
