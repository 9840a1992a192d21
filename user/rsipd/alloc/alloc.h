/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Resource allocators of the gateway: public addresses (Nb), ports per Nb,
 * SPIs per Nb (with client-owned aligned SPI blocks, decision D13), Client
 * and Bind IDs. Pure logic: no I/O, an injected clock and random source, so
 * unit tests can drive time and collisions.
 *
 * Errors are RSIP error codes (positive, enum rsip_error), never errno:
 * the caller puts them straight into an ERROR_RESPONSE.
 *
 * All-or-nothing: every allocating call records what it took in a
 * transaction. alloc_txn_abort() gives all of it back with no trace (no
 * hold-back, as if it never happened); alloc_txn_commit() makes it stick.
 * Released resources (alloc_*_release) are held back for cfg.holdback_ms
 * before anyone can have them again (RFC 3102 6.1: TIME_WAIT on peers).
 *
 * Owners are Client IDs: non-zero. Ports are in host byte order, addresses
 * in network byte order (struct in_addr). Allocating calls expire due
 * hold-backs themselves; docs/allocators.md has the details.
 */
#ifndef RSIPD_ALLOC_H
#define RSIPD_ALLOC_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alloc;
struct alloc_txn;

/* Zero in port_lo/port_hi, spi_lo/spi_hi or holdback_ms means the default:
 * 1024-65535, 256-0xffffffff, 120000 (spi_block_shift 0 is a block of one
 * SPI). The arrays are copied.
 * ALLOC_HOLDBACK_NONE in holdback_ms turns hold-back off (rsipd --holdback 0). */
#define ALLOC_HOLDBACK_NONE UINT32_MAX

struct alloc_cfg {
	const struct in_addr *public_addrs; /* the Nb pool (--public) */
	size_t n_public;
	uint16_t port_lo, port_hi;	/* leasable ports (--port-range) */
	const uint16_t *reserved_ports; /* never leased on any Nb (500, 4500, ...) */
	size_t n_reserved;
	uint32_t spi_lo, spi_hi;       /* --spi-range, spi_lo >= 256 */
	uint8_t spi_block_shift;       /* log2(--spi-block), at most 16 (cfg->spi_block_shift) */
	uint32_t holdback_ms;	       /* default 120000 */
	uint32_t max_ports_per_client; /* 0: no limit beyond the pool */
	uint32_t max_spis_per_client;  /* 0: no limit */
	/* CLOCK_MONOTONIC milliseconds; NULL: the real clock. */
	uint64_t (*now_ms)(void *arg);
	void *clock_arg;
	/* Random 32-bit values; NULL: getrandom(2). */
	uint32_t (*random32)(void *arg);
	void *random_arg;
	/* Optional: true when the gateway itself uses nb:port (TCP or UDP), so
	 * it must not be leased. Asked at allocation time (port in host
	 * order); a specific request for such a port gets 311. */
	bool (*port_busy)(void *arg, struct in_addr nb, uint16_t port);
	void *port_busy_arg;
};

/* NULL with errno EINVAL (bad cfg, logged) or ENOMEM. alloc_free also frees
 * a transaction left open. */
struct alloc *alloc_new(const struct alloc_cfg *cfg);
void alloc_free(struct alloc *a);
/* New per-client caps (a reload): what clients hold already stays; only
 * new requests are checked against them. */
void alloc_set_client_limits(struct alloc *a, uint32_t max_ports, uint32_t max_spis);

/* One transaction at a time: NULL while another is open (or no memory).
 * Allocating calls need the open transaction; releases do not. */
struct alloc_txn *alloc_txn_begin(struct alloc *a);
void alloc_txn_commit(struct alloc_txn *t);
void alloc_txn_abort(struct alloc_txn *t);

/* --- public addresses ------------------------------------------------------
 * A whole-address lease (RSA-IP) excludes every other client from nb; a
 * shared use (RSAP-IP, RSIPSEC) lets many clients hold ports and SPIs on it.
 * want = INADDR_ANY: any address. Errors: 308 none available, 310 held by
 * someone else, 312 not in the pool. An address is leased whole only when
 * nothing on it is leased or held back (310 / skipped by "any"). */
int alloc_addr_whole(struct alloc_txn *t, uint32_t owner, struct in_addr want, struct in_addr *got);
/* Pick the Nb for a shared binding: want if given, else the address the
 * owner already uses (if it can take them), else the least loaded one (fewest
 * clients) that can take nports ports and nspis SPIs. Takes nothing by
 * itself and ignores the per-client caps and port_busy (the allocating calls
 * apply them). Errors: 312 want not in the pool, 310 want leased whole;
 * for "any": 308 every address is leased whole, 309 none has room for the
 * ports, 402 none of those has room for the SPIs. */
int alloc_addr_shared(struct alloc *a, uint32_t owner, struct in_addr want, uint16_t nports,
		      uint32_t nspis, struct in_addr *got);
void alloc_addr_whole_release(struct alloc *a, uint32_t owner, struct in_addr nb);

