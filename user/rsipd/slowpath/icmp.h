/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ICMP messages the slow path originates: "fragmentation needed and DF set"
 * (type 3 code 4, RFC 1191) when a packet with DF cannot go on, because it
 * would not fit the LAN after encapsulation (to the public peer) or does not
 * fit the WAN (to the client, through its tunnel).
 */
#ifndef RSIPD_SLOW_ICMP_H
#define RSIPD_SLOW_ICMP_H

#include <stddef.h>
#include <stdint.h>

/* Quote at most this much of the offending packet, so the whole message
 * stays within 576 bytes (RFC 1812 4.3.2.3). */
#define SLOW_ICMP_MAX_LEN 576

/*
 * Write into buf (cap bytes, >= SLOW_ICMP_MAX_LEN) a whole IPv4 packet:
 * src -> dst (network order), ICMP type 3 code 4 with next-hop MTU mtu,
 * quoting the offending packet orig (its IP header and as much payload as
 * fits). Returns the length, or -EINVAL when orig is not an IPv4 packet.
 */
int slow_icmp_frag_needed(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst, uint16_t mtu,
			  const uint8_t *orig, size_t orig_len);

#endif
