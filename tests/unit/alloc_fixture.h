/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared fixture of the allocator tests: an injected clock the test moves by
 * hand, an injected deterministic random source (splitmix64) the test can
 * reseed or pin to a constant, and a port_busy callback.
 */
#ifndef TEST_ALLOC_FIXTURE_H
#define TEST_ALLOC_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "rsip/wire.h"

#define FX_HOLD 120000u

struct fx {
	uint64_t now;
	uint64_t seed;
	bool rng_const; /* return rng_value every time */
	uint32_t rng_value;
	uint32_t rand_calls;
	uint16_t busy[8];
	size_t n_busy;
	uint32_t busy_calls;
	struct in_addr nb[4];
	uint16_t reserved[4];
	struct alloc_cfg cfg;
	struct alloc *a;
};

static inline uint64_t fx_now(void *arg)
{
	return ((struct fx *)arg)->now;
}

static inline uint32_t fx_rand(void *arg)
{
	struct fx *f = arg;
	uint64_t z;

	f->rand_calls++;
	if (f->rng_const)
		return f->rng_value;
	z = (f->seed += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static inline bool fx_busy(void *arg, struct in_addr nb, uint16_t port)
{
	struct fx *f = arg;

	f->busy_calls++;
	for (size_t i = 0; i < f->n_busy; i++)
		if (f->busy[i] == port && nb.s_addr == f->nb[0].s_addr)
			return true;
	return false;
}

/* A configuration the tests then adjust before fx_start(). */
static inline void fx_init(struct fx *f, size_t n_nb)
{
	memset(f, 0, sizeof(*f));
	f->now = 1000000;
	f->seed = 42;
	for (size_t i = 0; i < 4; i++)
		f->nb[i].s_addr = htonl(0xc6336401u + (uint32_t)i); /* 198.51.100.1.. */
	f->cfg.public_addrs = f->nb;
	f->cfg.n_public = n_nb;
	f->cfg.port_lo = 1024;
	f->cfg.port_hi = 65535;
	f->cfg.spi_lo = 256;
	f->cfg.spi_hi = UINT32_MAX;
	f->cfg.spi_block_shift = 8;
	f->cfg.holdback_ms = FX_HOLD;
	f->cfg.now_ms = fx_now;
	f->cfg.clock_arg = f;
	f->cfg.random32 = fx_rand;
	f->cfg.random_arg = f;
	f->cfg.port_busy = fx_busy;
	f->cfg.port_busy_arg = f;
}

static inline void fx_start(struct fx *f)
{
	f->a = alloc_new(&f->cfg);
	assert_non_null(f->a);
}

static inline void fx_stop(struct fx *f)
{
	assert_int_equal(alloc_selfcheck(f->a), 0);
	alloc_free(f->a);
	f->a = NULL;
}

static inline struct alloc_usage fx_usage(struct fx *f)
{
	struct alloc_usage u;

	alloc_usage(f->a, &u);
	return u;
}

/* Run one allocating call in its own committed transaction. */
static inline int fx_ports_any(struct fx *f, uint32_t owner, int nb, uint16_t n, uint16_t *out)
{
	struct alloc_txn *t = alloc_txn_begin(f->a);
	int err;

	assert_non_null(t);
	err = alloc_ports_any(t, owner, f->nb[nb], n, out);
	alloc_txn_commit(t);
	return err;
}

static inline int fx_ports_specific(struct fx *f, uint32_t owner, int nb, const uint16_t *ports,
				    uint16_t n)
{
	struct alloc_txn *t = alloc_txn_begin(f->a);
	int err;

	assert_non_null(t);
	err = alloc_ports_specific(t, owner, f->nb[nb], ports, n);
	alloc_txn_commit(t);
	return err;
}

static inline int fx_port1(struct fx *f, uint32_t owner, int nb, uint16_t port)
{
	return fx_ports_specific(f, owner, nb, &port, 1);
}

static inline int fx_spi_any(struct fx *f, uint32_t owner, int nb, uint16_t k, uint32_t *out,
			     bool *has_block, uint32_t *block)
{
	struct alloc_txn *t = alloc_txn_begin(f->a);
	int err;

	assert_non_null(t);
	err = alloc_spi_any(t, owner, f->nb[nb], k, out, has_block, block);
	alloc_txn_commit(t);
	return err;
}

static inline int fx_spi_specific(struct fx *f, uint32_t owner, int nb, const uint32_t *spis,
				  uint16_t k)
{
	struct alloc_txn *t = alloc_txn_begin(f->a);
	int err;

	assert_non_null(t);
	err = alloc_spi_specific(t, owner, f->nb[nb], spis, k);
	alloc_txn_commit(t);
	return err;
}

static inline int fx_spi1(struct fx *f, uint32_t owner, int nb, uint32_t spi)
{
	return fx_spi_specific(f, owner, nb, &spi, 1);
}

static inline int fx_whole(struct fx *f, uint32_t owner, struct in_addr want, struct in_addr *got)
{
	struct alloc_txn *t = alloc_txn_begin(f->a);
	int err;

	assert_non_null(t);
	err = alloc_addr_whole(t, owner, want, got);
	alloc_txn_commit(t);
	return err;
}

#endif
