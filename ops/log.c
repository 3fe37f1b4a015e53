// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc log: the deny log (bpf/log.h) of the loads pinned under the root,
 * read from their ring buffers (carried over reloads by kernel/log.c).
 *
 * A ring buffer has one consumer position: reading takes the events out,
 * so `fwc log` without --follow prints what piled up since the last read
 * and two readers at once would share the events between them. The
 * buffer holds about 3600 events; while nobody reads, later events are
 * lost (counted log-lost) and the rate limiter holds back more than
 * `set log rate` events per second and rule (counted log-suppressed).
 *
 * Events name rules by counter id and load generation: after a reload
 * the ids of the previous policy are no longer those of the pins, and an
 * event of an earlier load is printed without a label.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "ops.h"
#include "packet.h"
#include "resolve.h"

#define NSEC 1000000000ull
#define RESCAN_MS 1000 /* --follow: how often to look for new loads */
/* One ring buffer: the interfaces of a load and of the reloads since. */
struct ring {
	struct logger *lg;
	uint32_t id; /* the events map's id */
	int events;
	char dir[PATH_MAX]; /* pins of one of its interfaces */
	char ifaces[FWC_INFO_IFACES * (FWC_IFNAME_LEN + 1)];
	bool live; /* still pinned under the root */
	/* The set that writes it now: */
	uint32_t gen, n_rules;
	struct fwc_rule_record *recs;
	struct fwc_info info;
	uint64_t shown;
};

struct logger {
	const char *root;
	char **ifaces;
	int n_ifaces;
	bool json;
	struct fwc_ring *rb;
	struct ring **rings;
	int n;
	int64_t real_minus_boot; /* ns: CLOCK_REALTIME - BOOTTIME */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * (int64_t)NSEC + ts.tv_nsec;
}

/* Rereads what the set pinned in @r->dir says, when its load changed. */
static void ring_refresh(struct ring *r)
{
	int meta = fwc_pin_get(r->dir, fwc_map_names[FWC_M_META]);
	int ev = fwc_pin_get(r->dir, fwc_map_names[FWC_M_EVENTS]);
	int recs = -1, info = -1;
	struct fwc_meta m;
	uint32_t k = 0;

	memset(&m, 0, sizeof(m));
	/* The directory went to another buffer: keep what we knew. */
	if (meta < 0 || ev < 0 || fwc_obj_id(ev) != r->id ||
	    fwc_map_lookup(meta, &k, &m) || (r->recs && m.gen == r->gen))
		goto out;
	recs = fwc_pin_get(r->dir, fwc_map_names[FWC_M_RULE_META]);
	info = fwc_pin_get(r->dir, fwc_map_names[FWC_M_INFO]);
	free(r->recs);
	r->recs = calloc((size_t)m.n_rules + 1, sizeof(*r->recs));
	r->n_rules = r->recs ? m.n_rules : 0;
	r->gen = m.gen;
	for (uint32_t i = 0; r->recs && i <= m.n_rules; i++)
		if (recs < 0 || fwc_map_lookup(recs, &i, &r->recs[i]))
			snprintf(r->recs[i].text, sizeof(r->recs[i].text),
				 "rule %u", i);
	memset(&r->info, 0, sizeof(r->info));
	if (info >= 0)
		fwc_map_lookup(info, &k, &r->info);
out:
	if (meta >= 0)
		close(meta);
	if (ev >= 0)
		close(ev);
	if (recs >= 0)
		close(recs);
	if (info >= 0)
		close(info);
}

static void iface_name(const struct ring *r, uint32_t ifindex, char *buf,
		       size_t n)
{
	for (uint32_t i = 0; i < r->info.n_ifaces && i < FWC_INFO_IFACES; i++)
		if (r->info.ifaces[i].ifindex == ifindex) {
			snprintf(buf, n, "%s", r->info.ifaces[i].name);
			return;
		}
	if (!ifindex || !if_indextoname(ifindex, buf))
		snprintf(buf, n, "if%u", ifindex);
}

