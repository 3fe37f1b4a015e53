// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The reference parser of endpoint-mapper PDUs (see epm.h). It follows
 * ../shared/design/msrpc/epm-wire.md as checked on the lab's captures:
 * the 16-byte common header, the 8 more of a request or a response, the
 * sec_trailer and verifier at the end when auth_length > 0, and the NDR20
 * stubs of ept_map, whose towers are byte strings of their own (C706
 * App. L: little-endian counts, big-endian port and address).
 *
 * Strict on purpose: anything it does not fully account for is refused
 * with a reason, never guessed, because a pinhole opened from a misread
 * byte is a hole. The walk is a cursor over [stub, stub end) that fails
 * instead of reading past it; the loops run at most FWC_EPM_MAX_TOWERS
 * and FWC_EPM_MAX_FLOORS times.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "epm.h"

#define HDR_LEN 16
#define CALL_HDR_LEN 24 /* request and response */
#define OBJECT_LEN 16
#define TRAILER_LEN 8
#define HANDLE_LEN 20

#define PFC_FIRST_FRAG 0x01
#define PFC_LAST_FRAG 0x02
#define PFC_OBJECT_UUID 0x80

#define AUTH_LEVEL_PRIVACY 6

#define PROT_UUID 0x0d
#define PROT_RPC_CO 0x0b
#define PROT_TCP 0x07
#define PROT_IP 0x09
#define UUID_FLOOR_LEN 19 /* id, uuid[16], major u16 */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* A walk over [at, end) of the PDU @p; NDR alignment counts from @stub. */
struct cur {
	const uint8_t *p;
	size_t at, end, stub;
	const char **why;
};

static int short_stub(struct cur *c, const char *what)
{
	*c->why = what;
	return -EBADMSG;
}

static int align4(struct cur *c, const char *what)
{
	size_t pad = (4 - (c->at - c->stub) % 4) % 4;

	if (pad > c->end - c->at)
		return short_stub(c, what);
	c->at += pad; /* pad bytes hold any value (impacket 0xab, Samba 0) */
	return 0;
}

static int take(struct cur *c, size_t n, const char *what, size_t *at)
{
	if (n > c->end - c->at)
		return short_stub(c, what);
	*at = c->at;
	c->at += n;
	return 0;
}

static int u32(struct cur *c, const char *what, uint32_t *v)
{
	size_t at;
	int err = align4(c, what);

	if (!err)
		err = take(c, 4, what, &at);
	if (!err)
		*v = le32(c->p + at);
	return err;
}

struct floor {
	uint8_t id;
	uint16_t lhs_len, rhs_len;
	size_t lhs, rhs; /* offsets in the PDU */
};

/*
 * The tower of @len bytes at @at of PDU @p (C706 App. L). Its lengths must
 * account for every byte. Returns 1 and fills @m for an ncacn_ip_tcp
 * tower (interface, transfer syntax, RPC-CO, TCP port[, IP]), 0 for
 * another well-formed tower (named pipe, UDP, HTTP...), -EBADMSG else.
 */
static int parse_tower(const uint8_t *p, size_t at, size_t len,
		       struct fwc_epm_map *m, const char **why)
{
	struct floor f[FWC_EPM_MAX_FLOORS];
	size_t o = 0;
	uint16_t n;

