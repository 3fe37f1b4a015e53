/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The datapath's endpoint-mapper parser (docs/rpc-pinholes.md, "The
 * datapath parser"): the XDP program copies a TCP payload of an EPM
 * connection into struct fwc_epm_scratch (bpf_xdp_load_bytes) and reads
 * it here.
 *
 * Plain C over a byte array, with every offset masked into the buffer, so
 * that it compiles for BPF (called from bpf/fwc.bpf.c) and for the host
 * (tests/unit/test_epm_bpf.c checks it against the reference parser,
 * compiler/epm.c, byte for byte). Includes nothing but linux/types.h.
 *
 * int fwc_epm_request(struct fwc_epm_scratch *s, __u32 len)
 *     The header of the PDU at buf[0] (any PTYPE), for the request side
 *     (the datapath copies its first 24 bytes) and to look at an answer's
 *     call_id before parsing it. Checks what the reference's header
 *     checks and can be told from the header alone: rpc_vers 5.0/5.1,
 *     little-endian drep, frag_length >= the header (16, 24 for a request
 *     or response), FIRST_FRAG|LAST_FRAG on a request or response. It
 *     does not check that the PDU is whole (len >= frag_length).
 *     FWC_EPM_OK: pdu.ptype, pdu.call_id, pdu.opnum (a request's; 0 for
 *     another PTYPE). SPLIT: fewer than 16 bytes (24 for a request or
 *     response); FRAGMENT, UNSUPPORTED (big-endian), MALFORMED (the rest,
 *     and len 0). On any result but OK the three fields are 0. Writes
 *     nothing else.
 * int fwc_epm_response(struct fwc_epm_scratch *s, __u32 len)
 *     A whole ept_map response (PTYPE 2) in buf[0..len): the first PDU
 *     only (frag_length), what follows it is not read. FWC_EPM_OK iff
 *     fwc_epm_parse returns 0 with FWC_EPM_MAP_RESPONSE: pdu.ptype (2),
 *     pdu.call_id, pdu.opnum 0, pdu.status, pdu.n_maps and map[0..n_maps)
 *     the ncacn_ip_tcp towers the reference returns, in order. Refused
 *     otherwise, classed as the reference's reason: SPLIT (the PDU goes on
 *     past len), SEALED, FRAGMENT, BIG (frag_length > FWC_EPM_BUF),
 *     UNSUPPORTED (big-endian, > 8 towers, aliased tower pointers),
 *     NOT_RESPONSE (a whole header of another PTYPE), MALFORMED (the rest).
 *     On any result but OK, ptype, call_id, opnum, status and n_maps are
 *     0 and map[] holds nothing to use.
 *
 * len is the number of payload bytes in buf; more than FWC_EPM_BUF is
 * taken as FWC_EPM_BUF. Bytes of buf past len are never read, so the
 * result does not depend on them. Every loop is bounded by a constant:
 * 8 tower pointers (the 8 x 8 aliasing check), 8 towers, 6 floors each.
 */
#ifndef FWC_BPF_EPM_H
#define FWC_BPF_EPM_H

#include <linux/types.h>

#define FWC_EPM_BUF 1024u /* a power of two: offsets are masked with it - 1 */
#define FWC_EPM_TOWERS 8u /* as compiler/epm.h's FWC_EPM_MAX_TOWERS */

enum fwc_epm_res {
	FWC_EPM_OK = 0,
	FWC_EPM_SPLIT,	     /* the PDU goes on past this segment */
	FWC_EPM_SEALED,	     /* auth level privacy: the stub is encrypted */
	FWC_EPM_FRAGMENT,    /* not FIRST_FRAG | LAST_FRAG */
	FWC_EPM_BIG,	     /* frag_length past FWC_EPM_BUF */
	FWC_EPM_UNSUPPORTED, /* big-endian drep, > 8 towers, aliased pointers */
	FWC_EPM_MALFORMED,   /* anything else fwc_epm_parse calls -EBADMSG */
	FWC_EPM_NOT_RESPONSE, /* fwc_epm_response: a whole PDU, not PTYPE 2 */
};

struct fwc_epm_tower {
	__u8 uuid[16]; /* wire form, as on the wire */
	__u16 major;
	__u16 minor;
	__u16 port; /* host order */
	__u16 pad;
};

