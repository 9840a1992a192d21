// SPDX-License-Identifier: BSD-2-Clause
/*
 * The engine's lasting state as JSON, for the state file (statefile.h): every
 * registration with its ID, lease and cached last reply, every binding with
 * its IDs, resources and lease, and the SPI block size the maps were keyed
 * with. Times are wall-clock milliseconds (CLOCK_MONOTONIC does not survive a
 * reboot); restore turns them back into the engine's clock, so nothing is
 * renumbered and every lease ends when it would have.
 */
#include "engine_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utlist.h>

#include "alloc/alloc.h"
#include "dataplane/dataplane.h"
#include "log.h"

#define STATE_FORMAT  "rsipd-state"
#define STATE_VERSION 1

/* ---- save -------------------------------------------------------------------- */

static void put_addr(struct rec_out *o, const char *k, struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	rec_put_str(o, k, s);
}

/* A CLOCK_MONOTONIC time of the engine as wall-clock ms. */
static int64_t to_wall(uint64_t mono, uint64_t mono_now, uint64_t wall_now)
{
	return (int64_t)wall_now + ((int64_t)mono - (int64_t)mono_now);
}

static void put_binding(struct rec_out *o, struct binding *b, uint64_t mono_now, uint64_t wall_now)
{
	struct binding_rec *r = &b->r;
	uint16_t i;

	rec_put_int(o, "{\"bind_id\":", r->bind_id);
	rec_put_int(o, ",\"kind\":", r->kind);
	rec_put_int(o, ",\"method\":", r->method);
	rec_put_int(o, ",\"tunnel\":", r->tunnel);
	put_addr(o, ",\"nb\":", r->nb);
	rec_put_int(o, ",\"remote_policy\":", r->remote_policy);
	put_addr(o, ",\"remote\":", r->remote);
	rec_put_int(o, ",\"remote_port\":", r->remote_port);
	rec_put(o, ",\"ports\":[");
	for (i = 0; i < r->nports; i++)
		rec_put_int(o, i ? "," : "", binding_ports(r)[i]);
	rec_put(o, "],\"spis\":[");
	for (i = 0; i < r->nspis; i++)
		rec_put_int(o, i ? "," : "", binding_spis(r)[i]);
	rec_put(o, r->has_spi_block ? "],\"has_spi_block\":true" : "],\"has_spi_block\":false");
	rec_put_int(o, ",\"spi_block\":", r->spi_block);
	rec_put(o, r->ports_dont_need ? ",\"ports_dont_need\":true" : ",\"ports_dont_need\":false");
	rec_put_int(o, ",\"lease_s\":", r->lease_s);
	rec_put_int(o, ",\"created_ms\":", to_wall(r->created_ms, mono_now, wall_now));
	rec_put_int(o, ",\"expires_ms\":", to_wall(r->expires_ms, mono_now, wall_now));
	rec_put(o, "}");
}

/* The host's record (record.h reads it back), the same keys in the same
 * order json-c wrote them before, so stores and etcd keys written by an
 * older rsipd and by this one look alike. */
static void put_client(struct rec_out *o, struct client *c, uint64_t mono_now, uint64_t wall_now)
{
	struct binding *b;
	bool first = true;

	rec_put_int(o, "{\"client_id\":", c->r.client_id);
	put_addr(o, ",\"xa\":", c->r.xa);
	rec_put_str(o, ",\"transport\":", c->r.transport == ENGINE_T_TCP ? "tcp" : "udp");
	rec_put_int(o, ",\"flow_local\":", c->r.flow_local);
	rec_put_int(o, ",\"flow_remote\":", c->r.flow_remote);
	rec_put_int(o, ",\"udp_port\":", c->r.udp_port);
	rec_put_int(o, ",\"registered_ms\":", to_wall(c->r.registered_ms, mono_now, wall_now));
	rec_put_int(o, ",\"expires_ms\":", to_wall(c->r.expires_ms, mono_now, wall_now));
	/* The reply cache (spec 6.2): a UDP retransmission that crosses the
	 * restart still gets the same bytes. A TCP one cannot: its connection
	 * is gone with the old process. */
	if (c->r.has_last && c->reply && c->last_req && c->r.transport == ENGINE_T_UDP) {
		rec_put_int(o, ",\"last_counter\":", c->r.last_counter);
		rec_put_int(o, ",\"last_port\":", c->last_port);
		rec_put_hex(o, ",\"last_request\":", c->last_req, c->last_req_len);
		rec_put_hex(o, ",\"last_reply\":", c->reply, c->reply_len);
	}
	rec_put(o, ",\"bindings\":[");
	DL_FOREACH2(c->bindings, b, cnext)
	{
		if (!first)
			rec_put(o, ",");
		first = false;
		put_binding(o, b, mono_now, wall_now);
	}
	rec_put(o, "]}");
}

