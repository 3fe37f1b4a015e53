// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Commit-confirmed loads (fwc load --confirm SECONDS, fwc confirm) and the
 * state directory they roll back from.
 *
 * Every successful load keeps its tables as an artifact in
 * STATE/IFACE/current.fwca (STATE: $FWC_STATE_DIR, else /run/fwc), written
 * under a temporary name and renamed, so that it is always whole
 * (kernel/state.c).
 *
 * fwc load --confirm hands the whole job to a watchdog that leaves the
 * terminal's session before it starts (fork, setsid, fork: no controlling
 * terminal, not in the shell's process group; SIGHUP, SIGINT, SIGTERM
 * and SIGPIPE ignored). The watchdog links each interface's current.fwca
 * to rollback.fwca (the policy running now), loads the new policy,
 * reports, and sleeps until the deadline; the process in the terminal only
 * relays its output and exit status. So a SIGKILL of fwc load, or a
 * closed terminal, at any moment changes nothing: the load and its
 * rollback go on without it. At the deadline, unless `fwc confirm` ran,
 * the watchdog runs `fwc load --force --flush-flows rollback.fwca IFACE...`
 * (the binary /proc/self/exe named when it started) once per group of
 * interfaces that ran the same policy, as an atomic reload, and `fwc
 * unload` for the interfaces that ran nothing before. Its output goes to
 * STATE/watchdog.log.
 *
 * STATE/IFACE/pending says a confirmation is due: the watchdog (pid and
 * start time, so that a recycled pid is never signalled), the deadline,
 * the program the interface runs since the load, the pin root. fwc
 * confirm removes it and kills the watchdog; a watchdog finding its
 * pending file gone, or naming another watchdog (a later --confirm load
 * took the interface over, and rolls back to the same last confirmed
 * policy), or the interface running another program (a later plain load,
 * or an unload) leaves the interface alone; a watchdog whose interfaces
 * were all taken over is killed. Changes to pending files take the flock
 * of STATE/lock, held by the watchdog through its load and its rollback,
 * so a confirm either comes first or finds the rollback done. When the
 * pending files cannot be written, the load is rolled back at once.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compile.h"
#include "fwc_exit.h"
#include "ops.h"

#define CURRENT FWC_STATE_CURRENT
#define ROLLBACK "rollback.fwca"
#define PENDING "pending"
#define ROLLED "last-rollback"
#define LOG "watchdog.log"

/* What a pending file says. */
struct pending {
	int pid;
	unsigned long long start; /* the watchdog's start, clock ticks */
	long long deadline;	  /* wall clock, seconds */
	uint32_t prog;		  /* what the interface runs since */
	char root[PATH_MAX];
	char ifaces[FWC_INFO_IFACES * (FWC_IFNAME_LEN + 1)];
	char prev[FWC_INFO_PATH_LEN]; /* what it rolls back to */
};

/* What an interface runs, from its pins. */
struct running {
	uint32_t prog; /* 0: nothing attached */
	struct fwc_info info;
	struct fwc_meta meta;
};

/* The state lock: an fd to close, or -errno. */
static int state_lock(void)
{
	char path[PATH_MAX];
	int fd, err = fwc_mkdirs(fwc_state_dir());

	if (err)
		return err;
	if ((size_t)snprintf(path, sizeof(path), "%s/lock", fwc_state_dir()) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Field 22 of /proc/PID/stat: when it started (0: no such process). */
static unsigned long long proc_start(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the name may hold blanks and parentheses */
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &start) != 1)
		return 0;
	return start;
}

static bool watchdog_alive(const struct pending *p)
{
	return p->pid > 0 && p->start && proc_start(p->pid) == p->start;
}

static int pending_read(const char *iface, struct pending *p)
{
	char path[PATH_MAX], line[PATH_MAX + 32];
	FILE *f;

	memset(p, 0, sizeof(*p));
	if (fwc_state_path(path, sizeof(path), iface, PENDING))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ' ');

		if (!v)
			continue;
		*v++ = '\0';
		v[strcspn(v, "\n")] = '\0';
		if (!strcmp(line, "pid"))
			p->pid = atoi(v);
		else if (!strcmp(line, "start"))
			p->start = strtoull(v, NULL, 10);
		else if (!strcmp(line, "deadline"))
			p->deadline = strtoll(v, NULL, 10);
		else if (!strcmp(line, "prog"))
			p->prog = (uint32_t)strtoul(v, NULL, 10);
		else if (!strcmp(line, "root"))
			snprintf(p->root, sizeof(p->root), "%s", v);
		else if (!strcmp(line, "ifaces"))
			snprintf(p->ifaces, sizeof(p->ifaces), "%s", v);
		else if (!strcmp(line, "rollback"))
			snprintf(p->prev, sizeof(p->prev), "%s", v);
	}
	fclose(f);
	return p->pid > 0 ? 0 : -EINVAL;
}

