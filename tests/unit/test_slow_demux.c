// SPDX-License-Identifier: BSD-2-Clause
/* The slow path's demultiplexing (user/rsipd/slowpath/demux.c: the shared
 * rules of include/rsip/rules/ compiled for user space, and the ICMP-error
 * owner), over maps held in memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "rsip/wire.h"
#include "slowpath/demux.h"
#include "slowpath/pkt.h"
#include "../lib/fake_dp_view.h"

static struct dp_view view;

static void put(enum dp_map_id m, const void *key, const void *val, size_t vlen)
{
	fake_view_put(m, key, val, vlen);
}

/* ---- the scene ------------------------------------------------------------ */

static uint32_t NB, NB_WHOLE, XA1, XA2, XA3, Y, Y2;
static const uint8_t MAC1[6] = {2, 0, 0, 0, 0, 0x11}, MAC2[6] = {2, 0, 0, 0, 0, 0x12};
static const uint8_t COOKIE1[8] = {1, 1, 1, 1, 1, 1, 1, 1}, COOKIE2[8] = {2, 2, 2, 2, 2, 2, 2, 2};

static struct rsip_target target(uint32_t xa, uint32_t bind_id, uint8_t tunnel)
{
	struct rsip_target t;

	memset(&t, 0, sizeof(t));
	t.xa = xa;
	t.bind_id = bind_id;
	t.tunnel = tunnel;
	return t;
}

static int setup(void **state)
{
	struct rsip_client c;
	struct rsip_nb_val nbv;
	struct rsip_target t;

	fake_view_reset(&view, 8);
	view.na = inet_addr("10.0.0.1");
	NB = inet_addr("192.0.2.10");
	NB_WHOLE = inet_addr("192.0.2.11");
	XA1 = inet_addr("10.0.0.11");
	XA2 = inet_addr("10.0.0.12");
	XA3 = inet_addr("10.0.0.13");
	Y = inet_addr("198.51.100.2");
	Y2 = inet_addr("203.0.113.2");

	memset(&nbv, 0, sizeof(nbv));
	put(DPM_NB, &NB, &nbv, sizeof(nbv));
	nbv.flags = RSIP_NB_WHOLE;
	nbv.whole = target(XA3, 30, RSIP_TUNNEL_IPIP);
	put(DPM_NB, &NB_WHOLE, &nbv, sizeof(nbv));

	/* X1: IPsec + ports 10000 (any peer) and 10001 (only Y:7000), IP-IP. */
	memset(&c, 0, sizeof(c));
	c.nb = NB;
	memcpy(c.mac, MAC1, 6);
	c.tunnels = 1u << RSIP_TUNNEL_IPIP;
	c.flags = RSIP_CF_IPSEC;
	c.cookie_cap = 4;
	put(DPM_CLIENTS, &XA1, &c, sizeof(c));
	/* X2: ports only, GRE. */
	memcpy(c.mac, MAC2, 6);
	c.tunnels = 1u << RSIP_TUNNEL_GRE;
	c.flags = 0;
	put(DPM_CLIENTS, &XA2, &c, sizeof(c));
	/* X3: holds NB_WHOLE. */
	c.nb = NB_WHOLE;
	c.tunnels = 1u << RSIP_TUNNEL_IPIP;
	c.flags = RSIP_CF_WHOLE_NB;
	memset(c.mac, 0x33, 6);
	put(DPM_CLIENTS, &XA3, &c, sizeof(c));

	t = target(XA1, 10, RSIP_TUNNEL_IPIP);
	put(DPM_PORTS, &(struct rsip_port_key){.nb = NB, .port = htons(10000)}, &t, sizeof(t));
	t.flags = RSIP_TF_REMOTE_ADDR | RSIP_TF_REMOTE_PORT;
	t.remote = Y;
	t.remote_port = htons(7000);
	t.bind_id = 11;
	put(DPM_PORTS, &(struct rsip_port_key){.nb = NB, .port = htons(10001)}, &t, sizeof(t));
	t = target(XA2, 20, RSIP_TUNNEL_GRE);
	put(DPM_PORTS, &(struct rsip_port_key){.nb = NB, .port = htons(20000)}, &t, sizeof(t));

	t = target(XA1, 12, RSIP_TUNNEL_IPIP);
	put(DPM_SPI, &(struct rsip_spi_key){.nb = NB, .spi = htonl(0x1234)}, &t, sizeof(t));
	t.bind_id = 13;
	put(DPM_SPI_BLK, &(struct rsip_blk_key){.nb = NB, .block = 0x5000 >> 8}, &t, sizeof(t));

	t = target(XA1, 0, RSIP_TUNNEL_IPIP);
	t.flags = RSIP_TF_LEARNED;
	struct rsip_ike_key ik = {.nb = NB, .port = htons(500)};
	memcpy(ik.cookie, COOKIE1, 8);
	put(DPM_IKE, &ik, &t, sizeof(t));
	ik.port = htons(4500);
	put(DPM_IKE, &ik, &t, sizeof(t));
	t.xa = XA2;
	ik.port = htons(500);
	memcpy(ik.cookie, COOKIE2, 8);
	put(DPM_IKE, &ik, &t, sizeof(t));

	t = target(XA2, 0, RSIP_TUNNEL_GRE);
	put(DPM_ICMP_ID, &(struct rsip_icmp_key){.nb = NB, .id = htons(77)}, &t, sizeof(t));

	struct rsip_out_val ov = {.xa = XA2};
	put(DPM_OUT_SPI, &(struct rsip_out_key){.peer = Y, .spi = htonl(0xabcd)}, &ov, sizeof(ov));
	return 0;
}

