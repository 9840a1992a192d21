// SPDX-License-Identifier: BSD-2-Clause
/*
 * The cluster store (cluster_store.h): the active gateway's writes (one etcd
 * transaction per event-loop iteration), the role, the member key and the
 * status. The watch's side is cluster_mirror.c.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "cluster_store_internal.h"
#include "dataplane/dataplane.h"
#include "engine/engine.h"
#include "log.h"
#include "rsip/wire.h"

/* A dead gateway leaves the peers this soon. Longer than the longest gap
 * between renewals while etcd is slow (1 s period + 2 s back-off + a 1 s
 * request): a live holder's key must not expire because it backed off. */
#define MEMBER_TTL_S 5
#define MEMBER_EVERY 1000 /* ms between renewals of the member key */
/* Start-up: the first full read. Generous: members that have just started (an
 * election) or a loaded machine answer the first reads slowly, and a gateway
 * that gives up only gets restarted to wait again. */
#define OPEN_WAIT_MS 15000
/* The requests block the event loop (docs/cluster.md): short timeouts
 * (--etcd-timeout, --etcd-connect-timeout), and a back-off while etcd is
 * away (cs_failed). */
#define REQ_TIMEOUT_MS	   1000
#define CONNECT_TIMEOUT_MS 200

static void demote(struct cluster_store *cs, bool fenced);
static void promote(struct cluster_store *cs);
static void fence_step(struct cluster_store *cs);

static void on_dirty(void *arg, uint32_t id)
{
	struct cluster_store *cs = arg;

	if (cs->applying || !cs->active)
		return;
	cs_mark_dirty(cs, id);
}

/* One transaction for dirty[from, to): puts of the hosts that exist, deletes
 * of the others, if this gateway still holds the fence (cluster_fence.c);
 * -EPERM when etcd refused them for that. */
static int commit_chunk(struct cluster_store *cs, size_t from, size_t to, uint64_t wall)
{
	struct etcd_op ops[CS_TXN_OPS] = {0};
	struct etcd_cmp fence = cs_fence_cmp(cs);
	char keys[CS_TXN_OPS][128];
	char *docs[CS_TXN_OPS] = {0};
	size_t n = to - from;
	int64_t rev = 0;
	bool ok = false;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t id = cs->dirty[from + i];
		struct json_object *o = engine_state_client(cs->eng, id, wall);

		cs_key_of(cs, id, keys[i], sizeof(keys[i]));
		ops[i] = (struct etcd_op){.key = keys[i]};
		if (!o) {
			ops[i].type = ETCD_OP_DELETE;
			continue;
		}
		docs[i] = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		if (!docs[i]) {
			rc = -ENOMEM;
			goto out;
		}
		ops[i].type = ETCD_OP_PUT;
		ops[i].value = docs[i];
		ops[i].value_len = strlen(docs[i]);
	}
	rc = etcd_txn(cs->e, &fence, 1, ops, n, NULL, 0, NULL, NULL, &ok, &rev);
	if (rc == 0 && !ok) {
		rc = -EPERM;
		cs->fence_refused++;
		log_warnx("cluster: etcd refused gateway %s's write of %zu host%s: %s is no longer "
			  "at revision %lld (another gateway took it); its replies are dropped",
			  cs->gateway, n, n == 1 ? "" : "s", cs->fence_key,
			  (long long)cs->fence_rev);
	} else if (rc == 0) {
		for (size_t i = 0; i < n; i++) {
			struct cs_row *r;

			if (ops[i].type == ETCD_OP_DELETE) {
				cs_row_del(cs, cs->dirty[from + i]);
				continue;
			}
			r = cs_row_get(cs, cs->dirty[from + i], true);
			if (r)
				r->rev = rev;
		}
		cs->last_commit_rev = rev;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(docs[i]);
	return rc;
}

/* One log line each time requests or the watch moved to another member
 * (a deadline passed, a member refused or hung): where they go now and
 * why. */
