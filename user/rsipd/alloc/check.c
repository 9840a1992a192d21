// SPDX-License-Identifier: BSD-2-Clause
/*
 * alloc_selfcheck(): recompute every counter and cross-reference from the
 * primary structures and compare. O(everything); for tests and debugging.
 */
#include "alloc_internal.h"

#include <errno.h>
#include <stdlib.h>

#include "log.h"

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			log_warnx("alloc selfcheck: " __VA_ARGS__);                                \
			return -EFAULT;                                                            \
		}                                                                                  \
	} while (0)

static uint32_t popcount_map(const uint64_t *bm)
{
	uint32_t c = 0;

	for (uint32_t w = 0; w < PORT_WORDS; w++)
		c += (uint32_t)__builtin_popcountll(bm[w]);
	return c;
}

static int check_ports(struct alloc *a, uint16_t i)
{
	struct nb_state *n = &a->nbs[i];

	CHECK(popcount_map(n->port_used) == n->ports_used, "nb %u ports_used", i);
	CHECK(popcount_map(n->port_held) == n->ports_held, "nb %u ports_held", i);
	for (uint32_t w = 0; w < PORT_WORDS; w++) {
		CHECK(!(n->port_used[w] & n->port_held[w]), "nb %u port both used and held", i);
		CHECK(!((n->port_used[w] | n->port_held[w]) & a->port_forbidden[w]),
		      "nb %u forbidden port leased or held", i);
	}
	for (uint32_t p = 0; p < PORT_SPACE; p++) {
		const uint32_t *chunk = n->port_owner[p / PORT_CHUNK];
		uint32_t owner = chunk ? chunk[p % PORT_CHUNK] : 0;
		struct owner *o;

		CHECK(bit_test(n->port_used, p) == (owner != 0), "nb %u port %u owner slot", i, p);
		if (!owner)
			continue;
		o = owner_find(a, owner);
		CHECK(o, "nb %u port %u owner %08x unknown", i, p, owner);
		o->nb[i].chk_ports++;
	}
	return 0;
}

static int check_spis(struct alloc *a, uint16_t i)
{
	struct nb_state *n = &a->nbs[i];
	struct spi_entry *e, *etmp;
	struct spi_block *b, *btmp;
	uint32_t live = 0, held = 0, owned = 0, bheld = 0, full = 0;
	uint64_t excl = 0;

	HASH_ITER(hh, n->blocks, b, btmp)
	b->chk_entries = b->chk_live = 0;
	HASH_ITER(hh, n->spis, e, etmp)
	{
		CHECK(e->spi >= a->cfg.spi_lo && e->spi <= a->cfg.spi_hi, "SPI %08x out of range",
		      e->spi);
		hash_find_u32(n->blocks, e->spi >> a->spi_shift, b);
		CHECK(b, "SPI %08x has no block record", e->spi);
		b->chk_entries++;
		if (e->owner) {
			struct owner *o = owner_find(a, e->owner);

			CHECK(o, "SPI %08x owner %08x unknown", e->spi, e->owner);
			o->nb[i].chk_spis++;
			b->chk_live++;
			live++;
			CHECK(b->state != BLK_HELD, "live SPI %08x in a held block", e->spi);
			CHECK(b->state != BLK_OWNED || b->owner == e->owner,
			      "SPI %08x of %08x in a block of %08x", e->spi, e->owner, b->owner);
		} else {
			held++;
		}
	}
	HASH_ITER(hh, n->blocks, b, btmp)
	{
		bool is_full = a->blk_full && b->idx >= a->blk_first && b->idx <= a->blk_last;

		CHECK(b->chk_entries == b->n_entries && b->chk_live == b->n_live,
		      "block %x entry counts", b->idx);
		full += is_full;
		switch (b->state) {
		case BLK_SINGLES:
			CHECK(b->n_entries > 0, "empty SINGLES record %x", b->idx);
			break;
		case BLK_OWNED:
			CHECK(is_full && b->owner && b->n_live > 0, "owned block %x", b->idx);
			CHECK(owner_find(a, b->owner), "block %x owner unknown", b->idx);
			owned++;
			excl += b->n_entries;
			break;
		case BLK_HELD:
			CHECK(is_full && b->owner == 0 && b->n_live == 0, "held block %x", b->idx);
			bheld++;
			excl += b->n_entries;
			break;
		default:
			CHECK(0, "block %x state %u", b->idx, b->state);
		}
	}
	CHECK(live == n->spis_live && held == n->spis_held, "nb %u SPI counts", i);
	CHECK(owned == n->blocks_owned && bheld == n->blocks_held, "nb %u block counts", i);
	CHECK(full == n->full_records && excl == n->entries_in_excl, "nb %u block totals", i);
	return 0;
}

