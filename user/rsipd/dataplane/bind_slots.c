// SPDX-License-Identifier: BSD-2-Clause
/* The per-binding counter slots (bind_slots.h): a bitmap, next fit. */
#include <errno.h>
#include <stdlib.h>

#include "bind_slots.h"

#define WORD_BITS 64u

int bind_slots_init(struct bind_slots *s, uint32_t n)
{
	*s = (struct bind_slots){0};
	if (!n)
		return -EINVAL;
	s->used = calloc((n + WORD_BITS - 1) / WORD_BITS, sizeof(*s->used));
	if (!s->used)
		return -ENOMEM;
	s->n = n;
	s->used[0] = 1; /* slot 0: learned entries, never a binding's */
	s->next = 1;
	return 0;
}

void bind_slots_fini(struct bind_slots *s)
{
	free(s->used);
	*s = (struct bind_slots){0};
}

bool bind_slots_held(const struct bind_slots *s, uint32_t slot)
{
	return slot < s->n && (s->used[slot / WORD_BITS] >> (slot % WORD_BITS)) & 1;
}

static void set_held(struct bind_slots *s, uint32_t slot)
{
	s->used[slot / WORD_BITS] |= 1ull << (slot % WORD_BITS);
	s->nused++;
}

/* The first free slot in [from, to), or to. Whole words at a time. */
static uint32_t first_free(const struct bind_slots *s, uint32_t from, uint32_t to)
{
	uint32_t i = from;

	while (i < to) {
		uint64_t free_bits = ~s->used[i / WORD_BITS] >> (i % WORD_BITS);

		if (free_bits) {
			i += (uint32_t)__builtin_ctzll(free_bits);
			return i < to ? i : to;
		}
		i = (i / WORD_BITS + 1) * WORD_BITS;
	}
	return to;
}

int bind_slots_take(struct bind_slots *s, uint32_t *slot)
{
	uint32_t i;

	if (s->nused + 1 >= s->n)
		return -ENOSPC;
	i = first_free(s, s->next, s->n);
	if (i == s->n)
		i = first_free(s, 1, s->next);
	set_held(s, i);
	s->next = i + 1 < s->n ? i + 1 : 1;
	*slot = i;
	return 0;
}

bool bind_slots_claim(struct bind_slots *s, uint32_t slot)
{
	if (slot == 0 || slot >= s->n || bind_slots_held(s, slot))
		return false;
	set_held(s, slot);
	return true;
}

void bind_slots_put(struct bind_slots *s, uint32_t slot)
{
	if (slot == 0 || !bind_slots_held(s, slot))
		return;
	s->used[slot / WORD_BITS] &= ~(1ull << (slot % WORD_BITS));
	s->nused--;
}
