/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The loader's internal interface: where the pins live (pin.c), attaching
 * and swapping XDP links (attach.c), load and unload (load.c), status and
 * stats (stats.c). cmd.c turns command lines into these calls.
 *
 * One load builds one "set": a program and its maps. It is pinned whole in
 * the directory of every interface it runs on, $ROOT/<iface>/, together
 * with that interface's link. Everything status and stats need is in the
 * pins (maps info and rule_meta), so any process can read it later.
 */
#ifndef FWC_LOADER_H
#define FWC_LOADER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "fwc_abi.h"

#define FWC_BPFFS_MOUNT "/sys/fs/bpf"
#define FWC_BPFFS_DEFAULT FWC_BPFFS_MOUNT "/fwc"
#define FWC_BPFFS_ENV "FWC_BPFFS"

/* Exit code of every failed kernel command. */
#define FWC_EXIT_ERR 2

enum fwc_mode {
	FWC_MODE_AUTO,
	FWC_MODE_NATIVE,
	FWC_MODE_GENERIC,
};

/* Maps of a set, pinned under these names (skeleton maps, then ours). */
enum fwc_map_idx {
	FWC_M_META,
	FWC_M_V4_ROOT,
	FWC_M_CHUNKS,
	FWC_M_V6_LPM,
	FWC_M_ADDR_CLASS,
	FWC_M_PAIR,
	FWC_M_PROTO,
	FWC_M_PINFO,
	FWC_M_L4,
	FWC_M_SVC,
	FWC_M_DECISION,
	FWC_M_RULES,
	FWC_M_COUNTERS,
	FWC_M_LABELS,
	FWC_M_INFO,	 /* created by the loader: struct fwc_info */
	FWC_M_RULE_META, /* created by the loader: struct fwc_rule_record */
	FWC_M_COUNT,
};

extern const char *const fwc_map_names[FWC_M_COUNT];

#define FWC_PIN_PROG "prog"
#define FWC_PIN_LINK "link"
/*
 * Suffix of pins made before a swap, renamed over the old ones after it
 * (bpffs refuses names with a dot).
 */
#define FWC_PIN_NEW "-new"

/* File descriptors of a set; -1 where absent. */
struct fwc_set {
	int prog;
	int maps[FWC_M_COUNT];
};

/* pin.c */
void fwc_set_init(struct fwc_set *s);
void fwc_set_close(struct fwc_set *s);
/* The root directory: @opt (--bpffs), else $FWC_BPFFS, else the default. */
const char *fwc_pin_root(const char *opt);
/* Mount bpffs if needed, create @root, check it is on a bpffs. */
int fwc_pin_prepare(const char *root);
/* An exclusive lock on @root (an fd to close), or -errno. */
int fwc_pin_lock(const char *root);
/* $ROOT/<iface> (a dot in @iface becomes ':'). */
int fwc_pin_dir(const char *root, const char *iface, char *buf, size_t n);
/* The interface name of directory @dirname under the root. */
void fwc_pin_iface(const char *dirname, char *buf, size_t n);
/* Opens the pinned set in @dir: 0, or -ENOENT when none is pinned. */
int fwc_set_open(const char *dir, struct fwc_set *s);
/* Opens pin @name in @dir: an fd, or -errno (-ENOENT: no such pin). */
int fwc_pin_get(const char *dir, const char *name);
/* Pins @fd as @dir/@name@suffix, replacing a stale pin of that name. */
int fwc_pin_obj(int fd, const char *dir, const char *name, const char *suffix);
/* Opens @dir's pinned link; -ENOENT when there is none. */
int fwc_pin_link(const char *dir);
/* Pins @s (and @link unless < 0) in @dir as NAME@suffix. */
int fwc_set_pin(const struct fwc_set *s, int link, const char *dir,
		const char *suffix);
/* Renames NAME@suffix over NAME for every pin of a set. */
int fwc_pin_commit(const char *dir, const char *suffix, bool link);
/* Removes NAME@suffix pins (cleanup after a failure). */
void fwc_pin_discard(const char *dir, const char *suffix);
/* Removes every pin in @dir and the directory. */
int fwc_pin_remove_dir(const char *dir);
/* Creates the loader's own maps (info, rule_meta) with BTF, in @s. */
int fwc_records_create(struct fwc_set *s, uint32_t n_rules);
/* Kernel id of the object behind @fd (0 when unknown). */
uint32_t fwc_obj_id(int fd);

/* attach.c */
const char *fwc_mode_name(enum fwc_mode mode);
int fwc_mode_parse(const char *s, enum fwc_mode *mode);
/*
 * Attaches @prog to @ifindex with a new bpf_link. Returns the link fd or
 * -errno; @used gets the mode that worked ("native" or "generic").
 */
int fwc_attach(int prog, int ifindex, const char *ifname, enum fwc_mode mode,
	       char used[FWC_MODE_LEN]);
/* Atomically replaces @old_prog by @new_prog behind @link. */
int fwc_link_swap(int link, int new_prog, int old_prog);
/* Interface a link is attached to (0 when detached) and its program id. */
int fwc_link_query(int link, uint32_t *ifindex, uint32_t *prog_id);
int fwc_link_detach(int link);

/* load.c */
struct fwc_load_opts {
	const char *policy;
	char **ifaces;
	int n_ifaces;
	enum fwc_mode mode;
	const char *root;
};

int fwc_load(const struct fwc_load_opts *o);
int fwc_unload(const char *root, char **ifaces, int n_ifaces);
/* Per-CPU counters 0..n-1 of map @fd, summed over CPUs, into @out. */
int fwc_counters_read(int fd, uint32_t n, struct fwc_counter *out);
/* Drops @iface from the interface list of the set whose info map is @fd. */
int fwc_info_forget(int fd, const char *iface);

/* stats.c */
int fwc_status(const char *root, char **ifaces, int n_ifaces, bool json);
int fwc_stats(const char *root, char **ifaces, int n_ifaces, bool json);

#endif /* FWC_LOADER_H */
