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
 * chunks fit its memory budget and the trie's depth costs less than an
 * LPM lookup; otherwise an LPM trie of disjoint prefixes (struct
 * fwc_v6_key), where a miss is addr class 0.
 *
 * The IPv6 trie starts below the longest whole-byte prefix that holds
 * every class boundary (an estate's /32 or /48): an address outside it
 * is addr class meta.v6_outside at once, and v6_root indexes the two
 * bytes after it (meta.v6_at), so a /64 of a /48 is two reads, not seven.
 * An IPv6 trie entry with FWC_TRIE_RANGE ends the walk where its block
 * holds a single range of one class amid another (a server's /128 in
 * its own /48): struct fwc_v6_range in v6_range, one read and a compare
 * instead of a chunk per byte.
 */
#ifndef FWC_ABI_H
#define FWC_ABI_H

#include <linux/types.h>

#define FWC_ABI_VERSION 8

/* Trie entries: a leaf holds an addr class, a chunk pointer has this bit. */
#define FWC_TRIE_CHUNK 0x80000000u
/* IPv6 only: a leaf that is the index of a struct fwc_v6_range. */
#define FWC_TRIE_RANGE 0x40000000u
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
 * ABI 6: an rpc rule (docs/rpc-pinholes.md): its TCP/135 connections'
 * ept_map answers open pinholes for the interfaces rpc_ifaces[rpc_first ..
 * rpc_first + rpc_n) of struct fwc_rule_info.
 */
#define FWC_RULE_RPC (1u << 1)

/*
 * Counter ids: 0 is the default rule, 1..n_rules the policy's rules in file
 * order, then the reserved counters below at n_rules + 1 + FWC_RSV_*.
 */
enum fwc_reserved {
	FWC_RSV_NON_IP = 0, /* non-IP frames (ARP, LLDP...) per `set non-ip` */
	FWC_RSV_MALFORMED = 1, /* truncated or malformed, dropped */
	FWC_RSV_FRAGMENT = 2,  /* non-first fragments, dropped */
	FWC_RSV_ND = 3,	       /* IPv6 neighbour discovery, passed */
	FWC_RSV_ORPHAN = 4,    /* flows whose rule a reload removed, passed */
	/* ABI 3: audit mode and the deny log (bpf/log.h). */
	FWC_RSV_WOULD_DROP = 5,	    /* audit: packets the policy would drop */
	FWC_RSV_LOG_SUPPRESSED = 6, /* events the rate limit held back */
	FWC_RSV_LOG_LOST = 7,	    /* events lost: the ring buffer was full */
	/* ABI 5: hardening (docs/policy-language.md, "What never meets"). */
	FWC_RSV_SOURCE_ROUTE =
		8,	 /* IPv4 LSRR/SSRR, IPv6 routing hdr: dropped */
	FWC_RSV_MLD = 9, /* link-scope MLD, hop limit 1: passed */
	/* ABI 6: MS-RPC pinholes (docs/rpc-pinholes.md). */
	FWC_RSV_RPC_OPENED = 10,  /* pinholes opened (or renewed) */
	FWC_RSV_RPC_USED = 11,	  /* SYNs admitted through a pinhole */
	FWC_RSV_RPC_EXPIRED = 12, /* SYNs that found their pinhole expired */
	FWC_RSV_RPC_REFUSED = 13, /* announced port outside the rule's bounds */
	FWC_RSV_RPC_UNLISTED = 14, /* interface not one of the rule's */
	FWC_RSV_RPC_UNPARSED = 15, /* awaited ept_map answer not parsed */
	FWC_RSV_COUNT = 16,
};

/* Policy options (struct fwc_meta.flags). */
#define FWC_META_NONIP_DROP (1u << 0)
#define FWC_META_STATE_OFF (1u << 1)
/* IPv6 through v6_root + chunks (a trie like IPv4's) instead of v6_lpm. */
#define FWC_META_V6_TRIE (1u << 2)
/* set state loose: allowed mid-stream TCP packets start flows too. */
#define FWC_META_STATE_LOOSE (1u << 3)
/* set mode audit / fwc load --audit: what the policy drops passes. */
#define FWC_META_AUDIT (1u << 4)
/* set source-route pass: source-routed packets meet the rules. */
#define FWC_META_SRCROUTE_PASS (1u << 5)
/*
 * fwc load --flush-flows (set by the loader, never compiled): a flow of
 * an older generation is checked against this policy on its first packet
 * here, as its opening packet; one the policy does not admit is deleted
 * and the packet meets the rules (bpf/ct.h, fwc_ct_flushed).
 */
#define FWC_META_FLUSH_FLOWS (1u << 6)
/* ABI 6: the policy has rpc rules: denied SYNs look for a pinhole. */
#define FWC_META_RPC (1u << 7)

/* Idle timeouts of tracked flows and fragments: struct fwc_meta.timeout[]. */
enum fwc_timeout {
	FWC_TO_TCP_SYN = 0, /* handshake: SYN sent, SYN-ACK seen */
	FWC_TO_TCP_ESTABLISHED,
	FWC_TO_TCP_FIN,	    /* a FIN seen: closing */
	FWC_TO_TCP_CLOSE,   /* after a RST */
	FWC_TO_UDP,	    /* no reply yet, or a short exchange */
	FWC_TO_UDP_STREAM,  /* replies still flowing 2 s after the first */
	FWC_TO_ICMP,	    /* echo request/reply by identifier */
	FWC_TO_FRAGMENT,    /* a first fragment's verdict, from its arrival */
	FWC_TO_RPC_PINHOLE, /* ABI 6: a pinhole, from the ept_map answer */
	FWC_TO_COUNT,
};

struct fwc_meta {
	__u32 abi_version;
	__u32 flags;
	__u32 n_rules;	/* rules, not counting default rule 0 */
	__u32 n_src;	/* source classes */
	__u32 n_dst;	/* destination classes */
	__u32 n_svc;	/* service classes */
	__u32 n_rows;	/* distinct decision rows */
	__u32 n_addr;	/* addr classes */
	__u32 n_chunks; /* 256-entry trie chunks */
	__u32 n_v6;	/* IPv6 LPM entries */
	__u32 n_pc;	/* protocol classes */
	__u32 n_l4;	/* entries of the l4 key → class array */
	__u32 n_svc_map; /* entries of the (pc, c1, c2) → service class array */
	__u32 default_act; /* enum fwc_action of rule 0 */
	/* ABI 2: connection tracking. */
	__u32 gen; /* load generation (loader): names ct rule ids */
	__u32 timeout[FWC_TO_COUNT]; /* seconds, enum fwc_timeout */
	/* ABI 3: the deny log. */
	__u32 log_rate; /* events per second and rule, and the burst */
	/*
	 * ABI 4: the IPv6 trie's prefix. An address whose 32-bit words
	 * (host order of the network-order bytes) w[k] have
	 * (w[k] ^ v6_pre[k]) & v6_mask[k] nonzero for some k is outside:
	 * addr class v6_outside. Else v6_root is indexed by its bytes
	 * v6_at and v6_at + 1 (v6_at <= 14; 0: no prefix, mask all zero).
	 */
	__u32 v6_at;
	__u32 v6_outside;
	__u32 v6_pre[4];
	__u32 v6_mask[4];
	__u32 n_v6_ranges; /* struct fwc_v6_range entries */
	__u32 n_rpc;	   /* ABI 6: struct fwc_rpc_iface entries */
	/*
	 * ABI 7: the grouped layout (below, "Groups"): 0 for the single
	 * cross product, else the groups, and the entries of the tables
	 * they share (pair and decision hold every group's, one after
	 * another).
	 */
	__u32 n_groups; /* struct fwc_group entries, <= FWC_GROUPS_MAX */
	__u32 n_gmap;	/* gmap entries: n_src + n_dst (ABI 8) */
	__u32 n_slots;	/* sparse pairs: struct fwc_slot entries */
	__u32 n_glist;	/* candidate lists: struct fwc_gentry entries */
	__u32 n_pair;	/* grouped: pair entries (else n_src * n_dst) */
	__u32 n_dec;	/* grouped: decision entries (else n_rows * n_svc) */
};

/*
 * ABI 7: groups (docs/architecture.md, "Groups"). A policy whose single
 * cross product passes the table budget is split into groups of rules by
 * how wide their addresses are; a packet is classified once (addr trie,
 * addr_class, and proto, pinfo, l4 and svc as above, giving global
 * classes src, dst and svc) and then looked up in each group, and the
 * lowest rule id any group matches decides (0: none, the default rule):
 *
 *   groups: gmap[src].mask & gmap[n_src + dst].mask, each bit k < n_groups
 *           a group k both classes are in (the only ones that can match)
 *   gs = gmap[src].cls[k], gd = gmap[n_src + dst].cls[k]
 *   LISTS:  at = pair[g.pair_off + gs * g.n_dst + gd]
 *   SPARSE: at = the slot of (gs, gd) in slots[g.pair_off ..
 *           g.pair_off + g.mask]: probing from fwc_slot_hash() at most
 *           FWC_PROBE_MAX slots, an empty one (src 0) a miss (id 0); .list
 *   then:   id = the rule of the first of glist[at], glist[at + 1],
 *           ... whose box holds the packet's (proto, k1, k2), up to one
 *           of rule 0 (the list's end) or FWC_LIST_MAX entries; or,
 *           for a list of many rules, its decision row's rule (below).
 *           glist[0] is the empty list (a rule 0), so a list at 0 is
 *           no match and the XDP program does not read it: most pairs
 *           of a dense table have no rule.
 *
 * A group's rules are those of one width of source and destination, so
 * that few of them share an address pair; their services are boxes (one
 * rule may need several, in rule order). A LISTS group keeps a dense
 * pair table, a SPARSE group only the pairs some rule covers. The
 * decision rows, of the table's service classes, are shared by every
 * group: a group has n_svc = meta.n_svc, n_rows = meta.n_rows and
 * dec_off 0, and meta.n_dec = n_rows * n_svc (row 0 is empty).
 * Groups come in order of their lowest rule id (min_rule): once a match
 * is lower than a group's min_rule, no later group can beat it.
 *
 * ABI 8: a global class's group classes are one gmap entry (struct
 * fwc_gclass, one cache line), which the XDP program reads once for a
 * packet, not once a group (it had a u32 per group and class, and a
 * gmask table of the bits).
 */
#define FWC_GROUPS_MAX 15u
#define FWC_PROBE_MAX 8u
/* A list's entries, its end included: longer ones are a decision row. */
#define FWC_LIST_MAX 16u
/* Kind 0 was ROWS (a group's own cross product): gone, and refused. */
#define FWC_GROUP_LISTS 1u
#define FWC_GROUP_SPARSE 2u

struct fwc_group {
	__u32 kind;	/* FWC_GROUP_* */
	__u32 min_rule; /* its lowest rule id */
	__u32 n_src;	/* its address classes */
	__u32 n_dst;
	__u32 n_svc;	/* meta.n_svc: of its decision rows */
	__u32 n_rows;	/* meta.n_rows: the rows its lists may name */
	__u32 pair_off; /* LISTS: into pair; SPARSE: into slots */
	__u32 mask;	/* SPARSE: slots - 1 (a power of two); else 0 */
	__u32 seed;	/* SPARSE: of fwc_slot_hash() */
	__u32 dec_off;	/* 0: its rows are decision[0 ..] */
};

/*
 * gmap[c], c < n_src: source class c; gmap[n_src + c]: destination class
 * c. Bit k of mask: the class is in group k (its class there is one of
 * the group's sets, not 0, "in none"); cls[k] its class in group k, for
 * every k < n_groups, 0 past them.
 */
struct fwc_gclass {
	__u32 mask;
	__u32 cls[FWC_GROUPS_MAX];
} __attribute__((aligned(8))); /* copied as 8 words */

/* A sparse group's (src, dst) pair: classes + 1 (src 0: an empty slot). */
struct fwc_slot {
	__u32 src;
	__u32 dst;
	__u32 list; /* glist offset of its candidate rules, in rule order */
	__u32 pad;
};

/*
 * A candidate rule's box: it matches a packet whose protocol, k1 and k2
 * (include/fwc_abi.h, top) are within the bounds. rule 0 ends a list.
 * rule FWC_GENTRY_ROW stands for a whole list too long to walk: the
 * rule is decision[(k1_hi << 16 | k1_lo) * g.n_svc + svc] (a row of the
 * table's service classes, g.n_rows of them).
 */
#define FWC_GENTRY_ROW 0xffffffffu
struct fwc_gentry {
	__u32 rule;
	__u16 k1_lo, k1_hi;
	__u16 k2_lo, k2_hi;
	__u8 proto_lo, proto_hi;
	__u16 pad;
};

/* The first slot a sparse group probes for (gs, gd), before its mask. */
static inline __u32 fwc_slot_hash(__u32 gs, __u32 gd, __u32 seed)
{
	__u32 h = (gs * 0x9e3779b1u) ^ (gd * 0x85ebca77u) ^ seed;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

/*
 * A trie leaf for the block holding it: addresses lo..hi (as the words of
 * fwc_meta.v6_pre) are addr class in, the rest of the block class out.
 */
struct fwc_v6_range {
	__u32 lo[4];
	__u32 hi[4];
	__u32 in;
	__u32 out;
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
	__u32 n2; /* c2 classes: svc index = svc_base + c1 * n2 + c2 */
	__u32 svc_base;
};

struct fwc_rule_info {
	__u32 action;	 /* enum fwc_action */
	__u32 flags;	 /* FWC_RULE_* */
	__u32 rpc_first; /* FWC_RULE_RPC: its first rpc_ifaces entry */
	__u32 rpc_n;	 /* and how many (<= FWC_RPC_PER_RULE) */
};

/*
 * ABI 6: MS-RPC endpoint-mapper pinholes (docs/rpc-pinholes.md).
 *
 * rpc_ifaces: per rpc rule, the interfaces whose ept_map answers open a
 * pinhole, and the ports it may open. A tower of interface (uuid, major)
 * announcing TCP port P opens one when an entry of its rule has
 * FWC_RPC_ANY, or the same uuid (wire form: the first three fields
 * little-endian, as on the wire) and, unless FWC_RPC_ANY_VERSION, the same
 * major; and port_lo <= P <= port_hi.
 */
#define FWC_RPC_PER_RULE 64u	      /* interfaces one rule may list */
#define FWC_RPC_ANY (1u << 0)	      /* rpc any: every interface */
#define FWC_RPC_ANY_VERSION (1u << 1) /* a literal UUID without :MAJOR */

struct fwc_rpc_iface {
	__u8 uuid[16];
	__u16 major;
	__u16 flags; /* FWC_RPC_* */
	__u16 port_lo;
	__u16 port_hi;
};

/*
 * pinholes: an LRU hash of the ports ept_map answers opened, carried over
 * reloads as the flows are. client and server come from the answer's IP
 * header (never from the tower); a SYN from client to server:port that the
 * rules deny opens a flow of the pinhole's rule while it lives.
 */
#define FWC_PINHOLE_SIZE 16384u

struct fwc_pinhole_key {
	__u8 client[16]; /* IPv4 in the first 4 bytes, rest zero */
	__u8 server[16];
	__u16 port; /* host order */
	__u8 family;
	__u8 proto; /* 6 */
};

struct fwc_pinhole_val {
	__u64 created; /* bpf_ktime_get_coarse_ns() of the answer */
	__u64 expires; /* the same clock */
	__u32 rule;    /* as struct fwc_ct_val: counter id in gen */
	__u32 gen;
	__u32 prev_rule;
	__u32 used;    /* connections opened through it (not atomic: a hint) */
	__u8 uuid[16]; /* the tower's interface, wire form */
	__u16 major;
	__u16 minor;
	__u32 pad;
};

/*
 * epm_calls: per EPM connection (keyed as its flow), the call_id of the
 * ept_map request (opnum 3) whose answer is awaited, and the answer's
 * segments so far when it spans several (bpf/maps.h, struct
 * fwc_epm_wait: ~2 KiB an entry).
 */
#define FWC_EPM_CALLS_SIZE 1024u
#define FWC_EPM_SEGS 16u /* segments an answer may span */

struct fwc_epm_call {
	__u64 seen; /* when the request passed */
	__u32 call_id;
	__u32 pad;
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
 * proto has 256 entries (one per IP protocol number). Every map, with
 * its key, value, size and artifact section: include/fwc_maps.h.
 */
#define FWC_PROTO_SIZE 256u

#define FWC_LABEL_LEN 64

struct fwc_label {
	char text[FWC_LABEL_LEN];
};

/*
 * Connection tracking (bpf/ct.h). `ct` is an LRU hash of flows shared by
 * every interface of a load and carried over reloads; `frags` caches the
 * verdict of first fragments; `ct_remap` maps the rule ids of the previous
 * generation (meta.gen - 1) to this one's, FWC_CT_NO_RULE where the rule
 * is gone.
 *
 * A flow's key is the same for both directions: the two endpoints
 * (address, port) in a fixed order (lower bytes first), and the entry
 * records which of them opened the flow. ICMP echo flows carry their
 * identifier in echo_id and zero ports; TCP/UDP flows carry zero there.
 * With proto in the key, an echo id can never be read as a port pair.
 */
#define FWC_CT_SIZE 65536u	   /* default flow table entries */
#define FWC_FRAG_SIZE 4096u	   /* datagrams in reassembly (~1 KiB each) */
#define FWC_CT_NO_RULE 0xffffffffu /* ct_remap: rule gone; ct: orphan */

enum fwc_ct_state {
	FWC_CT_TCP_SYN_SENT = 1,    /* SYN from the opener */
	FWC_CT_TCP_SYN_RECV = 2,    /* SYN-ACK from the other side */
	FWC_CT_TCP_ESTABLISHED = 3, /* opener's ACK, or loose pick-up */
	FWC_CT_TCP_FIN = 4,	    /* a FIN from either side */
	FWC_CT_TCP_CLOSE = 5,	    /* a RST */
	FWC_CT_UDP = 6,		    /* no reply seen */
	FWC_CT_UDP_REPLIED = 7,
	FWC_CT_ICMP_ECHO = 8,
	FWC_CT_STATES,
};

/* struct fwc_ct_val.flags */
#define FWC_CT_F_FIN_ORIG (1u << 0)  /* the opener sent a FIN */
#define FWC_CT_F_FIN_REPLY (1u << 1) /* the other side sent a FIN */
#define FWC_CT_F_LOOSE (1u << 2)     /* picked up mid-stream */

struct fwc_ct_key {
	__u8 addr[2][16]; /* IPv4 in the first 4 bytes, rest zero */
	__u16 port[2];	  /* host order; 0 for ICMP echo */
	__u16 echo_id;	  /* ICMP echo identifier (host order), or 0 */
	__u8 family;	  /* 4 or 6 */
	__u8 proto;	  /* 6, 17, 1 or 58 */
};

/*
 * rule/gen/prev_rule: the admitting rule's counter id in generation gen,
 * and in gen - 1 (FWC_CT_NO_RULE when unknown): during a reload the old
 * program still runs on interfaces not yet swapped and must not count a
 * flow the new one already moved against a rule id of the new policy.
 */
struct fwc_ct_val {
	__u64 created; /* bpf_ktime_get_coarse_ns() of the first packet */
	__u64 seen;    /* last packet, refreshed every FWC_CT_TOUCH_NS */
	__u32 rule;
	__u32 gen;
	__u8 state; /* enum fwc_ct_state */
	__u8 orig;  /* endpoint (0 or 1) that opened the flow */
	__u8 flags; /* FWC_CT_F_* */
	__u8 pad;
	__u32 prev_rule;
};

/* A UDP flow still active this long after it opened is a stream. */
#define FWC_UDP_STREAM_NS 2000000000ull

/*
 * The idle timeout (seconds) of flow @v: the datapath expires entries with
 * it, fwc flows skips expired ones with it.
 */
static inline __u32 fwc_ct_timeout_secs(const struct fwc_meta *m,
					const struct fwc_ct_val *v)
{
	switch (v->state) {
	case FWC_CT_TCP_SYN_SENT:
	case FWC_CT_TCP_SYN_RECV:
		return m->timeout[FWC_TO_TCP_SYN];
	case FWC_CT_TCP_ESTABLISHED:
		return m->timeout[FWC_TO_TCP_ESTABLISHED];
	case FWC_CT_TCP_FIN:
		return m->timeout[FWC_TO_TCP_FIN];
	case FWC_CT_TCP_CLOSE:
		return m->timeout[FWC_TO_TCP_CLOSE];
	case FWC_CT_UDP_REPLIED:
		/* As Linux: a short exchange (DNS) keeps the short timeout. */
		return v->seen - v->created >= FWC_UDP_STREAM_NS ?
			       m->timeout[FWC_TO_UDP_STREAM] :
			       m->timeout[FWC_TO_UDP];
	case FWC_CT_UDP:
		return m->timeout[FWC_TO_UDP];
	default:
		return m->timeout[FWC_TO_ICMP];
	}
}

struct fwc_frag_key {
	__u8 src[16];
	__u8 dst[16];
	__u32 id; /* IPv4 identification or IPv6 fragment id */
	__u8 family;
	__u8 proto; /* IPv4 protocol, or the IPv6 fragment header's next */
	__u8 pad[2];
};

/*
 * Coverage of an IPv6 datagram's fragments, in 8-byte units of its
 * fragmentable part: 65535 bytes need 8192 bits. Any overlap drops the
 * datagram (RFC 5722).
 */
#define FWC_FRAG_UNITS 8192u
#define FWC_FRAG_WORDS (FWC_FRAG_UNITS / 64)

/* struct fwc_frag_val.flags */
#define FWC_FRAG_F_DENY (1u << 0) /* the first fragment was dropped */
#define FWC_FRAG_F_BAD (1u << 1)  /* an overlap: the datagram is dropped */

struct fwc_frag_val {
	__u64 first; /* when the first fragment arrived */
	__u32 rule;  /* as struct fwc_ct_val */
	__u32 gen;
	__u32 prev_rule;
	__u32 flags;  /* FWC_FRAG_F_* */
	__u32 l4_end; /* end of the first fragment's l4 header, in bytes of
		       * the fragmentable part: later ones start after it */
	__u32 pad;
	__u64 seen[FWC_FRAG_WORDS]; /* IPv6: units received */
};

/*
 * The deny log (bpf/log.h). `events` is a ring buffer of struct fwc_event
 * shared by every interface of a load and carried over reloads (fwc log
 * reads it); `log_state` holds one rate limiter per rule (the program's
 * own, struct fwc_log_state in bpf/maps.h), sized n_rules + 1.
 */
#define FWC_LOG_RING_SIZE (256u * 1024) /* bytes: ~3600 events */
#define FWC_LOG_RATE_DEFAULT 10u	/* set log rate: events/s per rule */
#define FWC_LOG_RATE_MAX 1000000u

/* struct fwc_event.verdict */
enum fwc_log_verdict {
	FWC_LOG_DROP = 0,	/* dropped by a deny rule or default deny */
	FWC_LOG_WOULD_DROP = 1, /* audit mode: would be dropped, passed */
	FWC_LOG_ALLOW = 2,	/* admitted by an `allow log` rule */
	/*
	 * ABI 6: pinhole events of an rpc rule marked log: src is the
	 * client, dst the server, k1 the announced port, k2 0.
	 */
	FWC_LOG_PINHOLE_OPEN = 3,
	FWC_LOG_PINHOLE_REFUSED = 4, /* port out of bounds or unlisted */
	FWC_LOG_RPC_UNPARSED = 5,    /* the awaited answer was not parsed */
};

/*
 * One logged packet, as the rules saw it. Addresses as in struct
 * fwc_ct_key; k1/k2 as in struct fwc_hdr: (dport, sport) for TCP, UDP and
 * SCTP, (type, code) for ICMP and ICMPv6, 0 otherwise.
 */
struct fwc_event {
	__u64 time;    /* bpf_ktime_get_boot_ns(): CLOCK_BOOTTIME */
	__u32 ifindex; /* ingress interface, in the namespace of the load */
	__u32 rule;    /* counter id in generation gen: 0 is the default */
	__u32 gen;     /* meta.gen of the program that logged it */
	__u8 verdict;  /* enum fwc_log_verdict */
	__u8 family;   /* 4 or 6 */
	__u8 proto;
	__u8 tcp_flags;
	__u16 k1;
	__u16 k2;
	__u32 len; /* frame bytes */
	__u8 src[16];
	__u8 dst[16];
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
#define FWC_IFNAME_LEN 16 /* IFNAMSIZ */
#define FWC_MODE_LEN 8
#define FWC_INFO_HASH_LEN 72 /* 64 hex digits, NUL, padding */

struct fwc_info_iface {
	char name[FWC_IFNAME_LEN];
	__u32 ifindex;		 /* in the network namespace of the load */
	char mode[FWC_MODE_LEN]; /* "native" or "generic" */
	__u32 pad;
};

struct fwc_info {
	__u32 abi_version;
	__u32 n_rules;
	__u64 loaded_at;		/* seconds since the epoch */
	char sha256[FWC_INFO_HASH_LEN]; /* hex sha256 of the policy text */
	char policy[FWC_INFO_PATH_LEN]; /* absolute path given to fwc load */
	char source[FWC_INFO_PATH_LEN]; /* policy name the tables came from */
	__u32 n_ifaces;
	__u32 pad;
	struct fwc_info_iface ifaces[FWC_INFO_IFACES];
};

#define FWC_RULE_LABEL_LEN 128
#define FWC_RULE_TEXT_LEN 384

struct fwc_rule_record {
	__u32 id;
	__u32 line; /* source line, 0 for the default rule */
	__u32 has_label;
	__u32 pad;
	__u8 text_sha256[32]; /* of the whole normalised text */
	char label[FWC_RULE_LABEL_LEN];
	char text[FWC_RULE_TEXT_LEN]; /* normalised rule text, maybe cut */
};

#endif /* FWC_ABI_H */
