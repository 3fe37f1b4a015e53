// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc stats --watch: the counters as a table that refreshes in place,
 * with packet and byte rates between two reads, like top(1). On a
 * terminal 'q' or Ctrl-C quits and 's' changes the order; into a pipe it
 * prints one plain table per interval, for --count frames.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ops.h"

static const char *const sort_names[] = {
	[FWC_SORT_RULE] = "rule",
	[FWC_SORT_PACKETS] = "packets",
	[FWC_SORT_BYTES] = "bytes",
	[FWC_SORT_RATE] = "rate",
};

int fwc_sort_parse(const char *s, enum fwc_sort *out)
{
	for (size_t i = 0; i < sizeof(sort_names) / sizeof(*sort_names); i++) {
		if (!strcmp(s, sort_names[i])) {
			*out = (enum fwc_sort)i;
			return 0;
		}
	}
	return -EINVAL;
}

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* One line of the table. */
struct line {
	const struct fwc_stat_row *r;
	uint32_t k;	 /* index of the row: policy order */
	double pps, bps; /* per second since the last read */
	bool rate;	 /* false on the first read of a set */
};

static enum fwc_sort sort_by;

static int cmp_line(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	double kx = 0, ky = 0;

	switch (sort_by) {
	case FWC_SORT_PACKETS:
		kx = (double)x->r->c.packets;
		ky = (double)y->r->c.packets;
		break;
	case FWC_SORT_BYTES:
		kx = (double)x->r->c.bytes;
		ky = (double)y->r->c.bytes;
		break;
	case FWC_SORT_RATE:
		kx = x->pps;
		ky = y->pps;
		break;
	case FWC_SORT_RULE:
		break;
	}
	if (kx != ky)
		return kx < ky ? 1 : -1; /* largest first */
	return (x->k > y->k) - (x->k < y->k);
}

static bool matches(const struct fwc_stat_row *r, const char *filter)
{
	char id[16];

	if (!filter || !*filter)
		return true;
	snprintf(id, sizeof(id), "%u", r->id);
	return !strcmp(id, filter) || strcasestr(r->label, filter) ||
	       strcasestr(r->text, filter) || strcasestr(r->action, filter);
}

static const char *human(double v, char *buf, size_t n)
{
	static const char unit[] = " kMGTPE";
	int u = 0;

	while (v >= 999.5 && u < 6) {
		v /= 1000;
		u++;
	}
	if (!u)
		snprintf(buf, n, "%.*f", v < 10 && v != (long)v ? 1 : 0, v);
	else
		snprintf(buf, n, "%.1f%c", v, unit[u]);
	return buf;
}

static const struct fwc_stat_set *set_find(const struct fwc_snapshot *s,
					   uint32_t counters_id)
{
	for (int i = 0; s && i < s->n_sets; i++)
		if (s->sets[i].counters_id == counters_id)
			return &s->sets[i];
	return NULL;
}

static double seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Output of one frame, cut to the terminal when there is one. */
struct frame {
	FILE *f;
	bool tty;
	int cols, rows, used;
};

