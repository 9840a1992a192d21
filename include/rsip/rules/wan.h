/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The WAN rules, written once: packets from the public realm to one of our
 * Nb are demultiplexed by what they carry in clear text to the client that
 * holds it; everything else is not ours. rsip_wan (bpf/wan.h) runs them on
 * every frame, rsipd's slow path (user/rsipd/slowpath/demux.c) on reassembled
 * datagrams; the hooks are in rules/env.h.
 *
 *   ESP / AH / UDP-ESP  the owned block SPI >> shift by index in rsip_spi_dir
 *                       (rsip/spi_dir.h; by (Nb, block) in rsip_spi_blk when
 *                       the directory is off), then (Nb, SPI) in rsip_spi;
 *                       miss: DROP (RFC 3104 section 5 MUST)
 *   UDP 500, 4500       after the non-ESP marker on 4500: (Nb, dport, client
 *                       cookie) in rsip_ike; miss: (Nb, dport, peer) in
 *                       rsip_ike: its one client, or several: the slow
 *                       path's fan-out when protected, else DROP; no peer
 *                       entry: DROP (App. E); 4500 without the marker: ESP
 *                       by SPI (RFC 3948). Both ports are never leased, so
 *                       no port lookup.
 *   TCP, other UDP      (Nb, dport): rules/ports.h (rsip_port_dir by index,
 *                       or rsip_ports)
 *   ICMP                echo/timestamp replies by learned id (Nb, id) in
 *                       rsip_icmp_id; errors to the slow path; requests to N
 *   Nb leased whole     everything not claimed above
 *   no claim, Nb ours   PASS (N's own services on Nb)
 *   a fragment to Nb    to the slow path (only the first carries the demux
 *                       key; rsipd reassembles, RFC 3102 3.1)
 * then the matched binding's remote policy (RFC 3103 7.2).
 *
 * A hit costs one lookup (two for a single SPI): rsip_nb is consulted only
 * when nothing matched, to tell "ours, drop" from "not ours, pass". Traffic
 * to an address that is not ours costs at most that first lookup: after a
 * miss the Nb pre-filter (an array bit, RULE_NB_MAYBE; no hashing) passes it
 * before any other lookup, unless it shares a bit with one of our Nb. A hit
 * never reads the filter.
 */
#ifndef RSIP_RULES_WAN_H
#define RSIP_RULES_WAN_H

#include "rsip/rules/env.h"
#include "rsip/rules/ike.h"
#include "rsip/rules/l3.h"
#include "rsip/rules/parse.h"
#include "rsip/rules/ports.h"
#include "rsip/spi_dir.h"

/* What the rules matched, for RULE_TUNNEL. */
struct wan_match {
	struct rsip_target *t;
	__u32 cnt;    /* RSIP_CNT_WAN_TX_* */
	__be16 sport; /* the peer's port, for remote micro policy */
	bool has_port;
	struct iphdr *iph; /* the packet's IPv4 header */
};

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

static __always_inline int wan_match(struct wan_match *v, struct rsip_target *t, __u32 cnt,
				     __be16 sport, bool has_port)
{
	v->t = t;
	v->cnt = cnt;
	v->sport = sport;
	v->has_port = has_port;
	return RULE(RULE_TUNNEL, cnt);
}

/* Nothing claimed the packet: PASS if nb is not ours; the whole-address
 * client's if nb is leased whole; else `miss` (a drop reason, or
 * RSIP_CNT_WAN_PASS_LOCAL). */
static __always_inline int wan_unclaimed(RULE_ENV *env, struct wan_match *v,
					 const struct iphdr *iph, __be16 sport, bool has_port,
					 __u32 miss)
{
	__be32 nb = iph->daddr;
	struct rsip_nb_val *nv;

	if (!RULE_NB_MAYBE(env, nb))
		return RULE(RULE_PASS, RSIP_CNT_WAN_PASS_NOT_NB);
	nv = RULE_LOOKUP(env, RULE_MAP(rsip_nb), &nb);
	if (!nv)
		return RULE(RULE_PASS, RSIP_CNT_WAN_PASS_NOT_NB);
	if (nv->flags & RSIP_NB_WHOLE)
		return wan_match(v, &nv->whole, RSIP_CNT_WAN_TX_WHOLE, sport, has_port);
	if (miss == RSIP_CNT_WAN_PASS_LOCAL)
		return RULE(RULE_PASS, miss);
	return RULE(RULE_DROP, miss);
}

/* Is daddr one of our Nb? The pre-filter bit says "certainly not" for
 * nearly every other address; rsip_nb_dir names the Nb that holds that bit's
 * port partition (both arrays: no hashing); only an Nb without a partition,
 * or an address sharing a bit with one of ours, is asked of rsip_nb. For the
 * --spi-steer first stage (bpf/steer.h), which must not steer what is not
 * ours. */
static __always_inline bool wan_nb_ours(RULE_ENV *env, __be32 daddr)
{
	__u32 bit = rsip_nb_filter_bit(daddr);
	struct rsip_nb_slot *s;

	if (!RULE_NB_MAYBE(env, daddr))
		return false;
	s = RULE_LOOKUP(env, RULE_MAP(rsip_nb_dir), &bit);
	if (s && s->nb == daddr)
		return true;
	return RULE_LOOKUP(env, RULE_MAP(rsip_nb), &daddr) != NULL;
}

/* Malformed or truncated beyond the IPv4 header: drop when it is ours (even
 * for an Nb leased whole: nothing sane to deliver), pass otherwise. */
static __always_inline int wan_malformed(RULE_ENV *env, __be32 daddr)
{
	if (!RULE_NB_MAYBE(env, daddr) || !RULE_LOOKUP(env, RULE_MAP(rsip_nb), &daddr))
		return RULE(RULE_PASS, RSIP_CNT_WAN_PASS_NOT_NB);
	return RULE(RULE_DROP, RSIP_CNT_WAN_DROP_MALFORMED);
}

/* The target of the owned SPI block that spi lies in, or NULL: by index in
 * rsip_spi_dir (the slot must be daddr's), or by (Nb, block) in rsip_spi_blk
 * when the directory is off. */
static __always_inline struct rsip_target *wan_spi_block(RULE_ENV *env, __be32 daddr, __be32 spi)
{
	__u32 shift = RULE_SPI_SHIFT(env) & 31;
	__u32 block = bpf_ntohl(spi) >> shift;

	if (RULE_SPI_DIR_ON(env)) {
		__u32 slot = rsip_spi_dir_slot(block, RULE_SPI_KEY(env), 32 - shift);
		struct rsip_dir_val *d = RULE_LOOKUP(env, RULE_MAP(rsip_spi_dir), &slot);

		return d && d->nb && d->nb == daddr ? &d->t : NULL;
	}
	struct rsip_blk_key bk = {.nb = daddr, .block = block};

	return RULE_LOOKUP(env, RULE_MAP(rsip_spi_blk), &bk);
}

static __always_inline int wan_spi(RULE_ENV *env, struct wan_match *v, const struct iphdr *iph,
				   __be32 spi, __u32 tx_cnt)
{
	struct rsip_target *t = wan_spi_block(env, iph->daddr, spi);

	if (!t) {
		struct rsip_spi_key sk = {.nb = iph->daddr, .spi = spi};

		if (!RULE_NB_MAYBE(env, iph->daddr)) /* at most one lookup when not ours */
			return RULE(RULE_PASS, RSIP_CNT_WAN_PASS_NOT_NB);
		t = RULE_LOOKUP(env, RULE_MAP(rsip_spi), &sk);
	}
	if (!t)
		return wan_unclaimed(env, v, iph, 0, false, RSIP_CNT_WAN_DROP_NO_SPI);
	return wan_match(v, t, tx_cnt, 0, false);
}

/*
 * A cookie nobody sent, from a peer that talks IKE on (Nb, port) with our
 * clients: a rekey or re-authentication that peer started (the new SPIs
 * travel encrypted, RFC 3104 Appendix E). The peer entry names the one
 * client talking to it: that client gets it, and its answer teaches the LAN
 * program the new cookie. With several, only a protected message is worth
 * asking them all about (rsipd's fan-out, RSIP_SLOW_IKE_FANOUT): the answer
 * to an unprotected one would be unprotected too, and never learned.
 */
static __always_inline int wan_ike_peer(RULE_ENV *env, struct wan_match *v, const struct iphdr *iph,
					const struct udphdr *udp, const struct ike_hdr *ike)
{
	struct rsip_ike_key pk = {.nb = iph->daddr, .port = udp->dest, .kind = RSIP_IKE_KIND_PEER};
	struct rsip_target *t;

	if (!RULE_NB_MAYBE(env, iph->daddr)) /* at most one lookup when not ours */
		return RULE(RULE_PASS, RSIP_CNT_WAN_PASS_NOT_NB);
	__builtin_memcpy(pk.cookie, &iph->saddr, sizeof(iph->saddr));
	t = RULE_LOOKUP(env, RULE_MAP(rsip_ike), &pk);
	if (!t)
		return wan_unclaimed(env, v, iph, udp->source, true, RSIP_CNT_WAN_DROP_NO_COOKIE);
	if (!(t->flags & RSIP_TF_IKE_SEVERAL))
		return wan_match(v, t, RSIP_CNT_WAN_TX_IKE_PEER, udp->source, true);
	if (!ike_protected(ike))
		return RULE(RULE_DROP, RSIP_CNT_WAN_DROP_IKE_AMBIGUOUS);
	return RULE(RULE_SLOW_IKE_FANOUT, RSIP_CNT_WAN_SLOW_IKE_FANOUT);
}

static __always_inline int wan_ike(RULE_ENV *env, struct wan_match *v, const struct iphdr *iph,
				   const struct udphdr *udp, void *pos, void *data_end)
{
	struct rsip_ike_key key = {.nb = iph->daddr, .port = udp->dest};
	struct ike_hdr *ike = pos;
	struct rsip_target *t;

	if ((void *)(ike + 1) > data_end)
		return wan_malformed(env, iph->daddr);
	if (ike_client_cookie(ike, false, key.cookie) < 0)
		return wan_malformed(env, iph->daddr);
	t = RULE_LOOKUP(env, RULE_MAP(rsip_ike), &key);
	if (!t)
		return wan_ike_peer(env, v, iph, udp, ike);
	/* A retransmission while rsipd's fan-out waits for the owner. */
	if (t->flags & RSIP_TF_IKE_FANOUT)
		return RULE(RULE_SLOW_IKE_FANOUT, RSIP_CNT_WAN_SLOW_IKE_FANOUT);
	return wan_match(v, t, RSIP_CNT_WAN_TX_IKE, udp->source, true);
}

static __always_inline int wan_udp(RULE_ENV *env, struct wan_match *v, const struct iphdr *iph,
				   struct hdr_cursor *nh, void *data_end)
{
	struct rsip_target *t;
	struct udphdr *udp;
	__u8 *payload;

	if (parse_udphdr(nh, data_end, &udp) < 0)
		return wan_malformed(env, iph->daddr);
	payload = nh->pos;
	/* 500 and 4500 are never leased (the allocator reserves them), so
	 * they skip the port lookup: one hash lookup per IKE packet. */
	if (udp->dest == bpf_htons(IKE_PORT))
		return wan_ike(env, v, iph, udp, payload, data_end);
	if (udp->dest != bpf_htons(IKE_NATT_PORT)) {
		t = rule_port_target(env, iph->daddr, udp->dest);
		if (t)
			return wan_match(v, t, RSIP_CNT_WAN_TX_PORT, udp->source, true);
		return wan_unclaimed(env, v, iph, udp->source, true, RSIP_CNT_WAN_PASS_LOCAL);
	}

	/* UDP 4500 (RFC 3948): a 1-byte 0xff NAT-keepalive, or the 4-byte zero
	 * non-ESP marker and IKE, or ESP whose first 4 bytes are the SPI. A
	 * keepalive names no SPI, so no client: dropped (it only keeps NAT
	 * mappings alive, and there is none to keep on Nb). */
	if (payload + 1 > (__u8 *)data_end)
		return wan_malformed(env, iph->daddr);
	if (natt_is_keepalive(udp, payload))
		return wan_unclaimed(env, v, iph, udp->source, true, RSIP_CNT_WAN_DROP_KEEPALIVE);
	if (payload + sizeof(struct rsip_esp_hdr) > (__u8 *)data_end)
		return wan_malformed(env, iph->daddr);
	if (*(__u32 *)payload == 0)
		return wan_ike(env, v, iph, udp, payload + NON_ESP_MARKER_LEN, data_end);
	return wan_spi(env, v, iph, *(__be32 *)payload, RSIP_CNT_WAN_TX_UDP_ESP);
}

static __always_inline int wan_icmp(RULE_ENV *env, struct wan_match *v, const struct iphdr *iph,
				    struct hdr_cursor *nh, void *data_end)
{
	__be32 nb = iph->daddr;
	struct rsip_icmp_key ik = {.nb = nb};
	struct rsip_nb_val *nv;
	struct rsip_target *t;
	struct icmphdr *icmp;
	int type = parse_icmphdr(nh, data_end, &icmp);

	if (type < 0)
		return wan_malformed(env, nb);
	/* A reply is claimed by its learned id like a port by its binding:
	 * one lookup on a hit, rsip_nb only after a miss (the LAN rules learn
	 * no id for a client that holds its Nb whole, so the order does not
	 * change whose a reply is). */
	if (type == ICMP_ECHOREPLY || type == ICMP_TIMESTAMPREPLY) {
		ik.id = icmp->un.echo.id;
		t = RULE_LOOKUP(env, RULE_MAP(rsip_icmp_id), &ik);
		if (t)
			return wan_match(v, t, RSIP_CNT_WAN_TX_ICMP, 0, false);
		return wan_unclaimed(env, v, iph, 0, false, RSIP_CNT_WAN_DROP_NO_ICMP_ID);
	}
	/* Errors and requests: whose they are depends on the Nb alone. */
	if (!RULE_NB_MAYBE(env, nb))
		return RULE(RULE_PASS, RSIP_CNT_WAN_PASS_NOT_NB);
	nv = RULE_LOOKUP(env, RULE_MAP(rsip_nb), &nb);
	if (!nv)
		return RULE(RULE_PASS, RSIP_CNT_WAN_PASS_NOT_NB);
	if (nv->flags & RSIP_NB_WHOLE)
		return wan_match(v, &nv->whole, RSIP_CNT_WAN_TX_WHOLE, 0, false);

	switch (type) {
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		return RULE(RULE_SLOW_ICMP_ERROR, RSIP_CNT_WAN_SLOW_ICMP_ERROR);
	}
	/* Requests (echo, timestamp...) are N's to answer (RFC 3102). */
	return RULE(RULE_PASS, RSIP_CNT_WAN_PASS_ICMP_REQ);
}

/* Demultiplexes by transport. */
static __always_inline int wan_demux(RULE_ENV *env, struct wan_match *v, const struct iphdr *iph,
				     int proto, struct hdr_cursor *nh, void *data_end)
{
	switch (proto) {
	case IPPROTO_ESP: {
		struct rsip_esp_hdr *esp;

		if (parse_esphdr(nh, data_end, &esp) < 0)
			return wan_malformed(env, iph->daddr);
		return wan_spi(env, v, iph, esp->spi, RSIP_CNT_WAN_TX_ESP);
	}
	case IPPROTO_AH: {
		struct rsip_ah_hdr *ah;

		if (parse_ahhdr(nh, data_end, &ah) < 0)
			return wan_malformed(env, iph->daddr);
		return wan_spi(env, v, iph, ah->spi, RSIP_CNT_WAN_TX_AH);
	}
	case IPPROTO_UDP:
		return wan_udp(env, v, iph, nh, data_end);
	case IPPROTO_TCP: {
		struct rsip_target *t;
		struct tcphdr *tcp;

		if (parse_tcphdr(nh, data_end, &tcp) < 0)
			return wan_malformed(env, iph->daddr);
		t = rule_port_target(env, iph->daddr, tcp->dest);
		if (t)
			return wan_match(v, t, RSIP_CNT_WAN_TX_PORT, tcp->source, true);
		return wan_unclaimed(env, v, iph, tcp->source, true, RSIP_CNT_WAN_PASS_LOCAL);
	}
	case IPPROTO_ICMP:
		return wan_icmp(env, v, iph, nh, data_end);
	}
	return wan_unclaimed(env, v, iph, 0, false, RSIP_CNT_WAN_PASS_LOCAL);
}

/*
 * The WAN decision for the IPv4 packet at l3 (data_end: the end of what is
 * there). RULE_TUNNEL with *v filled, or another outcome (env.h); the counter
 * of a RULE_TUNNEL is the one to count once the packet is sent.
 */
static __always_inline int wan_decide(RULE_ENV *env, struct wan_match *v, void *l3, void *data_end)
{
	struct hdr_cursor nh = {.pos = l3};
	struct iphdr *iph = peek_iphdr(&nh, data_end);
	int proto, ret;

	if (!iph)
		return RULE(RULE_PASS, RSIP_CNT_WAN_PASS_SHORT);
	v->iph = iph;
	proto = rule_iphdr(env, &nh, data_end, iph);
	if (proto < 0)
		return wan_malformed(env, iph->daddr);
	/* Only the first fragment carries the SPI, cookie or port: every
	 * fragment to Nb is reassembled by rsipd (RFC 3102 3.1). */
	if (ip_is_fragment(iph)) {
		if (!RULE_NB_MAYBE(env, iph->daddr) ||
		    !RULE_LOOKUP(env, RULE_MAP(rsip_nb), &iph->daddr))
			return RULE(RULE_PASS, RSIP_CNT_WAN_PASS_NOT_NB);
		return RULE(RULE_SLOW_FRAGMENT, RSIP_CNT_WAN_SLOW_FRAGMENT);
	}
	ret = wan_demux(env, v, iph, proto, &nh, data_end);
	if (RULE_ACTION(ret) == RULE_TUNNEL &&
	    !remote_allowed(v->t, iph->saddr, v->sport, v->has_port))
		return RULE(RULE_DROP, RSIP_CNT_WAN_DROP_REMOTE_POLICY);
	return ret;
}

#endif
