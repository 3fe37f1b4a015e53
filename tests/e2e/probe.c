// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc-probe: the traffic of the end-to-end tests and the demo, so that
 * they need nothing but our build (no netcat, no socat). Every operation
 * is bounded in time.
 *
 *   fwc-probe serve [--for SECS] tcp:ADDR:PORT udp:ADDR:PORT ...
 *	TCP: accept, keep the connection until the peer closes.
 *	UDP: echo every datagram back to its sender.
 *   fwc-probe tcp [--from ADDR[:PORT]] [--timeout MS] ADDR:PORT
 *	connect; on success reset the connection (SO_LINGER 0), so the
 *	client sends exactly SYN, ACK, RST. Exit 0 connected, 1 no answer,
 *	3 refused, 2 error.
 *   fwc-probe udp [--from ADDR[:PORT]] [--timeout MS] [--count N]
 *		   [--interval MS] [--size BYTES] ADDR:PORT
 *	send N numbered datagrams, collect the echoes. Prints
 *	"sent N received M lost L longest-loss-run R max-gap-ms G", then
 *	"refused K" when ICMP errors reported K of them unreachable.
 *	Exit 0 when every datagram came back, 1 otherwise.
 *   fwc-probe stream [--from ADDR[:PORT]] [--timeout MS] [--count N]
 *		      [--interval MS] [--size BYTES] ADDR:PORT
 *	a long TCP transfer: connect, write N blocks of BYTES, one every
 *	MS, close the sending side and wait until the server has read
 *	everything and closed too. Prints "streamed B bytes in T ms" and
 *	exits 0, or "failed after B bytes: REASON" and exits 1. A write or
 *	the final wait taking longer than --timeout fails the stream.
 *
 * ADDR is IPv4 or IPv6; IPv6 with a port in brackets: [2001:db8::1]:443.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netprobe.h"

#define MAX_COUNT 1000000

static int sock_for(int type, const char *from,
		    const struct sockaddr_storage *dst)
{
	struct sockaddr_storage src;
	socklen_t slen;
	int one = 1, fd;

	fd = socket(dst->ss_family, type, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (from) {
		if (np_parse_ep(from, &src, &slen, false) ||
		    src.ss_family != dst->ss_family) {
			fprintf(stderr, "fwc-probe: bad --from %s\n", from);
			close(fd);
			return -1;
		}
		if (bind(fd, (struct sockaddr *)&src, slen)) {
			perror("fwc-probe: bind");
			close(fd);
			return -1;
		}
	}
	return fd;
}

/*
 * A loose source route through IPv4 @via (what a port scanner's
 * loose-source-route option sends, made here with IP_OPTIONS):
 * Linux sends to the list's first address and writes the connect address
 * over the last slot, so one slot gives dst @via, route [connect address].
 */
static int set_lsrr(int fd, const char *via)
{
	uint8_t opt[8] = { 1, 0x83, 7, 4 };

	if (inet_pton(AF_INET, via, opt + 4) != 1) {
		fprintf(stderr, "fwc-probe: bad --via %s\n", via);
		return -1;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_OPTIONS, opt, sizeof(opt))) {
		perror("fwc-probe: IP_OPTIONS");
		return -1;
	}
	return 0;
}

static int do_tcp(const char *from, const char *to, int timeout,
		  const char *via)
{
	struct sockaddr_storage dst;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct pollfd p;
	socklen_t len, elen = sizeof(int);
	int fd, err = 0, rc;

	if (np_parse_ep(to, &dst, &len, true)) {
		fprintf(stderr, "fwc-probe: bad address %s\n", to);
		return 2;
	}
	fd = sock_for(SOCK_STREAM, from, &dst);
	if (fd < 0)
		return 2;
	if (via && set_lsrr(fd, via)) {
		close(fd);
		return 2;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&dst, len) && errno != EINPROGRESS) {
		err = errno;
	} else {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, timeout) == 1)
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		else
			err = ETIMEDOUT;
	}
	if (!err) {
		/* RST on close: the client side sends SYN, ACK, RST only. */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		printf("connected\n");
		rc = 0;
	} else if (err == ECONNREFUSED) {
		printf("refused\n");
		rc = 3;
	} else {
		printf("%s\n", err == ETIMEDOUT ? "timeout" : strerror(err));
		rc = 1;
	}
	close(fd);
	return rc;
}

