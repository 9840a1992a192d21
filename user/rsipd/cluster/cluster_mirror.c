// SPDX-License-Identifier: BSD-2-Clause
/*
 * The cluster store's watch, applied to the engine (cluster_store.h): a
 * standby restores each host it sees (validated like a restart's rows,
 * engine_state_update_client) and drops the hosts whose key goes. A host
 * whose key changed is updated in place: bindings gone end, new ones are
 * restored, the others take the new lease (their map entries and counters
 * stay). The active gateway only keeps count. The same watch brings the
 * fence and the members' keys (cluster_fence.c) and the learned entries
 * (cluster_learned.c).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_store_internal.h"
#include "engine/engine.h"
#include "log.h"

/* 0: the host is in the engine as etcd has it. A retry (cs_mirror_retry)
 * that fails again is neither counted nor logged again. */
static int apply_text(struct cluster_store *cs, uint32_t id, int64_t rev, const char *text,
		      size_t len, bool retry)
{
	struct json_object *o = NULL;
	char err[256] = "not a JSON record";
	int rc = -EINVAL;

	/* One tokener for every record (a full read parses 100,000 of them),
	 * reset before each: a record is one whole JSON text or refused. */
	if (!cs->tok)
		cs->tok = json_tokener_new();
	if (cs->tok && len <= INT32_MAX) {
		json_tokener_reset(cs->tok);
		o = json_tokener_parse_ex(cs->tok, text, (int)len);
		if (o && json_tokener_get_parse_end(cs->tok) != len) {
			json_object_put(o);
			o = NULL;
		}
	}
	cs->applying = true;
	if (o) {
		rc = engine_state_update_client(cs->eng, o, cs_wall_ms(), err, sizeof(err));
		json_object_put(o);
	}
	cs->applying = false;
	if (rc && retry) {
		log_debug("cluster: host %08x (revision %lld) still not mirrored: %s", id,
			  (long long)rev, err);
		return rc;
	}
	if (rc) {
		cs->apply_failures++;
		log_warnx("cluster: host %08x from etcd (revision %lld): %s: not mirrored", id,
			  (long long)rev, rc == -ENOMEM ? "out of memory" : err);
		return rc;
	}
	cs->applied++;
	if (retry)
		log_notice("cluster: host %08x from etcd (revision %lld) mirrored on a later try",
			   id, (long long)rev);
	return 0;
}

void cs_mirror_retry(struct cluster_store *cs)
{
	struct cs_row *r, *tmp;

	if (!cs->unapplied || cs->active)
		return;
	HASH_ITER(hh, cs->rows, r, tmp)
	{
		if (r->unapplied && r->retry &&
		    !apply_text(cs, r->id, r->rev, r->retry, r->retry_len, true))
			cs_row_set_unapplied(cs, r, NULL, 0);
	}
}

static void on_reset(void *arg, int64_t rev)
{
	struct cluster_store *cs = arg;
	struct cs_row *r, *tmp;

	HASH_ITER(hh, cs->rows, r, tmp)
	r->seen = false;
	cs_fence_reset(cs);
	cs_learned_reset(cs);
	log_info("cluster: reading every host from etcd at revision %lld", (long long)rev);
}

static void on_put(void *arg, const struct etcd_kv *kv)
{
	struct cluster_store *cs = arg;
	uint32_t id = cs_key_id(cs, kv->key, kv->key_len);
	struct cs_row *r;
	int rc;

	if (cs_fence_key(cs, kv->key, kv->key_len)) {
		cs_fence_seen(cs, kv, false);
		return;
	}
	if (cs_learned_key(cs, kv->key, kv->key_len)) {
		cs_learned_seen(cs, kv, false);
		return;
	}
	if (!id) {
		cs_member_seen(cs, kv, false);
		return;
	}
	r = cs_row_get(cs, id, false);
	if (r && r->rev == kv->mod_rev) { /* our own write, or what is in place */
		r->seen = true;
		return;
	}
	if (cs->active)
		return; /* the active gateway's engine is what it writes */
	rc = apply_text(cs, id, kv->mod_rev, kv->value, kv->value_len, false);
	r = cs_row_get(cs, id, true);
	if (r) {
		r->rev = kv->mod_rev;
		r->seen = true;
		cs_row_set_unapplied(cs, r, rc ? kv->value : NULL, kv->value_len);
	}
}

static void on_del(void *arg, const struct etcd_kv *kv)
{
	struct cluster_store *cs = arg;
	uint32_t id = cs_key_id(cs, kv->key, kv->key_len);

	if (cs_fence_key(cs, kv->key, kv->key_len)) {
		cs_fence_seen(cs, kv, true);
		return;
	}
	if (cs_learned_key(cs, kv->key, kv->key_len)) {
		cs_learned_seen(cs, kv, true);
		return;
	}
	if (!id) {
		cs_member_seen(cs, kv, true);
		return;
	}
	if (cs->active)
		return;
	cs->applying = true;
	if (engine_drop_client(cs->eng, id) == 0)
		cs->dropped++;
	cs->applying = false;
	cs_row_del(cs, id);
}

struct gone {
	struct cluster_store *cs;
	uint32_t *ids;
	size_t n, cap;
};

static void collect_gone(const struct engine_client_view *v, void *arg)
{
	struct gone *g = arg;
	struct cs_row *r = cs_row_get(g->cs, v->client_id, false);

	if ((r && r->seen) || cs_is_dirty(g->cs, v->client_id))
		return;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		uint32_t *ids = realloc(g->ids, cap * sizeof(*ids));

		if (!ids)
			return; /* dropped at the next full read */
		g->ids = ids;
		g->cap = cap;
	}
	g->ids[g->n++] = v->client_id;
}

/* A full read is complete: a host it did not bring is gone from etcd. */
static void on_synced(void *arg, int64_t rev)
{
	struct cluster_store *cs = arg;
	struct gone g = {.cs = cs};
	struct cs_row *r, *tmp;

	cs->synced = true;
	if (cs->active)
		return;
	engine_foreach_client(cs->eng, collect_gone, &g);
	cs->applying = true;
	for (size_t i = 0; i < g.n; i++)
		if (engine_drop_client(cs->eng, g.ids[i]) == 0)
			cs->dropped++;
	cs->applying = false;
	HASH_ITER(hh, cs->rows, r, tmp)
	if (!r->seen)
		cs_row_del(cs, r->id);
	free(g.ids);
	cs_learned_synced(cs); /* after the hosts: a dropped host took its entries */
	log_info("cluster: in sync with etcd at revision %lld: %zu host%s, %zu binding%s",
		 (long long)rev, engine_n_clients(cs->eng),
		 engine_n_clients(cs->eng) == 1 ? "" : "s", engine_n_bindings(cs->eng),
		 engine_n_bindings(cs->eng) == 1 ? "" : "s");
}

const struct etcd_watch_ops cs_watch_ops = {
    .reset = on_reset, .put = on_put, .del = on_del, .synced = on_synced};
