// SPDX-License-Identifier: BSD-2-Clause
/*
 * The engine's send callback over both transports, and the hold-back of
 * outgoing messages for group commit: while net.hold is set, what the engine
 * sends during one event-loop iteration waits here until the lease store has
 * committed the iteration's changes (main.c), so no host is told of
 * something a kill -9 could lose.
 */
#include "net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct net_held {
	struct net_held *next;
	struct engine_src to;
	size_t len;
	uint8_t buf[];
};

static int send_now(struct net *n, const struct engine_src *to, const uint8_t *buf, size_t len)
{
	if (to->transport == ENGINE_T_TCP)
		return n->tcp ? tcp_send(n->tcp, to, buf, len) : -ENOTCONN;
	return n->udp ? udp_send(n->udp, to, buf, len) : -ENOTCONN;
}

int net_send(void *arg, const struct engine_src *to, const uint8_t *buf, size_t len)
{
	struct net *n = arg;
	struct net_held *h;

	if (!n->hold)
		return send_now(n, to, buf, len);
	h = malloc(sizeof(*h) + len);
	if (!h)
		return -ENOMEM;
	h->next = NULL;
	h->to = *to;
	h->len = len;
	memcpy(h->buf, buf, len);
	if (n->held_tail)
		n->held_tail->next = h;
	else
		n->held = h;
	n->held_tail = h;
	n->n_held++;
	return 0;
}

struct net_held *net_take_held(struct net *n)
{
	struct net_held *h = n->held;

	n->held = n->held_tail = NULL;
	n->n_held = 0;
	return h;
}

void net_send_held(struct net *n, struct net_held *h)
{
	while (h) {
		struct net_held *next = h->next;

		send_now(n, &h->to, h->buf, h->len);
		free(h);
		h = next;
	}
}

void net_free_held(struct net_held *h)
{
	while (h) {
		struct net_held *next = h->next;

		free(h);
		h = next;
	}
}

void net_release(struct net *n)
{
	net_send_held(n, net_take_held(n));
}

void net_drop_held(struct net *n)
{
	net_free_held(net_take_held(n));
}
