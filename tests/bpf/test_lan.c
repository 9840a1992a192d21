// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsip_lan under BPF_PROG_TEST_RUN: tunnelled packets from clients to Na.
 * Fixture rows for every check and drop reason (with the violation records
 * rsipd turns into ERROR_RESPONSEs), exact decapsulated output after the FIB
 * lookup, the slow path; then sequences: IKE cookie trial and error with a
 * collision between two clients, the learned-entry cap and the sweep, echo
 * ids, outbound SPIs, violation rate limiting, truncation at every length,
 * and inner TCP/UDP checksums a GRO-ing hop left partial, completed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../lib/bpf_scenario.h"
#include "dp_names.h"
#include "rsip/wire.h"
#include "rsip_xdp.skel.h"
#include "slowpath/demux.h"

#define XDP_DROP     1
#define XDP_PASS     2
#define XDP_REDIRECT 4
#define IKEV1	     0x10
#define IKEV2	     0x20
#define FLAG_I	     0x08

static struct bpf_fx fx;
static const uint8_t ZERO8[8];
/* A client of Nb1 whose entry carries RSIP_CF_WHOLE_NB though Nb1 is shared
 * (stale_whole_client()). */
static const struct client_def CL_V = {"V", "10.0.0.18", {0x02, 0, 0, 0, 0, 0x12}, 18};
static const uint8_t PEER_SPI[8] = {0x99, 9, 9, 9, 9, 9, 9, 9};

/* --- builders --------------------------------------------------------------- */

struct inner {
	const char *nb, *dst;
	uint8_t ttl;
	bool mf;
	uint16_t frag_off;
};

static void tunnel_inner(struct pkt *in, const struct client_def *c, int tunnel,
			 const struct inner *i, uint8_t proto)
{
	struct ipv4_opts o = {.src = i->nb ? i->nb : FX_NB1,
			      .dst = i->dst ? i->dst : FX_PEER,
			      .proto = proto,
			      .df = !i->mf && !i->frag_off,
			      .mf = i->mf,
			      .frag_off = i->frag_off,
			      .id = 0x2222,
			      .ttl = i->ttl};

	pkt_ipv4(in, &o);
	client_tunnel(in, c, tunnel);
}

static void udp_from(struct pkt *in, const struct client_def *c, int tunnel, uint16_t sport,
		     uint16_t dport, const struct inner *i)
{
	pkt_zeros(in, 12);
	pkt_udp(in, sport, dport);
	tunnel_inner(in, c, tunnel, i, 17);
}

static void tcp_from(struct pkt *in, const struct client_def *c, int tunnel, uint16_t sport,
		     uint16_t dport)
{
	pkt_zeros(in, 12);
	pkt_tcp(in, sport, dport);
	tunnel_inner(in, c, tunnel, &(struct inner){.nb = c == &CL_W ? FX_NB2 : FX_NB1}, 6);
}

/* The frame the program forwards: the inner packet, TTL - 1 and its
 * checksum recomputed from scratch, to the WAN gateway's MAC. */
static void expect_forward(struct fx_expect *e, const struct pkt *in, size_t outer_len,
			   const uint8_t *dmac, const uint8_t *smac)
{
	const uint8_t *inner = in->b + 14 + outer_len;
	size_t tot = (size_t)(inner[2] << 8 | inner[3]);
	uint8_t *h;
	uint16_t sum;

	pkt_init(&e->out);
	pkt_bytes(&e->out, inner, tot);
	h = e->out.b;
	h[8]--;
	h[10] = h[11] = 0;
	sum = inet_csum(h, (h[0] & 0xf) * 4);
	h[10] = sum >> 8;
	h[11] = sum & 0xff;
	pkt_eth(&e->out, dmac, smac, 0x0800);
}

#define TO_WAN(e, in, outer) expect_forward(e, in, outer, FX_GW_MAC, FX_WAN_MAC)

static void violation(struct fx_expect *e, const struct client_def *c, uint16_t error)
{
	e->slow_reason = RSIP_SLOW_VIOLATION;
	e->slow_xa = ip4(c->xa);
	e->slow_error = error;
}

#define ROW(fn) static void fn(struct pkt *in, struct fx_expect *e)

ROW(ipip_udp_port)
{
	udp_from(in, &CL_A, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){0});
	TO_WAN(e, in, 20);
}
ROW(gre_tcp_port)
{
	tcp_from(in, &CL_B, RSIP_TUNNEL_GRE, 3000, 80);
	TO_WAN(e, in, 24);
}
ROW(outer_ip_options)
{
	struct ipv4_opts o = {.src = CL_A.xa, .dst = FX_NA, .proto = 4, .optlen = 12};

	pkt_zeros(in, 12);
	pkt_udp(in, 1025, 53);
	inner_ip(in, FX_NB1, FX_PEER, 17);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_LAN_MAC, CL_A.mac, 0x0800);
	TO_WAN(e, in, 32);
}
ROW(whole_any_port)
{
	tcp_from(in, &CL_W, RSIP_TUNNEL_IPIP, 22, 80);
	TO_WAN(e, in, 20);
}
ROW(whole_sctp)
{
	pkt_zeros(in, 32);
	tunnel_inner(in, &CL_W, RSIP_TUNNEL_IPIP, &(struct inner){.nb = FX_NB2}, 132);
	TO_WAN(e, in, 20);
}
ROW(ike_port_500)
{
	static const uint8_t k[8] = {0x0a, 1, 2, 3, 4, 5, 6, 7};

	pkt_ike(in, k, ZERO8, IKEV1, 0);
	pkt_udp(in, 500, 500);
	tunnel_inner(in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 17);
	TO_WAN(e, in, 20);
}
/* e expects the outbound (Y, spi) learned for c. */
static void learns_out_spi(struct fx_expect *e, const struct client_def *c, uint32_t spi)
{
	struct rsip_out_key k = {.peer = ip4(FX_PEER), .spi = htonl(spi)};

	e->learn_map = DPM_OUT_SPI + 1;
	memcpy(e->learn_key, &k, sizeof(k));
	e->learn_by = c;
}

ROW(esp_out)
{
	/* The slow path once learned no outbound SPI (issue 7). */
	pkt_esp(in, 0xabc, 1);
	tunnel_inner(in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 50);
	TO_WAN(e, in, 20);
	learns_out_spi(e, &CL_A, 0xabc);
}
ROW(ah_out)
{
	pkt_ah(in, 0xabd, 1);
	tunnel_inner(in, &CL_B, RSIP_TUNNEL_GRE, &(struct inner){0}, 51);
	TO_WAN(e, in, 24);
	learns_out_spi(e, &CL_B, 0xabd);
}
ROW(udp_esp_out)
{
	pkt_esp(in, 0xabe, 1);
	pkt_udp(in, 4500, 4500);
	tunnel_inner(in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 17);
	TO_WAN(e, in, 20);
	learns_out_spi(e, &CL_A, 0xabe);
}
#define ROW_ECHO_ID 0x4343
ROW(echo_learned)
{
	struct rsip_icmp_key k = {.nb = ip4(FX_NB1), .id = htons(ROW_ECHO_ID)};

	pkt_icmp_echo(in, 8, ROW_ECHO_ID, 1);
	tunnel_inner(in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 1);
	TO_WAN(e, in, 20);
	e->learn_map = DPM_ICMP_ID + 1;
	memcpy(e->learn_key, &k, sizeof(k));
	e->learn_by = &CL_A;
}
/* e expects the entry key of map m to stay c's. */
static void held_by(struct fx_expect *e, int m, const void *key, size_t n,
		    const struct client_def *c)
{
	e->hold_map = m + 1;
	memcpy(e->hold_key, key, n);
	e->hold_by = c;
}

ROW(echo_id_taken)
{
	/* A holds the id (previous row): B may not use it on Nb1. The slow
	 * path once skipped this check (issue 7). */
	struct rsip_icmp_key k = {.nb = ip4(FX_NB1), .id = htons(ROW_ECHO_ID)};

	pkt_icmp_echo(in, 8, ROW_ECHO_ID, 1);
	tunnel_inner(in, &CL_B, RSIP_TUNNEL_GRE, &(struct inner){0}, 1);
	held_by(e, DPM_ICMP_ID, &k, sizeof(k), &CL_A);
}
ROW(cookie_hijack)
{
	/* B sends IKE with the cookie A learned in ike_port_500: dropped, the
	 * cookie stays A's (RFC 3104 6.1). */
	static const uint8_t k8[8] = {0x0a, 1, 2, 3, 4, 5, 6, 7};
	struct rsip_ike_key k = {.nb = ip4(FX_NB1), .port = htons(500)};

	pkt_ike(in, k8, ZERO8, IKEV1, 0);
	pkt_udp(in, 500, 500);
	tunnel_inner(in, &CL_B, RSIP_TUNNEL_GRE, &(struct inner){0}, 17);
	memcpy(k.cookie, k8, 8);
	held_by(e, DPM_IKE, &k, sizeof(k), &CL_A);
}
/* e expects c's cookie learned for Nb1:4500. */
static void learns_cookie_4500(struct fx_expect *e, const uint8_t *cookie,
			       const struct client_def *c)
{
	struct rsip_ike_key k = {.nb = ip4(FX_NB1), .port = htons(4500)};

	memcpy(k.cookie, cookie, 8);
	e->learn_map = DPM_IKE + 1;
	memcpy(e->learn_key, &k, sizeof(k));
	e->learn_by = c;
}

