// SPDX-License-Identifier: BSD-2-Clause
/*
 * Ports per Nb. A leased port number covers TCP and UDP alike (D10), so one
 * bitmap per Nb says which are leased and one which are held back; a third,
 * shared by every Nb, marks the ones never leased (outside --port-range,
 * 500, 4500, the reserved list). Owners sit in 1024-port chunks allocated
 * on first use, so memory follows what is leased.
 *
 * "any" requests scan next-fit from a per-Nb cursor: the ports freed most
 * recently lie behind it and are the last to be handed out again, on top of
 * the hold-back (RFC 3102 6.1 asks for the oldest freed ports first).
 */
#include "alloc_internal.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include "log.h"

static uint32_t *owner_slot(struct nb_state *n, uint16_t port, bool create)
{
	uint32_t **chunk = &n->port_owner[port / PORT_CHUNK];

	if (!*chunk && create)
		*chunk = calloc(PORT_CHUNK, sizeof(uint32_t));
	return *chunk ? &(*chunk)[port % PORT_CHUNK] : NULL;
}

/* Leasable right now: in range, not reserved, not leased, not held back,
 * and not in use by the gateway itself. */
static bool port_free(struct alloc *a, uint16_t nbi, uint32_t p)
{
	const struct nb_state *n = &a->nbs[nbi];

	if (bit_test(a->port_forbidden, p) || bit_test(n->port_used, p) ||
	    bit_test(n->port_held, p))
		return false;
	return !(a->cfg.port_busy && a->cfg.port_busy(a->cfg.port_busy_arg, n->addr, (uint16_t)p));
}

/* True when the whole 64-port word holding p (p a multiple of 64) is
 * unusable, so a scan can skip it in one step. */
static bool word_full(const struct alloc *a, uint16_t nbi, uint32_t p)
{
	const struct nb_state *n = &a->nbs[nbi];
	uint32_t w = p / 64;

	return (a->port_forbidden[w] | n->port_used[w] | n->port_held[w]) == UINT64_MAX;
}

/* First run of len free ports inside [from, to]; 0 if none. */
static uint32_t find_run(struct alloc *a, uint16_t nbi, uint32_t from, uint32_t to, uint32_t len)
{
	uint32_t run = 0;

	for (uint32_t p = from; p <= to; p++) {
		if (p % 64 == 0 && p + 63 <= to && word_full(a, nbi, p)) {
			run = 0;
			p += 63;
			continue;
		}
		if (!port_free(a, nbi, p)) {
			run = 0;
			continue;
		}
		if (++run == len)
			return p - len + 1;
	}
	return 0;
}

/* Collect up to want free ports from [from, to] into out[*got..]. */
static void collect(struct alloc *a, uint16_t nbi, uint32_t from, uint32_t to, uint16_t *out,
		    uint32_t want, uint32_t *got)
{
	for (uint32_t p = from; p <= to && *got < want; p++) {
		if (p % 64 == 0 && p + 63 <= to && word_full(a, nbi, p)) {
			p += 63;
			continue;
		}
		if (port_free(a, nbi, p))
			out[(*got)++] = (uint16_t)p;
	}
}

static int take(struct alloc_txn *t, uint16_t nbi, uint32_t owner, uint16_t port)
{
	struct alloc *a = t->a;
	struct nb_state *n = &a->nbs[nbi];
	uint32_t *slot;

	if (bit_test(n->port_used, port))
		return RSIP_E_LOCAL_ADDRPORT_INUSE; /* listed twice in one request */
	slot = owner_slot(n, port, true);
	if (!slot)
		return RSIP_E_INTERNAL_SERVER_ERROR;
	bit_set(n->port_used, port);
	*slot = owner;
	n->ports_used++;
	owner_count(a, owner, nbi, 1, 0);
	txn_push(t, J_PORT, nbi, owner, port);
	return 0;
}

static int cmp_u16(const void *x, const void *y)
{
	return (int)*(const uint16_t *)x - (int)*(const uint16_t *)y;
}

