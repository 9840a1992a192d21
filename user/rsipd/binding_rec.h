/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One binding, in the one shape it has from the engine to the maps: what a
 * single ASSIGN or LISTEN granted. The engine keeps it in its binding table
 * (engine/binding.h), a state file writes and reads binding_rec_bytes(r)
 * bytes of it, the data plane ops (dataplane/dataplane.h) take it, and a
 * data plane that must remember a binding keeps a copy of the record
 * (binding_rec_dup), never a conversion of it. Only the BPF map value
 * (struct rsip_target, include/rsip/dp_abi.h) is another shape: it is the
 * kernel ABI.
 *
 * Plain data: fixed fields, then the leased SPIs and ports inline.
 */
#ifndef RSIPD_BINDING_REC_H
#define RSIPD_BINDING_REC_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum binding_kind {
	BIND_RSA_IP = 1,  /* ASSIGN_REQUEST_RSA-IP: the whole address */
	BIND_RSAP_IP = 2, /* ASSIGN_REQUEST_RSAP-IP: address + ports */
	BIND_RSIPSEC = 3, /* ASSIGN_REQUEST_RSIPSEC: address + SPIs (+ ports) */
	BIND_LISTEN = 4,  /* LISTEN_REQUEST: address + ports, inbound */
};

struct binding_rec {
	uint32_t bind_id;
	uint32_t client_id;
	struct in_addr xa; /* the client's private address */
	struct in_addr nb; /* the public address lent */
	uint8_t kind;	   /* enum binding_kind */
	uint8_t method;	   /* RSIP_METHOD_* as the data plane sees it */
	uint8_t tunnel;	   /* RSIP_TUNNEL_IPIP / RSIP_TUNNEL_GRE */
	uint8_t remote_policy;
	struct in_addr remote; /* INADDR_ANY: any peer */
	uint16_t remote_port;  /* host order, 0: any */
	uint16_t nports;
	uint16_t nspis;
	/* The aligned SPI block (spi >> the configured shift, decision D13)
	 * this binding was granted with its run of k > 1 SPIs. */
	bool has_spi_block;
	bool ports_dont_need; /* RSIPSEC asked for no ports: echoed as "don't need" */
	uint32_t spi_block;
	uint32_t lease_s; /* last granted lease */
	uint64_t created_ms;
	uint64_t expires_ms; /* CLOCK_MONOTONIC ms */
	/* nspis SPIs (uint32, host order, ascending), then nports ports
	 * (uint16, host order, ascending). */
	uint32_t res[];
};

static inline size_t binding_rec_size(uint16_t nspis, uint16_t nports)
{
	return sizeof(struct binding_rec) + (size_t)nspis * 4 + (size_t)nports * 2;
}

/* The bytes of r, its SPIs and ports included. */
static inline size_t binding_rec_bytes(const struct binding_rec *r)
{
	return binding_rec_size(r->nspis, r->nports);
}

static inline uint32_t *binding_spis_mut(struct binding_rec *r)
{
	return r->res;
}

static inline const uint32_t *binding_spis_const(const struct binding_rec *r)
{
	return r->res;
}

static inline uint16_t *binding_ports_mut(struct binding_rec *r)
{
	return (uint16_t *)(r->res + r->nspis);
}

static inline const uint16_t *binding_ports_const(const struct binding_rec *r)
{
	return (const uint16_t *)(r->res + r->nspis);
}

/* The leased SPIs and ports, const when the record is. */
#define binding_spis(r)                                                                            \
	_Generic((r), const struct binding_rec *: binding_spis_const,                              \
		 struct binding_rec *: binding_spis_mut)(r)
#define binding_ports(r)                                                                           \
	_Generic((r), const struct binding_rec *: binding_ports_const,                             \
		 struct binding_rec *: binding_ports_mut)(r)

/* A heap copy of r (SPIs and ports included), or NULL. */
static inline struct binding_rec *binding_rec_dup(const struct binding_rec *r)
{
	size_t n = binding_rec_bytes(r);
	struct binding_rec *c = malloc(n);

	if (c)
		memcpy(c, r, n);
	return c;
}

#endif
