/* SPDX-License-Identifier: GPL-2.0 */
/*
 * WAN ingress: packets from the public realm to one of our Nb are
 * demultiplexed by what they carry in clear text and tunnelled to the client
 * that holds it; everything else is passed to the kernel untouched.
 *
 *   ESP / AH / UDP-ESP  (Nb, SPI >> shift) in rsip_spi_blk, then (Nb, SPI) in
 *                       rsip_spi; miss: DROP (RFC 3104 section 5 MUST)
 *   UDP 500, 4500       after the non-ESP marker on 4500: (Nb, dport, client
 *                       cookie) in rsip_ike; miss: DROP (App. E); 4500
 *                       without the marker: ESP by SPI (RFC 3948). Both
 *                       ports are never leased, so no port lookup.
 *   UDP                 (Nb, dport) in rsip_ports
 *   TCP, other UDP      (Nb, dport) in rsip_ports
 *   ICMP                echo/timestamp replies by learned id; errors to the
 *                       slow path; requests to N
 *   Nb leased whole     everything not claimed above
 *   no claim, Nb ours   PASS (N's own services on Nb)
 *
 * A hit costs one hash lookup (two for a single SPI): rsip_nb is consulted
 * only when nothing matched, to tell "ours, drop" from "not ours, pass".
 * Policy in one place: docs/dataplane.md.
 */
#ifndef RSIP_BPF_WAN_H
#define RSIP_BPF_WAN_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "config.h"
#include "encap.h"
#include "ike.h"
#include "maps.h"
#include "parse.h"
#include "slowpath.h"
#include "stats.h"

/* Remote flow policy (RFC 3103 7.2) on traffic to the client. Without ports
 * (ESP, AH, ICMP) only the address can be checked (RFC 3104 App. D). */
static __always_inline bool remote_allowed(const struct rsip_target *t, __be32 peer,
					   __be16 peer_port, bool has_port)
{
	if (!(t->flags & RSIP_TF_REMOTE_ADDR))
		return true;
	if (t->remote != peer)
		return false;
	if ((t->flags & RSIP_TF_REMOTE_PORT) && has_port && t->remote_port != peer_port)
		return false;
	return true;
}

/*
 * The demultiplexing functions below either finish the packet (they return an
 * XDP action, counted) or return WAN_SEND with the matched binding in *v;
 * wan_main() then sends it from one place, so the encapsulation is inlined
 * once (the program stays small enough for the instruction cache).
 */
#define WAN_SEND (-1)

struct wan_match {
	struct rsip_target *t;
	__u32 cnt;    /* RSIP_CNT_WAN_TX_* */
	__be16 sport; /* the peer's port, for remote micro policy */
	bool has_port;
};

static __always_inline int wan_match(struct wan_match *v, struct rsip_target *t, __u32 cnt,
				     __be16 sport, bool has_port)
{
	v->t = t;
	v->cnt = cnt;
	v->sport = sport;
	v->has_port = has_port;
	return WAN_SEND;
}

/* Tunnels the IPv4 packet at iph to the matched client and redirects it to
 * the LAN. */
static __always_inline int wan_send(struct xdp_md *ctx, const struct wan_match *v,
				    const struct iphdr *iph)
{
	struct rsip_target *t = v->t;
	struct encap_inner in = {
	    .tot_len = bpf_ntohs(iph->tot_len),
	    .tos = iph->tos,
	    .df = (iph->frag_off & bpf_htons(IP_DF)) != 0,
	};

	if (!remote_allowed(t, iph->saddr, v->sport, v->has_port))
		return count_and_return(RSIP_CNT_WAN_DROP_REMOTE_POLICY, XDP_DROP);
	if (mac_is_zero(t->mac))
		return slow_path(ctx, RSIP_SLOW_NO_NEIGH, t, RSIP_CNT_WAN_SLOW_NO_NEIGH,
				 RSIP_CNT_WAN_SLOW_LOST);
	if (in.tot_len + tunnel_overhead(t->tunnel) > cfg_lan_mtu)
		return slow_path(ctx, RSIP_SLOW_OVERSIZE, t, RSIP_CNT_WAN_SLOW_OVERSIZE,
				 RSIP_CNT_WAN_SLOW_LOST);
	if (encap_push(ctx, t, &in))
		return count_and_return(RSIP_CNT_WAN_DROP_ENCAP_FAIL, XDP_DROP);
	if (bpf_redirect_map(&rsip_tx, t->lan_ifindex, 0) != XDP_REDIRECT)
		return count_and_return(RSIP_CNT_WAN_DROP_NO_TX, XDP_DROP);
	target_account(t, in.tot_len);
	return count_and_return(v->cnt, XDP_REDIRECT);
}

/* Nothing claimed the packet: PASS if nb is not ours; the whole-address
 * client's if nb is leased whole; else `miss` (a drop reason, or
 * RSIP_CNT_WAN_PASS_LOCAL). */
