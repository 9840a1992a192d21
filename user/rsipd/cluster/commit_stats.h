/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the pipelined commits did (cluster_commit.c), for rsipctl status and
 * bench/cluster_bench.sh: how many hosts the committed transactions carried,
 * how long each took from sent to settled (a histogram in powers of two of
 * a millisecond), and how often an iteration's changes waited because the
 * pipeline was full or one of its hosts was still in flight. Those figures
 * tell what bounds the rate: a commit's latency, transactions too small to
 * fill it, or the order rule.
 */
#ifndef RSIPD_CLUSTER_COMMIT_STATS_H
#define RSIPD_CLUSTER_COMMIT_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Upper bounds 1, 2, 4, ... 512 ms, then everything longer. */
#define CS_LAT_BUCKETS 11

struct cs_commit_stats {
	uint64_t hosts;	 /* summed over committed transactions */
	uint64_t lat_us; /* their latencies summed */
	uint64_t hist[CS_LAT_BUCKETS];
	uint64_t waits_full; /* changes held: as many transactions in flight as allowed */
	uint64_t waits_host; /* changes held: one of their hosts was in flight */
};

struct json_object;

void cs_commit_stats_add(struct cs_commit_stats *st, size_t hosts, uint64_t latency_us);
/* {"hosts":N,"latency_us":N,"latency_ms":{"1":N,"2":N,...,"512":N,"more":N},
 *  "waits_full":N,"waits_host":N}; NULL without memory. */
struct json_object *cs_commit_stats_json(const struct cs_commit_stats *st);

#endif
