// SPDX-License-Identifier: BSD-2-Clause
/*
 * librsip: what the gateway's messages change on the client - the
 * registration, the binding table - and which events they raise. The codec
 * has already checked each message's grammar; this file checks that the
 * values make sense for a host (an IPv4 Nb, ports and SPIs that fit), and
 * FREEs a binding it cannot use (RFC 3103 section 9.7.3: so both sides agree
 * again).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "log.h"

static void emit(struct rsip_client *c, enum rsip_client_event_type type, uint32_t bind_id,
		 int error, uint32_t lease_s)
{
	struct rsip_client_event ev = {
	    .type = type,
	    .client_id = c->reg.client_id,
	    .bind_id = bind_id,
	    .error = error,
	    .lease_s = lease_s,
	};

	rsip_core_emit(c, &ev);
}

static int apply_register(struct rsip_client *c, const struct rsip_msg *m)
{
	struct rsip_registration *g = &c->reg;

	if (m->client_id == 0) {
		/* 0 would read as "not registered" everywhere; D19 says a
		 * gateway never hands it out. */
		log_debug("rsip: REGISTER_RESPONSE with Client ID 0: unusable");
		return -EPROTO;
	}
	memset(g, 0, sizeof(*g));
	g->registered = true;
	g->client_id = m->client_id;
	g->lease_s = m->lease;
	g->flow_local = m->flow_local;
	g->flow_remote = m->flow_remote;
	/* RFC 3103 section 9.3.3: no Method listed means RSAP-IP, no Tunnel
	 * Type listed means IP-IP. */
	if (m->n_methods) {
		g->n_methods = m->n_methods;
		memcpy(g->methods, m->methods, m->n_methods);
	} else {
		g->n_methods = 1;
		g->methods[0] = RSIP_METHOD_RSAP_IP;
	}
	if (m->n_tunnels) {
		g->n_tunnels = m->n_tunnels;
		memcpy(g->tunnels, m->tunnels, m->n_tunnels);
	} else {
		g->n_tunnels = 1;
		g->tunnels[0] = RSIP_TUNNEL_IPIP;
	}
	return 0;
}

static void forget_registration(struct rsip_client *c)
{
	rsip_bind_clear(c);
	memset(&c->reg, 0, sizeof(c->reg));
}

static int parse_ports(const struct rsip_ports *p, struct rsip_binding *b)
{
	switch (p->form) {
	case RSIP_PORTS_NOT_NEEDED:
		b->n_ports = 0;
		return 0;
	case RSIP_PORTS_RANGE:
		if (p->number == 0 || p->first == 0 || (uint32_t)p->first + p->number - 1 > 65535)
			return -EPROTO;
		b->port_range = true;
		b->port_first = p->first;
		b->n_ports = p->number;
		return 0;
	case RSIP_PORTS_LIST:
		b->port_range = false;
		b->n_ports = p->number;
		b->port_first = rsip_ports_at(p, 0);
		for (unsigned int i = 0; i < p->number; i++) {
			uint16_t port = rsip_ports_at(p, i);

			if (port == 0)
				return -EPROTO;
			b->ports[i] = port;
			if (port < b->port_first)
				b->port_first = port;
		}
		return 0;
	default:
		/* "Don't care" is a question, not a grant. */
		return -EPROTO;
	}
}

static int parse_spis(const struct rsip_spi *s, struct rsip_binding *b)
{
	bool contiguous = true;

	switch (s->form) {
	case RSIP_SPI_RANGE:
		if (s->number == 0 || s->first == 0 ||
		    (uint64_t)s->first + s->number - 1 > UINT32_MAX)
			return -EPROTO;
		b->spi_range = true;
		b->spi_first = s->first;
		b->n_spis = s->number;
		return 0;
	case RSIP_SPI_LIST:
		b->n_spis = s->number;
		b->spi_first = rsip_spi_at(s, 0);
		for (unsigned int i = 0; i < s->number; i++) {
			uint32_t spi = rsip_spi_at(s, i);

			if (spi == 0)
				return -EPROTO;
			b->spis[i] = spi;
			if (spi < b->spi_first)
				b->spi_first = spi;
			if (i && spi != b->spis[i - 1] + 1)
				contiguous = false;
		}
		/* An ascending run sent as a list is still a range, which an
		 * IKE daemon can use as its SPI window. */
		b->spi_range = contiguous;
		return 0;
	default:
		return -EPROTO;
	}
}