	if (len < 2) {
		*why = "tower shorter than its floor count";
		return -EBADMSG;
	}
	n = le16(p + at); /* little-endian whatever the drep */
	o = 2;
	if (n == 0 || n > FWC_EPM_MAX_FLOORS) {
		*why = "tower floor count not 1..6 (MS-RPCE 3.1.3.5.3)";
		return -EBADMSG;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (len - o < 2) {
			*why = "tower ends in a floor's LHS length";
			return -EBADMSG;
		}
		f[i].lhs_len = le16(p + at + o);
		o += 2;
		if (f[i].lhs_len == 0 || f[i].lhs_len > len - o) {
			*why = "tower floor LHS length 0 or past the tower";
			return -EBADMSG;
		}
		f[i].lhs = at + o;
		f[i].id = p[at + o];
		o += f[i].lhs_len;
		if (len - o < 2) {
			*why = "tower ends in a floor's RHS length";
			return -EBADMSG;
		}
		f[i].rhs_len = le16(p + at + o);
		o += 2;
		if (f[i].rhs_len > len - o) {
			*why = "tower floor RHS length past the tower";
			return -EBADMSG;
		}
		f[i].rhs = at + o;
		o += f[i].rhs_len;
	}
	if (o != len) {
		*why = "tower has bytes after its last floor";
		return -EBADMSG;
	}
	/* ncacn_ip_tcp, in the order both clients asked and Samba answered. */
	if (n < 4 || n > 5 || f[0].id != PROT_UUID ||
	    f[0].lhs_len != UUID_FLOOR_LEN || f[0].rhs_len != 2 ||
	    f[1].id != PROT_UUID || f[1].lhs_len != UUID_FLOOR_LEN ||
	    f[2].id != PROT_RPC_CO || f[2].lhs_len != 1 ||
	    f[3].id != PROT_TCP || f[3].lhs_len != 1 || f[3].rhs_len != 2 ||
	    (n == 5 &&
	     (f[4].id != PROT_IP || f[4].lhs_len != 1 || f[4].rhs_len != 4)))
		return 0;
	memset(m, 0, sizeof(*m));
	memcpy(m->uuid, p + f[0].lhs + 1, 16);
	m->vers_major = le16(p + f[0].lhs + 17);
	m->vers_minor = le16(p + f[0].rhs);
	m->port = (uint16_t)(p[f[3].rhs] << 8 | p[f[3].rhs + 1]);
	m->uuid_off = (uint16_t)(f[0].lhs + 1);
	m->port_off = (uint16_t)f[3].rhs;
	if (n == 5) {
		memcpy(m->ip, p + f[4].rhs, 4);
		m->has_ip = 1;
	}
	return 1;
}

/* A twr_t: max_count, tower_length (equal: a conformant struct), octets. */
static int twr_t(struct cur *c, struct fwc_epm_map *m, int *is_tcp)
{
	uint32_t mc, tl;
	size_t at;
	int err;

	err = u32(c, "stub ends in a tower's max_count", &mc);
	if (!err)
		err = u32(c, "stub ends in a tower's length", &tl);
	if (err)
		return err;
	if (tl != mc) {
		*c->why = "tower_length differs from its max_count";
		return -EBADMSG;
	}
	err = take(c, tl, "tower longer than the stub", &at);
	if (err)
		return err;
	*is_tcp = parse_tower(c->p, at, tl, m, c->why);
	return *is_tcp < 0 ? *is_tcp : 0;
}

/*
 * ept_map's [in] stub: obj (unique pointer, then a UUID), map_tower
 * (pointer, then a twr_t), entry_handle, max_towers (MS-RPCE 2.2.1.2.5).
 */
static int map_request(struct cur *c, struct fwc_epm_pdu *out)
{
	uint32_t ref;
	size_t at;
	int err, is_tcp = 0;

	err = u32(c, "stub ends in the obj pointer", &ref);
	if (err)
		return err;
	out->has_object = ref != 0;
	if (ref &&
	    (err = take(c, OBJECT_LEN, "stub ends in the obj UUID", &at)))
		return err;
	err = u32(c, "stub ends in the map_tower pointer", &ref);
	if (err)
		return err;
	if (ref && (err = twr_t(c, &out->asked, &is_tcp)))
		return err;
	out->has_asked = is_tcp == 1;
	err = align4(c, "stub ends in the entry_handle");
	if (!err)
		err = take(c, HANDLE_LEN, "stub ends in the entry_handle", &at);
	if (!err)
		err = u32(c, "stub ends in max_towers", &out->max_towers);
	if (err)
		return err;
	if (out->max_towers > FWC_EPM_MAX_TOWERS_ASKED)
		return short_stub(c, "max_towers above 500 (MS-RPCE range)");
	if (c->at != c->end)
		return short_stub(c, "bytes after the ept_map request stub");
	return 0;
}

