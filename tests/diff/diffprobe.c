// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc-diffprobe: the traffic of the differential tests (tests/diff/run.sh).
 * Each probe prints one outcome word per exchange, which is what the two
 * gateways are compared on. Every operation is bounded in time.
 *
 *   fwc-diffprobe serve [--for SECS] tcp:ADDR:PORT udp:ADDR:PORT ...
 *	echo servers: TCP echoes what a connection sends, UDP echoes each
 *	datagram (any size) to its sender, from the address it came to.
 *   fwc-diffprobe tcp --from ADDR:PORT [--timeout MS] ADDR:PORT
 *	connect, send 32 bytes, wait for their echo, reset the connection.
 *	connected | noecho | refused | timeout | unreach | error
 *   fwc-diffprobe udp --from ADDR:PORT [--timeout MS] [--size N,N...]
 *		       ADDR:PORT
 *	one datagram per size, each awaiting its echo; sizes above the MTU
 *	leave fragmented (path MTU discovery off). One word per size,
 *	joined by '/': echo | refused (ICMP port unreachable) | unreach
 *	(another ICMP error) | none
 *   fwc-diffprobe ping --from ADDR [--timeout MS] --id ID [--size N,N...]
 *		       ADDR
 *	ICMP or ICMPv6 echo requests with identifier ID, one per size.
 *	reply | unreach | none, joined by '/'
 *   fwc-diffprobe stray --from ADDR --at NETNS --kind KIND --sport P
 *		       --dport P --marker N [--timeout MS] ADDR
 *	one crafted packet, and whether it reached eth0 of the namespace
 *	NETNS (a path such as /run/netns/NAME): arrived | none. KIND is
 *	  ack	  a TCP ACK with data, SPORT -> DPORT, no handshake before
 *	  synack  a TCP SYN-ACK, SPORT -> DPORT, answering no SYN
 *	  error	  ICMP port unreachable quoting UDP DPORT -> SPORT from the
 *		  destination to us
 *	  toobig  fragmentation needed (ICMPv6 packet too big) quoting the
 *		  same
 *	  ttl	  time exceeded quoting an echo request (identifier SPORT)
 *		  from the destination to us
 *	  echoreply  an ICMP echo reply (identifier SPORT) nobody asked for
 *	  frag	  a later fragment of a UDP datagram whose first never came
 *	The quoted packet may be one a flow really sent: then the error is
 *	related to it.
 *   fwc-diffprobe ct-flush
 *	empty the conntrack table of the current network namespace
 *
 * ADDR is IPv4 or IPv6; IPv6 with a port in brackets: [2001:db8::1]:443.
 * All sockets set SO_REUSEADDR and SO_REUSEPORT, so that a client may use
 * a port a server of the same host listens on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netprobe.h"

#define MAX_SIZES 4
#define MAX_SIZE 60000
#define TCP_PROBE_LEN 32

static void reuse(int fd)
{
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
}

/* Big datagrams leave in fragments instead of failing with EMSGSIZE. */
static void no_pmtu(int fd, int family)
{
	int v4 = IP_PMTUDISC_DONT, v6 = IPV6_PMTUDISC_DONT;

	if (family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v4, sizeof(v4));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v6,
			   sizeof(v6));
}

/* A socket of @type/@proto bound to @from, for talking to @dst. */
static int sock_from(int type, int proto, const char *from,
		     const struct sockaddr_storage *dst)
{
	struct sockaddr_storage src;
	socklen_t slen;
	int fd;

	if (np_parse_ep(from, &src, &slen, false) ||
	    src.ss_family != dst->ss_family) {
		fprintf(stderr, "fwc-diffprobe: bad --from %s\n", from);
		return -1;
	}
	fd = socket(dst->ss_family, type, proto);
	if (fd < 0) {
		perror("fwc-diffprobe: socket");
		return -1;
	}
	reuse(fd);
	no_pmtu(fd, dst->ss_family);
	if (bind(fd, (struct sockaddr *)&src, slen)) {
		perror("fwc-diffprobe: bind");
		close(fd);
		return -1;
	}
	return fd;
}

/* The outcome word of a socket error the network caused. */
static const char *err_word(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "refused";
	case ETIMEDOUT:
		return "timeout";
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EACCES:
	case EPERM:
	case EPROTO:
	case EMSGSIZE:
		return "unreach";
	default:
		return "error";
	}
}