static void note_switches(struct cluster_store *cs)
{
	struct etcd_watch_stats ws;
	uint64_t n = etcd_failovers(cs->e);

	if (n != cs->said_failovers) {
		cs->said_failovers = n;
		log_warnx("cluster: etcd requests now go to %s (switch %llu): %s",
			  etcd_endpoint(cs->e), (unsigned long long)n, etcd_error(cs->e));
	}
	if (!cs->w)
		return;
	etcd_watch_stats(cs->w, &ws);
	if (ws.reconnects != cs->said_reconnects) {
		cs->said_reconnects = ws.reconnects;
		log_warnx("cluster: the etcd watch resumes on %s (reconnect %llu): %s", ws.endpoint,
			  (unsigned long long)ws.reconnects, ws.ended);
	}
}

static int commit_sync(struct cluster_store *cs);

/* What is in flight settles first; then the rest is written at once, and
 * the replies waiting leave (or, when they lent and it failed, are
 * dropped). */
int cluster_store_commit(struct cluster_store *cs)
{
	int rc;

	if (!cs)
		return 0;
	cs_commit_drain(cs);
	rc = commit_sync(cs);
	if (rc != -EPERM)
		cs_batches_settle(cs, rc == 0);
	return rc;
}

static int commit_sync(struct cluster_store *cs)
{
	size_t done = 0;
	uint64_t wall;
	int rc = 0;

	if (!cs->active)
		return 0;
	if (!cs->n && !cs->dirty_lost) {
		cs->granted = false; /* an allocation that failed: nothing to write */
		return 0;
	}
	/* etcd is away: the rows wait for cluster_store_poll's probe rather
	 * than block every loop iteration on a timeout. */
	if (!cs->last_ok)
		return -EAGAIN;
	cs_dirty_unique(cs);
	wall = cs_wall_ms();
	while (done < cs->n) {
		size_t to = cs->n - done > CS_TXN_OPS ? done + CS_TXN_OPS : cs->n;

		/* A write before may still land: the fence first moves on. */
		rc = cs->fence_stale ? cs_fence_renew(cs) : 0;
		if (rc == 0)
			rc = commit_chunk(cs, done, to, wall);
		/* The member did not answer in time (hung, or lost): the
		 * client moved on to the next one; write the chunk there at
		 * once rather than refuse allocations for a back-off, after
		 * renewing the fence (the first write, should it land later,
		 * is refused then). */
		if (rc == -ETIMEDOUT && etcd_n_endpoints(cs->e) > 1) {
			note_switches(cs);
			cs->fence_stale = true;
			rc = cs_fence_renew(cs);
			if (rc == 0)
				rc = commit_chunk(cs, done, to, wall);
		}
		if (rc < 0 && rc != -EPERM && rc != -ENOMEM)
			cs->fence_stale = true;
		if (rc < 0)
			break;
		done = to;
	}
	note_switches(cs);
	/* What was not written stays for the next commit (a put is the whole
	 * record: writing it again is harmless, even after a write whose
	 * outcome was unknown). */
	memmove(cs->dirty, cs->dirty + done, (cs->n - done) * sizeof(*cs->dirty));
	cs->n -= done;
	if (rc == -EPERM) {
		cs->commit_failures++;
		demote(cs, true);
		return rc;
	}
	if (rc < 0) {
		cs->commit_failures++;
		log_warnx("cluster: %zu host%s not written to etcd (written when it answers): %s",
			  cs->n, cs->n == 1 ? "" : "s",
			  rc == -ENOMEM ? "out of memory" : etcd_error(cs->e));
		if (rc != -ENOMEM)
			cs_failed(cs);
		return rc;
	}
	cs->commits++;
	cs->granted = false;
	cs_ok(cs);
	return 0;
}

/* ---- member key ---------------------------------------------------------------- */

/* Renewed by keepalive (no new revision); written again only when new or
 * when the role changed, so the member keys do not move etcd's revision
 * every second (sync lag compares revisions). */
