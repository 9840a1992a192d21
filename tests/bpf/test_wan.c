// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsip_wan under BPF_PROG_TEST_RUN: one fixture row per path and per drop
 * reason (input frame, action, exit counter, exact output bytes or the
 * slow-path record), then truncation at every length.
 * Map state: bpf_scenario.h, plus IKE cookies and an echo id that the LAN
 * program learns from client A in the group set-up (the real way in).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../lib/bpf_scenario.h"
#include "dp_names.h"
#include "rsip/wire.h"
#include "rsip_xdp.skel.h"

#define XDP_ABORTED  0
#define XDP_DROP     1
#define XDP_PASS     2
#define XDP_REDIRECT 4

#define IKEV1  0x10
#define IKEV2  0x20
#define FLAG_I 0x08

static struct bpf_fx fx;

/* Cookies client A's IKE uses (learned in setup). */
static const uint8_t C1[8] = {0xc1, 1, 1, 1, 1, 1, 1, 1}; /* IKEv1 initiator cookie, 500 */
static const uint8_t C2[8] = {0xc2, 2, 2, 2, 2, 2, 2, 2}; /* IKEv2 SPIi, A initiated */
static const uint8_t C3[8] = {0xc3, 3, 3, 3, 3, 3, 3, 3}; /* IKEv2 SPIr, A responded */
static const uint8_t C4[8] = {0xc4, 4, 4, 4, 4, 4, 4, 4}; /* IKEv2 SPIi over 4500 */
static const uint8_t P3[8] = {0x93, 3, 3, 3, 3, 3, 3, 3}; /* the peer's SPI for C3's SA */
static const uint8_t PEER_R[8] = {0x99, 9, 9, 9, 9, 9, 9, 9};
static const uint8_t ZERO8[8];
static const uint8_t UNKNOWN[8] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
#define ECHO_ID 0x4242
/* A peer talking IKE with A and B (several candidates), one with nobody. */
#define PEER2	  "198.51.100.20"
#define PEER_NONE "198.51.100.30"
static const uint8_t S2A[8] = {0xa2, 2, 2, 2, 2, 2, 2, 0xa};  /* A's SPIi towards PEER2 */
static const uint8_t S2B[8] = {0xb2, 2, 2, 2, 2, 2, 2, 0xb};  /* B's SPIi towards PEER2 */
static const uint8_t FANC[8] = {0xfa, 0, 0, 0, 0, 0, 0, 0xc}; /* a fan-out in progress */
#define IKEV2_SK  46
#define IKEV2_SKF 53

/* --- builders --------------------------------------------------------------- */

static void esp_to(struct pkt *in, const char *dst, uint32_t spi)
{
	pkt_esp(in, spi, 1);
	wan_frame(in, FX_PEER, dst, 50);
}

static void udp_to(struct pkt *in, const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
	pkt_zeros(in, 12);
	pkt_udp(in, sport, dport);
	wan_frame(in, src, dst, 17);
}

static void ike_to(struct pkt *in, uint16_t dport, const uint8_t *spi_i, const uint8_t *spi_r,
		   uint8_t version, uint8_t flags)
{
	pkt_ike(in, spi_i, spi_r, version, flags);
	if (dport == 4500)
		pkt_non_esp_marker(in);
	pkt_udp(in, dport, dport);
	wan_frame(in, FX_PEER, FX_NB1, 17);
}

static void ike_from_peer(struct pkt *in, const char *src, uint16_t dport, const uint8_t *spi_i,
			  const uint8_t *spi_r, uint8_t version, uint8_t flags, uint8_t np)
{
	pkt_ike_np(in, spi_i, spi_r, version, flags, np);
	if (dport == 4500)
		pkt_non_esp_marker(in);
	pkt_udp(in, dport, dport);
	wan_frame(in, src, FX_NB1, 17);
}

static void tcp_to(struct pkt *in, const char *dst, uint16_t dport)
{
	pkt_zeros(in, 10);
	pkt_tcp(in, 40000, dport);
	wan_frame(in, FX_PEER, dst, 6);
}

#define ROW(fn) static void fn(struct pkt *in, struct fx_expect *e)

