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
#include "log_limit.h"

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

static void expire_binding(struct engine *e, struct binding *b)
{
	struct client *c = client_by_id(e, b->r.client_id);
	uint32_t bind_id = b->r.bind_id;

	if (!c) /* cannot happen: a binding dies with its client */
		fatalx("binding %u has no client %u", bind_id, b->r.client_id);
	log_info_limited("binding expired", "client %u: binding %u expired", c->r.client_id,
			 bind_id);
	binding_destroy(e, c, b, true);
	e->ctr.leases_expired++;
	rsip_msg_init(&e->unsol, RSIP_FREE_RESPONSE);
	e->unsol.client_id = c->r.client_id;
	e->unsol.bind_id = bind_id;
	e->unsol.has |= RSIP_HAS_CLIENT_ID | RSIP_HAS_BIND_ID;
	engine_send_unsolicited(e, c, &e->unsol);
}

static void expire_client(struct engine *e, struct client *c)
{
	log_info_limited("registration expired", "client %u (%s): registration expired",
			 c->r.client_id, inet_ntoa(c->r.xa));
	e->ctr.registrations_expired++;
	rsip_msg_init(&e->unsol, RSIP_DEREGISTER_RESPONSE);
	e->unsol.client_id = c->r.client_id;
	e->unsol.has |= RSIP_HAS_CLIENT_ID;
	engine_send_unsolicited(e, c, &e->unsol);
	client_destroy(e, c, true);
}

void engine_tick(struct engine *e)
{
	struct lease_heap *h = e->leases;
	uint64_t now = engine_now(e);

	reply_cache_expire(e->prereg, now);
	alloc_expire(e->alloc);		  /* give held-back memory back */
	log_limit_flush(log_limit_now()); /* the summaries of quiet log sites */
	while (h->n && h->v[0].at <= now) {
		struct lease_ent ent = h->v[0];

		heap_pop(h);
		if (ent.kind == LEASE_BINDING) {
			struct binding *b = binding_by_id(e, ent.id);

			if (b && b->r.expires_ms == ent.at)
				expire_binding(e, b);
		} else {
			struct client *c = client_by_id(e, ent.id);

			if (c && c->r.expires_ms == ent.at)
				expire_client(e, c);
		}
	}
	engine_state_changed(e);
}

uint64_t engine_next_expiry(struct engine *e)
{
	return e->leases->n ? e->leases->v[0].at : UINT64_MAX;
}
