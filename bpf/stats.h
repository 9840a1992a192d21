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

/* last_seen is written only when it moved by more than a second: a hot
 * binding does not dirty its time stamp on every packet, and idle expiry
 * works in minutes. bpf_ktime_get_coarse_ns is CLOCK_MONOTONIC at jiffy
 * resolution (user space compares it with CLOCK_MONOTONIC). */
static __always_inline void touch(__u64 *last_seen, __u64 now)
{
	if (now - *last_seen > NSEC_PER_SEC)
		*last_seen = now;
}

/* Per-binding traffic. Plain adds on the shared map value, not locked
 * atomics: a binding's packets normally arrive on one CPU (one RX queue per
 * flow); when two CPUs race, an increment can be lost, so the figures are
 * approximate (documented), never inflated. */
static __always_inline void target_account(struct rsip_target *t, __u32 bytes)
{
	t->pkts += 1;
	t->bytes += bytes;
	touch(&t->last_seen_ns, bpf_ktime_get_coarse_ns());
}

#endif
