// SPDX-License-Identifier: BSD-2-Clause
/* Nb pool (user/rsipd/alloc_addr.c): RSA-IP whole leases vs shared use. */
#include "alloc_fixture.h"

static const struct in_addr ANY = {INADDR_ANY};

static void test_whole_any(void **state)
{
	struct fx f;
	struct in_addr got[3];

	fx_init(&f, 3);
	fx_start(&f);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fx_whole(&f, 10 + i, ANY, &got[i]), 0);
		for (int k = 0; k < i; k++)
			assert_true(got[k].s_addr != got[i].s_addr);
	}
	assert_int_equal(fx_usage(&f).addrs_whole, 3);
	/* 308 exactly when the pool is empty. */
	assert_int_equal(fx_whole(&f, 20, ANY, &got[0]), RSIP_E_LOCAL_ADDR_UNAVAILABLE);
	fx_stop(&f);
}

static void test_whole_specific(void **state)
{
	struct fx f;
	struct in_addr got, stranger = {htonl(0xcb007101)};

	fx_init(&f, 2);
	fx_start(&f);
	assert_int_equal(fx_whole(&f, 1, stranger, &got), RSIP_E_LOCAL_ADDR_UNALLOWED);
	assert_int_equal(fx_whole(&f, 1, f.nb[1], &got), 0);
	assert_int_equal(got.s_addr, f.nb[1].s_addr);
	assert_int_equal(fx_whole(&f, 2, f.nb[1], &got), RSIP_E_LOCAL_ADDR_INUSE);
	assert_int_equal(fx_whole(&f, 1, f.nb[1], &got), RSIP_E_LOCAL_ADDR_INUSE);
	/* Held back after release, for everyone, then free. */
	alloc_addr_whole_release(f.a, 2, f.nb[1]); /* not the holder: no effect */
	assert_int_equal(fx_usage(&f).addrs_whole, 1);
	alloc_addr_whole_release(f.a, 1, f.nb[1]);
	assert_int_equal(fx_usage(&f).addrs_whole, 0);
	f.now += FX_HOLD - 1;
	assert_int_equal(fx_whole(&f, 2, f.nb[1], &got), RSIP_E_LOCAL_ADDR_INUSE);
	assert_int_equal(fx_whole(&f, 2, ANY, &got), 0);
	assert_int_equal(got.s_addr, f.nb[0].s_addr); /* the held one is skipped */
	f.now += 1;
	assert_int_equal(fx_whole(&f, 3, f.nb[1], &got), 0);
	fx_stop(&f);
}

/* An address with shared users is never leased whole, and the other way
 * round; held-back ports and SPIs count as users (TIME_WAIT). */
static void test_whole_vs_shared(void **state)
{
	struct fx f;
	struct in_addr got;
	uint16_t port;
	uint32_t spi, blk;
	bool hb;
	struct alloc_txn *t;

	fx_init(&f, 2);
	fx_start(&f);
	assert_int_equal(fx_ports_any(&f, 1, 0, 1, &port), 0);
	assert_int_equal(fx_spi_any(&f, 1, 1, 1, &spi, &hb, &blk), 0);
	assert_int_equal(fx_whole(&f, 2, f.nb[0], &got), RSIP_E_LOCAL_ADDR_INUSE);
	assert_int_equal(fx_whole(&f, 2, f.nb[1], &got), RSIP_E_LOCAL_ADDR_INUSE);
	assert_int_equal(fx_whole(&f, 2, ANY, &got), RSIP_E_LOCAL_ADDR_UNAVAILABLE);
	alloc_ports_release(f.a, 1, f.nb[0], &port, 1);
	alloc_spi_release(f.a, 1, f.nb[1], &spi, 1);
	assert_int_equal(fx_whole(&f, 2, ANY, &got), RSIP_E_LOCAL_ADDR_UNAVAILABLE);
	f.now += FX_HOLD;
	assert_int_equal(fx_whole(&f, 2, f.nb[0], &got), 0);
	/* Now shared use of nb[0] is refused: ports, SPIs, and picking it. */
	assert_int_equal(fx_ports_any(&f, 3, 0, 1, &port), RSIP_E_LOCAL_ADDR_INUSE);
	assert_int_equal(fx_port1(&f, 3, 0, 5000), RSIP_E_LOCAL_ADDR_INUSE);
	assert_int_equal(fx_spi_any(&f, 3, 0, 1, &spi, &hb, &blk), RSIP_E_LOCAL_ADDR_INUSE);
	assert_int_equal(fx_spi1(&f, 3, 0, 5000), RSIP_E_LOCAL_ADDR_INUSE);
	assert_int_equal(fx_spi_any(&f, 2, 0, 1, &spi, &hb, &blk), RSIP_E_LOCAL_ADDR_INUSE);
	assert_int_equal(alloc_addr_shared(f.a, 3, f.nb[0], 1, 0, &got), RSIP_E_LOCAL_ADDR_INUSE);
	assert_int_equal(alloc_addr_shared(f.a, 3, ANY, 1, 1, &got), 0);
	assert_int_equal(got.s_addr, f.nb[1].s_addr);
	/* Whole lease over and held back: still no shared use. */
	alloc_addr_whole_release(f.a, 2, f.nb[0]);
	assert_int_equal(fx_ports_any(&f, 3, 0, 1, &port), RSIP_E_LOCAL_ADDR_INUSE);
	f.now += FX_HOLD;
	assert_int_equal(fx_ports_any(&f, 3, 0, 1, &port), 0);
	t = alloc_txn_begin(f.a);
	assert_int_equal(alloc_addr_whole(t, 0, ANY, &got), RSIP_E_INTERNAL_SERVER_ERROR);
	alloc_txn_commit(t);
	fx_stop(&f);
}

