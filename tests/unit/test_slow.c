// SPDX-License-Identifier: BSD-2-Clause
/* The slow-path consumer (user/rsipd/slow.c): records in, sends and
 * counters out, with the maps in memory and the sender captured. */
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
#include "slowpath/slowpath.h"
#include "slowpath/pkt.h"
#include "../lib/fake_dp_view.h"

/* ---- captured sends ------------------------------------------------------- */

struct sent {
	int kind; /* 1 tunnel, 2 raw */
	uint32_t xa;
	uint8_t tunnel;
	uint8_t pkt[4000];
	size_t len;
};

static struct sent sent[16];
static int nsent;
static int tx_fail; /* the next send fails with this (negative) */

static int cap_tunnel(void *arg, uint32_t xa, uint8_t tunnel, const uint8_t *p, size_t len)
{
	struct sent *s = &sent[nsent];

	if (tx_fail) {
		int rc = tx_fail;

		tx_fail = 0;
		return rc;
	}
	assert_true(nsent < 16 && len <= sizeof(s->pkt));
	s->kind = 1;
	s->xa = xa;
	s->tunnel = tunnel;
	memcpy(s->pkt, p, len);
	s->len = len;
	nsent++;
	return 0;
}

static int cap_raw(void *arg, const uint8_t *p, size_t len)
{
	struct sent *s = &sent[nsent];

	assert_true(nsent < 16 && len <= sizeof(s->pkt));
	s->kind = 2;
	memcpy(s->pkt, p, len);
	s->len = len;
	nsent++;
	return 0;
}

static struct in_addr viol_xa;
static uint16_t viol_err;
static int nviol;

static void on_violation(void *arg, struct in_addr xa, uint16_t error)
{
	viol_xa = xa;
	viol_err = error;
	nviol++;
}

static struct dp_view view;
static const struct slow_tx_ops tx = {.tunnel = cap_tunnel, .raw = cap_raw};
static const struct dp_callbacks cb = {.violation = on_violation};
static struct slowpath *sp;
static uint32_t NA, NB, XA1, Y;
static const uint8_t MAC1[6] = {2, 0, 0, 0, 0, 0x11};

static int setup(void **state)
{
	struct slow_cfg cfg = {
	    .view = &view, .tx = &tx, .cb = &cb, .lan_mtu = 1524, .wan_mtu = 1500};
	struct rsip_client c;
	struct rsip_nb_val nbv;
	struct rsip_target t;

	NA = inet_addr("10.0.0.1");
	NB = inet_addr("192.0.2.10");
	XA1 = inet_addr("10.0.0.11");
	Y = inet_addr("198.51.100.2");
	cfg.na = NA;
	fake_view_reset(&view, 8);
	view.na = NA;
	memset(&nbv, 0, sizeof(nbv));
	fake_view_put(DPM_NB, &NB, &nbv, sizeof(nbv));
	memset(&c, 0, sizeof(c));
	c.nb = NB;
	memcpy(c.mac, MAC1, 6);
	c.tunnels = 1u << RSIP_TUNNEL_GRE;
	c.flags = RSIP_CF_IPSEC;
	fake_view_put(DPM_CLIENTS, &XA1, &c, sizeof(c));
	memset(&t, 0, sizeof(t));
	t.xa = XA1;
	t.tunnel = RSIP_TUNNEL_GRE;
	t.bind_id = 5;
	fake_view_put(DPM_SPI, &(struct rsip_spi_key){.nb = NB, .spi = htonl(0x1234)}, &t,
		      sizeof(t));
	fake_view_put(DPM_PORTS, &(struct rsip_port_key){.nb = NB, .port = htons(10000)}, &t,
		      sizeof(t));
	nsent = nviol = tx_fail = 0;
	sp = slow_new(&cfg);
	assert_non_null(sp);
	return 0;
}

static int teardown(void **state)
{
	slow_free(sp);
	return 0;
}

