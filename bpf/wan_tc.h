/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rsip_wan_tc: WAN ingress as a TC program (--attach tc). The rules are
 * include/rsip/rules/wan.h, as for rsip_wan (bpf/wan.h); what differs is
 * what an skb allows: a GSO packet (many segments merged by GRO) is
 * tunnelled whole with bpf_skb_adjust_room and the ENCAP flags, so the
 * kernel repeats the outer header on every segment when it cuts them, and
 * the MTU check is on its segments, not on the merged length.
 */
#ifndef RSIP_BPF_WAN_TC_H
#define RSIP_BPF_WAN_TC_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "rules_hooks_tc.h"

#include "config.h"
#include "encap.h"
#include "maps.h"
#include "rsip/rules/wan.h"
#include "tc.h"
#include "tc_pull.h"

/* What encapsulation puts in front of the inner packet, written at once
 * from eth on (the pad aligns the IPv4 header without packing). */
struct tc_outer {
	__u16 pad;
	struct ethhdr eth;
	struct iphdr ip;
	struct rsip_gre_hdr gre;
};
_Static_assert(__builtin_offsetof(struct tc_outer, ip) ==
		   __builtin_offsetof(struct tc_outer, eth) + sizeof(struct ethhdr),
	       "tc_outer: the IPv4 header follows the Ethernet header");

/* Tunnels the packet to the matched client and redirects it to the LAN. */
static __always_inline int wan_tc_send(struct __sk_buff *skb, const struct wan_match *v,
				       void *data_end, __u32 segs)
{
	const struct iphdr *iph = v->iph;
	struct rsip_target *t = v->t;
	struct encap_inner in = {
	    .tot_len = bpf_ntohs(iph->tot_len),
	    .tos = iph->tos,
	    .df = (iph->frag_off & bpf_htons(IP_DF)) != 0,
	};
	__u32 overhead = tunnel_overhead(t->tunnel), gso = SKB_LOAD(skb, gso_size);
	__u32 hdrs = 0, bytes = in.tot_len, ifindex = t->lan_ifindex;
	__u64 flags = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4;
	struct tc_outer o;

	if (mac_is_zero(t->mac))
		return tc_slow_path(skb, RSIP_SLOW_NO_NEIGH, t, RSIP_CNT_WAN_SLOW_NO_NEIGH,
				    RSIP_CNT_WAN_SLOW_LOST);
	if (gso) {
		/* A segment that fits the LAN with the overhead keeps its size
		 * (BPF_F_ADJ_ROOM_FIXED_GSO). A TCP segment that does not is
		 * cut smaller by the overhead (without the flag the kernel does
		 * that), so it leaves as long as it arrived; that costs a copy
		 * of the whole packet when GRO chained linear skbs
		 * (bpf_skb_net_grow linearizes them), which is why it is not
		 * the default. UDP (GRO forwarding of UDP, off by default): a
		 * segment is a datagram, its size stays (the kernel refuses
		 * anything else), so it must fit with the overhead. */
		__u32 grow = iph->protocol == IPPROTO_UDP ? overhead : 0;

		hdrs = tc_seg_hdrs(iph, data_end);
		if (!hdrs || gso <= overhead || hdrs + gso + grow > cfg_lan_mtu)
			return tc_slow_path(skb, RSIP_SLOW_OVERSIZE, t, RSIP_CNT_WAN_SLOW_OVERSIZE,
					    RSIP_CNT_WAN_SLOW_LOST);
		if (hdrs + gso + overhead <= cfg_lan_mtu)
			flags |= BPF_F_ADJ_ROOM_FIXED_GSO;
		else
			count(RSIP_CNT_WAN_TC_GSO_CUT);
		bytes += (segs - 1) * hdrs;
	} else if (in.tot_len + overhead > cfg_lan_mtu) {
		return tc_slow_path(skb, RSIP_SLOW_OVERSIZE, t, RSIP_CNT_WAN_SLOW_OVERSIZE,
				    RSIP_CNT_WAN_SLOW_LOST);
	}
	if (in.tot_len + overhead > 0xffff)
		return tc_count_and_return(RSIP_CNT_WAN_DROP_ENCAP_FAIL, segs, TC_ACT_SHOT);
	build_eth(&o.eth, t->mac);
	build_outer_ip(&o.ip, t, &in, overhead);
	o.gre.flags = 0;
	o.gre.proto = bpf_htons(ETH_P_IP);
	if (t->tunnel == RSIP_DP_TUNNEL_GRE)
		flags |= BPF_F_ADJ_ROOM_ENCAP_L4_GRE;
	/* From here on iph is invalid (the packet moved). */
	if (bpf_skb_adjust_room(skb, (__s32)overhead, BPF_ADJ_ROOM_MAC, flags) ||
	    bpf_skb_store_bytes(skb, 0, &o.eth, sizeof(o.eth) + overhead, 0))
		return tc_count_and_return(RSIP_CNT_WAN_DROP_ENCAP_FAIL, segs, TC_ACT_SHOT);
	if (!bpf_map_lookup_elem(&rsip_tx, &ifindex))
		return tc_count_and_return(RSIP_CNT_WAN_DROP_NO_TX, segs, TC_ACT_SHOT);
	count_target(t, segs, bytes);
	if (gso)
		count(RSIP_CNT_WAN_TC_GSO);
	return tc_count_and_return(v->cnt, segs, bpf_redirect(ifindex, 0));
}

static __always_inline int wan_tc_main(struct __sk_buff *skb)
{
	__u32 segs = tc_segs(skb);
	struct wan_match v = {};
	struct hdr_cursor nh;
	void *data, *data_end;
	struct ethhdr *eth;
	int ret;

	tc_pull_headers(skb, RSIP_CNT_WAN_TC_PULLED);
	data = SKB_PTR(skb, data);
	data_end = SKB_PTR(skb, data_end);
	nh.pos = data;
	if (parse_ethhdr(&nh, data_end, &eth) != bpf_htons(ETH_P_IP))
		return tc_count_and_return(RSIP_CNT_WAN_PASS_NOT_IPV4, segs, TC_ACT_OK);
	if (frame_for_other_host(eth, cfg_wan_mac))
		return tc_count_and_return(RSIP_CNT_WAN_PASS_NOT_NB, segs, TC_ACT_OK);
	ret = wan_decide(skb, &v, nh.pos, data_end);
	switch (RULE_ACTION(ret)) {
	case RULE_TUNNEL:
		return wan_tc_send(skb, &v, data_end, segs);
	case RULE_PASS:
		return tc_count_and_return(RULE_COUNTER(ret), segs, TC_ACT_OK);
	case RULE_SLOW_FRAGMENT:
		return tc_slow_path(skb, RSIP_SLOW_FRAGMENT, NULL, RULE_COUNTER(ret),
				    RSIP_CNT_WAN_SLOW_LOST);
	case RULE_SLOW_ICMP_ERROR:
		return tc_slow_path(skb, RSIP_SLOW_ICMP_ERROR, NULL, RULE_COUNTER(ret),
				    RSIP_CNT_WAN_SLOW_LOST);
	case RULE_SLOW_IKE_FANOUT:
		return tc_slow_path(skb, RSIP_SLOW_IKE_FANOUT, NULL, RULE_COUNTER(ret),
				    RSIP_CNT_WAN_SLOW_LOST);
	}
	return tc_count_and_return(RULE_COUNTER(ret), segs, TC_ACT_SHOT);
}

#endif
