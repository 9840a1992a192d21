// SPDX-License-Identifier: BSD-2-Clause
/* The IKE fan-out (user/rsipd/slowpath/fanout.c): who gets a copy, the mark
 * the LAN rules turn into a learned cookie (only from a protected answer),
 * retransmissions, expiry and the bounds, with the maps in memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "rsip/wire.h"
#include "slowpath/fanout.h"
#include "slowpath/pkt.h"
#include "slowpath/slowpath.h"
#include "../lib/fake_dp_view.h"

#define SEC 1000000000ull

static struct dp_view view;
static uint32_t NA, NB, XA1, XA2, XA3, Y, Y2;
static const uint8_t MAC2[6] = {2, 0, 0, 0, 0, 0x12};
static const uint8_t K1[8] = {0x11, 1, 1, 1, 1, 1, 1, 1}, K2[8] = {0x22, 2, 2, 2, 2, 2, 2, 2},
		     K3[8] = {0x33, 3, 3, 3, 3, 3, 3, 3}, K4[8] = {0x44, 4, 4, 4, 4, 4, 4, 4},
		     K5[8] = {0x55, 5, 5, 5, 5, 5, 5, 5}, NEW[8] = {0xee, 1, 2, 3, 4, 5, 6, 7},
		     YSPI[8] = {0x99, 9, 9, 9, 9, 9, 9, 9};

static void client(uint32_t xa, const uint8_t *mac, uint8_t tunnel)
{
	struct rsip_client c = {
	    .nb = NB, .tunnels = 1u << tunnel, .flags = RSIP_CF_IPSEC, .cookie_cap = 64};

	if (mac)
		memcpy(c.mac, mac, 6);
	fake_view_put(DPM_CLIENTS, &xa, &c, sizeof(c));
}

/* A cookie the LAN program learned from xa, talking to peer on port. */
static void learned(uint32_t xa, uint8_t tunnel, uint16_t port, const uint8_t *cookie,
		    uint32_t peer)
{
	struct rsip_ike_key k = {.nb = NB, .port = htons(port)};
	struct rsip_target t = {
	    .xa = xa, .tunnel = tunnel, .flags = RSIP_TF_LEARNED, .remote = peer};

	memcpy(k.cookie, cookie, 8);
	fake_view_put(DPM_IKE, &k, &t, sizeof(t));
}

static int setup(void **state)
{
	NA = inet_addr("10.0.0.1");
	NB = inet_addr("192.0.2.10");
	XA1 = inet_addr("10.0.0.11");
	XA2 = inet_addr("10.0.0.12");
	XA3 = inet_addr("10.0.0.13");
	Y = inet_addr("198.51.100.2");
	Y2 = inet_addr("198.51.100.3");
	fake_view_reset(&view, 8);
	view.na = NA;
	client(XA1, NULL, RSIP_TUNNEL_GRE);
	client(XA2, MAC2, RSIP_TUNNEL_IPIP);
	client(XA3, NULL, RSIP_TUNNEL_IPIP);
	learned(XA1, RSIP_TUNNEL_GRE, 4500, K1, Y);
	learned(XA2, RSIP_TUNNEL_IPIP, 4500, K2, Y);
	learned(XA2, RSIP_TUNNEL_IPIP, 4500, K3, Y);  /* one copy per client */
	learned(XA3, RSIP_TUNNEL_IPIP, 4500, K4, Y2); /* another peer's */
	learned(XA3, RSIP_TUNNEL_IPIP, 500, K5, Y);   /* another port */
	return 0;
}

/* IPv4 + UDP + (on 4500) the non-ESP marker + an IKEv2 header with I set:
 * the client's SPI is SPIr. */
static size_t ike_msg(uint8_t *b, uint32_t src, uint32_t dst, uint16_t port, const uint8_t *spi_i,
		      const uint8_t *spi_r, uint8_t flags, uint8_t np)
{
	size_t off = 28, len;
	uint16_t v;

	memset(b, 0, 100);
	b[0] = 0x45;
	b[8] = 64;
	b[9] = IPPROTO_UDP;
	memcpy(b + 12, &src, 4);
	memcpy(b + 16, &dst, 4);
	v = htons(port);
	memcpy(b + 20, &v, 2);
	memcpy(b + 22, &v, 2);
	if (port == 4500)
		off += 4;
	memcpy(b + off, spi_i, 8);
	memcpy(b + off + 8, spi_r, 8);
	b[off + 16] = np;
	b[off + 17] = 0x20;
	b[off + 18] = 36; /* CREATE_CHILD_SA */
	b[off + 19] = flags;
	len = off + 28 + 8;
	v = htons((uint16_t)(len - 20));
	memcpy(b + 24, &v, 2);
	v = htons((uint16_t)len);
	memcpy(b + 2, &v, 2);
	pkt_ip_set_csum(b, 20);
	return len;
}

static struct pkt_ip parsed(const uint8_t *b, size_t n)
{
	struct pkt_ip ip;

	assert_int_equal(pkt_parse_ipv4(b, n, true, &ip), 0);
	return ip;
}

