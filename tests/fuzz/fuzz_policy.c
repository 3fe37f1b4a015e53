// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer target: any bytes through the whole compiler (lexer, parser,
 * resolve, classes, tables) must give tables or diagnostics, never a
 * crash, a hang or a sanitizer report. `make fuzz` runs it for FUZZ_SECONDS
 * over the shipped policies as seeds.
 */
#include <stdint.h>
#include <stdio.h>

#include "compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct fwc_compile_opts opts = { .warnings = true };
	struct fwc_tables *t;

	if (!null)
		null = fopen("/dev/null", "w");
	opts.err = null;
	if (!fwc_compile_string("fuzz.pol", (const char *)data, size, &opts,
				&t))
		fwc_tables_free(t);
	return 0;
}
