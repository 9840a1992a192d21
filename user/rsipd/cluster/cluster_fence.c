// SPDX-License-Identifier: BSD-2-Clause
/*
 * The fence of a gateway cluster (docs/cluster.md, "The fence"): the etcd
 * key PREFIX "active" names the one gateway whose writes etcd takes. Every
 * write transaction of the cluster store compares the key's mod revision
 * with the one this gateway wrote when it took the key, so once another
 * gateway has taken it, whatever the old active still sends is refused,
 * however late it arrives and whatever its role file says: two gateways
 * that both believe they are active (a split brain) never both write, and
 * a reply leaves only after its write was taken, so never both lend.
 *
 * Taking it: when the role rises to MASTER (keepalived's word) the gateway
 * takes the key whoever holds it (compare-and-swap on what the watch last
 * saw: keepalived decided, the last MASTER wins); otherwise only when it is
 * free - nobody holds it, the holder's members/ key has gone (dead) or it
 * names this gateway (a restart). Then the watch must have applied every
 * revision up to the fence's before the gateway answers anyone: whatever
 * the old active wrote is in the engine, and nothing it writes later is
 * taken. The key has no lease: an etcd outage longer than the member
 * lease does not take the role away from a gateway nobody replaced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_store_internal.h"
#include "log.h"

#define TAKE_WAIT_MS 1000 /* for the watch to reach the fence's revision */

bool cs_fence_key(const struct cluster_store *cs, const char *key, size_t len)
{
	return len == strlen(cs->fence_key) && !memcmp(key, cs->fence_key, len);
}

struct etcd_cmp cs_fence_cmp(const struct cluster_store *cs)
{
	return (struct etcd_cmp){.key = cs->fence_key,
				 .target = ETCD_CMP_MOD,
				 .result = ETCD_CMP_EQUAL,
				 .num = cs->fence_rev};
}

int cs_fence_renew(struct cluster_store *cs)
{
	struct etcd_cmp cmp = cs_fence_cmp(cs);
	struct etcd_op put = {.type = ETCD_OP_PUT,
			      .key = cs->fence_key,
			      .value = cs->gateway,
			      .value_len = strlen(cs->gateway)};
	int64_t rev = 0;
	bool ok = false;
	int rc = etcd_txn(cs->e, &cmp, 1, &put, 1, NULL, 0, NULL, NULL, &ok, &rev);

	if (rc < 0)
		return rc;
	if (!ok) {
		cs->fence_refused++;
		log_warnx("cluster: gateway %s cannot renew %s: no longer at revision %lld "
			  "(another gateway took it)",
			  cs->gateway, cs->fence_key, (long long)cs->fence_rev);
		return -EPERM;
	}
	cs->fence_rev = rev;
	cs->fence_stale = false;
	return 0;
}

void cs_fence_seen(struct cluster_store *cs, const struct etcd_kv *kv, bool deleted)
{
	if (deleted) {
		cs->holder[0] = '\0';
		cs->holder_rev = 0;
	} else {
		snprintf(cs->holder, sizeof(cs->holder), "%.*s", (int)kv->value_len, kv->value);
		cs->holder_rev = kv->mod_rev;
	}
	/* Moved away from this gateway: its next write would be refused;
	 * stop answering now rather than at that write. */
	if (cs->fence_rev && cs->holder_rev != cs->fence_rev && !cs->fenced) {
		cs->fenced = true;
		log_warnx("cluster: %s %s%s at revision %lld: gateway %s is fenced", cs->fence_key,
			  deleted ? "deleted" : "taken by ", deleted ? "" : cs->holder,
			  (long long)kv->mod_rev, cs->gateway);
	}
}

bool cs_member_seen(struct cluster_store *cs, const struct etcd_kv *kv, bool deleted)
{
	size_t pl = strlen(cs->prefix) + strlen("members/");
	struct cs_member *m;
	char name[sizeof(m->name)];

	if (kv->key_len <= pl || kv->key_len - pl >= sizeof(name) ||
	    memcmp(kv->key, cs->prefix, strlen(cs->prefix)) ||
	    memcmp(kv->key + strlen(cs->prefix), "members/", 8))
		return false;
	memcpy(name, kv->key + pl, kv->key_len - pl);
	name[kv->key_len - pl] = '\0';
	HASH_FIND_STR(cs->members, name, m);
	if (deleted && m) {
		HASH_DEL(cs->members, m);
		free(m);
	} else if (!deleted && !m && (m = calloc(1, sizeof(*m)))) {
		memcpy(m->name, name, sizeof(name));
		HASH_ADD_STR(cs->members, name, m);
	}
	return true;
}

void cs_fence_free(struct cluster_store *cs)
{
	struct cs_member *m, *tmp;

	HASH_ITER(hh, cs->members, m, tmp)
	{
		HASH_DEL(cs->members, m);
		free(m);
	}
}

