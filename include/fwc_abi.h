/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * fwc ABI: the layout of the lookup tables shared by the compiler (which
 * fills them), the userspace classifier (fwc test) and the XDP program.
 *
 * Classification of a packet is a fixed sequence of array reads:
 *
 *   saddr --addr trie--> addr class --addr_class[].src--> src class
 *   daddr --addr trie--> addr class --addr_class[].dst--> dst class
 *   pair[src * n_dst + dst]                               --> row
 *   proto[l4proto]                                        --> proto class pc
 *   l4[pinfo[pc].k1_off + (k1 & pinfo[pc].k1_mask)]       --> c1
 *   l4[pinfo[pc].k2_off + (k2 & pinfo[pc].k2_mask)]       --> c2
 *   svc[pinfo[pc].svc_base + c1 * pinfo[pc].n2 + c2]      --> service class
 *   decision[row * n_svc + service class]                 --> rule id
 *   rule[rule id]                                         --> action, flags
 *
 * k1/k2 are (dport, sport) for TCP/UDP/SCTP, (type, code) for ICMP/ICMPv6
 * and unused (0) for other protocols.
 *
 * IPv4 addresses go through a DIR-16-8-8 multibit trie held in arrays:
 * v4_root[addr >> 16] is either a leaf (addr class) or, with
 * FWC_TRIE_CHUNK set, the index of a 256-entry chunk in `chunks` for the
 * next 8 bits, and so on. IPv6 addresses use the same scheme from
 * v6_root (16 bits, then up to 14 chunks of 8 bits, sharing `chunks`)
 * when meta.flags has FWC_META_V6_TRIE, which the compiler sets when the
 * chunks fit its memory budget; otherwise an LPM trie of disjoint
 * prefixes (struct fwc_v6_key), where a miss is addr class 0.
 */
#ifndef FWC_ABI_H
#define FWC_ABI_H

#include <linux/types.h>

#define FWC_ABI_VERSION 1

/* Trie entries: a leaf holds an addr class, a chunk pointer has this bit. */
#define FWC_TRIE_CHUNK 0x80000000u
#define FWC_TRIE_ROOT_SIZE 65536u
#define FWC_TRIE_CHUNK_SIZE 256u

/* Actions stored in struct fwc_rule_info. */
enum fwc_action {
	FWC_ACT_DENY = 0,
	FWC_ACT_ALLOW = 1,
};

/* Rule flags. */
#define FWC_RULE_LOG (1u << 0)

/*
 * Counter ids: 0 is the default rule, 1..n_rules the policy's rules in file
 * order, then the reserved counters below at n_rules + 1 + FWC_RSV_*.
 */
enum fwc_reserved {
	FWC_RSV_NON_IP = 0,	/* non-IP frames (ARP, LLDP...) per `set non-ip` */
	FWC_RSV_MALFORMED = 1,	/* truncated or malformed, dropped */
	FWC_RSV_FRAGMENT = 2,	/* non-first fragments, dropped */
	FWC_RSV_ND = 3,		/* IPv6 neighbour discovery, passed */
	FWC_RSV_COUNT = 4,
};

/* Policy options (struct fwc_meta.flags). */
#define FWC_META_NONIP_DROP (1u << 0)
#define FWC_META_STATE_OFF (1u << 1)
/* IPv6 through v6_root + chunks (a trie like IPv4's) instead of v6_lpm. */
#define FWC_META_V6_TRIE (1u << 2)

struct fwc_meta {
	__u32 abi_version;
	__u32 flags;
	__u32 n_rules;	   /* rules, not counting default rule 0 */
	__u32 n_src;	   /* source classes */
	__u32 n_dst;	   /* destination classes */
	__u32 n_svc;	   /* service classes */
	__u32 n_rows;	   /* distinct decision rows */
	__u32 n_addr;	   /* addr classes */
	__u32 n_chunks;	   /* 256-entry trie chunks */
	__u32 n_v6;	   /* IPv6 LPM entries */
	__u32 n_pc;	   /* protocol classes */
	__u32 n_l4;	   /* entries of the l4 key → class array */
	__u32 n_svc_map;   /* entries of the (pc, c1, c2) → service class array */
	__u32 default_act; /* enum fwc_action of rule 0 */
};

struct fwc_addr_class {
	__u32 src; /* source class */
	__u32 dst; /* destination class */
};

/* Key of the IPv6 LPM trie (layout of struct bpf_lpm_trie_key + 16 bytes). */
struct fwc_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct fwc_proto_info {
	__u32 k1_off;
	__u32 k1_mask;
	__u32 k2_off;
	__u32 k2_mask;
	__u32 n2;	/* c2 classes: svc index = svc_base + c1 * n2 + c2 */
	__u32 svc_base;
};

struct fwc_rule_info {
	__u32 action; /* enum fwc_action */
	__u32 flags;  /* FWC_RULE_* */
};

struct fwc_counter {
	__u64 packets;
	__u64 bytes;
};

/*
 * Map value types: v4_root, v6_root, chunks, pair, proto, l4, svc and decision are
 * arrays of __u32; addr_class of struct fwc_addr_class; rules of struct
 * fwc_rule_info; counters (per-CPU) of struct fwc_counter; labels of
 * struct fwc_label; meta is a one-entry array of struct fwc_meta.
 * proto has 256 entries (one per IP protocol number).
 */
#define FWC_PROTO_SIZE 256u

#define FWC_LABEL_LEN 64

struct fwc_label {
	char text[FWC_LABEL_LEN];
};

/*
 * Loader records. The loader creates these maps itself (the XDP program
 * never reads them) and pins them beside the tables, so that `fwc status`,
 * `fwc stats` and plain bpftool can tell what runs, from the pins alone.
 *
 * info: a one-entry array of struct fwc_info describing the loaded set.
 * rule_meta: an array of struct fwc_rule_record indexed by rule id
 * (0 = default rule, 1..n_rules), used for stats and to carry counters of
 * surviving rules over a reload.
 */
#define FWC_INFO_PATH_LEN 256
#define FWC_INFO_IFACES 32
#define FWC_IFNAME_LEN 16	/* IFNAMSIZ */
#define FWC_MODE_LEN 8
#define FWC_INFO_HASH_LEN 72	/* 64 hex digits, NUL, padding */

struct fwc_info_iface {
	char name[FWC_IFNAME_LEN];
	__u32 ifindex;		/* in the network namespace of the load */
	char mode[FWC_MODE_LEN]; /* "native" or "generic" */
	__u32 pad;
};

struct fwc_info {
	__u32 abi_version;
	__u32 n_rules;
	__u64 loaded_at;	/* seconds since the epoch */
	char sha256[FWC_INFO_HASH_LEN]; /* hex sha256 of the policy text */
	char policy[FWC_INFO_PATH_LEN];	/* absolute path given to fwc load */
	char source[FWC_INFO_PATH_LEN];	/* policy name the tables came from */
	__u32 n_ifaces;
	__u32 pad;
	struct fwc_info_iface ifaces[FWC_INFO_IFACES];
};

#define FWC_RULE_LABEL_LEN 128
#define FWC_RULE_TEXT_LEN 384

struct fwc_rule_record {
	__u32 id;
	__u32 line;		/* source line, 0 for the default rule */
	__u32 has_label;
	__u32 pad;
	__u8 text_sha256[32];	/* of the whole normalised text */
	char label[FWC_RULE_LABEL_LEN];
	char text[FWC_RULE_TEXT_LEN];	/* normalised rule text, maybe cut */
};

#endif /* FWC_ABI_H */
