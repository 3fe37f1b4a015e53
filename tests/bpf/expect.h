/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * One frame through the program (test-run): its verdict, and exactly which
 * counter moved, by one packet of the frame's bytes.
 */
#ifndef FWC_TEST_EXPECT_H
#define FWC_TEST_EXPECT_H

#include "env.h"
#include "packets.h"

static inline int run_len(struct env *e, const struct pb *b, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = b->data,
		    .data_size_in = len, .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(e->prog, &opts), 0);
	return opts.retval;
}

/*
 * Run the first @len bytes of @b; the verdict must be @verdict and exactly
 * counter @id must move, by one packet of @len bytes.
 */
static inline void expect_len(struct env *e, const struct pb *b, size_t len,
			      int verdict, uint32_t id, int line)
{
	struct fwc_counter *before = calloc(e->n_ids, sizeof(*before));
	struct fwc_counter now;
	uint32_t i;
	int ret;

	assert_non_null(before);
	for (i = 0; i < e->n_ids; i++)
		before[i] = counter(e, i);
	ret = run_len(e, b, len);
	if (ret != verdict)
		print_error("line %d: verdict %d, expected %d (len %zu)\n",
			    line, ret, verdict, len);
	_assert_int_equal(ret, verdict, __FILE__, line);
	for (i = 0; i < e->n_ids; i++) {
		uint64_t dp, db;

		now = counter(e, i);
		dp = now.packets - before[i].packets;
		db = now.bytes - before[i].bytes;
		if (dp != (i == id) || db != (i == id ? len : 0))
			print_error("line %d: counter %u moved by %lu/%lu, "
				    "expected id %u (len %zu)\n",
				    line, i, (unsigned long)dp,
				    (unsigned long)db, id, len);
		_assert_int_equal(dp, i == id, __FILE__, line);
		_assert_int_equal(db, i == id ? len : 0, __FILE__, line);
	}
	free(before);
}

#define EXPECT(e, b, verdict, id) \
	expect_len(e, b, (b)->len, verdict, id, __LINE__)
#define PASS(e, b, id) EXPECT(e, b, XDP_PASS, id)
#define DROP(e, b, id) EXPECT(e, b, XDP_DROP, id)
#define MALFORMED(e, b) DROP(e, b, rsv(e, FWC_RSV_MALFORMED))

#endif /* FWC_TEST_EXPECT_H */
