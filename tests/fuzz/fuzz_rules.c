// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the packet rules (include/rsip/rules/) as the slow
 * path runs them (user/rsipd/slowpath/demux.c), over a small table in
 * memory: two clients on one shared Nb (ports, an SPI block, a single SPI,
 * a cookie, an echo id, an outbound SPI), one holding another Nb whole.
 *
 * The first byte picks the side (even: a datagram from the public realm,
 * odd: a tunnel packet from the first client's MAC); the rest is the IPv4
 * packet. Whatever the bytes, the rules must not read outside them (ASan),
 * must answer a known outcome with a counter of their own side, may tunnel
 * only to a client of the table and only from one of our Nb, and may send
 * only an inner packet that lies inside the input and comes from a client's
 * Nb.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/fake_dp_view.h"
#include "slowpath/demux.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_rules: check failed: %s\n", #cond);                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static const uint8_t MAC1[6] = {2, 0, 0, 0, 0, 0x11}, MAC2[6] = {2, 0, 0, 0, 0, 0x12};
static struct dp_view view;
static uint32_t NA, NB, NB_WHOLE, XA1, XA2, XA3, Y;

static struct rsip_target target(uint32_t xa, uint32_t bind_id)
{
	struct rsip_target t;

	memset(&t, 0, sizeof(t));
	t.xa = xa;
	t.bind_id = bind_id;
	t.tunnel = RSIP_DP_TUNNEL_IPIP;
	return t;
}

/* The table, afresh for every input: what one input learns is not the
 * next one's. */
static void scene(void)
{
	struct rsip_client c;
	struct rsip_nb_val nbv;
	struct rsip_target t;
	struct rsip_ike_key ik = {.port = htons(500), .cookie = {1, 1, 1, 1, 1, 1, 1, 1}};
	struct rsip_out_val ov;

	NA = inet_addr("10.0.0.1");
	NB = inet_addr("192.0.2.10");
	NB_WHOLE = inet_addr("192.0.2.11");
	XA1 = inet_addr("10.0.0.11");
	XA2 = inet_addr("10.0.0.12");
	XA3 = inet_addr("10.0.0.13");
	Y = inet_addr("198.51.100.2");
	fake_view_reset(&view, 8);
	view.na = NA;
	memset(&nbv, 0, sizeof(nbv));
	fake_view_put(DPM_NB, &NB, &nbv, sizeof(nbv));
	nbv.flags = RSIP_NB_WHOLE;
	nbv.whole = target(XA3, 30);
	fake_view_put(DPM_NB, &NB_WHOLE, &nbv, sizeof(nbv));

	memset(&c, 0, sizeof(c));
	c.nb = NB;
	c.tunnels = 1u << RSIP_DP_TUNNEL_IPIP | 1u << RSIP_DP_TUNNEL_GRE;
	c.flags = RSIP_CF_IPSEC;
	c.cookie_cap = 4;
	memcpy(c.mac, MAC1, 6);
	fake_view_put(DPM_CLIENTS, &XA1, &c, sizeof(c));
	memcpy(c.mac, MAC2, 6);
	c.flags = 0;
	fake_view_put(DPM_CLIENTS, &XA2, &c, sizeof(c));
	c.nb = NB_WHOLE;
	c.flags = RSIP_CF_WHOLE_NB;
	memset(c.mac, 0x33, 6);
	fake_view_put(DPM_CLIENTS, &XA3, &c, sizeof(c));

	t = target(XA1, 10);
	fake_view_put(DPM_PORTS, &(struct rsip_port_key){.nb = NB, .port = htons(10000)}, &t,
		      sizeof(t));
	t.flags = RSIP_TF_REMOTE_ADDR | RSIP_TF_REMOTE_PORT;
	t.remote = Y;
	t.remote_port = htons(7000);
	fake_view_put(DPM_PORTS, &(struct rsip_port_key){.nb = NB, .port = htons(10001)}, &t,
		      sizeof(t));
	t = target(XA2, 20);
	fake_view_put(DPM_PORTS, &(struct rsip_port_key){.nb = NB, .port = htons(20000)}, &t,
		      sizeof(t));
	t = target(XA1, 12);
	fake_view_put(DPM_SPI, &(struct rsip_spi_key){.nb = NB, .spi = htonl(0x1234)}, &t,
		      sizeof(t));
	fake_view_put(DPM_SPI_BLK, &(struct rsip_blk_key){.nb = NB, .block = 0x50}, &t, sizeof(t));
	ik.nb = NB;
	t = target(XA1, 0);
	t.flags = RSIP_TF_LEARNED;
	fake_view_put(DPM_IKE, &ik, &t, sizeof(t));
	t.xa = XA2;
	fake_view_put(DPM_ICMP_ID, &(struct rsip_icmp_key){.nb = NB, .id = htons(77)}, &t,
		      sizeof(t));
	memset(&ov, 0, sizeof(ov));
	ov.xa = XA2;
	fake_view_put(DPM_OUT_SPI, &(struct rsip_out_key){.peer = Y, .spi = htonl(0xabcd)}, &ov,
		      sizeof(ov));
}

static int is_client(uint32_t xa)
{
	return xa == XA1 || xa == XA2 || xa == XA3;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slow_result r;
	uint8_t *pkt;
	size_t len;

	if (size < 1)
		return 0;
	scene();
	len = size - 1;
	pkt = malloc(len ? len : 1); /* exactly the bytes: ASan sees any overread */
	if (!pkt)
		return 0;
	memcpy(pkt, data + 1, len);
	if (data[0] & 1) {
		slow_lan_check(&view, MAC1, pkt, len, &r);
		CHECK(r.verdict == SV_SEND || r.verdict == SV_DROP);
		CHECK(r.rule >= RSIP_CNT_LAN_PASS_NOT_TUNNEL && r.rule < RSIP_CNT_MAX);
		if (r.verdict == SV_SEND) {
			uint32_t src;

			CHECK(r.inner >= pkt && r.inner_len >= 20);
			CHECK((size_t)(r.inner - pkt) + r.inner_len <= len);
			memcpy(&src, r.inner + 12, 4);
			CHECK(src == NB);
		}
	} else {
		slow_wan_demux(&view, pkt, len, &r);
		CHECK(r.verdict == SV_TUNNEL || r.verdict == SV_DROP);
		CHECK(r.rule < RSIP_CNT_LAN_PASS_NOT_TUNNEL);
		if (r.verdict == SV_TUNNEL) {
			uint32_t dst;

			CHECK(is_client(r.target.xa));
			CHECK(len >= 20);
			memcpy(&dst, pkt + 16, 4);
			CHECK(dst == NB || dst == NB_WHOLE);
		}
	}
	free(pkt);
	return 0;
}
