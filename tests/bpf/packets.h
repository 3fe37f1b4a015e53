/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Crafting Ethernet frames for BPF test runs. A frame is built by appending
 * headers in order (pb_eth, pb_vlan, pb_ipv4/pb_ipv6, extension headers,
 * then one l4 header and payload); pb_finish fills in the IP lengths and
 * the IPv4 checksum. Tests may then corrupt any byte or cut the frame.
 */
#ifndef FWC_TEST_PACKETS_H
#define FWC_TEST_PACKETS_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PB_MAX 2048

#define PB_ETH_IP 0x0800
#define PB_ETH_IPV6 0x86dd
#define PB_ETH_ARP 0x0806
#define PB_ETH_8021Q 0x8100
#define PB_ETH_8021AD 0x88a8

struct pb {
	uint8_t data[PB_MAX];
	size_t len;
	size_t l3;  /* offset of the IP header, 0 when none */
	int family; /* 4 or 6 once an IP header was added */
};

static inline void pb_init(struct pb *b)
{
	memset(b, 0, sizeof(*b));
}

static inline uint8_t *pb_put(struct pb *b, size_t n)
{
	uint8_t *p = b->data + b->len;

	if (b->len + n > PB_MAX)
		abort();
	memset(p, 0, n);
	b->len += n;
	return p;
}

static inline void pb_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void pb_eth(struct pb *b, uint16_t type)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	uint8_t *p = pb_put(b, 14);

	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	pb_be16(p + 12, type);
}

/* A VLAN tag whose payload has ethertype @type (the TPID came before). */
static inline void pb_vlan(struct pb *b, uint16_t vid, uint16_t type)
{
	uint8_t *p = pb_put(b, 4);

	pb_be16(p, vid & 0xfff);
	pb_be16(p + 2, type);
}

/* IPv4 header with @opt_len bytes of options (a multiple of 4, NOPs). */
static inline void pb_ipv4(struct pb *b, uint8_t proto, const uint8_t *src,
			   const uint8_t *dst, size_t opt_len,
			   uint16_t frag_off)
{
	uint8_t *p;

	b->l3 = b->len;
	b->family = 4;
	p = pb_put(b, 20 + opt_len);
	p[0] = 0x40 | ((20 + opt_len) / 4);
	pb_be16(p + 6, frag_off);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	memset(p + 20, 1, opt_len); /* IPOPT_NOOP */
}

static inline void pb_ipv6(struct pb *b, uint8_t nexthdr, const uint8_t *src,
			   const uint8_t *dst)
{
	uint8_t *p;

	b->l3 = b->len;
	b->family = 6;
	p = pb_put(b, 40);
	p[0] = 0x60;
	p[6] = nexthdr;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
}

/*
 * IPv6 extension header @type of @len bytes followed by @next: hop-by-hop,
 * routing and destination options count 8-byte units, AH 4-byte units.
 */
static inline void pb_ext6(struct pb *b, uint8_t type, uint8_t next, size_t len)
{
	uint8_t *p = pb_put(b, len);

	p[0] = next;
	p[1] = type == 51 ? len / 4 - 2 : len / 8 - 1;
	if (type == 0 || type == 60) {
		/* PadN over the rest of the header. */
		p[2] = 1;
		p[3] = len - 4;
	}
}

/* Fragment header; @offset in 8-byte units. */
static inline void pb_frag6(struct pb *b, uint8_t next, uint16_t offset,
			    int more)
{
	uint8_t *p = pb_put(b, 8);

	p[0] = next;
	pb_be16(p + 2, (uint16_t)(offset << 3) | (more ? 1 : 0));
	p[7] = 0x2a; /* identification */
}

static inline void pb_ports(struct pb *b, size_t hlen, uint16_t sport,
			    uint16_t dport)
{
	uint8_t *p = pb_put(b, hlen);

	pb_be16(p, sport);
	pb_be16(p + 2, dport);
}

static inline void pb_tcp(struct pb *b, uint16_t sport, uint16_t dport)
{
	uint8_t *p = b->data + b->len;

	pb_ports(b, 20, sport, dport);
	p[12] = 5 << 4;
	p[13] = 0x02; /* SYN */
}

