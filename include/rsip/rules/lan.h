/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The LAN rules, written once: tunnelled packets from registered clients to
 * Na are checked against what the client leased before they may leave into
 * the public realm; everything else is not ours (RSIP itself on Na:4555,
 * ARP, the clients' other traffic). rsip_lan (bpf/lan.h) runs them on every
 * frame, rsipd's slow path (user/rsipd/slowpath/demux.c) on reassembled
 * tunnel packets; the hooks are in rules/env.h.
 *
 * Checks, in order, each with its counter (XDP bypasses netfilter, and
 * addresses are easy to spoof on a LAN):
 *   outer source Xa in rsip_clients, Ethernet source == its MAC
 *   tunnel type among those it leased                       (307)
 *   inner source == its Nb                                  (312)
 *   inner TCP/UDP source port leased to it (rules/ports.h),
 *     or Nb held whole, or IKE from 500/4500 with RSIPSEC   (313)
 *   ESP/AH only with RSIPSEC or the Nb whole                (313)
 *   the binding's remote policy                             (314/315)
 *   a client flagged whole must hold its Nb whole in rsip_nb (312)
 *   inner TTL > 1
 * A failure of the lease checks is a violation (RULE_VIOLATION: the XDP
 * program reports it to rsipd, decision D14).
 *
 * Learning, each only when new (no per-packet map write):
 *   IKE cookies on 500/4500 by trial and error (RFC 3104 6.1): BPF_NOEXIST
 *   insert, a cookie another client holds is dropped; per-client cap. With
 *   each, the peer entry (Nb, port, Y) that lets the WAN rules route a
 *   rekey Y starts; a cookie rsipd's fan-out marked goes to the client that
 *   answers with a protected message, never to an unprotected answer.
 *   IKE from a leased port to a peer's 500 (incoming IKE): its cookie for
 *   (Nb, 4500), where the peer floats to; never a drop.
 *   echo/timestamp request ids (Nb, id), same cap.
 *   outbound (Y, SPI) of ESP/AH/UDP-ESP: ICMP errors quote them; BPF_NOEXIST,
 *   never over another client's entry; a cap of their own.
 */
#ifndef RSIP_RULES_LAN_H
#define RSIP_RULES_LAN_H

#include "rsip/rules/env.h"
#include "rsip/rules/ike.h"
#include "rsip/rules/l3.h"
#include "rsip/rules/learned.h"
#include "rsip/rules/parse.h"
#include "rsip/rules/ports.h"

/* What the checks learned about the packet, for forwarding. */
struct lan_pkt {
	struct rsip_client *c;
	__be32 xa;
	__u8 tunnel;
	__u32 outer_len; /* outer IPv4 header (with options) + GRE */
	__be32 nb;	 /* inner source */
	__be32 peer;	 /* inner destination */
	__u16 inner_len;
};

static __always_inline int lan_bad_port(RULE_ENV *env, const struct lan_pkt *p, __u32 cnt)
{
	return RULE_VIOLATION(env, p, RSIP_ERR_LOCAL_ADDRPORT_UNALLOWED, 0, cnt);
}

/* Remote policy of the binding the packet uses (0: allowed). */
static __always_inline int lan_remote_check(RULE_ENV *env, const struct lan_pkt *p,
					    const struct rsip_target *t, __be16 dport,
					    bool has_port)
{
	if (!(t->flags & RSIP_TF_REMOTE_ADDR))
		return 0;
	if (t->remote != p->peer)
		return RULE_VIOLATION(env, p, RSIP_ERR_REMOTE_ADDR_UNALLOWED, t->bind_id,
				      RSIP_CNT_LAN_DROP_REMOTE_POLICY);
	if ((t->flags & RSIP_TF_REMOTE_PORT) && has_port && t->remote_port != dport)
		return RULE_VIOLATION(env, p, RSIP_ERR_REMOTE_ADDRPORT_UNALLOWED, t->bind_id,
				      RSIP_CNT_LAN_DROP_REMOTE_POLICY);
	return 0;
}

/* A client flagged as holding its Nb whole sends anything from it, under the
 * whole target's remote policy (RSA-IP, remote macro); if rsip_nb does not
 * say the Nb is leased whole to it (a stale flag), the address is not its
 * (312). 0: allowed. */
static __always_inline int lan_whole_check(RULE_ENV *env, const struct lan_pkt *p, __be16 dport,
					   bool has_port)
{
	struct rsip_nb_val *v = RULE_LOOKUP(env, RULE_MAP(rsip_nb), &p->nb);

	if (!v || !(v->flags & RSIP_NB_WHOLE) || v->whole.xa != p->xa)
		return RULE_VIOLATION(env, p, RSIP_ERR_LOCAL_ADDR_UNALLOWED, 0,
				      RSIP_CNT_LAN_DROP_BAD_SRC);
	return lan_remote_check(env, p, &v->whole, dport, has_port);
}

/* A learned WAN entry (IKE cookie, echo id) pointing at this client. */
static __always_inline void learned_target(RULE_ENV *env, struct rsip_target *t,
					   const struct lan_pkt *p)
{
	t->xa = p->xa;
	__builtin_memcpy(t->mac, p->c->mac, ETH_ALEN);
	t->tunnel = p->tunnel;
	t->flags = RSIP_TF_LEARNED;
	t->lan_ifindex = p->c->lan_ifindex;
	/* The peer, without RSIP_TF_REMOTE_ADDR (no policy): rsipd's fan-out
	 * finds the clients talking IKE with a peer by it. */
	t->remote = p->peer;
	/* Field by field, not rsip_seen_at: the programs then store each
	 * half as it is, without packing them into one 64-bit word first. */
	t->seen.jiffies = RULE_JIFFIES(env);
	t->seen.sec = rsip_seen_sec(RULE_NOW_NS(env));
}

/*
 * A cookie rsipd's fan-out sent to several clients (RSIP_TF_IKE_FANOUT): it
 * becomes the client's that answers with a protected message, which only an
 * end of the IKE SA can write; an unprotected answer (INVALID_IKE_SPI, a new
 * exchange of its own) is dropped, never learned. Two protected answers at
 * once: the last one written wins (docs/dataplane.md). 0: go on.
 */
static __always_inline int lan_take_fanout(RULE_ENV *env, const struct lan_pkt *p, RULE_MAP_T map,
					   const void *key, bool prot)
{
	struct rsip_target nt = {};

	if (!prot)
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_FANOUT_UNPROTECTED);
	if (!rsip_learned_room(p->c->cookies, p->c->cookie_cap, RSIP_LEARNED_COOKIE))
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_COOKIE_CAP);
	learned_target(env, &nt, p);
	if (RULE_UPDATE(env, map, key, &nt, BPF_EXIST))
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_LEARN_FULL); /* expired meanwhile */
	RULE_LEARNED(env, p, RSIP_LEARNED_COOKIE);
	RULE_COUNT_EVENT(env, RSIP_CNT_LAN_LEARN_FANOUT);
	return 0;
}

