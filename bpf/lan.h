/* SPDX-License-Identifier: GPL-2.0 */
/*
 * LAN ingress: tunnelled packets from registered clients to Na are checked
 * against what the client leased, stripped of the tunnel and routed into the
 * public realm; everything else is passed to the kernel untouched (RSIP
 * itself on Na:4555, ARP, the clients' other traffic).
 *
 * Checks, in order, each with its counter (XDP bypasses netfilter, and
 * addresses are easy to spoof on a LAN):
 *   outer source Xa in rsip_clients, Ethernet source == its MAC
 *   tunnel type among those it leased                       (307)
 *   inner source == its Nb                                  (312)
 *   inner TCP/UDP source port leased to it in rsip_ports,
 *     or Nb held whole, or IKE from 500/4500 with RSIPSEC   (313)
 *   ESP/AH only with RSIPSEC or the Nb whole                (313)
 *   the binding's remote policy                             (314/315)
 * A failure of the last four drops the packet and reports the violation to
 * rsipd (RSIP_SLOW_VIOLATION record, one per client, reason and second), which
 * sends the unsolicited ERROR_RESPONSE (decision D14).
 *
 * Learning, each only when new (no per-packet map write):
 *   IKE cookies on 500/4500 by trial and error (RFC 3104 6.1): BPF_NOEXIST
 *   insert, a cookie another client holds is dropped; per-client cap.
 *   echo/timestamp request ids (Nb, id), same cap.
 *   outbound (Y, SPI) of ESP/AH/UDP-ESP: ICMP errors quote them.
 */
#ifndef RSIP_BPF_LAN_H
#define RSIP_BPF_LAN_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "config.h"
#include "csum.h"
#include "encap.h"
#include "ike.h"
#include "maps.h"
#include "parse.h"
#include "slowpath.h"
#include "stats.h"

#define EEXIST 17

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

static __always_inline __u32 violation_bit(__u16 error)
{
	switch (error) {
	case RSIP_ERR_BAD_TUNNEL_TYPE:
		return RSIP_VIOL_BAD_TUNNEL;
	case RSIP_ERR_LOCAL_ADDR_UNALLOWED:
		return RSIP_VIOL_BAD_SRC;
	case RSIP_ERR_LOCAL_ADDRPORT_UNALLOWED:
		return RSIP_VIOL_BAD_PORT;
	case RSIP_ERR_REMOTE_ADDR_UNALLOWED:
		return RSIP_VIOL_REMOTE;
	}
	return RSIP_VIOL_REMOTE_PORT;
}

/* Drop for a lease violation; tell rsipd unless this client already had one
 * of this kind during the current second. A subprogram: many call sites, and
 * not the fast path. */
static __noinline int lan_violation(struct xdp_md *ctx, const struct lan_pkt *p, __u16 error,
				    __u32 bind_id, __u32 cnt)
{
	struct rsip_client *c = p->c;
	__u32 sec = bpf_ktime_get_coarse_ns() >> 30;
	__u32 bit = violation_bit(error);

	if (c->viol_sec != sec) {
		c->viol_sec = sec;
		c->viol_mask = 0;
	}
	if (!(c->viol_mask & bit)) {
		struct rsip_slow_meta meta = {
		    .reason = RSIP_SLOW_VIOLATION,
		    .xa = p->xa,
		    .bind_id = bind_id,
		    .tunnel = p->tunnel,
		    .error = error,
		};

		c->viol_mask |= bit;
		if (slow_emit(ctx, &meta, RSIP_VIOL_CAP))
			count(RSIP_CNT_LAN_EVENT_LOST);
		else
			count(RSIP_CNT_LAN_EVENT_VIOLATION);
	}
	return count_and_return(cnt, XDP_DROP);
}

static __always_inline int lan_bad_port(struct xdp_md *ctx, const struct lan_pkt *p, __u32 cnt)
{
	return lan_violation(ctx, p, RSIP_ERR_LOCAL_ADDRPORT_UNALLOWED, 0, cnt);
}

