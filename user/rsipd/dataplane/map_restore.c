// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpx: the end of a restart (dpx_restore_end, maps.h). While the engine
 * re-added its leases only the mirror changed; here the maps are read once,
 * compared with what the mirror claims, and moved over in batches:
 *   0. each restored binding and client takes the counter slot its live
 *      entries carry (map_bind_stats.c), so its counts go on; one without
 *      gets a new, zeroed slot;
 *   1. each restored client takes the MAC, ifindex and learned-entry cap of
 *      its live entry (same Client ID) unless rsipd learned newer ones;
 *   2. what is claimed and missing, or differs in its configuration part, is
 *      written; a rewrite keeps the live counters; identical entries are not
 *      touched;
 *   3. then (no gap for traffic) what nobody claims goes: stale ports, SPIs,
 *      blocks and clients; learned entries of clients that are gone; a whole
 *      Nb lease nobody claims reverts to shared (pool) or goes.
 * Linear in the number of entries: one sort of each set, binary searches.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "maps_internal.h"
#include "log.h"

struct restore_ctx {
	struct dpx *x;
	const struct dpx_set *live;
	struct dpx_set claimed, scratch;
	struct dpx_client **moved; /* link changed while learned entries exist */
	size_t nmoved;
	int err;
};

/* The target inside a live entry of a binding map, or NULL (learned maps,
 * clients, a shared Nb). */
static bool live_target(const struct dpx *x, const struct dpx_entry *e, struct rsip_target *t)
{
	if (e->fd == x->m.nb) {
		struct rsip_nb_val v;

		memcpy(&v, e->val, sizeof(v));
		if (!(v.flags & RSIP_NB_WHOLE))
			return false;
		*t = v.whole;
		return true;
	}
	if ((dir_on(x) && e->fd == x->m.spi_dir) || (port_dir_on(x) && e->fd == x->m.port_dir)) {
		memcpy(t, e->val + offsetof(struct rsip_dir_val, t), sizeof(*t));
		return true;
	}
	if (e->fd == x->m.ports || e->fd == x->m.spi || e->fd == x->m.spi_blk) {
		memcpy(t, e->val, sizeof(*t));
		return true;
	}
	return false;
}

/* Step 0 for a client: the slot of its live entry (same Client ID). */
static bool client_slot_adopt(struct dpx *x, const struct dpx_set *live, struct dpx_client *c)
{
	const struct dpx_entry *e =
	    set_find(live, x->m.clients, &c->xa.s_addr, sizeof(c->xa.s_addr));
	struct rsip_client v;

	if (!e)
		return false;
	memcpy(&v, e->val, sizeof(v));
	if (v.client_id != c->client_id || !bind_slots_claim(&x->slots, v.stat_slot))
		return false;
	c->slot = v.stat_slot;
	return true;
}

/* Step 0. All claims first, then new slots: a new slot never takes one a
 * live entry still carries. */
static int slots_adopt(struct dpx *x, const struct dpx_set *live)
{
	struct dpx_client *c, *ctmp;
	struct dpx_bind *b, *tmp;
	unsigned int adopted = 0, fresh = 0;

	HASH_ITER(hh, x->clients, c, ctmp)
	{
		if (client_slot_adopt(x, live, c))
			adopted++;
	}
	for (size_t i = 0; i < live->n; i++) {
		struct rsip_target t;

		if (!live_target(x, &live->e[i], &t))
			continue;
		b = find_bind(x, t.bind_id);
		/* Another host's binding of the previous run, or a slot already
		 * adopted (a binding has one slot; its other entries agree). */
		if (!b || b->slot || b->c->xa.s_addr != t.xa)
			continue;
		if (bind_slots_claim(&x->slots, t.stat_slot)) {
			b->slot = t.stat_slot;
			adopted++;
		}
	}
	/* New slots: taken one by one, zeroed together (slots_zero). */
	uint32_t *zero =
	    malloc((HASH_COUNT(x->clients) + HASH_COUNT(x->binds) + 1) * sizeof(*zero));
	int err = zero ? 0 : -ENOMEM;

	HASH_ITER(hh, x->clients, c, ctmp)
	{
		if (err || c->slot)
			continue;
		err = slot_take_unzeroed(x, &c->slot, "client", c->client_id);
		if (!err && c->slot)
			zero[fresh++] = c->slot;
	}
	HASH_ITER(hh, x->binds, b, tmp)
	{
		if (err || b->slot)
			continue;
		err = slot_take_unzeroed(x, &b->slot, "binding", b->bind_id);
		if (!err && b->slot)
			zero[fresh++] = b->slot;
	}
	/* A map this start created is zero already (the kernel zeroes a new
	 * array, and no entry carries a slot before the writes below): a first
	 * start skips the 200,000 slots' writes of a 100,000-host restore. */
	if (zero && !x->m.bind_stats_new) {
		/* Even after a failed take: no slot handed out keeps old counts. */
		int zerr = slots_zero(x, zero, fresh);

		err = err ? err : zerr;
	}
	free(zero);
	if (err)
		return err;
	if (fresh)
		log_info("dpx: %u bindings and clients kept their counters, %u start from zero",
			 adopted, fresh);
	return 0;
}