struct fwc_epm_pdu {
	__u32 call_id;
	__u32 status; /* ept_map's status word (0: found) */
	__u16 opnum;  /* requests */
	__u8 ptype;
	__u8 n_maps; /* ncacn_ip_tcp towers in map[] */
	struct fwc_epm_tower map[FWC_EPM_TOWERS];
};

struct fwc_epm_scratch {
	/*
	 * Twice the PDU: a masked offset + 4 fits, and bpf/rpc.h appends a
	 * segment of at most FWC_EPM_BUF bytes at a masked offset.
	 */
	__u8 buf[2 * FWC_EPM_BUF];
	struct fwc_epm_pdu pdu;
};

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/*
 * The tower walk is a global function in BPF: the verifier checks it once,
 * not once for each of the 8 towers and each way of reaching it.
 */
#ifdef __bpf__
#define FWC_EPM_SUBPROG __attribute__((noinline))
#else
#define FWC_EPM_SUBPROG static inline
#endif

#define FWC_EPM_MASK (FWC_EPM_BUF - 1)
#define FWC_EPM_COMMON 16u /* the common header (C706 12.6.1) */
#define FWC_EPM_CALL 24u   /* a request's or response's header */
#define FWC_EPM_TRAILER 8u /* the sec_trailer (MS-RPCE 2.2.2.11) */
#define FWC_EPM_PTRS 60u   /* the tower pointers: stub 24 + handle 20 + 16 */
#define FWC_EPM_FLOORS 6u  /* as compiler/epm.h's FWC_EPM_MAX_FLOORS */
#define FWC_EPM_RANGE 500u /* MS-RPCE 2.2.1.2.5: range(0,500) */
#define FWC_EPM_LEVEL_PRIVACY 6u

/* Byte @off of the payload; the mask keeps every read inside buf. */
static __always_inline __u32 fwc_epm_u8(const struct fwc_epm_scratch *s,
					__u32 off)
{
	return s->buf[off & FWC_EPM_MASK];
}

static __always_inline __u32 fwc_epm_le16(const struct fwc_epm_scratch *s,
					  __u32 off)
{
	off &= FWC_EPM_MASK; /* + 1 stays in the slack */
	return (__u32)s->buf[off] | (__u32)s->buf[off + 1] << 8;
}

static __always_inline __u32 fwc_epm_le32(const struct fwc_epm_scratch *s,
					  __u32 off)
{
	off &= FWC_EPM_MASK; /* + 3 stays in the slack */
	return (__u32)s->buf[off] | (__u32)s->buf[off + 1] << 8 |
	       (__u32)s->buf[off + 2] << 16 | (__u32)s->buf[off + 3] << 24;
}

static __always_inline int fwc_epm_is_call(__u32 ptype)
{
	return ptype == 0 || ptype == 2; /* request, response */
}

/*
 * The checks of the reference's header() up to (not including) "is the
 * PDU whole", in its order: what the first 16 (24) bytes can tell.
 * @len is already at most FWC_EPM_BUF.
 */
static __always_inline int fwc_epm_head(const struct fwc_epm_scratch *s,
					__u32 len)
{
	__u32 ptype, drep, frag;

	if (len == 0)
		return FWC_EPM_MALFORMED; /* the reference's -ENODATA */
	if (fwc_epm_u8(s, 0) != 5 || (len > 1 && fwc_epm_u8(s, 1) > 1))
		return FWC_EPM_MALFORMED;
	if (len < FWC_EPM_COMMON)
		return FWC_EPM_SPLIT;
	ptype = fwc_epm_u8(s, 2);
	drep = fwc_epm_u8(s, 4) >> 4;
	if (drep == 0)
		return FWC_EPM_UNSUPPORTED; /* big-endian integers */
	if (drep != 1)
		return FWC_EPM_MALFORMED;
	frag = fwc_epm_le16(s, 8);
	if (frag < (fwc_epm_is_call(ptype) ? FWC_EPM_CALL : FWC_EPM_COMMON))
		return FWC_EPM_MALFORMED;
	if (fwc_epm_is_call(ptype) && (fwc_epm_u8(s, 3) & 3) != 3)
		return FWC_EPM_FRAGMENT; /* not PFC_FIRST_FRAG|PFC_LAST_FRAG */
	return FWC_EPM_OK;
}

