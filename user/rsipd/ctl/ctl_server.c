// SPDX-License-Identifier: BSD-2-Clause
/*
 * The control socket: a UNIX stream socket, mode 0600 (it can revoke
 * leases), one JSON request per line and one JSON response per line, as
 * many as the client likes on one connection.
 */
#include "ctl.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/accept_pause.h"
#include "net/event.h"
#include "log.h"
#include "net/outq.h"

#define CTL_MAX_CONNS 16
#define CTL_RESUME_MS 1000 /* a paused listener is watched again this often */

struct ctl_conn {
	int fd;
	struct ctl_server *srv;
	char in[CTL_MAX_LINE];
	size_t in_len;
	struct outq out;
	bool closing;
	struct ctl_conn *next;
};

struct ctl_server {
	struct ev_loop *loop;
	struct ctl_ctx *ctx;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_conn *conns;
	size_t n_conns;
	struct accept_pause pause; /* accept() out of fds: no spin */
	struct ev_timer *resume;   /* made at start: later there may be no fd for it */
};

static void conn_close(struct ctl_conn *c)
{
	struct ctl_server *s = c->srv;
	struct ctl_conn **pp;

	for (pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ev_del_fd(s->loop, c->fd);
	close(c->fd);
	s->n_conns--;
	outq_free(&c->out);
	free(c);
	accept_pause_resume(&s->pause); /* an fd came back */
}

static int conn_queue(struct ctl_conn *c, const char *s, size_t len)
{
	return outq_append(&c->out, s, len);
}

static int conn_flush(struct ctl_conn *c)
{
	return outq_flush(&c->out, c->srv->loop, c->fd);
}

static void conn_lines(struct ctl_conn *c)
{
	size_t off = 0;
	char *nl;

	while ((nl = memchr(c->in + off, '\n', c->in_len - off))) {
		struct json_object *res;
		const char *txt;

		*nl = '\0';
		res = ctl_command(c->srv->ctx, c->in + off);
		txt = json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN);
		if (conn_queue(c, txt, strlen(txt)) < 0 || conn_queue(c, "\n", 1) < 0)
			c->closing = true;
		json_object_put(res);
		off = (size_t)(nl - c->in) + 1;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	if (c->in_len == sizeof(c->in)) { /* a line longer than we accept */
		static const char too_long[] =
		    "{\"ok\":false,\"error\":\"request line longer than 65535 bytes\"}\n";

		conn_queue(c, too_long, sizeof(too_long) - 1);
		c->closing = true;
	}
}

static void conn_event(int fd, uint32_t events, void *arg)
{
	struct ctl_conn *c = arg;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) && !c->closing) {
		ssize_t n = recv(fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);

		if (n == 0 ||
		    (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			conn_close(c);
			return;
		}
		if (n > 0) {
			c->in_len += (size_t)n;
			conn_lines(c);
		}
	}
	if (conn_flush(c) < 0 || (c->closing && !c->out.len))
		conn_close(c);
}

static void on_resume(void *arg)
{
	accept_pause_resume(&((struct ctl_server *)arg)->pause);
}

static void ctl_accept(int fd, uint32_t events, void *arg)
{
	struct ctl_server *s = arg;
	struct ctl_conn *c;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0) {
		if (!accept_pause_failed(&s->pause, errno, s->n_conns) && errno != EAGAIN &&
		    errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
			log_warn("control socket: accept");
		return;
	}
	if (s->n_conns >= CTL_MAX_CONNS) {
		log_warnx("control socket: %d connections already, refusing one", CTL_MAX_CONNS);
		close(cfd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || ev_add_fd(s->loop, cfd, EPOLLIN, conn_event, c) < 0) {
		free(c);
		close(cfd);
		return;
	}
	c->fd = cfd;
	c->srv = s;
	c->next = s->conns;
	s->conns = c;
	s->n_conns++;
}

struct ctl_server *ctl_server_new(struct ev_loop *l, const char *path, struct ctl_ctx *ctx,
				  int *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ctl_server *s;
	struct stat st;
	mode_t old;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->loop = l;
	s->ctx = ctx;
	strcpy(s->path, path);
	strcpy(sa.sun_path, path);
	/* A socket left by a daemon that died is replaced; anything else at
	 * that path is not ours to remove. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			*err = -EEXIST;
			goto fail;
		}
		unlink(path);
	}
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		*err = -errno;
		goto fail;
	}
	old = umask(0177); /* created 0600: only root may revoke leases */
	rc = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(s->fd, 16) < 0) {
		*err = -errno;
		close(s->fd);
		goto fail;
	}
	rc = ev_add_fd(l, s->fd, EPOLLIN, ctl_accept, s);
	if (rc < 0) {
		*err = rc;
		close(s->fd);
		unlink(path);
		goto fail;
	}
	accept_pause_init(&s->pause, l, s->fd, "control socket");
	ctx->ctl_pause = &s->pause;
	s->resume = ev_timer_add(l, CTL_RESUME_MS, CTL_RESUME_MS, on_resume, s);
	if (!s->resume) {
		*err = -ENOMEM;
		ev_del_fd(l, s->fd);
		close(s->fd);
		unlink(path);
		goto fail;
	}
	return s;
fail:
	free(s);
	return NULL;
}

void ctl_server_free(struct ctl_server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s->conns);
	ev_timer_del(s->loop, s->resume);
	s->ctx->ctl_pause = NULL;
	ev_del_fd(s->loop, s->fd);
	close(s->fd);
	unlink(s->path);
	free(s);
}
