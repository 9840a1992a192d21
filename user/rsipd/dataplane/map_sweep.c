// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpx: housekeeping of what the LAN program learned (idle IKE cookies, echo
 * ids, outbound SPIs). What a restart leaves behind: map_restore.c.
 */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maps_internal.h"
#include "log.h"

uint64_t dpx_now_ns(void)
{
	struct timespec ts;

	/* bpf_ktime_get_coarse_ns() is CLOCK_MONOTONIC (coarse). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An entry read with dpx_dump (in batches: one system call per chunk
 * instead of a key step and a lookup per entry) may have been used since:
 * the idle decision is taken again on the live value just before the
 * delete. */
static bool idle(uint64_t now_ns, const struct rsip_seen *seen, uint64_t idle_ns)
{
	uint64_t last_ns = rsip_seen_ns(seen);

	return now_ns >= last_ns && now_ns - last_ns > idle_ns;
}

/* RSIP_LREQ_BUSY means other CPUs' adds kept landing between the
 * program's read and its swap: each time is progress for them, so a few
 * runs more settle it. */
#define LEARNED_RUNS 8

int learned_count_add(struct dpx *x, __be32 xa, int d_cookies, int d_out, bool cap)
{
	struct rsip_learned_req req = {
	    .xa = xa, .d_cookies = d_cookies, .d_out = d_out, .flags = cap ? RSIP_LREQ_F_CAP : 0};

	for (int i = 0; i < LEARNED_RUNS; i++) {
		int err;

		req.result = 0;
		err = x->ops->learned_add(x->ops->arg, x->m.learned, &req);
		if (err)
			return err;
		switch (req.result) {
		case RSIP_LREQ_DONE:
			return 0;
		case RSIP_LREQ_NO_CLIENT:
			return -ENOENT;
		case RSIP_LREQ_OVER_CAP:
			return -EDQUOT;
		case RSIP_LREQ_BUSY:
			continue;
		default:
			log_warnx("dpx: the rsip_learned program answered %u", req.result);
			return -EPROTO;
		}
	}
	return -EBUSY;
}

struct xa_count {
	__be32 xa;
	uint32_t n;
};

static int xa_cmp(const void *a, const void *b)
{
	const struct xa_count *x = a, *y = b;

	return x->xa == y->xa ? 0 : (x->xa < y->xa ? -1 : 1);
}

/* A peer entry of rsip_ike (RSIP_IKE_KIND_PEER) is what routes the rekey a
 * peer starts after hours of IKE silence (strongSwan rekeys an IKE SA after
 * 4 h by default; the client's own cookie may have gone idle long before):
 * it stays a day unless its client leaves first. */
#define PEER_IDLE_NS (24ull * 3600 * 1000000000ull)

static uint64_t idle_of(int fd, const struct dpx *x, const void *key, uint64_t idle_ns)
{
	const struct rsip_ike_key *k = key;

	if (fd == x->m.ike && k->kind == RSIP_IKE_KIND_PEER && idle_ns < PEER_IDLE_NS)
		return PEER_IDLE_NS;
	return idle_ns;
}

static int sweep_targets(struct dpx *x, int fd, unsigned int klen, uint64_t now_ns,
			 uint64_t idle_ns, void **counts, unsigned int *swept)
{
	struct dpx_set keys = {0};
	struct rsip_target t;
	int err = dpx_dump(x, fd, klen, sizeof(t), 0, &keys);

	for (size_t i = 0; !err && i < keys.n; i++) {
		uint64_t idle_here = idle_of(fd, x, keys.e[i].key, idle_ns);
		struct xa_count probe, *c;
		void *node;

		memcpy(&t, keys.e[i].val, sizeof(t));
		if (!(t.flags & RSIP_TF_LEARNED) || !idle(now_ns, &t.seen, idle_here))
			continue;
		if (dpx_lookup(x, fd, keys.e[i].key, &t) || !idle(now_ns, &t.seen, idle_here))
			continue;
		err = dpx_raw_delete(x, fd, keys.e[i].key);
		if (err == -ENOENT) {
			err = 0;
			continue;
		}
		if (err)
			break;
		(*swept)++;
		probe.xa = t.xa;
		node = tfind(&probe, counts, xa_cmp);
		if (!node) {
			/* The key before the insert: inserted with xa 0 and
			 * named afterwards, a node met an idle fan-out mark's
			 * (xa 0) as equal, tsearch returned that one, and the
			 * client's count went into a node outside the tree
			 * (lost, and leaked). */
			c = calloc(1, sizeof(*c));
			if (c)
				c->xa = t.xa;
			if (!c || !tsearch(c, counts, xa_cmp)) {
				free(c);
				err = -ENOMEM;
				break;
			}
		} else {
			c = *(struct xa_count **)node;
		}
		c->n++;
	}
	set_free(&keys);
	return err;
}

static struct dpx *uncount_x;
static int uncount_err;

static void uncount_walk(const void *node, VISIT which, int depth)
{
	const struct xa_count *c = *(const struct xa_count *const *)node;
	int err;

	if (which != postorder && which != leaf)
		return;
	err = learned_count_add(uncount_x, c->xa, -(int)c->n, 0, false);
	if (err == -ENOENT)
		err = 0; /* a host that is gone: no count to take them off */
	if (err && !uncount_err)
		uncount_err = err;
}

int dpx_sweep(struct dpx *x, uint64_t now_ns, uint64_t idle_ns, struct dpx_sweep_result *res)
{
	struct dpx_set keys = {0};
	struct dpx_sweep_result r = {0};
	void *counts = NULL;
	int err;

	err = sweep_targets(x, x->m.ike, sizeof(struct rsip_ike_key), now_ns, idle_ns, &counts,
			    &r.cookies);
	if (!err)
		err = sweep_targets(x, x->m.icmp_id, sizeof(struct rsip_icmp_key), now_ns, idle_ns,
				    &counts, &r.icmp_ids);
	/* Whatever was deleted comes off the counts, even after an error. */
	uncount_x = x;
	uncount_err = 0;
	twalk(counts, uncount_walk);
	tdestroy(counts, free);
	if (!err)
		err = uncount_err;

	if (!err)
		err = dpx_dump(x, x->m.out_spi, sizeof(struct rsip_out_key),
			       sizeof(struct rsip_out_val), 0, &keys);
	for (size_t i = 0; !err && i < keys.n; i++) {
		struct rsip_out_val v;
		struct in_addr xa;

		/* An outbound SA of a host that is gone goes at once, idle or
		 * not: another host may get its address next, and ICMP errors
		 * quoting the old SA must not reach it. */
		memcpy(&v, keys.e[i].val, sizeof(v));
		xa.s_addr = v.xa;
		if (find_client(x, xa) && !idle(now_ns, &v.seen, idle_ns))
			continue;
		if (dpx_lookup(x, x->m.out_spi, keys.e[i].key, &v))
			continue;
		xa.s_addr = v.xa;
		if (find_client(x, xa) && !idle(now_ns, &v.seen, idle_ns))
			continue;
		err = dpx_raw_delete(x, x->m.out_spi, keys.e[i].key);
		if (err == -ENOENT) {
			err = 0;
		} else if (!err) {
			r.out_spis++;
			/* charged to a client that may still be there */
			err = learned_count_add(x, v.xa, 0, -1, false);
			if (err == -ENOENT)
				err = 0;
		}
	}
	set_free(&keys);
	if (res)
		*res = r;
	return err;
}