static bool same_watchdog(const struct pending *a, const struct pending *b)
{
	return a->pid == b->pid && a->start == b->start;
}

/* Does a pending file under the state directory still name @w? */
static bool watchdog_needed(const struct pending *w)
{
	struct dirent *de;
	struct pending p;
	bool needed = false;
	DIR *d = opendir(fwc_state_dir());

	while (d && !needed && (de = readdir(d)))
		needed = de->d_name[0] != '.' &&
			 !pending_read(de->d_name, &p) && same_watchdog(&p, w);
	if (d)
		closedir(d);
	return needed;
}

static int pending_write(const char *iface, const struct pending *p)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;
	int err = 0;

	if (fwc_state_path(path, sizeof(path), iface, PENDING) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f,
		"pid %d\nstart %llu\ndeadline %lld\nprog %u\nroot %s\n"
		"ifaces %s\nrollback %s\n",
		p->pid, p->start, p->deadline, p->prog, p->root, p->ifaces,
		p->prev);
	if (fclose(f) || rename(tmp, path))
		err = -errno;
	return err;
}

static void pending_remove(const char *iface)
{
	char path[PATH_MAX];

	if (!fwc_state_path(path, sizeof(path), iface, PENDING))
		unlink(path);
}

/* What @iface runs under @root (prog 0: nothing attached). */
static void running_read(const char *root, const char *iface, struct running *r)
{
	char dir[PATH_MAX];
	uint32_t ifindex = 0, k = 0;
	int link, info, meta;

	memset(r, 0, sizeof(*r));
	if (fwc_pin_dir(root, iface, dir, sizeof(dir)))
		return;
	link = fwc_pin_link(dir);
	if (link < 0)
		return;
	if (fwc_link_query(link, &ifindex, &r->prog) || !ifindex)
		r->prog = 0;
	close(link);
	info = fwc_pin_get(dir, fwc_map_names[FWC_M_INFO]);
	meta = fwc_pin_get(dir, fwc_map_names[FWC_M_META]);
	if (info < 0 || meta < 0 || fwc_map_lookup(info, &k, &r->info) ||
	    fwc_map_lookup(meta, &k, &r->meta))
		r->prog = 0; /* pins we cannot read: nothing to roll to */
	if (info >= 0)
		close(info);
	if (meta >= 0)
		close(meta);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/*
 * Is STATE/IFACE/current.fwca what @r runs? Same policy text, rule count
 * and mode: a load by another fwc, or with another state directory,
 * leaves something else there.
 */
static bool current_matches(const char *iface, const struct running *r)
{
	char path[PATH_MAX], sha[65];
	struct fwc_tables *t = NULL;
	bool ok;

	if (fwc_state_path(path, sizeof(path), iface, CURRENT) ||
	    access(path, R_OK) || fwc_artifact_read(path, &t))
		return false;
	hex(t->source_sha256, sizeof(t->source_sha256), sha);
	ok = !strcmp(sha, r->info.sha256) &&
	     t->meta.n_rules == r->meta.n_rules &&
	     (t->meta.flags & FWC_META_AUDIT) ==
		     (r->meta.flags & FWC_META_AUDIT);
	fwc_tables_free(t);
	return ok;
}

/*
 * Before the load, for each interface: what to roll back to. An
 * interface whose confirmation is pending keeps its rollback (the last
 * confirmed policy); otherwise what runs now, or nothing (unload).
 */
static int rollback_prepare(const struct fwc_load_opts *o,
			    char (*prev)[FWC_INFO_PATH_LEN],
			    struct pending *taken)
{
	for (int i = 0; i < o->n_ifaces; i++) {
		const char *ifc = o->ifaces[i];
		char cur[PATH_MAX], rb[PATH_MAX], dir[PATH_MAX];
		struct running r;
		struct pending p;
		int err;

		running_read(o->root, ifc, &r);
		if (!pending_read(ifc, &p) && !strcmp(p.root, o->root) &&
		    watchdog_alive(&p) && p.prog == r.prog) {
			snprintf(prev[i], FWC_INFO_PATH_LEN, "%s", p.prev);
			taken[i] = p;
			continue;
		}
		err = fwc_state_iface_dir(ifc, dir, sizeof(dir));
		if (!err)
			err = fwc_state_path(rb, sizeof(rb), ifc, ROLLBACK);
		if (!err)
			err = fwc_state_path(cur, sizeof(cur), ifc, CURRENT);
		if (err)
			return err;
		if (!r.prog) {
			unlink(rb);
			snprintf(prev[i], FWC_INFO_PATH_LEN,
				 "nothing (unload)");
			continue;
		}
		if (!current_matches(ifc, &r)) {
			fprintf(stderr,
				"fwc: %s: cannot arrange a rollback: "
				"%s does not hold what runs (%s, loaded "
				"by another fwc or with another %s); "
				"load it again without --confirm "
				"first. Nothing changed\n",
				ifc, cur, r.info.policy, FWC_STATE_ENV);
			return -ESTALE;
		}
		err = fwc_link_over(cur, rb);
		if (err) {
			fprintf(stderr, "fwc: cannot keep %s as %s: %s\n", cur,
				rb, strerror(-err));
			return err;
		}
		snprintf(prev[i], FWC_INFO_PATH_LEN, "%.*s%s",
			 FWC_INFO_PATH_LEN - 10, r.info.policy,
			 r.meta.flags & FWC_META_AUDIT ? " (audit)" : "");
	}
	return 0;
}

static void time_local(long long t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || !strftime(buf, n, "%H:%M:%S", &tm))
		snprintf(buf, n, "%lld", t);
}