/*
 * ept_map's [out] stub: entry_handle, num_towers, the conformant varying
 * array of tower pointers (max_count, offset, actual_count, referent ids),
 * the towers they point to in order, then the status word.
 */
static int map_response(struct cur *c, struct fwc_epm_pdu *out)
{
	uint32_t max_count, offset, actual, ref[FWC_EPM_MAX_TOWERS];
	size_t at;
	int err;

	err = take(c, HANDLE_LEN, "stub ends in the entry_handle", &at);
	if (!err)
		err = u32(c, "stub ends in num_towers", &out->num_towers);
	if (!err)
		err = u32(c, "stub ends in the towers' max_count", &max_count);
	if (!err)
		err = u32(c, "stub ends in the towers' offset", &offset);
	if (!err)
		err = u32(c, "stub ends in the towers' actual_count", &actual);
	if (err)
		return err;
	if (max_count > FWC_EPM_MAX_TOWERS_ASKED)
		return short_stub(c, "towers' max_count above 500 "
				     "(max_towers' MS-RPCE range)");
	if (offset != 0)
		return short_stub(c, "towers' offset not 0");
	if (actual != out->num_towers)
		return short_stub(c, "towers' actual_count differs from "
				     "num_towers (length_is)");
	if (actual > max_count)
		return short_stub(c, "towers' actual_count above max_count");
	if (actual > FWC_EPM_MAX_TOWERS) {
		*c->why = "more towers than the parser walks (8)";
		return -EOPNOTSUPP;
	}
	for (uint32_t i = 0; i < actual; i++) {
		err = u32(c, "stub ends in a tower pointer", &ref[i]);
		if (err)
			return err;
		/* A full pointer seen twice is not sent twice (NDR). */
		for (uint32_t j = 0; j < i; j++)
			if (ref[i] && ref[i] == ref[j]) {
				*c->why = "two tower pointers alias one tower";
				return -EOPNOTSUPP;
			}
	}
	for (uint32_t i = 0; i < actual; i++) {
		struct fwc_epm_map *m = &out->maps[out->n_maps];
		int is_tcp = 0;

		if (!ref[i])
			continue; /* a NULL tower: nothing deferred */
		err = twr_t(c, m, &is_tcp);
		if (err)
			return err;
		if (is_tcp)
			out->n_maps++;
		else
			out->n_other++;
	}
	err = u32(c, "stub ends in the status word", &out->status);
	if (err)
		return err;
	if (c->at != c->end)
		return short_stub(c, "bytes after the status word");
	return 0;
}

/*
 * The sec_trailer at frag_length - auth_length - 8 (MS-RPCE 2.2.2.11):
 * the stub ends auth_pad_length bytes before it. Privacy seals the stub.
 */
static int auth_trailer(const uint8_t *p, struct fwc_epm_pdu *out,
			const char **why)
{
	size_t tr;

	if ((size_t)out->auth_length + TRAILER_LEN >
	    (size_t)out->frag_length - out->stub_off) {
		*why = "auth_length leaves no room for the sec_trailer";
		return -EBADMSG;
	}
	tr = (size_t)out->frag_length - out->auth_length - TRAILER_LEN;
	out->auth_type = p[tr];
	out->auth_level = p[tr + 1];
	out->auth_pad = p[tr + 2];
	if (out->auth_level == AUTH_LEVEL_PRIVACY) {
		*why = "sealed: privacy-level stub (auth_level 6)";
		return -EOPNOTSUPP;
	}
	if (out->auth_level == 0 || out->auth_level > AUTH_LEVEL_PRIVACY) {
		*why = "auth_level not 1..6";
		return -EBADMSG;
	}
	if (out->auth_pad > tr - out->stub_off) {
		*why = "auth_pad_length longer than the stub";
		return -EBADMSG;
	}
	out->stub_len = (uint16_t)(tr - out->auth_pad - out->stub_off);
	return 0;
}