void cs_fence_reset(struct cluster_store *cs)
{
	cs_fence_free(cs);
	cs->holder[0] = '\0';
	cs->holder_rev = 0;
	cs->synced = false;
}

bool cs_fence_free_to_take(struct cluster_store *cs)
{
	struct cs_member *m;

	if (!cs->holder[0] || !strcmp(cs->holder, cs->gateway))
		return true;
	HASH_FIND_STR(cs->members, cs->holder, m);
	return !m;
}

int cs_fence_take(struct cluster_store *cs)
{
	struct etcd_cmp cmp = {.key = cs->fence_key,
			       .target = cs->holder_rev ? ETCD_CMP_MOD : ETCD_CMP_VERSION,
			       .result = ETCD_CMP_EQUAL,
			       .num = cs->holder_rev};
	struct etcd_op put = {.type = ETCD_OP_PUT,
			      .key = cs->fence_key,
			      .value = cs->gateway,
			      .value_len = strlen(cs->gateway)};
	struct etcd_watch_stats st = {0};
	char from[sizeof(cs->holder)];
	uint64_t deadline;
	int64_t rev = 0;
	bool ok = false;
	int rc;

	snprintf(from, sizeof(from), "%s", cs->holder);
	rc = etcd_txn(cs->e, &cmp, 1, &put, 1, NULL, 0, NULL, NULL, &ok, &rev);
	if (rc < 0) {
		log_warnx("cluster: cannot take %s: %s", cs->fence_key, etcd_error(cs->e));
		cs_failed(cs);
		return 0;
	}
	cs_ok(cs);
	if (!ok) /* it moved since the watch said: the watch will tell */
		return 0;
	cs->fence_rev = rev;
	cs->fenced = false;
	cs->edge = false;
	log_notice("cluster: gateway %s took %s at revision %lld%s%s", cs->gateway, cs->fence_key,
		   (long long)rev, from[0] && strcmp(from, cs->gateway) ? " from " : "",
		   from[0] && strcmp(from, cs->gateway) ? from : "");
	if (from[0] && strcmp(from, cs->gateway))
		cs->takeovers++;
	cs->said[0] = '\0';
	deadline = cs_now_ms() + TAKE_WAIT_MS;
	for (;;) {
		if (etcd_watch_poll(cs->w, 50) < 0) {
			cs_failed(cs);
			break;
		}
		etcd_watch_stats(cs->w, &st);
		if (st.rev >= rev || cs->fenced || cs_now_ms() >= deadline)
			break;
	}
	/* Not there yet: cs_fence_ready says when. */
	return st.rev >= rev && !cs->fenced;
}

void cs_fence_release(struct cluster_store *cs)
{
	struct etcd_cmp cmp = cs_fence_cmp(cs);
	struct etcd_op del = {.type = ETCD_OP_DELETE, .key = cs->fence_key};
	bool ok = false;

	if (!cs->fence_rev)
		return;
	if (etcd_txn(cs->e, &cmp, 1, &del, 1, NULL, 0, NULL, NULL, &ok, NULL) < 0)
		log_warnx("cluster: cannot give %s back (%s): a standby takes it when %s's member "
			  "key expires",
			  cs->fence_key, etcd_error(cs->e), cs->gateway);
	else if (ok)
		log_info("cluster: gateway %s gave %s back", cs->gateway, cs->fence_key);
	cs->fence_rev = 0;
}

bool cs_fence_ready(struct cluster_store *cs)
{
	struct etcd_watch_stats st;

	if (cs->fenced) { /* moved again before it was used */
		cs->fence_rev = 0;
		return false;
	}
	etcd_watch_stats(cs->w, &st);
	return st.rev >= cs->fence_rev;
}

void cs_fence_standby_note(struct cluster_store *cs)
{
	if (!strcmp(cs->said, cs->holder))
		return;
	snprintf(cs->said, sizeof(cs->said), "%s", cs->holder);
	log_warnx("cluster: the role says MASTER but gateway %s holds %s: %s stays standby "
		  "(split brain? it takes over when %s leaves)",
		  cs->holder, cs->fence_key, cs->gateway, cs->holder);
}

void cs_fence_unapplied_note(struct cluster_store *cs)
{
	if (cs->said_unapplied)
		return;
	cs->said_unapplied = true;
	log_errx("cluster: gateway %s does not take %s: %zu host%s from etcd could not be "
		 "mirrored (see the warnings above; sync.hosts_unapplied in rsipctl status), so "
		 "its allocator does not know every resource the cluster lends. Run every "
		 "gateway with the same --public, --port-range, --spi-range and --spi-block",
		 cs->gateway, cs->fence_key, cs->unapplied, cs->unapplied == 1 ? "" : "s");
}