/* ---- packet builders ------------------------------------------------------- */

static size_t mkip(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, const void *l4,
		   size_t l4_len)
{
	uint16_t v;

	memset(b, 0, 20);
	b[0] = 0x45;
	v = htons((uint16_t)(20 + l4_len));
	memcpy(b + 2, &v, 2);
	b[4] = 0x12;
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, &src, 4);
	memcpy(b + 16, &dst, 4);
	pkt_ip_set_csum(b, 20);
	memcpy(b + 20, l4, l4_len);
	return 20 + l4_len;
}

static size_t mkudp(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		    const void *pl, size_t plen)
{
	uint8_t u[1500];
	uint16_t v;

	v = htons(sport);
	memcpy(u, &v, 2);
	v = htons(dport);
	memcpy(u + 2, &v, 2);
	v = htons((uint16_t)(8 + plen));
	memcpy(u + 4, &v, 2);
	u[6] = u[7] = 0;
	memcpy(u + 8, pl, plen);
	return mkip(b, src, dst, IPPROTO_UDP, u, 8 + plen);
}

/* An IKE header (28 bytes); v2 with the I flag when initiator. */
static void mkike(uint8_t *h, const uint8_t spii[8], const uint8_t spir[8], int v2, int initiator)
{
	memset(h, 0, 28);
	memcpy(h, spii, 8);
	memcpy(h + 8, spir, 8);
	h[17] = v2 ? 0x20 : 0x10;
	h[19] = initiator ? 0x08 : 0;
	h[27] = 28;
}

static void expect_tunnel(const uint8_t *p, size_t n, uint32_t xa, enum slow_counter why)
{
	struct slow_result r;

	slow_wan_demux(&view, p, n, &r);
	assert_int_equal(r.why, why);
	assert_int_equal(r.verdict, SV_TUNNEL);
	assert_int_equal(r.target.xa, xa);
}

static void expect_drop(const uint8_t *p, size_t n, enum slow_counter why)
{
	struct slow_result r;

	slow_wan_demux(&view, p, n, &r);
	assert_int_equal(r.why, why);
	assert_int_equal(r.verdict, SV_DROP);
}

