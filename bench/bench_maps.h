/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Map memory, as the kernel accounts it, for the benchmarks' "bytes per
 * binding" (issue 11: at most 256): the fdinfo `memlock` of every hash map
 * of an object (on kernels >= 6.4 the actual usage of an unpreallocated map,
 * bucket arrays included; what preallocation reserves up front otherwise).
 */
#ifndef RSIP_BENCH_MAPS_H
#define RSIP_BENCH_MAPS_H

#include <stdio.h>

#include <bpf/libbpf.h>

static inline unsigned long long bench_hash_map_bytes(const struct bpf_object *obj)
{
	unsigned long long total = 0;
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
	{
		char path[64], line[256];
		unsigned long long v;
		FILE *f;

		if (bpf_map__type(m) != BPF_MAP_TYPE_HASH)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", bpf_map__fd(m));
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "memlock: %llu", &v) == 1)
				total += v;
		fclose(f);
	}
	return total;
}

#endif
