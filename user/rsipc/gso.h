// SPDX-License-Identifier: BSD-2-Clause
/* rsipc: cutting a TCP/IPv4 super-packet the TUN handed over with TSO (or a
 * UDP/IPv4 one, USO: an application's UDP_SEGMENT send) into segments of
 * gso_size payload bytes, each a whole packet with its checksums (the raw
 * socket that carries them into the tunnel has no offload of its own), or
 * with its L4 checksum left partial for a packet socket that has. */
#ifndef RSIPC_GSO_H
#define RSIPC_GSO_H

#include <stddef.h>
#include <stdint.h>

/* Segment pkt (IPv4 + TCP, len bytes, its TCP checksum field holding the
 * pseudo-header sum or anything: it is recomputed) into out, one segment
 * after the other, segment i's length in lens[i]. Each segment carries at
 * most gso_size payload bytes; sequence numbers, IP IDs, lengths and both
 * checksums are its own; FIN and PSH only on the last, CWR only on the first.
 * Returns the number of segments, or -EINVAL (not TCP/IPv4, fragment,
 * malformed, gso_size 0) or -ENOSPC (more than max_segs segments, or more
 * than outcap bytes). */
int gso_tcp4_segment(const uint8_t *pkt, size_t len, uint16_t gso_size, uint8_t *out, size_t outcap,
		     size_t *lens, unsigned int max_segs);

/* The same for UDP/IPv4 (what the kernel's UDP GSO does): every segment the
 * UDP header with its own length and checksum (0 computed is sent as
 * 0xffff), consecutive IP IDs; the last segment may be shorter. Returns as
 * gso_tcp4_segment (-EINVAL also for a packet that is not UDP/IPv4). */
int gso_udp4_segment(const uint8_t *pkt, size_t len, uint16_t gso_size, uint8_t *out, size_t outcap,
		     size_t *lens, unsigned int max_segs);

/* The same, but each segment's TCP or UDP checksum field is left holding the
 * pseudo-header sum (CHECKSUM_PARTIAL: the L4 header at the IPv4 header's
 * length, the field at 16 (TCP) or 6 (UDP) in it), for the kernel or the
 * device to complete: the pump's frames through a packet socket that takes a
 * virtio_net_hdr (pkt_tx.h) skip the user-space sum over every payload byte. */
int gso_tcp4_segment_partial(const uint8_t *pkt, size_t len, uint16_t gso_size, uint8_t *out,
			     size_t outcap, size_t *lens, unsigned int max_segs);
int gso_udp4_segment_partial(const uint8_t *pkt, size_t len, uint16_t gso_size, uint8_t *out,
			     size_t outcap, size_t *lens, unsigned int max_segs);

#endif