/* ---- WAN ------------------------------------------------------------------ */

static void test_wan_ipsec(void **state)
{
	uint8_t p[200], l4[16] = {0};
	uint32_t spi;
	size_t n;

	spi = htonl(0x1234);
	memcpy(l4, &spi, 4);
	n = mkip(p, Y, NB, IPPROTO_ESP, l4, 16);
	expect_tunnel(p, n, XA1, SC_WAN_TX_ESP);
	/* Any SPI of X1's block 0x5000-0x50ff. */
	spi = htonl(0x50ab);
	memcpy(l4, &spi, 4);
	n = mkip(p, Y, NB, IPPROTO_ESP, l4, 16);
	expect_tunnel(p, n, XA1, SC_WAN_TX_ESP);
	spi = htonl(0x5100);
	memcpy(l4, &spi, 4);
	n = mkip(p, Y, NB, IPPROTO_ESP, l4, 16);
	expect_drop(p, n, SC_WAN_DROP_NO_SPI);
	/* AH: the SPI sits at offset 4; the length field says 3 words. */
	memset(l4, 0, sizeof(l4));
	l4[1] = 1;
	spi = htonl(0x1234);
	memcpy(l4 + 4, &spi, 4);
	n = mkip(p, Y, NB, IPPROTO_AH, l4, 16);
	expect_tunnel(p, n, XA1, SC_WAN_TX_AH);
	/* Too short for an ESP header. */
	n = mkip(p, Y, NB, IPPROTO_ESP, l4, 4);
	expect_drop(p, n, SC_WAN_DROP_MALFORMED);
}

static void test_wan_ports_and_ike(void **state)
{
	uint8_t p[200], pl[64], ike[28], none[8] = {0};
	size_t n;

	n = mkudp(p, Y, NB, 5000, 10000, "x", 1);
	expect_tunnel(p, n, XA1, SC_WAN_TX_PORT);
	/* Remote micro policy: only Y:7000. */
	n = mkudp(p, Y, NB, 7000, 10001, "x", 1);
	expect_tunnel(p, n, XA1, SC_WAN_TX_PORT);
	n = mkudp(p, Y, NB, 7001, 10001, "x", 1);
	expect_drop(p, n, SC_WAN_DROP_REMOTE_POLICY);
	n = mkudp(p, Y2, NB, 7000, 10001, "x", 1);
	expect_drop(p, n, SC_WAN_DROP_REMOTE_POLICY);
	/* Not claimed: N's own business, which the slow path cannot hand back. */
	n = mkudp(p, Y, NB, 5000, 33333, "x", 1);
	expect_drop(p, n, SC_WAN_DROP_LOCAL);

	/* IKEv1: the initiator cookie. */
	mkike(ike, COOKIE1, none, 0, 0);
	n = mkudp(p, Y, NB, 500, 500, ike, 28);
	expect_tunnel(p, n, XA1, SC_WAN_TX_IKE);
	mkike(ike, COOKIE2, none, 0, 0);
	n = mkudp(p, Y, NB, 500, 500, ike, 28);
	expect_tunnel(p, n, XA2, SC_WAN_TX_IKE);
	/* IKEv2 response from Y (I clear): SPIi is the client's. */
	mkike(ike, COOKIE1, COOKIE2, 1, 0);
	n = mkudp(p, Y, NB, 500, 500, ike, 28);
	expect_tunnel(p, n, XA1, SC_WAN_TX_IKE);
	/* Y initiated (I set): SPIr is the client's. */
	mkike(ike, COOKIE1, COOKIE2, 1, 1);
	n = mkudp(p, Y, NB, 500, 500, ike, 28);
	expect_tunnel(p, n, XA2, SC_WAN_TX_IKE);
	/* An unknown cookie (Appendix E: a peer's rekey) is dropped. */
	mkike(ike, none, COOKIE1, 0, 0);
	n = mkudp(p, Y, NB, 500, 500, ike, 28);
	expect_drop(p, n, SC_WAN_DROP_NO_COOKIE);
	n = mkudp(p, Y, NB, 500, 500, ike, 20);
	expect_drop(p, n, SC_WAN_DROP_MALFORMED);
	/* An IKE major version we do not know: malformed, as for XDP. */
	mkike(ike, COOKIE1, none, 0, 0);
	ike[17] = 0x30;
	n = mkudp(p, Y, NB, 500, 500, ike, 28);
	expect_drop(p, n, SC_WAN_DROP_MALFORMED);

	/* 4500 with the non-ESP marker: IKE after it. */
	memset(pl, 0, 4);
	mkike(pl + 4, COOKIE1, none, 0, 0);
	n = mkudp(p, Y, NB, 4500, 4500, pl, 32);
	expect_tunnel(p, n, XA1, SC_WAN_TX_IKE);
	/* 4500 without the marker: UDP-encapsulated ESP, by SPI. */
	memset(pl, 0, 16);
	pl[2] = 0x12;
	pl[3] = 0x34;
	n = mkudp(p, Y, NB, 4500, 4500, pl, 16);
	expect_tunnel(p, n, XA1, SC_WAN_TX_UDP_ESP);
	pl[3] = 0x35;
	n = mkudp(p, Y, NB, 4500, 4500, pl, 16);
	expect_drop(p, n, SC_WAN_DROP_NO_SPI);
	n = mkudp(p, Y, NB, 4500, 4500, "\xff", 1);
	expect_drop(p, n, SC_WAN_DROP_KEEPALIVE);
}

