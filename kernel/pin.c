// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Where a loaded set lives in bpffs, and the loader's own record maps.
 *
 * $ROOT/<iface>/ holds prog, link and every map by name. A reload pins the
 * new objects as NAME-new first and renames them over NAME only after the
 * swap, so a failure before the swap leaves the old pins as they were.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "kernel.h"

/* From the list of maps (include/fwc_maps.h). */
const char *const fwc_map_names[FWC_M_COUNT] = { FWC_MAPS(FWC_MAP_PIN_NAME) };

void fwc_set_init(struct fwc_set *s)
{
	s->prog = -1;
	for (int i = 0; i < FWC_M_COUNT; i++)
		s->maps[i] = -1;
}

void fwc_set_close(struct fwc_set *s)
{
	if (s->prog >= 0)
		close(s->prog);
	for (int i = 0; i < FWC_M_COUNT; i++)
		if (s->maps[i] >= 0)
			close(s->maps[i]);
	fwc_set_init(s);
}

const char *fwc_pin_root(const char *opt)
{
	const char *env = getenv(FWC_BPFFS_ENV);

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return FWC_BPFFS_DEFAULT;
}

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/* mkdir -p; only the last error matters to the caller. */
int fwc_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Distributions mount bpffs at /sys/fs/bpf, minimal systems may not: mount
 * it there when our root lies below it, as bpftool and systemd would.
 */
static int mount_bpffs(const char *root)
{
	size_t n = strlen(FWC_BPFFS_MOUNT);

	if (strncmp(root, FWC_BPFFS_MOUNT, n) || (root[n] && root[n] != '/'))
		return 0;
	if (on_bpffs(FWC_BPFFS_MOUNT))
		return 0;
	if (mount("bpf", FWC_BPFFS_MOUNT, "bpf", 0, "mode=0700")) {
		fprintf(stderr, "fwc: cannot mount bpffs on %s: %s\n",
			FWC_BPFFS_MOUNT, strerror(errno));
		return -errno;
	}
	return 0;
}

int fwc_pin_prepare(const char *root)
{
	int err;

	if (root[0] != '/') {
		fprintf(stderr,
			"fwc: %s: the bpffs directory must be an "
			"absolute path\n",
			root);
		return -EINVAL;
	}
	if (on_bpffs(root))
		return 0;
	err = mount_bpffs(root);
	if (err)
		return err;
	err = fwc_mkdirs(root);
	if (err) {
		fprintf(stderr, "fwc: cannot create %s: %s\n", root,
			strerror(-err));
		return err;
	}
	if (!on_bpffs(root)) {
		fprintf(stderr,
			"fwc: %s is not on a bpf filesystem; pins need "
			"one (mount -t bpf bpf DIR, or pick another "
			"--bpffs)\n",
			root);
		return -ENOTSUP;
	}
	return 0;
}

static bool is_new_pin(const char *name)
{
	size_t n = strlen(name), k = strlen(FWC_PIN_NEW);

	return n > k && !strcmp(name + n - k, FWC_PIN_NEW);
}

bool fwc_pin_has_new(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		found = is_new_pin(de->d_name);
	closedir(d);
	return found;
}

/* The program id behind pin @name in @dir, 0 when there is none. */
static uint32_t pin_prog_id(const char *dir, const char *name)
{
	int fd = fwc_pin_get(dir, name);
	uint32_t id = fd >= 0 ? fwc_obj_id(fd) : 0;

	if (fd >= 0)
		close(fd);
	return id;
}

/* Program id the link pinned as @name drives; 0 when detached or none. */
static uint32_t pin_link_prog(const char *dir, const char *name)
{
	uint32_t ifindex = 0, prog_id = 0;
	int fd = fwc_pin_get(dir, name);

	if (fd < 0)
		return 0;
	if (fwc_link_query(fd, &ifindex, &prog_id) || !ifindex)
		prog_id = 0;
	close(fd);
	return prog_id;
}

