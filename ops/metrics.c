// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc stats --prometheus and --listen: the counters in the Prometheus
 * text exposition format (version 0.0.4), for node_exporter's textfile
 * collector or a scrape of /metrics.
 *
 * Interfaces that share one load share one set of counters; their series
 * carry iface="eth1,eth2" once, so that sums over series stay right.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ops.h"
#include "utf8.h"

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT "9469"
/* A scrape request is one line and a few headers. */
#define REQUEST_MAX 8192
/* A client gets this long to send its request and take the answer. */
#define CLIENT_MS 5000

/*
 * A label value: the format escapes backslash, double quote and line
 * feed; the value must be UTF-8, so other bytes become U+FFFD.
 */
static void label_value(FILE *f, const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t left = strlen(v);

	while (*s) {
		size_t n = fwc_utf8_len(s, left);

		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (!n)
			fputs("\xef\xbf\xbd", f);
		else
			fwrite(s, 1, n, f);
		s += n ? n : 1;
		left -= n ? n : 1;
	}
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void iface_label(FILE *f, const struct fwc_stat_set *set)
{
	fputs("iface=\"", f);
	for (int i = 0; i < set->n_ifaces; i++) {
		if (i)
			fputc(',', f);
		label_value(f, set->ifaces[i]);
	}
	fputc('"', f);
}

/* Rule counters: label is the rule's label, else its text. */
static void rule_samples(FILE *f, const struct fwc_snapshot *s, bool bytes)
{
	for (int i = 0; i < s->n_sets; i++) {
		const struct fwc_stat_set *set = &s->sets[i];

		for (uint32_t k = 0; k < set->n_rows; k++) {
			const struct fwc_stat_row *r = &set->rows[k];

			if (r->reserved)
				continue;
			fprintf(f, "fwc_rule_%s_total{",
				bytes ? "bytes" : "packets");
			iface_label(f, set);
			fprintf(f, ",rule=\"%u\",label=\"", r->id);
			label_value(f, r->has_label ? r->label : r->text);
			fprintf(f, "\",action=\"%s\"} %llu\n", r->action,
				(unsigned long long)(bytes ? r->c.bytes :
							     r->c.packets));
		}
	}
}

static void reserved_samples(FILE *f, const struct fwc_snapshot *s, bool bytes)
{
	for (int i = 0; i < s->n_sets; i++) {
		const struct fwc_stat_set *set = &s->sets[i];

		for (uint32_t k = 0; k < set->n_rows; k++) {
			const struct fwc_stat_row *r = &set->rows[k];

			if (!r->reserved)
				continue;
			fprintf(f, "fwc_reserved_%s_total{",
				bytes ? "bytes" : "packets");
			iface_label(f, set);
			fputs(",counter=\"", f);
			label_value(f, r->label);
			fprintf(f, "\",action=\"%s\"} %llu\n", r->action,
				(unsigned long long)(bytes ? r->c.bytes :
							     r->c.packets));
		}
	}
}

static void policy_samples(FILE *f, const struct fwc_snapshot *s)
{
	family(f, "fwc_policy_info", "gauge",
	       "The policy a set of interfaces enforces (always 1).");
	for (int i = 0; i < s->n_sets; i++) {
		fputs("fwc_policy_info{", f);
		iface_label(f, &s->sets[i]);
		fputs(",policy=\"", f);
		label_value(f, s->sets[i].info.policy);
		fputs("\",sha256=\"", f);
		label_value(f, s->sets[i].info.sha256);
		fputs("\"} 1\n", f);
	}
	family(f, "fwc_policy_rules", "gauge",
	       "Rules of the policy, not counting the default rule 0.");
	for (int i = 0; i < s->n_sets; i++) {
		fputs("fwc_policy_rules{", f);
		iface_label(f, &s->sets[i]);
		fprintf(f, "} %u\n", s->sets[i].n_rules);
	}
	family(f, "fwc_policy_loaded_timestamp_seconds", "gauge",
	       "When the policy was loaded, in seconds since the epoch.");
	for (int i = 0; i < s->n_sets; i++) {
		fputs("fwc_policy_loaded_timestamp_seconds{", f);
		iface_label(f, &s->sets[i]);
		fprintf(f, "} %llu\n",
			(unsigned long long)s->sets[i].info.loaded_at);
	}
	family(f, "fwc_interface_enforcing", "gauge",
	       "1 when fwc's program runs on the interface with whole pins, "
	       "else 0 (fwc status says why).");
	for (int i = 0; i < s->n_ifaces; i++) {
		fputs("fwc_interface_enforcing{iface=\"", f);
		label_value(f, s->ifaces[i].name);
		fprintf(f, "\"} %d\n", s->ifaces[i].enforcing);
	}
}

static void exposition(FILE *f, const struct fwc_snapshot *s)
{
	family(f, "fwc_rule_packets_total", "counter",
	       "Packets a rule decided (rule 0: the default rule, no rule "
	       "matched).");
	rule_samples(f, s, false);
	family(f, "fwc_rule_bytes_total", "counter",
	       "Bytes of the packets a rule decided, frames as received.");
	rule_samples(f, s, true);
	family(f, "fwc_reserved_packets_total", "counter",
	       "Packets decided before the rules: non-ip, malformed, "
	       "fragment, neighbour-discovery, source-route, mld.");
	reserved_samples(f, s, false);
	family(f, "fwc_reserved_bytes_total", "counter",
	       "Bytes of the packets decided before the rules.");
	reserved_samples(f, s, true);
	policy_samples(f, s);
}

int fwc_metrics_print(const char *root, char **ifaces, int n, FILE *f)
{
	struct fwc_snapshot s;
	int err = fwc_snapshot_read(root, ifaces, n, &s);

	if (err) {
		fprintf(stderr, "fwc: cannot read the counters under %s: %s\n",
			root, strerror(-err));
		return err;
	}
	exposition(f, &s);
	fwc_snapshot_free(&s);
	return fflush(f) ? -errno : 0;
}

/* --- the HTTP endpoint ------------------------------------------------ */

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* Waits for @events on @fd until @deadline; false on timeout or a stop. */
static bool wait_fd(int fd, short events, long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		long left = deadline - now_ms();
		int r;

		if (left <= 0 || stopping)
			return false;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

static bool send_all(int fd, const char *buf, size_t len, long deadline)
{
	while (len) {
		ssize_t w;

		if (!wait_fd(fd, POLLOUT, deadline))
			return false;
		w = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w <= 0)
			return false;
		buf += w;
		len -= (size_t)w;
	}
	return true;
}

static void respond(int fd, const char *status, const char *type,
		    const char *body, size_t len, bool head, long deadline)
{
	const char *allow = strncmp(status, "405", 3) ? "" :
							"Allow: GET, HEAD\r\n";
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
			 status, type, len, allow);

	if (send_all(fd, hdr, (size_t)n, deadline) && !head)
		send_all(fd, body, len, deadline);
}