static uint64_t ctr(enum slow_counter c)
{
	uint64_t v[SC_MAX];

	slow_counters(sp, v);
	return v[c];
}

/* ---- builders ------------------------------------------------------------- */

static size_t mkip(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, uint16_t frag,
		   const uint8_t *l4, size_t l4_len)
{
	uint16_t v;

	memset(b, 0, 20);
	b[0] = 0x45;
	v = htons((uint16_t)(20 + l4_len));
	memcpy(b + 2, &v, 2);
	b[4] = 0x33;
	v = htons(frag);
	memcpy(b + 6, &v, 2);
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, &src, 4);
	memcpy(b + 16, &dst, 4);
	pkt_ip_set_csum(b, 20);
	memcpy(b + 20, l4, l4_len);
	return 20 + l4_len;
}

/* Feed a record: meta + Ethernet (src mac) + the IPv4 packet + pad bytes of
 * Ethernet padding. */
static void feed(uint32_t reason, uint32_t xa, uint8_t tunnel, const uint8_t *mac,
		 const uint8_t *ip, size_t len, size_t pad)
{
	static uint8_t rec[sizeof(struct rsip_slow_meta) + 14 + 9216 + 64];
	struct rsip_slow_meta m = {.reason = reason, .xa = xa, .tunnel = tunnel};
	uint8_t *f = rec + sizeof(m);

	m.pkt_len = (uint16_t)(14 + len + pad);
	m.cap_len = m.pkt_len;
	memcpy(rec, &m, sizeof(m));
	memset(f, 0xee, 6);
	memcpy(f + 6, mac ? mac : (const uint8_t *)"\x02\x99\x99\x99\x99\x99", 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memcpy(f + 14, ip, len);
	memset(f + 14 + len, 0, pad);
	/* The perf buffer pads records to 8 bytes. */
	slow_record(sp, rec, sizeof(m) + m.cap_len + 4);
}

static void fill(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 3 + 1);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_no_neigh_and_oversize(void **state)
{
	uint8_t esp[2000], ip[2100];
	size_t n;
	struct pkt_ip p;

	fill(esp, sizeof(esp));
	memcpy(esp, "\x00\x00\x12\x34", 4);
	n = mkip(ip, Y, NB, IPPROTO_ESP, 0, esp, 40);
	/* NO_NEIGH: tunnelled as it came, Ethernet padding stripped. */
	feed(RSIP_SLOW_NO_NEIGH, XA1, RSIP_TUNNEL_GRE, NULL, ip, n, 6);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].kind, 1);
	assert_int_equal(sent[0].xa, XA1);
	assert_int_equal(sent[0].tunnel, RSIP_TUNNEL_GRE);
	assert_int_equal(sent[0].len, n);
	assert_memory_equal(sent[0].pkt, ip, n);
	assert_int_equal(ctr(SC_NO_NEIGH_TUNNELLED), 1);

	/* OVERSIZE without DF: tunnelled (the kernel fragments the outer). */
	n = mkip(ip, Y, NB, IPPROTO_ESP, 0, esp, 1490);
	feed(RSIP_SLOW_OVERSIZE, XA1, RSIP_TUNNEL_GRE, NULL, ip, n, 0);
	assert_int_equal(nsent, 2);
	assert_int_equal(sent[1].kind, 1);
	assert_int_equal(sent[1].len, n);
	assert_int_equal(ctr(SC_OVERSIZE_TUNNELLED), 1);

	/* With DF: fragmentation needed to Y from Nb, MTU 1524 - 24 (GRE). */
	n = mkip(ip, Y, NB, IPPROTO_ESP, 0x4000, esp, 1490);
	feed(RSIP_SLOW_OVERSIZE, XA1, RSIP_TUNNEL_GRE, NULL, ip, n, 0);
	assert_int_equal(nsent, 3);
	assert_int_equal(sent[2].kind, 2);
	assert_int_equal(pkt_parse_ipv4(sent[2].pkt, sent[2].len, true, &p), 0);
	assert_int_equal(p.src, NB);
	assert_int_equal(p.dst, Y);
	assert_int_equal(p.l4[0], 3);
	assert_int_equal(p.l4[1], 4);
	assert_int_equal(pkt_get16(p.l4 + 6), 1500);
	assert_int_equal(ctr(SC_OVERSIZE_ICMP_SENT), 1);

	/* A failed send is counted as such, not as delivered. */
	tx_fail = -ENOBUFS;
	n = mkip(ip, Y, NB, IPPROTO_ESP, 0, esp, 40);
	feed(RSIP_SLOW_NO_NEIGH, XA1, RSIP_TUNNEL_GRE, NULL, ip, n, 0);
	assert_int_equal(ctr(SC_NO_NEIGH_TUNNELLED), 1);
	assert_int_equal(ctr(SC_TX_ERROR), 1);
	assert_int_equal(ctr(SC_RECORDS), 4);
}