int engine_state_client_text(struct engine *e, uint32_t client_id, uint64_t wall_now_ms,
			     const char **text, size_t *len)
{
	struct client *c = client_by_id(e, client_id);

	*text = NULL;
	*len = 0;
	if (!c)
		return 0;
	rec_out_reset(&e->rec_out);
	put_client(&e->rec_out, c, engine_now(e), wall_now_ms);
	if (e->rec_out.oom)
		return -ENOMEM;
	*text = e->rec_out.p;
	*len = e->rec_out.len;
	return 1;
}

struct json_object *engine_state_client(struct engine *e, uint32_t client_id, uint64_t wall_now_ms)
{
	const char *text;
	size_t len;

	if (engine_state_client_text(e, client_id, wall_now_ms, &text, &len) <= 0)
		return NULL;
	return json_tokener_parse(text);
}

uint8_t engine_spi_block_shift(const struct engine *e)
{
	return e->cfg->spi_block_shift;
}

struct json_object *engine_state_save(struct engine *e, uint64_t wall_now_ms)
{
	struct json_object *st = json_object_new_object(), *cs = json_object_new_array();
	struct client *c, *tmp;

	json_object_object_add(st, "format", json_object_new_string(STATE_FORMAT));
	json_object_object_add(st, "version", json_object_new_int64(STATE_VERSION));
	json_object_object_add(st, "saved_ms", json_object_new_int64((int64_t)wall_now_ms));
	json_object_object_add(st, "spi_block_shift",
			       json_object_new_int64(e->cfg->spi_block_shift));
	HASH_ITER(hh_id, e->by_id, c, tmp)
	{
		struct json_object *o = engine_state_client(e, c->r.client_id, wall_now_ms);

		if (o)
			json_object_array_add(cs, o);
	}
	json_object_object_add(st, "clients", cs);
	return st;
}

/* ---- restore ------------------------------------------------------------------- */

struct rctx {
	struct engine *e;
	uint64_t mono_now, wall_now;
	char *err;
	size_t errlen;
	unsigned int dropped; /* bindings that could not come back */
};

