/* SPDX-License-Identifier: GPL-2.0 */
/* Internet checksum helpers (RFC 1071, RFC 1624) for IPv4 headers. */
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

#endif
