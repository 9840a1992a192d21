// SPDX-License-Identifier: BSD-2-Clause
/* rsipc: cutting a TCP/IPv4 super-packet the TUN handed over with TSO into
 * segments of gso_size payload bytes, each a whole checksummed packet (the
 * raw socket that carries them into the tunnel has no offload of its own). */
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

#endif
