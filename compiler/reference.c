// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The reference classifier: a deliberately naive first-match scan over the
 * resolved rules. It shares nothing with the tables, so that comparing the
 * two (fwc test --reference, the random agreement tests) checks the
 * compiler's lowering.
 *
 * An rpc service is here what it is to the tables: its term, TCP to port
 * 135 (the endpoint mapper), from any port. The ports its pinholes open
 * are state the datapath keeps (docs/rpc-pinholes.md), not rules: a
 * packet to one meets the rules as any other, in both classifiers.
 */
#include "resolve.h"
#include "tables.h"

static fwc_u128 addr_value(const uint8_t *a, int family)
{
	fwc_u128 v = 0;

	for (int i = 0; i < (family == 4 ? 4 : 16); i++)
		v = (v << 8) | a[i];
	return v;
}

static bool host_match(const struct fwc_addrset *s, int family,
		       const uint8_t *a)
{
	return fwc_ivset_contains(family == 4 ? &s->v4 : &s->v6,
				  addr_value(a, family));
}

static bool term_match(const struct fwc_policy *pol, const struct fwc_term *t,
		       const struct fwc_packet *p)
{
	if (!fwc_ivset_contains(&pol->sets[t->protos], p->proto))
		return false;
	if (fwc_proto_has_ports(p->proto))
		return fwc_ivset_contains(&pol->sets[t->dports], p->k1) &&
		       fwc_ivset_contains(&pol->sets[t->sports], p->k2);
	if (fwc_proto_is_icmp(p->proto))
		return fwc_ivset_contains(&pol->sets[t->types], p->k1);
	return true;
}

uint32_t fwc_reference_classify(const struct fwc_policy *pol,
				const struct fwc_packet *pkt)
{
	for (size_t i = 0; i < pol->n_rules; i++) {
		const struct fwc_rule *r = &pol->rules[i];

		if (!host_match(&pol->hosts[r->src], pkt->family, pkt->src) ||
		    !host_match(&pol->hosts[r->dst], pkt->family, pkt->dst))
			continue;
		for (size_t j = 0; j < r->n_terms; j++)
			if (term_match(pol, &pol->terms[r->term_first + j],
				       pkt))
				return r->id;
	}
	return 0;
}
