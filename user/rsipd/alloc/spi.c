// SPDX-License-Identifier: BSD-2-Clause
/*
 * SPIs per Nb, unique across ESP and AH (D13), and client-owned aligned SPI
 * blocks so the data plane needs one entry per block, keyed by
 * (Nb, spi >> shift).
 *
 * The range can be nearly 2^32 wide, so nothing is sized by it: one hash
 * entry per SPI leased or held back, one record per block that is owned,
 * held back or holds such an entry. Anything absent is free. Picks are
 * random; when random probes keep missing (the space is nearly full) an
 * exact scan over the sorted entries finds what is left, so 402 means the
 * space really is exhausted.
 */
#include "alloc_internal.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include "log.h"
#include "rsip/spi_dir.h"

struct ival {
	uint64_t lo, hi;
};

static struct spi_entry *spi_find(const struct nb_state *n, uint32_t spi)
{
	struct spi_entry *e;

	hash_find_u32(n->spis, spi, e);
	return e;
}

static struct spi_block *blk_find(const struct nb_state *n, uint32_t idx)
{
	struct spi_block *b;

	hash_find_u32(n->blocks, idx, b);
	return b;
}

static bool blk_is_full(const struct alloc *a, uint32_t idx)
{
	return a->blk_full && idx >= a->blk_first && idx <= a->blk_last;
}

static bool blk_excl(const struct spi_block *b)
{
	return b->state == BLK_OWNED || b->state == BLK_HELD;
}

static struct spi_block *blk_new(struct alloc *a, struct nb_state *n, uint32_t idx)
{
	struct spi_block *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->idx = idx;
	b->state = BLK_SINGLES;
	if (!hash_add_u32(n->blocks, idx, b)) {
		free(b);
		return NULL;
	}
	if (blk_is_full(a, idx))
		n->full_records++;
	return b;
}

static void blk_delete(struct alloc *a, struct nb_state *n, struct spi_block *b)
{
	HASH_DEL(n->blocks, b);
	if (blk_is_full(a, b->idx))
		n->full_records--;
	free(b);
}

/* A SINGLES record only exists to count the entries inside its block. */
static void blk_drop_if_empty(struct alloc *a, struct nb_state *n, struct spi_block *b)
{
	if (b && b->state == BLK_SINGLES && b->n_entries == 0)
		blk_delete(a, n, b);
}

/* Free, not held back, and not inside a block that is held back or owned by
 * someone else: owner may take it as a single or specific SPI. */
static bool spi_usable(const struct alloc *a, const struct nb_state *n, uint32_t owner,
		       uint32_t spi)
{
	const struct spi_block *b;

	if (spi_find(n, spi))
		return false;
	b = blk_find(n, spi >> a->spi_shift);
	return !b || b->state == BLK_SINGLES || (b->state == BLK_OWNED && b->owner == owner);
}

static int spi_take(struct alloc_txn *t, uint16_t nbi, uint32_t owner, uint32_t spi)
{
	struct alloc *a = t->a;
	struct nb_state *n = &a->nbs[nbi];
	uint32_t idx = spi >> a->spi_shift;
	struct spi_block *b;
	struct spi_entry *e;

	if (spi_find(n, spi))
		return RSIP_E_IPSEC_SPI_INUSE; /* listed twice in one request */
	b = blk_find(n, idx);
	if (!b && !(b = blk_new(a, n, idx)))
		return RSIP_E_INTERNAL_SERVER_ERROR;
	e = calloc(1, sizeof(*e));
	if (e) {
		e->spi = spi;
		e->owner = owner;
	}
	if (!e || !hash_add_u32(n->spis, spi, e)) {
		free(e);
		blk_drop_if_empty(a, n, b);
		return RSIP_E_INTERNAL_SERVER_ERROR;
	}
	b->n_entries++;
	b->n_live++;
	if (blk_excl(b))
		n->entries_in_excl++;
	n->spis_live++;
	owner_count(a, owner, nbi, 0, 1);
	txn_push(t, J_SPI, nbi, owner, spi);
	return 0;
}