/* Runs @argv, output to ours; its exit status, or -errno. */
static int run(char *const argv[])
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execv(argv[0], argv);
		fprintf(stderr, "fwc: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

struct group {
	dev_t dev;
	ino_t ino; /* of rollback.fwca; 0: unload */
	char path[PATH_MAX];
	char *ifaces[FWC_INFO_IFACES];
	int n;
};

static void stamp(void)
{
	char when[32];

	time_local(time(NULL), when, sizeof(when));
	printf("%s [%d] ", when, (int)getpid());
}

/*
 * At the deadline: roll back what is still ours (@force: all of it, the
 * pending files could not be written). @progs: what the load left
 * running on each interface.
 */
static void rollback(const struct fwc_load_opts *o, const char *exe,
		     const uint32_t *progs, bool force)
{
	struct group g[FWC_INFO_IFACES + 1];
	int ng = 0, lock = state_lock();

	for (int i = 0; i < o->n_ifaces; i++) {
		const char *ifc = o->ifaces[i];
		char rb[PATH_MAX], note[PATH_MAX + 64], path[PATH_MAX];
		struct running r;
		struct pending p;
		struct stat st;
		FILE *f;
		int k;

		if (!force && (pending_read(ifc, &p) || p.pid != getpid()))
			continue; /* confirmed, or taken over */
		if (!force)
			pending_remove(ifc);
		running_read(o->root, ifc, &r);
		if (r.prog != progs[i]) {
			stamp();
			printf("%s: runs another program since the load: left "
			       "as it is\n",
			       ifc);
			continue;
		}
		if (fwc_state_path(rb, sizeof(rb), ifc, ROLLBACK))
			continue;
		memset(&st, 0, sizeof(st));
		if (stat(rb, &st))
			st.st_ino = 0;
		for (k = 0; k < ng; k++)
			if (g[k].ino == st.st_ino && g[k].dev == st.st_dev)
				break;
		if (k == ng) {
			memset(&g[ng], 0, sizeof(g[ng]));
			g[ng].dev = st.st_dev;
			g[ng].ino = st.st_ino;
			snprintf(g[ng].path, sizeof(g[ng].path), "%s", rb);
			ng++;
		}
		g[k].ifaces[g[k].n++] = o->ifaces[i];
		snprintf(note, sizeof(note), "%lld rolled back (%s)\n",
			 (long long)time(NULL),
			 force ? "its confirmation "
				 "could not be recorded" :
				 "no fwc confirm by the "
				 "deadline");
		if (!fwc_state_path(path, sizeof(path), ifc, ROLLED) &&
		    (f = fopen(path, "we"))) {
			fputs(note, f);
			fclose(f);
		}
	}
	for (int k = 0; k < ng; k++) {
		char *argv[FWC_INFO_IFACES + 10];
		char root[PATH_MAX];
		int n = 0, rc;

		snprintf(root, sizeof(root), "%s", o->root);
		argv[n++] = (char *)exe;
		if (g[k].ino) {
			argv[n++] = "load";
			argv[n++] = "--force";
			argv[n++] = "--flush-flows";
			argv[n++] = "--bpffs";
			argv[n++] = root;
			argv[n++] = g[k].path;
		} else {
			argv[n++] = "unload";
			argv[n++] = "--bpffs";
			argv[n++] = root;
		}
		for (int j = 0; j < g[k].n; j++)
			argv[n++] = g[k].ifaces[j];
		argv[n] = NULL;
		stamp();
		printf("no confirm by the deadline: %s",
		       g[k].ino ? "rolling back" : "unloading");
		for (int j = 0; j < g[k].n; j++)
			printf(" %s", g[k].ifaces[j]);
		printf("\n");
		rc = run(argv);
		stamp();
		printf("%s\n", rc ? "the rollback failed" : "rolled back");
	}
	fflush(NULL);
	if (lock >= 0)
		close(lock);
}

static void sleep_until(const struct timespec *t)
{
	while (clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, t, NULL) == EINTR)
		;
}