/*
 * Trial and error (RFC 3104 6.1) for rsip_ike or rsip_icmp_id: the key is
 * the client's if nobody holds it (inserted with BPF_NOEXIST, counted against
 * the client's cap), dropped if someone else does. prot: a protected IKE
 * message (a fan-out's answer). 0: go on; else the outcome.
 */
static __always_inline int lan_learn(RULE_ENV *env, const struct lan_pkt *p, RULE_MAP_T map,
				     const void *key, __u32 taken_cnt, __u32 learn_cnt, bool prot)
{
	struct rsip_target *t = RULE_LOOKUP(env, map, key);
	struct rsip_target nt = {};
	long err;

	if (t) {
		if (t->flags & RSIP_TF_IKE_FANOUT)
			return lan_take_fanout(env, p, map, key, prot);
		if (t->xa != p->xa)
			return RULE(RULE_DROP, taken_cnt);
		RULE_TOUCH(env, &t->seen);
		return 0;
	}
	/* Racy by design: CPUs learning for one client at the same moment
	 * may overshoot the cap by one each. */
	if (!rsip_learned_room(p->c->cookies, p->c->cookie_cap, RSIP_LEARNED_COOKIE))
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_COOKIE_CAP);
	learned_target(env, &nt, p);
	err = RULE_UPDATE(env, map, key, &nt, BPF_NOEXIST);
	if (err == 0) {
		RULE_LEARNED(env, p, RSIP_LEARNED_COOKIE);
		RULE_COUNT_EVENT(env, learn_cnt);
		return 0;
	}
	if (err == -EEXIST) { /* another CPU was faster: whose is it? */
		t = RULE_LOOKUP(env, map, key);
		if (t && t->xa == p->xa)
			return 0;
		return RULE(RULE_DROP, taken_cnt);
	}
	return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_LEARN_FULL);
}

