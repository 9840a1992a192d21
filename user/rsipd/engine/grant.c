// SPDX-License-Identifier: BSD-2-Clause
/*
 * The grant path shared by ASSIGN_REQUEST_RSA-IP / _RSAP-IP / _RSIPSEC and
 * LISTEN_REQUEST. Checks run in the order of spec 6.1 step 11 (401, 307, 103,
 * 314/315, local address, local ports, SPIs); nothing is allocated until the
 * policy checks pass, and the allocations form one transaction that a
 * failure - including the data plane refusing the binding - rolls back.
 */
#include "grant.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "dataplane/dataplane.h"
#include "log.h"

/* How many ports / SPIs a request asks for. */
static uint16_t ports_wanted(const struct rsip_ports *p)
{
	if (!p)
		return 0;
	switch (p->form) {
	case RSIP_PORTS_RANGE:
	case RSIP_PORTS_LIST:
	case RSIP_PORTS_ANY:
		return p->number;
	default: /* don't need */
		return 0;
	}
}

static uint32_t spis_wanted(const struct rsip_spi *s)
{
	return s && s->form != RSIP_SPI_UNSET ? s->number : 0;
}

/* The "no resources left" answer for a kind of binding: used when a
 * per-host limit is reached and when the data plane's table is full. */
static int resource_error(uint8_t kind)
{
	switch (kind) {
	case BIND_RSA_IP:
		return RSIP_E_LOCAL_ADDR_UNAVAILABLE;
	case BIND_RSIPSEC:
		return RSIP_E_IPSEC_SPI_UNAVAILABLE;
	default:
		return RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE;
	}
}

static uint8_t kind_method(uint8_t kind)
{
	switch (kind) {
	case BIND_RSA_IP:
		return RSIP_METHOD_RSA_IP;
	case BIND_RSIPSEC:
		return RSIP_METHOD_RSIPSEC;
	default:
		return RSIP_METHOD_RSAP_IP;
	}
}

/* 103 (RFC 3103 section 7, spec 6.4, D9). */
static int check_flow_policy(const struct client *c, const struct grant_req *g)
{
	const struct rsip_ports *rp = g->remote_ports;

	if (c->r.flow_local == RSIP_FLOW_MICRO) {
		if (g->kind == BIND_RSA_IP)
			return RSIP_E_FLOW_POLICY_VIOLATION;
		if (ports_wanted(g->local_ports) > 1)
			return RSIP_E_FLOW_POLICY_VIOLATION;
	}
	switch (c->r.flow_remote) {
	case RSIP_FLOW_MACRO:
		if (g->remote_addr->any)
			return RSIP_E_FLOW_POLICY_VIOLATION;
		break;
	case RSIP_FLOW_MICRO:
		if (g->remote_addr->any)
			return RSIP_E_FLOW_POLICY_VIOLATION;
		/* RFC 3104 App. D: ports inside ESP cannot be enforced, so an
		 * RSIPSEC request that needs no ports is held to the address. */
		if (rp->form == RSIP_PORTS_NOT_NEEDED)
			break;
		if (rp->form != RSIP_PORTS_RANGE || rp->number != 1)
			return RSIP_E_FLOW_POLICY_VIOLATION;
		break;
	default:
		break;
	}
	return 0;
}

static bool port_denied(const struct rsipd_config *cfg, uint16_t port)
{
	size_t i;

	for (i = 0; i < cfg->n_deny_remote_port; i++)
		if (cfg->deny_remote_port[i] == port)
			return true;
	return false;
}

