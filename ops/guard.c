// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The lockout guard of fwc load: a policy that would drop the management
 * session fwc runs from is refused before anything is loaded, unless
 * --force.
 *
 * The sessions are SSH_CONNECTION ("client port server port", as sshd
 * sets it) and every --keep PACKET (fwc test notation, as the client
 * sends it: 'tcp 192.0.2.5 -> 198.51.100.1:22'). Each is classified as a
 * new packet arriving at the gateway, with the compiled tables: connection
 * tracking does not know a session that predates the load, so the rules
 * judge its next packet (with `set state on`, an allowed mid-stream packet
 * passes; on a reload the flow may be known, but a guard cannot count on
 * it).
 *
 * SSH_CONNECTION is checked only when the session can meet the policy:
 * its server address is local to this network namespace and the route
 * back to its client leaves by one of the interfaces loaded (the packets
 * of a symmetric path come in there). With asymmetric routing, name the
 * session with --keep, which is always checked. Audit mode never refuses:
 * it drops nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ops.h"
#include "packet.h"
#include "tables.h"

#define GUARD_ENV "SSH_CONNECTION"

/* One address of SSH_CONNECTION into @a (16 bytes); its family or 0. */
static int ssh_addr(const char *s, uint8_t *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	char buf[INET6_ADDRSTRLEN + 1];
	char *pct;

	snprintf(buf, sizeof(buf), "%s", s);
	pct = strchr(buf, '%'); /* fe80::1%eth0: the scope is no address */
	if (pct)
		*pct = '\0';
	memset(a, 0, 16);
	if (inet_pton(AF_INET, buf, a) == 1)
		return 4;
	if (inet_pton(AF_INET6, buf, a) != 1)
		return 0;
	/* sshd on :: sees IPv4 clients as ::ffff:a.b.c.d; the wire is v4. */
	if (!memcmp(a, mapped, sizeof(mapped))) {
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
		return 4;
	}
	return 6;
}

/* SSH_CONNECTION as the packet its client sends: -EINVAL when malformed. */
static int ssh_packet(const char *env, struct fwc_packet *p)
{
	char c[80], s[80]; /* %79s and its NUL: an address has room to spare */
	unsigned int cp, sp;
	int fc, fs;

	memset(p, 0, sizeof(*p));
	if (sscanf(env, "%79s %u %79s %u", c, &cp, s, &sp) != 4 || cp > 65535 ||
	    sp > 65535)
		return -EINVAL;
	fc = ssh_addr(c, p->src);
	fs = ssh_addr(s, p->dst);
	if (!fc || fc != fs)
		return -EINVAL;
	p->family = (uint8_t)fc;
	p->proto = 6;
	p->k1 = (uint16_t)sp;
	p->k2 = (uint16_t)cp;
	return 0;
}

/* Is @a (family @fam) an address of this network namespace? */
static bool local_addr(int fam, const uint8_t *a)
{
	struct ifaddrs *ifs, *i;
	bool found = false;

	if (getifaddrs(&ifs))
		return true; /* cannot tell: check the session */
	for (i = ifs; i && !found; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;

		if (!sa)
			continue;
		if (fam == 4 && sa->sa_family == AF_INET)
			found = !memcmp(
				&((const struct sockaddr_in *)sa)->sin_addr, a,
				4);
		else if (fam == 6 && sa->sa_family == AF_INET6)
			found = !memcmp(
				&((const struct sockaddr_in6 *)sa)->sin6_addr,
				a, 16);
	}
	freeifaddrs(ifs);
	return found;
}

/*
 * The interface the route to @a leaves by (RTM_GETROUTE, as `ip route
 * get`): an ifindex, 0 when there is no route, -errno when the kernel
 * could not be asked.
 */
static int route_oif(int fam, const uint8_t *a)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[64];
	} req;
	size_t alen = fam == 4 ? 4 : 16;
	char reply[8192];
	struct nlmsghdr *nh;
	struct rtattr *rta;
	int fd, len, oif = -EIO, attrlen;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.rt.rtm_family = fam == 4 ? AF_INET : AF_INET6;
	req.rt.rtm_dst_len = (unsigned char)(alen * 8);
	rta = (struct rtattr *)((char *)&req +
				NLMSG_ALIGN(NLMSG_LENGTH(sizeof(req.rt))));
	rta->rta_type = RTA_DST;
	rta->rta_len = RTA_LENGTH(alen);
	memcpy(RTA_DATA(rta), a, alen);
	req.nh.nlmsg_len = NLMSG_ALIGN(NLMSG_LENGTH(sizeof(req.rt))) +
			   RTA_ALIGN(rta->rta_len);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		oif = -errno;
		goto out;
	}
	len = (int)recv(fd, reply, sizeof(reply), 0);
	if (len < 0) {
		oif = -errno;
		goto out;
	}
	nh = (struct nlmsghdr *)reply;
	if (!NLMSG_OK(nh, (unsigned int)len))
		goto out;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		int e = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;

		/* No route: the session cannot run through here. */
		oif = e == -ENETUNREACH || e == -EHOSTUNREACH ? 0 : e;
		goto out;
	}
	attrlen = (int)RTM_PAYLOAD(nh);
	oif = 0;
	for (rta = RTM_RTA(NLMSG_DATA(nh)); RTA_OK(rta, attrlen);
	     rta = RTA_NEXT(rta, attrlen))
		if (rta->rta_type == RTA_OIF)
			oif = (int)*(uint32_t *)RTA_DATA(rta);
