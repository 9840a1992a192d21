// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipctl status's "cluster" object (cluster_store_status): this gateway's
 * role, the live peers (PREFIX members/, each under its own etcd lease), the
 * store's health and how far the mirror is behind etcd (sync lag: the
 * newest revision minus the one the watch has applied).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cluster_store_internal.h"

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

struct peers_arg {
	const struct cluster_store *cs;
	struct json_object *arr;
};

static int peer(void *arg, const struct etcd_kv *kv)
{
	struct peers_arg *p = arg;
	size_t pl = strlen(p->cs->prefix) + strlen("members/");
	struct json_object *o = json_object_new_object(), *v = NULL, *role;
	char name[64];

	snprintf(name, sizeof(name), "%.*s", (int)(kv->key_len - pl), kv->key + pl);
	json_object_object_add(o, "gateway", json_object_new_string(name));
	v = json_tokener_parse(kv->value);
	if (v && json_object_object_get_ex(v, "role", &role))
		json_object_object_add(o, "role", json_object_get(role));
	json_object_put(v);
	json_object_object_add(o, "self", json_object_new_boolean(!strcmp(name, p->cs->gateway)));
	json_object_array_add(p->arr, o);
	return 0;
}

/* The fence as the watch sees it (cluster_fence.c). */
static struct json_object *fence_status(const struct cluster_store *cs)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "key", json_object_new_string(cs->fence_key));
	json_object_object_add(f, "holder",
			       cs->holder[0] ? json_object_new_string(cs->holder)
					     : json_object_new_null());
	add_int(f, "revision", cs->holder_rev);
	json_object_object_add(f, "held", json_object_new_boolean(cs->active));
	json_object_object_add(f, "wanted", json_object_new_boolean(cs->want));
	add_int(f, "writes_refused", (int64_t)cs->fence_refused);
	add_int(f, "takeovers", (int64_t)cs->takeovers);
	return f;
}

struct json_object *cluster_store_status(struct cluster_store *cs)
{
	struct json_object *d = json_object_new_object(), *st = json_object_new_object();
	struct json_object *sy = json_object_new_object(), *cm;
	struct peers_arg p = {.cs = cs, .arr = json_object_new_array()};
	struct etcd_watch_stats ws;
	char key[160], end[160];
	int64_t head = 0;
	int rc;

	json_object_object_add(d, "gateway", json_object_new_string(cs->gateway));
	json_object_object_add(d, "role",
			       json_object_new_string(cs->active ? "active" : "standby"));
	json_object_object_add(d, "prefix", json_object_new_string(cs->prefix));
	json_object_object_add(d, "fence", fence_status(cs));

	snprintf(key, sizeof(key), "%smembers/", cs->prefix);
	etcd_prefix_end(key, end, sizeof(end));
	/* etcd away: no request (it would block the loop), no peers. */
	rc = cs->last_ok ? etcd_range(cs->e, key, end, 0, peer, &p, &head) : -EAGAIN;
	if (rc == 0)
		cs_ok(cs);
	else if (rc != -EAGAIN)
		cs_failed(cs);
	json_object_object_add(d, "peers", p.arr);

	json_object_object_add(st, "healthy", json_object_new_boolean(cs->last_ok));
	json_object_object_add(st, "endpoint", json_object_new_string(etcd_endpoint(cs->e)));
	add_int(st, "endpoints", (int64_t)etcd_n_endpoints(cs->e));
	add_int(st, "failovers", (int64_t)etcd_failovers(cs->e));
	add_int(st, "last_ok_ms_ago", (int64_t)(cs_now_ms() - cs->last_ok_ms));
	if (!cs->last_ok)
		json_object_object_add(st, "error", json_object_new_string(etcd_error(cs->e)));
	add_int(st, "commits", (int64_t)cs->commits);
	add_int(st, "commit_failures", (int64_t)cs->commit_failures);
	add_int(st, "pending", (int64_t)cs->n);
	add_int(st, "in_flight", (int64_t)cs->n_txn);
	add_int(st, "in_flight_max", (int64_t)cs->inflight_max);
	if ((cm = cs_commit_stats_json(&cs->cstats)))
		json_object_object_add(st, "committed", cm);
	add_int(st, "allocations_refused", (int64_t)cs->refused);
	json_object_object_add(d, "store", st);

	etcd_watch_stats(cs->w, &ws);
	add_int(sy, "watch_revision", ws.rev);
	if (rc == 0) {
		add_int(sy, "etcd_revision", head);
		add_int(sy, "lag_revisions", head > ws.rev ? head - ws.rev : 0);
	}
	json_object_object_add(sy, "streaming", json_object_new_boolean(ws.streaming));
	if (ws.endpoint) /* where the watch streams from */
		json_object_object_add(sy, "endpoint", json_object_new_string(ws.endpoint));
	add_int(sy, "full_reads", (int64_t)ws.full_reads);
	add_int(sy, "compacted", (int64_t)ws.compacted);
	add_int(sy, "reconnects", (int64_t)ws.reconnects);
	add_int(sy, "probes", (int64_t)ws.probes);
	add_int(sy, "hung", (int64_t)ws.hung);
	add_int(sy, "events", (int64_t)ws.events);
	add_int(sy, "hosts_applied", (int64_t)cs->applied);
	add_int(sy, "hosts_refused", (int64_t)cs->apply_failures);
	add_int(sy, "hosts_unapplied", (int64_t)cs->unapplied);
	add_int(sy, "hosts_dropped", (int64_t)cs->dropped);
	json_object_object_add(d, "sync", sy);
	json_object_object_add(d, "learned", cs_learned_status(cs));
	return d;
}