/* The watchdog: load, report through @st, wait, roll back unless told. */
static int watchdog(const struct fwc_load_opts *o, double seconds,
		    const char *exe, int st)
{
	char prev[FWC_INFO_IFACES][FWC_INFO_PATH_LEN];
	struct pending taken[FWC_INFO_IFACES];
	struct pending p = { .pid = getpid() };
	uint32_t progs[FWC_INFO_IFACES];
	struct timespec wake;
	struct running r0;
	char when[32], path[PATH_MAX];
	int err, lock, logfd;
	bool now = false;
	unsigned char rc;

	lock = state_lock();
	if (lock < 0) {
		fprintf(stderr, "fwc: cannot lock %s: %s\n", fwc_state_dir(),
			strerror(-lock));
		err = lock;
		goto report;
	}
	memset(taken, 0, sizeof(taken));
	err = rollback_prepare(o, prev, taken);
	if (!err)
		err = fwc_load(o);
	if (err)
		goto report;
	clock_gettime(CLOCK_BOOTTIME, &wake);
	wake.tv_sec += (time_t)seconds;
	wake.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (wake.tv_nsec >= 1000000000L) {
		wake.tv_sec++;
		wake.tv_nsec -= 1000000000L;
	}
	p.start = proc_start(p.pid);
	p.deadline = (long long)time(NULL) + (long long)(seconds + 0.999);
	snprintf(p.root, sizeof(p.root), "%s", o->root);
	for (int i = 0; i < o->n_ifaces; i++) {
		size_t len = strlen(p.ifaces);

		snprintf(p.ifaces + len, sizeof(p.ifaces) - len, "%s%s",
			 i ? " " : "", o->ifaces[i]);
	}
	time_local(p.deadline, when, sizeof(when));
	for (int i = 0; i < o->n_ifaces && !now; i++) {
		struct running r;

		running_read(o->root, o->ifaces[i], &r);
		progs[i] = p.prog = r.prog;
		snprintf(p.prev, sizeof(p.prev), "%s", prev[i]);
		err = pending_write(o->ifaces[i], &p);
		if (err) {
			fprintf(stderr,
				"fwc: %s: cannot record the pending "
				"confirmation: %s; rolling back now\n",
				o->ifaces[i], strerror(-err));
			now = true;
		}
	}
	if (now) {
		for (int i = 0; i < o->n_ifaces; i++) {
			running_read(o->root, o->ifaces[i], &r0);
			progs[i] = r0.prog;
			pending_remove(o->ifaces[i]);
		}
		goto report;
	}
	/* One line per policy to roll back to. */
	for (int i = 0; i < o->n_ifaces; i++) {
		bool said = false;

		for (int j = 0; j < i; j++)
			said |= !strcmp(prev[j], prev[i]);
		if (said)
			continue;
		printf("fwc:");
		for (int j = i; j < o->n_ifaces; j++)
			if (!strcmp(prev[j], prev[i]))
				printf(" %s", o->ifaces[j]);
		printf(": rolls back to %s at %s (in %g s) unless 'fwc "
		       "confirm' runs first\n",
		       prev[i], when, seconds);
	}
	/* Watchdogs whose every interface this one took over: done. */
	for (int i = 0; i < o->n_ifaces; i++)
		if (taken[i].pid && watchdog_alive(&taken[i]) &&
		    !watchdog_needed(&taken[i]))
			kill(taken[i].pid, SIGKILL);
report:
	rc = err || now ? FWC_EXIT_ERR : 0;
	fflush(NULL);
	if (write(st, &rc, 1) != 1) {
		/* fwc load is gone: nobody to tell. */
	}
	close(st);
	if (lock >= 0)
		close(lock);
	if (err && !now)
		return rc;
	/* Hold no directory busy while waiting: paths become absolute. */
	if (realpath(fwc_state_dir(), path))
		setenv(FWC_STATE_ENV, path, 1);
	if (chdir("/")) {
		/* Only the relative paths above needed the old one. */
	}
	/* From now on, a log file: the terminal may be long gone. */
	logfd = -1;
	if ((size_t)snprintf(path, sizeof(path), "%s/" LOG, fwc_state_dir()) <
	    sizeof(path))
		logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			     0600);
	if (logfd < 0)
		logfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	dup2(logfd, STDOUT_FILENO);
	dup2(logfd, STDERR_FILENO);
	close(logfd);
	setvbuf(stdout, NULL, _IOLBF, 0);
	stamp();
	if (!now) {
		printf("watching %s until %s\n", p.ifaces, when);
		sleep_until(&wake);
	}
	rollback(o, exe, progs, now);
	return 0;
}

