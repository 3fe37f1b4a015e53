/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The compiler's entry points: policy text or artifact → tables. */
#ifndef FWC_COMPILE_H
#define FWC_COMPILE_H

#include <stdbool.h>
#include <stdio.h>

#include "readfile.h"
#include "tables.h"

struct fwc_policy;

struct fwc_compile_opts {
	bool warnings; /* print warnings to the error stream */
	bool json;     /* diagnostics as JSON objects (fwc check --json) */
	/* Warn about allow rules opening more destination ports than this
	 * (0: FWC_WIDE_PORTS). */
	uint32_t wide_ports;
	FILE *err; /* diagnostics go here (stderr when NULL) */
	/* IPv6 lookup layout: by estimated cost, or forced (tests, bench). */
	enum fwc_v6_layout {
		FWC_V6_AUTO,
		FWC_V6_LPM,
		FWC_V6_TRIE
	} v6_layout;
	/* 256-entry chunks the IPv6 trie may take before the compiler falls
	 * back to the LPM layout (0: FWC_V6_TRIE_BUDGET). */
	uint32_t v6_trie_chunks;
	/*
	 * --max-table-memory: bytes the tables that grow as products of
	 * class counts (svc, pair, decision) may take together, and the
	 * compiler's candidate rule lists on their own; checked before they
	 * are built (0: FWC_TABLE_BUDGET).
	 */
	uint64_t max_table_memory;
	/*
	 * --layout: the single cross product when it fits the budget, else
	 * groups (compiler/groups.c); or forced (tests, bench).
	 */
	enum fwc_layout {
		FWC_LAYOUT_AUTO,
		FWC_LAYOUT_SINGLE,
		FWC_LAYOUT_GROUPS
	} layout;
};

#define FWC_TABLE_BUDGET (256ull << 20)

/*
 * A byte count as --max-table-memory takes it: digits and an optional K,
 * M or G (of 1024), from 1 to 1024G. 0 and *@out, or -EINVAL.
 */
int fwc_bytes_parse(const char *s, uint64_t *out);

#define FWC_V6_TRIE_BUDGET 65536u /* 64 MiB of chunks */
#define FWC_WIDE_PORTS 1024u

/* Warnings (and errors, under opts->json) fwc_compile() reported. */
extern unsigned int fwc_last_warnings;

/*
 * Compile policy @text (named @name in diagnostics). Returns 0 and sets
 * *@out, or a negative errno (-EINVAL for a policy with errors, after the
 * diagnostics were printed; -E2BIG, after an error naming the table, its
 * size, its class counts and the rules that add the most classes, when
 * the tables would pass opts->max_table_memory: checked before they are
 * built).
 * With @pol, also hands back the resolved policy (for the reference
 * classifier); free it with fwc_policy_destroy().
 */
int fwc_compile(const char *name, const char *text, size_t len,
		const struct fwc_compile_opts *opts, struct fwc_tables **out,
		struct fwc_policy **pol);
/*
 * Parse and resolve @text only, for what needs no tables (--emit nft):
 * no classes, no tables, so no table budget. 0 and *@out, or -EINVAL
 * after the diagnostics. Free it with fwc_policy_destroy().
 */
int fwc_policy_parse(const char *name, const char *text, size_t len,
		     const struct fwc_compile_opts *opts,
		     struct fwc_policy **out);
int fwc_compile_string(const char *name, const char *text, size_t len,
		       const struct fwc_compile_opts *opts,
		       struct fwc_tables **out);
int fwc_compile_file(const char *path, const struct fwc_compile_opts *opts,
		     struct fwc_tables **out);
void fwc_policy_destroy(struct fwc_policy *pol);

/* Deterministic zlib-compressed artifact (`fwc compile -o`). */
int fwc_artifact_write(const struct fwc_tables *t, const char *path);
/* The same with a zlib level: 1 for the loader's own rollback copies. */
int fwc_artifact_write_level(const struct fwc_tables *t, const char *path,
			     int level);
int fwc_artifact_read(const char *path, struct fwc_tables **out);
/*
 * The same from the @len bytes at @data, named @name in messages to @err
 * (stderr when NULL). A corrupt artifact, one whose counts, offsets or
 * indexes do not fit what it holds, is -EINVAL after "NAME: corrupt
 * artifact: WHAT"; one of another table ABI -EPROTO. No tables then.
 */
int fwc_artifact_parse(const char *name, const void *data, size_t len,
		       FILE *err, struct fwc_tables **out);
/* True when @path starts with the artifact magic. */
bool fwc_artifact_probe(const char *path);

/* Policy source or artifact, whichever @path holds ("-": source on stdin). */
int fwc_tables_open(const char *path, const struct fwc_compile_opts *opts,
		    struct fwc_tables **out);

#endif /* FWC_COMPILE_H */