/* Incoming IKE (RFC 3104 App. G): c answers, from its leased port sport, an
 * IKE_SA_INIT that Y started from its port 500 (I clear, R set): c's SPI is
 * SPIr, learned for Nb1:4500, where Y floats to. */
static const uint8_t IN_K[8] = {0x1c, 1, 2, 3, 4, 5, 6, 7};

static void ike_leased_answer(struct pkt *in, const struct client_def *c, int tunnel,
			      uint16_t sport)
{
	pkt_ike(in, PEER_SPI, IN_K, IKEV2, 0x20);
	pkt_udp(in, sport, 500);
	tunnel_inner(in, c, tunnel, &(struct inner){0}, 17);
}

ROW(ike_leased_to_500)
{
	ike_leased_answer(in, &CL_A, RSIP_TUNNEL_IPIP, 1026);
	TO_WAN(e, in, 20);
	learns_cookie_4500(e, IN_K, &CL_A);
}
ROW(ike_leased_taken)
{
	/* B's port, A's cookie (previous row): the port is B's, so the packet
	 * leaves; the cookie stays A's. */
	struct rsip_ike_key k = {.nb = ip4(FX_NB1), .port = htons(4500)};

	ike_leased_answer(in, &CL_B, RSIP_TUNNEL_GRE, 3000);
	TO_WAN(e, in, 24);
	memcpy(k.cookie, IN_K, 8);
	held_by(e, DPM_IKE, &k, sizeof(k), &CL_A);
}
ROW(ike_leased_no_ipsec)
{
	/* C may not do IPsec: its port's traffic leaves, nothing is learned. */
	pkt_ike(in, PEER_SPI, (const uint8_t[8]){0x1d, 1}, IKEV2, 0x20);
	pkt_udp(in, 5000, 500);
	tunnel_inner(in, &CL_C, RSIP_TUNNEL_IPIP, &(struct inner){0}, 17);
	TO_WAN(e, in, 20);
}
ROW(leased_to_500_not_ike)
{
	/* To port 500, but the header's length is not the datagram's: not
	 * IKE, forwarded, nothing learned. */
	static const uint8_t h[28] = {0x1e, 1, 1,  1,	  1,  1,    1, 1, 0x1e, 2, 2, 2, 2, 2,
				      2,    2, 33, IKEV2, 34, 0x20, 0, 0, 0,	0, 0, 0, 0, 99};

	pkt_bytes(in, h, sizeof(h));
	pkt_udp(in, 1027, 500);
	tunnel_inner(in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 17);
	TO_WAN(e, in, 20);
}
/* rsipd's fan-out marked cookie c on Nb1:4500 (RSIP_TF_IKE_FANOUT, xa 0). */
static void fanout_mark(const uint8_t *c)
{
	struct rsip_ike_key k = {.nb = ip4(FX_NB1), .port = htons(4500)};
	struct rsip_target t = {.flags = RSIP_TF_LEARNED | RSIP_TF_IKE_FANOUT};

	memcpy(k.cookie, c, 8);
	assert_int_equal(bpf_map_update_elem(fx.m.ike, &k, &t, BPF_ANY), 0);
}

/* c answers Y on Nb1:4500 in an IKE SA Y initiated (I clear): its SPI is
 * SPIr; np: the first payload (46 SK: protected). */
static void ike_answer(struct pkt *in, const struct client_def *c, int tunnel, const uint8_t *spi_r,
		       uint8_t np)
{
	pkt_ike_np(in, PEER_SPI, spi_r, IKEV2, 0x20, np);
	pkt_non_esp_marker(in);
	pkt_udp(in, 4500, 4500);
	tunnel_inner(in, c, tunnel, &(struct inner){0}, 17);
}

static const uint8_t FAN_P[8] = {0xfa, 0xa, 1, 1, 1, 1, 1, 1};
static const uint8_t FAN_U[8] = {0xfa, 0xb, 2, 2, 2, 2, 2, 2};

