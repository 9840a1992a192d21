// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpx: housekeeping of what the LAN program learned (idle IKE cookies, echo
 * ids, outbound SPIs) and, after a restart, of what no lease claims any more.
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

/* Every key of a map, so entries can be deleted without disturbing the
 * walk (a hash map walk restarts when its current key goes away). */
static int map_keys(struct dpx *x, int fd, unsigned int klen, struct dpx_set *out)
{
	uint8_t key[DPX_KEY_MAX], next[DPX_KEY_MAX];
	bool first = true;
	int err;

	while ((err = dpx_next_key(x, fd, first ? NULL : key, next)) == 0) {
		first = false;
		memcpy(key, next, klen);
		if (!set_add(out, fd, key, klen, NULL, 0, 0))
			return -ENOMEM;
	}
	return err == -ENOENT ? 0 : err;
}

/* Takes n learned cookies/echo ids and n_out outbound SPIs off a client's
 * count, each half floored at 0 (RSIP_LEARNED_*; read-modify-write: the LAN
 * program may add one meanwhile; the next sweep's count is then off by that
 * one until it expires, which the cap tolerates). */
static int uncount(struct dpx *x, __be32 xa, uint32_t n, uint32_t n_out)
{
	struct rsip_client v;
	int err = dpx_lookup(x, x->m.clients, &xa, &v);
	uint32_t lo, hi;

	if (err)
		return err == -ENOENT ? 0 : err;
	lo = RSIP_LEARNED_COOKIES(v.cookies);
	hi = RSIP_LEARNED_OUT_SPIS(v.cookies);
	lo = lo > n ? lo - n : 0;
	hi = hi > n_out ? hi - n_out : 0;
	v.cookies = hi * RSIP_LEARNED_OUT_SPI + lo;
	err = dpx_raw_update(x, x->m.clients, &xa, &v, BPF_EXIST);
	return err == -ENOENT ? 0 : err;
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
	int err = map_keys(x, fd, klen, &keys);

	for (size_t i = 0; !err && i < keys.n; i++) {
		struct xa_count probe, *c;
		void *node;

		if (dpx_lookup(x, fd, keys.e[i].key, &t))
			continue;
		if (!(t.flags & RSIP_TF_LEARNED) || now_ns < t.last_seen_ns ||
		    now_ns - t.last_seen_ns <= idle_of(fd, x, keys.e[i].key, idle_ns))
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
			c = calloc(1, sizeof(*c));
			if (!c || !tsearch(c, counts, xa_cmp)) {
				free(c);
				err = -ENOMEM;
				break;
			}
			c->xa = t.xa;
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
	err = uncount(uncount_x, c->xa, c->n, 0);
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
		err = map_keys(x, x->m.out_spi, sizeof(struct rsip_out_key), &keys);
	for (size_t i = 0; !err && i < keys.n; i++) {
		struct rsip_out_val v;

		struct in_addr xa;

		if (dpx_lookup(x, x->m.out_spi, keys.e[i].key, &v))
			continue;
		/* An outbound SA of a host that is gone goes at once, idle or
		 * not: another host may get its address next, and ICMP errors
		 * quoting the old SA must not reach it. */
		xa.s_addr = v.xa;
		if (find_client(x, xa) &&
		    (now_ns < v.last_seen_ns || now_ns - v.last_seen_ns <= idle_ns))
			continue;
		err = dpx_raw_delete(x, x->m.out_spi, keys.e[i].key);
		if (err == -ENOENT) {
			err = 0;
		} else if (!err) {
			r.out_spis++;
			/* charged to a client that may still be there */
			err = uncount(x, v.xa, 0, 1);
		}
	}
	set_free(&keys);
	if (res)
		*res = r;
	return err;
}

/* --- restart: write the restored clients, delete what nobody claims ------ */

struct claim_ctx {
	struct dpx *x;
	struct dpx_set *claimed;
	int err;
};

static struct claim_ctx *claim_ctx;

static void claim_walk(const void *node, VISIT which, int depth)
{
	const struct dpx_client *c = *(const struct dpx_client *const *)node;

	if (which != postorder && which != leaf)
		return;
	if (!claim_ctx->err)
		claim_ctx->err = client_entries(claim_ctx->x, c, claim_ctx->claimed);
}

static void dirty_walk(const void *node, VISIT which, int depth)
{
	struct dpx_client *c = *(struct dpx_client *const *)node;
	struct dpx_txn t;

	if ((which != postorder && which != leaf) || !c->dirty || claim_ctx->err)
		return;
	txn_begin(&t, claim_ctx->x);
	claim_ctx->err = put_client(&t, c);
	txn_commit(&t); /* each client entry stands alone */
	if (!claim_ctx->err)
		c->dirty = false;
}

/* Deletes the keys of fd that are_claimed() refuses. */
static int prune_map(struct dpx *x, int fd, unsigned int klen, unsigned int vlen,
		     bool (*keep)(struct dpx *x, const struct dpx_set *claimed, int fd,
				  const void *key, const void *val),
		     const struct dpx_set *claimed, int *deleted)
{
	struct dpx_set keys = {0};
	uint8_t val[DPX_VAL_MAX];
	int err = map_keys(x, fd, klen, &keys);

	for (size_t i = 0; !err && i < keys.n; i++) {
		if (dpx_lookup(x, fd, keys.e[i].key, val))
			continue;
		if (keep(x, claimed, fd, keys.e[i].key, val))
			continue;
		err = dpx_raw_delete(x, fd, keys.e[i].key);
		if (err == -ENOENT)
			err = 0;
		else if (!err)
			(*deleted)++;
	}
	set_free(&keys);
	return err;
}

static bool keep_claimed(struct dpx *x, const struct dpx_set *claimed, int fd, const void *key,
			 const void *val)
{
	unsigned int klen = fd == x->m.ports	 ? sizeof(struct rsip_port_key)
			    : fd == x->m.spi	 ? sizeof(struct rsip_spi_key)
			    : fd == x->m.spi_blk ? sizeof(struct rsip_blk_key)
						 : sizeof(__be32);

	return set_find(claimed, fd, key, klen) != NULL;
}

static bool keep_client(struct dpx *x, const struct dpx_set *claimed, int fd, const void *key,
			const void *val)
{
	struct in_addr xa;

	memcpy(&xa.s_addr, key, sizeof(xa.s_addr));
	return find_client(x, xa) != NULL;
}

static bool keep_learned(struct dpx *x, const struct dpx_set *claimed, int fd, const void *key,
			 const void *val)
{
	const struct rsip_target *t = val;
	struct in_addr xa = {.s_addr = t->xa};

	return find_client(x, xa) != NULL;
}

static bool keep_out_spi(struct dpx *x, const struct dpx_set *claimed, int fd, const void *key,
			 const void *val)
{
	const struct rsip_out_val *v = val;
	struct in_addr xa = {.s_addr = v->xa};

	return find_client(x, xa) != NULL;
}

/* rsip_nb: pool addresses stay (shared unless a binding leases them whole:
 * a stale whole lease reverts to shared); others go. */
static int prune_nb(struct dpx *x, const struct dpx_set *claimed, int *deleted)
{
	struct dpx_set keys = {0};
	int err = map_keys(x, x->m.nb, sizeof(__be32), &keys);

	for (size_t i = 0; !err && i < keys.n; i++) {
		struct in_addr nb;
		struct rsip_nb_val v, shared = {0};

		memcpy(&nb.s_addr, keys.e[i].key, sizeof(nb.s_addr));
		if (set_find(claimed, x->m.nb, &nb.s_addr, sizeof(nb.s_addr)))
			continue;
		if (!nb_in_pool(x, nb)) {
			err = dpx_raw_delete(x, x->m.nb, &nb.s_addr);
			if (err == -ENOENT)
				err = 0;
			else if (!err)
				(*deleted)++;
			continue;
		}
		if (dpx_lookup(x, x->m.nb, &nb.s_addr, &v) == 0 && v.flags != 0) {
			err = dpx_raw_update(x, x->m.nb, &nb.s_addr, &shared, BPF_ANY);
			if (!err)
				(*deleted)++;
		}
	}
	set_free(&keys);
	return err;
}

int dpx_restore_end(struct dpx *x)
{
	struct dpx_set claimed = {0};
	struct claim_ctx ctx = {.x = x, .claimed = &claimed};
	int deleted = 0, err;

	x->restoring = false;
	claim_ctx = &ctx;
	twalk(x->clients, dirty_walk);
	err = ctx.err;
	if (!err) {
		twalk(x->clients, claim_walk);
		err = ctx.err;
	}
	claim_ctx = NULL;
	set_sort(&claimed);
	if (!err)
		err = prune_nb(x, &claimed, &deleted);
	if (!err)
		err = prune_map(x, x->m.ports, sizeof(struct rsip_port_key),
				sizeof(struct rsip_target), keep_claimed, &claimed, &deleted);
	if (!err)
		err = prune_map(x, x->m.spi, sizeof(struct rsip_spi_key),
				sizeof(struct rsip_target), keep_claimed, &claimed, &deleted);
	if (!err)
		err = prune_map(x, x->m.spi_blk, sizeof(struct rsip_blk_key),
				sizeof(struct rsip_target), keep_claimed, &claimed, &deleted);
	if (!err)
		err = prune_map(x, x->m.clients, sizeof(__be32), sizeof(struct rsip_client),
				keep_client, &claimed, &deleted);
	if (!err)
		err = prune_map(x, x->m.ike, sizeof(struct rsip_ike_key),
				sizeof(struct rsip_target), keep_learned, &claimed, &deleted);
	if (!err)
		err = prune_map(x, x->m.icmp_id, sizeof(struct rsip_icmp_key),
				sizeof(struct rsip_target), keep_learned, &claimed, &deleted);
	if (!err)
		err = prune_map(x, x->m.out_spi, sizeof(struct rsip_out_key),
				sizeof(struct rsip_out_val), keep_out_spi, &claimed, &deleted);
	set_free(&claimed);
	if (err) {
		log_warnx("dpx: reconciling the maps after a restart failed: %s", strerror(-err));
		return err;
	}
	if (deleted)
		log_info("dpx: removed %d stale data plane entries", deleted);
	return deleted;
}