/* The common header; 0 when the PDU is whole in @len bytes. */
static int header(const uint8_t *p, size_t len, struct fwc_epm_pdu *out,
		  const char **why)
{
	bool call;

	if (len == 0) {
		*why = "empty payload";
		return -ENODATA;
	}
	if (p[0] != 5 || (len > 1 && p[1] > 1)) {
		*why = "not DCE/RPC connection-oriented (rpc_vers 5.0 or 5.1)";
		return -EBADMSG;
	}
	if (len < HDR_LEN) {
		out->need = (uint32_t)(HDR_LEN - len);
		*why = "split: the payload ends in the common header";
		return -EAGAIN;
	}
	out->vers_minor = p[1];
	out->ptype = p[2];
	out->pfc_flags = p[3];
	memcpy(out->drep, p + 4, 4);
	if (p[4] >> 4 == 0) {
		*why = "big-endian drep (only little-endian is parsed)";
		return -EOPNOTSUPP;
	}
	if (p[4] >> 4 != 1) {
		*why = "drep integer representation not 0 or 1";
		return -EBADMSG;
	}
	out->frag_length = le16(p + 8);
	out->auth_length = le16(p + 10);
	out->call_id = le32(p + 12);
	call = out->ptype == FWC_EPM_PTYPE_REQUEST ||
	       out->ptype == FWC_EPM_PTYPE_RESPONSE;
	if (out->frag_length < (call ? CALL_HDR_LEN : HDR_LEN)) {
		*why = "frag_length shorter than the header";
		return -EBADMSG;
	}
	/* Waiting for more bytes would not help: say so first. */
	if (call && (out->pfc_flags & (PFC_FIRST_FRAG | PFC_LAST_FRAG)) !=
			    (PFC_FIRST_FRAG | PFC_LAST_FRAG)) {
		*why = "fragment of a multi-fragment call (first|last not both)";
		return -EOPNOTSUPP;
	}
	if (len < out->frag_length) {
		out->need = (uint32_t)(out->frag_length - len);
		*why = "split: the PDU is longer than the payload";
		return -EAGAIN;
	}
	return 0;
}

int fwc_epm_parse(const uint8_t *p, size_t len, struct fwc_epm_pdu *out,
		  const char **why)
{
	struct cur c;
	int err;

	memset(out, 0, sizeof(*out));
	*why = "ok";
	err = header(p, len, out, why);
	if (err)
		return err;
	if (out->ptype != FWC_EPM_PTYPE_REQUEST &&
	    out->ptype != FWC_EPM_PTYPE_RESPONSE) {
		out->kind = FWC_EPM_OTHER;
		*why = "neither a request nor a response";
		return 0;
	}
	out->p_cont_id = le16(p + 20);
	out->stub_off = CALL_HDR_LEN;
	if (out->ptype == FWC_EPM_PTYPE_REQUEST) {
		out->opnum = le16(p + 22);
		if (out->pfc_flags & PFC_OBJECT_UUID)
			out->stub_off += OBJECT_LEN;
		if (out->stub_off > out->frag_length) {
			*why = "frag_length shorter than the object UUID";
			return -EBADMSG;
		}
	}
	out->stub_len = (uint16_t)(out->frag_length - out->stub_off);
	if (out->auth_length && (err = auth_trailer(p, out, why)))
		return err;
	if (out->ptype == FWC_EPM_PTYPE_REQUEST &&
	    out->opnum != FWC_EPM_OPNUM_MAP) {
		out->kind = FWC_EPM_REQUEST;
		*why = "a request, not ept_map";
		return 0;
	}
	c = (struct cur){ .p = p,
			  .at = out->stub_off,
			  .end = (size_t)out->stub_off + out->stub_len,
			  .stub = out->stub_off,
			  .why = why };
	if (out->ptype == FWC_EPM_PTYPE_REQUEST) {
		out->kind = FWC_EPM_MAP_REQUEST;
		err = map_request(&c, out);
	} else {
		out->kind = FWC_EPM_MAP_RESPONSE;
		err = map_response(&c, out);
	}
	if (err)
		out->n_maps = 0; /* nothing half-parsed for a careless caller */
	else
		*why = "ok";
	return err;
}

void fwc_epm_uuid_format(const uint8_t u[16], char *buf)
{
	snprintf(buf, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 (unsigned int)le32(u), le16(u + 4), le16(u + 6), u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}
