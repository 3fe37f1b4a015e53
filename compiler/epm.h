/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The reference parser of DCE/RPC endpoint-mapper traffic on TCP 135
 * (C706 ch. 12, 14, App. L; MS-RPCE 2.2.1.2.5, 2.2.2.11). Pure C, no
 * state: one TCP payload in, one PDU's worth of facts out. It is the
 * oracle the XDP parser of issue 12 will be checked against, as
 * compiler/reference.c is for the tables; docs/rpc-pinholes.md says what
 * it accepts, what it refuses and why.
 */
#ifndef FWC_EPM_H
#define FWC_EPM_H

#include <stddef.h>
#include <stdint.h>

/*
 * At most this many towers in an ept_map response. Samba answers 1 tower
 * whatever max_towers says, impacket asks for 4, MS-RPCE allows 500; a
 * response with more is refused, since its status word (after the last
 * tower) cannot be reached by the datapath's bounded walk.
 */
#define FWC_EPM_MAX_TOWERS 8
/* MS-RPCE 3.1.3.5.3: "SHOULD reject towers with more than six floors". */
#define FWC_EPM_MAX_FLOORS 6
/* MS-RPCE 2.2.1.2.5: [in, range(0,500)] max_towers. */
#define FWC_EPM_MAX_TOWERS_ASKED 500

#define FWC_EPM_PTYPE_REQUEST 0
#define FWC_EPM_PTYPE_RESPONSE 2
#define FWC_EPM_OPNUM_MAP 3
#define FWC_EPM_STATUS_OK 0
#define FWC_EPM_NOT_REGISTERED 0x16c9a0d6u

enum fwc_epm_kind {
	FWC_EPM_OTHER,	      /* a whole PDU of another type (bind, fault...) */
	FWC_EPM_REQUEST,      /* a request, opnum not 3 */
	FWC_EPM_MAP_REQUEST,  /* a request with opnum 3 (ept_map) */
	FWC_EPM_MAP_RESPONSE, /* a response whose stub is an ept_map's */
};

/* One tower that maps an interface to a TCP port (ncacn_ip_tcp). */
struct fwc_epm_map {
	uint8_t uuid[16]; /* as on the wire: u32, u16, u16 little-endian */
	uint16_t vers_major, vers_minor;
	uint16_t port;	   /* host order (big-endian on the wire) */
	uint8_t ip[4];	   /* floor 5, network order; 0.0.0.0 from Samba */
	uint8_t has_ip;	   /* the tower has floor 5 */
	uint16_t uuid_off; /* where uuid and port were read, from the */
	uint16_t port_off; /* start of the PDU: the XDP parser's offsets */
};

struct fwc_epm_pdu {
	/* The common header (C706 12.6.1). */
	uint8_t ptype, pfc_flags, vers_minor;
	uint8_t drep[4];
	uint16_t frag_length; /* the caller's next PDU starts here */
	uint16_t auth_length;
	uint32_t call_id;
	/* The sec_trailer when auth_length > 0 (MS-RPCE 2.2.2.11). */
	uint8_t auth_type, auth_level, auth_pad;
	/* Set on -EAGAIN: bytes still missing for the whole PDU. */
	uint32_t need;

	enum fwc_epm_kind kind;
	/* Requests and responses. */
	uint16_t p_cont_id;
	uint16_t opnum;	   /* requests only */
	uint16_t stub_off; /* the stub is [stub_off, stub_off + stub_len) */
	uint16_t stub_len;
	/* FWC_EPM_MAP_REQUEST. */
	uint32_t max_towers;	  /* towers the client asks for */
	uint8_t has_object;	  /* the obj argument is not NULL */
	uint8_t has_asked;	  /* the map_tower names an interface: */
	struct fwc_epm_map asked; /* its floor 1 (port 0 in practice) */
	/* FWC_EPM_MAP_RESPONSE. */
	uint32_t status;     /* 0 ok; a pinhole needs 0 */
	uint32_t num_towers; /* as sent, NULL ones included */
	uint32_t n_other;    /* towers that are not ncacn_ip_tcp */
	uint32_t n_maps;
	struct fwc_epm_map maps[FWC_EPM_MAX_TOWERS];
};

/*
 * Parses the first PDU of the TCP payload @p, @len bytes, into @out.
 * Returns 0 on a whole PDU it understood (see out->kind), or
 *   -EAGAIN      the PDU is longer than the payload ("split"; out->need),
 *   -EOPNOTSUPP  legal but not parsed: sealed, a fragment of a
 *                multi-fragment call, big-endian drep, too many towers,
 *                aliased tower pointers,
 *   -EBADMSG     malformed,
 *   -ENODATA     an empty payload,
 * with a static reason in *@why (never NULL on return). Reads nothing
 * outside [p, p + len); every loop is bounded by a constant.
 *
 * A response carries no opnum: its stub is read as an ept_map response,
 * and only the caller, who saw the request with the same call_id on the
 * same connection, knows whether it is one.
 */
int fwc_epm_parse(const uint8_t *p, size_t len, struct fwc_epm_pdu *out,
		  const char **why);

/* "12345778-1234-abcd-ef00-0123456789ac" from the wire form; @buf >= 37. */
void fwc_epm_uuid_format(const uint8_t uuid[16], char *buf);

#endif /* FWC_EPM_H */
