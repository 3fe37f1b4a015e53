// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "resolve.h"

struct cursor {
	const char *s;
	size_t i;
	char *err;
	size_t err_len;
	size_t *col;
};

static int fail(struct cursor *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->err_len, fmt, ap);
	va_end(ap);
	*c->col = c->i;
	return -EINVAL;
}

static void skip_ws(struct cursor *c)
{
	while (c->s[c->i] == ' ' || c->s[c->i] == '\t')
		c->i++;
}

/* Next blank-separated word, copied into @w. */
static size_t word(struct cursor *c, char *w, size_t len)
{
	size_t n = 0;

	skip_ws(c);
	while (c->s[c->i] && c->s[c->i] != ' ' && c->s[c->i] != '\t' &&
	       c->s[c->i] != '\n' && c->s[c->i] != '\r') {
		if (n + 1 < len)
			w[n++] = c->s[c->i];
		c->i++;
	}
	w[n] = '\0';
	return n;
}

static long number(const char *s, long max)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno || v > max)
		return -1;
	return v;
}

/* ADDR, ADDR:PORT, [V6]:PORT or a bare V6 address. */
static int endpoint(struct cursor *c, struct fwc_packet *p, uint8_t *addr,
		    uint16_t *port, const char *which)
{
	char w[128], *a = w, *portstr = NULL, *close;
	size_t start;
	int family;

	skip_ws(c);
	start = c->i;
	if (!word(c, w, sizeof(w))) {
		c->i = start;
		return fail(c, "expected the %s address", which);
	}
	if (w[0] == '[') {
		close = strchr(w, ']');
		if (!close) {
			c->i = start;
			return fail(c, "missing ']' after the IPv6 address");
		}
		*close = '\0';
		a = w + 1;
		if (close[1] == ':')
			portstr = close + 2;
		else if (close[1]) {
			c->i = start;
			return fail(c, "expected ':PORT' after ']'");
		}
	} else if (strchr(w, ':') && strchr(w, ':') == strrchr(w, ':')) {
		portstr = strchr(w, ':');
		*portstr++ = '\0';
	}
	family = strchr(a, ':') ? 6 : 4;
	memset(addr, 0, 16);
	if (inet_pton(family == 4 ? AF_INET : AF_INET6, a, addr) != 1) {
		c->i = start;
		return fail(c, "bad %s address '%s'", which, a);
	}
	if (p->family && p->family != family) {
		c->i = start;
		return fail(c, "source and destination must both be IPv4 or "
			       "both IPv6");
	}
	p->family = (uint8_t)family;
	if (portstr) {
		long v = number(portstr, 65535);

		if (v < 0) {
			c->i = start;
			return fail(c, "bad %s port '%s': expected 0-65535",
				    which, portstr);
		}
		*port = (uint16_t)v;
	}
	return 0;
}

static int icmp_clauses(struct cursor *c, struct fwc_packet *p)
{
	char w[64];
	size_t start;

	for (;;) {
		skip_ws(c);
		start = c->i;
		if (!word(c, w, sizeof(w)))
			return 0;
		if (!strcmp(w, "type") || !strcmp(w, "code")) {
			bool type = !strcmp(w, "type");
			long v;

			if (!fwc_proto_is_icmp(p->proto)) {
				c->i = start;
				return fail(c,
					    "'%s' applies to icmp and icmp6 "
					    "only",
					    w);
			}
			start = c->i + 1;
			word(c, w, sizeof(w));
			v = number(w, 255);
			if (v < 0 && type)
				v = fwc_icmp_type_by_name(p->proto, w);
			if (v < 0) {
				c->i = start;
				return fail(c, "bad ICMP %s '%s'",
					    type ? "type" : "code", w);
			}
			if (type)
				p->k1 = (uint16_t)v;
			else
				p->k2 = (uint16_t)v;
			continue;
		}
		c->i = start;
		return fail(c,
			    "unexpected '%s': expected end of packet, "
			    "'type' or 'code'",
			    w);
	}
}

int fwc_packet_parse(const char *text, struct fwc_packet *pkt, char *err,
		     size_t err_len, size_t *col)
{
	struct cursor c = { text, 0, err, err_len, col };
	uint16_t sport = 0, dport = 0;
	char w[64];
	long proto;
	size_t start;

	memset(pkt, 0, sizeof(*pkt));
	skip_ws(&c);
	start = c.i;
	if (!word(&c, w, sizeof(w)))
		return fail(&c, "expected PROTO SRC[:PORT] -> DST[:PORT]");
	proto = number(w, 255);
	if (proto < 0)
		proto = fwc_proto_by_name(w);
	if (proto < 0) {
		c.i = start;
		return fail(&c, "unknown protocol '%s'", w);
	}
	pkt->proto = (uint8_t)proto;
	if (endpoint(&c, pkt, pkt->src, &sport, "source"))
		return -EINVAL;
	skip_ws(&c);
	if (strncmp(text + c.i, "->", 2))
		return fail(&c, "expected '->' between source and destination");
	c.i += 2;
	if (endpoint(&c, pkt, pkt->dst, &dport, "destination"))
		return -EINVAL;
	/* As the datapath: ICMP of the other family is malformed, no ICMP. */
	if ((pkt->proto == 1 && pkt->family == 6) ||
	    (pkt->proto == 58 && pkt->family == 4)) {
		c.i = start;
		return fail(
			&c,
			pkt->proto == 1 ?
				"icmp is IPv4 only: an IPv6 packet carries "
				"icmp6 (the datapath drops this one as "
				"malformed)" :
				"icmp6 is IPv6 only: an IPv4 packet carries "
				"icmp (the datapath drops this one as "
				"malformed)");
	}
	if ((sport || dport) && !fwc_proto_has_ports(pkt->proto))
		return fail(&c, "ports need tcp, udp or sctp");
	if (fwc_proto_has_ports(pkt->proto)) {
		pkt->k1 = dport;
		pkt->k2 = sport;
	}
	return icmp_clauses(&c, pkt);
}

void fwc_packet_format(const struct fwc_packet *pkt, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *name = fwc_proto_name(pkt->proto);
	int af = pkt->family == 4 ? AF_INET : AF_INET6;
	char proto[8];

	inet_ntop(af, pkt->src, s, sizeof(s));
	inet_ntop(af, pkt->dst, d, sizeof(d));
	if (!name) {
		snprintf(proto, sizeof(proto), "%u", pkt->proto);
		name = proto;
	}
	if (fwc_proto_has_ports(pkt->proto))
		snprintf(buf, len,
			 pkt->family == 4 ? "%s %s:%u -> %s:%u" :
					    "%s [%s]:%u -> [%s]:%u",
			 name, s, pkt->k2, d, pkt->k1);
	else if (fwc_proto_is_icmp(pkt->proto))
		snprintf(buf, len, "%s %s -> %s type %u code %u", name, s, d,
			 pkt->k1, pkt->k2);
	else
		snprintf(buf, len, "%s %s -> %s", name, s, d);
}
