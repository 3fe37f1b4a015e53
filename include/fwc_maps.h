/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The one list of fwc's maps. Everything that names a map comes from it:
 *
 *   bpf/maps.h          the map declarations of the XDP program (BTF form)
 *   kernel/kernel.h     the loader's enum fwc_map_idx (FWC_M_*)
 *   kernel/pin.c        the pin names, fwc_map_names[]
 *   compiler/tables.c   fwc_table_descs[]: the artifact's sections in order
 *                       (compiler/artifact.c writes and reads them from
 *                       that one table), fwc_tables_bytes/entries and the
 *                       rows of `fwc compile --stats`
 *
 * Columns of X(ID, name, TYPE, key, value, entries, flags, home, art,
 * field, counts):
 *
 *   ID       FWC_M_<ID> in the loader's enum
 *   name     the BPF symbol, the skeleton's field and the pin's file name
 *   TYPE     BPF_MAP_TYPE_<TYPE>
 *   key      key type (RINGBUF: none, written void)
 *   value    value type (RINGBUF: the record it carries, not declared)
 *   entries  SIZED(n): a placeholder of 1 in the object, the loader sets
 *            n entries, an expression of `m` (const struct fwc_meta *)
 *            that is also the table's length in the artifact;
 *            FIXED(n): n entries in the object; LOADER_SIZED: sized by
 *            the loader from what it alone knows (see the comment)
 *   flags    0, MMAPABLE or NO_PREALLOC: BPF_F_<flags>
 *   home     PIN: in the XDP object, pinned with the set;
 *            SCRATCH: in the XDP object, per-CPU scratch, never pinned;
 *            REC: created by the loader (kernel/pin.c), pinned, never in
 *            the object
 *   art      its section of the artifact (in list order), read into and
 *            written from struct fwc_tables' @field:
 *            NO_ART: none (field and counts are "-");
 *            HEAD: struct fwc_meta, first, inline in the tables;
 *            INLINE: a fixed array inline in the tables;
 *            ARRAY: an allocated array of `entries` values;
 *            OPTIONAL: the same, absent (NULL) when `entries` is 0;
 *            LPM: `entries` keys in FIELD_keys, then their values in
 *            FIELD_vals;
 *            RULES: the rules' ids, lines, labels and texts (struct
 *            fwc_rule_meta), which the loader's rule_meta and the
 *            program's labels are filled from
 *   counts   the meta counts that make `entries`, for the corrupt
 *            artifact message (NULL: a constant)
 *
 * The order is the loader's enum, the order of the pins and of the
 * artifact's sections: a new map goes at the end of its group, and one
 * with a section changes the artifact's layout (bump FORMAT in
 * compiler/artifact.c or FWC_ABI_VERSION).
 *
 * Adding a map is a change to two places besides this list: its producer
 * (the compiler filling its struct fwc_tables field, or the loader code
 * that sizes or writes it) and its user (the XDP code that looks it up,
 * or the loader command that reads its pin). The declaration, the
 * skeleton's field, the enum entry, the pin and its rename on reload,
 * `fwc status`'s check of the set, and for a table its artifact section,
 * corrupt-artifact checks, free and --stats row follow from the row.
 */
#ifndef FWC_MAP_LIST_H
#define FWC_MAP_LIST_H