static const char *verdict_name(uint8_t v)
{
	switch (v) {
	case FWC_LOG_WOULD_DROP:
		return "would-drop";
	case FWC_LOG_ALLOW:
		return "allow";
	/* MS-RPC pinhole events (bpf/rpc.h): client -> server:port. */
	case FWC_LOG_PINHOLE_OPEN:
		return "pinhole-open";
	case FWC_LOG_PINHOLE_REFUSED:
		return "pinhole-refused";
	case FWC_LOG_RPC_UNPARSED:
		return "rpc-unparsed";
	default:
		return "drop";
	}
}

static bool rpc_event(uint8_t v)
{
	return v >= FWC_LOG_PINHOLE_OPEN && v <= FWC_LOG_RPC_UNPARSED;
}

/* TCP flags as tcpdump writes them: S, S., F., R... */
static void tcp_flags(uint8_t f, char *buf)
{
	static const struct {
		uint8_t bit;
		char c;
	} map[] = {
		{ 0x02, 'S' }, { 0x01, 'F' }, { 0x04, 'R' },
		{ 0x08, 'P' }, { 0x10, '.' },
	};
	int n = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (f & map[i].bit)
			buf[n++] = map[i].c;
	buf[n] = '\0';
}

static void time_text(int64_t ns, char *buf, size_t n)
{
	time_t s = (time_t)(ns / (int64_t)NSEC);
	struct tm tm;
	char d[32];

	if (!gmtime_r(&s, &tm) ||
	    !strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(d, sizeof(d), "%lld", (long long)s);
	snprintf(buf, n, "%s.%06lldZ", d,
		 (long long)(ns % (int64_t)NSEC) / 1000);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct ring *r = ctx;
	const struct fwc_event *ev = data;
	const struct fwc_rule_record *rec = NULL;
	struct fwc_packet p;
	char when[48], ifn[IF_NAMESIZE + 8], pkt[192], fl[8];
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
	int64_t real;

	if (size < sizeof(*ev))
		return 0;
	if (ev->gen > r->gen)
		ring_refresh(r);
	if (ev->gen == r->gen && r->recs && ev->rule <= r->n_rules)
		rec = &r->recs[ev->rule];
	memset(&p, 0, sizeof(p));
	p.family = ev->family;
	p.proto = ev->proto;
	memcpy(p.src, ev->src, sizeof(p.src));
	memcpy(p.dst, ev->dst, sizeof(p.dst));
	p.k1 = ev->k1;
	p.k2 = ev->k2;
	fwc_packet_format(&p, pkt, sizeof(pkt));
	real = (int64_t)ev->time + r->lg->real_minus_boot;
	time_text(real, when, sizeof(when));
	iface_name(r, ev->ifindex, ifn, sizeof(ifn));
	tcp_flags(ev->proto == 6 && !rpc_event(ev->verdict) ? ev->tcp_flags : 0,
		  fl);
	r->shown++;
	if (!r->lg->json) {
		printf("%s %s %s rule %u ", when, ifn,
		       verdict_name(ev->verdict), ev->rule);
		if (!rec)
			printf("(of an earlier load)");
		else if (rec->has_label)
			printf("\"%s\"", rec->label);
		else
			printf("(%s)", rec->text);
		printf(": %s%s%s\n", pkt, fl[0] ? " " : "", fl);
		return 0;
	}
	printf("{\"time\":\"%s\",\"time_ns\":%lld,\"iface\":", when,
	       (long long)real);
	fwc_json_str(stdout, ifn);
	printf(",\"verdict\":\"%s\",\"rule\":%u,\"label\":",
	       verdict_name(ev->verdict), ev->rule);
	if (rec && rec->has_label)
		fwc_json_str(stdout, rec->label);
	else
		printf("null");
	printf(",\"text\":");
	if (rec)
		fwc_json_str(stdout, rec->text);
	else
		printf("null");
	if (!rec)
		printf(",\"earlier_load\":true");
	printf(",\"family\":%u,\"proto\":", ev->family);
	if (fwc_proto_name(ev->proto))
		fwc_json_str(stdout, fwc_proto_name(ev->proto));
	else
		printf("%u", ev->proto);
	inet_ntop(ev->family == 4 ? AF_INET : AF_INET6, ev->src, sa,
		  sizeof(sa));
	inet_ntop(ev->family == 4 ? AF_INET : AF_INET6, ev->dst, da,
		  sizeof(da));
	printf(",\"src\":\"%s\",\"dst\":\"%s\"", sa, da);
	if (fwc_proto_has_ports(ev->proto))
		printf(",\"sport\":%u,\"dport\":%u", ev->k2, ev->k1);
	else if (fwc_proto_is_icmp(ev->proto))
		printf(",\"type\":%u,\"code\":%u", ev->k1, ev->k2);
	if (ev->proto == 6)
		printf(",\"tcp_flags\":\"%s\"", fl);
	printf(",\"len\":%u,\"packet\":", ev->len);
	fwc_json_str(stdout, pkt);
	printf("}\n");
	return 0;
}

static struct ring *ring_find(const struct logger *lg, uint32_t id)
{
	for (int i = 0; i < lg->n; i++)
		if (lg->rings[i]->id == id)
			return lg->rings[i];
	return NULL;
}

static int ring_add(struct logger *lg, int events, uint32_t id, const char *dir)
{
	struct ring **rs, *r = calloc(1, sizeof(*r));
	int err;

	rs = realloc(lg->rings, sizeof(*rs) * (size_t)(lg->n + 1));
	if (!r || !rs) {
		free(r);
		return -ENOMEM;
	}
	lg->rings = rs;
	r->lg = lg;
	r->id = id;
	r->events = events;
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	ring_refresh(r);
	if (!lg->rb) {
		lg->rb = fwc_ring_new(events, on_event, r);
		err = lg->rb ? 0 : -errno;
	} else {
		err = fwc_ring_add(lg->rb, events, on_event, r);
	}
	if (err) {
		free(r->recs);
		free(r);
		return err;
	}
	lg->rings[lg->n++] = r;
	return 0;
}

/* Appends @name to @r's interfaces. */
static void ring_iface(struct ring *r, const char *name)
{
	size_t len = strlen(r->ifaces);

	snprintf(r->ifaces + len, sizeof(r->ifaces) - len, "%s%s",
		 len ? " " : "", name);
}

/*
 * The ring buffers pinned under the root for the wanted interfaces: new
 * ones are added (a load since the last scan), every ring's interfaces
 * and set are read again.
 */
static int scan(struct logger *lg)
{
	struct dirent **ents = NULL;
	int n, err = 0, lock = fwc_pin_lock_shared(lg->root, 2000);

	for (int i = 0; i < lg->n; i++) {
		lg->rings[i]->ifaces[0] = '\0';
		lg->rings[i]->live = false;
	}
	n = scandir(lg->root, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char name[NAME_MAX + 1], dir[PATH_MAX];
		struct ring *r;
		uint32_t id;
		int fd;

		fwc_pin_iface(ents[i]->d_name, name, sizeof(name));
		if (ents[i]->d_name[0] == '.' || ents[i]->d_type != DT_DIR ||
		    !fwc_iface_wanted(name, lg->ifaces, lg->n_ifaces) ||
		    fwc_pin_dir(lg->root, name, dir, sizeof(dir)))
			continue;
		fd = fwc_pin_get(dir, fwc_map_names[FWC_M_EVENTS]);
		if (fd < 0)
			continue;
		id = fwc_obj_id(fd);
		r = ring_find(lg, id);
		if (r) {
			close(fd);
		} else {
			err = ring_add(lg, fd, id, dir);
			if (err) {
				close(fd);
				fprintf(stderr,
					"fwc: %s: cannot read the event "
					"buffer: %s\n",
					name, strerror(-err));
				break;
			}
			r = lg->rings[lg->n - 1];
		}
		if (!r->live)
			snprintf(r->dir, sizeof(r->dir), "%s", dir);
		r->live = true;
		ring_iface(r, name);
	}
	for (int i = 0; i < (n > 0 ? n : 0); i++)
		free(ents[i]);
	free(ents);
	if (lock >= 0)
		close(lock);
	for (int i = 0; i < lg->n; i++)
		if (lg->rings[i]->live)
			ring_refresh(lg->rings[i]);
	lg->real_minus_boot =
		clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	return err;
}

/* Reserved counter @k of the set pinned in @dir, summed over CPUs. */
static uint64_t reserved(const char *dir, uint32_t k)
{
	int meta = fwc_pin_get(dir, fwc_map_names[FWC_M_META]);
	int cnt = fwc_pin_get(dir, fwc_map_names[FWC_M_COUNTERS]);
	int ncpu = fwc_ncpus();
	struct fwc_counter *v = NULL;
	struct fwc_meta m;
	uint64_t sum = 0;
	uint32_t key = 0;

	if (meta < 0 || cnt < 0 || ncpu < 1 || fwc_map_lookup(meta, &key, &m))
		goto out;
	key = m.n_rules + 1 + k;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (v && !fwc_map_lookup(cnt, &key, v))
		for (int c = 0; c < ncpu; c++)
			sum += v[c].packets;
out:
	free(v);
	if (meta >= 0)
		close(meta);
	if (cnt >= 0)
		close(cnt);
	return sum;
}

/* What the log could not show, as counted so far: stderr, or JSON. */
static void summary(const struct logger *lg)
{
	fflush(stdout); /* the events first, when both go to a terminal */
	for (int i = 0; i < lg->n; i++) {
		const struct ring *r = lg->rings[i];
		uint64_t sup = 0, lost = 0, wd = 0;
		char *save = NULL, *tok, names[sizeof(r->ifaces)];
		bool first = true;

		if (r->live) {
			sup = reserved(r->dir, FWC_RSV_LOG_SUPPRESSED);
			lost = reserved(r->dir, FWC_RSV_LOG_LOST);
			wd = reserved(r->dir, FWC_RSV_WOULD_DROP);
		}
		if (!lg->json) {
			fprintf(stderr,
				"fwc log: %s: %llu event%s shown; "
				"counted so far: %llu suppressed by "
				"the rate limit, %llu lost (buffer "
				"full)",
				r->live ? r->ifaces : "(unloaded)",
				(unsigned long long)r->shown,
				r->shown == 1 ? "" : "s",
				(unsigned long long)sup,
				(unsigned long long)lost);
			if (wd)
				fprintf(stderr, ", %llu would-drop (audit)",
					(unsigned long long)wd);
			fprintf(stderr, "\n");
			continue;
		}
		printf("{\"summary\":{\"interfaces\":[");
		snprintf(names, sizeof(names), "%s", r->ifaces);
		for (tok = strtok_r(names, " ", &save); tok;
		     tok = strtok_r(NULL, " ", &save)) {
			printf("%s", first ? "" : ",");
			fwc_json_str(stdout, tok);
			first = false;
		}
		printf("],\"shown\":%llu,\"suppressed\":%llu,\"lost\":%llu,"
		       "\"would_drop\":%llu}}\n",
		       (unsigned long long)r->shown, (unsigned long long)sup,
		       (unsigned long long)lost, (unsigned long long)wd);
	}
}

static int log_run(struct logger *lg, bool follow)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int err = scan(lg), ret;
	int64_t next = clock_ns(CLOCK_MONOTONIC) + RESCAN_MS * 1000000ll;

	if (err)
		return err;
	if (!lg->n) {
		fprintf(stderr,
			"fwc: no fwc policy loaded%s%s (nothing "
			"pinned under %s)\n",
			lg->n_ifaces ? " on " : "",
			lg->n_ifaces ? lg->ifaces[0] : "", lg->root);
		return -ENOENT;
	}
	if (!follow) {
		ret = fwc_ring_consume(lg->rb);
		summary(lg);
		return ret < 0 ? ret : 0;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!stop) {
		ret = fwc_ring_poll(lg->rb, 200);
		if (ret < 0 && ret != -EINTR) {
			err = ret;
			break;
		}
		if (clock_ns(CLOCK_MONOTONIC) >= next) {
			scan(lg);
			next = clock_ns(CLOCK_MONOTONIC) +
			       RESCAN_MS * 1000000ll;
		}
	}
	/* What came in before the signal. */
	fwc_ring_consume(lg->rb);
	summary(lg);
	return err;
}

int fwc_log_show(const char *root, char **ifaces, int n, bool json, bool follow)
{
	struct logger lg = { 0 };
	int err;

	lg.json = json;
	lg.root = root;
	lg.ifaces = ifaces;
	lg.n_ifaces = n;
	err = log_run(&lg, follow);
	fwc_ring_free(lg.rb);
	for (int i = 0; i < lg.n; i++) {
		close(lg.rings[i]->events);
		free(lg.rings[i]->recs);
		free(lg.rings[i]);
	}
	free(lg.rings);
	return err;
}
