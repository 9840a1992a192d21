// SPDX-License-Identifier: BSD-2-Clause
/* Figures of the pipelined commits (commit_stats.h). */
#include <json-c/json.h>
#include <stdio.h>

#include "commit_stats.h"

void cs_commit_stats_add(struct cs_commit_stats *st, size_t hosts, uint64_t latency_us)
{
	size_t b = 0;

	/* bucket b holds latencies up to 2^b ms */
	while (b < CS_LAT_BUCKETS - 1 && latency_us > (1000ull << b))
		b++;
	st->hist[b]++;
	st->hosts += hosts;
	st->lat_us += latency_us;
}

struct json_object *cs_commit_stats_json(const struct cs_commit_stats *st)
{
	struct json_object *o = json_object_new_object(), *h = json_object_new_object();
	char name[16];

	if (!o || !h) {
		json_object_put(o);
		json_object_put(h);
		return NULL;
	}
	for (size_t b = 0; b < CS_LAT_BUCKETS; b++) {
		if (b == CS_LAT_BUCKETS - 1)
			snprintf(name, sizeof(name), "more");
		else
			snprintf(name, sizeof(name), "%llu", 1ull << b);
		json_object_object_add(h, name, json_object_new_int64((int64_t)st->hist[b]));
	}
	json_object_object_add(o, "hosts", json_object_new_int64((int64_t)st->hosts));
	json_object_object_add(o, "latency_us", json_object_new_int64((int64_t)st->lat_us));
	json_object_object_add(o, "latency_ms", h);
	json_object_object_add(o, "waits_full", json_object_new_int64((int64_t)st->waits_full));
	json_object_object_add(o, "waits_host", json_object_new_int64((int64_t)st->waits_host));
	return o;
}
