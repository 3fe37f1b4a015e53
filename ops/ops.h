/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Operator features on top of kernel/: status and stats (stats.c), the
 * live table (watch.c), Prometheus (metrics.c), the flows listing
 * (flows.c), the deny log reader (log.c), commit-confirmed loads
 * (confirm.c), the lockout guard (guard.c), fwc.conf instances (conf.c),
 * the picture of a policy with its counters (graph_cmd.c). cli/ turns
 * command lines into these calls.
 */
#ifndef FWC_OPS_H
#define FWC_OPS_H

#include <stdbool.h>
#include <string.h>

#include "kernel.h"

/* Is interface @name among @ifaces (every one when @n is 0)? */
static inline bool fwc_iface_wanted(const char *name, char **ifaces, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(name, ifaces[i]))
			return true;
	return !n;
}

/* conf.c: instances of fwc@.service (fwc load --instance NAME) */
#define FWC_CONF_DEFAULT "/etc/fwc/fwc.conf"
#define FWC_CONF_ENV "FWC_CONF"

struct fwc_instance {
	char name[NAME_MAX + 1];
	char policy[PATH_MAX];
	char **ifaces;
	int n_ifaces;
	enum fwc_mode mode;
	bool mode_set;
	int unload_on_stop; /* -1: not said, 0, 1 */
};

/* The configuration file: @opt (--conf), else $FWC_CONF, else default. */
const char *fwc_conf_path(const char *opt);
/* Policy and interfaces of instance @name per @conf; errors are told. */
int fwc_instance_resolve(const char *name, const char *conf,
			 struct fwc_instance *in);
void fwc_instance_free(struct fwc_instance *in);
/* unload-on-stop of @in, else $FWC_UNLOAD_ON_STOP (yes), else no. */
bool fwc_unload_on_stop(const struct fwc_instance *in);
/* Waits up to @seconds until every interface exists. */
void fwc_ifaces_wait(char **ifaces, int n, double seconds);

/* metrics.c: Prometheus text exposition format, and an HTTP endpoint */
int fwc_metrics_print(const char *root, char **ifaces, int n, FILE *f);
int fwc_metrics_listen(const char *root, char **ifaces, int n,
		       const char *addr);

/* watch.c: the live table of fwc stats --watch */
enum fwc_sort {
	FWC_SORT_RULE,
	FWC_SORT_PACKETS,
	FWC_SORT_BYTES,
	FWC_SORT_RATE
};

struct fwc_watch_opts {
	double interval; /* seconds */
	enum fwc_sort sort;
	const char *filter; /* NULL: every row */
	long count;	    /* frames; 0: until q or a signal */
};

int fwc_sort_parse(const char *s, enum fwc_sort *out);
int fwc_watch(const char *root, char **ifaces, int n,
	      const struct fwc_watch_opts *o);

/* guard.c: the lockout guard (SSH_CONNECTION, --keep) */
/* 0 to go on; -EPERM when @t would drop a session (told). */
int fwc_guard_check(const struct fwc_load_opts *o, const struct fwc_tables *t);

/* confirm.c: commit-confirmed loads */
/* fwc confirm: calls off the rollback of the loads of @ifaces (all: n 0). */
int fwc_confirm(char **ifaces, int n);
/* fwc load --confirm SECONDS: load, roll back unless confirmed. */
int fwc_confirm_load(const struct fwc_load_opts *o, double seconds);
/* fwc status: a pending confirmation of @iface (running @prog_id). */
void fwc_confirm_status(const char *root, const char *iface, uint32_t prog_id,
			bool json);

/* explain.c: what fwc status says of an interface, from these facts */
struct fwc_iface_facts {
	const char *name;
	int ifindex;		   /* of the name now; 0: no such interface */
	bool link;		   /* a link is pinned (and readable) */
	uint32_t link_ifindex;	   /* the link's interface; 0: detached */
	uint32_t link_prog;	   /* the program the link runs */
	uint32_t recorded_ifindex; /* in the load's records; 0: none */
	uint32_t xdp_id;	   /* the XDP program it runs; 0: none */
	const char *xdp_name;
	uint32_t pinned_prog; /* the program pinned as prog; 0: none */
	bool complete;	      /* every pin of the set is there */
	int n_pins;	      /* pins of a set present */
	const char *missing;  /* those absent, "a, b" */
	bool stale_new;	      /* NAME-new pins of an interrupted load */
	bool broken;	      /* records or link unreadable, told already */
};

/*
 * A half state of @f explained into @why (empty when all is well);
 * returns whether an fwc program enforces on the interface.
 */
bool fwc_iface_explain(const struct fwc_iface_facts *f, char *why, size_t len);

/* stats.c */
int fwc_status(const char *root, char **ifaces, int n_ifaces, bool json);
int fwc_stats(const char *root, char **ifaces, int n_ifaces, bool json);

/* One counter of a loaded set, as fwc stats shows it. */
struct fwc_stat_row {
	uint32_t id;   /* rule id, or n_rules + 1 + FWC_RSV_* */
	uint32_t line; /* 0: default rule, reserved counters */
	bool reserved, has_label;
	const char *action;		/* "allow", "deny", "pass", "drop" */
	char label[FWC_RULE_LABEL_LEN]; /* or a reserved counter's name */
	char text[FWC_RULE_TEXT_LEN];
	struct fwc_counter c;
};

/* A loaded set: its interfaces (as selected) share these counters. */
struct fwc_stat_set {
	uint32_t counters_id; /* tells sets apart across reads */
	struct fwc_info info;
	char ifaces[FWC_INFO_IFACES][FWC_IFNAME_LEN];
	int n_ifaces;
	struct fwc_stat_row *rows; /* rules in policy order, 0, reserved */
	uint32_t n_rows, n_rules;
};

/* An interface directory under the root. */
struct fwc_stat_iface {
	char name[NAME_MAX + 1];
	bool enforcing;
	char state[1024]; /* "attached", or what is wrong */
};

struct fwc_snapshot {
	struct timespec at; /* CLOCK_MONOTONIC */
	struct fwc_stat_set *sets;
	int n_sets;
	struct fwc_stat_iface *ifaces;
	int n_ifaces;
};

/*
 * Reads every set pinned under @root whose interfaces are among @ifaces
 * (all when @n_ifaces is 0); an interface with nothing pinned is left out.
 */
int fwc_snapshot_read(const char *root, char **ifaces, int n_ifaces,
		      struct fwc_snapshot *s);
void fwc_snapshot_free(struct fwc_snapshot *s);

/* flows.c: fwc flows, as text or JSON, or --flush */
int fwc_flows_show(const char *root, char **ifaces, int n_ifaces, bool json,
		   bool flush);

/* flows.c too: fwc pinholes, the MS-RPC pinholes (bpf/rpc.h) */
int fwc_pinholes_show(const char *root, char **ifaces, int n_ifaces, bool json);

/* log.c: fwc log, what piled up since the last read, or --follow */
int fwc_log_show(const char *root, char **ifaces, int n, bool json,
		 bool follow);

/*
 * graph_cmd.c: fwc graph (@dot) and fwc matrix of @policy, with the
 * counters of @iface (or NULL) under @root; -EBADMSG when the compiler
 * has said why not.
 */
int fwc_graph_show(const char *policy, const char *iface, const char *root,
		   bool dot);

#endif /* FWC_OPS_H */
