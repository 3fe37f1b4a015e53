/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The test-run fixture of the BPF tests: a policy compiled and loaded
 * into a fresh copy of the XDP program, and its counters read back.
 */
#ifndef FWC_TEST_ENV_H
#define FWC_TEST_ENV_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "compile.h"
#include "fwc.skel.h"
#include "maps.h"

/* A compiled policy, loaded into a fresh copy of the program. */
struct env {
	struct fwc_tables *t;
	struct fwc_bpf *skel;
	int prog;
	int ncpu;
	uint32_t n_ids; /* n_rules + 1 + FWC_RSV_COUNT */
	struct fwc_counter *percpu;
};

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/*
 * @text compiled with @opts (its layout, budget) into a fresh copy of the
 * program, loaded and filled as the loader does; the resolved policy in
 * *@pol when @pol. NULL (after the diagnostics) when it does not compile.
 */
static struct env *env_load_opts(const char *text, struct fwc_compile_opts opts,
				 struct fwc_policy **pol)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	if (!opts.err)
		opts.err = stderr;
	if (fwc_compile("test.pol", text, strlen(text), &opts, &e->t, pol)) {
		free(e);
		return NULL;
	}
	e->skel = fwc_bpf__open();
	assert_non_null(e->skel);
	assert_int_equal(fwc_maps_size(e->skel, e->t), 0);
	/* As the loader sizes it on a reload (test_ct's generations). */
	assert_int_equal(bpf_map__set_max_entries(e->skel->maps.ct_remap,
						  e->t->meta.n_rules + 1),
			 0);
	assert_int_equal(fwc_bpf__load(e->skel), 0);
	assert_int_equal(fwc_maps_fill(e->skel, e->t), 0);
	e->prog = bpf_program__fd(e->skel->progs.fwc_xdp);
	e->ncpu = libbpf_num_possible_cpus();
	assert_true(e->ncpu > 0);
	e->n_ids = e->t->meta.n_rules + 1 + FWC_RSV_COUNT;
	e->percpu = calloc(e->ncpu, sizeof(*e->percpu));
	assert_non_null(e->percpu);
	return e;
}

static struct env *env_load(const char *policy)
{
	struct env *e =
		env_load_opts(policy, (struct fwc_compile_opts){ 0 }, NULL);

	assert_non_null(e);
	return e;
}

static void env_free(struct env *e)
{
	fwc_bpf__destroy(e->skel);
	fwc_tables_free(e->t);
	free(e->percpu);
	free(e);
}

static uint32_t rsv(const struct env *e, uint32_t r)
{
	return e->t->meta.n_rules + 1 + r;
}

static struct fwc_counter counter(struct env *e, uint32_t id)
{
	struct fwc_counter sum = { 0, 0 };
	int i;

	assert_int_equal(
		bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.counters), &id,
				    e->percpu),
		0);
	for (i = 0; i < e->ncpu; i++) {
		sum.packets += e->percpu[i].packets;
		sum.bytes += e->percpu[i].bytes;
	}
	return sum;
}

#endif /* FWC_TEST_ENV_H */