/*
 * The peer entry (Nb, port, Y) of rsip_ike (dp_abi.h): written when a client
 * first talks IKE with Y there, marked RSIP_TF_IKE_SEVERAL when a second one
 * does, refreshed by their IKE so it lives as long as their cookies do. One
 * lookup per outgoing IKE message (IKE is rare); a write only when it is new
 * or changes. Charged to the client like a cookie; none past its cap.
 */
static __always_inline void lan_ike_peer(RULE_ENV *env, const struct lan_pkt *p, __be16 port)
{
	struct rsip_ike_key pk = {.nb = p->nb, .port = port, .kind = RSIP_IKE_KIND_PEER};
	struct rsip_target *t, nt = {};

	__builtin_memcpy(pk.cookie, &p->peer, sizeof(p->peer));
	t = RULE_LOOKUP(env, RULE_MAP(rsip_ike), &pk);
	if (t) {
		if (t->xa == p->xa || (t->flags & RSIP_TF_IKE_SEVERAL)) {
			RULE_TOUCH(env, &t->seen);
			return;
		}
		nt = *t;
		nt.flags |= RSIP_TF_IKE_SEVERAL;
		RULE_UPDATE(env, RULE_MAP(rsip_ike), &pk, &nt, BPF_EXIST);
		return;
	}
	if (!rsip_learned_room(p->c->cookies, p->c->cookie_cap, RSIP_LEARNED_COOKIE))
		return;
	learned_target(env, &nt, p);
	if (RULE_UPDATE(env, RULE_MAP(rsip_ike), &pk, &nt, BPF_NOEXIST) == 0) {
		RULE_LEARNED(env, p, RSIP_LEARNED_COOKIE);
		RULE_COUNT_EVENT(env, RSIP_CNT_LAN_LEARN_IKE_PEER);
	}
}

/* Remembers that this client sends to (Y, SPI): an ICMP error from Y quotes
 * it, and that is how rsipd finds the client. Written only when new, and
 * never over another client's entry (BPF_NOEXIST): a host must not receive
 * the ICMP errors of someone else's SA (and so break its path-MTU discovery).
 * Y keeps its SPIs unique, so a second sender of (Y, SPI) is a spoofer or a
 * host whose SA replaced an idle one; the entry goes with the idle sweep.
 * Each client holds at most cookie_cap of them (its own half of the learned
 * count: its SAs do not use up what its IKE needs). The packet itself is
 * forwarded either way: only the learning is refused. */
