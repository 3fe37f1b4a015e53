// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What the kernel runs, independent of fwc's pins: fwc status compares
 * the two to explain half states (pins that enforce nothing, a program
 * that something else attached).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "kernel.h"

_Static_assert(FWC_PROG_NAME_LEN == BPF_OBJ_NAME_LEN, "FWC_PROG_NAME_LEN");

uint32_t fwc_xdp_prog(int ifindex, char *name, size_t n)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	uint32_t id;
	int fd;

	if (n)
		name[0] = '\0';
	if (ifindex <= 0 || bpf_xdp_query(ifindex, 0, &q))
		return 0;
	id = q.prog_id	   ? q.prog_id :
	     q.drv_prog_id ? q.drv_prog_id :
	     q.skb_prog_id ? q.skb_prog_id :
			     q.hw_prog_id;
	if (!id || !n)
		return id;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0) {
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			snprintf(name, n, "%s", info.name);
		close(fd);
	}
	return id;
}