/*
 * NAME-new pins in @dir while we hold the lock were left by a load that
 * was killed. The pins follow what runs: when the interface's link drives
 * the new program, the load got past its swap and the new pins are
 * renamed over the old ones (as its commit would have); otherwise they
 * are removed (as its rollback would have). A link that enforces is never
 * unpinned here: dropping it could leave the interface open.
 */
static void recover_dir(const char *dir)
{
	bool link_new_live, forward;
	uint32_t want, runs;
	struct dirent *de;
	DIR *d;

	if (!fwc_pin_has_new(dir))
		return;
	runs = pin_link_prog(dir, FWC_PIN_LINK FWC_PIN_NEW);
	link_new_live = runs != 0;
	if (!runs)
		runs = pin_link_prog(dir, FWC_PIN_LINK);
	/*
	 * A commit renames the maps, then prog, then link: without prog-new
	 * only link-new can be left, and it is live or stale on its own.
	 */
	want = pin_prog_id(dir, FWC_PIN_PROG FWC_PIN_NEW);
	forward = link_new_live || (want && runs == want);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char from[PATH_MAX], to[PATH_MAX];
		size_t len = strlen(de->d_name) - strlen(FWC_PIN_NEW);

		if (!is_new_pin(de->d_name) ||
		    (size_t)snprintf(from, sizeof(from), "%s/%s", dir,
				     de->d_name) >= sizeof(from) ||
		    (size_t)snprintf(to, sizeof(to), "%s/%.*s", dir, (int)len,
				     de->d_name) >= sizeof(to))
			continue;
		if (forward ? rename(from, to) : unlink(from))
			fprintf(stderr, "fwc: cannot recover %s: %s\n", from,
				strerror(errno));
	}
	closedir(d);
	fprintf(stderr, "fwc: %s: %s the pins of an interrupted fwc load\n",
		dir, forward ? "completed" : "removed");
	rmdir(dir); /* made by that load, if nothing else is left in it */
}

static void recover(const char *root)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(root);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR ||
		    (size_t)snprintf(dir, sizeof(dir), "%s/%s", root,
				     de->d_name) >= sizeof(dir))
			continue;
		recover_dir(dir);
	}
	closedir(d);
}

/*
 * Loads and unloads under one root take turns (they rename pins). The
 * lock is flock(2) on the root directory: the kernel drops it when its
 * holder exits, killed or not, so a lock is never stale; what a killed
 * holder leaves is NAME-new pins, which the next holder recovers.
 */
int fwc_pin_lock(const char *root)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK) {
		fprintf(stderr,
			"fwc: waiting for another fwc load or unload "
			"under %s\n",
			root);
		flock(fd, LOCK_EX);
	}
	recover(root);
	return fd;
}

int fwc_pin_lock_shared(const char *root, int timeout_ms)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (int waited = 0; flock(fd, LOCK_SH | LOCK_NB); waited += 10) {
		if (errno != EWOULDBLOCK || waited >= timeout_ms) {
			close(fd);
			return -EWOULDBLOCK;
		}
		usleep(10000);
	}
	return fd;
}

/*
 * bpffs refuses names with a dot, and VLAN interfaces are called eth0.100:
 * their directory is eth0:100 (interface names cannot hold a colon).
 */
int fwc_pin_dir(const char *root, const char *iface, char *buf, size_t n)
{
	size_t len = strlen(root);

	if ((size_t)snprintf(buf, n, "%s/%s", root, iface) >= n)
		return -ENAMETOOLONG;
	for (char *p = buf + len + 1; *p; p++)
		if (*p == '.')
			*p = ':';
	return 0;
}

void fwc_pin_iface(const char *dirname, char *buf, size_t n)
{
	snprintf(buf, n, "%s", dirname);
	for (char *p = buf; *p; p++)
		if (*p == ':')
			*p = '.';
}

static int pin_path(char *buf, size_t n, const char *dir, const char *name,
		    const char *suffix)
{
	if ((size_t)snprintf(buf, n, "%s/%s%s", dir, name, suffix) >= n)
		return -ENAMETOOLONG;
	return 0;
}