static __always_inline void lan_learn_out_spi(RULE_ENV *env, const struct lan_pkt *p, __be32 spi)
{
	struct rsip_out_key k = {.peer = p->peer, .spi = spi};
	struct rsip_out_val *v = RULE_LOOKUP(env, RULE_MAP(rsip_out_spi), &k);
	long err;

	if (v) {
		if (v->xa == p->xa)
			RULE_TOUCH(env, &v->seen);
		else
			RULE_COUNT_EVENT(env, RSIP_CNT_LAN_OUT_SPI_TAKEN);
		return;
	}
	/* Racy by design, as for cookies: CPUs may overshoot by one each. */
	if (!rsip_learned_room(p->c->cookies, p->c->cookie_cap, RSIP_LEARNED_OUT_SPI)) {
		RULE_COUNT_EVENT(env, RSIP_CNT_LAN_OUT_SPI_CAP);
		return;
	}
	struct rsip_out_val nv = {.xa = p->xa};

	nv.seen.jiffies = RULE_JIFFIES(env); /* as in learned_target */
	nv.seen.sec = rsip_seen_sec(RULE_NOW_NS(env));

	err = RULE_UPDATE(env, RULE_MAP(rsip_out_spi), &k, &nv, BPF_NOEXIST);
	if (err == 0) {
		RULE_LEARNED(env, p, RSIP_LEARNED_OUT_SPI);
		RULE_COUNT_EVENT(env, RSIP_CNT_LAN_LEARN_OUT_SPI);
	} else if (err == -EEXIST) { /* another CPU was faster: whose is it? */
		v = RULE_LOOKUP(env, RULE_MAP(rsip_out_spi), &k);
		if (!v || v->xa != p->xa)
			RULE_COUNT_EVENT(env, RSIP_CNT_LAN_OUT_SPI_TAKEN);
	} else {
		RULE_COUNT_EVENT(env, RSIP_CNT_LAN_OUT_SPI_FULL);
	}
}

static __always_inline int lan_ike(RULE_ENV *env, const struct lan_pkt *p, const struct udphdr *udp,
				   void *pos, void *data_end)
{
	struct rsip_ike_key key = {.nb = p->nb, .port = udp->source};
	struct ike_hdr *ike = pos;
	int ret;

	if ((void *)(ike + 1) > data_end)
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_MALFORMED);
	/* A zero SPI is the peer's half of a first IKE_SA_INIT, never ours. */
	if (ike_client_cookie(ike, true, key.cookie) < 0 || cookie_is_zero(key.cookie))
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_MALFORMED);
	ret = lan_learn(env, p, RULE_MAP(rsip_ike), &key, RSIP_CNT_LAN_DROP_COOKIE_TAKEN,
			RSIP_CNT_LAN_LEARN_COOKIE, ike_protected(ike));
	if (ret)
		return ret;
	lan_ike_peer(env, p, udp->source);
	return 0;
}

/* UDP from 500/4500 without a port binding: the shared IKE ports. */
static __always_inline int lan_ike_ports(RULE_ENV *env, const struct lan_pkt *p,
					 const struct udphdr *udp, void *pos, void *data_end)
{
	__u8 *payload = pos;

	if (!(p->c->flags & RSIP_CF_IPSEC))
		return lan_bad_port(env, p, RSIP_CNT_LAN_DROP_NO_IPSEC);
	if (udp->source == bpf_htons(IKE_PORT))
		return lan_ike(env, p, udp, payload, data_end);
	if (payload + 1 > (__u8 *)data_end)
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_MALFORMED);
	if (natt_is_keepalive(udp, payload))
		return 0;
	if (payload + sizeof(struct rsip_esp_hdr) > (__u8 *)data_end)
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_MALFORMED);
	if (*(__u32 *)payload == 0)
		return lan_ike(env, p, udp, payload + NON_ESP_MARKER_LEN, data_end);
	lan_learn_out_spi(env, p, *(__be32 *)payload);
	return 0;
}

/*
 * Incoming IKE (RFC 3104 Appendix G): the client answers on a port it leased
 * (LISTEN_REQUEST) a peer that started on its own port 500. Such a peer
 * floats to 4500 (RFC 7296 2.23; strongSwan does whenever its port is 500),
 * i.e. to Nb:4500, the shared NAT-T port, where only a learned cookie finds
 * the client. So an IKE message (by its header: version, length) from a
 * leased port to the peer's port 500 teaches the client's cookie for
 * (Nb, 4500) now, as a message from 500 would. Anything else on the port is
 * the client's own business: nothing learned, and the packet leaves even
 * when the cookie is another client's (the port is this client's).
 */