static void out(struct frame *fr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out(struct frame *fr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	size_t n;

	if (fr->tty && fr->used >= fr->rows - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	if (fr->tty && n > (size_t)fr->cols) {
		n = (size_t)fr->cols; /* cut on a UTF-8 character boundary */
		while (n && ((unsigned char)buf[n] & 0xc0) == 0x80)
			n--;
	}
	fwrite(buf, 1, n, fr->f);
	fputs(fr->tty ? "\033[K\n" : "\n", fr->f);
	fr->used++;
}

/* A row; @r NULL: the total of the set, @sum. */
static void row_out(struct frame *fr, const struct line *l,
		    const struct fwc_counter *sum)
{
	const struct fwc_stat_row *r = l->r;
	const struct fwc_counter *c = r ? &r->c : sum;
	char pps[16] = "-", bps[16] = "-", id[16] = "", line[16] = "-";
	const char *what = "total";

	if (l->rate) {
		human(l->pps, pps, sizeof(pps));
		human(l->bps, bps, sizeof(bps));
	}
	if (r) {
		snprintf(id, sizeof(id), "%u", r->id);
		what = r->reserved || r->has_label ? r->label : r->text;
	}
	if (r && r->line)
		snprintf(line, sizeof(line), "%u", r->line);
	out(fr, "  %5s  %-6s %12llu %14llu %9s %9s  %5s  %s", id,
	    r ? r->action : "", (unsigned long long)c->packets,
	    (unsigned long long)c->bytes, pps, bps, r ? line : "", what);
}

static void set_out(struct frame *fr, const struct fwc_stat_set *set,
		    const struct fwc_snapshot *prev, double dt,
		    const struct fwc_watch_opts *o)
{
	const struct fwc_stat_set *old = set_find(prev, set->counters_id);
	struct line *v = calloc(set->n_rows ? set->n_rows : 1, sizeof(*v));
	struct line total = { 0 };
	struct fwc_counter sum = { 0 };
	char names[FWC_INFO_IFACES * FWC_IFNAME_LEN] = "";
	uint32_t n = 0;

	if (!v)
		return;
	for (int i = 0; i < set->n_ifaces; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%s%s", i ? " " : "", set->ifaces[i]);
	out(fr, "%s: %s", names, set->info.policy);
	out(fr, "  sha256 %.16s..., %u rules", set->info.sha256, set->n_rules);
	out(fr, "  %5s  %-6s %12s %14s %9s %9s  %5s  %s", "id", "action",
	    "packets", "bytes", "pkts/s", "bytes/s", "line", "rule");
	total.rate = old && old->n_rows == set->n_rows && dt > 0;
	for (uint32_t k = 0; k < set->n_rows; k++) {
		const struct fwc_stat_row *r = &set->rows[k];
		struct line *l = &v[n];

		sum.packets += r->c.packets;
		sum.bytes += r->c.bytes;
		l->r = r;
		l->k = k;
		l->rate = total.rate && old->rows[k].id == r->id &&
			  r->c.packets >= old->rows[k].c.packets;
		if (l->rate) {
			l->pps = (double)(r->c.packets -
					  old->rows[k].c.packets) /
				 dt;
			l->bps = (double)(r->c.bytes - old->rows[k].c.bytes) /
				 dt;
			total.pps += l->pps;
			total.bps += l->bps;
		}
		n += matches(r, o->filter);
	}
	qsort(v, n, sizeof(*v), cmp_line);
	for (uint32_t k = 0; k < n; k++)
		row_out(fr, &v[k], NULL);
	if (n < set->n_rows)
		out(fr, "  (%u rows hidden by --filter)", set->n_rows - n);
	row_out(fr, &total, &sum);
	free(v);
}

static void frame_out(const struct fwc_snapshot *cur,
		      const struct fwc_snapshot *prev,
		      const struct fwc_watch_opts *o, const char *root,
		      bool tty)
{
	struct frame fr = { .tty = tty, .cols = 80, .rows = 24 };
	double dt = prev ? seconds(&prev->at, &cur->at) : 0;
	char *buf = NULL, when[32] = "";
	time_t now = time(NULL);
	struct winsize ws;
	size_t len = 0;
	struct tm tm;

	if (tty && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col) {
		fr.cols = ws.ws_col;
		fr.rows = ws.ws_row;
	}
	fr.f = open_memstream(&buf, &len);
	if (!fr.f)
		return;
	if (localtime_r(&now, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (tty)
		fputs("\033[H", fr.f);
	out(&fr, "fwc stats --watch   every %gs, by %s%s%s%s   %s%s",
	    o->interval, sort_names[sort_by], o->filter ? ", filter \"" : "",
	    o->filter ? o->filter : "", o->filter ? "\"" : "", when,
	    tty ? "   (q quits, s sorts)" : "");
	if (!cur->n_sets)
		out(&fr, "no fwc policy loaded (nothing pinned under %s)",
		    root);
	for (int i = 0; i < cur->n_ifaces; i++)
		if (!cur->ifaces[i].enforcing)
			out(&fr, "%s: %s", cur->ifaces[i].name,
			    cur->ifaces[i].state);
	for (int i = 0; i < cur->n_sets; i++) {
		out(&fr, "%s", "");
		set_out(&fr, &cur->sets[i], prev, dt, o);
	}
	if (tty)
		fputs("\033[J", fr.f);
	else
		fputs("\n", fr.f);
	fclose(fr.f);
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
	free(buf);
}

/* Waits @ms for a key; false when it is time to stop. */
static bool wait_keys(bool keys, long ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		long left;
		char c;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - (long)(seconds(&t0, &t) * 1000);
		if (stopping)
			return false;
		if (left <= 0)
			return true;
		if (poll(&p, keys ? 1 : 0, (int)left) <= 0)
			continue;
		if (read(STDIN_FILENO, &c, 1) != 1)
			keys = false; /* end of input: just wait */
		else if (c == 'q' || c == 'Q')
			return false;
		else if (c == 's') {
			/* Next order, shown at once. */
			sort_by = (enum fwc_sort)((sort_by + 1) % 4);
			return true;
		}
	}
}

int fwc_watch(const char *root, char **ifaces, int n,
	      const struct fwc_watch_opts *o)
{
	struct sigaction sa = { .sa_handler = on_signal };
	bool tty = isatty(STDOUT_FILENO), keys = tty && isatty(STDIN_FILENO);
	struct fwc_snapshot prev = { 0 }, cur;
	struct termios saved, raw;
	bool have_prev = false;
	int err = 0;

	sort_by = o->sort;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (keys && !tcgetattr(STDIN_FILENO, &saved)) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		keys = false;
	}
	if (tty)
		fputs("\033[H\033[2J", stdout);
	for (long i = 0; !stopping && (!o->count || i < o->count); i++) {
		err = fwc_snapshot_read(root, ifaces, n, &cur);
		if (err) {
			fprintf(stderr, "fwc: cannot read the counters: %s\n",
				strerror(-err));
			break;
		}
		frame_out(&cur, have_prev ? &prev : NULL, o, root, tty);
		if (have_prev)
			fwc_snapshot_free(&prev);
		prev = cur;
		have_prev = true;
		if ((o->count && i + 1 == o->count) ||
		    !wait_keys(keys, (long)(o->interval * 1000)))
			break;
	}
	if (have_prev)
		fwc_snapshot_free(&prev);
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return err;
}
