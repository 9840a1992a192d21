// SPDX-License-Identifier: BSD-2-Clause
/* IPv4 reassembly of the slow path (user/rsipd/slow_reasm.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "slowpath/pkt.h"
#include "slowpath/reasm.h"

static uint64_t fake_now;

static uint64_t clock_fn(void *arg)
{
	(void)arg;
	return fake_now;
}

static struct reasm *mk(uint32_t max_queues, size_t max_bytes, uint32_t max_frags)
{
	struct reasm_cfg c = {
	    .max_queues = max_queues,
	    .max_bytes = max_bytes,
	    .max_frags = max_frags,
	    .now_ms = clock_fn,
	};

	fake_now = 1000;
	return reasm_new(&c);
}

/* The whole datagram's payload: byte i is (i * 7 + seed). */
static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

/* Build fragment [off, off+len) of a datagram from src with id; options
 * adds 4 bytes of IP options (NOP NOP NOP EOL) to the header. */
static size_t frag(uint8_t *buf, uint32_t src, uint16_t id, uint16_t off, uint16_t len, bool mf,
		   bool df, bool options, const uint8_t *payload)
{
	size_t hlen = options ? 24 : 20;
	uint16_t v;
	uint32_t dst = htonl(0xc000020a);

	memset(buf, 0, hlen);
	buf[0] = (uint8_t)(0x40 | hlen / 4);
	v = htons((uint16_t)(hlen + len));
	memcpy(buf + 2, &v, 2);
	v = htons(id);
	memcpy(buf + 4, &v, 2);
	v = htons((uint16_t)((df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | off / 8));
	memcpy(buf + 6, &v, 2);
	buf[8] = 64;
	buf[9] = 17;
	memcpy(buf + 12, &src, 4);
	memcpy(buf + 16, &dst, 4);
	if (options)
		memcpy(buf + 20, "\x01\x01\x01\x00", 4);
	pkt_ip_set_csum(buf, hlen);
	if (payload)
		memcpy(buf + hlen, payload + off, len);
	else
		memset(buf + hlen, 0, len);
	return hlen + len;
}

static void check_whole(const uint8_t *p, size_t len, size_t hlen, size_t plen, bool df,
			const uint8_t *payload)
{
	struct pkt_ip ip;

	assert_int_equal(len, hlen + plen);
	assert_int_equal(pkt_parse_ipv4(p, len, true, &ip), 0);
	assert_int_equal(ip.hlen, hlen);
	assert_int_equal(ip.tot_len, len);
	assert_false(ip.mf);
	assert_int_equal(ip.frag_off, 0);
	assert_int_equal(ip.df, df);
	assert_memory_equal(ip.l4, payload, plen);
	if (hlen == 24)
		assert_memory_equal(p + 20, "\x01\x01\x01\x00", 4);
}

static void test_in_order_and_out_of_order(void **state)
{
	uint8_t payload[3000], buf[2000], *out = NULL;
	struct reasm *r = mk(0, 0, 0);
	uint32_t src = htonl(0xc6336402);
	size_t n, out_len = 0;

	fill(payload, sizeof(payload), 1);
	n = frag(buf, src, 7, 0, 1480, true, true, true, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	n = frag(buf, src, 7, 1480, 1480, true, true, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	n = frag(buf, src, 7, 2960, 40, false, true, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 1);
	/* The first fragment's header, options included, and DF kept. */
	check_whole(out, out_len, 24, 3000, true, payload);
	free(out);
	out = NULL;

	/* Last first, first last, no DF. */
	n = frag(buf, src, 8, 2960, 40, false, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	n = frag(buf, src, 8, 1480, 1480, true, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	n = frag(buf, src, 8, 0, 1480, true, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 1);
	check_whole(out, out_len, 20, 3000, false, payload);
	free(out);

	assert_int_equal(reasm_stats(r)->reassembled, 2);
	assert_int_equal(reasm_stats(r)->fragments, 6);
	assert_int_equal(reasm_stats(r)->queues, 0);
	assert_int_equal(reasm_stats(r)->bytes_held, 0);
	reasm_free(r);
}

static void test_keys_kept_apart(void **state)
{
	uint8_t p1[64], p2[64], buf[200], *out = NULL;
	struct reasm *r = mk(0, 0, 0);
	size_t n, out_len;

	fill(p1, sizeof(p1), 1);
	fill(p2, sizeof(p2), 9);
	/* Same id, different sources: two datagrams. */
	n = frag(buf, htonl(0x01010101), 5, 0, 32, true, false, false, p1);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	n = frag(buf, htonl(0x02020202), 5, 0, 32, true, false, false, p2);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	assert_int_equal(reasm_stats(r)->queues, 2);
	n = frag(buf, htonl(0x02020202), 5, 32, 32, false, false, false, p2);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 1);
	check_whole(out, out_len, 20, 64, false, p2);
	free(out);
	n = frag(buf, htonl(0x01010101), 5, 32, 32, false, false, false, p1);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 1);
	check_whole(out, out_len, 20, 64, false, p1);
	free(out);
	reasm_free(r);
}

static void test_duplicates_and_overlaps(void **state)
{
	uint8_t payload[64], other[64], buf[200], *out = NULL;
	struct reasm *r = mk(0, 0, 0);
	uint32_t src = htonl(0x01010101);
	size_t n, out_len;

	fill(payload, sizeof(payload), 1);
	fill(other, sizeof(other), 77);
	/* An exact duplicate is ignored; the datagram still completes. */
	n = frag(buf, src, 1, 0, 32, true, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), -EEXIST);
	assert_int_equal(reasm_stats(r)->duplicates, 1);
	n = frag(buf, src, 1, 32, 32, false, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 1);
	free(out);

	/* Same range, other bytes: the datagram is dropped. */
	n = frag(buf, src, 2, 0, 32, true, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	n = frag(buf, src, 2, 0, 32, true, false, false, other);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), -EPROTO);
	assert_int_equal(reasm_stats(r)->queues, 0);
	/* ... so its rest alone never completes. */
	n = frag(buf, src, 2, 32, 32, false, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);

	/* A partial overlap drops the datagram. */
	n = frag(buf, src, 3, 0, 32, true, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	n = frag(buf, src, 3, 24, 40, false, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), -EPROTO);

	/* A last fragment ending before data already held. */
	n = frag(buf, src, 4, 32, 32, true, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	n = frag(buf, src, 4, 8, 16, false, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), -EPROTO);

	/* Two last fragments that disagree on the length. */
	n = frag(buf, src, 6, 32, 32, false, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	n = frag(buf, src, 6, 40, 16, false, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), -EPROTO);

	assert_int_equal(reasm_stats(r)->overlaps, 4);
	reasm_free(r);
}

static void test_timeout(void **state)
{
	uint8_t payload[64], buf[200], *out = NULL;
	struct reasm *r = mk(0, 0, 0);
	uint32_t src = htonl(0x01010101);
	size_t n, out_len;

	fill(payload, sizeof(payload), 1);
	n = frag(buf, src, 1, 0, 32, true, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	fake_now += 29999;
	reasm_expire(r);
	assert_int_equal(reasm_stats(r)->queues, 1);
	fake_now += 1;
	reasm_expire(r);
	assert_int_equal(reasm_stats(r)->queues, 0);
	assert_int_equal(reasm_stats(r)->timeouts, 1);
	assert_int_equal(reasm_stats(r)->bytes_held, 0);
	/* The late rest starts a new datagram that cannot complete. */
	n = frag(buf, src, 1, 32, 32, false, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	reasm_free(r);
}

static void test_caps(void **state)
{
	uint8_t payload[4096], buf[2100], *out = NULL;
	struct reasm *r = mk(2, 0, 0);
	size_t n, out_len;
	int i;

	fill(payload, sizeof(payload), 3);
	/* Three datagrams in progress with room for two: the oldest goes. */
	for (i = 1; i <= 3; i++) {
		n = frag(buf, htonl(0x01010100u + (uint32_t)i), 1, 0, 32, true, false, false,
			 payload);
		assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
		fake_now++;
	}
	assert_int_equal(reasm_stats(r)->evicted, 1);
	assert_int_equal(reasm_stats(r)->queues, 2);
	/* The first one was evicted: its end alone does not complete. */
	n = frag(buf, htonl(0x01010101), 1, 32, 32, false, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	/* The third is still there. */
	n = frag(buf, htonl(0x01010103), 1, 32, 32, false, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 1);
	free(out);
	reasm_free(r);

	/* A byte cap of 3000: a second 2000-byte datagram evicts the first. */
	r = mk(0, 3000, 0);
	n = frag(buf, htonl(0x01010101), 1, 0, 2000, true, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	n = frag(buf, htonl(0x01010102), 1, 0, 2000, true, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	assert_int_equal(reasm_stats(r)->evicted, 1);
	assert_int_equal(reasm_stats(r)->bytes_held, 2000);
	/* One datagram larger than the cap on its own is dropped. */
	n = frag(buf, htonl(0x01010102), 1, 2000, 48, false, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 1);
	free(out);
	n = frag(buf, htonl(0x01010104), 1, 0, 2000, true, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	n = frag(buf, htonl(0x01010104), 1, 2000, 1008, true, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), -ENOMEM);
	assert_int_equal(reasm_stats(r)->bytes_held, 0);
	reasm_free(r);

	/* At most 4 fragments per datagram. */
	r = mk(0, 0, 4);
	for (i = 0; i < 4; i++) {
		n = frag(buf, htonl(0x01010101), 1, (uint16_t)(i * 8), 8, true, false, false,
			 payload);
		assert_int_equal(reasm_add(r, buf, n, &out, &out_len), 0);
	}
	n = frag(buf, htonl(0x01010101), 1, 32, 8, false, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), -E2BIG);
	assert_int_equal(reasm_stats(r)->too_many, 1);
	assert_int_equal(reasm_stats(r)->queues, 0);
	reasm_free(r);
}

static void test_malformed(void **state)
{
	uint8_t payload[2048], buf[2100], *out = NULL;
	struct reasm *r = mk(0, 0, 0);
	size_t n, out_len;

	fill(payload, sizeof(payload), 3);
	/* Not a fragment at all. */
	n = frag(buf, htonl(0x01010101), 1, 0, 32, false, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), -EINVAL);
	/* MF with a length that is not a multiple of 8. */
	n = frag(buf, htonl(0x01010101), 1, 0, 30, true, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), -EINVAL);
	/* Truncated: the header claims more than the buffer holds. */
	n = frag(buf, htonl(0x01010101), 1, 0, 32, true, false, false, payload);
	assert_int_equal(reasm_add(r, buf, n - 1, &out, &out_len), -EINVAL);
	assert_int_equal(reasm_add(r, buf, 10, &out, &out_len), -EINVAL);
	/* Past 65535 bytes. */
	n = frag(buf, htonl(0x01010101), 1, 65520, 32, false, false, false, NULL);
	assert_int_equal(reasm_add(r, buf, n, &out, &out_len), -EMSGSIZE);
	assert_int_equal(reasm_stats(r)->malformed, 4);
	assert_int_equal(reasm_stats(r)->too_big, 1);
	assert_int_equal(reasm_stats(r)->queues, 0);
	reasm_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_order_and_out_of_order),
	    cmocka_unit_test(test_keys_kept_apart),
	    cmocka_unit_test(test_duplicates_and_overlaps),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
