// SPDX-License-Identifier: BSD-2-Clause
/*
 * The registration table: one entry per registered host, found by Client ID
 * or by the host's source IP (D4: a registration belongs to an address, not
 * to a connection).
 */
#include "engine_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <utlist.h>

#include "alloc/alloc.h"
#include "dataplane/dataplane.h"
#include "log.h"

struct client *client_by_addr(struct engine *e, struct in_addr xa)
{
	struct client *c;

	HASH_FIND(hh_addr, e->by_addr, &xa.s_addr, sizeof(xa.s_addr), c);
	return c;
}

struct client *client_by_id(struct engine *e, uint32_t id)
{
	struct client *c;

	HASH_FIND(hh_id, e->by_id, &id, sizeof(id), c);
	return c;
}

int client_create(struct engine *e, const struct engine_src *src, struct client **out)
{
	struct dp_client dpc;
	struct client *c = calloc(1, sizeof(*c));
	uint64_t now = engine_now(e);
	int rc;

	if (!c)
		return RSIP_E_INTERNAL_SERVER_ERROR;
	c->r.client_id = alloc_client_id(e->alloc);
	if (!c->r.client_id) {
		free(c);
		return RSIP_E_INTERNAL_SERVER_ERROR;
	}
	c->r.xa = src->addr;
	c->r.transport = (uint8_t)src->transport;
	c->r.flow_local = e->cfg->flow_local;
	c->r.flow_remote = e->cfg->flow_remote;
	c->r.udp_port = src->transport == ENGINE_T_UDP ? src->port : 0;
	c->tcp_conn = src->transport == ENGINE_T_TCP ? src->conn : 0;
	c->r.registered_ms = now;
	c->r.expires_ms = now + (uint64_t)e->cfg->lease * 1000u;

	if (e->dp) {
		dpc = (struct dp_client){.client_id = c->r.client_id, .xa = c->r.xa};
		rc = e->dp->ops->client_add(e->dp, &dpc);
		if (rc < 0) {
			log_warnx("data plane %s refused client %s: %s", e->dp->ops->name,
				  inet_ntoa(c->r.xa), strerror(-rc));
			alloc_client_id_release(e->alloc, c->r.client_id);
			free(c);
			return RSIP_E_INTERNAL_SERVER_ERROR;
		}
	}
	HASH_ADD(hh_id, e->by_id, r.client_id, sizeof(c->r.client_id), c);
	HASH_ADD(hh_addr, e->by_addr, r.xa.s_addr, sizeof(c->r.xa.s_addr), c);
	e->n_clients++;
	lease_schedule_client(e, c);
	engine_dirty(e, c->r.client_id);
	*out = c;
	return 0;
}

void client_destroy(struct engine *e, struct client *c, bool tell_dp)
{
	struct binding *b, *tmp;
	struct dp_client dpc = {.client_id = c->r.client_id, .xa = c->r.xa};
	int rc;

	DL_FOREACH_SAFE2(c->bindings, b, tmp, cnext)
	binding_destroy(e, c, b, tell_dp);
	if (e->dp && tell_dp) {
		rc = e->dp->ops->client_del(e->dp, &dpc);
		if (rc < 0)
			log_warnx("data plane %s: removing client %u: %s", e->dp->ops->name,
				  c->r.client_id, strerror(-rc));
	}
	client_proven(e, c);
	alloc_client_id_release(e->alloc, c->r.client_id);
	e->state_gen++;
	engine_dirty(e, c->r.client_id);
	HASH_DELETE(hh_id, e->by_id, c);
	HASH_DELETE(hh_addr, e->by_addr, c);
	e->n_clients--;
	free(c->reply);
	free(c->last_req);
	free(c);
}

void client_set_reply(struct client *c, const struct req_ctx *x, const uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len), *req = malloc(x->raw_len ? x->raw_len : 1);

	c->r.has_last = false;
	if (!copy || !req) { /* no cache: a retransmission is processed again */
		free(copy);
		free(req);
		return;
	}
	memcpy(copy, buf, len);
	memcpy(req, x->raw, x->raw_len);
	free(c->reply);
	free(c->last_req);
	c->reply = copy;
	c->reply_len = len;
	c->last_req = req;
	c->last_req_len = x->raw_len;
	c->last_port = x->src->port;
	c->last_conn = x->src->conn;
	c->r.last_counter = x->req->counter;
	c->r.has_last = true;
}

const uint8_t *client_cached_reply(const struct client *c, const struct req_ctx *x, size_t *len)
{
	if (!c->r.has_last || c->r.last_counter != x->req->counter ||
	    c->last_req_len != x->raw_len || memcmp(c->last_req, x->raw, x->raw_len))
		return NULL;
	if (x->src->transport == ENGINE_T_UDP ? c->last_port != x->src->port
					      : c->last_conn != x->src->conn)
		return NULL;
	*len = c->reply_len;
	return c->reply;
}

void client_proven(struct engine *e, struct client *c)
{
	if (!c->unproven)
		return;
	c->unproven = false;
	DL_DELETE2(e->unproven, c, uprev, unext);
}

int engine_drop_client(struct engine *e, uint32_t client_id)
{
	struct client *c = client_by_id(e, client_id);

	if (!c)
		return -ENOENT;
	client_destroy(e, c, true);
	engine_state_changed(e);
	return 0;
}
