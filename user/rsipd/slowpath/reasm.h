/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPv4 fragment reassembly for the slow path (RFC 791, RFC 815 hole
 * bookkeeping simplified to a sorted list). Only the first fragment carries
 * the ports, SPI or cookie that say which client a datagram belongs to
 * (RFC 3102 section 3.1), so the XDP programs hand every fragment to rsipd,
 * which reassembles here and then demultiplexes the whole datagram.
 *
 * Policy (docs/dataplane.md):
 *   - key (src, dst, id, proto); a datagram not complete timeout_ms after its
 *     first fragment arrived is dropped (default 30 s);
 *   - an exact duplicate (same offset, length and bytes) is ignored; any
 *     other overlap drops the whole datagram (RFC 5722's rule, which Linux
 *     applies to IPv4 too): overlaps are how filters are evaded;
 *   - caps: bytes held over all datagrams, datagrams in progress, fragments
 *     per datagram; past a cap the oldest datagram is evicted;
 *   - every outcome is counted in struct reasm_stats.
 * Pure logic with an injectable clock: unit tests drive time.
 */
#ifndef RSIPD_SLOW_REASM_H
#define RSIPD_SLOW_REASM_H

#include <stddef.h>
#include <stdint.h>

#define REASM_DEF_TIMEOUT_MS 30000
#define REASM_DEF_MAX_BYTES  (4u << 20)
#define REASM_DEF_MAX_QUEUES 1024
#define REASM_DEF_MAX_FRAGS  64

struct reasm;

struct reasm_cfg {
	uint32_t timeout_ms; /* 0: REASM_DEF_TIMEOUT_MS */
	size_t max_bytes;    /* payload bytes held; 0: REASM_DEF_MAX_BYTES */
	uint32_t max_queues; /* datagrams in progress; 0: REASM_DEF_MAX_QUEUES */
	uint32_t max_frags;  /* fragments per datagram; 0: REASM_DEF_MAX_FRAGS */
	/* CLOCK_MONOTONIC ms; NULL: the real clock. */
	uint64_t (*now_ms)(void *arg);
	void *clock_arg;
};

struct reasm_stats {
	uint64_t fragments;   /* fragments offered */
	uint64_t reassembled; /* datagrams completed */
	uint64_t duplicates;  /* exact duplicates ignored */
	uint64_t overlaps;    /* datagrams dropped for overlapping fragments */
	uint64_t timeouts;    /* datagrams dropped incomplete after the timeout */
	uint64_t evicted;     /* datagrams dropped to stay within the caps */
	uint64_t malformed;   /* fragments with bad lengths or flags */
	uint64_t too_big;     /* datagrams that would exceed 65535 bytes */
	uint64_t too_many;    /* datagrams with more than max_frags fragments */
	uint64_t bytes_held;  /* now */
	uint32_t queues;      /* now */
};

struct reasm *reasm_new(const struct reasm_cfg *cfg);
void reasm_free(struct reasm *r);

/*
 * Offer one fragment: an IPv4 packet of len bytes with MF set or a non-zero
 * offset (validated here; the header checksum is the caller's business).
 * Returns 1 when it completed a datagram: *out (malloc'd, the caller frees)
 * holds the whole packet (the first fragment's header with its options,
 * offset 0, MF clear, new length and checksum) and *out_len its length.
 * Returns 0 when the fragment is held, or -errno when it was dropped:
 * -EINVAL malformed, -EEXIST an exact duplicate, -EPROTO an overlap (its
 * datagram dropped too), -EMSGSIZE too big, -E2BIG too many fragments,
 * -ENOMEM out of memory or over the byte cap on its own.
 */
int reasm_add(struct reasm *r, const uint8_t *pkt, size_t len, uint8_t **out, size_t *out_len);

/* Drop datagrams older than the timeout (call about once a second). */
void reasm_expire(struct reasm *r);

const struct reasm_stats *reasm_stats(const struct reasm *r);

#endif
