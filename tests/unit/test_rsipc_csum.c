/* SPDX-License-Identifier: BSD-2-Clause */
/* csum_refresh_l4: the checksum of a GRO-merged inner packet (csum.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../user/rsipc/csum.h"

/* An IPv4 packet: 20-byte header, then an L4 header and payload. */
static size_t build(uint8_t *p, uint8_t proto, size_t payload)
{
	size_t l4 = proto == 6 ? 20 : 8, len = 20 + l4 + payload;

	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[6] = 0x40; /* DF */
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, "\xc6\x33\x64\x02\xc0\x00\x02\x0a", 8);	/* Y -> Nb */
	p[20] = 0x11, p[21] = 0x94, p[22] = 0x04, p[23] = 0x00; /* 4500 -> 1024 */
	if (proto == 6)
		p[32] = 0x50; /* data offset 5 */
	else
		p[24] = (uint8_t)((8 + payload) >> 8), p[25] = (uint8_t)(8 + payload);
	for (size_t i = 0; i < payload; i++)
		p[20 + l4 + i] = (uint8_t)(i * 7 + 3);
	return len;
}

/* Sum of the pseudo header and the L4 part, checksum included: 0xffff if
 * the checksum is right. */
static uint16_t verify(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 12; i < 20; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	s += p[9] + (uint32_t)(len - 20);
	for (size_t i = 20; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if ((len - 20) & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void test_tcp_merged(void **state)
{
	static uint8_t p[9000];
	size_t len = build(p, 6, 2896 + 1); /* two merged segments, odd length */

	(void)state;
	p[36] = 0x12, p[37] = 0x34; /* the first segment's checksum: wrong now */
	assert_int_not_equal(verify(p, len), 0xffff);
	assert_int_equal(csum_refresh_l4(p, len), 0);
	assert_int_equal(verify(p, len), 0xffff);
}

static void test_udp(void **state)
{
	static uint8_t p[4000];
	size_t len = build(p, 17, 3000);

	(void)state;
	p[26] = 0xab, p[27] = 0xcd;
	assert_int_equal(csum_refresh_l4(p, len), 0);
	assert_int_equal(verify(p, len), 0xffff);
	/* A UDP checksum of 0 means "none": left alone. */
	p[26] = p[27] = 0;
	assert_int_equal(csum_refresh_l4(p, len), 0);
	assert_int_equal(p[26] | p[27], 0);
}

static void test_left_alone(void **state)
{
	static uint8_t p[2000], copy[2000];
	size_t len = build(p, 6, 100);

	(void)state;
	memcpy(copy, p, sizeof(p));
	assert_int_equal(csum_refresh_l4(p, len - 1), -1); /* length disagrees */
	p[7] = 1;					   /* a fragment */
	assert_int_equal(csum_refresh_l4(p, len), -1);
	p[7] = 0;
	p[9] = 50; /* ESP: no checksum to fix */
	assert_int_equal(csum_refresh_l4(p, len), -1);
	p[9] = 6;
	p[0] = 0x60; /* not IPv4 */
	assert_int_equal(csum_refresh_l4(p, len), -1);
	p[0] = 0x45;
	assert_memory_equal(p, copy, sizeof(p));
	assert_int_equal(csum_refresh_l4(p, 10), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcp_merged),
	    cmocka_unit_test(test_udp),
	    cmocka_unit_test(test_left_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
