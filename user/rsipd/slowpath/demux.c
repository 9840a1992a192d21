// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "rsip/wire.h"
#include "demux.h"
#include "pkt.h"

#define IKE_PORT      500
#define IKE_NATT_PORT 4500
#define IKE_HDR_LEN   28
#define IKE_FLAG_I    0x08 /* IKEv2 header flags: sent by the original initiator */
#define UDP_HLEN      8
#define ESP_MIN	      8 /* SPI + sequence number */
#define AH_MIN	      12

static void verdict(struct slow_result *res, enum slow_verdict v, enum slow_counter why)
{
	res->verdict = v;
	res->why = why;
}

static int lookup(const struct dp_view *v, enum dp_map_id m, const void *k, void *val)
{
	return v->lookup(v->arg, m, k, val);
}

/* The client's aligned SPI block (decision D13) first, then the single
 * SPI: the WAN program's order. */
static int spi_target(const struct dp_view *v, uint32_t nb, uint32_t spi_be, struct rsip_target *t)
{
	struct rsip_spi_key sk = {.nb = nb, .spi = spi_be};
	struct rsip_blk_key bk = {.nb = nb, .block = ntohl(spi_be) >> v->spi_block_shift};

	if (lookup(v, DPM_SPI_BLK, &bk, t) == 0)
		return 0;
	return lookup(v, DPM_SPI, &sk, t);
}

static int port_target(const struct dp_view *v, uint32_t nb, uint16_t port_be,
		       struct rsip_target *t)
{
	struct rsip_port_key k = {.nb = nb, .port = port_be};

	return lookup(v, DPM_PORTS, &k, t);
}

static int ike_target(const struct dp_view *v, uint32_t nb, uint16_t port_be,
		      const uint8_t cookie[8], struct rsip_target *t)
{
	struct rsip_ike_key k = {.nb = nb, .port = port_be};

	memcpy(k.cookie, cookie, 8);
	return lookup(v, DPM_IKE, &k, t);
}

/* The cookie that belongs to our client in an IKE header. From the public
 * side (peer_sent): IKEv2 SPIi when the peer is the responder (I clear),
 * SPIr when the peer initiated; from the client, the other way round. IKEv1:
 * always the initiator cookie. NULL for another major version (malformed,
 * as for the WAN program). */
static const uint8_t *ike_cookie(const uint8_t *ike, int peer_sent)
{
	uint8_t major = ike[17] >> 4;
	int i_flag = (ike[19] & IKE_FLAG_I) != 0;

	if (major == 1)
		return ike;
	if (major != 2)
		return NULL;
	if (peer_sent)
		return i_flag ? ike + 8 : ike;
	return i_flag ? ike : ike + 8;
}

/* Remote policy of a binding, from the public side: the peer src:sport. */
static int remote_allowed(const struct rsip_target *t, uint32_t peer, uint16_t peer_port_be,
			  int has_port)
{
	if ((t->flags & RSIP_TF_REMOTE_ADDR) && t->remote != peer)
		return 0;
	if (has_port && (t->flags & RSIP_TF_REMOTE_PORT) && t->remote_port != peer_port_be)
		return 0;
	return 1;
}

static void tunnel_to(struct slow_result *res, const struct rsip_target *t, enum slow_counter why)
{
	res->target = *t;
	res->bind_id = t->bind_id;
	verdict(res, SV_TUNNEL, why);
}

int slow_icmp_is_error(uint8_t type)
{
	/* unreachable, source quench, time exceeded, parameter problem: the
	 * WAN program's list (a redirect is N's business). */
	return type == 3 || type == 4 || type == 11 || type == 12;
}

/* Nothing claimed the packet: the holder of a whole Nb gets it, else the
 * miss counter (the WAN program's wan_unclaimed). */
static void unclaimed(const struct dp_view *v, const struct pkt_ip *ip, uint16_t sport_be,
		      int has_port, enum slow_counter miss, struct slow_result *res)
{
	struct rsip_nb_val nbv;

	if (lookup(v, DPM_NB, &ip->dst, &nbv) < 0)
		return verdict(res, SV_DROP, SC_WAN_DROP_NOT_NB);
	if (!(nbv.flags & RSIP_NB_WHOLE))
		return verdict(res, SV_DROP, miss);
	if (!remote_allowed(&nbv.whole, ip->src, sport_be, has_port))
		return verdict(res, SV_DROP, SC_WAN_DROP_REMOTE_POLICY);
	return tunnel_to(res, &nbv.whole, SC_WAN_TX_WHOLE);
}

