/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Exit codes of fwc, as documented in fwc(8): cli/ ends every command
 * with one, and the watchdog of fwc load --confirm (ops/confirm.c) with
 * the status its load relays.
 */
#ifndef FWC_EXIT_H
#define FWC_EXIT_H

enum fwc_exit {
	FWC_EXIT_ALLOW = 0, /* success; fwc test: the packet is allowed */
	FWC_EXIT_DENY = 1,  /* fwc test: the packet is denied */
	FWC_EXIT_ERR = 2,   /* any error */
};

#endif /* FWC_EXIT_H */
