// SPDX-License-Identifier: BSD-2-Clause
/*
 * RSIP over TCP: the stream is cut into messages by Overall Length (several
 * messages in one segment, one message across segments). An impossible
 * length loses the stream: 207, then close (D2). Replies and unsolicited
 * messages are queued per connection and written as the socket allows.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uthash.h>

#include "event.h"
#include "log.h"
#include "outq.h"
#include "rsip/msg.h"

struct tcp_conn {
	uint64_t id;
	int fd;
	struct tcp_server *srv;
	struct in_addr addr;
	uint16_t port;
	bool closing; /* close once the output is written */
	uint8_t in[2 * RSIP_MAX_MSG];
	size_t in_len;
	struct outq out;
	UT_hash_handle hh;
};

struct tcp_server {
	struct ev_loop *loop;
	struct engine *engine;
	int fd;
	uint64_t next_id;
	struct tcp_conn *conns; /* by id */
	size_t n_conns;
};

static void conn_close(struct tcp_conn *c)
{
	struct tcp_server *s = c->srv;

	if (s->engine)
		engine_conn_closed(s->engine, c->id);
	ev_del_fd(s->loop, c->fd);
	close(c->fd);
	HASH_DEL(s->conns, c);
	s->n_conns--;
	outq_free(&c->out);
	free(c);
}

/* Write what the socket takes. Returns -1 when the connection is broken. */
static int conn_flush(struct tcp_conn *c)
{
	return outq_flush(&c->out, c->srv->loop, c->fd);
}

/* Hand every whole message in the buffer to the engine. */
static void conn_process(struct tcp_conn *c)
{
	struct engine_src src = {
	    .transport = RSIP_T_TCP, .addr = c->addr, .port = c->port, .conn = c->id};
	size_t off = 0;

	while (!c->closing) {
		int flen = rsip_frame_len(c->in + off, c->in_len - off);

		if (flen == 0 || (flen > 0 && (size_t)flen > c->in_len - off))
			break; /* wait for more bytes */
		if (flen < 0) {
			engine_bad_frame(c->srv->engine, &src);
			c->closing = true;
			break;
		}
		if (engine_handle(c->srv->engine, &src, c->in + off, (size_t)flen) == ENGINE_CLOSE)
			c->closing = true;
		off += (size_t)flen;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void conn_event(int fd, uint32_t events, void *arg)
{
	struct tcp_conn *c = arg;

	if (events & EPOLLOUT && conn_flush(c) < 0) {
		conn_close(c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) && !c->closing) {
		ssize_t n = recv(fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);

		if (n == 0 ||
		    (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			log_debug("tcp: %s:%u closed", inet_ntoa(c->addr), c->port);
			conn_close(c);
			return;
		}
		if (n > 0) {
			c->in_len += (size_t)n;
			if (c->srv->engine)
				conn_process(c);
		}
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		conn_close(c);
		return;
	}
	if (conn_flush(c) < 0 || (c->closing && !c->out.len))
		conn_close(c);
}

static void tcp_accept(int fd, uint32_t events, void *arg)
{
	struct tcp_server *s = arg;
	int i;

	for (i = 0; i < 16; i++) {
		struct sockaddr_in sa;
		socklen_t slen = sizeof(sa);
		struct tcp_conn *c;
		int cfd = accept4(fd, (struct sockaddr *)&sa, &slen, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("tcp: accept");
			return;
		}
		if (s->n_conns >= TCP_MAX_CONNS || sa.sin_family != AF_INET) {
			log_warnx("tcp: %u connections, refusing %s", TCP_MAX_CONNS,
				  inet_ntoa(sa.sin_addr));
			close(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->id = ++s->next_id;
		c->fd = cfd;
		c->srv = s;
		c->addr = sa.sin_addr;
		c->port = ntohs(sa.sin_port);
		if (ev_add_fd(s->loop, cfd, EPOLLIN, conn_event, c) < 0) {
			close(cfd);
			free(c);
			continue;
		}
		HASH_ADD(hh, s->conns, id, sizeof(c->id), c);
		s->n_conns++;
		log_debug("tcp: connection %llu from %s:%u", (unsigned long long)c->id,
			  inet_ntoa(c->addr), c->port);
	}
}

struct tcp_server *tcp_server_new(struct ev_loop *l, struct in_addr addr, uint16_t port, int *err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = addr, .sin_port = htons(port)};
	struct tcp_server *s = calloc(1, sizeof(*s));
	int one = 1, rc;

	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->loop = l;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s->fd, 128) < 0) {
		*err = -errno;
		goto fail;
	}
	rc = ev_add_fd(l, s->fd, EPOLLIN, tcp_accept, s);
	if (rc < 0) {
		*err = rc;
		goto fail;
	}
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return NULL;
}

void tcp_server_set_engine(struct tcp_server *s, struct engine *e)
{
	s->engine = e;
}

int tcp_send(struct tcp_server *s, const struct engine_src *to, const uint8_t *buf, size_t len)
{
	struct tcp_conn *c;

	HASH_FIND(hh, s->conns, &to->conn, sizeof(to->conn), c);
	if (!c)
		return -ENOTCONN;
	if (c->out.len + len > TCP_MAX_OUT) {
		log_warnx("tcp: %s:%u reads nothing, dropping the connection", inet_ntoa(c->addr),
			  c->port);
		c->closing = true;
		return -ENOBUFS;
	}
	if (outq_append(&c->out, buf, len))
		return -ENOMEM;
	/* Never close here: the engine may be running inside this connection's
	 * read handler. A broken socket shows up as EPOLLERR/EPOLLHUP. */
	if (conn_flush(c) < 0)
		c->closing = true;
	return 0;
}

void tcp_server_free(struct tcp_server *s)
{
	struct tcp_conn *c, *tmp;

	if (!s)
		return;
	HASH_ITER(hh, s->conns, c, tmp)
	conn_close(c);
	ev_del_fd(s->loop, s->fd);
	close(s->fd);
	free(s);
}

int net_send(void *arg, const struct engine_src *to, const uint8_t *buf, size_t len)
{
	struct net *n = arg;

	if (to->transport == RSIP_T_TCP)
		return n->tcp ? tcp_send(n->tcp, to, buf, len) : -ENOTCONN;
	return n->udp ? udp_send(n->udp, to, buf, len) : -ENOTCONN;
}
