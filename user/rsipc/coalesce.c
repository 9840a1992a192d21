// SPDX-License-Identifier: BSD-2-Clause
/* rsipc pump, inbound: TCP segments merged for one TUN write (coalesce.h). */
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "be.h"
#include "coalesce.h"
#include "encap.h"

#define IP_HLEN	 20 /* no IP options: a segment with them goes alone */
#define IP_DF	 0x4000
#define TCP_FIN	 0x01
#define TCP_SYN	 0x02
#define TCP_RST	 0x04
#define TCP_PSH	 0x08
#define TCP_ACK	 0x10
#define TCP_CSUM 16 /* the checksum's offset in the TCP header */

/* A TCP/IPv4 segment that may merge: no IP options, DF and no fragment,
 * ACK and at most PSH besides (no SYN, FIN, RST, URG, ECE, CWR: GRO ends a
 * run at each), a payload, and a checksum verified here (the merged
 * packet's is left partial, so the host's kernel will not check it).
 * Returns the header length (IPv4 + TCP), 0 when it cannot merge. */
static size_t mergeable(const uint8_t *pkt, size_t len)
{
	size_t thl;

	if (len < IP_HLEN + 20 || pkt[0] != 0x45 || pkt[9] != IPPROTO_TCP ||
	    be16_get(pkt + 2) != len || be16_get(pkt + 6) != IP_DF)
		return 0;
	thl = (size_t)(pkt[IP_HLEN + 12] >> 4) * 4;
	if (thl < 20 || IP_HLEN + thl >= len || IP_HLEN + thl > COALESCE_HDR_MAX)
		return 0;
	if ((pkt[IP_HLEN + 13] & (uint8_t)~TCP_PSH) != TCP_ACK)
		return 0;
	/* A packet GRO merged on the way holds the pseudo-header sum (it goes
	 * alone, with NEEDS_CSUM): known without summing its 64 KiB (with GRO
	 * on, nearly every packet: the sum cost 0.93 of the rate before). */
	if (be16_get(pkt + IP_HLEN + TCP_CSUM) == encap_pseudo_sum(pkt, len - IP_HLEN) ||
	    !encap_l4_csum_valid(pkt, len))
		return 0;
	return IP_HLEN + thl;
}

/* Whether a segment with headers h (hlen bytes) continues the run: the
 * fields GRO compares. Version to TOS, DF, TTL and protocol, addresses;
 * ports; ACK number; header length, flags but PSH, window; options. */
static bool same_flow(const struct coalesce *c, const uint8_t *h, size_t hlen)
{
	const uint8_t *f = c->hdr, *ft = f + IP_HLEN, *t = h + IP_HLEN;

	return hlen == c->hlen && !memcmp(f, h, 2) && !memcmp(f + 6, h + 6, 4) &&
	       !memcmp(f + 12, h + 12, 8) && !memcmp(ft, t, 4) && !memcmp(ft + 8, t + 8, 5) &&
	       (ft[13] & (uint8_t)~TCP_PSH) == (t[13] & (uint8_t)~TCP_PSH) &&
	       !memcmp(ft + 14, t + 14, 2) && !memcmp(ft + 20, t + 20, hlen - IP_HLEN - 20);
}

enum coalesce_verdict coalesce_add(struct coalesce *c, const uint8_t *pkt, size_t len)
{
	size_t hlen = mergeable(pkt, len), payload;
	uint32_t seq;

	if (!hlen)
		return COALESCE_NOT;
	payload = len - hlen;
	seq = be32_get(pkt + IP_HLEN + 4);
	if (!c->n) {
		if (payload > UINT16_MAX)
			return COALESCE_NOT;
		memcpy(c->hdr, pkt, hlen);
		c->hlen = hlen;
		c->tot = len;
		c->gso_size = (uint16_t)payload;
		c->first = pkt;
		c->first_len = len;
		c->psh = pkt[IP_HLEN + 13] & TCP_PSH;
		c->closed = c->psh;
	} else {
		if (c->closed || c->n == COALESCE_MAX_SEGS || seq != c->next_seq ||
		    payload > c->gso_size || c->tot + payload > COALESCE_MAX_LEN ||
		    !same_flow(c, pkt, hlen))
			return COALESCE_FULL;
		c->tot += payload;
		c->psh = pkt[IP_HLEN + 13] & TCP_PSH;
		/* A short segment or PSH ends what the sender sent in one go. */
		c->closed = c->psh || payload < c->gso_size;
	}
	c->iov[1 + c->n] = (struct iovec){(void *)(pkt + hlen), payload};
	c->n++;
	c->next_seq = seq + (uint32_t)payload;
	return COALESCE_TAKEN;
}

int coalesce_finish(struct coalesce *c, struct virtio_net_hdr *vh, struct iovec **iov)
{
	unsigned int n = c->n;
	uint8_t *h = c->hdr;

	memset(vh, 0, sizeof(*vh));
	c->n = 0;
	if (!n)
		return 0;
	*iov = c->iov;
	if (n == 1) {
		c->iov[0] = (struct iovec){(void *)c->first, c->first_len};
		return 1;
	}
	be16_put(h + 2, (uint16_t)c->tot);
	encap_ip_csum_set(h);
	if (c->psh)
		h[IP_HLEN + 13] |= TCP_PSH;
	/* CHECKSUM_PARTIAL, as GRO leaves it: the field holds the
	 * pseudo-header sum, csum_start/offset say where. */
	be16_put(h + IP_HLEN + TCP_CSUM, encap_pseudo_sum(h, c->tot - IP_HLEN));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh->hdr_len = (uint16_t)c->hlen;
	vh->gso_size = c->gso_size;
	vh->csum_start = IP_HLEN;
	vh->csum_offset = TCP_CSUM;
	c->iov[0] = (struct iovec){h, c->hlen};
	return (int)n + 1;
}
