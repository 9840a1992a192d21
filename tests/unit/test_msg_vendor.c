// SPDX-License-Identifier: BSD-2-Clause
/*
 * Our Vendor Specific parameters (user/lib/msg_vendor.c, decision D21): the
 * registration lease a REGISTER_REQUEST asks for goes on the wire as
 * 0c 00 08 00 f1 00 01 LL LL LL LL, survives a decode, and is found only
 * with our vendor ID, subtype and length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "rsip/msg.h"

static void test_reg_lease_wire(void **state)
{
	static const uint8_t want[] = {0x01, 0x02, 0x00, 0x0f, 0x0c, 0x00, 0x08, 0x00,
				       0xf1, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c};
	struct rsip_msg m, d;
	uint8_t buf[64], lease[4];
	uint32_t got = 0;
	ssize_t n;

	rsip_msg_init(&m, RSIP_REGISTER_REQUEST);
	assert_int_equal(rsip_msg_set_reg_lease(&m, lease, 300), 0);
	n = rsip_encode(&m, buf, sizeof(buf));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(rsip_decode(buf, (size_t)n, &d, NULL), 0);
	assert_true(rsip_msg_reg_lease(&d, &got));
	assert_int_equal(got, 300);
}

static void test_reg_lease_absent_or_other(void **state)
{
	struct rsip_msg m;
	struct rsip_vendor *v;
	static const uint8_t four[4] = {0, 0, 0, 9};
	uint32_t got = 7;

	rsip_msg_init(&m, RSIP_REGISTER_REQUEST);
	assert_false(rsip_msg_reg_lease(&m, &got));
	v = rsip_msg_add_vendor(&m);
	*v = (struct rsip_vendor){.vendor_id = 9, .subtype = 1, .len = 4, .data = four};
	assert_false(rsip_msg_reg_lease(&m, &got)); /* another vendor's */
	v->vendor_id = RSIP_VENDOR_ID_PRIVATE;
	v->subtype = 2;
	assert_false(rsip_msg_reg_lease(&m, &got)); /* another subtype */
	v->subtype = RSIP_VSUB_REGISTER_LEASE;
	v->len = 3;
	assert_false(rsip_msg_reg_lease(&m, &got)); /* not 4 bytes */
	assert_int_equal(got, 7);
	v->len = 4;
	assert_true(rsip_msg_reg_lease(&m, &got));
	assert_int_equal(got, 9);
}

static void test_reg_lease_no_slot(void **state)
{
	struct rsip_msg m;
	uint8_t lease[4];

	rsip_msg_init(&m, RSIP_REGISTER_REQUEST);
	for (int i = 0; i < RSIP_MAX_VENDOR; i++)
		assert_non_null(rsip_msg_add_vendor(&m));
	assert_int_equal(rsip_msg_set_reg_lease(&m, lease, 60), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reg_lease_wire),
	    cmocka_unit_test(test_reg_lease_absent_or_other),
	    cmocka_unit_test(test_reg_lease_no_slot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
