/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Loading the XDP object (bpf/rsip_xdp.bpf.c through its skeleton): the
 * load-time constants, the map sizes, and the pins. Every map but rsip_tx
 * (a devmap: the kernel marks it read-only for programs and libbpf 1.1 then
 * refuses to reuse its pin), the object's .bss (the outer IPv4 ID counters,
 * internal) and rsip_nb_filter (refilled by dpx_nb_add before the programs
 * are attached) is pinned by name under the pin directory. Pins left by a previous run are reused,
 * so the bindings and their counters survive a restart; rsip_meta tells which ABI created them, and
 * a mismatch stops rsipd before it touches anything.
 */
#ifndef RSIPD_XDP_LOAD_H
#define RSIPD_XDP_LOAD_H

#include <stdbool.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>

#include "dataplane.h"
#include "map_sizes.h"
#include "xdp_reuse.h"

struct rsip_xdp;

struct xdp_load_cfg {
	const char *pin_path;
	uint32_t map_size;	/* --map-size, for the message when a pin keeps another size */
	struct map_sizes sizes; /* what this configuration needs (map_sizes.h) */
	bool map_prealloc;	/* hash maps preallocated (a reused pin keeps its own) */
	uint32_t na;		/* network order: tunnel endpoint and outer source */
	uint8_t lan_mac[6];
	uint8_t wan_mac[6]; /* all zero: frames to any MAC (tests) */
	uint32_t lan_mtu;
	uint32_t wan_ifindex;
	uint8_t spi_block_shift;
	uint32_t n_public; /* --public addresses: one SPI directory partition each */
	const struct in_addr *public_addrs; /* the n_public addresses (program reuse) */
	uint32_t lan_ifindex;
	bool steer; /* --spi-steer: also load rsip_wan_steer and rsip_wan_cpu */
};

/*
 * A load in two steps, so that a first start can restore its leases while
 * the kernel verifies the programs (docs/store.md, "Start-up order"):
 *   xdp_load_open   (rsipd's thread) the pin directory, rsip_meta of live
 *                   pins, the object opened, configured and its maps sized,
 *                   the previous run's programs taken when they fit
 *                   (xdp_reuse.h). Fills spi_dir and bind_slots: all the
 *                   map layer's mirror needs before the maps exist.
 *   xdp_load_start  the rest (the load, i.e. the verifier, its reuse record,
 *                   rsip_meta written): on a second thread when programs
 *                   must be loaded, else at once on rsipd's thread.
 *   xdp_load_wait   joins it: 0 or its -errno. Nothing may use the object,
 *                   its maps or its programs before this returned 0.
 * The thread touches only *ld and the kernel; rsipd's thread touches *ld
 * only before xdp_load_start and after xdp_load_wait. xdp_load_close (after
 * a failure or at the end) waits for the thread first, so no path leaves
 * it running.
 */
struct xdp_load {
	/* Results, valid after xdp_load_open: */
	struct rsip_xdp *skel;
	bool reused;		/* live pins (rsip_meta) were found */
	struct dp_dirs spi_dir; /* the live pins' key, else a new one; the maps' sizes */
	uint32_t bind_slots;	/* rsip_bind_stats' max_entries */
	/* rsip_bind_stats is created by this load (no pin, or a pin of another
	 * size removed): the kernel hands it out zeroed, so a first start's
	 * restore need not zero the slots it gives out (map_restore.c). */
	bool bind_stats_new;
	/* Whether the programs are the previous run's (their fds are
	 * xdp_reuse_prog_fd's), else this load's (usable after xdp_load_wait). */
	struct xdp_reuse progs;
	uint64_t thread_ms; /* how long the thread took (0: no thread) */
	/* Internal. */
	struct xdp_reuse_input ri;
	uint32_t *extra;
	uint8_t spi_block_shift;
	pthread_t tid;
	bool on_thread;
	int thread_rc;
};

/* 0, or -errno after logging what to do about it (then xdp_load_close). */
int xdp_load_open(const struct xdp_load_cfg *cfg, struct xdp_load *ld);
/* 0, or -errno (logged) when the thread could not be started or the
 * inline step failed. */
int xdp_load_start(struct xdp_load *ld);
int xdp_load_wait(struct xdp_load *ld);
/* Waits for the thread, closes the reused programs' fds and the object. */
void xdp_load_close(struct xdp_load *ld);

/* All three steps at once (the tests): the object in *out, the rest as
 * above; the caller destroys *out, then closes *progs (xdp_reuse_close). */
int xdp_load(const struct xdp_load_cfg *cfg, struct rsip_xdp **out, bool *reused,
	     struct dp_dirs *spi_dir, struct xdp_reuse *progs);

/* Remove the map and program pins and the directory, when empty
 * (--detach-on-exit). */
void xdp_unpin_maps(const char *pin_path);

#endif
