// SPDX-License-Identifier: BSD-2-Clause
/*
 * The engine's front door: every message goes through engine_handle(), which
 * applies the processing order of spec 6.1 (framing ... client ID) before a
 * per-message handler runs, answers, and keeps the reply cache of 6.2. Also
 * the counters, unsolicited sends and the data plane's violation reports.
 */
#include "engine_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "alloc/alloc.h"
#include "clock.h"
#include "dataplane/dataplane.h"
#include "log.h"

static uint64_t real_now(void *arg)
{
	return mono_ms();
}

static void engine_violation(void *arg, struct in_addr xa, uint16_t error);

struct engine *engine_new(const struct rsipd_config *cfg, struct dataplane *dp,
			  const struct engine_io *io, const struct engine_clock *clk)
{
	/* IKE and NAT-T ports are demultiplexed by cookie, never leased; the
	 * RSIP port itself stays the gateway's. */
	static const uint16_t reserved[] = {500, 4500, RSIP_PORT};
	struct alloc_cfg ac = {0};
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->cfg = cfg;
	e->dp = dp;
	e->io = *io;
	if (clk)
		e->clk = *clk;
	if (!e->clk.now_ms)
		e->clk.now_ms = real_now;

	ac.public_addrs = cfg->public_addrs;
	ac.n_public = cfg->n_public;
	ac.port_lo = cfg->port_lo;
	ac.port_hi = cfg->port_hi;
	ac.reserved_ports = reserved;
	ac.n_reserved = sizeof(reserved) / sizeof(reserved[0]);
	ac.spi_lo = cfg->spi_lo;
	ac.spi_hi = cfg->spi_hi;
	ac.spi_block_shift = cfg->spi_block_shift;
	if (dp) {
		ac.spi_dir_key = dp->spi_dir.key;
		ac.spi_dir_slots = dp->spi_dir.slots;
		ac.spi_dir_per_nb = dp->spi_dir.per_nb;
	}
	ac.holdback_ms = cfg->holdback ? cfg->holdback * 1000u : ALLOC_HOLDBACK_NONE;
	ac.max_ports_per_client = cfg->max_ports;
	ac.max_spis_per_client = cfg->max_spis;
	ac.now_ms = e->clk.now_ms;
	ac.clock_arg = e->clk.arg;
	ac.random32 = e->clk.random32;
	ac.random_arg = e->clk.random_arg;
	ac.port_busy = e->clk.port_busy;
	ac.port_busy_arg = e->clk.port_busy_arg;
	e->alloc = alloc_new(&ac);
	e->prereg = reply_cache_new();
	e->reglim = register_limit_new();
	e->leases = lease_heap_new();
	if (!e->alloc || !e->prereg || !e->reglim || !e->leases) {
		engine_free(e, false);
		return NULL;
	}
	if (dp) {
		dp->cb.violation = engine_violation;
		dp->cb.arg = e;
	}
	return e;
}

void engine_free(struct engine *e, bool tell_dp)
{
	struct client *c, *tmp;

	if (!e)
		return;
	HASH_ITER(hh_id, e->by_id, c, tmp)
	client_destroy(e, c, tell_dp);
	if (e->dp && e->dp->cb.arg == e)
		e->dp->cb.violation = NULL;
	reply_cache_free(e->prereg);
	register_limit_free(e->reglim);
	lease_heap_free(e->leases);
	if (e->alloc)
		alloc_free(e->alloc);
	rec_free(&e->rec);
	rec_out_free(&e->rec_out);
	free(e);
}

/* ---- answering a request ------------------------------------------------------- */

