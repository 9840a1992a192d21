// SPDX-License-Identifier: BSD-2-Clause
/* Packet builder for tests (pkt.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
}

void pkt_bytes(struct pkt *p, const void *data, size_t len)
{
	if (p->len + len > PKT_MAX)
		abort();
	memcpy(p->b + p->len, data, len);
	p->len += len;
}

void pkt_zeros(struct pkt *p, size_t len)
{
	if (p->len + len > PKT_MAX)
		abort();
	for (size_t i = 0; i < len; i++)
		p->b[p->len + i] = (uint8_t)(0xa0 + i); /* recognisable filler */
	p->len += len;
}

uint8_t *pkt_push(struct pkt *p, size_t hlen)
{
	if (p->len + hlen > PKT_MAX)
		abort();
	memmove(p->b + hlen, p->b, p->len);
	memset(p->b, 0, hlen);
	p->len += hlen;
	return p->b;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v & 0xffff);
}

uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t ip4(const char *dotted)
{
	struct in_addr a;

	if (inet_pton(AF_INET, dotted, &a) != 1)
		abort();
	return a.s_addr;
}

void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	size_t plen = p->len;
	uint8_t *h = pkt_push(p, 8);

	put16(h, sport);
	put16(h + 2, dport);
	put16(h + 4, (uint16_t)(plen + 8));
	/* checksum 0: allowed for UDP over IPv4, and not what XDP checks */
}

void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *h = pkt_push(p, 20);

	put16(h, sport);
	put16(h + 2, dport);
	put32(h + 4, 1000);
	put32(h + 8, 2000);
	h[12] = 5 << 4;
	h[13] = 0x10; /* ACK */
	put16(h + 14, 65535);
}

void pkt_icmp_echo(struct pkt *p, uint8_t type, uint16_t id, uint16_t seq)
{
	uint8_t *h;

	pkt_zeros(p, 16);
	h = pkt_push(p, 8);
	h[0] = type;
	put16(h + 4, id);
	put16(h + 6, seq);
	put16(h + 2, inet_csum(p->b, p->len));
}

void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code)
{
	uint8_t *h = pkt_push(p, 8);

	h[0] = type;
	h[1] = code;
	put16(h + 2, inet_csum(p->b, p->len));
}

void pkt_esp(struct pkt *p, uint32_t spi, uint32_t seq)
{
	uint8_t h[8];

	put32(h, spi);
	put32(h + 4, seq);
	pkt_bytes(p, h, sizeof(h));
	pkt_zeros(p, 16);
}

void pkt_ah(struct pkt *p, uint32_t spi, uint32_t seq)
{
	uint8_t h[24] = {0};

	h[0] = 4;	   /* next header: IP-in-IP (tunnel mode) */
	h[1] = 24 / 4 - 2; /* 6 words, 12-byte ICV */
	put32(h + 4, spi);
	put32(h + 8, seq);
	memset(h + 12, 0x5a, 12);
	pkt_bytes(p, h, sizeof(h));
}

void pkt_ike(struct pkt *p, const uint8_t spi_i[8], const uint8_t spi_r[8], uint8_t version,
	     uint8_t flags)
{
	pkt_ike_np(p, spi_i, spi_r, version, flags, 33 /* SA */);
}

void pkt_ike_np(struct pkt *p, const uint8_t spi_i[8], const uint8_t spi_r[8], uint8_t version,
		uint8_t flags, uint8_t next_payload)
{
	uint8_t h[28] = {0};

	memcpy(h, spi_i, 8);
	memcpy(h + 8, spi_r, 8);
	h[16] = next_payload;
	h[17] = version;
	h[18] = 34; /* IKE_SA_INIT / (v1: identity protection 2) */
	h[19] = flags;
	put32(h + 24, 28 + 8);
	pkt_bytes(p, h, sizeof(h));
	pkt_zeros(p, 8);
}

void pkt_non_esp_marker(struct pkt *p)
{
	pkt_push(p, 4);
}

void pkt_gre(struct pkt *p)
{
	uint8_t *h = pkt_push(p, 4);

	put16(h + 2, 0x0800);
}

void pkt_ipv4(struct pkt *p, const struct ipv4_opts *o)
{
	size_t hlen = 20 + o->optlen;
	size_t total = p->len + hlen;
	uint8_t *h = pkt_push(p, hlen);
	uint16_t frag = o->frag_off & 0x1fff;
	uint32_t a;

	h[0] = (uint8_t)((o->version ? o->version : 4) << 4 | (o->ihl ? (size_t)o->ihl : hlen / 4));
	h[1] = o->tos;
	put16(h + 2, (uint16_t)(total + o->tot_len_adj));
	put16(h + 4, o->id);
	if (o->df)
		frag |= 0x4000;
	if (o->mf)
		frag |= 0x2000;
	put16(h + 6, frag);
	h[8] = o->ttl ? o->ttl : 64;
	h[9] = o->proto;
	a = ip4(o->src);
	memcpy(h + 12, &a, 4);
	a = ip4(o->dst);
	memcpy(h + 16, &a, 4);
	for (size_t i = 20; i < hlen; i++)
		h[i] = i + 1 < hlen ? 1 : 0; /* NOPs, then EOL */
	put16(h + 10, inet_csum(h, hlen));
}

void pkt_eth(struct pkt *p, const uint8_t dst[6], const uint8_t src[6], uint16_t proto)
{
	uint8_t *h = pkt_push(p, 14);

	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
	put16(h + 12, proto);
}

void pkt_vlan(struct pkt *p, uint16_t vid, uint16_t proto)
{
	uint8_t *h = pkt_push(p, 4);

	put16(h, vid);
	put16(h + 2, proto);
}

void pkt_hexdump(const char *what, const uint8_t *b, size_t len)
{
	fprintf(stderr, "%s (%zu bytes):", what, len);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", b[i]);
	fprintf(stderr, "\n");
}
