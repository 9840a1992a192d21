// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "frag.h"
#include "pkt.h"

#define IP_MIN_MTU	68
#define IPOPT_COPIED(t) ((t)&0x80)

/* The options of later fragments: those with the copied flag, padded. */
static size_t copied_options(const uint8_t *opt, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0, l;

	while (i < n) {
		if (opt[i] == 0) /* end of list */
			break;
		if (opt[i] == 1) { /* NOP */
			i++;
			continue;
		}
		if (i + 1 >= n || opt[i + 1] < 2 || i + opt[i + 1] > n)
			break; /* malformed: copy nothing more */
		l = opt[i + 1];
		if (IPOPT_COPIED(opt[i])) {
			memcpy(out + o, opt + i, l);
			o += l;
		}
		i += l;
	}
	while (o & 3)
		out[o++] = 0;
	return o;
}

int slow_fragment(const uint8_t *pkt, size_t len, size_t mtu, slow_frag_emit emit, void *arg)
{
	uint8_t frag[PKT_IP_MAX_LEN], later_hdr[60];
	size_t later_hlen, off, hlen, chunk, room;
	struct pkt_ip ip;
	int n = 0, rc;

	if (pkt_parse_ipv4(pkt, len, false, &ip) < 0 || mtu < IP_MIN_MTU)
		return -EINVAL;
	if (ip.tot_len <= mtu) {
		rc = emit(arg, pkt, ip.tot_len);
		return rc < 0 ? rc : 1;
	}
	if (ip.df)
		return -EMSGSIZE;
	memcpy(later_hdr, ip.hdr, PKT_IP_MIN);
	later_hlen = PKT_IP_MIN + copied_options(ip.hdr + PKT_IP_MIN, ip.hlen - PKT_IP_MIN,
						 later_hdr + PKT_IP_MIN);
	later_hdr[0] = (uint8_t)(0x40 | later_hlen / 4);
	for (off = 0; off < ip.l4_len; off += chunk) {
		const uint8_t *hdr = off ? later_hdr : ip.hdr;
		uint16_t v, fo;
		int last;

		hlen = off ? later_hlen : ip.hlen;
		room = (mtu - hlen) & ~(size_t)7;
		chunk = ip.l4_len - off;
		last = chunk <= room;
		if (!last)
			chunk = room;
		memcpy(frag, hdr, hlen);
		memcpy(frag + hlen, ip.l4 + off, chunk);
		v = htons((uint16_t)(hlen + chunk));
		memcpy(frag + 2, &v, 2);
		fo = (uint16_t)((ip.frag_off + off) / 8);
		if (!last || ip.mf)
			fo |= 0x2000;
		v = htons(fo);
		memcpy(frag + 6, &v, 2);
		pkt_ip_set_csum(frag, hlen);
		rc = emit(arg, frag, hlen + chunk);
		if (rc < 0)
			return rc;
		n++;
	}
	return n;
}
