/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Baselines of the test-run datapath benchmark (bench/testrun_bench.c):
 * a bare XDP_PASS, the floor of BPF_PROG_TEST_RUN itself, and the fwc
 * parser alone (bpf/parse.h, the very code fwc.bpf.c runs) returning
 * XDP_PASS, so that the benchmark can tell the parser's cost from the
 * classifier's.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "parse.h"

SEC("xdp")
int xdp_bare(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

SEC("xdp")
int xdp_parse(struct xdp_md *ctx)
{
	struct fwc_hdr h = {};
	int ret;

	ret = fwc_parse(ctx, &h);
	/*
	 * Nothing reads the header: make the compiler believe something
	 * does, so that it keeps every store of the parse. The barrier emits
	 * no instruction.
	 */
	asm volatile("" : : "r"(&h) : "memory");
	/* The benchmark's frames all parse: anything else shows as DROP. */
	return ret == FWC_PARSE_OK ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
