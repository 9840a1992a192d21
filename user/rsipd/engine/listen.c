// SPDX-License-Identifier: BSD-2-Clause
/*
 * LISTEN_REQUEST (RFC 3103 9.16, spec 6.8): an address and ports on which
 * the host receives traffic from peers it never contacted. The checks and
 * errors are those of ASSIGN_REQUEST_RSAP-IP; several tunnel types may be
 * offered (policy_tunnel picks the first we carry).
 */
#include "grant.h"

#include <arpa/inet.h>

#include "log.h"

int handle_listen(struct engine *e, struct req_ctx *x)
{
	const struct rsip_msg *req = x->req;
	struct grant_req g = {
	    .kind = BIND_LISTEN,
	    .local_addr = &req->local_addr,
	    .local_ports = &req->local_ports,
	    .remote_addr = &req->remote_addr,
	    .remote_ports = &req->remote_ports,
	    .has_lease = req->has & RSIP_HAS_LEASE,
	    .lease = req->lease,
	};
	struct binding *b;
	int rc;

	rc = grant_binding(e, x, &g, &b);
	if (rc)
		return rc;
	e->ctr.listens++;
	log_info("client %u: listener %u on %s ports %u lease %us", b->r.client_id, b->r.bind_id,
		 inet_ntoa(b->r.nb), b->r.nports, b->r.lease_s);
	grant_response(e, x, &g, b, RSIP_LISTEN_RESPONSE);
	return 0;
}
