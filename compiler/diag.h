/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Diagnostics: file:line:col, the source line and a caret. */
#ifndef FWC_DIAG_H
#define FWC_DIAG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct fwc_src {
	const char *name; /* file name as given */
	const char *text;
	size_t len;
};

struct fwc_pos {
	unsigned int line; /* 1-based */
	unsigned int col;  /* 1-based, in bytes */
	size_t off;	   /* byte offset in the text */
};

/* Findings of each kind shown; the rest are counted (fwc_diag_finish). */
#define FWC_DIAG_MAX_PER_KIND 20
#define FWC_DIAG_KINDS 16

struct fwc_diag {
	const struct fwc_src *src;
	FILE *out;
	unsigned int errors;
	unsigned int warnings;
	int quiet_warnings;
	int json;	      /* one JSON object per line instead of text */
	unsigned int emitted; /* JSON objects written (for the commas) */
	struct {
		const char *kind;
		unsigned int n;
	} kinds[FWC_DIAG_KINDS]; /* findings by kind, shown or not */
	unsigned int n_kinds;
};

#define FWC_DIAG_MAX_ERRORS 20

/* A user's token quoted in a message: long ones shortened (a 10 MB name). */
#define FWC_QUOTE_MAX 32

void fwc_diag_init(struct fwc_diag *d, const struct fwc_src *src, FILE *out);
void fwc_error(struct fwc_diag *d, struct fwc_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fwc_warning(struct fwc_diag *d, struct fwc_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fwc_note(struct fwc_diag *d, struct fwc_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A warning of analysis: its @kind and the rules involved (JSON). */
void fwc_finding(struct fwc_diag *d, struct fwc_pos pos, const char *kind,
		 const uint32_t *rules, size_t n_rules, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* After the findings: "and M more KIND warnings" for each kind capped. */
void fwc_diag_finish(struct fwc_diag *d);
/*
 * @s as it may be quoted: itself when short, else its first FWC_QUOTE_MAX
 * bytes (whole UTF-8 characters) and "...", in one of a few buffers that
 * the next calls reuse (enough for one message's arguments).
 */
const char *fwc_quote(const char *s);
/* Writes @s as a JSON string. */
void fwc_json_str(FILE *f, const char *s);
/* An error about the whole file (empty, unreadable). */
void fwc_error_file(struct fwc_diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A note about the whole file, after an error (none in JSON). */
void fwc_note_file(struct fwc_diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A UTF-8 byte-order mark: skipped, and not counted in columns. */
static inline size_t fwc_bom_len(const char *text, size_t len)
{
	return len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;
}

/* The line and column of byte @off of @src. */
struct fwc_pos fwc_pos_at(const struct fwc_src *src, size_t off);

/* Too many errors already: callers stop early. */
int fwc_diag_full(const struct fwc_diag *d);

#endif /* FWC_DIAG_H */