/* Give a block whose owner holds no live SPI in it back to the pool, held
 * back like the SPIs it held. */
static void blk_release(struct alloc *a, uint16_t nbi, struct spi_block *b)
{
	struct nb_state *n = &a->nbs[nbi];
	struct owner *o = owner_find(a, b->owner);

	if (o) {
		DL_DELETE(o->nb[nbi].blocks, b);
		o->nb[nbi].n_blocks--;
	}
	b->prev = b->next = NULL;
	b->state = BLK_HELD;
	n->blocks_owned--;
	n->blocks_held++;
	holdback_push(a, HB_BLOCK, nbi, b->idx, b->owner);
	b->owner = 0;
	owner_put(a, o);
}

/* --- counting, for exhaustion checks and alloc_addr_shared ----------------- */

/* SPIs owner could take as singles on this Nb, exactly. Owned and held
 * blocks are always wholly inside the range, and every entry is too. */
static uint64_t singles_free(const struct alloc *a, uint16_t nbi, uint32_t owner)
{
	const struct nb_state *n = &a->nbs[nbi];
	const struct owner *o = owner_find(a, owner);
	uint64_t excl_blocks = (uint64_t)n->blocks_owned + n->blocks_held;
	uint64_t excl_entries = n->entries_in_excl;
	uint64_t used;
	const struct spi_block *b;

	if (o) {
		excl_blocks -= o->nb[nbi].n_blocks;
		DL_FOREACH(o->nb[nbi].blocks, b)
		excl_entries -= b->n_entries;
	}
	used = (uint64_t)n->spis_live + n->spis_held + excl_blocks * a->spi_block - excl_entries;
	return a->spi_range - used;
}

/* First run of k free SPIs inside one of owner's blocks; false if none. */
static bool own_block_run(const struct alloc *a, uint16_t nbi, uint32_t owner, uint32_t k,
			  uint32_t *first)
{
	const struct nb_state *n = &a->nbs[nbi];
	const struct owner *o = owner_find(a, owner);
	const struct spi_block *b;

	if (!o)
		return false;
	DL_FOREACH(o->nb[nbi].blocks, b)
	{
		uint64_t base = (uint64_t)b->idx << a->spi_shift;
		uint32_t run = 0;

		if (a->spi_block - b->n_entries < k)
			continue;
		for (uint64_t s = base; s < base + a->spi_block; s++) {
			run = spi_find(n, (uint32_t)s) ? 0 : run + 1;
			if (run == k) {
				*first = (uint32_t)(s - k + 1);
				return true;
			}
		}
	}
	return false;
}

bool spi_can_take(struct alloc *a, uint16_t nbi, uint32_t owner, uint32_t k)
{
	uint32_t first;

	if (k == 0)
		return true;
	if (k == 1)
		return singles_free(a, nbi, owner) > 0;
	if (k > a->spi_block)
		return false;
	return a->blk_full > a->nbs[nbi].full_records || own_block_run(a, nbi, owner, k, &first);
}

/* --- exact scans ------------------------------------------------------------ */

static int cmp_ival(const void *x, const void *y)
{
	const struct ival *p = x, *q = y;

	return p->lo < q->lo ? -1 : p->lo > q->lo;
}

/* The free points of [lo, hi] are what the (sorted, possibly overlapping)
 * intervals leave. Returns how many there are; with pick < that count,
 * *found gets the pick-th of them. */
static uint64_t gaps(const struct ival *iv, size_t n, uint64_t lo, uint64_t hi, uint64_t pick,
		     uint64_t *found)
{
	uint64_t cur = lo, total = 0;

	for (size_t i = 0; i <= n && cur <= hi; i++) {
		uint64_t end = i < n ? iv[i].lo : hi + 1; /* gap is [cur, end) */

		if (i < n && iv[i].hi < cur)
			continue;
		if (end > hi + 1)
			end = hi + 1;
		if (end > cur) {
			if (pick >= total && pick < total + (end - cur))
				*found = cur + (pick - total);
			total += end - cur;
		}
		if (i < n && iv[i].hi + 1 > cur)
			cur = iv[i].hi + 1;
	}
	return total;
}

