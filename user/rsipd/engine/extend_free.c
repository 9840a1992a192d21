// SPDX-License-Identifier: BSD-2-Clause
/*
 * EXTEND_REQUEST (RFC 3103 9.10) and FREE_REQUEST (9.12): both name one
 * binding of the host (306 otherwise, carrying the Client ID and the
 * rejected Bind ID: D17).
 */
#include "engine_priv.h"

#include <errno.h>

#include "log.h"

static struct binding *own_binding(struct engine *e, struct req_ctx *x)
{
	struct binding *b = binding_by_id(e, x->req->bind_id);

	x->err_has_bind = true;
	x->err_bind = x->req->bind_id;
	if (!b || b->r.client_id != x->c->r.client_id)
		return NULL;
	return b;
}

int handle_extend(struct engine *e, struct req_ctx *x)
{
	struct rsip_msg *rep = x->rep;
	struct binding *b = own_binding(e, x);
	uint32_t lease;

	if (!b)
		return RSIP_E_BAD_BIND_ID;
	/* D12: clamp(requested, --lease-min, --lease), counted from now. */
	lease = lease_grant(e, x->req->has & RSIP_HAS_LEASE, x->req->lease);
	b->r.lease_s = lease;
	b->r.expires_ms = engine_now(e) + (uint64_t)lease * 1000u;
	lease_schedule_binding(e, b);
	client_touch_lease(e, x->c, b->r.expires_ms);
	e->ctr.extends++;
	log_debug("client %u: binding %u extended by %us", x->c->r.client_id, b->r.bind_id, lease);

	rsip_msg_init(rep, RSIP_EXTEND_RESPONSE);
	rep->client_id = x->c->r.client_id;
	rep->bind_id = b->r.bind_id;
	rep->lease = lease;
	rep->has |= RSIP_HAS_CLIENT_ID | RSIP_HAS_BIND_ID | RSIP_HAS_LEASE;
	return 0;
}

int handle_free(struct engine *e, struct req_ctx *x)
{
	struct rsip_msg *rep = x->rep;
	struct binding *b = own_binding(e, x);
	uint32_t bind_id;

	if (!b)
		return RSIP_E_BAD_BIND_ID;
	bind_id = b->r.bind_id;
	binding_destroy(e, x->c, b, true);
	e->ctr.frees++;
	log_info("client %u: binding %u freed", x->c->r.client_id, bind_id);

	rsip_msg_init(rep, RSIP_FREE_RESPONSE);
	rep->client_id = x->c->r.client_id;
	rep->bind_id = bind_id;
	rep->has |= RSIP_HAS_CLIENT_ID | RSIP_HAS_BIND_ID;
	return 0;
}

int engine_revoke_binding(struct engine *e, uint32_t bind_id)
{
	struct binding *b = binding_by_id(e, bind_id);
	struct client *c;

	if (!b)
		return -ENOENT;
	c = client_by_id(e, b->r.client_id);
	log_info("client %u: binding %u revoked by the operator", c->r.client_id, bind_id);
	binding_destroy(e, c, b, true);
	e->ctr.revocations++;
	rsip_msg_init(&e->unsol, RSIP_FREE_RESPONSE);
	e->unsol.client_id = c->r.client_id;
	e->unsol.bind_id = bind_id;
	e->unsol.has |= RSIP_HAS_CLIENT_ID | RSIP_HAS_BIND_ID;
	engine_send_unsolicited(e, c, &e->unsol);
	engine_state_changed(e);
	return 0;
}

int engine_revoke_client(struct engine *e, uint32_t client_id)
{
	struct client *c = client_by_id(e, client_id);

	if (!c)
		return -ENOENT;
	log_info("client %u: registration revoked by the operator", client_id);
	e->ctr.revocations++;
	rsip_msg_init(&e->unsol, RSIP_DEREGISTER_RESPONSE);
	e->unsol.client_id = client_id;
	e->unsol.has |= RSIP_HAS_CLIENT_ID;
	engine_send_unsolicited(e, c, &e->unsol);
	client_destroy(e, c, true);
	engine_state_changed(e);
	return 0;
}
