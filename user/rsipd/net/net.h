/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The RSIP transports: a UDP socket (one message per datagram) and a TCP
 * listener whose streams are cut into messages by Overall Length. Both hand
 * messages to the engine and deliver what it sends (net_send, the engine's
 * io callback).
 */
#ifndef RSIPD_NET_H
#define RSIPD_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

struct ev_loop;
struct udp_server;
struct tcp_server;

/* Connections at most; fewer when RLIMIT_NOFILE (its hard limit) is lower.
 * The systemd unit sets LimitNOFILE above it. */
#define TCP_MAX_CONNS	       16384
#define TCP_MAX_OUT	       (256 * 1024) /* a host that reads nothing is dropped */
#define TCP_DEFAULT_TIMEOUT_MS 5000
#define TCP_DEFAULT_PER_ADDR   8
#define SWEEP_MS	       500 /* how often the timeouts are checked */

/* Bound and listening, or NULL with *err = -errno. */
/* freebind: bind addr before this host holds it (IP_FREEBIND: a cluster's
 * standby, docs/cluster.md). */
struct udp_server *udp_server_new(struct ev_loop *l, struct in_addr addr, uint16_t port,
				  bool freebind, int *err);
void udp_server_set_engine(struct udp_server *u, struct engine *e);
int udp_send(struct udp_server *u, const struct engine_src *to, const uint8_t *buf, size_t len);
void udp_server_free(struct udp_server *u);

struct tcp_server *tcp_server_new(struct ev_loop *l, struct in_addr addr, uint16_t port,
				  bool freebind, int *err);
void tcp_server_set_engine(struct tcp_server *t, struct engine *e);
/* --tcp-timeout (seconds) and --tcp-per-addr. */
void tcp_server_set_limits(struct tcp_server *t, uint32_t timeout_s, uint32_t per_addr);
/* Replies are held until the lease store commits (net.hold): a connection
 * to close after its last reply stays until tcp_server_reap(), which runs
 * after net_release(). */
void tcp_server_defer_close(struct tcp_server *t, bool on);
void tcp_server_reap(struct tcp_server *t);
struct tcp_stats {
	size_t conns, max_conns;
	uint64_t accept_failures, evicted, timed_out;
	bool paused;
};
void tcp_server_stats(const struct tcp_server *t, struct tcp_stats *st);
int tcp_send(struct tcp_server *t, const struct engine_src *to, const uint8_t *buf, size_t len);
void tcp_server_free(struct tcp_server *t);

struct net_held;

/* Both transports behind one engine_io. */
struct net {
	struct udp_server *udp;
	struct tcp_server *tcp;
	/* hold: messages wait in held until net_release() (group commit: a
	 * reply leaves only once what it acknowledges is in the store). */
	bool hold;
	struct net_held *held, *held_tail;
	size_t n_held;
};
int net_send(void *arg, const struct engine_src *to, const uint8_t *buf, size_t len);
/* Send what was held, in order. */
void net_release(struct net *n);
/* What was held, taken away as one list (the replies of one event-loop
 * iteration, waiting for their commit: the cluster store's pipelined
 * commits); NULL when nothing was. */
struct net_held *net_take_held(struct net *n);
/* Send such a list, in order, and free it / free it unsent. */
void net_send_held(struct net *n, struct net_held *list);
void net_free_held(struct net_held *list);
/* Drop what was held (shutdown). */
void net_drop_held(struct net *n);

#endif