/* Pick uniformly among the free points; false when there is none. */
static int pick_free(struct alloc *a, struct ival *iv, size_t n, uint64_t lo, uint64_t hi,
		     uint64_t *out)
{
	uint64_t total, found = 0;

	qsort(iv, n, sizeof(*iv), cmp_ival);
	total = gaps(iv, n, lo, hi, UINT64_MAX, &found);
	if (total == 0)
		return RSIP_E_IPSEC_SPI_UNAVAILABLE;
	/* total <= hi - lo + 1 < 2^32, as alloc_rand_below() needs. */
	gaps(iv, n, lo, hi, alloc_rand_below(a, total), &found);
	*out = found;
	return 0;
}

static int scan_single(struct alloc *a, uint16_t nbi, uint32_t owner, uint32_t *spi)
{
	struct nb_state *n = &a->nbs[nbi];
	size_t cnt = HASH_COUNT(n->spis) + HASH_COUNT(n->blocks), i = 0;
	struct ival *iv = malloc((cnt ? cnt : 1) * sizeof(*iv));
	struct spi_entry *e, *etmp;
	struct spi_block *b, *btmp;
	uint64_t v;
	int err;

	if (!iv)
		return RSIP_E_INTERNAL_SERVER_ERROR;
	HASH_ITER(hh, n->spis, e, etmp)
	iv[i++] = (struct ival){e->spi, e->spi};
	HASH_ITER(hh, n->blocks, b, btmp)
	{
		uint64_t base = (uint64_t)b->idx << a->spi_shift;

		if (b->state == BLK_HELD || (b->state == BLK_OWNED && b->owner != owner))
			iv[i++] = (struct ival){base, base + a->spi_block - 1};
	}
	err = pick_free(a, iv, i, a->cfg.spi_lo, a->cfg.spi_hi, &v);
	if (!err)
		*spi = (uint32_t)v;
	free(iv);
	return err;
}

static int scan_block(struct alloc *a, uint16_t nbi, uint32_t *idx)
{
	struct nb_state *n = &a->nbs[nbi];
	size_t i = 0;
	struct ival *iv = malloc((HASH_COUNT(n->blocks) + 1) * sizeof(*iv));
	struct spi_block *b, *btmp;
	uint64_t v;
	int err;

	if (!iv)
		return RSIP_E_INTERNAL_SERVER_ERROR;
	HASH_ITER(hh, n->blocks, b, btmp)
	if (blk_is_full(a, b->idx))
		iv[i++] = (struct ival){b->idx, b->idx};
	err = pick_free(a, iv, i, a->blk_first, a->blk_last, &v);
	if (!err)
		*idx = (uint32_t)v;
	free(iv);
	return err;
}

/* --- the API ---------------------------------------------------------------- */

static int spi_request_check(struct alloc_txn *t, uint32_t owner, struct in_addr nb, uint16_t k,
			     int *nbi)
{
	int err = txn_check_nb(t, owner, nb, nbi);

	if (err)
		return err;
	if (t->a->cfg.max_spis_per_client &&
	    owner_charged_spis(t->a, owner) + k > t->a->cfg.max_spis_per_client)
		return RSIP_E_IPSEC_SPI_UNAVAILABLE;
	return 0;
}

static int pick_single(struct alloc *a, uint16_t nbi, uint32_t owner, uint32_t *spi)
{
	const struct nb_state *n = &a->nbs[nbi];

	if (singles_free(a, nbi, owner) == 0)
		return RSIP_E_IPSEC_SPI_UNAVAILABLE;
	for (int i = 0; i < RANDOM_PROBES; i++) {
		uint32_t s = a->cfg.spi_lo + (uint32_t)alloc_rand_below(a, a->spi_range);

		if (spi_usable(a, n, owner, s)) {
			*spi = s;
			return 0;
		}
	}
	return scan_single(a, nbi, owner, spi);
}

