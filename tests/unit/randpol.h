/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Random policies and packets for property tests. Addresses and ports are
 * drawn from small spaces and near the edges of what the policy names, so
 * that rules overlap, shadow and exclude each other often.
 */
#ifndef FWC_RANDPOL_H
#define FWC_RANDPOL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tables.h"

struct rng {
	uint64_t s;
};

static inline uint32_t rnd(struct rng *r)
{
	r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(r->s >> 33);
}

static inline uint32_t rnd_below(struct rng *r, uint32_t n)
{
	return n ? rnd(r) % n : 0;
}

struct randpol {
	char *text;
	size_t len, cap;
	uint32_t v4[64]; /* addresses named (low 16 bits of 10.0.x.y) */
	uint32_t n4;
	uint32_t v6[64]; /* low 16 bits under 2001:db8:: */
	uint32_t n6;
	uint32_t ports[64];
	uint32_t n_ports;
};

static inline void rp_put(struct randpol *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void rp_put(struct randpol *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(p->text + p->len, p->cap - p->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < p->cap - p->len)
			break;
		p->cap = p->cap * 2 + 256;
		p->text = realloc(p->text, p->cap);
	}
	p->len += (size_t)n;
}

static inline void rp_note(uint32_t *arr, uint32_t *n, uint32_t v)
{
	if (*n < 64)
		arr[(*n)++] = v;
}

static inline void rp_host(struct randpol *p, struct rng *r, int nzones)
{
	uint32_t a = rnd_below(r, 65536), len, b;

	switch (rnd_below(r, nzones ? 9 : 8)) {
	case 0:
	case 1: /* v4 prefix */
		len = 16 + rnd_below(r, 17);
		a &= len == 16 ? 0 : (0xffffu << (32 - len)) & 0xffff;
		rp_put(p, "10.0.%u.%u/%u", a >> 8, a & 255, len);
		rp_note(p->v4, &p->n4, a);
		rp_note(p->v4, &p->n4,
			a | (len >= 32 ? 0 : (0xffffu >> (len - 16))));
		break;
	case 2: /* v4 host */
		rp_put(p, "10.0.%u.%u", a >> 8, a & 255);
		rp_note(p->v4, &p->n4, a);
		break;
	case 3: /* v4 range */
		b = a + rnd_below(r, 2000);
		if (b > 65535)
			b = 65535;
		rp_put(p, "10.0.%u.%u-10.0.%u.%u", a >> 8, a & 255, b >> 8,
		       b & 255);
		rp_note(p->v4, &p->n4, a);
		rp_note(p->v4, &p->n4, b);
		break;
	case 4: /* v6 prefix */
		if (rnd_below(r, 4) == 0) {
			/* A wide one: the IPv6 trie's common prefix moves. */
			rp_put(p, "2001:db8::/%u", 32 + rnd_below(r, 80));
			rp_note(p->v6, &p->n6, 0);
			break;
		}
		len = 112 + rnd_below(r, 17);
		a &= len == 112 ? 0 : (0xffffu << (128 - len)) & 0xffff;
		rp_put(p, "2001:db8::%x/%u", a, len);
		rp_note(p->v6, &p->n6, a);
		break;
	case 5: /* v6 host */
		rp_put(p, "2001:db8::%x", a);
		rp_note(p->v6, &p->n6, a);
		break;
	case 6:
		rp_put(p, "any");
		break;
	case 7: /* nested list with an exclusion */
		rp_put(p, "{ 10.0.%u.0/24, !10.0.%u.%u/28 }", a >> 8, a >> 8,
		       a & 0xf0);
		rp_note(p->v4, &p->n4, a & 0xff00);
		rp_note(p->v4, &p->n4, a & 0xfff0);
		break;
	default:
		rp_put(p, "z%u", rnd_below(r, (uint32_t)nzones));
	}
}

static inline void rp_hosts(struct randpol *p, struct rng *r, int nzones)
{
	uint32_t n = rnd_below(r, 3);

	if (n == 0) {
		rp_host(p, r, nzones);
		return;
	}
	rp_put(p, "{");
	for (uint32_t i = 0; i <= n; i++) {
		rp_put(p, i && rnd_below(r, 2) ? ", " : " ");
		if (i && rnd_below(r, 4) == 0)
			rp_put(p, "!");
		rp_host(p, r, nzones);
	}
	rp_put(p, " }");
}

static inline void rp_ports(struct randpol *p, struct rng *r)
{
	uint32_t a = rnd_below(r, 4) ? rnd_below(r, 200) : rnd(r) % 65536;
	uint32_t b = a + rnd_below(r, 50);

	if (b > 65535)
		b = 65535;
	rp_note(p->ports, &p->n_ports, a);
	rp_note(p->ports, &p->n_ports, b);
	switch (rnd_below(r, 3)) {
	case 0:
		rp_put(p, "%u", a);
		break;
	case 1:
		rp_put(p, "%u-%u", a, b);
		break;
	default:
		rp_put(p, "{ %u, %u-%u }", b, a, b);
	}
}

