/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One binding: what a single ASSIGN or LISTEN granted. Every binding of the
 * gateway lives in one table (engine->bindings, keyed by Bind ID). The record
 * is plain data - fixed fields, then the leased SPIs and ports inline - so a
 * state file can write binding_rec_size(r) bytes and read them back; only the
 * table handles in struct binding are runtime pointers.
 */
#ifndef RSIPD_BINDING_H
#define RSIPD_BINDING_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uthash.h>

struct dp_binding;

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
	bool has_spi_block;
	bool ports_dont_need; /* RSIPSEC asked for no ports: echoed as "don't need" */
	uint32_t spi_block;
	uint32_t lease_s; /* last granted lease */
	uint64_t created_ms;
	uint64_t expires_ms;
	/* nspis SPIs (uint32, ascending), then nports ports (uint16,
	 * ascending). */
	uint32_t res[];
};

struct binding {
	UT_hash_handle hh;	       /* engine->bindings, by bind_id */
	struct binding *cnext, *cprev; /* the client's list */
	struct binding_rec r;	       /* must stay last: it ends in res[] */
};

static inline uint32_t *binding_spis(struct binding_rec *r)
{
	return r->res;
}

static inline uint16_t *binding_ports(struct binding_rec *r)
{
	return (uint16_t *)(r->res + r->nspis);
}

static inline size_t binding_rec_size(uint16_t nspis, uint16_t nports)
{
	return sizeof(struct binding_rec) + (size_t)nspis * 4 + (size_t)nports * 2;
}

/* A zeroed binding with room for nspis SPIs and nports ports. */
struct binding *binding_alloc(uint16_t nspis, uint16_t nports);

#endif
