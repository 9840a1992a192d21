/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rsip_wan: WAN ingress. The rules (what a packet is, which map decides, the
 * verdict and its counter) are include/rsip/rules/wan.h, shared with rsipd's
 * slow path; this file does what only XDP does with their outcome:
 * encapsulate and redirect to the client, hand a packet to the slow path
 * (fragments, ICMP errors, an unresolved MAC, too big for the LAN), and
 * count every exit once. Policy in one place: docs/dataplane.md.
 */
#ifndef RSIP_BPF_WAN_H
#define RSIP_BPF_WAN_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "ablate.h"
#include "config.h"
#include "encap.h"
#include "maps.h"
#include "rules_hooks.h"
#include "rsip/rules/wan.h"
#include "slowpath.h"
#include "stats.h"

/* Tunnels the IPv4 packet at iph to the matched client and redirects it to
 * the LAN. */
static __always_inline int wan_send(struct xdp_md *ctx, const struct wan_match *v)
{
	const struct iphdr *iph = v->iph;
	struct rsip_target *t = v->t;
	struct encap_inner in = {
	    .tot_len = bpf_ntohs(iph->tot_len),
	    .tos = iph->tos,
	    .df = (iph->frag_off & bpf_htons(IP_DF)) != 0,
	};

	if (!ablated(ABLATE_SLOW_TESTS) && mac_is_zero(t->mac))
		return slow_path(ctx, RSIP_SLOW_NO_NEIGH, t, RSIP_CNT_WAN_SLOW_NO_NEIGH,
				 RSIP_CNT_WAN_SLOW_LOST);
	if (!ablated(ABLATE_SLOW_TESTS) && in.tot_len + tunnel_overhead(t->tunnel) > cfg_lan_mtu)
		return slow_path(ctx, RSIP_SLOW_OVERSIZE, t, RSIP_CNT_WAN_SLOW_OVERSIZE,
				 RSIP_CNT_WAN_SLOW_LOST);
	if (encap_push(ctx, t, &in))
		return count_and_return(RSIP_CNT_WAN_DROP_ENCAP_FAIL, XDP_DROP);
	if (ablated(ABLATE_TX_LOOKUP)) {
		__u32 ifindex = t->lan_ifindex;

		if (!bpf_map_lookup_elem(&rsip_tx, &ifindex))
			return count_and_return(RSIP_CNT_WAN_DROP_NO_TX, XDP_DROP);
		bpf_redirect(ifindex, 0);
	} else if (ablated(ABLATE_TX_MAP)) {
		if (bpf_redirect(t->lan_ifindex, 0) != XDP_REDIRECT)
			return count_and_return(RSIP_CNT_WAN_DROP_NO_TX, XDP_DROP);
	} else if (bpf_redirect_map(&rsip_tx, t->lan_ifindex, 0) != XDP_REDIRECT) {
		return count_and_return(RSIP_CNT_WAN_DROP_NO_TX, XDP_DROP);
	}
	count_target(t, 1, in.tot_len);
	if (ablated(ABLATE_EXIT_COUNT))
		return XDP_REDIRECT;
	return count_and_return(v->cnt, XDP_REDIRECT);
}

static __always_inline int wan_main(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor nh = {.pos = data};
	struct wan_match v =
	    {}; /* all paths defined: the verifier rejects reading undef registers */
	struct ethhdr *eth;
	int ret;

	/* VLAN-tagged frames too: a VLAN device gets its own program, or the
	 * kernel handles them (docs/dataplane.md). */
	if (parse_ethhdr(&nh, data_end, &eth) != bpf_htons(ETH_P_IP))
		return count_and_return(RSIP_CNT_WAN_PASS_NOT_IPV4, XDP_PASS);
	if (!ablated(ABLATE_MAC_CHECK) && frame_for_other_host(eth, cfg_wan_mac))
		return count_and_return(RSIP_CNT_WAN_PASS_NOT_NB, XDP_PASS);
	ret = wan_decide(ctx, &v, nh.pos, data_end);
	switch (RULE_ACTION(ret)) {
	case RULE_TUNNEL:
		return wan_send(ctx, &v);
	case RULE_PASS:
		return count_and_return(RULE_COUNTER(ret), XDP_PASS);
	case RULE_SLOW_FRAGMENT:
		return slow_path(ctx, RSIP_SLOW_FRAGMENT, NULL, RULE_COUNTER(ret),
				 RSIP_CNT_WAN_SLOW_LOST);
	case RULE_SLOW_ICMP_ERROR:
		return slow_path(ctx, RSIP_SLOW_ICMP_ERROR, NULL, RULE_COUNTER(ret),
				 RSIP_CNT_WAN_SLOW_LOST);
	case RULE_SLOW_IKE_FANOUT:
		return slow_path(ctx, RSIP_SLOW_IKE_FANOUT, NULL, RULE_COUNTER(ret),
				 RSIP_CNT_WAN_SLOW_LOST);
	}
	return count_and_return(RULE_COUNTER(ret), XDP_DROP);
}

#endif
