// SPDX-License-Identifier: BSD-2-Clause
/*
 * hash32.h: the seeded hash and key compare every uthash table uses. Keys
 * of 4 bytes take the integer path, all others the word-wise one; both must
 * tell apart keys that differ anywhere, including past the first word and
 * in a short tail, and a 4-byte key need not be aligned.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "hash32.h"

struct ent {
	unsigned char key[11];
	int val;
	UT_hash_handle hh;
};

static struct ent *add(struct ent **tab, const void *key, size_t len, int val)
{
	struct ent *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	memcpy(e->key, key, len);
	e->val = val;
	HASH_ADD(hh, *tab, key, len, e);
	return e;
}

static int find(struct ent *tab, const void *key, size_t len)
{
	struct ent *e;

	HASH_FIND(hh, tab, key, len, e);
	return e ? e->val : -1;
}

static void drop(struct ent **tab)
{
	struct ent *e, *tmp;

	HASH_ITER(hh, *tab, e, tmp)
	{
		HASH_DEL(*tab, e);
		free(e);
	}
}

/* 8-byte keys (the reply cache's address and port): equal first words,
 * different second words, are different entries. */
static void test_keys_past_first_word(void **state)
{
	struct ent *tab = NULL;
	uint32_t k[2] = {0x0a000002u, 0};
	int i;

	for (i = 0; i < 100; i++) {
		k[1] = (uint32_t)i;
		add(&tab, k, sizeof(k), i);
	}
	assert_int_equal(HASH_COUNT(tab), 100);
	for (i = 0; i < 100; i++) {
		k[1] = (uint32_t)i;
		assert_int_equal(find(tab, k, sizeof(k)), i);
	}
	k[1] = 100;
	assert_int_equal(find(tab, k, sizeof(k)), -1);
	drop(&tab);
}

/* An 11-byte key differs only in its 3-byte tail. */
static void test_short_tail(void **state)
{
	struct ent *tab = NULL;
	unsigned char k[11] = "abcdefghij";

	add(&tab, k, sizeof(k), 1);
	k[10] = 'x';
	add(&tab, k, sizeof(k), 2);
	assert_int_equal(find(tab, k, sizeof(k)), 2);
	k[10] = 0;
	assert_int_equal(find(tab, k, sizeof(k)), 1);
	k[9] = 'z';
	assert_int_equal(find(tab, k, sizeof(k)), -1);
	drop(&tab);
}

/* 4-byte keys at an odd address (a 4-character string key): no misaligned
 * load (UBSan aborts this test otherwise), found by value. */
static void test_unaligned_u32_key(void **state)
{
	struct ent *tab = NULL;
	char buf[16];

	memcpy(buf + 1, "rsip", 4);
	add(&tab, buf + 1, 4, 7);
	memcpy(buf + 3, "rsip", 4);
	assert_int_equal(find(tab, buf + 3, 4), 7);
	memcpy(buf + 3, "rsiq", 4);
	assert_int_equal(find(tab, buf + 3, 4), -1);
	drop(&tab);
}

/* The seed is drawn before main() and takes part in both paths: the same
 * key hashes differently under another seed. */
static void test_seeded(void **state)
{
	uint32_t key = 0x0a000002u, seed = hash32_seed, h1, h2;
	unsigned char k8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint32_t b1, b2;

	h1 = hash32_u32(key);
	b1 = hash32_bytes(k8, sizeof(k8));
	hash32_seed = seed ^ 0x5a5a5a5au;
	h2 = hash32_u32(key);
	b2 = hash32_bytes(k8, sizeof(k8));
	hash32_seed = seed;
	assert_int_not_equal(h1, h2);
	assert_int_not_equal(b1, b2);
	assert_int_equal(hash32_u32(key), h1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys_past_first_word),
	    cmocka_unit_test(test_short_tail),
	    cmocka_unit_test(test_unaligned_u32_key),
	    cmocka_unit_test(test_seeded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
