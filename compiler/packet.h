/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The packet notation of `fwc test`: PROTO SRC[:PORT] -> DST[:PORT]. */
#ifndef FWC_PACKET_H
#define FWC_PACKET_H

#include <stddef.h>

#include "tables.h"

/*
 * Parses @text into @pkt. On error returns -EINVAL and writes a message
 * (and the column it is about, 0-based) to @err/@col.
 */
int fwc_packet_parse(const char *text, struct fwc_packet *pkt, char *err,
		     size_t err_len, size_t *col);
/* Formats @pkt back into the notation. */
void fwc_packet_format(const struct fwc_packet *pkt, char *buf, size_t len);

#endif /* FWC_PACKET_H */
