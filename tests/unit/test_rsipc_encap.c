// SPDX-License-Identifier: BSD-2-Clause
/* rsipc tunnel packets (user/rsipc/encap.c): what may leave through the
 * tunnel, and taking IP-IP and GRE apart, with every reason to drop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "../../user/rsipc/encap.h"
#include "rsip/wire.h"

static struct in_addr na, nb, other;

static int setup(void **state)
{
	(void)state;
	inet_pton(AF_INET, "10.0.0.1", &na);
	inet_pton(AF_INET, "192.0.2.10", &nb);
	inet_pton(AF_INET, "198.51.100.5", &other);
	return 0;
}

/* An IPv4 header of total length tot at p. */
static void ip(uint8_t *p, uint16_t tot, uint8_t proto, struct in_addr src, struct in_addr dst)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
}

/* outer(Na -> X, proto) [GRE] inner(peer -> dst, UDP, 8 bytes payload) */
static size_t tunnelled(uint8_t *p, uint8_t tunnel, struct in_addr dst)
{
	size_t hdr = tunnel == RSIP_TUNNEL_GRE ? 24 : 20, inner = 28 + 8;

	ip(p, (uint16_t)(hdr + inner), encap_ip_proto(tunnel), na, (struct in_addr){htonl(1)});
	if (tunnel == RSIP_TUNNEL_GRE)
		encap_gre_header(p + 20);
	ip(p + hdr, (uint16_t)inner, IPPROTO_UDP, other, dst);
	return hdr + inner;
}

static void test_outbound(void **state)
{
	uint8_t p[64];

	(void)state;
	ip(p, 28, IPPROTO_UDP, nb, other);
	assert_int_equal(encap_check_outbound(p, 28, nb), ENCAP_OK);
	assert_int_equal(encap_check_outbound(p, 19, nb), ENCAP_SHORT);
	assert_int_equal(encap_check_outbound(p, 27, nb), ENCAP_SHORT); /* tot > read */
	ip(p, 28, IPPROTO_UDP, other, other);
	assert_int_equal(encap_check_outbound(p, 28, nb), ENCAP_NOT_FROM_NB);
	ip(p, 28, IPPROTO_UDP, nb, other);
	p[0] = 0x60; /* IPv6 */
	assert_int_equal(encap_check_outbound(p, 28, nb), ENCAP_NOT_IPV4);
	p[0] = 0x44; /* IHL 4 */
	assert_int_equal(encap_check_outbound(p, 28, nb), ENCAP_BAD_HEADER);
}

static void test_gre_header(void **state)
{
	uint8_t h[GRE_HDR_LEN];

	(void)state;
	/* RFC 2784: no flags, version 0, protocol type 0x0800 (spec D15). */
	encap_gre_header(h);
	assert_int_equal(h[0], 0);
	assert_int_equal(h[1], 0);
	assert_int_equal(h[2], 0x08);
	assert_int_equal(h[3], 0x00);
	assert_int_equal(encap_overhead(RSIP_TUNNEL_GRE), 24);
	assert_int_equal(encap_overhead(RSIP_TUNNEL_IPIP), 20);
	assert_int_equal(encap_ip_proto(RSIP_TUNNEL_GRE), IPPROTO_GRE);
	assert_int_equal(encap_ip_proto(RSIP_TUNNEL_IPIP), IPPROTO_IPIP);
}

static void test_decap_ipip(void **state)
{
	uint8_t p[128];
	size_t len, off = 0, ilen = 0;

	(void)state;
	len = tunnelled(p, RSIP_TUNNEL_IPIP, nb);
	assert_int_equal(encap_decap(p, len, RSIP_TUNNEL_IPIP, na, nb, &off, &ilen), ENCAP_OK);
	assert_int_equal(off, 20);
	assert_int_equal(ilen, 36);
	/* Trailing bytes beyond the outer total length are ignored. */
	assert_int_equal(encap_decap(p, len + 10, RSIP_TUNNEL_IPIP, na, nb, &off, &ilen), ENCAP_OK);
	assert_int_equal(ilen, 36);
	/* Wrong tunnel type, wrong endpoint, not for Nb. */
	assert_int_equal(encap_decap(p, len, RSIP_TUNNEL_GRE, na, nb, &off, &ilen),
			 ENCAP_WRONG_PROTO);
	assert_int_equal(encap_decap(p, len, RSIP_TUNNEL_IPIP, other, nb, &off, &ilen),
			 ENCAP_WRONG_SOURCE);
	assert_int_equal(encap_decap(p, len, RSIP_TUNNEL_IPIP, na, other, &off, &ilen),
			 ENCAP_INNER_NOT_OURS);
	/* Truncated anywhere. */
	for (size_t l = 0; l < len; l++) {
		int v = encap_decap(p, l, RSIP_TUNNEL_IPIP, na, nb, &off, &ilen);

		assert_int_not_equal(v, ENCAP_OK);
	}
	/* An outer fragment. */
	p[6] = 0x20; /* MF */
	assert_int_equal(encap_decap(p, len, RSIP_TUNNEL_IPIP, na, nb, &off, &ilen),
			 ENCAP_FRAGMENT);
	p[6] = 0;
	/* Inner not IPv4. */
	p[20] = 0x60;
	assert_int_equal(encap_decap(p, len, RSIP_TUNNEL_IPIP, na, nb, &off, &ilen),
			 ENCAP_INNER_NOT_IPV4);
}

