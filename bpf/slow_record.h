/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record a packet goes to rsipd with (slowpath.h for XDP, tc.h for TC):
 * a struct rsip_slow_meta, then the packet's first bytes from the Ethernet
 * header, in the perf event array rsip_slowpath. Written once here so both
 * programs fill the record alike; how a program reads its context's length
 * and ingress device is its own (CTX_LOAD, SKB_LOAD), and so is what it
 * counts and returns.
 */
#ifndef RSIP_BPF_SLOW_RECORD_H
#define RSIP_BPF_SLOW_RECORD_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "maps.h"
#include "rsip/dp_abi.h"

/* The part of the record that says why: the reason and the matched binding
 * (t may be NULL: none matched). */
static __always_inline void slow_meta_for(struct rsip_slow_meta *meta, __u32 reason,
					  const struct rsip_target *t)
{
	meta->reason = reason;
	if (t) {
		meta->xa = t->xa;
		meta->bind_id = t->bind_id;
		meta->tunnel = t->tunnel;
	}
}

/* Sends meta (its lengths and ingress filled in here) and the first cap
 * bytes of a packet of len bytes that arrived on ifindex. ctx is the XDP
 * frame or the skb: bpf_perf_event_output copies from either. 0 or a
 * negative error. */
static __always_inline long slow_record_emit(void *ctx, struct rsip_slow_meta *meta, __u64 cap,
					     __u64 len, __u32 ifindex)
{
	if (cap > len)
		cap = len;
	meta->ifindex = ifindex;
	meta->pkt_len = len > 0xffff ? 0xffff : len;
	meta->cap_len = cap;
	return bpf_perf_event_output(ctx, &rsip_slowpath, BPF_F_CURRENT_CPU | (cap << 32), meta,
				     sizeof(*meta));
}

#endif
