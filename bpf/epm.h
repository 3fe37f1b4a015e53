/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The datapath's endpoint-mapper parser (docs/rpc-pinholes.md): the
 * XDP program copies a TCP payload of an EPM connection into
 * struct fwc_epm_scratch (bpf_xdp_load_bytes) and reads it here.
 *
 * Plain C over a byte array, with every offset masked into the buffer, so
 * that it compiles for BPF (called from bpf/fwc.bpf.c) and for the host
 * (tests/unit/test_epm_bpf.c checks it against the reference parser,
 * compiler/epm.c, byte for byte). Includes nothing but linux/types.h.
 *
 * INTERFACE (fixed; the implementation fills it in):
 *   FWC_EPM_BUF        bytes of a PDU the datapath reads at most
 *   struct fwc_epm_pdu what a parse yields
 *   struct fwc_epm_scratch { buf, pdu }: the per-CPU scratch value
 *   int fwc_epm_request(struct fwc_epm_scratch *s, __u32 len)
 *       header of a PDU: FWC_EPM_OK with pdu.ptype, pdu.call_id, and for a
 *       request pdu.opnum; fills nothing else.
 *   int fwc_epm_response(struct fwc_epm_scratch *s, __u32 len)
 *       a whole ept_map response (PTYPE 2) in buf[0..len): FWC_EPM_OK with
 *       pdu.call_id, pdu.status, pdu.n_maps ncacn_ip_tcp towers in pdu.map;
 *       anything fwc_epm_parse refuses is refused here too.
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
	__u8 buf[FWC_EPM_BUF + 16]; /* slack: a masked offset + 4 fits */
	struct fwc_epm_pdu pdu;
};

#endif /* FWC_BPF_EPM_H */
