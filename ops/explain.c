// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fwc status's explanations: what an interface's pins and the kernel say
 * (read by ops/stats.c), as one state. Pure: unit-tested without root
 * (tests/unit/test_ops.c).
 */
#include <stdio.h>
#include <string.h>

#include "ops.h"

/*
 * What an interface's pins and the kernel say, as one state. Complete
 * pins and a link that runs the pinned program here: enforcing, fine
 * (exit 0). Anything else is a half state, each with its true
 * explanation and what to do (exit 2):
 *
 *   pins complete, link detached, the interface the load saw (or one
 *     the load's records no longer list: an unload forgets it first):
 *     an unload killed after its detach; not enforcing
 *   pins complete, link detached, another ifindex of that name: the
 *     interface was deleted and made again; not enforcing
 *   pins complete, link detached, no such interface: deleted
 *   pins complete, no link pinned: not enforcing
 *   pins complete, the link drives another ifindex: another interface
 *     or network namespace
 *   pins complete, the link runs another program than the pinned one:
 *     an interrupted load
 *   some pins missing, the link (or an fwc program) runs here: enforcing,
 *     but status, stats and reload lack what is missing
 *   some pins missing, nothing of fwc runs: an unload killed while it
 *     removed the pins, or pins removed by hand; not enforcing
 *   no pins, an fwc program runs here: enforcing, and nothing to see or
 *     replace it by
 *   no pins, nothing runs: an empty directory; not enforcing
 *   some pins NAME-new: a load killed while it renamed them (the next
 *     fwc load or unload completes or removes them)
 *
 * NAME-new pins of an interrupted load may come on top of any of these,
 * and so may an XDP program that something else attached.
 */
bool fwc_iface_explain(const struct fwc_iface_facts *f, char *why, size_t len)
{
	bool link_here, fwc_runs, complete = f->complete, enforcing;
	const char *n = f->name, *missing = f->missing ? f->missing : "";
	const char *xdp_name = f->xdp_name ? f->xdp_name : "";
	char other[160] = "";

	why[0] = '\0';
	link_here = f->link && f->link_ifindex &&
		    (int)f->link_ifindex == f->ifindex &&
		    f->xdp_id == f->link_prog;
	/*
	 * An fwc program, by its name (what else a bare directory can
	 * tell), and the pinned one when prog is pinned.
	 */
	fwc_runs = link_here ||
		   (f->xdp_id && !strcmp(xdp_name, "fwc_xdp") &&
		    (!f->pinned_prog || f->pinned_prog == f->xdp_id));
	if (f->xdp_id && !link_here && (complete || !fwc_runs))
		snprintf(other, sizeof(other),
			 "; %.16s runs XDP program %u "
			 "(%s) that something else attached",
			 n, f->xdp_id, xdp_name);
	enforcing = link_here;
	if (f->broken && complete)
		return enforcing; /* unreadable records or link */
	if (!complete && f->stale_new) {
		snprintf(why, len,
			 "half-made pins of an "
			 "interrupted load (the next fwc load or unload "
			 "completes or removes them)%s%s",
			 fwc_runs ? "; an fwc program enforces meanwhile" :
				    "; nothing enforces meanwhile",
			 other);
	} else if (!complete && !f->n_pins && fwc_runs) {
		enforcing = true;
		snprintf(why, len,
			 "enforcing without pins: %.16s runs XDP program %u "
			 "(%s) but nothing of it is pinned, so fwc status, "
			 "stats and load cannot see or replace it (ip link "
			 "set dev %.16s xdp off, or xdpgeneric off, then fwc "
			 "load again)",
			 n, f->xdp_id, xdp_name, n);
	} else if (!complete && !f->n_pins) {
		snprintf(why, len,
			 "not enforcing: nothing pinned and nothing "
			 "attached (an interrupted unload, or pins removed "
			 "by hand): fwc unload %.16s removes the directory, "
			 "fwc load loads again%s",
			 n, other);
	} else if (!complete && fwc_runs && f->link) {
		enforcing = true;
		snprintf(why, len,
			 "enforcing, but pins missing: %s: fwc stats and a "
			 "reload that carries counters and flows cannot work; "
			 "fwc load again to repair",
			 missing);
	} else if (!complete && fwc_runs) {
		enforcing = true;
		snprintf(
			why, len,
			"enforcing, but pins missing: %s, link: XDP program %u "
			"(%s) runs without a pinned link, so fwc load cannot "
			"replace it (ip link set dev %.16s xdp off, or "
			"xdpgeneric off, then fwc load again)",
			missing, f->xdp_id, xdp_name, n);
	} else if (!complete) {
		snprintf(why, len,
			 "not enforcing: pins missing: %s%s, and no fwc "
			 "program attached (an interrupted unload, or pins "
			 "removed by hand): fwc unload %.16s removes the rest, "
			 "fwc load loads again%s",
			 missing, !f->link ? ", link" : "", n, other);
	} else if (!f->link) {
		snprintf(why, len,
			 "pins without an attached "
			 "program: nothing enforces here (fwc load again, or "
			 "fwc unload)%s",
			 other);
	} else if (!f->link_ifindex && !f->ifindex) {
		snprintf(why, len,
			 "not enforcing: the interface is gone (deleted), "
			 "its pins remain: fwc unload %.16s removes them",
			 n);
	} else if (!f->link_ifindex && f->recorded_ifindex &&
		   f->recorded_ifindex != (uint32_t)f->ifindex) {
		snprintf(why, len,
			 "the pinned link is "
			 "detached (the interface was deleted and made "
			 "again): nothing enforces here (fwc load again)%s",
			 other);
	} else if (!f->link_ifindex) {
		snprintf(why, len,
			 "not enforcing: the program was detached but its "
			 "pins remain (an interrupted unload?); run fwc "
			 "unload %.16s to clean up or fwc load again%s",
			 n, other);
	} else if ((int)f->link_ifindex != f->ifindex ||
		   f->xdp_id != f->link_prog) {
		snprintf(why, len,
			 "the pinned link drives "
			 "ifindex %u, another interface or network namespace "
			 "(run fwc status there, or use another --bpffs)",
			 f->link_ifindex);
	} else if (f->pinned_prog != f->link_prog) {
		snprintf(why, len,
			 "the pinned tables are not "
			 "those of the running program %u (an interrupted "
			 "load: fwc load again)",
			 f->link_prog);
	}
	return enforcing;
}
