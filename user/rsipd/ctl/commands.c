// SPDX-License-Identifier: BSD-2-Clause
/*
 * The control protocol's commands (docs/control-protocol.md): status,
 * clients, bindings, counters, free, deregister. Builds JSON from the
 * engine's read-only views; revocations go through the engine so the host
 * gets its unsolicited FREE_RESPONSE / DE-REGISTER_RESPONSE.
 */
#include "ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc/alloc.h"
#include "cluster/cluster_store.h"
#include "config.h"
#include "dataplane/dataplane.h"
#include "engine/engine.h"
#include "net/accept_pause.h"
#include "net/net.h"

static struct json_object *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct json_object *fail(const char *fmt, ...)
{
	struct json_object *r = json_object_new_object();
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(r, "ok", json_object_new_boolean(0));
	json_object_object_add(r, "error", json_object_new_string(msg));
	return r;
}

static struct json_object *ok(struct json_object *data)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "ok", json_object_new_boolean(1));
	json_object_object_add(r, "data", data);
	return r;
}

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static int64_t remaining_s(uint64_t expires_ms, uint64_t now)
{
	return expires_ms > now ? (int64_t)((expires_ms - now + 999) / 1000) : 0;
}

/* ---- status ------------------------------------------------------------------- */

/* --attach tc: {"programs": how they came, "filters": {device: what
 * start-up did with rsipd's filter on it}}. */
static struct json_object *tc_status(const struct dp_tc_status *tc)
{
	struct json_object *o = json_object_new_object(), *f = json_object_new_object();
	size_t s;

	json_object_object_add(o, "programs", json_object_new_string(tc->programs));
	for (s = 0; s < sizeof(tc->dev) / sizeof(tc->dev[0]); s++)
		if (tc->dev[s] && tc->filter[s])
			json_object_object_add(f, tc->dev[s],
					       json_object_new_string(tc->filter[s]));
	json_object_object_add(o, "filters", f);
	return o;
}

static struct json_object *cmd_status(struct ctl_ctx *ctx)
{
	const struct rsipd_config *cfg = ctx->cfg;
	struct engine *e = ctx->engine;
	struct json_object *d = json_object_new_object(), *a, *pub, *tr;
	struct alloc_usage u;
	char buf[64];
	size_t i;

	json_object_object_add(d, "version", json_object_new_string(RSIPD_VERSION));
	snprintf(buf, sizeof(buf), "%s:%u", inet_ntoa(cfg->listen_addr), cfg->listen_port);
	json_object_object_add(d, "listen", json_object_new_string(buf));
	tr = json_object_new_array();
	json_object_array_add(tr, json_object_new_string("tcp"));
	if (!cfg->tcp_only)
		json_object_array_add(tr, json_object_new_string("udp"));
	json_object_object_add(d, "transports", tr);
	json_object_object_add(
	    d, "dataplane", json_object_new_string(cfg->dataplane == CFG_DP_XDP ? "xdp" : "none"));
	if (engine_dataplane(e) && engine_dataplane(e)->programs)
		json_object_object_add(d, "programs",
				       json_object_new_string(engine_dataplane(e)->programs));
	if (engine_dataplane(e) && engine_dataplane(e)->tc.programs)
		json_object_object_add(d, "tc", tc_status(&engine_dataplane(e)->tc));
	add_int(d, "uptime_s", (int64_t)((engine_now(e) - ctx->start_ms) / 1000));
	add_int(d, "clients", (int64_t)engine_n_clients(e));
	add_int(d, "bindings", (int64_t)engine_n_bindings(e));
	pub = json_object_new_array();
	for (i = 0; i < cfg->n_public; i++)
		json_object_array_add(pub, json_object_new_string(inet_ntoa(cfg->public_addrs[i])));
	json_object_object_add(d, "public", pub);
	add_int(d, "lease_default_s", cfg->lease);
	alloc_usage(engine_alloc(e), &u);
	a = json_object_new_object();
	add_int(a, "ports_used", (int64_t)u.ports_used);
	add_int(a, "spis_used", (int64_t)u.spis_used);
	add_int(a, "blocks_owned", u.blocks_owned);
	add_int(a, "ports_held", (int64_t)u.ports_held);
	add_int(a, "spis_held", (int64_t)u.spis_held);
	add_int(a, "ports_total", (int64_t)u.ports_total);
	add_int(a, "addrs_total", u.addrs_total);
	add_int(a, "addrs_whole", u.addrs_whole);
	json_object_object_add(d, "alloc", a);
	if (ctx->cluster)
		json_object_object_add(d, "cluster", cluster_store_status(ctx->cluster));
	return ok(d);
}

