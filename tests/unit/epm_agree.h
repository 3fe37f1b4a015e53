/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The datapath's EPM parser (bpf/epm.h) against the reference
 * (compiler/epm.c) on one payload: what fwc_epm_request and
 * fwc_epm_response must return is derived from fwc_epm_parse's result and
 * reason, and every field they fill is compared with the reference's or
 * with the bytes. Shared by tests/unit/test_epm_bpf.c and
 * tests/fuzz/fuzz_epm.c.
 *
 * The payload is copied into a struct fwc_epm_scratch as the datapath
 * does (at most FWC_EPM_BUF bytes, bpf_xdp_load_bytes) with the rest of
 * the struct filled with @fill, so that a result depending on bytes past
 * len, or a field the parser forgot to write, shows.
 *
 * Both headers define struct fwc_epm_pdu: the datapath's is renamed
 * fwc_epm_bpf_pdu here. Include this before anything else includes
 * bpf/epm.h.
 */
#ifndef FWC_EPM_AGREE_H
#define FWC_EPM_AGREE_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define fwc_epm_pdu fwc_epm_bpf_pdu
#include "../../bpf/epm.h"
#undef fwc_epm_pdu
#include "epm.h"

#define EPM_RES_N (FWC_EPM_NOT_RESPONSE + 1)

static const char *const epm_res_name[EPM_RES_N] = {
	[FWC_EPM_OK] = "OK",
	[FWC_EPM_SPLIT] = "SPLIT",
	[FWC_EPM_SEALED] = "SEALED",
	[FWC_EPM_FRAGMENT] = "FRAGMENT",
	[FWC_EPM_BIG] = "BIG",
	[FWC_EPM_UNSUPPORTED] = "UNSUPPORTED",
	[FWC_EPM_MALFORMED] = "MALFORMED",
	[FWC_EPM_NOT_RESPONSE] = "NOT_RESPONSE",
};

static inline const char *epm_res_str(int r)
{
	return r >= 0 && r < EPM_RES_N ? epm_res_name[r] : "(out of range)";
}

/*
 * The reasons of the reference's header(), in its order: all that the
 * first 16 bytes can tell, which is what fwc_epm_request checks. The
 * last check of header(), the PDU being whole, is EPM_REASON_WHOLE.
 * A reason of the reference missing here and in the post-header classes
 * fails the comparison: a new check of the reference must be classed.
 */
static const struct {
	const char *why;
	int res;
} epm_head_reasons[] = {
	{ "empty payload", FWC_EPM_MALFORMED },
	{ "not DCE/RPC connection-oriented (rpc_vers 5.0 or 5.1)",
	  FWC_EPM_MALFORMED },
	{ "split: the payload ends in the common header", FWC_EPM_SPLIT },
	{ "big-endian drep (only little-endian is parsed)",
	  FWC_EPM_UNSUPPORTED },
	{ "drep integer representation not 0 or 1", FWC_EPM_MALFORMED },
	{ "frag_length shorter than the header", FWC_EPM_MALFORMED },
	{ "fragment of a multi-fragment call (first|last not both)",
	  FWC_EPM_FRAGMENT },
};
#define EPM_REASON_WHOLE "split: the PDU is longer than the payload"

/* The class of a header reason, or -1 when @why is not one. */
static inline int epm_head_class(const char *why)
{
	for (size_t i = 0;
	     i < sizeof(epm_head_reasons) / sizeof(epm_head_reasons[0]); i++)
		if (!strcmp(why, epm_head_reasons[i].why))
			return epm_head_reasons[i].res;
	return -1;
}

/* What fwc_epm_request must return for @len bytes of @p. */
static inline int epm_expect_request(const uint8_t *p, size_t len,
				     const char *why)
{
	int c = epm_head_class(why);

	if (c >= 0)
		return c;
	/* The header passed (16 bytes there): only the opnum may be short. */
	if ((p[2] == 0 || p[2] == 2) && len < 24)
		return FWC_EPM_SPLIT;
	return FWC_EPM_OK;
}

/* What fwc_epm_response must return, or -1 for a result not classed. */
static inline int epm_expect_response(int err, const char *why,
				      const struct fwc_epm_pdu *ref)
{
	int c = epm_head_class(why);

	if (c >= 0)
		return c;
	if (ref->frag_length > FWC_EPM_BUF)
		return FWC_EPM_BIG; /* checked before the PDU is whole */
	if (!strcmp(why, EPM_REASON_WHOLE))
		return FWC_EPM_SPLIT;
	if (ref->ptype != FWC_EPM_PTYPE_RESPONSE)
		return FWC_EPM_NOT_RESPONSE;
	if (err == 0)
		return ref->kind == FWC_EPM_MAP_RESPONSE ? FWC_EPM_OK : -1;
	if (err == -EBADMSG)
		return FWC_EPM_MALFORMED;
	if (err == -EOPNOTSUPP)
		return strncmp(why, "sealed", 6) ? FWC_EPM_UNSUPPORTED :
						   FWC_EPM_SEALED;
	return -1;
}

static inline uint32_t epm_agree_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline int epm_agree_fail(char *msg, size_t msz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msz, fmt, ap);
	va_end(ap);
	return -1;
}

/* The scratch as the datapath leaves it: @n bytes of @p, then @fill. */
static inline void epm_agree_load(struct fwc_epm_scratch *s, const uint8_t *p,
				  size_t n, uint8_t fill)
{
	memset(s, fill, sizeof(*s));
	memcpy(s->buf, p, n);
}

