// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The state directory (STATE: $FWC_STATE_DIR, else /run/fwc) and the
 * record every load keeps in it.
 *
 * Every successful load keeps its tables as an artifact in
 * STATE/IFACE/current.fwca, written under a temporary name and renamed,
 * so that it is always whole: what a later fwc load --confirm rolls back
 * to (ops/confirm.c).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "kernel.h"

const char *fwc_state_dir(void)
{
	const char *env = getenv(FWC_STATE_ENV);

	return env && *env ? env : FWC_STATE_DEFAULT;
}

int fwc_state_path(char *buf, size_t n, const char *iface, const char *name)
{
	if ((size_t)snprintf(buf, n, "%s/%s%s%s", fwc_state_dir(), iface,
			     name ? "/" : "", name ? name : "") >= n)
		return -ENAMETOOLONG;
	return 0;
}

/* STATE/IFACE, made if needed. */
int fwc_state_iface_dir(const char *iface, char *buf, size_t n)
{
	int err = fwc_state_path(buf, n, iface, NULL);

	return err ? err : fwc_mkdirs(buf);
}

/* Hard-links @from to @to atomically (a temporary name, renamed). */
int fwc_link_over(const char *from, const char *to)
{
	char tmp[PATH_MAX + 8];
	int err = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", to) >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	if (link(from, tmp) || rename(tmp, to))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* The bytes of @from into @to (an artifact loaded as it is). */
static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	char buf[1 << 16];
	size_t n;
	int err = 0;

	if (!in || !out)
		err = -errno;
	while (!err && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			err = -EIO;
	if (!err && ferror(in))
		err = -EIO;
	if (in)
		fclose(in);
	if (out && fclose(out) && !err)
		err = -EIO;
	return err;
}

static void *record_write(void *arg)
{
	struct fwc_state_rec *r = arg;

	/*
	 * An artifact loaded unchanged is its own record: a copy of its
	 * bytes, not the tables written again (ipc 100k: 190 MiB of tables,
	 * 11 MiB of file). Else zlib level 1: 0.6 s at level 6 for 100k.
	 */
	if (r->artifact)
		r->err = copy_file(r->artifact, r->tmp);
	else
		r->err = fwc_artifact_write_level(r->t, r->tmp, 1);
	return NULL;
}

int fwc_state_begin(struct fwc_state_rec *r, const struct fwc_tables *t,
		    const char *artifact)
{
	int fd, err = fwc_mkdirs(fwc_state_dir());

	memset(r, 0, sizeof(*r));
	r->artifact = artifact;
	r->t = malloc(sizeof(*r->t));
	if (!r->t)
		return r->err = -ENOMEM;
	*r->t = *t;
	if (err)
		return r->err = err;
	if ((size_t)snprintf(r->tmp, sizeof(r->tmp), "%s/.current-XXXXXX",
			     fwc_state_dir()) >= sizeof(r->tmp))
		return r->err = -ENAMETOOLONG;
	fd = mkstemp(r->tmp);
	if (fd < 0) {
		r->tmp[0] = '\0';
		return r->err = -errno;
	}
	close(fd);
	if (!pthread_create(&r->thread, NULL, record_write, r))
		r->running = true;
	else
		record_write(r);
	return 0;
}

int fwc_state_end(struct fwc_state_rec *r, char **ifaces, int n, bool keep)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int err;

	if (r->running)
		pthread_join(r->thread, NULL);
	r->running = false;
	free(r->t); /* the copy's shell: the arrays are the load's */
	r->t = NULL;
	err = r->err;
	/* One artifact, hard-linked into every interface's directory. */
	for (int i = 0; keep && !err && i < n; i++) {
		err = fwc_state_iface_dir(ifaces[i], dir, sizeof(dir));
		if (!err)
			err = fwc_state_path(path, sizeof(path), ifaces[i],
					     FWC_STATE_CURRENT);
		if (!err)
			err = fwc_link_over(r->tmp, path);
	}
	if (r->tmp[0])
		unlink(r->tmp);
	r->tmp[0] = '\0';
	return err;
}
