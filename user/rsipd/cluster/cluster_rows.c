// SPDX-License-Identifier: BSD-2-Clause
/*
 * The cluster store's table of hosts as last written or applied (one etcd
 * mod revision each), and the small helpers cluster_store.c and
 * cluster_mirror.c share: the bottom layer, calling neither of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster_store_internal.h"
#include "engine/engine.h"
#include "log.h"

uint64_t cs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t cs_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t cs_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct cs_row *cs_row_get(struct cluster_store *cs, uint32_t id, bool create)
{
	struct cs_row *r;

	HASH_FIND(hh, cs->rows, &id, sizeof(id), r);
	if (r || !create)
		return r;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL; /* the next event for this host is applied again: harmless */
	r->id = id;
	HASH_ADD(hh, cs->rows, id, sizeof(r->id), r);
	return r;
}

void cs_row_del(struct cluster_store *cs, uint32_t id)
{
	struct cs_row *r = cs_row_get(cs, id, false);

	if (!r)
		return;
	cs_row_set_unapplied(cs, r, NULL, 0);
	HASH_DEL(cs->rows, r);
	free(r);
}

void cs_row_set_unapplied(struct cluster_store *cs, struct cs_row *r, const char *value, size_t len)
{
	bool unapplied = value != NULL;

	free(r->retry);
	r->retry = NULL;
	r->retry_len = 0;
	/* No memory for the copy: still unapplied, tried again at its next
	 * version only. */
	if (unapplied && (r->retry = malloc(len ? len : 1))) {
		memcpy(r->retry, value, len);
		r->retry_len = len;
	}
	if (r->unapplied == unapplied)
		return;
	r->unapplied = unapplied;
	if (unapplied)
		cs->unapplied++;
	else if (--cs->unapplied == 0)
		cs->said_unapplied = false;
}

bool cs_is_dirty(const struct cluster_store *cs, uint32_t id)
{
	for (size_t i = 0; i < cs->n; i++)
		if (cs->dirty[i] == id)
			return true;
	return cs->dirty_lost;
}

uint32_t cs_key_id(const struct cluster_store *cs, const char *key, size_t len)
{
	size_t pl = strlen(cs->bind_prefix);
	char hex[9];
	char *end;
	unsigned long v;

	if (len != pl + 8 || memcmp(key, cs->bind_prefix, pl))
		return 0;
	memcpy(hex, key + pl, 8);
	hex[8] = '\0';
	v = strtoul(hex, &end, 16);
	return *end || v > UINT32_MAX ? 0 : (uint32_t)v;
}

void cs_ok(struct cluster_store *cs)
{
	if (!cs->last_ok)
		log_notice("cluster: etcd answers again (%s): allocations resume",
			   etcd_endpoint(cs->e));
	cs->last_ok = true;
	cs->last_ok_ms = cs_now_ms();
	cs->backoff_ms = 0;
}

void cs_failed(struct cluster_store *cs)
{
	if (cs->last_ok)
		log_warnx("cluster: etcd unreachable: %s; forwarding goes on, new registrations "
			  "and bindings get RSIP 104 until it answers",
			  etcd_error(cs->e));
	cs->last_ok = false;
	/* At most 2 s: each probe renews the member key (MEMBER_TTL_S). */
	cs->backoff_ms = cs->backoff_ms ? cs->backoff_ms * 2 : 500;
	if (cs->backoff_ms > 2000)
		cs->backoff_ms = 2000;
	cs->retry_at = cs_now_ms() + cs->backoff_ms;
}

void cs_mark_dirty(struct cluster_store *cs, uint32_t id)
{
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 256;
		uint32_t *d = realloc(cs->dirty, cap * sizeof(*d));

		if (!d) {
			cs->dirty_lost = true;
			return;
		}
		cs->dirty = d;
		cs->cap = cap;
	}
	cs->dirty[cs->n++] = id;
}

void cs_key_of(const struct cluster_store *cs, uint32_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%s%08x", cs->bind_prefix, id);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void mark_client(const struct engine_client_view *v, void *arg)
{
	cs_mark_dirty(arg, v->client_id);
}

void cs_dirty_unique(struct cluster_store *cs)
{
	size_t i, j;

	if (cs->dirty_lost) { /* an ID was lost: every host again */
		cs->dirty_lost = false;
		cs->n = 0;
		engine_foreach_client(cs->eng, mark_client, cs);
	}
	if (!cs->n)
		return;
	qsort(cs->dirty, cs->n, sizeof(*cs->dirty), cmp_u32);
	for (i = j = 0; i < cs->n; i++) /* unique */
		if (!j || cs->dirty[j - 1] != cs->dirty[i])
			cs->dirty[j++] = cs->dirty[i];
	cs->n = j;
}
