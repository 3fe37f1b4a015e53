// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Instances of fwc@.service: what `fwc load --instance NAME` enforces.
 *
 * /etc/fwc/fwc.conf (or --conf, or $FWC_CONF), one instance a line:
 *
 *	NAME  POLICY  IFACE...  [mode=native|generic|auto]
 *	                        [unload-on-stop=yes|no]
 *
 * '#' starts a comment; a relative POLICY is relative to the directory
 * of the file. A NAME without a line is the interface NAME enforcing
 * NAME.pol from that directory: fwc@eth1 loads /etc/fwc/eth1.pol on eth1.
 */
#include <errno.h>
#include <libgen.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ops.h"

const char *fwc_conf_path(const char *opt)
{
	const char *env = getenv(FWC_CONF_ENV);

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return FWC_CONF_DEFAULT;
}

void fwc_instance_free(struct fwc_instance *in)
{
	for (int i = 0; i < in->n_ifaces; i++)
		free(in->ifaces[i]);
	free(in->ifaces);
	memset(in, 0, sizeof(*in));
}

static int conf_error(const char *conf, unsigned int line, const char *msg,
		      const char *what)
{
	fprintf(stderr, "%s:%u: error: %s%s%s%s\n", conf, line, msg,
		what ? " '" : "", what ? what : "", what ? "'" : "");
	return -EINVAL;
}

/* POLICY relative to the directory of @conf. */
static int policy_path(const char *conf, const char *policy, char *out,
		       size_t n)
{
	char *copy = strdup(conf);
	int len;

	if (!copy)
		return -ENOMEM;
	len = policy[0] == '/' ?
		      snprintf(out, n, "%s", policy) :
		      snprintf(out, n, "%s/%s", dirname(copy), policy);
	free(copy);
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

static int option(struct fwc_instance *in, const char *conf, unsigned int line,
		  const char *tok)
{
	const char *v = strchr(tok, '=') + 1;

	if (!strncmp(tok, "mode=", 5)) {
		if (fwc_mode_parse(v, &in->mode))
			return conf_error(conf, line,
					  "mode is native, generic "
					  "or auto, not",
					  v);
		in->mode_set = true;
	} else if (!strncmp(tok, "unload-on-stop=", 15)) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return conf_error(conf, line,
					  "unload-on-stop is yes "
					  "or no, not",
					  v);
		in->unload_on_stop = !strcmp(v, "yes");
	} else {
		return conf_error(conf, line, "unknown option", tok);
	}
	return 0;
}

static int add_iface(struct fwc_instance *in, const char *name)
{
	char **v = realloc(in->ifaces, (in->n_ifaces + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	in->ifaces = v;
	in->ifaces[in->n_ifaces] = strdup(name);
	return in->ifaces[in->n_ifaces++] ? 0 : -ENOMEM;
}

/* One line split at blanks; fills @in when its NAME is @name. */
static int conf_line(char *s, const char *conf, unsigned int line,
		     const char *name, struct fwc_instance *in, bool *found)
{
	char *tok[3] = { 0 }, *save = NULL, *t;
	bool mine;
	int n = 0, err = 0;

	s[strcspn(s, "#\r\n")] = '\0';
	for (t = strtok_r(s, " \t", &save); t && n < 2;
	     t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	if (!n)
		return 0;
	if (n < 2 || !t)
		return conf_error(conf, line, "expected NAME POLICY IFACE...",
				  NULL);
	mine = !strcmp(tok[0], name);
	if (mine && *found)
		return conf_error(conf, line, "a second line for instance",
				  name);
	if (mine) {
		*found = true;
		err = policy_path(conf, tok[1], in->policy, sizeof(in->policy));
	}
	for (; !err && t; t = strtok_r(NULL, " \t", &save)) {
		if (strchr(t, '='))
			err = mine ? option(in, conf, line, t) : 0;
		else if (strlen(t) >= IF_NAMESIZE)
			err = conf_error(conf, line, "interface name too long",
					 t);
		else if (mine)
			err = add_iface(in, t);
	}
	if (!err && mine && !in->n_ifaces)
		err = conf_error(conf, line, "no interface for instance", name);
	return err;
}

int fwc_instance_resolve(const char *name, const char *conf,
			 struct fwc_instance *in)
{
	unsigned int line = 0;
	bool found = false;
	char *buf = NULL;
	size_t cap = 0;
	int err = 0;
	FILE *f;

	memset(in, 0, sizeof(*in));
	in->unload_on_stop = -1;
	snprintf(in->name, sizeof(in->name), "%s", name);
	if (!*name || strchr(name, '/')) {
		fprintf(stderr, "fwc: '%s' is not an instance name\n", name);
		return -EINVAL;
	}
	f = fopen(conf, "r");
	if (!f && errno != ENOENT) {
		fprintf(stderr, "fwc: cannot read %s: %s\n", conf,
			strerror(errno));
		return -errno;
	}
	while (f && !err && getline(&buf, &cap, f) > 0)
		err = conf_line(buf, conf, ++line, name, in, &found);
	free(buf);
	if (f)
		fclose(f);
	if (!err && !found) {
		char file[NAME_MAX + 8];

		snprintf(file, sizeof(file), "%s.pol", name);
		err = policy_path(conf, file, in->policy, sizeof(in->policy));
		if (!err && access(in->policy, F_OK)) {
			fprintf(stderr,
				"fwc: instance %s: no line in %s and "
				"no %s\n",
				name, conf, in->policy);
			err = -ENOENT;
		}
		if (!err)
			err = add_iface(in, name);
	}
	if (err)
		fwc_instance_free(in);
	return err;
}

bool fwc_unload_on_stop(const struct fwc_instance *in)
{
	const char *env = getenv("FWC_UNLOAD_ON_STOP");

	if (in->unload_on_stop >= 0)
		return in->unload_on_stop;
	return env && (!strcmp(env, "yes") || !strcmp(env, "true") ||
		       !strcmp(env, "1"));
}

void fwc_ifaces_wait(char **ifaces, int n, double seconds)
{
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	bool told = false;

	for (double waited = 0; waited < seconds; waited += 0.1) {
		int missing = -1;

		for (int i = 0; missing < 0 && i < n; i++)
			if (!if_nametoindex(ifaces[i]))
				missing = i;
		if (missing < 0)
			return;
		if (!told)
			fprintf(stderr,
				"fwc: waiting up to %gs for %s to "
				"appear\n",
				seconds, ifaces[missing]);
		told = true;
		nanosleep(&tick, NULL);
	}
}
