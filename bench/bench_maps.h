/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Map memory, as the kernel accounts it, for the benchmarks' "bytes per
 * binding" (issue 11: at most 256): the fdinfo `memlock` of every hash map
 * of an object (on kernels >= 6.4 the actual usage of an unpreallocated map,
 * bucket arrays included; what preallocation reserves up front otherwise),
 * and of the SPI and port directories and the per-binding counters (arrays:
 * all of them, used or not; the counters once per possible CPU).
 */
#ifndef RSIP_BENCH_MAPS_H
#define RSIP_BENCH_MAPS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

/* Before load: creates every hash map of obj preallocated (the project's
 * objects ask for BPF_F_NO_PREALLOC), to measure that choice
 * (docs/performance.md). 0 or a negative error. */
static inline int bench_hash_maps_prealloc(struct bpf_object *obj)
{
	struct bpf_map *m;
	int err = 0;

	bpf_object__for_each_map(m, obj)
	{
		if (!err && bpf_map__type(m) == BPF_MAP_TYPE_HASH)
			err = bpf_map__set_map_flags(m, bpf_map__map_flags(m) & ~BPF_F_NO_PREALLOC);
	}
	return err;
}

/* The sum, and each map's share on stdout when `each` (what to shrink
 * first). */
static inline unsigned long long bench_map_bytes(const struct bpf_object *obj, bool each)
{
	unsigned long long total = 0;
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
	{
		char path[64], line[256];
		unsigned long long v;
		FILE *f;

		if (bpf_map__type(m) != BPF_MAP_TYPE_HASH &&
		    strcmp(bpf_map__name(m), "rsip_spi_dir") != 0 &&
		    strcmp(bpf_map__name(m), "rsip_port_dir") != 0 &&
		    strcmp(bpf_map__name(m), "rsip_bind_stats") != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", bpf_map__fd(m));
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "memlock: %llu", &v) == 1) {
				total += v;
				if (each)
					printf("xdp_gw: map %s: %llu bytes (max_entries %u)\n",
					       bpf_map__name(m), v, bpf_map__max_entries(m));
			}
		fclose(f);
	}
	return total;
}

static inline unsigned long long bench_hash_map_bytes(const struct bpf_object *obj)
{
	return bench_map_bytes(obj, false);
}

#endif
