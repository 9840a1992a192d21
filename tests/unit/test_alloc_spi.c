// SPDX-License-Identifier: BSD-2-Clause
/* SPI allocator (user/rsipd/alloc_spi.c): D13, RFC 3104 6.2. */
#include "alloc_fixture.h"

/* 16 aligned blocks of 16 SPIs: 256..511, blocks 16..31. */
static void fx_small(struct fx *f, size_t n_nb)
{
	fx_init(f, n_nb);
	f->cfg.spi_lo = 256;
	f->cfg.spi_hi = 511;
	f->cfg.spi_block_shift = 4;
}

static void test_single_random(void **state)
{
	struct fx f;
	static uint32_t seen[2000];
	uint32_t spi, blk = 7;
	bool hb = true;

	fx_init(&f, 1);
	fx_start(&f);
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(fx_spi_any(&f, 1 + i % 7, 0, 1, &spi, &hb, &blk), 0);
		assert_false(hb);
		assert_true(spi >= 256);
		for (int k = 0; k < i; k++)
			assert_true(seen[k] != spi);
		seen[i] = spi;
	}
	/* Random, not a counter: the values spread over the range. */
	{
		uint32_t hi = 0;

		for (int i = 0; i < 2000; i++)
			hi = seen[i] > hi ? seen[i] : hi;
		assert_true(hi > 0x80000000u);
	}
	assert_int_equal(fx_usage(&f).spis_used, 2000);
	fx_stop(&f);
}

static void test_block_run(void **state)
{
	struct fx f;
	uint32_t s[256], t[256], blk, blk2;
	bool hb;

	fx_init(&f, 1);
	fx_start(&f);
	assert_int_equal(fx_spi_any(&f, 5, 0, 4, s, &hb, &blk), 0);
	assert_true(hb);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(s[i], s[0] + i);
		assert_int_equal(s[i] >> 8, blk);
	}
	assert_int_equal(alloc_spi_block_owner(f.a, f.nb[0], blk), 5);
	assert_int_equal(fx_usage(&f).blocks_owned, 1);
	/* A second run fits in the block the owner already has. */
	assert_int_equal(fx_spi_any(&f, 5, 0, 100, t, &hb, &blk2), 0);
	assert_true(hb);
	assert_int_equal(blk2, blk);
	for (int i = 0; i < 100; i++)
		assert_int_equal(t[i] >> 8, blk);
	assert_int_equal(fx_usage(&f).blocks_owned, 1);
	/* 152 left in it: a run of 200 needs a new block. */
	assert_int_equal(fx_spi_any(&f, 5, 0, 200, t, &hb, &blk2), 0);
	assert_true(blk2 != blk);
	assert_int_equal(t[199] >> 8, blk2);
	assert_int_equal(fx_usage(&f).blocks_owned, 2);
	/* A whole block is fine, one more than a block never is. */
	assert_int_equal(fx_spi_any(&f, 6, 0, 256, t, &hb, &blk2), 0);
	assert_int_equal(t[0] & 0xff, 0);
	assert_int_equal(fx_spi_any(&f, 6, 0, 257, t, &hb, &blk2), RSIP_E_IPSEC_SPI_UNAVAILABLE);
	/* Someone else's run never shares a block. */
	assert_int_equal(fx_spi_any(&f, 7, 0, 2, t, &hb, &blk2), 0);
	assert_true(blk2 != blk);
	assert_int_equal(alloc_spi_block_owner(f.a, f.nb[0], blk2), 7);
	fx_stop(&f);
}

