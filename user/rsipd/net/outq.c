// SPDX-License-Identifier: BSD-2-Clause
#include "outq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "event.h"

int outq_append(struct outq *q, const void *data, size_t len)
{
	if (q->len + len > q->cap) {
		size_t cap = q->cap ? q->cap : 4096;
		uint8_t *p;

		while (cap < q->len + len)
			cap *= 2;
		p = realloc(q->buf, cap);
		if (!p)
			return -ENOMEM;
		q->buf = p;
		q->cap = cap;
	}
	memcpy(q->buf + q->len, data, len);
	q->len += len;
	return 0;
}

int outq_flush(struct outq *q, struct ev_loop *loop, int fd)
{
	while (q->len) {
		ssize_t n = send(fd, q->buf, q->len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			return -1;
		}
		memmove(q->buf, q->buf + n, q->len - (size_t)n);
		q->len -= (size_t)n;
	}
	ev_mod_fd(loop, fd, q->len ? EPOLLIN | EPOLLOUT : EPOLLIN);
	return 0;
}

void outq_free(struct outq *q)
{
	free(q->buf);
	*q = (struct outq){0};
}
