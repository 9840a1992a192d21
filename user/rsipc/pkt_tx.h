/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pump's direct way out (issue 9): whole Ethernet frames, outer IPv4
 * [+ GRE] header built here, sent through a packet socket on the LAN device
 * with PACKET_QDISC_BYPASS. Against the raw socket this skips, per segment,
 * the route lookup, ip_append_data's copy into a fresh skb, netfilter's
 * OUTPUT/POSTROUTING, the neighbour output and the qdisc: in the lab the
 * pump moved 1.14-1.17x the bytes per second of its CPU (docs/performance.md,
 * "Host side"). It needs the next hop's MAC, read from the kernel's neighbour
 * table (/proc/net/arp): until that entry is complete, or when the device is
 * not Ethernet, the pump sends through its raw socket (which also makes the
 * kernel resolve the neighbour). Outer packets leave without the host's
 * netfilter (as the TC data path's: it makes them after netfilter), TC
 * egress and qdisc on the LAN device. Frames carry a virtio_net_hdr
 * (PACKET_VNET_HDR, where the kernel has it): the inner TCP or UDP checksum
 * of a segment is left to the kernel or the device (CHECKSUM_PARTIAL, as the
 * host's own TCP leaves it), not summed over every payload byte here.
 */
#ifndef RSIPC_PKT_TX_H
#define RSIPC_PKT_TX_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_TX_HDR_MAX (14 + 20 + 4) /* Ethernet, outer IPv4, GRE */

struct pkt_tx {
	int fd; /* -1: not open (not Ethernet, or no packet socket) */
	int ifindex;
	char dev[IF_NAMESIZE];
	struct in_addr nexthop; /* whose MAC the frames carry */
	bool ready;		/* eth holds the next hop's MAC */
	uint8_t eth[14];	/* destination, source, 0x0800 */
	struct in_addr src, endpoint;
	uint8_t tunnel; /* enum rsip_tunnel_type */
	uint16_t id;	/* next outer IP ID */
	/* PACKET_VNET_HDR is on: every frame goes behind a virtio_net_hdr,
	 * and an inner L4 checksum may be left partial (the kernel or the
	 * device completes it, as for the host's own TCP). */
	bool vnet;
};

/* Open the packet socket on ifindex (an Ethernet device, else -EOPNOTSUPP)
 * and look the next hop up (pkt_tx_refresh). 0 or -errno; p->fd is -1 on
 * failure. */
int pkt_tx_open(struct pkt_tx *p, int ifindex, struct in_addr nexthop, struct in_addr src,
		struct in_addr endpoint, uint8_t tunnel);
void pkt_tx_close(struct pkt_tx *p);

/* Read the next hop's entry from arp_path ("/proc/net/arp"): p->ready is
 * whether it is complete, and eth carries its MAC. Returns p->ready. */
bool pkt_tx_refresh(struct pkt_tx *p, const char *arp_path);

/* Write the frame header for inner (an IPv4 packet of len bytes) to hdr:
 * Ethernet, outer IPv4 (TOS and DF copied from the inner header, RFC 2003 /
 * RFC 6040 normal mode; TTL 64; the next ID; checksum) [+ GRE]. Returns its
 * length. */
size_t pkt_tx_header(struct pkt_tx *p, uint8_t hdr[PKT_TX_HDR_MAX], const uint8_t *inner,
		     size_t len);

#endif
