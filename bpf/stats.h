/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counters: every exit of both programs goes through count_and_return() with
 * its reason (enum rsip_counter); count() is for events that are not exits
 * (learning, violation records). One per-CPU array: no shared cache lines,
 * no atomics; per-binding and per-client packets and bytes likewise
 * (count_target, count_client).
 */
#ifndef RSIP_BPF_STATS_H
#define RSIP_BPF_STATS_H

#include "ablate.h"
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

/* The time stamp is written only when jiffies moved by RSIP_SEEN_JIFFIES
 * since the last write: a hot binding neither dirties its time stamp nor
 * reads the clock on every packet (bpf_ktime_get_coarse_ns costs ~30 ns per
 * call on the project VM, bpf_jiffies64 a plain load). The time stamp itself
 * is bpf_ktime_get_coarse_ns (CLOCK_MONOTONIC at jiffy resolution, which user
 * space compares with clock_gettime(CLOCK_MONOTONIC)) in the units of struct
 * rsip_seen. */
static __always_inline void touch(struct rsip_seen *seen)
{
	__u32 j = (__u32)bpf_jiffies64();

	/* jiffies stored before the clock call, so j need not be kept in a
	 * callee-saved register on every packet (one instruction less). */
	if (j - seen->jiffies >= RSIP_SEEN_JIFFIES) {
		seen->jiffies = j;
		seen->sec = rsip_seen_sec(bpf_ktime_get_coarse_ns());
	}
}

/* Per-binding traffic: the one counting point of every program that
 * delivers to a target (XDP: one packet; TC: a GSO packet's segments). One array lookup
 * (inlined by the verifier) and plain adds on this CPU's copy of the
 * target's slot: exact, no atomics, and the target itself (configuration
 * every CPU reads) is not written except for the time stamp, at most every
 * RSIP_SEEN_JIFFIES. A slot beyond the map (a pin of another size) finds
 * nothing: the packet goes uncounted rather than dropped. */
static __always_inline void count_slot(__u32 slot, __u32 pkts, __u32 bytes)
{
	struct rsip_bind_stats *s = bpf_map_lookup_elem(&rsip_bind_stats, &slot);

	if (s) {
		s->pkts += pkts;
		s->bytes += bytes;
	}
}

static __always_inline void count_target(struct rsip_target *t, __u32 pkts, __u32 bytes)
{
	if (!ablated(ABLATE_BIND_COUNT))
		count_slot(t->stat_slot, pkts, bytes);
	if (!ablated(ABLATE_TOUCH))
		touch(&t->seen);
}

/* A client's traffic out: the one counting point of the LAN programs (XDP:
 * one packet; TC: a GSO packet's segments), in the client's own slot of the
 * same per-CPU array, for the same reason: the client value is
 * configuration the WAN and LAN programs read on every packet, so it gets
 * no per-packet write (only the time stamp, at most every
 * RSIP_SEEN_JIFFIES). */
static __always_inline void count_client(struct rsip_client *c, __u32 pkts, __u32 bytes)
{
	count_slot(c->stat_slot, pkts, bytes);
	touch(&c->seen);
}

#endif
