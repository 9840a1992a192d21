// SPDX-License-Identifier: BSD-2-Clause
/*
 * Map sizes from the configuration (map_sizes.h). A hash map's bucket array
 * follows max_entries even without preallocation (16 bytes per entry,
 * rounded up to a power of two), so a map sized for a worst case the
 * configuration cannot reach costs memory for nothing. Each map gets its
 * default share of the client count (the dp_abi.h RSIP_DEF_* ratios), and
 * no more than the configuration lets into it:
 *   rsip_clients   --map-size; --max-clients must fit in it
 *   rsip_port_dir  whole partitions of RSIP_PORT_DIR_SPAN, at most one per Nb
 *   rsip_ports     only the ports of an Nb without a partition: those Nb
 *                  times the --port-range size
 *   rsip_icmp_id   at most one entry per (Nb, 16-bit id), and clients x the
 *                  learned-entry cap
 *   rsip_out_spi   at most clients x the learned-entry cap
 *   rsip_ike, rsip_spi, rsip_spi_dir: their share (rsip_ike also holds
 *                  entries no client is charged for; the directory is an
 *                  array of slots)
 *   rsip_bind_stats --stat-slots per client (3 by default: two bindings
 *                  and the client itself), at least 64; with 0, slot 0
 *                  alone. A per-CPU array allocated whole (16 bytes per
 *                  slot per possible CPU), so it is sized to the bindings
 *                  the operator wants counted, not to every map's
 *                  capacity; a binding or client beyond it is served
 *                  uncounted (slot 0, map_bind_stats.c), never refused
 * "clients" is --max-clients when it is below --map-size: the hosts that can
 * register bound what they can lease and learn. Only options a SIGHUP cannot
 * change are used (--max-ports and --max-spis are reloadable, the maps are
 * sized once): a reload never needs a bigger map.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "map_sizes.h"
#include "rsip/dp_abi.h"

#define ICMP_IDS_PER_NB 65536u /* the echo id is 16 bits */
/* The kernel refuses an array of more than 2^31 entries (its index mask). */
#define MAX_STAT_SLOTS (1u << 31)

static uint32_t min_u64(uint32_t a, uint64_t b)
{
	return b < a ? (uint32_t)b : a;
}