/* A free block whose SPI directory slot is in nbi's partition, at random;
 * false when random probes find none (the partition is nearly full, or the
 * SPI range leaves few of its blocks). */
static bool pick_dir_block(struct alloc *a, uint16_t nbi, uint32_t *idx)
{
	const struct alloc_cfg *c = &a->cfg;
	uint64_t base = (uint64_t)nbi * c->spi_dir_per_nb;

	if (!c->spi_dir_slots || !c->spi_dir_per_nb || base + c->spi_dir_per_nb > c->spi_dir_slots)
		return false;
	for (int i = 0; i < RANDOM_PROBES; i++) {
		uint32_t slot = (uint32_t)(base + alloc_rand_below(a, c->spi_dir_per_nb));
		uint32_t b = rsip_spi_dir_block(slot, c->spi_dir_key, 32u - a->spi_shift);

		if (b >= a->blk_first && b <= a->blk_last && !blk_find(&a->nbs[nbi], b)) {
			*idx = b;
			return true;
		}
	}
	return false;
}

static int pick_block(struct alloc *a, uint16_t nbi, uint32_t *idx)
{
	const struct nb_state *n = &a->nbs[nbi];

	if (a->blk_full <= n->full_records)
		return RSIP_E_IPSEC_SPI_UNAVAILABLE;
	if (pick_dir_block(a, nbi, idx))
		return 0;
	for (int i = 0; i < RANDOM_PROBES; i++) {
		uint32_t b = a->blk_first + (uint32_t)alloc_rand_below(a, a->blk_full);

		if (!blk_find(n, b)) {
			*idx = b;
			return 0;
		}
	}
	return scan_block(a, nbi, idx);
}

static int own_block(struct alloc_txn *t, uint16_t nbi, uint32_t owner, uint32_t idx)
{
	struct alloc *a = t->a;
	struct nb_state *n = &a->nbs[nbi];
	struct owner *o = owner_find(a, owner);
	struct spi_block *b = blk_new(a, n, idx);

	if (!b)
		return RSIP_E_INTERNAL_SERVER_ERROR;
	b->state = BLK_OWNED;
	b->owner = owner;
	DL_APPEND(o->nb[nbi].blocks, b);
	o->nb[nbi].n_blocks++;
	n->blocks_owned++;
	txn_push(t, J_BLOCK, nbi, owner, idx);
	return 0;
}

int alloc_spi_any(struct alloc_txn *t, uint32_t owner, struct in_addr nb, uint16_t k, uint32_t *out,
		  bool *has_block, uint32_t *block)
{
	struct alloc *a;
	uint32_t first = 0, idx;
	size_t mark;
	int nbi, err;

	err = spi_request_check(t, owner, nb, k, &nbi);
	if (err || k == 0)
		return err;
	a = t->a;
	if (k > 1 && k > a->spi_block)
		return RSIP_E_IPSEC_SPI_UNAVAILABLE; /* no block can hold the run */
	err = txn_take_begin(t, owner, (size_t)k + 1, &mark);
	if (err)
		return err;
	if (k == 1) {
		err = pick_single(a, (uint16_t)nbi, owner, &first);
	} else if (!own_block_run(a, (uint16_t)nbi, owner, k, &first)) {
		/* A fresh block, chosen at random; the run starts at its base. */
		err = pick_block(a, (uint16_t)nbi, &idx);
		if (!err)
			err = own_block(t, (uint16_t)nbi, owner, idx);
		if (!err)
			first = idx << a->spi_shift;
	}
	for (uint32_t i = 0; !err && i < k; i++)
		err = spi_take(t, (uint16_t)nbi, owner, first + i);
	if (err)
		return txn_take_fail(t, owner, mark, err);
	for (uint32_t i = 0; i < k; i++)
		out[i] = first + i;
	*has_block = k > 1;
	*block = k > 1 ? first >> a->spi_shift : 0;
	return 0;
}