static int has_xa(const struct rsip_target *to, int n, uint32_t xa)
{
	for (int i = 0; i < n; i++)
		if (to[i].xa == xa)
			return 1;
	return 0;
}

static void mark_of(const uint8_t *cookie, uint16_t port, struct rsip_target *t, int want)
{
	struct rsip_ike_key k = {.nb = NB, .port = htons(port)};

	memcpy(k.cookie, cookie, 8);
	assert_int_equal(view.lookup(NULL, DPM_IKE, &k, t), want);
}

/* The candidates are the clients with a cookie naming Y on (Nb, port): one
 * copy each; the cookie is marked; a retransmission goes to the same. */
static void test_candidates_and_mark(void **state)
{
	uint64_t ctr[SC_MAX] = {0};
	struct fanout *f = fanout_new();
	struct rsip_target to[FANOUT_HOSTS], t;
	uint8_t b[128];
	struct pkt_ip ip;
	int n;

	ip = parsed(b, ike_msg(b, Y, NB, 4500, YSPI, NEW, 0x08, 46));
	n = fanout_packet(f, &view, &ip, 100 * SEC, to, ctr);
	assert_int_equal(n, 2);
	assert_true(has_xa(to, n, XA1));
	assert_true(has_xa(to, n, XA2));
	assert_int_equal(ctr[SC_FANOUT_STARTED], 1);
	mark_of(NEW, 4500, &t, 0);
	assert_int_equal(t.xa, 0);
	assert_int_equal(t.flags, RSIP_TF_LEARNED | RSIP_TF_IKE_FANOUT);

	n = fanout_packet(f, &view, &ip, 101 * SEC, to, ctr);
	assert_int_equal(n, 2);
	assert_int_equal(ctr[SC_FANOUT_REPEATED], 1);
	assert_int_equal(ctr[SC_FANOUT_STARTED], 1);
	/* Nobody answered within FANOUT_TTL_S: the mark goes. */
	fanout_tick(f, &view, 105 * SEC, ctr);
	mark_of(NEW, 4500, &t, 0);
	fanout_tick(f, &view, (100 + FANOUT_TTL_S) * SEC, ctr);
	assert_int_equal(ctr[SC_FANOUT_EXPIRED], 1);
	mark_of(NEW, 4500, &t, -ENOENT);
	fanout_free(f);
}

/* An outer IPv4 tunnel (IP-IP) from xa to Na around an IKE message from Nb
 * to Y. */
static size_t from_client(uint8_t *b, uint32_t xa, const uint8_t *spi_i, const uint8_t *spi_r,
			  uint8_t flags, uint8_t np)
{
	size_t n = ike_msg(b + 20, NB, Y, 4500, spi_i, spi_r, flags, np);
	uint16_t v = htons((uint16_t)(n + 20));

	memset(b, 0, 20);
	b[0] = 0x45;
	memcpy(b + 2, &v, 2);
	b[8] = 64;
	b[9] = IPPROTO_IPIP;
	memcpy(b + 12, &xa, 4);
	memcpy(b + 16, &NA, 4);
	pkt_ip_set_csum(b, 20);
	return n + 20;
}

/* The LAN rules: an unprotected answer to the mark is dropped and learns
 * nothing; a protected one takes it; after that the cookie is that
 * client's, and the tick counts the fan-out as answered. */
static void test_learn_only_protected(void **state)
{
	uint64_t ctr[SC_MAX] = {0};
	struct fanout *f = fanout_new();
	struct rsip_target to[FANOUT_HOSTS], t;
	struct slow_result res;
	uint8_t b[160];
	struct pkt_ip ip;
	size_t n;

	ip = parsed(b, ike_msg(b, Y, NB, 4500, YSPI, NEW, 0x08, 46));
	assert_int_equal(fanout_packet(f, &view, &ip, 100 * SEC, to, ctr), 2);
	/* XA2 answers INVALID_IKE_SPI (Notify, 41: unprotected). */
	n = from_client(b, XA2, YSPI, NEW, 0x20, 41);
	slow_lan_check(&view, MAC2, b, n, &res);
	assert_int_equal(res.verdict, SV_DROP);
	assert_int_equal(res.why, SC_LAN_DROP_FANOUT_UNPROTECTED);
	mark_of(NEW, 4500, &t, 0);
	assert_int_equal(t.flags & RSIP_TF_IKE_FANOUT, RSIP_TF_IKE_FANOUT);
	/* XA2 answers protected (SK): the cookie is XA2's. */
	n = from_client(b, XA2, YSPI, NEW, 0x20, 46);
	slow_lan_check(&view, MAC2, b, n, &res);
	assert_int_equal(res.verdict, SV_SEND);
	mark_of(NEW, 4500, &t, 0);
	assert_int_equal(t.xa, XA2);
	assert_int_equal(t.flags & RSIP_TF_IKE_FANOUT, 0);
	assert_int_equal(t.remote, Y);
	fanout_tick(f, &view, 101 * SEC, ctr);
	assert_int_equal(ctr[SC_FANOUT_ANSWERED], 1);
	/* Now Y's next message goes by the cookie (the WAN rules). */
	n = ike_msg(b, Y, NB, 4500, YSPI, NEW, 0x08, 46);
	slow_wan_demux(&view, b, n, &res);
	assert_int_equal(res.verdict, SV_TUNNEL);
	assert_int_equal(res.target.xa, XA2);
	fanout_free(f);
}