static void test_wan_tcp_icmp_whole(void **state)
{
	uint8_t p[200], l4[40] = {0};
	size_t n;

	l4[2] = 20000 >> 8;
	l4[3] = 20000 & 0xff;
	l4[12] = 0x50;
	n = mkip(p, Y, NB, IPPROTO_TCP, l4, 20);
	expect_tunnel(p, n, XA2, SC_WAN_TX_PORT);
	l4[3]++;
	n = mkip(p, Y, NB, IPPROTO_TCP, l4, 20);
	expect_drop(p, n, SC_WAN_DROP_LOCAL);

	/* Echo reply by learned id. */
	memset(l4, 0, sizeof(l4));
	l4[5] = 77;
	n = mkip(p, Y, NB, IPPROTO_ICMP, l4, 16);
	expect_tunnel(p, n, XA2, SC_WAN_TX_ICMP);
	l4[5] = 78;
	n = mkip(p, Y, NB, IPPROTO_ICMP, l4, 16);
	expect_drop(p, n, SC_WAN_DROP_NO_ICMP_ID);
	/* Timestamp reply: by id too. */
	l4[0] = 14;
	l4[5] = 77;
	n = mkip(p, Y, NB, IPPROTO_ICMP, l4, 20);
	expect_tunnel(p, n, XA2, SC_WAN_TX_ICMP);
	/* Echo request, redirect: N's business. */
	l4[0] = 8;
	n = mkip(p, Y, NB, IPPROTO_ICMP, l4, 16);
	expect_drop(p, n, SC_WAN_DROP_LOCAL);
	l4[0] = 5;
	n = mkip(p, Y, NB, IPPROTO_ICMP, l4, 16);
	expect_drop(p, n, SC_WAN_DROP_LOCAL);

	/* A whole address takes every protocol. */
	n = mkip(p, Y, NB_WHOLE, 47, l4, 16);
	expect_tunnel(p, n, XA3, SC_WAN_TX_WHOLE);
	n = mkudp(p, Y, NB_WHOLE, 1, 2, "x", 1);
	expect_tunnel(p, n, XA3, SC_WAN_TX_WHOLE);
	memset(l4, 0, sizeof(l4));
	n = mkip(p, Y, NB_WHOLE, IPPROTO_ESP, l4, 16);
	expect_tunnel(p, n, XA3, SC_WAN_TX_WHOLE);
	n = mkip(p, Y, NB_WHOLE, IPPROTO_ICMP, l4, 16); /* even an echo reply */
	expect_tunnel(p, n, XA3, SC_WAN_TX_WHOLE);
	/* Malformed stays malformed, whole or not. */
	n = mkip(p, Y, NB_WHOLE, IPPROTO_TCP, l4, 8);
	expect_drop(p, n, SC_WAN_DROP_MALFORMED);
	/* Not one of ours. */
	n = mkudp(p, Y, Y2, 1, 2, "x", 1);
	expect_drop(p, n, SC_WAN_DROP_NOT_NB);
	/* Truncated, and a fragment. */
	expect_drop(p, 19, SC_WAN_DROP_MALFORMED);
	n = mkudp(p, Y, NB, 5000, 10000, "x", 1);
	p[6] = 0x20;
	expect_drop(p, n, SC_WAN_DROP_MALFORMED);
}