struct udp_run {
	double *sent_at;
	double *got_at;
	uint32_t count;
	uint32_t refused; /* ICMP errors reported by the socket */
};

static void udp_collect(int fd, struct udp_run *r)
{
	char buf[65536];
	ssize_t n;
	uint32_t seq;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == ECONNREFUSED) {
			r->refused++;
			continue;
		}
		if (n < 4)
			break;
		memcpy(&seq, buf, sizeof(seq));
		seq = ntohl(seq);
		if (seq < r->count && r->got_at[seq] == 0)
			r->got_at[seq] = np_now_ms();
	}
}

static void udp_report(const struct udp_run *r)
{
	uint32_t got = 0, run = 0, longest = 0;
	double last = 0, gap = 0;

	for (uint32_t i = 0; i < r->count; i++) {
		if (!r->got_at[i]) {
			run++;
			longest = run > longest ? run : longest;
			continue;
		}
		run = 0;
		got++;
		if (last && r->got_at[i] - last > gap)
			gap = r->got_at[i] - last;
		last = r->got_at[i];
	}
	printf("sent %u received %u lost %u longest-loss-run %u "
	       "max-gap-ms %.2f",
	       r->count, got, r->count - got, longest, gap);
	if (r->refused)
		printf(" refused %u", r->refused);
	printf("\n");
}

static int do_udp(const char *from, const char *to, int timeout, uint32_t count,
		  int interval, size_t size)
{
	struct sockaddr_storage dst;
	struct udp_run r = { .count = count };
	char buf[65536] = { 0 };
	socklen_t len;
	double next, end;
	int fd, rc = 2;

	if (np_parse_ep(to, &dst, &len, true) || size < 4 || size > 1400 ||
	    count == 0 || count > MAX_COUNT) {
		fprintf(stderr, "fwc-probe: bad udp arguments\n");
		return 2;
	}
	fd = sock_for(SOCK_DGRAM, from, &dst);
	if (fd < 0)
		return 2;
	if (connect(fd, (struct sockaddr *)&dst, len)) {
		perror("fwc-probe: connect");
		goto out;
	}
	r.sent_at = calloc(count, sizeof(double));
	r.got_at = calloc(count, sizeof(double));
	if (!r.sent_at || !r.got_at)
		goto out;
	next = np_now_ms();
	for (uint32_t i = 0; i < count; i++) {
		uint32_t seq = htonl(i);

		memcpy(buf, &seq, sizeof(seq));
		r.sent_at[i] = np_now_ms();
		/* ECONNREFUSED from an ICMP error: keep sending. */
		send(fd, buf, size, 0);
		next += interval;
		while (np_now_ms() < next) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			poll(&p, 1, (int)(next - np_now_ms()) + 1);
			udp_collect(fd, &r);
		}
		udp_collect(fd, &r);
	}
	end = np_now_ms() + timeout;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint32_t got = 0;

		for (uint32_t i = 0; i < count; i++)
			got += r.got_at[i] != 0;
		if (got == count || np_now_ms() >= end)
			break;
		poll(&p, 1, (int)(end - np_now_ms()) + 1);
		udp_collect(fd, &r);
	}
	udp_report(&r);
	rc = 0;
	for (uint32_t i = 0; i < count; i++)
		if (!r.got_at[i])
			rc = 1;
out:
	free(r.sent_at);
	free(r.got_at);
	close(fd);
	return rc;
}

/* Waits up to @timeout ms for @events on @fd; 0 when they came. */
static int wait_fd(int fd, short events, int timeout)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, timeout) == 1 ? 0 : -1;
}

static int stream_fail(int fd, uint64_t bytes, const char *why)
{
	printf("failed after %llu bytes: %s\n", (unsigned long long)bytes, why);
	close(fd);
	return 1;
}

