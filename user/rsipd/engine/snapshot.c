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

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_addr(struct json_object *o, const char *k, struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	json_object_object_add(o, k, json_object_new_string(s));
}

static void add_hex(struct json_object *o, const char *k, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *hex = malloc(n * 2 + 1);
	size_t i;

	if (!hex)
		return; /* restore then finds no cache: the request runs again */
	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[p[i] >> 4];
		hex[2 * i + 1] = digits[p[i] & 15];
	}
	hex[2 * n] = '\0';
	json_object_object_add(o, k, json_object_new_string(hex));
	free(hex);
}

/* A CLOCK_MONOTONIC time of the engine as wall-clock ms. */
static int64_t to_wall(uint64_t mono, uint64_t mono_now, uint64_t wall_now)
{
	return (int64_t)wall_now + ((int64_t)mono - (int64_t)mono_now);
}

static struct json_object *save_binding(struct binding *b, uint64_t mono_now, uint64_t wall_now)
{
	struct binding_rec *r = &b->r;
	struct json_object *o = json_object_new_object(), *a;
	uint16_t i;

	add_int(o, "bind_id", r->bind_id);
	add_int(o, "kind", r->kind);
	add_int(o, "method", r->method);
	add_int(o, "tunnel", r->tunnel);
	add_addr(o, "nb", r->nb);
	add_int(o, "remote_policy", r->remote_policy);
	add_addr(o, "remote", r->remote);
	add_int(o, "remote_port", r->remote_port);
	a = json_object_new_array();
	for (i = 0; i < r->nports; i++)
		json_object_array_add(a, json_object_new_int(binding_ports(r)[i]));
	json_object_object_add(o, "ports", a);
	a = json_object_new_array();
	for (i = 0; i < r->nspis; i++)
		json_object_array_add(a, json_object_new_int64(binding_spis(r)[i]));
	json_object_object_add(o, "spis", a);
	json_object_object_add(o, "has_spi_block", json_object_new_boolean(r->has_spi_block));
	add_int(o, "spi_block", r->spi_block);
	json_object_object_add(o, "ports_dont_need", json_object_new_boolean(r->ports_dont_need));
	add_int(o, "lease_s", r->lease_s);
	add_int(o, "created_ms", to_wall(r->created_ms, mono_now, wall_now));
	add_int(o, "expires_ms", to_wall(r->expires_ms, mono_now, wall_now));
	return o;
}

static struct json_object *save_client(struct client *c, uint64_t mono_now, uint64_t wall_now)
{
	struct json_object *o = json_object_new_object(), *bs = json_object_new_array();
	struct binding *b;

	add_int(o, "client_id", c->r.client_id);
	add_addr(o, "xa", c->r.xa);
	json_object_object_add(
	    o, "transport", json_object_new_string(c->r.transport == RSIP_T_TCP ? "tcp" : "udp"));
	add_int(o, "flow_local", c->r.flow_local);
	add_int(o, "flow_remote", c->r.flow_remote);
	add_int(o, "udp_port", c->r.udp_port);
	add_int(o, "registered_ms", to_wall(c->r.registered_ms, mono_now, wall_now));
	add_int(o, "expires_ms", to_wall(c->r.expires_ms, mono_now, wall_now));
	/* The reply cache (spec 6.2): a UDP retransmission that crosses the
	 * restart still gets the same bytes. A TCP one cannot: its connection
	 * is gone with the old process. */
	if (c->r.has_last && c->reply && c->last_req && c->r.transport == RSIP_T_UDP) {
		add_int(o, "last_counter", c->r.last_counter);
		add_int(o, "last_port", c->last_port);
		add_hex(o, "last_request", c->last_req, c->last_req_len);
		add_hex(o, "last_reply", c->reply, c->reply_len);
	}
	DL_FOREACH2(c->bindings, b, cnext)
	json_object_array_add(bs, save_binding(b, mono_now, wall_now));
	json_object_object_add(o, "bindings", bs);
	return o;
}

struct json_object *engine_state_client(struct engine *e, uint32_t client_id, uint64_t wall_now_ms)
{
	struct client *c = client_by_id(e, client_id);

