// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "rsip/wire.h"
#include "slowpath.h"
#include "fanout.h"
#include "frag.h"
#include "icmp.h"
#include "pkt.h"

struct slowpath {
	struct slow_cfg cfg;
	struct reasm *wan_reasm; /* fragments from the public side, to Nb */
	struct reasm *lan_reasm; /* fragments of tunnel packets, to Na */
	struct fanout *fan;	 /* IKE for one of several clients */
	uint64_t ctr[SC_MAX];
};

struct slowpath *slow_new(const struct slow_cfg *cfg)
{
	struct slowpath *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = *cfg;
	/* Two reassemblers, so neither side can starve the other's caps. */
	s->wan_reasm = reasm_new(&cfg->reasm);
	s->lan_reasm = reasm_new(&cfg->reasm);
	s->fan = fanout_new();
	if (!s->wan_reasm || !s->lan_reasm || !s->fan) {
		slow_free(s);
		return NULL;
	}
	return s;
}

void slow_free(struct slowpath *s)
{
	if (!s)
		return;
	reasm_free(s->wan_reasm);
	reasm_free(s->lan_reasm);
	fanout_free(s->fan);
	free(s);
}

static uint16_t overhead(uint8_t tunnel)
{
	return tunnel == RSIP_TUNNEL_GRE ? RSIP_GRE_OVERHEAD : RSIP_IPIP_OVERHEAD;
}

static void count_tx_error(struct slowpath *s, int rc)
{
	s->ctr[rc == -EMSGSIZE ? SC_TX_TOO_BIG : SC_TX_ERROR]++;
	log_debug("slow path: send: %s", strerror(-rc));
}

/* Tunnel a whole IPv4 packet to xa; counts why on success. */
static void tunnel(struct slowpath *s, uint32_t xa, uint8_t tun, const uint8_t *pkt, size_t len,
		   enum slow_counter why)
{
	int rc = s->cfg.tx->tunnel(s->cfg.tx->arg, xa, tun, pkt, len);

	if (rc < 0)
		return count_tx_error(s, rc);
	s->ctr[why]++;
}

static int emit_raw(void *arg, const uint8_t *frag, size_t len)
{
	struct slowpath *s = arg;

	return s->cfg.tx->raw(s->cfg.tx->arg, frag, len);
}

/* Send a decapsulated packet to the public side: fragmented here when it is
 * too big and may be, else ICMP fragmentation needed back through the
 * client's tunnel (xa 0: not known, the packet is only counted). */
static void send_public(struct slowpath *s, const uint8_t *pkt, size_t len, uint32_t xa,
			uint8_t tun, enum slow_counter why)
{
	uint8_t icmp[SLOW_ICMP_MAX_LEN];
	struct pkt_ip ip;
	int rc, n;

	rc = slow_fragment(pkt, len, s->cfg.wan_mtu, emit_raw, s);
	if (rc >= 0) {
		s->ctr[why]++;
		return;
	}
	if (rc != -EMSGSIZE || !xa || pkt_parse_ipv4(pkt, len, false, &ip) < 0)
		return count_tx_error(s, rc);
	s->ctr[SC_TX_TOO_BIG]++;
	n = slow_icmp_frag_needed(icmp, sizeof(icmp), s->cfg.na, ip.src, s->cfg.wan_mtu, pkt, len);
	if (n > 0)
		tunnel(s, xa, tun, icmp, (size_t)n, SC_OVERSIZE_ICMP_SENT);
}

/* CLOCK_MONOTONIC, the clock of the programs' time stamps. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A copy of the IKE message to each candidate client (fanout.h). */
static void ike_fanout(struct slowpath *s, const struct pkt_ip *ip)
{
	struct rsip_target to[FANOUT_HOSTS];
	int n = fanout_packet(s->fan, s->cfg.view, ip, now_ns(), to, s->ctr);

	for (int i = 0; i < n; i++)
		tunnel(s, to[i].xa, to[i].tunnel, ip->hdr, ip->tot_len, SC_FANOUT_COPIES);
}

static void wan_fragment(struct slowpath *s, const struct pkt_ip *ip)
{
	struct slow_result res;
	uint8_t *whole = NULL;
	size_t whole_len = 0;

	if (reasm_add(s->wan_reasm, ip->hdr, ip->tot_len, &whole, &whole_len) <= 0)
		return; /* held, or dropped and counted by the reassembler */
	slow_wan_demux(s->cfg.view, whole, whole_len, &res);
	if (res.verdict == SV_TUNNEL) {
		tunnel(s, res.target.xa, res.target.tunnel, whole, whole_len, res.why);
	} else if (res.verdict == SV_FANOUT) {
		struct pkt_ip wip;

		if (pkt_parse_ipv4(whole, whole_len, false, &wip) < 0)
			s->ctr[SC_MALFORMED]++;
		else
			ike_fanout(s, &wip);
	} else {
		s->ctr[res.why]++;
	}
	free(whole);
}

