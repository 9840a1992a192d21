// SPDX-License-Identifier: BSD-2-Clause
/*
 * What every resource file shares: the allocator's injected clock and random
 * source, the Nb index, and per-owner accounting (how many ports and SPIs a
 * Client ID holds on each Nb). The bottom of the allocator: it calls no
 * other allocator file.
 */
#include "alloc_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "clock.h"

bool alloc_hash_oom;

uint64_t alloc_now(struct alloc *a)
{
	if (a->cfg.now_ms)
		return a->cfg.now_ms(a->cfg.clock_arg);
	return mono_ms();
}

uint32_t alloc_rand32(struct alloc *a)
{
	uint32_t v;

	if (a->cfg.random32)
		return a->cfg.random32(a->cfg.random_arg);
	/* getrandom() on 4 bytes never returns short once the pool is ready;
	 * loop for EINTR only. */
	while (getrandom(&v, sizeof(v), 0) != sizeof(v))
		;
	return v;
}

/* Multiply-shift instead of rejection sampling: it never loops, even when a
 * test injects a constant "random" source, and its bias (n / 2^32) does not
 * matter for picking SPIs and blocks. */
uint64_t alloc_rand_below(struct alloc *a, uint64_t n)
{
	return ((uint64_t)alloc_rand32(a) * n) >> 32;
}

int alloc_nb_index(const struct alloc *a, struct in_addr nb)
{
	for (uint16_t i = 0; i < a->n_nb; i++)
		if (a->nbs[i].addr.s_addr == nb.s_addr)
			return i;
	return -1;
}

struct owner *owner_find(const struct alloc *a, uint32_t id)
{
	struct owner *o;

	hash_find_u32(a->owners, id, o);
	return o;
}

struct owner *owner_get(struct alloc *a, uint32_t id)
{
	struct owner *o = owner_find(a, id);

	if (o)
		return o;
	o = calloc(1, sizeof(*o) + a->n_nb * sizeof(o->nb[0]));
	if (!o)
		return NULL;
	o->id = id;
	if (!hash_add_u32(a->owners, id, o)) {
		free(o);
		return NULL;
	}
	return o;
}

/* Forget an owner that holds nothing any more. */
void owner_put(struct alloc *a, struct owner *o)
{
	if (!o || o->ports || o->spis || o->held_ports || o->held_spis)
		return;
	for (uint16_t i = 0; i < a->n_nb; i++)
		if (o->nb[i].blocks)
			return;
	HASH_DEL(a->owners, o);
	free(o);
}

uint64_t owner_charged_ports(const struct alloc *a, uint32_t id)
{
	const struct owner *o = owner_find(a, id);

	return o ? (uint64_t)o->ports + o->held_ports : 0;
}

uint64_t owner_charged_spis(const struct alloc *a, uint32_t id)
{
	const struct owner *o = owner_find(a, id);

	return o ? (uint64_t)o->spis + o->held_spis : 0;
}

/* Adjust an owner's counts on one Nb and the Nb's count of owners. The owner
 * must exist when the counts grow (owner_get first). */
int owner_count(struct alloc *a, uint32_t id, uint16_t nb, int dports, int dspis)
{
	struct owner *o = owner_find(a, id);
	struct owner_nb *on;
	bool was, is;

	if (!o)
		return -ENOENT;
	on = &o->nb[nb];
	was = on->ports || on->spis;
	on->ports += dports;
	on->spis += dspis;
	o->ports += dports;
	o->spis += dspis;
	is = on->ports || on->spis;
	if (!was && is)
		a->nbs[nb].n_owners++;
	else if (was && !is)
		a->nbs[nb].n_owners--;
	owner_put(a, o);
	return 0;
}