/* ---- tcp ------------------------------------------------------------- */

static const char *tcp_echo(int fd, int timeout)
{
	char out[TCP_PROBE_LEN], in[TCP_PROBE_LEN];
	double end = np_now_ms() + timeout;
	size_t got = 0;

	memset(out, 'f', sizeof(out));
	if (send(fd, out, sizeof(out), MSG_NOSIGNAL) != sizeof(out))
		return "noecho";
	while (got < sizeof(in)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, np_left(end)) != 1)
			return "noecho";
		n = recv(fd, in + got, sizeof(in) - got, MSG_DONTWAIT);
		if (n <= 0)
			return "noecho";
		got += (size_t)n;
	}
	return memcmp(in, out, sizeof(in)) ? "noecho" : "connected";
}

static int do_tcp(const char *from, const char *to, int timeout)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_storage dst;
	socklen_t len, elen = sizeof(int);
	const char *word;
	int fd, err = 0;

	if (np_parse_ep(to, &dst, &len, true))
		return 2;
	fd = sock_from(SOCK_STREAM, 0, from, &dst);
	if (fd < 0)
		return 2;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&dst, len) && errno != EINPROGRESS) {
		err = errno;
	} else {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (poll(&p, 1, timeout) == 1)
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		else
			err = ETIMEDOUT;
	}
	word = err ? err_word(err) : tcp_echo(fd, timeout);
	/* A RST ends it: no TIME_WAIT holds the tuple for the next phase. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	puts(word);
	return 0;
}

/* ---- udp ------------------------------------------------------------- */

static int parse_sizes(const char *s, size_t *sizes)
{
	int n = 0;

	while (*s && n < MAX_SIZES) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v < 8 || v > MAX_SIZE)
			return -1;
		sizes[n++] = v;
		s = *end == ',' ? end + 1 : end;
	}
	return *s ? -1 : n;
}

/* One datagram of @size tagged @tag, and what comes back for it. */
static const char *udp_once(int fd, char *buf, size_t size, uint32_t tag,
			    int timeout)
{
	static char in[MAX_SIZE + 1];
	double end = np_now_ms() + timeout;

	for (size_t i = 0; i < size; i++)
		buf[i] = (char)(tag + i);
	memcpy(buf, &tag, sizeof(tag));
	if (send(fd, buf, size, 0) < 0)
		return err_word(errno);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, np_left(end)) != 1)
			return "none";
		n = recv(fd, in, sizeof(in), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			/* An ICMP error the kernel tied to this socket. */
			return err_word(errno);
		}
		if ((size_t)n == size && !memcmp(in, buf, size))
			return "echo";
	}
}

static int do_udp(const char *from, const char *to, int timeout,
		  const char *size_list)
{
	static char buf[MAX_SIZE];
	size_t sizes[MAX_SIZES];
	struct sockaddr_storage dst;
	socklen_t len;
	int n = parse_sizes(size_list, sizes), fd;

	if (n <= 0 || np_parse_ep(to, &dst, &len, true))
		return 2;
	fd = sock_from(SOCK_DGRAM, 0, from, &dst);
	if (fd < 0)
		return 2;
	if (connect(fd, (struct sockaddr *)&dst, len)) {
		perror("fwc-diffprobe: connect");
		close(fd);
		return 2;
	}
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? "/" : "",
		       udp_once(fd, buf, sizes[i], 0x5eed0000u + i, timeout));
	putchar('\n');
	close(fd);
	return 0;
}

/* ---- ping ------------------------------------------------------------ */

static uint16_t csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/*
 * What an ICMP message @m (@n bytes, from @peer) says about our echo
 * @id/@seq: 1 reply, -1 an error quoting it, 0 nothing to do with it.
 */
