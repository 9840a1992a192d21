// SPDX-License-Identifier: BSD-2-Clause
/*
 * Lease expiry (RFC 3103 section 6, D12): engine_tick() takes every due
 * entry off the lease heap (lease.c) and ends the binding or registration
 * whose time it still matches, telling the host with an unsolicited
 * FREE_RESPONSE / DE-REGISTER_RESPONSE.
 */
#include "engine_priv.h"

#include <arpa/inet.h>

#include "alloc/alloc.h"
#include "log.h"

static void expire_binding(struct engine *e, struct binding *b)
{
	struct client *c = client_by_id(e, b->r.client_id);
	uint32_t bind_id = b->r.bind_id;

	if (!c) /* cannot happen: a binding dies with its client */
		fatalx("binding %u has no client %u", bind_id, b->r.client_id);
	log_info("client %u: binding %u expired", c->r.client_id, bind_id);
	binding_destroy(e, c, b, true);
	e->ctr.leases_expired++;
	rsip_msg_init(&e->unsol, RSIP_FREE_RESPONSE);
	e->unsol.client_id = c->r.client_id;
	e->unsol.bind_id = bind_id;
	e->unsol.has |= RSIP_HAS_CLIENT_ID | RSIP_HAS_BIND_ID;
	engine_send_unsolicited(e, c, &e->unsol);
}

static void expire_client(struct engine *e, struct client *c)
{
	log_info("client %u (%s): registration expired", c->r.client_id, inet_ntoa(c->r.xa));
	e->ctr.registrations_expired++;
	rsip_msg_init(&e->unsol, RSIP_DEREGISTER_RESPONSE);
	e->unsol.client_id = c->r.client_id;
	e->unsol.has |= RSIP_HAS_CLIENT_ID;
	engine_send_unsolicited(e, c, &e->unsol);
	client_destroy(e, c, true);
}

void engine_tick(struct engine *e)
{
	uint64_t now = engine_now(e);
	struct lease_due due;

	reply_cache_expire(e->prereg, now);
	alloc_expire(e->alloc); /* give held-back memory back */
	/* Only the active gateway ends leases (once in the cluster): the
	 * standby learns of it through the mirror. */
	while (!e->passive && lease_pop_due(e->leases, now, &due)) {
		if (!due.is_client) {
			struct binding *b = binding_by_id(e, due.id);

			if (b && b->r.expires_ms == due.at)
				expire_binding(e, b);
		} else {
			struct client *c = client_by_id(e, due.id);

			if (c && c->r.expires_ms == due.at)
				expire_client(e, c);
		}
	}
	engine_state_changed(e);
}
