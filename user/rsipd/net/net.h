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
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

struct ev_loop;
struct udp_server;
struct tcp_server;

#define TCP_MAX_CONNS 1024
#define TCP_MAX_OUT   (256 * 1024) /* a host that reads nothing is dropped */

/* Bound and listening, or NULL with *err = -errno. */
struct udp_server *udp_server_new(struct ev_loop *l, struct in_addr addr, uint16_t port, int *err);
void udp_server_set_engine(struct udp_server *u, struct engine *e);
int udp_send(struct udp_server *u, const struct engine_src *to, const uint8_t *buf, size_t len);
void udp_server_free(struct udp_server *u);

struct tcp_server *tcp_server_new(struct ev_loop *l, struct in_addr addr, uint16_t port, int *err);
void tcp_server_set_engine(struct tcp_server *t, struct engine *e);
int tcp_send(struct tcp_server *t, const struct engine_src *to, const uint8_t *buf, size_t len);
void tcp_server_free(struct tcp_server *t);

/* Both transports behind one engine_io. */
struct net {
	struct udp_server *udp;
	struct tcp_server *tcp;
};
int net_send(void *arg, const struct engine_src *to, const uint8_t *buf, size_t len);

#endif
