// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Attaching the XDP program with bpf_link. A link, unlike a netlink
 * attachment, belongs to whoever holds it (our pin): nobody replaces it by
 * accident, and bpf_link_update swaps its program atomically.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "kernel.h"

static const char *const mode_names[] = {
	[FWC_MODE_AUTO] = "auto",
	[FWC_MODE_NATIVE] = "native",
	[FWC_MODE_GENERIC] = "generic",
};

const char *fwc_mode_name(enum fwc_mode mode)
{
	return mode_names[mode];
}

int fwc_mode_parse(const char *s, enum fwc_mode *mode)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(*mode_names); i++) {
		if (!strcmp(s, mode_names[i])) {
			*mode = (enum fwc_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Id of whatever XDP program @ifindex already runs, or 0, and the `ip link`
 * keyword that detaches it.
 */
static uint32_t xdp_prog(int ifindex, const char **ipkw)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	*ipkw = "xdp";
	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	if (q.attach_mode == XDP_ATTACHED_SKB)
		*ipkw = "xdpgeneric";
	else if (q.attach_mode == XDP_ATTACHED_DRV)
		*ipkw = "xdpdrv";
	else if (q.attach_mode == XDP_ATTACHED_HW)
		*ipkw = "xdpoffload";
	return q.prog_id     ? q.prog_id :
	       q.skb_prog_id ? q.skb_prog_id :
	       q.drv_prog_id ? q.drv_prog_id :
			       q.hw_prog_id;
}

static int link_create(int prog, int ifindex, enum fwc_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts,
		    .flags = mode == FWC_MODE_NATIVE ? XDP_FLAGS_DRV_MODE :
						       XDP_FLAGS_SKB_MODE);
	int fd = bpf_link_create(prog, ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

static void attach_error(int err, int ifindex, const char *ifname,
			 enum fwc_mode mode)
{
	const char *kw;
	uint32_t id;

	switch (err) {
	case -EBUSY:
	case -EEXIST:
		id = xdp_prog(ifindex, &kw);
		fprintf(stderr,
			"fwc: %s already runs an XDP program that fwc did not "
			"load (prog id %u); detach it first "
			"(ip link set dev %s %s off)\n",
			ifname, id, ifname, kw);
		break;
	case -EOPNOTSUPP:
		fprintf(stderr,
			"fwc: %s: the driver does not support %s XDP "
			"(try --mode generic)\n",
			ifname, fwc_mode_name(mode));
		break;
	default:
		fprintf(stderr,
			"fwc: %s: the kernel refused to attach the "
			"XDP program in %s mode: %s\n",
			ifname, fwc_mode_name(mode), strerror(-err));
	}
}

int fwc_attach(int prog, int ifindex, const char *ifname, enum fwc_mode mode,
	       char used[FWC_MODE_LEN])
{
	enum fwc_mode m = mode == FWC_MODE_AUTO ? FWC_MODE_NATIVE : mode;
	int fd = link_create(prog, ifindex, m);

	/* Someone else's program is there: generic would not help. */
	if (fd < 0 && mode == FWC_MODE_AUTO && fd != -EBUSY && fd != -EEXIST) {
		fprintf(stderr,
			"fwc: warning: %s: native XDP failed (%s), using "
			"generic mode (slower: runs after the kernel allocated "
			"the packet)\n",
			ifname, strerror(-fd));
		m = FWC_MODE_GENERIC;
		fd = link_create(prog, ifindex, m);
	}
	if (fd < 0) {
		attach_error(fd, ifindex, ifname, m);
		return fd;
	}
	snprintf(used, FWC_MODE_LEN, "%s", fwc_mode_name(m));
	return fd;
}

int fwc_link_swap(int link, int new_prog, int old_prog)
{
	/* BPF_F_REPLACE: fail rather than replace a program we did not see. */
	LIBBPF_OPTS(bpf_link_update_opts, opts,
		    .flags = old_prog >= 0 ? BPF_F_REPLACE : 0,
		    .old_prog_fd = old_prog >= 0 ? (__u32)old_prog : 0);

	return bpf_link_update(link, new_prog, &opts) ? -errno : 0;
}

int fwc_link_query(int link, uint32_t *ifindex, uint32_t *prog_id)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(link, &info, &len))
		return -errno;
	if (info.type != BPF_LINK_TYPE_XDP)
		return -EINVAL;
	*ifindex = info.xdp.ifindex;
	*prog_id = info.prog_id;
	return 0;
}

int fwc_link_detach(int link)
{
	return bpf_link_detach(link) ? -errno : 0;
}