/* No candidate: dropped, nothing marked. At most FANOUT_PER_PEER fan-outs
 * wait for one peer, FANOUT_PENDING in all. */
static void test_bounds(void **state)
{
	uint64_t ctr[SC_MAX] = {0};
	struct fanout *f = fanout_new();
	struct rsip_target to[FANOUT_HOSTS], t;
	uint8_t b[128], c[8] = {0xc0};
	struct pkt_ip ip;
	unsigned int i, p;

	ip = parsed(b, ike_msg(b, inet_addr("198.51.100.99"), NB, 4500, YSPI, NEW, 0x08, 46));
	assert_int_equal(fanout_packet(f, &view, &ip, SEC, to, ctr), 0);
	assert_int_equal(ctr[SC_FANOUT_NO_CANDIDATE], 1);
	mark_of(NEW, 4500, &t, -ENOENT);

	for (i = 0; i <= FANOUT_PER_PEER; i++) {
		c[7] = (uint8_t)i;
		ip = parsed(b, ike_msg(b, Y, NB, 4500, YSPI, c, 0x08, 46));
		assert_int_equal(fanout_packet(f, &view, &ip, SEC, to, ctr),
				 i < FANOUT_PER_PEER ? 2 : 0);
	}
	assert_int_equal(ctr[SC_FANOUT_STARTED], FANOUT_PER_PEER);
	assert_int_equal(ctr[SC_FANOUT_FULL], 1);

	/* Other peers, each with a candidate, fill the rest of the table. */
	for (p = 1; p <= FANOUT_PENDING / FANOUT_PER_PEER; p++) {
		uint32_t peer = htonl(ntohl(inet_addr("203.0.113.0")) + p);

		uint8_t own[8] = {0xd0, (uint8_t)p};

		c[0] = (uint8_t)(0xd0 + p);
		learned(XA3, RSIP_TUNNEL_IPIP, 4500, own, peer);
		for (i = 0; i < FANOUT_PER_PEER; i++) {
			c[7] = (uint8_t)(0x80 + i);
			ip = parsed(b, ike_msg(b, peer, NB, 4500, YSPI, c, 0x08, 46));
			fanout_packet(f, &view, &ip, SEC, to, ctr);
		}
	}
	assert_int_equal(ctr[SC_FANOUT_STARTED], FANOUT_PENDING);
	assert_int_equal(ctr[SC_FANOUT_FULL], 1 + FANOUT_PER_PEER);
	fanout_free(f);
}

/* Through slow_record: copies tunnelled to each candidate, counted. */
static int nsent;
static uint32_t sent_xa[8];

static int cap_tunnel(void *arg, uint32_t xa, uint8_t tunnel, const uint8_t *p, size_t len)
{
	if (nsent < 8)
		sent_xa[nsent] = xa;
	nsent++;
	return 0;
}

static int cap_raw(void *arg, const uint8_t *p, size_t len)
{
	return 0;
}

static void test_record(void **state)
{
	static const struct slow_tx_ops tx = {.tunnel = cap_tunnel, .raw = cap_raw};
	struct slow_cfg cfg = {.view = &view, .tx = &tx, .lan_mtu = 1500, .wan_mtu = 1500};
	uint8_t rec[256];
	struct rsip_slow_meta m = {.reason = RSIP_SLOW_IKE_FANOUT};
	struct slowpath *sp;
	uint64_t ctr[SC_MAX];
	size_t n;

	cfg.na = NA;
	sp = slow_new(&cfg);
	assert_non_null(sp);
	n = ike_msg(rec + sizeof(m) + 14, Y, NB, 4500, YSPI, NEW, 0x08, 46);
	m.pkt_len = m.cap_len = (uint16_t)(n + 14);
	memcpy(rec, &m, sizeof(m));
	memset(rec + sizeof(m), 0xee, 12);
	rec[sizeof(m) + 12] = 0x08;
	rec[sizeof(m) + 13] = 0x00;
	nsent = 0;
	slow_record(sp, rec, sizeof(m) + m.cap_len);
	assert_int_equal(nsent, 2);
	assert_true(sent_xa[0] != sent_xa[1]);
	slow_counters(sp, ctr);
	assert_int_equal(ctr[SC_FANOUT_STARTED], 1);
	assert_int_equal(ctr[SC_FANOUT_COPIES], 2);
	slow_free(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_candidates_and_mark, setup),
	    cmocka_unit_test_setup(test_learn_only_protected, setup),
	    cmocka_unit_test_setup(test_bounds, setup),
	    cmocka_unit_test_setup(test_record, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
