/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The built-in table of well-known MS-RPC interfaces that the coming
 * `rpc { IFACES }` service (issue 12) names, and the parsing of literal
 * interface UUIDs. An interface is a UUID and a version; a pinhole will
 * match the UUID and the major version of floor 1 of an ept_map tower.
 * UUIDs are held in the wire form fwc_epm_parse() reports
 * (struct fwc_epm_map.uuid): the first three fields little-endian, the
 * last 8 bytes in order. docs/rpc-pinholes.md, "Well-known interfaces",
 * lists the table with its sources.
 */
#ifndef FWC_RPC_IFACE_H
#define FWC_RPC_IFACE_H

#include <stddef.h>
#include <stdint.h>

/* "12345778-1234-abcd-ef00-0123456789ac" and its NUL. */
#define FWC_RPC_UUID_STRLEN 37

/*
 * A row of the table. (struct fwc_rpc_iface is the compiled entry of
 * include/fwc_abi.h, which code reading both includes too.)
 */
struct fwc_rpc_iface_row {
	const char *name; /* unique, looked up case-insensitively */
	uint8_t uuid[16]; /* wire form, as struct fwc_epm_map.uuid */
	uint16_t vers_major, vers_minor;
	const char *what; /* one line */
	const char *doc;  /* the document that defines it, "[MS-SAMR]" */
};

/* An interface a rule names: a row of the table, a literal, or any. */
struct fwc_rpc_ref {
	uint8_t any;	  /* `any`: every interface; nothing else is set */
	uint8_t has_vers; /* a literal without a version matches any */
	uint16_t vers_major, vers_minor;
	uint8_t uuid[16];		       /* wire form */
	const struct fwc_rpc_iface_row *iface; /* the row, when named by one */
};

/* The rows, in the order of the table; @i < fwc_rpc_iface_count(). */
size_t fwc_rpc_iface_count(void);
const struct fwc_rpc_iface_row *fwc_rpc_iface_at(size_t i);

/* The row named @name, case-insensitively, or NULL. */
const struct fwc_rpc_iface_row *fwc_rpc_iface_find(const char *name);

/*
 * The row whose UUID (wire form) is @uuid and, when @major >= 0, whose
 * major version is @major; NULL if none. For naming what a tower maps.
 */
const struct fwc_rpc_iface_row *fwc_rpc_iface_by_uuid(const uint8_t uuid[16],
						      int major);

/*
 * The name closest to @name (edit distance below 3, case-insensitive)
 * for "did you mean", or NULL.
 */
const char *fwc_rpc_iface_suggest(const char *name);

/*
 * Parses exactly "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (36 hex digits and
 * dashes, either case, nothing before or after) into the wire form.
 * Returns 0 or -EINVAL.
 */
int fwc_rpc_uuid_parse(const char *s, uint8_t uuid[16]);

/* The lower-case string of a wire-form UUID; @buf >= FWC_RPC_UUID_STRLEN. */
void fwc_rpc_uuid_format(const uint8_t uuid[16], char *buf);

/*
 * Parses one element of IFACES into @out:
 *   any                   every interface
 *   NAME                  a row of the table (its UUID and version)
 *   UUID                  a literal, any version
 *   UUID:MAJOR[.MINOR]    a literal with a version (decimal, <= 65535)
 * Returns 0, -EINVAL for a malformed literal (or version), or -ENOENT for
 * a name not in the table, with *@suggest the closest name or NULL
 * (@suggest may be NULL).
 */
int fwc_rpc_ref_parse(const char *s, struct fwc_rpc_ref *out,
		      const char **suggest);

/*
 * Whether a tower's (uuid, major) is admitted by @ref: any; or the same
 * UUID and, when @ref has a version, the same major version.
 */
int fwc_rpc_ref_match(const struct fwc_rpc_ref *ref, const uint8_t uuid[16],
		      uint16_t major);

#endif /* FWC_RPC_IFACE_H */