static int do_stream(const char *from, const char *to, int timeout,
		     uint32_t count, int interval, size_t size)
{
	struct sockaddr_storage dst;
	static char buf[65536];
	double start = np_now_ms(), next = start;
	uint64_t sent = 0;
	socklen_t len, elen = sizeof(int);
	int fd, err = 0;

	if (np_parse_ep(to, &dst, &len, true) || size < 1 ||
	    size > sizeof(buf)) {
		fprintf(stderr, "fwc-probe: bad stream arguments\n");
		return 2;
	}
	fd = sock_for(SOCK_STREAM, from, &dst);
	if (fd < 0)
		return 2;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&dst, len) && errno != EINPROGRESS)
		return stream_fail(fd, 0, strerror(errno));
	if (wait_fd(fd, POLLOUT, timeout))
		return stream_fail(fd, 0, "connect timeout");
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	if (err)
		return stream_fail(fd, 0, strerror(err));
	memset(buf, 'x', sizeof(buf));
	for (uint32_t i = 0; i < count; i++) {
		size_t off = 0;

		while (off < size) {
			ssize_t n =
				send(fd, buf + off, size - off, MSG_NOSIGNAL);

			if (n > 0) {
				off += (size_t)n;
				sent += (uint64_t)n;
				continue;
			}
			if (n < 0 && errno != EAGAIN)
				return stream_fail(fd, sent, strerror(errno));
			/* Send buffer full: the peer's ACKs must come. */
			if (wait_fd(fd, POLLOUT, timeout))
				return stream_fail(fd, sent, "send stalled");
		}
		next += interval;
		while (np_now_ms() < next)
			poll(NULL, 0, (int)(next - np_now_ms()) + 1);
	}
	/* The server reads to EOF, then closes: all of it arrived. */
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n;

		if (wait_fd(fd, POLLIN, timeout))
			return stream_fail(fd, sent, "the server never closed");
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			break;
		if (n < 0 && errno != EAGAIN)
			return stream_fail(fd, sent, strerror(errno));
	}
	printf("streamed %llu bytes in %.0f ms\n", (unsigned long long)sent,
	       np_now_ms() - start);
	close(fd);
	return 0;
}

static int do_serve(char **specs, int n, int secs)
{
	static const struct np_serve_opts o = { .prog = "fwc-probe" };

	return np_serve(&o, specs, n, secs);
}

static int usage(void)
{
	fputs("usage: fwc-probe serve [--for SECS] tcp|udp:ADDR:PORT...\n"
	      "       fwc-probe tcp [--from ADDR[:PORT]] [--timeout MS] "
	      "[--via IPV4] ADDR:PORT\n"
	      "       fwc-probe udp [--from ADDR[:PORT]] [--timeout MS] "
	      "[--count N]\n"
	      "                 [--interval MS] [--size BYTES] ADDR:PORT\n"
	      "       fwc-probe stream [--from ADDR[:PORT]] [--timeout MS] "
	      "[--count N]\n"
	      "                 [--interval MS] [--size BYTES] ADDR:PORT\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "size", required_argument, NULL, 's' },
		{ "for", required_argument, NULL, 'F' },
		{ "via", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *via = NULL, *cmd;
	int timeout = 500, interval = 0, secs = 60, c;
	long count = 1, size = 32;

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
		case 'c':
			count = atol(optarg);
			break;
		case 'i':
			interval = atoi(optarg);
			break;
		case 's':
			size = atol(optarg);
			break;
		case 'F':
			secs = atoi(optarg);
			break;
		case 'v':
			via = optarg;
			break;
		default:
			return usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "serve"))
		return do_serve(argv + optind, argc - optind, secs);
	if (optind != argc - 1 || timeout < 0 || interval < 0 || count < 1)
		return usage();
	if (!strcmp(cmd, "tcp"))
		return do_tcp(from, argv[optind], timeout, via);
	if (!strcmp(cmd, "udp"))
		return do_udp(from, argv[optind], timeout, (uint32_t)count,
			      interval, (size_t)size);
	if (!strcmp(cmd, "stream"))
		return do_stream(from, argv[optind], timeout, (uint32_t)count,
				 interval, (size_t)size);
	return usage();
}