int fwc_pin_get(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (pin_path(path, sizeof(path), dir, name, ""))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int fwc_set_open(const char *dir, struct fwc_set *s)
{
	int err = 0;

	fwc_set_init(s);
	s->prog = fwc_pin_get(dir, FWC_PIN_PROG);
	if (s->prog < 0) {
		err = s->prog;
		goto out;
	}
	for (int i = 0; i < FWC_M_COUNT; i++) {
		s->maps[i] = fwc_pin_get(dir, fwc_map_names[i]);
		/*
		 * A set loaded by an fwc of ABI 3 has no v6_range, one of an
		 * fwc before exact carry-over no carried, one before ABI 6
		 * no rpc maps, one before ABI 7 no group maps: reloadable.
		 */
		if (s->maps[i] == -ENOENT &&
		    (i == FWC_M_V6_RANGE || i == FWC_M_CARRIED ||
		     i == FWC_M_RPC_IFACES || i == FWC_M_PINHOLES ||
		     i == FWC_M_PINHOLE_PORTS || i == FWC_M_EPM_CALLS ||
		     i == FWC_M_GROUPS || i == FWC_M_GMAP || i == FWC_M_SLOTS ||
		     i == FWC_M_GLIST))
			continue;
		if (s->maps[i] < 0) {
			err = s->maps[i];
			goto out;
		}
	}
out:
	if (err)
		fwc_set_close(s);
	return err;
}

int fwc_pin_link(const char *dir)
{
	return fwc_pin_get(dir, FWC_PIN_LINK);
}

int fwc_pin_obj(int fd, const char *dir, const char *name, const char *suffix)
{
	char path[PATH_MAX];
	int err;

	err = pin_path(path, sizeof(path), dir, name, suffix);
	if (err)
		return err;
	/* A NAME-new left by a load that was killed is stale: replace it. */
	unlink(path);
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		fprintf(stderr, "fwc: cannot pin %s: %s\n", path,
			strerror(errno));
	}
	return err;
}

int fwc_set_pin(const struct fwc_set *s, int link, const char *dir,
		const char *suffix)
{
	int err;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "fwc: cannot create %s: %s\n", dir,
			strerror(errno));
		return -errno;
	}
	err = fwc_pin_obj(s->prog, dir, FWC_PIN_PROG, suffix);
	for (int i = 0; !err && i < FWC_M_COUNT; i++)
		err = fwc_pin_obj(s->maps[i], dir, fwc_map_names[i], suffix);
	if (!err && link >= 0)
		err = fwc_pin_obj(link, dir, FWC_PIN_LINK, suffix);
	return err;
}

static int rename_one(const char *dir, const char *name, const char *suffix)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (pin_path(from, sizeof(from), dir, name, suffix) ||
	    pin_path(to, sizeof(to), dir, name, ""))
		return -ENAMETOOLONG;
	if (rename(from, to)) {
		fprintf(stderr, "fwc: cannot rename %s to %s: %s\n", from, to,
			strerror(errno));
		return -errno;
	}
	return 0;
}

/* Maps of an earlier ABI that this one has not: pinned by an older fwc. */
static const char *const fwc_retired_pins[] = {
	"gmask", /* ABI 7's group masks, in gmap since ABI 8 */
};

/* A retired map's pin, left by a set of an older fwc: its set is gone. */
static void unlink_retired(const char *dir)
{
	char path[PATH_MAX];

	for (size_t i = 0;
	     i < sizeof(fwc_retired_pins) / sizeof(fwc_retired_pins[0]); i++)
		if (!pin_path(path, sizeof(path), dir, fwc_retired_pins[i],
			      "") &&
		    unlink(path) && errno != ENOENT)
			fprintf(stderr, "fwc: cannot remove %s: %s\n", path,
				strerror(errno));
}