/* 0, or -errno when etcd did not answer (the caller backs off). */
static int member_put(struct cluster_store *cs)
{
	char val[96];
	int64_t ttl;
	int rc;

	if (cs->member_lease) {
		rc = etcd_lease_keepalive(cs->e, cs->member_lease, &ttl);
		if (rc == -ENOENT) { /* expired (etcd away too long): a new one */
			cs->member_lease = 0;
			cs->member_stale = true;
		} else if (rc < 0) {
			return rc;
		}
	}
	if (!cs->member_lease) {
		rc = etcd_lease_grant(cs->e, MEMBER_TTL_S, &cs->member_lease, &ttl);
		if (rc < 0) {
			cs->member_lease = 0;
			return rc;
		}
		cs->member_stale = true;
	}
	if (cs->member_stale) {
		snprintf(val, sizeof(val), "{\"role\":\"%s\"}", cs->active ? "active" : "standby");
		rc = etcd_put(cs->e, cs->member_key, val, strlen(val), cs->member_lease, NULL);
		if (rc < 0)
			return rc;
		cs->member_stale = false;
	}
	return 0;
}

void cluster_store_poll(struct cluster_store *cs)
{
	uint64_t now = cs_now_ms();

	if (!cs)
		return;
	note_switches(cs);
	/* etcd away: one probe (the member key) per back-off step, so the
	 * loop, which answers EXTENDs and keeps the maps, is not held up. */
	if (!cs->last_ok) {
		if (now < cs->retry_at)
			return;
		if (member_put(cs) < 0) {
			cs_failed(cs);
			return;
		}
		cs_ok(cs);
		cs->member_due_ms = now + MEMBER_EVERY;
		cluster_store_commit(cs); /* what waited */
	}
	if (etcd_watch_poll(cs->w, 0) < 0) {
		cs_failed(cs);
		return;
	}
	fence_step(cs);
	cs_learned_poll(cs);
	if (now >= cs->member_due_ms) {
		cs->member_due_ms = now + MEMBER_EVERY;
		cs_mirror_retry(cs);
		if (member_put(cs) < 0)
			cs_failed(cs);
		else
			cs_ok(cs);
	}
}

/* Take the fence or give it up as the role and the watch say. */
static void fence_step(struct cluster_store *cs)
{
	if (cs->active && (cs->fenced || !cs->want))
		demote(cs, cs->fenced);
	if (!cs->want) {
		cs->edge = false;
		/* Taken, never used; or it names this gateway (a take whose
		 * answer was lost, a previous run): give it back. */
		if (!cs->active && !cs->fence_rev && cs->synced && cs->holder_rev &&
		    !strcmp(cs->holder, cs->gateway))
			cs->fence_rev = cs->holder_rev;
		if (cs->fence_rev && !cs->active)
			cs_fence_release(cs);
		return;
	}
	if (cs->active || !cs->last_ok || !cs->synced)
		return;
	if (cs->fence_rev) { /* taken: waiting for the watch to get there */
		if (cs_fence_ready(cs))
			promote(cs);
		return;
	}
	if (cs->unapplied) { /* whatever the role says: it could lend twice */
		cs_fence_unapplied_note(cs);
		return;
	}
	if (!cs->edge && !cs_fence_free_to_take(cs)) {
		cs_fence_standby_note(cs);
		return;
	}
	if (cs_fence_take(cs) == 1)
		promote(cs);
}

/* The engine's gate (engine_set_alloc_gate): nothing new is lent that etcd
 * cannot record now. */
static int alloc_gate(void *arg)
{
	struct cluster_store *cs = arg;

	if (cs->last_ok) {
		/* The replies wait until what is lent is in etcd. */
		cs->granted = true;
		return 0;
	}
	cs->refused++;
	log_warnx("cluster: allocation refused (RSIP 104), etcd unreachable: %s",
		  etcd_error(cs->e));
	return RSIP_E_INTERNAL_SERVER_ERROR;
}

/* ---- role ------------------------------------------------------------------------ */

