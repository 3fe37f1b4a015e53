/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The maps of the XDP program, declared from the one list of maps
 * (include/fwc_maps.h): every row but the loader's records (REC) becomes
 * the BTF map definition libbpf and the skeleton know it by,
 *
 *   struct {
 *           __uint(type, BPF_MAP_TYPE_<TYPE>);
 *           __uint(max_entries, <entries>);
 *           __uint(map_flags, BPF_F_<flags>);    (unless flags is 0)
 *           __type(key, <key>);                  (not for a ring buffer)
 *           __type(value, <value>);              (likewise)
 *   } <name> SEC(".maps");
 *
 * with max_entries 1 for a map the loader sizes before load
 * (kernel/maps.c, kernel/flows.c).
 *
 * The program's own value types are defined here, before the list needs
 * them.
 */
#ifndef FWC_BPF_MAPS_H
#define FWC_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "fwc_abi.h"
#include "fwc_maps.h"
#include "parse.h"
#include "epm.h"

/*
 * A fresh frags entry and the keys of fragments are built here: the value
 * is too big for the stack, and the key would push the program's stack
 * past 512 bytes. Coverage words and padding are never written (zero).
 */
struct fwc_frag_scratch {
	struct fwc_frag_key k;
	struct fwc_frag_val v;
};

/*
 * An awaited ept_map call of one EPM connection (bpf/rpc.h): its call_id
 * and, while the answer comes in several segments, the bytes so far.
 */
struct fwc_epm_wait {
	struct fwc_epm_call call;
	__u32 next_seq; /* TCP sequence number the next segment must have */
	__u16 have;	/* bytes of the PDU in pdu.buf (0: none yet) */
	__u16 need;	/* its frag_length */
	__u32 segs;	/* segments so far */
	__u32 pad;
	struct fwc_epm_scratch pdu;
};

/*
 * What the endpoint-mapper code (bpf/rpc.h) builds off the stack: the
 * PDU read (bpf/epm.h), a pinhole's key and value, a new epm_calls entry.
 */
struct fwc_rpc_scratch {
	struct fwc_epm_scratch epm;
	struct fwc_pinhole_key k;
	struct fwc_pinhole_val v;
	struct fwc_epm_wait wait;
};

/*
 * The grouped layout's walk (fwc_groups_classify): what it keeps from
 * one group to the next, and the key of every lookup, in a per-CPU
 * scratch and not in registers that clang would spill to the stack; its
 * frame is the last of the deepest call chain, xdp -> stateful ->
 * admitting_rule -> groups_classify, which must fit 512 bytes.
 */
struct fwc_gwalk {
	struct fwc_gclass cs, cd; /* the packet's gmap entries */
	__u32 sc;		  /* its global service class */
	__u16 k1, k2;		  /* and its keys (struct fwc_hdr) */
	__u32 proto;
	__u32 best; /* the lowest rule matched so far */
	__u32 mask; /* the groups both its classes are in */
	__u32 key;  /* of each lookup */
	__u32 pad;
};

/* The deny log's rate limiter of one rule (bpf/log.h). */
struct fwc_log_state {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 tat; /* CLOCK_BOOTTIME ns: the next event's slot */
};

/* clang-format off */
#define FWC_BPF_MAP(ID, name, TYPE, k, v, entries, flags, home, ...)  \
	FWC_BPF_MAP_##home(name, TYPE, k, v, entries, flags)
#define FWC_BPF_MAP_PIN(...) FWC_BPF_DECL(__VA_ARGS__)
#define FWC_BPF_MAP_SCRATCH(...) FWC_BPF_DECL(__VA_ARGS__)
#define FWC_BPF_MAP_REC(...)

#define FWC_BPF_DECL(name, TYPE, k, v, entries, flags)                \
	struct {                                                      \
		__uint(type, BPF_MAP_TYPE_##TYPE);                    \
		__uint(max_entries, FWC_BPF_ENTRIES_##entries);       \
		FWC_BPF_FLAGS_##flags                                 \
		FWC_BPF_KV_##TYPE(k, v)                               \
	} name SEC(".maps");

#define FWC_BPF_ENTRIES_SIZED(n) 1
#define FWC_BPF_ENTRIES_LOADER_SIZED 1
#define FWC_BPF_ENTRIES_FIXED(n) n

#define FWC_BPF_FLAGS_0
#define FWC_BPF_FLAGS_MMAPABLE __uint(map_flags, BPF_F_MMAPABLE);
#define FWC_BPF_FLAGS_NO_PREALLOC __uint(map_flags, BPF_F_NO_PREALLOC);

#define FWC_BPF_KV(k, v) __type(key, k); __type(value, v);
#define FWC_BPF_KV_ARRAY FWC_BPF_KV
#define FWC_BPF_KV_PERCPU_ARRAY FWC_BPF_KV
#define FWC_BPF_KV_LPM_TRIE FWC_BPF_KV
#define FWC_BPF_KV_LRU_HASH FWC_BPF_KV
#define FWC_BPF_KV_RINGBUF(k, v)
/* clang-format on */

FWC_MAPS(FWC_BPF_MAP)

#endif /* FWC_BPF_MAPS_H */
