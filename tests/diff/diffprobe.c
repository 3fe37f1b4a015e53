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
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 4096
#define MAX_SIZES 4
#define MAX_SIZE 60000
#define TCP_PROBE_LEN 32

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Milliseconds left until @end, for poll(). */
static int left(double end)
{
	double l = end - now_ms();

	return l <= 0 ? 0 : (int)l + 1;
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT"; @need_port for destinations. */
static int parse_ep(const char *s, struct sockaddr_storage *ss,
		    socklen_t *len, bool need_port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL, *colon = strrchr(s, ':');
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || (end[1] && end[1] != ':'))
			return -1;
		n = (size_t)(end - s - 1);
		port = end[1] ? end + 2 : NULL;
		s++;
	} else if (colon && strchr(s, ':') == colon) {
		n = (size_t)(colon - s);
		port = colon + 1;
	} else {
		n = strlen(s);
	}
	if (n >= sizeof(host) || (need_port && !port))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port ? (uint16_t)atoi(port) : 0);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port ? (uint16_t)atoi(port) : 0);
		*len = sizeof(*a6);
		return 0;
	}
	return -1;
}

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

	if (parse_ep(from, &src, &slen, false) || src.ss_family != dst->ss_family) {
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
	double end = now_ms() + timeout;
	size_t got = 0;

	memset(out, 'f', sizeof(out));
	if (send(fd, out, sizeof(out), MSG_NOSIGNAL) != sizeof(out))
		return "noecho";
	while (got < sizeof(in)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, left(end)) != 1)
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

	if (parse_ep(to, &dst, &len, true))
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
	double end = now_ms() + timeout;

	for (size_t i = 0; i < size; i++)
		buf[i] = (char)(tag + i);
	memcpy(buf, &tag, sizeof(tag));
	if (send(fd, buf, size, 0) < 0)
		return err_word(errno);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, left(end)) != 1)
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

	if (n <= 0 || parse_ep(to, &dst, &len, true))
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
		bool same = family == AF_INET
			? ((const struct sockaddr_in *)peer)->sin_addr.s_addr ==
			  ((const struct sockaddr_in *)dst)->sin_addr.s_addr
			: !memcmp(&((const struct sockaddr_in6 *)peer)->sin6_addr,
				  &((const struct sockaddr_in6 *)dst)->sin6_addr,
				  16);

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
	       ntohs(*(const uint16_t *)(m + inner + 6)) == seq ? -1 : 0;
}

static const char *ping_once(int fd, int family,
			     const struct sockaddr_storage *dst,
			     socklen_t len, uint16_t id, uint16_t seq,
			     size_t size, int timeout)
{
	static uint8_t out[MAX_SIZE], in[MAX_SIZE + 100];
	double end = now_ms() + timeout;

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

		if (poll(&p, 1, left(end)) != 1)
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

	if (n <= 0 || id < 0 || id > 65535 || parse_ep(to, &dst, &len, false))
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

/* ---- servers --------------------------------------------------------- */

struct server {
	struct pollfd p[MAX_FDS];
	bool tcp[MAX_FDS];
	int n_listen, n;
};

static int listen_on(const char *spec, bool *tcp)
{
	struct sockaddr_storage a;
	socklen_t len;
	int fd, on = 1;

	*tcp = !strncmp(spec, "tcp:", 4);
	if ((!*tcp && strncmp(spec, "udp:", 4)) ||
	    parse_ep(spec + 4, &a, &len, true)) {
		fprintf(stderr, "fwc-diffprobe: bad listener %s\n", spec);
		return -1;
	}
	fd = socket(a.ss_family, *tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	reuse(fd);
	no_pmtu(fd, a.ss_family);
	if (a.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&a, len) || (*tcp && listen(fd, 128))) {
		fprintf(stderr, "fwc-diffprobe: %s: %s\n", spec,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void serve_event(struct server *s, int i)
{
	static char buf[65536];
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	ssize_t n;
	int c;

	if (i >= s->n_listen) {
		/* A connection: echo until the peer closes or resets. */
		n = recv(s->p[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			send(s->p[i].fd, buf, (size_t)n,
			     MSG_NOSIGNAL | MSG_DONTWAIT);
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close(s->p[i].fd);
			s->p[i] = s->p[--s->n];
		}
		return;
	}
	if (!s->tcp[i]) {
		/* Bound to one address: the echo leaves from it. */
		n = recvfrom(s->p[i].fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&peer, &plen);
		if (n > 0)
			sendto(s->p[i].fd, buf, (size_t)n, 0,
			       (struct sockaddr *)&peer, plen);
		return;
	}
	c = accept(s->p[i].fd, NULL, NULL);
	if (c < 0)
		return;
	if (s->n == MAX_FDS) {
		close(c);
		return;
	}
	s->p[s->n++] = (struct pollfd){ .fd = c, .events = POLLIN };
}

static int do_serve(char **specs, int n, int secs)
{
	static struct server s;
	double end = now_ms() + secs * 1e3;

	if (n <= 0 || n > MAX_FDS / 2)
		return 2;
	for (int i = 0; i < n; i++) {
		int fd = listen_on(specs[i], &s.tcp[i]);

		if (fd < 0)
			return 2;
		s.p[i] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	s.n_listen = s.n = n;
	printf("ready\n");
	fflush(stdout);
	while (now_ms() < end) {
		int l = left(end);

		if (poll(s.p, (nfds_t)s.n, l > 1000 ? 1000 : l) <= 0)
			continue;
		for (int i = s.n - 1; i >= 0; i--)
			if (s.p[i].revents)
				serve_event(&s, i);
	}
	return 0;
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
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *sizes = "64", *cmd;
	int timeout = 500, secs = 60, id = -1, c;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	argv++;
	argc--;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': from = optarg; break;
		case 't': timeout = atoi(optarg); break;
		case 's': sizes = optarg; break;
		case 'i': id = atoi(optarg); break;
		case 'F': secs = atoi(optarg); break;
		default: return usage();
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
	return usage();
}
