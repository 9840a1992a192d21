/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Granting a binding: the checks and allocations that ASSIGN (RSA-IP,
 * RSAP-IP, RSIPSEC) and LISTEN share, in the order of spec 6.1 step 11, all
 * or nothing (one allocator transaction; the data plane's refusal rolls it
 * back).
 */
#ifndef RSIPD_GRANT_H
#define RSIPD_GRANT_H

#include "engine_priv.h"

struct grant_req {
	uint8_t kind; /* enum binding_kind */
	const struct rsip_address *local_addr;
	const struct rsip_ports *local_ports; /* NULL: RSA-IP */
	const struct rsip_address *remote_addr;
	const struct rsip_ports *remote_ports;
	const struct rsip_spi *spi; /* RSIPSEC only */
	bool has_lease;
	uint32_t lease;
};

/* Returns 0 and the new binding (already in the table), or an RSIP error
 * with nothing changed. */
int grant_binding(struct engine *e, struct req_ctx *x, const struct grant_req *g,
		  struct binding **out);

/* Fill the response of message type `type` for binding b granted for g. */
void grant_response(struct engine *e, const struct req_ctx *x, const struct grant_req *g,
		    const struct binding *b, uint8_t type);

#endif
