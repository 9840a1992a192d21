/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ABI between rsipc and its TC programs (bpf/rsipc_tc.bpf.c): the
 * host's half of the RSIP tunnel, run on the host's LAN interface.
 *
 *   rsipc_egress   clsact egress: IPv4 sourced from Nb gets the outer IPv4
 *                  header Xa -> Na (+ the 4-byte GRE header), by
 *                  bpf_skb_adjust_room with the ENCAP flags so that a GSO
 *                  packet stays one GSO packet (segmented, outer headers
 *                  included, by the stack or the NIC);
 *   rsipc_ingress  clsact ingress: the outer header comes off packets from Na
 *                  to Xa whose inner packet is for Nb and one of our ports or
 *                  SPIs (the DECAP flags keep GRO-merged packets valid);
 *                  everything else passes untouched.
 *
 * The lease goes in at load time (struct rsipc_tc_cfg, a const volatile
 * global: the JIT sees constants); the leased ports live in a map because
 * LISTEN adds some while the programs run. Both clang -target bpf (with
 * vmlinux.h) and gcc (with the uapi headers) compile this file. Addresses,
 * ports and SPIs are in network byte order.
 */
#ifndef RSIP_HOST_TC_H
#define RSIP_HOST_TC_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RSIPC_TC_MAP_PORTS    "rsipc_ports"
#define RSIPC_TC_MAP_STATS    "rsipc_stats"
#define RSIPC_TC_MAX_PORTS    1024
#define RSIPC_TC_TUNNEL_IPIP  1 /* enum rsip_tunnel_type */
#define RSIPC_TC_TUNNEL_GRE   2
#define RSIPC_TC_F_WHOLE_ADDR 0x01 /* RSA-IP: every port and SPI of Nb is ours */
/* RSIPSEC: UDP to 500 and 4500 (IKE, NAT-T) is ours when the gateway sends
 * it: it demultiplexes those by cookie and SPI (RFC 3104 6.1), not by port. */
#define RSIPC_TC_F_IKE_PORTS 0x02

struct rsipc_tc_cfg {
	__be32 nb;	 /* the leased address */
	__be32 xa;	 /* the host's LAN address: outer source out, destination in */
	__be32 endpoint; /* Na: outer destination out, the only outer source in */
	__be32 spi_min;	 /* leased SPIs (ESP, AH): spi_min <= SPI <= spi_max, */
	__be32 spi_max;	 /* compared in host order; both 0: none */
	__u8 tunnel;	 /* RSIPC_TC_TUNNEL_* */
	__u8 flags;	 /* RSIPC_TC_F_* */
	__u8 pad[2];
};
_Static_assert(sizeof(struct rsipc_tc_cfg) == 24, "rsipc_tc_cfg layout");

/* rsipc_ports: key __be16 port (TCP and UDP alike), value __u8 (1). */

/* rsipc_stats: per-CPU __u64 counters. */
enum rsipc_tc_counter {
	RSIPC_TC_ENCAP = 0,	    /* packets encapsulated (a GSO packet counts once) */
	RSIPC_TC_ENCAP_BYTES,	    /* their inner bytes */
	RSIPC_TC_ENCAP_GSO,	    /* ... of them GSO packets (several segments) */
	RSIPC_TC_ENCAP_FAIL,	    /* from Nb but malformed or no room: dropped */
	RSIPC_TC_DECAP,		    /* packets decapsulated */
	RSIPC_TC_DECAP_BYTES,	    /* their inner bytes */
	RSIPC_TC_DECAP_GSO,	    /* ... of them GRO-merged packets */
	RSIPC_TC_DECAP_FAIL,	    /* bpf_skb_adjust_room refused: passed */
	RSIPC_TC_PASS_WRONG_SOURCE, /* tunnel protocol, not Na -> Xa */
	RSIPC_TC_PASS_MALFORMED,    /* truncated or inconsistent headers, bad GRE */
	RSIPC_TC_PASS_FRAGMENT,	    /* outer fragment */
	RSIPC_TC_PASS_NOT_OURS,	    /* inner packet not for Nb */
	RSIPC_TC_PASS_UNLEASED,	    /* inner port or SPI not leased to us */
	RSIPC_TC_N_COUNTERS,
};

#endif
