/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The slow path: what XDP cannot do goes to rsipd, never to /dev/null. The
 * frame (from the Ethernet header, at most RSIP_SLOW_MAX_FRAME bytes) follows
 * a struct rsip_slow_meta in the perf event array rsip_slowpath; the packet
 * itself is then dropped here, and rsipd sends it on (reassembled,
 * fragmented, through the kernel's neighbour resolution...). When the perf
 * buffer is full the packet is lost and counted as such.
 */
#ifndef RSIP_BPF_SLOWPATH_H
#define RSIP_BPF_SLOWPATH_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "maps.h"
#include "slow_record.h"
#include "stats.h"

/* A 32-bit field of the XDP context, loaded with one instruction at a fixed
 * offset. clang 14 otherwise keeps the offsets of several inlined call sites
 * in registers and adds them to ctx, which the verifier rejects
 * ("dereference of modified ctx ptr"), even through volatile loads. */
#define CTX_LOAD(ctx, field)                                                                       \
	({                                                                                         \
		__u32 __v;                                                                         \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                                              \
			     : "=r"(__v)                                                           \
			     : "r"(ctx), "i"(__builtin_offsetof(struct xdp_md, field)));           \
		__v;                                                                               \
	})

static __always_inline __u64 frame_len(struct xdp_md *ctx)
{
	return CTX_LOAD(ctx, data_end) - CTX_LOAD(ctx, data);
}

/* Sends meta + the first cap bytes of the frame. 0 or a negative error. */
static __always_inline long slow_emit(struct xdp_md *ctx, struct rsip_slow_meta *meta, __u64 cap)
{
	__u64 len = frame_len(ctx);

	return slow_record_emit(ctx, meta, cap, len, CTX_LOAD(ctx, ingress_ifindex));
}

/* Hands the frame to rsipd with a reason and the matched binding (t may be
 * NULL), counts `cnt` (or `lost`) and drops it. A subprogram, not inlined:
 * it is called from many places and is not the fast path. */
static __noinline int slow_path(struct xdp_md *ctx, __u32 reason, const struct rsip_target *t,
				__u32 cnt, __u32 lost)
{
	struct rsip_slow_meta meta = {};

	slow_meta_for(&meta, reason, t);
	if (frame_len(ctx) > RSIP_SLOW_MAX_FRAME)
		count(RSIP_CNT_SLOW_TRUNCATED);
	if (slow_emit(ctx, &meta, RSIP_SLOW_MAX_FRAME))
		return count_and_return(lost, XDP_DROP);
	return count_and_return(cnt, XDP_DROP);
}

#endif
