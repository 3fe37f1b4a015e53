/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Compiled lookup tables: what the loader copies into BPF maps. */
#ifndef FWC_TABLES_H
#define FWC_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwc_abi.h"

/* One rule as people see it: for stats, labels and `fwc test`. */
struct fwc_rule_meta {
	uint32_t id;   /* 1..n_rules */
	uint32_t line; /* source line of the rule */
	char *label;   /* label "TEXT", or NULL */
	char *text;    /* normalised rule text (one line) */
};

struct fwc_tables {
	struct fwc_meta meta;

	uint32_t *v4_root; /* FWC_TRIE_ROOT_SIZE */
	uint32_t *v6_root; /* same, with FWC_META_V6_TRIE */
	uint32_t *chunks;  /* meta.n_chunks * FWC_TRIE_CHUNK_SIZE */
	struct fwc_v6_range *v6_ranges;	  /* meta.n_v6_ranges */
	struct fwc_v6_key *v6_keys;	  /* meta.n_v6, sorted, disjoint */
	uint32_t *v6_vals;		  /* meta.n_v6 addr classes */
	struct fwc_addr_class *addr;	  /* meta.n_addr */
	uint32_t *pair;			  /* meta.n_src * meta.n_dst → row */
	uint32_t proto[FWC_PROTO_SIZE];	  /* protocol → proto class */
	struct fwc_proto_info *pinfo;	  /* meta.n_pc */
	uint32_t *l4;			  /* meta.n_l4 */
	uint32_t *svc;			  /* meta.n_svc_map */
	uint32_t *decision;		  /* meta.n_rows * meta.n_svc */
	struct fwc_rule_info *rules;	  /* meta.n_rules + 1 */
	struct fwc_rpc_iface *rpc_ifaces; /* meta.n_rpc, NULL when 0 */
	/* ABI 7: the grouped layout, all NULL when meta.n_groups is 0. */
	struct fwc_group *groups; /* meta.n_groups */
	struct fwc_gclass *gmap;  /* meta.n_gmap: n_src + n_dst */
	struct fwc_slot *slots;	  /* meta.n_slots */
	struct fwc_gentry *glist; /* meta.n_glist */

	struct fwc_rule_meta *rule_meta; /* meta.n_rules + 1 (0 = default) */
	char *source;			 /* policy file name */
	uint8_t source_sha256[32];	 /* of the policy text */
};

/* A packet as the classifier sees it (addresses in network byte order). */
struct fwc_packet {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;
	uint8_t src[16]; /* IPv4 in the first 4 bytes */
	uint8_t dst[16];
	uint16_t k1; /* dport, or ICMP type */
	uint16_t k2; /* sport, or ICMP code */
};

/* Rule id that decides @pkt, using only the tables. */
uint32_t fwc_tables_classify(const struct fwc_tables *t,
			     const struct fwc_packet *pkt);
/*
 * What a grouped layout's walk read, summed over packets (bench/exact_bench
 * prints it): the groups looked up (before the early end), those whose
 * pair had no list, the list entries read (boxes, ends and the entries
 * that stand for a row) and the decision rows read.
 */
struct fwc_walk_stats {
	uint64_t packets, groups, empty, entries, rows;
};
/* fwc_tables_classify, adding what its walk read to @st. */
uint32_t fwc_tables_classify_traced(const struct fwc_tables *t,
				    const struct fwc_packet *pkt,
				    struct fwc_walk_stats *st);
/* The source, destination and service classes of @pkt. */
void fwc_tables_classes(const struct fwc_tables *t,
			const struct fwc_packet *pkt, uint32_t *src,
			uint32_t *dst, uint32_t *svc);
/* Action of rule @id (0 = default). */
uint32_t fwc_tables_action(const struct fwc_tables *t, uint32_t id);
/*
 * An IPv6 address as the four words of fwc_meta.v6_pre and
 * fwc_v6_range (most significant first), and back.
 */
void fwc_v6_words(const uint8_t a[16], uint32_t w[4]);
void fwc_v6_bytes(const uint32_t w[4], uint8_t a[16]);
/* Is @a outside the IPv6 trie's common prefix (fwc_meta.v6_pre)? */
bool fwc_v6_outside(const struct fwc_meta *m, const uint8_t a[16]);

/*
 * 0 when every count, offset and index of @t stays inside its table (see
 * compiler/validate.c); else -EINVAL and what is wrong in @why.
 */
int fwc_tables_validate(const struct fwc_tables *t, char *why, size_t len);

/*
 * The maps that have a section in the artifact, in its order, from the
 * list of maps (include/fwc_maps.h: the art, field and counts columns).
 * compiler/artifact.c writes and reads the tables by this one table.
 */
enum fwc_art {
	FWC_ART_HEAD,	  /* struct fwc_meta, inline, first */
	FWC_ART_INLINE,	  /* a fixed array inline in struct fwc_tables */
	FWC_ART_ARRAY,	  /* an allocated array */
	FWC_ART_OPTIONAL, /* the same, NULL when it has no entries */
	FWC_ART_LPM,	  /* keys at off, their values at off2 */
	FWC_ART_RULES,	  /* struct fwc_rule_meta: ids, lines, strings */
};

struct fwc_table_desc {
	const char *name;   /* the map's, and the section's in messages */
	const char *counts; /* meta counts its entries are made of, or NULL */
	enum fwc_art art;
	bool row;	 /* a row of `fwc compile --stats` */
	size_t size;	 /* bytes of a value */
	size_t key_size; /* LPM: bytes of a key; else 0 */
	size_t off;	 /* of its field in struct fwc_tables */
	size_t off2;	 /* LPM: of the values' field */
	uint64_t (*entries)(const struct fwc_meta *m);
};

extern const struct fwc_table_desc fwc_table_descs[];
extern const size_t fwc_n_table_descs;

/* The table of map @name, or NULL. */
const struct fwc_table_desc *fwc_table_desc(const char *name);

/*
 * Bytes and entries of the table of map @table (0 for none), for --stats
 * and the loader's map sizes.
 */
size_t fwc_tables_bytes(const struct fwc_tables *t, const char *table);
size_t fwc_tables_entries(const struct fwc_tables *t, const char *table);

void fwc_tables_free(struct fwc_tables *t);

#endif /* FWC_TABLES_H */
