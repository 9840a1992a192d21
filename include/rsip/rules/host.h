/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The host side's one packet rule: is an inner packet the gateway tunnelled
 * to us for our lease? rsipc's TC ingress program (bpf/rsipc_tc.bpf.c) runs
 * it on what it decapsulates, and rsipc's raw-socket receiver (user/rsipc/
 * tunnel.c) on what the kernel hands it: outer fragments the kernel
 * reassembled (the TC path) or every tunnel packet (the pump).
 *
 * The includer defines, before including this file:
 *   HOST_ENV                       what the hook gets (the skb, the tunnel)
 *   HOST_PORT_LEASED(env, port)    true when port (__be16, TCP and UDP alike:
 *                                  spec D10) is one of our leased or
 *                                  listened-for ports
 */
#ifndef RSIP_RULES_HOST_H
#define RSIP_RULES_HOST_H

#include "rsip/host_tc.h"
#include "rsip/rules/ike.h" /* IKE_PORT, IKE_NATT_PORT */

#define HOST_IP_OFFSET 0x1fff

/* The inner packet in the few fields the rule reads. */
struct host_inner {
	__u8 protocol;
	__be16 frag_off; /* as in the IPv4 header */
	/* The first 8 bytes of its L4 header (zeros where the packet is
	 * shorter): ports, or the ESP SPI, or AH's SPI in the second word. */
	__be32 l4[2];
};

static __always_inline bool host_leased(HOST_ENV *env, const volatile struct rsipc_tc_cfg *cfg,
					const struct host_inner *in)
{
	__be16 dport = ((const __be16 *)in->l4)[1];
	__u32 spi;

	if (cfg->flags & RSIPC_TC_F_WHOLE_ADDR)
		return true;
	/* A later fragment has no ports to check; the kernel reassembles it
	 * with the first one, which was checked, or drops it. */
	if (in->frag_off & bpf_htons(HOST_IP_OFFSET))
		return true;
	switch (in->protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if ((cfg->flags & RSIPC_TC_F_IKE_PORTS) && in->protocol == IPPROTO_UDP &&
		    (dport == bpf_htons(IKE_PORT) || dport == bpf_htons(IKE_NATT_PORT)))
			return true;
		return HOST_PORT_LEASED(env, dport);
	case IPPROTO_ESP:
	case IPPROTO_AH:
		/* ESP: the SPI is the first word; AH: the second. */
		spi = bpf_ntohl(in->protocol == IPPROTO_ESP ? in->l4[0] : in->l4[1]);
		return cfg->spi_max && spi >= bpf_ntohl(cfg->spi_min) &&
		       spi <= bpf_ntohl(cfg->spi_max);
	case IPPROTO_ICMP:
		/* The gateway sends a host only the ICMP that is its own (echo
		 * replies by the identifier it learned, errors quoting the
		 * host's flows). */
		return true;
	default:
		return false;
	}
}

#endif
