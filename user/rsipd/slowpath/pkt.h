/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet parsing for rsipd's slow path (user space): the Ethernet and IPv4
 * headers of frames the XDP programs handed over, the Internet checksum.
 * Every parser checks lengths first and returns -EINVAL on malformed input;
 * nothing here allocates.
 */
#ifndef RSIPD_SLOW_PKT_H
#define RSIPD_SLOW_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_ETH_HLEN   14
#define PKT_IP_MIN     20
#define PKT_IP_MAX_LEN 65535
#define PKT_GRE_HLEN   4

/* A parsed IPv4 header; all pointers point into the caller's buffer. */
struct pkt_ip {
	const uint8_t *hdr; /* the IPv4 header */
	size_t hlen;	    /* header length with options */
	size_t tot_len;	    /* total length from the header (<= the buffer) */
	uint8_t proto;
	uint8_t ttl;
	uint32_t src, dst; /* network order */
	uint16_t id;	   /* host order */
	bool df, mf;
	uint16_t frag_off; /* fragment offset in bytes */
	const uint8_t *l4; /* payload: hdr + hlen */
	size_t l4_len;	   /* tot_len - hlen */
};

static inline bool pkt_ip_is_fragment(const struct pkt_ip *ip)
{
	return ip->mf || ip->frag_off != 0;
}

/* Parse the IPv4 header at p (len bytes available). Checks version, IHL,
 * total length (bytes past it are ignored: Ethernet padding), and the header
 * checksum when check_csum. */
int pkt_parse_ipv4(const uint8_t *p, size_t len, bool check_csum, struct pkt_ip *ip);

/* The IPv4 packet inside an Ethernet frame (EtherType 0x0800, untagged). */
int pkt_eth_ipv4(const uint8_t *frame, size_t len, const uint8_t **ip, size_t *ip_len);

/* RFC 1071 checksum over len bytes (the result is ready to store). */
uint16_t pkt_csum(const void *p, size_t len);

/* Recompute the header checksum of a writable IPv4 header. */
void pkt_ip_set_csum(uint8_t *hdr, size_t hlen);

static inline uint16_t pkt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pkt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