/* Remote policy of the binding the packet uses (0: allowed, else dropped). */
static __always_inline int lan_remote_check(struct xdp_md *ctx, const struct lan_pkt *p,
					    const struct rsip_target *t, __be16 dport,
					    bool has_port)
{
	if (!(t->flags & RSIP_TF_REMOTE_ADDR))
		return 0;
	if (t->remote != p->peer)
		return lan_violation(ctx, p, RSIP_ERR_REMOTE_ADDR_UNALLOWED, t->bind_id,
				     RSIP_CNT_LAN_DROP_REMOTE_POLICY);
	if ((t->flags & RSIP_TF_REMOTE_PORT) && has_port && t->remote_port != dport)
		return lan_violation(ctx, p, RSIP_ERR_REMOTE_ADDRPORT_UNALLOWED, t->bind_id,
				     RSIP_CNT_LAN_DROP_REMOTE_POLICY);
	return 0;
}

/* An Nb held whole may carry remote policy too (RSA-IP, remote macro). */
static __always_inline int lan_whole_check(struct xdp_md *ctx, const struct lan_pkt *p,
					   __be16 dport, bool has_port)
{
	struct rsip_nb_val *v = bpf_map_lookup_elem(&rsip_nb, &p->nb);

	if (!v || !(v->flags & RSIP_NB_WHOLE))
		return 0;
	return lan_remote_check(ctx, p, &v->whole, dport, has_port);
}

/* A learned WAN entry (IKE cookie, echo id) pointing at this client. */
static __always_inline void learned_target(struct rsip_target *t, const struct lan_pkt *p)
{
	t->xa = p->xa;
	__builtin_memcpy(t->mac, p->c->mac, ETH_ALEN);
	t->tunnel = p->tunnel;
	t->flags = RSIP_TF_LEARNED;
	t->lan_ifindex = p->c->lan_ifindex;
	t->seen_jiffies = (__u32)bpf_jiffies64();
	t->last_seen_ns = bpf_ktime_get_coarse_ns();
}

/*
 * Trial and error (RFC 3104 6.1) for rsip_ike or rsip_icmp_id: the key is
 * the client's if nobody holds it (inserted with BPF_NOEXIST, counted against
 * the client's cap), dropped if someone else does. 0: go on; else the action.
 */
static __always_inline int lan_learn(struct xdp_md *ctx, const struct lan_pkt *p, void *map,
				     const void *key, __u32 taken_cnt, __u32 learn_cnt)
{
	struct rsip_target *t = bpf_map_lookup_elem(map, key);
	struct rsip_target nt = {};
	long err;

	if (t) {
		if (t->xa != p->xa)
			return count_and_return(taken_cnt, XDP_DROP);
		touch(&t->last_seen_ns, &t->seen_jiffies);
		return 0;
	}
	/* Racy by design: CPUs learning for one client at the same moment
	 * may overshoot the cap by one each. */
	if (p->c->cookies >= p->c->cookie_cap)
		return count_and_return(RSIP_CNT_LAN_DROP_COOKIE_CAP, XDP_DROP);
	learned_target(&nt, p);
	err = bpf_map_update_elem(map, key, &nt, BPF_NOEXIST);
	if (err == 0) {
		__sync_fetch_and_add(&p->c->cookies, 1);
		count(learn_cnt);
		return 0;
	}
	if (err == -EEXIST) { /* another CPU was faster: whose is it? */
		t = bpf_map_lookup_elem(map, key);
		if (t && t->xa == p->xa)
			return 0;
		return count_and_return(taken_cnt, XDP_DROP);
	}
	return count_and_return(RSIP_CNT_LAN_DROP_LEARN_FULL, XDP_DROP);
}

/* Remembers that this client sends to (Y, SPI): an ICMP error from Y quotes
 * it, and that is how rsipd finds the client. Written only when new. */
