// SPDX-License-Identifier: BSD-2-Clause
/*
 * The Nb pool. An address is either leased whole to one client (RSA-IP) or
 * shared by many through ports and SPIs (RSAP-IP, RSIPSEC), never both: the
 * data plane sends everything for a whole address to its client, so shared
 * users on it would lose their traffic.
 *
 * An address is leased whole only when it is spotless: no live port or SPI
 * and none held back either, since the new client would receive the late
 * packets of the old tuples (RFC 3102 6.1). Likewise, after a whole lease
 * ends the address is held back before anyone may share it.
 */
#include "alloc_internal.h"

#include <arpa/inet.h>

#include "log.h"

static bool whole_ok(const struct nb_state *n)
{
	return !nb_whole_blocked(n) && n->ports_used == 0 && n->ports_held == 0 && spi_nb_clean(n);
}

int alloc_addr_whole(struct alloc_txn *t, uint32_t owner, struct in_addr want, struct in_addr *got)
{
	struct alloc *a;
	int err = txn_check(t, owner), nbi = -1;

	if (err)
		return err;
	a = t->a;
	if (want.s_addr != INADDR_ANY) {
		nbi = alloc_nb_index(a, want);
		if (nbi < 0)
			return RSIP_E_LOCAL_ADDR_UNALLOWED;
		if (!whole_ok(&a->nbs[nbi]))
			return RSIP_E_LOCAL_ADDR_INUSE;
	} else {
		for (uint16_t i = 0; i < a->n_nb && nbi < 0; i++)
			if (whole_ok(&a->nbs[i]))
				nbi = i;
		if (nbi < 0)
			return RSIP_E_LOCAL_ADDR_UNAVAILABLE;
	}
	if (txn_reserve(t, 1) < 0)
		return RSIP_E_INTERNAL_SERVER_ERROR;
	a->nbs[nbi].whole_owner = owner;
	txn_push(t, J_ADDR, (uint16_t)nbi, owner, 0);
	*got = a->nbs[nbi].addr;
	return 0;
}

void alloc_addr_whole_release(struct alloc *a, uint32_t owner, struct in_addr nb)
{
	int nbi = alloc_nb_index(a, nb);

	if (nbi < 0 || owner == 0 || a->nbs[nbi].whole_owner != owner) {
		log_debug("alloc: owner %08x releases %s it does not hold whole", owner,
			  inet_ntoa(nb));
		return;
	}
	a->nbs[nbi].whole_owner = 0;
	a->nbs[nbi].whole_held = true;
	holdback_push(a, HB_ADDR, (uint16_t)nbi, 0, 0);
}

static bool shared_fits(struct alloc *a, uint16_t i, uint32_t owner, uint16_t nports,
			uint32_t nspis)
{
	return port_can_take(a, i, nports) && spi_can_take(a, i, owner, nspis);
}

/* Lighter load first: fewer clients, then more free ports. */
static bool lighter(const struct alloc *a, uint16_t i, uint16_t j)
{
	const struct nb_state *x = &a->nbs[i], *y = &a->nbs[j];

	if (x->n_owners != y->n_owners)
		return x->n_owners < y->n_owners;
	return x->ports_used + x->ports_held < y->ports_used + y->ports_held;
}

int alloc_addr_shared(struct alloc *a, uint32_t owner, struct in_addr want, uint16_t nports,
		      uint32_t nspis, struct in_addr *got)
{
	const struct owner *o;
	int best = -1, nbi;
	uint16_t usable = 0, port_room = 0;

	alloc_expire(a);
	if (want.s_addr != INADDR_ANY) {
		nbi = alloc_nb_index(a, want);
		if (nbi < 0)
			return RSIP_E_LOCAL_ADDR_UNALLOWED;
		if (nb_whole_blocked(&a->nbs[nbi]))
			return RSIP_E_LOCAL_ADDR_INUSE;
		*got = want;
		return 0;
	}
	/* The address the owner already uses, so that an RSIPSEC binding (its
	 * SPIs) and an RSAP-IP binding (its IKE port) of one client meet on
	 * one Nb. */
	o = owner_find(a, owner);
	for (uint16_t i = 0; o && i < a->n_nb; i++)
		if ((o->nb[i].ports || o->nb[i].spis) && !nb_whole_blocked(&a->nbs[i]) &&
		    shared_fits(a, i, owner, nports, nspis)) {
			*got = a->nbs[i].addr;
			return 0;
		}
	for (uint16_t i = 0; i < a->n_nb; i++) {
		if (nb_whole_blocked(&a->nbs[i]))
			continue;
		usable++;
		if (!port_can_take(a, i, nports))
			continue;
		port_room++;
		if (!spi_can_take(a, i, owner, nspis))
			continue;
		if (best < 0 || lighter(a, i, (uint16_t)best))
			best = i;
	}
	if (best >= 0) {
		*got = a->nbs[best].addr;
		return 0;
	}
	if (!usable)
		return RSIP_E_LOCAL_ADDR_UNAVAILABLE;
	return port_room ? RSIP_E_IPSEC_SPI_UNAVAILABLE : RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE;
}

void addr_undo(struct alloc *a, uint16_t nb, uint32_t owner)
{
	if (a->nbs[nb].whole_owner == owner)
		a->nbs[nb].whole_owner = 0;
}

void addr_expire(struct alloc *a, uint16_t nb)
{
	a->nbs[nb].whole_held = false;
}