static void wan_udp(const struct dp_view *v, const struct pkt_ip *ip, struct slow_result *res)
{
	const uint8_t *udp = ip->l4, *pl, *ike;
	uint16_t sport, dport;
	size_t plen;
	struct rsip_target t;

	if (ip->l4_len < UDP_HLEN)
		return verdict(res, SV_DROP, SC_WAN_DROP_MALFORMED);
	memcpy(&sport, udp, 2);
	memcpy(&dport, udp + 2, 2);
	pl = udp + UDP_HLEN;
	plen = ip->l4_len - UDP_HLEN;
	if (port_target(v, ip->dst, dport, &t) == 0) {
		if (!remote_allowed(&t, ip->src, sport, 1))
			return verdict(res, SV_DROP, SC_WAN_DROP_REMOTE_POLICY);
		return tunnel_to(res, &t, SC_WAN_TX_PORT);
	}
	if (dport != htons(IKE_PORT) && dport != htons(IKE_NATT_PORT))
		return unclaimed(v, ip, sport, 1, SC_WAN_DROP_LOCAL, res);
	ike = pl;
	if (dport == htons(IKE_NATT_PORT)) {
		if (plen == 1 && pl[0] == 0xff)
			return unclaimed(v, ip, sport, 1, SC_WAN_DROP_KEEPALIVE, res);
		if (plen < 4)
			return verdict(res, SV_DROP, SC_WAN_DROP_MALFORMED);
		if (memcmp(pl, "\0\0\0\0", 4) != 0) {
			uint32_t spi;

			/* UDP-encapsulated ESP (RFC 3948): demultiplexed like ESP. */
			if (plen < ESP_MIN)
				return verdict(res, SV_DROP, SC_WAN_DROP_MALFORMED);
			memcpy(&spi, pl, 4);
			if (spi_target(v, ip->dst, spi, &t) < 0)
				return unclaimed(v, ip, 0, 0, SC_WAN_DROP_NO_SPI, res);
			if (!remote_allowed(&t, ip->src, 0, 0))
				return verdict(res, SV_DROP, SC_WAN_DROP_REMOTE_POLICY);
			return tunnel_to(res, &t, SC_WAN_TX_UDP_ESP);
		}
		ike = pl + 4;
		plen -= 4;
	}
	if (plen < IKE_HDR_LEN || !ike_cookie(ike, 1))
		return verdict(res, SV_DROP, SC_WAN_DROP_MALFORMED);
	if (ike_target(v, ip->dst, dport, ike_cookie(ike, 1), &t) < 0)
		return unclaimed(v, ip, sport, 1, SC_WAN_DROP_NO_COOKIE, res);
	if (!remote_allowed(&t, ip->src, sport, 1))
		return verdict(res, SV_DROP, SC_WAN_DROP_REMOTE_POLICY);
	return tunnel_to(res, &t, SC_WAN_TX_IKE);
}

void slow_wan_demux(const struct dp_view *v, const uint8_t *pkt, size_t len,
		    struct slow_result *res)
{
	struct rsip_nb_val nbv;
	struct rsip_target t;
	struct pkt_ip ip;
	uint16_t sport, dport;
	uint32_t spi;

