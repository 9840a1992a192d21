// SPDX-License-Identifier: BSD-2-Clause
/*
 * REGISTER_REQUEST and DE-REGISTER_REQUEST (RFC 3103 9.2-9.5, spec 6.3).
 * The dispatcher has already answered 302 (registered) and 301 / 305
 * (DE-REGISTER without a registration, or with someone else's ID: D11).
 */
#include "engine_priv.h"

#include <arpa/inet.h>
#include <utlist.h>

#include "log.h"
#include "config.h"

int handle_register(struct engine *e, struct req_ctx *x)
{
	struct rsip_msg *rep = x->rep;
	uint32_t want = 0, lease;
	struct client *c;
	bool asked;
	int rc;

	if (!policy_may_register(e, x->src->addr)) {
		log_info("%s: registration denied by --allow", inet_ntoa(x->src->addr));
		return RSIP_E_REGISTRATION_DENIED;
	}
	if (e->n_clients >= e->cfg->max_clients && e->unproven) {
		/* Full, but the oldest UDP registration has never used its
		 * Client ID (a forged source never sees it): it makes room,
		 * silently - a message to a forged source would be a
		 * reflection. A real host that was idle gets 301 next time
		 * and registers again. */
		struct client *old = e->unproven;

		e->ctr.registrations_evicted++;
		log_info("client %u (%s): never used its Client ID, evicted at --max-clients",
			 old->r.client_id, inet_ntoa(old->r.xa));
		client_destroy(e, old, true);
	}
	if (e->n_clients >= e->cfg->max_clients) {
		/* What the data plane's maps hold (xdp) or the documented
		 * bound (none): beyond it a flood would only exhaust memory. */
		e->ctr.registers_capped++;
		log_warnx("%s: registration refused: --max-clients %u reached",
			  inet_ntoa(x->src->addr), e->cfg->max_clients);
		return RSIP_E_REGISTRATION_DENIED;
	}
	rc = engine_alloc_gate(e);
	if (!rc)
		rc = client_create(e, x->src, &c);
	if (rc)
		return rc;
	x->c = c;
	/* D21: the lease the host asked for, clamped like a binding's (D12). */
	asked = rsip_msg_reg_lease(x->req, &want);
	lease = lease_grant(e, asked, want);
	if (lease != e->cfg->lease) {
		c->r.expires_ms = c->r.registered_ms + (uint64_t)lease * 1000u;
		lease_schedule_client(e, c);
	}
	e->ctr.registrations++;
	if (c->r.transport == ENGINE_T_UDP) { /* TCP: the handshake proved the source */
		c->unproven = true;
		DL_APPEND2(e->unproven, c, uprev, unext);
	}
	log_info("client %u registered: %s over %s", c->r.client_id, inet_ntoa(c->r.xa),
		 c->r.transport == ENGINE_T_TCP ? "tcp" : "udp");

	rsip_msg_init(rep, RSIP_REGISTER_RESPONSE);
	rep->client_id = c->r.client_id;
	rep->lease = lease;
	rep->flow_local = c->r.flow_local;
	rep->flow_remote = c->r.flow_remote;
	rep->has |= RSIP_HAS_CLIENT_ID | RSIP_HAS_LEASE | RSIP_HAS_FLOW_POLICY;
	rep->n_methods = (uint8_t)policy_methods(e, c->r.xa, rep->methods, RSIP_MAX_METHODS);
	/* D15: the tunnels we carry. */
	rep->tunnels[0] = RSIP_TUNNEL_IPIP;
	rep->tunnels[1] = RSIP_TUNNEL_GRE;
	rep->n_tunnels = 2;
	return 0;
}

int handle_deregister(struct engine *e, struct req_ctx *x)
{
	struct rsip_msg *rep = x->rep;
	uint32_t id = x->c->r.client_id;

	log_info("client %u de-registered (%s)", id, inet_ntoa(x->c->r.xa));
	client_destroy(e, x->c, true);
	/* The registration is gone: a retransmission now finds the reply in the
	 * cache of unregistered sources. */
	x->c = NULL;
	e->ctr.deregistrations++;
	rsip_msg_init(rep, RSIP_DEREGISTER_RESPONSE);
	rep->client_id = id;
	rep->has |= RSIP_HAS_CLIENT_ID;
	return 0;
}