/* Step 1 for one client, then its claims. */
static void claim_one(struct restore_ctx *r, struct dpx_client *c)
{
	const struct dpx_entry *e;
	struct rsip_client live;

	e = set_find(r->live, r->x->m.clients, &c->xa.s_addr, sizeof(c->xa.s_addr));
	if (e) {
		memcpy(&live, e->val, sizeof(live));
		if (live.client_id != c->client_id) {
			e = NULL; /* another host's entry of the previous run */
		} else if (!c->link_known) {
			memcpy(c->mac, live.mac, sizeof(c->mac));
			c->ifindex = live.lan_ifindex;
		} else if ((memcmp(c->mac, live.mac, 6) || c->ifindex != live.lan_ifindex) &&
			   RSIP_LEARNED_COOKIES(live.cookies)) {
			r->moved[r->nmoved++] = c;
		}
		if (e && !c->cap_known)
			c->cookie_cap = live.cookie_cap;
	}
	r->err = client_claims(r->x, c, &r->scratch, &r->claimed);
}

/* Step 2: claimed entries that are missing or differ, with live counters. */
static int to_write(const struct dpx_set *claimed, const struct dpx_set *live, struct dpx_set *out)
{
	for (size_t i = 0; i < claimed->n; i++) {
		const struct dpx_entry *c = &claimed->e[i];
		const struct dpx_entry *l = set_find(live, c->fd, c->key, c->klen);
		struct dpx_entry *w;

		if (l && memcmp(l->val, c->val, c->cfg_len) == 0)
			continue;
		w = set_add(out, c->fd, c->key, c->klen, c->val, c->vlen, c->cfg_len);
		if (!w)
			return -ENOMEM;
		if (l)
			memcpy(w->val + c->cfg_len, l->val + c->cfg_len, c->vlen - c->cfg_len);
	}
	return 0;
}

/* Step 3 for the maps compared in full: ports, SPIs, blocks, clients, Nb. */
static int to_prune(struct dpx *x, const struct dpx_set *claimed, const struct dpx_set *live,
		    struct dpx_set *writes, struct dpx_set *dels)
{
	for (size_t i = 0; i < live->n; i++) {
		const struct dpx_entry *l = &live->e[i];
		struct rsip_nb_val v, shared = {0};
		struct in_addr nb;

		if (set_find(claimed, l->fd, l->key, l->klen))
			continue;
		if (l->fd == x->m.nb) {
			memcpy(&nb.s_addr, l->key, sizeof(nb.s_addr));
			memcpy(&v, l->val, sizeof(v));
			if (nb_in_pool(x, nb)) {
				if (v.flags != 0 &&
				    !set_add(writes, l->fd, l->key, l->klen, &shared,
					     sizeof(shared), RSIP_NB_CFG_END))
					return -ENOMEM;
				continue;
			}
		}
		if (!set_add(dels, l->fd, l->key, l->klen, NULL, 0, 0))
			return -ENOMEM;
	}
	return 0;
}

/* Step 3 for learned entries: those of clients that are gone. xa_off: where
 * the owner's address sits in the value. */
static int prune_learned(struct dpx *x, int fd, unsigned int klen, unsigned int vlen, size_t xa_off,
			 struct dpx_set *dels)
{
	struct dpx_set all = {0};
	int err = dpx_dump(x, fd, klen, vlen, vlen, &all);

	for (size_t i = 0; !err && i < all.n; i++) {
		struct in_addr xa;

		memcpy(&xa.s_addr, all.e[i].val + xa_off, sizeof(xa.s_addr));
		if (!find_client(x, xa) && !set_add(dels, fd, all.e[i].key, klen, NULL, 0, 0))
			err = -ENOMEM;
	}
	set_free(&all);
	return err;
}

