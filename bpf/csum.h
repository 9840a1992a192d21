/* SPDX-License-Identifier: GPL-2.0 */
/* Internet checksum helpers (RFC 1071, RFC 1624) for IPv4 headers and the
 * TCP/UDP checksum a GRO-ing hop left partial. */
#ifndef RSIP_BPF_CSUM_H
#define RSIP_BPF_CSUM_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>

static __always_inline __u16 csum_fold(__u32 csum)
{
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	return (__u16)~csum;
}

/* Checksum of a 20-byte IPv4 header whose check field is zero. Ten 16-bit
 * loads: cheaper than a bpf_csum_diff() call for a header this small. */
static __always_inline __u16 ipv4_hdr_csum(const struct iphdr *iph)
{
	const __u16 *w = (const __u16 *)iph;
	__u32 csum = 0;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*iph) >> 1); i++)
		csum += w[i];
	return csum_fold(csum);
}

/* TTL - 1 with the incremental checksum update of RFC 1624 (the TTL is the
 * high byte of its 16-bit word). The caller checked ttl > 1. */
static __always_inline void ipv4_ttl_dec(struct iphdr *iph)
{
	__u32 check = iph->check;

	check += bpf_htons(0x0100);
	iph->check = (__u16)(check + (check >= 0xffff));
	iph->ttl--;
}

#define L4_CSUM_MAX_WORDS 2048 /* 4 KB: more than a linear XDP frame on veth holds */

/* An inner TCP or UDP packet (IPv4 header at iph, verified up to its L4
 * header by the caller's rules) whose checksum field holds only the sum of
 * its pseudo-header gets the complete checksum. That is what a veth hands
 * XDP when a hop before it merged segments with GRO and re-segmented them
 * (CHECKSUM_PARTIAL, the rest "to be done by the device"): the skb's note
 * does not survive XDP_REDIRECT, and the receiver would drop the packet.
 * A complete checksum that happens to equal the pseudo-header sum stays the
 * same (completing it gives it back). Returns 1 when completed, 0 when the
 * checksum was not partial (or not there: fragments, UDP without one), -1
 * when the packet is shorter than its headers say. */
static __always_inline int l4_csum_complete(struct iphdr *iph, void *data_end)
{
	__u32 ihl = (__u32)(iph->ihl & 0xf) * 4, len, sum, off, i;
	__u16 *field, *w;
	void *l4;

	if (iph->frag_off & bpf_htons(0x3fff)) /* MF or an offset */
		return 0;
	if (iph->protocol == IPPROTO_TCP)
		off = 16;
	else if (iph->protocol == IPPROTO_UDP)
		off = 6;
	else
		return 0;
	len = bpf_ntohs(iph->tot_len);
	if (ihl < sizeof(*iph) || len < ihl + off + 2)
		return 0;
	len -= ihl;
	l4 = (void *)iph + ihl;
	field = l4 + off;
	if ((void *)(field + 1) > data_end)
		return -1;
	if (!*field) /* UDP: no checksum */
		return 0;
	sum = (iph->saddr >> 16) + (iph->saddr & 0xffff) + (iph->daddr >> 16) +
	      (iph->daddr & 0xffff) + bpf_htons((__u16)iph->protocol) + bpf_htons((__u16)len);
	if (*field != (__u16)~csum_fold(sum))
		return 0;
	sum = 0;
	w = l4;
	for (i = 0; i < L4_CSUM_MAX_WORDS; i++) {
		if (2 * i + 2 > len)
			break;
		if ((void *)(w + 1) > data_end)
			return -1;
		sum += *w;
		w++;
	}
	if (i == L4_CSUM_MAX_WORDS)
		return 0; /* longer than any frame here: leave it */
	if (len & 1) {
		if ((void *)w + 1 > data_end)
			return -1;
		sum += *(__u8 *)w; /* the last byte, padded with a zero */
	}
	*field = csum_fold(sum);
	if (!*field && off == 6)
		*field = 0xffff; /* RFC 768: a computed 0 is sent as all ones */
	return 1;
}

#endif
