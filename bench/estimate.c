// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What a policy's single cross product would take, counted without
 * building it (issue 13): its class counts, the svc map and the pair
 * table, and the exact decision rows and distinct candidate lists that
 * fwc_tables_count() finds by fingerprints, in memory that grows with
 * the distinct lists (32 bytes each at most) rather than their length.
 * For the figures of docs/benchmarks.md on rule sets past the budget;
 * not built by make:
 *
 *   cc -O2 -Iinclude -Icompiler -o build/estimate bench/estimate.c \
 *      $(ls build/compiler/[a-z]*.o) -lz
 *   build/estimate POLICY
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "compile.h"
#include "lower.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long peak_mib(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return u.ru_maxrss / 1024;
}

int main(int argc, char **argv)
{
	struct fwc_policy *pol;
	struct fwc_estimate e;
	struct fwc_classes c;
	char *text;
	size_t len;
	double t0;

	if (argc != 2) {
		fprintf(stderr, "usage: estimate POLICY\n");
		return 2;
	}
	if (fwc_read_file(argv[1], &text, &len) ||
	    fwc_policy_parse(argv[1], text, len, NULL, &pol))
		return 2;
	t0 = now();
	fwc_classes_build(pol, &c);
	printf("%s: %zu rules; classes src %u x dst %u, service %u; "
	       "svc map %llu entries, pair %llu entries (%.2f s)\n",
	       argv[1], pol->n_rules, c.n_src, c.n_dst, c.n_svc,
	       (unsigned long long)fwc_svc_map_entries(&c),
	       (unsigned long long)c.n_src * c.n_dst, now() - t0);
	t0 = now();
	e = (struct fwc_estimate){ .budget = UINT64_MAX };
	fwc_tables_count(pol, &c, UINT64_MAX, &e);
	printf("decision rows %llu (%.1f MiB); distinct candidate lists "
	       "%llu (%.1f MiB interned); %.2f s, peak %ld MiB\n",
	       (unsigned long long)e.rows,
	       (double)e.rows * c.n_svc * 4 / (1 << 20),
	       (unsigned long long)e.lists, (double)e.list_bytes / (1 << 20),
	       now() - t0, peak_mib());
	fwc_classes_free(&c);
	fwc_policy_destroy(pol);
	free(text);
	return 0;
}