out:
	close(fd);
	return oif;
}

/* Can the SSH session @p meet the policy loaded on @o's interfaces? */
static bool ssh_crosses(const struct fwc_load_opts *o,
			const struct fwc_packet *p, char *via, size_t n)
{
	int oif;

	if (!local_addr(p->family, p->dst))
		return false; /* it ends in another host or namespace */
	oif = route_oif(p->family, p->src);
	if (oif == 0)
		return false;
	for (int i = 0; i < o->n_ifaces; i++) {
		if (oif > 0 &&
		    (unsigned int)oif != if_nametoindex(o->ifaces[i]))
			continue;
		/* Unknown route (-errno): every interface may carry it. */
		snprintf(via, n, "%s%s", oif > 0 ? "" : "maybe ", o->ifaces[i]);
		return true;
	}
	return false;
}

/* The rule that decides @p, as people read it. */
static void rule_text(const struct fwc_tables *t, uint32_t id, char *buf,
		      size_t n)
{
	const struct fwc_rule_meta *rm = &t->rule_meta[id];

	if (id == 0)
		snprintf(buf, n, "rule 0 (%s)", rm->text ? rm->text : "");
	else if (rm->label)
		snprintf(buf, n, "rule %u \"%s\" (line %u: %s)", id, rm->label,
			 rm->line, rm->text ? rm->text : "");
	else
		snprintf(buf, n, "rule %u (line %u: %s)", id, rm->line,
			 rm->text ? rm->text : "");
}

/* 1 when @t drops @p (told), 0 when it admits it. */
static int judge(const struct fwc_load_opts *o, const struct fwc_tables *t,
		 const struct fwc_packet *p, const char *what, const char *via)
{
	uint32_t id = fwc_tables_classify(t, p);
	bool audit = t->meta.flags & FWC_META_AUDIT;
	char pkt[160], rule[FWC_RULE_TEXT_LEN + FWC_RULE_LABEL_LEN + 64];

	if (fwc_tables_action(t, id) == FWC_ACT_ALLOW)
		return 0;
	fwc_packet_format(p, pkt, sizeof(pkt));
	rule_text(t, id, rule, sizeof(rule));
	fprintf(stderr,
		"fwc: %s: %s would drop the session %s '%s'%s%s: "
		"%s\n",
		audit	 ? "note" :
		o->force ? "warning" :
			   "error",
		o->policy, what, pkt, via[0] ? " on " : "", via, rule);
	return 1;
}

int fwc_guard_check(const struct fwc_load_opts *o, const struct fwc_tables *t)
{
	const char *env = getenv(GUARD_ENV);
	bool audit = t->meta.flags & FWC_META_AUDIT;
	struct fwc_packet p;
	int drops = 0;
	char via[IF_NAMESIZE + 16] = "";

	for (int i = 0; i < o->n_keep; i++) {
		char err[160];
		size_t col = 0;

		if (fwc_packet_parse(o->keep[i], &p, err, sizeof(err), &col)) {
			fprintf(stderr, "fwc: --keep '%s': column %zu: %s\n",
				o->keep[i], col + 1, err);
			return -EINVAL;
		}
		drops += judge(o, t, &p, "--keep", "");
	}
	if (env && *env) {
		if (ssh_packet(env, &p))
			fprintf(stderr,
				"fwc: warning: cannot read %s='%s'; "
				"the session it names is not checked "
				"(--keep names one)\n",
				GUARD_ENV, env);
		else if (ssh_crosses(o, &p, via, sizeof(via)))
			drops += judge(o, t, &p, "of " GUARD_ENV, via);
	}
	if (!drops)
		return 0;
	if (audit) {
		fprintf(stderr, "fwc: audit mode: it passes, logged as would "
				"drop\n");
		return 0;
	}
	if (o->force) {
		fprintf(stderr, "fwc: warning: loading anyway (--force)\n");
		return 0;
	}
	fprintf(stderr, "fwc: refusing to lock out the session fwc runs from "
			"(a session older than the load is not a tracked "
			"flow: its next packet meets the rules); allow it in "
			"the policy, or load with --force. Nothing changed\n");
	return -EPERM;
}
