/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Binding records (user/rsipd/binding_rec.h) for tests and benchmarks: a
 * record with room for its SPIs and ports that lives on the stack and can be
 * copied by value, so a test writes
 *
 *	struct rec_buf b = rec_make(1, 100, xa, nb, RSIP_METHOD_RSAP_IP);
 *	rec_set_ports(&b, ports, 3);
 *	dpx_binding_add(x, &b.r);
 *
 * Header-only: the benchmarks, which do not link the test library, use it
 * too.
 */
#ifndef RSIP_TEST_REC_BUILD_H
#define RSIP_TEST_REC_BUILD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binding_rec.h"
#include "rsip/wire.h"

#define REC_ROOM 1024 /* bytes of SPIs and ports */

struct rec_buf {
	union {
		struct binding_rec r;
		uint8_t bytes[sizeof(struct binding_rec) + REC_ROOM];
	};
};

static inline uint8_t rec_kind_of(uint8_t method)
{
	switch (method) {
	case RSIP_METHOD_RSA_IP:
		return BIND_RSA_IP;
	case RSIP_METHOD_RSIPSEC:
		return BIND_RSIPSEC;
	default:
		return BIND_RSAP_IP;
	}
}

/* A binding of client cid (at xa) on nb, IP-IP, no ports or SPIs yet. */
static inline struct rec_buf rec_make(uint32_t cid, uint32_t bid, struct in_addr xa,
				      struct in_addr nb, uint8_t method)
{
	struct rec_buf b;

	memset(&b, 0, sizeof(b));
	b.r.client_id = cid;
	b.r.bind_id = bid;
	b.r.xa = xa;
	b.r.nb = nb;
	b.r.method = method;
	b.r.kind = rec_kind_of(method);
	b.r.tunnel = RSIP_TUNNEL_IPIP;
	return b;
}

static inline void rec_room(uint16_t nspis, uint16_t nports)
{
	if (binding_rec_size(nspis, nports) > sizeof(struct rec_buf)) {
		fprintf(stderr, "rec_build: %u SPIs and %u ports do not fit\n", nspis, nports);
		abort();
	}
}

static inline void rec_set_ports(struct rec_buf *b, const uint16_t *ports, uint16_t n)
{
	rec_room(b->r.nspis, n);
	b->r.nports = n;
	if (n)
		memcpy(binding_ports(&b->r), ports, n * sizeof(*ports));
}

/* The ports (stored after the SPIs) move along. */
static inline void rec_set_spis(struct rec_buf *b, const uint32_t *spis, uint16_t n)
{
	uint16_t ports[REC_ROOM / sizeof(uint16_t)];
	uint16_t nports = b->r.nports;

	rec_room(n, nports);
	if (nports)
		memcpy(ports, binding_ports(&b->r), nports * sizeof(*ports));
	b->r.nspis = n;
	if (n)
		memcpy(binding_spis(&b->r), spis, n * sizeof(*spis));
	rec_set_ports(b, ports, nports);
}

#endif
