/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The output queue of a non-blocking stream connection (RSIP over TCP, the
 * control socket): what the peer has not read yet waits here, and the event
 * loop watches for EPOLLOUT only while something waits.
 */
#ifndef RSIPD_OUTQ_H
#define RSIPD_OUTQ_H

#include <stddef.h>
#include <stdint.h>

struct ev_loop;

struct outq {
	uint8_t *buf;
	size_t len, cap;
};

/* Append len bytes. Returns 0 or -ENOMEM. */
int outq_append(struct outq *q, const void *data, size_t len);
/* Write what fd takes now, then watch fd for EPOLLOUT only if bytes remain.
 * Returns 0, or -1 when the connection is broken. */
int outq_flush(struct outq *q, struct ev_loop *loop, int fd);
void outq_free(struct outq *q);

#endif
