/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Header parsing with a cursor (xdp-tools style): each parse_*() checks that
 * its header lies inside the packet, advances the cursor past it, and returns
 * the next protocol (or 0 where there is none), or -1 when the header is
 * truncated or invalid. Nothing here writes to the packet. The XDP programs
 * parse the frame with it and the slow path a reassembled packet (both
 * compilers: rules/env.h).
 */
#ifndef RSIP_RULES_PARSE_H
#define RSIP_RULES_PARSE_H

#include "rsip/rules/env.h"

#ifdef __bpf__
/* vmlinux.h carries types, not #defines (user space has them from libc). */
#define ETH_HLEN	    14
#define ETH_ALEN	    6
#define ETH_P_IP	    0x0800
#define AF_INET		    2
#define IP_MF		    0x2000
#define IP_DF		    0x4000
#define ICMP_ECHOREPLY	    0
#define ICMP_DEST_UNREACH   3
#define ICMP_SOURCE_QUENCH  4
#define ICMP_ECHO	    8
#define ICMP_TIME_EXCEEDED  11
#define ICMP_PARAMETERPROB  12
#define ICMP_TIMESTAMP	    13
#define ICMP_TIMESTAMPREPLY 14
#endif
#ifndef IP_OFFSET
#define IP_OFFSET 0x1fff
#endif

struct hdr_cursor {
	void *pos;
};

/* ESP (RFC 4303) and AH (RFC 4302): only the fields up to the sequence
 * number, which every valid packet carries. */
struct rsip_esp_hdr {
	__be32 spi;
	__be32 seq;
};

struct rsip_ah_hdr {
	__u8 nexthdr;
	__u8 hdrlen; /* in 4-byte words, minus 2 */
	__be16 reserved;
	__be32 spi;
	__be32 seq;
};

/* RFC 2784 GRE without checksum, key or sequence number. */
struct rsip_gre_hdr {
	__be16 flags; /* C, K, S bits and version: all zero */
	__be16 proto; /* ETH_P_IP */
};

/* Returns the EtherType in network order, or -1. A VLAN tag is returned as
 * is (0x8100/0x88a8): the programs pass tagged frames to the kernel. */
static __always_inline int parse_ethhdr(struct hdr_cursor *nh, void *data_end,
					struct ethhdr **ethhdr)
{
	struct ethhdr *eth = nh->pos;

	if ((void *)(eth + 1) > data_end)
		return -1;
	nh->pos = eth + 1;
	*ethhdr = eth;
	return eth->h_proto;
}

/* The fixed 20 bytes of an IPv4 header, or NULL: enough to read the
 * addresses and decide whether the packet is ours before validating it. */
static __always_inline struct iphdr *peek_iphdr(struct hdr_cursor *nh, void *data_end)
{
	struct iphdr *iph = nh->pos;

	if ((void *)(iph + 1) > data_end)
		return NULL;
	return iph;
}

/* Validates the header peek_iphdr() returned (version, IHL, a total length
 * that covers the header; options are skipped by offset) and advances past
 * it. Whether the whole packet is there is the caller's question (see
 * parse_iphdr and rules/l3.h). Returns the protocol or -1. */
static __always_inline int parse_iphdr_hdr(struct hdr_cursor *nh, void *data_end, struct iphdr *iph)
{
	__u32 hdrsize = iph->ihl * 4;

	if (iph->version != 4 || hdrsize < sizeof(*iph))
		return -1;
	if (nh->pos + hdrsize > data_end)
		return -1;
	if (bpf_ntohs(iph->tot_len) < hdrsize)
		return -1;
	nh->pos += hdrsize;
	return iph->protocol;
}

/* parse_iphdr_hdr, and the total length within the frame: the frame may
 * carry Ethernet padding after the packet, but never less than the packet. */
static __always_inline int parse_iphdr(struct hdr_cursor *nh, void *data_end, struct iphdr *iph)
{
	int proto = parse_iphdr_hdr(nh, data_end, iph);

	if (proto >= 0 && (void *)iph + bpf_ntohs(iph->tot_len) > data_end)
		return -1;
	return proto;
}

static __always_inline bool ip_is_fragment(const struct iphdr *iph)
{
	return (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) != 0;
}

static __always_inline int parse_udphdr(struct hdr_cursor *nh, void *data_end,
					struct udphdr **udphdr)
{
	struct udphdr *h = nh->pos;

	if ((void *)(h + 1) > data_end)
		return -1;
	if (bpf_ntohs(h->len) < sizeof(*h))
		return -1;
	nh->pos = h + 1;
	*udphdr = h;
	return 0;
}

static __always_inline int parse_tcphdr(struct hdr_cursor *nh, void *data_end,
					struct tcphdr **tcphdr)
{
	struct tcphdr *h = nh->pos;
	__u32 len;

	if ((void *)(h + 1) > data_end)
		return -1;
	len = h->doff * 4;
	if (len < sizeof(*h) || nh->pos + len > data_end)
		return -1;
	nh->pos += len;
	*tcphdr = h;
	return 0;
}

static __always_inline int parse_icmphdr(struct hdr_cursor *nh, void *data_end,
					 struct icmphdr **icmphdr)
{
	struct icmphdr *h = nh->pos;

	if ((void *)(h + 1) > data_end)
		return -1;
	nh->pos = h + 1;
	*icmphdr = h;
	return h->type;
}

static __always_inline int parse_esphdr(struct hdr_cursor *nh, void *data_end,
					struct rsip_esp_hdr **esphdr)
{
	struct rsip_esp_hdr *h = nh->pos;

	if ((void *)(h + 1) > data_end)
		return -1;
	nh->pos = h + 1;
	*esphdr = h;
	return 0;
}

static __always_inline int parse_ahhdr(struct hdr_cursor *nh, void *data_end,
				       struct rsip_ah_hdr **ahhdr)
{
	struct rsip_ah_hdr *h = nh->pos;

	if ((void *)(h + 1) > data_end)
		return -1;
	/* The smallest AH (no ICV) is 3 words: hdrlen 1. */
	if (h->hdrlen < 1)
		return -1;
	nh->pos = h + 1;
	*ahhdr = h;
	return h->nexthdr;
}

/* Only the plain RFC 2784 form (decision D15); anything with C, K, S or a
 * version is not one of our tunnels. */
static __always_inline int parse_grehdr(struct hdr_cursor *nh, void *data_end,
					struct rsip_gre_hdr **grehdr)
{
	struct rsip_gre_hdr *h = nh->pos;

	if ((void *)(h + 1) > data_end)
		return -1;
	if (h->flags != 0 || h->proto != bpf_htons(ETH_P_IP))
		return -1;
	nh->pos = h + 1;
	*grehdr = h;
	return 0;
}

static __always_inline bool mac_is_zero(const __u8 *m)
{
	return (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0;
}

static __always_inline bool mac_equal(const __u8 *a, const __u8 *b)
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4]) |
		(a[5] ^ b[5])) == 0;
}

#endif