ROW(fanout_protected_answer)
{
	/* The fan-out asked A and B; A answers protected: the cookie is A's. */
	fanout_mark(FAN_P);
	ike_answer(in, &CL_A, RSIP_TUNNEL_IPIP, FAN_P, 46);
	TO_WAN(e, in, 20);
	learns_cookie_4500(e, FAN_P, &CL_A);
}
ROW(fanout_unprotected_answer)
{
	/* B answers with a notification (41, unprotected): dropped, and the
	 * cookie stays marked for whoever answers protected. */
	fanout_mark(FAN_U);
	ike_answer(in, &CL_B, RSIP_TUNNEL_GRE, FAN_U, 41);
}
ROW(out_spi_hijack)
{
	/* B sends ESP to A's learned (Y, SPI) (esp_out): forwarded, but the
	 * entry stays A's, so Y's ICMP errors about it still reach A only
	 * (issue 11: BPF_NOEXIST). */
	struct rsip_out_key k = {.peer = ip4(FX_PEER), .spi = htonl(0xabc)};

	pkt_esp(in, 0xabc, 2);
	tunnel_inner(in, &CL_B, RSIP_TUNNEL_GRE, &(struct inner){0}, 50);
	TO_WAN(e, in, 24);
	held_by(e, DPM_OUT_SPI, &k, sizeof(k), &CL_A);
}
ROW(whole_flag_stale)
{
	/* V's entry says it holds its Nb whole, rsip_nb says Nb1 is shared:
	 * the address is not V's (312). Once only the slow path checked. */
	tcp_from(in, &CL_V, RSIP_TUNNEL_IPIP, 5555, 80);
	violation(e, &CL_V, 312);
}
ROW(natt_keepalive_out)
{
	static const uint8_t ff = 0xff;

	pkt_bytes(in, &ff, 1);
	pkt_udp(in, 4500, 4500);
	tunnel_inner(in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 17);
	TO_WAN(e, in, 20);
}
ROW(icmp_error_out)
{
	pkt_zeros(in, 28);
	pkt_icmp(in, 3, 3);
	tunnel_inner(in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 1);
	TO_WAN(e, in, 20);
}
ROW(remote_ok)
{
	udp_from(in, &CL_A, RSIP_TUNNEL_IPIP, 2000, 443, &(struct inner){0});
	TO_WAN(e, in, 20);
}
ROW(inner_first_fragment)
{
	udp_from(in, &CL_A, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){.mf = true});
	TO_WAN(e, in, 20);
}
ROW(inner_later_fragment)
{
	pkt_zeros(in, 40);
	tunnel_inner(in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){.frag_off = 100}, 17);
	TO_WAN(e, in, 20);
}
ROW(not_to_na)
{
	pkt_zeros(in, 40);
	inner_ip(in, FX_NB1, FX_PEER, 17);
	pkt_ipv4(in, &(struct ipv4_opts){.src = CL_A.xa, .dst = FX_LAN_HOST, .proto = 4});
	pkt_eth(in, FX_LAN_MAC, CL_A.mac, 0x0800);
}
ROW(rsip_itself)
{
	pkt_zeros(in, 20);
	pkt_udp(in, 33333, 4555);
	pkt_ipv4(in, &(struct ipv4_opts){.src = CL_A.xa, .dst = FX_NA, .proto = 17});
	pkt_eth(in, FX_LAN_MAC, CL_A.mac, 0x0800);
}
ROW(arp)
{
	pkt_zeros(in, 28);
	pkt_eth(in, FX_LAN_MAC, CL_A.mac, 0x0806);
}
ROW(vlan)
{
	udp_from(in, &CL_A, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){0});
	memmove(in->b, in->b + 14, in->len - 14); /* re-frame with a tag */
	in->len -= 14;
	pkt_vlan(in, 7, 0x0800);
	pkt_eth(in, FX_LAN_MAC, CL_A.mac, 0x8100);
}
ROW(not_client)
{
	static const struct client_def stranger = {"X", "10.0.0.77", {2, 0, 0, 0, 0, 0x77}, 0};

	udp_from(in, &stranger, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){0});
}
ROW(spoofed_mac)
{
	struct client_def fake = CL_A;

	memcpy(fake.mac, CL_B.mac, 6);
	udp_from(in, &fake, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){0});
}
ROW(mac_unknown)
{
	udp_from(in, &CL_Z, RSIP_TUNNEL_IPIP, 4000, 53, &(struct inner){.nb = FX_NB3});
}
ROW(bad_tunnel)
{
	udp_from(in, &CL_A, RSIP_TUNNEL_GRE, 1024, 53, &(struct inner){0});
	violation(e, &CL_A, RSIP_E_BAD_TUNNEL_TYPE);
}
ROW(bad_src)
{
	udp_from(in, &CL_A, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){.nb = FX_NB2});
	violation(e, &CL_A, RSIP_E_LOCAL_ADDR_UNALLOWED);
}
ROW(port_of_other_client)
{
	udp_from(in, &CL_C, RSIP_TUNNEL_IPIP, 3000, 53, &(struct inner){0});
	violation(e, &CL_C, RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
}
ROW(port_unleased)
{
	tcp_from(in, &CL_C, RSIP_TUNNEL_IPIP, 9999, 80);
	violation(e, &CL_C, RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
}
ROW(first_fragment_bad_port)
{
	udp_from(in, &CL_B, RSIP_TUNNEL_GRE, 9999, 53, &(struct inner){.mf = true});
	violation(e, &CL_B, RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
}
ROW(sctp_shared)
{
	pkt_zeros(in, 32);
	tunnel_inner(in, &CL_C, RSIP_TUNNEL_IPIP, &(struct inner){0}, 132);
	violation(e, &CL_C, RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
}
ROW(esp_without_ipsec)
{
	pkt_esp(in, 0xabc, 1);
	tunnel_inner(in, &CL_D, RSIP_TUNNEL_IPIP, &(struct inner){0}, 50);
	violation(e, &CL_D, RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
}
ROW(ike_without_ipsec)
{
	static const uint8_t k[8] = {0x0d, 1, 2, 3, 4, 5, 6, 7};

	pkt_ike(in, k, ZERO8, IKEV1, 0);
	pkt_udp(in, 500, 500);
	tunnel_inner(in, &CL_W, RSIP_TUNNEL_IPIP, &(struct inner){.nb = FX_NB2}, 17);
	/* W holds its Nb whole: any port goes, IKE included. */
	TO_WAN(e, in, 20);
}
ROW(ike_shared_without_ipsec)
{
	static const uint8_t k[8] = {0x0e, 1, 2, 3, 4, 5, 6, 7};

	pkt_ike(in, k, ZERO8, IKEV1, 0);
	pkt_udp(in, 500, 500);
	tunnel_inner(in, &CL_D, RSIP_TUNNEL_IPIP, &(struct inner){0}, 17);
	violation(e, &CL_D, RSIP_E_LOCAL_ADDRPORT_UNALLOWED);
}
ROW(remote_bad_addr)
{
	udp_from(in, &CL_A, RSIP_TUNNEL_IPIP, 2000, 443, &(struct inner){.dst = "198.51.100.8"});
	violation(e, &CL_A, RSIP_E_REMOTE_ADDR_UNALLOWED);
}
ROW(remote_bad_port)
{
	udp_from(in, &CL_A, RSIP_TUNNEL_IPIP, 2000, 80, &(struct inner){0});
	violation(e, &CL_A, RSIP_E_REMOTE_ADDRPORT_UNALLOWED);
}
ROW(outer_fragment)
{
	pkt_zeros(in, 40);
	inner_ip(in, FX_NB1, FX_PEER, 17);
	pkt_ipv4(in, &(struct ipv4_opts){.src = CL_A.xa, .dst = FX_NA, .proto = 4, .mf = true});
	pkt_eth(in, FX_LAN_MAC, CL_A.mac, 0x0800);
	e->slow_reason = RSIP_SLOW_LAN_FRAGMENT;
	e->slow_frame_is_input = true;
}
ROW(ttl_expired)
{
	udp_from(in, &CL_A, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){.ttl = 1});
}
ROW(no_neighbour)
{
	udp_from(in, &CL_A, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){.dst = FX_NO_NEIGH});
	/* Decapsulated, TTL decremented, Ethernet from the client to us. */
	expect_forward(e, in, 20, FX_LAN_MAC, CL_A.mac);
	e->slow_reason = RSIP_SLOW_LAN_ROUTE;
	e->slow_frame_is_out = true;
}
ROW(to_gateway_itself)
{
	udp_from(in, &CL_A, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){.dst = FX_NB2});
	expect_forward(e, in, 20, FX_LAN_MAC, CL_A.mac);
	e->slow_reason = RSIP_SLOW_LAN_ROUTE;
	e->slow_frame_is_out = true;
}
ROW(bigger_than_wan_mtu)
{
	pkt_zeros(in, 1600);
	pkt_udp(in, 1024, 53);
	tunnel_inner(in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 17);
	expect_forward(e, in, 20, FX_LAN_MAC, CL_A.mac);
	e->slow_reason = RSIP_SLOW_LAN_ROUTE;
	e->slow_frame_is_out = true;
}
ROW(unreachable)
{
	udp_from(in, &CL_A, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){.dst = FX_UNREACH});
}
ROW(into_the_lan)
{
	/* Routable, but not out of the WAN: Nb-sourced packets stay public. */
	udp_from(in, &CL_A, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){.dst = FX_LAN_HOST});
}
ROW(gre_with_key)
{
	tcp_from(in, &CL_B, RSIP_TUNNEL_GRE, 3000, 80);
	in->b[14 + 20] = 0x20; /* K bit */
}
ROW(ike_zero_spi)
{
	/* Responder (I clear) with a zero SPIr: not a real IKEv2 packet. */
	pkt_ike(in, PEER_SPI, ZERO8, IKEV2, 0x20);
	pkt_udp(in, 500, 500);
	tunnel_inner(in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 17);
}
ROW(ike_truncated_header)
{
	pkt_zeros(in, 20);
	pkt_udp(in, 500, 500);
	tunnel_inner(in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 17);
}

#define R(name, action, cnt)                                                                       \
	{                                                                                          \
#name, true, name, action, RSIP_CNT_##cnt                                          \
	}

