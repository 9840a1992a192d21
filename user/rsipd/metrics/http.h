/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --metrics ADDR:PORT: GET /metrics in the Prometheus text format, served
 * by libmicrohttpd inside rsipd's own event loop (MHD's epoll fd is one more
 * fd of the loop), so a scrape reads the engine from the thread that owns
 * it. Connections are bounded (total, per address, idle time).
 */
#ifndef RSIPD_METRICS_HTTP_H
#define RSIPD_METRICS_HTTP_H

#include <netinet/in.h>
#include <stdint.h>

struct ctl_ctx;
struct ev_loop;
struct metrics_server;

#define METRICS_MAX_CONNS	 16
#define METRICS_MAX_CONNS_PER_IP 4
#define METRICS_IDLE_S		 10

/* NULL and *err = -errno when the address cannot be bound. */
struct metrics_server *metrics_server_new(struct ev_loop *loop, struct in_addr addr, uint16_t port,
					  struct ctl_ctx *ctx, int *err);
void metrics_server_free(struct metrics_server *m);

#endif
