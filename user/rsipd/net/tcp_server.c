// SPDX-License-Identifier: BSD-2-Clause
/*
 * RSIP over TCP: the stream is cut into messages by Overall Length (several
 * messages in one segment, one message across segments). An impossible
 * length loses the stream: 207, then close (D2). Replies and unsolicited
 * messages are queued per connection and written as the socket allows.
 *
 * No host can starve the others of connections (docs/rsipd.md, "Bounds"):
 * - a connection must complete a message within --tcp-timeout of being
 *   accepted, and a message it has begun within --tcp-timeout of its first
 *   byte; a connection that has completed one may then stay idle (its host
 *   waits for unsolicited messages, D4);
 * - at most --tcp-per-addr connections per source address: a new one
 *   closes that address's oldest;
 * - at most max_conns in all (from RLIMIT_NOFILE): at the cap a new
 *   connection closes the oldest one that has not completed a message yet;
 * - accept() failing for want of fds or memory stops watching the listener
 *   until a connection closes or the next sweep (SWEEP_MS), so it never
 *   spins, with one log line per interval.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "hash32.h"
#include <utlist.h>

#include "accept_pause.h"
#include "clock.h"
#include "event.h"
#include "log.h"
#include "outq.h"
#include "rsip/msg.h"

#define FD_RESERVE 256 /* rsipd's own fds besides RSIP connections */

struct tcp_peer;

struct tcp_conn {
	uint64_t id;
	int fd;
	struct tcp_server *srv;
	struct in_addr addr;
	uint16_t port;
	bool closing; /* close once the output is written */
	bool proven;  /* has completed a message */
	uint64_t accepted_ms;
	uint64_t partial_ms; /* when the unfinished message in[] began; 0: none */
	uint8_t in[2 * RSIP_MAX_MSG];
	size_t in_len;
	struct outq out;
	UT_hash_handle hh;
	struct tcp_peer *peer;
	struct tcp_conn *pprev, *pnext; /* the peer's connections, oldest first */
	struct tcp_conn *uprev, *unext; /* not proven yet, oldest first */
};

/* The connections of one source address. */
struct tcp_peer {
	uint32_t addr;
	uint32_t n;
	struct tcp_conn *conns;
	UT_hash_handle hh;
};

struct tcp_server {
	struct ev_loop *loop;
	struct engine *engine;
	int fd;
	uint64_t next_id;
	struct tcp_conn *conns; /* by id */
	size_t n_conns;
	struct tcp_conn *unproven;
	struct tcp_peer *peers; /* by address */
	size_t max_conns;
	uint32_t timeout_ms, per_addr;
	struct ev_timer *sweep;
	/* accept() out of fds or memory: the listener is not watched until a
	 * connection closes or the next sweep. */
	struct accept_pause pause;
	uint64_t evicted, timed_out; /* totals */
	bool defer_close;	     /* see tcp_server_reap */
	size_t n_closing;	     /* closing connections maybe waiting for the reap */
};

static void peer_put(struct tcp_server *s, struct tcp_peer *p)
{
	if (p && !p->n) {
		HASH_DEL(s->peers, p);
		free(p);
	}
}

static void conn_close(struct tcp_conn *c)
{
	struct tcp_server *s = c->srv;
	struct tcp_peer *p = c->peer;

	if (s->engine)
		engine_conn_closed(s->engine, c->id);
	ev_del_fd(s->loop, c->fd);
	close(c->fd);
	HASH_DEL(s->conns, c);
	s->n_conns--;
	if (!c->proven)
		DL_DELETE2(s->unproven, c, uprev, unext);
	if (p) {
		DL_DELETE2(p->conns, c, pprev, pnext);
		p->n--;
		peer_put(s, p);
	}
	outq_free(&c->out);
	free(c);
	/* An fd came back: try accept() again now rather than after the
	 * back-off. */
	accept_pause_resume(&s->pause);
}

static void conn_proven(struct tcp_conn *c)
{
	if (c->proven)
		return;
	c->proven = true;
	DL_DELETE2(c->srv->unproven, c, uprev, unext);
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
	    .transport = ENGINE_T_TCP, .addr = c->addr, .port = c->port, .conn = c->id};
	size_t off = 0;
	bool completed = false;

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
		completed = true;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	/* The clock of the next message starts at its first byte. */
	if (completed) {
		conn_proven(c);
		c->partial_ms = c->in_len ? mono_ms() : 0;
	} else if (c->in_len && !c->partial_ms) {
		c->partial_ms = mono_ms();
	}
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
	/* With replies held for the store's commit (defer_close), a closing
	 * connection waits for tcp_server_reap(), after they are queued. */
	if (conn_flush(c) < 0 || (c->closing && !c->out.len && !c->srv->defer_close))
		conn_close(c);
	else if (c->closing)
		c->srv->n_closing++;
}

static struct tcp_peer *peer_get(struct tcp_server *s, struct in_addr a)
{
	struct tcp_peer *p;

	HASH_FIND(hh, s->peers, &a.s_addr, sizeof(a.s_addr), p);
	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->addr = a.s_addr;
	HASH_ADD(hh, s->peers, addr, sizeof(p->addr), p);
	return p;
}

/* Room for one more connection from a: close a's oldest when it has its
 * share, then the oldest unproven one when the server is full. False when
 * there is no room (every connection has completed a message). */
static bool make_room(struct tcp_server *s, struct in_addr a)
{
	struct tcp_peer *p;

	HASH_FIND(hh, s->peers, &a.s_addr, sizeof(a.s_addr), p);
	if (p && p->n >= s->per_addr) {
		s->evicted++;
		conn_close(p->conns); /* may free p */
	}
	if (s->n_conns < s->max_conns)
		return true;
	if (!s->unproven)
		return false;
	s->evicted++;
	conn_close(s->unproven);
	return true;
}