static int read_live(struct dpx *x, struct dpx_set *live)
{
	int err = dpx_dump(x, x->m.clients, sizeof(__be32), sizeof(struct rsip_client),
			   RSIP_CLIENT_CFG_END, live);

	if (!err)
		err = dpx_dump(x, x->m.nb, sizeof(__be32), sizeof(struct rsip_nb_val),
			       RSIP_NB_CFG_END, live);
	if (!err)
		err = dpx_dump(x, x->m.ports, sizeof(struct rsip_port_key),
			       sizeof(struct rsip_target), RSIP_TARGET_CFG_END, live);
	if (!err)
		err = dpx_dump(x, x->m.spi, sizeof(struct rsip_spi_key), sizeof(struct rsip_target),
			       RSIP_TARGET_CFG_END, live);
	if (!err)
		err = dpx_dump(x, x->m.spi_blk, sizeof(struct rsip_blk_key),
			       sizeof(struct rsip_target), RSIP_TARGET_CFG_END, live);
	if (!err && dir_on(x)) /* its empty slots are not entries (map_dir.c) */
		err = dpx_dump(x, x->m.spi_dir, sizeof(__u32), sizeof(struct rsip_dir_val),
			       RSIP_DIR_CFG_END, live);
	if (!err && port_dir_on(x))
		err = dpx_dump(x, x->m.port_dir, sizeof(__u32), sizeof(struct rsip_dir_val),
			       RSIP_DIR_CFG_END, live);
	set_sort(live);
	return err;
}

int dpx_restore_end(struct dpx *x)
{
	struct restore_ctx r = {.x = x};
	struct dpx_set live = {0}, writes = {0}, dels = {0};
	int err, deleted = 0;

	x->restoring = false;
	err = read_live(x, &live);
	r.live = &live;
	if (!err)
		err = slots_adopt(x, &live);
	r.moved = calloc(x->nclients ? x->nclients : 1, sizeof(*r.moved));
	if (!err && !r.moved)
		err = -ENOMEM;
	if (!err) {
		struct dpx_client *c, *tmp;

		HASH_ITER(hh, x->clients, c, tmp)
		{
			claim_one(&r, c);
			if (r.err)
				break;
		}
		err = r.err;
	}
	set_sort(&r.claimed);
	/* Empty maps (a first start): every claim is a write, and nothing is
	 * stale; the claims are written as they are, without a sorted copy. */
	if (!err && live.n)
		err = to_write(&r.claimed, &live, &writes);
	if (!err && live.n)
		err = to_prune(x, &r.claimed, &live, &writes, &dels);
	if (!err)
		err = prune_learned(x, x->m.ike, sizeof(struct rsip_ike_key),
				    sizeof(struct rsip_target), offsetof(struct rsip_target, xa),
				    &dels);
	if (!err)
		err = prune_learned(x, x->m.icmp_id, sizeof(struct rsip_icmp_key),
				    sizeof(struct rsip_target), offsetof(struct rsip_target, xa),
				    &dels);
	if (!err)
		err = prune_learned(x, x->m.out_spi, sizeof(struct rsip_out_key),
				    sizeof(struct rsip_out_val), offsetof(struct rsip_out_val, xa),
				    &dels);
	/* Writes before deletes: traffic never meets a gap. */
	set_sort(&writes);
	if (!err)
		err = dpx_write_all(x, live.n ? &writes : &r.claimed);
	for (size_t i = 0; !err && i < writes.n; i++)
		if (writes.e[i].fd == x->m.nb &&
		    !set_find(&r.claimed, x->m.nb, writes.e[i].key, writes.e[i].klen))
			deleted++; /* a stale whole lease reverted to shared */
	set_sort(&dels);
	if (!err)
		err = dpx_delete_all(x, &dels);
	if (!err)
		deleted += (int)dels.n;
	for (size_t i = 0; !err && i < r.nmoved; i++)
		err = learned_relink(x, r.moved[i]);
	set_free(&live);
	set_free(&writes);
	set_free(&dels);
	set_free(&r.claimed);
	set_free(&r.scratch);
	free(r.moved);
	if (err) {
		log_warnx("dpx: reconciling the maps after a restart failed: %s", strerror(-err));
		return err;
	}
	if (deleted)
		log_info("dpx: removed %d stale data plane entries", deleted);
	return deleted;
}
