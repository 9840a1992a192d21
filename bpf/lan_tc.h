/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rsip_lan_tc: LAN ingress as a TC program (--attach tc). The rules are
 * include/rsip/rules/lan.h, as for rsip_lan (bpf/lan.h); what differs is
 * what an skb allows: a tunnel packet GRO merged (IP-IP or GRE around many
 * TCP segments) is decapsulated whole with bpf_skb_adjust_room and the
 * DECAP flags, keeping its segment size (BPF_F_ADJ_ROOM_FIXED_GSO) and its
 * checksum state: an inner checksum left partial stays partial, with its
 * offsets, and the device or the kernel completes it (XDP has to complete
 * it itself, csum.h). The FIB's MTU check is the kernel's skb check, which
 * looks at a GSO packet's segments.
 */
#ifndef RSIP_BPF_LAN_TC_H
#define RSIP_BPF_LAN_TC_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "rules_hooks_tc.h"

#include "config.h"
#include "csum.h"
#include "maps.h"
#include "rsip/rules/lan.h"
#include "tc.h"
#include "tc_pull.h"
#include "violation.h"

/* RULE_VIOLATION (bpf/lan.h's lan_violation, from an skb). */
static __noinline int lan_tc_violation(struct __sk_buff *skb, const struct lan_pkt *p, __u16 error,
				       __u32 bind_id, __u32 cnt)
{
	struct rsip_slow_meta meta;

	if (violation_due(p->c, error)) {
		violation_meta(&meta, p->xa, p->tunnel, error, bind_id);
		if (tc_slow_emit(skb, &meta, RSIP_VIOL_CAP))
			count(RSIP_CNT_LAN_EVENT_LOST);
		else
			count(RSIP_CNT_LAN_EVENT_VIOLATION);
	}
	return RULE(RULE_DROP, cnt);
}

/* Strip the tunnel, route the inner packet, send it out of the WAN. */
static __always_inline int lan_tc_forward(struct __sk_buff *skb, const struct lan_pkt *p,
					  __u32 tx_cnt, __u32 segs)
{
	__u32 gso = SKB_LOAD(skb, gso_size), ifindex, bytes = p->inner_len;
	struct bpf_fib_lookup fib = {};
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *iph;
	__u32 *tx;
	long rc;

	if (bpf_skb_adjust_room(skb, -(__s32)p->outer_len, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_DECAP_L3_IPV4))
		return tc_count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, segs, TC_ACT_SHOT);
	data = SKB_PTR(skb, data);
	data_end = SKB_PTR(skb, data_end);
	eth = data;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return tc_count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, segs, TC_ACT_SHOT);
	/* As decap_pull leaves it (what the slow path gets). */
	copy_lan_mac(eth->h_dest);
	__builtin_memcpy(eth->h_source, p->c->mac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	ipv4_ttl_dec(iph); /* the rules refused TTL <= 1 */
	/* Each segment carries the headers. */
	if (gso)
		bytes += (segs - 1) * tc_seg_hdrs(iph, data_end);

	fib.family = AF_INET;
	fib.tos = iph->tos;
	fib.l4_protocol = iph->protocol;
	/* 0 for a GSO packet: the kernel then checks the skb, segment by
	 * segment, against the route's MTU. */
	fib.tot_len = gso ? 0 : p->inner_len;
	fib.ipv4_src = iph->saddr;
	fib.ipv4_dst = iph->daddr;
	fib.ifindex = SKB_LOAD(skb, ingress_ifindex);
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		break;
	case BPF_FIB_LKUP_RET_NO_NEIGH:
	case BPF_FIB_LKUP_RET_NOT_FWDED:
	case BPF_FIB_LKUP_RET_FRAG_NEEDED:
		return tc_slow_path(skb, RSIP_SLOW_LAN_ROUTE, NULL, RSIP_CNT_LAN_SLOW_ROUTE,
				    RSIP_CNT_LAN_SLOW_LOST);
	default:
		return tc_count_and_return(RSIP_CNT_LAN_DROP_FIB, segs, TC_ACT_SHOT);
	}
	if (cfg_wan_ifindex && fib.ifindex != cfg_wan_ifindex)
		return tc_count_and_return(RSIP_CNT_LAN_DROP_FIB, segs, TC_ACT_SHOT);
	data = SKB_PTR(skb, data);
	data_end = SKB_PTR(skb, data_end);
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return tc_count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, segs, TC_ACT_SHOT);
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	ifindex = fib.ifindex;
	tx = bpf_map_lookup_elem(&rsip_tx, &ifindex);
	if (!tx)
		return tc_count_and_return(RSIP_CNT_LAN_DROP_NO_TX, segs, TC_ACT_SHOT);
	count_client(p->c, segs, bytes);
	if (gso)
		count(RSIP_CNT_LAN_TC_GSO);
	return tc_count_and_return(tx_cnt, segs, bpf_redirect(ifindex, 0));
}

static __always_inline int lan_tc_main(struct __sk_buff *skb)
{
	__u32 segs = tc_segs(skb);
	struct lan_pkt p = {};
	struct hdr_cursor nh;
	void *data, *data_end;
	struct ethhdr *eth;
	int ret;

	tc_pull_headers(skb, RSIP_CNT_LAN_TC_PULLED);
	data = SKB_PTR(skb, data);
	data_end = SKB_PTR(skb, data_end);
	nh.pos = data;
	if (parse_ethhdr(&nh, data_end, &eth) != bpf_htons(ETH_P_IP) ||
	    frame_for_other_host(eth, cfg_lan_mac))
		return tc_count_and_return(RSIP_CNT_LAN_PASS_NOT_TUNNEL, segs, TC_ACT_OK);
	ret = lan_decide(skb, &p, eth->h_source, nh.pos, data_end);
	switch (RULE_ACTION(ret)) {
	case RULE_FORWARD:
		return lan_tc_forward(skb, &p, RULE_COUNTER(ret), segs);
	case RULE_PASS:
		return tc_count_and_return(RULE_COUNTER(ret), segs, TC_ACT_OK);
	case RULE_SLOW_LAN_FRAGMENT:
		return tc_slow_path(skb, RSIP_SLOW_LAN_FRAGMENT, NULL, RULE_COUNTER(ret),
				    RSIP_CNT_LAN_SLOW_LOST);
	}
	return tc_count_and_return(RULE_COUNTER(ret), segs, TC_ACT_SHOT);
}

#endif