static __always_inline void lan_ike_leased(RULE_ENV *env, const struct lan_pkt *p,
					   const struct udphdr *udp, void *pos, void *data_end)
{
	struct rsip_ike_key key = {.nb = p->nb, .port = bpf_htons(IKE_NATT_PORT)};
	struct ike_hdr *ike = pos;

	if (!(p->c->flags & RSIP_CF_IPSEC) || (void *)(ike + 1) > data_end)
		return;
	if (bpf_ntohl(ike->length) + sizeof(*udp) != bpf_ntohs(udp->len))
		return;
	if (ike_client_cookie(ike, true, key.cookie) < 0 || cookie_is_zero(key.cookie))
		return;
	if (lan_learn(env, p, RULE_MAP(rsip_ike), &key, RSIP_CNT_LAN_DROP_COOKIE_TAKEN,
		      RSIP_CNT_LAN_LEARN_COOKIE, ike_protected(ike)) == 0)
		lan_ike_peer(env, p, key.port);
}

/* TCP/UDP: the source port must be the client's. 0: allowed; -1: no port
 * binding of the client's (the caller decides: IKE ports or a violation). */
static __always_inline int lan_ports(RULE_ENV *env, const struct lan_pkt *p, __be16 sport,
				     __be16 dport)
{
	struct rsip_target *t;

	if (p->c->flags & RSIP_CF_WHOLE_NB)
		return lan_whole_check(env, p, dport, true);
	t = rule_port_target(env, p->nb, sport);
	if (!t || t->xa != p->xa)
		return -1;
	return lan_remote_check(env, p, t, dport, true);
}

/* The inner packet's transport: ports, IKE, IPsec, ICMP. 0: forward. */
static __always_inline int lan_inner_l4(RULE_ENV *env, const struct lan_pkt *p, int proto,
					struct hdr_cursor *nh, void *data_end)
{
	int ret;

	switch (proto) {
	case IPPROTO_UDP: {
		struct udphdr *udp;

		if (parse_udphdr(nh, data_end, &udp) < 0)
			return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_MALFORMED);
		ret = lan_ports(env, p, udp->source, udp->dest);
		if (ret == 0 && udp->dest == bpf_htons(IKE_PORT))
			lan_ike_leased(env, p, udp, nh->pos, data_end);
		if (ret >= 0)
			return ret;
		if (udp->source == bpf_htons(IKE_PORT) || udp->source == bpf_htons(IKE_NATT_PORT))
			return lan_ike_ports(env, p, udp, nh->pos, data_end);
		return lan_bad_port(env, p, RSIP_CNT_LAN_DROP_BAD_PORT);
	}
	case IPPROTO_TCP: {
		struct tcphdr *tcp;

		if (parse_tcphdr(nh, data_end, &tcp) < 0)
			return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_MALFORMED);
		ret = lan_ports(env, p, tcp->source, tcp->dest);
		if (ret >= 0)
			return ret;
		return lan_bad_port(env, p, RSIP_CNT_LAN_DROP_BAD_PORT);
	}
	case IPPROTO_ICMP: {
		struct rsip_icmp_key ik = {.nb = p->nb};
		struct icmphdr *icmp;
		int type = parse_icmphdr(nh, data_end, &icmp);

		if (type < 0)
			return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_MALFORMED);
		if (p->c->flags & RSIP_CF_WHOLE_NB)
			return lan_whole_check(env, p, 0, false);
		if (type != ICMP_ECHO && type != ICMP_TIMESTAMP)
			return 0;
		ik.id = icmp->un.echo.id;
		return lan_learn(env, p, RULE_MAP(rsip_icmp_id), &ik, RSIP_CNT_LAN_DROP_ID_TAKEN,
				 RSIP_CNT_LAN_LEARN_ICMP_ID, false);
	}
	case IPPROTO_ESP:
	case IPPROTO_AH: {
		__be32 spi;

		if (proto == IPPROTO_ESP) {
			struct rsip_esp_hdr *esp;

			if (parse_esphdr(nh, data_end, &esp) < 0)
				return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_MALFORMED);
			spi = esp->spi;
		} else {
			struct rsip_ah_hdr *ah;

			if (parse_ahhdr(nh, data_end, &ah) < 0)
				return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_MALFORMED);
			spi = ah->spi;
		}
		if (p->c->flags & RSIP_CF_WHOLE_NB)
			return lan_whole_check(env, p, 0, false);
		if (!(p->c->flags & RSIP_CF_IPSEC))
			return lan_bad_port(env, p, RSIP_CNT_LAN_DROP_NO_IPSEC);
		lan_learn_out_spi(env, p, spi);
		return 0;
	}
	}
	/* Other protocols have no port to demultiplex the answers by: only a
	 * client holding its Nb whole may send them. */
	if (p->c->flags & RSIP_CF_WHOLE_NB)
		return lan_whole_check(env, p, 0, false);
	return lan_bad_port(env, p, RSIP_CNT_LAN_DROP_BAD_PORT);
}