static void test_wan_fragments(void **state)
{
	uint8_t esp[3000], ip[1600];
	size_t n;

	fill(esp, sizeof(esp));
	memcpy(esp, "\x00\x00\x12\x34", 4);
	/* Second half first, then the first with the SPI. */
	n = mkip(ip, Y, NB, IPPROTO_ESP, 1480 / 8, esp + 1480, 520);
	feed(RSIP_SLOW_FRAGMENT, 0, 0, NULL, ip, n, 0);
	assert_int_equal(nsent, 0);
	n = mkip(ip, Y, NB, IPPROTO_ESP, 0x2000, esp, 1480);
	feed(RSIP_SLOW_FRAGMENT, 0, 0, NULL, ip, n, 0);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].xa, XA1);
	assert_int_equal(sent[0].len, 20 + 2000);
	assert_memory_equal(sent[0].pkt + 20, esp, 2000);
	assert_int_equal(ctr(SC_WAN_TX_ESP), 1);
	assert_int_equal(ctr(SC_FRAG_REASSEMBLED), 1);
	assert_int_equal(ctr(SC_FRAG_IN), 2);

	/* An SPI nobody holds: dropped after reassembly, counted. */
	memcpy(esp, "\x00\x00\x12\x35", 4);
	n = mkip(ip, Y, NB, IPPROTO_ESP, 0x2000, esp, 1480);
	feed(RSIP_SLOW_FRAGMENT, 0, 0, NULL, ip, n, 0);
	n = mkip(ip, Y, NB, IPPROTO_ESP, 1480 / 8, esp + 1480, 520);
	feed(RSIP_SLOW_FRAGMENT, 0, 0, NULL, ip, n, 0);
	assert_int_equal(nsent, 1);
	assert_int_equal(ctr(SC_WAN_DROP_NO_SPI), 1);
}

static void test_icmp_error_and_violation(void **state)
{
	uint8_t q[100], l4[200], ip[300], udp[16] = {0};
	size_t qn, n;

	udp[0] = 10000 >> 8;
	udp[1] = 10000 & 0xff;
	udp[3] = 53;
	qn = mkip(q, NB, Y, IPPROTO_UDP, 0, udp, 16);
	memset(l4, 0, 8);
	l4[0] = 3;
	l4[1] = 3;
	memcpy(l4 + 8, q, qn);
	n = mkip(ip, Y, NB, IPPROTO_ICMP, 0, l4, 8 + qn);
	feed(RSIP_SLOW_ICMP_ERROR, 0, 0, NULL, ip, n, 0);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].xa, XA1);
	assert_int_equal(ctr(SC_ICMP_ERR_TUNNELLED), 1);
	/* Quoting a port nobody holds. */
	q[20] = 0x99;
	pkt_ip_set_csum(q, 20);
	memcpy(l4 + 8, q, qn);
	n = mkip(ip, Y, NB, IPPROTO_ICMP, 0, l4, 8 + qn);
	feed(RSIP_SLOW_ICMP_ERROR, 0, 0, NULL, ip, n, 0);
	assert_int_equal(nsent, 1);
	assert_int_equal(ctr(SC_ICMP_ERR_NO_OWNER), 1);

	/* A violation record: only the head of the frame, no packet to send. */
	struct rsip_slow_meta m = {
	    .reason = RSIP_SLOW_VIOLATION, .xa = XA1, .error = 313, .pkt_len = 1000, .cap_len = 0};
	slow_record(sp, &m, sizeof(m));
	assert_int_equal(nviol, 1);
	assert_int_equal(viol_xa.s_addr, XA1);
	assert_int_equal(viol_err, 313);
	assert_int_equal(ctr(SC_VIOLATIONS), 1);
}