/* clang-format off */
#define FWC_MAPS(X)                                                          \
	/*                                                                   \
	 * The tables of the classifier (include/fwc_abi.h), compiled and    \
	 * read only by the program. Mmapable arrays, so that the loader     \
	 * fills them with memcpy: batch updates copy element by element     \
	 * (~90 ns each, 2.2 s for the 25M entries of 100k rules).           \
	 */                                                                  \
	X(META, meta, ARRAY, __u32, struct fwc_meta,                          \
	  SIZED(1), MMAPABLE, PIN, HEAD, meta, NULL)                          \
	X(V4_ROOT, v4_root, ARRAY, __u32, __u32,                              \
	  SIZED(FWC_TRIE_ROOT_SIZE), MMAPABLE, PIN, ARRAY, v4_root, NULL)     \
	X(V6_ROOT, v6_root, ARRAY, __u32, __u32,                              \
	  SIZED(m->flags & FWC_META_V6_TRIE ? FWC_TRIE_ROOT_SIZE : 0),        \
	  MMAPABLE, PIN, OPTIONAL, v6_root, NULL)                             \
	X(CHUNKS, chunks, ARRAY, __u32, __u32,                                \
	  SIZED((__u64)m->n_chunks * FWC_TRIE_CHUNK_SIZE), MMAPABLE, PIN,     \
	  ARRAY, chunks, "n_chunks * 256")                                    \
	/* ABI 4: an older set has none (kernel/pin.c, fwc_set_open). */      \
	X(V6_RANGE, v6_range, ARRAY, __u32, struct fwc_v6_range,              \
	  SIZED(m->n_v6_ranges), MMAPABLE, PIN, ARRAY, v6_ranges,             \
	  "n_v6_ranges")                                                      \
	/* IPv6 without FWC_META_V6_TRIE: a trie, no preallocation. */        \
	X(V6_LPM, v6_lpm, LPM_TRIE, struct fwc_v6_key, __u32,                 \
	  SIZED(m->n_v6), NO_PREALLOC, PIN, LPM, v6, "n_v6")                  \
	X(ADDR_CLASS, addr_class, ARRAY, __u32, struct fwc_addr_class,        \
	  SIZED(m->n_addr), MMAPABLE, PIN, ARRAY, addr, "n_addr")             \
	X(PAIR, pair, ARRAY, __u32, __u32,                                    \
	  SIZED(m->n_groups ? m->n_pair : (__u64)m->n_src * m->n_dst),        \
	  MMAPABLE, PIN, ARRAY, pair, "n_src * n_dst, or n_pair")             \
	X(PROTO, proto, ARRAY, __u32, __u32,                                  \
	  SIZED(FWC_PROTO_SIZE), MMAPABLE, PIN, INLINE, proto, NULL)          \
	X(PINFO, pinfo, ARRAY, __u32, struct fwc_proto_info,                  \
	  SIZED(m->n_pc), MMAPABLE, PIN, ARRAY, pinfo, "n_pc")                \
	X(L4, l4, ARRAY, __u32, __u32,                                        \
	  SIZED(m->n_l4), MMAPABLE, PIN, ARRAY, l4, "n_l4")                   \
	X(SVC, svc, ARRAY, __u32, __u32,                                      \
	  SIZED(m->n_svc_map), MMAPABLE, PIN, ARRAY, svc, "n_svc_map")        \
	X(DECISION, decision, ARRAY, __u32, __u32,                            \
	  SIZED(m->n_groups ? m->n_dec : (__u64)m->n_rows * m->n_svc),        \
	  MMAPABLE, PIN, ARRAY, decision, "n_rows * n_svc, or n_dec")         \
	X(RULES, rules, ARRAY, __u32, struct fwc_rule_info,                   \
	  SIZED((__u64)m->n_rules + 1), MMAPABLE, PIN, ARRAY, rules,          \
	  "n_rules + 1")                                                      \
	/* ABI 6: the rpc rules' interfaces (docs/rpc-pinholes.md). */        \
	X(RPC_IFACES, rpc_ifaces, ARRAY, __u32, struct fwc_rpc_iface,         \
	  SIZED(m->n_rpc), MMAPABLE, PIN, OPTIONAL, rpc_ifaces, "n_rpc")      \
	/* ABI 7: the grouped layout (include/fwc_abi.h, "Groups"). */       \
	X(GROUPS, groups, ARRAY, __u32, struct fwc_group,                     \
	  SIZED(m->n_groups), MMAPABLE, PIN, OPTIONAL, groups, "n_groups")    \
	X(GMAP, gmap, ARRAY, __u32, struct fwc_gclass,                        \
	  SIZED(m->n_gmap), MMAPABLE, PIN, OPTIONAL, gmap, "n_gmap")          \
	X(SLOTS, slots, ARRAY, __u32, struct fwc_slot,                        \
	  SIZED(m->n_slots), MMAPABLE, PIN, OPTIONAL, slots, "n_slots")       \
	X(GLIST, glist, ARRAY, __u32, struct fwc_gentry,                      \
	  SIZED(m->n_glist), MMAPABLE, PIN, OPTIONAL, glist, "n_glist")       \
	/* The group walk's state: its frame ends the deepest call chain. */ \
	X(GROUP_SCRATCH, group_scratch, PERCPU_ARRAY, __u32,                  \
	  struct fwc_gwalk, FIXED(1), 0, SCRATCH, NO_ART, -, -)               \
	/*                                                                   \
	 * Per counter id (rules, then the reserved counters): what the      \
	 * program counts, per CPU, and the labels bpftool shows beside      \
	 * them, filled by the loader from the artifact's rule texts.        \
	 */                                                                  \
	X(COUNTERS, counters, PERCPU_ARRAY, __u32, struct fwc_counter,        \
	  SIZED((__u64)m->n_rules + 1 + FWC_RSV_COUNT), 0, PIN, NO_ART, -, -) \
	X(LABELS, labels, ARRAY, __u32, struct fwc_label,                     \
	  SIZED((__u64)m->n_rules + 1 + FWC_RSV_COUNT), MMAPABLE, PIN,        \
	  NO_ART, -, -)                                                       \
	/*                                                                   \
	 * Connection tracking (bpf/ct.h): flows and first-fragment          \
	 * verdicts are kept across reloads (kernel/flows.c); the flow       \
	 * table's size is --max-flows, ct_remap's the previous generation's \
	 * rules. The scratch maps hold what does not fit the stack.         \
	 */                                                                  \
	X(CT, ct, LRU_HASH, struct fwc_ct_key, struct fwc_ct_val,             \
	  FIXED(FWC_CT_SIZE), 0, PIN, NO_ART, -, -)                           \
	X(FRAGS, frags, LRU_HASH, struct fwc_frag_key, struct fwc_frag_val,   \
	  FIXED(FWC_FRAG_SIZE), 0, PIN, NO_ART, -, -)                         \
	X(FRAG_NEW, frag_new, PERCPU_ARRAY, __u32, struct fwc_frag_scratch,   \
	  FIXED(1), 0, SCRATCH, NO_ART, -, -)                                 \
	X(CT_REMAP, ct_remap, ARRAY, __u32, __u32,                            \
	  LOADER_SIZED, 0, PIN, NO_ART, -, -)                                 \
	X(CT_SCRATCH, ct_scratch, PERCPU_ARRAY, __u32, struct fwc_hdr,        \
	  FIXED(1), 0, SCRATCH, NO_ART, -, -)                                 \
	/*                                                                   \
	 * ABI 6: MS-RPC pinholes (docs/rpc-pinholes.md), carried over       \
	 * reloads as the flows are; an older set has none. epm_calls holds  \
	 * the ept_map call awaited per EPM connection, epm_scratch the PDU  \
	 * being read (bpf/epm.h).                                           \
	 */                                                                  \
	X(PINHOLES, pinholes, LRU_HASH, struct fwc_pinhole_key,               \
	  struct fwc_pinhole_val, FIXED(FWC_PINHOLE_SIZE), 0, PIN, NO_ART,    \
	  -, -)                                                               \
	/* A bit per TCP port a pinhole was opened to (bpf/rpc.h). */       \
	X(PINHOLE_PORTS, pinhole_ports, ARRAY, __u32, __u64,                  \
	  FIXED(1024), 0, PIN, NO_ART, -, -)                                  \
	X(EPM_CALLS, epm_calls, LRU_HASH, struct fwc_ct_key,                  \
	  struct fwc_epm_wait, FIXED(FWC_EPM_CALLS_SIZE), 0, PIN, NO_ART,     \
	  -, -)                                                               \
	X(EPM_SCRATCH, epm_scratch, PERCPU_ARRAY, __u32,                      \
	  struct fwc_rpc_scratch, FIXED(1), 0, SCRATCH, NO_ART, -, -)         \
	/*                                                                   \
	 * The deny log (bpf/log.h): the ring buffer is kept across reloads  \
	 * (fwc log reads it), the rate limiter has a bucket per rule id.    \
	 */                                                                  \
	X(EVENTS, events, RINGBUF, void, struct fwc_event,                    \
	  FIXED(FWC_LOG_RING_SIZE), 0, PIN, NO_ART, -, -)                     \
	X(LOG_STATE, log_state, ARRAY, __u32, struct fwc_log_state,           \
	  SIZED((__u64)m->n_rules + 1), 0, PIN, NO_ART, -, -)                 \
	/*                                                                   \
	 * The loader's records (include/fwc_abi.h): never read by the       \
	 * program, pinned beside the tables so that fwc status, fwc stats   \
	 * and bpftool tell what runs from the pins alone. They come last:   \
	 * the loader finds the maps before FWC_M_INFO in the object.        \
	 */                                                                  \
	X(INFO, info, ARRAY, __u32, struct fwc_info,                          \
	  SIZED(1), 0, REC, NO_ART, -, -)                                     \
	X(RULE_META, rule_meta, ARRAY, __u32, struct fwc_rule_record,         \
	  SIZED((__u64)m->n_rules + 1), 0, REC, RULES, rule_meta,             \
	  "n_rules + 1")                                                      \
	/* What earlier loads counted; an older set has none. */             \
	X(CARRIED, carried, ARRAY, __u32, struct fwc_counter,                 \
	  SIZED((__u64)m->n_rules + 1 + FWC_RSV_COUNT), 0, REC, NO_ART, -, -)