static const struct fx_row rows[] = {
    R(ipip_udp_port, XDP_REDIRECT, LAN_TX),
    R(gre_tcp_port, XDP_REDIRECT, LAN_TX),
    R(outer_ip_options, XDP_REDIRECT, LAN_TX),
    R(whole_any_port, XDP_REDIRECT, LAN_TX),
    R(whole_sctp, XDP_REDIRECT, LAN_TX),
    R(ike_port_500, XDP_REDIRECT, LAN_TX),
    R(esp_out, XDP_REDIRECT, LAN_TX),
    R(ah_out, XDP_REDIRECT, LAN_TX),
    R(udp_esp_out, XDP_REDIRECT, LAN_TX),
    R(echo_learned, XDP_REDIRECT, LAN_TX),
    R(echo_id_taken, XDP_DROP, LAN_DROP_ID_TAKEN),
    R(cookie_hijack, XDP_DROP, LAN_DROP_COOKIE_TAKEN),
    R(ike_leased_to_500, XDP_REDIRECT, LAN_TX),
    R(ike_leased_taken, XDP_REDIRECT, LAN_TX),
    R(ike_leased_no_ipsec, XDP_REDIRECT, LAN_TX),
    R(leased_to_500_not_ike, XDP_REDIRECT, LAN_TX),
    R(fanout_protected_answer, XDP_REDIRECT, LAN_TX),
    R(fanout_unprotected_answer, XDP_DROP, LAN_DROP_FANOUT_UNPROTECTED),
    R(out_spi_hijack, XDP_REDIRECT, LAN_TX),
    R(whole_flag_stale, XDP_DROP, LAN_DROP_BAD_SRC),
    R(natt_keepalive_out, XDP_REDIRECT, LAN_TX),
    R(icmp_error_out, XDP_REDIRECT, LAN_TX),
    R(remote_ok, XDP_REDIRECT, LAN_TX),
    R(inner_first_fragment, XDP_REDIRECT, LAN_TX),
    R(inner_later_fragment, XDP_REDIRECT, LAN_TX_FRAGMENT),
    R(not_to_na, XDP_PASS, LAN_PASS_NOT_TUNNEL),
    R(rsip_itself, XDP_PASS, LAN_PASS_NOT_TUNNEL),
    R(arp, XDP_PASS, LAN_PASS_NOT_TUNNEL),
    R(vlan, XDP_PASS, LAN_PASS_NOT_TUNNEL),
    R(not_client, XDP_DROP, LAN_DROP_NOT_CLIENT),
    R(spoofed_mac, XDP_DROP, LAN_DROP_BAD_MAC),
    R(mac_unknown, XDP_DROP, LAN_DROP_BAD_MAC),
    R(bad_tunnel, XDP_DROP, LAN_DROP_BAD_TUNNEL),
    R(bad_src, XDP_DROP, LAN_DROP_BAD_SRC),
    R(port_of_other_client, XDP_DROP, LAN_DROP_BAD_PORT),
    R(port_unleased, XDP_DROP, LAN_DROP_BAD_PORT),
    R(first_fragment_bad_port, XDP_DROP, LAN_DROP_BAD_PORT),
    R(sctp_shared, XDP_DROP, LAN_DROP_BAD_PORT),
    R(esp_without_ipsec, XDP_DROP, LAN_DROP_NO_IPSEC),
    R(ike_without_ipsec, XDP_REDIRECT, LAN_TX),
    R(ike_shared_without_ipsec, XDP_DROP, LAN_DROP_NO_IPSEC),
    R(remote_bad_addr, XDP_DROP, LAN_DROP_REMOTE_POLICY),
    R(remote_bad_port, XDP_DROP, LAN_DROP_REMOTE_POLICY),
    R(outer_fragment, XDP_DROP, LAN_SLOW_FRAGMENT),
    R(ttl_expired, XDP_DROP, LAN_DROP_TTL),
    R(no_neighbour, XDP_DROP, LAN_SLOW_ROUTE),
    R(to_gateway_itself, XDP_DROP, LAN_SLOW_ROUTE),
    R(bigger_than_wan_mtu, XDP_DROP, LAN_SLOW_ROUTE),
    R(unreachable, XDP_DROP, LAN_DROP_FIB),
    R(into_the_lan, XDP_DROP, LAN_DROP_FIB),
    R(gre_with_key, XDP_DROP, LAN_DROP_MALFORMED),
    R(ike_zero_spi, XDP_DROP, LAN_DROP_MALFORMED),
    R(ike_truncated_header, XDP_DROP, LAN_DROP_MALFORMED),
};

/* --- sequences ----------------------------------------------------------------- */

/* Runs one frame and returns the action; *moved gets the exit counter. */
static int run(int prog, const struct pkt *in, unsigned int *moved)
{
	uint64_t before[RSIP_CNT_MAX], after[RSIP_CNT_MAX];
	struct pkt out;
	int action;

	bpf_fx_counters(&fx, before);
	action = bpf_fx_run(&fx, prog, prog == fx.lan_prog ? fx.lan_if : fx.wan_if, in, &out);
	bpf_fx_counters(&fx, after);
	*moved = RSIP_CNT_MAX;
	for (unsigned int i = 0; i < RSIP_CNT_MAX; i++)
		if (dp_counter_is_exit(i) && after[i] != before[i])
			*moved = i;
	return action;
}

static uint64_t counter(unsigned int c)
{
	uint64_t v[RSIP_CNT_MAX];

	bpf_fx_counters(&fx, v);
	return v[c];
}

static void ike_from(struct pkt *in, const struct client_def *c, int tunnel, uint16_t port,
		     const uint8_t *spi_i, const uint8_t *spi_r, uint8_t version, uint8_t flags)
{
	pkt_init(in);
	pkt_ike(in, spi_i, spi_r, version, flags);
	if (port == 4500)
		pkt_non_esp_marker(in);
	pkt_udp(in, port, port);
	tunnel_inner(in, c, tunnel, &(struct inner){0}, 17);
}

static void ike_to_nb1(struct pkt *in, uint16_t port, const uint8_t *spi_i, const uint8_t *spi_r,
		       uint8_t version, uint8_t flags)
{
	pkt_init(in);
	pkt_ike(in, spi_i, spi_r, version, flags);
	if (port == 4500)
		pkt_non_esp_marker(in);
	pkt_udp(in, port, port);
	wan_frame(in, FX_PEER, FX_NB1, 17);
}

static uint32_t client_cookies(const struct client_def *c)
{
	struct rsip_client v;
	__be32 xa = ip4(c->xa);

	assert_int_equal(bpf_map_lookup_elem(fx.m.clients, &xa, &v), 0);
	return v.cookies;
}

static void cookie_trial_and_error(void **state)
{
	static const uint8_t K1[8] = {0x51, 1, 1, 1, 1, 1, 1, 1},
			     K2[8] = {0x52, 2, 2, 2, 2, 2, 2, 2};
	struct rsip_ike_key key = {.nb = ip4(FX_NB1), .port = htons(500)};
	uint32_t a0 = client_cookies(&CL_A), b0 = client_cookies(&CL_B);
	uint64_t learned = counter(RSIP_CNT_LAN_LEARN_COOKIE);
	struct rsip_target t;
	unsigned int moved;
	struct pkt in, out;

	/* A picks K1: unique on Nb1, so it is A's from now on. */
	ike_from(&in, &CL_A, RSIP_TUNNEL_IPIP, 500, K1, ZERO8, IKEV1, 0);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	assert_int_equal(counter(RSIP_CNT_LAN_LEARN_COOKIE), learned + 1);
	memcpy(key.cookie, K1, 8);
	assert_int_equal(bpf_map_lookup_elem(fx.m.ike, &key, &t), 0);
	assert_int_equal(t.xa, ip4(CL_A.xa));
	assert_int_equal(t.flags, RSIP_TF_LEARNED);
	assert_int_equal(t.tunnel, RSIP_DP_TUNNEL_IPIP);
	assert_int_equal(t.lan_ifindex, fx.lan_if);
	assert_memory_equal(t.mac, CL_A.mac, 6);
	assert_int_equal(client_cookies(&CL_A), a0 + 1);
	/* Again: no new entry, no new count. */
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	assert_int_equal(counter(RSIP_CNT_LAN_LEARN_COOKIE), learned + 1);
	assert_int_equal(client_cookies(&CL_A), a0 + 1);

	/* B happens to pick K1 too: dropped (RFC 3104 6.1), no violation. */
	ike_from(&in, &CL_B, RSIP_TUNNEL_GRE, 500, K1, ZERO8, IKEV1, 0);
	bpf_fx_poll(&fx);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_DROP);
	assert_int_equal(moved, RSIP_CNT_LAN_DROP_COOKIE_TAKEN);
	assert_int_equal(bpf_fx_poll(&fx), 0);
	assert_int_equal(client_cookies(&CL_B), b0);
	/* B retries with another cookie: its own, with its tunnel (GRE). */
	ike_from(&in, &CL_B, RSIP_TUNNEL_GRE, 500, K2, ZERO8, IKEV1, 0);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	assert_int_equal(client_cookies(&CL_B), b0 + 1);

	/* The answers find their clients. */
	ike_to_nb1(&in, 500, K1, PEER_SPI, IKEV1, 0);
	assert_int_equal(bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, &in, &out), XDP_REDIRECT);
	assert_int_equal(out.b[14 + 9], 4);
	assert_memory_equal(out.b, CL_A.mac, 6);
	ike_to_nb1(&in, 500, K2, PEER_SPI, IKEV1, 0);
	assert_int_equal(bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, &in, &out), XDP_REDIRECT);
	assert_int_equal(out.b[14 + 9], 47);
	assert_memory_equal(out.b, CL_B.mac, 6);
}

