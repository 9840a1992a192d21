// SPDX-License-Identifier: BSD-2-Clause
/*
 * Transactions: every allocating call journals what it took, so the daemon
 * can make an ASSIGN all-or-nothing. Abort undoes the journal newest first
 * and leaves no trace: nothing is held back, counters and the port cursor
 * return to where they were. Commit just forgets the journal.
 *
 * One transaction is open at a time (the daemon handles one request at a
 * time): undoing one of two interleaved transactions could pull a block out
 * from under the other.
 */
#include "alloc_internal.h"

#include <errno.h>
#include <stdlib.h>

#include "log.h"

struct alloc_txn *alloc_txn_begin(struct alloc *a)
{
	struct alloc_txn *t;

	if (a->txn) {
		log_warnx("alloc: a transaction is already open");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->a = a;
	a->txn = t;
	return t;
}

static void txn_end(struct alloc_txn *t)
{
	t->a->txn = NULL;
	free(t->j);
	free(t);
}

void alloc_txn_commit(struct alloc_txn *t)
{
	if (t)
		txn_end(t);
}

void alloc_txn_abort(struct alloc_txn *t)
{
	if (!t)
		return;
	txn_undo_to(t, 0);
	txn_end(t);
}

/* Make room for n more journal entries before touching anything, so a call
 * never finds itself half done and out of memory. */
int txn_reserve(struct alloc_txn *t, size_t n)
{
	size_t ncap;
	struct jentry *nj;

	if (t->n + n <= t->cap)
		return 0;
	ncap = t->cap ? t->cap : 16;
	while (ncap < t->n + n)
		ncap *= 2;
	nj = realloc(t->j, ncap * sizeof(*nj));
	if (!nj)
		return -ENOMEM;
	t->j = nj;
	t->cap = ncap;
	return 0;
}

int txn_take_begin(struct alloc_txn *t, uint32_t owner, size_t n, size_t *mark)
{
	if (txn_reserve(t, n) < 0 || !owner_get(t->a, owner))
		return RSIP_E_INTERNAL_SERVER_ERROR;
	*mark = t->n;
	return 0;
}

int txn_take_fail(struct alloc_txn *t, uint32_t owner, size_t mark, int err)
{
	txn_undo_to(t, mark);
	owner_put(t->a, owner_find(t->a, owner));
	return err;
}

void txn_push(struct alloc_txn *t, enum jop op, uint16_t nb, uint32_t owner, uint32_t value)
{
	/* txn_reserve() made room: running out here is a bug. */
	if (t->n >= t->cap)
		fatalx("alloc: journal overflow (%zu of %zu)", t->n, t->cap);
	t->j[t->n++] = (struct jentry){.op = op, .nb = nb, .owner = owner, .value = value};
}

/* Undo the journal back to mark, newest first: SPIs go before the block
 * that was created for them, ports before the cursor they moved. */
void txn_undo_to(struct alloc_txn *t, size_t mark)
{
	struct alloc *a = t->a;

	while (t->n > mark) {
		const struct jentry *e = &t->j[--t->n];

		a->ops->undo(a, e);
	}
}

/* Common entry checks of the allocating calls; also expires hold-backs that
 * are due, so what comes back is usable by this very call. */
int txn_check(struct alloc_txn *t, uint32_t owner)
{
	if (!t || t->a->txn != t) {
		log_warnx("alloc: allocation outside an open transaction");
		return RSIP_E_INTERNAL_SERVER_ERROR;
	}
	if (owner == 0) {
		log_warnx("alloc: owner 0 is not a valid owner");
		return RSIP_E_INTERNAL_SERVER_ERROR;
	}
	alloc_expire(t->a);
	return 0;
}

/* txn_check for the calls that take ports or SPIs of one Nb: nb must be in
 * the pool and not lent (or held back) whole; *nbi gets its index. */
int txn_check_nb(struct alloc_txn *t, uint32_t owner, struct in_addr nb, int *nbi)
{
	int err = txn_check(t, owner);

	if (err)
		return err;
	*nbi = alloc_nb_index(t->a, nb);
	if (*nbi < 0)
		return RSIP_E_LOCAL_ADDR_UNALLOWED;
	if (nb_whole_blocked(&t->a->nbs[*nbi]))
		return RSIP_E_LOCAL_ADDR_INUSE;
	return 0;
}