static void answer(struct engine *e, struct req_ctx *x, int code, bool cacheable)
{
	const struct rsip_msg *req = x->req;
	struct rsip_msg *rep = x->rep;
	bool hc = req->has & RSIP_HAS_COUNTER;
	ssize_t n;

	if (code)
		rsip_msg_error(rep, (uint16_t)code, hc, req->counter, x->err_has_client,
			       x->err_client, x->err_has_bind, x->err_bind);
	else if (hc) {
		rep->counter = req->counter;
		rep->has |= RSIP_HAS_COUNTER;
	}
	n = rsip_encode(rep, e->outbuf, sizeof(e->outbuf));
	if (n < 0) {
		log_warnx("cannot encode %s (%zd): answering 104", rsip_msg_type_name(rep->type),
			  n);
		code = RSIP_E_INTERNAL_SERVER_ERROR;
		rsip_msg_error(rep, (uint16_t)code, hc, req->counter, x->err_has_client,
			       x->err_client, false, 0);
		n = rsip_encode(rep, e->outbuf, sizeof(e->outbuf));
		if (n < 0)
			return;
	}
	if (rep->type == RSIP_ERROR_RESPONSE && rep->error < ENGINE_N_ERRORS)
		e->ctr.errors[rep->error]++;
	if (log_get_verbosity() > 0) {
		char line[256];

		rsip_msg_format(rep, line, sizeof(line));
		log_debug("-> %s:%u: %s", inet_ntoa(x->src->addr), x->src->port, line);
	}
	/* Cache before sending: a send that fails (a closed connection) must
	 * not make a retransmission run the request twice. */
	if (cacheable && hc) {
		if (x->c) {
			client_set_reply(x->c, x, e->outbuf, (size_t)n);
			/* Every answer a host can retransmit for comes here,
			 * after whatever its request changed: its store row
			 * follows. */
			engine_dirty(e, x->c->r.client_id);
		} else
			reply_cache_put(e->prereg, x, e->outbuf, (size_t)n, engine_now(e));
	}
	engine_send_bytes(e, x->src, e->outbuf, (size_t)n);
}

static void replay(struct engine *e, const struct engine_src *src, const uint8_t *buf, size_t len)
{
	e->ctr.retransmits++;
	log_debug("-> %s:%u: cached reply (%zu bytes) for a retransmission", inet_ntoa(src->addr),
		  src->port, len);
	engine_send_bytes(e, src, buf, len);
}

static int dispatch(struct engine *e, struct req_ctx *x)
{
	switch (x->req->type) {
	case RSIP_DEREGISTER_REQUEST:
		return handle_deregister(e, x);
	case RSIP_ASSIGN_REQUEST_RSA_IP:
	case RSIP_ASSIGN_REQUEST_RSAP_IP:
	case RSIP_ASSIGN_REQUEST_RSIPSEC:
		return handle_assign(e, x);
	case RSIP_LISTEN_REQUEST:
		return handle_listen(e, x);
	case RSIP_EXTEND_REQUEST:
		return handle_extend(e, x);
	case RSIP_FREE_REQUEST:
		return handle_free(e, x);
	case RSIP_QUERY_REQUEST:
		return handle_query(e, x);
	default:
		/* A request type the codec accepts and we have no handler for. */
		return RSIP_E_UNSUPPORTED_MESSAGE;
	}
}

