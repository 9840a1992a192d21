// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "pkt.h"

uint16_t pkt_csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	while (len > 1) {
		sum += pkt_get16(b);
		b += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	/* Network order, ready to memcpy into a header. */
	return htons((uint16_t)~sum);
}

void pkt_ip_set_csum(uint8_t *hdr, size_t hlen)
{
	uint16_t c;

	hdr[10] = hdr[11] = 0;
	c = pkt_csum(hdr, hlen);
	memcpy(hdr + 10, &c, 2);
}

int pkt_parse_ipv4(const uint8_t *p, size_t len, bool check_csum, struct pkt_ip *ip)
{
	size_t hlen, tot;
	uint16_t frag;

	if (len < PKT_IP_MIN || (p[0] >> 4) != 4)
		return -EINVAL;
	hlen = (size_t)(p[0] & 0x0f) * 4;
	tot = pkt_get16(p + 2);
	if (hlen < PKT_IP_MIN || hlen > len || tot < hlen || tot > len)
		return -EINVAL;
	if (check_csum && pkt_csum(p, hlen) != 0)
		return -EINVAL;
	frag = pkt_get16(p + 6);
	memset(ip, 0, sizeof(*ip));
	ip->hdr = p;
	ip->hlen = hlen;
	ip->tot_len = tot;
	ip->ttl = p[8];
	ip->proto = p[9];
	memcpy(&ip->src, p + 12, 4);
	memcpy(&ip->dst, p + 16, 4);
	ip->id = pkt_get16(p + 4);
	ip->df = frag & 0x4000;
	ip->mf = frag & 0x2000;
	ip->frag_off = (uint16_t)((frag & 0x1fff) * 8);
	ip->l4 = p + hlen;
	ip->l4_len = tot - hlen;
	return 0;
}

int pkt_eth_ipv4(const uint8_t *frame, size_t len, const uint8_t **ip, size_t *ip_len)
{
	if (len < PKT_ETH_HLEN + PKT_IP_MIN)
		return -EINVAL;
	if (frame[12] != 0x08 || frame[13] != 0x00)
		return -EINVAL;
	*ip = frame + PKT_ETH_HLEN;
	*ip_len = len - PKT_ETH_HLEN;
	return 0;
}