static void respond_text(int fd, const char *status, bool head, long deadline)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%s\n", status);

	respond(fd, status, "text/plain; charset=utf-8", body, (size_t)n, head,
		deadline);
}

/* Reads the request head: its length, 0 on timeout, -1 when too long. */
static ssize_t read_head(int fd, char *buf, size_t cap, long deadline)
{
	size_t len = 0;

	while (len < cap - 1) {
		ssize_t r;

		if (!wait_fd(fd, POLLIN, deadline))
			return 0;
		r = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			return 0;
		len += (size_t)r;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return (ssize_t)len;
	}
	return -1;
}

/*
 * Close gently: a client still sending (a head too long, a body) would
 * get a reset instead of our answer if we closed with its bytes unread.
 */
static void linger(int fd)
{
	long deadline = now_ms() + 1000;
	char junk[4096];
	size_t total = 0;

	shutdown(fd, SHUT_WR);
	while (total < (1u << 20) && wait_fd(fd, POLLIN, deadline)) {
		ssize_t r = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			break;
		total += (size_t)r;
	}
}

struct server {
	const char *root;
	char **ifaces;
	int n;
};

static void serve(const struct server *sv, int fd)
{
	long deadline = now_ms() + CLIENT_MS;
	char buf[REQUEST_MAX], *method, *target, *version, *save = NULL;
	ssize_t len = read_head(fd, buf, sizeof(buf), deadline);
	struct fwc_snapshot s;
	char *body = NULL;
	size_t blen = 0;
	bool head;
	FILE *mem;

	if (len < 0) {
		respond_text(fd, "431 Request Header Fields Too Large", false,
			     deadline);
		return;
	}
	if (len == 0)
		return; /* timed out or went away: nothing to answer */
	buf[strcspn(buf, "\r\n")] = '\0';
	method = strtok_r(buf, " ", &save);
	target = strtok_r(NULL, " ", &save);
	version = strtok_r(NULL, " ", &save);
	if (!method || !target || !version || strtok_r(NULL, " ", &save) ||
	    strncmp(version, "HTTP/1.", 7)) {
		respond_text(fd, "400 Bad Request", false, deadline);
		return;
	}
	head = !strcmp(method, "HEAD");
	if (!head && strcmp(method, "GET")) {
		respond_text(fd, "405 Method Not Allowed", false, deadline);
		return;
	}
	target[strcspn(target, "?")] = '\0';
	if (strcmp(target, "/metrics")) {
		respond_text(fd, "404 Not Found", head, deadline);
		return;
	}
	mem = open_memstream(&body, &blen);
	if (!mem || fwc_snapshot_read(sv->root, sv->ifaces, sv->n, &s)) {
		if (mem)
			fclose(mem);
		free(body);
		respond_text(fd, "500 Internal Server Error", head, deadline);
		return;
	}
	exposition(mem, &s);
	fwc_snapshot_free(&s);
	if (fclose(mem)) {
		free(body);
		respond_text(fd, "500 Internal Server Error", head, deadline);
		return;
	}
	respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body,
		blen, head, deadline);
	free(body);
}

