// SPDX-License-Identifier: BSD-2-Clause
/*
 * ASSIGN_REQUEST_RSA-IP (RFC 3103 9.6), ASSIGN_REQUEST_RSAP-IP (9.8) and
 * ASSIGN_REQUEST_RSIPSEC (RFC 3104 6.2): the message's fields mapped onto
 * the shared grant path, and its response.
 */
#include "grant.h"

#include <arpa/inet.h>

#include "log.h"

int handle_assign(struct engine *e, struct req_ctx *x)
{
	const struct rsip_msg *req = x->req;
	struct grant_req g = {
	    .local_addr = &req->local_addr,
	    .remote_addr = &req->remote_addr,
	    .remote_ports = &req->remote_ports,
	    .has_lease = req->has & RSIP_HAS_LEASE,
	    .lease = req->lease,
	};
	struct binding *b;
	uint8_t rtype;
	int rc;

	switch (req->type) {
	case RSIP_ASSIGN_REQUEST_RSA_IP:
		g.kind = BIND_RSA_IP;
		rtype = RSIP_ASSIGN_RESPONSE_RSA_IP;
		break;
	case RSIP_ASSIGN_REQUEST_RSAP_IP:
		g.kind = BIND_RSAP_IP;
		g.local_ports = &req->local_ports;
		rtype = RSIP_ASSIGN_RESPONSE_RSAP_IP;
		break;
	default:
		g.kind = BIND_RSIPSEC;
		g.local_ports = &req->local_ports;
		g.spi = &req->spi;
		rtype = RSIP_ASSIGN_RESPONSE_RSIPSEC;
		break;
	}
	rc = grant_binding(e, x, &g, &b);
	if (rc) {
		log_debug("client %u: %s refused: %u %s", x->c->r.client_id,
			  rsip_msg_type_name(req->type), rc, rsip_error_name((unsigned int)rc));
		return rc;
	}
	e->ctr.assignments++;
	log_info("client %u: binding %u %s nb %s ports %u spis %u lease %us", b->r.client_id,
		 b->r.bind_id, binding_kind_name(b->r.kind), inet_ntoa(b->r.nb), b->r.nports,
		 b->r.nspis, b->r.lease_s);
	grant_response(e, x, &g, b, rtype);
	return 0;
}