	memset(res, 0, sizeof(*res));
	if (pkt_parse_ipv4(pkt, len, false, &ip) < 0 || pkt_ip_is_fragment(&ip))
		return verdict(res, SV_DROP, SC_WAN_DROP_MALFORMED);
	if (lookup(v, DPM_NB, &ip.dst, &nbv) < 0)
		return verdict(res, SV_DROP, SC_WAN_DROP_NOT_NB);
	switch (ip.proto) {
	case IPPROTO_ESP:
	case IPPROTO_AH:
		if (ip.l4_len < (ip.proto == IPPROTO_ESP ? ESP_MIN : AH_MIN))
			return verdict(res, SV_DROP, SC_WAN_DROP_MALFORMED);
		memcpy(&spi, ip.l4 + (ip.proto == IPPROTO_ESP ? 0 : 4), 4);
		if (spi_target(v, ip.dst, spi, &t) < 0)
			return unclaimed(v, &ip, 0, 0, SC_WAN_DROP_NO_SPI, res);
		if (!remote_allowed(&t, ip.src, 0, 0))
			return verdict(res, SV_DROP, SC_WAN_DROP_REMOTE_POLICY);
		return tunnel_to(res, &t, ip.proto == IPPROTO_ESP ? SC_WAN_TX_ESP : SC_WAN_TX_AH);
	case IPPROTO_UDP:
		return wan_udp(v, &ip, res);
	case IPPROTO_TCP:
		if (ip.l4_len < 20)
			return verdict(res, SV_DROP, SC_WAN_DROP_MALFORMED);
		memcpy(&sport, ip.l4, 2);
		memcpy(&dport, ip.l4 + 2, 2);
		if (port_target(v, ip.dst, dport, &t) < 0)
			return unclaimed(v, &ip, sport, 1, SC_WAN_DROP_LOCAL, res);
		if (!remote_allowed(&t, ip.src, sport, 1))
			return verdict(res, SV_DROP, SC_WAN_DROP_REMOTE_POLICY);
		return tunnel_to(res, &t, SC_WAN_TX_PORT);
	case IPPROTO_ICMP: {
		struct rsip_icmp_key k = {.nb = ip.dst};

		if (ip.l4_len < 8)
			return verdict(res, SV_DROP, SC_WAN_DROP_MALFORMED);
		/* An Nb leased whole takes every ICMP message first. */
		if (nbv.flags & RSIP_NB_WHOLE) {
			if (!remote_allowed(&nbv.whole, ip.src, 0, 0))
				return verdict(res, SV_DROP, SC_WAN_DROP_REMOTE_POLICY);
			return tunnel_to(res, &nbv.whole, SC_WAN_TX_WHOLE);
		}
		if (slow_icmp_is_error(ip.l4[0]))
			return slow_icmp_error_owner(v, pkt, len, res);
		/* Echo and timestamp replies, by the id the client used. */
		if (ip.l4[0] != 0 && ip.l4[0] != 14)
			return verdict(res, SV_DROP, SC_WAN_DROP_LOCAL);
		memcpy(&k.id, ip.l4 + 4, 2);
		if (lookup(v, DPM_ICMP_ID, &k, &t) < 0)
			return verdict(res, SV_DROP, SC_WAN_DROP_NO_ICMP_ID);
		if (!remote_allowed(&t, ip.src, 0, 0))
			return verdict(res, SV_DROP, SC_WAN_DROP_REMOTE_POLICY);
		return tunnel_to(res, &t, SC_WAN_TX_ICMP);
	}
	default:
		return unclaimed(v, &ip, 0, 0, SC_WAN_DROP_LOCAL, res);
	}
}

/* A target for a client known only by its address (rsip_out_spi): the
 * tunnel it leased (IP-IP preferred). */
static int client_target(const struct dp_view *v, uint32_t xa, struct rsip_target *t)
{
	struct rsip_client c;

	if (lookup(v, DPM_CLIENTS, &xa, &c) < 0)
		return -ENOENT;
	memset(t, 0, sizeof(*t));
	t->xa = xa;
	memcpy(t->mac, c.mac, 6);
	t->lan_ifindex = c.lan_ifindex;
	t->tunnel = (c.tunnels & (1u << RSIP_TUNNEL_IPIP)) ? RSIP_TUNNEL_IPIP : RSIP_TUNNEL_GRE;
	return 0;
}

static int out_spi_target(const struct dp_view *v, uint32_t peer, uint32_t spi,
			  struct rsip_target *t)
{
	struct rsip_out_key k = {.peer = peer, .spi = spi};
	struct rsip_out_val ov;

	if (lookup(v, DPM_OUT_SPI, &k, &ov) < 0)
		return -ENOENT;
	return client_target(v, ov.xa, t);
}

/* The owner of a quoted UDP datagram sent by a client: its source port, or
 * for IKE its cookie, or for UDP-ESP its SPI. */
