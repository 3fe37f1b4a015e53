/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Packet parser of the XDP program: Ethernet with up to two VLAN tags,
 * IPv4 (options honoured) or IPv6 (a bounded walk over extension headers),
 * then the first transport header. It yields what the classifier needs:
 * family, protocol, addresses and the two l4 keys of include/fwc_abi.h,
 * and for connection tracking (bpf/ct.h) the TCP flags, the ICMP echo
 * identifier and a fragment's identification. A non-first fragment
 * (FWC_PARSE_FRAGMENT) still has family, addresses and fragment fields.
 *
 * Every header must lie fully inside the frame and inside the IP datagram
 * (IPv4 total length, IPv6 payload length); anything else is malformed and
 * the caller drops it. All offsets are scalars bounded by the frame, each
 * access is preceded by an explicit check against data_end.
 */
#ifndef FWC_PARSE_H
#define FWC_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum fwc_parse_res {
	FWC_PARSE_OK = 0,
	FWC_PARSE_NON_IP,    /* neither IPv4 nor IPv6 */
	FWC_PARSE_MALFORMED, /* truncated or inconsistent headers */
	FWC_PARSE_FRAGMENT,  /* non-first fragment: no l4 header */
	FWC_PARSE_ND,	     /* ICMPv6 neighbour discovery (133-137) */
	FWC_PARSE_MLD,	     /* link-scope MLD (130-132, 143) */
};

/* struct fwc_hdr.flags */
#define FWC_HDR_VLAN (1u << 0)	     /* one VLAN tag or more */
#define FWC_HDR_QINQ (1u << 1)	     /* two VLAN tags */
#define FWC_HDR_IP_OPTS (1u << 2)    /* IPv4 header with options */
#define FWC_HDR_EXT (1u << 3)	     /* IPv6 extension headers */
#define FWC_HDR_FIRST_FRAG (1u << 4) /* first fragment (more follow) */
#define FWC_HDR_SRCROUTE (1u << 5)   /* LSRR/SSRR, or segments left > 0 */

struct fwc_hdr {
	__u8 family;  /* 4 or 6 */
	__u8 proto;   /* upper-layer protocol, after IPv6 ext headers */
	__u16 k1;     /* dport or ICMP type, host order */
	__u16 k2;     /* sport or ICMP code, host order */
	__u16 l4_off; /* offset of the l4 header in the frame */
	__u32 flags;  /* FWC_HDR_* */
	__u8 src[16]; /* network order; IPv4 in the first 4 bytes */
	__u8 dst[16];
	__u32 frag_id;	 /* IPv4 identification or IPv6 fragment id */
	__u16 end;	 /* offset of the datagram's end in the frame */
	__u16 echo_id;	 /* ICMP/ICMPv6 identifier (bytes 4-5), host order */
	__u8 tcp_flags;	 /* TCP byte 13: FIN 1, SYN 2, RST 4, ACK 0x10 */
	__u8 frag_proto; /* IPv4 protocol, or the fragment header's next */
	__u8 hop;	 /* IPv4 TTL or IPv6 hop limit */
	__u8 pad;
	/*
	 * Fragments: where the fragmentable part starts in the frame (after
	 * the IPv4 header or the IPv6 fragment header), this fragment's
	 * offset in it (bytes), and the end of the l4 header (frame offset;
	 * the l4 start when it has none we read).
	 */
	__u16 frag_at;
	__u16 frag_off;
	__u16 l4_end;
	__u16 pad2;
};

#define FWC_MAX_VLAN 2
#define FWC_MAX_EXT 6 /* IPv6 extension headers walked */

#define FWC_ETH_P_8021AD 0x88a8
#define FWC_IP_MF 0x2000
#define FWC_IP_OFFSET 0x1fff

#define FWC_NEXTHDR_HOP 0
#define FWC_NEXTHDR_ROUTING 43
#define FWC_NEXTHDR_FRAGMENT 44
#define FWC_NEXTHDR_AUTH 51
#define FWC_NEXTHDR_DEST 60

#define FWC_PROTO_ICMPV6 58

#define FWC_ND_FIRST 133 /* router solicitation */
#define FWC_ND_LAST 137	 /* redirect */
/* RFC 4861: ND with any other hop limit crossed a router: not on-link. */
#define FWC_ND_HOP 255
#define FWC_MLD_QUERY 130
#define FWC_MLD_DONE 132 /* 131 is the v1 report */
#define FWC_MLD2_REPORT 143

#define FWC_IPOPT_EOL 0
#define FWC_IPOPT_NOP 1
#define FWC_IPOPT_LSRR 0x83
#define FWC_IPOPT_SSRR 0x89
#define FWC_IP_MAX_OPTS 40 /* bytes of options in the largest header */

