// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The well-known MS-RPC interfaces of `rpc { IFACES }` (issue 12) and the
 * parsing of literal interface UUIDs. See rpc_iface.h and
 * docs/rpc-pinholes.md, "Well-known interfaces".
 *
 * Each row cites where its UUID and version were checked:
 *   Samba     librpc/idl/NAME.idl, uuid() and version() (samba-team/samba
 *             at 4614f04b, 2026-08)
 *   impacket  impacket/dcerpc/v5/NAME.py, MSRPC_UUID_* (fortra/impacket
 *             at f133bb88, 2026-08); its epm.py KNOWN_UUIDS names the
 *             protocol document of each UUID
 *   MS-xxx    the protocol document's "Standards Assignments" (1.9)
 * An interface without version() in its IDL is version 0.0 (the IDL
 * default).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epm.h"
#include "rpc_iface.h"
#include "suggest.h"

/*
 * The wire form of UUID a-b-c-d-e, written as the string reads: the
 * first three fields little-endian (as NDR sends them with the drep the
 * EPM parser accepts), d and e big-endian (bytes in order).
 */
#define B(x, s) ((uint8_t)(((x) >> (s)) & 0xff))
#define UUID(a, b, c, d, e)                                                \
	{                                                                  \
		B(a, 0), B(a, 8), B(a, 16), B(a, 24), B(b, 0), B(b, 8),    \
			B(c, 0), B(c, 8), B(d, 8), B(d, 0), B(e##ULL, 40), \
			B(e##ULL, 32), B(e##ULL, 24), B(e##ULL, 16),       \
			B(e##ULL, 8), B(e##ULL, 0)                         \
	}

static const struct fwc_rpc_iface_row ifaces[] = {
	/* Samba epmapper.idl, impacket epm.py: 3.0 (C706 defines it). */
	{ "epm", UUID(0xe1af8308, 0x5d1f, 0x11c9, 0x91a4, 0x08002b14a0fa), 3, 0,
	  "the endpoint mapper itself (TCP 135)", "[C706]" },
	/* Samba mgmt.idl, impacket mgmt.py: 1.0; impacket's epm.py names it
	 * "[MS-RPCE]: Remote Management Interface" (C706 defines it). */
	{ "mgmt", UUID(0xafa8bd80, 0x7d8a, 0x11c9, 0xbef4, 0x08002b102989), 1,
	  0, "remote management of an RPC server (inq_if_ids, stats)",
	  "[C706]" },
	/* Samba samr.idl, impacket samr.py: 1.0; the uuid Samba's ept_map
	 * answer in tests/unit/epm_fixtures.h carries (test_rpc_iface.c). */
	{ "samr", UUID(0x12345778, 0x1234, 0xabcd, 0xef00, 0x0123456789ac), 1,
	  0, "security account manager: users, groups, aliases", "[MS-SAMR]" },
	/* Samba lsa.idl, impacket lsad.py and lsat.py: 0.0. One interface for
	 * both documents. It differs from samr in its last digit and from
	 * spoolss in its first field. Windows' lsass serves lsarpc, samr,
	 * netlogon (and drsuapi on a DC) in one process, so the EPM may map
	 * them to one dynamic port: a pinhole for one opens that port. */
	{ "lsarpc", UUID(0x12345778, 0x1234, 0xabcd, 0xef00, 0x0123456789ab), 0,
	  0, "local security authority: policy, trusts, SID/name lookup",
	  "[MS-LSAD]" },
	/* Samba netlogon.idl, impacket nrpc.py: 1.0. */
	{ "netlogon", UUID(0x12345678, 0x1234, 0xabcd, 0xef00, 0x01234567cffb),
	  1, 0, "netlogon: secure channel, pass-through authentication",
	  "[MS-NRPC]" },
	/* Samba drsuapi.idl, impacket drsuapi.py, MS-DRSR 1.9: 4.0. MS-DRSR
	 * also has dsaop (7c44d7d4-31d5-424c-bd5e-2b3e1f323d22), not here. */
	{ "drsuapi", UUID(0xe3514235, 0x4b06, 0x11d1, 0xab04, 0x00c04fc2dcd2),
	  4, 0, "directory replication (AD DC to DC, DCSync)", "[MS-DRSR]" },
	/* Samba dssetup.idl, impacket dssp.py: 0.0. */
	{ "dssetup", UUID(0x3919286a, 0xb10c, 0x11d0, 0x9ba8, 0x00c04fd92ef5),
	  0, 0, "directory services setup: role and upgrade state",
	  "[MS-DSSP]" },
	/* Samba frsrpc.idl: 1.1; impacket's rpcdatabase.py: v1.1. FRS (the
	 * pre-2008 SYSVOL replication); DFS-R is frstrans. */
	{ "frsrpc", UUID(0xf5cc59b4, 0x4264, 0x101a, 0x8c59, 0x08002b2f8426), 1,
	  1, "file replication service (FRS, legacy SYSVOL)", "[MS-FRS1]" },
	/* Samba frstrans.idl: 1.0; impacket epm.py names it MS-FRS2. */
	{ "frstrans", UUID(0x897e2e5f, 0x93f3, 0x4376, 0x9c9c, 0xfd2277495c27),
	  1, 0, "DFS replication (DFS-R, SYSVOL since 2008)", "[MS-FRS2]" },
	/* Samba dnsserver.idl: 5.0; impacket epm.py names it MS-DNSP. */
	{ "dnsserver", UUID(0x50abc2a4, 0x574d, 0x40b3, 0x9d66, 0xee4fd5fba076),
	  5, 0, "DNS server management (dnscmd, the DNS console)",
	  "[MS-DNSP]" },
	/* Samba winreg.idl, impacket rrp.py: 1.0. */
	{ "winreg", UUID(0x338cd001, 0x2244, 0x31f1, 0xaaaa, 0x900038001003), 1,
	  0, "remote registry", "[MS-RRP]" },
	/* Samba svcctl.idl, impacket scmr.py: 2.0. */
	{ "svcctl", UUID(0x367abb81, 0x9844, 0x35f1, 0xad32, 0x98f038001003), 2,
	  0, "service control manager (sc.exe, psexec)", "[MS-SCMR]" },
	/* Samba eventlog.idl, impacket even.py: 0.0. The classic interface;
	 * Vista and later also serve eventlog6, a different UUID. */
	{ "eventlog", UUID(0x82273fdc, 0xe32a, 0x18c3, 0x3f78, 0x827929dc23ea),
	  0, 0, "event log, classic interface", "[MS-EVEN]" },
	/* Samba eventlog6.idl, impacket even6.py: 1.0. */
	{ "eventlog6", UUID(0xf6beaff7, 0x1e19, 0x4fbb, 0x9f8f, 0xb89e2018337c),
	  1, 0, "event log, Vista and later (wevtutil, event forwarding)",
	  "[MS-EVEN6]" },
	/* Samba srvsvc.idl, impacket srvs.py: 3.0. */
	{ "srvsvc", UUID(0x4b324fc8, 0x1670, 0x01d3, 0x1278, 0x5a47bf6ee188), 3,
	  0, "server service: shares, sessions, open files", "[MS-SRVS]" },
	/* Samba wkssvc.idl, impacket wkst.py, MS-WKST 1.9: 1.0. */
	{ "wkssvc", UUID(0x6bffd098, 0xa112, 0x3610, 0x9833, 0x46c3f87e345a), 1,
	  0, "workstation service: domain join, logged-on users", "[MS-WKST]" },
	/* Samba spoolss.idl, impacket rprn.py: 1.0. 12345678-..., not lsarpc's
	 * 12345778-... */
	{ "spoolss", UUID(0x12345678, 0x1234, 0xabcd, 0xef00, 0x0123456789ab),
	  1, 0, "print spooler", "[MS-RPRN]" },
	/* impacket tsch.py: 1.0 (Samba has no IDL of it). MS-TSCH's other
	 * two interfaces, atsvc 1ff70682-0a51-30e8-076d-740be8cee98b and
	 * SASec 378e52b0-c0a9-11cf-822d-00aa0051e40f, are not here. */
	{ "ITaskSchedulerService",
	  UUID(0x86d35949, 0x83c9, 0x4044, 0xb424, 0xdb363231fd0c), 1, 0,
	  "task scheduler (schtasks /s)", "[MS-TSCH]" },
	/* Exchange EMSMDB. MS-OXCRPC 1.9 gives the UUID, its IDL
	 * version(0.81): major 0, minor 81. Wireshark's packet-dcerpc-mapi.c
	 * registers version 0; impacket's rpcdatabase.py lists v0.0 and v0.81
	 * (and a ...-b31e-... v1.0, another UUID). All agree on major 0.
	 * AsyncEMSMDB (5261574a-4572-206e-b268-6b199213b4e4) is not here. */
	{ "mapi", UUID(0xa4f1db00, 0xca47, 0x1067, 0xb31f, 0x00dd010662da), 0,
	  81, "Exchange mailbox access over RPC (EMSMDB)", "[MS-OXCRPC]" },
	/* MS-NSPI 1.9 gives the UUID; impacket nspi.py: 56.0. */
	{ "nspi", UUID(0xf5cc5a18, 0x4264, 0x101a, 0x8c59, 0x08002b2f8426), 56,
	  0, "Exchange address book (name service provider interface)",
	  "[MS-NSPI]" },
	/* impacket oxabref.py: 1.0; its epm.py names it MS-OXABREF. */
	{ "rfr", UUID(0x1544f5e0, 0x613c, 0x11d1, 0x93df, 0x00c04fd7bd09), 1, 0,
	  "Exchange address book referral (RFR)", "[MS-OXABREF]" },
	/* Samba dcom.idl (no version: 0.0), impacket dcomrt.py
	 * (IID_IRemoteSCMActivator, 0.0). MS-DCOM calls it IRemoteSCMActivator,
	 * a native RPC interface served on 135 itself, not through ept_map. */
	{ "ISystemActivator",
	  UUID(0x000001a0, 0x0000, 0x0000, 0xc000, 0x000000000046), 0, 0,
	  "DCOM remote activation (RemoteCreateInstance)", "[MS-DCOM]" },
	/* Samba dcom.idl (no version: 0.0), impacket dcomrt.py: 0.0. An ORPC
	 * interface of the object exporter, whose port comes from the OXID
	 * resolver's string bindings, not from ept_map. */
	{ "IRemUnknown2",
	  UUID(0x00000143, 0x0000, 0x0000, 0xc000, 0x000000000046), 0, 0,
	  "DCOM remote reference counting and QueryInterface", "[MS-DCOM]" },
};

#define N_IFACES (sizeof(ifaces) / sizeof(ifaces[0]))

size_t fwc_rpc_iface_count(void)
{
	return N_IFACES;
}

const struct fwc_rpc_iface_row *fwc_rpc_iface_at(size_t i)
{
	return i < N_IFACES ? &ifaces[i] : NULL;
}

const struct fwc_rpc_iface_row *fwc_rpc_iface_find(const char *name)
{
	for (size_t i = 0; i < N_IFACES; i++)
		if (!strcasecmp(ifaces[i].name, name))
			return &ifaces[i];
	return NULL;
}

const struct fwc_rpc_iface_row *fwc_rpc_iface_by_uuid(const uint8_t uuid[16],
						      int major)
{
	for (size_t i = 0; i < N_IFACES; i++)
		if (!memcmp(ifaces[i].uuid, uuid, 16) &&
		    (major < 0 || ifaces[i].vers_major == major))
			return &ifaces[i];
	return NULL;
}

const char *fwc_rpc_iface_suggest(const char *name)
{
	const char *best = NULL;
	unsigned int best_d = 3;

	for (size_t i = 0; i < N_IFACES; i++) {
		unsigned int d = fwc_edit_distance(name, ifaces[i].name, true);

		if (d < best_d) {
			best_d = d;
			best = ifaces[i].name;
		}
	}
	return best;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The 16 bytes of the string in reading order, before the byte swap. */
static int uuid_digits(const char *s, size_t len, uint8_t b[16])
{
	size_t k = 0;

	if (len != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		/* the groups have even lengths: a pair never spans a dash */
		hi = hexval(s[i]);
		lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		b[k++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return 0;
}

static int uuid_parse_n(const char *s, size_t len, uint8_t uuid[16])
{
	uint8_t b[16];
	int err = uuid_digits(s, len, b);

	if (err)
		return err;
	/* time_low, time_mid, time_hi_and_version go little-endian. */
	uuid[0] = b[3];
	uuid[1] = b[2];
	uuid[2] = b[1];
	uuid[3] = b[0];
	uuid[4] = b[5];
	uuid[5] = b[4];
	uuid[6] = b[7];
	uuid[7] = b[6];
	memcpy(uuid + 8, b + 8, 8);
	return 0;
}

int fwc_rpc_uuid_parse(const char *s, uint8_t uuid[16])
{
	return uuid_parse_n(s, strlen(s), uuid);
}

void fwc_rpc_uuid_format(const uint8_t uuid[16], char *buf)
{
	fwc_epm_uuid_format(uuid, buf);
}

/* A decimal 0..65535 of 1 to 5 digits, no sign, no leading '+'. */
static int parse_u16(const char *s, size_t len, uint16_t *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

static int parse_version(const char *s, struct fwc_rpc_ref *out)
{
	const char *dot = strchr(s, '.');
	size_t major_len = dot ? (size_t)(dot - s) : strlen(s);
	int err = parse_u16(s, major_len, &out->vers_major);

	if (err)
		return err;
	out->vers_minor = 0;
	if (dot) {
		err = parse_u16(dot + 1, strlen(dot + 1), &out->vers_minor);
		if (err)
			return err;
	}
	out->has_vers = 1;
	return 0;
}

int fwc_rpc_ref_parse(const char *s, struct fwc_rpc_ref *out,
		      const char **suggest)
{
	const struct fwc_rpc_iface_row *row;
	const char *colon;
	int err;

	memset(out, 0, sizeof(*out));
	if (suggest)
		*suggest = NULL;
	if (!strcasecmp(s, "any")) {
		out->any = 1;
		return 0;
	}
	row = fwc_rpc_iface_find(s);
	if (row) {
		out->iface = row;
		memcpy(out->uuid, row->uuid, 16);
		out->has_vers = 1;
		out->vers_major = row->vers_major;
		out->vers_minor = row->vers_minor;
		return 0;
	}
	/* A literal starts with a hex digit and has the first dash at 8. */
	if (strlen(s) >= 9 && s[8] == '-' && hexval(s[0]) >= 0) {
		colon = strchr(s, ':');
		err = uuid_parse_n(s, colon ? (size_t)(colon - s) : strlen(s),
				   out->uuid);
		if (!err && colon)
			err = parse_version(colon + 1, out);
		if (err)
			memset(out, 0, sizeof(*out));
		return err;
	}
	if (suggest)
		*suggest = fwc_rpc_iface_suggest(s);
	return -ENOENT;
}

int fwc_rpc_ref_match(const struct fwc_rpc_ref *ref, const uint8_t uuid[16],
		      uint16_t major)
{
	if (ref->any)
		return 1;
	if (memcmp(ref->uuid, uuid, 16))
		return 0;
	return !ref->has_vers || ref->vers_major == major;
}
