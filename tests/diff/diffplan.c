// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc-diffplan: policies and flows of the differential tests
 * (tests/diff/run.sh) and of tests/diff/nft-check.sh.
 *
 *   fwc-diffplan policy SEED RULES
 *	a random policy of about RULES rules (tests/unit/randpol.h)
 *   fwc-diffplan flows SEED RULES N
 *	N packets in `fwc test` notation, biased towards what the policy
 *	of SEED and RULES names, turned into what a lab can send: TCP, UDP
 *	and ICMP echo requests between usable unicast addresses
 *   fwc-diffplan plan HOSTS
 *	reads packets in `fwc test` notation (a leading allow/deny and
 *	# comments are skipped, so .flows files do) and places them on a
 *	lab of HOSTS hosts. Prints
 *	  host ADDR H			ADDR lives on lab host H
 *	  flow ID PROTO SRC SPORT DST DPORT RPORT XPORT
 *	where RPORT is the client port of the reverse attempt (DST:DPORT
 *	-> SRC:RPORT) and XPORT the source port of packets that belong to
 *	no flow (SRC:XPORT -> DST:DPORT). For ICMP echo, SPORT, RPORT and
 *	XPORT are echo identifiers and DPORT is 0.
 *
 * The plan keeps every flow's endpoints on two different hosts (so the
 * packets cross the gateway) and every 5-tuple distinct in both
 * directions, so that the state one flow leaves can never decide another.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "randpol.h"
#include "resolve.h"

#define MAX_FLOWS 4096
#define MAX_ADDRS (2 * MAX_FLOWS)
/* A port left out (0) becomes one of these, distinct per flow. */
#define FILL_PORT 40000
#define ECHO_ID 1000
#define ECHO_ID_REVERSE 30000
#define ECHO_ID_STRAY 50000

struct ep {
	uint8_t family, addr[16];
	uint16_t port;
};

struct flow {
	struct fwc_packet p;
	int a, b; /* address indexes of source and destination */
	uint16_t rport, xport;
};

static struct flow flows[MAX_FLOWS];
static size_t n_flows;
static struct {
	uint8_t family, addr[16];
	int degree, host;
} addrs[MAX_ADDRS];
static size_t n_addrs;

static int usage(void)
{
	fputs("usage: fwc-diffplan policy SEED RULES\n"
	      "       fwc-diffplan flows SEED RULES N\n"
	      "       fwc-diffplan plan HOSTS < PACKETS\n",
	      stderr);
	return 2;
}

/* ---- random policies and flows ------------------------------------- */

static void make_policy(struct randpol *p, struct rng *r, unsigned long seed,
			uint32_t rules)
{
	memset(p, 0, sizeof(*p));
	r->s = seed;
	randpol_make(p, r, rules);
}

static int cmd_policy(unsigned long seed, uint32_t rules)
{
	struct randpol p;
	struct rng r;

	make_policy(&p, &r, seed, rules);
	fwrite(p.text, 1, p.len, stdout);
	free(p.text);
	return 0;
}

/* A packet a lab host can send: usable source, a protocol we can probe. */
static bool make_sendable(struct fwc_packet *pkt)
{
	uint8_t o = pkt->src[0];

	/* randpol draws a random first octet now and then. */
	if (pkt->family == 4 && (o == 0 || o == 127 || o == 169 || o >= 224))
		pkt->src[0] = 10;
	switch (pkt->proto) {
	case 6:
	case 17:
		return true;
	case 132: /* ports near the policy's: keep them, as UDP */
		pkt->proto = 17;
		return true;
	case 1:
	case 58:
		pkt->proto = pkt->family == 4 ? 1 : 58;
		pkt->k1 = pkt->family == 4 ? 8 : 128;
		pkt->k2 = 0;
		return true;
	default:
		return false;
	}
}

static int cmd_flows(unsigned long seed, uint32_t rules, uint32_t n)
{
	struct fwc_packet pkt;
	struct randpol p;
	struct rng r;
	char buf[160];

	make_policy(&p, &r, seed, rules);
	for (uint32_t i = 0, tries = 0; i < n && tries < 100 * n; tries++) {
		randpol_packet(&p, &r, &pkt);
		if (!make_sendable(&pkt))
			continue;
		fwc_packet_format(&pkt, buf, sizeof(buf));
		puts(buf);
		i++;
	}
	free(p.text);
	return 0;
}

