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

/* Entries per batch: one system call reads this many (a kernel hash map
 * may return fewer, stopping at a bucket's end). */
#define DPX_BATCH 128

static int map_read_batch(struct dpx *x, int fd, unsigned int klen, unsigned int vlen,
			  struct dpx_set *out)
{
	uint8_t keys[DPX_BATCH * DPX_KEY_MAX], vals[DPX_BATCH * DPX_VAL_MAX];
	uint8_t in[DPX_KEY_MAX], next[DPX_KEY_MAX];
	bool first = true;
	int err;

	do {
		uint32_t n = DPX_BATCH;

		err = dpx_lookup_batch(x, fd, first ? NULL : in, next, keys, vals, &n);
		if (err && err != -ENOENT)
			return err;
		for (uint32_t i = 0; i < n; i++)
			if (!set_add(out, fd, keys + i * klen, klen, vals + i * vlen, vlen, 0))
				return -ENOMEM;
		memcpy(in, next, sizeof(in));
		first = false;
		if (!err && !n) /* no progress: do not spin */
			return -EIO;
	} while (!err);
	return 0;
}

/* Every entry (key and value) of a map, read before anything is deleted
 * (a hash map walk restarts when its current key goes away). In batches
 * (bpf_map_lookup_batch: one system call per DPX_BATCH entries, not two per
 * entry: the idle sweep reads up to the whole of the learned maps every
 * interval); key by key when the ops or the map have no batches (or a
 * batch fails: a bucket longer than DPX_BATCH says ENOSPC). An entry deleted
 * meanwhile is not in the result. */
static int map_read(struct dpx *x, int fd, unsigned int klen, unsigned int vlen,
		    struct dpx_set *out)
{
	uint8_t key[DPX_KEY_MAX], next[DPX_KEY_MAX], val[DPX_VAL_MAX];
	bool first = true;
	size_t n0 = out->n;
	int err;

	if (klen > DPX_KEY_MAX || vlen > DPX_VAL_MAX)
		return -EINVAL;
	err = map_read_batch(x, fd, klen, vlen, out);
	if (!err || err == -ENOMEM)
		return err;
	out->n = n0;
	while ((err = dpx_next_key(x, fd, first ? NULL : key, next)) == 0) {
		first = false;
		memcpy(key, next, klen);
		err = dpx_lookup(x, fd, key, val);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		if (!set_add(out, fd, key, klen, val, vlen, 0))
			return -ENOMEM;
	}
	return err == -ENOENT ? 0 : err;
}

/* An entry read in a batch may have been used since: idle decisions are
 * taken again on the live value, just before the delete. */
static bool idle(uint64_t now_ns, uint64_t last_seen_ns, uint64_t idle_ns)
{
	return now_ns >= last_seen_ns && now_ns - last_seen_ns > idle_ns;
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

static int sweep_targets(struct dpx *x, int fd, unsigned int klen, uint64_t now_ns,
			 uint64_t idle_ns, void **counts, unsigned int *swept)
{
	struct dpx_set keys = {0};
	struct rsip_target t;
	int err = map_read(x, fd, klen, sizeof(t), &keys);

	for (size_t i = 0; !err && i < keys.n; i++) {
		struct xa_count probe, *c;
		void *node;

		memcpy(&t, keys.e[i].val, sizeof(t));
		if (!(t.flags & RSIP_TF_LEARNED) || !idle(now_ns, t.last_seen_ns, idle_ns))
			continue;
		if (dpx_lookup(x, fd, keys.e[i].key, &t) || !idle(now_ns, t.last_seen_ns, idle_ns))
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
		err = map_read(x, x->m.out_spi, sizeof(struct rsip_out_key),
			       sizeof(struct rsip_out_val), &keys);
	for (size_t i = 0; !err && i < keys.n; i++) {
		struct rsip_out_val v;
		struct in_addr xa;
		bool gone;

		/* An outbound SA of a host that is gone goes at once, idle or
		 * not: another host may get its address next, and ICMP errors
		 * quoting the old SA must not reach it. */
		memcpy(&v, keys.e[i].val, sizeof(v));
		xa.s_addr = v.xa;
		gone = !find_client(x, xa);
		if (!gone && !idle(now_ns, v.last_seen_ns, idle_ns))
			continue;
		if (dpx_lookup(x, x->m.out_spi, keys.e[i].key, &v))
			continue;
		xa.s_addr = v.xa;
		if (find_client(x, xa) && !idle(now_ns, v.last_seen_ns, idle_ns))
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
	int err = map_read(x, fd, klen, vlen, &keys);

	for (size_t i = 0; !err && i < keys.n; i++) {
		if (keep(x, claimed, fd, keys.e[i].key, keys.e[i].val))
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
	int err = map_read(x, x->m.nb, sizeof(__be32), sizeof(struct rsip_nb_val), &keys);

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