static __always_inline int wan_unclaimed(struct wan_match *v, const struct iphdr *iph, __be16 sport,
					 bool has_port, __u32 miss)
{
	__be32 nb = iph->daddr;
	struct rsip_nb_val *nv = bpf_map_lookup_elem(&rsip_nb, &nb);

	if (!nv)
		return count_and_return(RSIP_CNT_WAN_PASS_NOT_NB, XDP_PASS);
	if (nv->flags & RSIP_NB_WHOLE)
		return wan_match(v, &nv->whole, RSIP_CNT_WAN_TX_WHOLE, sport, has_port);
	if (miss == RSIP_CNT_WAN_PASS_LOCAL)
		return count_and_return(miss, XDP_PASS);
	return count_and_return(miss, XDP_DROP);
}

/* Malformed or truncated beyond the IPv4 header: drop when it is ours (even
 * for an Nb leased whole: nothing sane to deliver), pass otherwise. */
static __always_inline int wan_malformed(__be32 daddr)
{
	if (!bpf_map_lookup_elem(&rsip_nb, &daddr))
		return count_and_return(RSIP_CNT_WAN_PASS_NOT_NB, XDP_PASS);
	return count_and_return(RSIP_CNT_WAN_DROP_MALFORMED, XDP_DROP);
}

static __always_inline int wan_spi(struct wan_match *v, const struct iphdr *iph, __be32 spi,
				   __u32 tx_cnt)
{
	struct rsip_blk_key bk = {
	    .nb = iph->daddr,
	    .block = bpf_ntohl(spi) >> (cfg_spi_block_shift & 31),
	};
	struct rsip_target *t = bpf_map_lookup_elem(&rsip_spi_blk, &bk);

	if (!t) {
		struct rsip_spi_key sk = {.nb = iph->daddr, .spi = spi};

		t = bpf_map_lookup_elem(&rsip_spi, &sk);
	}
	if (!t)
		return wan_unclaimed(v, iph, 0, false, RSIP_CNT_WAN_DROP_NO_SPI);
	return wan_match(v, t, tx_cnt, 0, false);
}

static __always_inline int wan_ike(struct wan_match *v, const struct iphdr *iph,
				   const struct udphdr *udp, void *pos, void *data_end)
{
	struct rsip_ike_key key = {.nb = iph->daddr, .port = udp->dest};
	struct ike_hdr *ike = pos;
	struct rsip_target *t;

	if ((void *)(ike + 1) > data_end)
		return wan_malformed(iph->daddr);
	if (ike_client_cookie(ike, false, key.cookie) < 0)
		return wan_malformed(iph->daddr);
	t = bpf_map_lookup_elem(&rsip_ike, &key);
	if (!t)
		return wan_unclaimed(v, iph, udp->source, true, RSIP_CNT_WAN_DROP_NO_COOKIE);
	return wan_match(v, t, RSIP_CNT_WAN_TX_IKE, udp->source, true);
}

static __always_inline int wan_udp(struct wan_match *v, const struct iphdr *iph,
				   struct hdr_cursor *nh, void *data_end)
{
	struct rsip_port_key pk = {.nb = iph->daddr};
	struct rsip_target *t;
	struct udphdr *udp;
	__u8 *payload;

	if (parse_udphdr(nh, data_end, &udp) < 0)
		return wan_malformed(iph->daddr);
	payload = nh->pos;
	/* 500 and 4500 are never leased (the allocator reserves them), so
	 * they skip the port lookup: one hash lookup per IKE packet. */
	if (udp->dest == bpf_htons(IKE_PORT))
		return wan_ike(v, iph, udp, payload, data_end);
	if (udp->dest != bpf_htons(IKE_NATT_PORT)) {
		pk.port = udp->dest;
		t = bpf_map_lookup_elem(&rsip_ports, &pk);
		if (t)
			return wan_match(v, t, RSIP_CNT_WAN_TX_PORT, udp->source, true);
		return wan_unclaimed(v, iph, udp->source, true, RSIP_CNT_WAN_PASS_LOCAL);
	}

	/* UDP 4500 (RFC 3948): a 1-byte 0xff NAT-keepalive, or the 4-byte zero
	 * non-ESP marker and IKE, or ESP whose first 4 bytes are the SPI. A
	 * keepalive names no SPI, so no client: dropped (it only keeps NAT
	 * mappings alive, and there is none to keep on Nb). */
	if (payload + 1 > (__u8 *)data_end)
		return wan_malformed(iph->daddr);
	if (udp->len == bpf_htons(sizeof(*udp) + 1) && payload[0] == NATT_KEEPALIVE)
		return wan_unclaimed(v, iph, udp->source, true, RSIP_CNT_WAN_DROP_KEEPALIVE);
	if (payload + sizeof(struct rsip_esp_hdr) > (__u8 *)data_end)
		return wan_malformed(iph->daddr);
	if (*(__u32 *)payload == 0)
		return wan_ike(v, iph, udp, payload + 4, data_end);
	return wan_spi(v, iph, *(__be32 *)payload, RSIP_CNT_WAN_TX_UDP_ESP);
}

