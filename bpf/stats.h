/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counters: every exit of both programs goes through count_and_return() with
 * its reason (enum rsip_counter); count() is for events that are not exits
 * (learning, violation records). One per-CPU array: no shared cache lines,
 * no atomics.
 */
#ifndef RSIP_BPF_STATS_H
#define RSIP_BPF_STATS_H

#include "maps.h"

static __always_inline void count(__u32 reason)
{
	__u64 *c = bpf_map_lookup_elem(&rsip_stats, &reason);

	if (c)
		*c += 1;
}

static __always_inline int count_and_return(__u32 reason, int action)
{
	count(reason);
	return action;
}

#define NSEC_PER_SEC 1000000000ull

/* last_seen_ns is written only when jiffies moved by RSIP_SEEN_JIFFIES since
 * the last write: a hot binding neither dirties its time stamp nor reads the
 * clock on every packet (bpf_ktime_get_coarse_ns costs ~30 ns per call on
 * the project VM, bpf_jiffies64 a plain load). The time stamp itself is
 * bpf_ktime_get_coarse_ns: CLOCK_MONOTONIC at jiffy resolution, which user
 * space compares with clock_gettime(CLOCK_MONOTONIC). */
static __always_inline void touch(__u64 *last_seen_ns, __u32 *seen_jiffies)
{
	__u32 j = (__u32)bpf_jiffies64();

	if (j - *seen_jiffies >= RSIP_SEEN_JIFFIES) {
		*seen_jiffies = j;
		*last_seen_ns = bpf_ktime_get_coarse_ns();
	}
}

/* Per-binding traffic. Plain adds on the shared map value, not locked
 * atomics: a binding's packets normally arrive on one CPU (one RX queue per
 * flow); when two CPUs race, an increment can be lost, so the figures are
 * approximate (documented), never inflated. */
static __always_inline void target_account(struct rsip_target *t, __u32 bytes)
{
	t->pkts += 1;
	t->bytes += bytes;
	touch(&t->last_seen_ns, &t->seen_jiffies);
}

#endif
