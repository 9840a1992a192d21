/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rsip_lan: LAN ingress. The rules (which client, what it leased, what it
 * learns, the verdict and its counter) are include/rsip/rules/lan.h, shared
 * with rsipd's slow path; this file does what only XDP does with their
 * outcome: report lease violations to rsipd (RSIP_SLOW_VIOLATION record, one
 * per client, reason and second; rsipd sends the unsolicited ERROR_RESPONSE,
 * decision D14), strip the tunnel, complete an inner checksum a GRO-ing hop
 * left partial (csum.h), route the inner packet with the FIB and redirect it
 * to the WAN, hand what it cannot send to the slow path, and
 * count every exit once.
 */
#ifndef RSIP_BPF_LAN_H
#define RSIP_BPF_LAN_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "config.h"
#include "csum.h"
#include "encap.h"
#include "maps.h"
#include "rules_hooks.h"
#include "rsip/rules/lan.h"
#include "slowpath.h"
#include "stats.h"
#include "violation.h"

/* RULE_VIOLATION: drop for a lease violation; tell rsipd unless this client
 * already had one of this kind during the current second (violation.h). A
 * subprogram: many call sites, and not the fast path. Returns the outcome. */
static __noinline int lan_violation(struct xdp_md *ctx, const struct lan_pkt *p, __u16 error,
				    __u32 bind_id, __u32 cnt)
{
	struct rsip_slow_meta meta;

	if (violation_due(p->c, error)) {
		violation_meta(&meta, p->xa, p->tunnel, error, bind_id);
		if (slow_emit(ctx, &meta, RSIP_VIOL_CAP))
			count(RSIP_CNT_LAN_EVENT_LOST);
		else
			count(RSIP_CNT_LAN_EVENT_VIOLATION);
	}
	return RULE(RULE_DROP, cnt);
}

/* Strip the tunnel, route the inner packet, send it out of the WAN. */
static __always_inline int lan_forward(struct xdp_md *ctx, const struct lan_pkt *p, __u32 tx_cnt)
{
	struct bpf_fib_lookup fib = {};
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *iph;
	long rc;

	if (decap_pull(ctx, p->outer_len, p->c->mac))
		return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
	ipv4_ttl_dec(iph); /* the rules refused TTL <= 1 */
	switch (l4_csum_complete(iph, data_end)) {
	case 1:
		count(RSIP_CNT_LAN_CSUM_COMPLETED);
		break;
	case -1:
		return count_and_return(RSIP_CNT_LAN_DROP_MALFORMED, XDP_DROP);
	}

	fib.family = AF_INET;
	fib.tos = iph->tos;
	fib.l4_protocol = iph->protocol;
	fib.tot_len = p->inner_len;
	fib.ipv4_src = iph->saddr;
	fib.ipv4_dst = iph->daddr;
	fib.ifindex = ctx->ingress_ifindex;
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		break;
	case BPF_FIB_LKUP_RET_NO_NEIGH:	   /* rsipd's raw socket resolves it */
	case BPF_FIB_LKUP_RET_NOT_FWDED:   /* to N itself (or hairpin to an Nb) */
	case BPF_FIB_LKUP_RET_FRAG_NEEDED: /* the kernel fragments or answers ICMP */
		return slow_path(ctx, RSIP_SLOW_LAN_ROUTE, NULL, RSIP_CNT_LAN_SLOW_ROUTE,
				 RSIP_CNT_LAN_SLOW_LOST);
	default:
		return count_and_return(RSIP_CNT_LAN_DROP_FIB, XDP_DROP);
	}
	/* Nb-sourced packets belong in the public realm only. */
	if (cfg_wan_ifindex && fib.ifindex != cfg_wan_ifindex)
		return count_and_return(RSIP_CNT_LAN_DROP_FIB, XDP_DROP);
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	if (bpf_redirect_map(&rsip_tx, fib.ifindex, 0) != XDP_REDIRECT)
		return count_and_return(RSIP_CNT_LAN_DROP_NO_TX, XDP_DROP);
	/* Counted once it leaves: not before the FIB said where (what goes
	 * through rsipd is in its slow_lan_* counters, not the client's). */
	count_client(p->c, 1, p->inner_len);
	return count_and_return(tx_cnt, XDP_REDIRECT);
}

static __always_inline int lan_main(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor nh = {.pos = data};
	struct lan_pkt p = {};
	struct ethhdr *eth;
	int ret;

	if (parse_ethhdr(&nh, data_end, &eth) != bpf_htons(ETH_P_IP) ||
	    frame_for_other_host(eth, cfg_lan_mac))
		return count_and_return(RSIP_CNT_LAN_PASS_NOT_TUNNEL, XDP_PASS);
	ret = lan_decide(ctx, &p, eth->h_source, nh.pos, data_end);
	switch (RULE_ACTION(ret)) {
	case RULE_FORWARD:
		return lan_forward(ctx, &p, RULE_COUNTER(ret));
	case RULE_PASS:
		return count_and_return(RULE_COUNTER(ret), XDP_PASS);
	case RULE_SLOW_LAN_FRAGMENT:
		return slow_path(ctx, RSIP_SLOW_LAN_FRAGMENT, NULL, RULE_COUNTER(ret),
				 RSIP_CNT_LAN_SLOW_LOST);
	}
	return count_and_return(RULE_COUNTER(ret), XDP_DROP);
}

#endif
