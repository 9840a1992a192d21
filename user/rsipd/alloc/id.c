// SPDX-License-Identifier: BSD-2-Clause
/*
 * Client and Bind IDs (D19): random, never 0, unique among live ones, and
 * not handed out again for the hold-back time after release. Over UDP a
 * host is known by its source address only; a guessable ID would let a
 * spoofer on the LAN free someone else's bindings.
 *
 * A hash set per kind holds the live and the held-back IDs; everything else
 * is free. With 2^32 - 1 IDs a random probe almost always hits a free one;
 * a linear walk after RANDOM_PROBES misses keeps a broken random source from
 * looping for ever.
 */
#include "alloc_internal.h"

#include <errno.h>
#include <stdlib.h>

#include "log.h"

static struct id_entry *id_find(const struct id_set *s, uint32_t id)
{
	struct id_entry *e;

	hash_find_u32(s->ids, id, e);
	return e;
}

static int id_add(struct id_set *s, uint32_t id)
{
	struct id_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->id = id;
	if (!hash_add_u32(s->ids, id, e)) {
		free(e);
		return -ENOMEM;
	}
	s->live++;
	return 0;
}

static uint32_t id_new(struct alloc *a, struct id_set *s)
{
	uint32_t id = 0;

	alloc_expire(a);
	for (int i = 0; i < RANDOM_PROBES; i++) {
		id = alloc_rand32(a);
		if (id && !id_find(s, id))
			goto take;
	}
	for (uint64_t i = 0; i <= UINT32_MAX; i++, id++)
		if (id && !id_find(s, id))
			goto take;
	log_warnx("alloc: every ID is in use");
	return 0;
take:
	if (id_add(s, id) < 0) {
		log_warnx("alloc: out of memory for a new ID");
		return 0;
	}
	return id;
}

static void id_release(struct alloc *a, struct id_set *s, uint32_t id)
{
	struct id_entry *e = id_find(s, id);

	if (!e || e->held) {
		log_debug("alloc: release of ID %08x that is not live", id);
		return;
	}
	e->held = true;
	e->held_until = 0;
	s->live--;
	s->held++;
	/* 0 means the queue was out of memory and e is already gone. */
	uint64_t until = holdback_push(a, (enum hb_kind)s->kind, 0, id, 0);
	if (until)
		e->held_until = until;
}

/* Take exactly this ID again after a restart, held back or not. */
static int id_restore(struct id_set *s, uint32_t id)
{
	struct id_entry *e;

	if (id == 0)
		return -EINVAL;
	e = id_find(s, id);
	if (!e)
		return id_add(s, id);
	if (!e->held)
		return -EEXIST;
	/* The queue entry no longer matches held_until, so it will not free
	 * the ID under its new user. */
	e->held = false;
	e->held_until = 0;
	s->held--;
	s->live++;
	return 0;
}

void id_expire(struct alloc *a, enum hb_kind kind, uint32_t id, uint64_t expire)
{
	struct id_set *s = kind == HB_CLIENT_ID ? &a->client_ids : &a->bind_ids;
	struct id_entry *e = id_find(s, id);

	if (!e || !e->held || e->held_until != expire)
		return;
	HASH_DEL(s->ids, e);
	free(e);
	s->held--;
}

void id_set_free(struct id_set *s)
{
	struct id_entry *e, *tmp;

	HASH_ITER(hh, s->ids, e, tmp)
	{
		HASH_DEL(s->ids, e);
		free(e);
	}
	s->live = s->held = 0;
}

int id_selfcheck(const struct id_set *s)
{
	const struct id_entry *e, *tmp;
	uint32_t live = 0, held = 0;

	HASH_ITER(hh, s->ids, e, tmp)
	{
		if (e->id == 0)
			return -EFAULT;
		if (e->held)
			held++;
		else
			live++;
	}
	return live == s->live && held == s->held ? 0 : -EFAULT;
}

uint32_t alloc_client_id(struct alloc *a)
{
	return id_new(a, &a->client_ids);
}

void alloc_client_id_release(struct alloc *a, uint32_t id)
{
	id_release(a, &a->client_ids, id);
}

uint32_t alloc_bind_id(struct alloc *a)
{
	return id_new(a, &a->bind_ids);
}

void alloc_bind_id_release(struct alloc *a, uint32_t id)
{
	id_release(a, &a->bind_ids, id);
}

int alloc_restore_client_id(struct alloc *a, uint32_t id)
{
	return id_restore(&a->client_ids, id);
}

int alloc_restore_bind_id(struct alloc *a, uint32_t id)
{
	return id_restore(&a->bind_ids, id);
}
