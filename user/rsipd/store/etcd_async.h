/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * etcd transactions that do not block (docs/cluster.md, "Pipelined
 * commits"): each on its own curl easy handle (its own kept-alive
 * connection) in one curl multi handle that the caller's event loop
 * drives - the sockets curl wants watched and the one timer it wants are
 * handed to the caller (ops), which calls etcd_async_fd / etcd_async_timer
 * when they fire (curl_multi_socket_action). A transaction's callback runs
 * from those calls, once, with its outcome.
 *
 * One try each, on the client's current endpoint, within its request
 * deadline. A failure that shows the member unusable (not reached, no
 * answer in time, "unavailable") moves the client (struct etcd) to the
 * next endpoint, so the caller's next transaction goes there; the caller
 * decides whether to write again (a write whose outcome is unknown may
 * have been applied).
 */
#ifndef RSIPD_ETCD_ASYNC_H
#define RSIPD_ETCD_ASYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd_client.h"

struct etcd_async;

struct etcd_async_ops {
	/* Watch fd for in (events bit 1) and/or out (bit 2); 0: stop watching
	 * it. 0 or -errno. */
	int (*watch_fd)(void *arg, int fd, unsigned events);
	/* Call etcd_async_timer in ms milliseconds (0: as soon as possible);
	 * -1: no timer. */
	void (*timer)(void *arg, long ms);
};
#define ETCD_ASYNC_IN  1u
#define ETCD_ASYNC_OUT 2u

/* rc 0 with *succeeded (which branch ran) and rev; or -errno (etcd_error
 * says why): -ETIMEDOUT when the request went out and may have been
 * applied, -ECONNREFUSED not reached, -ECANCELED (etcd_async_cancel), ... */
typedef void (*etcd_async_done)(void *arg, int rc, bool succeeded, int64_t rev);

struct etcd_async *etcd_async_new(struct etcd *e, const struct etcd_async_ops *ops, void *arg);
/* Cancels what is in flight (callbacks with -ECANCELED), then frees. */
void etcd_async_free(struct etcd_async *a);

/* Send a txn (as etcd_txn, without range results) now; done(done_arg, ...)
 * later. 0, or -errno and nothing started (no callback). */
int etcd_async_txn(struct etcd_async *a, const struct etcd_cmp *cmp, size_t ncmp,
		   const struct etcd_op *ok, size_t nok, etcd_async_done done, void *done_arg);
size_t etcd_async_inflight(const struct etcd_async *a);

/* The caller's loop: fd is ready (ETCD_ASYNC_IN / OUT bits), or the timer
 * fired. */
void etcd_async_fd(struct etcd_async *a, int fd, unsigned events);
void etcd_async_timer(struct etcd_async *a);
/* Block until nothing is in flight, at most timeout_ms (shutdown, a role
 * change: what was sent is settled before the synchronous client writes). */
void etcd_async_wait(struct etcd_async *a, int timeout_ms);
/* End every transaction in flight: callbacks with -ECANCELED (what was
 * sent may still be applied by etcd). */
void etcd_async_cancel(struct etcd_async *a);

#endif
