// SPDX-License-Identifier: BSD-2-Clause
/*
 * The IKE fan-out (fanout.h): a small fixed table of fan-outs waiting for
 * an answer, the walk of rsip_ike that finds the candidates, and the mark
 * the LAN rules turn into a learned cookie.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fanout.h"
#include "log.h"
#include "rsip/rules/ike.h"

#define NSEC 1000000000ull

struct pending {
	bool used;
	struct rsip_ike_key key; /* the marked cookie */
	uint32_t peer;		 /* Y, network order */
	uint64_t deadline_ns;
	unsigned int n;
	struct rsip_target to[FANOUT_HOSTS];
};

struct fanout {
	struct pending p[FANOUT_PENDING];
};

struct fanout *fanout_new(void)
{
	return calloc(1, sizeof(struct fanout));
}

void fanout_free(struct fanout *f)
{
	free(f);
}

/* The rsip_ike key of the client's cookie in Y's message, and Y. -EINVAL
 * when it is not an IKE message to 500/4500 (the rules said it was: the
 * maps changed, or a bug). */
static int ike_key(const struct pkt_ip *ip, struct rsip_ike_key *k, uint32_t *peer)
{
	const uint8_t *pl = ip->l4 + 8;
	size_t n = ip->l4_len;
	struct ike_hdr h;
	uint16_t dport;

	if (ip->proto != IPPROTO_UDP || n < 8)
		return -EINVAL;
	dport = pkt_get16(ip->l4 + 2);
	n -= 8;
	if (dport == IKE_NATT_PORT) {
		if (n < NON_ESP_MARKER_LEN || memcmp(pl, "\0\0\0\0", NON_ESP_MARKER_LEN))
			return -EINVAL;
		pl += NON_ESP_MARKER_LEN;
		n -= NON_ESP_MARKER_LEN;
	} else if (dport != IKE_PORT) {
		return -EINVAL;
	}
	if (n < sizeof(h))
		return -EINVAL;
	memcpy(&h, pl, sizeof(h));
	memset(k, 0, sizeof(*k));
	k->nb = ip->dst;
	k->port = htons(dport);
	k->kind = RSIP_IKE_KIND_COOKIE;
	if (ike_client_cookie(&h, false, k->cookie) < 0)
		return -EINVAL;
	*peer = ip->src;
	return 0;
}

static struct pending *find(struct fanout *f, const struct rsip_ike_key *k, uint32_t peer)
{
	for (unsigned int i = 0; i < FANOUT_PENDING; i++)
		if (f->p[i].used && f->p[i].peer == peer && !memcmp(&f->p[i].key, k, sizeof(*k)))
			return &f->p[i];
	return NULL;
}

/* A free slot, unless the table or the peer's share of it is full. */
static struct pending *slot(struct fanout *f, uint32_t peer)
{
	struct pending *free_slot = NULL;
	unsigned int mine = 0;

	for (unsigned int i = 0; i < FANOUT_PENDING; i++) {
		if (!f->p[i].used) {
			if (!free_slot)
				free_slot = &f->p[i];
		} else if (f->p[i].peer == peer) {
			mine++;
		}
	}
	return mine < FANOUT_PER_PEER ? free_slot : NULL;
}

/* The clients with a learned cookie on (Nb, port) that names Y: one walk
 * of rsip_ike (it holds a few entries per client; this runs only for a
 * protected message nobody claimed, at most FANOUT_PENDING at a time). */
static unsigned int candidates(const struct dp_view *v, const struct rsip_ike_key *k, uint32_t peer,
			       struct rsip_target *to)
{
	struct rsip_ike_key cur, next;
	struct rsip_target t;
	unsigned int n = 0;
	bool first = true;

	while (n < FANOUT_HOSTS && v->next_key(v->arg, DPM_IKE, first ? NULL : &cur, &next) == 0) {
		unsigned int i;

		first = false;
		cur = next;
		if (cur.kind != RSIP_IKE_KIND_COOKIE || cur.nb != k->nb || cur.port != k->port)
			continue;
		if (v->lookup(v->arg, DPM_IKE, &cur, &t) < 0 || !(t.flags & RSIP_TF_LEARNED) ||
		    (t.flags & RSIP_TF_IKE_FANOUT) || !t.xa || t.remote != peer)
			continue;
		for (i = 0; i < n && to[i].xa != t.xa; i++)
			;
		if (i == n)
			to[n++] = t;
	}
	return n;
}

int fanout_packet(struct fanout *f, const struct dp_view *v, const struct pkt_ip *ip,
		  uint64_t now_ns, struct rsip_target out[FANOUT_HOSTS], uint64_t *ctr)
{
	struct rsip_target mark = {0};
	struct rsip_ike_key k;
	struct pending *p;
	uint32_t peer;
	int rc;

	if (ike_key(ip, &k, &peer) < 0) {
		ctr[SC_WAN_DROP_MALFORMED]++;
		return 0;
	}
	p = find(f, &k, peer);
	if (p) { /* Y retransmitted: the same candidates again */
		ctr[SC_FANOUT_REPEATED]++;
		memcpy(out, p->to, p->n * sizeof(*out));
		return (int)p->n;
	}
	if (!v->next_key || !v->del || !(p = slot(f, peer))) {
		ctr[SC_FANOUT_FULL]++;
		return 0;
	}
	p->n = candidates(v, &k, peer, p->to);
	if (!p->n) {
		ctr[SC_FANOUT_NO_CANDIDATE]++;
		return 0;
	}
	mark.flags = RSIP_TF_LEARNED | RSIP_TF_IKE_FANOUT;
	mark.seen = rsip_seen_at(0, now_ns);
	rc = v->update(v->arg, DPM_IKE, &k, &mark, BPF_NOEXIST);
	if (rc == -EEXIST) {
		/* A client claimed it meanwhile: Y's retransmission goes to it. */
		ctr[SC_FANOUT_RACED]++;
		return 0;
	}
	if (rc < 0) {
		ctr[SC_FANOUT_FULL]++;
		log_debug("slow path: IKE fan-out: cannot mark the cookie: %s", strerror(-rc));
		return 0;
	}
	p->used = true;
	p->key = k;
	p->peer = peer;
	p->deadline_ns = now_ns + FANOUT_TTL_S * NSEC;
	ctr[SC_FANOUT_STARTED]++;
	memcpy(out, p->to, p->n * sizeof(*out));
	return (int)p->n;
}

void fanout_tick(struct fanout *f, const struct dp_view *v, uint64_t now_ns, uint64_t *ctr)
{
	for (unsigned int i = 0; i < FANOUT_PENDING; i++) {
		struct pending *p = &f->p[i];
		struct rsip_target t;
		bool marked;

		if (!p->used)
			continue;
		marked =
		    v->lookup(v->arg, DPM_IKE, &p->key, &t) == 0 && (t.flags & RSIP_TF_IKE_FANOUT);
		if (!marked) {
			ctr[SC_FANOUT_ANSWERED]++; /* a client took it (or the sweep did) */
		} else if (now_ns >= p->deadline_ns) {
			v->del(v->arg, DPM_IKE, &p->key);
			ctr[SC_FANOUT_EXPIRED]++;
		} else {
			continue;
		}
		memset(p, 0, sizeof(*p));
	}
}