int alloc_spi_specific(struct alloc_txn *t, uint32_t owner, struct in_addr nb, const uint32_t *spis,
		       uint16_t k)
{
	struct alloc *a;
	size_t mark;
	int nbi, err;

	err = spi_request_check(t, owner, nb, k, &nbi);
	if (err || k == 0)
		return err;
	a = t->a;
	for (uint16_t i = 0; i < k; i++)
		if (spis[i] < a->cfg.spi_lo || spis[i] > a->cfg.spi_hi ||
		    !spi_usable(a, &a->nbs[nbi], owner, spis[i]))
			return RSIP_E_IPSEC_SPI_INUSE;
	err = txn_take_begin(t, owner, k, &mark);
	for (uint16_t i = 0; !err && i < k; i++) {
		err = spi_take(t, (uint16_t)nbi, owner, spis[i]);
		if (err)
			return txn_take_fail(t, owner, mark, err);
	}
	return err;
}

size_t alloc_spi_release_blocks(struct alloc *a, uint32_t owner, struct in_addr nb,
				const uint32_t *spis, uint16_t k, uint32_t *freed, size_t max_freed)
{
	int nbi = alloc_nb_index(a, nb);
	struct nb_state *n;
	size_t nfreed = 0;

	if (nbi < 0) {
		log_debug("alloc: release of SPIs on unknown Nb %s", inet_ntoa(nb));
		return 0;
	}
	n = &a->nbs[nbi];
	for (uint16_t i = 0; i < k; i++) {
		struct spi_entry *e = spi_find(n, spis[i]);
		struct spi_block *b;
		bool last;

		if (!e || e->owner != owner) {
			log_debug("alloc: owner %08x releases SPI %08x it does not hold", owner,
				  spis[i]);
			continue;
		}
		b = blk_find(n, spis[i] >> a->spi_shift);
		e->owner = 0;
		n->spis_live--;
		n->spis_held++;
		b->n_live--;
		last = b->state == BLK_OWNED && b->owner == owner && b->n_live == 0;
		/* The SPI goes into the queue before its block, so it expires
		 * first and the block finds itself empty. (If the queue is out
		 * of memory the SPI is freed at once and a SINGLES record may go
		 * with it: b is only touched again when it is owned.) */
		holdback_push(a, HB_SPI, (uint16_t)nbi, spis[i], owner);
		if (last) {
			if (nfreed < max_freed)
				freed[nfreed++] = b->idx;
			blk_release(a, (uint16_t)nbi, b);
		}
		owner_count(a, owner, (uint16_t)nbi, 0, -1);
	}
	return nfreed;
}

void alloc_spi_release(struct alloc *a, uint32_t owner, struct in_addr nb, const uint32_t *spis,
		       uint16_t k)
{
	alloc_spi_release_blocks(a, owner, nb, spis, k, NULL, 0);
}

uint32_t alloc_spi_block_owner(const struct alloc *a, struct in_addr nb, uint32_t block)
{
	int nbi = alloc_nb_index(a, nb);
	const struct spi_block *b;

	if (nbi < 0)
		return 0;
	b = blk_find(&a->nbs[nbi], block);
	return b && b->state == BLK_OWNED ? b->owner : 0;
}

/* --- undo, expiry, teardown ---------------------------------------------------- */

void spi_undo(struct alloc *a, uint16_t nbi, uint32_t owner, uint32_t spi)
{
	struct nb_state *n = &a->nbs[nbi];
	struct spi_entry *e = spi_find(n, spi);
	struct spi_block *b;

	if (!e || e->owner != owner)
		return; /* released again inside the transaction */
	b = blk_find(n, spi >> a->spi_shift);
	HASH_DEL(n->spis, e);
	free(e);
	n->spis_live--;
	b->n_entries--;
	b->n_live--;
	if (blk_excl(b))
		n->entries_in_excl--;
	owner_count(a, owner, nbi, 0, -1);
	/* An owned block left with held SPIs only (the transaction also
	 * released the SPIs it had before) goes back like any other. A block
	 * left with nothing at all was created by this transaction:
	 * block_undo() removes it without a trace. */
	if (b->state == BLK_OWNED && b->n_live == 0 && b->n_entries > 0)
		blk_release(a, nbi, b);
	else
		blk_drop_if_empty(a, n, b);
}