/* clang-format on */

/*
 * The loader's enum and pin names: the pinned maps (PIN, REC), in order.
 *   enum fwc_map_idx { FWC_MAPS(FWC_MAP_ENUM) FWC_M_COUNT };
 *   const char *const fwc_map_names[] = { FWC_MAPS(FWC_MAP_PIN_NAME) };
 */
#define FWC_MAP_ENUM(ID, name, TYPE, k, v, entries, flags, home, ...) \
	FWC_MAP_ENUM_##home(ID)
#define FWC_MAP_ENUM_PIN(ID) FWC_M_##ID,
#define FWC_MAP_ENUM_REC(ID) FWC_M_##ID,
#define FWC_MAP_ENUM_SCRATCH(ID)

#define FWC_MAP_PIN_NAME(ID, name, TYPE, k, v, entries, flags, home, ...) \
	FWC_MAP_PIN_NAME_##home(ID, name)
#define FWC_MAP_PIN_NAME_PIN(ID, name) [FWC_M_##ID] = #name,
#define FWC_MAP_PIN_NAME_REC(ID, name) [FWC_M_##ID] = #name,
#define FWC_MAP_PIN_NAME_SCRATCH(ID, name)

/* The entries column as a count of @m (LOADER_SIZED and FIXED: none). */
#define FWC_MAP_COUNT(entries) FWC_MAP_COUNT_##entries
#define FWC_MAP_COUNT_SIZED(n) (n)

