// SPDX-License-Identifier: GPL-2.0
/*
 * The gateway's XDP programs. This first version only counts and passes: the
 * data plane grows from here (WAN demultiplexing and LAN policing).
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "rsip/dp_abi.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RSIP_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} rsip_stats SEC(".maps");

static __always_inline int count_and_return(__u32 reason, int action)
{
	__u64 *c = bpf_map_lookup_elem(&rsip_stats, &reason);

	if (c)
		*c += 1;
	return action;
}

SEC("xdp")
int rsip_wan(struct xdp_md *ctx)
{
	return count_and_return(RSIP_CNT_WAN_PASS_NOT_IPV4, XDP_PASS);
}