static int check_owners(struct alloc *a)
{
	struct owner *o, *tmp;
	uint32_t *owners_on = calloc(a->n_nb, sizeof(*owners_on));
	int err = -EFAULT;

	if (!owners_on)
		return -ENOMEM;
	HASH_ITER(hh, a->owners, o, tmp)
	{
		uint64_t ports = 0, spis = 0;
		bool any = false;

		for (uint16_t i = 0; i < a->n_nb; i++) {
			struct owner_nb *on = &o->nb[i];
			const struct spi_block *b;
			uint32_t nb_blocks = 0;

			if (on->ports != on->chk_ports || on->spis != on->chk_spis) {
				log_warnx("alloc selfcheck: owner %08x counts on nb %u", o->id, i);
				goto out;
			}
			DL_FOREACH(on->blocks, b)
			{
				if (b->state != BLK_OWNED || b->owner != o->id) {
					log_warnx("alloc selfcheck: owner %08x lists block %x",
						  o->id, b->idx);
					goto out;
				}
				nb_blocks++;
			}
			if (nb_blocks != on->n_blocks) {
				log_warnx("alloc selfcheck: owner %08x block count", o->id);
				goto out;
			}
			ports += on->ports;
			spis += on->spis;
			if (on->ports || on->spis) {
				owners_on[i]++;
				any = true;
			}
			any = any || on->blocks;
		}
		any = any || o->held_ports || o->held_spis;
		if (ports != o->ports || spis != o->spis || !any) {
			log_warnx("alloc selfcheck: owner %08x totals", o->id);
			goto out;
		}
	}
	for (uint16_t i = 0; i < a->n_nb; i++)
		if (owners_on[i] != a->nbs[i].n_owners) {
			log_warnx("alloc selfcheck: nb %u owner count", i);
			goto out;
		}
	err = 0;
out:
	free(owners_on);
	return err;
}

static int check_queue(struct alloc *a)
{
	const struct holdback *hb = &a->hb;
	uint64_t kinds[HB_BIND_ID + 1] = {0}, prev = 0, ports = 0, spis = 0, blocks = 0, addrs = 0;
	uint64_t charged_ports = 0, charged_spis = 0, owners_ports = 0, owners_spis = 0;
	struct owner *o, *tmp;

	for (size_t k = 0; k < hb->len; k++) {
		const struct hb_entry *e = &hb->q[(hb->head + k) % hb->cap];

		CHECK(e->expire >= prev, "hold-back queue out of order");
		prev = e->expire;
		kinds[e->kind]++;
		if (!e->owner)
			continue;
		CHECK(owner_find(a, e->owner), "hold-back charged to an owner that is gone");
		if (e->kind == HB_PORT)
			charged_ports++;
		else if (e->kind == HB_SPI)
			charged_spis++;
		else if (e->kind == HB_BLOCK)
			charged_spis += a->spi_block;
	}
	HASH_ITER(hh, a->owners, o, tmp)
	{
		owners_ports += o->held_ports;
		owners_spis += o->held_spis;
	}
	CHECK(charged_ports == owners_ports && charged_spis == owners_spis,
	      "held-back resources charged to owners do not match the queue");
	for (uint16_t i = 0; i < a->n_nb; i++) {
		const struct nb_state *n = &a->nbs[i];

		ports += n->ports_held;
		spis += n->spis_held;
		blocks += n->blocks_held;
		addrs += n->whole_held;
		if (nb_whole_blocked(n))
			CHECK(n->ports_used == 0 && n->ports_held == 0 && spi_nb_clean(n),
			      "nb %u leased whole and shared", i);
	}
	CHECK(kinds[HB_PORT] == ports && kinds[HB_SPI] == spis && kinds[HB_BLOCK] == blocks &&
		  kinds[HB_ADDR] == addrs,
	      "hold-back queue does not match the held resources");
	/* A restored ID leaves a stale queue entry behind: >=, not ==. */
	CHECK(kinds[HB_CLIENT_ID] >= a->client_ids.held && kinds[HB_BIND_ID] >= a->bind_ids.held,
	      "held IDs without a queue entry");
	return 0;
}

int alloc_selfcheck(struct alloc *a)
{
	struct owner *o, *tmp;
	int err;

	HASH_ITER(hh, a->owners, o, tmp)
	for (uint16_t i = 0; i < a->n_nb; i++)
		o->nb[i].chk_ports = o->nb[i].chk_spis = 0;
	for (uint16_t i = 0; i < a->n_nb; i++) {
		err = check_ports(a, i);
		if (!err)
			err = check_spis(a, i);
		if (err)
			return err;
	}
	err = check_owners(a);
	if (!err)
		err = check_queue(a);
	if (!err)
		err = id_selfcheck(&a->client_ids);
	if (!err)
		err = id_selfcheck(&a->bind_ids);
	return err;
}