/* Another owner's singles never land in an owned block; counts are exact. */
static void test_block_exclusive(void **state)
{
	struct fx f;
	uint32_t s[16], spi, blk, b_blk, got = 0;
	bool hb;

	fx_small(&f, 1);
	fx_start(&f);
	assert_int_equal(fx_spi_any(&f, 1, 0, 2, s, &hb, &blk), 0);
	while (fx_spi_any(&f, 2, 0, 1, &spi, &hb, &b_blk) == 0) {
		assert_true(spi >= 256 && spi <= 511);
		assert_true(spi >> 4 != blk);
		got++;
	}
	assert_int_equal(got, 256 - 16);
	assert_int_equal(fx_spi1(&f, 2, 0, (blk << 4) + 5), RSIP_E_IPSEC_SPI_INUSE);
	/* The owner itself still has room in its block, and only there. */
	assert_int_equal(fx_spi_any(&f, 1, 0, 14, s, &hb, &b_blk), 0);
	assert_int_equal(b_blk, blk);
	assert_int_equal(fx_spi_any(&f, 1, 0, 2, s, &hb, &b_blk), RSIP_E_IPSEC_SPI_UNAVAILABLE);
	assert_int_equal(fx_spi_any(&f, 1, 0, 1, s, &hb, &b_blk), RSIP_E_IPSEC_SPI_UNAVAILABLE);
	/* Every other block holds singles of owner 2: no free block. */
	assert_int_equal(fx_spi_any(&f, 3, 0, 2, s, &hb, &b_blk), RSIP_E_IPSEC_SPI_UNAVAILABLE);
	fx_stop(&f);
}

/* 402 exactly when nothing is left, through random probes and through the
 * exact scan (a constant "random" source makes every probe miss). */
static void test_singles_exhaustion(void **state)
{
	for (int mode = 0; mode < 2; mode++) {
		struct fx f;
		uint32_t spi, blk;
		bool hb;
		static bool seen[100];

		fx_init(&f, 1);
		f.cfg.spi_lo = 256;
		f.cfg.spi_hi = 355;
		f.cfg.spi_block_shift = 4;
		f.rng_const = mode == 1;
		f.rng_value = 0x12345678;
		fx_start(&f);
		memset(seen, 0, sizeof(seen));
		for (int i = 0; i < 100; i++) {
			assert_int_equal(fx_spi_any(&f, 1 + i % 3, 0, 1, &spi, &hb, &blk), 0);
			assert_true(spi >= 256 && spi <= 355);
			assert_false(seen[spi - 256]);
			seen[spi - 256] = true;
		}
		assert_int_equal(fx_spi_any(&f, 9, 0, 1, &spi, &hb, &blk),
				 RSIP_E_IPSEC_SPI_UNAVAILABLE);
		fx_stop(&f);
	}
}

/* Blocks run out exactly; partial blocks at the range edges take singles
 * but never runs. */
static void test_block_exhaustion(void **state)
{
	for (int mode = 0; mode < 2; mode++) {
		struct fx f;
		uint32_t s[2], spi, blk;
		bool hb;
		int singles = 0;

		fx_init(&f, 1);
		f.cfg.spi_lo = 260; /* 260..271 partial, 272..511 15 blocks, 512..515 */
		f.cfg.spi_hi = 515;
		f.cfg.spi_block_shift = 4;
		f.rng_const = mode == 1;
		fx_start(&f);
		for (uint32_t o = 1; o <= 15; o++) {
			assert_int_equal(fx_spi_any(&f, o, 0, 2, s, &hb, &blk), 0);
			assert_true(blk >= 17 && blk <= 31);
		}
		assert_int_equal(fx_spi_any(&f, 16, 0, 2, s, &hb, &blk),
				 RSIP_E_IPSEC_SPI_UNAVAILABLE);
		while (fx_spi_any(&f, 16, 0, 1, &spi, &hb, &blk) == 0) {
			assert_true((spi >= 260 && spi <= 271) || (spi >= 512 && spi <= 515));
			singles++;
		}
		assert_int_equal(singles, 16);
		/* An owner with a block can still take singles in it. */
		assert_int_equal(fx_spi_any(&f, 1, 0, 1, &spi, &hb, &blk), 0);
		fx_stop(&f);
	}
}