static __always_inline int fwc_epm_request(struct fwc_epm_scratch *s, __u32 len)
{
	__u32 ptype;
	int r;

	if (!s)
		return FWC_EPM_MALFORMED;
	s->pdu.ptype = 0;
	s->pdu.call_id = 0;
	s->pdu.opnum = 0;
	if (len > FWC_EPM_BUF)
		len = FWC_EPM_BUF;
	r = fwc_epm_head(s, len);
	if (r != FWC_EPM_OK)
		return r;
	ptype = fwc_epm_u8(s, 2);
	if (fwc_epm_is_call(ptype) && len < FWC_EPM_CALL)
		return FWC_EPM_SPLIT;
	s->pdu.ptype = (__u8)ptype;
	s->pdu.call_id = fwc_epm_le32(s, 12);
	if (ptype == 0)
		s->pdu.opnum = (__u16)fwc_epm_le16(s, 22);
	return FWC_EPM_OK;
}

/*
 * Does floor @f of a tower match ncacn_ip_tcp's (compiler/epm.c's
 * parse_tower): interface UUID, transfer syntax, RPC-CO, TCP port, IP?
 */
static __always_inline int fwc_epm_tcp_floor(__u32 f, __u32 id, __u32 lhs,
					     __u32 rhs)
{
	if (f == 0)
		return id == 0x0d && lhs == 19 && rhs == 2;
	if (f == 1)
		return id == 0x0d && lhs == 19;
	if (f == 2)
		return id == 0x0b && lhs == 1;
	if (f == 3)
		return id == 0x07 && lhs == 1 && rhs == 2;
	if (f == 4)
		return id == 0x09 && lhs == 1 && rhs == 4;
	return 0;
}

/*
 * The tower of @len bytes at @at (C706 App. L), every byte accounted for
 * by its floors. 1: an ncacn_ip_tcp tower, written to @m; 0: another
 * well-formed tower; -1: malformed. The caller checked at + len <= end.
 */
FWC_EPM_SUBPROG int fwc_epm_walk_tower(struct fwc_epm_scratch *s, __u32 at,
				       __u32 len, __u32 slot)
{
	__u32 n, o, f, lhs, rhs, id, tcp, uuid = 0, minor = 0, port = 0;
	struct fwc_epm_tower *m;

	if (!s || len < 2)
		return -1;
	n = fwc_epm_le16(s, at);
	if (n == 0 || n > FWC_EPM_FLOORS)
		return -1;
	tcp = n == 4 || n == 5;
	o = 2;
	for (f = 0; f < FWC_EPM_FLOORS; f++) {
		if (f >= n)
			break;
		if (len - o < 2)
			return -1;
		lhs = fwc_epm_le16(s, at + o);
		o += 2;
		if (lhs == 0 || lhs > len - o)
			return -1;
		id = fwc_epm_u8(s, at + o);
		if (f == 0)
			uuid = (at + o + 1) & FWC_EPM_MASK;
		o += lhs;
		if (len - o < 2)
			return -1;
		rhs = fwc_epm_le16(s, at + o);
		o += 2;
		if (rhs > len - o)
			return -1;
		if (f == 0)
			minor = (at + o) & FWC_EPM_MASK;
		if (f == 3)
			port = (at + o) & FWC_EPM_MASK;
		o += rhs;
		if (tcp && !fwc_epm_tcp_floor(f, id, lhs, rhs))
			tcp = 0;
	}
	if (o != len)
		return -1;
	if (!tcp)
		return 0;
	m = &s->pdu.map[slot & (FWC_EPM_TOWERS - 1)];
	for (f = 0; f < 16; f++)
		m->uuid[f] = (__u8)fwc_epm_u8(s, uuid + f);
	m->major = (__u16)fwc_epm_le16(s, uuid + 16);
	m->minor = (__u16)fwc_epm_le16(s, minor);
	m->port = (__u16)(fwc_epm_u8(s, port) << 8 | fwc_epm_u8(s, port + 1));
	m->pad = 0;
	return 1;
}

