/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A traffic generator of our own for the veth benchmark
 * (bench/veth_bench.sh): xdp-trafficgen does not work on the kernel we
 * measure on, BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES does.
 *
 *   trafficgen -i IFACE -m DSTMAC -s SRC -d DST [-p DPORT] [-P SPORT]
 *              [-t SECONDS] [-T THREADS] [-c FIRSTCPU] [-b BATCH]
 *              [-r REPEAT] [-R]
 *
 * Runs bench/txgen.bpf.c's xdp_tx (it returns XDP_TX) in live-frame mode
 * with IFACE (a veth in the current network namespace) as the ingress
 * device: the kernel turns each XDP_TX into a transmission out of IFACE,
 * so every repeat of the template frame crosses the veth into its peer,
 * whose XDP program or stack then handles it. The template is a TCP SYN
 * from SRC:SPORT to DST:DPORT (default 40000 -> 9; IPv4: 64 bytes, IPv6:
 * 74, the minimum), Ethernet from IFACE's MAC to DSTMAC (the peer's, so
 * that its stack takes the frame as addressed to it), with valid IPv4 and
 * TCP checksums. -R runs xdp_tx_reset instead, which writes the template's
 * headers back into the frame before each send: needed when the receiver
 * routes the frames (the stack edits them in place and live frames reuse
 * their pages).
 *
 * For the run, the program is also attached to IFACE (native XDP; it sees
 * nothing there): a test run of a program that is attached nowhere adds it
 * to the kernel's XDP dispatcher and removes it again, an RCU grace period
 * each time (~25 ms per call here).
 *
 * Each of THREADS threads (default 1) is pinned to its own CPU, from
 * FIRSTCPU on (default the first allowed), and calls the test run until
 * SECONDS (default 5) have passed, with a repeat sized to last about 20 ms
 * (the receiver may share the CPU and be slow), or REPEAT. A frame the
 * veth cannot queue (its peer's ring is full) is dropped there: the sent
 * figure is what the program emitted, what the receiver processed is the
 * peer's to count. BATCH: frames per batch of the test run (default 64).
 * Prints one line:
 *   sent N frames in S s: R Mpps, T threads
 * Needs root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#include "packets.h"
#include "txgen.skel.h"

#define MAX_THREADS 64
#define MAX_CHUNK (1u << 20) /* repeats per test run, at most */

struct worker {
	pthread_t tid;
	int cpu;
	int prog;
	int ifindex;
	uint32_t queue;
	uint32_t batch;
	uint32_t repeat; /* fixed repeat per test run, 0: adaptive */
	const struct pb *frame;
	double deadline;
	uint64_t sent;
	int err;
};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "trafficgen: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static void iface_mac(const char *name, uint8_t *mac)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket: %s\n", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		die("%s: %s\n", name, strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
}

/* One's complement sum of @n bytes, folded later. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

/* The TCP checksum over the pseudo-header, so that no stack rejects it. */
static void tcp_csum(struct pb *b)
{
	uint8_t *ip = b->data + b->l3;
	size_t hlen = b->family == 4 ? (size_t)(ip[0] & 0xf) * 4 : 40;
	uint8_t *tcp = ip + hlen;
	size_t len = b->len - b->l3 - hlen;
	uint32_t s = 0;

	tcp[16] = tcp[17] = 0;
	if (b->family == 4)
		s = sum16(ip + 12, 8, s);
	else
		s = sum16(ip + 8, 32, s);
	s += 6 + (uint32_t)len;
	s = sum16(tcp, len, s);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	pb_be16(tcp + 16, (uint16_t)~s);
}

static void *run(void *arg)
{
	struct worker *w = arg;
	/* The kernel wants data_end = the frame's length, data = 0. */
	struct xdp_md ctx = { .data_end = (uint32_t)w->frame->len,
			      .ingress_ifindex = (uint32_t)w->ifindex,
			      .rx_queue_index = w->queue };
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	uint32_t chunk = w->repeat ? w->repeat : 64;
	double t, per, next;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
		w->err = EINVAL;
		return NULL;
	}
	while ((t = now_s()) < w->deadline) {
		opts.data_in = w->frame->data;
		opts.data_size_in = (uint32_t)w->frame->len;
		opts.ctx_in = &ctx;
		opts.ctx_size_in = sizeof(ctx);
		opts.repeat = chunk;
		opts.batch_size = w->batch;
		opts.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
		if (bpf_prog_test_run_opts(w->prog, &opts)) {
			w->err = errno;
			return NULL;
		}
		w->sent += chunk;
		if (w->repeat)
			continue;
		/* About 20 ms a call, growing at most 8-fold at a time. */
		per = (now_s() - t) / chunk;
		next = per > 0 ? 0.02 / per : MAX_CHUNK;
		if (next > 8.0 * chunk)
			next = 8.0 * chunk;
		chunk = next > MAX_CHUNK ? MAX_CHUNK :
			next < 64	 ? 64 :
					   (uint32_t)next;
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: trafficgen -i IFACE -m DSTMAC -s SRC -d DST [-p DPORT] [-P SPORT]\n"
		"                  [-t SECONDS] [-T THREADS] [-c FIRSTCPU] [-b BATCH] [-r REPEAT] [-R]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *iface = NULL, *src = NULL, *dst = NULL, *dmac = NULL;
	uint16_t dport = 9, sport = 40000;
	double seconds = 5, t0, t1;
	int threads = 1, first = -1, batch = 0, ifindex, c, i, fam, n;
	uint8_t s[16], d[16], mac[6];
	struct worker w[MAX_THREADS];
	struct txgen_bpf *skel;
	uint64_t sent = 0;
	unsigned long repeat = 0;
	bool reset = false;
	int prog;
	cpu_set_t allowed;
	struct pb frame;

	while ((c = getopt(argc, argv, "i:m:s:d:p:P:t:T:c:b:r:R")) != -1) {
		switch (c) {
		case 'i':
			iface = optarg;
			break;
		case 'm':
			dmac = optarg;
			break;
		case 's':
			src = optarg;
			break;
		case 'd':
			dst = optarg;
			break;
		case 'p':
			dport = (uint16_t)atoi(optarg);
			break;
		case 'P':
			sport = (uint16_t)atoi(optarg);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'T':
			threads = atoi(optarg);
			break;
		case 'c':
			first = atoi(optarg);
			break;
		case 'b':
			batch = atoi(optarg);
			break;
		case 'r':
			repeat = strtoul(optarg, NULL, 0);
			break;
		case 'R':
			reset = true;
			break;
		default:
			usage();
		}
	}
	if (!iface || !src || !dst || !dmac || optind != argc || threads < 1 ||
	    threads > MAX_THREADS || seconds <= 0 || seconds > 3600 ||
	    batch < 0 || repeat > UINT32_MAX)
		usage();

	/* The template frame. */
	fam = pb_addr(src, s);
	if (pb_addr(dst, d) != fam)
		die("%s and %s: not the same family\n", src, dst);
	pb_simple(&frame, fam, 6, s, d, dport, sport, fam == 4 ? 10 : 0);
	tcp_csum(&frame);
	if (parse_mac(dmac, frame.data))
		die("bad MAC %s\n", dmac);
	iface_mac(iface, mac);
	memcpy(frame.data + 6, mac, 6);

	skel = txgen_bpf__open_and_load();
	if (!skel)
		die("loading txgen.bpf.o: %s\n", strerror(errno));
	ifindex = (int)if_nametoindex(iface);
	if (!ifindex)
		die("%s: %s\n", iface, strerror(errno));
	/*
	 * Each test run adds the program to the kernel's XDP dispatcher and
	 * removes it after, which costs an RCU grace period (~25 ms here)
	 * per call, unless the program is attached somewhere: attach it to
	 * IFACE itself for the run (it sees nothing there, the peer sends
	 * nothing back).
	 */
	prog = bpf_program__fd(reset ? skel->progs.xdp_tx_reset :
				       skel->progs.xdp_tx);
	memcpy(skel->bss->tmpl, frame.data, sizeof(skel->bss->tmpl));
	if (bpf_xdp_attach(ifindex, prog,
			   XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST,
			   NULL))
		die("attaching xdp_tx to %s: %s\n", iface, strerror(errno));

	/* Threads on distinct allowed CPUs, from @first on. */
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		die("sched_getaffinity: %s\n", strerror(errno));
	memset(w, 0, sizeof(w));
	t0 = now_s();
	for (i = 0, n = 0, c = 0; n < threads && c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &allowed) || c < first)
			continue;
		w[n].cpu = c;
		w[n].prog = prog;
		w[n].ifindex = ifindex;
		w[n].queue = 0;
		w[n].batch = (uint32_t)batch;
		w[n].repeat = (uint32_t)repeat;
		w[n].frame = &frame;
		w[n].deadline = t0 + seconds;
		n++;
	}
	if (n < threads)
		die("%d threads: only %d CPUs allowed from %d\n", threads, n,
		    first < 0 ? 0 : first);
	for (i = 0; i < n; i++)
		if (pthread_create(&w[i].tid, NULL, run, &w[i]))
			die("pthread_create failed\n");
	for (i = 0; i < n; i++)
		pthread_join(w[i].tid, NULL);
	t1 = now_s();
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	for (i = 0; i < n; i++) {
		if (w[i].err)
			die("test run on CPU %d: %s\n", w[i].cpu,
			    strerror(w[i].err));
		sent += w[i].sent;
	}
	printf("sent %llu frames in %.3f s: %.3f Mpps, %d threads\n",
	       (unsigned long long)sent, t1 - t0, sent / (t1 - t0) / 1e6, n);
	txgen_bpf__destroy(skel);
	return 0;
}