static int quoted_udp_owner(const struct dp_view *v, uint32_t nb, uint32_t peer, const uint8_t *udp,
			    size_t n, struct rsip_target *t)
{
	uint16_t sport;
	const uint8_t *pl = udp + UDP_HLEN, *ike;
	size_t plen = n > UDP_HLEN ? n - UDP_HLEN : 0;

	memcpy(&sport, udp, 2);
	if (port_target(v, nb, sport, t) == 0)
		return 0;
	if (sport != htons(IKE_PORT) && sport != htons(IKE_NATT_PORT))
		return -ENOENT;
	ike = pl;
	if (sport == htons(IKE_NATT_PORT)) {
		uint32_t spi;

		if (plen < 4)
			return -ENOENT;
		if (memcmp(pl, "\0\0\0\0", 4) != 0) {
			memcpy(&spi, pl, 4);
			return out_spi_target(v, peer, spi, t);
		}
		ike = pl + 4;
		plen -= 4;
	}
	/* ICMP quotes at least 8 bytes of the datagram (RFC 792), Linux up to
	 * 576 bytes in all: the cookie needs 16 (IKEv1) or 28 (IKEv2). */
	if (plen >= 20 && ike_cookie(ike, 0))
		return ike_target(v, nb, sport, ike_cookie(ike, 0), t);
	if (plen >= 8)
		return ike_target(v, nb, sport, ike, t);
	return -ENOENT;
}

int slow_outbound_owner(const struct dp_view *v, const uint8_t *q, size_t qn, struct rsip_target *t)
{
	struct rsip_nb_val nbv;
	const uint8_t *ql4;
	size_t qhl, ql4_len;
	uint32_t qsrc, qdst, spi;

	/* Its total length may exceed what is there (an ICMP quote). */
	if (qn < PKT_IP_MIN)
		return -EINVAL;
	qhl = (size_t)(q[0] & 0x0f) * 4;
	if ((q[0] >> 4) != 4 || qhl < PKT_IP_MIN || qn < qhl + 8)
		return -EINVAL;
	memcpy(&qsrc, q + 12, 4);
	memcpy(&qdst, q + 16, 4);
	ql4 = q + qhl;
	ql4_len = qn - qhl;
	/* A client sent it: from one of our Nb. */
	if (lookup(v, DPM_NB, &qsrc, &nbv) < 0)
		return -ENOENT;
	if (nbv.flags & RSIP_NB_WHOLE) {
		*t = nbv.whole;
		return 0;
	}
	if ((pkt_get16(q + 6) & 0x1fff) != 0)
		return -ENOENT; /* a non-first fragment: no ports to see */
	switch (q[9]) {
	case IPPROTO_UDP:
		return quoted_udp_owner(v, qsrc, qdst, ql4, ql4_len, t);
	case IPPROTO_TCP: {
		uint16_t sport;

		memcpy(&sport, ql4, 2);
		return port_target(v, qsrc, sport, t);
	}
	case IPPROTO_ESP:
		memcpy(&spi, ql4, 4);
		return out_spi_target(v, qdst, spi, t);
	case IPPROTO_AH:
		memcpy(&spi, ql4 + 4, 4);
		return out_spi_target(v, qdst, spi, t);
	case IPPROTO_ICMP: {
		struct rsip_icmp_key k = {.nb = qsrc};

		memcpy(&k.id, ql4 + 4, 2);
		return lookup(v, DPM_ICMP_ID, &k, t);
	}
	default:
		return -ENOENT;
	}
}

void slow_icmp_error_owner(const struct dp_view *v, const uint8_t *pkt, size_t len,
			   struct slow_result *res)
{
	struct rsip_target t;
	struct pkt_ip ip;
	int rc;