static void ikev2_both_roles(void **state)
{
	static const uint8_t SPII[8] = {0x61, 1, 1, 1, 1, 1, 1, 1};
	static const uint8_t SPIR[8] = {0x62, 2, 2, 2, 2, 2, 2, 2};
	static const uint8_t NATT[8] = {0x63, 3, 3, 3, 3, 3, 3, 3};
	struct rsip_ike_key key = {.nb = ip4(FX_NB1), .port = htons(500)};
	struct rsip_target t;
	unsigned int moved;
	struct pkt in, out;

	/* A initiates (I set): its SPI is SPIi. */
	ike_from(&in, &CL_A, RSIP_TUNNEL_IPIP, 500, SPII, ZERO8, IKEV2, FLAG_I);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	memcpy(key.cookie, SPII, 8);
	assert_int_equal(bpf_map_lookup_elem(fx.m.ike, &key, &t), 0);
	/* A answers a rekey the peer initiated (I clear): its SPI is SPIr,
	 * and the peer's SPIi is not learned. */
	ike_from(&in, &CL_A, RSIP_TUNNEL_IPIP, 500, PEER_SPI, SPIR, IKEV2, 0x20);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	memcpy(key.cookie, SPIR, 8);
	assert_int_equal(bpf_map_lookup_elem(fx.m.ike, &key, &t), 0);
	assert_int_equal(t.xa, ip4(CL_A.xa));
	memcpy(key.cookie, PEER_SPI, 8);
	assert_int_equal(bpf_map_lookup_elem(fx.m.ike, &key, &t), -ENOENT);
	/* The peer's requests on that SA (I set) reach A by SPIr. */
	ike_to_nb1(&in, 500, PEER_SPI, SPIR, IKEV2, FLAG_I);
	assert_int_equal(bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, &in, &out), XDP_REDIRECT);
	/* NAT-T: after the float to 4500 the same SPI is learned for 4500. */
	ike_from(&in, &CL_A, RSIP_TUNNEL_IPIP, 4500, NATT, PEER_SPI, IKEV2, FLAG_I);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	key.port = htons(4500);
	memcpy(key.cookie, NATT, 8);
	assert_int_equal(bpf_map_lookup_elem(fx.m.ike, &key, &t), 0);
	ike_to_nb1(&in, 4500, NATT, PEER_SPI, IKEV2, 0x20);
	assert_int_equal(bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, &in, &out), XDP_REDIRECT);
}

/* Incoming IKE: after A answered Y's IKE_SA_INIT from a leased port, Y's
 * IKE_AUTH on Nb1:4500 (I set, SPIr = A's) reaches A. */
static void incoming_ike_float(void **state)
{
	static const uint8_t K[8] = {0x1f, 1, 2, 3, 4, 5, 6, 7};
	struct rsip_ike_key key = {.nb = ip4(FX_NB1), .port = htons(4500)};
	struct rsip_target t;
	unsigned int moved;
	struct pkt in, out;

	memcpy(key.cookie, K, 8);
	assert_int_equal(bpf_map_lookup_elem(fx.m.ike, &key, &t), -ENOENT);
	pkt_init(&in);
	pkt_ike(&in, PEER_SPI, K, IKEV2, 0x20);
	pkt_udp(&in, 1025, 500);
	tunnel_inner(&in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 17);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	assert_int_equal(bpf_map_lookup_elem(fx.m.ike, &key, &t), 0);
	assert_int_equal(t.xa, ip4(CL_A.xa));
	/* (Y's peer entry would send it to A too: the cookie decides first.) */
	ike_to_nb1(&in, 4500, PEER_SPI, K, IKEV2, FLAG_I);
	assert_int_equal(bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, &in, &out), XDP_REDIRECT);
	assert_memory_equal(out.b, CL_A.mac, 6);
}

/* A fan-out's cookie: an unprotected answer learns nothing (the mark
 * stays), a protected one takes it and is charged for it, and after that it
 * is held like any learned cookie. */
static void fanout_take_over(void **state)
{
	static const uint8_t FC[8] = {0xfc, 1, 2, 3, 4, 5, 6, 7};
	struct rsip_ike_key k = {.nb = ip4(FX_NB1), .port = htons(4500)};
	uint64_t took = counter(RSIP_CNT_LAN_LEARN_FANOUT);
	uint32_t a0 = client_cookies(&CL_A), b0 = client_cookies(&CL_B);
	unsigned int moved;
	struct rsip_target t;
	struct pkt in;

	memcpy(k.cookie, FC, 8);
	fanout_mark(FC);
	pkt_init(&in);
	ike_answer(&in, &CL_B, RSIP_TUNNEL_GRE, FC, 41);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_DROP);
	assert_int_equal(moved, RSIP_CNT_LAN_DROP_FANOUT_UNPROTECTED);
	assert_int_equal(bpf_map_lookup_elem(fx.m.ike, &k, &t), 0);
	assert_int_equal(t.xa, 0);
	assert_true(t.flags & RSIP_TF_IKE_FANOUT);
	assert_int_equal(client_cookies(&CL_B), b0);

	pkt_init(&in);
	ike_answer(&in, &CL_A, RSIP_TUNNEL_IPIP, FC, 46);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	assert_int_equal(bpf_map_lookup_elem(fx.m.ike, &k, &t), 0);
	assert_int_equal(t.xa, ip4(CL_A.xa));
	assert_int_equal(t.flags & RSIP_TF_IKE_FANOUT, 0);
	assert_int_equal(t.remote, ip4(FX_PEER));
	assert_int_equal(counter(RSIP_CNT_LAN_LEARN_FANOUT), took + 1);
	assert_true(client_cookies(&CL_A) >= a0 + 1);

	/* Now A's: B's protected message with it is refused (trial and error). */
	pkt_init(&in);
	ike_answer(&in, &CL_B, RSIP_TUNNEL_GRE, FC, 46);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_DROP);
	assert_int_equal(moved, RSIP_CNT_LAN_DROP_COOKIE_TAKEN);
}

/* A Main Mode 1 from peer to Nb1:500 with its cookie c. */
static void main_mode_from(struct pkt *in, const char *peer, const uint8_t *c)
{
	pkt_init(in);
	pkt_ike(in, c, ZERO8, IKEV1, 0);
	pkt_udp(in, 500, 500);
	wan_frame(in, peer, FX_NB1, 17);
}

/* A Main Mode 1 from client cl (Nb1:500) to peer with its cookie c. */
static void main_mode_to(struct pkt *in, const struct client_def *cl, int tunnel, const char *peer,
			 const uint8_t *c)
{
	pkt_init(in);
	pkt_ike(in, c, ZERO8, IKEV1, 0);
	pkt_udp(in, 500, 500);
	tunnel_inner(in, cl, tunnel, &(struct inner){.dst = peer}, 17);
}

/* The peer entry (Nb, port, Y): written with a client's first cookie for Y
 * (charged), kept when it learns more, marked "several" by a second client;
 * the WAN rules then route a miss from Y by it. */
static void peer_entries(void **state)
{
	static const uint8_t A1[8] = {0xaa, 1}, A2[8] = {0xaa, 2}, B1[8] = {0xbb, 1},
			     NEWC[8] = {0xee, 0xe};
	const char *peer = "198.51.100.44";
	struct rsip_ike_key pk = {
	    .nb = ip4(FX_NB1), .port = htons(500), .kind = RSIP_IKE_KIND_PEER};
	uint64_t written = counter(RSIP_CNT_LAN_LEARN_IKE_PEER);
	uint32_t a0 = client_cookies(&CL_A);
	__be32 y = ip4(peer);
	unsigned int moved;
	struct rsip_target t;
	struct pkt in, out;

	memcpy(pk.cookie, &y, 4);
	assert_int_equal(bpf_map_lookup_elem(fx.m.ike, &pk, &t), -ENOENT);
	/* Nobody talks IKE with that peer yet: its unknown cookie is dropped. */
	main_mode_from(&in, peer, NEWC);
	assert_int_equal(run(fx.wan_prog, &in, &moved), XDP_DROP);
	assert_int_equal(moved, RSIP_CNT_WAN_DROP_NO_COOKIE);

	for (int i = 0; i < 2; i++) {
		main_mode_to(&in, &CL_A, RSIP_TUNNEL_IPIP, peer, i ? A2 : A1);
		assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	}
	assert_int_equal(counter(RSIP_CNT_LAN_LEARN_IKE_PEER), written + 1);
	assert_int_equal(client_cookies(&CL_A), a0 + 3); /* two cookies, one peer entry */
	assert_int_equal(bpf_map_lookup_elem(fx.m.ike, &pk, &t), 0);
	assert_int_equal(t.xa, ip4(CL_A.xa));
	assert_int_equal(t.flags, RSIP_TF_LEARNED);

	/* One candidate: Y's new Main Mode goes to A. */
	main_mode_from(&in, peer, NEWC);
	assert_int_equal(bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, &in, &out), XDP_REDIRECT);
	assert_memory_equal(out.b + 30, &(__be32){ip4(CL_A.xa)}, 4);

	/* B talks IKE with the same peer: several candidates. */
	main_mode_to(&in, &CL_B, RSIP_TUNNEL_GRE, peer, B1);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	assert_int_equal(counter(RSIP_CNT_LAN_LEARN_IKE_PEER), written + 1);
	assert_int_equal(bpf_map_lookup_elem(fx.m.ike, &pk, &t), 0);
	assert_int_equal(t.xa, ip4(CL_A.xa));
	assert_int_equal(t.flags, RSIP_TF_LEARNED | RSIP_TF_IKE_SEVERAL);
	main_mode_from(&in, peer, NEWC);
	assert_int_equal(run(fx.wan_prog, &in, &moved), XDP_DROP);
	assert_int_equal(moved, RSIP_CNT_WAN_DROP_IKE_AMBIGUOUS);
	bpf_fx_poll(&fx);
}