static int handle_one(struct engine *e, const struct engine_src *from, const uint8_t *buf,
		      size_t len)
{
	struct rsip_decode_err de;
	struct req_ctx x = {
	    .src = from, .raw = buf, .raw_len = len, .req = &e->req, .rep = &e->rep};
	struct rsip_msg *req = &e->req;
	const uint8_t *cached;
	struct client *c;
	size_t clen;
	bool hc;
	int rc;

	e->ctr.messages_in++;
	/* Over UDP the source can be forged: a source that may not register
	 * gets no answer at all, so rsipd cannot reflect traffic (the
	 * answers are larger than the requests) at strangers. TCP sources
	 * completed a handshake and still get 304. */
	if (from->transport == ENGINE_T_UDP && !policy_may_register(e, from->addr)) {
		e->ctr.dropped_not_allowed++;
		log_debug("<- %s:%u udp: outside --allow, not answered", inet_ntoa(from->addr),
			  from->port);
		return ENGINE_OK;
	}
	/* 1-5: framing, version, type, TLV walk, grammar (the codec). */
	if (rsip_decode(buf, len, req, &de)) {
		e->ctr.malformed++;
		log_debug("<- %s:%u %s: malformed (%u %s): %s", inet_ntoa(from->addr), from->port,
			  from->transport == ENGINE_T_TCP ? "tcp" : "udp", de.error,
			  rsip_error_name(de.error), de.why ? de.why : "");
		rsip_msg_init(req, 0);
		if (de.has_counter) {
			req->counter = de.counter;
			req->has |= RSIP_HAS_COUNTER;
		}
		x.err_has_client = de.has_client_id;
		x.err_client = de.client_id;
		rc = de.error ? de.error : RSIP_E_BAD_MESSAGE;
		/* 3 comes before 4-5: a response type from a host is 206 even
		 * when its parameters are broken too (D8). Framing (207 with
		 * fatal set) and version (106) still come first. */
		if (!de.fatal && rc != RSIP_E_UNSUPPORTED_RSIP_VERSION && len >= 2 &&
		    rsip_msg_is_response(buf[1]))
			rc = RSIP_E_ILLEGAL_MESSAGE;
		if (e->cfg->tcp_only && from->transport == ENGINE_T_UDP)
			rc = RSIP_E_USE_TCP;
		answer(e, &x, rc, false);
		return from->transport == ENGINE_T_TCP && de.fatal ? ENGINE_CLOSE : ENGINE_OK;
	}
	if (log_get_verbosity() > 0) {
		char line[256];

		rsip_msg_format(req, line, sizeof(line));
		log_debug("<- %s:%u %s: %s", inet_ntoa(from->addr), from->port,
			  from->transport == ENGINE_T_TCP ? "tcp" : "udp", line);
	}
	hc = req->has & RSIP_HAS_COUNTER;
	x.err_has_client = req->has & RSIP_HAS_CLIENT_ID;
	x.err_client = req->client_id;
	x.err_has_bind = req->has & RSIP_HAS_BIND_ID;
	x.err_bind = req->bind_id;

	if (e->cfg->tcp_only && from->transport == ENGINE_T_UDP) {
		answer(e, &x, RSIP_E_USE_TCP, false);
		return ENGINE_OK;
	}
	/* 3: only a gateway sends response types (D8); optional types we turned
	 * off are 208. */
	if (rsip_msg_is_response(req->type)) {
		e->ctr.malformed++;
		answer(e, &x, RSIP_E_ILLEGAL_MESSAGE, false);
		return ENGINE_OK;
	}
	if (req->type == RSIP_ASSIGN_REQUEST_RSA_IP && e->cfg->no_rsa_ip) {
		answer(e, &x, RSIP_E_UNSUPPORTED_MESSAGE, false);
		return ENGINE_OK;
	}
	/* 6: the counter (UDP: mandatory; 0 is the gateway's, D3). */
	if (from->transport == ENGINE_T_UDP && !hc) {
		answer(e, &x, RSIP_E_MESSAGE_COUNTER_REQUIRED, false);
		return ENGINE_OK;
	}
	if (hc && req->counter == 0) {
		answer(e, &x, RSIP_E_BAD_PARAM, false);
		return ENGINE_OK;
	}
	/* Values the codec leaves to the receiver (SPI 1-255, FQDN remote...):
	 * 205, still a parameter check, so before any state is looked at. */
	rc = policy_check_values(req);
	if (rc) {
		answer(e, &x, rc, false);
		return ENGINE_OK;
	}

	/* 7: a duplicate gets the cached reply, byte for byte (6.2). */
	c = client_by_addr(e, from->addr);
	if (hc) {
		if (c && c->r.transport == from->transport)
			cached = client_cached_reply(c, &x, &clen);
		else if (!c)
			cached = reply_cache_get(e->prereg, &x, engine_now(e), &clen);
		else
			cached = NULL;
		if (cached) {
			replay(e, from, cached, clen);
			return ENGINE_OK;
		}
	}

	/* 8: registration. D4: the transport is fixed at registration. */
	if (c && c->r.transport != from->transport) {
		x.err_has_client = true;
		x.err_client = c->r.client_id;
		answer(e, &x,
		       c->r.transport == ENGINE_T_TCP ? RSIP_E_USE_TCP : RSIP_E_UNKNOWN_ERROR,
		       false);
		return ENGINE_OK;
	}
	if (req->type == RSIP_REGISTER_REQUEST) {
		if (c) {
			/* Nothing proves this comes from the host (anyone can
			 * send from its address over UDP): answer, touch nothing,
			 * not even its reply cache. 302 is the same answer every
			 * time, so a retransmission needs no cache. */
			x.err_has_client = true;
			x.err_client = c->r.client_id;
			answer(e, &x, RSIP_E_ALREADY_REGISTERED, false);
			return ENGINE_OK;
		}
		if (!register_limit_admit(e->reglim, e->cfg, from->addr, engine_now(e))) {
			/* Over UDP the host retransmits and its prefix's bucket
			 * refills meanwhile; an answer would only feed a flood. */
			e->ctr.registers_limited++;
			log_info("%s: REGISTER over --register-rate %u/s for its /%u, %s",
				 inet_ntoa(from->addr), e->cfg->register_rate,
				 e->cfg->register_prefix,
				 from->transport == ENGINE_T_UDP ? "dropped" : "answered 304");
			if (from->transport == ENGINE_T_TCP)
				answer(e, &x, RSIP_E_REGISTRATION_DENIED, false);
			return ENGINE_OK;
		}
		rc = handle_register(e, &x);
		answer(e, &x, rc, true);
		return ENGINE_OK;
	}
	if (!c) {
		answer(e, &x, RSIP_E_REGISTER_FIRST, true);
		return ENGINE_OK;
	}
	/* 9: the Client ID must be the host's own; the error names the real
	 * one (D17). */
	x.err_has_client = true;
	x.err_client = c->r.client_id;
	if (req->client_id != c->r.client_id) {
		/* Not validated as the host's: its return port, connection and
		 * cached reply stay as they are (a spoofed datagram must not
		 * redirect its unsolicited messages); 305 needs no cache. */
		answer(e, &x, RSIP_E_BAD_CLIENT_ID, false);
		return ENGINE_OK;
	}
	/* Validated: where unsolicited messages go from now on (D4). */
	x.c = c;
	client_proven(e, c);
	if (from->transport == ENGINE_T_TCP)
		c->tcp_conn = from->conn;
	else
		c->r.udp_port = from->port;
	/* 10-11: Bind ID and the message's own checks, in its handler. */
	rsip_msg_init(x.rep, 0);
	rc = dispatch(e, &x);
	answer(e, &x, rc, true);
	return ENGINE_OK;
}

