// SPDX-License-Identifier: GPL-2.0
/*
 * The gateway's XDP programs, in one object so they share their maps:
 *   rsip_wan  on the public interface: demultiplex to clients (wan.h)
 *   rsip_lan  on the private interface: police and forward clients' tunnelled
 *             packets (lan.h)
 * Load-time constants in config.h; maps in maps.h; the ABI in
 * include/rsip/dp_abi.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "config.h"
#include "lan.h"
#include "wan.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int rsip_wan(struct xdp_md *ctx)
{
	return wan_main(ctx);
}

SEC("xdp")
int rsip_lan(struct xdp_md *ctx)
{
	return lan_main(ctx);
}
