// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The deny log (bpf/log.h) on the kernel side: the ring buffer of a load,
 * carried over its reloads, and the reading of ring buffers for `fwc log`
 * (ops/log.c), which says what the events mean.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fwc.skel.h"
#include "kernel.h"

int fwc_log_reuse(struct fwc_bpf *skel, const struct fwc_set *old)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd = old ? old->maps[FWC_M_EVENTS] : -1;

	if (!old || old->prog < 0 || fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	/* An older fwc's buffer of another size: start a new one. */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.type != BPF_MAP_TYPE_RINGBUF ||
	    info.max_entries != bpf_map__max_entries(skel->maps.events))
		return 0;
	return bpf_map__reuse_fd(skel->maps.events, fd);
}

struct fwc_ring {
	struct ring_buffer *rb;
};

struct fwc_ring *fwc_ring_new(int fd, fwc_ring_fn fn, void *ctx)
{
	struct fwc_ring *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->rb = ring_buffer__new(fd, fn, ctx, NULL);
	if (!r->rb) {
		int err = errno;

		free(r);
		errno = err;
		return NULL;
	}
	return r;
}

int fwc_ring_add(struct fwc_ring *r, int fd, fwc_ring_fn fn, void *ctx)
{
	return ring_buffer__add(r->rb, fd, fn, ctx);
}

int fwc_ring_poll(struct fwc_ring *r, int timeout_ms)
{
	return ring_buffer__poll(r->rb, timeout_ms);
}

int fwc_ring_consume(struct fwc_ring *r)
{
	return ring_buffer__consume(r->rb);
}

void fwc_ring_free(struct fwc_ring *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	free(r);
}