/* Copies what @fd has to @out; false at end of file. */
static bool relay(int fd, int out)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && errno == EINTR;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(out, buf + off, (size_t)(n - off));

		if (w <= 0)
			break;
		off += w;
	}
	return true;
}

int fwc_confirm_load(const struct fwc_load_opts *o, double seconds)
{
	int out[2], errp[2], st[2], null;
	struct pollfd pf[2];
	unsigned char rc = FWC_EXIT_ERR;
	char *exe;
	pid_t pid;

	exe = realpath("/proc/self/exe", NULL);
	if (!exe) {
		fprintf(stderr, "fwc: cannot resolve /proc/self/exe: %s\n",
			strerror(errno));
		return -errno;
	}
	if (pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) ||
	    pipe2(st, O_CLOEXEC)) {
		free(exe);
		return -errno;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		free(exe);
		return -errno;
	}
	if (pid == 0) {
		/* Immune to the terminal before anything can reach it. */
		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		setsid();
		if (fork() != 0)
			_exit(0);
		close(out[0]);
		close(errp[0]);
		close(st[0]);
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(errp[1], STDERR_FILENO);
		close(out[1]);
		close(errp[1]);
		_exit(watchdog(o, seconds, exe, st[1]));
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(out[1]);
	close(errp[1]);
	close(st[1]);
	pf[0] = (struct pollfd){ .fd = out[0], .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = errp[0], .events = POLLIN };
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			if (!relay(pf[i].fd,
				   i ? STDERR_FILENO : STDOUT_FILENO)) {
				close(pf[i].fd);
				pf[i].fd = -1;
			}
		}
	}
	if (read(st[0], &rc, 1) != 1) {
		fprintf(stderr, "fwc: the load's watchdog ended before it "
				"reported\n");
		rc = FWC_EXIT_ERR;
	}
	close(st[0]);
	free(exe);
	return rc ? -EIO : 0;
}