static inline void pb_udp(struct pb *b, uint16_t sport, uint16_t dport)
{
	pb_ports(b, 8, sport, dport);
	pb_be16(b->data + b->len - 4, 8);
}

static inline void pb_sctp(struct pb *b, uint16_t sport, uint16_t dport)
{
	pb_ports(b, 12, sport, dport);
}

static inline void pb_icmp(struct pb *b, uint8_t type, uint8_t code)
{
	uint8_t *p = pb_put(b, 8);

	p[0] = type;
	p[1] = code;
}

/*
 * The transport header of protocol @proto keyed as the classifier keys
 * it (include/fwc_abi.h): k1 the destination port or ICMP type, k2 the
 * source port or code; nothing for other protocols.
 */
static inline void pb_transport(struct pb *b, uint8_t proto, uint16_t k1,
				uint16_t k2)
{
	switch (proto) {
	case 6:
		pb_tcp(b, k2, k1);
		break;
	case 17:
		pb_udp(b, k2, k1);
		break;
	case 132:
		pb_sctp(b, k2, k1);
		break;
	case 1:
	case 58:
		pb_icmp(b, (uint8_t)k1, (uint8_t)k2);
		break;
	}
}

static inline void pb_payload(struct pb *b, size_t n)
{
	uint8_t *p = pb_put(b, n);
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)i;
}

static inline uint16_t pb_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * Ethernet and the IP header of a fragment of datagram @id carrying
 * @proto: IPv4 with offset @off8 (8-byte units) and MF as @more, or IPv6
 * with a fragment header saying the same. The l4 header or payload follows.
 */
static inline void pb_ip_frag(struct pb *b, int fam, uint8_t proto,
			      const uint8_t *src, const uint8_t *dst,
			      uint32_t id, uint16_t off8, int more)
{
	pb_init(b);
	pb_eth(b, fam == 4 ? PB_ETH_IP : PB_ETH_IPV6);
	if (fam == 4) {
		pb_ipv4(b, proto, src, dst, 0,
			(uint16_t)((more ? 0x2000 : 0) | off8));
		pb_be16(b->data + b->l3 + 4, (uint16_t)id);
	} else {
		pb_ipv6(b, 44, src, dst);
		pb_frag6(b, proto, off8, more);
		pb_be16(b->data + b->l3 + 40 + 4, (uint16_t)(id >> 16));
		pb_be16(b->data + b->l3 + 40 + 6, (uint16_t)id);
	}
}

/* The IPv4 TTL or IPv6 hop limit (after pb_finish: IPv6 only). */
static inline void pb_hop(struct pb *b, uint8_t hop)
{
	b->data[b->l3 + (b->family == 4 ? 8 : 7)] = hop;
}

/* IP total/payload length from the frame's end, IPv4 header checksum. */
static inline void pb_finish(struct pb *b)
{
	uint8_t *ip = b->data + b->l3;
	size_t hlen;

	if (b->family == 4) {
		hlen = (ip[0] & 0xf) * 4;
		pb_be16(ip + 2, b->len - b->l3);
		pb_be16(ip + 10, 0);
		pb_be16(ip + 10, pb_csum(ip, hlen));
	} else if (b->family == 6) {
		pb_be16(ip + 4, b->len - b->l3 - 40);
	}
}

/* Parse "192.0.2.1" or "2001:db8::1" into @a (16 bytes); returns family. */
static inline int pb_addr(const char *s, uint8_t *a)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, a) == 1)
		return 6;
	abort();
}

/*
 * A plain frame: Ethernet, IPv4 or IPv6 (by @family), then TCP/UDP/SCTP
 * with ports k2 -> k1, ICMP with type k1 and code k2, or @payload bytes of
 * any other protocol.
 */
static inline void pb_simple(struct pb *b, int family, uint8_t proto,
			     const uint8_t *src, const uint8_t *dst,
			     uint16_t k1, uint16_t k2, size_t payload)
{
	pb_init(b);
	pb_eth(b, family == 4 ? PB_ETH_IP : PB_ETH_IPV6);
	if (family == 4)
		pb_ipv4(b, proto, src, dst, 0, 0);
	else
		pb_ipv6(b, proto, src, dst);
	pb_transport(b, proto, k1, k2);
	pb_payload(b, payload);
	pb_finish(b);
}

#endif /* FWC_TEST_PACKETS_H */
