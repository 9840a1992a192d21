// SPDX-License-Identifier: BSD-2-Clause
/*
 * dpx: what a client's bindings ask of the maps. Every change (a binding
 * added or freed, a new MAC) computes the client's entries before and after
 * and moves the maps from one to the other (apply_diff), so the rules live
 * here and nowhere else:
 *   RSA-IP              rsip_nb[nb] = {RSIP_NB_WHOLE, target}
 *   each leased port    rsip_port_dir[slot << 16 | port] = {nb, port, target}
 *                       when nb has a port partition (map_dir.c), else
 *                       rsip_ports[(nb, port)] = target
 *   each leased SPI     rsip_spi[(nb, spi)] = target, unless it lies in an
 *                       SPI block the client owns
 *   each owned block    rsip_spi_dir[slot] = {nb, block, target of the oldest
 *                       binding with SPIs in it}, when all such bindings
 *                       agree on tunnel and remote policy and the block's
 *                       slot is in nb's partition (map_dir.c); with the
 *                       directory off, rsip_spi_blk[(nb, block)] = that
 *                       target; else no block entry and one rsip_spi entry
 *                       per SPI (see maps.h)
 */
#include <errno.h>
#include <string.h>

#include "maps_internal.h"
#include "rsip/wire.h"

_Static_assert(RSIP_DP_TUNNEL_IPIP == RSIP_TUNNEL_IPIP, "tunnel numbering");
_Static_assert(RSIP_DP_TUNNEL_GRE == RSIP_TUNNEL_GRE, "tunnel numbering");

void binding_target(const struct dpx_client *c, const struct dpx_bind *b, struct rsip_target *t)
{
	const struct binding_rec *r = b->r;

	memset(t, 0, sizeof(*t));
	t->xa = c->xa.s_addr;
	t->bind_id = r->bind_id;
	memcpy(t->mac, c->mac, sizeof(t->mac));
	t->tunnel = r->tunnel;
	t->lan_ifindex = c->ifindex;
	t->stat_slot = b->slot;
	/* Remote policy (RFC 3103 7): macro names the peer's address, micro
	 * its address and port. A don't-care address means any peer. */
	if ((r->remote_policy == RSIP_FLOW_MACRO || r->remote_policy == RSIP_FLOW_MICRO) &&
	    r->remote.s_addr != INADDR_ANY) {
		t->flags |= RSIP_TF_REMOTE_ADDR;
		t->remote = r->remote.s_addr;
		if (r->remote_policy == RSIP_FLOW_MICRO && r->remote_port) {
			t->flags |= RSIP_TF_REMOTE_PORT;
			t->remote_port = htons(r->remote_port);
		}
	}
}

void client_value(const struct dpx *x, const struct dpx_client *c, struct rsip_client *v)
{
	memset(v, 0, sizeof(*v));
	v->client_id = c->client_id;
	memcpy(v->mac, c->mac, sizeof(v->mac));
	v->lan_ifindex = c->ifindex;
	v->cookie_cap = c->cookie_cap;
	v->stat_slot = c->slot;
	for (const struct dpx_bind *b = c->binds; b; b = b->next) {
		const struct binding_rec *r = b->r;

		v->nb = r->nb.s_addr;
		v->tunnels |= 1u << r->tunnel;
		if (r->method == RSIP_METHOD_RSA_IP)
			v->flags |= RSIP_CF_WHOLE_NB;
		if (r->method == RSIP_METHOD_RSIPSEC)
			v->flags |= RSIP_CF_IPSEC;
	}
}

bool nb_in_pool(const struct dpx *x, struct in_addr nb)
{
	for (size_t i = 0; i < x->npool; i++)
		if (x->pool[i].s_addr == nb.s_addr)
			return true;
	return false;
}

static bool same_policy(const struct rsip_target *a, const struct rsip_target *b)
{
	return a->tunnel == b->tunnel && a->flags == b->flags && a->remote == b->remote &&
	       a->remote_port == b->remote_port;
}

