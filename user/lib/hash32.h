/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every uthash table of the project, seeded. uthash's default is Jenkins'
 * hash with no seed and memcmp; remote parties choose many of our keys (a
 * host picks its address inside --allow, its SPIs, its ports; a spoofed
 * datagram picks a source address and port), and with an unseeded hash they
 * can pick keys that share a bucket: uthash then stops growing the table
 * ("noexpand") and every look-up walks one long chain, the other hosts'
 * included. Here the hash is murmur3's finaliser over the key's 32-bit words,
 * each mixed with a per-process random seed, so nobody can aim entries at one
 * bucket. A key of one uint32_t (an address, an ID, an SPI: most
 * tables) takes a fast path: one mix and an integer compare instead of
 * Jenkins' byte loop and a memcmp call; other lengths (a struct key, a
 * string) are mixed word by word and compared with memcmp.
 *
 * Include this instead of <uthash.h> (tools/check-rules-once.sh checks that
 * nothing else includes it), after defining uthash_nonfatal_oom (with
 * HASH_NONFATAL_OOM 1) where running out of memory must be an error rather
 * than exit(). Every table of the process shares the one seed, which
 * hash32.c draws before main().
 */
#ifndef RSIP_HASH32_H
#define RSIP_HASH32_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

extern uint32_t hash32_seed;

static inline uint32_t hash32_mix(uint32_t k)
{
	k ^= k >> 16; /* murmur3's finaliser: a bijection */
	k *= 0x85ebca6bu;
	k ^= k >> 13;
	k *= 0xc2b2ae35u;
	k ^= k >> 16;
	return k;
}

static inline uint32_t hash32_u32(uint32_t k)
{
	return hash32_mix(k ^ hash32_seed);
}

/* Any key: its length and each 32-bit word (the last one zero-padded) mixed
 * into the seeded state in turn. */
static inline uint32_t hash32_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint32_t h = hash32_mix(hash32_seed ^ (uint32_t)len), w;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		memcpy(&w, p + i, 4);
		h = hash32_mix(h ^ w);
	}
	if (i < len) {
		w = 0;
		memcpy(&w, p + i, len - i);
		h = hash32_mix(h ^ w);
	}
	return h;
}

/* A 4-byte key need not be aligned (a 4-character string key): memcpy,
 * which compiles to one load. */
static inline uint32_t hash32_load(const void *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* The length is a constant at almost every use, so the test folds away. */
#define HASH_FUNCTION(keyptr, keylen, hashv)                                                       \
	((hashv) =                                                                                 \
	     (keylen) == 4 ? hash32_u32(hash32_load(keyptr)) : hash32_bytes((keyptr), (keylen)))
#define HASH_KEYCMP(a, b, n)                                                                       \
	((n) == 4 ? hash32_load(a) != hash32_load(b) : memcmp((a), (b), (n)) != 0)
#include <uthash.h>

#endif