static void test_lan_route(void **state)
{
	uint8_t pl[3000], ip[3100];
	struct pkt_ip p;
	size_t n;

	fill(pl, sizeof(pl));
	pl[0] = 10000 >> 8;
	pl[1] = 10000 & 0xff;
	/* Fits: sent as it is. */
	n = mkip(ip, NB, Y, IPPROTO_UDP, 0, pl, 100);
	feed(RSIP_SLOW_LAN_ROUTE, 0, 0, MAC1, ip, n, 0);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].kind, 2);
	assert_memory_equal(sent[0].pkt, ip, n);
	/* Bigger than the WAN, no DF: fragmented here. */
	n = mkip(ip, NB, Y, IPPROTO_UDP, 0, pl, 2000);
	feed(RSIP_SLOW_LAN_ROUTE, 0, 0, MAC1, ip, n, 0);
	assert_int_equal(nsent, 3);
	assert_int_equal(sent[1].kind, 2);
	assert_true(sent[1].len <= 1500 && sent[2].len <= 1500);
	assert_int_equal(ctr(SC_LAN_ROUTE_SENT), 2);
	/* With DF: ICMP fragmentation needed back to the client through its
	 * tunnel, found from the packet's own source port. */
	n = mkip(ip, NB, Y, IPPROTO_UDP, 0x4000, pl, 2000);
	feed(RSIP_SLOW_LAN_ROUTE, 0, 0, MAC1, ip, n, 0);
	assert_int_equal(nsent, 4);
	assert_int_equal(sent[3].kind, 1);
	assert_int_equal(sent[3].xa, XA1);
	assert_int_equal(sent[3].tunnel, RSIP_TUNNEL_GRE);
	assert_int_equal(pkt_parse_ipv4(sent[3].pkt, sent[3].len, true, &p), 0);
	assert_int_equal(p.src, NA);
	assert_int_equal(p.dst, NB);
	assert_int_equal(pkt_get16(p.l4 + 6), 1500);
	assert_int_equal(ctr(SC_TX_TOO_BIG), 1);
	assert_int_equal(ctr(SC_OVERSIZE_ICMP_SENT), 1);
}