static __always_inline void lan_learn_out_spi(const struct lan_pkt *p, __be32 spi)
{
	struct rsip_out_key k = {.peer = p->peer, .spi = spi};
	struct rsip_out_val *v = bpf_map_lookup_elem(&rsip_out_spi, &k);

	if (v && v->xa == p->xa) {
		touch(&v->last_seen_ns, &v->seen_jiffies);
		return;
	}
	struct rsip_out_val nv = {
	    .xa = p->xa,
	    .seen_jiffies = (__u32)bpf_jiffies64(),
	    .last_seen_ns = bpf_ktime_get_coarse_ns(),
	};

	if (bpf_map_update_elem(&rsip_out_spi, &k, &nv, BPF_ANY) == 0)
		count(RSIP_CNT_LAN_LEARN_OUT_SPI);
}

static __always_inline int lan_ike(struct xdp_md *ctx, const struct lan_pkt *p,
				   const struct udphdr *udp, void *pos, void *data_end)
{
	struct rsip_ike_key key = {.nb = p->nb, .port = udp->source};
	struct ike_hdr *ike = pos;

	if ((void *)(ike + 1) > data_end)
		return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
	/* A zero SPI is the peer's half of a first IKE_SA_INIT, never ours. */
	if (ike_client_cookie(ike, true, key.cookie) < 0 || cookie_is_zero(key.cookie))
		return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
	return lan_learn(ctx, p, &rsip_ike, &key, RSIP_CNT_LAN_DROP_COOKIE_TAKEN,
			 RSIP_CNT_LAN_LEARN_COOKIE);
}

/* UDP from 500/4500 without a port binding: the shared IKE ports. */
static __always_inline int lan_ike_ports(struct xdp_md *ctx, const struct lan_pkt *p,
					 const struct udphdr *udp, void *pos, void *data_end)
{
	__u8 *payload = pos;

	if (!(p->c->flags & RSIP_CF_IPSEC))
		return lan_bad_port(ctx, p, RSIP_CNT_LAN_DROP_NO_IPSEC);
	if (udp->source == bpf_htons(IKE_PORT))
		return lan_ike(ctx, p, udp, payload, data_end);
	if (payload + 1 > (__u8 *)data_end)
		return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
	if (udp->len == bpf_htons(sizeof(*udp) + 1) && payload[0] == NATT_KEEPALIVE)
		return 0;
	if (payload + sizeof(struct rsip_esp_hdr) > (__u8 *)data_end)
		return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
	if (*(__u32 *)payload == 0)
		return lan_ike(ctx, p, udp, payload + 4, data_end);
	lan_learn_out_spi(p, *(__be32 *)payload);
	return 0;
}

/* TCP/UDP: the source port must be the client's. 0: allowed. */
static __always_inline int lan_ports(struct xdp_md *ctx, const struct lan_pkt *p, __be16 sport,
				     __be16 dport)
{
	struct rsip_port_key pk = {.nb = p->nb, .port = sport};
	struct rsip_target *t;

	if (p->c->flags & RSIP_CF_WHOLE_NB)
		return lan_whole_check(ctx, p, dport, true);
	t = bpf_map_lookup_elem(&rsip_ports, &pk);
	if (!t || t->xa != p->xa)
		return -1; /* the caller decides: IKE ports or a violation */
	return lan_remote_check(ctx, p, t, dport, true);
}

/* The inner packet's transport: ports, IKE, IPsec, ICMP. 0: forward. */
static __always_inline int lan_inner_l4(struct xdp_md *ctx, const struct lan_pkt *p, int proto,
					struct hdr_cursor *nh, void *data_end)
{
	int ret;

