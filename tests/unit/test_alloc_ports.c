// SPDX-License-Identifier: BSD-2-Clause
/* Port allocator (user/rsipd/alloc_port.c): D10, RFC 3102 6.1, RFC 3103 9.8. */
#include "alloc_fixture.h"

static void test_any_contiguous(void **state)
{
	struct fx f;
	uint16_t p[16], q[16];

	fx_init(&f, 1);
	fx_start(&f);
	assert_int_equal(fx_ports_any(&f, 7, 0, 16, p), 0);
	for (int i = 1; i < 16; i++)
		assert_int_equal(p[i], p[0] + i);
	assert_true(p[0] >= 1024);
	/* The next request continues after the first (next-fit). */
	assert_int_equal(fx_ports_any(&f, 8, 0, 16, q), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(q[i], p[15] + 1 + i);
	assert_int_equal(fx_usage(&f).ports_used, 32);
	assert_int_equal(fx_usage(&f).ports_total, 65535 - 1024 + 1 - 1); /* minus 4500 */
	/* n == 0 takes nothing. */
	assert_int_equal(fx_ports_any(&f, 8, 0, 0, q), 0);
	assert_int_equal(fx_usage(&f).ports_used, 32);
	fx_stop(&f);
}

/* A range of 100 ports: 309 exactly when fewer than n are free. */
static void test_exhaustion(void **state)
{
	struct fx f;
	uint16_t p[101];
	struct alloc_usage before, after;

	fx_init(&f, 1);
	f.cfg.port_lo = 2000;
	f.cfg.port_hi = 2099;
	fx_start(&f);
	assert_int_equal(fx_ports_any(&f, 1, 0, 101, p), RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	assert_int_equal(fx_ports_any(&f, 1, 0, 60, p), 0);
	before = fx_usage(&f);
	/* 40 left: 41 fails and takes nothing (all or nothing). */
	assert_int_equal(fx_ports_any(&f, 2, 0, 41, p), RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	after = fx_usage(&f);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(after.ports_used, 60);
	for (int i = 0; i < 40; i++)
		assert_int_equal(fx_ports_any(&f, 2, 0, 1, p), 0);
	assert_int_equal(fx_ports_any(&f, 3, 0, 1, p), RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	assert_int_equal(fx_usage(&f).ports_used, 100);
	fx_stop(&f);
}

/* No run long enough: any n free ports, ascending, still all or nothing. */
static void test_scattered(void **state)
{
	struct fx f;
	uint16_t p[10], all[20];

	fx_init(&f, 1);
	f.cfg.port_lo = 3000;
	f.cfg.port_hi = 3019;
	fx_start(&f);
	assert_int_equal(fx_ports_any(&f, 1, 0, 20, all), 0);
	/* Free every other port: the longest run is 1. */
	for (int i = 0; i < 20; i += 2)
		alloc_ports_release(f.a, 1, f.nb[0], &all[i], 1);
	f.now += FX_HOLD;
	assert_int_equal(fx_ports_any(&f, 2, 0, 10, p), 0);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(p[i] % 2, 0);
		if (i)
			assert_true(p[i] > p[i - 1]);
	}
	assert_int_equal(fx_usage(&f).ports_used, 20);
	fx_stop(&f);
}

/* 500, 4500, the reserved list and the gateway's own ports: never leased. */
static void test_reserved_and_busy(void **state)
{
	struct fx f;
	uint16_t got[200];
	uint32_t n = 0;

	fx_init(&f, 2);
	f.cfg.port_lo = 450;
	f.cfg.port_hi = 4549;
	f.reserved[0] = 600;
	f.reserved[1] = 4000;
	f.cfg.reserved_ports = f.reserved;
	f.cfg.n_reserved = 2;
	f.busy[0] = 700;
	f.busy[1] = 4501;
	f.n_busy = 2;
	fx_start(&f);

	assert_int_equal(fx_port1(&f, 1, 0, 500), RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
	assert_int_equal(fx_port1(&f, 1, 0, 4500), RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
	assert_int_equal(fx_port1(&f, 1, 0, 600), RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
	assert_int_equal(fx_port1(&f, 1, 0, 449), RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
	assert_int_equal(fx_port1(&f, 1, 0, 4550), RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
	assert_int_equal(fx_port1(&f, 1, 0, 0), RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
	assert_int_equal(fx_port1(&f, 1, 0, 700), RSIP_E_LOCAL_ADDRPORT_INUSE);
	assert_int_equal(fx_usage(&f).ports_total, 2 * (4100 - 4));
	/* Every port of Nb 1 asked for by name: only the forbidden ones are
	 * refused (port_busy is per Nb: 700 and 4501 are busy on Nb 0 only). */
	for (uint32_t p = 440; p <= 4560; p++) {
		bool forbidden =
		    p < 450 || p > 4549 || p == 500 || p == 4500 || p == 600 || p == 4000;

		assert_int_equal(fx_port1(&f, 1, 1, (uint16_t)p),
				 forbidden ? RSIP_E_LOCAL_ADDRPORT_UNALLOWED : 0);
	}
	assert_int_equal(fx_usage(&f).ports_used, 4100 - 4);

	/* Lease everything on Nb 0 in chunks: none of them ever shows up. */
	for (;;) {
		int err = fx_ports_any(&f, 2, 0, 200, got);

		if (err) {
			assert_int_equal(err, RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
			break;
		}
		for (int i = 0; i < 200; i++) {
			assert_true(got[i] >= 450 && got[i] <= 4549);
			assert_true(got[i] != 500 && got[i] != 4500 && got[i] != 600 &&
				    got[i] != 4000 && got[i] != 700 && got[i] != 4501);
		}
		n += 200;
	}
	while (fx_ports_any(&f, 2, 0, 1, got) == 0) {
		assert_true(got[0] != 700 && got[0] != 4501);
		n++;
	}
	/* 4100 ports, 4 forbidden, 2 busy. */
	assert_int_equal(n, 4100 - 4 - 2);
	assert_true(f.busy_calls > 0);
	fx_stop(&f);
}

static void test_specific(void **state)
{
	struct fx f;
	uint16_t ok[3] = {5000, 5001, 6000}, dup[2] = {7000, 7000}, mixed[3] = {8000, 5001, 8001},
		 bad[2] = {8002, 500};
	struct in_addr other = {htonl(0xc0000201)};
	struct alloc_txn *t;

	fx_init(&f, 1);
	fx_start(&f);
	assert_int_equal(fx_ports_specific(&f, 1, 0, ok, 3), 0);
	assert_int_equal(fx_port1(&f, 2, 0, 5000), RSIP_E_LOCAL_ADDRPORT_INUSE);
	assert_int_equal(fx_port1(&f, 1, 0, 5000), RSIP_E_LOCAL_ADDRPORT_INUSE);
	/* All or nothing: 8000 and 8001 are not taken when 5001 is in use. */
	assert_int_equal(fx_ports_specific(&f, 2, 0, mixed, 3), RSIP_E_LOCAL_ADDRPORT_INUSE);
	assert_int_equal(fx_port1(&f, 3, 0, 8000), 0);
	assert_int_equal(fx_port1(&f, 3, 0, 8001), 0);
	/* 313 wins over 311: policy does not change on retry. */
	assert_int_equal(fx_ports_specific(&f, 2, 0, bad, 2), RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
	assert_int_equal(fx_port1(&f, 3, 0, 8002), 0);
	/* The same port twice in one request. */
	assert_int_equal(fx_ports_specific(&f, 2, 0, dup, 2), RSIP_E_LOCAL_ADDRPORT_INUSE);
	assert_int_equal(fx_usage(&f).ports_used, 6);
	/* Nb not in the pool. */
	t = alloc_txn_begin(f.a);
	assert_int_equal(alloc_ports_specific(t, 1, other, ok, 1), RSIP_E_LOCAL_ADDR_UNALLOWED);
	assert_int_equal(alloc_ports_any(t, 1, other, 1, dup), RSIP_E_LOCAL_ADDR_UNALLOWED);
	alloc_txn_commit(t);
	fx_stop(&f);
}

static void test_client_cap(void **state)
{
	struct fx f;
	uint16_t p[11];

	fx_init(&f, 2);
	f.cfg.max_ports_per_client = 10;
	fx_start(&f);
	assert_int_equal(fx_ports_any(&f, 1, 0, 11, p), RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	assert_int_equal(fx_ports_any(&f, 1, 0, 6, p), 0);
	/* The cap counts every Nb. */
	assert_int_equal(fx_ports_any(&f, 1, 1, 5, p), RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	assert_int_equal(fx_ports_any(&f, 1, 1, 4, p), 0);
	assert_int_equal(fx_port1(&f, 1, 0, 9999), RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
	/* Someone else is not affected. */
	assert_int_equal(fx_port1(&f, 2, 0, 9999), 0);
	/* A released port counts against its owner until its hold-back is
	 * over (ASSIGN/FREE in a loop cannot empty the pool); then there is
	 * room again. */
	alloc_ports_release(f.a, 1, f.nb[1], p, 1);
	assert_int_equal(fx_port1(&f, 1, 0, 9998), RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
	assert_int_equal(alloc_selfcheck(f.a), 0);
	f.now += FX_HOLD;
	assert_int_equal(fx_port1(&f, 1, 0, 9998), 0);
	assert_int_equal(alloc_selfcheck(f.a), 0);
	fx_stop(&f);
}

/* One owner releasing and taking in a loop stays inside its cap, live plus
 * held back, so the pool keeps room for everyone else. */
static void test_cap_counts_holdback(void **state)
{
	struct fx f;
	uint16_t p[8];
	int refused = 0;

	fx_init(&f, 1);
	f.cfg.port_lo = 2000;
	f.cfg.port_hi = 2063; /* 64 ports */
	f.cfg.max_ports_per_client = 16;
	fx_start(&f);
	for (int i = 0; i < 100; i++) {
		int rc = fx_ports_any(&f, 1, 0, 8, p);

		if (rc) {
			assert_int_equal(rc, RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
			refused++;
			continue;
		}
		alloc_ports_release(f.a, 1, f.nb[0], p, 8);
	}
	assert_int_equal(refused, 98);
	assert_int_equal(fx_usage(&f).ports_held, 16);
	assert_int_equal(fx_ports_any(&f, 2, 0, 8, p), 0);
	assert_int_equal(alloc_selfcheck(f.a), 0);
	f.now += FX_HOLD;
	assert_int_equal(fx_ports_any(&f, 1, 0, 8, p), 0);
	assert_int_equal(alloc_selfcheck(f.a), 0);
	fx_stop(&f);
}

/* A freed port stays out of use for exactly holdback_ms. */
static void test_holdback(void **state)
{
	struct fx f;
	uint16_t p[4], q[4], port = 2001;

	fx_init(&f, 1);
	f.cfg.port_lo = 2000;
	f.cfg.port_hi = 2003;
	fx_start(&f);
	assert_int_equal(fx_ports_any(&f, 1, 0, 4, p), 0);
	alloc_ports_release(f.a, 1, f.nb[0], &port, 1);
	assert_int_equal(fx_usage(&f).ports_held, 1);
	f.now += FX_HOLD - 1;
	assert_int_equal(fx_port1(&f, 2, 0, 2001), RSIP_E_LOCAL_ADDRPORT_INUSE);
	assert_int_equal(fx_ports_any(&f, 2, 0, 1, q), RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	f.now += 1;
	assert_int_equal(fx_ports_any(&f, 2, 0, 1, q), 0);
	assert_int_equal(q[0], 2001);
	assert_int_equal(fx_usage(&f).ports_held, 0);
	/* Releasing what one does not hold changes nothing. */
	alloc_ports_release(f.a, 1, f.nb[0], &port, 1);
	assert_int_equal(fx_usage(&f).ports_used, 4);
	assert_int_equal(fx_usage(&f).ports_held, 0);
	fx_stop(&f);
}

/* alloc_holdback_flush (a fenced cluster gateway): every port held back is
 * free at once, whatever its age; live ports stay; the counters agree. */
static void test_holdback_flush(void **state)
{
	struct fx f;
	uint16_t p[4], q[2], a = 2001, b = 2002;

	fx_init(&f, 1);
	f.cfg.port_lo = 2000;
	f.cfg.port_hi = 2003;
	fx_start(&f);
	assert_int_equal(fx_ports_any(&f, 1, 0, 4, p), 0);
	alloc_ports_release(f.a, 1, f.nb[0], &a, 1);
	f.now += 1000;
	alloc_ports_release(f.a, 1, f.nb[0], &b, 1);
	assert_int_equal(fx_usage(&f).ports_held, 2);
	assert_int_equal(fx_ports_any(&f, 2, 0, 1, q), RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	alloc_holdback_flush(f.a);
	assert_int_equal(fx_usage(&f).ports_held, 0);
	assert_int_equal(fx_usage(&f).ports_used, 2);
	assert_int_equal(alloc_selfcheck(f.a), 0);
	assert_int_equal(fx_port1(&f, 2, 0, 2002), 0);
	assert_int_equal(fx_ports_any(&f, 2, 0, 1, q), 0);
	assert_int_equal(q[0], 2001);
	assert_int_equal(fx_ports_any(&f, 3, 0, 1, q), RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	assert_int_equal(alloc_selfcheck(f.a), 0);
	fx_stop(&f);
}

/* When ports are scarce the oldest freed one comes back first. */
static void test_holdback_fifo(void **state)
{
	struct fx f;
	uint16_t p[4], q[1], first = 2003, second = 2000;

	fx_init(&f, 1);
	f.cfg.port_lo = 2000;
	f.cfg.port_hi = 2003;
	fx_start(&f);
	assert_int_equal(fx_ports_any(&f, 1, 0, 4, p), 0);
	alloc_ports_release(f.a, 1, f.nb[0], &first, 1);
	f.now += 1000;
	alloc_ports_release(f.a, 1, f.nb[0], &second, 1);
	f.now += FX_HOLD - 1000;
	assert_int_equal(fx_ports_any(&f, 2, 0, 1, q), 0);
	assert_int_equal(q[0], 2003);
	assert_int_equal(fx_ports_any(&f, 2, 0, 1, q), RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE);
	f.now += 1000;
	assert_int_equal(fx_ports_any(&f, 2, 0, 1, q), 0);
	assert_int_equal(q[0], 2000);
	fx_stop(&f);
}

/* Brute force: random any/specific/release by several owners on two Nb;
 * a shadow table checks that no port ever has two live owners. */
static void test_uniqueness(void **state)
{
	enum { LO = 10000, HI = 10511, N = HI - LO + 1 };
	struct fx f;
	static uint32_t shadow[2][N];
	uint16_t p[16];

	fx_init(&f, 2);
	f.cfg.port_lo = LO;
	f.cfg.port_hi = HI;
	fx_start(&f);
	memset(shadow, 0, sizeof(shadow));
	for (int step = 0; step < 20000; step++) {
		uint32_t r = fx_rand(&f), owner = 1 + r % 5;
		int nb = (r >> 3) & 1, op = (r >> 4) % 4;
		uint16_t n = 1 + (r >> 6) % 16;

		f.now += (r >> 10) % 50;
		if (op == 0 || op == 1) {
			if (fx_ports_any(&f, owner, nb, n, p) == 0)
				for (int i = 0; i < n; i++) {
					assert_int_equal(shadow[nb][p[i] - LO], 0);
					shadow[nb][p[i] - LO] = owner;
				}
		} else if (op == 2) {
			uint16_t port = LO + (r >> 12) % N;

			if (fx_port1(&f, owner, nb, port) == 0) {
				assert_int_equal(shadow[nb][port - LO], 0);
				shadow[nb][port - LO] = owner;
			} else {
				/* Refused: it is live or held back. */
				assert_true(shadow[nb][port - LO] || fx_usage(&f).ports_held > 0);
			}
		} else {
			uint16_t port = LO + (r >> 12) % N;

			alloc_ports_release(f.a, owner, f.nb[nb], &port, 1);
			if (shadow[nb][port - LO] == owner)
				shadow[nb][port - LO] = 0;
		}
		if (step % 1000 == 0)
			assert_int_equal(alloc_selfcheck(f.a), 0);
	}
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_any_contiguous),
	    cmocka_unit_test(test_exhaustion),
	    cmocka_unit_test(test_scattered),
	    cmocka_unit_test(test_reserved_and_busy),
	    cmocka_unit_test(test_specific),
	    cmocka_unit_test(test_client_cap),
	    cmocka_unit_test(test_cap_counts_holdback),
	    cmocka_unit_test(test_holdback),
	    cmocka_unit_test(test_holdback_fifo),
	    cmocka_unit_test(test_holdback_flush),
	    cmocka_unit_test(test_uniqueness),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
