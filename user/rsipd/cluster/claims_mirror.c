// SPDX-License-Identifier: BSD-2-Clause
/*
 * The local picture of every claim in the cluster. Another gateway's claim
 * is pinned in this gateway's allocator under the same owner (Client IDs
 * are cluster-wide), with the calls a restart uses, so the allocator never
 * proposes it; its release gives it back (with the usual hold-back). A
 * block key is only recorded: the block is taken with its first SPI (keys
 * blk/ sort before spi/, so a full read meets the block first).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims_internal.h"
#include "log.h"

bool claims_hash_oom;

static const char *const kind_names[] = {"addr", "port", "blk", "spi"};

int claims_key(const struct claims *c, const struct claim *cl, char *buf, size_t len)
{
	char nb[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &cl->nb, nb, sizeof(nb));
	int n = cl->kind == CLAIM_ADDR ? snprintf(buf, len, "%salloc/addr/%s", c->prefix, nb)
				       : snprintf(buf, len, "%salloc/%s/%s/%08x", c->prefix,
						  kind_names[cl->kind], nb, cl->value);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

void claims_value(const struct claims *c, uint32_t owner, char *buf, size_t len)
{
	snprintf(buf, len, "%s %08x", c->gw, owner);
}

bool claims_parse(const struct claims *c, const char *key, const char *val, struct claim *cl,
		  char gw[CLAIM_GW_MAX + 1])
{
	size_t pl = strlen(c->prefix);
	char kind[8], nb[INET_ADDRSTRLEN + 1], rest[2];
	unsigned value = 0, owner;
	int n;
	if (strncmp(key, c->prefix, pl) != 0 || strncmp(key + pl, "alloc/", 6) != 0)
		return false;
	key += pl + 6;
	n = sscanf(key, "%7[a-z]/%16[0-9.]/%8x%1s", kind, nb, &value, rest);
	memset(cl, 0, sizeof(*cl));
	if (n == 2 && !strcmp(kind, "addr"))
		cl->kind = CLAIM_ADDR;
	else if (n == 3 && !strcmp(kind, "port") && value <= 65535)
		cl->kind = CLAIM_PORT;
	else if (n == 3 && !strcmp(kind, "blk"))
		cl->kind = CLAIM_BLOCK;
	else if (n == 3 && !strcmp(kind, "spi"))
		cl->kind = CLAIM_SPI;
	else
		return false;
	if (inet_pton(AF_INET, nb, &cl->nb) != 1)
		return false;
	if (sscanf(val, "%32[A-Za-z0-9_.-] %8x%1s", gw, &owner, rest) != 2 || owner == 0)
		return false;
	cl->value = cl->kind == CLAIM_ADDR ? 0 : value;
	cl->owner = owner;
	return true;
}

struct claim_rec *claims_rec_find(struct claims *c, const char *key)
{
	struct claim_rec *r;
	HASH_FIND_STR(c->recs, key, r);
	return r;
}

static struct claim_rec *rec_add(struct claims *c, const char *key)
{
	struct claim_rec *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	snprintf(r->key, sizeof(r->key), "%s", key);
	claims_hash_oom = false;
	HASH_ADD_STR(c->recs, key, r);
	if (claims_hash_oom) {
		free(r);
		return NULL;
	}
	return r;
}

static void rec_del(struct claims *c, struct claim_rec *r)
{
	if (r->mine && c->st.own)
		c->st.own--;
	HASH_DEL(c->recs, r);
	free(r);
}

/* The block record of spi, when another gateway's owner owns it. */
static bool remote_block_of(struct claims *c, const struct claim *spi)
{
	struct claim b = {.kind = CLAIM_BLOCK, .nb = spi->nb, .value = spi->value >> c->shift};
	char key[CLAIM_KEY_MAX];
	if (claims_key(c, &b, key, sizeof(key)) < 0)
		return false;
	struct claim_rec *r = claims_rec_find(c, key);
	return r && !r->mine && r->cl.owner == spi->owner;
}

static void pin(struct claims *c, struct claim_rec *r)
{
	struct claim *cl = &r->cl;
	struct in_addr got;
	uint16_t port = (uint16_t)cl->value;
	int rc = 0;
	if (cl->kind == CLAIM_BLOCK)
		return; /* taken with its first SPI */
	struct alloc_txn *t = alloc_txn_begin(c->a);
	if (!t) {
		c->st.pin_failed++;
		return;
	}
	switch (cl->kind) {
	case CLAIM_ADDR:
		rc = alloc_addr_whole(t, cl->owner, cl->nb, &got);
		break;
	case CLAIM_PORT:
		rc = alloc_ports_specific(t, cl->owner, cl->nb, &port, 1);
		break;
	case CLAIM_SPI:
		rc = alloc_spi_restore(t, cl->owner, cl->nb, &cl->value, 1, remote_block_of(c, cl));
		break;
	case CLAIM_BLOCK:
		break;
	}
	if (rc == 0) {
		alloc_txn_commit(t);
		r->pinned = true;
		c->st.pinned++;
	} else {
		/* Held back here (freed a moment ago), or outside this
		 * gateway's configuration: the allocator will not lend it
		 * now; if it ever proposes it, etcd refuses and says why. */
		alloc_txn_abort(t);
		c->st.pin_failed++;
		log_debug("cluster: %s held by another gateway, not pinned here (RSIP %d)", r->key,
			  rc);
	}
}

