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

#define ID_MIN_SLOTS 64u

static uint32_t home(const struct id_set *s, uint32_t id)
{
	return hash32_u32(id) & s->mask;
}

static struct id_entry *id_find(const struct id_set *s, uint32_t id)
{
	if (!s->slots || id == 0)
		return NULL;
	for (uint32_t i = home(s, id);; i = (i + 1) & s->mask) {
		if (s->slots[i].id == id)
			return &s->slots[i];
		if (s->slots[i].id == 0)
			return NULL;
	}
}

/* Put e (not in the table) into a free slot; the table has room. */
static void place(struct id_set *s, const struct id_entry *e)
{
	uint32_t i = home(s, e->id);

	while (s->slots[i].id)
		i = (i + 1) & s->mask;
	s->slots[i] = *e;
}

/* At most half full, so a miss ends after a slot or two. */
static int id_grow(struct id_set *s)
{
	uint32_t n = s->live + s->held, cap = s->slots ? s->mask + 1 : 0;
	struct id_entry *old = s->slots;
	uint32_t ncap;

	if (cap && ((uint64_t)n + 1) * 2 <= cap)
		return 0;
	ncap = cap ? cap * 2 : ID_MIN_SLOTS;
	if (ncap == 0 || ncap > (1u << 31))
		return -ENOMEM;
	s->slots = calloc(ncap, sizeof(*s->slots));
	if (!s->slots) {
		s->slots = old;
		return -ENOMEM;
	}
	s->mask = ncap - 1;
	for (uint32_t i = 0; i < cap; i++)
		if (old[i].id)
			place(s, &old[i]);
	free(old);
	return 0;
}

static int id_add(struct id_set *s, uint32_t id)
{
	struct id_entry e = {.id = id};

	if (id_grow(s) < 0)
		return -ENOMEM;
	place(s, &e);
	s->live++;
	return 0;
}

/* Empty slot e; the entries after it that probed past it move back, so
 * every look-up still finds its entry before an empty slot. */
static void id_remove(struct id_set *s, struct id_entry *e)
{
	uint32_t i = (uint32_t)(e - s->slots), j = i;

	for (;;) {
		uint32_t k;

		j = (j + 1) & s->mask;
		if (s->slots[j].id == 0)
			break;
		k = home(s, s->slots[j].id);
		/* k cyclically in (i, j]: the entry is still reachable */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		s->slots[i] = s->slots[j];
		i = j;
	}
	s->slots[i] = (struct id_entry){0};
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
	id_remove(s, e);
	s->held--;
}

void id_set_free(struct id_set *s)
{
	free(s->slots);
	s->slots = NULL;
	s->mask = 0;
	s->live = s->held = 0;
}

int id_selfcheck(const struct id_set *s)
{
	uint32_t live = 0, held = 0;

	for (uint32_t i = 0; s->slots && i <= s->mask; i++) {
		const struct id_entry *e = &s->slots[i];

		if (e->id == 0)
			continue;
		if (id_find(s, e->id) != e) /* unreachable, or twice */
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