static bool usable_v4(const struct rsip_address *a)
{
	return a->type == RSIP_ADDR_IPV4 && !a->any && a->u.v4.s_addr != 0;
}

/* Send FREE for a binding we cannot use, so the gateway does not keep it. */
static void free_unusable(struct rsip_client *c, uint32_t bind_id)
{
	struct rsip_msg *m = malloc(sizeof(*m)); /* large: not on the stack */

	if (!m)
		return;
	rsip_msg_init(m, RSIP_FREE_REQUEST);
	m->bind_id = bind_id;
	m->has |= RSIP_HAS_BIND_ID;
	log_debug("rsip: freeing binding %u, which we cannot use", bind_id);
	rsip_core_submit(c, m, NULL, NULL, NULL);
	free(m);
}

static int apply_assign(struct rsip_client *c, struct rsip_req *r, const struct rsip_msg *m)
{
	struct rsip_binding tmp, *b;
	int rc = -EPROTO;

	memset(&tmp, 0, sizeof(tmp));
	tmp.bind_id = m->bind_id;
	switch (r->m->type) {
	case RSIP_ASSIGN_REQUEST_RSA_IP:
		tmp.method = RSIP_METHOD_RSA_IP;
		break;
	case RSIP_ASSIGN_REQUEST_RSAP_IP:
		tmp.method = RSIP_METHOD_RSAP_IP;
		break;
	default:
		tmp.method = RSIP_METHOD_RSIPSEC;
		break;
	}
	if (!usable_v4(&m->local_addr)) {
		log_debug("rsip: binding %u: no usable IPv4 local address", m->bind_id);
		goto out;
	}
	tmp.addr = m->local_addr.u.v4;
	tmp.endpoint = c->server;
	if ((m->has & RSIP_HAS_ENDPOINT) && usable_v4(&m->endpoint))
		tmp.endpoint = m->endpoint.u.v4;
	else if (m->has & RSIP_HAS_ENDPOINT) {
		log_debug("rsip: binding %u: tunnel endpoint is not an IPv4 address", m->bind_id);
		goto out;
	}
	if (usable_v4(&m->remote_addr))
		tmp.remote = m->remote_addr.u.v4;
	if (m->remote_ports.form == RSIP_PORTS_RANGE && m->remote_ports.number == 1)
		tmp.remote_port = m->remote_ports.first;
	if (tmp.method != RSIP_METHOD_RSA_IP) {
		if (parse_ports(&m->local_ports, &tmp)) {
			log_debug("rsip: binding %u: local ports unusable", m->bind_id);
			goto out;
		}
		if (tmp.method == RSIP_METHOD_RSAP_IP && tmp.n_ports == 0)
			goto out;
	}
	if (tmp.method == RSIP_METHOD_RSIPSEC && parse_spis(&m->spi, &tmp)) {
		log_debug("rsip: binding %u: SPIs unusable", m->bind_id);
		goto out;
	}
	tmp.tunnel = m->n_tunnels ? m->tunnels[0] : RSIP_TUNNEL_IPIP;
	tmp.lease_req_s = r->lease_req;
	tmp.auto_renew = r->auto_renew;

	/* A Bind ID we still hold means the gateway forgot the old one. */
	rsip_bind_remove(c, tmp.bind_id);
	b = rsip_bind_add(c);
	if (!b) {
		rc = -ENOMEM;
		goto out;
	}
	*b = tmp;
	rsip_bind_set_lease(c, b, m->lease);
	return 0;
out:
	free_unusable(c, m->bind_id);
	return rc;
}

int rsip_apply_response(struct rsip_client *c, struct rsip_req *r, const struct rsip_msg *m)
{
	struct rsip_binding *b;

	switch (m->type) {
	case RSIP_REGISTER_RESPONSE:
		return apply_register(c, m);
	case RSIP_DEREGISTER_RESPONSE:
		forget_registration(c);
		return 0;
	case RSIP_ASSIGN_RESPONSE_RSA_IP:
	case RSIP_ASSIGN_RESPONSE_RSAP_IP:
	case RSIP_ASSIGN_RESPONSE_RSIPSEC:
		return apply_assign(c, r, m);
	case RSIP_EXTEND_RESPONSE:
		b = rsip_bind_find(c, m->bind_id);
		if (!b)
			return 0; /* freed meanwhile */
		b->renewing = false;
		rsip_bind_set_lease(c, b, m->lease);
		if (r->is_renewal)
			emit(c, RSIP_EV_BINDING_EXTENDED, b->bind_id, 0, m->lease);
		return 0;
	case RSIP_FREE_RESPONSE:
		rsip_bind_remove(c, m->bind_id);
		return 0;
	default:
		return 0;
	}
}

