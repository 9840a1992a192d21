// SPDX-License-Identifier: BSD-2-Clause
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "exposition.h"
#include "log.h"
#include "net/event.h"

#define HOUSEKEEPING_MS 1000 /* MHD's idle timeouts */

struct metrics_server {
	struct ev_loop *loop;
	struct MHD_Daemon *mhd;
	struct ctl_ctx *ctx;
	struct ev_timer *timer;
	int epfd;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **con_cls)
{
	struct metrics_server *m = cls;
	static char not_found[] = "rsipd serves /metrics only\n";
	static char bad_method[] = "GET or HEAD\n";
	char *body = NULL;
	size_t len = 0;
	int rc;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad_method,
			     strlen(bad_method), MHD_RESPMEM_PERSISTENT);
	if (*upload_len) /* a GET with a body: ignore it */
		*upload_len = 0;
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found, strlen(not_found),
			     MHD_RESPMEM_PERSISTENT);
	rc = metrics_render(m->ctx, &body, &len);
	if (rc < 0) {
		static char failed[] = "cannot read rsipd's state\n";

		log_warnx("metrics: %s", strerror(-rc));
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", failed,
			     strlen(failed), MHD_RESPMEM_PERSISTENT);
	}
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len,
		     MHD_RESPMEM_MUST_FREE);
}

static void on_ready(int fd, uint32_t events, void *arg)
{
	struct metrics_server *m = arg;

	MHD_run(m->mhd);
}

static void on_timer(void *arg)
{
	struct metrics_server *m = arg;

	MHD_run(m->mhd);
}

struct metrics_server *metrics_server_new(struct ev_loop *loop, struct in_addr addr, uint16_t port,
					  struct ctl_ctx *ctx, int *err)
{
	struct metrics_server *m = calloc(1, sizeof(*m));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = addr, .sin_port = htons(port)};
	const union MHD_DaemonInfo *info;

	if (!m) {
		*err = -ENOMEM;
		return NULL;
	}
	m->loop = loop;
	m->ctx = ctx;
	m->epfd = -1;
	/* No thread of MHD's own: rsipd's loop runs it (MHD_USE_EPOLL). */
	m->mhd = MHD_start_daemon(
	    MHD_USE_EPOLL | MHD_USE_ERROR_LOG, port, NULL, NULL, on_request, m,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)METRICS_MAX_CONNS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)METRICS_MAX_CONNS_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)METRICS_IDLE_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
	    MHD_OPTION_END);
	if (!m->mhd) {
		*err = errno ? -errno : -EADDRINUSE;
		free(m);
		return NULL;
	}
	info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		*err = -EIO;
		metrics_server_free(m);
		return NULL;
	}
	m->epfd = info->epoll_fd;
	*err = ev_add_fd(loop, m->epfd, EPOLLIN, on_ready, m);
	if (*err < 0) {
		m->epfd = -1;
		metrics_server_free(m);
		return NULL;
	}
	m->timer = ev_timer_add(loop, HOUSEKEEPING_MS, HOUSEKEEPING_MS, on_timer, m);
	if (!m->timer) {
		*err = -ENOMEM;
		metrics_server_free(m);
		return NULL;
	}
	log_notice("metrics on http://%s:%u/metrics", inet_ntoa(addr), port);
	return m;
}

void metrics_server_free(struct metrics_server *m)
{
	if (!m)
		return;
	if (m->timer)
		ev_timer_del(m->loop, m->timer);
	if (m->epfd >= 0)
		ev_del_fd(m->loop, m->epfd);
	MHD_stop_daemon(m->mhd);
	free(m);
}
