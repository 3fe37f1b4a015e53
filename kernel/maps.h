/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Sizing and filling the XDP program's maps from compiled tables. */
#ifndef FWC_MAPS_H
#define FWC_MAPS_H

#include "tables.h"

struct fwc_bpf;

/* Set every map's max_entries for @t; call between open and load. */
int fwc_maps_size(struct fwc_bpf *skel, const struct fwc_tables *t);
/* Copy @t into the loaded maps (batch updates where possible). */
int fwc_maps_fill(struct fwc_bpf *skel, const struct fwc_tables *t);

/* The name of reserved counter @rsv (enum fwc_rsv), as stats and bpftool
 * show it. */
const char *fwc_rsv_name(uint32_t rsv);

/* Whole-array reads and writes of keys 0..n-1 by fd, batched. */
int fwc_array_write(int fd, const void *vals, size_t vsz, uint32_t n);
int fwc_array_read(int fd, void *vals, size_t vsz, uint32_t n);

#endif /* FWC_MAPS_H */
