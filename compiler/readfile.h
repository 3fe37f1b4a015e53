/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Reading a policy or an artifact whole: regular files and stdin only. */
#ifndef FWC_READFILE_H
#define FWC_READFILE_H

#include <stdbool.h>
#include <stddef.h>

/* Largest file fwc reads: no policy, no artifact comes near it. */
#define FWC_MAX_FILE_BYTES (64u << 20)

/*
 * Reads the whole of @path ("-": standard input) into a NUL-terminated
 * buffer; 0, or -errno: -EISDIR for a directory, -ESPIPE for anything
 * else that is not a regular file (a FIFO, a device, a socket: never
 * waited on), -EFBIG past FWC_MAX_FILE_BYTES.
 */
int fwc_read_file(const char *path, char **text, size_t *len);
/* What fwc_read_file()'s @err means, for "cannot read policy: %s". */
const char *fwc_read_error(int err);
/*
 * @path is a regular file (finding out never blocks): callers that open a
 * path twice (fwc_artifact_probe(), then a read) ask this first.
 */
bool fwc_file_regular(const char *path);

#endif /* FWC_READFILE_H */
