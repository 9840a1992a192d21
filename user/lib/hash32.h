/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * uthash tables keyed by one aligned uint32_t (an address, an ID, an SPI),
 * hashed by a seeded 32-bit mixer instead of uthash's byte-wise Jenkins and
 * memcmp. Remote parties choose many of these keys (a host picks its address
 * inside --allow, its SPIs, its ports), and Jenkins is not seeded: the
 * per-process random seed keeps anyone from aiming their entries at one
 * bucket. Include this instead of <uthash.h>, after defining
 * uthash_nonfatal_oom (with HASH_NONFATAL_OOM 1) where running out of memory
 * must be an error rather than exit(); call hash32_seed_init() before the
 * first table is filled. Every table of the process shares the one seed.
 */
#ifndef RSIP_HASH32_H
#define RSIP_HASH32_H

#include <stdint.h>

extern uint32_t hash32_seed;

/* Once per process; later calls do nothing (a changed seed would lose every
 * entry already in a table). */
void hash32_seed_init(void);

static inline uint32_t hash32_u32(uint32_t k)
{
	k ^= hash32_seed; /* murmur3's finaliser: a bijection */
	k ^= k >> 16;
	k *= 0x85ebca6bu;
	k ^= k >> 13;
	k *= 0xc2b2ae35u;
	k ^= k >> 16;
	return k;
}

#define HASH_FUNCTION(keyptr, keylen, hashv)                                                       \
	((hashv) = hash32_u32(*(const uint32_t *)(const void *)(keyptr)))
#define HASH_KEYCMP(a, b, n)                                                                       \
	(*(const uint32_t *)(const void *)(a) != *(const uint32_t *)(const void *)(b))
#include <uthash.h>

#endif
