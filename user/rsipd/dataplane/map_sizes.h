/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * How many entries each sized map gets, from rsipd's configuration: the
 * one place the size rules live (docs/dataplane.md "Map sizes"). The loader
 * (xdp_load.c) sets them with bpf_map__set_max_entries before the load, and
 * bench/xdp_gw sizes its maps with the same rules.
 */
#ifndef RSIPD_MAP_SIZES_H
#define RSIPD_MAP_SIZES_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the configuration allows (the flags of the same names). */
struct map_limits {
	uint32_t map_size;		    /* --map-size (0: RSIP_DEF_CLIENTS) */
	uint32_t max_clients;		    /* --max-clients (0: as many as --map-size) */
	const struct in_addr *public_addrs; /* --public, in pool order */
	uint32_t n_public;
	uint32_t port_range;  /* ports in --port-range */
	uint32_t learned_cap; /* learned entries per host (rsip_client.cookie_cap) */
	uint32_t stat_slots;  /* --stat-slots: counter slots per host; 0: none */
};

struct map_sizes {
	uint32_t clients, port_dir, ports, ike, spi, spi_dir, icmp_id, out_spi;
	uint32_t bind_stats; /* per-binding counter slots (per CPU), slot 0 included */
	uint32_t orphan_nb;  /* --public addresses without a rsip_port_dir partition */
};

/* 0, or -EINVAL with the reason in why (a configuration the maps cannot
 * hold). */
int map_sizes_compute(const struct map_limits *l, struct map_sizes *s, char *why, size_t len);

/* What rsip_bind_stats takes in kernel memory with ncpus possible CPUs:
 * its slots x its value x the CPUs (a per-CPU array is allocated whole,
 * at creation). The kernel adds a pointer per slot (8 bytes), not counted
 * here. */
uint64_t map_sizes_bind_stats_bytes(const struct map_sizes *s, unsigned int ncpus);
/* The line the start log and rsipd -t print about it: slots, bytes, how
 * computed. ncpus <= 0: the possible CPUs could not be counted (an errno). */
void map_sizes_bind_stats_line(const struct map_sizes *s, uint32_t stat_slots, int ncpus, char *buf,
			       size_t len);

/* The size of the pinned map called name (dp_abi.h RSIP_MAP_*); 0: not one
 * of the maps sized here. */
uint32_t map_sizes_of(const struct map_sizes *s, const char *name);

/* The rule that gives pool place i its rsip_port_dir partition, written
 * once for the map layer (maps.c) and the sizes here: partition i exists
 * (i < parts) and no other Nb that has one (has[j], j < n) holds i's filter
 * bit, by which the XDP program finds the partition. Otherwise i's leased
 * ports live in rsip_ports. */
bool nb_gets_partition(const struct in_addr *pool, const bool *has, size_t n, size_t i,
		       uint32_t parts);

/* map_sizes_compute for rsipd's configuration (the learned-entry cap is
 * RSIP_DEF_COOKIE_CAP, what the XDP data plane gives every host). */
struct rsipd_config;
int map_sizes_for_config(const struct rsipd_config *cfg, struct map_sizes *s, char *why,
			 size_t len);

#endif
