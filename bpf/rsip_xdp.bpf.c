// SPDX-License-Identifier: GPL-2.0
/*
 * The gateway's XDP programs, in one object so they share their maps:
 *   rsip_wan  on the public interface: demultiplex to clients (wan.h)
 *   rsip_lan  on the private interface: police and forward clients' tunnelled
 *             packets (lan.h)
 *   rsip_wan_steer  instead of rsip_wan with --spi-steer: ESP by SPI to
 *             another CPU's rsip_cpumap entry, the rest as rsip_wan (steer.h)
 *   rsip_wan_cpu    rsip_wan as the cpumap entries' program (counts arrivals)
 *   rsip_learned    not attached: rsipd runs it (BPF_PROG_TEST_RUN) to change
 *             a host's learned count without losing the LAN program's
 *             increments (learned.h)
 * Load-time constants in config.h; maps in maps.h; the ABI in
 * include/rsip/dp_abi.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "config.h"
#include "lan.h"
#include "learned.h"
#include "steer.h"
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

SEC("xdp")
int rsip_wan_steer(struct xdp_md *ctx)
{
	return steer_main(ctx);
}

SEC("xdp/cpumap")
int rsip_wan_cpu(struct xdp_md *ctx)
{
	return steer_arrived(ctx);
}

SEC("syscall")
int rsip_learned(struct rsip_learned_req *req)
{
	return learned_main(req);
}
