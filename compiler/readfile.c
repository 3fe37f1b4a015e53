// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Reading files whole. A policy path may name anything: a FIFO (open would
 * wait for a writer), /dev/zero (endless, and st_size 0), /proc files
 * (regular, st_size 0, yet not empty). So: open without blocking, refuse
 * what is not a regular file, and read to the end, up to a bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "readfile.h"
#include "util.h"

/* Reads @fd to its end; @hint: the size it says it has. */
static int read_all(int fd, size_t hint, char **text, size_t *len)
{
	size_t cap = hint < FWC_MAX_FILE_BYTES ? hint + 1 : 4096, n = 0;
	char *buf = xcalloc(cap + 1, 1);

	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap > FWC_MAX_FILE_BYTES) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1, 1);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > FWC_MAX_FILE_BYTES) {
			free(buf);
			return -EFBIG;
		}
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

/* Opens @path without waiting on it; the fd of a regular file, or -errno. */
static int open_regular(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st))
		err = -errno;
	else if (S_ISDIR(st->st_mode))
		err = -EISDIR;
	else if (!S_ISREG(st->st_mode))
		err = -ESPIPE;
	else if (st->st_size > (off_t)FWC_MAX_FILE_BYTES)
		err = -EFBIG;
	/* Regular files do not block; reads should wait like any read. */
	else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int fwc_read_file(const char *path, char **text, size_t *len)
{
	struct stat st;
	int fd, err;

	if (!strcmp(path, "-"))
		return read_all(STDIN_FILENO, 0, text, len);
	fd = open_regular(path, &st);
	if (fd < 0)
		return fd;
	err = read_all(fd, (size_t)st.st_size, text, len);
	close(fd);
	return err;
}

const char *fwc_read_error(int err)
{
	switch (err) {
	case -ESPIPE:
		return "not a regular file (a FIFO, a device or a socket): "
		       "give a file, or - for standard input";
	case -EFBIG:
		return "larger than 64 MiB, more than any policy or artifact";
	default:
		return strerror(-err);
	}
}

bool fwc_file_regular(const char *path)
{
	struct stat st;
	int fd;

	if (!strcmp(path, "-"))
		return false;
	fd = open_regular(path, &st);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}