static void test_shared_pick(void **state)
{
	struct fx f;
	struct in_addr got, stranger = {htonl(0xcb007101)};
	uint16_t p[8];
	uint32_t s[4], blk;
	bool hb;

	fx_init(&f, 3);
	fx_start(&f);
	assert_int_equal(alloc_addr_shared(f.a, 1, stranger, 1, 0, &got),
			 RSIP_E_LOCAL_ADDR_UNALLOWED);
	assert_int_equal(alloc_addr_shared(f.a, 1, f.nb[2], 1, 0, &got), 0);
	assert_int_equal(got.s_addr, f.nb[2].s_addr);
	/* Least loaded: one client each on nb 0 and 1, nb 2 is empty. */
	assert_int_equal(fx_ports_any(&f, 1, 0, 1, p), 0);
	assert_int_equal(fx_spi_any(&f, 2, 1, 1, s, &hb, &blk), 0);
	assert_int_equal(alloc_addr_shared(f.a, 3, ANY, 1, 1, &got), 0);
	assert_int_equal(got.s_addr, f.nb[2].s_addr);
	/* But an owner goes back to the address it already uses, so that
	 * its IKE port and its SPIs meet on one Nb. */
	assert_int_equal(alloc_addr_shared(f.a, 2, ANY, 1, 4, &got), 0);
	assert_int_equal(got.s_addr, f.nb[1].s_addr);
	assert_int_equal(alloc_addr_shared(f.a, 1, ANY, 0, 4, &got), 0);
	assert_int_equal(got.s_addr, f.nb[0].s_addr);
	/* Takes nothing by itself. */
	assert_int_equal(fx_usage(&f).ports_used, 1);
	assert_int_equal(fx_usage(&f).spis_used, 1);
	fx_stop(&f);
}

/* The errors of a pick that nothing can satisfy. */
static void test_shared_errors(void **state)
{
	struct fx f;
	struct in_addr got;
	uint16_t p[10];
	uint32_t s[2], blk;
	bool hb;

	fx_init(&f, 2);
	f.cfg.port_lo = 2000;
	f.cfg.port_hi = 2009;
	f.cfg.spi_lo = 256;
	f.cfg.spi_hi = 271; /* one block */
	f.cfg.spi_block_shift = 4;
	fx_start(&f);
	assert_int_equal(alloc_addr_shared(f.a, 1, ANY, 11, 0, &got),
			 RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	assert_int_equal(alloc_addr_shared(f.a, 1, ANY, 10, 17, &got),
			 RSIP_E_IPSEC_SPI_UNAVAILABLE);
	assert_int_equal(fx_ports_any(&f, 1, 0, 10, p), 0);
	assert_int_equal(fx_spi_any(&f, 2, 1, 2, s, &hb, &blk), 0);
	/* nb 0 has no ports left, nb 1 no free block. */
	assert_int_equal(alloc_addr_shared(f.a, 3, ANY, 1, 0, &got), 0);
	assert_int_equal(got.s_addr, f.nb[1].s_addr);
	assert_int_equal(alloc_addr_shared(f.a, 3, ANY, 0, 2, &got), 0);
	assert_int_equal(got.s_addr, f.nb[0].s_addr);
	assert_int_equal(alloc_addr_shared(f.a, 3, ANY, 1, 2, &got), RSIP_E_IPSEC_SPI_UNAVAILABLE);
	/* Owner 2 still has room in its own block for a run. */
	assert_int_equal(alloc_addr_shared(f.a, 2, ANY, 1, 2, &got), 0);
	assert_int_equal(got.s_addr, f.nb[1].s_addr);
	alloc_ports_release(f.a, 1, f.nb[0], p, 10);
	alloc_spi_release(f.a, 2, f.nb[1], s, 2);
	f.now += FX_HOLD;
	assert_int_equal(fx_whole(&f, 5, ANY, &got), 0);
	assert_int_equal(fx_whole(&f, 6, ANY, &got), 0);
	assert_int_equal(alloc_addr_shared(f.a, 3, ANY, 1, 0, &got), RSIP_E_LOCAL_ADDR_UNAVAILABLE);
	fx_stop(&f);
}

static void test_bad_config(void **state)
{
	struct fx f;

	fx_init(&f, 2);
	f.nb[1] = f.nb[0];
	assert_null(alloc_new(&f.cfg)); /* listed twice */
	fx_init(&f, 0);
	assert_null(alloc_new(&f.cfg));
	fx_init(&f, 1);
	f.cfg.spi_lo = 100;
	assert_null(alloc_new(&f.cfg));
	fx_init(&f, 1);
	f.cfg.spi_block_shift = 17; /* blocks of 131072 */
	assert_null(alloc_new(&f.cfg));
	fx_init(&f, 1);
	f.cfg.port_lo = 3000;
	f.cfg.port_hi = 2000;
	assert_null(alloc_new(&f.cfg));
	/* Zeroes take the defaults. */
	fx_init(&f, 1);
	f.cfg.port_lo = f.cfg.port_hi = 0;
	f.cfg.spi_lo = f.cfg.spi_hi = f.cfg.holdback_ms = 0;
	fx_start(&f);
	assert_int_equal(fx_usage(&f).ports_total, 65535 - 1024 + 1 - 1);
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_whole_any),	    cmocka_unit_test(test_whole_specific),
	    cmocka_unit_test(test_whole_vs_shared), cmocka_unit_test(test_shared_pick),
	    cmocka_unit_test(test_shared_errors),   cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
