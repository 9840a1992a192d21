// SPDX-License-Identifier: BSD-2-Clause
/* rsipc pump, inbound merging (user/rsipc/coalesce.c): a run of segments
 * becomes one packet whose bytes are those of the segments joined, with the
 * header and virtio_net_hdr the host's kernel needs (lengths, PSH, the IPv4
 * checksum, a partial TCP checksum that completes to the right one); every
 * rule that ends a run ends it; what may not merge is refused. Checksums
 * are summed with code written here, not with the encap helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>

#include "../../user/rsipc/coalesce.h"

#define IHL  20
#define THL  32 /* 12 bytes of options (NOP NOP timestamp) */
#define MSS  1448
#define NSEG 70

static uint8_t seg[NSEG][IHL + THL + MSS];
static uint8_t merged[1 << 17];

static uint16_t sum(const uint8_t *p, size_t len, uint32_t s)
{
	for (size_t i = 0; i < len; i++)
		s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint32_t rd(const uint8_t *p, int n)
{
	uint32_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void wr(uint8_t *p, int n, uint32_t v)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint16_t pseudo(const uint8_t *ip, size_t l4len)
{
	uint8_t ph[12];

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = ip[9];
	wr(ph + 10, 2, (uint32_t)l4len);
	return sum(ph, 12, 0);
}

/* Both checksums of the packet at p (tot bytes) made right. */
static void checksum(uint8_t *p, size_t tot)
{
	wr(p + 10, 2, 0);
	wr(p + 10, 2, (uint16_t)~sum(p, IHL, 0));
	wr(p + IHL + 16, 2, 0);
	wr(p + IHL + 16, 2, (uint16_t)~sum(p + IHL, tot - IHL, pseudo(p, tot - IHL)));
}

static bool l4_ok(const uint8_t *p, size_t tot)
{
	return sum(p + IHL, tot - IHL, pseudo(p, tot - IHL)) == 0xffff;
}

/* Segment i of a flow: payload bytes of a pattern that depends on the
 * stream offset, sequence 1000 + i * MSS, flags ACK (| extra). */
static size_t mk(int i, size_t payload, uint8_t extra)
{
	uint8_t *p = seg[i];
	size_t tot = IHL + THL + payload;

	memset(p, 0, IHL + THL);
	p[0] = 0x45;
	p[1] = 0x02; /* ECT(0) */
	wr(p + 2, 2, (uint32_t)tot);
	wr(p + 4, 2, 0x1234 + (uint32_t)i);
	wr(p + 6, 2, 0x4000); /* DF */
	p[8] = 63;
	p[9] = IPPROTO_TCP;
	memcpy(p + 12, (uint8_t[]){198, 51, 100, 5, 192, 0, 2, 10}, 8);
	wr(p + IHL, 2, 5001);
	wr(p + IHL + 2, 2, 40000);
	wr(p + IHL + 4, 4, 1000 + (uint32_t)i * MSS);
	wr(p + IHL + 8, 4, 777);
	p[IHL + 12] = (THL / 4) << 4;
	p[IHL + 13] = 0x10 | extra;
	wr(p + IHL + 14, 2, 501);
	memcpy(p + IHL + 20, (uint8_t[]){1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 7}, 12);
	for (size_t k = 0; k < payload; k++)
		p[IHL + THL + k] = (uint8_t)((size_t)i * MSS + k) * 7;
	checksum(p, tot);
	return tot;
}

/* Finish the run and join its pieces into merged; returns the length. */
static size_t finish(struct coalesce *c, struct virtio_net_hdr *vh)
{
	struct iovec *iov;
	int n = coalesce_finish(c, vh, &iov);
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		memcpy(merged + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	return len;
}

/* The merged packet as the host's kernel will see it: lengths, the IPv4
 * checksum, the payload of segments 0..n-1 in order, and a TCP checksum
 * that, completed as the vnet header says, is right. */
static void check_merged(size_t len, const struct virtio_net_hdr *vh, int n, size_t last)
{
	size_t payload = (size_t)(n - 1) * MSS + last;

	assert_int_equal(len, IHL + THL + payload);
	assert_int_equal(rd(merged + 2, 2), len);
	assert_int_equal(sum(merged, IHL, 0), 0xffff);
	assert_int_equal(rd(merged + IHL + 4, 4), 1000); /* the first's sequence */
	for (int i = 0; i < n; i++)
		assert_memory_equal(merged + IHL + THL + (size_t)i * MSS, seg[i] + IHL + THL,
				    i == n - 1 ? last : MSS);
	assert_int_equal(vh->flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh->gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(vh->gso_size, MSS);
	assert_int_equal(vh->hdr_len, IHL + THL);
	assert_int_equal(vh->csum_start, IHL);
	assert_int_equal(vh->csum_offset, 16);
	/* The field holds the pseudo-header sum; completing it: */
	assert_int_equal(rd(merged + IHL + 16, 2), pseudo(merged, len - IHL));
	wr(merged + IHL + 16, 2, (uint16_t)~sum(merged + IHL, len - IHL, 0));
	assert_true(l4_ok(merged, len));
}

static void test_run_merged(void **state)
{
	struct coalesce c = {0};
	struct virtio_net_hdr vh;
	size_t len;

	for (int i = 0; i < 9; i++)
		assert_int_equal(
		    coalesce_add(&c, seg[i], mk(i, i == 8 ? 100 : MSS, i == 8 ? 0x08 : 0)),
		    COALESCE_TAKEN);
	len = finish(&c, &vh);
	check_merged(len, &vh, 9, 100);
	assert_int_equal(merged[IHL + 13], 0x18); /* the last's PSH */
	/* Finished: nothing open. */
	assert_int_equal(coalesce_finish(&c, &vh, &(struct iovec *){NULL}), 0);
}

/* A run of one is the segment as it came, with no offload. */
static void test_single(void **state)
{
	struct coalesce c = {0};
	struct virtio_net_hdr vh;
	size_t tot = mk(0, MSS, 0);

	assert_int_equal(coalesce_add(&c, seg[0], tot), COALESCE_TAKEN);
	assert_int_equal(finish(&c, &vh), tot);
	assert_memory_equal(merged, seg[0], tot);
	assert_int_equal(vh.flags, 0);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
}

/* What ends a run: each case after two good segments; the third must be
 * refused (FULL), and started again as a new run after finish. */
static void test_run_ends(void **state)
{
	static const struct {
		const char *what;
		int off, n;
		uint32_t v;
	} cases[] = {
	    {"a gap in the sequence", IHL + 4, 4, 1000 + 3 * MSS},
	    {"another source port", IHL, 2, 5002},
	    {"another ACK number", IHL + 8, 4, 778},
	    {"another window", IHL + 14, 2, 502},
	    {"another timestamp", IHL + 24, 4, 10},
	    {"another TOS (CE)", 1, 1, 0x03},
	    {"another TTL", 8, 1, 62},
	    {"another source address", 12, 4, 0xc6336406},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct coalesce c = {0};
		struct virtio_net_hdr vh;
		size_t tot;

		assert_int_equal(coalesce_add(&c, seg[0], mk(0, MSS, 0)), COALESCE_TAKEN);
		assert_int_equal(coalesce_add(&c, seg[1], mk(1, MSS, 0)), COALESCE_TAKEN);
		tot = mk(2, MSS, 0);
		wr(seg[2] + cases[k].off, cases[k].n, cases[k].v);
		checksum(seg[2], tot);
		if (coalesce_add(&c, seg[2], tot) != COALESCE_FULL)
			fail_msg("%s joined the run", cases[k].what);
		check_merged(finish(&c, &vh), &vh, 2, MSS);
		assert_int_equal(coalesce_add(&c, seg[2], tot), COALESCE_TAKEN);
	}
}

/* After a short segment or one with PSH nothing joins; a longer payload
 * than the first's does not either. */
static void test_closed(void **state)
{
	struct coalesce c = {0};
	struct virtio_net_hdr vh;

	assert_int_equal(coalesce_add(&c, seg[0], mk(0, MSS, 0)), COALESCE_TAKEN);
	assert_int_equal(coalesce_add(&c, seg[1], mk(1, 500, 0)), COALESCE_TAKEN);
	mk(2, 100, 0);
	wr(seg[2] + IHL + 4, 4, 1000 + MSS + 500); /* the next byte: only the length ends it */
	checksum(seg[2], IHL + THL + 100);
	assert_int_equal(coalesce_add(&c, seg[2], IHL + THL + 100), COALESCE_FULL);
	finish(&c, &vh);

	assert_int_equal(coalesce_add(&c, seg[0], mk(0, MSS, 0)), COALESCE_TAKEN);
	assert_int_equal(coalesce_add(&c, seg[1], mk(1, MSS, 0x08)), COALESCE_TAKEN);
	assert_int_equal(coalesce_add(&c, seg[2], mk(2, MSS, 0)), COALESCE_FULL);
	finish(&c, &vh);

	assert_int_equal(coalesce_add(&c, seg[0], mk(0, 1000, 0)), COALESCE_TAKEN);
	mk(1, MSS, 0);
	wr(seg[1] + IHL + 4, 4, 1000 + 1000);
	checksum(seg[1], IHL + THL + MSS);
	assert_int_equal(coalesce_add(&c, seg[1], IHL + THL + MSS), COALESCE_FULL);
	finish(&c, &vh);
}

/* The merged packet stays within the IPv4 total length. */
static void test_length_cap(void **state)
{
	struct coalesce c = {0};
	struct virtio_net_hdr vh;
	int i = 0;

	while (coalesce_add(&c, seg[i], mk(i, MSS, 0)) == COALESCE_TAKEN)
		i++;
	assert_int_equal(i, (65535 - IHL - THL) / MSS);
	check_merged(finish(&c, &vh), &vh, i, MSS);
}

/* Never merged: a wrong checksum (the kernel would have dropped it; merged,
 * its checksum would never be checked), SYN, FIN, RST, URG, ECE, CWR, no
 * ACK, no payload, no DF, a fragment, IP options, not TCP, a length that is
 * not the packet's. */
static void test_refused(void **state)
{
	static const struct {
		const char *what;
		int off, n;
		uint32_t v;
	} cases[] = {
	    {"a wrong checksum", -1, 0, 0},
	    {"SYN", IHL + 13, 1, 0x12},
	    {"FIN", IHL + 13, 1, 0x11},
	    {"RST", IHL + 13, 1, 0x14},
	    {"URG", IHL + 13, 1, 0x30},
	    {"ECE", IHL + 13, 1, 0x50},
	    {"CWR", IHL + 13, 1, 0x90},
	    {"no ACK", IHL + 13, 1, 0x08},
	    {"no DF", 6, 2, 0},
	    {"a fragment", 6, 2, 0x2000},
	    {"IP options", 0, 1, 0x46},
	    {"UDP", 9, 1, IPPROTO_UDP},
	    {"a longer total length", 2, 2, IHL + THL + MSS + 1},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct coalesce c = {0};
		size_t tot = mk(0, MSS, 0);

		if (cases[k].off < 0) {
			seg[0][IHL + THL + 5] ^= 0x40;
		} else {
			wr(seg[0] + cases[k].off, cases[k].n, cases[k].v);
			checksum(seg[0], tot);
		}
		if (coalesce_add(&c, seg[0], tot) != COALESCE_NOT)
			fail_msg("%s was taken", cases[k].what);
		/* In a run too: refused, not FULL. */
		assert_int_equal(coalesce_add(&c, seg[1], mk(1, MSS, 0)), COALESCE_TAKEN);
		if (coalesce_add(&c, seg[0], tot) != COALESCE_NOT)
			fail_msg("%s was not refused in a run", cases[k].what);
	}
	/* A GRO-merged packet: its checksum field holds the pseudo-header
	 * sum (partial), it goes alone. */
	{
		struct coalesce c = {0};
		size_t tot = mk(0, MSS, 0);

		wr(seg[0] + IHL + 16, 2, pseudo(seg[0], tot - IHL));
		assert_int_equal(coalesce_add(&c, seg[0], tot), COALESCE_NOT);
	}
	/* No payload: a pure ACK. */
	{
		struct coalesce c = {0};

		assert_int_equal(coalesce_add(&c, seg[0], mk(0, 0, 0)), COALESCE_NOT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_merged), cmocka_unit_test(test_single),
	    cmocka_unit_test(test_run_ends),   cmocka_unit_test(test_closed),
	    cmocka_unit_test(test_length_cap), cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