/* ---- placing flows on the lab --------------------------------------- */

/* Addresses a lab host can hold and route: unicast, not the gateway's. */
static bool usable(const uint8_t *a, int family)
{
	static const uint8_t zero[16];

	if (family == 4)
		return a[0] && a[0] != 127 && a[0] < 224 &&
		       !(a[0] == 169 && a[1] == 254);
	return memcmp(a, zero, 15) && a[0] != 0xff &&
	       !(a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

static int addr_index(const uint8_t *a, int family)
{
	size_t len = family == 4 ? 4 : 16;

	for (size_t i = 0; i < n_addrs; i++)
		if (addrs[i].family == family && !memcmp(addrs[i].addr, a, len))
			return (int)i;
	if (n_addrs == MAX_ADDRS)
		return -1;
	addrs[n_addrs].family = (uint8_t)family;
	memcpy(addrs[n_addrs].addr, a, len);
	addrs[n_addrs].host = -1;
	return (int)n_addrs++;
}

static bool ep_eq(const struct ep *x, const struct ep *y)
{
	return x->family == y->family && x->port == y->port &&
	       !memcmp(x->addr, y->addr, x->family == 4 ? 4 : 16);
}

/* Does proto x<->y (either way round) meet a tuple already planned? */
static bool tuple_used(uint8_t proto, const struct ep *x, const struct ep *y)
{
	for (size_t i = 0; i < n_flows; i++) {
		const struct fwc_packet *p = &flows[i].p;
		struct ep s = { p->family, { 0 }, p->k2 };
		struct ep d = { p->family, { 0 }, p->k1 };
		struct ep r = { p->family, { 0 }, flows[i].rport };
		struct ep o = { p->family, { 0 }, flows[i].xport };

		if (p->proto != proto)
			continue;
		memcpy(s.addr, p->src, 16);
		memcpy(d.addr, p->dst, 16);
		memcpy(r.addr, p->src, 16);
		memcpy(o.addr, p->src, 16);
		/* The forward tuple s<->d, the reverse d<->r, the stray o->d. */
		if ((ep_eq(x, &s) && ep_eq(y, &d)) ||
		    (ep_eq(x, &d) && ep_eq(y, &s)) ||
		    (ep_eq(x, &d) && ep_eq(y, &r)) ||
		    (ep_eq(x, &r) && ep_eq(y, &d)) ||
		    (ep_eq(x, &d) && ep_eq(y, &o)) ||
		    (ep_eq(x, &o) && ep_eq(y, &d)))
			return true;
	}
	return false;
}

static bool probeable(struct fwc_packet *p)
{
	if (p->proto == 6 || p->proto == 17)
		return p->k1 != 0;
	return (p->family == 4 && p->proto == 1 && p->k1 == 8) ||
	       (p->family == 6 && p->proto == 58 && p->k1 == 128);
}

/* Adds @p as a flow unless it cannot be sent or repeats a tuple. */
static void plan_add(struct fwc_packet *p)
{
	size_t i = n_flows;
	struct flow *f = &flows[i];
	struct ep s = { p->family, { 0 }, 0 }, d = s;
	uint16_t rport, xport;

	if (i == MAX_FLOWS || !probeable(p) || !usable(p->src, p->family) ||
	    !usable(p->dst, p->family) ||
	    !memcmp(p->src, p->dst, sizeof(p->src)))
		return;
	memcpy(s.addr, p->src, 16);
	memcpy(d.addr, p->dst, 16);
	if (p->proto == 1 || p->proto == 58) {
		/* Echo: identifiers in place of ports, unique per flow. */
		p->k2 = (uint16_t)(ECHO_ID + i);
		rport = (uint16_t)(ECHO_ID_REVERSE + i);
		xport = (uint16_t)(ECHO_ID_STRAY + i);
	} else {
		if (!p->k2)
			p->k2 = (uint16_t)(FILL_PORT + i);
		s.port = p->k2;
		d.port = p->k1;
		if (tuple_used(p->proto, &s, &d))
			return;
		/* The reverse attempt: from the server port, to a client
		 * port next to the flow's own (that one has state). */
		rport = p->k2;
		do {
			rport = rport == 65535 ? 1024 : rport + 1;
			s.port = rport;
		} while (tuple_used(p->proto, &d, &s));
		xport = rport;
		do {
			xport = xport == 65535 ? 1024 : xport + 1;
			s.port = xport;
		} while (xport == p->k2 || tuple_used(p->proto, &d, &s));
	}
	f->a = addr_index(p->src, p->family);
	f->b = addr_index(p->dst, p->family);
	if (f->a < 0 || f->b < 0)
		return;
	f->p = *p;
	f->rport = rport;
	f->xport = xport;
	addrs[f->a].degree++;
	addrs[f->b].degree++;
	n_flows++;
}

static bool host_free(int v, int h)
{
	for (size_t i = 0; i < n_flows; i++) {
		int o = flows[i].a == v ? flows[i].b :
			flows[i].b == v ? flows[i].a :
					  -1;

		if (o >= 0 && addrs[o].host == h)
			return false;
	}
	return true;
}

/* Greedy colouring, busiest address first: ends of a flow differ. */
static void place(int hosts)
{
	for (;;) {
		int v = -1;

		for (size_t i = 0; i < n_addrs; i++)
			if (addrs[i].host == -1 &&
			    (v < 0 || addrs[i].degree > addrs[v].degree))
				v = (int)i;
		if (v < 0)
			return;
		addrs[v].host = -2; /* no host fits: its flows are left out */
		for (int h = 0; h < hosts; h++)
			if (host_free(v, h)) {
				addrs[v].host = h;
				break;
			}
	}
}

static void put_addr(const uint8_t *a, int family)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, sizeof(buf));
	fputs(buf, stdout);
}

