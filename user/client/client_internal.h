/* SPDX-License-Identifier: BSD-2-Clause */
/* librsip internals shared by the files of user/client/. Not installed. */
#ifndef RSIP_CLIENT_INTERNAL_H
#define RSIP_CLIENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsip/client.h"

/* One request: queued, then in flight (sent at least once), then done. */
struct rsip_req {
	struct rsip_req *next;
	struct rsip_msg *m; /* what to send; counter/client ID set at send time */
	rsip_done_fn done;
	void *arg;

	/* Internal follow-ups that the public API does not expose. */
	uint32_t lease_req; /* ASSIGN: what renewals ask for */
	bool auto_renew;    /* ASSIGN: renew the new binding */
	bool is_renewal;    /* EXTEND started by the renewal timer */

	bool sent;
	unsigned int sends;
	uint32_t counter;
	uint64_t deadline_us;	   /* next retransmission, or give-up */
	uint8_t buf[RSIP_MAX_MSG]; /* the encoded copy every retransmission sends */
	size_t len;
};

struct rsip_client {
	struct rsip_client_cfg cfg;
	int fd;
	enum rsip_transport transport;
	struct in_addr server;
	uint16_t port;
	bool can_reconnect; /* made by rsip_client_connect: we know where to */

	uint32_t counter; /* the one the next request gets */

	struct rsip_req *head, *tail; /* head is the one in flight once sent */
	unsigned int n_pending;

	/* TCP stream buffers. */
	uint8_t in[2 * RSIP_MAX_MSG];
	size_t in_len;
	uint8_t out[2 * RSIP_MAX_MSG];
	size_t out_len;

	struct rsip_registration reg;
	struct rsip_client_error last_err;

	struct rsip_binding **bindings;
	unsigned int n_bindings, cap_bindings;

	struct rsip_msg *rx; /* decode scratch: a struct rsip_msg is large */
	/* UDP receive buffer, larger than any message we accept, so that an
	 * oversized datagram is seen whole and rejected by the decoder instead
	 * of being truncated into something that parses. */
	uint8_t *dgram;
	size_t dgram_cap;
};

/* client_io.c: the socket. Reports each whole message it reads through
 * on_msg (the layer above passes its handler: io never calls up). */
typedef void (*rsip_io_msg_fn)(struct rsip_client *c, const uint8_t *buf, size_t len);

int rsip_io_connect(struct in_addr server, uint16_t port, enum rsip_transport t,
		    uint32_t timeout_us);
int rsip_io_send(struct rsip_client *c, const uint8_t *buf, size_t len);
int rsip_io_flush(struct rsip_client *c);
/* Read what is there; calls on_msg for each whole message. Returns 0, or
 * -errno when the connection is gone. */
int rsip_io_read(struct rsip_client *c, rsip_io_msg_fn on_msg);
void rsip_io_disconnect(struct rsip_client *c);

/* client_queue.c: clock, events, queueing (below everything but io) */
uint64_t rsip_now(const struct rsip_client *c);
void rsip_emit(struct rsip_client *c, const struct rsip_client_event *ev);
/* Queue a request (sent by client_core.c when its turn comes). */
int rsip_queue_submit(struct rsip_client *c, const struct rsip_msg *m, rsip_done_fn done, void *arg,
		      struct rsip_req **out);

/* client_core.c */
/* Fail every request (in flight and queued) with rc. */
void rsip_core_fail_all(struct rsip_client *c, int rc);

/* client_apply.c: what a successful answer changes; returns 0 or -EPROTO. */
int rsip_apply_response(struct rsip_client *c, struct rsip_req *r, const struct rsip_msg *rsp);
/* What an ERROR_RESPONSE to r changes (a refused renewal loses the binding). */
void rsip_apply_error(struct rsip_client *c, struct rsip_req *r, const struct rsip_msg *rsp);
/* What a request that got no answer changes (renewal retry). */
void rsip_apply_failure(struct rsip_client *c, struct rsip_req *r, int rc);
void rsip_apply_unsolicited(struct rsip_client *c, const struct rsip_msg *m);

/* client_bindings.c */
struct rsip_binding *rsip_bind_find(struct rsip_client *c, uint32_t bind_id);
struct rsip_binding *rsip_bind_add(struct rsip_client *c);
void rsip_bind_remove(struct rsip_client *c, uint32_t bind_id);
void rsip_bind_clear(struct rsip_client *c);
/* Set lease, expiry and the next renewal time from a grant made now. */
void rsip_bind_set_lease(struct rsip_client *c, struct rsip_binding *b, uint32_t lease_s);
/* A renewal got no answer: try again while the lease lasts. */
void rsip_bind_retry_later(struct rsip_client *c, struct rsip_binding *b);
/* Start due renewals, drop expired bindings. */
void rsip_bind_tick(struct rsip_client *c);
uint64_t rsip_bind_next_deadline(const struct rsip_client *c);

#endif
