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
};

#define FWC_V6_TRIE_BUDGET 65536u /* 64 MiB of chunks */
#define FWC_WIDE_PORTS 1024u

/* Warnings (and errors, under opts->json) fwc_compile() reported. */
extern unsigned int fwc_last_warnings;

/*
 * Compile policy @text (named @name in diagnostics). Returns 0 and sets
 * *@out, or a negative errno (-EINVAL for a policy with errors, after the
 * diagnostics were printed; -E2BIG when the tables would be too large).
 * With @pol, also hands back the resolved policy (for the reference
 * classifier); free it with fwc_policy_destroy().
 */
int fwc_compile(const char *name, const char *text, size_t len,
		const struct fwc_compile_opts *opts, struct fwc_tables **out,
		struct fwc_policy **pol);
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