static int ping_match(int family, const uint8_t *m, size_t n,
		      const struct sockaddr_storage *peer,
		      const struct sockaddr_storage *dst, uint16_t id,
		      uint16_t seq)
{
	uint8_t reply = family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
	uint8_t request = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	size_t inner;

	if (n < 8)
		return 0;
	if (m[0] == reply) {
		const struct sockaddr_in *p4 = (const void *)peer;
		const struct sockaddr_in *d4 = (const void *)dst;
		const struct sockaddr_in6 *p6 = (const void *)peer;
		const struct sockaddr_in6 *d6 = (const void *)dst;
		bool same = family == AF_INET ?
				    p4->sin_addr.s_addr == d4->sin_addr.s_addr :
				    !memcmp(&p6->sin6_addr, &d6->sin6_addr, 16);

		return same && ntohs(*(const uint16_t *)(m + 4)) == id &&
		       ntohs(*(const uint16_t *)(m + 6)) == seq;
	}
	/* Errors quote the offending IP header, then its first 8 bytes. */
	if (family == AF_INET) {
		if (m[0] != ICMP_DEST_UNREACH && m[0] != ICMP_TIME_EXCEEDED &&
		    m[0] != ICMP_PARAMETERPROB)
			return 0;
		if (n < 8 + 20)
			return 0;
		inner = 8 + (size_t)(m[8] & 0xf) * 4;
	} else {
		if (m[0] >= 128)
			return 0;
		inner = 8 + 40;
	}
	if (n < inner + 8 || m[inner] != request)
		return 0;
	return ntohs(*(const uint16_t *)(m + inner + 4)) == id &&
			       ntohs(*(const uint16_t *)(m + inner + 6)) ==
				       seq ?
		       -1 :
		       0;
}

static const char *ping_once(int fd, int family,
			     const struct sockaddr_storage *dst, socklen_t len,
			     uint16_t id, uint16_t seq, size_t size,
			     int timeout)
{
	static uint8_t out[MAX_SIZE], in[MAX_SIZE + 100];
	double end = np_now_ms() + timeout;

	memset(out, 0xa5, size);
	out[0] = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	out[1] = 0;
	out[2] = out[3] = 0;
	*(uint16_t *)(out + 4) = htons(id);
	*(uint16_t *)(out + 6) = htons(seq);
	/* The kernel computes the ICMPv6 checksum (it needs the header). */
	if (family == AF_INET)
		*(uint16_t *)(out + 2) = csum(out, size);
	if (sendto(fd, out, size, 0, (const struct sockaddr *)dst, len) < 0)
		return err_word(errno);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		const uint8_t *m = in;
		ssize_t n;
		int r;

		if (poll(&p, 1, np_left(end)) != 1)
			return "none";
		n = recvfrom(fd, in, sizeof(in), MSG_DONTWAIT,
			     (struct sockaddr *)&peer, &plen);
		if (n < 0)
			continue;
		/* Raw IPv4 sockets hand over the IP header as well. */
		if (family == AF_INET) {
			size_t hl = (size_t)(in[0] & 0xf) * 4;

			if ((size_t)n < hl)
				continue;
			m += hl;
			n -= (ssize_t)hl;
		}
		r = ping_match(family, m, (size_t)n, &peer, dst, id, seq);
		if (r)
			return r > 0 ? "reply" : "unreach";
	}
}

static int do_ping(const char *from, const char *to, int timeout, int id,
		   const char *size_list)
{
	size_t sizes[MAX_SIZES];
	struct sockaddr_storage dst;
	socklen_t len;
	int n = parse_sizes(size_list, sizes), fd, family;

	if (n <= 0 || id < 0 || id > 65535 ||
	    np_parse_ep(to, &dst, &len, false))
		return 2;
	family = dst.ss_family;
	fd = sock_from(SOCK_RAW,
		       family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6, from,
		       &dst);
	if (fd < 0)
		return 2;
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? "/" : "",
		       ping_once(fd, family, &dst, len, (uint16_t)id,
				 (uint16_t)(i + 1), sizes[i], timeout));
	putchar('\n');
	close(fd);
	return 0;
}

/* ---- packets of no flow ------------------------------------------------ */

struct stray {
	int family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t marker;
	const char *kind;
};

/* Sum of the pseudo header of the transport checksum (RFC 793, 2460). */
static uint32_t pseudo_sum(const struct stray *x, uint8_t proto, size_t len)
{
	size_t alen = x->family == AF_INET ? 4 : 16;
	uint32_t s = proto + (uint32_t)len;

	for (size_t i = 0; i < alen; i += 2)
		s += (uint32_t)(x->src[i] << 8 | x->src[i + 1]) +
		     (uint32_t)(x->dst[i] << 8 | x->dst[i + 1]);
	return s;
}