void cluster_store_set_active(struct cluster_store *cs, bool want, bool takeover)
{
	if (!cs || cs->want == want)
		return;
	cs->want = want;
	cs->edge = want && takeover; /* keepalived made it MASTER: it takes the fence */
}

/* A new watch: everything under the prefix read again (hosts unchanged
 * since their row are not touched). */
static void reread(struct cluster_store *cs)
{
	etcd_watch_free(cs->w);
	cs_fence_reset(cs);
	cs->w = etcd_watch_new(cs->e, cs->prefix, &cs_watch_ops, cs);
	if (!cs->w)
		fatalx("cluster: out of memory");
}

/* The fence is this gateway's and the watch has applied everything up to
 * it: answer and write from now on. */
static void promote(struct cluster_store *cs)
{
	cs->active = true;
	cs->granted = false;
	engine_set_passive(cs->eng, false);
	cs->member_due_ms = 0;
	cs->member_stale = true;
	log_notice("cluster: gateway %s is now ACTIVE (%s at revision %lld)", cs->gateway,
		   cs->fence_key, (long long)cs->fence_rev);
}

/* Stop being the active gateway: fenced (a write refused: what was not
 * written is forgotten and read again from etcd) or not (what is pending
 * is written, the fence given back). */
static void demote(struct cluster_store *cs, bool fenced)
{
	struct cs_row *r, *tmp;

	if (!fenced) {
		cluster_store_commit(cs);
		fenced = !cs->active; /* that commit was refused: demoted already */
		if (fenced)
			return;
		cs_fence_release(cs);
	}
	cs->active = false;
	cs->fence_rev = 0;
	cs->fenced = false;
	engine_set_passive(cs->eng, true);
	if (fenced) {
		cs_commit_abandon(cs); /* its hosts are dropped below */
		cs_batches_drop(cs);   /* nothing waiting leaves */
		/* What etcd did not take must not stay. The hosts changed since
		 * the last write etcd took are dropped now and read again from
		 * etcd (below) as the new active left them; what they held was
		 * never told to anyone (the replies waited), so it is not held
		 * back: the new active may have lent it already. */
		cs->applying = true;
		for (size_t i = 0; i < cs->n; i++) {
			engine_drop_client(cs->eng, cs->dirty[i]);
			cs_row_del(cs, cs->dirty[i]);
		}
		cs->applying = false;
		alloc_holdback_flush(engine_alloc(cs->eng));
		if (cs->dirty_lost) /* not known which: every host again */
			HASH_ITER(hh, cs->rows, r, tmp)
		cs_row_del(cs, r->id);
		cs->granted = true; /* nothing of this iteration leaves */
	}
	cs->n = 0;
	cs->dirty_lost = false;
	reread(cs);
	cs->member_due_ms = 0;
	cs->member_stale = true;
	log_notice("cluster: gateway %s is now standby%s", cs->gateway,
		   fenced ? " (fenced: its writes are refused; reading every host from etcd)" : "");
}

/* cluster_commit.c's way to demote (a refused write) without calling
 * back into this file. */
static void demote_fenced(struct cluster_store *cs)
{
	demote(cs, true);
}

bool cluster_store_active(const struct cluster_store *cs)
{
	return cs && cs->active;
}

/* ---- open / close -------------------------------------------------------------- */

struct cluster_store *cluster_store_open(const struct cluster_store_cfg *cfg, int *rc)
{
	struct cluster_store *cs = calloc(1, sizeof(*cs));
	struct etcd_cfg ec = {.endpoints = cfg->endpoints,
			      .timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : REQ_TIMEOUT_MS,
			      .connect_timeout_ms = cfg->connect_timeout_ms
							? cfg->connect_timeout_ms
							: CONNECT_TIMEOUT_MS,
			      .watch_idle_ms = cfg->watch_idle_ms,
			      .cacert = cfg->cacert && *cfg->cacert ? cfg->cacert : NULL,
			      .cert = cfg->cert && *cfg->cert ? cfg->cert : NULL,
			      .key = cfg->key && *cfg->key ? cfg->key : NULL};
	struct etcd_watch_stats st;
	uint64_t deadline = cs_now_ms() + OPEN_WAIT_MS;
	char err[256];

