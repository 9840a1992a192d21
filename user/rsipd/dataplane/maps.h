/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dpx: the map-writing layer of the XDP data plane. It is the one place that
 * knows how clients and bindings (dataplane.h) become entries in the maps of
 * include/rsip/dp_abi.h; the loader (attach, pins, neighbours) hands it the
 * map fds, and the tests fill the maps through it.
 *
 * Rules:
 * - All or nothing: every call that writes records what it changed and, on a
 *   map error, puts every entry back as it was and returns -errno (-ENOSPC
 *   for a full map, which the kernel reports as -E2BIG).
 * - Reconciliation: an entry is written only when its key is absent or its
 *   non-counter part (dp_abi.h *_CFG_END) differs; a rewrite keeps the live
 *   counters. Re-adding the state of a previous run (restart) therefore
 *   changes nothing that is already right.
 * - Clients and targets: every binding entry (rsip_ports, rsip_spi,
 *   rsip_spi_blk, the rsip_nb whole target) carries the client's MAC and LAN
 *   ifindex, so dpx_client_set_link() rewrites all of them (and the client's
 *   learned entries).
 * - SPI blocks (decision D13): a client's bindings that own the same aligned
 *   block share one rsip_spi_blk entry, reference-counted by the bindings
 *   that name it. The entry carries the oldest such binding's id, tunnel and
 *   remote policy; if those bindings disagree on tunnel or remote policy the
 *   block entry is replaced by one rsip_spi entry per leased SPI (correct,
 *   one lookup slower), and restored when they agree again.
 * - One Nb per client (rsip_client.nb): a binding on another Nb is refused
 *   with -EINVAL.
 * Single-threaded: rsipd's event loop owns it.
 */
#ifndef RSIPD_DPX_H
#define RSIPD_DPX_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "rsip/dp_abi.h"

#include "dataplane.h"

struct dpx;

/*
 * Map access, so unit tests can run the layer on in-memory maps. Each returns
 * 0 or -errno (-ENOENT: no such key), like libbpf's bpf_map_*_elem. next_key
 * with key NULL gives the first key. A per-CPU map's value is ncpus values.
 */
struct dpx_map_ops {
	int (*lookup)(void *arg, int fd, const void *key, void *value);
	int (*update)(void *arg, int fd, const void *key, const void *value, uint64_t flags);
	int (*delete)(void *arg, int fd, const void *key);
	int (*next_key)(void *arg, int fd, const void *key, void *next);
	/* Optional (NULL: the calls above, one element at a time), as
	 * bpf_map_*_batch: *count in: room / entries, out: entries done;
	 * lookup_batch says -ENOENT with the last chunk. */
	int (*lookup_batch)(void *arg, int fd, void *in_batch, void *out_batch, void *keys,
			    void *values, uint32_t *count);
	int (*update_batch)(void *arg, int fd, const void *keys, const void *values,
			    uint32_t *count);
	int (*delete_batch)(void *arg, int fd, const void *keys, uint32_t *count);
	/* Runs the rsip_learned program (prog_fd: struct dpx_maps.learned) on
	 * req (dp_abi.h), which it fills in: 0, or -errno when it could not
	 * run. The only way the layer changes a learned count (map_sweep.c). */
	int (*learned_add)(void *arg, int prog_fd, struct rsip_learned_req *req);
	void *arg;
};

/* The libbpf-backed operations (the default). */
extern const struct dpx_map_ops dpx_kernel_ops;

struct dpx_maps {
	int clients, nb, ports, ike, spi, spi_blk, icmp_id, out_spi, stats, nb_filter;
	int spi_dir;  /* unused with spi_dir.slots 0: no SPI directory */
	int port_dir; /* ... and these with spi_dir.port_slots 0 */
	int nb_dir;
	int learned;	     /* the rsip_learned program (a program fd, not a map) */
	int bind_stats;	     /* per-binding packets and bytes (per CPU) */
	uint32_t bind_slots; /* ... its max_entries: the slots bindings get */
	bool bind_stats_new; /* ... created by this start: every slot reads zero */
};

/* The fds of a loaded skeleton's maps (they stay the skeleton's). */
struct rsip_xdp;
struct dpx_maps dpx_maps_of(const struct rsip_xdp *skel);
/* No map yet (every fd -1), only rsip_bind_stats' size: a first start
 * builds the mirror in restore mode while the programs load, and gives the
 * fds with dpx_set_maps before dpx_restore_end (or any other call outside
 * restore mode). */
struct dpx_maps dpx_maps_later(uint32_t bind_slots);

struct dpx_config {
	uint8_t spi_block_shift;       /* must match the programs' cfg_spi_block_shift */
	struct dp_dirs spi_dir;	       /* ... and cfg_spi_dir_on, cfg_spi_key, cfg_port_dir_on */
	uint32_t cookie_cap;	       /* learned entries (IKE cookies, echo ids) per client */
	unsigned int ncpus;	       /* for rsip_stats; 0: libbpf_num_possible_cpus() */
	const struct dpx_map_ops *ops; /* NULL: dpx_kernel_ops */
};

