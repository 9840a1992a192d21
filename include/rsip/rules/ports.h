/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Whose a leased port is, for both directions (the WAN demux and the LAN
 * source-port check) and the slow path's ICMP-error owner: the gateway leases
 * every port, so an Nb's ports are an array index (issue 11 item 1):
 * rsip_nb_dir gives the Nb's partition of rsip_port_dir by the Nb's filter
 * bit (an address computation, no hashing), then slot << 16 | port is the
 * entry. An Nb with a partition has all its ports there, so a miss is final;
 * an Nb without one (it shares its filter bit with an earlier Nb, or the
 * partitions ran out) keeps its ports in the rsip_ports hash.
 */
#ifndef RSIP_RULES_PORTS_H
#define RSIP_RULES_PORTS_H

#include "rsip/rules/env.h"

/* The target of (nb, port) (port in network order), or NULL. */
static __always_inline struct rsip_target *rule_port_target(RULE_ENV *env, __be32 nb, __be16 port)
{
	if (RULE_PORT_DIR_ON(env)) {
		__u32 h = rsip_nb_filter_bit(nb);
		struct rsip_nb_slot *ns = RULE_LOOKUP(env, RULE_MAP(rsip_nb_dir), &h);

		if (ns && ns->nb && ns->nb == nb) {
			__u32 idx = ns->slot << 16 | bpf_ntohs(port);
			struct rsip_dir_val *d = RULE_LOOKUP(env, RULE_MAP(rsip_port_dir), &idx);

			return d && d->nb == nb ? &d->t : NULL;
		}
	}
	struct rsip_port_key pk = {.nb = nb, .port = port};

	return RULE_LOOKUP(env, RULE_MAP(rsip_ports), &pk);
}

#endif