static void test_specific(void **state)
{
	struct fx f;
	uint32_t s[2], blk, two[2] = {400, 300}, dup[2] = {401, 401};
	bool hb;
	struct in_addr other = {htonl(0xc0000201)};
	struct alloc_txn *t;

	fx_small(&f, 2);
	fx_start(&f);
	assert_int_equal(fx_spi1(&f, 1, 0, 300), 0);
	assert_int_equal(fx_spi1(&f, 2, 0, 300), RSIP_E_IPSEC_SPI_INUSE);
	assert_int_equal(fx_spi1(&f, 1, 0, 300), RSIP_E_IPSEC_SPI_INUSE);
	/* Unique per Nb only. */
	assert_int_equal(fx_spi1(&f, 2, 1, 300), 0);
	/* Out of range. */
	assert_int_equal(fx_spi1(&f, 2, 0, 255), RSIP_E_IPSEC_SPI_INUSE);
	assert_int_equal(fx_spi1(&f, 2, 0, 512), RSIP_E_IPSEC_SPI_INUSE);
	assert_int_equal(fx_spi1(&f, 2, 0, 0), RSIP_E_IPSEC_SPI_INUSE);
	/* All or nothing: 400 is not taken when 300 is refused. */
	assert_int_equal(fx_spi_specific(&f, 2, 0, two, 2), RSIP_E_IPSEC_SPI_INUSE);
	assert_int_equal(fx_spi1(&f, 3, 0, 400), 0);
	assert_int_equal(fx_spi_specific(&f, 2, 0, dup, 2), RSIP_E_IPSEC_SPI_INUSE);
	assert_int_equal(fx_usage(&f).spis_used, 3);
	/* Inside someone else's block: 403; inside one's own: fine. */
	assert_int_equal(fx_spi_any(&f, 4, 0, 2, s, &hb, &blk), 0);
	assert_int_equal(fx_spi1(&f, 5, 0, (blk << 4) + 9), RSIP_E_IPSEC_SPI_INUSE);
	assert_int_equal(fx_spi1(&f, 4, 0, (blk << 4) + 9), 0);
	/* Held back after release, free after holdback_ms. */
	alloc_spi_release(f.a, 1, f.nb[0], (uint32_t[]){300}, 1);
	assert_int_equal(fx_usage(&f).spis_held, 1);
	f.now += FX_HOLD - 1;
	assert_int_equal(fx_spi1(&f, 2, 0, 300), RSIP_E_IPSEC_SPI_INUSE);
	f.now += 1;
	assert_int_equal(fx_spi1(&f, 2, 0, 300), 0);
	t = alloc_txn_begin(f.a);
	assert_int_equal(alloc_spi_specific(t, 1, other, two, 1), RSIP_E_LOCAL_ADDR_UNALLOWED);
	assert_int_equal(alloc_spi_any(t, 1, other, 1, s, &hb, &blk), RSIP_E_LOCAL_ADDR_UNALLOWED);
	alloc_txn_commit(t);
	fx_stop(&f);
}

/* A block goes back (held) when its owner holds no SPI in it, reported by
 * alloc_spi_release_blocks, and nobody gets into it before holdback_ms. */
static void test_block_release(void **state)
{
	struct fx f;
	uint32_t s[4], t[2], blk, blk2, freed[4], mine;
	bool hb;

	fx_init(&f, 1);
	f.cfg.spi_lo = 256;
	f.cfg.spi_hi = 271; /* one block */
	f.cfg.spi_block_shift = 4;
	fx_start(&f);
	assert_int_equal(fx_spi_any(&f, 1, 0, 4, s, &hb, &blk), 0);
	assert_int_equal(blk, 16);
	/* A specific SPI of the same owner inside its block counts too. */
	mine = 270;
	assert_int_equal(fx_spi1(&f, 1, 0, mine), 0);
	assert_int_equal(alloc_spi_release_blocks(f.a, 1, f.nb[0], s, 4, freed, 4), 0);
	assert_int_equal(alloc_spi_block_owner(f.a, f.nb[0], blk), 1);
	assert_int_equal(alloc_spi_release_blocks(f.a, 1, f.nb[0], &mine, 1, freed, 4), 1);
	assert_int_equal(freed[0], blk);
	assert_int_equal(alloc_spi_block_owner(f.a, f.nb[0], blk), 0);
	assert_int_equal(fx_usage(&f).blocks_owned, 0);
	assert_int_equal(fx_usage(&f).blocks_held, 1);
	assert_int_equal(fx_usage(&f).spis_held, 5);
	/* Held: no run, no single, not even an SPI never used, not even for
	 * the old owner. */
	f.now += FX_HOLD - 1;
	assert_int_equal(fx_spi_any(&f, 2, 0, 2, t, &hb, &blk2), RSIP_E_IPSEC_SPI_UNAVAILABLE);
	assert_int_equal(fx_spi_any(&f, 2, 0, 1, t, &hb, &blk2), RSIP_E_IPSEC_SPI_UNAVAILABLE);
	assert_int_equal(fx_spi1(&f, 2, 0, 265), RSIP_E_IPSEC_SPI_INUSE);
	assert_int_equal(fx_spi1(&f, 1, 0, 265), RSIP_E_IPSEC_SPI_INUSE);
	f.now += 1;
	assert_int_equal(fx_spi_any(&f, 2, 0, 2, t, &hb, &blk2), 0);
	assert_int_equal(blk2, blk);
	assert_int_equal(fx_usage(&f).blocks_held, 0);
	assert_int_equal(fx_usage(&f).spis_held, 0);
	/* Releasing what one does not hold changes nothing. */
	alloc_spi_release(f.a, 1, f.nb[0], t, 2);
	assert_int_equal(alloc_spi_block_owner(f.a, f.nb[0], blk), 2);
	assert_int_equal(fx_usage(&f).spis_used, 2);
	fx_stop(&f);
}

