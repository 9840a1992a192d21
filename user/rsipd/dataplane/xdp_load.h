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
#include <stdint.h>

#include "map_sizes.h"

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

/* Open, configure, pin (or reuse the pins) and load. *reused tells whether
 * live pins were found. 0, or -errno after logging what to do about it. */
struct dp_dirs;
struct xdp_reuse;
/* *spi_dir gets the SPI directory the programs were loaded with: the key of
 * live pins (rsip_meta), else a new random one. *progs: whether the programs
 * are the previous run's (xdp_reuse.h; their fds are xdp_reuse_prog_fd's),
 * else this load's; the caller closes it (xdp_reuse_close) after the skel. */
int xdp_load(const struct xdp_load_cfg *cfg, struct rsip_xdp **out, bool *reused,
	     struct dp_dirs *spi_dir, struct xdp_reuse *progs);

/* Remove the map and program pins and the directory, when empty
 * (--detach-on-exit). */
void xdp_unpin_maps(const char *pin_path);

#endif
