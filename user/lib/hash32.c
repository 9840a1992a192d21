// SPDX-License-Identifier: BSD-2-Clause
/* The seed of every uint32_t-keyed uthash table (hash32.h). */
#include "hash32.h"

#include <stdbool.h>
#include <sys/random.h>

uint32_t hash32_seed;
static bool seeded;

void hash32_seed_init(void)
{
	/* It never affects results (nothing depends on table order), so no
	 * injected random source is needed, only an unpredictable one. */
	while (!seeded) {
		if (getrandom(&hash32_seed, sizeof(hash32_seed), 0) == sizeof(hash32_seed))
			seeded = true;
	}
}
