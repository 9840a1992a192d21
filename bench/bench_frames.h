/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The benchmark's frames, built for one client of bench_clients.h:
 *   ESP  86 bytes: IPv4 proto 50 to Nb, an SPI in the client's block, seq,
 *        44 bytes standing in for IV, ciphertext and ICV
 *   IKE  70 bytes: UDP 500 -> 500 to Nb, an IKEv2 IKE_SA_INIT response
 *        (flags R) whose SPIi is the client's: the peer answering it
 *   UDP  64 bytes: UDP 4096 -> the client's leased port, 22 bytes of zeros
 * and the LAN frame that makes rsip_lan learn the client's IKE SPI: its
 * IKE_SA_INIT request (flags I) tunnelled IP-in-IP to Na.
 * Sizes and contents follow shared/bench-baseline, so its figures compare.
 * Every IPv4 header has DF set, TTL 64 and a valid checksum.
 */
#ifndef RSIP_BENCH_FRAMES_H
#define RSIP_BENCH_FRAMES_H

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "bench_clients.h"

#define BENCH_FRAME_MAX 128

enum bench_kind { BENCH_ESP, BENCH_IKE, BENCH_UDP };

/* Ethernet and the public peer's address: what the frames share. */
struct bench_wire {
	uint8_t src_mac[ETH_ALEN], dst_mac[ETH_ALEN];
	struct in_addr peer;
};

/* IKEv2 header (RFC 7296 3.1). */
struct bench_ike_hdr {
	uint8_t spi_i[8], spi_r[8];
	uint8_t next_payload, version, exchange, flags;
	uint32_t msg_id, length;
} __attribute__((packed));

#define BENCH_IKE_SA_INIT 34
#define BENCH_IKE_NP_SA	  33
#define BENCH_IKE_FLAG_I  0x08
#define BENCH_IKE_FLAG_R  0x20
#define BENCH_UDP_SPORT	  4096
#define BENCH_ESP_LEN	  86
#define BENCH_IKE_LEN	  70
#define BENCH_UDP_LEN	  64

static inline const char *bench_kind_name(enum bench_kind k)
{
	return k == BENCH_ESP ? "esp" : k == BENCH_IKE ? "ike" : "udp";
}

static inline int bench_kind_parse(const char *s, enum bench_kind *k)
{
	if (!strcmp(s, "esp"))
		*k = BENCH_ESP;
	else if (!strcmp(s, "ike"))
		*k = BENCH_IKE;
	else if (!strcmp(s, "udp"))
		*k = BENCH_UDP;
	else
		return -EINVAL;
	return 0;
}

static inline uint16_t bench_csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Writes an IPv4 header (DF, TTL 64, checksum) and returns what follows. */
static inline uint8_t *bench_ip(uint8_t *pos, struct in_addr src, struct in_addr dst, uint8_t proto,
				size_t tot_len)
{
	struct iphdr *ip = (struct iphdr *)pos;

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)tot_len);
	ip->frag_off = htons(0x4000);
	ip->ttl = 64;
	ip->protocol = proto;
	ip->saddr = src.s_addr;
	ip->daddr = dst.s_addr;
	ip->check = bench_csum(ip, sizeof(*ip));
	return pos + sizeof(*ip);
}

static inline uint8_t *bench_eth(uint8_t *pos, const uint8_t *src, const uint8_t *dst)
{
	struct ethhdr *eth = (struct ethhdr *)pos;

	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	return pos + sizeof(*eth);
}

static inline uint8_t *bench_udp(uint8_t *pos, uint16_t sport, uint16_t dport, size_t len)
{
	struct udphdr *udp = (struct udphdr *)pos;

	udp->source = htons(sport);
	udp->dest = htons(dport);
	udp->len = htons((uint16_t)len);
	udp->check = 0; /* none (allowed for IPv4): the programs never look */
	return pos + sizeof(*udp);
}

static inline void bench_ike(uint8_t *pos, const uint8_t *spi_i, const uint8_t *spi_r,
			     uint8_t flags)
{
	struct bench_ike_hdr *ike = (struct bench_ike_hdr *)pos;

	memset(ike, 0, sizeof(*ike));
	memcpy(ike->spi_i, spi_i, 8);
	if (spi_r)
		memcpy(ike->spi_r, spi_r, 8);
	ike->next_payload = BENCH_IKE_NP_SA;
	ike->version = 0x20;
	ike->exchange = BENCH_IKE_SA_INIT;
	ike->flags = flags;
	ike->length = htonl(sizeof(*ike));
}

/* A frame from the peer to client c; returns its length. buf holds
 * BENCH_FRAME_MAX bytes. */
static inline size_t bench_wan_frame(enum bench_kind kind, const struct bench_client *c,
				     const struct bench_wire *w, uint8_t *buf)
{
	static const uint8_t peer_spi[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
	uint8_t *pos;
	uint32_t v;

	memset(buf, 0, BENCH_FRAME_MAX);
	pos = bench_eth(buf, w->src_mac, w->dst_mac);
	switch (kind) {
	case BENCH_ESP:
		pos = bench_ip(pos, w->peer, c->nb, IPPROTO_ESP, BENCH_ESP_LEN - ETH_HLEN);
		v = htonl(c->spis[0]);
		memcpy(pos, &v, 4);
		v = htonl(1);
		memcpy(pos + 4, &v, 4);
		for (size_t i = 8; pos + i < buf + BENCH_ESP_LEN; i++)
			pos[i] = (uint8_t)(0xa5 ^ i);
		return BENCH_ESP_LEN;
	case BENCH_IKE:
		pos = bench_ip(pos, w->peer, c->nb, IPPROTO_UDP, BENCH_IKE_LEN - ETH_HLEN);
		pos = bench_udp(pos, BENCH_IKE_PORT, BENCH_IKE_PORT,
				BENCH_IKE_LEN - ETH_HLEN - sizeof(struct iphdr));
		bench_ike(pos, c->cookie, peer_spi, BENCH_IKE_FLAG_R);
		return BENCH_IKE_LEN;
	case BENCH_UDP:
		pos = bench_ip(pos, w->peer, c->nb, IPPROTO_UDP, BENCH_UDP_LEN - ETH_HLEN);
		bench_udp(pos, BENCH_UDP_SPORT, c->port,
			  BENCH_UDP_LEN - ETH_HLEN - sizeof(struct iphdr));
		return BENCH_UDP_LEN;
	}
	return 0;
}

/* Client c's IKE_SA_INIT request to the peer, tunnelled IP-in-IP from Xa to
 * na (w: client MAC -> gateway LAN MAC); returns its length. */
static inline size_t bench_lan_ike_frame(const struct bench_client *c, const struct bench_wire *w,
					 struct in_addr na, uint8_t *buf)
{
	size_t inner = sizeof(struct iphdr) + sizeof(struct udphdr) + sizeof(struct bench_ike_hdr);
	uint8_t *pos;

	memset(buf, 0, BENCH_FRAME_MAX);
	pos = bench_eth(buf, w->src_mac, w->dst_mac);
	pos = bench_ip(pos, c->xa, na, IPPROTO_IPIP, sizeof(struct iphdr) + inner);
	pos = bench_ip(pos, c->nb, w->peer, IPPROTO_UDP, inner);
	pos = bench_udp(pos, BENCH_IKE_PORT, BENCH_IKE_PORT, inner - sizeof(struct iphdr));
	bench_ike(pos, c->cookie, NULL, BENCH_IKE_FLAG_I);
	return ETH_HLEN + sizeof(struct iphdr) + inner;
}

#endif
