// SPDX-License-Identifier: BSD-2-Clause
/*
 * The allocator object: configuration, set-up and tear-down, usage, and the
 * two dispatchers (a hold-back that ends, a journal entry to undo) that the
 * lower layers reach through struct alloc_ops instead of calling the
 * resource files by name. The resources themselves live in addr.c, port.c,
 * spi.c and id.c; their shared helpers in owners.c.
 */
#include "alloc_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

static int cfg_check(const struct alloc_cfg *c)
{
	if (!c->public_addrs || c->n_public == 0 || c->n_public > UINT16_MAX) {
		log_warnx("alloc: the public address pool must hold 1 to %u addresses", UINT16_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < c->n_public; i++) {
		if (c->public_addrs[i].s_addr == INADDR_ANY) {
			log_warnx("alloc: 0.0.0.0 cannot be a public address");
			return -EINVAL;
		}
		for (size_t k = 0; k < i; k++)
			if (c->public_addrs[k].s_addr == c->public_addrs[i].s_addr) {
				log_warnx("alloc: public address %s is listed twice",
					  inet_ntoa(c->public_addrs[i]));
				return -EINVAL;
			}
	}
	if (c->port_lo == 0 || c->port_lo > c->port_hi) {
		log_warnx("alloc: bad port range %u-%u (need 1 <= lo <= hi)", c->port_lo,
			  c->port_hi);
		return -EINVAL;
	}
	if (c->n_reserved && !c->reserved_ports) {
		log_warnx("alloc: n_reserved without reserved_ports");
		return -EINVAL;
	}
	if (c->spi_lo < 256 || c->spi_lo > c->spi_hi) {
		log_warnx("alloc: bad SPI range %u-%u (need 256 <= lo <= hi)", c->spi_lo,
			  c->spi_hi);
		return -EINVAL;
	}
	/* A run is at most 65535 SPIs (the Number field is 16 bits), so a
	 * larger block only wastes space, and a block is scanned SPI by SPI
	 * when its owner asks for another run. */
	if (c->spi_block_shift > 16) {
		log_warnx("alloc: SPI block shift %u: blocks hold at most 65536 SPIs",
			  c->spi_block_shift);
		return -EINVAL;
	}
	return 0;
}

/* Zero means "the default" for the fields a daemon usually leaves alone, so
 * a zeroed struct plus the addresses gives the RFC behaviour. */
static void cfg_defaults(struct alloc_cfg *c)
{
	if (c->port_lo == 0 && c->port_hi == 0) {
		c->port_lo = 1024;
		c->port_hi = 65535;
	}
	if (c->spi_lo == 0 && c->spi_hi == 0) {
		c->spi_lo = 256;
		c->spi_hi = UINT32_MAX;
	}
	if (c->holdback_ms == 0)
		c->holdback_ms = HOLDBACK_DEFAULT;
	else if (c->holdback_ms == ALLOC_HOLDBACK_NONE)
		c->holdback_ms = 0; /* released resources are free at once */
}

static void ports_setup(struct alloc *a)
{
	const struct alloc_cfg *c = &a->cfg;

	memset(a->port_forbidden, 0xff, sizeof(a->port_forbidden));
	for (uint32_t p = c->port_lo; p <= c->port_hi; p++)
		bit_clear(a->port_forbidden, p);
	/* IKE and NAT-T belong to the cookie demultiplexer (RFC 3104 6.1). */
	bit_set(a->port_forbidden, PORT_IKE);
	bit_set(a->port_forbidden, PORT_IKE_NATT);
	for (size_t i = 0; i < c->n_reserved; i++)
		bit_set(a->port_forbidden, c->reserved_ports[i]);
	a->ports_leasable = 0;
	for (uint32_t p = 0; p < PORT_SPACE; p++)
		if (!bit_test(a->port_forbidden, p))
			a->ports_leasable++;
}

static void spis_setup(struct alloc *a)
{
	const struct alloc_cfg *c = &a->cfg;
	uint64_t first, end;

	a->spi_shift = c->spi_block_shift;
	a->spi_block = 1u << a->spi_shift;
	a->spi_range = (uint64_t)c->spi_hi - c->spi_lo + 1;
	/* Only blocks wholly inside the range can be owned: a block entry in
	 * the data plane claims all of its SPIs. */
	first = ((uint64_t)c->spi_lo + a->spi_block - 1) >> a->spi_shift;
	end = ((uint64_t)c->spi_hi + 1) >> a->spi_shift; /* one past the last */
	a->blk_full = end > first ? end - first : 0;
	a->blk_first = (uint32_t)first;
	a->blk_last = a->blk_full ? (uint32_t)(end - 1) : 0;
}

/* A hold-back is over: the resource becomes free (holdback.c calls this
 * through a->ops). */
static void release_held(struct alloc *a, const struct hb_entry *e)
{
	switch (e->kind) {
	case HB_PORT:
		port_expire(a, e->nb, (uint16_t)e->value);
		break;
	case HB_SPI:
		spi_expire(a, e->nb, e->value);
		break;
	case HB_BLOCK:
		block_expire(a, e->nb, e->value);
		break;
	case HB_ADDR:
		addr_expire(a, e->nb);
		break;
	case HB_CLIENT_ID:
	case HB_BIND_ID:
		id_expire(a, e->kind, e->value, e->expire);
		break;
	}
}

/* Undo one journal entry of an aborted transaction (txn.c calls this
 * through a->ops). */
static void undo_entry(struct alloc *a, const struct jentry *e)
{
	switch (e->op) {
	case J_PORT:
		port_undo(a, e->nb, e->owner, (uint16_t)e->value);
		break;
	case J_SPI:
		spi_undo(a, e->nb, e->owner, e->value);
		break;
	case J_BLOCK:
		block_undo(a, e->nb, e->owner, e->value);
		break;
	case J_ADDR:
		addr_undo(a, e->nb, e->owner);
		break;
	case J_CURSOR:
		a->nbs[e->nb].port_cursor = e->value;
		break;
	}
}

static const struct alloc_ops resource_ops = {
    .release = release_held,
    .undo = undo_entry,
};

struct alloc *alloc_new(const struct alloc_cfg *cfg)
{
	struct alloc *a = NULL;
	struct alloc_cfg c = *cfg;
	int err;

	cfg_defaults(&c);
	err = cfg_check(&c);
	if (err)
		goto out;
	err = -ENOMEM;
	a = calloc(1, sizeof(*a));
	if (!a)
		goto out;
	a->ops = &resource_ops;
	a->cfg = c;
	a->n_nb = (uint16_t)c.n_public;
	a->addrs = calloc(c.n_public, sizeof(*a->addrs));
	a->nbs = calloc(c.n_public, sizeof(*a->nbs));
	if (c.n_reserved)
		a->reserved = calloc(c.n_reserved, sizeof(*a->reserved));
	if (!a->addrs || !a->nbs || (c.n_reserved && !a->reserved))
		goto out;
	memcpy(a->addrs, c.public_addrs, c.n_public * sizeof(*a->addrs));
	if (c.n_reserved)
		memcpy(a->reserved, c.reserved_ports, c.n_reserved * sizeof(*a->reserved));
	a->cfg.public_addrs = a->addrs;
	a->cfg.reserved_ports = a->reserved;
	for (uint16_t i = 0; i < a->n_nb; i++) {
		a->nbs[i].addr = a->addrs[i];
		a->nbs[i].port_cursor = c.port_lo;
	}
	ports_setup(a);
	spis_setup(a);
	a->client_ids.kind = HB_CLIENT_ID;
	a->bind_ids.kind = HB_BIND_ID;
	err = 0;
out:
	if (err) {
		alloc_free(a);
		errno = -err;
		return NULL;
	}
	return a;
}

void alloc_set_client_limits(struct alloc *a, uint32_t max_ports, uint32_t max_spis)
{
	a->cfg.max_ports_per_client = max_ports;
	a->cfg.max_spis_per_client = max_spis;
}

void alloc_free(struct alloc *a)
{
	struct owner *o, *tmp;

	if (!a)
		return;
	if (a->txn) {
		log_warnx("alloc: freed with a transaction still open");
		free(a->txn->j);
		free(a->txn);
	}
	for (uint16_t i = 0; a->nbs && i < a->n_nb; i++) {
		port_nb_free(&a->nbs[i]);
		spi_nb_free(&a->nbs[i]);
	}
	HASH_ITER(hh, a->owners, o, tmp)
	{
		HASH_DEL(a->owners, o);
		free(o);
	}
	id_set_free(&a->client_ids);
	id_set_free(&a->bind_ids);
	holdback_free(&a->hb);
	free(a->nbs);
	free(a->addrs);
	free(a->reserved);
	free(a);
}

void alloc_usage(const struct alloc *a, struct alloc_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->addrs_total = a->n_nb;
	u->ports_total = (uint64_t)a->ports_leasable * a->n_nb;
	for (uint16_t i = 0; i < a->n_nb; i++) {
		const struct nb_state *n = &a->nbs[i];

		if (n->whole_owner)
			u->addrs_whole++;
		u->ports_used += n->ports_used;
		u->ports_held += n->ports_held;
		u->spis_used += n->spis_live;
		u->spis_held += n->spis_held;
		u->blocks_owned += n->blocks_owned;
		u->blocks_held += n->blocks_held;
	}
	u->client_ids = a->client_ids.live;
	u->bind_ids = a->bind_ids.live;
}
