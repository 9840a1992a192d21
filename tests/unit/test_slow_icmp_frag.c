// SPDX-License-Identifier: BSD-2-Clause
/* ICMP fragmentation-needed (slow_icmp.c) and the user-space fragmenter
 * (slow_frag.c), checked by reassembling with slow_reasm.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "slowpath/frag.h"
#include "slowpath/icmp.h"
#include "slowpath/pkt.h"
#include "slowpath/reasm.h"

static size_t mkpkt(uint8_t *b, size_t plen, bool df, const uint8_t *opts, size_t olen)
{
	size_t hlen = 20 + olen, i;
	uint16_t v;
	uint32_t a;

	memset(b, 0, hlen);
	b[0] = (uint8_t)(0x40 | hlen / 4);
	v = htons((uint16_t)(hlen + plen));
	memcpy(b + 2, &v, 2);
	b[4] = 0xab;
	b[5] = 0xcd;
	b[6] = df ? 0x40 : 0;
	b[8] = 63;
	b[9] = 17;
	a = inet_addr("198.51.100.2");
	memcpy(b + 12, &a, 4);
	a = inet_addr("192.0.2.10");
	memcpy(b + 16, &a, 4);
	if (olen)
		memcpy(b + 20, opts, olen);
	pkt_ip_set_csum(b, hlen);
	for (i = 0; i < plen; i++)
		b[hlen + i] = (uint8_t)(i * 13 + 5);
	return hlen + plen;
}

static void test_frag_needed(void **state)
{
	uint8_t orig[2000], buf[SLOW_ICMP_MAX_LEN];
	struct pkt_ip ip, q;
	size_t n = mkpkt(orig, 1480, true, NULL, 0);
	int len;

	len = slow_icmp_frag_needed(buf, sizeof(buf), inet_addr("192.0.2.10"),
				    inet_addr("198.51.100.2"), 1480, orig, n);
	assert_int_equal(len, SLOW_ICMP_MAX_LEN);
	assert_int_equal(pkt_parse_ipv4(buf, (size_t)len, true, &ip), 0);
	assert_int_equal(ip.proto, 1);
	assert_int_equal(ip.src, inet_addr("192.0.2.10"));
	assert_int_equal(ip.dst, inet_addr("198.51.100.2"));
	assert_int_equal(ip.l4[0], 3);
	assert_int_equal(ip.l4[1], 4);
	assert_int_equal(pkt_get16(ip.l4 + 6), 1480);
	assert_int_equal(pkt_csum(ip.l4, ip.l4_len), 0);
	/* The quote starts with the offending header, as sent. */
	assert_memory_equal(ip.l4 + 8, orig, 20 + 8);
	assert_int_equal(pkt_parse_ipv4(ip.l4 + 8, 20, false, &q), -EINVAL); /* truncated quote */
	/* A short packet is quoted whole. */
	n = mkpkt(orig, 10, true, NULL, 0);
	len = slow_icmp_frag_needed(buf, sizeof(buf), 1, 2, 1000, orig, n);
	assert_int_equal(len, 20 + 8 + 30);
	assert_int_equal(slow_icmp_frag_needed(buf, sizeof(buf), 1, 2, 1000, orig, 10), -EINVAL);
	assert_int_equal(slow_icmp_frag_needed(buf, 100, 1, 2, 1000, orig, n), -EINVAL);
}

struct sink {
	struct reasm *r;
	uint8_t *whole;
	size_t whole_len;
	int frags;
	size_t max_len;
	bool later_opts_ok;
};

static int collect(void *arg, const uint8_t *f, size_t len)
{
	struct sink *s = arg;
	struct pkt_ip ip;

	assert_int_equal(pkt_parse_ipv4(f, len, true, &ip), 0);
	if (len > s->max_len)
		s->max_len = len;
	/* Later fragments carry only the copied option (type 0x83 LSRR). */
	if (ip.frag_off && ip.hlen != 20 + 8)
		s->later_opts_ok = false;
	s->frags++;
	if (!pkt_ip_is_fragment(&ip)) {
		s->whole = malloc(len);
		memcpy(s->whole, f, len);
		s->whole_len = len;
		return 0;
	}
	return reasm_add(s->r, f, len, &s->whole, &s->whole_len) < 0 ? -1 : 0;
}

static void test_fragmenter(void **state)
{
	/* LSRR (copied, 7 bytes) + NOP, then a timestamp (not copied, 4 bytes). */
	static const uint8_t opts[12] = {0x83, 7, 4, 1, 2, 3, 4, 1, 0x44, 4, 5, 0};
	uint8_t pkt[4000];
	struct sink s = {.later_opts_ok = true};
	size_t n;

	s.r = reasm_new(NULL);
	n = mkpkt(pkt, 3000, false, opts, sizeof(opts));
	assert_int_equal(slow_fragment(pkt, n, 1500, collect, &s), 3);
	assert_int_equal(s.frags, 3);
	assert_true(s.max_len <= 1500);
	assert_true(s.later_opts_ok);
	assert_non_null(s.whole);
	assert_int_equal(s.whole_len, n);
	assert_memory_equal(s.whole, pkt, n);
	free(s.whole);
	reasm_free(s.r);

	/* A packet that fits goes out as it is. */
	memset(&s, 0, sizeof(s));
	s.r = reasm_new(NULL);
	n = mkpkt(pkt, 1000, true, NULL, 0);
	assert_int_equal(slow_fragment(pkt, n, 1500, collect, &s), 1);
	assert_memory_equal(s.whole, pkt, n);
	free(s.whole);
	/* DF: the caller must send ICMP instead. */
	n = mkpkt(pkt, 3000, true, NULL, 0);
	assert_int_equal(slow_fragment(pkt, n, 1500, collect, &s), -EMSGSIZE);
	assert_int_equal(slow_fragment(pkt, n, 60, collect, &s), -EINVAL);
	reasm_free(s.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frag_needed),
	    cmocka_unit_test(test_fragmenter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