int fwc_pin_commit(const char *dir, const char *suffix, bool link)
{
	int err = 0, e;

	/* Keep going after an error: every pin renamed is one less stale. */
	for (int i = 0; i < FWC_M_COUNT; i++) {
		e = rename_one(dir, fwc_map_names[i], suffix);
		err = err ? err : e;
	}
	e = rename_one(dir, FWC_PIN_PROG, suffix);
	err = err ? err : e;
	if (link) {
		e = rename_one(dir, FWC_PIN_LINK, suffix);
		err = err ? err : e;
	}
	if (!err)
		unlink_retired(dir);
	return err;
}

void fwc_pin_discard(const char *dir, const char *suffix)
{
	char path[PATH_MAX];

	for (int i = 0; i < FWC_M_COUNT; i++)
		if (!pin_path(path, sizeof(path), dir, fwc_map_names[i],
			      suffix))
			unlink(path);
	if (!pin_path(path, sizeof(path), dir, FWC_PIN_PROG, suffix))
		unlink(path);
	if (!pin_path(path, sizeof(path), dir, FWC_PIN_LINK, suffix))
		unlink(path);
}

int fwc_pin_remove_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (pin_path(path, sizeof(path), dir, de->d_name, "") ||
		    unlink(path)) {
			err = err ? err : -errno;
			fprintf(stderr, "fwc: cannot remove %s/%s: %s\n", dir,
				de->d_name, strerror(errno));
		}
	}
	closedir(d);
	if (rmdir(dir) && !err) {
		err = -errno;
		fprintf(stderr, "fwc: cannot remove %s: %s\n", dir,
			strerror(errno));
	}
	return err;
}

