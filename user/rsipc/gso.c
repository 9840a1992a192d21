// SPDX-License-Identifier: BSD-2-Clause
/* rsipc: TCP and UDP/IPv4 segmentation in userspace (gso.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "be.h"
#include "encap.h"
#include "gso.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

/* The cut both protocols share: headers copied into every segment, payload
 * split at gso_size; then what differs per segment (IP length and ID, TCP
 * sequence and flags, UDP length) and both checksums. */
static int segment4(const uint8_t *pkt, size_t len, uint8_t proto, uint16_t gso_size, uint8_t *out,
		    size_t outcap, size_t *lens, unsigned int max_segs, bool partial)
{
	size_t min_l4h = proto == IPPROTO_TCP ? 20 : 8;
	size_t ihl, l4h, hdr, tot, payload, done = 0, used = 0;
	uint32_t seq;
	uint16_t id;
	unsigned int n = 0;

	if (len < 20 || (pkt[0] >> 4) != 4 || pkt[9] != proto || !gso_size)
		return -EINVAL;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	tot = (size_t)pkt[2] << 8 | pkt[3];
	/* A fragment cannot be cut by payload offset. */
	if (ihl < 20 || tot > len || tot < ihl + min_l4h || ((pkt[6] << 8 | pkt[7]) & 0x3fff))
		return -EINVAL;
	l4h = proto == IPPROTO_TCP ? (size_t)(pkt[ihl + 12] >> 4) * 4 : 8;
	hdr = ihl + l4h;
	if (l4h < min_l4h || hdr > tot)
		return -EINVAL;
	payload = tot - hdr;
	seq = proto == IPPROTO_TCP ? be32_get(pkt + ihl + 4) : 0;
	id = (uint16_t)(pkt[4] << 8 | pkt[5]);
	do {
		size_t chunk = payload - done < gso_size ? payload - done : gso_size;
		bool last = done + chunk >= payload;
		uint8_t *s = out + used;
		struct encap_csum c = {(uint16_t)ihl, proto == IPPROTO_TCP ? 16 : 6};

		if (n >= max_segs || used + hdr + chunk > outcap)
			return -ENOSPC;
		memcpy(s, pkt, hdr);
		memcpy(s + hdr, pkt + hdr + done, chunk);
		be16_put(s + 2, (uint16_t)(hdr + chunk));
		be16_put(s + 4, (uint16_t)(id + n));
		encap_ip_csum_set(s);
		if (proto == IPPROTO_TCP) {
			be32_put(s + ihl + 4, seq + (uint32_t)done);
			if (!last)
				s[ihl + 13] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
			if (n)
				s[ihl + 13] &= (uint8_t)~TCP_CWR;
		} else {
			be16_put(s + ihl + 4, (uint16_t)(l4h + chunk));
		}
		be16_put(s + ihl + c.offset, encap_pseudo_sum(s, l4h + chunk));
		if (!partial)
			encap_csum_complete(s, hdr + chunk, &c);
		lens[n++] = hdr + chunk;
		used += hdr + chunk;
		done += chunk;
	} while (done < payload);
	return (int)n;
}

int gso_tcp4_segment(const uint8_t *pkt, size_t len, uint16_t gso_size, uint8_t *out, size_t outcap,
		     size_t *lens, unsigned int max_segs)
{
	return segment4(pkt, len, IPPROTO_TCP, gso_size, out, outcap, lens, max_segs, false);
}

int gso_udp4_segment(const uint8_t *pkt, size_t len, uint16_t gso_size, uint8_t *out, size_t outcap,
		     size_t *lens, unsigned int max_segs)
{
	return segment4(pkt, len, IPPROTO_UDP, gso_size, out, outcap, lens, max_segs, false);
}

int gso_tcp4_segment_partial(const uint8_t *pkt, size_t len, uint16_t gso_size, uint8_t *out,
			     size_t outcap, size_t *lens, unsigned int max_segs)
{
	return segment4(pkt, len, IPPROTO_TCP, gso_size, out, outcap, lens, max_segs, true);
}

int gso_udp4_segment_partial(const uint8_t *pkt, size_t len, uint16_t gso_size, uint8_t *out,
			     size_t outcap, size_t *lens, unsigned int max_segs)
{
	return segment4(pkt, len, IPPROTO_UDP, gso_size, out, outcap, lens, max_segs, true);
}