/* NULL on bad configuration or no memory (logged). The fds stay the
 * caller's. */
struct dpx *dpx_new(const struct dpx_maps *maps, const struct dpx_config *cfg);
void dpx_free(struct dpx *x);
/* The maps, once loaded (dpx_maps_later). -EINVAL, nothing changed, when
 * rsip_bind_stats has another size than the one the mirror was built for. */
int dpx_set_maps(struct dpx *x, const struct dpx_maps *maps);

/* --- public addresses: the Nb pool (shared unless a binding leases one
 * whole). Adding keeps a live entry as it is (it may be leased whole by a
 * binding about to be restored). Deleting refuses (-EBUSY) while a
 * binding lives on it. */
int dpx_nb_add(struct dpx *x, struct in_addr nb);
int dpx_nb_del(struct dpx *x, struct in_addr nb);

/* --- clients. Deleting a client removes its remaining bindings and its
 * learned IKE cookies and echo ids too (its learned outbound SPIs age out in
 * dpx_sweep). -EEXIST / -ENOENT for a client that is / is not
 * there (by Xa; the client id must match). A live entry of the same client
 * id (restart) lends its MAC and ifindex until dpx_client_set_link(). */
int dpx_client_add(struct dpx *x, const struct dp_client *c);
int dpx_client_del(struct dpx *x, const struct dp_client *c);
/* The client's MAC (all zero: unknown; its traffic then takes the slow
 * path) and LAN ifindex; rewrites every entry that carries them. */
int dpx_client_set_link(struct dpx *x, struct in_addr xa, const uint8_t mac[6], uint32_t ifindex);
/* How many learned entries the client may hold (default: cfg.cookie_cap). */
int dpx_client_set_cookie_cap(struct dpx *x, struct in_addr xa, uint32_t cap);

/* --- bindings (the layer keeps a copy of the record). -ENOENT: unknown
 * client; -EEXIST: bind id in use; -EINVAL: bad tunnel/method, another Nb
 * than the client's other bindings; -ENOSPC: a map full. A binding's SPI
 * block is spi >> cfg.spi_block_shift. Each binding gets a counter slot of
 * its own, zeroed when given (a restart keeps the slot its live entries
 * carry), or none when rsip_bind_stats has no free slot (--stat-slots): it
 * is added all the same and its stats read zero (dpx_slots_uncounted). */
int dpx_binding_add(struct dpx *x, const struct binding_rec *b);
int dpx_binding_del(struct dpx *x, const struct binding_rec *b);
/* In: the binding's rsip_bind_stats slot summed over the CPUs (a shared
 * SPI block counts under the binding whose id and slot it carries). Out: the client's totals (the
 * LAN program counts per client; docs/dataplane.md). last_seen_ms: the latest of both,
 * CLOCK_MONOTONIC ms (the programs use bpf_ktime_get_coarse_ns,
 * +-1 s). */
int dpx_binding_stats(struct dpx *x, const struct binding_rec *b, struct dp_binding_stats *out);

/* --- counters: rsip_stats summed over CPUs, out[RSIP_CNT_MAX]. */
int dpx_counters(struct dpx *x, uint64_t *out);
/* Bindings and clients given no counter slot of their own since dpx_new
 * (rsip_bind_stats full, or --stat-slots 0). */
uint64_t dpx_slots_uncounted(const struct dpx *x);

/* --- learned entries (IKE cookies, echo ids, outbound SPIs) idle for more
 * than idle_ns (now_ns: CLOCK_MONOTONIC, dpx_now_ns()) are deleted; each
 * expired cookie or echo id is taken off its client's count. */
struct dpx_sweep_result {
	unsigned int cookies, icmp_ids, out_spis;
};
int dpx_sweep(struct dpx *x, uint64_t now_ns, uint64_t idle_ns, struct dpx_sweep_result *res);
uint64_t dpx_now_ns(void);

/* --- learned entries from outside (a cluster, docs/cluster.md): the
 * dataplane_ops learned_list / learned_put / learned_del of dataplane.h,
 * with their return values. */
int dpx_learned_list(struct dpx *x, void (*fn)(const struct dp_learned *l, void *arg), void *arg);
int dpx_learned_put(struct dpx *x, const struct dp_learned *l, const char **why);
int dpx_learned_del(struct dpx *x, const struct dp_learned *l);

/* --- restart. Between restore_begin and restore_end, the calls above change
 * only the mirror (no map access: a restart with 100k clients must not cost
 * a system call per entry). restore_end then reads every map once, writes
 * what is missing or differs (a rewrite keeps the live counters; a client
 * keeps the MAC and ifindex of its live entry unless dpx_client_set_link
 * said otherwise), deletes every entry no client or binding claims (stale
 * leases of the previous run), all in batches, and returns how many entries
 * it deleted (or reverted to a shared Nb), or -errno. Nothing is rolled
 * back on an error: the caller stops. */
void dpx_restore_begin(struct dpx *x);
int dpx_restore_end(struct dpx *x);

#endif
