/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SPI steering (--spi-steer, bpf/steer.h, include/rsip/steer_abi.h): fills
 * rsip_cpumap (an entry per CPU running rsip_wan_cpu) and rsip_steer (the
 * SPI slots dealt round-robin over the CPUs). Neither map is pinned: every
 * load fills its own before the programs are attached.
 */
#ifndef RSIPD_XDP_STEER_H
#define RSIPD_XDP_STEER_H

#include <stddef.h>
#include <stdint.h>

struct rsip_xdp;

/* cpus: n CPU numbers (1 <= n <= RSIP_STEER_SLOTS). 0, or -errno after
 * logging which CPU and why (not a possible CPU, the kernel refused). */
int xdp_steer_fill(struct rsip_xdp *skel, const uint16_t *cpus, size_t n);

#endif
