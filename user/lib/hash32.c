// SPDX-License-Identifier: BSD-2-Clause
/* The seed of every uthash table (hash32.h). */
#include "hash32.h"

#include <sys/random.h>

uint32_t hash32_seed;

/* Before main(): a table filled before the seed changed would lose its
 * entries, and the event loop's table gets its first entry before anything
 * else runs. Every program that hashes references hash32_seed, so the linker
 * brings this file, and the constructor with it, into each of them. It never
 * affects results (nothing depends on table order), so no injected random
 * source is needed, only an unpredictable one. */
__attribute__((constructor)) static void hash32_seed_init(void)
{
	while (getrandom(&hash32_seed, sizeof(hash32_seed), 0) != sizeof(hash32_seed))
		;
}
