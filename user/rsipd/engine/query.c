// SPDX-License-Identifier: BSD-2-Clause
/*
 * QUERY_REQUEST (RFC 3103 9.14, spec 6.7, D18): is an address or a network
 * local (reachable directly on the private side)? We know our local networks
 * only, so an answer is a local tuple or nothing (the host then takes the
 * address as remote). No tuples: every local network.
 */
#include "engine_priv.h"

#include <arpa/inet.h>

#include "parse.h"

static uint32_t prefix_mask(uint8_t len)
{
	return len ? htonl(~0u << (32 - len)) : 0;
}

static bool addr_is_local(const struct cidr_list *l, struct in_addr a)
{
	return cidr_list_contains(l, a);
}

/* net/mask lies inside one local prefix: the mask keeps at least the
 * prefix's bits and the network matches on them. */
static bool net_is_local(const struct cidr_list *l, struct in_addr net, struct in_addr mask)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		uint32_t pm = prefix_mask(l->v[i].len);

		if ((mask.s_addr & pm) == pm && (net.s_addr & pm) == l->v[i].net.s_addr)
			return true;
	}
	return false;
}

static void add_network(struct rsip_msg *rep, struct in_addr net, struct in_addr mask)
{
	struct rsip_tuple *t = rsip_msg_add_tuple(rep);

	if (!t)
		return; /* a full response: RSIP_MAX_TUPLES is all QUERY carries */
	t->indicator = RSIP_IND_LOCAL_NETWORK;
	t->addr.type = RSIP_ADDR_IPV4;
	t->addr.u.v4 = net;
	t->mask.type = RSIP_ADDR_IPV4_NETMASK;
	t->mask.u.v4 = mask;
}

int handle_query(struct engine *e, struct req_ctx *x)
{
	const struct rsip_msg *req = x->req;
	const struct cidr_list *l = policy_local_nets(e);
	struct rsip_msg *rep = x->rep;
	unsigned int i;

	rsip_msg_init(rep, RSIP_QUERY_RESPONSE);
	rep->client_id = x->c->r.client_id;
	rep->has |= RSIP_HAS_CLIENT_ID;
	e->ctr.queries++;

	if (req->n_tuples == 0) {
		for (i = 0; i < l->n; i++)
			add_network(rep, l->v[i].net, (struct in_addr){prefix_mask(l->v[i].len)});
		return 0;
	}
	/* Local address tuples first, then local networks: the response
	 * grammar's order. IPv6 and FQDN are never local here (no IPv6
	 * networks can be configured), so they are left out. */
	for (i = 0; i < req->n_tuples; i++) {
		const struct rsip_tuple *q = &req->tuples[i];
		struct rsip_tuple *t;

		if (q->indicator != RSIP_IND_ADDRESS || q->addr.type != RSIP_ADDR_IPV4 ||
		    q->addr.any || !addr_is_local(l, q->addr.u.v4))
			continue;
		if (!(t = rsip_msg_add_tuple(rep)))
			break;
		t->indicator = RSIP_IND_LOCAL_ADDRESS;
		t->addr = q->addr;
	}
	for (i = 0; i < req->n_tuples; i++) {
		const struct rsip_tuple *q = &req->tuples[i];

		if (q->indicator != RSIP_IND_NETWORK || q->addr.type != RSIP_ADDR_IPV4 ||
		    q->mask.type != RSIP_ADDR_IPV4_NETMASK ||
		    !net_is_local(l, q->addr.u.v4, q->mask.u.v4))
			continue;
		add_network(rep, q->addr.u.v4, q->mask.u.v4);
	}
	return 0;
}
