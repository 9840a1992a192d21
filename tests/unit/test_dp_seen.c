// SPDX-License-Identifier: BSD-2-Clause
/* The last-seen time stamp's conversions (include/rsip/dp_abi.h struct
 * rsip_seen): what the programs write and user space reads, in 8 bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <time.h>

#include "rsip/dp_abi.h"

#define UNIT (1ull << RSIP_SEEN_SHIFT)

static void test_round_trip(void **state)
{
	static const uint64_t units[] = {0, 1, 2, 1000, 0x7fffffffull, 0xfffffffeull};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		struct rsip_seen s = rsip_seen_at(7, units[i] * UNIT);

		assert_int_equal(s.jiffies, 7);
		assert_int_equal(s.sec, units[i]);
		assert_true(rsip_seen_ns(&s) == units[i] * UNIT);
	}
}

/* Rounded down to the start of its unit: an entry looks older by less than
 * one unit (~1.07 s), never younger. */
static void test_rounds_down(void **state)
{
	static const uint64_t ns[] = {
	    1, UNIT - 1, UNIT + 1, 5 * UNIT + UNIT / 2, 300000000000ull, 123456789012345ull};

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		struct rsip_seen s = rsip_seen_at(0, ns[i]);

		assert_true(rsip_seen_ns(&s) <= ns[i]);
		assert_true(ns[i] - rsip_seen_ns(&s) < UNIT);
		assert_true(rsip_seen_ns(&s) % UNIT == 0);
	}
	assert_true(rsip_seen_ns(&(struct rsip_seen){.sec = 279}) == 279 * UNIT);
	assert_int_equal(rsip_seen_at(0, UNIT - 1).sec, 0);
	assert_int_equal(rsip_seen_at(0, UNIT).sec, 1);
	/* 300 s is 279 units and 429,287,936 ns */
	assert_int_equal(rsip_seen_at(0, 300000000000ull).sec, 279);
}

/* 32 bits of 2^30 ns: the last unit starts after 146 years of uptime and
 * converts back without losing the high bits. */
static void test_large_values(void **state)
{
	const uint64_t last = 0xffffffffull * UNIT;
	struct rsip_seen s = rsip_seen_at(0xffffffffu, last + UNIT - 1);

	assert_int_equal(s.sec, 0xffffffffu);
	assert_int_equal(s.jiffies, 0xffffffffu);
	assert_true(rsip_seen_ns(&s) == last);
	assert_true(last / 1000000000ull / 86400 / 365 == 146);
}

/* What user space compares it with: CLOCK_MONOTONIC now, within a unit. */
static void test_clock_now(void **state)
{
	struct timespec ts;
	uint64_t now;
	struct rsip_seen s;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	s = rsip_seen_at(0, now);
	assert_true(rsip_seen_ns(&s) <= now && now - rsip_seen_ns(&s) < UNIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_rounds_down),
	    cmocka_unit_test(test_large_values),
	    cmocka_unit_test(test_clock_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