static void unpin(struct claims *c, struct claim_rec *r)
{
	struct claim *cl = &r->cl;
	uint16_t port = (uint16_t)cl->value;
	if (!r->pinned)
		return;
	switch (cl->kind) {
	case CLAIM_ADDR:
		alloc_addr_whole_release(c->a, cl->owner, cl->nb);
		break;
	case CLAIM_PORT:
		alloc_ports_release(c->a, cl->owner, cl->nb, &port, 1);
		break;
	case CLAIM_SPI:
		alloc_spi_release(c->a, cl->owner, cl->nb, &cl->value, 1);
		break;
	case CLAIM_BLOCK:
		break;
	}
	r->pinned = false;
	c->st.pinned--;
}

/* A new record for key in place of old (unpinned and deleted first, when
 * there is one). NULL without memory. */
static struct claim_rec *rec_renew(struct claims *c, struct claim_rec *old, const char *key)
{
	if (old) {
		unpin(c, old);
		rec_del(c, old);
	}
	return rec_add(c, key);
}

void claims_learn_put(struct claims *c, const char *key, const char *val, int64_t rev)
{
	struct claim cl;
	char gw[CLAIM_GW_MAX + 1];
	if (!claims_parse(c, key, val, &cl, gw)) {
		log_debug("cluster: ignoring %s (not a claim)", key);
		return;
	}
	struct claim_rec *r = claims_rec_find(c, key);
	if (strcmp(gw, c->gw) == 0) {
		/* Own claims are recorded by claims_alloc and forgotten by
		 * claims_release, never from the (later) watch. */
		if (r && r->mine)
			r->stale = false;
		return;
	}
	if (r && r->rev >= rev) {
		r->stale = false; /* what we know is as new or newer */
		return;
	}
	if (r && !r->mine && r->cl.owner == cl.owner) {
		r->stale = false;
		r->rev = rev;
		return; /* the same claim, rewritten */
	}
	r = rec_renew(c, r, key);
	if (!r)
		return;
	r->cl = cl;
	r->rev = rev;
	pin(c, r);
}

void claims_learn_del(struct claims *c, const char *key, int64_t rev)
{
	struct claim_rec *r = claims_rec_find(c, key);
	if (!r || r->rev >= rev || r->mine)
		return; /* own claims leave with claims_release */
	unpin(c, r);
	rec_del(c, r);
}

void claims_own_add(struct claims *c, const struct claim *cl, int64_t rev)
{
	char key[CLAIM_KEY_MAX];
	if (claims_key(c, cl, key, sizeof(key)) < 0)
		return;
	struct claim_rec *r = claims_rec_find(c, key);
	r = rec_renew(c, r, key);
	if (!r)
		return;
	r->cl = *cl;
	r->mine = true;
	r->rev = rev;
	c->st.own++;
}

void claims_own_del(struct claims *c, const struct claim *cl)
{
	char key[CLAIM_KEY_MAX];
	struct claim_rec *r;
	if (claims_key(c, cl, key, sizeof(key)) == 0 && (r = claims_rec_find(c, key)) && r->mine)
		rec_del(c, r);
}

/* --- the watch --------------------------------------------------------------- */

static void w_reset(void *arg, int64_t rev)
{
	struct claims *c = arg;
	struct claim_rec *r, *tmp;
	HASH_ITER(hh, c->recs, r, tmp)
	r->stale = true;
}

static void w_put(void *arg, const struct etcd_kv *kv)
{
	claims_learn_put(arg, kv->key, kv->value, kv->mod_rev);
}

static void w_del(void *arg, const struct etcd_kv *kv)
{
	claims_learn_del(arg, kv->key, kv->mod_rev);
}

/* A full read is complete: what it did not confirm is gone. */
static void w_synced(void *arg, int64_t rev)
{
	struct claims *c = arg;
	struct claim_rec *r, *tmp;
	HASH_ITER(hh, c->recs, r, tmp)
	{
		if (!r->stale || r->rev > rev)
			continue;
		if (r->mine) {
			/* Someone deleted this gateway's claim behind its
			 * back: the resource is no longer protected. */
			c->st.vanished++;
			log_warnx("cluster: own claim %s is missing from etcd", r->key);
			rec_del(c, r);
			continue;
		}
		unpin(c, r);
		rec_del(c, r);
	}
	c->st.rev = rev;
}

const struct etcd_watch_ops claims_watch_ops = {
    .reset = w_reset,
    .put = w_put,
    .del = w_del,
    .synced = w_synced,
};
