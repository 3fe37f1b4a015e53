/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Commands that talk to the kernel (load, unload, status, stats). */
#ifndef FWC_CLI_H
#define FWC_CLI_H

/* Entries of fwc.c's command table; empty until the loader provides them. */
#define FWC_LOADER_COMMANDS

#endif /* FWC_CLI_H */