static void test_lan_fragments(void **state)
{
	uint8_t inner[2100], gre[2200], ip[1600], udp[2000];
	struct pkt_ip p;
	size_t in_n, n;

	fill(udp, sizeof(udp));
	udp[0] = 10000 >> 8;
	udp[1] = 10000 & 0xff;
	udp[2] = 0;
	udp[3] = 53;
	in_n = mkip(inner, NB, Y, IPPROTO_UDP, 0, udp, 1400);
	memcpy(gre, "\x00\x00\x08\x00", 4);
	memcpy(gre + 4, inner, in_n);
	/* The outer packet in two fragments from X1 with X1's MAC. */
	n = mkip(ip, XA1, NA, IPPROTO_GRE, 0x2000, gre, 1000);
	feed(RSIP_SLOW_LAN_FRAGMENT, 0, 0, MAC1, ip, n, 0);
	n = mkip(ip, XA1, NA, IPPROTO_GRE, 1000 / 8, gre + 1000, 4 + in_n - 1000);
	feed(RSIP_SLOW_LAN_FRAGMENT, 0, 0, MAC1, ip, n, 0);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].kind, 2);
	assert_int_equal(sent[0].len, in_n);
	/* Forwarded: TTL one less, header checksum still right. */
	assert_int_equal(pkt_parse_ipv4(sent[0].pkt, sent[0].len, true, &p), 0);
	assert_int_equal(p.ttl, 63);
	assert_memory_equal(p.l4, udp, 1400);
	assert_int_equal(ctr(SC_LAN_TX), 1);

	/* Another MAC with X1's address never reaches the reassembler. */
	n = mkip(ip, XA1, NA, IPPROTO_GRE, 0x2000, gre, 1000);
	feed(RSIP_SLOW_LAN_FRAGMENT, 0, 0, (const uint8_t *)"\x02\x00\x00\x00\x00\x12", ip, n, 0);
	assert_int_equal(ctr(SC_LAN_DROP_BAD_MAC), 1);
	assert_int_equal(ctr(SC_FRAG_IN), 2);

	/* A port X1 does not hold: dropped, and the engine hears of it (313). */
	udp[1]++;
	in_n = mkip(inner, NB, Y, IPPROTO_UDP, 0, udp, 1400);
	memcpy(gre + 4, inner, in_n);
	n = mkip(ip, XA1, NA, IPPROTO_GRE, 0x2000, gre, 1000);
	ip[5] = 0x44; /* another IP ID */
	pkt_ip_set_csum(ip, 20);
	feed(RSIP_SLOW_LAN_FRAGMENT, 0, 0, MAC1, ip, n, 0);
	n = mkip(ip, XA1, NA, IPPROTO_GRE, 1000 / 8, gre + 1000, 4 + in_n - 1000);
	ip[5] = 0x44;
	pkt_ip_set_csum(ip, 20);
	feed(RSIP_SLOW_LAN_FRAGMENT, 0, 0, MAC1, ip, n, 0);
	assert_int_equal(nsent, 1);
	assert_int_equal(ctr(SC_LAN_DROP_BAD_PORT), 1);
	assert_int_equal(nviol, 1);
	assert_int_equal(viol_err, 313);
}

static void test_bad_records(void **state)
{
	struct rsip_slow_meta m = {.reason = RSIP_SLOW_NO_NEIGH, .pkt_len = 100, .cap_len = 100};
	uint8_t rec[sizeof(m) + 100] = {0};
	uint8_t ip[100];
	size_t n;

	slow_record(sp, rec, 10); /* shorter than the meta */
	memcpy(rec, &m, sizeof(m));
	slow_record(sp, rec, sizeof(m) + 50); /* cap_len beyond the record */
	m.cap_len = 60;			      /* truncated frame */
	memcpy(rec, &m, sizeof(m));
	slow_record(sp, rec, sizeof(rec));
	assert_int_equal(ctr(SC_BAD_RECORD), 3);
	/* Not IPv4. */
	m.cap_len = 100;
	memcpy(rec, &m, sizeof(m));
	slow_record(sp, rec, sizeof(rec));
	assert_int_equal(ctr(SC_MALFORMED), 1);
	/* An unknown reason. */
	n = mkip(ip, Y, NB, IPPROTO_ESP, 0, (const uint8_t *)"\0\0\x12\x34\0\0\0\0", 8);
	feed(99, XA1, RSIP_TUNNEL_GRE, NULL, ip, n, 0);
	assert_int_equal(ctr(SC_BAD_RECORD), 4);
	slow_lost(sp, 7);
	assert_int_equal(ctr(SC_LOST), 7);
	assert_int_equal(nsent, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_no_neigh_and_oversize, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wan_fragments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_icmp_error_and_violation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lan_route, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lan_fragments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_records, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