/* ---- ICMP errors ------------------------------------------------------------ */

/* An ICMP error from router R to Nb quoting qlen bytes of quoted[]. */
static size_t mkicmp_err(uint8_t *b, uint8_t type, const uint8_t *quoted, size_t qlen)
{
	uint8_t l4[600];

	memset(l4, 0, 8);
	l4[0] = type;
	l4[1] = 4;
	memcpy(l4 + 8, quoted, qlen);
	return mkip(b, inet_addr("198.51.100.254"), NB, IPPROTO_ICMP, l4, 8 + qlen);
}

static void expect_owner(const uint8_t *p, size_t n, uint32_t xa, uint8_t tunnel)
{
	struct slow_result r;

	slow_icmp_error_owner(&view, p, n, &r);
	assert_int_equal(r.why, SC_ICMP_ERR_TUNNELLED);
	assert_int_equal(r.verdict, SV_TUNNEL);
	assert_int_equal(r.target.xa, xa);
	assert_int_equal(r.target.tunnel, tunnel);
	/* The WAN demux sends ICMP errors the same way. */
	slow_wan_demux(&view, p, n, &r);
	assert_int_equal(r.verdict, SV_TUNNEL);
	assert_int_equal(r.target.xa, xa);
}

static void expect_no_owner(const uint8_t *p, size_t n, enum slow_counter why)
{
	struct slow_result r;

	slow_icmp_error_owner(&view, p, n, &r);
	assert_int_equal(r.verdict, SV_DROP);
	assert_int_equal(r.why, why);
}

static void test_icmp_errors(void **state)
{
	uint8_t q[200], p[300], ike[28], esp[16] = {0}, none[8] = {0};
	size_t qn, n;

	/* X2 sent UDP from its port 20000 to Y: Y's port unreachable. */
	qn = mkudp(q, NB, Y, 20000, 53, "query", 5);
	n = mkicmp_err(p, 3, q, qn);
	expect_owner(p, n, XA2, RSIP_TUNNEL_GRE);
	/* Only 8 bytes of the datagram quoted (RFC 792) still work. */
	n = mkicmp_err(p, 11, q, 28);
	expect_owner(p, n, XA2, RSIP_TUNNEL_GRE);
	/* X1's IKE from port 500: by cookie. */
	mkike(ike, COOKIE1, none, 1, 1);
	qn = mkudp(q, NB, Y, 500, 500, ike, 28);
	n = mkicmp_err(p, 3, q, qn);
	expect_owner(p, n, XA1, RSIP_TUNNEL_IPIP);
	/* X2's ESP to Y with Y's SPI 0xabcd, learned in rsip_out_spi. */
	esp[2] = 0xab;
	esp[3] = 0xcd;
	qn = mkip(q, NB, Y, IPPROTO_ESP, esp, 16);
	n = mkicmp_err(p, 3, q, qn);
	expect_owner(p, n, XA2, RSIP_TUNNEL_GRE);
	/* An SPI nobody sent to that peer. */
	qn = mkip(q, NB, Y2, IPPROTO_ESP, esp, 16);
	n = mkicmp_err(p, 3, q, qn);
	expect_no_owner(p, n, SC_ICMP_ERR_NO_OWNER);
	/* A port nobody holds. */
	qn = mkudp(q, NB, Y, 20001, 53, "query", 5);
	n = mkicmp_err(p, 3, q, qn);
	expect_no_owner(p, n, SC_ICMP_ERR_NO_OWNER);
	/* Whole address: its holder. */
	qn = mkudp(q, NB_WHOLE, Y, 1, 53, "query", 5);
	n = mkicmp_err(p, 3, q, qn);
	expect_owner(p, n, XA3, RSIP_TUNNEL_IPIP);
	/* Quoting too little, or not an error at all. */
	n = mkicmp_err(p, 3, q, 20);
	expect_no_owner(p, n, SC_ICMP_ERR_MALFORMED);
	n = mkicmp_err(p, 0, q, qn);
	expect_no_owner(p, n, SC_ICMP_ERR_MALFORMED);
}