/* The checks of fwc_epm_response; the fields are written by the caller. */
static __always_inline int fwc_epm_map_answer(struct fwc_epm_scratch *s,
					      __u32 len, __u32 *status,
					      __u32 *n_maps)
{
	__u32 frag, auth, end, tr, pad, level, num, max, actual, i, j, ref;
	__u32 at, mc, tl, n = 0;
	int r;

	r = fwc_epm_head(s, len);
	if (r != FWC_EPM_OK)
		return r;
	frag = fwc_epm_le16(s, 8);
	if (frag > FWC_EPM_BUF)
		return FWC_EPM_BIG;
	if (len < frag)
		return FWC_EPM_SPLIT;
	if (fwc_epm_u8(s, 2) != 2)
		return FWC_EPM_NOT_RESPONSE;

	/* The stub is [24, end): the sec_trailer and its pad cut off. */
	end = frag;
	auth = fwc_epm_le16(s, 10);
	if (auth) {
		if (auth + FWC_EPM_TRAILER > frag - FWC_EPM_CALL)
			return FWC_EPM_MALFORMED;
		tr = frag - auth - FWC_EPM_TRAILER;
		level = fwc_epm_u8(s, tr + 1);
		pad = fwc_epm_u8(s, tr + 2);
		if (level == FWC_EPM_LEVEL_PRIVACY)
			return FWC_EPM_SEALED;
		if (level == 0 || level > FWC_EPM_LEVEL_PRIVACY)
			return FWC_EPM_MALFORMED;
		if (pad > tr - FWC_EPM_CALL)
			return FWC_EPM_MALFORMED;
		end = tr - pad;
	}

	/*
	 * entry_handle (20 bytes @24), num_towers @44, the conformant
	 * varying array's max_count @48, offset @52, actual_count @56.
	 */
	if (end < FWC_EPM_PTRS)
		return FWC_EPM_MALFORMED;
	num = fwc_epm_le32(s, 44);
	max = fwc_epm_le32(s, 48);
	actual = fwc_epm_le32(s, 56);
	if (max > FWC_EPM_RANGE || fwc_epm_le32(s, 52) != 0 || actual != num ||
	    actual > max)
		return FWC_EPM_MALFORMED;
	if (actual > FWC_EPM_TOWERS)
		return FWC_EPM_UNSUPPORTED;

	/* The referent ids @60 + 4 i: one full pointer sent twice is ambiguous. */
	for (i = 0; i < FWC_EPM_TOWERS; i++) {
		if (i >= actual)
			break;
		if (FWC_EPM_PTRS + 4 * i + 4 > end)
			return FWC_EPM_MALFORMED;
		ref = fwc_epm_le32(s, FWC_EPM_PTRS + 4 * i);
		for (j = 0; j < FWC_EPM_TOWERS; j++) {
			if (j >= i)
				break;
			if (ref && ref == fwc_epm_le32(s, FWC_EPM_PTRS + 4 * j))
				return FWC_EPM_UNSUPPORTED;
		}
	}

	/* The towers of the non-NULL pointers, each a twr_t aligned to 4. */
	at = FWC_EPM_PTRS + 4 * actual;
	for (i = 0; i < FWC_EPM_TOWERS; i++) {
		if (i >= actual)
			break;
		if (!fwc_epm_le32(s, FWC_EPM_PTRS + 4 * i))
			continue;
		at = (at + 3) & ~3u;
		if (at + 8 > end)
			return FWC_EPM_MALFORMED;
		mc = fwc_epm_le32(s, at);
		tl = fwc_epm_le32(s, at + 4);
		at += 8;
		if (tl != mc || tl > end - at)
			return FWC_EPM_MALFORMED;
		r = fwc_epm_walk_tower(s, at, tl, n);
		if (r < 0)
			return FWC_EPM_MALFORMED;
		n += (__u32)r;
		/* canonical bounds: at <= end <= FWC_EPM_BUF already */
		at = (at + tl) & (FWC_EPM_BUF * 2 - 1);
	}

	/* The status word ends the stub exactly. */
	at = (at + 3) & ~3u;
	if (at + 4 != end)
		return FWC_EPM_MALFORMED;
	*status = fwc_epm_le32(s, at);
	*n_maps = n;
	return FWC_EPM_OK;
}

static __always_inline int fwc_epm_response(struct fwc_epm_scratch *s,
					    __u32 len)
{
	__u32 status = 0, n = 0;
	int r;

	if (!s)
		return FWC_EPM_MALFORMED;
	if (len > FWC_EPM_BUF)
		len = FWC_EPM_BUF;
	r = fwc_epm_map_answer(s, len, &status, &n);
	s->pdu.opnum = 0;
	if (r != FWC_EPM_OK) {
		s->pdu.ptype = 0;
		s->pdu.call_id = 0;
		s->pdu.status = 0;
		s->pdu.n_maps = 0;
		return r;
	}
	s->pdu.ptype = 2;
	s->pdu.call_id = fwc_epm_le32(s, 12);
	s->pdu.status = status;
	s->pdu.n_maps = (__u8)n;
	return FWC_EPM_OK;
}

#endif /* FWC_BPF_EPM_H */
