/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef FWC_SHA256_H
#define FWC_SHA256_H

#include <stddef.h>
#include <stdint.h>

void fwc_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