void block_undo(struct alloc *a, uint16_t nbi, uint32_t owner, uint32_t idx)
{
	struct nb_state *n = &a->nbs[nbi];
	struct spi_block *b = blk_find(n, idx);
	struct owner *o = owner_find(a, owner);

	if (!b || b->state != BLK_OWNED || b->owner != owner || b->n_entries != 0 || !o)
		return;
	DL_DELETE(o->nb[nbi].blocks, b);
	o->nb[nbi].n_blocks--;
	n->blocks_owned--;
	blk_delete(a, n, b);
	owner_put(a, o);
}

void spi_expire(struct alloc *a, uint16_t nbi, uint32_t spi)
{
	struct nb_state *n = &a->nbs[nbi];
	struct spi_entry *e = spi_find(n, spi);
	struct spi_block *b;

	if (!e || e->owner != 0)
		return;
	b = blk_find(n, spi >> a->spi_shift);
	HASH_DEL(n->spis, e);
	free(e);
	n->spis_held--;
	b->n_entries--;
	if (blk_excl(b))
		n->entries_in_excl--;
	blk_drop_if_empty(a, n, b);
}

void block_expire(struct alloc *a, uint16_t nbi, uint32_t idx)
{
	struct nb_state *n = &a->nbs[nbi];
	struct spi_block *b = blk_find(n, idx);

	if (!b || b->state != BLK_HELD)
		return;
	n->blocks_held--;
	b->state = BLK_SINGLES;
	n->entries_in_excl -= b->n_entries;
	blk_drop_if_empty(a, n, b);
}

bool spi_nb_clean(const struct nb_state *n)
{
	return !n->spis && !n->blocks;
}

void spi_nb_free(struct nb_state *n)
{
	struct spi_entry *e, *etmp;
	struct spi_block *b, *btmp;

	HASH_ITER(hh, n->spis, e, etmp)
	{
		HASH_DEL(n->spis, e);
		free(e);
	}
	HASH_ITER(hh, n->blocks, b, btmp)
	{
		HASH_DEL(n->blocks, b);
		free(b);
	}
}

int alloc_spi_restore(struct alloc_txn *t, uint32_t owner, struct in_addr nb, const uint32_t *spis,
		      uint16_t k, bool has_block)
{
	struct alloc *a;
	const struct spi_block *b;
	uint32_t idx;
	size_t mark;
	int nbi, err;

	if (!has_block || k == 0)
		return alloc_spi_specific(t, owner, nb, spis, k);
	err = spi_request_check(t, owner, nb, k, &nbi);
	if (err)
		return err;
	a = t->a;
	idx = spis[0] >> a->spi_shift;
	for (uint16_t i = 0; i < k; i++)
		if (spis[i] >> a->spi_shift != idx || spis[i] < a->cfg.spi_lo ||
		    spis[i] > a->cfg.spi_hi || !spi_usable(a, &a->nbs[nbi], owner, spis[i]))
			return RSIP_E_IPSEC_SPI_INUSE;
	b = blk_find(&a->nbs[nbi], idx);
	/* The block must be free (no record) or already this owner's. */
	if (!blk_is_full(a, idx) || (b && !(b->state == BLK_OWNED && b->owner == owner)))
		return RSIP_E_IPSEC_SPI_INUSE;
	err = txn_take_begin(t, owner, (size_t)k + 1, &mark);
	if (err)
		return err;
	err = b ? 0 : own_block(t, (uint16_t)nbi, owner, idx);
	for (uint16_t i = 0; !err && i < k; i++)
		err = spi_take(t, (uint16_t)nbi, owner, spis[i]);
	return err ? txn_take_fail(t, owner, mark, err) : 0;
}
