/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * kernel/: the only layer that talks to the kernel (libbpf). Where the pins
 * live (pin.c), attaching and swapping XDP links (attach.c), load and
 * unload with the carry-over of counters (load.c), of flows (flows.c) and
 * of the deny log (log.c), the state record (state.c), health (health.c),
 * reads of pinned maps for ops/ (bpfio.c). ops/ builds on these calls;
 * this header includes no libbpf header.
 *
 * One load builds one "set": a program and its maps. It is pinned whole in
 * the directory of every interface it runs on, $ROOT/<iface>/, together
 * with that interface's link. Everything status and stats need is in the
 * pins (maps info and rule_meta), so any process can read it later.
 */
#ifndef FWC_KERNEL_H
#define FWC_KERNEL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "fwc_abi.h"
#include "fwc_maps.h"

#define FWC_BPFFS_MOUNT "/sys/fs/bpf"
#define FWC_BPFFS_DEFAULT FWC_BPFFS_MOUNT "/fwc"
#define FWC_BPFFS_ENV "FWC_BPFFS"

enum fwc_mode {
	FWC_MODE_AUTO,
	FWC_MODE_NATIVE,
	FWC_MODE_GENERIC,
};

/*
 * Maps of a set, pinned under these names: the PIN and REC rows of the
 * list of maps (include/fwc_maps.h), the skeleton's maps, then ours.
 */
