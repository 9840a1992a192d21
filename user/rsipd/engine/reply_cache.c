// SPDX-License-Identifier: BSD-2-Clause
/*
 * Replies to hosts that have no registration (spec 6.2): a REGISTER_REQUEST
 * refused, a 301, the DE-REGISTER_RESPONSE after which the registration is
 * gone. There is no Client ID yet, so the key is the source IP and port, and
 * an entry lives PREREG_TTL_MS - long enough for the host's retransmissions
 * (about 1.6 s, RFC 3103 App. D), short enough to forget spoofed sources.
 * uthash keeps insertion order, so the oldest entry is always first.
 */
#include "engine_priv.h"

#include <stdlib.h>
#include <string.h>

struct rc_key {
	uint32_t addr;
	uint16_t port;
	uint8_t transport;
	uint8_t pad;
};

struct rc_ent {
	struct rc_key key;
	uint32_t counter;
	uint64_t expires;
	size_t len, req_len;
	UT_hash_handle hh;
	uint8_t buf[]; /* the reply, then the request it answered */
};

struct reply_cache {
	struct rc_ent *tab;
	size_t n;
};

struct reply_cache *reply_cache_new(void)
{
	return calloc(1, sizeof(struct reply_cache));
}

static void drop(struct reply_cache *rc, struct rc_ent *ent)
{
	HASH_DEL(rc->tab, ent);
	rc->n--;
	free(ent);
}

void reply_cache_free(struct reply_cache *rc)
{
	struct rc_ent *ent, *tmp;

	if (!rc)
		return;
	HASH_ITER(hh, rc->tab, ent, tmp)
	drop(rc, ent);
	free(rc);
}

static struct rc_key make_key(const struct engine_src *src)
{
	struct rc_key k;

	memset(&k, 0, sizeof(k));
	k.addr = src->addr.s_addr;
	k.port = src->port;
	k.transport = (uint8_t)src->transport;
	return k;
}

void reply_cache_put(struct reply_cache *rc, const struct req_ctx *x, const uint8_t *buf,
		     size_t len, uint64_t now)
{
	struct rc_key k = make_key(x->src);
	struct rc_ent *ent;

	HASH_FIND(hh, rc->tab, &k, sizeof(k), ent);
	if (ent)
		drop(rc, ent);
	if (rc->n >= PREREG_MAX)
		drop(rc, rc->tab); /* the oldest */
	ent = malloc(sizeof(*ent) + len + x->raw_len);
	if (!ent)
		return; /* no cache: a retransmission is processed again */
	ent->key = k;
	ent->counter = x->req->counter;
	ent->expires = now + PREREG_TTL_MS;
	ent->len = len;
	ent->req_len = x->raw_len;
	memcpy(ent->buf, buf, len);
	memcpy(ent->buf + len, x->raw, x->raw_len);
	HASH_ADD(hh, rc->tab, key, sizeof(ent->key), ent);
	rc->n++;
}

const uint8_t *reply_cache_get(struct reply_cache *rc, const struct req_ctx *x, uint64_t now,
			       size_t *len)
{
	struct rc_key k = make_key(x->src);
	struct rc_ent *ent;

	HASH_FIND(hh, rc->tab, &k, sizeof(k), ent);
	if (!ent || ent->counter != x->req->counter || ent->expires <= now ||
	    ent->req_len != x->raw_len || memcmp(ent->buf + ent->len, x->raw, x->raw_len))
		return NULL;
	*len = ent->len;
	return ent->buf;
}

void reply_cache_expire(struct reply_cache *rc, uint64_t now)
{
	while (rc->tab && rc->tab->expires <= now)
		drop(rc, rc->tab);
}