void rsip_apply_error(struct rsip_client *c, struct rsip_req *r, const struct rsip_msg *m)
{
	uint32_t bind_id = r->m->bind_id;
	struct rsip_binding *b;

	switch (r->m->type) {
	case RSIP_EXTEND_REQUEST:
		b = rsip_bind_find(c, bind_id);
		if (!b)
			return;
		b->renewing = false;
		if (m->error == RSIP_E_REGISTER_FIRST || m->error == RSIP_E_BAD_CLIENT_ID) {
			/* The gateway no longer knows us (it restarted, or
			 * our registration expired): everything is gone. The
			 * event names the binding whose renewal found out. */
			struct rsip_client_event ev = {.type = RSIP_EV_DEREGISTERED,
						       .client_id = c->reg.client_id,
						       .bind_id = bind_id,
						       .error = m->error};

			forget_registration(c);
			rsip_core_emit(c, &ev);
		} else if (m->error == RSIP_E_BAD_BIND_ID) {
			rsip_bind_remove(c, bind_id);
			emit(c, RSIP_EV_BINDING_LOST, bind_id, m->error, 0);
		} else if (r->is_renewal) {
			rsip_bind_retry_later(c, b);
			emit(c, RSIP_EV_RENEW_FAILED, bind_id, m->error, 0);
		}
		return;
	case RSIP_FREE_REQUEST:
		/* Not ours (any more) at the gateway: nothing left to free. */
		if (m->error == RSIP_E_BAD_BIND_ID)
			rsip_bind_remove(c, bind_id);
		else if (m->error == RSIP_E_REGISTER_FIRST)
			forget_registration(c);
		return;
	case RSIP_DEREGISTER_REQUEST:
		if (m->error == RSIP_E_REGISTER_FIRST)
			forget_registration(c);
		return;
	default:
		return;
	}
}

void rsip_apply_failure(struct rsip_client *c, struct rsip_req *r, int rc)
{
	struct rsip_binding *b;

	if (!r->is_renewal)
		return;
	b = rsip_bind_find(c, r->m->bind_id);
	if (!b)
		return;
	rsip_bind_retry_later(c, b);
	emit(c, RSIP_EV_RENEW_FAILED, b->bind_id, rc, 0);
}

void rsip_apply_unsolicited(struct rsip_client *c, const struct rsip_msg *m)
{
	bool ours =
	    c->reg.registered && (m->has & RSIP_HAS_CLIENT_ID) && m->client_id == c->reg.client_id;

	switch (m->type) {
	case RSIP_ERROR_RESPONSE:
		if ((m->has & RSIP_HAS_CLIENT_ID) && !ours) {
			log_debug("rsip: unsolicited error for client %u: not us", m->client_id);
			return;
		}
		log_debug("rsip: the gateway reports %s (%u)", rsip_error_name(m->error), m->error);
		emit(c, RSIP_EV_ERROR, (m->has & RSIP_HAS_BIND_ID) ? m->bind_id : 0, m->error, 0);
		return;
	case RSIP_FREE_RESPONSE:
		if (!ours || !rsip_bind_find(c, m->bind_id)) {
			log_debug("rsip: unsolicited FREE_RESPONSE for %u/%u: not ours",
				  m->client_id, m->bind_id);
			return;
		}
		rsip_bind_remove(c, m->bind_id);
		log_debug("rsip: the gateway took binding %u back", m->bind_id);
		emit(c, RSIP_EV_BINDING_FREED, m->bind_id, 0, 0);
		return;
	case RSIP_DEREGISTER_RESPONSE:
		if (!ours) {
			log_debug("rsip: unsolicited DE-REGISTER_RESPONSE for client %u: not us",
				  m->client_id);
			return;
		}
		log_debug("rsip: the gateway de-registered us");
		forget_registration(c);
		{
			/* reg is cleared by now: name the ID from the message */
			struct rsip_client_event ev = {.type = RSIP_EV_DEREGISTERED,
						       .client_id = m->client_id};

			rsip_core_emit(c, &ev);
		}
		return;
	default:
		return;
	}
}