/* ---- LAN ---------------------------------------------------------------- */

static size_t tunnel(uint8_t *b, uint32_t xa, uint8_t type, const uint8_t *inner, size_t n)
{
	uint8_t l4[1600];

	if (type == RSIP_TUNNEL_GRE) {
		memcpy(l4, "\x00\x00\x08\x00", 4);
		memcpy(l4 + 4, inner, n);
		return mkip(b, xa, inet_addr("10.0.0.1"), IPPROTO_GRE, l4, n + 4);
	}
	memcpy(l4, inner, n);
	return mkip(b, xa, inet_addr("10.0.0.1"), IPPROTO_IPIP, l4, n);
}

static struct slow_result lan(const uint8_t *mac, uint32_t xa, uint8_t type, const uint8_t *inner,
			      size_t n)
{
	uint8_t p[1700];
	struct slow_result r;
	size_t pn = tunnel(p, xa, type, inner, n);

	slow_lan_check(&view, mac, p, pn, &r);
	if (r.verdict == SV_SEND) {
		assert_int_equal(r.inner_len, n);
		assert_memory_equal(r.inner, inner, n);
	}
	return r;
}

static void test_lan_checks(void **state)
{
	uint8_t in[200], ike[28], none[8] = {0}, esp[16] = {0};
	struct slow_result r;
	size_t n;

	n = mkudp(in, NB, Y, 10000, 53, "q", 1);
	r = lan(MAC1, XA1, RSIP_TUNNEL_IPIP, in, n);
	assert_int_equal(r.verdict, SV_SEND);
	assert_int_equal(r.why, SC_LAN_TX);
	assert_int_equal(r.rule, RSIP_CNT_LAN_TX);
	/* Spoofing: X2's MAC with X1's address; an unknown address. */
	r = lan(MAC2, XA1, RSIP_TUNNEL_IPIP, in, n);
	assert_int_equal(r.why, SC_LAN_DROP_BAD_MAC);
	r = lan(MAC1, inet_addr("10.0.0.99"), RSIP_TUNNEL_IPIP, in, n);
	assert_int_equal(r.why, SC_LAN_DROP_NOT_CLIENT);
	/* A tunnel type it did not lease: 307. */
	r = lan(MAC1, XA1, RSIP_TUNNEL_GRE, in, n);
	assert_int_equal(r.why, SC_LAN_DROP_BAD_TUNNEL);
	assert_int_equal(r.violation, 307);
	/* X2 uses X1's port: 313. */
	n = mkudp(in, NB, Y, 10000, 53, "q", 1);
	r = lan(MAC2, XA2, RSIP_TUNNEL_GRE, in, n);
	assert_int_equal(r.why, SC_LAN_DROP_BAD_PORT);
	assert_int_equal(r.violation, 313);
	n = mkudp(in, NB, Y, 20000, 53, "q", 1);
	r = lan(MAC2, XA2, RSIP_TUNNEL_GRE, in, n);
	assert_int_equal(r.why, SC_LAN_TX);
	/* Another source address: 312. */
	n = mkudp(in, NB_WHOLE, Y, 20000, 53, "q", 1);
	r = lan(MAC2, XA2, RSIP_TUNNEL_GRE, in, n);
	assert_int_equal(r.why, SC_LAN_DROP_BAD_SRC);
	assert_int_equal(r.violation, 312);
	/* Remote micro policy of port 10001: Y:7000 only (314, 315). */
	n = mkudp(in, NB, Y, 10001, 7000, "q", 1);
	assert_int_equal(lan(MAC1, XA1, RSIP_TUNNEL_IPIP, in, n).why, SC_LAN_TX);
	n = mkudp(in, NB, Y2, 10001, 7000, "q", 1);
	r = lan(MAC1, XA1, RSIP_TUNNEL_IPIP, in, n);
	assert_int_equal(r.violation, 314);
	n = mkudp(in, NB, Y, 10001, 7001, "q", 1);
	r = lan(MAC1, XA1, RSIP_TUNNEL_IPIP, in, n);
	assert_int_equal(r.violation, 315);
	/* IKE with a cookie X1 holds, and one X2 holds. */
	mkike(ike, COOKIE1, none, 0, 0);
	n = mkudp(in, NB, Y, 500, 500, ike, 28);
	assert_int_equal(lan(MAC1, XA1, RSIP_TUNNEL_IPIP, in, n).why, SC_LAN_TX);
	mkike(ike, COOKIE2, none, 0, 0);
	n = mkudp(in, NB, Y, 500, 500, ike, 28);
	r = lan(MAC1, XA1, RSIP_TUNNEL_IPIP, in, n);
	assert_int_equal(r.why, SC_LAN_DROP_COOKIE_TAKEN);
	assert_int_equal(r.rule, RSIP_CNT_LAN_DROP_COOKIE_TAKEN);
	assert_int_equal(r.violation, 0); /* trial and error: not a violation */
	/* ESP needs RSIPSEC. */
	n = mkip(in, NB, Y, IPPROTO_ESP, esp, 16);
	assert_int_equal(lan(MAC1, XA1, RSIP_TUNNEL_IPIP, in, n).why, SC_LAN_TX);
	r = lan(MAC2, XA2, RSIP_TUNNEL_GRE, in, n);
	assert_int_equal(r.why, SC_LAN_DROP_NO_IPSEC);
	assert_int_equal(r.violation, 313);
	/* A non-first inner fragment: source checked, ports not visible. */
	n = mkudp(in, NB, Y, 12345, 53, "q", 1);
	in[6] = 0x00;
	in[7] = 0x10;
	pkt_ip_set_csum(in, 20);
	assert_int_equal(lan(MAC2, XA2, RSIP_TUNNEL_GRE, in, n).why, SC_LAN_TX_FRAGMENT);
	/* A bad inner checksum is not the gateway's to check (the LAN program
	 * does not either): forwarded, and it stays bad (test_slow.c). */
	n = mkudp(in, NB, Y, 20000, 53, "q", 1);
	in[10] ^= 1;
	assert_int_equal(lan(MAC2, XA2, RSIP_TUNNEL_GRE, in, n).why, SC_LAN_TX);
	/* A truncated inner header is malformed. */
	n = mkudp(in, NB, Y, 20000, 53, "q", 1);
	in[0] = 0x44;
	assert_int_equal(lan(MAC2, XA2, RSIP_TUNNEL_GRE, in, n).why, SC_LAN_DROP_MALFORMED);
	/* X3 holds its address whole: any protocol. */
	n = mkip(in, NB_WHOLE, Y, 132, "sctp", 4);
	assert_int_equal(
	    lan((const uint8_t *)"\x33\x33\x33\x33\x33\x33", XA3, RSIP_TUNNEL_IPIP, in, n).why,
	    SC_LAN_TX);
}