/* 314 / 315 (D16 for IPv6). */
static int check_remote(const struct engine *e, const struct grant_req *g)
{
	const struct rsip_address *ra = g->remote_addr;
	const struct rsip_ports *rp = g->remote_ports;
	unsigned int i;

	if (!ra->any) {
		if (ra->type == RSIP_ADDR_IPV6)
			return RSIP_E_REMOTE_ADDR_UNALLOWED;
		if (cidr_list_contains(&e->cfg->deny_remote, ra->u.v4))
			return RSIP_E_REMOTE_ADDR_UNALLOWED;
	}
	if (rp->form == RSIP_PORTS_RANGE || rp->form == RSIP_PORTS_LIST)
		for (i = 0; i < rp->number; i++)
			if (port_denied(e->cfg, rsip_ports_at(rp, i)))
				return RSIP_E_REMOTE_ADDRPORT_UNALLOWED;
	return 0;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int take_ports(struct alloc_txn *t, uint32_t owner, struct in_addr nb,
		      const struct rsip_ports *p, uint16_t n, uint16_t *out)
{
	unsigned int i;

	if (p->form == RSIP_PORTS_ANY)
		return alloc_ports_any(t, owner, nb, n, out);
	for (i = 0; i < n; i++)
		out[i] = rsip_ports_at(p, i);
	qsort(out, n, sizeof(*out), cmp_u16);
	return alloc_ports_specific(t, owner, nb, out, n);
}

static int take_spis(struct alloc_txn *t, uint32_t owner, struct in_addr nb,
		     const struct rsip_spi *s, uint16_t k, struct binding_rec *r)
{
	uint32_t *out = binding_spis(r);
	unsigned int i;

	if (s->form == RSIP_SPI_ANY)
		return alloc_spi_any(t, owner, nb, k, out, &r->has_spi_block, &r->spi_block);
	for (i = 0; i < k; i++)
		out[i] = rsip_spi_at(s, i);
	qsort(out, k, sizeof(*out), cmp_u32);
	return alloc_spi_specific(t, owner, nb, out, k);
}

int grant_binding(struct engine *e, struct req_ctx *x, const struct grant_req *g,
		  struct binding **out)
{
	struct client *c = x->c;
	const struct rsipd_config *cfg = e->cfg;
	struct in_addr want = {0}, nb = {0};
	struct alloc_txn *txn = NULL;
	struct binding *b = NULL;
	uint16_t nports = ports_wanted(g->local_ports);
	uint32_t nspis = spis_wanted(g->spi);
	uint32_t owner = c->r.client_id, lease;
	uint8_t tunnel;
	int rc;

	/* 1: 401. */
	if (g->kind == BIND_RSIPSEC && !policy_may_ipsec(e, c->r.xa))
		return RSIP_E_IPSEC_UNALLOWED;
	/* 2: 307. */
	rc = policy_tunnel(x->req, &tunnel);
	if (rc)
		return rc;
	/* 3: 103. */
	rc = check_flow_policy(c, g);
	if (rc)
		return rc;
	/* 4: 314, 315. */
	rc = check_remote(e, g);
	if (rc)
		return rc;
	/* Per-host limits: the resources are "unavailable" to this host. */
	if (cfg->max_bindings && c->r.nbindings >= cfg->max_bindings)
		return resource_error(g->kind);
	if (g->kind == BIND_RSIPSEC && nspis > UINT16_MAX)
		return RSIP_E_IPSEC_SPI_UNAVAILABLE;
	/* 5: local address. D16: no IPv6 pool. */
	if (g->local_addr->type == RSIP_ADDR_IPV6)
		return RSIP_E_LOCAL_ADDR_UNAVAILABLE;
	if (!g->local_addr->any)
		want = g->local_addr->u.v4;
	/* All of a host's bindings live on one public address: the LAN
	 * program checks a tunnelled packet's inner source against the one
	 * Nb in the client's map entry (docs/architecture.md). */
	if (c->bindings) {
		struct in_addr held = c->bindings->r.nb;

		if (!g->local_addr->any && want.s_addr != held.s_addr)
			return RSIP_E_LOCAL_ADDR_UNALLOWED;
		/* A second address, even its own one whole: none to give. */
		if (g->kind == BIND_RSA_IP)
			return RSIP_E_LOCAL_ADDR_UNAVAILABLE;
		want = held;
	}

	rc = engine_alloc_gate(e);
	if (rc)
		return rc;
	txn = alloc_txn_begin(e->alloc);
	if (!txn)
		return RSIP_E_INTERNAL_SERVER_ERROR;
	if (g->kind == BIND_RSA_IP)
		rc = alloc_addr_whole(txn, owner, want, &nb);
	else
		rc = alloc_addr_shared(e->alloc, owner, want, nports, nspis, &nb);
	if (rc)
		goto out;
	b = binding_alloc((uint16_t)nspis, nports);
	if (!b) {
		rc = RSIP_E_INTERNAL_SERVER_ERROR;
		goto out;
	}
	/* 6: local ports; 7: SPIs. */
	if (nports) {
		rc = take_ports(txn, owner, nb, g->local_ports, nports, binding_ports(&b->r));
		if (rc)
			goto out;
	}
	if (nspis) {
		rc = take_spis(txn, owner, nb, g->spi, (uint16_t)nspis, &b->r);
		if (rc)
			goto out;
	}
	b->r.bind_id = alloc_bind_id(e->alloc);
	if (!b->r.bind_id) {
		rc = RSIP_E_INTERNAL_SERVER_ERROR;
		goto out;
	}

	lease = lease_grant(e, g->has_lease, g->lease);
	b->r.client_id = owner;
	b->r.xa = c->r.xa;
	b->r.nb = nb;
	b->r.kind = g->kind;
	b->r.method = kind_method(g->kind);
	b->r.tunnel = tunnel;
	b->r.remote_policy = c->r.flow_remote;
	if (c->r.flow_remote != RSIP_FLOW_NONE && !g->remote_addr->any)
		b->r.remote = g->remote_addr->u.v4;
	if (c->r.flow_remote == RSIP_FLOW_MICRO && g->remote_ports->form == RSIP_PORTS_RANGE)
		b->r.remote_port = g->remote_ports->first;
	b->r.ports_dont_need = g->local_ports && g->local_ports->form == RSIP_PORTS_NOT_NEEDED;
	b->r.lease_s = lease;
	b->r.created_ms = engine_now(e);
	b->r.expires_ms = b->r.created_ms + (uint64_t)lease * 1000u;

	/* The data plane may refuse (a full map): then the host is told the
	 * resource is unavailable and nothing was taken. */
	if (e->dp) {
		rc = e->dp->ops->binding_add(e->dp, &b->r);
		if (rc < 0) {
			log_warnx("data plane %s refused binding for client %u: %s",
				  e->dp->ops->name, owner, strerror(-rc));
			alloc_bind_id_release(e->alloc, b->r.bind_id);
			rc = rc == -ENOSPC ? resource_error(g->kind) : RSIP_E_INTERNAL_SERVER_ERROR;
			goto out;
		}
	}
	alloc_txn_commit(txn);
	txn = NULL;
	binding_insert(e, c, b);
	*out = b;
	b = NULL;
	rc = 0;
out:
	if (txn)
		alloc_txn_abort(txn);
	free(b);
	return rc;
}

/* The remote part of a response (spec 6.4, "how much a response must
 * say"). */
static void fill_remote(const struct client *c, const struct grant_req *g, struct rsip_msg *rep)
{
	const struct rsip_ports *rp = g->remote_ports;

	rep->remote_addr.type = RSIP_ADDR_IPV4;
	if (c->r.flow_remote == RSIP_FLOW_NONE || g->remote_addr->any)
		rep->remote_addr.any = true;
	else
		rep->remote_addr = *g->remote_addr;

	if (rp->form == RSIP_PORTS_NOT_NEEDED) { /* RFC 3104: echoed */
		rep->remote_ports.form = RSIP_PORTS_NOT_NEEDED;
	} else if (c->r.flow_remote == RSIP_FLOW_MICRO ||
		   (c->r.flow_remote == RSIP_FLOW_MACRO && g->kind == BIND_LISTEN &&
		    rp->form != RSIP_PORTS_ANY)) {
		rep->remote_ports = *rp;
	} else {
		rep->remote_ports.form = RSIP_PORTS_ANY;
		rep->remote_ports.number = rp->form == RSIP_PORTS_ANY ? rp->number : 1;
	}
}

void grant_response(struct engine *e, const struct req_ctx *x, const struct grant_req *g,
		    const struct binding *b, uint8_t type)
{
	struct rsip_msg *rep = x->rep;
	struct binding_rec *r = (struct binding_rec *)&b->r;

	rsip_msg_init(rep, type);
	rep->client_id = r->client_id;
	rep->bind_id = r->bind_id;
	rep->lease = r->lease_s;
	rep->has |= RSIP_HAS_CLIENT_ID | RSIP_HAS_BIND_ID | RSIP_HAS_LEASE | RSIP_HAS_LOCAL_ADDR |
		    RSIP_HAS_REMOTE_ADDR | RSIP_HAS_REMOTE_PORTS;
	rep->local_addr.type = RSIP_ADDR_IPV4;
	rep->local_addr.u.v4 = r->nb;
	if (g->local_ports) {
		rep->has |= RSIP_HAS_LOCAL_PORTS;
		if (r->nports)
			rsip_ports_set(&rep->local_ports, binding_ports(r), (uint8_t)r->nports);
		else
			rep->local_ports.form = RSIP_PORTS_NOT_NEEDED;
	}
	fill_remote(x->c, g, rep);
	if (r->nspis) {
		rep->has |= RSIP_HAS_SPI;
		rsip_spi_set(&rep->spi, binding_spis(r), r->nspis);
	}
	rep->tunnels[0] = r->tunnel;
	rep->n_tunnels = 1;
	if (e->cfg->tunnel_endpoint.s_addr != INADDR_ANY) { /* D15 */
		rep->has |= RSIP_HAS_ENDPOINT;
		rep->endpoint.type = RSIP_ADDR_IPV4;
		rep->endpoint.u.v4 = e->cfg->tunnel_endpoint;
	}
}