/* Linux drops ICMP/ICMPv6 shorter than struct icmphdr/icmp6hdr. */
#define FWC_ICMP_HLEN 8
#define FWC_TCP_HLEN 20
#define FWC_UDP_HLEN 8
#define FWC_SCTP_HLEN 12

struct fwc_vlan {
	__be16 tci;
	__be16 proto;
};

/* The fixed IPv4 and IPv6 headers, spelled out to keep includes small. */
struct fwc_ip4 {
	__u8 vihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 proto;
	__be16 check;
	__u8 saddr[4];
	__u8 daddr[4];
};

struct fwc_ip6 {
	__u8 vtc;
	__u8 flow[3];
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* Ethernet and VLAN tags: the ethertype of the payload and its offset. */
static __always_inline int fwc_parse_eth(void *data, void *data_end, __u32 *off,
					 __u16 *type, struct fwc_hdr *h)
{
	struct ethhdr *eth = data;
	__u32 o = sizeof(*eth);
	__u16 t;
	int i;

	if ((void *)(eth + 1) > data_end)
		return FWC_PARSE_MALFORMED;
	t = bpf_ntohs(eth->h_proto);

#pragma unroll
	for (i = 0; i < FWC_MAX_VLAN; i++) {
		struct fwc_vlan *vh = data + o;

		if (t != ETH_P_8021Q && t != FWC_ETH_P_8021AD)
			break;
		if ((void *)(vh + 1) > data_end)
			return FWC_PARSE_MALFORMED;
		t = bpf_ntohs(vh->proto);
		o += sizeof(*vh);
		h->flags |= i ? FWC_HDR_QINQ : FWC_HDR_VLAN;
	}
	/* A third tag: we cannot see the payload, so fail closed. */
	if (t == ETH_P_8021Q || t == FWC_ETH_P_8021AD)
		return FWC_PARSE_MALFORMED;

	*off = o;
	*type = t;
	return FWC_PARSE_OK;
}

/*
 * IPv4 options between frame offsets @start and @end (at most 40 bytes):
 * 1 when they hold a loose or strict source route, 0 when not, -1 when
 * they are malformed (Linux drops those too). A global function: the
 * verifier walks its loop once, not once per way through the parser.
 */
__noinline int fwc_ip4_opts(struct xdp_md *ctx, __u32 start, __u32 end)
{
	void *data, *data_end;
	__u32 k, n, len;
	__u8 *p;

	if (!ctx)
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	/* Ethernet and two tags put the options at 34..42. */
	if (start > 64 || end < start || end - start > FWC_IP_MAX_OPTS)
		return -1;
	n = end - start;
	for (k = 0; k < FWC_IP_MAX_OPTS; k++) {
		__u32 o = start + k;

		if (k >= n)
			return 0;
		/* Bounded again here, where the verifier looks. */
		asm volatile("" : "+r"(o));
		if (o > 128)
			return -1;
		p = data + o;
		if ((void *)(p + 2) > data_end)
			return (void *)(p + 1) > data_end || p[0] > 1 ? -1 : 0;
		if (p[0] == FWC_IPOPT_EOL)
			return 0;
		if (p[0] == FWC_IPOPT_NOP)
			continue;
		len = p[1];
		if (len < 2 || k + len > n)
			return -1;
		if (p[0] == FWC_IPOPT_LSRR || p[0] == FWC_IPOPT_SSRR)
			return 1;
		k += len - 1;
	}
	return 0;
}

/* IPv4 header; sets *off to the l4 header and *end to the datagram's end. */
static __always_inline int fwc_parse_ip4(void *data, void *data_end, __u32 *off,
					 __u32 *end, struct fwc_hdr *h)
{
	struct fwc_ip4 *ip = data + *off;
	__u32 hlen, tot, frag;

	if ((void *)(ip + 1) > data_end)
		return FWC_PARSE_MALFORMED;
	if ((ip->vihl >> 4) != 4)
		return FWC_PARSE_MALFORMED;
	hlen = (ip->vihl & 0xf) * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (hlen < sizeof(*ip) || tot < hlen)
		return FWC_PARSE_MALFORMED;
	/* The whole datagram (and so its options) must be in the frame. */
	if ((void *)ip + tot > data_end)
		return FWC_PARSE_MALFORMED;
	if (hlen > sizeof(*ip))
		h->flags |= FWC_HDR_IP_OPTS;

	h->family = 4;
	h->hop = ip->ttl;
	h->proto = ip->proto;
	h->frag_proto = ip->proto;
	h->frag_id = bpf_ntohs(ip->id);
	__builtin_memcpy(h->src, ip->saddr, 4);
	__builtin_memcpy(h->dst, ip->daddr, 4);
	*end = *off + tot;
	h->end = *end;

	frag = bpf_ntohs(ip->frag_off);
	h->frag_at = *off + hlen;
	h->frag_off = (frag & FWC_IP_OFFSET) << 3;
	if (frag & FWC_IP_OFFSET)
		return FWC_PARSE_FRAGMENT;
	if (frag & FWC_IP_MF)
		h->flags |= FWC_HDR_FIRST_FRAG;
	*off += hlen;
	return FWC_PARSE_OK;
}

static __always_inline int fwc_is_ext(__u8 nh)
{
	return nh == FWC_NEXTHDR_HOP || nh == FWC_NEXTHDR_ROUTING ||
	       nh == FWC_NEXTHDR_DEST || nh == FWC_NEXTHDR_FRAGMENT ||
	       nh == FWC_NEXTHDR_AUTH;
}

/*
 * The IPv6 extension header @nh at *off: advance past it and set *next to
 * the header that follows it.
 */
static __always_inline int fwc_parse_ext(void *data, void *data_end, __u8 nh,
					 __u32 *off, __u32 end, __u8 *next,
					 struct fwc_hdr *h)
{
	__u8 *p = data + *off;
	__u32 len;