/* A map's default share of base clients (dp_abi.h ratios), at least 64. */
static uint32_t share(uint32_t def, uint32_t base)
{
	uint64_t n = (uint64_t)def * base / RSIP_DEF_CLIENTS;

	return n < 64 ? 64 : n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* rsip_port_dir: whole partitions, as many as the share holds (at least
 * one), no more than there are Nb (an array takes all its memory at once). */
static uint32_t port_dir_size(uint32_t shared, uint32_t n_public)
{
	uint32_t parts = shared / RSIP_PORT_DIR_SPAN;

	if (parts < 1)
		parts = 1;
	if (n_public && parts > n_public)
		parts = n_public;
	return parts * RSIP_PORT_DIR_SPAN;
}

bool nb_gets_partition(const struct in_addr *pool, const bool *has, size_t n, size_t i,
		       uint32_t parts)
{
	uint32_t bit = rsip_nb_filter_bit(pool[i].s_addr);

	if (i >= parts)
		return false;
	for (size_t j = 0; j < n; j++)
		if (j != i && has[j] && rsip_nb_filter_bit(pool[j].s_addr) == bit)
			return false;
	return true;
}

/* The Nb that get no partition when rsipd adds the pool in order, as the
 * map layer does at start. */
static int orphan_nb(const struct map_limits *l, uint32_t parts, uint32_t *orphans)
{
	bool *has = calloc(l->n_public, sizeof(*has));

	if (!has)
		return -ENOMEM;
	*orphans = 0;
	for (uint32_t i = 0; i < l->n_public; i++) {
		has[i] = nb_gets_partition(l->public_addrs, has, i, i, parts);
		*orphans += !has[i];
	}
	free(has);
	return 0;
}

int map_sizes_compute(const struct map_limits *l, struct map_sizes *s, char *why, size_t len)
{
	uint32_t cap = l->map_size ? l->map_size : RSIP_DEF_CLIENTS;
	uint32_t base = l->max_clients && l->max_clients < cap ? l->max_clients : cap;
	uint64_t learned = (uint64_t)base * l->learned_cap;

	memset(s, 0, sizeof(*s));
	if (l->max_clients > cap) {
		snprintf(why, len,
			 "--max-clients %u is more than the maps hold (--map-size %u): raise "
			 "--map-size to at least %u or lower --max-clients",
			 l->max_clients, cap, l->max_clients);
		return -EINVAL;
	}
	if (!l->n_public || !l->port_range || !l->learned_cap) {
		snprintf(why, len,
			 "map sizes: no --public address, empty --port-range or "
			 "no learned entries per host");
		return -EINVAL;
	}
	s->clients = base;
	s->port_dir = port_dir_size(share(RSIP_DEF_PORTS, base), l->n_public);
	if (orphan_nb(l, s->port_dir / RSIP_PORT_DIR_SPAN, &s->orphan_nb)) {
		snprintf(why, len, "map sizes: out of memory");
		return -ENOMEM;
	}
	s->ports = min_u64(share(RSIP_DEF_PORTS, base), (uint64_t)s->orphan_nb * l->port_range);
	s->ike = share(RSIP_DEF_IKE, base);
	s->spi = share(RSIP_DEF_SPI, base);
	s->spi_dir = share(RSIP_DEF_SPI_DIR, base);
	if (l->stat_slots && (uint64_t)base * l->stat_slots > MAX_STAT_SLOTS) {
		snprintf(why, len,
			 "--stat-slots %u: %u hosts x %u slots is more than a map holds (%u): "
			 "lower --stat-slots or --max-clients",
			 l->stat_slots, base, l->stat_slots, MAX_STAT_SLOTS);
		return -EINVAL;
	}
	/* Slot 0 (learned entries, and whatever finds no slot) always exists. */
	s->bind_stats = l->stat_slots ? base * l->stat_slots : 1;
	if (l->stat_slots && s->bind_stats < 64)
		s->bind_stats = 64;
	s->icmp_id = min_u64(share(RSIP_DEF_ICMP_ID, base), learned);
	s->icmp_id = min_u64(s->icmp_id, (uint64_t)l->n_public * ICMP_IDS_PER_NB);
	s->out_spi = min_u64(share(RSIP_DEF_OUT_SPI, base), learned);
	/* A hash map needs at least one entry, even one nothing can fill. */
	if (!s->ports)
		s->ports = 1;
	return 0;
}

uint64_t map_sizes_bind_stats_bytes(const struct map_sizes *s, unsigned int ncpus)
{
	return (uint64_t)s->bind_stats * sizeof(struct rsip_bind_stats) * ncpus;
}

void map_sizes_bind_stats_line(const struct map_sizes *s, uint32_t stat_slots, int ncpus, char *buf,
			       size_t len)
{
	if (ncpus <= 0) {
		snprintf(buf, len, "%s: %u slots (--stat-slots %u), possible CPUs unknown: %s",
			 RSIP_MAP_BIND_STATS, s->bind_stats, stat_slots, strerror(-ncpus));
		return;
	}
	snprintf(buf, len,
		 "%s: %u slots (--stat-slots %u%s) x %zu bytes x %d possible CPUs = %llu bytes",
		 RSIP_MAP_BIND_STATS, s->bind_stats, stat_slots,
		 stat_slots ? " per host" : ": no per-binding counters",
		 sizeof(struct rsip_bind_stats), ncpus,
		 (unsigned long long)map_sizes_bind_stats_bytes(s, (unsigned int)ncpus));
}

uint32_t map_sizes_of(const struct map_sizes *s, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} by_name[] = {
	    {RSIP_MAP_CLIENTS, offsetof(struct map_sizes, clients)},
	    {RSIP_MAP_PORT_DIR, offsetof(struct map_sizes, port_dir)},
	    {RSIP_MAP_PORTS, offsetof(struct map_sizes, ports)},
	    {RSIP_MAP_IKE, offsetof(struct map_sizes, ike)},
	    {RSIP_MAP_SPI, offsetof(struct map_sizes, spi)},
	    {RSIP_MAP_SPI_DIR, offsetof(struct map_sizes, spi_dir)},
	    {RSIP_MAP_ICMP_ID, offsetof(struct map_sizes, icmp_id)},
	    {RSIP_MAP_OUT_SPI, offsetof(struct map_sizes, out_spi)},
	    {RSIP_MAP_BIND_STATS, offsetof(struct map_sizes, bind_stats)},
	};

	for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++)
		if (!strcmp(by_name[i].name, name))
			return *(const uint32_t *)((const char *)s + by_name[i].off);
	return 0;
}

int map_sizes_for_config(const struct rsipd_config *cfg, struct map_sizes *s, char *why, size_t len)
{
	struct map_limits l = {
	    .map_size = cfg->map_size,
	    .max_clients = cfg->max_clients,
	    .public_addrs = cfg->public_addrs,
	    .n_public = (uint32_t)cfg->n_public,
	    .port_range = (uint32_t)cfg->port_hi - cfg->port_lo + 1,
	    .learned_cap = RSIP_DEF_COOKIE_CAP,
	    .stat_slots = cfg->stat_slots,
	};

	return map_sizes_compute(&l, s, why, len);
}
