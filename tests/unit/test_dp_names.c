// SPDX-License-Identifier: BSD-2-Clause
/* Every data plane counter has a unique name and help text (user/lib/dp_names.c),
 * and docs/dataplane.md lists each one with that text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

static void test_every_counter_helped(void **state)
{
	for (unsigned int i = 0; i < RSIP_CNT_MAX; i++)
		assert_true(strlen(dp_counter_help(i)) > 0);
	assert_string_equal(dp_counter_help(RSIP_CNT_MAX), "");
}

/* The doc's counters table is the operator's reference: one row per counter,
 * "| `name` | exit|event | help |", word for word, and no row for a counter
 * that does not exist. The unit layer runs from the top of the tree. */
static void test_doc_lists_every_counter(void **state)
{
	FILE *f = fopen("docs/dataplane.md", "r");
	char *doc = NULL, row[512];
	size_t cap = 0, rows = 0;
	const char *p;

	if (!f)
		fail_msg("docs/dataplane.md: %s (the unit layer runs from the top of the tree)",
			 strerror(errno));
	assert_true(getdelim(&doc, &cap, '\0', f) > 0);
	fclose(f);
	for (unsigned int i = 0; i < RSIP_CNT_MAX; i++) {
		snprintf(row, sizeof(row), "\n| `%s` | %s | %s |\n", dp_counter_name(i),
			 dp_counter_is_exit(i) ? "exit" : "event", dp_counter_help(i));
		if (!strstr(doc, row))
			fail_msg("docs/dataplane.md has no row%s", row);
	}
	/* Counted by line: a row of this table names its kind in column 2. */
	for (p = doc; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len < sizeof(row) && !strncmp(p, "| `", 3)) {
			memcpy(row, p, len);
			row[len] = '\0';
			if (strstr(row, "` | exit | ") || strstr(row, "` | event | "))
				rows++;
		}
	}
	free(doc);
	if (rows != RSIP_CNT_MAX)
		fail_msg("docs/dataplane.md has %zu counter rows, the programs count %d", rows,
			 RSIP_CNT_MAX);
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
	    cmocka_unit_test(test_every_counter_helped),
	    cmocka_unit_test(test_doc_lists_every_counter),
	    cmocka_unit_test(test_exits_and_events),
	    cmocka_unit_test(test_slow_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
