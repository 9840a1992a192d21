/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rsipc's tunnel to the gateway: a TUN device holding Nb/32, a rule sending
 * everything sourced from Nb to a table whose default route is the TUN, and
 * a raw socket (IPPROTO_IPIP or IPPROTO_GRE) carrying the packets to and
 * from the tunnel endpoint. It needs no ipip/gre kernel module: the kernel
 * adds the outer header on send and hands received tunnel packets, outer
 * header included, to the raw socket.
 */
#ifndef RSIPC_TUNNEL_H
#define RSIPC_TUNNEL_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "encap.h"

struct nl;

struct tunnel_stats {
	uint64_t tx_packets, tx_bytes; /* TUN -> gateway */
	uint64_t rx_packets, rx_bytes; /* gateway -> TUN */
	uint64_t tx_errors, rx_errors; /* socket / TUN write failures */
	uint64_t drops[ENCAP_N_VERDICTS];
};

struct tunnel {
	int tun_fd;
	int raw_fd;
	int ifindex;
	char dev[IFNAMSIZ];
	uint8_t type;		 /* enum rsip_tunnel_type */
	struct in_addr addr;	 /* Nb */
	struct in_addr endpoint; /* the gateway's tunnel endpoint */
	unsigned int mtu;
	uint32_t table, prio;
	bool route_added, rule_added;
	struct nl *nl;
	struct tunnel_stats stats;
};

struct tunnel_cfg {
	const char *dev; /* name or pattern ("rsip%d") */
	uint8_t type;
	struct in_addr addr;
	struct in_addr endpoint;
	unsigned int mtu; /* 0: path MTU to the endpoint minus the overhead */
	uint32_t table, prio;
};

/* Create everything; on failure undo what was done and describe the problem
 * in err. Returns 0 or -errno. */
int tunnel_up(struct tunnel *t, const struct tunnel_cfg *cfg, char *err, size_t errlen);
/* Remove the rule and the route, close the TUN (which deletes it) and the
 * raw socket. Safe on a half-built or already-downed tunnel. */
void tunnel_down(struct tunnel *t);

/* Move what is waiting (a bounded batch, to stay fair to the other fds). */
void tunnel_pump_out(struct tunnel *t); /* TUN readable */
void tunnel_pump_in(struct tunnel *t);	/* raw socket readable */

/* The MTU of the path to dst (what the route to it uses), or -errno. */
int tunnel_path_mtu(struct in_addr dst);

#endif
