/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rsipc's tunnel to the gateway. A TUN device holds Nb/32 (it answers no
 * ARP), and a rule sends everything sourced from Nb to a table of its own.
 * Two data paths, neither needing an ipip/gre kernel module:
 *  - bpf (default): the table's default route leads out of the LAN device
 *    towards the endpoint, with the tunnel MTU; TC programs on that device
 *    add and remove the outer header (host_tc.h). They pass outer fragments
 *    on: the kernel reassembles them and hands them to the raw socket below,
 *    whose receiver writes them to the TUN; no other packet reaches user
 *    space.
 *  - pump (fallback, or --datapath pump): the table's default route is the
 *    TUN; rsipc reads packets from it and sends them as whole frames through
 *    a packet socket on the LAN device (pkt_tx.h) or, until the next hop's
 *    MAC is known or where that cannot be, through a raw socket
 *    (IPPROTO_IPIP or IPPROTO_GRE; the kernel adds the outer header), and
 *    writes what the raw socket receives, outer header removed, to the TUN.
 * Either way the receiver hands on only what the lease rule (leased.h, the
 * TC program's own) accepts.
 */
#ifndef RSIPC_TUNNEL_H
#define RSIPC_TUNNEL_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "encap.h"
#include "host_tc.h"
#include "leased.h"
#include "nl.h"
#include "pkt_tx.h"
#include "pump_thread.h"

enum tunnel_datapath {
	TUNNEL_DP_AUTO = 0, /* bpf, else pump (with a log line saying why) */
	TUNNEL_DP_BPF,
	TUNNEL_DP_PUMP,
};

struct tunnel_stats {
	uint64_t tx_packets, tx_bytes; /* TUN -> gateway */
	uint64_t rx_packets, rx_bytes; /* gateway -> TUN (bpf: reassembled ones) */
	uint64_t tx_errors, rx_errors; /* socket / TUN write failures */
	uint64_t rx_partial_csum;      /* GRO-merged, handed on with NEEDS_CSUM */
	uint64_t rx_tun_writes;	       /* pump: TUN writes for the rx_packets */
	uint64_t rx_coalesced;	       /* of rx_packets: segments merged with others (coalesce.h) */
	uint64_t tx_tso;	       /* TSO super-packets read and cut */
	uint64_t tx_uso;	       /* USO (UDP GSO) super-packets read and cut */
	uint64_t tx_direct;	       /* of tx_packets: through the packet socket */
	uint64_t tx_partial_csum;      /* of tx_direct: L4 checksum left to the kernel */
	uint64_t tx_queue_full;	       /* sends the device refused, its queue full: waited */
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
	bool bpf;	       /* the TC data path carries the packets */
	struct nl_route route; /* the table's default route */
	struct host_tc tc;
	struct pkt_tx ptx;    /* pump: the direct way out, when it can */
	long ptx_checked;     /* monotonic second of its last neighbour look-up */
	struct leased leased; /* for the raw socket's receiver */
	struct nl *nl;
	/* Each half counts in its own (one writer each, relaxed atomic
	 * stores); tunnel_stats_read sums them. */
	struct tunnel_stats stats;     /* inbound: rsipc's poll loop */
	struct tunnel_stats out_stats; /* outbound: the pump's thread */
	struct pump_thread out_thread; /* pump: TUN -> gateway */
};

struct tunnel_cfg {
	const char *dev; /* name or pattern ("rsip%d") */
	uint8_t type;
	struct in_addr addr;
	struct in_addr endpoint;
	unsigned int mtu; /* 0: path MTU to the endpoint minus the overhead */
	uint32_t table, prio;
	enum tunnel_datapath datapath;
	/* The lease, for the TC programs' checks (host order). */
	const uint16_t *ports;
	unsigned int n_ports;
	uint32_t spi_min, spi_max; /* both 0: none */
	bool whole_addr;	   /* RSA-IP */
	bool ike_ports;		   /* RSIPSEC: IKE on 500/4500, demultiplexed by cookie */
};

/* Create everything; on failure undo what was done and describe the problem
 * in err. Returns 0 or -errno. */
int tunnel_up(struct tunnel *t, const struct tunnel_cfg *cfg, char *err, size_t errlen);
/* Remove the rule and the route, close the TUN (which deletes it) and the
 * raw socket. Safe on a half-built or already-downed tunnel. */
void tunnel_down(struct tunnel *t);

const char *tunnel_datapath_name(const struct tunnel *t); /* "bpf" or "pump" */

/* One more port of ours (a LISTEN), host order: into the TC programs' map
 * and the receiver's set. 0 or -errno. */
int tunnel_add_port(struct tunnel *t, uint16_t port);

/* Move what the raw socket holds to the TUN (a bounded batch, to stay fair
 * to the other fds; both data paths). The pump's outbound half runs on a
 * thread of its own from tunnel_up to tunnel_down (pump_thread.h). */
void tunnel_pump_in(struct tunnel *t);
/* Both halves' counters, as of now. */
void tunnel_stats_read(const struct tunnel *t, struct tunnel_stats *s);

/* The MTU of the path to dst (what the route to it uses), or -errno. */
int tunnel_path_mtu(struct in_addr dst);

#endif
