/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the gateway's TC programs (rsip_tc.bpf.c, --attach tc) do alike on
 * either interface: reach the skb's fields, count a GSO packet as the
 * segments XDP would have seen, and hand a packet to rsipd's slow path
 * (slow_record.h's record, written from the skb). What they make linear
 * before the rules run: tc_pull.h.
 */
#ifndef RSIP_BPF_TC_H
#define RSIP_BPF_TC_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "maps.h"
#include "slow_record.h"
#include "stats.h"

#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define TC_ACT_REDIRECT 7

/* A 32-bit field of the skb context in one load at a fixed offset (see
 * slowpath.h's CTX_LOAD: clang may otherwise add offsets to ctx). */
#define SKB_LOAD(skb, field)                                                                       \
	({                                                                                         \
		__u32 __v;                                                                         \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                                              \
			     : "=r"(__v)                                                           \
			     : "r"(skb), "i"(__builtin_offsetof(struct __sk_buff, field)));        \
		__v;                                                                               \
	})

/* skb->data or skb->data_end, as a packet pointer, loaded the same way. */
#define SKB_PTR(skb, field)                                                                        \
	({                                                                                         \
		void *__p;                                                                         \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                                              \
			     : "=r"(__p)                                                           \
			     : "r"(skb), "i"(__builtin_offsetof(struct __sk_buff, field)));        \
		__p;                                                                               \
	})

/* The segments a packet stands for: 1, or a GSO packet's count (at least 1:
 * a test run may give gso_size without it). */
static __always_inline __u32 tc_segs(struct __sk_buff *skb)
{
	__u32 segs = SKB_LOAD(skb, gso_segs);

	if (!SKB_LOAD(skb, gso_size) || !segs)
		return 1;
	return segs;
}

/* The bytes of each segment before its payload (IPv4 and TCP/UDP header) of
 * the inner packet at iph; 0 when they cannot be read. */
static __always_inline __u32 tc_seg_hdrs(const struct iphdr *iph, void *data_end)
{
	__u32 ihl = (iph->ihl & 0xf) * 4;
	const struct tcphdr *tcp = (const void *)iph + ihl;

	if (iph->protocol == IPPROTO_UDP)
		return ihl + sizeof(struct udphdr);
	if (iph->protocol != IPPROTO_TCP || (void *)(tcp + 1) > data_end)
		return 0;
	return ihl + tcp->doff * 4;
}

/* Every exit counts its reason once per segment: the counters mean what
 * they mean under XDP, which sees each segment as a frame. */
static __always_inline int tc_count_and_return(__u32 reason, __u32 segs, int action)
{
	__u64 *c = bpf_map_lookup_elem(&rsip_stats, &reason);

	if (c)
		*c += segs;
	return action;
}

/* slowpath.h's slow_emit from an skb: the record, then the first cap bytes
 * from the Ethernet header (the helper copies from pages too). */
static __always_inline long tc_slow_emit(struct __sk_buff *skb, struct rsip_slow_meta *meta,
					 __u64 cap)
{
	__u64 len = SKB_LOAD(skb, len);

	return slow_record_emit(skb, meta, cap, len, SKB_LOAD(skb, ingress_ifindex));
}

/* slowpath.h's slow_path from an skb: hand it to rsipd, count, drop. A GSO
 * packet goes as its first RSIP_SLOW_MAX_FRAME bytes (counted as
 * truncated): rsipd cannot send it on, and the sender retransmits what it
 * loses (docs/xdp-programs.md). */
static __noinline int tc_slow_path(struct __sk_buff *skb, __u32 reason, const struct rsip_target *t,
				   __u32 cnt, __u32 lost)
{
	struct rsip_slow_meta meta = {};
	__u32 segs = tc_segs(skb);

	slow_meta_for(&meta, reason, t);
	if (SKB_LOAD(skb, len) > RSIP_SLOW_MAX_FRAME)
		count(RSIP_CNT_SLOW_TRUNCATED);
	if (tc_slow_emit(skb, &meta, RSIP_SLOW_MAX_FRAME))
		return tc_count_and_return(lost, segs, TC_ACT_SHOT);
	return tc_count_and_return(cnt, segs, TC_ACT_SHOT);
}

#endif