static __always_inline int wan_icmp(struct xdp_md *ctx, struct wan_match *v,
				    const struct iphdr *iph, struct hdr_cursor *nh, void *data_end)
{
	__be32 nb = iph->daddr;
	struct rsip_icmp_key ik = {.nb = nb};
	struct rsip_nb_val *nv;
	struct rsip_target *t;
	struct icmphdr *icmp;
	int type = parse_icmphdr(nh, data_end, &icmp);

	if (type < 0)
		return wan_malformed(nb);
	nv = bpf_map_lookup_elem(&rsip_nb, &nb);
	if (!nv)
		return count_and_return(RSIP_CNT_WAN_PASS_NOT_NB, XDP_PASS);
	if (nv->flags & RSIP_NB_WHOLE)
		return wan_match(v, &nv->whole, RSIP_CNT_WAN_TX_WHOLE, 0, false);

	switch (type) {
	case ICMP_ECHOREPLY:
	case ICMP_TIMESTAMPREPLY:
		ik.id = icmp->un.echo.id;
		t = bpf_map_lookup_elem(&rsip_icmp_id, &ik);
		if (!t)
			return count_and_return(RSIP_CNT_WAN_DROP_NO_ICMP_ID, XDP_DROP);
		return wan_match(v, t, RSIP_CNT_WAN_TX_ICMP, 0, false);
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		return slow_path(ctx, RSIP_SLOW_ICMP_ERROR, NULL, RSIP_CNT_WAN_SLOW_ICMP_ERROR,
				 RSIP_CNT_WAN_SLOW_LOST);
	}
	/* Requests (echo, timestamp...) are N's to answer (RFC 3102). */
	return count_and_return(RSIP_CNT_WAN_PASS_ICMP_REQ, XDP_PASS);
}

/* Demultiplexes by transport: an XDP action, or WAN_SEND with *v. */
static __always_inline int wan_demux(struct xdp_md *ctx, struct wan_match *v,
				     const struct iphdr *iph, int proto, struct hdr_cursor *nh,
				     void *data_end)
{
	switch (proto) {
	case IPPROTO_ESP: {
		struct rsip_esp_hdr *esp;

		if (parse_esphdr(nh, data_end, &esp) < 0)
			return wan_malformed(iph->daddr);
		return wan_spi(v, iph, esp->spi, RSIP_CNT_WAN_TX_ESP);
	}
	case IPPROTO_AH: {
		struct rsip_ah_hdr *ah;

		if (parse_ahhdr(nh, data_end, &ah) < 0)
			return wan_malformed(iph->daddr);
		return wan_spi(v, iph, ah->spi, RSIP_CNT_WAN_TX_AH);
	}
	case IPPROTO_UDP:
		return wan_udp(v, iph, nh, data_end);
	case IPPROTO_TCP: {
		struct rsip_port_key pk = {.nb = iph->daddr};
		struct rsip_target *t;
		struct tcphdr *tcp;

		if (parse_tcphdr(nh, data_end, &tcp) < 0)
			return wan_malformed(iph->daddr);
		pk.port = tcp->dest;
		t = bpf_map_lookup_elem(&rsip_ports, &pk);
		if (t)
			return wan_match(v, t, RSIP_CNT_WAN_TX_PORT, tcp->source, true);
		return wan_unclaimed(v, iph, tcp->source, true, RSIP_CNT_WAN_PASS_LOCAL);
	}
	case IPPROTO_ICMP:
		return wan_icmp(ctx, v, iph, nh, data_end);
	}
	return wan_unclaimed(v, iph, 0, false, RSIP_CNT_WAN_PASS_LOCAL);
}

static __always_inline int wan_main(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor nh = {.pos = data};
	struct wan_match v =
	    {}; /* all paths defined: the verifier rejects reading undef registers */
	struct ethhdr *eth;
	struct iphdr *iph;
	int proto, ret;

	/* VLAN-tagged frames too: a VLAN device gets its own program, or the
	 * kernel handles them (docs/dataplane.md). */
	if (parse_ethhdr(&nh, data_end, &eth) != bpf_htons(ETH_P_IP))
		return count_and_return(RSIP_CNT_WAN_PASS_NOT_IPV4, XDP_PASS);
	iph = peek_iphdr(&nh, data_end);
	if (!iph)
		return count_and_return(RSIP_CNT_WAN_PASS_SHORT, XDP_PASS);
	proto = parse_iphdr(&nh, data_end, iph);
	if (proto < 0)
		return wan_malformed(iph->daddr);

	/* Only the first fragment carries the SPI, cookie or port: every
	 * fragment to Nb is reassembled by rsipd (RFC 3102 3.1). */
	if (ip_is_fragment(iph)) {
		if (!bpf_map_lookup_elem(&rsip_nb, &iph->daddr))
			return count_and_return(RSIP_CNT_WAN_PASS_NOT_NB, XDP_PASS);
		return slow_path(ctx, RSIP_SLOW_FRAGMENT, NULL, RSIP_CNT_WAN_SLOW_FRAGMENT,
				 RSIP_CNT_WAN_SLOW_LOST);
	}

	ret = wan_demux(ctx, &v, iph, proto, &nh, data_end);
	if (ret != WAN_SEND)
		return ret;
	return wan_send(ctx, &v, iph);
}

#endif
