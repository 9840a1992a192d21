// SPDX-License-Identifier: BSD-2-Clause
/*
 * RSIP over UDP: one message per datagram (RFC 3103 section 9); the codec
 * checks that Overall Length equals the datagram's size (D2).
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event.h"
#include "log.h"

struct udp_server {
	struct ev_loop *loop;
	struct engine *engine;
	int fd;
	uint8_t buf[65536];
};

static void udp_readable(int fd, uint32_t events, void *arg)
{
	struct udp_server *u = arg;
	int i;

	/* A bounded batch per wake-up keeps TCP and timers served. */
	for (i = 0; i < 64; i++) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		struct engine_src src = {.transport = ENGINE_T_UDP};
		ssize_t n = recvfrom(fd, u->buf, sizeof(u->buf), MSG_TRUNC | MSG_DONTWAIT,
				     (struct sockaddr *)&from, &flen);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("udp: recvfrom");
			return;
		}
		if (flen < sizeof(from) || from.sin_family != AF_INET)
			continue;
		if ((size_t)n > sizeof(u->buf))
			n = sizeof(u->buf); /* the codec answers 207: length mismatch */
		src.addr = from.sin_addr;
		src.port = ntohs(from.sin_port);
		if (u->engine)
			engine_handle(u->engine, &src, u->buf, (size_t)n);
	}
}

struct udp_server *udp_server_new(struct ev_loop *l, struct in_addr addr, uint16_t port,
				  bool freebind, int *err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = addr, .sin_port = htons(port)};
	struct udp_server *u = calloc(1, sizeof(*u));
	int rc;

	if (!u) {
		*err = -ENOMEM;
		return NULL;
	}
	u->loop = l;
	u->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* IP_FREEBIND only for a cluster gateway (docs/cluster.md: a standby
	 * binds Na before keepalived moves it here); elsewhere preflight has
	 * checked the address. */
	if (u->fd < 0 ||
	    (freebind && setsockopt(u->fd, IPPROTO_IP, IP_FREEBIND, &(int){1}, sizeof(int)) < 0) ||
	    bind(u->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		*err = -errno;
		goto fail;
	}
	rc = ev_add_fd(l, u->fd, EPOLLIN, udp_readable, u);
	if (rc < 0) {
		*err = rc;
		goto fail;
	}
	return u;
fail:
	if (u->fd >= 0)
		close(u->fd);
	free(u);
	return NULL;
}

void udp_server_set_engine(struct udp_server *u, struct engine *e)
{
	u->engine = e;
}

int udp_send(struct udp_server *u, const struct engine_src *to, const uint8_t *buf, size_t len)
{
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_addr = to->addr, .sin_port = htons(to->port)};

	if (sendto(u->fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_debug("udp: sendto %s:%u: %s", inet_ntoa(to->addr), to->port, strerror(errno));
		return -errno;
	}
	return 0;
}

void udp_server_free(struct udp_server *u)
{
	if (!u)
		return;
	ev_del_fd(u->loop, u->fd);
	close(u->fd);
	free(u);
}