int alloc_ports_any(struct alloc_txn *t, uint32_t owner, struct in_addr nb, uint16_t n,
		    uint16_t *out)
{
	struct alloc *a;
	struct nb_state *ns;
	uint32_t first, got = 0, lo, hi, cur;
	size_t mark;
	int nbi, err;

	err = txn_check_nb(t, owner, nb, &nbi);
	if (err || n == 0)
		return err;
	a = t->a;
	ns = &a->nbs[nbi];
	lo = a->cfg.port_lo;
	hi = a->cfg.port_hi;
	cur = ns->port_cursor;
	/* The per-client cap: the host asked for more than it may have, which
	 * is "no address/port set of the requested size" (309), not a policy
	 * refusal of a particular tuple. */
	if (a->cfg.max_ports_per_client &&
	    owner_charged_ports(a, owner) + n > a->cfg.max_ports_per_client)
		return RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE;
	if ((uint64_t)ns->ports_used + ns->ports_held + n > a->ports_leasable)
		return RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE;

	/* A contiguous run first, so one Ports parameter (first, count)
	 * describes the grant; next-fit from the cursor, then from the start. */
	first = find_run(a, (uint16_t)nbi, cur, hi, n);
	if (!first)
		first = find_run(a, (uint16_t)nbi, lo, hi, n);
	if (first) {
		for (uint32_t i = 0; i < n; i++)
			out[i] = (uint16_t)(first + i);
		got = n;
	} else {
		collect(a, (uint16_t)nbi, cur, hi, out, n, &got);
		if (cur > lo)
			collect(a, (uint16_t)nbi, lo, cur - 1, out, n, &got);
	}
	if (got < n)
		return RSIP_E_LOCAL_ADDRPORT_UNAVAILABLE; /* port_busy vetoed some */

	err = txn_take_begin(t, owner, (size_t)n + 1, &mark);
	if (err)
		return err;
	txn_push(t, J_CURSOR, (uint16_t)nbi, owner, cur);
	for (uint32_t i = 0; !err && i < n; i++)
		err = take(t, (uint16_t)nbi, owner, out[i]);
	if (err)
		return txn_take_fail(t, owner, mark, err);
	/* The next search starts after the last port handed out. */
	ns->port_cursor = (uint32_t)out[n - 1] + 1 > hi ? lo : (uint32_t)out[n - 1] + 1;
	qsort(out, n, sizeof(*out), cmp_u16);
	return 0;
}

int alloc_ports_specific(struct alloc_txn *t, uint32_t owner, struct in_addr nb,
			 const uint16_t *ports, uint16_t n)
{
	struct alloc *a;
	size_t mark;
	int nbi, err;

	err = txn_check_nb(t, owner, nb, &nbi);
	if (err || n == 0)
		return err;
	a = t->a;
	/* Policy first (313): it will not change if the host retries. */
	for (uint16_t i = 0; i < n; i++)
		if (bit_test(a->port_forbidden, ports[i]))
			return RSIP_E_LOCAL_ADDRPORT_UNALLOWED;
	/* The per-client cap is policy about this host and these tuples. */
	if (a->cfg.max_ports_per_client &&
	    owner_charged_ports(a, owner) + n > a->cfg.max_ports_per_client)
		return RSIP_E_LOCAL_ADDRPORT_UNALLOWED;
	for (uint16_t i = 0; i < n; i++)
		if (!port_free(a, (uint16_t)nbi, ports[i]))
			return RSIP_E_LOCAL_ADDRPORT_INUSE;

	err = txn_take_begin(t, owner, n, &mark);
	for (uint16_t i = 0; !err && i < n; i++) {
		err = take(t, (uint16_t)nbi, owner, ports[i]);
		if (err)
			return txn_take_fail(t, owner, mark, err);
	}
	return err;
}

void alloc_ports_release(struct alloc *a, uint32_t owner, struct in_addr nb, const uint16_t *ports,
			 uint16_t n)
{
	int nbi = alloc_nb_index(a, nb);
	struct nb_state *ns;

	if (nbi < 0) {
		log_debug("alloc: release of ports on unknown Nb %s", inet_ntoa(nb));
		return;
	}
	ns = &a->nbs[nbi];
	for (uint16_t i = 0; i < n; i++) {
		uint32_t *slot = owner_slot(ns, ports[i], false);

		if (!bit_test(ns->port_used, ports[i]) || !slot || *slot != owner) {
			log_debug("alloc: owner %08x releases port %u it does not hold", owner,
				  ports[i]);
			continue;
		}
		bit_clear(ns->port_used, ports[i]);
		*slot = 0;
		ns->ports_used--;
		owner_count(a, owner, (uint16_t)nbi, -1, 0);
		bit_set(ns->port_held, ports[i]);
		ns->ports_held++;
		holdback_push(a, HB_PORT, (uint16_t)nbi, ports[i], owner);
	}
}

void port_undo(struct alloc *a, uint16_t nb, uint32_t owner, uint16_t port)
{
	struct nb_state *ns = &a->nbs[nb];
	uint32_t *slot = owner_slot(ns, port, false);

	/* Skip what was released again inside the transaction. */
	if (!bit_test(ns->port_used, port) || !slot || *slot != owner)
		return;
	bit_clear(ns->port_used, port);
	*slot = 0;
	ns->ports_used--;
	owner_count(a, owner, nb, -1, 0);
}

void port_expire(struct alloc *a, uint16_t nb, uint16_t port)
{
	struct nb_state *ns = &a->nbs[nb];

	if (!bit_test(ns->port_held, port))
		return;
	bit_clear(ns->port_held, port);
	ns->ports_held--;
}

bool port_can_take(struct alloc *a, uint16_t nb, uint32_t n)
{
	const struct nb_state *ns = &a->nbs[nb];

	return (uint64_t)ns->ports_used + ns->ports_held + n <= a->ports_leasable;
}

void port_nb_free(struct nb_state *n)
{
	for (uint32_t i = 0; i < PORT_CHUNKS; i++) {
		free(n->port_owner[i]);
		n->port_owner[i] = NULL;
	}
}