/* ---- clients ------------------------------------------------------------------ */

struct list_arg {
	struct ctl_ctx *ctx;
	struct json_object *arr;
	uint64_t now;
};

static void client_row(const struct engine_client_view *v, void *arg)
{
	struct list_arg *la = arg;
	struct json_object *o = json_object_new_object();

	add_int(o, "client_id", v->client_id);
	json_object_object_add(o, "address", json_object_new_string(inet_ntoa(v->addr)));
	json_object_object_add(
	    o, "transport", json_object_new_string(v->transport == ENGINE_T_TCP ? "tcp" : "udp"));
	add_int(o, "bindings", v->nbindings);
	add_int(o, "lease_remaining_s", remaining_s(v->expires_ms, la->now));
	add_int(o, "registered_s_ago", (int64_t)((la->now - v->registered_ms) / 1000));
	json_object_array_add(la->arr, o);
}

static struct json_object *cmd_clients(struct ctl_ctx *ctx)
{
	struct list_arg la = {ctx, json_object_new_array(), engine_now(ctx->engine)};

	engine_foreach_client(ctx->engine, client_row, &la);
	return ok(la.arr);
}

/* ---- bindings ----------------------------------------------------------------- */

/* "1000-1003,1010": runs of consecutive values collapsed. */
static void runs(char *out, size_t cap, const void *vals, size_t n, bool spi)
{
	size_t i = 0, len = 0;

	out[0] = '\0';
	while (i < n && len < cap) {
		uint64_t first = spi ? ((const uint32_t *)vals)[i] : ((const uint16_t *)vals)[i];
		uint64_t last = first;
		size_t j = i + 1;

		while (j < n && (spi ? ((const uint32_t *)vals)[j] : ((const uint16_t *)vals)[j]) ==
				    last + 1) {
			last++;
			j++;
		}
		if (spi)
			len += (size_t)snprintf(
			    out + len, cap - len, last == first ? "%s0x%llx" : "%s0x%llx-0x%llx",
			    i ? "," : "", (unsigned long long)first, (unsigned long long)last);
		else
			len += (size_t)snprintf(
			    out + len, cap - len, last == first ? "%s%llu" : "%s%llu-%llu",
			    i ? "," : "", (unsigned long long)first, (unsigned long long)last);
		i = j;
	}
}