static void cookie_cap_and_sweep(void **state)
{
	uint8_t k[8] = {0x71, 0, 0, 0, 0, 0, 0, 0};
	struct dpx_sweep_result r;
	unsigned int moved;
	struct pkt in;

	/* E may hold 2 learned entries. */
	assert_int_equal(client_cookies(&CL_E), 0);
	for (int i = 0; i < 3; i++) {
		k[7] = (uint8_t)i;
		ike_from(&in, &CL_E, RSIP_TUNNEL_IPIP, 500, k, ZERO8, IKEV1, 0);
		assert_int_equal(run(fx.lan_prog, &in, &moved), i < 2 ? XDP_REDIRECT : XDP_DROP);
		if (i == 2)
			assert_int_equal(moved, RSIP_CNT_LAN_DROP_COOKIE_CAP);
	}
	assert_int_equal(client_cookies(&CL_E), 2);
	/* Nothing is idle yet. */
	assert_int_equal(dpx_sweep(fx.x, dpx_now_ns(), 3600ull * 1000000000u, &r), 0);
	assert_int_equal(client_cookies(&CL_E), 2);
	/* An hour later everything learned is idle: gone, and E's count with it. */
	assert_int_equal(
	    dpx_sweep(fx.x, dpx_now_ns() + 3600ull * 1000000000u, 60ull * 1000000000u, &r), 0);
	assert_true(r.cookies >= 2);
	assert_int_equal(client_cookies(&CL_E), 0);
	ike_from(&in, &CL_E, RSIP_TUNNEL_IPIP, 500, k, ZERO8, IKEV1, 0);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	assert_int_equal(client_cookies(&CL_E), 1);
}

/* Outbound SPIs have a cap of their own (the high half of the count): E
 * (cap 2) learns two, the third is forwarded but not learned, and its IKE
 * cookies are not affected; the sweep gives them back. */
static void out_spi_cap_and_sweep(void **state)
{
	struct rsip_out_key key = {.peer = ip4(FX_PEER)};
	uint64_t capped = counter(RSIP_CNT_LAN_OUT_SPI_CAP);
	uint32_t before = client_cookies(&CL_E);
	struct dpx_sweep_result r;
	struct rsip_out_val v;
	unsigned int moved;
	struct pkt in;

	assert_int_equal(RSIP_LEARNED_OUT_SPIS(before), 0);
	for (uint32_t i = 0; i < 3; i++) {
		pkt_init(&in);
		pkt_esp(&in, 0x9001 + i, 1);
		tunnel_inner(&in, &CL_E, RSIP_TUNNEL_IPIP, &(struct inner){0}, 50);
		assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
		key.spi = htonl(0x9001 + i);
		assert_int_equal(bpf_map_lookup_elem(fx.m.out_spi, &key, &v), i < 2 ? 0 : -ENOENT);
	}
	assert_int_equal(counter(RSIP_CNT_LAN_OUT_SPI_CAP), capped + 1);
	assert_int_equal(client_cookies(&CL_E), before + 2 * RSIP_LEARNED_OUT_SPI);
	/* An hour later they are idle: gone, and E's count with them. */
	assert_int_equal(
	    dpx_sweep(fx.x, dpx_now_ns() + 3600ull * 1000000000u, 60ull * 1000000000u, &r), 0);
	assert_true(r.out_spis >= 2);
	assert_int_equal(RSIP_LEARNED_OUT_SPIS(client_cookies(&CL_E)), 0);
}

static void echo_ids(void **state)
{
	struct rsip_icmp_key key = {.nb = ip4(FX_NB1), .id = htons(0x77)};
	struct rsip_target t;
	unsigned int moved;
	struct pkt in, out;

	pkt_init(&in);
	pkt_icmp_echo(&in, 8, 0x77, 1);
	tunnel_inner(&in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 1);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	assert_int_equal(bpf_map_lookup_elem(fx.m.icmp_id, &key, &t), 0);
	assert_int_equal(t.xa, ip4(CL_A.xa));
	/* B pings with the same id on the same Nb: dropped. */
	pkt_init(&in);
	pkt_icmp_echo(&in, 8, 0x77, 1);
	tunnel_inner(&in, &CL_B, RSIP_TUNNEL_GRE, &(struct inner){0}, 1);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_DROP);
	assert_int_equal(moved, RSIP_CNT_LAN_DROP_ID_TAKEN);
	/* The reply goes to A. */
	pkt_init(&in);
	pkt_icmp_echo(&in, 0, 0x77, 1);
	wan_frame(&in, FX_PEER, FX_NB1, 1);
	assert_int_equal(bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, &in, &out), XDP_REDIRECT);
	assert_memory_equal(out.b, CL_A.mac, 6);
}

static void outbound_spis(void **state)
{
	struct rsip_out_key key = {.peer = ip4(FX_PEER), .spi = htonl(0x31337)};
	uint64_t learned = counter(RSIP_CNT_LAN_LEARN_OUT_SPI);
	struct rsip_out_val v;
	unsigned int moved;
	struct pkt in;

	uint64_t before, after;

	pkt_init(&in);
	pkt_esp(&in, 0x31337, 1);
	tunnel_inner(&in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 50);
	before = dpx_now_ns();
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	after = dpx_now_ns();
	assert_int_equal(counter(RSIP_CNT_LAN_LEARN_OUT_SPI), learned + 1);
	assert_int_equal(bpf_map_lookup_elem(fx.m.out_spi, &key, &v), 0);
	assert_int_equal(v.xa, ip4(CL_A.xa));
	/* The program's clock (CLOCK_MONOTONIC at jiffy resolution, up to
	 * 10 ms behind at HZ=100) rounded down to 2^30 ns. */
	assert_true(v.seen.sec > 0);
	assert_true(rsip_seen_ns(&v.seen) <= after);
	assert_true(rsip_seen_ns(&v.seen) + (1ull << RSIP_SEEN_SHIFT) + 10000000ull > before);
	/* Known: no map write per packet. */
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	assert_int_equal(counter(RSIP_CNT_LAN_LEARN_OUT_SPI), learned + 1);
	/* AH and UDP-ESP are learned the same way. */
	pkt_init(&in);
	pkt_esp(&in, 0x31338, 1);
	pkt_udp(&in, 4500, 4500);
	tunnel_inner(&in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 17);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	key.spi = htonl(0x31338);
	assert_int_equal(bpf_map_lookup_elem(fx.m.out_spi, &key, &v), 0);
	/* B sends to A's (Y, SPI): forwarded, counted, not taken over. */
	uint64_t taken = counter(RSIP_CNT_LAN_OUT_SPI_TAKEN);

	pkt_init(&in);
	pkt_esp(&in, 0x31337, 9);
	tunnel_inner(&in, &CL_B, RSIP_TUNNEL_GRE, &(struct inner){0}, 50);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	assert_int_equal(counter(RSIP_CNT_LAN_OUT_SPI_TAKEN), taken + 1);
	key.spi = htonl(0x31337);
	assert_int_equal(bpf_map_lookup_elem(fx.m.out_spi, &key, &v), 0);
	assert_int_equal(v.xa, ip4(CL_A.xa));
}

static void violation_rate_limit(void **state)
{
	uint64_t events = counter(RSIP_CNT_LAN_EVENT_VIOLATION);
	unsigned int moved;
	struct pkt in;
	int recs = 0;

	/* Five bad tunnels and five bad sources in a row (well inside one
	 * second, or at most two): at most one record per kind and second. */
	bpf_fx_poll(&fx);
	for (int i = 0; i < 5; i++) {
		pkt_init(&in);
		udp_from(&in, &CL_E, RSIP_TUNNEL_GRE, 1, 2, &(struct inner){0});
		assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_DROP);
		assert_int_equal(moved, RSIP_CNT_LAN_DROP_BAD_TUNNEL);
		pkt_init(&in);
		udp_from(&in, &CL_E, RSIP_TUNNEL_IPIP, 1, 2, &(struct inner){.nb = FX_NB3});
		assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_DROP);
		assert_int_equal(moved, RSIP_CNT_LAN_DROP_BAD_SRC);
		recs += bpf_fx_poll(&fx);
	}
	assert_true(recs >= 2 && recs <= 4);
	assert_int_equal(counter(RSIP_CNT_LAN_EVENT_VIOLATION), events + recs);
}

/* A frame to another host's MAC (flooded by a switch) is the kernel's: a
 * cluster's standby must not forward what the active gateway forwards. */