ROW(esp_block)
{
	esp_to(in, FX_NB1, 0x123411);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(esp_block_other_spi)
{
	/* Not leased, but inside A's block: the block belongs to A (D13). */
	esp_to(in, FX_NB1, 0x1234fe);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(esp_single)
{
	esp_to(in, FX_NB1, 0x5001);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(esp_gre)
{
	esp_to(in, FX_NB1, 0x6001);
	expect_tunnel(e, in, &CL_B, RSIP_TUNNEL_GRE);
}
ROW(esp_unknown)
{
	esp_to(in, FX_NB1, 0x9999);
}
ROW(esp_wrong_nb)
{
	/* A's SPI, but on another of our addresses. */
	esp_to(in, FX_NB3, 0x123411);
}
ROW(esp_not_ours)
{
	esp_to(in, "198.51.100.50", 0x123411);
}
ROW(esp_tos_copied)
{
	struct ipv4_opts o = {.src = FX_PEER, .dst = FX_NB1, .proto = 50, .df = true, .tos = 0xb8};

	pkt_esp(in, 0x123410, 7);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(esp_no_df)
{
	struct ipv4_opts o = {.src = FX_PEER, .dst = FX_NB1, .proto = 50, .id = 77};

	pkt_esp(in, 0x123410, 7);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(esp_ip_options)
{
	struct ipv4_opts o = {.src = FX_PEER, .dst = FX_NB1, .proto = 50, .df = true, .optlen = 8};

	pkt_esp(in, 0x123412, 9);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(esp_max_options)
{
	struct ipv4_opts o = {.src = FX_PEER, .dst = FX_NB1, .proto = 50, .df = true, .optlen = 40};

	pkt_esp(in, 0x6001, 9);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
	expect_tunnel(e, in, &CL_B, RSIP_TUNNEL_GRE);
}
ROW(ah_block)
{
	pkt_ah(in, 0x123412, 1);
	wan_frame(in, FX_PEER, FX_NB1, 51);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(ah_unknown)
{
	pkt_ah(in, 0x9998, 1);
	wan_frame(in, FX_PEER, FX_NB1, 51);
}
ROW(udp_esp)
{
	pkt_esp(in, 0x123413, 1);
	pkt_udp(in, 4500, 4500);
	wan_frame(in, FX_PEER, FX_NB1, 17);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(udp_esp_unknown)
{
	pkt_esp(in, 0x9997, 1);
	pkt_udp(in, 4500, 4500);
	wan_frame(in, FX_PEER, FX_NB1, 17);
}
ROW(natt_keepalive)
{
	static const uint8_t ff = 0xff;

	pkt_bytes(in, &ff, 1);
	pkt_udp(in, 4500, 4500);
	wan_frame(in, FX_PEER, FX_NB1, 17);
}
ROW(ikev1_cookie)
{
	/* The peer answers A's main mode: initiator cookie is A's. */
	ike_to(in, 500, C1, PEER_R, IKEV1, 0);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(ikev1_phase2)
{
	/* Encrypted quick mode (E flag), same cookies. */
	ike_to(in, 500, C1, PEER_R, IKEV1, 0x01);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(ikev1_peer_rekey)
{
	/* App. E: the peer starts a new phase 1 with its own cookie. A is the
	 * only client talking IKE with it on Nb1:500: A gets it. */
	ike_to(in, 500, PEER_R, ZERO8, IKEV1, 0);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(ikev2_peer_responds)
{
	/* A initiated: the peer answers with I clear; SPIi is A's. */
	ike_to(in, 500, C2, PEER_R, IKEV2, 0x20 /* R */);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(ikev2_peer_initiator)
{
	/* The SA the peer initiated (rekeyed): I set, A's SPI is SPIr. */
	ike_to(in, 500, P3, C3, IKEV2, FLAG_I);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(ikev2_wrong_half)
{
	/* A's SPI in the half the I flag says is the peer's: no cookie
	 * matches; A is the peer's only client on Nb1:500, so by the peer. */
	ike_to(in, 500, UNKNOWN, C3, IKEV2, 0);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(ikev2_new_from_peer)
{
	/* A new IKE_SA_INIT from the peer (SPIr zero): its only client. */
	ike_to(in, 500, P3, ZERO8, IKEV2, FLAG_I);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(ikev2_unknown)
{
	/* The peer rekeyed A's IKE SA: the new SPIs travelled encrypted. */
	ike_to(in, 500, UNKNOWN, PEER_R, IKEV2, 0);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(ike_4500_marker)
{
	ike_to(in, 4500, C4, PEER_R, IKEV2, 0x20);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(ike_4500_unknown)
{
	ike_to(in, 4500, UNKNOWN, PEER_R, IKEV2, 0x20);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(ike_500_cookie_on_4500)
{
	/* Learned on 500 only: the port is part of the key (by the peer
	 * entry of 4500, not by the cookie). */
	ike_to(in, 4500, C1, PEER_R, IKEV1, 0);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
/* IKE with an unknown cookie from a peer nobody talks IKE with: App. E. */
ROW(ike_peer_unknown)
{
	ike_from_peer(in, PEER_NONE, 500, UNKNOWN, PEER_R, IKEV2, 0, IKEV2_SK);
}
/* PEER2 talks IKE with A and with B on Nb1:500 (learned in setup). */
ROW(ike_peer_several_protected)
{
	/* Y rekeyed one of the two IKE SAs: protected, so rsipd asks both. */
	ike_from_peer(in, PEER2, 500, PEER_R, UNKNOWN, IKEV2, FLAG_I, IKEV2_SK);
	e->slow_reason = RSIP_SLOW_IKE_FANOUT;
	e->slow_frame_is_input = true;
}
ROW(ike_peer_several_fragment)
{
	/* An IKEv2 fragment (RFC 7383, SKF) is protected too. */
	ike_from_peer(in, PEER2, 500, PEER_R, UNKNOWN, IKEV2, FLAG_I, IKEV2_SKF);
	e->slow_reason = RSIP_SLOW_IKE_FANOUT;
	e->slow_frame_is_input = true;
}
ROW(ike_peer_several_unprotected)
{
	/* A new IKE_SA_INIT: every answer would be unprotected, none learned. */
	ike_from_peer(in, PEER2, 500, PEER_R, ZERO8, IKEV2, FLAG_I, 33);
}
ROW(ikev1_peer_several_encrypted)
{
	ike_from_peer(in, PEER2, 500, UNKNOWN, PEER_R, IKEV1, 0x01, 8);
	e->slow_reason = RSIP_SLOW_IKE_FANOUT;
	e->slow_frame_is_input = true;
}
ROW(ikev1_peer_several_main_mode)
{
	/* A re-authentication: Main Mode 1 is unprotected. */
	ike_from_peer(in, PEER2, 500, UNKNOWN, ZERO8, IKEV1, 0, 1);
}
ROW(ike_fanout_pending)
{
	/* A retransmission while a fan-out waits: to the slow path again,
	 * even unprotected (the mark decides, not the message). */
	ike_from_peer(in, PEER2, 500, PEER_R, FANC, IKEV2, FLAG_I, 33);
	e->slow_reason = RSIP_SLOW_IKE_FANOUT;
	e->slow_frame_is_input = true;
}
ROW(ike_500_stray_port)
{
	/* A port entry on 500 (the allocator never leases it; the map would
	 * not refuse one): the IKE rule never looks there. The slow path once
	 * did (issue 7). */
	ike_to(in, 500, C1, PEER_R, IKEV1, 0);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(ike_4500_stray_port)
{
	ike_to(in, 4500, C4, PEER_R, IKEV2, 0x20);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(udp_esp_stray_port)
{
	pkt_esp(in, 0x123413, 1);
	pkt_udp(in, 4500, 4500);
	wan_frame(in, FX_PEER, FX_NB1, 17);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(ike_bad_version)
{
	ike_to(in, 500, C2, PEER_R, 0x30, 0);
}
ROW(udp_port)
{
	udp_to(in, FX_PEER, FX_NB1, 53, 1025);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(tcp_port)
{
	tcp_to(in, FX_NB1, 1026);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(tcp_port_gre)
{
	tcp_to(in, FX_NB1, 3000);
	expect_tunnel(e, in, &CL_B, RSIP_TUNNEL_GRE);
}
ROW(udp_ike_on_leased_port)
{
	/* IKE to a port A leased (ephemeral IKE port): by port, any cookie. */
	pkt_ike(in, UNKNOWN, PEER_R, IKEV2, 0);
	pkt_udp(in, 500, 1027);
	wan_frame(in, FX_PEER, FX_NB1, 17);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(udp_unleased)
{
	udp_to(in, FX_PEER, FX_NB1, 53, 7777);
}
ROW(tcp_unleased)
{
	tcp_to(in, FX_NB1, 22);
}
ROW(sctp_shared)
{
	pkt_zeros(in, 32);
	wan_frame(in, FX_PEER, FX_NB1, 132);
}
ROW(remote_policy_ok)
{
	udp_to(in, FX_PEER, FX_NB1, 443, 2000);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(remote_policy_bad_port)
{
	udp_to(in, FX_PEER, FX_NB1, 444, 2000);
}
ROW(remote_policy_bad_addr)
{
	udp_to(in, "198.51.100.8", FX_NB1, 443, 2000);
}
ROW(whole_tcp)
{
	tcp_to(in, FX_NB2, 22);
	expect_tunnel(e, in, &CL_W, RSIP_TUNNEL_IPIP);
}
ROW(whole_esp)
{
	esp_to(in, FX_NB2, 0xabcdef);
	expect_tunnel(e, in, &CL_W, RSIP_TUNNEL_IPIP);
}
ROW(whole_ike)
{
	pkt_ike(in, UNKNOWN, ZERO8, IKEV2, FLAG_I);
	pkt_udp(in, 500, 500);
	wan_frame(in, FX_PEER, FX_NB2, 17);
	expect_tunnel(e, in, &CL_W, RSIP_TUNNEL_IPIP);
}
ROW(whole_icmp_echo)
{
	pkt_icmp_echo(in, 8, 1, 1);
	wan_frame(in, FX_PEER, FX_NB2, 1);
	expect_tunnel(e, in, &CL_W, RSIP_TUNNEL_IPIP);
}
ROW(whole_gre)
{
	pkt_zeros(in, 24);
	wan_frame(in, FX_PEER, FX_NB2, 47);
	expect_tunnel(e, in, &CL_W, RSIP_TUNNEL_IPIP);
}
ROW(icmp_echo_request)
{
	pkt_icmp_echo(in, 8, 0x99, 1);
	wan_frame(in, FX_PEER, FX_NB1, 1);
}
ROW(icmp_echo_reply)
{
	pkt_icmp_echo(in, 0, ECHO_ID, 1);
	wan_frame(in, FX_PEER, FX_NB1, 1);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(icmp_echo_reply_unknown)
{
	pkt_icmp_echo(in, 0, 0x9999, 1);
	wan_frame(in, FX_PEER, FX_NB1, 1);
}
ROW(whole_icmp_echo_reply)
{
	/* No learned id on an Nb held whole: the reply is the holder's. */
	pkt_icmp_echo(in, 0, ECHO_ID, 1);
	wan_frame(in, FX_PEER, FX_NB2, 1);
	expect_tunnel(e, in, &CL_W, RSIP_TUNNEL_IPIP);
}
ROW(icmp_echo_reply_not_ours)
{
	pkt_icmp_echo(in, 0, ECHO_ID, 1);
	wan_frame(in, FX_PEER, "198.51.100.50", 1);
}
ROW(icmp_error)
{
	/* Port unreachable quoting A's UDP from Nb1:1024. */
	pkt_zeros(in, 8);
	pkt_udp(in, 1024, 53);
	inner_ip(in, FX_NB1, FX_PEER, 17);
	pkt_icmp(in, 3, 3);
	wan_frame(in, FX_PEER, FX_NB1, 1);
	e->slow_reason = RSIP_SLOW_ICMP_ERROR;
	e->slow_frame_is_input = true;
}
ROW(fragment_first)
{
	struct ipv4_opts o = {.src = FX_PEER, .dst = FX_NB1, .proto = 50, .mf = true, .id = 5};

	pkt_esp(in, 0x123411, 1);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
	e->slow_reason = RSIP_SLOW_FRAGMENT;
	e->slow_frame_is_input = true;
}
ROW(fragment_later)
{
	struct ipv4_opts o = {.src = FX_PEER, .dst = FX_NB1, .proto = 17, .frag_off = 185, .id = 5};

	pkt_zeros(in, 40);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
	e->slow_reason = RSIP_SLOW_FRAGMENT;
	e->slow_frame_is_input = true;
}
ROW(fragment_not_ours)
{
	struct ipv4_opts o = {.src = FX_PEER, .dst = "198.51.100.60", .proto = 17, .mf = true};

	pkt_zeros(in, 40);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
}
ROW(oversize)
{
	/* 1481 + 20 > 1500 after encapsulation. */
	struct ipv4_opts o = {.src = FX_PEER, .dst = FX_NB1, .proto = 50, .df = true};

	pkt_esp(in, 0x123411, 1);
	pkt_zeros(in, 1481 - 20 - in->len);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
	e->slow_reason = RSIP_SLOW_OVERSIZE;
	e->slow_xa = ip4(CL_A.xa);
	e->slow_frame_is_input = true;
}
ROW(largest_that_fits)
{
	struct ipv4_opts o = {.src = FX_PEER, .dst = FX_NB1, .proto = 50, .df = true};

	pkt_esp(in, 0x123411, 1);
	pkt_zeros(in, 1480 - 20 - in->len);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
	expect_tunnel(e, in, &CL_A, RSIP_TUNNEL_IPIP);
}
ROW(oversize_gre)
{
	/* 1477 + 24 > 1500 for GRE. */
	struct ipv4_opts o = {.src = FX_PEER, .dst = FX_NB1, .proto = 50, .df = true};

	pkt_esp(in, 0x6001, 1);
	pkt_zeros(in, 1477 - 20 - in->len);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
	e->slow_reason = RSIP_SLOW_OVERSIZE;
	e->slow_xa = ip4(CL_B.xa);
	e->slow_frame_is_input = true;
}
ROW(no_mac_yet)
{
	udp_to(in, FX_PEER, FX_NB3, 53, 4000);
	e->slow_reason = RSIP_SLOW_NO_NEIGH;
	e->slow_xa = ip4(CL_Z.xa);
	e->slow_frame_is_input = true;
}
ROW(no_tx_device)
{
	udp_to(in, FX_PEER, FX_NB1, 53, 6000);
}
ROW(vlan)
{
	pkt_esp(in, 0x123411, 1);
	inner_ip(in, FX_PEER, FX_NB1, 50);
	pkt_vlan(in, 100, 0x0800);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x8100);
}
ROW(arp)
{
	pkt_zeros(in, 28);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0806);
}
ROW(ipv6)
{
	pkt_zeros(in, 60);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x86dd);
}
ROW(bad_version)
{
	struct ipv4_opts o = {.src = FX_PEER, .dst = FX_NB1, .proto = 50, .version = 6};

	pkt_esp(in, 0x123411, 1);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
}
ROW(bad_ihl)
{
	struct ipv4_opts o = {.src = FX_PEER, .dst = FX_NB1, .proto = 50, .ihl = 4};

	pkt_esp(in, 0x123411, 1);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
}
ROW(bad_ihl_not_ours)
{
	struct ipv4_opts o = {.src = FX_PEER, .dst = "198.51.100.50", .proto = 50, .ihl = 4};

	pkt_esp(in, 0x123411, 1);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
}
ROW(tot_len_beyond_frame)
{
	struct ipv4_opts o = {.src = FX_PEER, .dst = FX_NB1, .proto = 50, .tot_len_adj = 1};

	pkt_esp(in, 0x123411, 1);
	pkt_ipv4(in, &o);
	pkt_eth(in, FX_WAN_MAC, FX_PEER_MAC, 0x0800);
}
ROW(udp_len_too_small)
{
	udp_to(in, FX_PEER, FX_NB1, 53, 1025);
	in->b[14 + 20 + 4] = 0;
	in->b[14 + 20 + 5] = 7;
}

#define R(name, action, cnt)                                                                       \
	{                                                                                          \
#name, false, name, action, RSIP_CNT_##cnt                                         \
	}

static const struct fx_row rows[] = {
    R(esp_block, XDP_REDIRECT, WAN_TX_ESP),
    R(esp_block_other_spi, XDP_REDIRECT, WAN_TX_ESP),
    R(esp_single, XDP_REDIRECT, WAN_TX_ESP),
    R(esp_gre, XDP_REDIRECT, WAN_TX_ESP),
    R(esp_unknown, XDP_DROP, WAN_DROP_NO_SPI),
    R(esp_wrong_nb, XDP_DROP, WAN_DROP_NO_SPI),
    R(esp_not_ours, XDP_PASS, WAN_PASS_NOT_NB),
    R(esp_tos_copied, XDP_REDIRECT, WAN_TX_ESP),
    R(esp_no_df, XDP_REDIRECT, WAN_TX_ESP),
    R(esp_ip_options, XDP_REDIRECT, WAN_TX_ESP),
    R(esp_max_options, XDP_REDIRECT, WAN_TX_ESP),
    R(ah_block, XDP_REDIRECT, WAN_TX_AH),
    R(ah_unknown, XDP_DROP, WAN_DROP_NO_SPI),
    R(udp_esp, XDP_REDIRECT, WAN_TX_UDP_ESP),
    R(udp_esp_unknown, XDP_DROP, WAN_DROP_NO_SPI),
    R(natt_keepalive, XDP_DROP, WAN_DROP_KEEPALIVE),
    R(ikev1_cookie, XDP_REDIRECT, WAN_TX_IKE),
    R(ikev1_phase2, XDP_REDIRECT, WAN_TX_IKE),
    R(ikev1_peer_rekey, XDP_REDIRECT, WAN_TX_IKE_PEER),
    R(ikev2_peer_responds, XDP_REDIRECT, WAN_TX_IKE),
    R(ikev2_peer_initiator, XDP_REDIRECT, WAN_TX_IKE),
    R(ikev2_wrong_half, XDP_REDIRECT, WAN_TX_IKE_PEER),
    R(ikev2_new_from_peer, XDP_REDIRECT, WAN_TX_IKE_PEER),
    R(ikev2_unknown, XDP_REDIRECT, WAN_TX_IKE_PEER),
    R(ike_4500_marker, XDP_REDIRECT, WAN_TX_IKE),
    R(ike_4500_unknown, XDP_REDIRECT, WAN_TX_IKE_PEER),
    R(ike_500_cookie_on_4500, XDP_REDIRECT, WAN_TX_IKE_PEER),
    R(ike_peer_unknown, XDP_DROP, WAN_DROP_NO_COOKIE),
    R(ike_peer_several_protected, XDP_DROP, WAN_SLOW_IKE_FANOUT),
    R(ike_peer_several_fragment, XDP_DROP, WAN_SLOW_IKE_FANOUT),
    R(ike_peer_several_unprotected, XDP_DROP, WAN_DROP_IKE_AMBIGUOUS),
    R(ikev1_peer_several_encrypted, XDP_DROP, WAN_SLOW_IKE_FANOUT),
    R(ikev1_peer_several_main_mode, XDP_DROP, WAN_DROP_IKE_AMBIGUOUS),
    R(ike_fanout_pending, XDP_DROP, WAN_SLOW_IKE_FANOUT),
    R(ike_500_stray_port, XDP_REDIRECT, WAN_TX_IKE),
    R(ike_4500_stray_port, XDP_REDIRECT, WAN_TX_IKE),
    R(udp_esp_stray_port, XDP_REDIRECT, WAN_TX_UDP_ESP),
    R(ike_bad_version, XDP_DROP, WAN_DROP_MALFORMED),
    R(udp_port, XDP_REDIRECT, WAN_TX_PORT),
    R(tcp_port, XDP_REDIRECT, WAN_TX_PORT),
    R(tcp_port_gre, XDP_REDIRECT, WAN_TX_PORT),
    R(udp_ike_on_leased_port, XDP_REDIRECT, WAN_TX_PORT),
    R(udp_unleased, XDP_PASS, WAN_PASS_LOCAL),
    R(tcp_unleased, XDP_PASS, WAN_PASS_LOCAL),
    R(sctp_shared, XDP_PASS, WAN_PASS_LOCAL),
    R(remote_policy_ok, XDP_REDIRECT, WAN_TX_PORT),
    R(remote_policy_bad_port, XDP_DROP, WAN_DROP_REMOTE_POLICY),
    R(remote_policy_bad_addr, XDP_DROP, WAN_DROP_REMOTE_POLICY),
    R(whole_tcp, XDP_REDIRECT, WAN_TX_WHOLE),
    R(whole_esp, XDP_REDIRECT, WAN_TX_WHOLE),
    R(whole_ike, XDP_REDIRECT, WAN_TX_WHOLE),
    R(whole_icmp_echo, XDP_REDIRECT, WAN_TX_WHOLE),
    R(whole_gre, XDP_REDIRECT, WAN_TX_WHOLE),
    R(icmp_echo_request, XDP_PASS, WAN_PASS_ICMP_REQ),
    R(icmp_echo_reply, XDP_REDIRECT, WAN_TX_ICMP),
    R(icmp_echo_reply_unknown, XDP_DROP, WAN_DROP_NO_ICMP_ID),
    R(whole_icmp_echo_reply, XDP_REDIRECT, WAN_TX_WHOLE),
    R(icmp_echo_reply_not_ours, XDP_PASS, WAN_PASS_NOT_NB),
    R(icmp_error, XDP_DROP, WAN_SLOW_ICMP_ERROR),
    R(fragment_first, XDP_DROP, WAN_SLOW_FRAGMENT),
    R(fragment_later, XDP_DROP, WAN_SLOW_FRAGMENT),
    R(fragment_not_ours, XDP_PASS, WAN_PASS_NOT_NB),
    R(oversize, XDP_DROP, WAN_SLOW_OVERSIZE),
    R(largest_that_fits, XDP_REDIRECT, WAN_TX_ESP),
    R(oversize_gre, XDP_DROP, WAN_SLOW_OVERSIZE),
    R(no_mac_yet, XDP_DROP, WAN_SLOW_NO_NEIGH),
    R(no_tx_device, XDP_DROP, WAN_DROP_NO_TX),
    R(vlan, XDP_PASS, WAN_PASS_NOT_IPV4),
    R(arp, XDP_PASS, WAN_PASS_NOT_IPV4),
    R(ipv6, XDP_PASS, WAN_PASS_NOT_IPV4),
    R(bad_version, XDP_DROP, WAN_DROP_MALFORMED),
    R(bad_ihl, XDP_DROP, WAN_DROP_MALFORMED),
    R(bad_ihl_not_ours, XDP_PASS, WAN_PASS_NOT_NB),
    R(tot_len_beyond_frame, XDP_DROP, WAN_DROP_MALFORMED),
    R(udp_len_too_small, XDP_DROP, WAN_DROP_MALFORMED),
};

/* --- learning the cookies through the LAN program ----------------------------- */

static void learn_from(const char *what, const struct client_def *c, int tunnel, const char *peer,
		       uint8_t proto, void (*l4)(struct pkt *p), unsigned int cnt)
{
	uint64_t before[RSIP_CNT_MAX], after[RSIP_CNT_MAX];
	struct pkt in, out;
	int action;

	pkt_init(&in);
	l4(&in);
	inner_ip(&in, FX_NB1, peer, proto);
	client_tunnel(&in, c, tunnel);
	bpf_fx_counters(&fx, before);
	action = bpf_fx_run(&fx, fx.lan_prog, fx.lan_if, &in, &out);
	bpf_fx_counters(&fx, after);
	if (action != XDP_REDIRECT || after[cnt] != before[cnt] + 1) {
		fprintf(stderr, "setup: learning %s failed (action %d)\n", what, action);
		for (unsigned int i = 0; i < RSIP_CNT_MAX; i++)
			if (after[i] != before[i])
				fprintf(stderr, "  %s +%llu\n", dp_counter_name(i),
					(unsigned long long)(after[i] - before[i]));
		exit(1);
	}
}

static void learn(const char *what, uint8_t proto, void (*l4)(struct pkt *p), unsigned int cnt)
{
	learn_from(what, &CL_A, RSIP_TUNNEL_IPIP, FX_PEER, proto, l4, cnt);
}

static void l4_peer2_a(struct pkt *p)
{
	pkt_ike(p, S2A, ZERO8, IKEV2, FLAG_I);
	pkt_udp(p, 500, 500);
}

static void l4_peer2_b(struct pkt *p)
{
	pkt_ike(p, S2B, ZERO8, IKEV2, FLAG_I);
	pkt_udp(p, 500, 500);
}

/* What rsipd's fan-out writes for a cookie it asked A and B about. */
static void fanout_mark(void)
{
	struct rsip_ike_key k = {.nb = ip4(FX_NB1), .port = htons(500)};
	struct rsip_target t = {.flags = RSIP_TF_LEARNED | RSIP_TF_IKE_FANOUT};

	memcpy(k.cookie, FANC, 8);
	if (bpf_map_update_elem(fx.m.ike, &k, &t, BPF_NOEXIST)) {
		fprintf(stderr, "setup: fan-out mark: %s\n", strerror(errno));
		exit(1);
	}
}

static void l4_ikev1(struct pkt *p)
{
	pkt_ike(p, C1, ZERO8, IKEV1, 0);
	pkt_udp(p, 500, 500);
}

static void l4_ikev2_init(struct pkt *p)
{
	pkt_ike(p, C2, ZERO8, IKEV2, FLAG_I);
	pkt_udp(p, 500, 500);
}

static void l4_ikev2_resp(struct pkt *p)
{
	pkt_ike(p, P3, C3, IKEV2, 0x20);
	pkt_udp(p, 500, 500);
}

static void l4_ikev2_natt(struct pkt *p)
{
	pkt_ike(p, C4, PEER_R, IKEV2, FLAG_I);
	pkt_non_esp_marker(p);
	pkt_udp(p, 4500, 4500);
}

static void l4_echo(struct pkt *p)
{
	pkt_icmp_echo(p, 8, ECHO_ID, 1);
}

/* Port entries for B on Nb1:500 and Nb1:4500, written straight into the map
 * (dpx and the allocator refuse them): see the *_stray_port rows. */
static void stray_ike_ports(void)
{
	struct rsip_port_key k = {.nb = ip4(FX_NB1), .port = htons(3000)};
	struct rsip_target b;

	if (bpf_map_lookup_elem(fx.m.ports, &k, &b)) {
		fprintf(stderr, "setup: B's port 3000 is missing\n");
		exit(1);
	}
	for (int i = 0; i < 2; i++) {
		k.port = htons(i ? 4500 : 500);
		if (bpf_map_update_elem(fx.m.ports, &k, &b, BPF_NOEXIST)) {
			fprintf(stderr, "setup: stray port: %s\n", strerror(errno));
			exit(1);
		}
	}
}

/* --- truncation at every length ---------------------------------------------- */

static void truncations(void **state)
{
	void (*frames[])(struct pkt *, struct fx_expect *) = {
	    esp_block, ah_block,	udp_esp,	ikev1_cookie, ike_4500_marker,
	    tcp_port,  icmp_echo_reply, esp_ip_options, whole_tcp,
	};

	for (size_t f = 0; f < sizeof(frames) / sizeof(frames[0]); f++) {
		struct fx_expect e;
		struct pkt full;

		pkt_init(&full);
		frames[f](&full, &e);
		for (int ours = 0; ours < 2; ours++) {
			/* The test runner gives a TC program no IPv4 frame shorter
			 * than its IPv4 header (EINVAL): from there. */
			for (size_t len = fx.tc ? 14 + 20 : 14; len < full.len; len++) {
				struct fx_row r = {"truncated", false, NULL, XDP_PASS,
						   RSIP_CNT_WAN_PASS_SHORT};
				uint64_t before[RSIP_CNT_MAX], after[RSIP_CNT_MAX];
				struct pkt in = full, out;
				int action;

				in.len = len;
				if (!ours)
					memcpy(in.b + 30, (uint8_t[]){198, 51, 100, 50}, 4);
				if (len >= 34) {
					r.action = ours ? XDP_DROP : XDP_PASS;
					r.counter = ours ? RSIP_CNT_WAN_DROP_MALFORMED
							 : RSIP_CNT_WAN_PASS_NOT_NB;
				}
				bpf_fx_counters(&fx, before);
				action = bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, &in, &out);
				bpf_fx_counters(&fx, after);
				if (action != r.action || after[r.counter] != before[r.counter] + 1)
					fail_msg("frame %zu cut to %zu bytes (%s): action %d, "
						 "expected %d with %s",
						 f, len, ours ? "to Nb" : "not ours", action,
						 r.action, dp_counter_name(r.counter));
			}
		}
	}
	assert_int_equal(bpf_fx_poll(&fx), 0);
}

/* The Nb pre-filter decides "not ours" after a miss, without another
 * lookup: with Nb1's bit cleared, an unknown SPI to Nb1 is passed as not ours
 * (instead of dropped), while a hit (ESP by block, an echo reply by its id)
 * never reads the filter. */
static int run_counted(const struct pkt *in, unsigned int *moved);

/* A frame to another host's MAC (flooded by a switch) is the kernel's: a
 * cluster's standby must not forward what the active gateway forwards. */
static void other_host_frame(void **state)
{
	struct fx_expect e;
	unsigned int moved;
	struct pkt p;

	pkt_init(&p);
	esp_block(&p, &e);
	assert_memory_equal(p.b, FX_WAN_MAC, 6);
	/* One byte off in each of the three 16-bit words the check compares
	 * (bpf/config.h, mac16). */
	for (unsigned int i = 1; i < 6; i += 2) {
		p.b[i] ^= 0x40;
		assert_int_equal(run_counted(&p, &moved), XDP_PASS);
		assert_int_equal(moved, RSIP_CNT_WAN_PASS_NOT_NB);
		p.b[i] ^= 0x40;
	}
	memset(p.b, 0xff, 6); /* broadcast: not another host's */
	assert_int_equal(run_counted(&p, &moved), XDP_REDIRECT);
	assert_int_equal(bpf_fx_poll(&fx), 0);
}

static int run_counted(const struct pkt *in, unsigned int *moved)
{
	uint64_t before[RSIP_CNT_MAX], after[RSIP_CNT_MAX];
	struct pkt out;
	int action;

	bpf_fx_counters(&fx, before);
	action = bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, in, &out);
	bpf_fx_counters(&fx, after);
	*moved = RSIP_CNT_MAX;
	for (unsigned int i = 0; i < RSIP_CNT_MAX; i++)
		if (dp_counter_is_exit(i) && after[i] != before[i])
			*moved = i;
	return action;
}

static void nb_filter(void **state)
{
	__be32 nb1 = ip4(FX_NB1);
	uint32_t bit = rsip_nb_filter_bit(nb1), idx = bit >> 5, w, cleared;
	int fd = bpf_map__fd(fx.skel->maps.rsip_nb_filter);
	struct pkt unknown, hit, echo;
	struct fx_expect e;
	unsigned int moved;

	pkt_init(&unknown);
	esp_unknown(&unknown, &e);
	pkt_init(&hit);
	esp_block(&hit, &e);
	pkt_init(&echo);
	icmp_echo_reply(&echo, &e);
	assert_int_equal(bpf_map_lookup_elem(fd, &idx, &w), 0);
	assert_true(w & (1u << (bit & 31)));
	cleared = w & ~(1u << (bit & 31));
	assert_int_equal(bpf_map_update_elem(fd, &idx, &cleared, BPF_ANY), 0);
	assert_int_equal(run_counted(&unknown, &moved), XDP_PASS);
	assert_int_equal(moved, RSIP_CNT_WAN_PASS_NOT_NB);
	assert_int_equal(run_counted(&hit, &moved), XDP_REDIRECT);
	/* An echo reply by its learned id: one lookup, no filter, no rsip_nb. */
	assert_int_equal(run_counted(&echo, &moved), XDP_REDIRECT);
	assert_int_equal(moved, RSIP_CNT_WAN_TX_ICMP);
	assert_int_equal(bpf_map_update_elem(fd, &idx, &w, BPF_ANY), 0);
	assert_int_equal(run_counted(&unknown, &moved), XDP_DROP);
	assert_int_equal(moved, RSIP_CNT_WAN_DROP_NO_SPI);
	assert_int_equal(bpf_fx_poll(&fx), 0);
}

/* Per-binding counters move with the traffic (and only on the hit). */
static void binding_counters(void **state)
{
	struct binding_rec b = {.client_id = CL_A.client_id, .bind_id = 1102};
	struct dp_binding_stats s0, s1;
	struct fx_expect e;
	struct pkt in, out;

	b.xa.s_addr = ip4(CL_A.xa);
	assert_int_equal(dpx_binding_stats(fx.x, &b, &s0), 0);
	pkt_init(&in);
	esp_block(&in, &e);
	assert_int_equal(bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, &in, &out), XDP_REDIRECT);
	assert_int_equal(dpx_binding_stats(fx.x, &b, &s1), 0);
	assert_int_equal(s1.packets_in, s0.packets_in + 1);
	assert_int_equal(s1.bytes_in, s0.bytes_in + (in.len - 14));
	assert_true(s1.last_seen_ms > 0);
	assert_true(s1.last_seen_ms <= dpx_now_ns() / 1000000u + 1);
}

/* N packets to a target: its slot in the per-CPU map holds exactly N more
 * packets and N times the inner length more bytes, and no other slot
 * moved by them. */
static void count_n(const struct pkt *in, uint32_t slot, uint32_t other)
{
	enum { N = 7 };
	struct rsip_bind_stats s0 = bpf_fx_slot_sum(&fx, slot), o0 = bpf_fx_slot_sum(&fx, other),
			       s1, o1;
	struct pkt out;

	for (int i = 0; i < N; i++)
		assert_int_equal(bpf_fx_run(&fx, fx.wan_prog, fx.wan_if, in, &out), XDP_REDIRECT);
	s1 = bpf_fx_slot_sum(&fx, slot);
	o1 = bpf_fx_slot_sum(&fx, other);
	assert_int_equal(s1.pkts, s0.pkts + N);
	assert_int_equal(s1.bytes, s0.bytes + (uint64_t)N * (in->len - 14));
	assert_int_equal(o1.pkts, o0.pkts);
	assert_int_equal(o1.bytes, o0.bytes);
}

/* Each binding counts in its own rsip_bind_stats slot (a single SPI, a
 * whole Nb); learned entries (an echo id) in the shared slot 0. */
static void slot_counters(void **state)
{
	struct rsip_spi_key sk = {.nb = ip4(FX_NB1), .spi = htonl(0x5001)};
	struct rsip_icmp_key ik = {.nb = ip4(FX_NB1), .id = htons(ECHO_ID)};
	__be32 nb2 = ip4(FX_NB2);
	struct rsip_target single, learned;
	struct rsip_nb_val whole;
	struct fx_expect e;
	struct pkt in;

	assert_int_equal(bpf_map_lookup_elem(fx.m.spi, &sk, &single), 0);
	assert_int_equal(bpf_map_lookup_elem(fx.m.nb, &nb2, &whole), 0);
	assert_int_equal(bpf_map_lookup_elem(fx.m.icmp_id, &ik, &learned), 0);
	assert_true(single.stat_slot != 0);
	assert_true(whole.whole.stat_slot != 0);
	assert_true(whole.whole.stat_slot != single.stat_slot);
	assert_int_equal(learned.stat_slot, 0);

	pkt_init(&in);
	esp_single(&in, &e);
	count_n(&in, single.stat_slot, whole.whole.stat_slot);
	pkt_init(&in);
	whole_esp(&in, &e);
	count_n(&in, whole.whole.stat_slot, single.stat_slot);
	pkt_init(&in);
	icmp_echo_reply(&in, &e);
	count_n(&in, 0, single.stat_slot);
}

/* --- the TC program on GSO packets (--attach tc) ------------------------------ */

/* A TCP packet from the peer to A's leased port 1024 with `payload` bytes: a
 * GRO-merged one when payload > one segment. */
static void tcp_merged(struct pkt *in, const char *dst, size_t payload)
{
	pkt_zeros(in, payload);
	pkt_tcp(in, 40000, 1024);
	wan_frame(in, FX_PEER, dst, 6);
}

static uint64_t moved_by(const uint64_t *before, const uint64_t *after, unsigned int c)
{
	return after[c] - before[c];
}

/* A merged packet is checked by its segments, not its length: 2 x 1400
 * bytes fit the LAN after encapsulation, and the packet goes on to be
 * resized (which the test runner's untyped GSO skb refuses: counted as an
 * encapsulation failure for both segments, never sent bare); the same bytes
 * without GSO are too big and go to the slow path; a segment size that does
 * not fit with its headers goes to the slow path too. */
static void tc_gso_encap_by_segment(void **state)
{
	uint64_t b[RSIP_CNT_MAX], a[RSIP_CNT_MAX];
	struct pkt in, out;

	pkt_init(&in);
	tcp_merged(&in, FX_NB1, 2800);
	bpf_fx_poll(&fx);
	bpf_fx_counters(&fx, b);
	assert_int_equal(bpf_fx_run_tc_gso(&fx, fx.wan_tc, fx.wan_if, &in, &out, 1400, 2), 2);
	bpf_fx_counters(&fx, a);
	assert_int_equal(moved_by(b, a, RSIP_CNT_WAN_DROP_ENCAP_FAIL), 2);
	assert_int_equal(moved_by(b, a, RSIP_CNT_WAN_SLOW_OVERSIZE), 0);
	assert_int_equal(bpf_fx_poll(&fx), 0);

	bpf_fx_counters(&fx, b);
	assert_int_equal(bpf_fx_run_tc_gso(&fx, fx.wan_tc, fx.wan_if, &in, &out, 0, 0), 2);
	bpf_fx_counters(&fx, a);
	assert_int_equal(moved_by(b, a, RSIP_CNT_WAN_SLOW_OVERSIZE), 1);
	assert_int_equal(bpf_fx_poll(&fx), 1);

	/* 20 + 20 bytes of headers + 1470 > 1500. */
	bpf_fx_counters(&fx, b);
	assert_int_equal(bpf_fx_run_tc_gso(&fx, fx.wan_tc, fx.wan_if, &in, &out, 1470, 2), 2);
	bpf_fx_counters(&fx, a);
	assert_int_equal(moved_by(b, a, RSIP_CNT_WAN_SLOW_OVERSIZE), 2);
	assert_int_equal(bpf_fx_poll(&fx), 1);
	assert_int_equal(fx.recs[0].meta.reason, RSIP_SLOW_OVERSIZE);
	assert_int_equal(fx.recs[0].meta.pkt_len, in.len);
}

/* A merged packet that is not ours passes untouched, counted per segment. */
static void tc_gso_not_ours_untouched(void **state)
{
	uint64_t b[RSIP_CNT_MAX], a[RSIP_CNT_MAX];
	struct pkt in, out;

	pkt_init(&in);
	tcp_merged(&in, "198.51.100.50", 2800);
	bpf_fx_counters(&fx, b);
	assert_int_equal(bpf_fx_run_tc_gso(&fx, fx.wan_tc, fx.wan_if, &in, &out, 1400, 2), 0);
	bpf_fx_counters(&fx, a);
	assert_int_equal(moved_by(b, a, RSIP_CNT_WAN_PASS_NOT_NB), 2);
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.b, in.b, in.len);
	assert_int_equal(bpf_fx_poll(&fx), 0);
}

int main(void)
{
	const struct CMUnitTest extra[] = {
	    cmocka_unit_test(truncations),	cmocka_unit_test(binding_counters),
	    cmocka_unit_test(slot_counters),	cmocka_unit_test(nb_filter),
	    cmocka_unit_test(other_host_frame),
	};
	const struct CMUnitTest gso[] = {
	    cmocka_unit_test(tc_gso_encap_by_segment),
	    cmocka_unit_test(tc_gso_not_ours_untouched),
	};
	int rc = 0;

	bpf_fx_enter_netns();
	for (int tc = 0; tc < 2; tc++) {
		/* The XDP programs, then the TC programs (--attach tc) from
		 * the same start: every row and test again (same verdict,
		 * counter, bytes and slow-path record), then GSO packets. */
		if (tc)
			bpf_fx_destroy(&fx);
		if (bpf_fx_load(&fx, NULL))
			return 1;
		bpf_fx_use_tc(&fx, tc);
		scenario_setup(&fx);
		learn("IKEv1 cookie", 17, l4_ikev1, RSIP_CNT_LAN_LEARN_COOKIE);
		learn("IKEv2 SPIi", 17, l4_ikev2_init, RSIP_CNT_LAN_LEARN_COOKIE);
		learn("IKEv2 SPIr", 17, l4_ikev2_resp, RSIP_CNT_LAN_LEARN_COOKIE);
		learn("IKEv2 SPIi on 4500", 17, l4_ikev2_natt, RSIP_CNT_LAN_LEARN_COOKIE);
		learn("echo id", 1, l4_echo, RSIP_CNT_LAN_LEARN_ICMP_ID);
		learn_from("A's IKE with PEER2", &CL_A, RSIP_TUNNEL_IPIP, PEER2, 17, l4_peer2_a,
			   RSIP_CNT_LAN_LEARN_IKE_PEER);
		learn_from("B's IKE with PEER2", &CL_B, RSIP_TUNNEL_GRE, PEER2, 17, l4_peer2_b,
			   RSIP_CNT_LAN_LEARN_COOKIE);
		fanout_mark();
		stray_ike_ports();
		fprintf(stderr, "verifier: %s %u instructions processed, %s %u\n",
			tc ? "rsip_wan_tc" : "rsip_wan", bpf_fx_verified_insns(fx.wan_prog),
			tc ? "rsip_lan_tc" : "rsip_lan", bpf_fx_verified_insns(fx.lan_prog));
		rc |= fx_run_rows(tc ? "rsip_wan_tc rows" : "rsip_wan rows", &fx, rows,
				  sizeof(rows) / sizeof(rows[0]));
		rc |=
		    cmocka_run_group_tests_name(tc ? "rsip_wan_tc" : "rsip_wan", extra, NULL, NULL);
	}
	rc |= cmocka_run_group_tests_name("rsip_wan_tc gso", gso, NULL, NULL);
	bpf_fx_destroy(&fx);
	return rc ? 1 : 0;
}