/* The exact scan (what runs when random probes keep missing) obeys the
 * same rules as the probes: held blocks and other owners' blocks are out,
 * one's own block is in. A constant random source of 0 makes every probe
 * hit SPI 256 and every pick take the lowest candidate. */
static void test_scan_respects_blocks(void **state)
{
	struct fx f;
	uint32_t s[2], spi, blk;
	bool hb;

	fx_init(&f, 1);
	f.cfg.spi_lo = 256;
	f.cfg.spi_hi = 303; /* blocks 16, 17, 18 */
	f.cfg.spi_block_shift = 4;
	f.rng_const = true;
	f.rng_value = 0;
	fx_start(&f);
	assert_int_equal(fx_spi_any(&f, 1, 0, 2, s, &hb, &blk), 0);
	assert_int_equal(blk, 16);
	assert_int_equal(fx_spi_any(&f, 2, 0, 2, s, &hb, &blk), 0);
	assert_int_equal(blk, 17); /* found by the scan: 16 has a record */
	alloc_spi_release(f.a, 1, f.nb[0], (uint32_t[]){256, 257}, 2);
	assert_int_equal(fx_usage(&f).blocks_held, 1);
	assert_int_equal(fx_spi_any(&f, 3, 0, 1, &spi, &hb, &blk), 0);
	assert_int_equal(spi, 288); /* not in held 16, not in owner 2's 17 */
	assert_int_equal(fx_spi_any(&f, 2, 0, 1, &spi, &hb, &blk), 0);
	assert_int_equal(spi, 274); /* owner 2's own block is fine */
	fx_stop(&f);
}

static void test_spi_cap(void **state)
{
	struct fx f;
	uint32_t s[9], blk;
	bool hb;

	fx_init(&f, 2);
	f.cfg.max_spis_per_client = 8;
	fx_start(&f);
	assert_int_equal(fx_spi_any(&f, 1, 0, 9, s, &hb, &blk), RSIP_E_IPSEC_SPI_UNAVAILABLE);
	assert_int_equal(fx_spi_any(&f, 1, 0, 7, s, &hb, &blk), 0);
	assert_int_equal(fx_spi_any(&f, 1, 1, 1, s + 7, &hb, &blk), 0);
	assert_int_equal(fx_spi_any(&f, 1, 0, 1, s, &hb, &blk), RSIP_E_IPSEC_SPI_UNAVAILABLE);
	assert_int_equal(fx_spi1(&f, 1, 0, 1000), RSIP_E_IPSEC_SPI_UNAVAILABLE);
	assert_int_equal(fx_spi1(&f, 2, 0, 1000), 0);
	fx_stop(&f);
}

/* Released SPIs count against their owner until their hold-back is over,
 * and a block that went back counts as spi_block SPIs: an owner taking and
 * freeing blocks in a loop is stopped by its cap, not by an empty pool. */