static void oversize(struct slowpath *s, const struct rsip_slow_meta *m, const struct pkt_ip *ip)
{
	uint8_t icmp[SLOW_ICMP_MAX_LEN];
	int n, rc;

	if (!ip->df)
		return tunnel(s, m->xa, m->tunnel, ip->hdr, ip->tot_len, SC_OVERSIZE_TUNNELLED);
	/* RFC 1191: the peer learns the path MTU through us. */
	n = slow_icmp_frag_needed(icmp, sizeof(icmp), ip->dst, ip->src,
				  (uint16_t)(s->cfg.lan_mtu - overhead(m->tunnel)), ip->hdr,
				  ip->tot_len);
	if (n < 0) {
		s->ctr[SC_MALFORMED]++;
		return;
	}
	rc = s->cfg.tx->raw(s->cfg.tx->arg, icmp, (size_t)n);
	if (rc < 0)
		return count_tx_error(s, rc);
	s->ctr[SC_OVERSIZE_ICMP_SENT]++;
}

static void icmp_error(struct slowpath *s, const struct pkt_ip *ip)
{
	struct slow_result res;

	slow_icmp_error_owner(s->cfg.view, ip->hdr, ip->tot_len, &res);
	if (res.verdict == SV_TUNNEL)
		return tunnel(s, res.target.xa, res.target.tunnel, ip->hdr, ip->tot_len, res.why);
	s->ctr[res.why]++;
}

static void lan_route(struct slowpath *s, const struct rsip_slow_meta *m, const struct pkt_ip *ip)
{
	uint32_t xa = m->xa;
	uint8_t tun = m->tunnel;
	struct rsip_target t;

	/* The record may not name the client; the packet's own binding does
	 * (it passed the LAN checks), for an ICMP error back to it. */
	if (!xa && slow_outbound_owner(s->cfg.view, ip->hdr, ip->tot_len, &t) == 0) {
		xa = t.xa;
		tun = t.tunnel;
	}
	send_public(s, ip->hdr, ip->tot_len, xa, tun, SC_LAN_ROUTE_SENT);
}

/* The TTL is the high byte of the header's fifth 16-bit word. */
static void ttl_dec(uint8_t *h)
{
	uint32_t check = pkt_get16(h + 10) + 0x0100u;

	check = (check + (check >> 16)) & 0xffff;
	h[10] = (uint8_t)(check >> 8);
	h[11] = (uint8_t)check;
	h[8]--;
}

static void report_violation(struct slowpath *s, uint32_t xa, uint16_t error)
{
	const struct dp_callbacks *cb = s->cfg.cb;
	char a[INET_ADDRSTRLEN];

	s->ctr[SC_VIOLATIONS]++;
	log_debug("data path: %s broke its lease (error %u)",
		  inet_ntop(AF_INET, &xa, a, sizeof(a)) ? a : "?", error);
	if (cb && cb->violation)
		cb->violation(cb->arg, (struct in_addr){.s_addr = xa}, error);
}

/* The fragment's sender must be a client, with its own MAC, before its bytes
 * may join anyone's reassembly. */
static int lan_sender_ok(struct slowpath *s, const uint8_t *mac, uint32_t xa)
{
	static const uint8_t zero[6];
	struct rsip_client c;

	if (s->cfg.view->lookup(s->cfg.view->arg, DPM_CLIENTS, &xa, &c) < 0) {
		s->ctr[SC_LAN_DROP_NOT_CLIENT]++;
		return 0;
	}
	if (!memcmp(c.mac, zero, 6) || memcmp(c.mac, mac, 6) != 0) {
		s->ctr[SC_LAN_DROP_BAD_MAC]++;
		return 0;
	}
	return 1;
}

