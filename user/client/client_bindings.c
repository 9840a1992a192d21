// SPDX-License-Identifier: BSD-2-Clause
/*
 * librsip binding table and lease renewal. Each binding remembers when its
 * lease runs out on the client's clock; one with auto_renew gets an EXTEND
 * when renew_num/renew_den of its lease has passed (1/2 by default: a lost
 * renewal still leaves half the lease for retries). A binding whose lease
 * runs out before a renewal got through is dropped and reported: the
 * gateway has dropped it too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "log.h"

/* Never renew more often than this, whatever the lease: a gateway granting
 * a 0- or 1-second lease must not turn the client into a busy loop. */
#define RENEW_MIN_US 200000u
/* After a failed renewal, try again after half the time that is left, but
 * not sooner than this. */
#define RETRY_MIN_US 500000u

struct rsip_binding *rsip_bind_find(struct rsip_client *c, uint32_t bind_id)
{
	for (unsigned int i = 0; i < c->n_bindings; i++)
		if (c->bindings[i]->bind_id == bind_id)
			return c->bindings[i];
	return NULL;
}

const struct rsip_binding *rsip_client_binding(const struct rsip_client *c, uint32_t bind_id)
{
	return rsip_bind_find((struct rsip_client *)c, bind_id);
}

unsigned int rsip_client_n_bindings(const struct rsip_client *c)
{
	return c->n_bindings;
}

const struct rsip_binding *rsip_client_binding_at(const struct rsip_client *c, unsigned int i)
{
	return i < c->n_bindings ? c->bindings[i] : NULL;
}

struct rsip_binding *rsip_bind_add(struct rsip_client *c)
{
	struct rsip_binding **nb, *b;
	unsigned int cap;

	if (c->n_bindings == c->cap_bindings) {
		cap = c->cap_bindings ? 2 * c->cap_bindings : 4;
		nb = realloc(c->bindings, cap * sizeof(*nb));
		if (!nb)
			return NULL;
		c->bindings = nb;
		c->cap_bindings = cap;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	c->bindings[c->n_bindings++] = b;
	return b;
}

void rsip_bind_remove(struct rsip_client *c, uint32_t bind_id)
{
	for (unsigned int i = 0; i < c->n_bindings; i++) {
		if (c->bindings[i]->bind_id != bind_id)
			continue;
		free(c->bindings[i]);
		memmove(&c->bindings[i], &c->bindings[i + 1],
			(c->n_bindings - i - 1) * sizeof(c->bindings[0]));
		c->n_bindings--;
		return;
	}
}

void rsip_bind_clear(struct rsip_client *c)
{
	for (unsigned int i = 0; i < c->n_bindings; i++)
		free(c->bindings[i]);
	c->n_bindings = 0;
}

void rsip_bind_set_lease(struct rsip_client *c, struct rsip_binding *b, uint32_t lease_s)
{
	uint64_t now = rsip_now(c), life = (uint64_t)lease_s * 1000000u, wait;

	b->lease_s = lease_s;
	b->expires_us = now + life;
	b->renew_at_us = 0;
	if (!b->auto_renew)
		return;
	wait = life * c->cfg.renew_num / c->cfg.renew_den;
	if (wait < RENEW_MIN_US)
		wait = RENEW_MIN_US;
	b->renew_at_us = now + wait;
}

static void renew_done(void *arg, int rc, const struct rsip_msg *rsp)
{
	/* Everything happens in rsip_apply_*: the renewal has no caller. */
	(void)arg;
	(void)rc;
	(void)rsp;
}

static void start_renewal(struct rsip_client *c, struct rsip_binding *b)
{
	struct rsip_req *r;
	struct rsip_msg *m;

	m = malloc(sizeof(*m));
	if (!m)
		return;
	rsip_msg_init(m, RSIP_EXTEND_REQUEST);
	m->bind_id = b->bind_id;
	m->has |= RSIP_HAS_BIND_ID;
	if (b->lease_req_s) {
		m->lease = b->lease_req_s;
		m->has |= RSIP_HAS_LEASE;
	}
	if (rsip_queue_submit(c, m, renew_done, NULL, &r) == 0) {
		r->is_renewal = true;
		b->renewing = true;
		log_debug("rsip: renewing binding %u (lease %u s)", b->bind_id, b->lease_s);
	}
	free(m);
}

/* After a renewal attempt failed without an answer: retry while time is
 * left. */
void rsip_bind_retry_later(struct rsip_client *c, struct rsip_binding *b)
{
	uint64_t now = rsip_now(c), wait;

	b->renewing = false;
	wait = b->expires_us > now ? (b->expires_us - now) / 2 : 0;
	if (wait < RETRY_MIN_US)
		wait = RETRY_MIN_US;
	b->renew_at_us = now + wait;
}

void rsip_bind_tick(struct rsip_client *c)
{
	uint64_t now = rsip_now(c);
	struct rsip_client_event ev;
	struct rsip_binding *b;
	unsigned int i = 0;

	while (i < c->n_bindings) {
		b = c->bindings[i];
		if (now >= b->expires_us) {
			ev = (struct rsip_client_event){.type = RSIP_EV_BINDING_LOST,
							.client_id = c->reg.client_id,
							.bind_id = b->bind_id,
							.error = -ETIMEDOUT};
			log_debug("rsip: binding %u: lease ran out", b->bind_id);
			rsip_bind_remove(c, b->bind_id);
			rsip_emit(c, &ev);
			continue;
		}
		if (b->auto_renew && !b->renewing && b->renew_at_us && now >= b->renew_at_us)
			start_renewal(c, b);
		i++;
	}
}

uint64_t rsip_bind_next_deadline(const struct rsip_client *c)
{
	uint64_t t = UINT64_MAX;

	for (unsigned int i = 0; i < c->n_bindings; i++) {
		const struct rsip_binding *b = c->bindings[i];

		if (b->expires_us < t)
			t = b->expires_us;
		if (b->auto_renew && !b->renewing && b->renew_at_us && b->renew_at_us < t)
			t = b->renew_at_us;
	}
	return t;
}
