// SPDX-License-Identifier: BSD-2-Clause
/* Transactions (user/rsipd/alloc_txn.c): abort leaves no trace. */
#include "alloc_fixture.h"

static const struct in_addr ANY = {INADDR_ANY};

static void twin_cfg(struct fx *f)
{
	fx_init(f, 3);
	f->cfg.port_lo = 2000;
	f->cfg.port_hi = 2099;
	f->cfg.spi_lo = 256;
	f->cfg.spi_hi = 767; /* 32 blocks of 16 */
	f->cfg.spi_block_shift = 4;
}

/* The same state on both twins: owner 1 has ports and a block. */
static void twin_populate(struct fx *f)
{
	uint16_t p[5];
	uint32_t s[3], blk;
	bool hb;

	assert_int_equal(fx_ports_any(f, 1, 0, 5, p), 0);
	assert_int_equal(fx_spi_any(f, 1, 1, 3, s, &hb, &blk), 0);
	assert_int_equal(fx_spi_any(f, 2, 1, 1, s, &hb, &blk), 0);
	alloc_ports_release(f->a, 1, f->nb[0], p, 1); /* one held back */
}

/* One step of a random workload; writes what it got into out[]. */
static int twin_step(struct fx *f, uint32_t r, uint32_t *out)
{
	uint32_t owner = 1 + r % 4, nb = (r >> 2) % 3, blk = 0;
	uint16_t p[8] = {0}, n = 1 + (r >> 4) % 8;
	uint32_t s[8] = {0};
	bool hb = false;
	struct in_addr got = {0};
	int err;

	switch ((r >> 8) % 5) {
	case 0:
		err = fx_ports_any(f, owner, (int)nb, n, p);
		for (int i = 0; i < 8; i++)
			out[i] = p[i];
		return err;
	case 1:
		return fx_port1(f, owner, (int)nb, (uint16_t)(2000 + (r >> 12) % 100));
	case 2:
		err = fx_spi_any(f, owner, (int)nb, n, s, &hb, &blk);
		memcpy(out, s, sizeof(s));
		out[8] = hb;
		out[9] = blk;
		return err;
	case 3:
		return fx_spi1(f, owner, (int)nb, 256 + (r >> 12) % 512);
	default:
		err = fx_whole(f, owner, ANY, &got);
		out[0] = got.s_addr;
		return err;
	}
}

/* A transaction that takes one of everything, aborted: the usage counters
 * and every later allocation are those of a twin that never tried (given
 * the same random draws). */