	memset(res, 0, sizeof(*res));
	if (pkt_parse_ipv4(pkt, len, false, &ip) < 0 || pkt_ip_is_fragment(&ip) ||
	    ip.proto != IPPROTO_ICMP || ip.l4_len < 8 + PKT_IP_MIN + 8 ||
	    !slow_icmp_is_error(ip.l4[0]))
		return verdict(res, SV_DROP, SC_ICMP_ERR_MALFORMED);
	rc = slow_outbound_owner(v, ip.l4 + 8, ip.l4_len - 8, &t);
	if (rc == -EINVAL)
		return verdict(res, SV_DROP, SC_ICMP_ERR_MALFORMED);
	if (rc < 0)
		return verdict(res, SV_DROP, SC_ICMP_ERR_NO_OWNER);
	return tunnel_to(res, &t, SC_ICMP_ERR_TUNNELLED);
}

static void lan_drop(struct slow_result *res, enum slow_counter why, uint16_t violation)
{
	res->violation = violation;
	verdict(res, SV_DROP, why);
}

/* Remote policy from the client's side: the inner destination. */
static int lan_remote(const struct rsip_target *t, const struct pkt_ip *in, uint16_t dport_be,
		      int has_port, struct slow_result *res)
{
	if ((t->flags & RSIP_TF_REMOTE_ADDR) && t->remote != in->dst) {
		lan_drop(res, SC_LAN_DROP_REMOTE_POLICY, RSIP_ERR_REMOTE_ADDR_UNALLOWED);
		return -EPERM;
	}
	if (has_port && (t->flags & RSIP_TF_REMOTE_PORT) && t->remote_port != dport_be) {
		lan_drop(res, SC_LAN_DROP_REMOTE_POLICY, RSIP_ERR_REMOTE_ADDRPORT_UNALLOWED);
		return -EPERM;
	}
	return 0;
}

/* The inner packet's own checks (source, ports, IPsec, cookies). */
static void lan_inner(const struct dp_view *v, uint32_t xa, const struct rsip_client *c,
		      const struct pkt_ip *in, struct slow_result *res)
{
	struct rsip_nb_val nbv;
	struct rsip_target t;
	uint16_t sport, dport;

	if (in->src != c->nb)
		return lan_drop(res, SC_LAN_DROP_BAD_SRC, RSIP_ERR_LOCAL_ADDR_UNALLOWED);
	if (in->ttl <= 1)
		return lan_drop(res, SC_LAN_DROP_TTL, 0);
	if (c->flags & RSIP_CF_WHOLE_NB) {
		int has_port = in->proto == IPPROTO_TCP || in->proto == IPPROTO_UDP;

		if (lookup(v, DPM_NB, &c->nb, &nbv) < 0 || !(nbv.flags & RSIP_NB_WHOLE) ||
		    nbv.whole.xa != xa)
			return lan_drop(res, SC_LAN_DROP_BAD_SRC, RSIP_ERR_LOCAL_ADDR_UNALLOWED);
		dport = 0;
		if (has_port && in->frag_off == 0 && in->l4_len >= 4)
			memcpy(&dport, in->l4 + 2, 2);
		res->bind_id = nbv.whole.bind_id;
		if (lan_remote(&nbv.whole, in, dport, has_port && in->frag_off == 0, res) < 0)
			return;
		return verdict(res, SV_SEND, SC_LAN_TX);
	}
	/* A non-first fragment shows no ports: its source was checked. */
	if (in->frag_off != 0)
		return verdict(res, SV_SEND, SC_LAN_TX_FRAGMENT);
	switch (in->proto) {
	case IPPROTO_UDP:
	case IPPROTO_TCP:
		if (in->l4_len < (in->proto == IPPROTO_UDP ? UDP_HLEN : 20u))
			return lan_drop(res, SC_LAN_DROP_MALFORMED, 0);
		memcpy(&sport, in->l4, 2);
		memcpy(&dport, in->l4 + 2, 2);
		if (in->proto == IPPROTO_UDP &&
		    (sport == htons(IKE_PORT) || sport == htons(IKE_NATT_PORT))) {
			const uint8_t *ike = in->l4 + UDP_HLEN;
			size_t plen = in->l4_len - UDP_HLEN;

			if (!(c->flags & RSIP_CF_IPSEC))
				return lan_drop(res, SC_LAN_DROP_NO_IPSEC,
						RSIP_ERR_LOCAL_ADDRPORT_UNALLOWED);
			if (sport == htons(IKE_NATT_PORT)) {
				if (plen >= 4 && memcmp(ike, "\0\0\0\0", 4) != 0)
					return verdict(res, SV_SEND, SC_LAN_TX); /* UDP-ESP */
				if (plen < 4)
					return verdict(res, SV_SEND, SC_LAN_TX); /* keepalive */
				ike += 4;
				plen -= 4;
			}
			if (plen < IKE_HDR_LEN || !ike_cookie(ike, 0))
				return lan_drop(res, SC_LAN_DROP_MALFORMED, 0);
			/* The LAN program learns new cookies; a datagram that came
			 * only in fragments must use one it already holds. */
			if (ike_target(v, c->nb, sport, ike_cookie(ike, 0), &t) < 0 || t.xa != xa)
				return lan_drop(res, SC_LAN_DROP_COOKIE, 0);
			res->bind_id = t.bind_id;
			return verdict(res, SV_SEND, SC_LAN_TX);
		}
		if (port_target(v, c->nb, sport, &t) < 0 || t.xa != xa)
			return lan_drop(res, SC_LAN_DROP_BAD_PORT,
					RSIP_ERR_LOCAL_ADDRPORT_UNALLOWED);
		res->bind_id = t.bind_id;
		if (lan_remote(&t, in, dport, 1, res) < 0)
			return;
		return verdict(res, SV_SEND, SC_LAN_TX);
	case IPPROTO_ESP:
	case IPPROTO_AH:
		if (!(c->flags & RSIP_CF_IPSEC))
			return lan_drop(res, SC_LAN_DROP_NO_IPSEC,
					RSIP_ERR_LOCAL_ADDRPORT_UNALLOWED);
		return verdict(res, SV_SEND, SC_LAN_TX);
	case IPPROTO_ICMP:
		return verdict(res, SV_SEND, SC_LAN_TX);
	default:
		/* On a shared Nb nothing could bring the answer back. */
		return lan_drop(res, SC_LAN_DROP_BAD_PORT, RSIP_ERR_LOCAL_ADDRPORT_UNALLOWED);
	}
}