	/* Every extension header is at least 8 bytes long. */
	if ((void *)(p + 8) > data_end || *off + 8 > end)
		return FWC_PARSE_MALFORMED;

	if (nh == FWC_NEXTHDR_FRAGMENT) {
		__u16 frag = ((__u16)p[2] << 8) | p[3];

		h->frag_proto = p[0];
		h->frag_id = ((__u32)p[4] << 24) | ((__u32)p[5] << 16) |
			     ((__u32)p[6] << 8) | p[7];
		h->frag_at = *off + 8;
		h->frag_off = frag & 0xfff8;
		if (frag & 0xfff8)
			return FWC_PARSE_FRAGMENT;
		if (frag & 1)
			h->flags |= FWC_HDR_FIRST_FRAG;
		len = 8;
	} else if (nh == FWC_NEXTHDR_AUTH) {
		/* RFC 4302: AH counts 4-byte words, less 2. */
		len = ((__u32)p[1] + 2) * 4;
	} else {
		len = ((__u32)p[1] + 1) * 8;
		/* Segments left: the destination is only a waypoint. */
		if (nh == FWC_NEXTHDR_ROUTING && p[3])
			h->flags |= FWC_HDR_SRCROUTE;
	}
	if (*off + len > end)
		return FWC_PARSE_MALFORMED;