int engine_handle(struct engine *e, const struct engine_src *from, const uint8_t *buf, size_t len)
{
	int rc;

	/* A standby answers nothing: over UDP the host retransmits until the
	 * address has moved to the active gateway, which holds the same
	 * state. Over TCP the host never resends (spec D3) and would wait for
	 * a reply until its lease ran out: the stream is closed instead, so
	 * the request fails at once and the host asks again on a new
	 * connection (spec D4; its renewal is retried), which reaches the
	 * active gateway. A standby sees TCP only while the address moves. */
	if (e->passive) {
		e->ctr.passive_dropped++;
		return from->transport == ENGINE_T_TCP ? ENGINE_CLOSE : ENGINE_OK;
	}
	rc = handle_one(e, from, buf, len);

	/* After the reply is cached, so a saved state replays it. */
	engine_state_changed(e);
	return rc;
}

void engine_bad_frame(struct engine *e, const struct engine_src *from)
{
	struct req_ctx x = {.src = from, .req = &e->req, .rep = &e->rep};

	e->ctr.messages_in++;
	e->ctr.malformed++;
	log_debug("<- %s:%u tcp: impossible Overall Length, closing", inet_ntoa(from->addr),
		  from->port);
	rsip_msg_init(&e->req, 0);
	answer(e, &x, RSIP_E_BAD_MESSAGE, false);
}

