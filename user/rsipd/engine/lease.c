// SPDX-License-Identifier: BSD-2-Clause
/*
 * Leases (RFC 3103 section 6, spec 6.5, D12): a min-heap of expiry times for
 * bindings and registrations. EXTEND and R = max(R, Bi) push a new entry
 * instead of moving the old one; an entry whose time no longer matches its
 * record is stale and skipped when it comes up. The heap is rebuilt from the
 * tables when stale entries pile up.
 */
#include "engine_priv.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include "alloc/alloc.h"
#include "log.h"

enum { LEASE_BINDING = 0, LEASE_CLIENT = 1 }; /* a binding goes before its client */

struct lease_ent {
	uint64_t at;
	uint32_t id;
	uint8_t kind;
};

struct lease_heap {
	struct lease_ent *v;
	size_t n, cap;
};

struct lease_heap *lease_heap_new(void)
{
	return calloc(1, sizeof(struct lease_heap));
}

void lease_heap_free(struct lease_heap *h)
{
	if (!h)
		return;
	free(h->v);
	free(h);
}

static bool ent_less(const struct lease_ent *a, const struct lease_ent *b)
{
	if (a->at != b->at)
		return a->at < b->at;
	return a->kind < b->kind;
}

static void swap_ent(struct lease_ent *a, struct lease_ent *b)
{
	struct lease_ent t = *a;

	*a = *b;
	*b = t;
}

static void heap_push(struct lease_heap *h, struct lease_ent ent)
{
	size_t i;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct lease_ent *v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			fatalx("out of memory for the lease heap");
		h->v = v;
		h->cap = cap;
	}
	i = h->n++;
	h->v[i] = ent;
	while (i > 0 && ent_less(&h->v[i], &h->v[(i - 1) / 2])) {
		swap_ent(&h->v[i], &h->v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void heap_pop(struct lease_heap *h)
{
	size_t i = 0;

	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->n && ent_less(&h->v[l], &h->v[m]))
			m = l;
		if (r < h->n && ent_less(&h->v[r], &h->v[m]))
			m = r;
		if (m == i)
			break;
		swap_ent(&h->v[i], &h->v[m]);
		i = m;
	}
}

static void heap_rebuild(struct engine *e)
{
	struct lease_heap *h = e->leases;
	struct binding *b, *bt;
	struct client *c, *ct;

	h->n = 0;
	HASH_ITER(hh, e->bindings, b, bt)
	heap_push(h, (struct lease_ent){b->r.expires_ms, b->r.bind_id, LEASE_BINDING});
	HASH_ITER(hh_id, e->by_id, c, ct)
	heap_push(h, (struct lease_ent){c->r.expires_ms, c->r.client_id, LEASE_CLIENT});
}

static void schedule(struct engine *e, struct lease_ent ent)
{
	e->state_gen++; /* a new or moved lease: the state file follows */
	/* EXTEND pushes without popping: bound the stale entries. */
	if (e->leases->n > 4 * (e->n_bindings + e->n_clients) + 64)
		heap_rebuild(e);
	heap_push(e->leases, ent);
}

void lease_schedule_binding(struct engine *e, const struct binding *b)
{
	schedule(e, (struct lease_ent){b->r.expires_ms, b->r.bind_id, LEASE_BINDING});
}

void lease_schedule_client(struct engine *e, const struct client *c)
{
	schedule(e, (struct lease_ent){c->r.expires_ms, c->r.client_id, LEASE_CLIENT});
}

uint32_t lease_grant(const struct engine *e, bool has_lease, uint32_t requested)
{
	/* D12: --lease is the default and the maximum; 0 means "no
	 * preference". */
	if (!has_lease || requested == 0 || requested > e->cfg->lease)
		return e->cfg->lease;
	if (requested < e->cfg->lease_min)
		return e->cfg->lease_min;
	return requested;
}

void client_touch_lease(struct engine *e, struct client *c, uint64_t expires_ms)
{
	/* R = max(R, Bi) (D12): a registration outlives its bindings. */
	if (expires_ms > c->r.expires_ms) {
		c->r.expires_ms = expires_ms;
		lease_schedule_client(e, c);
	}
}

bool lease_pop_due(struct lease_heap *h, uint64_t now, struct lease_due *out)
{
	if (!h->n || h->v[0].at > now)
		return false;
	out->at = h->v[0].at;
	out->id = h->v[0].id;
	out->is_client = h->v[0].kind == LEASE_CLIENT;
	heap_pop(h);
	return true;
}
