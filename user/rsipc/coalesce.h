/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rsipc pump, inbound: consecutive TCP/IPv4 segments of one flow, as they
 * come out of the tunnel in one batch, merged into one packet that goes to
 * the TUN in one write with a virtio_net_hdr saying TSO (what the kernel's
 * GRO does for a NIC). A TUN write runs the host's whole receive path for
 * the packet it carries: one per 1.5 KB segment was the pump's inbound cost
 * when nothing merged the segments on the way (GRO off at the hops before
 * the host). The host's TCP takes the merged packet as it takes a GRO-merged
 * one (CHECKSUM_PARTIAL: the checksums were verified here, segment by
 * segment, before merging).
 *
 * The rules are GRO's for TCP (net/ipv4/tcp_offload.c): same addresses,
 * ports, TOS, TTL, DF, ACK number, window and TCP options; the next
 * sequence number; only ACK (and PSH on the last) among the flags; payloads
 * of the first's length, the last one shorter or equal. Anything else is
 * written alone, in its place in the batch.
 */
#ifndef RSIPC_COALESCE_H
#define RSIPC_COALESCE_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define COALESCE_MAX_SEGS 64
#define COALESCE_MAX_LEN  65535 /* the IPv4 total length field */
#define COALESCE_HDR_MAX  120	/* IPv4 without options + TCP with 40 bytes of them */

struct coalesce {
	unsigned int n;	   /* segments in the run; 0: none */
	size_t tot;	   /* the merged packet's IPv4 total length so far */
	size_t hlen;	   /* IPv4 + TCP header bytes */
	uint16_t gso_size; /* payload bytes of the first segment */
	uint32_t next_seq;
	bool closed; /* the last segment was short or carried PSH */
	bool psh;
	const uint8_t *first; /* the first segment, whole: a run of one goes as it came */
	size_t first_len;
	uint8_t hdr[COALESCE_HDR_MAX]; /* the first segment's headers, edited by finish */
	struct iovec iov[1 + COALESCE_MAX_SEGS];
};

enum coalesce_verdict {
	COALESCE_TAKEN, /* it started the run or joined it */
	COALESCE_FULL,	/* it cannot join this run: finish the run, then add it again */
	COALESCE_NOT,	/* not a segment that merges: finish the run, write it alone */
};

/* Offer the inner IPv4 packet pkt (len bytes, its total length). A taken
 * packet's bytes are referenced, not copied: they must stay until
 * coalesce_finish. */
enum coalesce_verdict coalesce_add(struct coalesce *c, const uint8_t *pkt, size_t len);

/* The run as one packet: *vh for the TUN write, *iov the pieces (headers,
 * then each payload), their count returned; 0 when no run was open. A run
 * of one segment is that segment unchanged, with no offload in *vh. The run
 * is closed after this; the pieces stay valid until the next add. */
int coalesce_finish(struct coalesce *c, struct virtio_net_hdr *vh, struct iovec **iov);

#endif
