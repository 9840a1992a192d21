/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The maps both programs share (one object, so one set). Names, keys and
 * values are the ABI of include/rsip/dp_abi.h; max_entries are defaults the
 * loader scales (bpf_map__set_max_entries) before load. No `pinning`
 * attribute: the loader pins by name itself (see dp_abi.h).
 */
#ifndef RSIP_BPF_MAPS_H
#define RSIP_BPF_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "rsip/dp_abi.h"

/* Bindings are never evicted (HASH, not LRU): a full map is an error rsipd
 * reports. No preallocation: memory follows the number of bindings. */
#define RSIP_HASH(name, ktype, vtype, max)                                                         \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(max_entries, max);                                                          \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                              \
		__type(key, ktype);                                                                \
		__type(value, vtype);                                                              \
	} name SEC(".maps")

RSIP_HASH(rsip_clients, __be32, struct rsip_client, RSIP_DEF_CLIENTS);
RSIP_HASH(rsip_nb, __be32, struct rsip_nb_val, RSIP_DEF_NB);
RSIP_HASH(rsip_ports, struct rsip_port_key, struct rsip_target, RSIP_DEF_PORTS);
RSIP_HASH(rsip_ike, struct rsip_ike_key, struct rsip_target, RSIP_DEF_IKE);
RSIP_HASH(rsip_spi, struct rsip_spi_key, struct rsip_target, RSIP_DEF_SPI);
RSIP_HASH(rsip_spi_blk, struct rsip_blk_key, struct rsip_target, RSIP_DEF_SPI_BLK);
RSIP_HASH(rsip_icmp_id, struct rsip_icmp_key, struct rsip_target, RSIP_DEF_ICMP_ID);
RSIP_HASH(rsip_out_spi, struct rsip_out_key, struct rsip_out_val, RSIP_DEF_OUT_SPI);

/* SPI blocks by index (include/rsip/spi_dir.h): an array, so the lookup is
 * inlined (no hashing); max_entries scaled by the loader like the maps
 * above. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RSIP_DEF_SPI_DIR);
	__type(key, __u32);
	__type(value, struct rsip_dir_val);
} rsip_spi_dir SEC(".maps");

/* Leased ports by index (dp_abi.h): slot << 16 | port. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RSIP_DEF_PORTS);
	__type(key, __u32);
	__type(value, struct rsip_dir_val);
} rsip_port_dir SEC(".maps");

/* Which Nb has which rsip_port_dir partition, by its filter bit. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RSIP_NB_DIR_SIZE);
	__type(key, __u32);
	__type(value, struct rsip_nb_slot);
} rsip_nb_dir SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RSIP_CNT_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} rsip_stats SEC(".maps");

/* Per-binding packets and bytes by rsip_target.stat_slot (dp_abi.h): per
 * CPU, so a packet writes only its own CPU's copy, never a line that holds
 * configuration; max_entries scaled by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RSIP_DEF_BIND_STATS);
	__type(key, __u32);
	__type(value, struct rsip_bind_stats);
} rsip_bind_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rsip_meta);
} rsip_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} rsip_slowpath SEC(".maps");

/* ifindex -> ifindex: the LAN device(s) and the WAN device. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} rsip_tx SEC(".maps");

/* The Nb pre-filter (dp_abi.h): an array, so a lookup is inlined by the
 * verifier (an address computation, no hashing, no helper call). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RSIP_NB_FILTER_WORDS);
	__type(key, __u32);
	__type(value, __u32);
} rsip_nb_filter SEC(".maps");

#endif