static void test_decap_gre(void **state)
{
	uint8_t p[128], q[128];
	size_t len, off = 0, ilen = 0;

	(void)state;
	len = tunnelled(p, RSIP_TUNNEL_GRE, nb);
	assert_int_equal(encap_decap(p, len, RSIP_TUNNEL_GRE, na, nb, &off, &ilen), ENCAP_OK);
	assert_int_equal(off, 24);
	assert_int_equal(ilen, 36);
	/* Version 1 (PPTP), the routing bit, another protocol type. */
	memcpy(q, p, len);
	q[21] = 0x01;
	assert_int_equal(encap_decap(q, len, RSIP_TUNNEL_GRE, na, nb, &off, &ilen), ENCAP_BAD_GRE);
	memcpy(q, p, len);
	q[20] = 0x40;
	assert_int_equal(encap_decap(q, len, RSIP_TUNNEL_GRE, na, nb, &off, &ilen), ENCAP_BAD_GRE);
	memcpy(q, p, len);
	q[22] = 0x86; /* 0x86dd: IPv6 */
	q[23] = 0xdd;
	assert_int_equal(encap_decap(q, len, RSIP_TUNNEL_GRE, na, nb, &off, &ilen), ENCAP_BAD_GRE);
	/* A key (RFC 2890) is skipped over. */
	memcpy(q, p, 24);
	q[20] = 0x20;
	memset(q + 24, 0xab, 4);
	memcpy(q + 28, p + 24, len - 24);
	q[3] = (uint8_t)(len + 4);
	assert_int_equal(encap_decap(q, len + 4, RSIP_TUNNEL_GRE, na, nb, &off, &ilen), ENCAP_OK);
	assert_int_equal(off, 28);
	for (size_t l = 0; l < len; l++)
		assert_int_not_equal(encap_decap(p, l, RSIP_TUNNEL_GRE, na, nb, &off, &ilen),
				     ENCAP_OK);
}

static void test_names(void **state)
{
	(void)state;
	for (int v = 0; v < ENCAP_N_VERDICTS; v++)
		assert_string_not_equal(encap_verdict_name(v), "unknown");
	assert_string_equal(encap_verdict_name(ENCAP_N_VERDICTS), "unknown");
	assert_string_equal(encap_verdict_name(-1), "unknown");
}

/* A TCP (or UDP) packet peer -> Nb with its complete checksum. */
static size_t l4_packet(uint8_t *p, uint8_t proto, size_t payload)
{
	size_t l4 = proto == IPPROTO_TCP ? 20 : 8, tot = 20 + l4 + payload;
	uint8_t *h = p + 20;
	struct encap_csum c = {20, proto == IPPROTO_TCP ? 16 : 6};
	uint32_t sum;

	ip(p, (uint16_t)tot, proto, other, nb);
	memset(h, 0, l4);
	for (size_t i = 0; i < payload; i++)
		h[l4 + i] = (uint8_t)(i * 13 + 5);
	h[1] = 80;
	if (proto == IPPROTO_TCP)
		h[12] = 0x50;
	else
		h[5] = (uint8_t)(l4 + payload); /* UDP length (< 256 here) */
	/* The pseudo-header sum in the field, completed by the code under
	 * test; checked below against an independent sum over everything. */
	sum = proto + (uint32_t)(tot - 20);
	for (int i = 12; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	h[c.offset] = (uint8_t)(sum >> 8);
	h[c.offset + 1] = (uint8_t)sum;
	encap_csum_complete(p, tot, &c);
	return tot;
}

/* One's complement sum over pseudo-header and segment: 0xffff when right. */
static uint16_t verify(const uint8_t *p, size_t tot)
{
	uint32_t sum = p[9] + (uint32_t)(tot - 20);

	for (int i = 12; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	for (size_t i = 20; i + 1 < tot; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (tot % 2)
		sum += (uint32_t)p[tot - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void test_partial_csum(void **state)
{
	uint8_t p[2048], q[2048];
	struct encap_csum c;
	size_t tot;

	(void)state;
	for (int k = 0; k < 2; k++) {
		uint8_t proto = k ? IPPROTO_UDP : IPPROTO_TCP;
		size_t off = k ? 6 : 16;

		/* Odd and even lengths, larger than an MTU (as merged). */
		for (size_t payload = 1; payload < 1900; payload += 377) {
			tot = l4_packet(p, proto, payload);
			assert_int_equal(verify(p, tot), 0xffff);
			/* Complete: not partial. */
			assert_false(encap_partial_csum(p, tot, &c));
			/* What GRO leaves: the pseudo-header sum alone. */
			memcpy(q, p, tot);
			q[20 + off] = q[20 + off + 1] = 0;
			{
				uint32_t sum = proto + (uint32_t)(tot - 20);

				for (int i = 12; i < 20; i += 2)
					sum += (uint32_t)(q[i] << 8 | q[i + 1]);
				while (sum >> 16)
					sum = (sum & 0xffff) + (sum >> 16);
				q[20 + off] = (uint8_t)(sum >> 8);
				q[20 + off + 1] = (uint8_t)sum;
			}
			assert_true(encap_partial_csum(q, tot, &c));
			assert_int_equal(c.start, 20);
			assert_int_equal(c.offset, off);
			encap_csum_complete(q, tot, &c);
			assert_memory_equal(q, p, tot);
		}
	}
	/* Not TCP/UDP, a fragment, truncated: never partial. */
	tot = l4_packet(p, IPPROTO_TCP, 10);
	p[20 + 16] ^= 0xff;
	p[6] = 0x20;
	assert_false(encap_partial_csum(p, tot, &c));
	p[6] = 0;
	p[9] = IPPROTO_ICMP;
	assert_false(encap_partial_csum(p, tot, &c));
	p[9] = IPPROTO_TCP;
	assert_false(encap_partial_csum(p, 30, &c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outbound),   cmocka_unit_test(test_gre_header),
	    cmocka_unit_test(test_decap_ipip), cmocka_unit_test(test_decap_gre),
	    cmocka_unit_test(test_names),      cmocka_unit_test(test_partial_csum),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
