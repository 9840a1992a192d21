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

#define L4_CSUM_MAX   4096 /* more than a linear XDP frame on veth holds */
#define L4_CSUM_CHUNK 512  /* the most bpf_csum_diff sums in one call */

/* Adds to *sum the 32-bit partial sum of the n bytes at p (n a constant
 * multiple of 4, at most L4_CSUM_CHUNK), summed by the kernel's
 * csum_partial through bpf_csum_diff: a call costs about what 20 of the
 * 16-bit loads it replaces do, and a 1.4 KB payload took 700 of them
 * (docs/performance.md, "Completing a checksum"). -1 when the bytes are not
 * in the packet. */
static __always_inline int csum_span(__u64 *sum, void *p, __u32 n, void *data_end)
{
	long r;

	if (p + n > data_end)
		return -1;
	r = bpf_csum_diff(NULL, 0, p, n, 0);
	if (r < 0)
		return -1;
	*sum += (__u32)r;
	return 0;
}

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
	__u32 ihl = (__u32)(iph->ihl & 0xf) * 4, len, off, i;
	__u64 sum = 0;
	__u16 *field;
	void *l4, *p;

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
	if (len > L4_CSUM_MAX)
		return 0; /* longer than any frame here: leave it */
	l4 = (void *)iph + ihl;
	field = l4 + off;
	if ((void *)(field + 1) > data_end)
		return -1;
	if (!*field) /* UDP: no checksum */
		return 0;
	sum = (iph->saddr >> 16) + (iph->saddr & 0xffff) + (iph->daddr >> 16) +
	      (iph->daddr & 0xffff) + bpf_htons((__u16)iph->protocol) + bpf_htons((__u16)len);
	if (*field != (__u16)~csum_fold((__u32)sum))
		return 0;
	/* The L4 bytes, the field (the pseudo-header sum) among them: whole
	 * chunks, then the rest by halves (each span a multiple of 4 bytes
	 * from l4, so every 16-bit word keeps its place), then 2 and 1 bytes
	 * (the last padded with a zero). */
	sum = 0;
	p = l4;
	for (i = 0; i < L4_CSUM_MAX / L4_CSUM_CHUNK && len >= L4_CSUM_CHUNK; i++) {
		if (csum_span(&sum, p, L4_CSUM_CHUNK, data_end))
			return -1;
		p += L4_CSUM_CHUNK;
		len -= L4_CSUM_CHUNK;
	}
#define L4_CSUM_TAIL(n)                                                                            \
	if (len & (n)) {                                                                           \
		if (csum_span(&sum, p, (n), data_end))                                             \
			return -1;                                                                 \
		p += (n);                                                                          \
	}
	L4_CSUM_TAIL(256)
	L4_CSUM_TAIL(128)
	L4_CSUM_TAIL(64)
	L4_CSUM_TAIL(32)
	L4_CSUM_TAIL(16)
	L4_CSUM_TAIL(8)
	L4_CSUM_TAIL(4)
#undef L4_CSUM_TAIL
	if (len & 2) {
		if (p + 2 > data_end)
			return -1;
		sum += *(__u16 *)p;
		p += 2;
	}
	if (len & 1) {
		if (p + 1 > data_end)
			return -1;
		sum += *(__u8 *)p;
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	*field = csum_fold((__u32)sum);
	if (!*field && off == 6)
		*field = 0xffff; /* RFC 768: a computed 0 is sent as all ones */
	return 1;
}

#endif