enum fwc_map_idx {
	FWC_MAPS(FWC_MAP_ENUM) FWC_M_COUNT
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
/*
 * An exclusive lock on @root (an fd to close), or -errno; recovers the
 * pins of a load that was killed before it finished.
 */
int fwc_pin_lock(const char *root);
/*
 * A shared lock on @root for readers (status, stats): they see no load
 * half done. -EWOULDBLOCK after @timeout_ms (a load that hangs).
 */
int fwc_pin_lock_shared(const char *root, int timeout_ms);
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
/* Whether @dir holds NAME-new pins (a load in progress, or killed). */
bool fwc_pin_has_new(const char *dir);
/*
 * Creates the loader's own maps (info, rule_meta, carried) with BTF, in
 * @s, for a set of @n_rules rules.
 */
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
struct fwc_tables;

struct fwc_load_opts {
	const char *policy;
	char **ifaces;
	int n_ifaces;
	enum fwc_mode mode;
	const char *root;
	bool flush_flows;   /* drop flows the new policy does not admit */
	uint32_t max_flows; /* flow table entries (0: FWC_CT_SIZE) */
	bool audit;	    /* --audit: what the policy drops passes */
	bool force;	    /* --force: load past the lockout guard */
	char **keep;	    /* --keep PACKET...: sessions to keep */
	int n_keep;
	/* --max-table-memory: fwc_compile_opts' (0: the default) */
	uint64_t max_table_memory;
	int layout; /* --layout: fwc_compile_opts' (0: auto) */
	/*
	 * After the compile, before anything is loaded: 0 to go on, or
	 * -errno (told) to stop (the lockout guard, ops/guard.c). NULL: none.
	 */
	int (*check)(const struct fwc_load_opts *o, const struct fwc_tables *t);
};

int fwc_load(const struct fwc_load_opts *o);
int fwc_unload(const char *root, char **ifaces, int n_ifaces);
/* Per-CPU counters 0..n-1 of map @fd, summed over CPUs, into @out. */
int fwc_counters_read(int fd, uint32_t n, struct fwc_counter *out);
/*
 * Counters 0..n-1 of set @s as fwc stats shows them: what its program
 * counted (counters, summed over CPUs) plus what earlier loads counted
 * for the same rules (carried; absent in a set of an older fwc).
 */
int fwc_set_counters(const struct fwc_set *s, uint32_t n,
		     struct fwc_counter *out);
/* Drops @iface from the interface list of the set whose info map is @fd. */
int fwc_info_forget(int fd, const char *iface);

/* health.c */
/* The name of a BPF program, NUL included (BPF_OBJ_NAME_LEN). */
#define FWC_PROG_NAME_LEN 16
/* XDP program @ifindex runs (this netns): its id, 0 for none; its name. */
uint32_t fwc_xdp_prog(int ifindex, char *name, size_t n);

/* flows.c */
struct fwc_bpf;
struct fwc_tables;
/*
 * Before load: reuse the flow table of @old (the running set, or NULL)
 * and set meta->gen. 1 when reused (*old_rules: @old's rule count), 0 for
 * a new table, or -errno.
 */
int fwc_flows_reuse(struct fwc_bpf *skel, const struct fwc_set *old,
		    uint32_t max_flows, struct fwc_meta *meta,
		    uint32_t *old_rules);
/* Fills ct_remap @fd from the counters' old id -> new id @map (or NULL). */
int fwc_flows_remap(int fd, const int64_t *map, uint32_t old_rules);

struct fwc_flows_ctx {
	int ct, remap;		    /* the new set's maps */
	const struct fwc_tables *t; /* the new tables (meta.gen set) */
	bool flush;		    /* drop what the new policy denies */
	/* fwc_flows_doomed's list: what the program may have flushed */
	const struct fwc_ct_key *doomed;
	size_t n_doomed;
};

struct fwc_flows_walk {
	uint32_t live, moved, orphans, flushed;
};

/* After the swap: move every flow to the new generation (or flush it). */
int fwc_flows_migrate(const struct fwc_flows_ctx *c, struct fwc_flows_walk *w);
/*
 * Before the swap (flush): the live flows tables @c->t will not admit,
 * into *@keys (to free). The new program flushes each on its first packet
 * (FWC_META_FLUSH_FLOWS); fwc_flows_migrate counts those as flushed.
 */
int fwc_flows_doomed(const struct fwc_flows_ctx *c, struct fwc_ct_key **keys,
		     size_t *n);

/* log.c: the deny log */
/* Before load: reuse the event ring buffer of @old (or NULL). */
int fwc_log_reuse(struct fwc_bpf *skel, const struct fwc_set *old);

/* state.c: the state directory and the record of every load */
#define FWC_STATE_DEFAULT "/run/fwc"
#define FWC_STATE_ENV "FWC_STATE_DIR"
#define FWC_STATE_CURRENT "current.fwca"

/* STATE: $FWC_STATE_DIR, else the default. */
const char *fwc_state_dir(void);
/* STATE/@iface/@name (STATE/@iface when @name is NULL) into @buf. */
int fwc_state_path(char *buf, size_t n, const char *iface, const char *name);
/* STATE/@iface into @buf, made if needed. */
int fwc_state_iface_dir(const char *iface, char *buf, size_t n);
/* Hard-links @from to @to atomically (a temporary name, renamed). */
int fwc_link_over(const char *from, const char *to);
/*
 * A load keeps its tables as STATE/IFACE/current.fwca (what a later
 * --confirm rolls back to). Compressing them takes as long as building
 * the maps at 100k rules, so a thread writes them while the load goes on:
 * fwc_state_begin() after the compile, fwc_state_end() after the swap,
 * which links them into place if @keep (the load succeeded).
 */
struct fwc_state_rec {
	/*
	 * A shallow copy: the load sets meta.gen in its tables while the
	 * thread reads them; the arrays are read-only after the compile.
	 */
	struct fwc_tables *t;
	const char *artifact; /* the file @t was read from unchanged, or NULL */
	char tmp[PATH_MAX];
	pthread_t thread;
	bool running;
	int err;
};
/*
 * Writes @t as the load's record, in a thread (fwc_state_end() waits):
 * a copy of @artifact when @t was read from it unchanged, else @t.
 */
int fwc_state_begin(struct fwc_state_rec *r, const struct fwc_tables *t,
		    const char *artifact);
int fwc_state_end(struct fwc_state_rec *r, char **ifaces, int n, bool keep);

/* flows.c, for fwc flows (ops/flows.c) */
/* CLOCK_MONOTONIC_COARSE in ns: the datapath's clock for flows. */
uint64_t fwc_flows_now(void);
/* Whether flow @v is live at @now under @m's timeouts. */
bool fwc_flow_live(const struct fwc_meta *m, const struct fwc_ct_val *v,
		   uint64_t now);
/* Every key of flow table @fd, collected first (into *@out, to free). */
int fwc_flows_keys(int fd, struct fwc_ct_key **out, size_t *n_out);
/* The new id of entry @v of generation gen - 1 (ct_remap @remap). */
uint32_t fwc_flow_remapped(int remap, const struct fwc_ct_val *v, uint32_t gen);

/* log.c: reading ring buffers (fwc log) */
struct fwc_ring;
/* As libbpf's ring_buffer_sample_fn: 0 to go on. */
typedef int (*fwc_ring_fn)(void *ctx, void *data, size_t size);
/* A reader of ring buffer @fd (NULL, errno set, on failure). */
struct fwc_ring *fwc_ring_new(int fd, fwc_ring_fn fn, void *ctx);
int fwc_ring_add(struct fwc_ring *r, int fd, fwc_ring_fn fn, void *ctx);
/* Events handled, or -errno. */
int fwc_ring_poll(struct fwc_ring *r, int timeout_ms);
int fwc_ring_consume(struct fwc_ring *r);
void fwc_ring_free(struct fwc_ring *r);

/*
 * bpfio.c: what ops/ reads and writes in pinned maps, by fd (0 or
 * -errno, as libbpf's calls).
 */
int fwc_map_lookup(int fd, const void *key, void *val);
int fwc_map_delete(int fd, const void *key);
int fwc_map_next_key(int fd, const void *key, void *next);
/* 0 when unknown. */
uint32_t fwc_map_max_entries(int fd);
/* Possible CPUs (per-CPU map values), or -errno. */
int fwc_ncpus(void);
/* libbpf's messages (such as the verifier log) on stderr, or none. */
void fwc_libbpf_verbose(bool verbose);

/* mkdir -p with mode 0700 (pin.c). */
int fwc_mkdirs(const char *path);

#endif /* FWC_KERNEL_H */