	switch (proto) {
	case IPPROTO_UDP: {
		struct udphdr *udp;

		if (parse_udphdr(nh, data_end, &udp) < 0)
			return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
		ret = lan_ports(ctx, p, udp->source, udp->dest);
		if (ret >= 0)
			return ret;
		if (udp->source == bpf_htons(IKE_PORT) || udp->source == bpf_htons(IKE_NATT_PORT))
			return lan_ike_ports(ctx, p, udp, nh->pos, data_end);
		return lan_bad_port(ctx, p, RSIP_CNT_LAN_DROP_BAD_PORT);
	}
	case IPPROTO_TCP: {
		struct tcphdr *tcp;

		if (parse_tcphdr(nh, data_end, &tcp) < 0)
			return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
		ret = lan_ports(ctx, p, tcp->source, tcp->dest);
		if (ret >= 0)
			return ret;
		return lan_bad_port(ctx, p, RSIP_CNT_LAN_DROP_BAD_PORT);
	}
	case IPPROTO_ICMP: {
		struct rsip_icmp_key ik = {.nb = p->nb};
		struct icmphdr *icmp;
		int type = parse_icmphdr(nh, data_end, &icmp);

		if (type < 0)
			return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
		if (p->c->flags & RSIP_CF_WHOLE_NB)
			return lan_whole_check(ctx, p, 0, false);
		if (type != ICMP_ECHO && type != ICMP_TIMESTAMP)
			return 0;
		ik.id = icmp->un.echo.id;
		return lan_learn(ctx, p, &rsip_icmp_id, &ik, RSIP_CNT_LAN_DROP_ID_TAKEN,
				 RSIP_CNT_LAN_LEARN_ICMP_ID);
	}
	case IPPROTO_ESP:
	case IPPROTO_AH: {
		__be32 spi;

		if (proto == IPPROTO_ESP) {
			struct rsip_esp_hdr *esp;

			if (parse_esphdr(nh, data_end, &esp) < 0)
				return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
			spi = esp->spi;
		} else {
			struct rsip_ah_hdr *ah;

			if (parse_ahhdr(nh, data_end, &ah) < 0)
				return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
			spi = ah->spi;
		}
		if (p->c->flags & RSIP_CF_WHOLE_NB)
			return lan_whole_check(ctx, p, 0, false);
		if (!(p->c->flags & RSIP_CF_IPSEC))
			return lan_bad_port(ctx, p, RSIP_CNT_LAN_DROP_NO_IPSEC);
		lan_learn_out_spi(p, spi);
		return 0;
	}
	}
	/* Other protocols have no port to demultiplex the answers by: only a
	 * client holding its Nb whole may send them. */
	if (p->c->flags & RSIP_CF_WHOLE_NB)
		return lan_whole_check(ctx, p, 0, false);
	return lan_bad_port(ctx, p, RSIP_CNT_LAN_DROP_BAD_PORT);
}

/* Strip the tunnel, route the inner packet, send it out of the WAN. */
static __always_inline int lan_forward(struct xdp_md *ctx, const struct lan_pkt *p, __u32 tx_cnt)
{
	struct bpf_fib_lookup fib = {};
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *iph;
	long rc;

	if (decap_pull(ctx, p->outer_len, p->c->mac))
		return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
	if (iph->ttl <= 1)
		return count_and_return(RSIP_CNT_LAN_DROP_TTL, XDP_DROP);
	ipv4_ttl_dec(iph);

	p->c->pkts_out += 1;
	p->c->bytes_out += p->inner_len;
	touch(&p->c->last_seen_ns, &p->c->seen_jiffies);

	fib.family = AF_INET;
	fib.tos = iph->tos;
	fib.l4_protocol = iph->protocol;
	fib.tot_len = p->inner_len;
	fib.ipv4_src = iph->saddr;
	fib.ipv4_dst = iph->daddr;
	fib.ifindex = ctx->ingress_ifindex;
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		break;
	case BPF_FIB_LKUP_RET_NO_NEIGH:	   /* rsipd's raw socket resolves it */
	case BPF_FIB_LKUP_RET_NOT_FWDED:   /* to N itself (or hairpin to an Nb) */
	case BPF_FIB_LKUP_RET_FRAG_NEEDED: /* the kernel fragments or answers ICMP */
		return slow_path(ctx, RSIP_SLOW_LAN_ROUTE, NULL, RSIP_CNT_LAN_SLOW_ROUTE,
				 RSIP_CNT_LAN_SLOW_LOST);
	default:
		return count_and_return(RSIP_CNT_LAN_DROP_FIB, XDP_DROP);
	}
	/* Nb-sourced packets belong in the public realm only. */
	if (cfg_wan_ifindex && fib.ifindex != cfg_wan_ifindex)
		return count_and_return(RSIP_CNT_LAN_DROP_FIB, XDP_DROP);
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	if (bpf_redirect_map(&rsip_tx, fib.ifindex, 0) != XDP_REDIRECT)
		return count_and_return(RSIP_CNT_LAN_DROP_NO_TX, XDP_DROP);
	return count_and_return(tx_cnt, XDP_REDIRECT);
}

