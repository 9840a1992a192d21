// SPDX-License-Identifier: BSD-2-Clause
/*
 * librsip blocking calls: each builds its request, submits it, and runs the
 * library's own poll loop (rsip_client_wait) until the answer or the give-up.
 * Unsolicited messages that arrive meanwhile still reach cfg.on_event.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "log.h"

int rsip_client_wait(struct rsip_client *c, const bool *done)
{
	struct pollfd pfd;
	int n, to;

	while (!*done) {
		to = rsip_client_timeout_ms(c);
		pfd = (struct pollfd){.fd = c->fd, .events = rsip_client_poll_events(c)};
		if (c->fd < 0 && to < 0)
			return -ENOTCONN; /* nothing could ever finish */
		n = poll(&pfd, c->fd >= 0 ? 1 : 0, to);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		rsip_client_dispatch(c, n > 0 ? pfd.revents : 0);
	}
	return 0;
}

struct sync_call {
	bool done;
	int rc;
	uint32_t bind_id;
	uint32_t lease;
	struct rsip_query_item *tuples;
	unsigned int cap, n;
};

static void sync_done(void *arg, int rc, const struct rsip_msg *rsp)
{
	struct sync_call *s = arg;

	s->done = true;
	s->rc = rc;
	if (rc != 0 || !rsp)
		return;
	s->bind_id = rsp->bind_id;
	s->lease = rsp->lease;
	if (rsp->type == RSIP_QUERY_RESPONSE && s->tuples) {
		for (unsigned int i = 0; i < rsp->n_tuples && s->n < s->cap; i++) {
			const struct rsip_tuple *t = &rsp->tuples[i];

			if (t->addr.type != RSIP_ADDR_IPV4)
				continue; /* we only speak IPv4 */
			s->tuples[s->n++] = (struct rsip_query_item){
			    .indicator = t->indicator,
			    .addr = t->addr.u.v4,
			    .mask = t->mask.u.v4,
			};
		}
	}
}

/* Submit m (owned by the caller) and wait for its outcome. */
static int call(struct rsip_client *c, const struct rsip_msg *m, struct sync_call *s,
		struct rsip_req **out)
{
	int rc;

	s->done = false;
	rc = rsip_queue_submit(c, m, sync_done, s, out);
	if (rc)
		return rc;
	rc = rsip_client_wait(c, &s->done);
	if (rc)
		return rc;
	return s->rc;
}

static struct rsip_msg *new_msg(uint8_t type)
{
	struct rsip_msg *m = malloc(sizeof(*m));

	if (m)
		rsip_msg_init(m, type);
	return m;
}

static int simple_call(struct rsip_client *c, uint8_t type, uint32_t bind_id, bool has_bind,
		       uint32_t lease, struct sync_call *s)
{
	struct rsip_msg *m = new_msg(type);
	int rc;

	if (!m)
		return -ENOMEM;
	if (has_bind) {
		m->bind_id = bind_id;
		m->has |= RSIP_HAS_BIND_ID;
	}
	if (lease) {
		m->lease = lease;
		m->has |= RSIP_HAS_LEASE;
	}
	rc = call(c, m, s, NULL);
	free(m);
	return rc;
}

/* One REGISTER_REQUEST, asking for lease_s (0: no Vendor Specific lease). */
static int register_once(struct rsip_client *c, uint32_t lease_s, struct sync_call *s)
{
	struct rsip_msg *m = new_msg(RSIP_REGISTER_REQUEST);
	uint8_t buf[4]; /* outlives the request: call() waits for its end */
	int rc;

	if (!m)
		return -ENOMEM;
	rc = lease_s ? rsip_msg_set_reg_lease(m, buf, lease_s) : 0;
	if (!rc)
		rc = call(c, m, s, NULL);
	free(m);
	return rc;
}