static uint16_t csum_with(uint32_t s, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An IP header for @len bytes of @proto; returns its length. */
static size_t ip_header(const struct stray *x, uint8_t *p, uint8_t proto,
			size_t len, uint16_t frag)
{
	if (x->family == AF_INET) {
		p[0] = 0x45;
		put16(p + 2, (uint16_t)(20 + len));
		put16(p + 4, (uint16_t)x->marker);
		put16(p + 6, frag);
		p[8] = 64;
		p[9] = proto;
		memcpy(p + 12, x->src, 4);
		memcpy(p + 16, x->dst, 4);
		put16(p + 10, 0);
		*(uint16_t *)(p + 10) = csum_with(0, p, 20);
		return 20;
	}
	p[0] = 0x60;
	put16(p + 4, (uint16_t)len);
	p[6] = proto;
	p[7] = 64;
	memcpy(p + 8, x->src, 16);
	memcpy(p + 24, x->dst, 16);
	return 40;
}

/*
 * An ICMP error from us to dst about a packet dst sent us: UDP dport ->
 * sport (error: port unreachable; toobig: fragmentation needed / packet
 * too big, MTU 1280) or an echo request with identifier sport (ttl: time
 * exceeded). Returns the ICMP message's length.
 */
static size_t icmp_error(const struct stray *x, uint8_t *l4)
{
	bool v4 = x->family == AF_INET, echo = !strcmp(x->kind, "ttl");
	struct stray q = *x;
	uint8_t *in = l4 + 8, *t;

	memcpy(q.src, x->dst, 16);
	memcpy(q.dst, x->src, 16);
	if (!strcmp(x->kind, "error")) {
		l4[0] = v4 ? ICMP_DEST_UNREACH : ICMP6_DST_UNREACH;
		l4[1] = v4 ? ICMP_PORT_UNREACH : ICMP6_DST_UNREACH_NOPORT;
	} else if (!echo) {
		l4[0] = v4 ? ICMP_DEST_UNREACH : ICMP6_PACKET_TOO_BIG;
		l4[1] = v4 ? ICMP_FRAG_NEEDED : 0;
		put16(l4 + 6, 1280); /* next-hop MTU (v6: low half) */
	} else {
		l4[0] = v4 ? ICMP_TIME_EXCEEDED : ICMP6_TIME_EXCEEDED;
	}
	t = in +
	    ip_header(&q, in,
		      echo ? (v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6) : IPPROTO_UDP,
		      12, 0);
	if (echo) {
		t[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
		put16(t + 4, x->sport);
		put16(t + 6, 1);
	} else {
		put16(t, x->dport);
		put16(t + 2, x->sport);
		put16(t + 4, 12);
	}
	memcpy(t + 8, &x->marker, 4);
	return (size_t)(t + 12 - l4);
}

/* The packet of @x into @p; returns its length. */
static size_t stray_packet(const struct stray *x, uint8_t *p)
{
	bool v4 = x->family == AF_INET;
	uint8_t icmp = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, *l4;
	size_t hl = v4 ? 20 : 40, n;

	memset(p, 0, 256);
	l4 = p + hl;
	if (!strcmp(x->kind, "ack")) {
		put16(l4, x->sport);
		put16(l4 + 2, x->dport);
		put16(l4 + 4, 0x1234); /* sequence */
		put16(l4 + 8, 0x5678); /* acknowledgement */
		l4[12] = 5 << 4;
		l4[13] = 0x18; /* PSH, ACK */
		put16(l4 + 14, 64240);
		memcpy(l4 + 20, &x->marker, 4);
		n = 24;
		ip_header(x, p, IPPROTO_TCP, n, 0);
		*(uint16_t *)(l4 + 16) =
			csum_with(pseudo_sum(x, IPPROTO_TCP, n), l4, n);
	} else if (!strcmp(x->kind, "echoreply")) {
		l4[0] = v4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
		put16(l4 + 4, x->sport);
		put16(l4 + 6, 1);
		memcpy(l4 + 8, &x->marker, 4);
		n = 12;
		ip_header(x, p, icmp, n, 0);
		*(uint16_t *)(l4 + 2) =
			csum_with(v4 ? 0 : pseudo_sum(x, icmp, n), l4, n);
	} else if (!strcmp(x->kind, "synack")) {
		put16(l4, x->sport);
		put16(l4 + 2, x->dport);
		put16(l4 + 4, 0x1234);
		put16(l4 + 8, 0x5678);
		l4[12] = 5 << 4;
		l4[13] = 0x12; /* SYN, ACK */
		put16(l4 + 14, 64240);
		memcpy(l4 + 20, &x->marker, 4);
		n = 24;
		ip_header(x, p, IPPROTO_TCP, n, 0);
		*(uint16_t *)(l4 + 16) =
			csum_with(pseudo_sum(x, IPPROTO_TCP, n), l4, n);
	} else if (!strcmp(x->kind, "error") || !strcmp(x->kind, "toobig") ||
		   !strcmp(x->kind, "ttl")) {
		n = icmp_error(x, l4);
		ip_header(x, p, icmp, n, 0);
		*(uint16_t *)(l4 + 2) =
			csum_with(v4 ? 0 : pseudo_sum(x, icmp, n), l4, n);
	} else if (!strcmp(x->kind, "frag")) {
		/* Bytes 1480-1487 of a datagram, and more to come. */
		if (v4) {
			memcpy(l4, &x->marker, 4);
			memcpy(l4 + 4, &x->marker, 4);
			n = 8;
			ip_header(x, p, IPPROTO_UDP, n, 0x2000 | (1480 / 8));
		} else {
			l4[0] = IPPROTO_UDP;
			put16(l4 + 2, 1448 | 1);
			memcpy(l4 + 4, &x->marker, 4);
			memcpy(l4 + 8, &x->marker, 4);
			memcpy(l4 + 12, &x->marker, 4);
			n = 16;
			ip_header(x, p, IPPROTO_FRAGMENT, n, 0);
		}
	} else {
		return 0;
	}
	return hl + n;
}

/* An AF_PACKET socket on eth0 of the namespace at @path. */
static int catcher_in(const char *path)
{
	int self = open("/proc/self/ns/net", O_RDONLY);
	int there = open(path, O_RDONLY);
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL) };
	int fd = -1;

	if (self < 0 || there < 0 || setns(there, CLONE_NEWNET))
		goto out;
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	ll.sll_ifindex = (int)if_nametoindex("eth0");
	if (fd >= 0 &&
	    (!ll.sll_ifindex || bind(fd, (struct sockaddr *)&ll, sizeof(ll)))) {
		close(fd);
		fd = -1;
	}
	if (setns(self, CLONE_NEWNET)) {
		perror("fwc-diffprobe: setns back");
		exit(2);
	}
out:
	if (self >= 0)
		close(self);
	if (there >= 0)
		close(there);
	return fd;
}

