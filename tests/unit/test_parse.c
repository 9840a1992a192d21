// SPDX-License-Identifier: BSD-2-Clause
/* Command-line and config value parsers (user/lib/parse.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>

#include "parse.h"

static void test_numbers(void **state)
{
	uint32_t v = 7;
	uint16_t p = 7;
	uint64_t lo, hi;

	assert_int_equal(parse_u32("4555", &v), 0);
	assert_int_equal(v, 4555);
	assert_int_equal(parse_u32("0x1000", &v), 0);
	assert_int_equal(v, 0x1000);
	assert_int_equal(parse_u32("0xffffffff", &v), 0);
	assert_int_equal(v, 0xffffffffu);
	v = 7;
	/* Rejected, and the output is left alone. */
	assert_int_equal(parse_u32("0x100000000", &v), -EINVAL);
	assert_int_equal(parse_u32("-1", &v), -EINVAL);
	assert_int_equal(parse_u32("12abc", &v), -EINVAL);
	assert_int_equal(parse_u32("", &v), -EINVAL);
	assert_int_equal(parse_u32("0x", &v), -EINVAL);
	assert_int_equal(parse_u32(" 1", &v), -EINVAL);
	assert_int_equal(v, 7);
	assert_int_equal(parse_u16("65536", &p), -EINVAL);
	assert_int_equal(p, 7);
	assert_int_equal(parse_range("0x100-0xffff", UINT32_MAX, &lo, &hi), 0);
	assert_int_equal(lo, 0x100);
	assert_int_equal(hi, 0xffff);
	assert_int_equal(parse_range("20-10", UINT32_MAX, &lo, &hi), -EINVAL);
	assert_int_equal(parse_range("10", UINT32_MAX, &lo, &hi), -EINVAL);
	assert_int_equal(parse_range("1-70000", UINT16_MAX, &lo, &hi), -EINVAL);
}

static void test_addresses(void **state)
{
	struct in_addr a, net;
	uint8_t len = 99;
	uint16_t port = 4555;

	assert_int_equal(parse_cidr("10.0.0.0/8", &net, &len), 0);
	assert_int_equal(len, 8);
	assert_int_equal(parse_cidr("10.1.0.0/8", &net, &len), -EINVAL); /* host bits */
	assert_int_equal(parse_cidr("10.0.0.0/33", &net, &len), -EINVAL);
	assert_int_equal(parse_cidr("192.0.2.7", &net, &len), 0);
	assert_int_equal(len, 32);
	assert_int_equal(parse_addr_port("10.0.0.1", &a, &port), 0);
	assert_int_equal(port, 4555);
	assert_int_equal(parse_addr_port("10.0.0.1:5000", &a, &port), 0);
	assert_int_equal(port, 5000);
	assert_int_equal(parse_addr_port("10.0.0.1:0", &a, &port), -EINVAL);
	assert_int_equal(parse_addr_port("10.0.0:1", &a, &port), -EINVAL);
	assert_int_equal(parse_ipv4("300.1.1.1", &a), -EINVAL);

	parse_cidr("10.0.0.0/8", &net, &len);
	inet_pton(AF_INET, "10.200.3.4", &a);
	assert_true(cidr_contains(net, len, a));
	inet_pton(AF_INET, "11.0.0.1", &a);
	assert_false(cidr_contains(net, len, a));
	parse_cidr("0.0.0.0/0", &net, &len);
	assert_true(cidr_contains(net, len, a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
