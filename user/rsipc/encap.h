/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rsipc tunnel packets, without any I/O: which packets may leave through the
 * tunnel, how to take the outer header off what arrives, and the 4-byte GRE
 * header (RFC 2784, protocol 0x0800, no checksum, key or sequence number:
 * spec D15). The outer IPv4 header of outgoing packets is the kernel's job
 * (a raw socket of protocol IPPROTO_IPIP or IPPROTO_GRE adds it).
 */
#ifndef RSIPC_ENCAP_H
#define RSIPC_ENCAP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRE_HDR_LEN   4
#define IPIP_OVERHEAD 20
#define GRE_OVERHEAD  24

/* Why a packet was not passed on; 0 is "pass". Counted per reason. */
enum encap_verdict {
	ENCAP_OK = 0,
	ENCAP_SHORT,	      /* shorter than its headers say */
	ENCAP_NOT_IPV4,	      /* outer (inbound) or the packet (outbound) */
	ENCAP_BAD_HEADER,     /* IHL or total length inconsistent */
	ENCAP_WRONG_PROTO,    /* not the tunnel protocol we leased */
	ENCAP_WRONG_SOURCE,   /* outer source is not the tunnel endpoint */
	ENCAP_FRAGMENT,	      /* outer fragment (the kernel reassembles first) */
	ENCAP_BAD_GRE,	      /* GRE version, reserved bits or protocol type */
	ENCAP_INNER_NOT_IPV4, /* what is inside is not IPv4 */
	ENCAP_INNER_NOT_OURS, /* inbound: inner destination is not Nb */
	ENCAP_NOT_FROM_NB,    /* outbound: source is not Nb */
	ENCAP_UNLEASED,	      /* inbound: not our port or SPI (leased.h) */
	ENCAP_N_VERDICTS,
};

const char *encap_verdict_name(int v);
unsigned int encap_overhead(uint8_t tunnel); /* 20 (IP-IP) or 24 (GRE) */
uint8_t encap_ip_proto(uint8_t tunnel);	     /* IPPROTO_IPIP or IPPROTO_GRE */
void encap_gre_header(uint8_t hdr[GRE_HDR_LEN]);

/* May pkt (read from the TUN) go through the tunnel? */
int encap_check_outbound(const uint8_t *pkt, size_t len, struct in_addr nb);

/* pkt is what a raw socket of our tunnel protocol received: the outer IPv4
 * header, [GRE,] the inner packet. On ENCAP_OK, *off and *inner_len locate
 * the inner packet. */
int encap_decap(const uint8_t *pkt, size_t len, uint8_t tunnel, struct in_addr endpoint,
		struct in_addr nb, size_t *off, size_t *inner_len);

/* Checksum offload state of an inner packet, for the TUN's virtio_net_hdr. */
struct encap_csum {
	uint16_t start;	 /* offset of the L4 header */
	uint16_t offset; /* of the checksum field within it */
};

/* Does pkt (an IPv4 packet) carry a TCP or UDP checksum that is only the
 * pseudo-header sum? That is what GRO leaves in a merged packet (the rest is
 * to be added by whoever needs it: CHECKSUM_PARTIAL), and a raw socket hands
 * it over so. On true, *c says where, for VIRTIO_NET_HDR_F_NEEDS_CSUM. A
 * complete checksum that happens to equal the pseudo-header sum (1 in 65536
 * of the packets that are not merged) is taken for partial too: the kernel
 * then skips verifying that one packet. */
bool encap_partial_csum(const uint8_t *pkt, size_t len, struct encap_csum *c);

/* Write the complete checksum at c->start + c->offset, summed from c->start
 * to the end of the packet (the field holds the pseudo-header sum). */
void encap_csum_complete(uint8_t *pkt, size_t len, const struct encap_csum *c);

/* true when the TCP or UDP checksum of the IPv4 packet at ip (len bytes,
 * its header length in ip[0]) is complete and right. */
bool encap_l4_csum_valid(const uint8_t *ip, size_t len);

/* The pseudo-header sum (folded, not inverted) of the IPv4 packet at ip for
 * an L4 length of l4len: what a CHECKSUM_PARTIAL field holds. */
uint16_t encap_pseudo_sum(const uint8_t *ip, size_t l4len);

/* Recompute the header checksum of the IPv4 header at ip. */
void encap_ip_csum_set(uint8_t *ip);

#endif