void slow_lan_check(const struct dp_view *v, const uint8_t mac[6], const uint8_t *pkt, size_t len,
		    struct slow_result *res)
{
	static const uint8_t zero_mac[6];
	struct pkt_ip out, in;
	struct rsip_client c;
	const uint8_t *inner;
	size_t inner_len;
	uint8_t tunnel;

	memset(res, 0, sizeof(*res));
	if (pkt_parse_ipv4(pkt, len, false, &out) < 0 || pkt_ip_is_fragment(&out))
		return lan_drop(res, SC_LAN_DROP_MALFORMED, 0);
	if (lookup(v, DPM_CLIENTS, &out.src, &c) < 0)
		return lan_drop(res, SC_LAN_DROP_NOT_CLIENT, 0);
	if (!memcmp(c.mac, zero_mac, 6) || !mac || memcmp(c.mac, mac, 6) != 0)
		return lan_drop(res, SC_LAN_DROP_BAD_MAC, 0);
	inner = out.l4;
	inner_len = out.l4_len;
	if (out.proto == IPPROTO_IPIP) {
		tunnel = RSIP_TUNNEL_IPIP;
	} else if (out.proto == IPPROTO_GRE) {
		/* RFC 2784, no checksum, key or sequence (decision D15). */
		if (inner_len < PKT_GRE_HLEN || pkt_get16(inner) != 0 ||
		    pkt_get16(inner + 2) != 0x0800)
			return lan_drop(res, SC_LAN_DROP_MALFORMED, 0);
		tunnel = RSIP_TUNNEL_GRE;
		inner += PKT_GRE_HLEN;
		inner_len -= PKT_GRE_HLEN;
	} else {
		return lan_drop(res, SC_LAN_DROP_MALFORMED, 0);
	}
	if (!(c.tunnels & (1u << tunnel)))
		return lan_drop(res, SC_LAN_DROP_BAD_TUNNEL, RSIP_ERR_BAD_TUNNEL_TYPE);
	if (pkt_parse_ipv4(inner, inner_len, true, &in) < 0)
		return lan_drop(res, SC_LAN_DROP_MALFORMED, 0);
	res->inner = inner;
	res->inner_len = in.tot_len;
	lan_inner(v, out.src, &c, &in, res);
}