static void test_abort_no_trace(void **state)
{
	struct fx fa, fb;
	struct alloc_txn *t;
	struct alloc_usage ua, ub;
	struct in_addr got;
	uint16_t p[10], two[2] = {2050, 2051};
	uint32_t s[4], blk, one = 300, granted = 0, refused = 0;
	bool hb;

	twin_cfg(&fa);
	twin_cfg(&fb);
	fx_start(&fa);
	fx_start(&fb);
	twin_populate(&fa);
	twin_populate(&fb);

	t = alloc_txn_begin(fa.a);
	assert_non_null(t);
	assert_null(alloc_txn_begin(fa.a)); /* one at a time */
	assert_int_equal(alloc_addr_whole(t, 3, ANY, &got), 0);
	assert_int_equal(got.s_addr, fa.nb[2].s_addr);
	assert_int_equal(alloc_ports_any(t, 3, fa.nb[0], 10, p), 0);
	assert_int_equal(alloc_ports_specific(t, 3, fa.nb[0], two, 2), 0);
	assert_int_equal(alloc_spi_any(t, 3, fa.nb[1], 4, s, &hb, &blk), 0);
	assert_int_equal(alloc_spi_any(t, 3, fa.nb[1], 1, s, &hb, &blk), 0);
	assert_int_equal(alloc_spi_specific(t, 3, fa.nb[1], &one, 1), 0);
	/* Owner 1 reuses its committed block inside the transaction. */
	assert_int_equal(alloc_spi_any(t, 1, fa.nb[1], 2, s, &hb, &blk), 0);
	/* A failing call inside the transaction changes nothing either. */
	assert_int_equal(alloc_ports_any(t, 3, fa.nb[0], 100, p),
			 RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	alloc_usage(fa.a, &ua);
	assert_int_equal(ua.addrs_whole, 1);
	assert_int_equal(ua.ports_used, 4 + 12);
	alloc_txn_abort(t);

	alloc_usage(fa.a, &ua);
	alloc_usage(fb.a, &ub);
	assert_memory_equal(&ua, &ub, sizeof(ua));
	assert_int_equal(ua.ports_held, 1);
	assert_int_equal(ua.spis_held, 0);
	assert_int_equal(ua.blocks_held, 0);
	assert_int_equal(alloc_selfcheck(fa.a), 0);
	/* Nothing was held back: the same ports are free right away. */
	assert_int_equal(fx_ports_specific(&fa, 4, 0, two, 2), 0);
	assert_int_equal(fx_ports_specific(&fb, 4, 0, two, 2), 0);

	/* Same random draws from here on: identical answers. */
	fa.seed = fb.seed;
	for (int step = 0; step < 3000; step++) {
		uint32_t r = fx_rand(&fb), oa[10] = {0}, ob[10] = {0};
		int err;

		(void)fx_rand(&fa);
		fa.now = fb.now += (r >> 20) % 300;
		err = twin_step(&fa, r, oa);
		assert_int_equal(err, twin_step(&fb, r, ob));
		assert_memory_equal(oa, ob, sizeof(oa));
		if (err)
			refused++;
		else
			granted++;
		if (step % 7 == 0) { /* free something now and then */
			uint16_t port = (uint16_t)(2000 + r % 100);
			uint32_t spi = 256 + (r >> 7) % 512;

			for (int i = 0; i < 2; i++) {
				struct fx *f = i ? &fb : &fa;

				alloc_ports_release(f->a, 1 + r % 4, f->nb[r % 3], &port, 1);
				alloc_spi_release(f->a, 1 + r % 4, f->nb[(r >> 3) % 3], &spi, 1);
				alloc_addr_whole_release(f->a, 1 + r % 4, f->nb[r % 3]);
			}
		}
	}
	alloc_usage(fa.a, &ua);
	alloc_usage(fb.a, &ub);
	assert_memory_equal(&ua, &ub, sizeof(ua));
	assert_true(granted > 300 && refused > 300);
	fx_stop(&fa);
	fx_stop(&fb);
}

static void test_commit_keeps(void **state)
{
	struct fx f;
	struct alloc_txn *t;
	uint16_t p[3];
	uint32_t s[2], blk;
	bool hb;

	twin_cfg(&f);
	fx_start(&f);
	t = alloc_txn_begin(f.a);
	assert_int_equal(alloc_ports_any(t, 1, f.nb[0], 3, p), 0);
	assert_int_equal(alloc_spi_any(t, 1, f.nb[0], 2, s, &hb, &blk), 0);
	alloc_txn_commit(t);
	assert_int_equal(fx_usage(&f).ports_used, 3);
	assert_int_equal(fx_usage(&f).spis_used, 2);
	assert_int_equal(alloc_spi_block_owner(f.a, f.nb[0], blk), 1);
	/* Outside a transaction: refused, nothing taken. */
	assert_int_equal(alloc_ports_any(NULL, 1, f.nb[0], 1, p), RSIP_E_INTERNAL_SERVER_ERROR);
	alloc_txn_abort(NULL);
	alloc_txn_commit(NULL);
	assert_int_equal(fx_usage(&f).ports_used, 3);
	fx_stop(&f);
}

/* Releases inside a transaction are real releases: abort does not bring
 * back what was released, and does not resurrect what it took and then
 * released either. */
static void test_release_inside(void **state)
{
	struct fx f;
	struct alloc_txn *t;
	uint16_t p[1];
	uint32_t s1[1], s2[2], blk, blk2;
	bool hb;

	twin_cfg(&f);
	fx_start(&f);
	/* Owner 1 has a block (committed), holding s1. */
	t = alloc_txn_begin(f.a);
	assert_int_equal(alloc_spi_any(t, 1, f.nb[0], 2, s2, &hb, &blk), 0);
	alloc_txn_commit(t);
	alloc_spi_release(f.a, 1, f.nb[0], &s2[1], 1);
	s1[0] = s2[0];

	t = alloc_txn_begin(f.a);
	assert_int_equal(alloc_ports_any(t, 1, f.nb[0], 1, p), 0);
	alloc_ports_release(f.a, 1, f.nb[0], p, 1);
	/* A run in the same block, then the old SPI released. */
	assert_int_equal(alloc_spi_any(t, 1, f.nb[0], 2, s2, &hb, &blk2), 0);
	assert_int_equal(blk2, blk);
	alloc_spi_release(f.a, 1, f.nb[0], s1, 1);
	assert_int_equal(alloc_spi_block_owner(f.a, f.nb[0], blk), 1);
	alloc_txn_abort(t);
	/* The port stays held back; the block, left with held SPIs only,
	 * went back to the pool (held back). */
	assert_int_equal(fx_usage(&f).ports_used, 0);
	assert_int_equal(fx_usage(&f).ports_held, 1);
	assert_int_equal(fx_usage(&f).spis_used, 0);
	assert_int_equal(fx_usage(&f).spis_held, 2);
	assert_int_equal(alloc_spi_block_owner(f.a, f.nb[0], blk), 0);
	assert_int_equal(fx_usage(&f).blocks_held, 1);
	assert_int_equal(alloc_selfcheck(f.a), 0);
	f.now += FX_HOLD;
	alloc_expire(f.a);
	assert_int_equal(fx_usage(&f).ports_held, 0);
	assert_int_equal(fx_usage(&f).spis_held, 0);
	assert_int_equal(fx_usage(&f).blocks_held, 0);
	fx_stop(&f);
}

/* After a restart the daemon takes its bindings back, blocks included. */
static void test_restore_spis(void **state)
{
	struct fx f;
	struct alloc_txn *t;
	uint32_t run[3] = {0x1000, 0x1001, 0x1002}, more[1] = {0x10ff}, split[2] = {0x20ff, 0x2100},
		 s[2], blk;
	bool hb;

	fx_init(&f, 1);
	fx_start(&f);
	t = alloc_txn_begin(f.a);
	assert_int_equal(alloc_spi_restore(t, 1, f.nb[0], run, 3, true), 0);
	assert_int_equal(alloc_spi_restore(t, 1, f.nb[0], more, 1, true), 0);
	assert_int_equal(alloc_spi_restore(t, 2, f.nb[0], split, 2, true), RSIP_E_IPSEC_SPI_INUSE);
	assert_int_equal(alloc_spi_restore(t, 2, f.nb[0], (uint32_t[]){0x1010}, 1, true),
			 RSIP_E_IPSEC_SPI_INUSE);
	assert_int_equal(alloc_spi_restore(t, 2, f.nb[0], (uint32_t[]){0x3000}, 1, false), 0);
	alloc_txn_commit(t);
	assert_int_equal(alloc_spi_block_owner(f.a, f.nb[0], 0x10), 1);
	assert_int_equal(alloc_spi_block_owner(f.a, f.nb[0], 0x30), 0);
	assert_int_equal(fx_usage(&f).blocks_owned, 1);
	assert_int_equal(fx_spi1(&f, 2, 0, 0x1005), RSIP_E_IPSEC_SPI_INUSE);
	/* The owner's next run goes into its restored block. */
	assert_int_equal(fx_spi_any(&f, 1, 0, 2, s, &hb, &blk), 0);
	assert_true(hb);
	assert_int_equal(blk, 0x10);
	assert_int_equal(s[0], 0x1003);
	assert_int_equal(s[1], 0x1004);
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_abort_no_trace),
	    cmocka_unit_test(test_commit_keeps),
	    cmocka_unit_test(test_release_inside),
	    cmocka_unit_test(test_restore_spis),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
