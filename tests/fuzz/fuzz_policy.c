// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer target: any bytes through the whole compiler (lexer, parser,
 * resolve, classes, tables) must give tables or diagnostics, never a
 * crash, a hang or a sanitizer report. A policy that compiles is also
 * compiled into the grouped layout (compiler/groups.c), and both tables
 * must classify a few packets as the reference scan does. `make fuzz`
 * runs it for FUZZ_SECONDS over the shipped policies as seeds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "resolve.h"

/* Packets from the input's own bytes: addresses near what it names. */
static void packet_of(const uint8_t *data, size_t size, unsigned int k,
		      struct fwc_packet *p)
{
	static const uint8_t protos[] = { 6, 17, 1, 58, 47 };
	uint32_t h = 2166136261u ^ k;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	*p = (struct fwc_packet){ .family = k % 3 ? 4 : 6 };
	for (int i = 0; i < 16; i++) {
		h = h * 1103515245u + 12345u;
		p->src[i] = (uint8_t)(h >> 16);
		h = h * 1103515245u + 12345u;
		p->dst[i] = (uint8_t)(h >> 16);
	}
	if (p->family == 4) {
		/* 10.x.y.z: what most test policies name. */
		p->src[0] = p->dst[0] = 10;
		memset(p->src + 4, 0, 12);
		memset(p->dst + 4, 0, 12);
	}
	p->proto = protos[h % sizeof(protos)];
	p->k1 = (uint16_t)(h >> 3);
	p->k2 = (uint16_t)(h >> 11);
	if (p->proto == 1 || p->proto == 58)
		p->k1 &= 0xff, p->k2 &= 0xff;
	else if (p->proto == 47)
		p->k1 = p->k2 = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct fwc_compile_opts opts = { .warnings = true };
	struct fwc_tables *t, *g;
	struct fwc_policy *pol;

	if (!null)
		null = fopen("/dev/null", "w");
	opts.err = null;
	if (fwc_compile("fuzz.pol", (const char *)data, size, &opts, &t, &pol))
		return 0;
	opts.warnings = false;
	opts.layout = FWC_LAYOUT_GROUPS;
	if (!fwc_compile("fuzz.pol", (const char *)data, size, &opts, &g,
			 NULL)) {
		for (unsigned int k = 0; k < 16; k++) {
			struct fwc_packet p;
			uint32_t want;

			packet_of(data, size, k, &p);
			want = fwc_reference_classify(pol, &p);
			if (fwc_tables_classify(t, &p) != want ||
			    fwc_tables_classify(g, &p) != want)
				abort();
		}
		fwc_tables_free(g);
	}
	fwc_tables_free(t);
	fwc_policy_destroy(pol);
	return 0;
}