static int rerr(struct rctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rerr(struct rctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int get_int(struct json_object *o, const char *k, int64_t lo, int64_t hi, int64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
		return -EINVAL;
	*out = json_object_get_int64(v);
	return *out < lo || *out > hi ? -EINVAL : 0;
}

/* A string of the record as an IPv4 address. */
static int rec_addr(const struct rec_str *v, struct in_addr *out)
{
	char buf[INET_ADDRSTRLEN];

	if (!v->p || v->n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, v->p, v->n);
	buf[v->n] = '\0';
	return inet_pton(AF_INET, buf, out) == 1 ? 0 : -EINVAL;
}

/* Field f of v present and inside [lo, hi]. */
static bool rec_in(uint32_t have, const int64_t *v, int f, int64_t lo, int64_t hi)
{
	return rec_has(have, f) && v[f] >= lo && v[f] <= hi;
}

static struct json_object *get_array(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* A wall-clock time back on the engine's clock; the past becomes now, so
 * a lease that ran out while rsipd was down expires on the next tick (with
 * the messages that go with it). */
static uint64_t to_mono(const struct rctx *x, int64_t wall)
{
	/* Compared before subtracting: any int64 is safe (INT64_MIN too). */
	if (wall <= (int64_t)x->wall_now)
		return x->mono_now;
	return x->mono_now + ((uint64_t)wall - x->wall_now);
}

/* A lease end from the store, no later than --lease from now (the store is
 * input: a far-future expiry must not make a lease that never ends). */
static uint64_t to_mono_lease(const struct rctx *x, int64_t wall)
{
	uint64_t t = to_mono(x, wall), max = x->mono_now + (uint64_t)x->e->cfg->lease * 1000u;

	return t > max ? max : t;
}

/* A binding of the record, validated; b is allocated here. */
static int parse_binding(struct rctx *x, const struct rec_client *rc, const struct rec_binding *rb,
			 uint32_t client_id, struct in_addr xa, struct binding **out)
{
	const int64_t *v = rb->v, *ports = rc->pool + rb->ports.off,
		      *spis = rc->pool + rb->spis.off;
	uint32_t h = rb->have;
	struct binding *b;
	size_t np = rb->ports.n, ns = rb->spis.n, i;

	if (rb->bad || !rec_has(h, RB_PORTS) || !rec_has(h, RB_SPIS) || np > UINT16_MAX ||
	    ns > UINT16_MAX)
		return -EINVAL;
	if (!rec_in(h, v, RB_BIND_ID, 1, UINT32_MAX) || !rec_in(h, v, RB_KIND, 1, 4) ||
	    !rec_in(h, v, RB_METHOD, 1, 3) || !rec_in(h, v, RB_TUNNEL, 1, 3) ||
	    !rec_in(h, v, RB_REMOTE_POLICY, 0, 255) ||
	    !rec_in(h, v, RB_REMOTE_PORT, 0, UINT16_MAX) ||
	    !rec_in(h, v, RB_SPI_BLOCK, 0, UINT32_MAX) ||
	    !rec_in(h, v, RB_LEASE_S, 0, UINT32_MAX) || !rec_has(h, RB_CREATED_MS) ||
	    !rec_has(h, RB_EXPIRES_MS))
		return -EINVAL;
	for (i = 0; i < np; i++)
		if (ports[i] < 1 || ports[i] > UINT16_MAX)
			return -EINVAL;
	for (i = 0; i < ns; i++)
		if (spis[i] < 1 || spis[i] > UINT32_MAX)
			return -EINVAL;
	b = binding_alloc((uint16_t)ns, (uint16_t)np);
	if (!b)
		return -ENOMEM;
	b->r.bind_id = (uint32_t)v[RB_BIND_ID];
	b->r.client_id = client_id;
	b->r.xa = xa;
	b->r.kind = (uint8_t)v[RB_KIND];
	b->r.method = (uint8_t)v[RB_METHOD];
	b->r.tunnel = (uint8_t)v[RB_TUNNEL];
	b->r.remote_policy = (uint8_t)v[RB_REMOTE_POLICY];
	b->r.remote_port = (uint16_t)v[RB_REMOTE_PORT];
	b->r.spi_block = (uint32_t)v[RB_SPI_BLOCK];
	b->r.lease_s = (uint32_t)v[RB_LEASE_S];
	b->r.has_spi_block = rb->has_spi_block;
	b->r.ports_dont_need = rb->ports_dont_need;
	if (rec_addr(&rb->nb, &b->r.nb) || rec_addr(&rb->remote, &b->r.remote)) {
		free(b);
		return -EINVAL;
	}
	for (i = 0; i < np; i++)
		binding_ports(&b->r)[i] = (uint16_t)ports[i];
	for (i = 0; i < ns; i++)
		binding_spis(&b->r)[i] = (uint32_t)spis[i];
	if (b->r.lease_s > x->e->cfg->lease)
		b->r.lease_s = x->e->cfg->lease;
	else if (b->r.lease_s < x->e->cfg->lease_min)
		b->r.lease_s = x->e->cfg->lease_min;
	b->r.created_ms = to_mono(x, v[RB_CREATED_MS]);
	b->r.expires_ms = to_mono_lease(x, v[RB_EXPIRES_MS]);
	*out = b;
	return 0;
}

/* Take the binding's resources again and tell the data plane; the binding
 * then joins the tables exactly as it was. Returns an RSIP error or errno
 * (for the log) when it cannot come back. */
static int restore_binding(struct rctx *x, struct client *c, struct binding *b)
{
	struct engine *e = x->e;
	struct binding_rec *r = &b->r;
	struct alloc_txn *txn = alloc_txn_begin(e->alloc);
	struct in_addr got;
	int rc = 0;

	if (!txn)
		return -ENOMEM;
	if (r->kind == BIND_RSA_IP)
		rc = alloc_addr_whole(txn, r->client_id, r->nb, &got);
	if (!rc && r->nports)
		rc = alloc_ports_specific(txn, r->client_id, r->nb, binding_ports(r), r->nports);
	if (!rc && r->nspis)
		rc = alloc_spi_restore(txn, r->client_id, r->nb, binding_spis(r), r->nspis,
				       r->has_spi_block);
	if (!rc)
		rc = alloc_restore_bind_id(e->alloc, r->bind_id);
	if (rc) {
		alloc_txn_abort(txn);
		return rc;
	}
	if (e->dp) {
		rc = e->dp->ops->binding_add(e->dp, r);
		if (rc < 0) {
			alloc_bind_id_release(e->alloc, r->bind_id);
			alloc_txn_abort(txn);
			return rc;
		}
	}
	alloc_txn_commit(txn);
	binding_insert(e, c, b);
	return 0;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex text v into a new buffer: 0 (absent: *out NULL), or -EINVAL. */
static int get_hex(const struct rec_str *v, bool present, uint8_t **out, size_t *len)
{
	size_t n = v->n, i;

	*out = NULL;
	*len = 0;
	if (!present)
		return 0;
	if (n == 0 || n % 2 || n / 2 > RSIP_MAX_MSG)
		return -EINVAL;
	*out = malloc(n / 2);
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < n / 2; i++) {
		int hi = nibble(v->p[2 * i]), lo = nibble(v->p[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(*out);
			*out = NULL;
			return -EINVAL;
		}
		(*out)[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

static int parse_reply(struct client *c, const struct rec_client *rc)
{
	int rc2;

	rc2 = get_hex(&rc->last_reply, rec_has(rc->have, RC_LAST_REPLY), &c->reply, &c->reply_len);
	if (rc2 == 0)
		rc2 = get_hex(&rc->last_request, rec_has(rc->have, RC_LAST_REQUEST), &c->last_req,
			      &c->last_req_len);
	if (rc2)
		return rc2;
	if (!c->reply && !c->last_req)
		return 0;
	if (!c->reply || !c->last_req || !rec_in(rc->have, rc->v, RC_LAST_COUNTER, 1, UINT32_MAX) ||
	    !rec_in(rc->have, rc->v, RC_LAST_PORT, 0, UINT16_MAX))
		return -EINVAL;
	c->r.last_counter = (uint32_t)rc->v[RC_LAST_COUNTER];
	c->last_port = (uint16_t)rc->v[RC_LAST_PORT];
	c->r.has_last = true;
	return 0;
}

/* A binding that could not come back: the host is told it is gone. */
static void tell_gone(struct engine *e, struct client *c, uint32_t bind_id)
{
	rsip_msg_init(&e->unsol, RSIP_FREE_RESPONSE);
	e->unsol.client_id = c->r.client_id;
	e->unsol.bind_id = bind_id;
	e->unsol.has |= RSIP_HAS_CLIENT_ID | RSIP_HAS_BIND_ID;
	engine_send_unsolicited(e, c, &e->unsol);
}

static bool rec_is(const struct rec_str *v, const char *word)
{
	return v->n == strlen(word) && !memcmp(v->p, word, v->n);
}

static int restore_client(struct rctx *x, const struct rec_client *rec)
{
	struct engine *e = x->e;
	const int64_t *v = rec->v;
	uint32_t h = rec->have;
	struct dp_client dpc;
	struct client *c;
	int64_t id = v[RC_CLIENT_ID];
	struct in_addr xa;
	size_t i;
	int rc;

	if (!rec_has(h, RC_BINDINGS) || !rec_in(h, v, RC_CLIENT_ID, 1, UINT32_MAX) ||
	    !rec_has(h, RC_XA) || rec_addr(&rec->xa, &xa) || !rec_in(h, v, RC_FLOW_LOCAL, 0, 255) ||
	    !rec_in(h, v, RC_FLOW_REMOTE, 0, 255) || !rec_in(h, v, RC_UDP_PORT, 0, UINT16_MAX) ||
	    !rec_has(h, RC_REGISTERED_MS) || !rec_has(h, RC_EXPIRES_MS) ||
	    !rec_has(h, RC_TRANSPORT))
		return rerr(x, "a client record is incomplete or out of range");
	/* Validated like a REGISTER from the wire: an address that may
	 * register, never 0.0.0.0 or the broadcast address. */
	if (xa.s_addr == htonl(INADDR_ANY) || xa.s_addr == htonl(INADDR_BROADCAST) ||
	    !policy_may_register(e, xa))
		return rerr(x, "client id %" PRId64 ": address %s may not register (--allow)", id,
			    inet_ntoa(xa));
	if (!rec_is(&rec->transport, "tcp") && !rec_is(&rec->transport, "udp"))
		return rerr(x, "client id %" PRId64 ": transport is neither tcp nor udp", id);
	if (client_by_addr(e, xa) || client_by_id(e, (uint32_t)id))
		return rerr(x, "client %s (id %" PRId64 ") appears twice", inet_ntoa(xa), id);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->r.client_id = (uint32_t)id;
	c->r.xa = xa;
	c->r.transport = rec_is(&rec->transport, "tcp") ? ENGINE_T_TCP : ENGINE_T_UDP;
	c->r.flow_local = (uint8_t)v[RC_FLOW_LOCAL];
	c->r.flow_remote = (uint8_t)v[RC_FLOW_REMOTE];
	c->r.udp_port = (uint16_t)v[RC_UDP_PORT];
	c->r.registered_ms = to_mono(x, v[RC_REGISTERED_MS]);
	c->r.expires_ms = to_mono_lease(x, v[RC_EXPIRES_MS]);
	rc = parse_reply(c, rec);
	if (rc == 0)
		rc = alloc_restore_client_id(e->alloc, c->r.client_id);
	if (rc) {
		free(c->reply);
		free(c->last_req);
		free(c);
		return rc == -ENOMEM ? rc
				     : rerr(x, "client %s: bad reply cache or client id %" PRId64,
					    inet_ntoa(xa), id);
	}
	if (e->dp) {
		dpc = (struct dp_client){.client_id = c->r.client_id, .xa = c->r.xa};
		rc = e->dp->ops->client_add(e->dp, &dpc);
		if (rc < 0) {
			alloc_client_id_release(e->alloc, c->r.client_id);
			free(c->reply);
			free(c->last_req);
			free(c);
			return rerr(x, "data plane refused client %s: %s", inet_ntoa(xa),
				    strerror(-rc));
		}
	}
	HASH_ADD(hh_id, e->by_id, r.client_id, sizeof(c->r.client_id), c);
	HASH_ADD(hh_addr, e->by_addr, r.xa.s_addr, sizeof(c->r.xa.s_addr), c);
	e->n_clients++;
	lease_schedule_client(e, c);

	for (i = 0; i < rec->nb; i++) {
		struct binding *b = NULL;
		uint32_t bind_id;

		rc = parse_binding(x, rec, &rec->b[i], c->r.client_id, xa, &b);
		if (rc == -ENOMEM)
			return rc;
		if (rc) {
			/* Skip it: the rest of the host's state is fine. Its
			 * resources stay free; the row is rewritten. */
			log_warnx("state: client %u: binding record %zu is malformed: skipped",
				  c->r.client_id, i);
			x->dropped++;
			engine_dirty(e, c->r.client_id);
			continue;
		}
		bind_id = b->r.bind_id;
		rc = restore_binding(x, c, b);
		if (rc) {
			/* The configuration changed (an Nb left the pool...):
			 * the binding is gone, and its host hears so. */
			log_warnx("state: client %u: binding %u cannot be restored (%s %d): "
				  "freeing it",
				  c->r.client_id, bind_id, rc > 0 ? "RSIP error" : "errno",
				  rc > 0 ? rc : -rc);
			free(b);
			x->dropped++;
			engine_dirty(e, c->r.client_id);
			tell_gone(e, c, bind_id);
		}
	}
	return 0;
}

int engine_state_restore(struct engine *e, struct json_object *st, uint64_t wall_now_ms, char *err,
			 size_t errlen)
{
	struct rctx x = {.e = e,
			 .mono_now = engine_now(e),
			 .wall_now = wall_now_ms,
			 .err = err,
			 .errlen = errlen};
	struct json_object *v, *cs;
	int64_t ver, shift;
	size_t i;
	int rc;

	if (errlen)
		err[0] = '\0';
	if (e->n_clients)
		return rerr(&x, "the engine already has registrations");
	if (!json_object_is_type(st, json_type_object) ||
	    !json_object_object_get_ex(st, "format", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), STATE_FORMAT) != 0)
		return rerr(&x, "not an rsipd state file");
	if (get_int(st, "version", 0, INT32_MAX, &ver) || ver != STATE_VERSION)
		return rerr(&x, "state file version %" PRId64 ", this rsipd reads version %d", ver,
			    STATE_VERSION);
	if (get_int(st, "spi_block_shift", 0, 31, &shift))
		return rerr(&x, "state file without a valid spi_block_shift");
	/* The maps key SPI blocks by (spi >> shift): a new block size would
	 * make every block binding point at the wrong SPIs. */
	if ((uint8_t)shift != e->cfg->spi_block_shift)
		return rerr(&x,
			    "the state file was written with --spi-block %u, this rsipd runs "
			    "with %u: start with the old value, or remove the state file "
			    "(every client then registers again)",
			    1u << shift, 1u << e->cfg->spi_block_shift);
	cs = get_array(st, "clients");
	if (!cs)
		return rerr(&x, "state file without a clients array");
	for (i = 0; i < json_object_array_length(cs); i++) {
		const char *text = json_object_to_json_string_ext(json_object_array_get_idx(cs, i),
								  JSON_C_TO_STRING_PLAIN);

		rc = text ? rec_parse(&e->rec, text, strlen(text)) : -ENOMEM;
		if (rc == -EINVAL)
			return rerr(&x,
				    "a client record is not a JSON object of the record's form");
		if (!rc)
			rc = restore_client(&x, &e->rec);
		if (rc)
			return rc;
	}
	log_info("state: %zu registration%s and %zu binding%s restored%s", e->n_clients,
		 e->n_clients == 1 ? "" : "s", e->n_bindings, e->n_bindings == 1 ? "" : "s",
		 x.dropped ? " (some could not be: see above)" : "");
	return 0;
}

/* ---- change notification -------------------------------------------------- */

/* ---- a cluster's mirror: a host's record again, while it lives -------------- */

static bool rec_has_binding(const struct rec_client *rec, uint32_t bind_id)
{
	for (size_t i = 0; i < rec->nb; i++)
		if (rec_in(rec->b[i].have, rec->b[i].v, RB_BIND_ID, 1, UINT32_MAX) &&
		    (uint32_t)rec->b[i].v[RB_BIND_ID] == bind_id)
			return true;
	return false;
}

/* c is the live host the record o describes: bindings it no longer lists
 * end (held back, as on the gateway that ended them), new ones are
 * restored, the others only take the record's lease; the live entries of
 * the maps stay, with their counters. */
static int update_client(struct rctx *x, struct client *c, const struct rec_client *rec)
{
	struct engine *e = x->e;
	struct binding *b, *tmp;
	struct client fresh = {0};
	int rc;

	if (!rec_has(rec->have, RC_BINDINGS) || !rec_has(rec->have, RC_EXPIRES_MS) ||
	    !rec_in(rec->have, rec->v, RC_UDP_PORT, 0, UINT16_MAX))
		return rerr(x, "a client record is incomplete or out of range");
	rc = parse_reply(&fresh, rec);
	if (rc) {
		free(fresh.reply);
		free(fresh.last_req);
		return rc == -ENOMEM ? rc : rerr(x, "client %u: bad reply cache", c->r.client_id);
	}
	free(c->reply);
	free(c->last_req);
	c->reply = fresh.reply;
	c->reply_len = fresh.reply_len;
	c->last_req = fresh.last_req;
	c->last_req_len = fresh.last_req_len;
	c->last_port = fresh.last_port;
	c->r.last_counter = fresh.r.last_counter;
	c->r.has_last = fresh.r.has_last;
	c->r.udp_port = (uint16_t)rec->v[RC_UDP_PORT];
	DL_FOREACH_SAFE2(c->bindings, b, tmp, cnext)
	if (!rec_has_binding(rec, b->r.bind_id))
		binding_destroy(e, c, b, true);
	for (size_t i = 0; i < rec->nb; i++) {
		struct binding *nb = NULL, *old;

		rc = parse_binding(x, rec, &rec->b[i], c->r.client_id, c->r.xa, &nb);
		if (rc == -ENOMEM)
			return rc;
		if (rc) {
			log_warnx("cluster: client %u: binding record %zu is malformed: skipped",
				  c->r.client_id, i);
			x->dropped++;
			continue;
		}
		old = binding_by_id(e, nb->r.bind_id);
		if (old && old->r.client_id == c->r.client_id) {
			old->r.lease_s = nb->r.lease_s;
			old->r.expires_ms = nb->r.expires_ms;
			lease_schedule_binding(e, old);
			free(nb);
			continue;
		}
		rc = old ? RSIP_E_INTERNAL_SERVER_ERROR : restore_binding(x, c, nb);
		if (rc) {
			log_warnx("cluster: client %u: binding %u cannot be mirrored (%s %d)",
				  c->r.client_id, nb->r.bind_id, rc > 0 ? "RSIP error" : "errno",
				  rc > 0 ? rc : -rc);
			free(nb);
			x->dropped++;
		}
	}
	c->r.expires_ms = to_mono_lease(x, rec->v[RC_EXPIRES_MS]);
	lease_schedule_client(e, c);
	e->state_gen++;
	return 0;
}

/* One host's record (text): restored (live: false), or restored or updated
 * (live: true, the cluster's mirror). */
static int one_client(struct engine *e, const char *text, size_t len, uint64_t wall_now_ms,
		      char *err, size_t errlen, bool live)
{
	struct rctx x = {.e = e,
			 .mono_now = engine_now(e),
			 .wall_now = wall_now_ms,
			 .err = err,
			 .errlen = errlen};
	struct rec_client *rec = &e->rec;
	struct client *c;
	struct in_addr xa;
	int rc;

	if (errlen)
		err[0] = '\0';
	rc = rec_parse(rec, text, len);
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		return rerr(&x, "not a JSON object of the record's form");
	if (!live)
		return restore_client(&x, rec);
	if (!rec_in(rec->have, rec->v, RC_CLIENT_ID, 1, UINT32_MAX) || !rec_has(rec->have, RC_XA) ||
	    rec_addr(&rec->xa, &xa))
		return rerr(&x, "a client record without a valid client_id or xa");
	c = client_by_id(e, (uint32_t)rec->v[RC_CLIENT_ID]);
	if (c && c->r.xa.s_addr == xa.s_addr) {
		rc = update_client(&x, c, rec);
	} else {
		if (c) /* another address: a new host under an old ID, start afresh */
			client_destroy(e, c, true);
		rc = restore_client(&x, rec);
	}
	/* The host is in, some of its bindings are not: what they hold is
	 * lent in the cluster and unknown here (the fence must know). */
	if (!rc && x.dropped)
		rc = rerr(&x, "%u of its bindings could not be mirrored", x.dropped);
	return rc;
}

/* The same from a JSON object (the cluster's watch, tests): its text. */
static int one_client_json(struct engine *e, struct json_object *o, uint64_t wall_now_ms, char *err,
			   size_t errlen, bool live)
{
	const char *text;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		return -EINVAL;
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (!text)
		return -ENOMEM;
	return one_client(e, text, strlen(text), wall_now_ms, err, errlen, live);
}

int engine_state_restore_client_text(struct engine *e, const char *text, size_t len,
				     uint64_t wall_now_ms, char *err, size_t errlen)
{
	return one_client(e, text, len, wall_now_ms, err, errlen, false);
}

int engine_state_restore_client(struct engine *e, struct json_object *o, uint64_t wall_now_ms,
				char *err, size_t errlen)
{
	return one_client_json(e, o, wall_now_ms, err, errlen, false);
}

int engine_state_update_client(struct engine *e, struct json_object *o, uint64_t wall_now_ms,
			       char *err, size_t errlen)
{
	return one_client_json(e, o, wall_now_ms, err, errlen, true);
}

void engine_set_dirty_hook(struct engine *e, void (*fn)(void *arg, uint32_t client_id), void *arg)
{
	e->dirty_hook = fn;
	e->dirty_hook_arg = arg;
}

void engine_set_state_hook(struct engine *e, void (*fn)(void *arg), void *arg)
{
	e->state_hook = fn;
	e->state_hook_arg = arg;
	e->state_saved_gen = e->state_gen;
}
