// SPDX-License-Identifier: BSD-2-Clause
/* CPU lists (user/lib/cpulist.c): rsipd --spi-steer's syntax. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "cpulist.h"

static void test_parse(void **state)
{
	uint16_t c[8];
	size_t n = 99;

	assert_int_equal(cpulist_parse("0", c, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c[0], 0);
	/* Any order in, ascending out. */
	assert_int_equal(cpulist_parse("8,2-4,0", c, 8, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(c[0], 0);
	assert_int_equal(c[1], 2);
	assert_int_equal(c[3], 4);
	assert_int_equal(c[4], 8);
	assert_int_equal(cpulist_parse("4095", c, 8, &n), 0);
	assert_int_equal(c[0], 4095);
}

static void test_reject(void **state)
{
	static const char *bad[] = {"",	   ",",	    "0,", ",0",	 "0,,1", "1-0",
				    "a",   "0-",    "-1", "0 1", "4096", "0-8",
				    "1,1", "0-2,2", "0x", "1.5", "0--1", "all"};
	uint16_t c[8] = {7, 7};
	size_t n = 99, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cpulist_parse(bad[i], c, 8, &n), -EINVAL);
		assert_int_equal(n, 99); /* untouched */
		assert_int_equal(c[0], 7);
	}
	assert_int_equal(cpulist_parse(NULL, c, 8, &n), -EINVAL);
	/* Capacity: 0-7 fits 8, 0-8 (9 CPUs) did not above. */
	assert_int_equal(cpulist_parse("0-7", c, 8, &n), 0);
	assert_int_equal(n, 8);
}

static void test_format(void **state)
{
	const uint16_t c[] = {0, 1, 2, 3, 5, 7, 8};
	char buf[32];

	assert_int_equal(cpulist_format(buf, sizeof(buf), c, 7), (int)strlen("0-3,5,7-8"));
	assert_string_equal(buf, "0-3,5,7-8");
	assert_int_equal(cpulist_format(buf, sizeof(buf), c, 0), 0);
	assert_string_equal(buf, "");
	/* Too small: truncated, the full length returned. */
	assert_int_equal(cpulist_format(buf, 4, c, 7), (int)strlen("0-3,5,7-8"));
	assert_string_equal(buf, "0-3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_reject),
	    cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