void engine_set_passive(struct engine *e, bool passive)
{
	e->passive = passive;
}

void engine_set_alloc_gate(struct engine *e, int (*gate)(void *arg), void *arg)
{
	e->alloc_gate = gate;
	e->alloc_gate_arg = arg;
}

bool engine_is_passive(const struct engine *e)
{
	return e->passive;
}

void engine_conn_closed(struct engine *e, uint64_t conn)
{
	struct client *c, *tmp;

	HASH_ITER(hh_id, e->by_id, c, tmp)
	if (c->tcp_conn == conn)
		c->tcp_conn = 0;
}

/* ---- data-path violations (D14) ------------------------------------------------ */

static int violation_slot(uint16_t error)
{
	switch (error) {
	case RSIP_E_BAD_TUNNEL_TYPE:
		return VIOL_307;
	case RSIP_E_LOCAL_ADDR_UNALLOWED:
		return VIOL_312;
	case RSIP_E_LOCAL_ADDRPORT_UNALLOWED:
		return VIOL_313;
	case RSIP_E_REMOTE_ADDR_UNALLOWED:
		return VIOL_314;
	case RSIP_E_REMOTE_ADDRPORT_UNALLOWED:
		return VIOL_315;
	default:
		return -1;
	}
}

static void engine_violation(void *arg, struct in_addr xa, uint16_t error)
{
	struct engine *e = arg;
	struct client *c = client_by_addr(e, xa);
	uint64_t now = engine_now(e);
	int slot = violation_slot(error);

	if (!c || slot < 0)
		return;
	/* At most one report per host, per reason, per second. */
	if (c->r.violation_ms[slot] && now - c->r.violation_ms[slot] < 1000)
		return;
	c->r.violation_ms[slot] = now ? now : 1;
	e->ctr.violations++;
	rsip_msg_error(&e->unsol, error, true, 0, true, c->r.client_id, false, 0);
	engine_send_unsolicited(e, c, &e->unsol);
}

/* ---- views ------------------------------------------------------------------- */

void engine_foreach_client(struct engine *e, engine_client_cb cb, void *arg)
{
	struct client *c, *tmp;

	HASH_ITER(hh_id, e->by_id, c, tmp)
	{
		struct engine_client_view v = {
		    .client_id = c->r.client_id,
		    .addr = c->r.xa,
		    .transport = c->r.transport,
		    .nbindings = c->r.nbindings,
		    .nports = c->r.nports,
		    .nspis = c->r.nspis,
		    .registered_ms = c->r.registered_ms,
		    .expires_ms = c->r.expires_ms,
		};
		cb(&v, arg);
	}
}

void engine_foreach_binding(struct engine *e, uint32_t client_id, engine_binding_cb cb, void *arg)
{
	struct binding *b, *tmp;

	HASH_ITER(hh, e->bindings, b, tmp)
	{
		if (client_id && b->r.client_id != client_id)
			continue;
		cb(&b->r, arg);
	}
}

size_t engine_n_clients(const struct engine *e)
{
	return e->n_clients;
}

size_t engine_n_bindings(const struct engine *e)
{
	return e->n_bindings;
}

const struct engine_counters *engine_counters(const struct engine *e)
{
	return &e->ctr;
}

struct alloc *engine_alloc(struct engine *e)
{
	return e->alloc;
}

struct dataplane *engine_dataplane(struct engine *e)
{
	return e->dp;
}

void engine_config_changed(struct engine *e)
{
	alloc_set_client_limits(e->alloc, e->cfg->max_ports, e->cfg->max_spis);
}
