/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet builder for the BPF fixture tests and benchmarks: Ethernet, IPv4
 * (with options, fragments), UDP, TCP, ICMP, ESP, AH, GRE and the ISAKMP/IKEv2
 * header, with correct checksums. Written from the RFCs, independently of
 * bpf/, so an expected output built here checks the programs' bytes.
 * Each pkt_* appends to a struct pkt; wrap order is inside-out: build the
 * payload, then pkt_ipv4() puts the IPv4 header in front of it, etc.
 */
#ifndef RSIP_TEST_PKT_H
#define RSIP_TEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX 4096

struct pkt {
	uint8_t b[PKT_MAX];
	size_t len;
};

struct ipv4_opts {
	const char *src, *dst; /* dotted quads */
	uint8_t proto;
	uint8_t tos;
	uint8_t ttl; /* 0: 64 */
	uint16_t id;
	bool df;
	bool mf;
	uint16_t frag_off;   /* in 8-byte units */
	uint8_t optlen;	     /* IPv4 options (NOPs + EOL), a multiple of 4 */
	int8_t ihl;	     /* != 0: write this IHL instead (malformed headers) */
	int16_t tot_len_adj; /* added to the real total length (malformed) */
	uint8_t version;     /* 0: 4 */
};

void pkt_init(struct pkt *p);
void pkt_bytes(struct pkt *p, const void *data, size_t len);
void pkt_zeros(struct pkt *p, size_t len);
/* Prepends a header of hlen bytes (returns where it starts). */
uint8_t *pkt_push(struct pkt *p, size_t hlen);

void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport); /* over the current bytes */
void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport); /* 20-byte header, ACK */
void pkt_icmp_echo(struct pkt *p, uint8_t type, uint16_t id, uint16_t seq);
void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code); /* error over current bytes */
void pkt_esp(struct pkt *p, uint32_t spi, uint32_t seq);  /* + 16 bytes of "ciphertext" */
void pkt_ah(struct pkt *p, uint32_t spi, uint32_t seq);	  /* 24-byte AH, next hdr 4 */
/* ISAKMP/IKEv2 header (28 bytes) followed by 8 payload bytes. */
void pkt_ike(struct pkt *p, const uint8_t spi_i[8], const uint8_t spi_r[8], uint8_t version,
	     uint8_t flags);
/* ... with another first payload than SA (33): 46 (SK) makes it protected. */
void pkt_ike_np(struct pkt *p, const uint8_t spi_i[8], const uint8_t spi_r[8], uint8_t version,
		uint8_t flags, uint8_t next_payload);
void pkt_non_esp_marker(struct pkt *p);
void pkt_gre(struct pkt *p);
void pkt_ipv4(struct pkt *p, const struct ipv4_opts *o);
void pkt_eth(struct pkt *p, const uint8_t dst[6], const uint8_t src[6], uint16_t proto);
/* An 802.1Q tag in front of the current bytes (then pkt_eth with 0x8100). */
void pkt_vlan(struct pkt *p, uint16_t vid, uint16_t proto);

uint16_t inet_csum(const void *data, size_t len);
uint32_t ip4(const char *dotted); /* network order */
void pkt_hexdump(const char *what, const uint8_t *b, size_t len);

#endif