/*
 * ADDR:PORT, [ADDR6]:PORT, PORT alone (on the loopback address), or ADDR
 * alone (on the default port). An empty address would mean every
 * address: that has to be asked for by name (0.0.0.0, [::]).
 */
static int split_addr(const char *spec, char *host, size_t hn, char *port,
		      size_t pn)
{
	const char *colon = strrchr(spec, ':');
	size_t len;

	if (strspn(spec, "0123456789") == strlen(spec) && *spec) {
		snprintf(host, hn, "%s", DEFAULT_HOST);
		snprintf(port, pn, "%s", spec);
		return 0;
	}
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		len = (size_t)(end - spec - 1);
		colon = end[1] ? end + 1 : NULL;
		spec++;
	} else {
		if (colon && strchr(spec, ':') != colon)
			return -EINVAL; /* a bare IPv6 address: brackets */
		len = colon ? (size_t)(colon - spec) : strlen(spec);
	}
	if (!len || len >= hn || (colon && !colon[1]))
		return -EINVAL;
	snprintf(host, hn, "%.*s", (int)len, spec);
	snprintf(port, pn, "%s", colon ? colon + 1 : DEFAULT_PORT);
	return 0;
}

static int listen_on(const char *spec)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char host[256], port[16];
	int fd = -1, one = 1, rc;

	if (split_addr(spec, host, sizeof(host), port, sizeof(port))) {
		fprintf(stderr,
			"fwc: --listen %s: expected PORT, ADDR:PORT or "
			"[ADDR6]:PORT (e.g. 9469, 127.0.0.1:9469, "
			"0.0.0.0:9469, [::1]:9469)\n",
			spec);
		return -EINVAL;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		fprintf(stderr, "fwc: --listen %s: %s\n", spec,
			gai_strerror(rc));
		return -EINVAL;
	}
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
			    a->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, 16)) {
			rc = -errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "fwc: --listen %s: cannot listen: %s\n", spec,
			strerror(rc ? -rc : EADDRNOTAVAIL));
		return rc ? rc : -EADDRNOTAVAIL;
	}
	fprintf(stderr, "fwc: serving http://%s%s%s:%s/metrics\n",
		strchr(host, ':') ? "[" : "", host,
		strchr(host, ':') ? "]" : "", port);
	return fd;
}

int fwc_metrics_listen(const char *root, char **ifaces, int n, const char *addr)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct server sv = { root, ifaces, n };
	int fd = listen_on(addr);

	if (fd < 0)
		return fd;
	/* No SA_RESTART: a signal ends the wait in poll(). */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!stopping) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int c;

		/* A timeout, so that a signal just before poll() counts. */
		if (poll(&p, 1, 1000) <= 0)
			continue;
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				usleep(100000); /* no busy loop meanwhile */
			continue;
		}
		serve(&sv, c);
		linger(c);
		close(c);
	}
	close(fd);
	return 0;
}
