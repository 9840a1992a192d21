// SPDX-License-Identifier: BSD-2-Clause
/*
 * The SPI directory's permutation (include/rsip/spi_dir.h) and the
 * allocator's use of it: slot and block are inverse bijections for every
 * block width rsipd allows, the key changes where a block lands, and new
 * SPI blocks land in their Nb's partition until it is full, then anywhere.
 */
#include "alloc_fixture.h"

#include "rsip/spi_dir.h"

static uint64_t mix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void inverse_bijections(void **state)
{
	uint64_t s = 7;

	for (uint32_t bits = 16; bits <= 32; bits++) {
		uint32_t mask = rsip_spi_dir_mask(bits);

		for (int k = 0; k < 8; k++) {
			uint64_t key = mix64(&s);

			for (int i = 0; i < 20000; i++) {
				uint32_t v = (uint32_t)mix64(&s) & mask;
				uint32_t slot = rsip_spi_dir_slot(v, key, bits);

				assert_true(slot <= mask);
				assert_int_equal(rsip_spi_dir_block(slot, key, bits), v);
				assert_int_equal(
				    rsip_spi_dir_slot(rsip_spi_dir_block(v, key, bits), key, bits),
				    v);
			}
		}
	}
}

/* Exhaustively for 16 bits: every slot is hit exactly once. */
static void permutation_16_bits(void **state)
{
	static uint8_t seen[1u << 16];
	uint64_t key = 0x0123456789abcdefull;

	memset(seen, 0, sizeof(seen));
	for (uint32_t b = 0; b < (1u << 16); b++)
		seen[rsip_spi_dir_slot(b, key, 16)]++;
	for (uint32_t i = 0; i < (1u << 16); i++)
		assert_int_equal(seen[i], 1);
}

/* Consecutive blocks do not land on consecutive slots, and another key
 * moves them: the slot says little about neighbouring blocks. */
static void key_scatters(void **state)
{
	uint64_t k1 = 0x1111222233334444ull, k2 = 0x5555666677778888ull;
	int adjacent = 0, same = 0;

	for (uint32_t b = 1000; b < 2000; b++) {
		uint32_t a = rsip_spi_dir_slot(b, k1, 24), c = rsip_spi_dir_slot(b + 1, k1, 24);

		adjacent += a + 1 == c || c + 1 == a;
		same += a == rsip_spi_dir_slot(b, k2, 24);
	}
	assert_true(adjacent < 10);
	assert_true(same < 10);
}

static int fx_block(struct fx *f, uint32_t owner, int nb, uint32_t *block)
{
	struct alloc_txn *t = alloc_txn_begin(f->a);
	uint32_t s[4];
	bool hb = false;
	int err;

	assert_non_null(t);
	err = alloc_spi_any(t, owner, f->nb[nb], 4, s, &hb, block);
	alloc_txn_commit(t);
	if (!err)
		assert_true(hb);
	return err;
}

/* Each Nb's new blocks have slots in its partition; when the partition is
 * full, blocks come from anywhere (the data plane carries those SPIs one by
 * one) and allocation does not fail. */
static void blocks_in_partition(void **state)
{
	enum { PER_NB = 64 };
	struct fx f;
	uint32_t in[3] = {0}, outside = 0;

	fx_init(&f, 3);
	f.cfg.spi_dir_key = 0xfeedface12345678ull;
	f.cfg.spi_dir_slots = 3 * PER_NB;
	f.cfg.spi_dir_per_nb = PER_NB;
	fx_start(&f);
	for (uint32_t owner = 1; owner <= 3 * PER_NB + 30; owner++) {
		int nb = (int)(owner % 3);
		uint32_t block, slot;

		assert_int_equal(fx_block(&f, owner, nb, &block), 0);
		slot = rsip_spi_dir_slot(block, f.cfg.spi_dir_key, 32 - f.cfg.spi_block_shift);
		if (slot / PER_NB == (uint32_t)nb && slot < 3 * PER_NB)
			in[nb]++;
		else
			outside++;
	}
	/* Random probes miss the last free slots now and then; most land. */
	for (int nb = 0; nb < 3; nb++)
		assert_true(in[nb] > PER_NB * 3 / 4 && in[nb] <= PER_NB);
	assert_true(outside >= 30);
	fx_stop(&f);
}

/* Without a directory, blocks are picked as before (anywhere). */
static void no_directory(void **state)
{
	struct fx f;
	uint32_t block;

	fx_init(&f, 1);
	fx_start(&f);
	assert_int_equal(fx_block(&f, 1, 0, &block), 0);
	assert_true(block >= 1);
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(inverse_bijections), cmocka_unit_test(permutation_16_bits),
	    cmocka_unit_test(key_scatters),	  cmocka_unit_test(blocks_in_partition),
	    cmocka_unit_test(no_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