static inline void rp_service(struct randpol *p, struct rng *r)
{
	static const char *const protos[] = { "tcp", "udp", "sctp",
					      "{ tcp, udp }" };

	switch (rnd_below(r, 8)) {
	case 0:
		rp_put(p, "any");
		return;
	case 1:
		rp_put(p, "proto icmp type %s",
		       rnd_below(r, 2) ? "echo-request" : "{ 0, 3, 11 }");
		return;
	case 2:
		rp_put(p, "proto icmp6 type { echo-request, %u }",
		       rnd_below(r, 256));
		return;
	case 3:
		rp_put(p, "proto %u", 40 + rnd_below(r, 10));
		return;
	case 4:
		rp_put(p, "service s%u", rnd_below(r, 3));
		return;
	default:
		rp_put(p, "proto %s", protos[rnd_below(r, 4)]);
		if (rnd_below(r, 4)) {
			rp_put(p, " port ");
			rp_ports(p, r);
		}
		if (rnd_below(r, 4) == 0) {
			rp_put(p, " from-port ");
			rp_ports(p, r);
		}
	}
}

/* A random policy of about @n_rules rules. */
static inline void randpol_make(struct randpol *p, struct rng *r,
				uint32_t n_rules)
{
	int nzones = 1 + (int)rnd_below(r, 4);

	p->len = 0;
	p->n4 = p->n6 = p->n_ports = 0;
	rp_put(p, "set default %s\n", rnd_below(r, 4) ? "deny" : "allow");
	for (int z = 0; z < nzones; z++) {
		rp_put(p, "zone z%d = ", z);
		rp_hosts(p, r, z); /* only earlier zones: no cycles */
		rp_put(p, "\n");
	}
	for (int s = 0; s < 3; s++) {
		rp_put(p, "service s%d = { proto tcp port ", s);
		rp_ports(p, r);
		rp_put(p, ", proto udp port ");
		rp_ports(p, r);
		rp_put(p, " }\n");
	}
	for (uint32_t i = 0; i < n_rules; i++) {
		rp_put(p, "%s ", rnd_below(r, 3) ? "allow" : "deny");
		rp_hosts(p, r, nzones);
		rp_put(p, " -> ");
		rp_hosts(p, r, nzones);
		rp_put(p, " ");
		rp_service(p, r);
		rp_put(p, "\n");
	}
}

static inline uint32_t near(struct rng *r, const uint32_t *v, uint32_t n,
			    uint32_t max)
{
	uint32_t x;

	if (!n || rnd_below(r, 8) == 0)
		return rnd(r) % (max + 1);
	x = v[rnd_below(r, n)] + rnd_below(r, 3) - 1;
	return x > max ? v[0] : x;
}

/* A random packet biased towards what @p names. */
static inline void randpol_packet(const struct randpol *p, struct rng *r,
				  struct fwc_packet *pkt)
{
	static const uint8_t protos[] = { 6, 17, 132, 1, 58, 47, 41, 0 };
	uint32_t s, d;

	memset(pkt, 0, sizeof(*pkt));
	pkt->family = rnd_below(r, 3) ? 4 : 6;
	pkt->proto = protos[rnd_below(r, sizeof(protos))];
	s = pkt->family == 4 ? near(r, p->v4, p->n4, 65535) :
			       near(r, p->v6, p->n6, 65535);
	d = pkt->family == 4 ? near(r, p->v4, p->n4, 65535) :
			       near(r, p->v6, p->n6, 65535);
	if (pkt->family == 4) {
		pkt->src[0] = pkt->dst[0] = 10;
		pkt->src[2] = (uint8_t)(s >> 8), pkt->src[3] = (uint8_t)s;
		pkt->dst[2] = (uint8_t)(d >> 8), pkt->dst[3] = (uint8_t)d;
		if (rnd_below(r, 16) == 0)
			pkt->src[0] = (uint8_t)rnd(r);
	} else {
		static const uint8_t pfx[4] = { 0x20, 0x01, 0x0d, 0xb8 };

		memcpy(pkt->src, pfx, 4);
		memcpy(pkt->dst, pfx, 4);
		pkt->src[14] = (uint8_t)(s >> 8), pkt->src[15] = (uint8_t)s;
		pkt->dst[14] = (uint8_t)(d >> 8), pkt->dst[15] = (uint8_t)d;
		/* Now and then one byte elsewhere: in or out of a prefix. */
		if (rnd_below(r, 8) == 0)
			pkt->src[2 + rnd_below(r, 12)] = (uint8_t)rnd(r);
		if (rnd_below(r, 8) == 0)
			pkt->dst[2 + rnd_below(r, 12)] = (uint8_t)rnd(r);
	}
	if (pkt->proto == 1 || pkt->proto == 58) {
		pkt->k1 = rnd_below(r, 2) ? (uint16_t)rnd_below(r, 256) :
					    (pkt->proto == 1 ? 8 : 128);
		pkt->k2 = (uint16_t)rnd_below(r, 4);
	} else if (pkt->proto == 6 || pkt->proto == 17 || pkt->proto == 132) {
		pkt->k1 = (uint16_t)near(r, p->ports, p->n_ports, 65535);
		pkt->k2 = (uint16_t)near(r, p->ports, p->n_ports, 65535);
	}
}

#endif
