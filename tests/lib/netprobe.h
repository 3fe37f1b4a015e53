/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the traffic probes of the end-to-end tests (tests/e2e/probe.c) and
 * of the differential tests (tests/diff/diffprobe.c) share: the clock,
 * endpoint parsing and the `serve` command's TCP and UDP servers. Each
 * probe is one C file; this header is included by both, so its functions
 * are static.
 */
#ifndef FWC_TESTS_NETPROBE_H
#define FWC_TESTS_NETPROBE_H

#include <arpa/inet.h>
#include <errno.h>
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

#define NP_MAX_FDS 4096

static double np_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Milliseconds left until @end, for poll(). */
static int np_left(double end)
{
	double l = end - np_now_ms();

	return l <= 0 ? 0 : (int)l + 1;
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT"; @need_port for destinations. */
static int np_parse_ep(const char *s, struct sockaddr_storage *ss,
		       socklen_t *len, bool need_port)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	const char *port = NULL, *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2];
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
		n = strlen(s); /* bare IPv4 or IPv6 address */
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

/* How a probe's servers behave. */
struct np_serve_opts {
	const char *prog;		   /* for messages */
	void (*setup)(int fd, int family); /* socket options, before bind */
	bool echo_tcp; /* echo what a connection sends (else read it) */
};

/* One poll set: listeners first, then accepted connections. */
struct np_server {
	struct pollfd p[NP_MAX_FDS];
	bool tcp[NP_MAX_FDS];
	int n_listen, n;
	const struct np_serve_opts *o;
};

/* A listener for "tcp:ADDR:PORT" or "udp:ADDR:PORT"; its fd or -1. */
static int np_listen(const struct np_serve_opts *o, const char *spec, bool *tcp)
{
	struct sockaddr_storage a;
	socklen_t len;
	int fd, on = 1;

	*tcp = !strncmp(spec, "tcp:", 4);
	if ((!*tcp && strncmp(spec, "udp:", 4)) ||
	    np_parse_ep(spec + 4, &a, &len, true)) {
		fprintf(stderr, "%s: bad listener %s\n", o->prog, spec);
		return -1;
	}
	fd = socket(a.ss_family, *tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (o->setup)
		o->setup(fd, a.ss_family);
	if (bind(fd, (struct sockaddr *)&a, len) || (*tcp && listen(fd, 128))) {
		fprintf(stderr, "%s: %s: %s\n", o->prog, spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Poll entry @i is readable. */
static void np_serve_event(struct np_server *s, int i)
{
	static char buf[65536];
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	ssize_t n;
	int c;

	if (i >= s->n_listen) {
		/* A connection, until the peer closes or resets it. */
		n = recv(s->p[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 && s->o->echo_tcp) {
			send(s->p[i].fd, buf, (size_t)n,
			     MSG_NOSIGNAL | MSG_DONTWAIT);
		} else if (n == 0 ||
			   (n < 0 && errno != EAGAIN && errno != EINTR)) {
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
	if (s->n == NP_MAX_FDS) {
		close(c);
		return;
	}
	s->p[s->n++] = (struct pollfd){ .fd = c, .events = POLLIN };
}

/*
 * `serve`: listen on @specs for @secs seconds. Prints "ready" once every
 * listener is bound: callers wait for that line.
 */
static int np_serve(const struct np_serve_opts *o, char **specs, int n,
		    int secs)
{
	static struct np_server s;
	double end = np_now_ms() + secs * 1e3;

	s.o = o;
	if (n <= 0 || n > NP_MAX_FDS / 2)
		return 2;
	for (int i = 0; i < n; i++) {
		int fd = np_listen(o, specs[i], &s.tcp[i]);

		if (fd < 0)
			return 2;
		s.p[i] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	s.n_listen = s.n = n;
	printf("ready\n");
	fflush(stdout);
	while (np_now_ms() < end) {
		int l = np_left(end);

		if (poll(s.p, (nfds_t)s.n, l > 1000 ? 1000 : l) <= 0)
			continue;
		for (int i = s.n - 1; i >= 0; i--)
			if (s.p[i].revents)
				np_serve_event(&s, i);
	}
	return 0;
}

#endif /* FWC_TESTS_NETPROBE_H */
