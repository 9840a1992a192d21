/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Neighbour entries the XDP programs depend on. XDP cannot resolve a MAC
 * (bpf_fib_lookup costs the whole per-packet budget), so each client's MAC
 * and LAN ifindex sit in its map values, and rsipd keeps them fresh: for
 * every watched address it installs a `managed` neighbour entry
 * (NTF_EXT_MANAGED, kernel >= 5.16: the kernel resolves it and keeps it
 * reachable without traffic), listens to RTM_NEWNEIGH / RTM_DELNEIGH and
 * reports every MAC change. The same for the WAN next hops, so the LAN
 * program's FIB lookups find a resolved neighbour.
 * Runs in rsipd's event loop; all netlink through libmnl.
 */
#ifndef RSIPD_NEIGH_H
#define RSIPD_NEIGH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct ev_loop;
struct neigh;

/* addr's MAC on ifindex is now mac (never all zero). */
typedef void (*neigh_cb)(void *arg, struct in_addr addr, const uint8_t mac[6], int ifindex);

/* Watch neighbours on ifindex. NULL with *err = -errno on failure. */
struct neigh *neigh_new(struct ev_loop *loop, int ifindex, neigh_cb cb, void *arg, int *err);
/* Stop watching; remove_entries: delete the managed entries rsipd made
 * (with --detach-on-exit; otherwise they stay and keep resolving). */
void neigh_free(struct neigh *n, bool remove_entries);

/* Install (or keep) a managed entry for addr and report its MAC as soon as
 * it is known (at once when it already is). 0 or -errno. */
int neigh_watch(struct neigh *n, struct in_addr addr);
/* The same, a little at a time from the event loop (a restart watches
 * every restored client: their netlink round trips must not hold up the
 * first RSIP answer). While the kernel's neighbour table is full the queue
 * waits, with one warning. 0 or -ENOMEM. */
int neigh_watch_later(struct neigh *n, struct in_addr addr);
/* Forget addr and delete its managed entry. 0 or -errno. */
int neigh_unwatch(struct neigh *n, struct in_addr addr);

/* The gateways of the routes that leave through ifindex (main table), for
 * neigh_watch on the WAN side. Returns how many were written to out (at
 * most max), or -errno. */
int neigh_route_gateways(int ifindex, struct in_addr *out, int max);

#endif