int rsip_client_register_lease(struct rsip_client *c, bool takeover, uint32_t lease_s)
{
	struct sync_call s = {0};
	struct rsip_msg *m;
	uint32_t stale;
	int rc;

	rc = register_once(c, lease_s, &s);
	if (rc != RSIP_E_ALREADY_REGISTERED || !takeover || !c->last_err.has_client_id)
		return rc;
	/* RFC 3103 section 10.2.1: a host that lost its state learns its old
	 * Client ID from ALREADY_REGISTERED, de-registers it, starts again. */
	stale = c->last_err.client_id;
	log_info("this host is still registered as client %u: de-registering it", stale);
	m = new_msg(RSIP_DEREGISTER_REQUEST);
	if (!m)
		return -ENOMEM;
	m->client_id = stale;
	m->has |= RSIP_HAS_CLIENT_ID;
	rc = call(c, m, &s, NULL);
	free(m);
	if (rc && rc != RSIP_E_REGISTER_FIRST)
		return rc;
	return register_once(c, lease_s, &s);
}

int rsip_client_register(struct rsip_client *c, bool takeover)
{
	return rsip_client_register_lease(c, takeover, 0);
}

static void set_addr(struct rsip_address *a, struct in_addr v4)
{
	memset(a, 0, sizeof(*a));
	a->type = RSIP_ADDR_IPV4;
	if (v4.s_addr == 0)
		a->any = true; /* sent as the canonical Length-1 "don't care" */
	else
		a->u.v4 = v4;
}

static void set_ports_any(struct rsip_ports *p, uint8_t k)
{
	p->form = RSIP_PORTS_ANY;
	p->number = k;
}

static void set_ports_range(struct rsip_ports *p, uint16_t first, uint8_t k)
{
	p->form = RSIP_PORTS_RANGE;
	p->number = k;
	p->first = first;
}

/* The optional Lease Time and Tunnel Type every binding request may carry
 * (0: not sent, the server chooses). */
static void set_lease_tunnel(struct rsip_msg *m, uint32_t lease_s, uint8_t tunnel)
{
	if (lease_s) {
		m->lease = lease_s;
		m->has |= RSIP_HAS_LEASE;
	}
	if (tunnel) {
		m->n_tunnels = 1;
		m->tunnels[0] = tunnel;
	}
}