static void binding_row(const struct binding_rec *b, void *arg)
{
	struct list_arg *la = arg;
	struct dataplane *dp = engine_dataplane(la->ctx->engine);
	struct json_object *o = json_object_new_object();
	char buf[8192];

	add_int(o, "bind_id", b->bind_id);
	add_int(o, "client_id", b->client_id);
	json_object_object_add(o, "client", json_object_new_string(inet_ntoa(b->xa)));
	json_object_object_add(o, "method", json_object_new_string(binding_kind_name(b->kind)));
	json_object_object_add(o, "nb", json_object_new_string(inet_ntoa(b->nb)));
	runs(buf, sizeof(buf), binding_ports(b), b->nports, false);
	json_object_object_add(o, "ports", json_object_new_string(buf));
	runs(buf, sizeof(buf), binding_spis(b), b->nspis, true);
	json_object_object_add(o, "spis", json_object_new_string(buf));
	json_object_object_add(
	    o, "tunnel", json_object_new_string(b->tunnel == RSIP_TUNNEL_GRE ? "GRE" : "IP-IP"));
	if (b->remote.s_addr == INADDR_ANY)
		snprintf(buf, sizeof(buf), "any");
	else if (b->remote_port)
		snprintf(buf, sizeof(buf), "%s:%u", inet_ntoa(b->remote), b->remote_port);
	else
		snprintf(buf, sizeof(buf), "%s", inet_ntoa(b->remote));
	json_object_object_add(o, "remote", json_object_new_string(buf));
	add_int(o, "lease_remaining_s", remaining_s(b->expires_ms, la->now));
	if (dp && dp->ops->binding_stats) {
		struct dp_binding_stats st;

		if (dp->ops->binding_stats(dp, b, &st) == 0) {
			add_int(o, "pkts_in", (int64_t)st.packets_in);
			add_int(o, "bytes_in", (int64_t)st.bytes_in);
			add_int(o, "pkts_out", (int64_t)st.packets_out);
			add_int(o, "bytes_out", (int64_t)st.bytes_out);
			add_int(o, "idle_s",
				st.last_seen_ms && st.last_seen_ms <= la->now
				    ? (int64_t)((la->now - st.last_seen_ms) / 1000)
				    : -1);
		}
	}
	json_object_array_add(la->arr, o);
}