	*rc = -ENOMEM;
	if (!cs)
		return NULL;
	cs->timer_fd = -1;
	cs->eng = cfg->engine;
	snprintf(cs->prefix, sizeof(cs->prefix), "%s", cfg->prefix);
	snprintf(cs->bind_prefix, sizeof(cs->bind_prefix), "%sbind/", cfg->prefix);
	snprintf(cs->member_key, sizeof(cs->member_key), "%smembers/%s", cfg->prefix, cfg->gateway);
	snprintf(cs->fence_key, sizeof(cs->fence_key), "%sactive", cfg->prefix);
	snprintf(cs->gateway, sizeof(cs->gateway), "%s", cfg->gateway);
	if (cfg->dp && cfg->dp->ops->learned_list && cfg->dp->ops->learned_put &&
	    cfg->dp->ops->learned_del) {
		cs->learned = cs_learned_new(cfg->dp, cfg->prefix, cfg->gateway, cfg->learned_rate);
		if (!cs->learned)
			goto fail;
	}
	cs->e = etcd_new(&ec, err, sizeof(err));
	if (!cs->e) {
		log_errx("--store etcd: %s", err);
		*rc = -EINVAL;
		goto fail;
	}
	cs->demote_fenced = demote_fenced;
	cs->max_inflight = cfg->max_inflight ? cfg->max_inflight : 4;
	if (cs->max_inflight > CS_MAX_INFLIGHT)
		cs->max_inflight = CS_MAX_INFLIGHT;
	if (cs_commit_open(cs, cfg->loop, &cfg->replies) < 0)
		goto fail;
	/* The whole prefix: hosts, the fence and the members. */
	cs->w = etcd_watch_new(cs->e, cs->prefix, &cs_watch_ops, cs);
	if (!cs->w)
		goto fail;
	engine_set_passive(cs->eng, true);
	engine_set_dirty_hook(cs->eng, on_dirty, cs);
	for (;;) {
		int r = etcd_watch_poll(cs->w, 200);

		etcd_watch_stats(cs->w, &st);
		if (r >= 0 && st.full_reads)
			break;
		if (cs_now_ms() >= deadline) {
			log_errx("--store etcd: cannot read the cluster's hosts from %s: %s",
				 cfg->endpoints, r < 0 ? etcd_error(cs->e) : "no answer in time");
			*rc = -EHOSTUNREACH;
			goto fail;
		}
	}
	cs_ok(cs);
	if (member_put(cs) < 0)
		cs_failed(cs);
	engine_set_alloc_gate(cs->eng, alloc_gate, cs);
	cs->member_due_ms = cs_now_ms() + MEMBER_EVERY;
	return cs;
fail:
	cluster_store_close(cs);
	return NULL;
}

void cluster_store_close(struct cluster_store *cs)
{
	struct cs_row *r, *tmp;

	if (!cs)
		return;
	if (cs->eng) {
		engine_set_dirty_hook(cs->eng, NULL, NULL);
		engine_set_alloc_gate(cs->eng, NULL, NULL);
	}
	if (cs->active) { /* what waits, then the fence for the next one */
		cluster_store_commit(cs);
		cs_fence_release(cs);
	}
	if (cs->member_lease) /* leave the peers at once, not in MEMBER_TTL_S */
		etcd_lease_revoke(cs->e, cs->member_lease);
	cs_commit_close(cs);
	etcd_watch_free(cs->w);
	etcd_free(cs->e);
	HASH_ITER(hh, cs->rows, r, tmp)
	cs_row_del(cs, r->id);
	cs_fence_free(cs);
	cs_learned_free(cs->learned);
	if (cs->tok)
		json_tokener_free(cs->tok);
	free(cs->dirty);
	free(cs);
}