static __always_inline int lan_main(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor nh = {.pos = data};
	struct lan_pkt p = {};
	struct ethhdr *eth;
	__u32 tx_cnt = RSIP_CNT_LAN_TX;
	struct iphdr *oip, *iip;
	int proto, ret;

	if (parse_ethhdr(&nh, data_end, &eth) != bpf_htons(ETH_P_IP))
		return count_and_return(RSIP_CNT_LAN_PASS_NOT_TUNNEL, XDP_PASS);
	oip = peek_iphdr(&nh, data_end);
	if (!oip || oip->daddr != cfg_na ||
	    (oip->protocol != IPPROTO_IPIP && oip->protocol != IPPROTO_GRE))
		return count_and_return(RSIP_CNT_LAN_PASS_NOT_TUNNEL, XDP_PASS);
	if (parse_iphdr(&nh, data_end, oip) < 0)
		return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);

	p.xa = oip->saddr;
	p.c = bpf_map_lookup_elem(&rsip_clients, &p.xa);
	if (!p.c)
		return count_and_return(RSIP_CNT_LAN_DROP_NOT_CLIENT, XDP_DROP);
	if (mac_is_zero(p.c->mac) || !mac_equal(eth->h_source, p.c->mac))
		return count_and_return(RSIP_CNT_LAN_DROP_BAD_MAC, XDP_DROP);
	if (ip_is_fragment(oip))
		return slow_path(ctx, RSIP_SLOW_LAN_FRAGMENT, NULL, RSIP_CNT_LAN_SLOW_FRAGMENT,
				 RSIP_CNT_LAN_SLOW_LOST);

	p.outer_len = oip->ihl * 4;
	if (oip->protocol == IPPROTO_GRE) {
		struct rsip_gre_hdr *gre;

		if (parse_grehdr(&nh, data_end, &gre) < 0)
			return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
		p.tunnel = RSIP_DP_TUNNEL_GRE;
		p.outer_len += sizeof(*gre);
	} else {
		p.tunnel = RSIP_DP_TUNNEL_IPIP;
	}
	if (!(p.c->tunnels & (1u << p.tunnel)))
		return lan_violation(ctx, &p, RSIP_ERR_BAD_TUNNEL_TYPE, 0,
				     RSIP_CNT_LAN_DROP_BAD_TUNNEL);

	iip = peek_iphdr(&nh, data_end);
	if (!iip)
		return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
	proto = parse_iphdr(&nh, data_end, iip);
	if (proto < 0)
		return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
	p.nb = iip->saddr;
	p.peer = iip->daddr;
	p.inner_len = bpf_ntohs(iip->tot_len);
	if (p.nb != p.c->nb)
		return lan_violation(ctx, &p, RSIP_ERR_LOCAL_ADDR_UNALLOWED, 0,
				     RSIP_CNT_LAN_DROP_BAD_SRC);

	/* A non-first fragment of the inner packet has no transport header:
	 * its addresses were checked, its ports cannot be (docs). */
	if (iip->frag_off & bpf_htons(IP_OFFSET)) {
		tx_cnt = RSIP_CNT_LAN_TX_FRAGMENT;
	} else {
		ret = lan_inner_l4(ctx, &p, proto, &nh, data_end);
		if (ret)
			return ret;
	}
	return lan_forward(ctx, &p, tx_cnt);
}

#endif