int rsip_client_build_assign(const struct rsip_assign_req *req, struct rsip_msg *m)
{
	uint8_t type;

	switch (req->method) {
	case RSIP_METHOD_RSIPSEC:
		type = RSIP_ASSIGN_REQUEST_RSIPSEC;
		if (req->n_spis == 0)
			return -EINVAL;
		if (req->spi && (uint64_t)req->spi + req->n_spis - 1 > UINT32_MAX)
			return -EINVAL;
		break;
	case RSIP_METHOD_RSAP_IP:
		type = RSIP_ASSIGN_REQUEST_RSAP_IP;
		if (req->n_ports == 0 || req->n_spis)
			return -EINVAL;
		break;
	case RSIP_METHOD_RSA_IP:
		type = RSIP_ASSIGN_REQUEST_RSA_IP;
		if (req->n_ports || req->port || req->n_spis)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (req->n_ports > RSIP_MAX_PORTS)
		return -EINVAL;
	if (req->port && (uint32_t)req->port + req->n_ports - 1 > 65535)
		return -EINVAL;
	if (req->port && !req->n_ports)
		return -EINVAL;
	if (req->tunnel && req->tunnel != RSIP_TUNNEL_IPIP && req->tunnel != RSIP_TUNNEL_GRE &&
	    req->tunnel != RSIP_TUNNEL_L2TP)
		return -EINVAL;

	rsip_msg_init(m, type);
	set_addr(&m->local_addr, req->local);
	set_addr(&m->remote_addr, req->remote);
	m->has |= RSIP_HAS_LOCAL_ADDR | RSIP_HAS_REMOTE_ADDR | RSIP_HAS_REMOTE_PORTS;
	if (req->remote_port)
		set_ports_range(&m->remote_ports, req->remote_port, 1);
	else if (type == RSIP_ASSIGN_REQUEST_RSIPSEC && req->n_ports == 0)
		/* RFC 3104 section 6.2: no ports wanted, so both Ports
		 * parameters say "don't need". */
		m->remote_ports.form = RSIP_PORTS_NOT_NEEDED;
	else
		set_ports_any(&m->remote_ports, 1);
	if (type != RSIP_ASSIGN_REQUEST_RSA_IP) {
		m->has |= RSIP_HAS_LOCAL_PORTS;
		if (req->n_ports == 0)
			m->local_ports.form = RSIP_PORTS_NOT_NEEDED;
		else if (req->port)
			set_ports_range(&m->local_ports, req->port, (uint8_t)req->n_ports);
		else
			set_ports_any(&m->local_ports, (uint8_t)req->n_ports);
	}
	if (type == RSIP_ASSIGN_REQUEST_RSIPSEC) {
		m->has |= RSIP_HAS_SPI;
		m->spi.number = req->n_spis;
		if (req->spi) {
			m->spi.form = RSIP_SPI_RANGE;
			m->spi.first = req->spi;
		} else {
			m->spi.form = RSIP_SPI_ANY;
		}
	}
	set_lease_tunnel(m, req->lease_s, req->tunnel);
	return 0;
}

/* Send a binding request (ASSIGN_*, LISTEN) built in m, wait for its answer
 * and copy the binding out. Takes m. */
static int binding_call(struct rsip_client *c, struct rsip_msg *m, uint32_t lease_s,
			bool auto_renew, struct rsip_binding *out)
{
	struct sync_call s = {0};
	const struct rsip_binding *b;
	struct rsip_req *r;
	int rc;

	rc = rsip_queue_submit(c, m, sync_done, &s, &r);
	if (rc)
		goto out;
	r->lease_req = lease_s;
	r->auto_renew = auto_renew;
	rc = rsip_client_wait(c, &s.done);
	if (rc == 0)
		rc = s.rc;
	if (rc)
		goto out;
	b = rsip_client_binding(c, s.bind_id);
	if (!b) {
		rc = -EPROTO; /* taken back before we could look */
		goto out;
	}
	if (out)
		*out = *b;
out:
	free(m);
	return rc;
}

int rsip_client_assign(struct rsip_client *c, const struct rsip_assign_req *req,
		       struct rsip_binding *out)
{
	struct rsip_msg *m;
	int rc;

	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	rc = rsip_client_build_assign(req, m);
	if (rc) {
		free(m);
		return rc;
	}
	return binding_call(c, m, req->lease_s, req->auto_renew, out);
}

int rsip_client_listen(struct rsip_client *c, const struct rsip_listen_req *req,
		       struct rsip_binding *out)
{
	struct rsip_msg *m;

	if (!req->port)
		return -EINVAL;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	rsip_msg_init(m, RSIP_LISTEN_REQUEST);
	set_addr(&m->local_addr, req->local);
	set_ports_range(&m->local_ports, req->port, 1);
	set_addr(&m->remote_addr, (struct in_addr){0});
	set_ports_any(&m->remote_ports, 1);
	m->has |= RSIP_HAS_LOCAL_ADDR | RSIP_HAS_LOCAL_PORTS | RSIP_HAS_REMOTE_ADDR |
		  RSIP_HAS_REMOTE_PORTS;
	set_lease_tunnel(m, req->lease_s, req->tunnel);
	return binding_call(c, m, req->lease_s, req->auto_renew, out);
}

int rsip_client_extend(struct rsip_client *c, uint32_t bind_id, uint32_t lease_s,
		       uint32_t *granted_s)
{
	struct sync_call s = {0};
	int rc;

	rc = simple_call(c, RSIP_EXTEND_REQUEST, bind_id, true, lease_s, &s);
	if (rc == 0 && granted_s)
		*granted_s = s.lease;
	return rc;
}

int rsip_client_free(struct rsip_client *c, uint32_t bind_id)
{
	struct sync_call s = {0};

	return simple_call(c, RSIP_FREE_REQUEST, bind_id, true, 0, &s);
}

int rsip_client_deregister(struct rsip_client *c)
{
	struct sync_call s = {0};

	if (!c->reg.registered)
		return -ENOTCONN;
	return simple_call(c, RSIP_DEREGISTER_REQUEST, 0, false, 0, &s);
}

int rsip_client_query(struct rsip_client *c, const struct rsip_query_item *items, unsigned int n,
		      struct rsip_query_item *out, unsigned int cap, unsigned int *n_out)
{
	struct sync_call s = {.tuples = out, .cap = cap};
	struct rsip_msg *m;
	int rc;

	if (n > RSIP_MAX_TUPLES)
		return -EINVAL;
	m = new_msg(RSIP_QUERY_REQUEST);
	if (!m)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		struct rsip_tuple *t = rsip_msg_add_tuple(m); /* n <= RSIP_MAX_TUPLES */

		if (items[i].indicator != RSIP_IND_ADDRESS &&
		    items[i].indicator != RSIP_IND_NETWORK) {
			rc = -EINVAL;
			goto out;
		}
		t->indicator = items[i].indicator;
		t->addr.type = RSIP_ADDR_IPV4;
		t->addr.u.v4 = items[i].addr;
		if (t->indicator == RSIP_IND_NETWORK) {
			t->mask.type = RSIP_ADDR_IPV4_NETMASK;
			t->mask.u.v4 = items[i].mask;
		}
	}
	rc = call(c, m, &s, NULL);
	if (n_out)
		*n_out = s.n;
out:
	free(m);
	return rc;
}