/* A positive 32-bit ID from the request, or 0 when absent or bad. */
static uint32_t get_id(struct json_object *req, const char *key, bool *present)
{
	struct json_object *v;
	int64_t n;

	*present = json_object_object_get_ex(req, key, &v);
	if (!*present || !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	return n > 0 && n <= UINT32_MAX ? (uint32_t)n : 0;
}

static struct json_object *cmd_bindings(struct ctl_ctx *ctx, struct json_object *req)
{
	struct list_arg la = {ctx, NULL, engine_now(ctx->engine)};
	bool present;
	uint32_t id = get_id(req, "client_id", &present);

	if (present && !id)
		return fail("bad \"client_id\": expected a number 1-4294967295");
	la.arr = json_object_new_array();
	engine_foreach_binding(ctx->engine, id, binding_row, &la);
	return ok(la.arr);
}

/* ---- counters ----------------------------------------------------------------- */

static struct json_object *cmd_counters(struct ctl_ctx *ctx)
{
	const struct engine_counters *c = engine_counters(ctx->engine);
	struct dataplane *dp = engine_dataplane(ctx->engine);
	struct json_object *d = json_object_new_object(), *r = json_object_new_object(), *errs;
	char key[64];
	int i;

	add_int(r, "messages_in", (int64_t)c->messages_in);
	add_int(r, "messages_out", (int64_t)c->messages_out);
	add_int(r, "registrations", (int64_t)c->registrations);
	add_int(r, "deregistrations", (int64_t)c->deregistrations);
	add_int(r, "assignments", (int64_t)c->assignments);
	add_int(r, "extends", (int64_t)c->extends);
	add_int(r, "frees", (int64_t)c->frees);
	add_int(r, "queries", (int64_t)c->queries);
	add_int(r, "listens", (int64_t)c->listens);
	add_int(r, "retransmits", (int64_t)c->retransmits);
	add_int(r, "malformed", (int64_t)c->malformed);
	add_int(r, "leases_expired", (int64_t)c->leases_expired);
	add_int(r, "registrations_expired", (int64_t)c->registrations_expired);
	add_int(r, "unsolicited_sent", (int64_t)c->unsolicited_sent);
	add_int(r, "unsolicited_dropped", (int64_t)c->unsolicited_dropped);
	add_int(r, "revocations", (int64_t)c->revocations);
	add_int(r, "violations", (int64_t)c->violations);
	add_int(r, "registers_limited", (int64_t)c->registers_limited);
	add_int(r, "registers_capped", (int64_t)c->registers_capped);
	add_int(r, "registrations_evicted", (int64_t)c->registrations_evicted);
	add_int(r, "dropped_not_allowed", (int64_t)c->dropped_not_allowed);
	add_int(r, "passive_dropped", (int64_t)c->passive_dropped);
	errs = json_object_new_object();
	for (i = 0; i < ENGINE_N_ERRORS; i++) {
		if (!c->errors[i])
			continue;
		snprintf(key, sizeof(key), "%d %s", i, rsip_error_name((unsigned int)i));
		add_int(errs, key, (int64_t)c->errors[i]);
	}
	json_object_object_add(r, "errors", errs);
	json_object_object_add(d, "rsip", r);
	if (ctx->tcp) {
		struct json_object *t = json_object_new_object();
		struct tcp_stats ts;

		tcp_server_stats(ctx->tcp, &ts);
		add_int(t, "connections", (int64_t)ts.conns);
		add_int(t, "max_connections", (int64_t)ts.max_conns);
		add_int(t, "accept_failures", (int64_t)ts.accept_failures);
		add_int(t, "evicted", (int64_t)ts.evicted);
		add_int(t, "timed_out", (int64_t)ts.timed_out);
		add_int(t, "listener_paused", ts.paused);
		json_object_object_add(d, "tcp", t);
	}
	if (ctx->ctl_pause) {
		struct json_object *t = json_object_new_object();

		add_int(t, "accept_failures", (int64_t)ctx->ctl_pause->failures);
		add_int(t, "listener_paused", ctx->ctl_pause->paused);
		json_object_object_add(d, "control", t);
	}
	r = json_object_new_object();
	if (dp && dp->ops->counters)
		dp->ops->counters(dp, r);
	json_object_object_add(d, "dataplane", r);
	return ok(d);
}

/* ---- revocation --------------------------------------------------------------- */

static struct json_object *cmd_free(struct ctl_ctx *ctx, struct json_object *req)
{
	struct json_object *d;
	bool present;
	uint32_t id = get_id(req, "bind_id", &present);

	if (!id)
		return fail("free needs \"bind_id\": a number 1-4294967295");
	if (engine_revoke_binding(ctx->engine, id) < 0)
		return fail("no binding %u", id);
	d = json_object_new_object();
	add_int(d, "bind_id", id);
	return ok(d);
}

static struct json_object *cmd_deregister(struct ctl_ctx *ctx, struct json_object *req)
{
	struct json_object *d;
	bool present;
	uint32_t id = get_id(req, "client_id", &present);

	if (!id)
		return fail("deregister needs \"client_id\": a number 1-4294967295");
	if (engine_revoke_client(ctx->engine, id) < 0)
		return fail("no client %u", id);
	d = json_object_new_object();
	add_int(d, "client_id", id);
	return ok(d);
}

struct json_object *ctl_command(struct ctl_ctx *ctx, const char *line)
{
	struct json_object *req = json_tokener_parse(line), *cmdv, *res;
	const char *cmd;

	if (!req || !json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		return fail("request is not a JSON object");
	}
	if (!json_object_object_get_ex(req, "cmd", &cmdv) ||
	    !json_object_is_type(cmdv, json_type_string)) {
		json_object_put(req);
		return fail("request has no \"cmd\" string");
	}
	cmd = json_object_get_string(cmdv);
	if (!strcmp(cmd, "status"))
		res = cmd_status(ctx);
	else if (!strcmp(cmd, "clients"))
		res = cmd_clients(ctx);
	else if (!strcmp(cmd, "bindings"))
		res = cmd_bindings(ctx, req);
	else if (!strcmp(cmd, "counters"))
		res = cmd_counters(ctx);
	else if (!strcmp(cmd, "free"))
		res = cmd_free(ctx, req);
	else if (!strcmp(cmd, "deregister"))
		res = cmd_deregister(ctx, req);
	else
		res = fail("unknown cmd '%s' (status, clients, bindings, counters, free, "
			   "deregister)",
			   cmd);
	json_object_put(req);
	return res;
}
