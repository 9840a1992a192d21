/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SPI steering (--spi-steer, bpf/steer.h, include/rsip/steer_abi.h): fills
 * rsip_cpumap (an entry per CPU running rsip_wan_cpu) and rsip_steer (the
 * SPI slots dealt round-robin over the CPUs). Neither map is pinned: every
 * start fills them before the programs are attached, its own after a load,
 * the live ones when the programs are reused (xdp_reuse.h).
 */
#ifndef RSIPD_XDP_STEER_H
#define RSIPD_XDP_STEER_H

#include <stddef.h>
#include <stdint.h>

struct rsip_xdp;

/* cpus: n CPU numbers (1 <= n <= RSIP_STEER_SLOTS); cpu_prog_fd: the
 * loaded or reused rsip_wan_cpu. The entries of CPUs not listed (a reused
 * map of another list) are removed. 0, or -errno after logging which CPU and
 * why (not a possible CPU, the kernel refused). */
int xdp_steer_fill(struct rsip_xdp *skel, int cpu_prog_fd, const uint16_t *cpus, size_t n);

/* Deals rsip_steer's slots (fd: the map, loaded or pinned) round-robin over
 * cpus; each should have its rsip_cpumap entry (else its SPIs are handled
 * where they arrive, counted wan_steer_local). 0 or -errno. */
int xdp_steer_slots(int steer_fd, const uint16_t *cpus, size_t n);

#endif
