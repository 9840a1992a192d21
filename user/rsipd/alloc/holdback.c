// SPDX-License-Identifier: BSD-2-Clause
/*
 * The hold-back queue: everything released (ports, SPIs, SPI blocks, whole
 * addresses, Client and Bind IDs) stays unusable for cfg.holdback_ms
 * (RFC 3102 6.1: peers may still hold TIME_WAIT state for the old tuple;
 * D19: IDs must not come back soon).
 *
 * Every release gets the same delay, so a plain FIFO ring is ordered by
 * expiry: expiring is popping the head while it is due, O(1) per resource,
 * and the oldest freed resources come back first.
 */
#include "alloc_internal.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

static int hb_grow(struct holdback *hb)
{
	size_t ncap = hb->cap ? hb->cap * 2 : 64;
	struct hb_entry *nq = malloc(ncap * sizeof(*nq));

	if (!nq)
		return -1;
	/* Unroll the ring into the new array, oldest first. */
	for (size_t i = 0; i < hb->len; i++)
		nq[i] = hb->q[(hb->head + i) % hb->cap];
	free(hb->q);
	hb->q = nq;
	hb->cap = ncap;
	hb->head = 0;
	return 0;
}

/* How much of an owner's cap one queue entry takes. */
static uint32_t hb_charge(const struct alloc *a, const struct hb_entry *e, bool *ports)
{
	*ports = e->kind == HB_PORT;
	switch (e->kind) {
	case HB_PORT:
	case HB_SPI:
		return 1;
	case HB_BLOCK:
		return a->spi_block;
	default:
		return 0;
	}
}

/* The hold-back is over: its owner is no longer charged for it. */
static void hb_uncharge(struct alloc *a, const struct hb_entry *e)
{
	struct owner *o = e->owner ? owner_find(a, e->owner) : NULL;
	bool ports;
	uint32_t n = hb_charge(a, e, &ports);

	if (!o || !n)
		return;
	if (ports)
		o->held_ports -= n;
	else
		o->held_spis -= n;
	owner_put(a, o);
}

/* Queue a released resource the caller has just marked held, and return
 * when it comes back. If the queue cannot grow, the resource is freed at
 * once rather than held for ever (losing a little TIME_WAIT safety beats
 * leaking it) and 0 is returned. */
uint64_t holdback_push(struct alloc *a, enum hb_kind kind, uint16_t nb, uint32_t value,
		       uint32_t owner)
{
	struct holdback *hb = &a->hb;
	struct hb_entry e = {
	    .expire = alloc_now(a) + a->cfg.holdback_ms,
	    .value = value,
	    .nb = nb,
	    .kind = (uint8_t)kind,
	};
	bool ports;
	uint32_t n = hb_charge(a, &e, &ports);
	struct owner *o = owner && n ? owner_get(a, owner) : NULL;

	if (hb->len == hb->cap && hb_grow(hb) < 0) {
		log_warnx("alloc: out of memory for the hold-back queue; releasing at once");
		e.expire = 0;
		a->ops->release(a, &e);
		owner_put(a, o);
		return 0;
	}
	/* Charged only once queued: an entry that could not be queued was
	 * released above and costs its owner nothing. (No memory for the
	 * owner record: not charged, as before.) */
	if (o) {
		e.owner = owner;
		if (ports)
			o->held_ports += n;
		else
			o->held_spis += n;
	}
	hb->q[(hb->head + hb->len) % hb->cap] = e;
	hb->len++;
	return e.expire;
}

/* Give back every entry due by until. */
static void expire_until(struct alloc *a, uint64_t until)
{
	struct holdback *hb = &a->hb;

	while (hb->len && hb->q[hb->head].expire <= until) {
		struct hb_entry e = hb->q[hb->head];

		hb->head = (hb->head + 1) % hb->cap;
		hb->len--;
		hb_uncharge(a, &e);
		a->ops->release(a, &e);
	}
}

void alloc_expire(struct alloc *a)
{
	expire_until(a, alloc_now(a));
}

void alloc_holdback_flush(struct alloc *a)
{
	expire_until(a, UINT64_MAX);
}

void holdback_free(struct holdback *hb)
{
	free(hb->q);
	memset(hb, 0, sizeof(*hb));
}