/* The four places where the old user-space copy of the rules had drifted
 * from the programs (issue 7): the shared rules decide the same way now. */
static void test_former_drifts(void **state)
{
	uint8_t p[200], in[200], pl[64], esp[16] = {0}, icmp[16] = {0}, none[8] = {0};
	struct rsip_target t = target(XA2, 21, RSIP_TUNNEL_GRE), got;
	struct rsip_out_val ov;
	struct rsip_client c;
	struct slow_result r;
	size_t n;

	/* 500/4500 are never leased, so never looked up in rsip_ports: a
	 * stray port entry on 4500 does not steal X1's IKE. */
	put(DPM_PORTS, &(struct rsip_port_key){.nb = NB, .port = htons(4500)}, &t, sizeof(t));
	memset(pl, 0, 4);
	mkike(pl + 4, COOKIE1, none, 0, 0);
	n = mkudp(p, Y, NB, 4500, 4500, pl, 32);
	expect_tunnel(p, n, XA1, SC_WAN_TX_IKE);

	/* A client's echo request: the id is learned, or refused when another
	 * client holds it (X2 holds 77). */
	icmp[0] = 8;
	icmp[5] = 77;
	n = mkip(in, NB, Y, IPPROTO_ICMP, icmp, 16);
	r = lan(MAC1, XA1, RSIP_TUNNEL_IPIP, in, n);
	assert_int_equal(r.why, SC_LAN_DROP_ID_TAKEN);
	icmp[5] = 78;
	n = mkip(in, NB, Y, IPPROTO_ICMP, icmp, 16);
	assert_int_equal(lan(MAC1, XA1, RSIP_TUNNEL_IPIP, in, n).why, SC_LAN_TX);
	assert_int_equal(view.lookup(NULL, DPM_ICMP_ID,
				     &(struct rsip_icmp_key){.nb = NB, .id = htons(78)}, &got),
			 0);
	assert_int_equal(got.xa, XA1);
	assert_int_equal(view.lookup(NULL, DPM_CLIENTS, &XA1, &c), 0);
	assert_int_equal(c.cookies, 1); /* charged to X1 */

	/* ESP from a client: the outbound (Y, SPI) is learned for ICMP errors. */
	esp[3] = 0x77;
	n = mkip(in, NB, Y, IPPROTO_ESP, esp, 16);
	assert_int_equal(lan(MAC1, XA1, RSIP_TUNNEL_IPIP, in, n).why, SC_LAN_TX);
	assert_int_equal(view.lookup(NULL, DPM_OUT_SPI,
				     &(struct rsip_out_key){.peer = Y, .spi = htonl(0x77)}, &ov),
			 0);
	assert_int_equal(ov.xa, XA1);

	/* A client flagged whole whose Nb rsip_nb does not give it whole. */
	assert_int_equal(view.lookup(NULL, DPM_CLIENTS, &XA2, &c), 0);
	c.flags = RSIP_CF_WHOLE_NB;
	put(DPM_CLIENTS, &XA2, &c, sizeof(c));
	n = mkip(in, NB, Y, 132, "sctp", 4);
	r = lan(MAC2, XA2, RSIP_TUNNEL_GRE, in, n);
	assert_int_equal(r.why, SC_LAN_DROP_BAD_SRC);
	assert_int_equal(r.violation, 312);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_wan_ipsec, setup),
	    cmocka_unit_test_setup(test_wan_ports_and_ike, setup),
	    cmocka_unit_test_setup(test_wan_tcp_icmp_whole, setup),
	    cmocka_unit_test_setup(test_icmp_errors, setup),
	    cmocka_unit_test_setup(test_lan_checks, setup),
	    cmocka_unit_test_setup(test_former_drifts, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
