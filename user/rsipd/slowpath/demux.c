// SPDX-License-Identifier: BSD-2-Clause
/*
 * The slow path's side of the packet rules: the hooks of
 * include/rsip/rules/ (env.h) over a struct dp_view, the rules' outcome as a
 * slow_result, and what only user space does: finding the client an ICMP
 * error belongs to from the packet it quotes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "demux.h"
#include "log.h"
#include "pkt.h"

/* ---- the rules' hooks ------------------------------------------------------ */

/* One value per map: a rule holds at most one entry of each map at a time
 * (a lookup returns a pointer to this copy, as bpf_map_lookup_elem returns
 * one into the map). */
union rules_val {
	struct rsip_client client;
	struct rsip_nb_val nb;
	struct rsip_target target;
	struct rsip_out_val out;
	struct rsip_dir_val dir;
	struct rsip_nb_slot nb_slot;
};

struct rules_env {
	const struct dp_view *v;
	union rules_val val[DPM_MAX];
	uint16_t violation; /* RULE_VIOLATION: the RSIP error */
	uint32_t viol_bind_id;
};

static void *rules_lookup(struct rules_env *env, enum dp_map_id m, const void *key)
{
	if (env->v->lookup(env->v->arg, m, key, &env->val[m]) < 0)
		return NULL;
	return &env->val[m];
}

static long rules_update(struct rules_env *env, enum dp_map_id m, const void *key, const void *val,
			 uint64_t flags)
{
	return env->v->update(env->v->arg, m, key, val, flags);
}

/* The LAN program adds to `cookies` atomically; a rewrite of the client
 * entry from here would lose what it adds meanwhile, so the count changes
 * through the rsip_learned program (dp_view.learned_add). n: RSIP_LEARNED_*
 * (the rules checked the cap before they wrote the entry, as XDP does). A
 * failure leaves the count low by one until that entry expires: logged. */
static void rules_learned(struct rules_env *env, uint32_t xa, uint32_t n)
{
	struct rsip_learned_req req = {.xa = xa,
				       .d_cookies = (int32_t)RSIP_LEARNED_COOKIES(n),
				       .d_out = (int32_t)RSIP_LEARNED_OUT_SPIS(n)};
	int err = 0;

	/* RSIP_LREQ_BUSY: the programs' adds kept landing; each is progress */
	for (int i = 0; i < 8 && !err && (i == 0 || req.result == RSIP_LREQ_BUSY); i++)
		err = env->v->learned_add(env->v->arg, &req);
	if (err || (req.result != RSIP_LREQ_DONE && req.result != RSIP_LREQ_NO_CLIENT))
		log_warnx("slow path: charging a learned entry: %s (result %u)",
			  err ? strerror(-err) : "not written", req.result);
}

/* CLOCK_MONOTONIC, the clock of bpf_ktime_get_coarse_ns. */
static uint64_t rules_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int rules_violation(struct rules_env *env, uint16_t error, uint32_t bind_id, uint32_t cnt);

#define RULE_ENV			       struct rules_env
#define RULE_MAP_T			       enum dp_map_id
#define RULE_MAP(name)			       RULES_ID_##name
#define RULES_ID_rsip_clients		       DPM_CLIENTS
#define RULES_ID_rsip_nb		       DPM_NB
#define RULES_ID_rsip_ports		       DPM_PORTS
#define RULES_ID_rsip_ike		       DPM_IKE
#define RULES_ID_rsip_spi		       DPM_SPI
#define RULES_ID_rsip_spi_blk		       DPM_SPI_BLK
#define RULES_ID_rsip_icmp_id		       DPM_ICMP_ID
#define RULES_ID_rsip_out_spi		       DPM_OUT_SPI
#define RULES_ID_rsip_spi_dir		       DPM_SPI_DIR
#define RULES_ID_rsip_port_dir		       DPM_PORT_DIR
#define RULES_ID_rsip_nb_dir		       DPM_NB_DIR
#define RULE_LOOKUP(env, map, key)	       rules_lookup(env, map, key)
#define RULE_SPI_SHIFT(env)		       ((env)->v->spi_block_shift)
#define RULE_SPI_DIR_ON(env)		       ((env)->v->spi_dir_on)
#define RULE_SPI_KEY(env)		       ((env)->v->spi_key)
#define RULE_PORT_DIR_ON(env)		       ((env)->v->port_dir_on)
#define RULE_NA(env)			       ((env)->v->na)
#define RULE_UPDATE(env, map, key, val, flags) rules_update(env, map, key, val, flags)
#define RULE_LEARNED(env, p, n)		       rules_learned(env, (p)->xa, n)
/* rsip_stats is the programs' (per-CPU, written by them only): the slow
 * path's own counters are the outcome's (slow_result.why). */