/* Is (nb, block) owned by this client (a binding that was granted it)? */
static bool block_owned(const struct dpx_client *c, struct in_addr nb, uint32_t block)
{
	for (const struct dpx_bind *b = c->binds; b; b = b->next)
		if (b->r->has_spi_block && b->r->nb.s_addr == nb.s_addr && b->r->spi_block == block)
			return true;
	return false;
}

/* The bindings with SPIs in an owned block: do they agree? *first gets the
 * oldest. */
static bool block_agrees(const struct dpx_client *c, struct in_addr nb, uint32_t block,
			 unsigned int shift, const struct dpx_bind **first)
{
	struct rsip_target t0, t;

	*first = NULL;
	for (const struct dpx_bind *b = c->binds; b; b = b->next) {
		const struct binding_rec *r = b->r;
		bool in = r->nb.s_addr == nb.s_addr && r->has_spi_block && r->spi_block == block;

		for (uint16_t i = 0; !in && i < r->nspis; i++)
			in = r->nb.s_addr == nb.s_addr && (binding_spis(r)[i] >> shift) == block;
		if (!in)
			continue;
		if (!*first) {
			*first = b;
			binding_target(c, b, &t0);
			continue;
		}
		binding_target(c, b, &t);
		if (!same_policy(&t0, &t))
			return false;
	}
	return true;
}

/* Does the owned block (nb, block) get one entry covering its SPIs? *first:
 * the binding whose target it carries. */
static bool block_entry(const struct dpx *x, const struct dpx_client *c, struct in_addr nb,
			uint32_t block, const struct dpx_bind **first)
{
	uint32_t slot;

	if (!block_owned(c, nb, block) ||
	    !block_agrees(c, nb, block, x->cfg.spi_block_shift, first) || !*first)
		return false;
	return !dir_on(x) || dir_slot(x, nb, block, &slot);
}

/* The block entry itself: a directory slot, or a rsip_spi_blk entry. */
static int add_block(struct dpx *x, struct dpx_set *out, struct in_addr nb, uint32_t block,
		     const struct rsip_target *t)
{
	if (dir_on(x)) {
		struct rsip_dir_val v = {.nb = nb.s_addr, .id = block, .t = *t};
		uint32_t slot;

		if (!dir_slot(x, nb, block, &slot))
			return -EINVAL; /* block_entry said yes */
		if (set_find(out, x->m.spi_dir, &slot, sizeof(slot)))
			return 0;
		if (!set_add(out, x->m.spi_dir, &slot, sizeof(slot), &v, sizeof(v),
			     RSIP_DIR_CFG_END))
			return -ENOMEM;
	} else {
		struct rsip_blk_key k = {.nb = nb.s_addr, .block = block};

		if (set_find(out, x->m.spi_blk, &k, sizeof(k)))
			return 0;
		if (!set_add(out, x->m.spi_blk, &k, sizeof(k), t, sizeof(*t), RSIP_TARGET_CFG_END))
			return -ENOMEM;
	}
	set_sort(out); /* set_find above needs it; sets are small */
	return 0;
}

static int add_target(struct dpx_set *s, int fd, const void *key, unsigned int klen,
		      const struct rsip_target *t)
{
	if (!set_add(s, fd, key, klen, t, sizeof(*t), RSIP_TARGET_CFG_END))
		return -ENOMEM;
	return 0;
}

