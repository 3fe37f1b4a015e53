/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Sizing and filling the XDP program's maps from compiled tables. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fwc.skel.h"
#include "fwc_maps.h"
#include "maps.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* kernel-internal, but bpf() can return it */
#endif

/* Keys per batch update: bounds the temporary key array. */
#define FWC_BATCH 65536u

static int set_size(struct bpf_map *map, uint64_t n)
{
	/* The kernel refuses empty arrays: an unused table keeps one slot. */
	if (n == 0)
		n = 1;
	if (n > UINT32_MAX)
		return -E2BIG;
	return bpf_map__set_max_entries(map, (uint32_t)n);
}

static uint64_t n_counters(const struct fwc_tables *t)
{
	return (uint64_t)t->meta.n_rules + 1 + FWC_RSV_COUNT;
}

/* Every SIZED map of the object, by its row of include/fwc_maps.h. */
int fwc_maps_size(struct fwc_bpf *skel, const struct fwc_tables *t)
{
	const struct fwc_meta *m = &t->meta;
	struct {
		struct bpf_map *map;
		uint64_t n;
		bool sized;
	} sizes[] = { FWC_MAPS(FWC_MAP_SIZE_ROW) };
	size_t i;
	int err;

	if (m->abi_version != FWC_ABI_VERSION)
		return -EPROTO;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (!sizes[i].sized)
			continue;
		err = set_size(sizes[i].map, sizes[i].n);
		if (err)
			return err;
	}
	return 0;
}

static int update_elems(int fd, const char *vals, size_t vsz, uint32_t first,
			uint32_t n)
{
	uint32_t k;

	for (k = first; k < first + n; k++) {
		if (bpf_map_update_elem(fd, &k, vals + (size_t)k * vsz,
					BPF_ANY))
			return -errno;
	}
	return 0;
}

static bool batch_unsupported(int err)
{
	return err == -EINVAL || err == -ENOTSUPP || err == -EOPNOTSUPP;
}

/*
 * An mmapable array is filled with plain copies: element i sits at
 * i * round_up(value size, 8) in the mapping.
 */
static int fill_mmap(int fd, const void *vals, size_t vsz, uint64_t n,
		     uint32_t max_entries)
{
	size_t stride = (vsz + 7) & ~(size_t)7, page = (size_t)getpagesize();
	size_t len = ((size_t)max_entries * stride + page - 1) & ~(page - 1);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	if (stride == vsz) {
		memcpy(p, vals, n * vsz);
	} else {
		for (uint64_t i = 0; i < n; i++)
			memcpy(p + i * stride, (const char *)vals + i * vsz,
			       vsz);
	}
	munmap(p, len);
	return 0;
}

/* Writes @n values of @vsz bytes at keys 0..n-1 of array @fd, batched. */
int fwc_array_write(int fd, const void *vals, size_t vsz, uint32_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	uint32_t *keys = NULL, first, cnt, i;
	int err = 0;

	if (n == 0)
		return 0;
	keys = malloc(sizeof(*keys) * (n < FWC_BATCH ? n : FWC_BATCH));
	if (!keys)
		return -ENOMEM;
	for (first = 0; first < n; first += cnt) {
		cnt = n - first < FWC_BATCH ? n - first : FWC_BATCH;
		for (i = 0; i < cnt; i++)
			keys[i] = first + i;
		err = bpf_map_update_batch(
			fd, keys, (const char *)vals + (size_t)first * vsz,
			&cnt, &opts);
		if (err && batch_unsupported(err)) {
			/* Old kernel: the rest one element at a time. */
			err = update_elems(fd, vals, vsz, first, n - first);
			goto out;
		}
		if (err)
			goto out;
	}
out:
	free(keys);
	return err;
}

/*
 * Reads keys 0..n-1 of array @fd into @vals (@vsz bytes a value; for a
 * per-CPU array, round_up(value size, 8) times the possible CPUs).
 */
int fwc_array_read(int fd, void *vals, size_t vsz, uint32_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t *keys, first = 0, cnt, next = 0;
	void *in = NULL;
	int err = 0;

	if (n == 0)
		return 0;
	keys = malloc(sizeof(*keys) * n);
	if (!keys)
		return -ENOMEM;
	while (first < n) {
		cnt = n - first;
		err = bpf_map_lookup_batch(fd, first ? &in : NULL, &next,
					   keys + first,
					   (char *)vals + (size_t)first * vsz,
					   &cnt, &opts);
		first += cnt;
		in = &next;
		if (err == -ENOENT) { /* the end of the array */
			err = 0;
			break;
		}
		if (err)
			break;
	}
	if (err && batch_unsupported(err)) {
		err = 0;
		for (uint32_t k = 0; k < n && !err; k++)
			if (bpf_map_lookup_elem(fd, &k,
						(char *)vals + (size_t)k * vsz))
				err = -errno;
	}
	free(keys);
	return err;
}