#define RULE_COUNT_EVENT(env, counter) ((void)(counter))
/* A time stamp refreshed here would be a read-modify-write of an entry the
 * programs write too; the next packet through XDP refreshes it. */
#define RULE_TOUCH(env, seen) ((void)(seen))
#define RULE_JIFFIES(env)     0 /* the programs' next refresh fixes it */
#define RULE_NOW_NS(env)      rules_now_ns()
/* No pre-filter here: what reaches the slow path was to one of our Nb, and
 * the rules ask rsip_nb itself whenever it matters. */
#define RULE_NB_MAYBE(env, nb) ((void)(nb), 1)
#define RULE_VIOLATION(env, p, error, bind_id, counter)                                            \
	rules_violation(env, error, bind_id, counter)

#include "rsip/rules/lan.h"
#include "rsip/rules/wan.h"

static int rules_violation(struct rules_env *env, uint16_t error, uint32_t bind_id, uint32_t cnt)
{
	env->violation = error;
	env->viol_bind_id = bind_id;
	return RULE(RULE_DROP, cnt);
}

/* ---- the rules' outcome ----------------------------------------------------- */

/* The slow path's counter for a rules counter (enum rsip_counter). */
static enum slow_counter slow_counter_of(uint32_t rule)
{
	static const enum slow_counter map[RSIP_CNT_MAX] = {
	    [RSIP_CNT_WAN_PASS_NOT_NB] = SC_WAN_DROP_NOT_NB,
	    [RSIP_CNT_WAN_PASS_LOCAL] = SC_WAN_DROP_LOCAL,
	    [RSIP_CNT_WAN_PASS_ICMP_REQ] = SC_WAN_DROP_LOCAL,
	    [RSIP_CNT_WAN_PASS_SHORT] = SC_WAN_DROP_MALFORMED,
	    [RSIP_CNT_WAN_TX_ESP] = SC_WAN_TX_ESP,
	    [RSIP_CNT_WAN_TX_AH] = SC_WAN_TX_AH,
	    [RSIP_CNT_WAN_TX_UDP_ESP] = SC_WAN_TX_UDP_ESP,
	    [RSIP_CNT_WAN_TX_IKE] = SC_WAN_TX_IKE,
	    [RSIP_CNT_WAN_TX_IKE_PEER] = SC_WAN_TX_IKE_PEER,
	    [RSIP_CNT_WAN_DROP_IKE_AMBIGUOUS] = SC_WAN_DROP_IKE_AMBIGUOUS,
	    [RSIP_CNT_WAN_SLOW_IKE_FANOUT] = SC_FANOUT_STARTED,
	    [RSIP_CNT_LAN_DROP_FANOUT_UNPROTECTED] = SC_LAN_DROP_FANOUT_UNPROTECTED,
	    [RSIP_CNT_WAN_TX_PORT] = SC_WAN_TX_PORT,
	    [RSIP_CNT_WAN_TX_WHOLE] = SC_WAN_TX_WHOLE,
	    [RSIP_CNT_WAN_TX_ICMP] = SC_WAN_TX_ICMP,
	    [RSIP_CNT_WAN_DROP_MALFORMED] = SC_WAN_DROP_MALFORMED,
	    [RSIP_CNT_WAN_DROP_NO_SPI] = SC_WAN_DROP_NO_SPI,
	    [RSIP_CNT_WAN_DROP_NO_COOKIE] = SC_WAN_DROP_NO_COOKIE,
	    [RSIP_CNT_WAN_DROP_REMOTE_POLICY] = SC_WAN_DROP_REMOTE_POLICY,
	    [RSIP_CNT_WAN_DROP_NO_ICMP_ID] = SC_WAN_DROP_NO_ICMP_ID,
	    [RSIP_CNT_WAN_DROP_KEEPALIVE] = SC_WAN_DROP_KEEPALIVE,
	    /* a reassembled datagram is no fragment */
	    [RSIP_CNT_WAN_SLOW_FRAGMENT] = SC_WAN_DROP_MALFORMED,
	    [RSIP_CNT_LAN_PASS_NOT_TUNNEL] = SC_LAN_DROP_MALFORMED,
	    [RSIP_CNT_LAN_TX] = SC_LAN_TX,
	    [RSIP_CNT_LAN_TX_FRAGMENT] = SC_LAN_TX_FRAGMENT,
	    [RSIP_CNT_LAN_DROP_MALFORMED] = SC_LAN_DROP_MALFORMED,
	    [RSIP_CNT_LAN_DROP_NOT_CLIENT] = SC_LAN_DROP_NOT_CLIENT,
	    [RSIP_CNT_LAN_DROP_BAD_MAC] = SC_LAN_DROP_BAD_MAC,
	    [RSIP_CNT_LAN_DROP_BAD_TUNNEL] = SC_LAN_DROP_BAD_TUNNEL,
	    [RSIP_CNT_LAN_DROP_BAD_SRC] = SC_LAN_DROP_BAD_SRC,
	    [RSIP_CNT_LAN_DROP_BAD_PORT] = SC_LAN_DROP_BAD_PORT,
	    [RSIP_CNT_LAN_DROP_NO_IPSEC] = SC_LAN_DROP_NO_IPSEC,
	    [RSIP_CNT_LAN_DROP_REMOTE_POLICY] = SC_LAN_DROP_REMOTE_POLICY,
	    [RSIP_CNT_LAN_DROP_COOKIE_TAKEN] = SC_LAN_DROP_COOKIE_TAKEN,
	    [RSIP_CNT_LAN_DROP_ID_TAKEN] = SC_LAN_DROP_ID_TAKEN,
	    [RSIP_CNT_LAN_DROP_COOKIE_CAP] = SC_LAN_DROP_COOKIE_CAP,
	    [RSIP_CNT_LAN_DROP_LEARN_FULL] = SC_LAN_DROP_LEARN_FULL,
	    [RSIP_CNT_LAN_DROP_TTL] = SC_LAN_DROP_TTL,
	    /* a reassembled tunnel packet is no fragment */
	    [RSIP_CNT_LAN_SLOW_FRAGMENT] = SC_LAN_DROP_MALFORMED,
	};

