/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Allocation unique across the gateways of a cluster (issue 12 item 2).
 *
 * Each gateway keeps its own allocator (alloc/alloc.h) and allocates from
 * it as a single gateway does; what an allocation took is then claimed in
 * etcd in ONE transaction that holds only if none of it is claimed by
 * anyone (create-if-absent on one key per resource, plus range comparisons
 * for the exclusions: a whole address excludes every port and SPI on it, a
 * client's SPI block excludes everybody else's SPIs in it). Only when etcd
 * says yes does the allocator transaction commit; otherwise it is aborted
 * with no trace, what the others hold is learnt (pinned in the local
 * allocator under their owner) and the allocation runs again, bounded.
 *
 * What other gateways claim and release reaches the local allocator
 * through a watch of the claims prefix (full read at start, events, full
 * read again after a compaction), so a gateway rarely proposes what is
 * taken: the etcd transaction is the guarantee, the mirror makes it cheap.
 * docs/cluster.md has the keys, the rules and the costs.
 *
 * Keys, under PREFIX "alloc/": addr/NB, port/NB/HEX8, blk/NB/HEX8 (SPI block
 * index), spi/NB/HEX8; NB dotted quad, HEX8 fixed-width hex so that keys
 * sort in numeric order (range comparisons). Value: "GATEWAY OWNER(hex)".
 *
 * Single-threaded, like the allocator: claims_poll() must not run while an
 * allocation is under way.
 */
#ifndef RSIPD_CLUSTER_CLAIMS_H
#define RSIPD_CLUSTER_CLAIMS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc/alloc.h"
#include "store/etcd_client.h"

struct claims_cfg {
	struct etcd *etcd;
	const char *prefix;	 /* e.g. "/rsip/site1/"; must end with '/' */
	const char *gateway;	 /* this gateway's name: unique, 1-32 of [A-Za-z0-9_.-] */
	struct alloc *alloc;	 /* this gateway's allocator */
	uint8_t spi_block_shift; /* the allocator's (alloc_cfg.spi_block_shift) */
};

enum claim_kind { CLAIM_ADDR, CLAIM_PORT, CLAIM_BLOCK, CLAIM_SPI };

/* One resource: a whole address, a port, an SPI block (value: its index,
 * spi >> alloc_spi_block_shift) or an SPI, on nb, lent to owner. */
struct claim {
	enum claim_kind kind;
	struct in_addr nb;
	uint32_t value; /* port (host order), block index, SPI; 0 for ADDR */
	uint32_t owner;
};

struct claim_list {
	struct claim *v;
	size_t n, cap;
};
/* 0, or RSIP_E_INTERNAL_SERVER_ERROR when out of memory. */
int claim_list_add(struct claim_list *l, enum claim_kind kind, struct in_addr nb, uint32_t value,
		   uint32_t owner);
void claim_list_free(struct claim_list *l);

struct claims;

/* NULL when a field is invalid (logged) or no memory. */
struct claims *claims_new(const struct claims_cfg *cfg);
void claims_free(struct claims *c);

/* fn allocates with the alloc_* calls in t and lists each resource it took
 * in took (every SPI, and the block of a k > 1 run). claims_alloc runs it
 * and claims the list in etcd; on a conflict it aborts, learns and runs fn
 * again (a few times at most; took is emptied before each run). Returns 0
 * (allocator committed, etcd holds every claim, took lists them; *rev,
 * optional, the revision of the claim), fn's RSIP error (nothing taken), or
 * RSIP_E_INTERNAL_SERVER_ERROR when etcd could not be reached or kept
 * refusing (nothing taken; a log line says why). */
typedef int (*claims_alloc_fn)(struct alloc_txn *t, void *arg, struct claim_list *took);
int claims_alloc(struct claims *c, claims_alloc_fn fn, void *arg, struct claim_list *took,
		 int64_t *rev);

/* Give back what an owner held (ADDR, PORT and SPI items; the blocks that
 * empty go with their last SPI): released in the allocator (hold-back as
 * usual) and deleted in etcd where this gateway still holds them. If etcd
 * cannot be reached the deletions are retried by claims_poll: meanwhile the
 * resources stay claimed, so nobody else can take them (never the other
 * way round). 0, or -errno when the deletion is left for later. */
int claims_release(struct claims *c, const struct claim *items, size_t n, int64_t *rev);

/* Apply other gateways' claims and releases (the watch), and retry
 * deletions left for later. timeout_ms as etcd_watch_poll; returns the
 * number of changes applied or -errno when etcd cannot be reached. */
int claims_poll(struct claims *c, int timeout_ms);

struct claims_stats {
	uint64_t commits;     /* allocations claimed */
	uint64_t conflicts;   /* etcd said no: someone else had one of them */
	uint64_t exhausted;   /* allocations given up after every retry */
	uint64_t unreachable; /* allocations refused: etcd could not be reached */
	uint64_t pinned;      /* other gateways' resources held locally now */
	uint64_t pin_failed;  /* ... that the local allocator could not take */
	uint64_t pending;     /* own deletions waiting for etcd */
	uint64_t own;	      /* own claims now */
	uint64_t vanished;    /* own claims found missing in a full read */
	int64_t rev;	      /* the watch has applied up to this revision */
};
void claims_stats(const struct claims *c, struct claims_stats *st);

/* The key of a claim, for tests and rsipctl: PREFIX "alloc/...". */
int claims_key(const struct claims *c, const struct claim *cl, char *buf, size_t len);

#endif
