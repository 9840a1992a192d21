/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The lease store of a gateway cluster (rsipd --store etcd://..., issue 12):
 * every registered host is one etcd key, PREFIX "bind/HEX8" (its Client ID),
 * whose value is the engine's record of the host (the same JSON document
 * the SQLite store keeps, engine/snapshot.c: registration, bindings, leases
 * as wall-clock times, last reply).
 *
 * The active gateway writes the keys of the hosts an event-loop iteration
 * changed in one etcd transaction at its end (before its replies leave),
 * as the SQLite store does. Every gateway watches the prefix (a full read
 * at start and after a compaction or a lost watch, then events): a standby
 * restores each host it sees into its own engine, so its allocator holds
 * the same resources and its XDP maps the same entries, and forgets the
 * hosts whose key goes. Only the gateway holding the fence, PREFIX "active",
 * writes: etcd refuses any other's (cluster_fence.c). The active gateway ignores the watch (its
 * engine is the source of what it writes); when it becomes standby it reads the whole prefix again.
 * Each gateway also keeps PREFIX "members/NAME" (its role) under a short etcd lease, so rsipctl
 * status lists the live peers.
 *
 * docs/cluster.md has the design, the failure modes and the limits.
 */
#ifndef RSIPD_CLUSTER_STORE_H
#define RSIPD_CLUSTER_STORE_H

#include <stdbool.h>
#include <stdint.h>

struct engine;
struct dataplane;
struct cluster_store;
struct json_object;

struct ev_loop;

/* Where an iteration's replies go once its commit is settled: send (in
 * order) or drop a batch the caller handed to cluster_store_end_iteration. */
struct cluster_store_replies {
	void (*send)(void *arg, void *batch);
	void (*drop)(void *arg, void *batch);
	void *arg;
};

struct cluster_store_cfg {
	struct engine *engine;
	const char *endpoints;		 /* etcd_cfg.endpoints */
	const char *prefix;		 /* "/PREFIX/" */
	const char *cacert, *cert, *key; /* NULL or "": none */
	const char *gateway;		 /* this gateway's name */
	/* What the data plane learns (IKE cookies, outbound SPIs, echo ids),
	 * published while active, mirrored while standby; NULL or a data
	 * plane without learned entries: nothing. */
	struct dataplane *dp;
	uint32_t learned_rate; /* entries written to etcd a second; 0: none */
	/* One request on one member, and its connect (0: 1000 and 200):
	 * past them the next member is tried. */
	uint32_t timeout_ms, connect_timeout_ms;
	uint32_t watch_idle_ms; /* etcd_cfg.watch_idle_ms; 0: 2000 */
	/* Pipelined commits in flight at once, 1 to CS_MAX_INFLIGHT; 0: 4. */
	uint32_t max_inflight;
	/* The event loop that drives the pipelined commits, and where their
	 * replies go; loop NULL: every commit blocks (cluster_store_commit). */
	struct ev_loop *loop;
	struct cluster_store_replies replies;
};

/* Connect, read every host of the cluster into the engine (which must have
 * none yet) and follow it from now on, as a standby (cluster_store_set_active
 * makes it the active gateway). NULL with *rc = -errno after logging what is
 * wrong (a bad certificate file, etcd unreachable: rsipd exits 1). */
struct cluster_store *cluster_store_open(const struct cluster_store_cfg *cfg, int *rc);
void cluster_store_close(struct cluster_store *cs);

/* Active: write the hosts changed since the last commit (nothing when
 * standby), if this gateway still holds the fence. 0; -EPERM when etcd
 * refused them because another gateway holds the fence (logged; this one
 * is standby now and reads every host again); other -errno when etcd did
 * not take them (logged; they are written again at the next commit). */
int cluster_store_commit(struct cluster_store *cs);
/* The end of an event-loop iteration (with a loop): the hosts it changed
 * are sent to etcd in one transaction without waiting (at most
 * cfg.max_inflight in flight; docs/cluster.md, "Pipelined commits"), and
 * batch - the iteration's replies - leaves through cfg.replies once that
 * transaction and every one before it has committed; dropped if one of
 * them fails and the batch lent something. */
void cluster_store_end_iteration(struct cluster_store *cs, void *batch);
/* Whether batches are waiting (a TCP connection to close waits too). */
bool cluster_store_replies_waiting(const struct cluster_store *cs);
/* Drop every waiting batch (shutdown: the transports go first). */
void cluster_store_drop_replies(struct cluster_store *cs);
/* Apply what the watch delivered (standby), without blocking; renew the
 * member key when due. */
void cluster_store_poll(struct cluster_store *cs);

/* The role the gateway is told (keepalived's MASTER, or always without a
 * role file). Active - writing and answering, the engine out of its passive
 * mode - it becomes only with the fence, PREFIX "active" (cluster_fence.c),
 * taken in cluster_store_poll: at a rise of want with takeover (keepalived
 * said MASTER) whoever holds it, otherwise when it is free; then everything the watch has up to it
 * is applied first. Leaving MASTER writes what is pending, gives the fence back and reads the
 * prefix again. */
void cluster_store_set_active(struct cluster_store *cs, bool want, bool takeover);
bool cluster_store_active(const struct cluster_store *cs);

/* For rsipctl status: {"gateway", "role", "store": {...}, "sync": {...},
 * "peers": [...]}. Reads the peers and the newest revision from etcd (one
 * request each). Caller puts it. */
struct json_object *cluster_store_status(struct cluster_store *cs);

#endif
