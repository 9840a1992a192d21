/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hooks of the shared packet rules for the TC programs: the XDP
 * programs' (rules_hooks.h: the same maps, constants and counters) except
 * the context, where the packet ends, and how a violation is reported. Only
 * the headers are linear in an skb (tc.h pulls them): a packet's total
 * length is checked against the skb's length, not against data_end.
 */
#ifndef RSIP_BPF_RULES_HOOKS_TC_H
#define RSIP_BPF_RULES_HOOKS_TC_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "tc.h"

#define RULE_ENV			     struct __sk_buff
#define RULE_L3_FITS(env, l3, len, data_end) tc_l3_fits(env, l3, len)
#define RULE_VIOLATION(env, p, error, bind_id, counter)                                            \
	lan_tc_violation(env, p, error, bind_id, counter)

/* len bytes from l3 (a pointer into the linear part) are in the skb. */
static __always_inline bool tc_l3_fits(struct __sk_buff *skb, void *l3, __u32 len)
{
	__u32 off = (__u32)((long)l3 - (long)SKB_PTR(skb, data)), skb_len = SKB_LOAD(skb, len);

	return off <= skb_len && len <= skb_len - off;
}

/* bpf/lan_tc.h: drop, and tell rsipd (rate-limited). */
struct lan_pkt;
static __noinline int lan_tc_violation(struct __sk_buff *skb, const struct lan_pkt *p, __u16 error,
				       __u32 bind_id, __u32 cnt);

#include "rules_hooks.h"

#endif
