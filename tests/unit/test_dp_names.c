// SPDX-License-Identifier: BSD-2-Clause
/* Every data plane counter has a unique name and help text (user/lib/dp_names.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "dp_names.h"

static void test_every_counter_named(void **state)
{
	for (unsigned int i = 0; i < RSIP_CNT_MAX; i++) {
		const char *n = dp_counter_name(i);

		assert_string_not_equal(n, "unknown");
		for (unsigned int j = 0; j < i; j++)
			assert_string_not_equal(n, dp_counter_name(j));
	}
	assert_string_equal(dp_counter_name(RSIP_CNT_MAX), "unknown");
	assert_string_equal(dp_counter_name(RSIP_CNT_WAN_TX_ESP), "wan_tx_esp");
}

static void test_exits_and_events(void **state)
{
	assert_true(dp_counter_is_exit(RSIP_CNT_WAN_PASS_NOT_IPV4));
	assert_true(dp_counter_is_exit(RSIP_CNT_LAN_SLOW_LOST));
	assert_false(dp_counter_is_exit(RSIP_CNT_LAN_LEARN_COOKIE));
	assert_false(dp_counter_is_exit(RSIP_CNT_SLOW_TRUNCATED));
	assert_false(dp_counter_is_exit(RSIP_CNT_MAX));
}

static void test_slow_reasons(void **state)
{
	for (unsigned int r = RSIP_SLOW_FRAGMENT; r <= RSIP_SLOW_VIOLATION; r++)
		assert_string_not_equal(dp_slow_reason_name(r), "unknown");
	assert_string_equal(dp_slow_reason_name(0), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_counter_named),
	    cmocka_unit_test(test_exits_and_events),
	    cmocka_unit_test(test_slow_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