static void other_host_frame(void **state)
{
	unsigned int moved;
	struct pkt in;

	pkt_init(&in);
	udp_from(&in, &CL_A, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){0});
	assert_memory_equal(in.b, FX_LAN_MAC, 6);
	/* One byte off in each of the three 16-bit words the check compares
	 * (bpf/config.h, mac16). */
	for (unsigned int i = 1; i < 6; i += 2) {
		in.b[i] ^= 0x40;
		assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_PASS);
		assert_int_equal(moved, RSIP_CNT_LAN_PASS_NOT_TUNNEL);
		in.b[i] ^= 0x40;
	}
	memcpy(in.b, FX_LAN_MAC, 6);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
}

static void lan_no_tx(void **state)
{
	__u32 wan = fx.wan_if;
	int tx = bpf_map__fd(fx.skel->maps.rsip_tx);
	unsigned int moved;
	struct pkt in;

	assert_int_equal(bpf_map_delete_elem(tx, &wan), 0);
	pkt_init(&in);
	udp_from(&in, &CL_A, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){0});
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_DROP);
	assert_int_equal(moved, RSIP_CNT_LAN_DROP_NO_TX);
	assert_int_equal(bpf_map_update_elem(tx, &wan, &wan, BPF_ANY), 0);
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
}

/* Sum (RFC 1071, not complemented) of the pseudo-header and the L4 bytes of
 * the IPv4 packet at ip, with its checksum field as it is. */
static uint16_t l4_sum(const uint8_t *ip, bool pseudo_only)
{
	size_t ihl = (size_t)(ip[0] & 0xf) * 4, len = (size_t)(ip[2] << 8 | ip[3]) - ihl;
	uint8_t buf[1600];

	memcpy(buf, ip + 12, 8);
	buf[8] = 0;
	buf[9] = ip[9];
	buf[10] = (uint8_t)(len >> 8);
	buf[11] = (uint8_t)len;
	assert_true(12 + len <= sizeof(buf));
	memcpy(buf + 12, ip + ihl, len);
	return (uint16_t)~inet_csum(buf, pseudo_only ? 12 : 12 + len);
}

/* A frame a GRO-ing hop merged and re-segmented reaches XDP on a veth with
 * only the pseudo-header sum in its inner TCP/UDP checksum (CHECKSUM_PARTIAL):
 * forwarded with the complete checksum, counted. A complete checksum, or
 * UDP's "none", stays as it is. */
static void partial_csum(void **state)
{
	/* UDP payloads around every span the program sums by (whole 512-byte
	 * chunks, then 256 ... 4, 2 and 1 bytes: csum.h), an odd one, and a
	 * TCP segment. */
	const struct {
		uint8_t proto;
		size_t ck;	/* checksum offset in the L4 header */
		size_t payload; /* UDP */
	} kinds[] = {{17, 6, 333},  {17, 6, 1},	   {17, 6, 2},	  {17, 6, 3},	 {17, 6, 4},
		     {17, 6, 503},  {17, 6, 504},  {17, 6, 505},  {17, 6, 1015}, {17, 6, 1016},
		     {17, 6, 1400}, {17, 6, 1443}, {17, 6, 1017}, {6, 16, 0}};
	const unsigned int nkinds = sizeof(kinds) / sizeof(kinds[0]);
	uint64_t n0 = counter(RSIP_CNT_LAN_CSUM_COMPLETED);
	size_t outer = 20, ipo = 14 + 20;
	struct pkt in, out;
	uint8_t *ip, *f;
	uint16_t v;

	for (unsigned int k = 0; k < nkinds; k++) {
		pkt_init(&in);
		if (kinds[k].proto == 17) {
			pkt_zeros(&in, kinds[k].payload);
			pkt_udp(&in, 1024, 53);
			tunnel_inner(&in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 17);
		} else {
			tcp_from(&in, &CL_B, RSIP_TUNNEL_GRE, 3000, 80);
			outer = 24;
			ipo = 14 + 24;
		}
		ip = in.b + ipo;
		f = ip + (ip[0] & 0xf) * 4 + kinds[k].ck;
		for (size_t i = 0; f + 2 + i < in.b + in.len; i++)
			f[2 + i] = (uint8_t)(i * 13 + 7); /* payload after the field */
		v = l4_sum(ip, true);
		f[0] = (uint8_t)(v >> 8);
		f[1] = (uint8_t)v;
		assert_int_equal(bpf_fx_run(&fx, fx.lan_prog, fx.lan_if, &in, &out), XDP_REDIRECT);
		assert_int_equal(counter(RSIP_CNT_LAN_CSUM_COMPLETED), n0 + k + 1);
		assert_int_equal(out.len, 14 + in.len - 14 - outer);
		/* The whole L4 checksum is right now: the sum is all ones. */
		assert_int_equal(l4_sum(out.b + 14, false), 0xffff);
		/* Complete already: forwarded as it came (but TTL and header sum). */
		memcpy(&in.b[ipo], out.b + 14, out.len - 14);
		in.b[ipo + 8]++;
		in.b[ipo + 10] = in.b[ipo + 11] = 0;
		v = inet_csum(in.b + ipo, 20);
		in.b[ipo + 10] = (uint8_t)(v >> 8);
		in.b[ipo + 11] = (uint8_t)v;
		assert_int_equal(bpf_fx_run(&fx, fx.lan_prog, fx.lan_if, &in, &out), XDP_REDIRECT);
		assert_int_equal(counter(RSIP_CNT_LAN_CSUM_COMPLETED), n0 + k + 1);
		assert_memory_equal(out.b + 14 + 20, in.b + ipo + 20, in.len - ipo - 20);
	}
	/* UDP without a checksum (0) stays so. */
	pkt_init(&in);
	udp_from(&in, &CL_A, RSIP_TUNNEL_IPIP, 1024, 53, &(struct inner){0});
	assert_int_equal(bpf_fx_run(&fx, fx.lan_prog, fx.lan_if, &in, &out), XDP_REDIRECT);
	assert_int_equal(out.b[14 + 20 + 6] | out.b[14 + 20 + 7], 0);
	assert_int_equal(counter(RSIP_CNT_LAN_CSUM_COMPLETED), n0 + nkinds);
}

/* A client's traffic out counts in its own rsip_bind_stats slot (XDP and
 * TC alike): N packets are N more packets and exactly their inner lengths
 * more bytes there, the configuration part of its rsip_clients value is
 * not written, and nothing is counted when the packet does not leave. */
static void client_counters(void **state)
{
	enum { N = 5 };
	struct binding_rec b = {.client_id = CL_C.client_id, .bind_id = 1501};
	__be32 xa = ip4(CL_C.xa);
	struct dp_binding_stats s0, s1;
	struct rsip_client cv0, cv1;
	struct rsip_bind_stats k0, k1;
	unsigned int moved;
	struct pkt in;

	b.xa.s_addr = xa;
	assert_int_equal(bpf_map_lookup_elem(fx.m.clients, &xa, &cv0), 0);
	assert_true(cv0.stat_slot != 0);
	assert_int_equal(dpx_binding_stats(fx.x, &b, &s0), 0);
	k0 = bpf_fx_slot_sum(&fx, cv0.stat_slot);
	pkt_init(&in);
	udp_from(&in, &CL_C, RSIP_TUNNEL_IPIP, 5000, 53, &(struct inner){0});
	for (int i = 0; i < N; i++)
		assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_REDIRECT);
	k1 = bpf_fx_slot_sum(&fx, cv0.stat_slot);
	assert_int_equal(k1.pkts, k0.pkts + N);
	assert_int_equal(k1.bytes, k0.bytes + (uint64_t)N * (in.len - 14 - 20));
	assert_int_equal(bpf_map_lookup_elem(fx.m.clients, &xa, &cv1), 0);
	assert_memory_equal(&cv0, &cv1, RSIP_CLIENT_CFG_END);
	assert_int_equal(dpx_binding_stats(fx.x, &b, &s1), 0);
	assert_int_equal(s1.packets_out, s0.packets_out + N);
	assert_int_equal(s1.bytes_out, s0.bytes_out + (uint64_t)N * (in.len - 14 - 20));
	/* Not counted when the FIB has no way out, nor when it goes to rsipd
	 * (issue 11: counted after the FIB result). */
	pkt_init(&in);
	udp_from(&in, &CL_C, RSIP_TUNNEL_IPIP, 5000, 53, &(struct inner){.dst = FX_UNREACH});
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_DROP);
	assert_int_equal(moved, RSIP_CNT_LAN_DROP_FIB);
	pkt_init(&in);
	udp_from(&in, &CL_C, RSIP_TUNNEL_IPIP, 5000, 53, &(struct inner){.dst = FX_NO_NEIGH});
	assert_int_equal(run(fx.lan_prog, &in, &moved), XDP_DROP);
	assert_int_equal(moved, RSIP_CNT_LAN_SLOW_ROUTE);
	bpf_fx_poll(&fx);
	assert_int_equal(dpx_binding_stats(fx.x, &b, &s0), 0);
	assert_int_equal(s0.packets_out, s1.packets_out);
	assert_int_equal(s0.bytes_out, s1.bytes_out);
	k0 = bpf_fx_slot_sum(&fx, cv0.stat_slot);
	assert_int_equal(k0.pkts, k1.pkts);
}

