// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "clock.h"
#include "pkt.h"
#include "reasm.h"

#define REASM_BUCKETS 1024 /* power of two */
#define IP_MAX_HLEN   60

struct frag {
	struct frag *next; /* ascending offset */
	uint16_t off, len;
	uint8_t data[];
};

struct rq_key {
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto;
};

struct rqueue {
	struct rq_key key;
	LIST_ENTRY(rqueue) hash;
	TAILQ_ENTRY(rqueue) age; /* oldest first */
	uint64_t born_ms;
	struct frag *frags;
	uint32_t nfrags;
	size_t bytes;
	bool have_last;
	uint32_t total; /* payload length, known once the last fragment came */
	uint8_t hdr[IP_MAX_HLEN];
	size_t hlen; /* 0 until the first fragment came */
};

LIST_HEAD(rq_list, rqueue);
TAILQ_HEAD(rq_age, rqueue);

struct reasm {
	struct reasm_cfg cfg;
	struct rq_list buckets[REASM_BUCKETS];
	struct rq_age by_age;
	struct reasm_stats st;
};

static uint64_t now(const struct reasm *r)
{
	return r->cfg.now_ms ? r->cfg.now_ms(r->cfg.clock_arg) : mono_ms();
}

static unsigned int rq_hash(const struct rq_key *k)
{
	uint32_t h = k->src * 0x9e3779b1u;

	h ^= k->dst + 0x7f4a7c15u + (h << 6) + (h >> 2);
	h ^= ((uint32_t)k->id << 8 | k->proto) * 0x85ebca6bu;
	h ^= h >> 15;
	return h & (REASM_BUCKETS - 1);
}

static bool key_eq(const struct rq_key *a, const struct rq_key *b)
{
	return a->src == b->src && a->dst == b->dst && a->id == b->id && a->proto == b->proto;
}

struct reasm *reasm_new(const struct reasm_cfg *cfg)
{
	struct reasm *r = calloc(1, sizeof(*r));
	size_t i;

	if (!r)
		return NULL;
	if (cfg)
		r->cfg = *cfg;
	if (!r->cfg.timeout_ms)
		r->cfg.timeout_ms = REASM_DEF_TIMEOUT_MS;
	if (!r->cfg.max_bytes)
		r->cfg.max_bytes = REASM_DEF_MAX_BYTES;
	if (!r->cfg.max_queues)
		r->cfg.max_queues = REASM_DEF_MAX_QUEUES;
	if (!r->cfg.max_frags)
		r->cfg.max_frags = REASM_DEF_MAX_FRAGS;
	for (i = 0; i < REASM_BUCKETS; i++)
		LIST_INIT(&r->buckets[i]);
	TAILQ_INIT(&r->by_age);
	return r;
}

static void rq_drop(struct reasm *r, struct rqueue *q)
{
	struct frag *f, *n;

	for (f = q->frags; f; f = n) {
		n = f->next;
		free(f);
	}
	r->st.bytes_held -= q->bytes;
	r->st.queues--;
	LIST_REMOVE(q, hash);
	TAILQ_REMOVE(&r->by_age, q, age);
	free(q);
}

void reasm_free(struct reasm *r)
{
	struct rqueue *q;

	if (!r)
		return;
	while ((q = TAILQ_FIRST(&r->by_age)))
		rq_drop(r, q);
	free(r);
}

void reasm_expire(struct reasm *r)
{
	uint64_t t = now(r);
	struct rqueue *q;

	while ((q = TAILQ_FIRST(&r->by_age)) && t - q->born_ms >= r->cfg.timeout_ms) {
		r->st.timeouts++;
		rq_drop(r, q);
	}
}

/* Evict the oldest datagrams (never keep) until need more bytes fit. */
static bool make_room(struct reasm *r, size_t need, const struct rqueue *keep)
{
	struct rqueue *q, *n;

	for (q = TAILQ_FIRST(&r->by_age); q && r->st.bytes_held + need > r->cfg.max_bytes; q = n) {
		n = TAILQ_NEXT(q, age);
		if (q == keep)
			continue;
		r->st.evicted++;
		rq_drop(r, q);
	}
	return r->st.bytes_held + need <= r->cfg.max_bytes;
}

static struct rqueue *rq_find_or_new(struct reasm *r, const struct rq_key *k)
{
	struct rq_list *b = &r->buckets[rq_hash(k)];
	struct rqueue *q;