int rsip_client_release_all(struct rsip_client *c)
{
	uint32_t *ids;
	unsigned int n = c->n_bindings;
	int rc, first = 0;

	ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		ids[i] = c->bindings[i]->bind_id;
		/* No renewal may slip in between the FREEs. */
		c->bindings[i]->auto_renew = false;
	}
	for (unsigned int i = 0; i < n && c->reg.registered; i++) {
		if (!rsip_bind_find(c, ids[i]))
			continue; /* taken back meanwhile */
		rc = rsip_client_free(c, ids[i]);
		if (rc && rc != RSIP_E_BAD_BIND_ID && !first)
			first = rc;
	}
	free(ids);
	if (c->reg.registered) {
		rc = rsip_client_deregister(c);
		if (rc && rc != RSIP_E_REGISTER_FIRST && !first)
			first = rc;
	}
	/* Whatever the gateway said, we hold nothing any more. */
	rsip_bind_clear(c);
	memset(&c->reg, 0, sizeof(c->reg));
	return first;
}

int rsip_client_resume(struct rsip_client *c, uint32_t client_id, const struct rsip_binding *old,
		       uint32_t lease_s, bool auto_renew)
{
	struct rsip_binding *b;
	int rc;

	if (c->reg.registered || !old || !client_id)
		return -EINVAL;
	c->reg.registered = true;
	c->reg.client_id = client_id;
	b = rsip_bind_add(c);
	if (!b) {
		memset(&c->reg, 0, sizeof(c->reg));
		return -ENOMEM;
	}
	*b = *old;
	b->auto_renew = false; /* no renewal of our own before the check */
	b->renewing = false;
	b->renew_at_us = 0;
	b->lease_req_s = lease_s;
	/* Not expired while the EXTEND is out; its answer sets the lease. */
	b->expires_us = rsip_now(c) + 3600u * 1000000u;
	rc = rsip_client_extend(c, old->bind_id, lease_s, NULL);
	b = rsip_bind_find(c, old->bind_id);
	if (rc || !b) {
		rsip_bind_clear(c);
		memset(&c->reg, 0, sizeof(c->reg));
		return rc ? rc : -EPROTO;
	}
	b->auto_renew = auto_renew;
	rsip_bind_set_lease(c, b, b->lease_s);
	return 0;
}
