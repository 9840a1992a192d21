/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The binding table as the data plane sees it. The RSIP engine owns the
 * leases and decides; it tells the data plane about every client and binding
 * that appears or goes away, and the data plane makes packets follow:
 *   --dataplane none  keeps an in-memory table and forwards nothing (the
 *                     control plane alone: tests, benchmarks, a dry run),
 *   --dataplane xdp   writes the pinned BPF maps the XDP programs read.
 * A data plane may refuse an add (e.g. -ENOSPC: a full map); the engine then
 * rolls the allocation back and answers the client with an RSIP error, so a
 * binding the client was told about is always one the data plane carries.
 */
#ifndef RSIPD_DATAPLANE_H
#define RSIPD_DATAPLANE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "binding_rec.h" /* the bindings the ops take */

struct ev_loop;
struct json_object;
struct dataplane;

/* A registered host. */
struct dp_client {
	uint32_t client_id;
	struct in_addr xa; /* private address: tunnel destination, LAN source */
};

/* Per-binding traffic, where the data plane can count it. */
struct dp_binding_stats {
	uint64_t packets_in, bytes_in;	 /* public -> client */
	uint64_t packets_out, bytes_out; /* client -> public */
	uint64_t last_seen_ms;		 /* CLOCK_MONOTONIC ms; 0: never */
};

/* An entry the data plane learned from a host's traffic (docs/cluster.md
 * "Learned entries"): the active gateway of a cluster publishes them, its
 * standbys write them into their own maps. */
enum dp_learned_kind {
	DP_LEARNED_IKE =
	    1, /* rsip_ike: a cookie (Nb, port, cookie) or a peer entry (Nb, port, Y) */
	DP_LEARNED_ICMP_ID, /* rsip_icmp_id: (Nb, echo id) */
	DP_LEARNED_OUT_SPI, /* rsip_out_spi: (Y, Y's SPI) the host sends to */
};
#define DP_LEARNED_KEY_MAX 16

struct dp_learned {
	uint8_t kind;			 /* enum dp_learned_kind */
	uint8_t klen;			 /* the map's key size: 16 (IKE), 8 (the others) */
	uint8_t key[DP_LEARNED_KEY_MAX]; /* the map key, as include/rsip/dp_abi.h lays it out */
	uint32_t client_id;		 /* the host's */
	struct in_addr xa;		 /* ... and its address */
	uint8_t tunnel;			 /* IKE, echo id: the tunnel type it came through */
	struct in_addr remote;		 /* IKE, echo id: the peer (0: none) */
	bool several; /* an IKE peer entry: several hosts talk IKE with Y (RSIP_TF_IKE_SEVERAL) */
};

/* Calls from the data plane back into the engine. */
struct dp_callbacks {
	/* A client broke its lease on the data path (RFC 3103 10.4, decision
	 * D14): error is 307 or 312-315. The engine rate-limits the
	 * unsolicited ERROR_RESPONSE. */
	void (*violation)(void *arg, struct in_addr xa, uint16_t error);
	void *arg;
};

struct dataplane_ops {
	const char *name;
	int (*client_add)(struct dataplane *dp, const struct dp_client *c);
	int (*client_del)(struct dataplane *dp, const struct dp_client *c);
	/* A data plane that needs the binding later keeps its own copy of
	 * the record (binding_rec_dup). */
	int (*binding_add)(struct dataplane *dp, const struct binding_rec *b);
	/* By bind id; the client (xa / client_id) must match. */
	int (*binding_del)(struct dataplane *dp, const struct binding_rec *b);
	/* Optional (NULL: no per-binding counters). */
	int (*binding_stats)(struct dataplane *dp, const struct binding_rec *b,
			     struct dp_binding_stats *out);
	/* Optional: add the data plane's counters to a JSON object. */
	int (*counters)(struct dataplane *dp, struct json_object *out);
	/* Optional (NULL: the data plane learns nothing). learned_list hands
	 * every learned IKE cookie and peer entry, echo id and outbound SPI of
	 * a registered host to fn. learned_put writes one (a standby's
	 * mirror): -ENOENT the host (Client ID and address) is not registered
	 * here, -EINVAL a malformed entry or one that does not fit the host
	 * (another Nb, a tunnel it did not lease, a port or peer the rules
	 * never learn; *why, when why is not NULL, says which), -EDQUOT the
	 * host holds its cap of learned entries, -EAGAIN not now (a restart's
	 * restore is under way). learned_del removes one if it is that
	 * host's (else 0, nothing). */
	int (*learned_list)(struct dataplane *dp, void (*fn)(const struct dp_learned *l, void *arg),
			    void *arg);
	int (*learned_put)(struct dataplane *dp, const struct dp_learned *l, const char **why);
	int (*learned_del)(struct dataplane *dp, const struct dp_learned *l);
	/* detach: take the XDP programs down too (--detach-on-exit); otherwise
	 * pinned programs and maps keep forwarding while rsipd is away. */
	void (*destroy)(struct dataplane *dp, bool detach);
};

/* The SPI directory (include/rsip/spi_dir.h, docs/dataplane.md): owned SPI
 * blocks found by index. slots 0: off (blocks by hash). Otherwise public
 * address i of --public owns slots [i * per_nb, (i + 1) * per_nb): the
 * allocator picks blocks whose slot is in their address's partition, the
 * map-writing layer puts those in the directory and any other block
 * (restored from another key, a full partition) as single SPIs. */
struct dp_dirs {
	uint64_t key; /* the permutation's key: random, kept in rsip_meta */
	uint32_t slots, per_nb;
	/* Leased ports by index (rules/ports.h): rsip_port_dir's partitions
	 * of RSIP_PORT_DIR_SPAN ports; 0: off (all in rsip_ports). */
	uint32_t port_slots;
};

/* --attach tc: what start-up did with the TC programs and their filters
 * (tc_attach.h), for rsipctl status. All NULL: no TC programs. */
struct dp_tc_status {
	const char *programs; /* as struct dataplane's, for the TC object */
	/* The WAN device, then the LAN device: its name, and what start-up did
	 * with rsipd's filter on it: "attached" (there was none), "replaced in
	 * place" (it ran another program) or "kept" (it ran this one). */
	const char *dev[2];
	const char *filter[2];
};

struct dataplane {
	const struct dataplane_ops *ops;
	struct dp_callbacks cb;
	struct dp_dirs spi_dir; /* all zero: none (--dataplane none) */
	/* How the programs came: "reused (...)" or "loaded (why)"; NULL: no
	 * programs (--dataplane none). For rsipctl status. */
	const char *programs;
	struct dp_tc_status tc;
};

/* The in-memory data plane of --dataplane none. */
struct dataplane *dataplane_none_new(void);

#endif