int client_entries(struct dpx *x, const struct dpx_client *c, struct dpx_set *out)
{
	unsigned int shift = x->cfg.spi_block_shift;
	struct rsip_target t;
	int err;

	for (const struct dpx_bind *b = c->binds; b; b = b->next) {
		const struct binding_rec *r = b->r;

		binding_target(c, b, &t);
		if (r->method == RSIP_METHOD_RSA_IP) {
			struct rsip_nb_val v = {.flags = RSIP_NB_WHOLE, .whole = t};

			if (!set_add(out, x->m.nb, &r->nb.s_addr, sizeof(r->nb.s_addr), &v,
				     sizeof(v), RSIP_NB_CFG_END))
				return -ENOMEM;
		}
		for (uint16_t i = 0; i < r->nports; i++) {
			uint16_t port = binding_ports(r)[i];
			struct rsip_port_key k = {.nb = r->nb.s_addr, .port = htons(port)};
			struct rsip_dir_val v = {.nb = r->nb.s_addr, .id = port, .t = t};
			uint32_t idx;

			if (dir_port(x, r->nb, port, &idx))
				err = set_add(out, x->m.port_dir, &idx, sizeof(idx), &v, sizeof(v),
					      RSIP_DIR_CFG_END)
					  ? 0
					  : -ENOMEM;
			else
				err = add_target(out, x->m.ports, &k, sizeof(k), &t);
			if (err)
				return err;
		}
		for (uint16_t i = 0; i < r->nspis; i++) {
			struct rsip_spi_key k = {.nb = r->nb.s_addr,
						 .spi = htonl(binding_spis(r)[i])};
			uint32_t block = binding_spis(r)[i] >> shift;
			const struct dpx_bind *first;

			if (block_entry(x, c, r->nb, block, &first))
				continue; /* the block entry covers it */
			err = add_target(out, x->m.spi, &k, sizeof(k), &t);
			if (err)
				return err;
		}
		if (r->has_spi_block) {
			const struct dpx_bind *first;
			struct rsip_target bt;

			if (!block_entry(x, c, r->nb, r->spi_block, &first))
				continue; /* split, or no slot: single SPIs instead */
			binding_target(c, first, &bt);
			err = add_block(x, out, r->nb, r->spi_block, &bt);
			if (err)
				return err;
		}
	}
	set_sort(out);
	return 0;
}

int apply_diff(struct dpx_txn *t, const struct dpx_set *before, const struct dpx_set *after)
{
	struct dpx *x = t->x;
	int err;

	for (size_t i = 0; i < after->n; i++) {
		err = txn_put(t, &after->e[i]);
		if (err)
			return err;
	}
	for (size_t i = 0; i < before->n; i++) {
		const struct dpx_entry *e = &before->e[i];

		if (set_find(after, e->fd, e->key, e->klen))
			continue;
		if (e->fd == x->m.nb) {
			struct in_addr nb;

			memcpy(&nb.s_addr, e->key, sizeof(nb.s_addr));
			if (nb_in_pool(x, nb)) {
				struct rsip_nb_val shared = {0};
				struct dpx_entry s = *e;

				memcpy(s.val, &shared, sizeof(shared));
				err = txn_put(t, &s);
				if (err)
					return err;
				continue;
			}
		}
		err = txn_del(t, e->fd, e->key, e->klen, e->vlen);
		if (err)
			return err;
	}
	return 0;
}

int put_client(struct dpx_txn *t, struct dpx_client *c)
{
	struct rsip_client v;
	struct dpx_entry e;

	if (t->x->restoring)
		return 0;
	client_value(t->x, c, &v);
	memset(&e, 0, sizeof(e));
	e.fd = t->x->m.clients;
	e.klen = sizeof(c->xa.s_addr);
	e.vlen = sizeof(v);
	e.cfg_len = RSIP_CLIENT_CFG_END;
	memcpy(e.key, &c->xa.s_addr, e.klen);
	memcpy(e.val, &v, sizeof(v));
	return txn_put(t, &e);
}

int client_claims(struct dpx *x, const struct dpx_client *c, struct dpx_set *scratch,
		  struct dpx_set *out)
{
	struct rsip_client v;
	int err;

	scratch->n = 0;
	err = client_entries(x, c, scratch);
	for (size_t i = 0; !err && i < scratch->n; i++) {
		const struct dpx_entry *e = &scratch->e[i];

		if (!set_add(out, e->fd, e->key, e->klen, e->val, e->vlen, e->cfg_len))
			err = -ENOMEM;
	}
	if (err)
		return err;
	client_value(x, c, &v);
	if (!set_add(out, x->m.clients, &c->xa.s_addr, sizeof(c->xa.s_addr), &v, sizeof(v),
		     RSIP_CLIENT_CFG_END))
		return -ENOMEM;
	return 0;
}