	return rule < RSIP_CNT_MAX && map[rule] ? map[rule] : SC_MALFORMED;
}

static void verdict(struct slow_result *res, enum slow_verdict v, uint32_t rule)
{
	res->verdict = v;
	res->rule = rule;
	res->why = slow_counter_of(rule);
}

/* The rules read the packet through struct pointers, as the programs do:
 * a copy when it is not aligned for them (a quote inside a perf record). */
struct aligned_pkt {
	alignas(8) uint8_t b[PKT_IP_MAX_LEN];
};

static uint8_t *aligned(const uint8_t *pkt, size_t len, struct aligned_pkt *copy)
{
	if (((uintptr_t)pkt & 7) == 0)
		return (uint8_t *)(uintptr_t)pkt; /* the rules write nothing */
	memcpy(copy->b, pkt, len);
	return copy->b;
}

int slow_icmp_is_error(uint8_t type)
{
	/* the WAN rules' list (a redirect is N's business) */
	return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH ||
	       type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
}

void slow_wan_demux(const struct dp_view *v, const uint8_t *pkt, size_t len,
		    struct slow_result *res)
{
	static struct aligned_pkt copy;
	struct rules_env env = {.v = v};
	struct wan_match m = {0};
	uint8_t *p;
	int ret;

	memset(res, 0, sizeof(*res));
	if (len > PKT_IP_MAX_LEN)
		return verdict(res, SV_DROP, RSIP_CNT_WAN_DROP_MALFORMED);
	p = aligned(pkt, len, &copy);
	ret = wan_decide(&env, &m, p, p + len);
	switch (RULE_ACTION(ret)) {
	case RULE_TUNNEL:
		res->target = *m.t;
		res->bind_id = m.t->bind_id;
		return verdict(res, SV_TUNNEL, RULE_COUNTER(ret));
	case RULE_SLOW_ICMP_ERROR:
		slow_icmp_error_owner(v, pkt, len, res);
		res->rule = RULE_COUNTER(ret);
		return;
	case RULE_SLOW_IKE_FANOUT:
		return verdict(res, SV_FANOUT, RULE_COUNTER(ret));
	}
	return verdict(res, SV_DROP, RULE_COUNTER(ret));
}