static void test_spi_cap_counts_holdback(void **state)
{
	struct fx f;
	uint32_t s[4], blk;
	bool hb;
	int granted = 0;

	fx_init(&f, 1);
	f.cfg.spi_block_shift = 4; /* blocks of 16 */
	f.cfg.max_spis_per_client = 64;
	fx_start(&f);
	for (int i = 0; i < 50; i++) {
		int rc = fx_spi_any(&f, 1, 0, 4, s, &hb, &blk);

		if (rc) {
			assert_int_equal(rc, RSIP_E_IPSEC_SPI_UNAVAILABLE);
			continue;
		}
		granted++;
		alloc_spi_release(f.a, 1, f.nb[0], s, 4);
	}
	/* Each cycle holds 4 SPIs and one block of 16 (20): the fourth starts at
	 * 60 + 4 <= 64, the fifth at 80. */
	assert_int_equal(granted, 4);
	assert_int_equal(fx_usage(&f).blocks_held, 4);
	assert_int_equal(fx_spi_any(&f, 2, 0, 4, s, &hb, &blk), 0);
	assert_int_equal(alloc_selfcheck(f.a), 0);
	f.now += FX_HOLD;
	assert_int_equal(fx_spi_any(&f, 1, 0, 4, s, &hb, &blk), 0);
	fx_stop(&f);
}

/* Brute force on a small space: random runs, singles, specifics and
 * releases by five owners on two Nb, with time passing. A shadow table
 * checks that no SPI ever has two live owners, that runs stay in one block,
 * and that nobody's SPI sits in a block owned by someone else. */
static void test_uniqueness(void **state)
{
	struct fx f;
	static uint32_t shadow[2][256];
	uint32_t s[8], blk, granted = 0, refused = 0;
	bool hb;

	fx_small(&f, 2);
	fx_start(&f);
	memset(shadow, 0, sizeof(shadow));
	for (int step = 0; step < 30000; step++) {
		uint32_t r = fx_rand(&f), owner = 1 + r % 5, nb = (r >> 3) & 1, op = (r >> 4) % 5;
		uint16_t k = 1 + (r >> 7) % 6;
		int err;

		f.now += (r >> 10) % 200;
		if (op <= 1) {
			err = fx_spi_any(&f, owner, (int)nb, op ? k : 1, s, &hb, &blk);
			if (err) {
				assert_int_equal(err, RSIP_E_IPSEC_SPI_UNAVAILABLE);
				refused++;
				continue;
			}
			granted++;
			for (int i = 0; i < (op ? k : 1); i++) {
				assert_int_equal(shadow[nb][s[i] - 256], 0);
				shadow[nb][s[i] - 256] = owner;
				if (op && k > 1)
					assert_int_equal(s[i] >> 4, blk);
			}
		} else if (op == 2) {
			uint32_t spi = 256 + (r >> 12) % 256;

			if (fx_spi1(&f, owner, (int)nb, spi) == 0) {
				assert_int_equal(shadow[nb][spi - 256], 0);
				shadow[nb][spi - 256] = owner;
			}
		} else {
			/* Mostly by the real owner; now and then by someone
			 * else, which must change nothing. */
			uint32_t spi = 256 + (r >> 12) % 256, by = shadow[nb][spi - 256];

			if (!by || (r >> 20) % 8 == 0)
				by = owner;
			alloc_spi_release(f.a, by, f.nb[nb], &spi, 1);
			if (shadow[nb][spi - 256] == by)
				shadow[nb][spi - 256] = 0;
		}
		for (uint32_t n = 0; n < 2; n++)
			for (uint32_t i = 0; i < 256; i++) {
				uint32_t bo = alloc_spi_block_owner(f.a, f.nb[n], (256 + i) >> 4);

				if (shadow[n][i] && bo)
					assert_int_equal(bo, shadow[n][i]);
			}
		if (step % 1000 == 0)
			assert_int_equal(alloc_selfcheck(f.a), 0);
	}
	/* Both outcomes were exercised. */
	assert_true(granted > 1000 && refused > 100);
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_random),
	    cmocka_unit_test(test_block_run),
	    cmocka_unit_test(test_block_exclusive),
	    cmocka_unit_test(test_singles_exhaustion),
	    cmocka_unit_test(test_block_exhaustion),
	    cmocka_unit_test(test_specific),
	    cmocka_unit_test(test_block_release),
	    cmocka_unit_test(test_spi_cap),
	    cmocka_unit_test(test_spi_cap_counts_holdback),
	    cmocka_unit_test(test_scan_respects_blocks),
	    cmocka_unit_test(test_uniqueness),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