/*
 * kernel/maps.c sizes the object's SIZED maps before load and fills the
 * tables (ARRAY, OPTIONAL, INLINE; HEAD and LPM by hand) after it, both
 * from the list, with `skel`, `t` (const struct fwc_tables *) and `m`:
 *   FWC_MAPS(FWC_MAP_SIZE_ROW) -> { map, entries, sized },
 *   FWC_MAPS(FWC_MAP_FILL_ROW) -> { map, values, value size, entries },
 */
#define FWC_MAP_SIZED_SIZED(n) (n), 1
#define FWC_MAP_SIZED_FIXED(n) 0, 0
#define FWC_MAP_SIZED_LOADER_SIZED 0, 0
#define FWC_MAP_SIZE_ROW(ID, name, TYPE, k, v, entries, flags, home, ...) \
	FWC_MAP_SIZE_ROW_##home(name, entries)
#define FWC_MAP_SIZE_ROW_PIN(name, entries) \
	{ skel->maps.name, FWC_MAP_SIZED_##entries },
#define FWC_MAP_SIZE_ROW_SCRATCH(name, entries) \
	{ skel->maps.name, FWC_MAP_SIZED_##entries },
#define FWC_MAP_SIZE_ROW_REC(name, entries)

#define FWC_MAP_FILL_ROW(ID, name, TYPE, k, v, entries, flags, home, art, \
			 field, ...)                                      \
	FWC_MAP_FILL_ROW_##art(name, v, entries, field)
#define FWC_MAP_FILL_ROW_ARRAY(name, v, entries, field) \
	{ skel->maps.name, t->field, sizeof(v), FWC_MAP_COUNT(entries) },
#define FWC_MAP_FILL_ROW_OPTIONAL FWC_MAP_FILL_ROW_ARRAY
#define FWC_MAP_FILL_ROW_INLINE FWC_MAP_FILL_ROW_ARRAY
#define FWC_MAP_FILL_ROW_HEAD(name, v, entries, field)
#define FWC_MAP_FILL_ROW_LPM(name, v, entries, field)
#define FWC_MAP_FILL_ROW_RULES(name, v, entries, field)
#define FWC_MAP_FILL_ROW_NO_ART(name, v, entries, field)

#endif /* FWC_MAP_LIST_H */
