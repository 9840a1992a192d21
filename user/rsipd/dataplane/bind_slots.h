/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-binding counter slots of rsip_bind_stats (dp_abi.h): which slots
 * a binding holds, as a bitmap sized with the map. Slot 0 is never handed
 * out (it counts learned entries). Pure bookkeeping, no map access: the
 * dpx layer zeroes a slot's per-CPU values when it takes one
 * (map_bind_stats.c). Slots are this gateway's own: a cluster mirror gives
 * a mirrored binding a slot of its own gateway's table, never a peer's.
 */
#ifndef RSIPD_BIND_SLOTS_H
#define RSIPD_BIND_SLOTS_H

#include <stdbool.h>
#include <stdint.h>

struct bind_slots {
	uint64_t *used; /* one bit per slot; bit 0 always set */
	uint32_t n;	/* slots, slot 0 included (the map's max_entries) */
	uint32_t nused; /* slot 0 not included */
	uint32_t next;	/* where the next search starts */
};

/* n: the map's max_entries (slots 1 .. n-1 are handed out). 0, -EINVAL
 * (n 0), -ENOMEM. */
int bind_slots_init(struct bind_slots *s, uint32_t n);
void bind_slots_fini(struct bind_slots *s);
/* A free slot, taken: 0, or -ENOSPC when all are held. Next fit: the search
 * starts after the last slot taken, so a slot just given back is the last
 * to be reused (an increment still in flight for the binding that held it
 * lands before the slot is zeroed for another). */
int bind_slots_take(struct bind_slots *s, uint32_t *slot);
/* Takes the given slot (a restart: the slot a live target carries). false,
 * nothing changed: 0, out of range or already taken. */
bool bind_slots_claim(struct bind_slots *s, uint32_t slot);
/* Gives a slot back (0 and free slots: nothing). */
void bind_slots_put(struct bind_slots *s, uint32_t slot);
bool bind_slots_held(const struct bind_slots *s, uint32_t slot);

#endif
