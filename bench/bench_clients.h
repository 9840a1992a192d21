/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The rate benchmark's clients and what each holds. The loader (xdp_gw.c)
 * writes them into the maps, the generator (pktgen.c) sends packets to them;
 * both compute client k from this one rule, so neither needs the other's
 * state:
 *
 *   client k (0 <= k < n)  id k + 1, Xa 10.128.0.1 + k, on Nb 198.18.0.1 + k / 32768
 *   port binding           id 2k + 1, RSAP-IP, UDP/TCP port 1024 + the low 15 bits
 *                          of bench_dir_slot(k) (scattered like the SPI blocks)
 *   IPsec binding          id 2k + 2, RSIPSEC, owns the SPI block (shift 8) of a
 *                          slot of its Nb's partition of the SPI directory
 *                          (rsip/spi_dir.h, key BENCH_SPI_KEY, 32768 slots per
 *                          Nb): bench_dir_slot(k), scattered as rsipd's
 *                          allocator scatters them, and holds its first two SPIs
 *   IKE                    its IKEv2 SPI "RSIP" + be32(k + 1), learned by rsip_lan
 *
 * Nb come from 198.18.0.0/15 (RFC 2544, benchmarking) and the peer sends
 * from the generator's address; nothing here is routed anywhere but the
 * benchmark's own namespaces. All clients sit behind one LAN MAC (the sink).
 */
#ifndef RSIP_BENCH_CLIENTS_H
#define RSIP_BENCH_CLIENTS_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"
#include "rsip/spi_dir.h"

#define BENCH_CLIENTS_PER_NB 32768u
#define BENCH_MAX_CLIENTS    (64u * BENCH_CLIENTS_PER_NB) /* 64 Nb, 2M clients */
#define BENCH_NB_BASE	     0xc6120001u		  /* 198.18.0.1 */
#define BENCH_XA_BASE	     0x0a800001u		  /* 10.128.0.1 */
#define BENCH_PORT_BASE	     1024u
#define BENCH_SPI_SHIFT	     8u
/* The SPI directory's key: fixed, so the generator knows every SPI. */
#define BENCH_SPI_KEY  0x6a09e667f3bcc908ull
#define BENCH_IKE_PORT 500u

struct bench_client {
	uint32_t client_id;
	uint32_t port_bind_id, ipsec_bind_id;
	struct in_addr xa, nb;
	uint16_t port;	    /* host order */
	uint32_t spi_block; /* host order, spi >> BENCH_SPI_SHIFT */
	uint32_t spis[2];   /* host order, inside spi_block */
	uint8_t cookie[8];  /* as on the wire */
};

/* Client k's SPI directory slot: in its Nb's partition, but consecutive
 * clients (the generator's consecutive flows) far apart, as random picks
 * would be (multiplying by an odd number permutes the partition); else the
 * array's sequential walk would flatter the directory. */
static inline uint32_t bench_dir_slot(uint32_t k)
{
	uint32_t part = k / BENCH_CLIENTS_PER_NB, in = k % BENCH_CLIENTS_PER_NB;

	return part * BENCH_CLIENTS_PER_NB + (in * 0x9e37u) % BENCH_CLIENTS_PER_NB;
}

static inline void bench_client(uint32_t k, struct bench_client *c)
{
	uint32_t id = htonl(k + 1);

	memset(c, 0, sizeof(*c));
	c->client_id = k + 1;
	c->port_bind_id = 2 * k + 1;
	c->ipsec_bind_id = 2 * k + 2;
	c->xa.s_addr = htonl(BENCH_XA_BASE + k);
	c->nb.s_addr = htonl(BENCH_NB_BASE + k / BENCH_CLIENTS_PER_NB);
	/* Scattered too: consecutive ports would walk rsip_port_dir in order. */
	c->port = (uint16_t)(BENCH_PORT_BASE + bench_dir_slot(k) % BENCH_CLIENTS_PER_NB);
	/* Slot 0's block of this key is not block 0 (SPIs below 256 are
	 * reserved). */
	c->spi_block = rsip_spi_dir_block(bench_dir_slot(k), BENCH_SPI_KEY, 32 - BENCH_SPI_SHIFT);
	c->spis[0] = c->spi_block << BENCH_SPI_SHIFT;
	c->spis[1] = c->spis[0] + 1;
	memcpy(c->cookie, "RSIP", 4);
	memcpy(c->cookie + 4, &id, 4);
}

/* How many Nb n clients use. */
static inline uint32_t bench_nb_count(uint32_t n)
{
	return (n + BENCH_CLIENTS_PER_NB - 1) / BENCH_CLIENTS_PER_NB;
}

/* A client count of the command line (-n of xdp_gw and pktgen): 1 to
 * BENCH_MAX_CLIENTS, what the loader can give Nb and SPI slots to.
 * 0, or -EINVAL leaving *n as it was. */
static inline int bench_parse_clients(const char *s, uint32_t *n)
{
	uint32_t v;

	if (parse_u32(s, &v) < 0 || !v || v > BENCH_MAX_CLIENTS)
		return -EINVAL;
	*n = v;
	return 0;
}

#endif
