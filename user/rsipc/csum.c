/* SPDX-License-Identifier: BSD-2-Clause */
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>

#include "csum.h"

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int csum_refresh_l4(uint8_t *pkt, size_t len)
{
	size_t ihl, l4len, off;
	uint32_t sum;
	uint16_t c;
	uint8_t proto;

	if (len < 20 || pkt[0] >> 4 != 4)
		return -1;
	ihl = (size_t)(pkt[0] & 0xf) * 4;
	if (ihl < 20 || len < ihl || ((size_t)pkt[2] << 8 | pkt[3]) != len)
		return -1;
	if ((pkt[6] & 0x3f) || pkt[7]) /* MF or a fragment offset */
		return -1;
	proto = pkt[9];
	l4len = len - ihl;
	if (proto == IPPROTO_TCP && l4len >= 20)
		off = ihl + 16;
	else if (proto == IPPROTO_UDP && l4len >= 8)
		off = ihl + 6;
	else
		return -1;
	if (proto == IPPROTO_UDP && !pkt[off] && !pkt[off + 1])
		return 0; /* no checksum */
	pkt[off] = pkt[off + 1] = 0;
	sum = sum16(pkt + 12, 8, 0); /* pseudo header: addresses, protocol, length */
	sum += proto;
	sum += (uint32_t)l4len;
	sum = sum16(pkt + ihl, l4len, sum);
	c = fold(sum);
	if (proto == IPPROTO_UDP && !c)
		c = 0xffff;
	pkt[off] = (uint8_t)(c >> 8);
	pkt[off + 1] = (uint8_t)c;
	return 0;
}
