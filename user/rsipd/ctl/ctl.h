/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control socket of docs/control-protocol.md: one JSON request per line
 * in, one JSON response per line out. ctl_command() is the whole protocol
 * minus the socket, so tests call it directly.
 */
#ifndef RSIPD_CTL_H
#define RSIPD_CTL_H

#include <stdint.h>

struct engine;
struct ev_loop;
struct rsipd_config;
struct json_object;
struct ctl_server;

#define RSIPD_VERSION "0.1"
#define CTL_MAX_LINE  65536

struct tcp_server;
struct cluster_store;

struct accept_pause;

struct ctl_ctx {
	struct engine *engine;
	const struct rsipd_config *cfg;
	const struct tcp_server *tcp;  /* NULL: no TCP figures in counters */
	uint64_t start_ms;	       /* engine clock at start-up, for uptime */
	struct cluster_store *cluster; /* --store etcd://...; NULL: none */
	/* The control socket's accept() back-off (set by ctl_server_new). */
	const struct accept_pause *ctl_pause;
};

/* The response object ({"ok":...}) for one request line. Caller puts it. */
struct json_object *ctl_command(struct ctl_ctx *ctx, const char *line);

/* Listen on path (mode 0600, a stale socket replaced). NULL, *err = -errno. */
struct ctl_server *ctl_server_new(struct ev_loop *l, const char *path, struct ctl_ctx *ctx,
				  int *err);
void ctl_server_free(struct ctl_server *s); /* also removes the socket file */

#endif