static int do_stray(const char *from, const char *to, const char *at,
		    struct stray *x, int timeout)
{
	struct sockaddr_storage src, dst;
	uint8_t pkt[256], frame[9000];
	double end;
	socklen_t len;
	size_t n;
	int catcher, fd;

	if (!at || !x->kind || np_parse_ep(from, &src, &len, false) ||
	    np_parse_ep(to, &dst, &len, false) ||
	    src.ss_family != dst.ss_family)
		return 2;
	x->family = dst.ss_family;
	if (x->family == AF_INET) {
		memcpy(x->src, &((struct sockaddr_in *)&src)->sin_addr, 4);
		memcpy(x->dst, &((struct sockaddr_in *)&dst)->sin_addr, 4);
	} else {
		memcpy(x->src, &((struct sockaddr_in6 *)&src)->sin6_addr, 16);
		memcpy(x->dst, &((struct sockaddr_in6 *)&dst)->sin6_addr, 16);
	}
	n = stray_packet(x, pkt);
	catcher = catcher_in(at);
	/* IPPROTO_RAW: we write the IP header, fragment fields included. */
	fd = socket(x->family, SOCK_RAW, IPPROTO_RAW);
	if (!n || catcher < 0 || fd < 0) {
		fprintf(stderr, "fwc-diffprobe: stray: cannot set up\n");
		return 2;
	}
	if (sendto(fd, pkt, n, 0, (struct sockaddr *)&dst, len) < 0) {
		perror("fwc-diffprobe: stray: sendto");
		return 2;
	}
	end = np_now_ms() + timeout;
	for (;;) {
		struct pollfd p = { .fd = catcher, .events = POLLIN };
		struct sockaddr_ll ll;
		socklen_t llen = sizeof(ll);
		ssize_t got;

		if (poll(&p, 1, np_left(end)) != 1) {
			puts("none");
			return 0;
		}
		got = recvfrom(catcher, frame, sizeof(frame), MSG_DONTWAIT,
			       (struct sockaddr *)&ll, &llen);
		/* What the host itself sends does not count. */
		if (got > 0 && ll.sll_pkttype != PACKET_OUTGOING &&
		    memmem(frame, (size_t)got, &x->marker, sizeof(x->marker))) {
			puts("arrived");
			return 0;
		}
	}
}