static int cmd_plan(int hosts)
{
	char *line = NULL, err[160];
	size_t cap = 0, col, skipped = 0, id = 0;
	struct fwc_packet p;

	while (getline(&line, &cap, stdin) > 0) {
		size_t before = n_flows;
		char *s = line;

		s[strcspn(s, "#\r\n")] = '\0';
		s += strspn(s, " \t");
		if (!strncmp(s, "allow ", 6) || !strncmp(s, "deny ", 5))
			s += strcspn(s, " ");
		s += strspn(s, " \t");
		if (!*s)
			continue;
		if (fwc_packet_parse(s, &p, err, sizeof(err), &col)) {
			fprintf(stderr, "fwc-diffplan: %s: %s\n", s, err);
			skipped++;
			continue;
		}
		plan_add(&p);
		skipped += n_flows == before;
	}
	free(line);
	place(hosts);
	for (size_t i = 0; i < n_addrs; i++) {
		if (addrs[i].host < 0)
			continue;
		fputs("host ", stdout);
		put_addr(addrs[i].addr, addrs[i].family);
		printf(" %d\n", addrs[i].host);
	}
	for (size_t i = 0; i < n_flows; i++) {
		const struct flow *f = &flows[i];
		const char *proto = f->p.proto == 6  ? "tcp" :
				    f->p.proto == 17 ? "udp" :
				    f->p.proto == 1  ? "icmp" :
						       "icmp6";

		if (addrs[f->a].host < 0 || addrs[f->b].host < 0) {
			skipped++;
			continue;
		}
		printf("flow %zu %s ", id++, proto);
		put_addr(f->p.src, f->p.family);
		printf(" %u ", f->p.k2);
		put_addr(f->p.dst, f->p.family);
		printf(" %u %u %u\n",
		       fwc_proto_has_ports(f->p.proto) ? f->p.k1 : 0, f->rport,
		       f->xport);
	}
	if (skipped)
		fprintf(stderr,
			"fwc-diffplan: %zu packets not probeable or "
			"repeating a tuple, left out\n",
			skipped);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "policy"))
		return cmd_policy(strtoul(argv[2], NULL, 0),
				  (uint32_t)strtoul(argv[3], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "flows"))
		return cmd_flows(strtoul(argv[2], NULL, 0),
				 (uint32_t)strtoul(argv[3], NULL, 0),
				 (uint32_t)strtoul(argv[4], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "plan")) {
		int hosts = atoi(argv[2]);

		if (hosts < 2)
			return usage();
		return cmd_plan(hosts);
	}
	return usage();
}