static void truncations(void **state)
{
	void (*frames[])(struct pkt *, struct fx_expect *) = {
	    ipip_udp_port, gre_tcp_port, outer_ip_options, esp_out,
	    ah_out,	   udp_esp_out,	 ike_port_500,
	};

	for (size_t f = 0; f < sizeof(frames) / sizeof(frames[0]); f++) {
		struct fx_expect e;
		struct pkt full;

		pkt_init(&full);
		frames[f](&full, &e);
		/* The test runner gives a TC program no IPv4 frame shorter
		 * than its IPv4 header (EINVAL): from there. */
		for (size_t len = fx.tc ? 14 + 20 : 14; len < full.len; len++) {
			unsigned int want =
			    len < 34 ? RSIP_CNT_LAN_PASS_NOT_TUNNEL : RSIP_CNT_LAN_DROP_MALFORMED;
			struct pkt in = full;
			unsigned int moved;
			int action;

			in.len = len;
			action = run(fx.lan_prog, &in, &moved);
			if (action != (len < 34 ? XDP_PASS : XDP_DROP) || moved != want)
				fail_msg("frame %zu cut to %zu bytes: action %d, counter %s", f,
					 len, action, dp_counter_name(moved));
		}
	}
	assert_int_equal(bpf_fx_poll(&fx), 0);
}

/* V: registered and linked through dpx, then its flags rewritten. */
static void stale_whole_client(void)
{
	struct dp_client dc = {.client_id = CL_V.client_id};
	struct rsip_client c;

	dc.xa.s_addr = ip4(CL_V.xa);
	if (dpx_client_add(fx.x, &dc) || dpx_client_set_link(fx.x, dc.xa, CL_V.mac, fx.lan_if) ||
	    bpf_map_lookup_elem(fx.m.clients, &dc.xa.s_addr, &c)) {
		fprintf(stderr, "setup: client V failed\n");
		exit(1);
	}
	c.nb = ip4(FX_NB1);
	c.tunnels = 1u << RSIP_DP_TUNNEL_IPIP;
	c.flags = RSIP_CF_WHOLE_NB;
	if (bpf_map_update_elem(fx.m.clients, &dc.xa.s_addr, &c, BPF_EXIST)) {
		fprintf(stderr, "setup: client V failed\n");
		exit(1);
	}
}

/* --- the TC program on GRO-merged tunnel packets (--attach tc) ----------------- */

/* A merged tunnel packet (2 x 1400 bytes of TCP from A's leased port) passes
 * the rules (its length is checked against the skb, not the linear part)
 * and goes on to be decapsulated, which the test runner's untyped GSO skb
 * refuses: dropped, counted for both segments, never to the slow path or
 * the WAN. The same client's tunnel packet that is not to Na passes
 * untouched. */
static void tc_gso_decap(void **state)
{
	uint64_t b[RSIP_CNT_MAX], a[RSIP_CNT_MAX];
	struct pkt in, out;

	pkt_init(&in);
	pkt_zeros(&in, 2800);
	pkt_tcp(&in, 1024, 443);
	tunnel_inner(&in, &CL_A, RSIP_TUNNEL_IPIP, &(struct inner){0}, 6);
	bpf_fx_poll(&fx);
	bpf_fx_counters(&fx, b);
	assert_int_equal(bpf_fx_run_tc_gso(&fx, fx.lan_tc, fx.lan_if, &in, &out, 1400, 2), 2);
	bpf_fx_counters(&fx, a);
	assert_int_equal(a[RSIP_CNT_LAN_DROP_MALFORMED] - b[RSIP_CNT_LAN_DROP_MALFORMED], 2);
	assert_int_equal(a[RSIP_CNT_LAN_TC_GSO], b[RSIP_CNT_LAN_TC_GSO]);
	assert_int_equal(bpf_fx_poll(&fx), 0);

	/* Without GSO the same bytes pass the rules too, and are too big for
	 * the WAN: the FIB says so, and rsipd gets the packet (the kernel
	 * fragments it or answers). */
	bpf_fx_counters(&fx, b);
	assert_int_equal(bpf_fx_run_tc_gso(&fx, fx.lan_tc, fx.lan_if, &in, &out, 0, 0), 2);
	bpf_fx_counters(&fx, a);
	assert_int_equal(a[RSIP_CNT_LAN_SLOW_ROUTE] - b[RSIP_CNT_LAN_SLOW_ROUTE], 1);
	assert_int_equal(bpf_fx_poll(&fx), 1);
	assert_int_equal(fx.recs[0].meta.pkt_len, in.len - 20);

	in.b[14 + 16] = 10; /* outer destination 10.0.0.2: not Na */
	in.b[14 + 19] = 2;
	bpf_fx_counters(&fx, b);
	assert_int_equal(bpf_fx_run_tc_gso(&fx, fx.lan_tc, fx.lan_if, &in, &out, 1400, 2), 0);
	bpf_fx_counters(&fx, a);
	assert_int_equal(a[RSIP_CNT_LAN_PASS_NOT_TUNNEL] - b[RSIP_CNT_LAN_PASS_NOT_TUNNEL], 2);
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.b, in.b, in.len);
}

int main(void)
{
	const struct CMUnitTest seq[] = {
	    cmocka_unit_test(cookie_trial_and_error),
	    cmocka_unit_test(ikev2_both_roles),
	    cmocka_unit_test(incoming_ike_float),
	    cmocka_unit_test(fanout_take_over),
	    cmocka_unit_test(peer_entries),
	    cmocka_unit_test(cookie_cap_and_sweep),
	    cmocka_unit_test(out_spi_cap_and_sweep),
	    cmocka_unit_test(echo_ids),
	    cmocka_unit_test(outbound_spis),
	    cmocka_unit_test(violation_rate_limit),
	    cmocka_unit_test(lan_no_tx),
	    cmocka_unit_test(other_host_frame),
	    cmocka_unit_test(partial_csum),
	    cmocka_unit_test(client_counters),
	    cmocka_unit_test(truncations),
	};
	const struct CMUnitTest seq_tc[] = {
	    cmocka_unit_test(cookie_trial_and_error),
	    cmocka_unit_test(ikev2_both_roles),
	    cmocka_unit_test(incoming_ike_float),
	    cmocka_unit_test(fanout_take_over),
	    cmocka_unit_test(peer_entries),
	    cmocka_unit_test(cookie_cap_and_sweep),
	    cmocka_unit_test(out_spi_cap_and_sweep),
	    cmocka_unit_test(echo_ids),
	    cmocka_unit_test(outbound_spis),
	    cmocka_unit_test(violation_rate_limit),
	    cmocka_unit_test(lan_no_tx),
	    cmocka_unit_test(other_host_frame),
	    cmocka_unit_test(client_counters),
	    cmocka_unit_test(truncations),
	    cmocka_unit_test(tc_gso_decap),
	};
	int rc;

	bpf_fx_enter_netns();
	if (bpf_fx_load(&fx, NULL))
		return 1;
	scenario_setup(&fx);
	stale_whole_client();
	rc = fx_run_rows("rsip_lan rows", &fx, rows, sizeof(rows) / sizeof(rows[0]));
	rc |= cmocka_run_group_tests_name("rsip_lan sequences", seq, NULL, NULL);
	bpf_fx_destroy(&fx);

	/* The TC program (--attach tc) from the same start: every row and
	 * sequence again (but partial_csum: an skb keeps its checksum state,
	 * TC completes nothing), then GRO-merged packets. */
	if (bpf_fx_load(&fx, NULL))
		return 1;
	bpf_fx_use_tc(&fx, true);
	scenario_setup(&fx);
	stale_whole_client();
	rc |= fx_run_rows("rsip_lan_tc rows", &fx, rows, sizeof(rows) / sizeof(rows[0]));
	rc |= cmocka_run_group_tests_name("rsip_lan_tc sequences", seq_tc, NULL, NULL);
	bpf_fx_destroy(&fx);
	return rc ? 1 : 0;
}