	h->flags |= FWC_HDR_EXT;
	*next = p[0];
	*off += len;
	return FWC_PARSE_OK;
}

static __always_inline int fwc_parse_ip6(void *data, void *data_end, __u32 *off,
					 __u32 *end, struct fwc_hdr *h)
{
	struct fwc_ip6 *ip6 = data + *off;
	__u32 o = *off + sizeof(*ip6);
	__u8 nh;
	int i, ret;

	if ((void *)(ip6 + 1) > data_end)
		return FWC_PARSE_MALFORMED;
	if ((ip6->vtc >> 4) != 6)
		return FWC_PARSE_MALFORMED;
	*end = o + bpf_ntohs(ip6->payload_len);
	if ((void *)ip6 + sizeof(*ip6) + bpf_ntohs(ip6->payload_len) > data_end)
		return FWC_PARSE_MALFORMED;
	h->end = *end;

	h->family = 6;
	h->hop = ip6->hop_limit;
	__builtin_memcpy(h->src, ip6->saddr, 16);
	__builtin_memcpy(h->dst, ip6->daddr, 16);
	nh = ip6->nexthdr;

#pragma unroll
	for (i = 0; i < FWC_MAX_EXT; i++) {
		if (!fwc_is_ext(nh))
			break;
		ret = fwc_parse_ext(data, data_end, nh, &o, *end, &nh, h);
		if (ret != FWC_PARSE_OK)
			return ret;
	}
	/* Still an extension header after the walk: fail closed. */
	if (fwc_is_ext(nh))
		return FWC_PARSE_MALFORMED;

	h->proto = nh;
	*off = o;
	return FWC_PARSE_OK;
}

/*
 * ICMPv6 that hosts need on a link, before any rule: neighbour discovery
 * with hop limit 255 (RFC 4861: no router forwarded it), and MLD with hop
 * limit 1 to a link-scope group (RFC 3810: it cannot leave the link).
 * With any other hop limit or address they are ICMPv6 like any other.
 */
static __always_inline int fwc_icmp6_control(const struct fwc_hdr *h, __u8 type)
{
	if (type >= FWC_ND_FIRST && type <= FWC_ND_LAST)
		return h->hop == FWC_ND_HOP ? FWC_PARSE_ND : FWC_PARSE_OK;
	if (((type >= FWC_MLD_QUERY && type <= FWC_MLD_DONE) ||
	     type == FWC_MLD2_REPORT) &&
	    h->hop == 1 && h->dst[0] == 0xff && (h->dst[1] & 0x0f) == 2)
		return FWC_PARSE_MLD;
	return FWC_PARSE_OK;
}

/* Ports, or ICMP type and code; other protocols leave k1 = k2 = 0. */
static __always_inline int fwc_parse_l4(void *data, void *data_end, __u32 off,
					__u32 end, struct fwc_hdr *h)
{
	__u8 *p = data + off;
	__u32 need;

	h->l4_off = off;
	h->l4_end = off;
	/*
	 * ICMP belongs to IPv4, ICMPv6 to IPv6: either in the other family
	 * is no packet any host answers, and rules about the one must not
	 * admit it as the other.
	 */
	if ((h->family == 4 && h->proto == FWC_PROTO_ICMPV6) ||
	    (h->family == 6 && h->proto == IPPROTO_ICMP))
		return FWC_PARSE_MALFORMED;
	switch (h->proto) {
	case IPPROTO_TCP:
		need = FWC_TCP_HLEN;
		break;
	case IPPROTO_UDP:
		need = FWC_UDP_HLEN;
		break;
	case IPPROTO_SCTP:
		need = FWC_SCTP_HLEN;
		break;
	case IPPROTO_ICMP:
	case FWC_PROTO_ICMPV6:
		need = FWC_ICMP_HLEN;
		break;
	default:
		return FWC_PARSE_OK;
	}
	/*
	 * Every header we read is at least 8 bytes: check that against the
	 * frame for the verifier, the exact size against the datagram's end
	 * (which lies inside the frame).
	 */
	if ((void *)(p + 8) > data_end || off + need > end)
		return FWC_PARSE_MALFORMED;

	h->l4_end = off + need;
	if (h->proto == IPPROTO_ICMP || h->proto == FWC_PROTO_ICMPV6) {
		h->k1 = p[0];
		h->k2 = p[1];
		h->echo_id = ((__u16)p[4] << 8) | p[5];
		if (h->family == 6)
			return fwc_icmp6_control(h, p[0]);
		return FWC_PARSE_OK;
	}
	/* TCP, UDP and SCTP all start with source then destination port. */
	h->k2 = ((__u16)p[0] << 8) | p[1];
	h->k1 = ((__u16)p[2] << 8) | p[3];
	if (h->proto == IPPROTO_TCP) {
		__u32 doff;

		if ((void *)(p + FWC_TCP_HLEN) > data_end)
			return FWC_PARSE_MALFORMED;
		doff = (p[12] >> 4) * 4;
		if (doff < FWC_TCP_HLEN || off + doff > end)
			return FWC_PARSE_MALFORMED;
		h->tcp_flags = p[13];
		h->l4_end = off + doff;
	}
	return FWC_PARSE_OK;
}

/* Parse the frame in @ctx into @h; returns an enum fwc_parse_res. */
static __always_inline int fwc_parse(struct xdp_md *ctx, struct fwc_hdr *h)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = 0, end = 0;
	__u16 type = 0;
	int ret;

	ret = fwc_parse_eth(data, data_end, &off, &type, h);
	if (ret != FWC_PARSE_OK)
		return ret;
	if (type == ETH_P_IP) {
		__u32 opts = off + sizeof(struct fwc_ip4);

		ret = fwc_parse_ip4(data, data_end, &off, &end, h);
		/* Options ride in every fragment: look at them in each. */
		if ((ret == FWC_PARSE_OK || ret == FWC_PARSE_FRAGMENT) &&
		    (h->flags & FWC_HDR_IP_OPTS)) {
			int sr = fwc_ip4_opts(ctx, opts, h->frag_at);

			if (sr < 0)
				return FWC_PARSE_MALFORMED;
			if (sr)
				h->flags |= FWC_HDR_SRCROUTE;
		}
	} else if (type == ETH_P_IPV6)
		ret = fwc_parse_ip6(data, data_end, &off, &end, h);
	else
		return FWC_PARSE_NON_IP;
	if (ret != FWC_PARSE_OK)
		return ret;
	return fwc_parse_l4(data, data_end, off, end, h);
}

#endif /* FWC_PARSE_H */