/*
 * The LAN decision for the IPv4 packet at l3 (the outer header; data_end:
 * the end of what is there) that came with Ethernet source mac.
 * RULE_FORWARD with *p filled (its counter is the one to count once the
 * inner packet is sent), or another outcome (env.h).
 */
static __always_inline int lan_decide(RULE_ENV *env, struct lan_pkt *p, const __u8 *mac, void *l3,
				      void *data_end)
{
	struct hdr_cursor nh = {.pos = l3};
	__u32 tx_cnt = RSIP_CNT_LAN_TX;
	struct iphdr *oip, *iip;
	int proto, ret;

	oip = peek_iphdr(&nh, data_end);
	if (!oip || oip->daddr != RULE_NA(env) ||
	    (oip->protocol != IPPROTO_IPIP && oip->protocol != IPPROTO_GRE))
		return RULE(RULE_PASS, RSIP_CNT_LAN_PASS_NOT_TUNNEL);
	if (rule_iphdr(env, &nh, data_end, oip) < 0)
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_MALFORMED);

	p->xa = oip->saddr;
	p->c = RULE_LOOKUP(env, RULE_MAP(rsip_clients), &p->xa);
	if (!p->c)
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_NOT_CLIENT);
	if (mac_is_zero(p->c->mac) || !mac_equal(mac, p->c->mac))
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_BAD_MAC);
	if (ip_is_fragment(oip))
		return RULE(RULE_SLOW_LAN_FRAGMENT, RSIP_CNT_LAN_SLOW_FRAGMENT);

	p->outer_len = oip->ihl * 4;
	if (oip->protocol == IPPROTO_GRE) {
		struct rsip_gre_hdr *gre;

		if (parse_grehdr(&nh, data_end, &gre) < 0)
			return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_MALFORMED);
		p->tunnel = RSIP_DP_TUNNEL_GRE;
		p->outer_len += sizeof(*gre);
	} else {
		p->tunnel = RSIP_DP_TUNNEL_IPIP;
	}
	if (!(p->c->tunnels & (1u << p->tunnel)))
		return RULE_VIOLATION(env, p, RSIP_ERR_BAD_TUNNEL_TYPE, 0,
				      RSIP_CNT_LAN_DROP_BAD_TUNNEL);

	iip = peek_iphdr(&nh, data_end);
	if (!iip)
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_MALFORMED);
	proto = rule_iphdr(env, &nh, data_end, iip);
	if (proto < 0)
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_MALFORMED);
	p->nb = iip->saddr;
	p->peer = iip->daddr;
	p->inner_len = bpf_ntohs(iip->tot_len);
	if (p->nb != p->c->nb)
		return RULE_VIOLATION(env, p, RSIP_ERR_LOCAL_ADDR_UNALLOWED, 0,
				      RSIP_CNT_LAN_DROP_BAD_SRC);

	/* A non-first fragment of the inner packet has no transport header:
	 * its addresses were checked, its ports cannot be (docs). */
	if (iip->frag_off & bpf_htons(IP_OFFSET)) {
		tx_cnt = RSIP_CNT_LAN_TX_FRAGMENT;
	} else {
		ret = lan_inner_l4(env, p, proto, &nh, data_end);
		if (ret)
			return ret;
	}
	/* Forwarding takes one hop. */
	if (iip->ttl <= 1)
		return RULE(RULE_DROP, RSIP_CNT_LAN_DROP_TTL);
	return RULE(RULE_FORWARD, tx_cnt);
}

#endif
