// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The few kernel calls ops/ makes on pinned maps, by fd, so that no file
 * above kernel/ includes libbpf; and what libbpf may print.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel.h"

int fwc_map_lookup(int fd, const void *key, void *val)
{
	return bpf_map_lookup_elem(fd, key, val);
}

int fwc_map_delete(int fd, const void *key)
{
	return bpf_map_delete_elem(fd, key);
}

int fwc_map_next_key(int fd, const void *key, void *next)
{
	return bpf_map_get_next_key(fd, key, next);
}

uint32_t fwc_map_max_entries(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

int fwc_ncpus(void)
{
	return libbpf_num_possible_cpus();
}

/* libbpf's messages, silenced: fwc reports errors in its own words. */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int libbpf_stderr(enum libbpf_print_level level, const char *fmt,
			 va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

void fwc_libbpf_verbose(bool verbose)
{
	libbpf_set_print(verbose ? libbpf_stderr : libbpf_quiet);
}