/* --- ports (per Nb; a port covers TCP and UDP, decision D10) ---------------
 * any: n ports of the allocator's choosing (contiguous when it can, so one
 * Ports range parameter describes them), ascending in out[].
 * Errors: 309 not enough free, 311 one of the wanted ports is taken or held
 * back, 313 a wanted port is reserved or outside --port-range. Both: 312 nb
 * not in the pool, 310 nb leased whole. Per-client cap exceeded: 309 for
 * any, 313 for specific. n == 0 takes nothing and succeeds. */
int alloc_ports_any(struct alloc_txn *t, uint32_t owner, struct in_addr nb, uint16_t n,
		    uint16_t *out);
int alloc_ports_specific(struct alloc_txn *t, uint32_t owner, struct in_addr nb,
			 const uint16_t *ports, uint16_t n);
void alloc_ports_release(struct alloc *a, uint32_t owner, struct in_addr nb, const uint16_t *ports,
			 uint16_t n);

/* --- SPIs (per Nb, across ESP and AH, decision D13) ------------------------
 * any, k == 1: one random SPI in [spi_lo, spi_hi] outside every block owned
 * by someone else. any, k > 1: a contiguous run of k inside ONE aligned
 * block of 2^spi_block_shift SPIs owned by this owner alone (reusing a block
 * it already owns when the run fits); *block gets the block index
 * (spi >> spi_block_shift) and *has_block is set. Errors: 402 none left.
 * specific: each SPI must be free, not held back, not in another owner's
 * block, inside [spi_lo, spi_hi]; else 403. Both: 312 nb not in the pool,
 * 310 nb leased whole, 402 the per-client cap would be exceeded; k > 1 with
 * k > the block size gets 402. *has_block is set for every k > 1 grant, whether
 * the block is new or one the owner already had. */
int alloc_spi_any(struct alloc_txn *t, uint32_t owner, struct in_addr nb, uint16_t k, uint32_t *out,
		  bool *has_block, uint32_t *block);
int alloc_spi_specific(struct alloc_txn *t, uint32_t owner, struct in_addr nb, const uint32_t *spis,
		       uint16_t k);
/* A block goes back (and is held back) when its owner holds no SPI in it. */
void alloc_spi_release(struct alloc *a, uint32_t owner, struct in_addr nb, const uint32_t *spis,
		       uint16_t k);
/* The same, and reports the blocks that went back (their data-plane entries
 * must go): up to max_freed indices in freed[], how many written returned.
 * k SPIs free at most k blocks. Needed because a binding without a block
 * (k == 1, or specific SPIs) may hold the last SPI of one of its owner's
 * blocks. */
size_t alloc_spi_release_blocks(struct alloc *a, uint32_t owner, struct in_addr nb,
				const uint32_t *spis, uint16_t k, uint32_t *freed,
				size_t max_freed);
/* The owner of block (spi >> shift) on nb, 0 when nobody owns it. */
uint32_t alloc_spi_block_owner(const struct alloc *a, struct in_addr nb, uint32_t block);

/* --- IDs (decision D19: random, non-zero, not reused soon) -----------------
 * Client IDs and Bind IDs are two separate spaces; 0 means out of memory. */
uint32_t alloc_client_id(struct alloc *a);
void alloc_client_id_release(struct alloc *a, uint32_t id);
uint32_t alloc_bind_id(struct alloc *a);
void alloc_bind_id_release(struct alloc *a, uint32_t id);

/* --- restart: take exactly these again (state file), ignoring hold-back ---
 * IDs: 0, -EINVAL (id 0), -EEXIST (live), -ENOMEM. Ports and whole addresses
 * come back through alloc_ports_specific / alloc_addr_whole(want); SPIs
 * through alloc_spi_restore, which also re-owns the block of a k > 1 run
 * (has_block as alloc_spi_any returned it; all spis in that one block). */
int alloc_restore_client_id(struct alloc *a, uint32_t id);
int alloc_restore_bind_id(struct alloc *a, uint32_t id);
int alloc_spi_restore(struct alloc_txn *t, uint32_t owner, struct in_addr nb, const uint32_t *spis,
		      uint16_t k, bool has_block);

/* Expire the hold-backs that are due now. Allocating calls do it themselves;
 * call it before alloc_usage for exact held counts, or from a timer to give
 * memory back. */
void alloc_expire(struct alloc *a);
/* Everything held back is free now. For a cluster gateway that was fenced
 * (docs/cluster.md): what it took back held resources nobody was told of,
 * and etcd's active may lend them at once; its own releases the active
 * holds back itself. */
void alloc_holdback_flush(struct alloc *a);

/* Recompute every counter and cross-reference and compare: 0, or -EFAULT
 * (the first mismatch is logged). O(all state); tests and debugging. */
int alloc_selfcheck(struct alloc *a);

/* Usage, for rsipctl status. */
struct alloc_usage {
	uint32_t addrs_total, addrs_whole;
	uint64_t ports_used, ports_held, ports_total;
	uint64_t spis_used, spis_held;
	uint32_t blocks_owned;
	uint32_t blocks_held;
	uint32_t client_ids, bind_ids; /* live */
};
void alloc_usage(const struct alloc *a, struct alloc_usage *u);

#endif
