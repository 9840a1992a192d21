/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * How the slow path sends: through the kernel, so routing, neighbour
 * resolution and (for tunnels) fragmentation of the outer header are its job.
 *   - tunnels: socket(AF_INET, SOCK_RAW, IPPROTO_IPIP / IPPROTO_GRE) bound to
 *     Na, WITHOUT IP_HDRINCL: the kernel builds the outer header (Na -> Xa)
 *     and, unlike a header-including raw socket, fragments it when it does
 *     not fit the LAN (IP_PMTUDISC_DONT: DF clear). GRE gets the 4-byte
 *     RFC 2784 header prepended. Works without the ipip/gre modules.
 *   - the public side: an IPPROTO_RAW socket (the packet as it is, header
 *     included; never fragmented by the kernel, see slow_frag.h).
 * The receive side of these sockets is closed with a drop-all filter: a raw
 * socket otherwise queues a copy of every IPIP/GRE packet N receives.
 */
#ifndef RSIPD_SLOW_TX_H
#define RSIPD_SLOW_TX_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/* What the slow path needs to send; tests plug in their own. */
struct slow_tx_ops {
	/* Tunnel inner (a whole IPv4 packet) to xa (network order) with
	 * tunnel (RSIP_TUNNEL_IPIP / RSIP_TUNNEL_GRE). 0 or -errno. */
	int (*tunnel)(void *arg, uint32_t xa, uint8_t tunnel, const uint8_t *inner, size_t len);
	/* Send a whole IPv4 packet as it is. 0 or -errno. */
	int (*raw)(void *arg, const uint8_t *pkt, size_t len);
	void *arg;
};

struct slow_tx {
	int ipip, gre, raw;
};

/* Open the three sockets, the tunnel ones bound to na (network order).
 * freebind: na may not be this host's yet (IP_FREEBIND: a cluster's standby,
 * before keepalived moves Na here; docs/cluster.md). 0 or -errno (the
 * message names the socket). */
int slow_tx_open(struct slow_tx *tx, uint32_t na, bool freebind);
void slow_tx_close(struct slow_tx *tx);
/* The ops over an open slow_tx. */
void slow_tx_ops_init(struct slow_tx_ops *ops, struct slow_tx *tx);

#endif
