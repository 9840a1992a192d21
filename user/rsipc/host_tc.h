/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rsipc's tunnel in the kernel: loads bpf/rsipc_tc.bpf.c (skeleton) with the
 * lease, attaches its two programs to the clsact hook of the host's LAN
 * device, keeps the leased ports in its map, reads its counters, and removes
 * it. Nothing is pinned: the filters hold the programs and maps, and are
 * found again by their handle (the routing table number, unique per rsipc).
 */
#ifndef RSIPC_HOST_TC_H
#define RSIPC_HOST_TC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsip/host_tc.h"

/* Before other filters: a tunnel packet must be decapsulated first. */
#define HOST_TC_PRIO 1

struct rsipc_tc;

struct host_tc {
	struct rsipc_tc *skel;
	int ifindex;
	uint32_t handle;
	bool ingress, egress; /* attached */
};

struct host_tc_cfg {
	int ifindex;	 /* the LAN device (Ethernet) */
	uint32_t handle; /* filter handle */
	struct rsipc_tc_cfg lease;
	const uint16_t *ports; /* host order */
	unsigned int n_ports;
};

/* Load and attach (replacing our own filters a killed rsipc left behind).
 * Returns 0, or -errno with the reason in err; nothing is left attached on
 * failure. */
int host_tc_attach(struct host_tc *h, const struct host_tc_cfg *c, char *err, size_t errlen);
/* One more leased port (host order). 0 or -errno. */
int host_tc_add_port(struct host_tc *h, uint16_t port);
/* Counters summed over CPUs (zeros when not loaded). */
void host_tc_counters(const struct host_tc *h, uint64_t out[RSIPC_TC_N_COUNTERS]);
const char *host_tc_counter_name(unsigned int c);
/* Detach both filters and unload. Safe on a detached or zeroed host_tc. */
void host_tc_detach(struct host_tc *h);
/* Remove the filters with this handle from ifindex (after a crash).
 * Returns how many were removed. */
int host_tc_remove(int ifindex, uint32_t handle);

#endif
