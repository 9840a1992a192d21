// SPDX-License-Identifier: GPL-2.0
/*
 * The gateway's TC programs (rsipd --attach tc), clsact ingress:
 *   rsip_wan_tc  on the public interface (wan_tc.h)
 *   rsip_lan_tc  on the private interface (lan_tc.h)
 * The same rules as the XDP programs (include/rsip/rules/), for an skb: GSO
 * and GRO-merged packets cross the gateway whole. A second object, not
 * programs in rsip_xdp.bpf.c: the rules are compiled for one context type
 * per object (RULE_ENV: struct xdp_md there, struct __sk_buff here). Its
 * maps (maps.h) are the XDP object's: the loader hands it their file
 * descriptors (bpf_map__reuse_fd), so rsipd, the slow path and the tests see
 * one set. docs/xdp-programs.md says when to choose which.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "lan_tc.h"
#include "wan_tc.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int rsip_wan_tc(struct __sk_buff *skb)
{
	return wan_tc_main(skb);
}

SEC("tc")
int rsip_lan_tc(struct __sk_buff *skb)
{
	return lan_tc_main(skb);
}