/*
 * fwc_epm_request on @n bytes against the expectation @want: the result,
 * the three fields it fills, and nothing else written.
 */
static inline int epm_agree_request(struct fwc_epm_scratch *s,
				    struct fwc_epm_scratch *before,
				    const uint8_t *p, size_t n, int want,
				    char *msg, size_t msz)
{
	int r;

	memcpy(before, s, sizeof(*s));
	r = fwc_epm_request(s, (__u32)n);
	if (r != want)
		return epm_agree_fail(msg, msz, "request(%zu): %s, want %s", n,
				      epm_res_str(r), epm_res_str(want));
	if (r == FWC_EPM_OK) {
		uint16_t opnum = p[2] == 0 ? (uint16_t)(p[22] | p[23] << 8) : 0;

		if (s->pdu.ptype != p[2] ||
		    s->pdu.call_id != epm_agree_le32(p + 12) ||
		    s->pdu.opnum != opnum)
			return epm_agree_fail(
				msg, msz,
				"request(%zu): ptype %u call_id %u opnum %u, "
				"want %u %u %u",
				n, s->pdu.ptype, s->pdu.call_id, s->pdu.opnum,
				p[2], epm_agree_le32(p + 12), opnum);
	} else if (s->pdu.ptype || s->pdu.call_id || s->pdu.opnum) {
		return epm_agree_fail(msg, msz,
				      "request(%zu): %s left fields set", n,
				      epm_res_str(r));
	}
	before->pdu.ptype = s->pdu.ptype;
	before->pdu.call_id = s->pdu.call_id;
	before->pdu.opnum = s->pdu.opnum;
	if (memcmp(before, s, sizeof(*s)))
		return epm_agree_fail(msg, msz,
				      "request(%zu): wrote past its fields", n);
	return 0;
}

/*
 * Checks fwc_epm_request and fwc_epm_response on @len bytes of @p
 * against fwc_epm_parse (called on an exact-size copy): 0 when they
 * agree, -1 with @msg saying how they differ. *@res (if not NULL) gets
 * the response's result.
 */
static inline int epm_agree(const uint8_t *p, size_t len, uint8_t fill,
			    int *res, char *msg, size_t msz)
{
	static struct fwc_epm_scratch s, before;
	struct fwc_epm_pdu ref;
	size_t n = len < FWC_EPM_BUF ? len : FWC_EPM_BUF;
	uint8_t *copy = malloc(len ? len : 1);
	const char *why = NULL;
	int err, want, r;

	if (!copy)
		return epm_agree_fail(msg, msz, "out of memory");
	memcpy(copy, p, len);
	err = fwc_epm_parse(copy, len, &ref, &why);
	free(copy);

	/* The request side: what the server side sees, then 24 bytes. */
	want = epm_expect_request(p, n, why);
	epm_agree_load(&s, p, n, fill);
	if (epm_agree_request(&s, &before, p, n, want, msg, msz))
		return -1;
	if (n > 24) {
		epm_agree_load(&s, p, 24, fill);
		if (epm_agree_request(&s, &before, p, 24, want, msg, msz))
			return -1;
	}

	/* The answer. */
	want = epm_expect_response(err, why, &ref);
	if (want < 0)
		return epm_agree_fail(msg, msz,
				      "reference result %d \"%s\" not classed",
				      err, why);
	epm_agree_load(&s, p, n, fill);
	memcpy(&before, &s, sizeof(s));
	r = fwc_epm_response(&s, (__u32)n);
	if (res)
		*res = r;
	if (r != want)
		return epm_agree_fail(msg, msz,
				      "response(%zu): %s, want %s (\"%s\")", n,
				      epm_res_str(r), epm_res_str(want), why);
	if (memcmp(before.buf, s.buf, sizeof(s.buf)))
		return epm_agree_fail(msg, msz, "response wrote into buf");
	if (r != FWC_EPM_OK) {
		if (s.pdu.ptype || s.pdu.call_id || s.pdu.opnum ||
		    s.pdu.status || s.pdu.n_maps)
			return epm_agree_fail(msg, msz,
					      "response: %s left fields set",
					      epm_res_str(r));
		return 0;
	}
	if (s.pdu.ptype != FWC_EPM_PTYPE_RESPONSE ||
	    s.pdu.call_id != ref.call_id || s.pdu.opnum != 0 ||
	    s.pdu.status != ref.status || s.pdu.n_maps != ref.n_maps)
		return epm_agree_fail(
			msg, msz,
			"response: ptype %u call_id %u opnum %u status %#x "
			"n_maps %u, want 2 %u 0 %#x %u",
			s.pdu.ptype, s.pdu.call_id, s.pdu.opnum, s.pdu.status,
			s.pdu.n_maps, ref.call_id, ref.status, ref.n_maps);
	for (uint32_t i = 0; i < ref.n_maps; i++) {
		const struct fwc_epm_tower *t = &s.pdu.map[i];
		const struct fwc_epm_map *m = &ref.maps[i];

		if (memcmp(t->uuid, m->uuid, 16) || t->major != m->vers_major ||
		    t->minor != m->vers_minor || t->port != m->port)
			return epm_agree_fail(
				msg, msz,
				"tower %u: v%u.%u port %u, want v%u.%u "
				"port %u (or the UUID differs)",
				i, t->major, t->minor, t->port, m->vers_major,
				m->vers_minor, m->port);
	}
	return 0;
}

#endif /* FWC_EPM_AGREE_H */