/* ---- servers --------------------------------------------------------- */

/* The servers' sockets: as the clients' (see the top of this file). */
static void serve_setup(int fd, int family)
{
	int on = 1;

	reuse(fd);
	no_pmtu(fd, family);
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
}

static int do_serve(char **specs, int n, int secs)
{
	static const struct np_serve_opts o = {
		.prog = "fwc-diffprobe",
		.setup = serve_setup,
		.echo_tcp = true,
	};

	return np_serve(&o, specs, n, secs);
}

/* ---- conntrack ------------------------------------------------------- */

/* IPCTNL_MSG_CT_DELETE without a tuple flushes the table. */
static int do_ct_flush(void)
{
	struct {
		struct nlmsghdr nh;
		struct nfgenmsg nf;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) |
				      IPCTNL_MSG_CT_DELETE,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		},
		.nf = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0 },
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
	ssize_t n;

	if (fd < 0 || sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
			     sizeof(sa)) < 0) {
		perror("fwc-diffprobe: ct-flush");
		return 1;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	close(fd);
	if (n < (ssize_t)sizeof(*nh) || nh->nlmsg_type != NLMSG_ERROR)
		return 1;
	if (((struct nlmsgerr *)NLMSG_DATA(nh))->error) {
		fprintf(stderr, "fwc-diffprobe: ct-flush: %s\n",
			strerror(-((struct nlmsgerr *)NLMSG_DATA(nh))->error));
		return 1;
	}
	return 0;
}

static int usage(void)
{
	fputs("usage: fwc-diffprobe serve [--for SECS] tcp|udp:ADDR:PORT...\n"
	      "       fwc-diffprobe tcp --from ADDR:PORT [--timeout MS] "
	      "ADDR:PORT\n"
	      "       fwc-diffprobe udp --from ADDR:PORT [--timeout MS] "
	      "[--size N,...] ADDR:PORT\n"
	      "       fwc-diffprobe ping --from ADDR [--timeout MS] --id ID "
	      "[--size N,...] ADDR\n"
	      "       fwc-diffprobe stray --from ADDR --at NETNS --kind "
	      "ack|synack|error|toobig|ttl|echoreply|frag\n"
	      "                     --sport P --dport P --marker N "
	      "[--timeout MS] ADDR\n"
	      "       fwc-diffprobe ct-flush\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 's' },
		{ "id", required_argument, NULL, 'i' },
		{ "for", required_argument, NULL, 'F' },
		{ "at", required_argument, NULL, 'a' },
		{ "kind", required_argument, NULL, 'k' },
		{ "sport", required_argument, NULL, 'S' },
		{ "dport", required_argument, NULL, 'D' },
		{ "marker", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *sizes = "64", *at = NULL, *cmd;
	struct stray x = { 0 };
	int timeout = 500, secs = 60, id = -1, c;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	argv++;
	argc--;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			from = optarg;
			break;
		case 't':
			timeout = atoi(optarg);
			break;
		case 's':
			sizes = optarg;
			break;
		case 'i':
			id = atoi(optarg);
			break;
		case 'F':
			secs = atoi(optarg);
			break;
		case 'a':
			at = optarg;
			break;
		case 'k':
			x.kind = optarg;
			break;
		case 'S':
			x.sport = (uint16_t)atoi(optarg);
			break;
		case 'D':
			x.dport = (uint16_t)atoi(optarg);
			break;
		case 'm':
			x.marker = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		default:
			return usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "serve"))
		return do_serve(argv + optind, argc - optind, secs);
	if (!strcmp(cmd, "ct-flush"))
		return optind == argc ? do_ct_flush() : usage();
	if (optind != argc - 1 || !from || timeout < 0)
		return usage();
	if (!strcmp(cmd, "tcp"))
		return do_tcp(from, argv[optind], timeout);
	if (!strcmp(cmd, "udp"))
		return do_udp(from, argv[optind], timeout, sizes);
	if (!strcmp(cmd, "ping"))
		return do_ping(from, argv[optind], timeout, id, sizes);
	if (!strcmp(cmd, "stray"))
		return do_stray(from, argv[optind], at, &x, timeout);
	return usage();
}
