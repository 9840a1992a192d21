// SPDX-License-Identifier: BSD-2-Clause
/*
 * librsip's lowest layer besides the socket: the clock, the caller's event
 * callback and the request queue's tail. client_core.c (which sends, times
 * and sorts answers), client_apply.c and client_bindings.c all build on it,
 * so that none of them calls back into a layer above it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

uint64_t rsip_now(const struct rsip_client *c)
{
	return c->cfg.clock(c->cfg.clock_arg);
}

void rsip_emit(struct rsip_client *c, const struct rsip_client_event *ev)
{
	if (c->cfg.on_event)
		c->cfg.on_event(c->cfg.event_arg, ev);
}

int rsip_queue_submit(struct rsip_client *c, const struct rsip_msg *m, rsip_done_fn done, void *arg,
		      struct rsip_req **out)
{
	struct rsip_req *r;

	if (!m || !rsip_msg_type_known(m->type) || rsip_msg_is_response(m->type))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->m = malloc(sizeof(*r->m));
	if (!r->m) {
		free(r);
		return -ENOMEM;
	}
	memcpy(r->m, m, sizeof(*m));
	r->done = done;
	r->arg = arg;
	if (c->tail)
		c->tail->next = r;
	else
		c->head = r;
	c->tail = r;
	c->n_pending++;
	if (out)
		*out = r;
	return 0;
}