static void tcp_accept(int fd, uint32_t events, void *arg)
{
	struct tcp_server *s = arg;
	int i;

	for (i = 0; i < 64; i++) {
		struct sockaddr_in sa;
		socklen_t slen = sizeof(sa);
		struct tcp_conn *c;
		struct tcp_peer *p;
		int cfd = accept4(fd, (struct sockaddr *)&sa, &slen, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (accept_pause_failed(&s->pause, errno, s->n_conns))
				return; /* the sweep timer resumes it */
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("tcp: accept");
			return;
		}
		if (sa.sin_family != AF_INET || !make_room(s, sa.sin_addr)) {
			log_warnx("tcp: %zu connections, all busy: refusing %s", s->n_conns,
				  inet_ntoa(sa.sin_addr));
			close(cfd);
			continue;
		}
		p = peer_get(s, sa.sin_addr);
		c = p ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			close(cfd);
			peer_put(s, p);
			continue;
		}
		c->id = ++s->next_id;
		c->fd = cfd;
		c->srv = s;
		c->addr = sa.sin_addr;
		c->port = ntohs(sa.sin_port);
		c->accepted_ms = mono_ms();
		if (ev_add_fd(s->loop, cfd, EPOLLIN, conn_event, c) < 0) {
			close(cfd);
			free(c);
			peer_put(s, p);
			continue;
		}
		HASH_ADD(hh, s->conns, id, sizeof(c->id), c);
		s->n_conns++;
		c->peer = p;
		p->n++;
		DL_APPEND2(p->conns, c, pprev, pnext);
		DL_APPEND2(s->unproven, c, uprev, unext);
		log_debug("tcp: connection %llu from %s:%u", (unsigned long long)c->id,
			  inet_ntoa(c->addr), c->port);
	}
}

/* Close what has not completed a message in time. O(connections) once per
 * tick; the cap keeps that small. */
static void sweep(void *arg)
{
	struct tcp_server *s = arg;
	struct tcp_conn *c, *tmp;
	uint64_t now = mono_ms();

	accept_pause_resume(&s->pause); /* the back-off of a failed accept() is over */
	HASH_ITER(hh, s->conns, c, tmp)
	{
		uint64_t since = c->partial_ms ? c->partial_ms : c->proven ? 0 : c->accepted_ms;

		if (!since || now - since < s->timeout_ms)
			continue;
		s->timed_out++;
		log_debug("tcp: %s:%u: no complete message within %us, closing", inet_ntoa(c->addr),
			  c->port, s->timeout_ms / 1000);
		conn_close(c);
	}
}

/* The connection cap follows RLIMIT_NOFILE: the soft limit is raised to the
 * hard one, FD_RESERVE stays for rsipd's own fds, TCP_MAX_CONNS at most. */
static size_t conn_cap(void)
{
	struct rlimit rl;
	rlim_t n;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 64;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	n = rl.rlim_cur;
	n = n > 2 * FD_RESERVE ? n - FD_RESERVE : n / 2;
	return n > TCP_MAX_CONNS ? TCP_MAX_CONNS : (size_t)n;
}

struct tcp_server *tcp_server_new(struct ev_loop *l, struct in_addr addr, uint16_t port,
				  bool freebind, int *err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = addr, .sin_port = htons(port)};
	struct tcp_server *s = calloc(1, sizeof(*s));
	int one = 1, rc;

	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->loop = l;
	s->max_conns = conn_cap();
	s->timeout_ms = TCP_DEFAULT_TIMEOUT_MS;
	s->per_addr = TCP_DEFAULT_PER_ADDR;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* IP_FREEBIND: as udp_server.c. */
	if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (freebind && setsockopt(s->fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0) ||
	    bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s->fd, 1024) < 0) {
		*err = -errno;
		goto fail;
	}
	rc = ev_add_fd(l, s->fd, EPOLLIN, tcp_accept, s);
	if (rc < 0) {
		*err = rc;
		goto fail;
	}
	accept_pause_init(&s->pause, l, s->fd, "tcp");
	s->sweep = ev_timer_add(l, SWEEP_MS, SWEEP_MS, sweep, s);
	if (!s->sweep) {
		ev_del_fd(l, s->fd);
		*err = -ENOMEM;
		goto fail;
	}
	log_debug("tcp: at most %zu connections (RLIMIT_NOFILE)", s->max_conns);
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return NULL;
}

void tcp_server_set_limits(struct tcp_server *s, uint32_t timeout_s, uint32_t per_addr)
{
	s->timeout_ms = timeout_s * 1000u;
	s->per_addr = per_addr ? per_addr : 1;
}

void tcp_server_defer_close(struct tcp_server *s, bool on)
{
	s->defer_close = on;
}

void tcp_server_reap(struct tcp_server *s)
{
	struct tcp_conn *c, *tmp;

	if (!s || !s->n_closing)
		return;
	s->n_closing = 0;
	HASH_ITER(hh, s->conns, c, tmp)
	{
		if (!c->closing)
			continue;
		if (!c->out.len || conn_flush(c) < 0)
			conn_close(c);
		/* else: EPOLLOUT writes the rest, and conn_event closes it */
	}
}

void tcp_server_stats(const struct tcp_server *s, struct tcp_stats *st)
{
	*st = (struct tcp_stats){.conns = s->n_conns,
				 .max_conns = s->max_conns,
				 .accept_failures = s->pause.failures,
				 .evicted = s->evicted,
				 .timed_out = s->timed_out,
				 .paused = s->pause.paused};
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
	ev_timer_del(s->loop, s->sweep);
	ev_del_fd(s->loop, s->fd);
	close(s->fd);
	free(s);
}