/* Why @iface has nothing to confirm, when its rollback came first. */
static void nothing_pending(const char *iface)
{
	char path[PATH_MAX], line[PATH_MAX + 64], t[32];
	char *what;
	FILE *f;

	fprintf(stderr, "fwc: %s: nothing to confirm", iface);
	if (fwc_state_path(path, sizeof(path), iface, ROLLED) ||
	    !(f = fopen(path, "re"))) {
		fprintf(stderr, "\n");
		return;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	what = strchr(line, ' ');
	if (what)
		what[strcspn(what, "\n")] = '\0';
	time_local(strtoll(line, NULL, 10), t, sizeof(t));
	fprintf(stderr, ": at %s it %s\n", t, what ? what + 1 : "rolled back");
}

/*
 * fwc confirm: the watchdogs of the loads asked for lose their pending
 * files, on every interface of those loads, and are killed.
 */
int fwc_confirm(char **ifaces, int n)
{
	struct dirent **ents = NULL;
	int lock, err = 0, m, nw = 0, done = 0;
	bool *got = calloc((size_t)n + 1, sizeof(*got));
	struct pending *w = NULL, p;

	lock = state_lock();
	if (lock < 0) {
		fprintf(stderr, "fwc: cannot lock %s: %s\n", fwc_state_dir(),
			strerror(-lock));
		free(got);
		return lock;
	}
	m = scandir(fwc_state_dir(), &ents, NULL, alphasort);
	w = calloc(m > 0 ? (size_t)m : 1, sizeof(*w));
	if (!got || !w) {
		err = -ENOMEM;
		goto out;
	}
	/* The watchdogs named (by an interface of theirs), or all. */
	for (int i = 0; i < m; i++) {
		const char *ifc = ents[i]->d_name;
		bool named = !n, seen = false;

		for (int j = 0; j < n; j++)
			named |= !strcmp(ifaces[j], ifc);
		if (ifc[0] == '.' || !named || pending_read(ifc, &p))
			continue;
		for (int j = 0; j < n; j++)
			got[j] |= !strcmp(ifaces[j], ifc);
		for (int k = 0; k < nw; k++)
			seen |= same_watchdog(&w[k], &p);
		if (!seen)
			w[nw++] = p;
	}
	for (int i = 0; i < m; i++) {
		const char *ifc = ents[i]->d_name;
		bool mine = false;

		if (ifc[0] == '.' || pending_read(ifc, &p))
			continue;
		for (int k = 0; k < nw; k++)
			mine |= same_watchdog(&w[k], &p);
		if (!mine)
			continue;
		pending_remove(ifc);
		printf("%s %s", done++ ? "" : "fwc: confirmed", ifc);
		if (!watchdog_alive(&p))
			printf(" (its watchdog, pid %d, was gone already: no "
			       "rollback would have come)",
			       p.pid);
	}
	if (done)
		printf(": the rollback is called off\n");
	for (int k = 0; k < nw; k++)
		if (watchdog_alive(&w[k]))
			kill(w[k].pid, SIGKILL);
	for (int j = 0; j < n; j++) {
		if (got[j])
			continue;
		nothing_pending(ifaces[j]);
		err = -ENOENT;
	}
	if (!n && !nw) {
		fprintf(stderr,
			"fwc: nothing to confirm (no load --confirm "
			"pending under %s)\n",
			fwc_state_dir());
		err = -ENOENT;
	}
out:
	for (int i = 0; i < m; i++)
		free(ents[i]);
	free(ents);
	free(w);
	free(got);
	close(lock);
	return err;
}

void fwc_confirm_status(const char *root, const char *iface, uint32_t prog_id,
			bool json)
{
	struct pending p;
	char when[32];
	long long left;

	if (pending_read(iface, &p) || strcmp(p.root, root) ||
	    p.prog != prog_id)
		return;
	left = p.deadline - (long long)time(NULL);
	time_local(p.deadline, when, sizeof(when));
	if (json) {
		printf(",\"confirm\":{\"deadline\":%lld,\"rollback\":\"",
		       p.deadline);
		for (const char *s = p.prev; *s; s++)
			printf(*s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
		printf("\",\"watchdog\":%d,\"alive\":%s}", p.pid,
		       watchdog_alive(&p) ? "true" : "false");
		return;
	}
	if (!watchdog_alive(&p)) {
		printf("\tconfirm  pending, but its watchdog (pid %d) is gone: "
		       "no rollback will come (fwc confirm clears this)\n",
		       p.pid);
		return;
	}
	printf("\tconfirm  pending: rolls back to %s at %s (in %llds) "
	       "unless fwc confirm\n",
	       p.prev, when, left > 0 ? left : 0);
}