/* Write @n elements of @vsz bytes at keys 0..n-1 of array map @map. */
static int fill_array(struct bpf_map *map, const void *vals, size_t vsz,
		      uint64_t n)
{
	if (n == 0)
		return 0;
	if (vsz != bpf_map__value_size(map) || n > bpf_map__max_entries(map))
		return -EINVAL;
	if (bpf_map__map_flags(map) & BPF_F_MMAPABLE)
		return fill_mmap(bpf_map__fd(map), vals, vsz, n,
				 bpf_map__max_entries(map));
	return fwc_array_write(bpf_map__fd(map), vals, vsz, (uint32_t)n);
}

static int fill_v6(struct bpf_map *map, const struct fwc_tables *t)
{
	int fd = bpf_map__fd(map);
	uint32_t i;

	for (i = 0; i < t->meta.n_v6; i++) {
		if (bpf_map_update_elem(fd, &t->v6_keys[i], &t->v6_vals[i],
					BPF_ANY))
			return -errno;
	}
	return 0;
}

const char *fwc_rsv_name(uint32_t rsv)
{
	static const char *const names[FWC_RSV_COUNT] = {
		[FWC_RSV_NON_IP] = "non-ip",
		[FWC_RSV_MALFORMED] = "malformed",
		[FWC_RSV_FRAGMENT] = "fragment",
		[FWC_RSV_ND] = "neighbour-discovery",
		[FWC_RSV_ORPHAN] = "orphan-flow",
		[FWC_RSV_WOULD_DROP] = "would-drop",
		[FWC_RSV_LOG_SUPPRESSED] = "log-suppressed",
		[FWC_RSV_LOG_LOST] = "log-lost",
		[FWC_RSV_SOURCE_ROUTE] = "source-route",
		[FWC_RSV_MLD] = "mld",
		[FWC_RSV_RPC_OPENED] = "rpc-opened",
		[FWC_RSV_RPC_USED] = "rpc-used",
		[FWC_RSV_RPC_EXPIRED] = "rpc-expired",
		[FWC_RSV_RPC_REFUSED] = "rpc-refused",
		[FWC_RSV_RPC_UNLISTED] = "rpc-unlisted",
		[FWC_RSV_RPC_UNPARSED] = "rpc-unparsed",
	};

	return rsv < FWC_RSV_COUNT && names[rsv] ? names[rsv] : "reserved";
}

/* What a person with only bpftool reads for counter @id. */
static void label_text(const struct fwc_tables *t, uint32_t id,
		       struct fwc_label *l)
{
	const struct fwc_rule_meta *rm;
	const size_t max = FWC_LABEL_LEN - 1;

	memset(l, 0, sizeof(*l));
	if (id == 0) {
		snprintf(l->text, sizeof(l->text), "default %s",
			 t->meta.default_act == FWC_ACT_ALLOW ? "allow" :
								"deny");
		return;
	}
	if (id > t->meta.n_rules) {
		snprintf(l->text, sizeof(l->text), "%s",
			 fwc_rsv_name(id - t->meta.n_rules - 1));
		return;
	}
	rm = t->rule_meta ? &t->rule_meta[id] : NULL;
	if (rm && rm->label) {
		snprintf(l->text, sizeof(l->text), "%s", rm->label);
	} else if (rm && rm->text) {
		/* Long rule text: keep the start, mark the cut. */
		if (strlen(rm->text) > max)
			snprintf(l->text, sizeof(l->text), "%.*s...",
				 (int)(max - 3), rm->text);
		else
			snprintf(l->text, sizeof(l->text), "%s", rm->text);
	} else {
		snprintf(l->text, sizeof(l->text), "rule %u", id);
	}
}

static int fill_labels(struct bpf_map *map, const struct fwc_tables *t)
{
	uint64_t i, n = n_counters(t);
	struct fwc_label *l;
	int err;

	l = calloc(n, sizeof(*l));
	if (!l)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		label_text(t, (uint32_t)i, &l[i]);
	err = fill_array(map, l, sizeof(*l), n);
	free(l);
	return err;
}

int fwc_maps_fill(struct fwc_bpf *skel, const struct fwc_tables *t)
{
	const struct fwc_meta *m = &t->meta;
	struct {
		struct bpf_map *map;
		const void *vals;
		size_t vsz;
		uint64_t n;
	} arrays[] = {
		/* The tables of include/fwc_maps.h, then meta last: what it
		 * describes is in place first. */
		FWC_MAPS(FWC_MAP_FILL_ROW){ skel->maps.meta, m, sizeof(*m), 1 },
	};
	size_t i;
	int err;

	err = fill_v6(skel->maps.v6_lpm, t);
	if (err)
		return err;
	for (i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
		if (arrays[i].n && !arrays[i].vals)
			return -EINVAL;
		err = fill_array(arrays[i].map, arrays[i].vals, arrays[i].vsz,
				 arrays[i].n);
		if (err)
			return err;
	}
	return fill_labels(skel->maps.labels, t);
}
