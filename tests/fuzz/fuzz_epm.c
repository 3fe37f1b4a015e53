// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer target: any bytes as a TCP payload on port 135
 * (fwc_epm_parse) must be refused with a reason or parse to facts that
 * are in the bytes, without a crash, a read past them or a sanitizer
 * report. `make fuzz-epm` runs it for FUZZ_SECONDS, seeded with the
 * payloads of tests/unit/epm_fixtures.h.
 *
 * The same bytes go to the datapath's parser (bpf/epm.h, as host C),
 * which must agree with the reference as tests/unit/epm_agree.h says:
 * the same result class, call_id, status and towers, whatever the
 * bytes past the payload in its scratch buffer (zeros, then 0xff).
 *
 * libFuzzer takes seeds from directories only, so the fixtures reach it
 * through LLVMFuzzerInitialize, which writes each one (fx_NAME) into the
 * first corpus directory named on the command line, with built answers
 * of several towers (tests/unit/epm_build.h) that no capture has.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../unit/epm_agree.h"
#include "epm.h"
#include "../unit/epm_fixtures.h"
#include "../unit/epm_build.h"

#define SEED(name)                                  \
	{                                           \
#name, fx_##name, sizeof(fx_##name) \
	}

static const struct {
	const char *name;
	const uint8_t *p;
	size_t len;
} seeds[] = {
	SEED(samba_impacket_resp), SEED(impacket_req),
	SEED(impacket_bind),	   SEED(samba_rpcclient_resp),
	SEED(rpcclient_req),	   SEED(integrity_req),
	SEED(integrity_resp),	   SEED(not_registered_resp),
	SEED(mss64_seg1),	   SEED(lookup_req),
	SEED(lookup_frag1),	   SEED(lookup_end_resp),
};

static void seed(const char *dir, const char *name, const uint8_t *p,
		 size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/fx_%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(p, 1, len, f);
	fclose(f);
}

/* 2 TCP towers, a named pipe and a NULL pointer; 8 TCP towers. */
static void seed_built(const char *dir)
{
	static struct built b;
	static uint8_t t[8][75];
	const uint8_t *towers[8];
	size_t tlen[8];
	uint32_t refs[8];

	for (uint32_t i = 0; i < 8; i++) {
		samr_tower(t[i], (uint16_t)(49152 + i));
		towers[i] = t[i];
		tlen[i] = 75;
		refs[i] = 0x20000 + 4 * i;
	}
	towers[1] = pipe_tower;
	tlen[1] = sizeof(pipe_tower);
	refs[2] = 0;
	build(&b, refs, 4, towers, tlen, 0);
	seed(dir, "built_4", b.p, b.len);
	towers[1] = t[1];
	tlen[1] = 75;
	refs[2] = 0x20008;
	build(&b, refs, 8, towers, tlen, 0);
	seed(dir, "built_8", b.p, b.len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	for (int i = 1; i < *argc; i++) {
		const char *dir = (*argv)[i];
		struct stat st;

		if (dir[0] == '-' || stat(dir, &st) || !S_ISDIR(st.st_mode))
			continue;
		for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++)
			seed(dir, seeds[s].name, seeds[s].p, seeds[s].len);
		seed_built(dir);
		break;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwc_epm_pdu o;
	const char *why = NULL;
	int err = fwc_epm_parse(data, size, &o, &why);
	char msg[256];

	/* The datapath's parser agrees, whatever follows the payload. */
	if (epm_agree(data, size, 0x00, NULL, msg, sizeof(msg)) ||
	    epm_agree(data, size, 0xff, NULL, msg, sizeof(msg))) {
		fprintf(stderr, "bpf/epm.h disagrees: %s\n", msg);
		__builtin_trap();
	}
	if (!why)
		__builtin_trap();
	if (err) {
		if (err != -EAGAIN && err != -EOPNOTSUPP && err != -EBADMSG &&
		    err != -ENODATA)
			__builtin_trap();
		if (o.n_maps)
			__builtin_trap();
		return 0;
	}
	/* What it found is in the bytes it was given. */
	if (o.frag_length > size || o.stub_off + o.stub_len > o.frag_length ||
	    o.n_maps > FWC_EPM_MAX_TOWERS)
		__builtin_trap();
	for (uint32_t i = 0; i < o.n_maps; i++) {
		const struct fwc_epm_map *m = &o.maps[i];

		if (m->uuid_off + 16u > o.frag_length ||
		    m->port_off + 2u > o.frag_length ||
		    memcmp(m->uuid, data + m->uuid_off, 16) ||
		    m->port != (data[m->port_off] << 8 | data[m->port_off + 1]))
			__builtin_trap();
	}
	return 0;
}
