/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SPI steering (rsipd --spi-steer, docs/dataplane.md "One peer's ESP on
 * every CPU"): the ABI between bpf/steer.h and user space (the loader, the
 * tests, bench/xdp_gw). Compiled by clang -target bpf and by gcc, like
 * dp_abi.h.
 *
 *   rsip_steer   ARRAY of RSIP_STEER_SLOTS __u32: slot -> the CPU whose
 *                cpumap entry handles the SPIs of that slot
 *   rsip_cpumap  CPUMAP, one entry per steering CPU, each running
 *                rsip_wan_cpu (the WAN program as cpumap program)
 *
 * Neither is pinned: the loader fills both before the programs are
 * attached, like rsip_tx. The slot is a function of the SPI alone, so every
 * packet of one SA reaches the same CPU (no reordering within an SA), and a
 * multiplicative hash spreads the SPIs of one block (consecutive values)
 * over the slots.
 */
#ifndef RSIP_STEER_ABI_H
#define RSIP_STEER_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RSIP_MAP_STEER	"rsip_steer"
#define RSIP_MAP_CPUMAP "rsip_cpumap"

#define RSIP_STEER_SLOTS_LOG 8
#define RSIP_STEER_SLOTS     (1u << RSIP_STEER_SLOTS_LOG)
/* rsip_cpumap entries hold this many frames per CPU (the kernel's
 * ptr_ring; xdp-tools' xdp_redirect_cpu default). */
#define RSIP_STEER_QSIZE 2048
/* rsip_cpumap max_entries in the object; the loader sets the possible CPUs. */
#define RSIP_STEER_DEF_CPUS 64

/* The slot of an SPI, given in host order (the same on any host): the top
 * bits of a multiplicative hash, so SPIs that differ only in their low bits
 * (one block) still spread over every slot. */
static inline __u32 rsip_steer_slot(__u32 spi)
{
	return (spi * 0x9e3779b1u) >> (32 - RSIP_STEER_SLOTS_LOG);
}

#endif
