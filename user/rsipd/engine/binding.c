// SPDX-License-Identifier: BSD-2-Clause
/*
 * The binding table. Creating a binding is the grant path's job (grant.c);
 * this file owns where bindings live and how one goes away: every resource
 * back to the allocator (held back, RFC 3102 6.1), the data plane told, the
 * record freed.
 */
#include "engine_priv.h"

#include <stdlib.h>
#include <string.h>
#include <utlist.h>

#include "alloc/alloc.h"
#include "dataplane/dataplane.h"
#include "log.h"

struct binding *binding_alloc(uint16_t nspis, uint16_t nports)
{
	struct binding *b =
	    calloc(1, offsetof(struct binding, r) + binding_rec_size(nspis, nports));

	if (!b)
		return NULL;
	b->r.nspis = nspis;
	b->r.nports = nports;
	return b;
}

struct binding *binding_by_id(struct engine *e, uint32_t bind_id)
{
	struct binding *b;

	HASH_FIND(hh, e->bindings, &bind_id, sizeof(bind_id), b);
	return b;
}

void binding_insert(struct engine *e, struct client *c, struct binding *b)
{
	HASH_ADD(hh, e->bindings, r.bind_id, sizeof(b->r.bind_id), b);
	DL_APPEND2(c->bindings, b, cprev, cnext);
	c->r.nbindings++;
	c->r.nports += b->r.nports;
	c->r.nspis += b->r.nspis;
	e->n_bindings++;
	lease_schedule_binding(e, b);
	client_touch_lease(e, c, b->r.expires_ms);
}

void binding_destroy(struct engine *e, struct client *c, struct binding *b, bool tell_dp)
{
	struct binding_rec *r = &b->r;
	int rc;

	if (r->kind == BIND_RSA_IP)
		alloc_addr_whole_release(e->alloc, r->client_id, r->nb);
	if (r->nports)
		alloc_ports_release(e->alloc, r->client_id, r->nb, binding_ports(r), r->nports);
	if (r->nspis)
		alloc_spi_release(e->alloc, r->client_id, r->nb, binding_spis(r), r->nspis);
	alloc_bind_id_release(e->alloc, r->bind_id);

	if (e->dp && tell_dp) {
		/* The data plane recomputes the client's entries from its
		 * remaining bindings: a block another binding still names
		 * keeps its entry. */
		rc = e->dp->ops->binding_del(e->dp, r);
		if (rc < 0)
			log_warnx("data plane %s: removing binding %u: %s", e->dp->ops->name,
				  r->bind_id, strerror(-rc));
	}

	e->state_gen++;
	engine_dirty(e, c->r.client_id);
	HASH_DELETE(hh, e->bindings, b);
	DL_DELETE2(c->bindings, b, cprev, cnext);
	c->r.nbindings--;
	c->r.nports -= r->nports;
	c->r.nspis -= r->nspis;
	e->n_bindings--;
	free(b);
}

const char *binding_kind_name(uint8_t kind)
{
	switch (kind) {
	case BIND_RSA_IP:
		return "RSA-IP";
	case BIND_RSAP_IP:
		return "RSAP-IP";
	case BIND_RSIPSEC:
		return "RSIPSEC";
	case BIND_LISTEN:
		return "LISTEN";
	default:
		return "UNKNOWN";
	}
}