	LIST_FOREACH(q, b, hash)
	{
		if (key_eq(&q->key, k))
			return q;
	}
	if (r->st.queues >= r->cfg.max_queues) {
		r->st.evicted++;
		rq_drop(r, TAILQ_FIRST(&r->by_age));
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->key = *k;
	q->born_ms = now(r);
	LIST_INSERT_HEAD(b, q, hash);
	TAILQ_INSERT_TAIL(&r->by_age, q, age);
	r->st.queues++;
	return q;
}

/* True when the fragments cover [0, total) without a hole. */
static bool rq_complete(const struct rqueue *q)
{
	const struct frag *f;
	uint32_t next = 0;

	if (!q->have_last || !q->hlen)
		return false;
	for (f = q->frags; f; f = f->next) {
		if (f->off != next)
			return false;
		next += f->len;
	}
	return next == q->total;
}

static int rq_build(struct reasm *r, struct rqueue *q, uint8_t **out, size_t *out_len)
{
	size_t len = q->hlen + q->total;
	const struct frag *f;
	uint8_t *p = malloc(len);
	uint16_t v;

	if (!p)
		return -ENOMEM;
	memcpy(p, q->hdr, q->hlen);
	for (f = q->frags; f; f = f->next)
		memcpy(p + q->hlen + f->off, f->data, f->len);
	v = htons((uint16_t)len);
	memcpy(p + 2, &v, 2);
	/* Keep DF (and the reserved bit) as the first fragment had them. */
	p[6] &= 0x40 | 0x80;
	p[7] = 0;
	pkt_ip_set_csum(p, q->hlen);
	*out = p;
	*out_len = len;
	r->st.reassembled++;
	rq_drop(r, q);
	return 1;
}

int reasm_add(struct reasm *r, const uint8_t *pkt, size_t len, uint8_t **out, size_t *out_len)
{
	struct frag *f, **pp, *nf;
	struct rqueue *q;
	struct pkt_ip ip;
	struct rq_key k;
	uint32_t start, end;

	r->st.fragments++;
	reasm_expire(r);
	if (pkt_parse_ipv4(pkt, len, false, &ip) < 0 || !pkt_ip_is_fragment(&ip)) {
		r->st.malformed++;
		return -EINVAL;
	}
	start = ip.frag_off;
	end = start + (uint32_t)ip.l4_len;
	/* Every fragment but the last carries a multiple of 8 bytes. */
	if (ip.l4_len == 0 || (ip.mf && (ip.l4_len & 7))) {
		r->st.malformed++;
		return -EINVAL;
	}
	memset(&k, 0, sizeof(k));
	k.src = ip.src;
	k.dst = ip.dst;
	k.id = ip.id;
	k.proto = ip.proto;
	q = rq_find_or_new(r, &k);
	if (!q)
		return -ENOMEM;
	if (end + ip.hlen > PKT_IP_MAX_LEN || (q->hlen && end + q->hlen > PKT_IP_MAX_LEN)) {
		r->st.too_big++;
		rq_drop(r, q);
		return -EMSGSIZE;
	}
	/* A second "last" fragment that disagrees, or data past the end. */
	if ((!ip.mf && q->have_last && end != q->total) || (q->have_last && end > q->total)) {
		r->st.overlaps++;
		rq_drop(r, q);
		return -EPROTO;
	}
	for (pp = &q->frags; (f = *pp); pp = &f->next) {
		uint32_t fs = f->off, fe = f->off + f->len;

		if (fe <= start)
			continue;
		if (fs >= end)
			break;
		if (fs == start && fe == end && !memcmp(f->data, ip.l4, f->len)) {
			r->st.duplicates++;
			return -EEXIST;
		}
		r->st.overlaps++;
		rq_drop(r, q);
		return -EPROTO;
	}
	if (!ip.mf) {
		/* The last fragment: nothing may lie beyond it. */
		const struct frag *t;

		for (t = q->frags; t; t = t->next) {
			if (t->off + t->len > end) {
				r->st.overlaps++;
				rq_drop(r, q);
				return -EPROTO;
			}
		}
	}
	if (q->nfrags >= r->cfg.max_frags) {
		r->st.too_many++;
		rq_drop(r, q);
		return -E2BIG;
	}
	if (!make_room(r, ip.l4_len, q)) {
		r->st.evicted++;
		rq_drop(r, q);
		return -ENOMEM;
	}
	nf = malloc(sizeof(*nf) + ip.l4_len);
	if (!nf)
		return -ENOMEM;
	nf->off = (uint16_t)start;
	nf->len = (uint16_t)ip.l4_len;
	memcpy(nf->data, ip.l4, ip.l4_len);
	nf->next = *pp;
	*pp = nf;
	q->nfrags++;
	q->bytes += ip.l4_len;
	r->st.bytes_held += ip.l4_len;
	if (!ip.mf) {
		q->have_last = true;
		q->total = end;
	}
	if (start == 0) {
		memcpy(q->hdr, ip.hdr, ip.hlen);
		q->hlen = ip.hlen;
	}
	if (rq_complete(q))
		return rq_build(r, q, out, out_len);
	return 0;
}

const struct reasm_stats *reasm_stats(const struct reasm *r)
{
	return &r->st;
}