uint32_t fwc_obj_id(int fd)
{
	/* bpf_map_info and bpf_prog_info both start with type and id. */
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/*
 * BTF for struct fwc_info, struct fwc_rule_record and struct fwc_counter,
 * so that `bpftool map dump` prints field names and strings, as it does
 * for the program's maps.
 */
struct btf_ids {
	int u32, u64, u8, chr;
	int info, rec, counter;
};

static int rec_array(struct btf *b, const struct btf_ids *t, int elem, int n)
{
	return btf__add_array(b, t->u32, elem, n);
}

#define FIELD(b, st, name, type) \
	btf__add_field(b, #name, type, offsetof(st, name) * 8, 0)

static int btf_add_info(struct btf *b, struct btf_ids *t)
{
	/* Array types first: a struct's fields must follow it directly. */
	int name = rec_array(b, t, t->chr, FWC_IFNAME_LEN);
	int mode = rec_array(b, t, t->chr, FWC_MODE_LEN);
	int sha = rec_array(b, t, t->chr, FWC_INFO_HASH_LEN);
	int path = rec_array(b, t, t->chr, FWC_INFO_PATH_LEN);
	int ifc, ifcs, err = 0;

	ifc = btf__add_struct(b, "fwc_info_iface",
			      sizeof(struct fwc_info_iface));
	err |= FIELD(b, struct fwc_info_iface, name, name);
	err |= FIELD(b, struct fwc_info_iface, ifindex, t->u32);
	err |= FIELD(b, struct fwc_info_iface, mode, mode);
	err |= FIELD(b, struct fwc_info_iface, pad, t->u32);
	if (ifc < 0 || err < 0)
		return -EINVAL;

	ifcs = rec_array(b, t, ifc, FWC_INFO_IFACES);
	t->info = btf__add_struct(b, "fwc_info", sizeof(struct fwc_info));
	err |= FIELD(b, struct fwc_info, abi_version, t->u32);
	err |= FIELD(b, struct fwc_info, n_rules, t->u32);
	err |= FIELD(b, struct fwc_info, loaded_at, t->u64);
	err |= FIELD(b, struct fwc_info, sha256, sha);
	err |= FIELD(b, struct fwc_info, policy, path);
	err |= FIELD(b, struct fwc_info, source, path);
	err |= FIELD(b, struct fwc_info, n_ifaces, t->u32);
	err |= FIELD(b, struct fwc_info, pad, t->u32);
	err |= FIELD(b, struct fwc_info, ifaces, ifcs);
	return t->info < 0 || ifcs < 0 || err < 0 ? -EINVAL : 0;
}

static int btf_add_record(struct btf *b, struct btf_ids *t)
{
	int hash = rec_array(b, t, t->u8, 32);
	int label = rec_array(b, t, t->chr, FWC_RULE_LABEL_LEN);
	int text = rec_array(b, t, t->chr, FWC_RULE_TEXT_LEN);
	int err = 0;

	t->rec = btf__add_struct(b, "fwc_rule_record",
				 sizeof(struct fwc_rule_record));
	err |= FIELD(b, struct fwc_rule_record, id, t->u32);
	err |= FIELD(b, struct fwc_rule_record, line, t->u32);
	err |= FIELD(b, struct fwc_rule_record, has_label, t->u32);
	err |= FIELD(b, struct fwc_rule_record, pad, t->u32);
	err |= FIELD(b, struct fwc_rule_record, text_sha256, hash);
	err |= FIELD(b, struct fwc_rule_record, label, label);
	err |= FIELD(b, struct fwc_rule_record, text, text);
	return t->rec < 0 || err < 0 ? -EINVAL : 0;
}

static int btf_add_counter(struct btf *b, struct btf_ids *t)
{
	int err = 0;

	t->counter =
		btf__add_struct(b, "fwc_counter", sizeof(struct fwc_counter));
	err |= FIELD(b, struct fwc_counter, packets, t->u64);
	err |= FIELD(b, struct fwc_counter, bytes, t->u64);
	return t->counter < 0 || err < 0 ? -EINVAL : 0;
}

static struct btf *btf_records(struct btf_ids *t)
{
	struct btf *b = btf__new_empty();

	if (!b)
		return NULL;
	t->u32 = btf__add_int(b, "unsigned int", 4, 0);
	t->u64 = btf__add_int(b, "long long unsigned int", 8, 0);
	t->u8 = btf__add_int(b, "unsigned char", 1, 0);
	t->chr = btf__add_int(b, "char", 1, BTF_INT_CHAR);
	if (t->u32 < 0 || t->u64 < 0 || t->u8 < 0 || t->chr < 0 ||
	    btf_add_info(b, t) || btf_add_record(b, t) ||
	    btf_add_counter(b, t) || btf__load_into_kernel(b)) {
		btf__free(b);
		return NULL;
	}
	return b;
}

static int record_map(struct btf *b, const char *name, int type, uint32_t vsz,
		      uint32_t n)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .btf_fd = btf__fd(b),
		    .btf_key_type_id = 1, .btf_value_type_id = type);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32), vsz, n,
				&opts);

	return fd < 0 ? -errno : fd;
}

int fwc_records_create(struct fwc_set *s, uint32_t n_rules)
{
	struct btf_ids t;
	struct btf *b = btf_records(&t);
	int err = 0;

	if (!b) {
		fprintf(stderr, "fwc: the kernel refused the BTF of the "
				"loader's record maps\n");
		return -EINVAL;
	}
	/* Key type: t.u32 is the first type added, id 1. */
	s->maps[FWC_M_INFO] =
		record_map(b, "info", t.info, sizeof(struct fwc_info), 1);
	s->maps[FWC_M_RULE_META] = record_map(b, "rule_meta", t.rec,
					      sizeof(struct fwc_rule_record),
					      n_rules + 1);
	/*
	 * What earlier loads counted, by counter id: written by the loader
	 * alone, never by a program (kernel/load.c, carry_snapshot).
	 */
	s->maps[FWC_M_CARRIED] = record_map(b, "carried", t.counter,
					    sizeof(struct fwc_counter),
					    n_rules + 1 + FWC_RSV_COUNT);
	for (int i = FWC_M_INFO; !err && i <= FWC_M_CARRIED; i++)
		if (s->maps[i] < 0)
			err = s->maps[i];
	if (err)
		fprintf(stderr, "fwc: cannot create the record maps: %s\n",
			strerror(-err));
	/* The maps hold their own reference to the BTF. */
	btf__free(b);
	return err;
}
