// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "icmp.h"
#include "pkt.h"

#define ICMP_HLEN 8

int slow_icmp_frag_needed(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst, uint16_t mtu,
			  const uint8_t *orig, size_t orig_len)
{
	struct pkt_ip ip;
	size_t quote, len;
	uint16_t v;

	if (cap < SLOW_ICMP_MAX_LEN || pkt_parse_ipv4(orig, orig_len, false, &ip) < 0)
		return -EINVAL;
	quote = ip.tot_len;
	if (quote > SLOW_ICMP_MAX_LEN - PKT_IP_MIN - ICMP_HLEN)
		quote = SLOW_ICMP_MAX_LEN - PKT_IP_MIN - ICMP_HLEN;
	len = PKT_IP_MIN + ICMP_HLEN + quote;

	memset(buf, 0, PKT_IP_MIN + ICMP_HLEN);
	buf[0] = 0x45;
	buf[1] = 0xc0; /* precedence "internetwork control", as routers send errors */
	v = htons((uint16_t)len);
	memcpy(buf + 2, &v, 2);
	buf[8] = 64;
	buf[9] = IPPROTO_ICMP;
	memcpy(buf + 12, &src, 4);
	memcpy(buf + 16, &dst, 4);
	pkt_ip_set_csum(buf, PKT_IP_MIN);

	buf[PKT_IP_MIN] = 3;	 /* destination unreachable */
	buf[PKT_IP_MIN + 1] = 4; /* fragmentation needed and DF set */
	v = htons(mtu);
	memcpy(buf + PKT_IP_MIN + 6, &v, 2);
	memcpy(buf + PKT_IP_MIN + ICMP_HLEN, orig, quote);
	v = pkt_csum(buf + PKT_IP_MIN, ICMP_HLEN + quote);
	memcpy(buf + PKT_IP_MIN + 2, &v, 2);
	return (int)len;
}