static void lan_fragment(struct slowpath *s, const uint8_t *frame, const struct pkt_ip *ip)
{
	const uint8_t *mac = frame + 6; /* Ethernet source */
	struct slow_result res;
	uint8_t *whole = NULL, *in;
	size_t whole_len = 0;

	if (!lan_sender_ok(s, mac, ip->src))
		return;
	if (reasm_add(s->lan_reasm, ip->hdr, ip->tot_len, &whole, &whole_len) <= 0)
		return;
	slow_lan_check(s->cfg.view, mac, whole, whole_len, &res);
	if (res.violation)
		report_violation(s, ip->src, res.violation);
	if (res.verdict != SV_SEND) {
		s->ctr[res.why]++;
		goto out;
	}
	/* Forwarding: one hop less (the rules refused TTL <= 1), the checksum
	 * updated as the LAN program does (RFC 1624): the rules do not verify
	 * it, and a header that came with a bad one must keep it. */
	in = whole + (res.inner - whole);
	ttl_dec(in);
	send_public(s, in, res.inner_len, ip->src,
		    ip->proto == IPPROTO_GRE ? RSIP_TUNNEL_GRE : RSIP_TUNNEL_IPIP, res.why);
out:
	free(whole);
}

void slow_record(struct slowpath *s, const void *data, size_t size)
{
	struct rsip_slow_meta m;
	const uint8_t *frame, *ipp;
	size_t ip_len;
	struct pkt_ip ip;

	s->ctr[SC_RECORDS]++;
	if (size < sizeof(m)) {
		s->ctr[SC_BAD_RECORD]++;
		return;
	}
	memcpy(&m, data, sizeof(m));
	frame = (const uint8_t *)data + sizeof(m);
	if (m.cap_len > size - sizeof(m)) {
		s->ctr[SC_BAD_RECORD]++;
		return;
	}
	if (m.reason == RSIP_SLOW_VIOLATION)
		return report_violation(s, m.xa, m.error);
	/* A frame cut at RSIP_SLOW_MAX_FRAME cannot be sent on. */
	if (m.cap_len < m.pkt_len) {
		s->ctr[SC_BAD_RECORD]++;
		return;
	}
	if (pkt_eth_ipv4(frame, m.cap_len, &ipp, &ip_len) < 0 ||
	    pkt_parse_ipv4(ipp, ip_len, false, &ip) < 0) {
		s->ctr[SC_MALFORMED]++;
		log_debug("slow path: reason %u: not an IPv4 frame", m.reason);
		return;
	}
	switch (m.reason) {
	case RSIP_SLOW_FRAGMENT:
		return wan_fragment(s, &ip);
	case RSIP_SLOW_OVERSIZE:
		return oversize(s, &m, &ip);
	case RSIP_SLOW_NO_NEIGH:
		return tunnel(s, m.xa, m.tunnel, ip.hdr, ip.tot_len, SC_NO_NEIGH_TUNNELLED);
	case RSIP_SLOW_ICMP_ERROR:
		return icmp_error(s, &ip);
	case RSIP_SLOW_LAN_ROUTE:
		return lan_route(s, &m, &ip);
	case RSIP_SLOW_LAN_FRAGMENT:
		return lan_fragment(s, frame, &ip);
	case RSIP_SLOW_IKE_FANOUT:
		return ike_fanout(s, &ip);
	default:
		s->ctr[SC_BAD_RECORD]++;
		log_debug("slow path: unknown reason %u", m.reason);
	}
}

void slow_lost(struct slowpath *s, uint64_t n)
{
	s->ctr[SC_LOST] += n;
}

void slow_tick(struct slowpath *s)
{
	reasm_expire(s->wan_reasm);
	reasm_expire(s->lan_reasm);
	fanout_tick(s->fan, s->cfg.view, now_ns(), s->ctr);
}

void slow_counters(const struct slowpath *s, uint64_t out[SC_MAX])
{
	const struct reasm_stats *w = reasm_stats(s->wan_reasm), *l = reasm_stats(s->lan_reasm);

	memcpy(out, s->ctr, sizeof(s->ctr));
	out[SC_FRAG_IN] = w->fragments + l->fragments;
	out[SC_FRAG_REASSEMBLED] = w->reassembled + l->reassembled;
	out[SC_FRAG_DUPLICATE] = w->duplicates + l->duplicates;
	out[SC_FRAG_OVERLAP] = w->overlaps + l->overlaps;
	out[SC_FRAG_TIMEOUT] = w->timeouts + l->timeouts;
	out[SC_FRAG_EVICTED] = w->evicted + l->evicted;
	out[SC_FRAG_MALFORMED] = w->malformed + l->malformed;
	out[SC_FRAG_TOO_BIG] = w->too_big + l->too_big;
	out[SC_FRAG_TOO_MANY] = w->too_many + l->too_many;
	out[SC_FRAG_BYTES_HELD] = w->bytes_held + l->bytes_held;
}
