/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lease violations (decision D14), for the XDP and the TC LAN programs: a
 * violation is dropped by the rules; rsipd hears of it through a
 * RSIP_SLOW_VIOLATION record, at most one per client, kind and second (it
 * sends the unsolicited ERROR_RESPONSE). What each program writes the record
 * with (its context) is its own: bpf/lan.h, bpf/lan_tc.h.
 */
#ifndef RSIP_BPF_VIOLATION_H
#define RSIP_BPF_VIOLATION_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "rsip/dp_abi.h"

static __always_inline __u32 violation_bit(__u16 error)
{
	switch (error) {
	case RSIP_ERR_BAD_TUNNEL_TYPE:
		return RSIP_VIOL_BAD_TUNNEL;
	case RSIP_ERR_LOCAL_ADDR_UNALLOWED:
		return RSIP_VIOL_BAD_SRC;
	case RSIP_ERR_LOCAL_ADDRPORT_UNALLOWED:
		return RSIP_VIOL_BAD_PORT;
	case RSIP_ERR_REMOTE_ADDR_UNALLOWED:
		return RSIP_VIOL_REMOTE;
	}
	return RSIP_VIOL_REMOTE_PORT;
}

/* Whether client c's violation of this kind is to be reported now; marks it
 * reported for the current second. */
static __always_inline bool violation_due(struct rsip_client *c, __u16 error)
{
	__u32 sec = rsip_seen_sec(bpf_ktime_get_coarse_ns());
	__u32 bit = violation_bit(error);

	if (c->viol_sec != sec) {
		c->viol_sec = sec;
		c->viol_mask = 0;
	}
	if (c->viol_mask & bit)
		return false;
	c->viol_mask |= bit;
	return true;
}

static __always_inline void violation_meta(struct rsip_slow_meta *meta, __be32 xa, __u8 tunnel,
					   __u16 error, __u32 bind_id)
{
	__builtin_memset(meta, 0, sizeof(*meta));
	meta->reason = RSIP_SLOW_VIOLATION;
	meta->xa = xa;
	meta->bind_id = bind_id;
	meta->tunnel = tunnel;
	meta->error = error;
}

#endif