	return c ? save_client(c, engine_now(e), wall_now_ms) : NULL;
}

uint8_t engine_spi_block_shift(const struct engine *e)
{
	return e->cfg->spi_block_shift;
}

struct json_object *engine_state_save(struct engine *e, uint64_t wall_now_ms)
{
	struct json_object *st = json_object_new_object(), *cs = json_object_new_array();
	uint64_t mono_now = engine_now(e);
	struct client *c, *tmp;

	json_object_object_add(st, "format", json_object_new_string(STATE_FORMAT));
	add_int(st, "version", STATE_VERSION);
	add_int(st, "saved_ms", (int64_t)wall_now_ms);
	add_int(st, "spi_block_shift", e->cfg->spi_block_shift);
	HASH_ITER(hh_id, e->by_id, c, tmp)
	json_object_array_add(cs, save_client(c, mono_now, wall_now_ms));
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

static int get_addr(struct json_object *o, const char *k, struct in_addr *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return -EINVAL;
	return inet_pton(AF_INET, json_object_get_string(v), out) == 1 ? 0 : -EINVAL;
}

static bool get_bool(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
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

/* Parse a binding record; b is allocated here. */
static int parse_binding(struct rctx *x, struct json_object *o, uint32_t client_id,
			 struct in_addr xa, struct binding **out)
{
	struct json_object *ports = get_array(o, "ports"), *spis = get_array(o, "spis");
	int64_t v[9], t;
	struct binding *b;
	size_t np, ns, i;

	if (!ports || !spis || json_object_array_length(ports) > UINT16_MAX ||
	    json_object_array_length(spis) > UINT16_MAX)
		return -EINVAL;
	if (get_int(o, "bind_id", 1, UINT32_MAX, &v[0]) || get_int(o, "kind", 1, 4, &v[1]) ||
	    get_int(o, "method", 1, 3, &v[2]) || get_int(o, "tunnel", 1, 3, &v[3]) ||
	    get_int(o, "remote_policy", 0, 255, &v[4]) ||
	    get_int(o, "remote_port", 0, UINT16_MAX, &v[5]) ||
	    get_int(o, "spi_block", 0, UINT32_MAX, &v[6]) ||
	    get_int(o, "lease_s", 0, UINT32_MAX, &v[7]) ||
	    get_int(o, "created_ms", INT64_MIN, INT64_MAX, &v[8]) ||
	    get_int(o, "expires_ms", INT64_MIN, INT64_MAX, &t))
		return -EINVAL;
	np = json_object_array_length(ports);
	ns = json_object_array_length(spis);
	b = binding_alloc((uint16_t)ns, (uint16_t)np);
	if (!b)
		return -ENOMEM;
	b->r.bind_id = (uint32_t)v[0];
	b->r.client_id = client_id;
	b->r.xa = xa;
	b->r.kind = (uint8_t)v[1];
	b->r.method = (uint8_t)v[2];
	b->r.tunnel = (uint8_t)v[3];
	b->r.remote_policy = (uint8_t)v[4];
	b->r.remote_port = (uint16_t)v[5];
	b->r.spi_block = (uint32_t)v[6];
	b->r.lease_s = (uint32_t)v[7];
	b->r.has_spi_block = get_bool(o, "has_spi_block");
	b->r.ports_dont_need = get_bool(o, "ports_dont_need");
	if (get_addr(o, "nb", &b->r.nb) || get_addr(o, "remote", &b->r.remote))
		goto bad;
	for (i = 0; i < np; i++) {
		struct json_object *p = json_object_array_get_idx(ports, i);
		int64_t pv = json_object_get_int64(p);

		if (!json_object_is_type(p, json_type_int) || pv < 1 || pv > UINT16_MAX)
			goto bad;
		binding_ports(&b->r)[i] = (uint16_t)pv;
	}
	for (i = 0; i < ns; i++) {
		struct json_object *s = json_object_array_get_idx(spis, i);
		int64_t sv = json_object_get_int64(s);

		if (!json_object_is_type(s, json_type_int) || sv < 1 || sv > UINT32_MAX)
			goto bad;
		binding_spis(&b->r)[i] = (uint32_t)sv;
	}
	if (b->r.lease_s > x->e->cfg->lease)
		b->r.lease_s = x->e->cfg->lease;
	else if (b->r.lease_s < x->e->cfg->lease_min)
		b->r.lease_s = x->e->cfg->lease_min;
	b->r.created_ms = to_mono(x, v[8]);
	b->r.expires_ms = to_mono_lease(x, t);
	*out = b;
	return 0;
bad:
	free(b);
	return -EINVAL;
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

/* Hex text of key k into a new buffer: 0 (absent: *out NULL), or -EINVAL. */
static int get_hex(struct json_object *o, const char *k, uint8_t **out, size_t *len)
{
	struct json_object *v;
	const char *hex;
	size_t n, i;

	*out = NULL;
	*len = 0;
	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	hex = json_object_get_string(v);
	n = strlen(hex);
	if (n == 0 || n % 2 || n / 2 > RSIP_MAX_MSG)
		return -EINVAL;
	*out = malloc(n / 2);
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < n / 2; i++) {
		unsigned int byte;

		if (sscanf(hex + 2 * i, "%2x", &byte) != 1) {
			free(*out);
			*out = NULL;
			return -EINVAL;
		}
		(*out)[i] = (uint8_t)byte;
	}
	*len = n / 2;
	return 0;
}

static int parse_reply(struct client *c, struct json_object *o)
{
	int64_t counter, port;
	int rc;

	rc = get_hex(o, "last_reply", &c->reply, &c->reply_len);
	if (rc == 0)
		rc = get_hex(o, "last_request", &c->last_req, &c->last_req_len);
	if (rc)
		return rc;
	if (!c->reply && !c->last_req)
		return 0;
	if (!c->reply || !c->last_req || get_int(o, "last_counter", 1, UINT32_MAX, &counter) ||
	    get_int(o, "last_port", 0, UINT16_MAX, &port))
		return -EINVAL;
	c->r.last_counter = (uint32_t)counter;
	c->last_port = (uint16_t)port;
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

static int restore_client(struct rctx *x, struct json_object *o)
{
	struct engine *e = x->e;
	struct json_object *bs = get_array(o, "bindings"), *tr;
	struct dp_client dpc;
	struct client *c;
	int64_t id, fl, fr, port, reg, exp;
	struct in_addr xa;
	size_t i;
	int rc;

	if (!bs || get_int(o, "client_id", 1, UINT32_MAX, &id) || get_addr(o, "xa", &xa) ||
	    get_int(o, "flow_local", 0, 255, &fl) || get_int(o, "flow_remote", 0, 255, &fr) ||
	    get_int(o, "udp_port", 0, UINT16_MAX, &port) ||
	    get_int(o, "registered_ms", INT64_MIN, INT64_MAX, &reg) ||
	    get_int(o, "expires_ms", INT64_MIN, INT64_MAX, &exp) ||
	    !json_object_object_get_ex(o, "transport", &tr) ||
	    !json_object_is_type(tr, json_type_string))
		return rerr(x, "a client record is incomplete or out of range");
	/* Validated like a REGISTER from the wire: an address that may
	 * register, never 0.0.0.0 or the broadcast address. */
	if (xa.s_addr == htonl(INADDR_ANY) || xa.s_addr == htonl(INADDR_BROADCAST) ||
	    !policy_may_register(e, xa))
		return rerr(x, "client id %" PRId64 ": address %s may not register (--allow)", id,
			    inet_ntoa(xa));
	if (strcmp(json_object_get_string(tr), "tcp") && strcmp(json_object_get_string(tr), "udp"))
		return rerr(x, "client id %" PRId64 ": transport is neither tcp nor udp", id);
	if (client_by_addr(e, xa) || client_by_id(e, (uint32_t)id))
		return rerr(x, "client %s (id %" PRId64 ") appears twice", inet_ntoa(xa), id);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->r.client_id = (uint32_t)id;
	c->r.xa = xa;
	c->r.transport = strcmp(json_object_get_string(tr), "tcp") ? RSIP_T_UDP : RSIP_T_TCP;
	c->r.flow_local = (uint8_t)fl;
	c->r.flow_remote = (uint8_t)fr;
	c->r.udp_port = (uint16_t)port;
	c->r.registered_ms = to_mono(x, reg);
	c->r.expires_ms = to_mono_lease(x, exp);
	rc = parse_reply(c, o);
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

	for (i = 0; i < json_object_array_length(bs); i++) {
		struct binding *b = NULL;
		uint32_t bind_id;

		rc = parse_binding(x, json_object_array_get_idx(bs, i), c->r.client_id, xa, &b);
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
		rc = restore_client(&x, json_object_array_get_idx(cs, i));
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

static bool doc_has_binding(struct json_object *bs, uint32_t bind_id)
{
	int64_t v;

	for (size_t i = 0; i < json_object_array_length(bs); i++)
		if (!get_int(json_object_array_get_idx(bs, i), "bind_id", 1, UINT32_MAX, &v) &&
		    (uint32_t)v == bind_id)
			return true;
	return false;
}

/* c is the live host the record o describes: bindings it no longer lists
 * end (held back, as on the gateway that ended them), new ones are
 * restored, the others only take the record's lease; the live entries of
 * the maps stay, with their counters. */
static int update_client(struct rctx *x, struct client *c, struct json_object *o)
{
	struct engine *e = x->e;
	struct json_object *bs = get_array(o, "bindings");
	struct binding *b, *tmp;
	int64_t exp, port;
	struct client fresh = {0};
	int rc;

	if (!bs || get_int(o, "expires_ms", INT64_MIN, INT64_MAX, &exp) ||
	    get_int(o, "udp_port", 0, UINT16_MAX, &port))
		return rerr(x, "a client record is incomplete or out of range");
	rc = parse_reply(&fresh, o);
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
	c->r.udp_port = (uint16_t)port;
	DL_FOREACH_SAFE2(c->bindings, b, tmp, cnext)
	if (!doc_has_binding(bs, b->r.bind_id))
		binding_destroy(e, c, b, true);
	for (size_t i = 0; i < json_object_array_length(bs); i++) {
		struct binding *nb = NULL, *old;

		rc = parse_binding(x, json_object_array_get_idx(bs, i), c->r.client_id, c->r.xa,
				   &nb);
		if (rc == -ENOMEM)
			return rc;
		if (rc) {
			log_warnx("cluster: client %u: binding record %zu is malformed: skipped",
				  c->r.client_id, i);
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
		}
	}
	c->r.expires_ms = to_mono_lease(x, exp);
	lease_schedule_client(e, c);
	e->state_gen++;
	return 0;
}

/* One host's record: restored (live: false), or restored or updated (live:
 * true, the cluster's mirror). */
static int one_client(struct engine *e, struct json_object *o, uint64_t wall_now_ms, char *err,
		      size_t errlen, bool live)
{
	struct rctx x = {.e = e,
			 .mono_now = engine_now(e),
			 .wall_now = wall_now_ms,
			 .err = err,
			 .errlen = errlen};
	struct client *c;
	struct in_addr xa;
	int64_t id;

	if (errlen)
		err[0] = '\0';
	if (!json_object_is_type(o, json_type_object))
		return rerr(&x, "not a JSON object");
	if (!live)
		return restore_client(&x, o);
	if (get_int(o, "client_id", 1, UINT32_MAX, &id) || get_addr(o, "xa", &xa))
		return rerr(&x, "a client record without a valid client_id or xa");
	c = client_by_id(e, (uint32_t)id);
	if (c && c->r.xa.s_addr == xa.s_addr)
		return update_client(&x, c, o);
	if (c) /* another address: a new host under an old ID, start afresh */
		client_destroy(e, c, true);
	return restore_client(&x, o);
}

int engine_state_restore_client(struct engine *e, struct json_object *o, uint64_t wall_now_ms,
				char *err, size_t errlen)
{
	return one_client(e, o, wall_now_ms, err, errlen, false);
}

int engine_state_update_client(struct engine *e, struct json_object *o, uint64_t wall_now_ms,
			       char *err, size_t errlen)
{
	return one_client(e, o, wall_now_ms, err, errlen, true);
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
