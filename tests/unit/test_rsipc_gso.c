// SPDX-License-Identifier: BSD-2-Clause
/* rsipc TSO and USO segmentation (user/rsipc/gso.c): segments that a
 * receiver takes as whole TCP or UDP packets (checksums, sequence numbers,
 * flags, lengths), and the packets it refuses. Checksums are verified with a sum written here, not
 * with the encap helpers gso.c uses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "../../user/rsipc/gso.h"

#define IHL 20
#define THL 32 /* with 12 bytes of options: copied into every segment */

static uint8_t pkt[IHL + THL + 4000], out[1 << 16];
static size_t lens[16];

static uint32_t rd(const uint8_t *p, int n)
{
	uint32_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static uint16_t sum(const uint8_t *p, size_t len, uint32_t s)
{
	for (size_t i = 0; i < len; i++)
		s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* pkt cleared, with an IPv4 header of total length tot; returns tot. */
static size_t ip4(size_t tot, uint8_t proto)
{
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(tot >> 8);
	pkt[3] = (uint8_t)tot;
	pkt[4] = 0xff; /* IP ID 0xfffe: wraps in the third segment */
	pkt[5] = 0xfe;
	pkt[8] = 64;
	pkt[9] = proto;
	memcpy(pkt + 12, (uint8_t[]){192, 0, 2, 10, 198, 51, 100, 5}, 8);
	return tot;
}

/* A super-packet of payload bytes, TCP flags flags, sequence seq. */
static size_t super(size_t payload, uint8_t flags, uint32_t seq)
{
	size_t tot = ip4(IHL + THL + payload, IPPROTO_TCP);

	pkt[6] = 0x40; /* DF */
	pkt[IHL + 4] = (uint8_t)(seq >> 24);
	pkt[IHL + 5] = (uint8_t)(seq >> 16);
	pkt[IHL + 6] = (uint8_t)(seq >> 8);
	pkt[IHL + 7] = (uint8_t)seq;
	pkt[IHL + 12] = THL / 4 << 4;
	pkt[IHL + 13] = flags;
	for (size_t i = 0; i < 12; i++)
		pkt[IHL + 20 + i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < payload; i++)
		pkt[IHL + THL + i] = (uint8_t)(i * 7 + 3);
	return tot;
}

static void check_segment(const uint8_t *s, size_t len, size_t chunk, size_t done, uint32_t seq0,
			  uint8_t flags, unsigned int idx)
{
	size_t l4 = THL + chunk;

	assert_int_equal(len, IHL + THL + chunk);
	assert_int_equal(rd(s + 2, 2), len);
	assert_int_equal(rd(s + 4, 2), (0xfffe + idx) & 0xffff);
	assert_int_equal(sum(s, IHL, 0), 0xffff);
	assert_int_equal(rd(s + IHL + 4, 4), (uint32_t)(seq0 + done));
	assert_int_equal(s[IHL + 13], flags);
	assert_memory_equal(s + IHL + 20, pkt + IHL + 20, 12);
	assert_memory_equal(s + IHL + THL, pkt + IHL + THL + done, chunk);
	/* pseudo-header + segment sums to all ones */
	assert_int_equal(sum(s + IHL, l4, sum(s + 12, 8, IPPROTO_TCP + (uint32_t)l4)), 0xffff);
}

static void test_cut(void **state)
{
	uint32_t seq = 0xfffffc00; /* wraps in the second segment */
	size_t len = super(2500, 0x80 | 0x10 | 0x08 | 0x01, seq), off = 0;
	int n;

	(void)state;
	n = gso_tcp4_segment(pkt, len, 1000, out, sizeof(out), lens, 16);
	assert_int_equal(n, 3);
	check_segment(out, lens[0], 1000, 0, seq, 0x80 | 0x10, 0); /* CWR ACK */
	off += lens[0];
	check_segment(out + off, lens[1], 1000, 1000, seq, 0x10, 1); /* ACK */
	off += lens[1];
	check_segment(out + off, lens[2], 500, 2000, seq, 0x10 | 0x08 | 0x01, 2);
}

static void test_exact_and_one(void **state)
{
	size_t len = super(3000, 0x18, 1);

	(void)state;
	assert_int_equal(gso_tcp4_segment(pkt, len, 1000, out, sizeof(out), lens, 16), 3);
	assert_int_equal(lens[2], IHL + THL + 1000);
	len = super(800, 0x18, 1);
	assert_int_equal(gso_tcp4_segment(pkt, len, 1000, out, sizeof(out), lens, 16), 1);
	check_segment(out, lens[0], 800, 0, 1, 0x18, 0);
}

static void test_refused(void **state)
{
	size_t len = super(3000, 0x10, 1);

	(void)state;
	assert_int_equal(gso_tcp4_segment(pkt, len, 0, out, sizeof(out), lens, 16), -EINVAL);
	assert_int_equal(gso_tcp4_segment(pkt, len, 1000, out, sizeof(out), lens, 2), -ENOSPC);
	assert_int_equal(gso_tcp4_segment(pkt, len, 1000, out, 3000, lens, 16), -ENOSPC);
	assert_int_equal(gso_tcp4_segment(pkt, len - 1, 1000, out, sizeof(out), lens, 16), -EINVAL);
	pkt[9] = IPPROTO_UDP;
	assert_int_equal(gso_tcp4_segment(pkt, len, 1000, out, sizeof(out), lens, 16), -EINVAL);
	pkt[9] = IPPROTO_TCP;
	pkt[6] = 0x20; /* MF */
	assert_int_equal(gso_tcp4_segment(pkt, len, 1000, out, sizeof(out), lens, 16), -EINVAL);
	pkt[6] = 0x40;
	pkt[IHL + 12] = 0x40; /* data offset 16 */
	assert_int_equal(gso_tcp4_segment(pkt, len, 1000, out, sizeof(out), lens, 16), -EINVAL);
}

#define UHL 8

/* A UDP super-packet of payload bytes (what a UDP_SEGMENT send hands the
 * TUN: the checksum field holds the pseudo-header sum). */
static size_t super_udp(size_t payload)
{
	size_t tot = ip4(IHL + UHL + payload, IPPROTO_UDP);

	memcpy(pkt + IHL, (uint8_t[]){0x11, 0x94, 0x01, 0xbb}, 4); /* 4500 -> 443 */
	pkt[IHL + 4] = (uint8_t)((UHL + payload) >> 8);
	pkt[IHL + 5] = (uint8_t)(UHL + payload);
	pkt[IHL + 6] = 0x12; /* anything: recomputed */
	for (size_t i = 0; i < payload; i++)
		pkt[IHL + UHL + i] = (uint8_t)(i * 13 + 5);
	return tot;
}

static void check_udp_segment(const uint8_t *s, size_t len, size_t chunk, size_t done,
			      unsigned int idx)
{
	size_t l4 = UHL + chunk;

	assert_int_equal(len, IHL + UHL + chunk);
	assert_int_equal(rd(s + 2, 2), len);
	assert_int_equal(rd(s + 4, 2), (0xfffe + idx) & 0xffff);
	assert_int_equal(sum(s, IHL, 0), 0xffff);
	assert_memory_equal(s + IHL, pkt + IHL, 4); /* ports */
	assert_int_equal(rd(s + IHL + 4, 2), l4);
	assert_int_not_equal(rd(s + IHL + 6, 2), 0); /* 0 would mean "none" */
	assert_memory_equal(s + IHL + UHL, pkt + IHL + UHL + done, chunk);
	assert_int_equal(sum(s + IHL, l4, sum(s + 12, 8, IPPROTO_UDP + (uint32_t)l4)), 0xffff);
}

static void test_udp_cut(void **state)
{
	size_t len = super_udp(3100), off = 0;
	int n;

	(void)state;
	n = gso_udp4_segment(pkt, len, 1200, out, sizeof(out), lens, 16);
	assert_int_equal(n, 3);
	check_udp_segment(out, lens[0], 1200, 0, 0);
	off += lens[0];
	check_udp_segment(out + off, lens[1], 1200, 1200, 1);
	off += lens[1];
	check_udp_segment(out + off, lens[2], 700, 2400, 2);
}

/* A payload whose checksum comes out 0 is sent as 0xffff (RFC 768). */
static void test_udp_zero_csum(void **state)
{
	size_t len = super_udp(2), l4 = UHL + 2;
	uint16_t rest;

	(void)state;
	/* Choose the 2 payload bytes so that the segment sums to all ones
	 * with a checksum field of 0. */
	pkt[IHL + 6] = pkt[IHL + 7] = 0;
	pkt[IHL + UHL] = pkt[IHL + UHL + 1] = 0;
	rest = sum(pkt + IHL, l4, sum(pkt + 12, 8, IPPROTO_UDP + (uint32_t)l4));
	pkt[IHL + UHL] = (uint8_t)(~rest >> 8);
	pkt[IHL + UHL + 1] = (uint8_t)~rest;
	assert_int_equal(gso_udp4_segment(pkt, len, 1200, out, sizeof(out), lens, 16), 1);
	assert_int_equal(rd(out + IHL + 6, 2), 0xffff);
}

static void test_udp_refused(void **state)
{
	size_t len = super_udp(3000);

	(void)state;
	assert_int_equal(gso_udp4_segment(pkt, len, 0, out, sizeof(out), lens, 16), -EINVAL);
	assert_int_equal(gso_udp4_segment(pkt, len, 1000, out, sizeof(out), lens, 2), -ENOSPC);
	assert_int_equal(gso_udp4_segment(pkt, len - 1, 1000, out, sizeof(out), lens, 16), -EINVAL);
	assert_int_equal(gso_udp4_segment(pkt, IHL + 4, 1000, out, sizeof(out), lens, 16), -EINVAL);
	pkt[2] = 0;
	pkt[3] = IHL + 4; /* shorter than a UDP header */
	assert_int_equal(gso_udp4_segment(pkt, len, 1000, out, sizeof(out), lens, 16), -EINVAL);
	len = super(3000, 0x10, 1); /* TCP is not UDP, and the other way round */
	assert_int_equal(gso_udp4_segment(pkt, len, 1000, out, sizeof(out), lens, 16), -EINVAL);
	len = super_udp(3000);
	assert_int_equal(gso_tcp4_segment(pkt, len, 1000, out, sizeof(out), lens, 16), -EINVAL);
	pkt[6] = 0x20; /* MF */
	assert_int_equal(gso_udp4_segment(pkt, len, 1000, out, sizeof(out), lens, 16), -EINVAL);
}

/* The partial cut: the same bytes as the full one but for the L4 checksum
 * field, which holds the pseudo-header sum; summing the L4 bytes with it
 * there (what the kernel or the device does for CHECKSUM_PARTIAL) gives the
 * full cut's checksum. */
static void check_partial(size_t len, uint8_t proto)
{
	static uint8_t full[8192];
	size_t flens[16], off = 0, field = proto == IPPROTO_TCP ? 16 : 6;
	int n, k;

	n = (proto == IPPROTO_TCP ? gso_tcp4_segment : gso_udp4_segment)(pkt, len, 1000, full,
									 sizeof(full), flens, 16);
	k = (proto == IPPROTO_TCP ? gso_tcp4_segment_partial : gso_udp4_segment_partial)(
	    pkt, len, 1000, out, sizeof(out), lens, 16);
	assert_int_equal(k, n);
	assert_true(n > 1);
	for (int i = 0; i < n; i++) {
		const uint8_t *f = full + off, *p = out + off;
		size_t l4 = lens[i] - IHL;

		assert_int_equal(lens[i], flens[i]);
		assert_memory_equal(p, f, IHL + field);
		assert_memory_equal(p + IHL + field + 2, f + IHL + field + 2,
				    lens[i] - IHL - field - 2);
		assert_int_equal(rd(p + IHL + field, 2), sum(p + 12, 8, proto + (uint32_t)l4));
		assert_int_equal((uint16_t)~sum(p + IHL, l4, 0), rd(f + IHL + field, 2));
		off += lens[i];
	}
}

static void test_partial(void **state)
{
	(void)state;
	check_partial(super(2500, 0x18, 7), IPPROTO_TCP);
	check_partial(super_udp(2500), IPPROTO_UDP);
	assert_int_equal(gso_tcp4_segment_partial(pkt, IHL + 4, 1000, out, sizeof(out), lens, 16),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cut),		  cmocka_unit_test(test_exact_and_one),
	    cmocka_unit_test(test_refused),	  cmocka_unit_test(test_udp_cut),
	    cmocka_unit_test(test_udp_zero_csum), cmocka_unit_test(test_udp_refused),
	    cmocka_unit_test(test_partial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
