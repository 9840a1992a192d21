/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --dataplane xdp: the programs of bpf/rsip_xdp.bpf.c on --wan and --lan,
 * the pinned maps written through dpx (dpx.h), the clients' MACs kept fresh
 * through managed neighbour entries (neigh.h), and the slow path (slow.h)
 * fed from rsip_slowpath by a perf buffer in rsipd's event loop.
 * docs/dataplane.md has the whole story.
 */
#ifndef RSIPD_DP_XDP_H
#define RSIPD_DP_XDP_H

struct dataplane;
struct ev_loop;
struct rsipd_config;

/* Open the object and size its maps, take the previous run's programs when
 * they fit, and start loading the rest: on a second thread when the kernel
 * must verify programs (a first start), so that the engine restores its
 * leases meanwhile (xdp_load.h). Until dataplane_xdp_restored(), the maps
 * are in restore mode: the engine re-adds the clients and bindings of its
 * store into the mirror only, and nothing live is rewritten. NULL with
 * *err = -errno (the reason is logged). cfg and loop must outlive it. */
struct dataplane *dataplane_xdp_new(const struct rsipd_config *cfg, struct ev_loop *loop, int *err);
/* Wait for the load, then give the mirror its maps and attach the programs.
 * Before anything but the engine's restore (client_add, binding_add and
 * their deletes in restore mode) uses the data plane; dataplane_xdp_restored
 * calls it too. 0 or -errno (logged); again after a failure: the same. */
int dataplane_xdp_loaded(struct dataplane *dp);
/* The engine has re-added everything it knows: delete what nothing claims
 * (leases of the previous run that are gone). 0 or -errno. */
int dataplane_xdp_restored(struct dataplane *dp);
/* rsipd's start failed after the data plane was up (the store, a socket):
 * on a first start (no pins before it) the destroy that follows takes down
 * what this start attached and pinned, as when the data plane itself
 * failed; a restart leaves the previous run's pins and programs running. */
void dataplane_xdp_start_failed(struct dataplane *dp);

#endif