void slow_lan_check(const struct dp_view *v, const uint8_t mac[6], const uint8_t *pkt, size_t len,
		    struct slow_result *res)
{
	static const uint8_t zero_mac[6];
	static struct aligned_pkt copy;
	struct rules_env env = {.v = v};
	struct lan_pkt lp = {0};
	uint8_t *p;
	int ret;

	memset(res, 0, sizeof(*res));
	if (len > PKT_IP_MAX_LEN)
		return verdict(res, SV_DROP, RSIP_CNT_LAN_DROP_MALFORMED);
	p = aligned(pkt, len, &copy);
	ret = lan_decide(&env, &lp, mac ? mac : zero_mac, p, p + len);
	res->violation = env.violation;
	res->bind_id = env.viol_bind_id;
	if (RULE_ACTION(ret) != RULE_FORWARD)
		return verdict(res, SV_DROP, RULE_COUNTER(ret));
	res->inner = pkt + lp.outer_len;
	res->inner_len = lp.inner_len;
	return verdict(res, SV_SEND, RULE_COUNTER(ret));
}

/* ---- ICMP errors: whose flow do they quote? (user space only) ---------------- */

static int lookup(const struct dp_view *v, enum dp_map_id m, const void *k, void *val)
{
	return v->lookup(v->arg, m, k, val);
}

static int port_target(const struct dp_view *v, uint32_t nb, uint16_t port_be,
		       struct rsip_target *t)
{
	struct rules_env env = {.v = v};
	const struct rsip_target *found = rule_port_target(&env, nb, port_be);

	if (!found)
		return -ENOENT;
	*t = *found;
	return 0;
}

static int ike_target(const struct dp_view *v, uint32_t nb, uint16_t port_be,
		      const uint8_t cookie[8], struct rsip_target *t)
{
	struct rsip_ike_key k = {.nb = nb, .port = port_be};

	memcpy(k.cookie, cookie, 8);
	if (lookup(v, DPM_IKE, &k, t) < 0 || (t->flags & RSIP_TF_IKE_FANOUT))
		return -ENOENT; /* a fan-out's mark names no client yet */
	return 0;
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
	t->tunnel =
	    (c.tunnels & (1u << RSIP_DP_TUNNEL_IPIP)) ? RSIP_DP_TUNNEL_IPIP : RSIP_DP_TUNNEL_GRE;
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
	const uint8_t *pl = udp + sizeof(struct udphdr), *ike;
	size_t plen = n > sizeof(struct udphdr) ? n - sizeof(struct udphdr) : 0;
	struct ike_hdr h = {0};
	uint8_t cookie[8];

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
		ike = pl + NON_ESP_MARKER_LEN;
		plen -= NON_ESP_MARKER_LEN;
	}
	/* ICMP quotes at least 8 bytes of the datagram (RFC 792), Linux up to
	 * 576 bytes in all: the rule needs the version and flags (20 bytes);
	 * with only 8, the first cookie is the best guess. */
	if (plen >= offsetof(struct ike_hdr, msg_id)) {
		memcpy(&h, ike, plen < sizeof(h) ? plen : sizeof(h));
		if (ike_client_cookie(&h, true, cookie) == 0)
			return ike_target(v, nb, sport, cookie, t);
	}
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
	res->verdict = SV_DROP;
	if (pkt_parse_ipv4(pkt, len, false, &ip) < 0 || pkt_ip_is_fragment(&ip) ||
	    ip.proto != IPPROTO_ICMP || ip.l4_len < 8 + PKT_IP_MIN + 8 ||
	    !slow_icmp_is_error(ip.l4[0]))
		return (void)(res->why = SC_ICMP_ERR_MALFORMED);
	rc = slow_outbound_owner(v, ip.l4 + 8, ip.l4_len - 8, &t);
	if (rc == -EINVAL)
		return (void)(res->why = SC_ICMP_ERR_MALFORMED);
	if (rc < 0)
		return (void)(res->why = SC_ICMP_ERR_NO_OWNER);
	res->verdict = SV_TUNNEL;
	res->why = SC_ICMP_ERR_TUNNELLED;
	res->target = t;
	res->bind_id = t.bind_id;
}
