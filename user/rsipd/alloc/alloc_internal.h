/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of the resource allocators (alloc.h), shared by alloc*.c only.
 * docs/allocators.md explains the data structures and why they look so.
 */
#ifndef RSIPD_ALLOC_INT_H
#define RSIPD_ALLOC_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "rsip/wire.h"

/* uthash calls exit() when malloc fails unless told otherwise: a daemon must
 * answer 104 instead. The hook raises this flag; hash_add_u32() reads it.
 * The allocators are single-threaded (one event loop), so a global will do. */
extern bool alloc_hash_oom;
#define HASH_NONFATAL_OOM	 1
#define uthash_nonfatal_oom(obj) (alloc_hash_oom = true)

/* Every table here is keyed by one aligned uint32_t, seeded (a host picks
 * its own SPIs): hash32.h. */
#include "hash32.h"
#include <utlist.h>

/* Adds elt (keyed by the uint32_t field) to head; false when out of memory
 * (elt is then not in the table and still belongs to the caller). */
#define hash_add_u32(head, field, elt)                                                             \
	({                                                                                         \
		alloc_hash_oom = false;                                                            \
		HASH_ADD(hh, head, field, sizeof(uint32_t), elt);                                  \
		!alloc_hash_oom;                                                                   \
	})
#define hash_find_u32(head, keyval, out)                                                           \
	do {                                                                                       \
		uint32_t hf_key_ = (keyval);                                                       \
		HASH_FIND(hh, head, &hf_key_, sizeof(uint32_t), out);                              \
	} while (0)

#define PORT_SPACE	 65536u
#define PORT_WORDS	 (PORT_SPACE / 64u)
#define PORT_CHUNK	 1024u /* ports per lazily allocated owner chunk */
#define PORT_CHUNKS	 (PORT_SPACE / PORT_CHUNK)
#define RANDOM_PROBES	 64 /* random tries before an exact scan */
#define HOLDBACK_DEFAULT 120000u
#define PORT_IKE	 500
#define PORT_IKE_NATT	 4500

/* --- hold-back queue (holdback.c) ----------------------------------- */
enum hb_kind { HB_PORT, HB_SPI, HB_BLOCK, HB_ADDR, HB_CLIENT_ID, HB_BIND_ID };

struct hb_entry {
	uint64_t expire; /* usable again when now >= expire */
	uint32_t value;	 /* port, SPI, block index or ID */
	uint32_t owner;	 /* charged for it until it expires (ports, SPIs, blocks); 0: nobody */
	uint16_t nb;	 /* Nb index (ports, SPIs, blocks, addresses) */
	uint8_t kind;	 /* enum hb_kind */
};

/* A FIFO ring: every entry gets the same hold-back time, so release order is
 * expiry order and the oldest freed resource always comes back first. */
struct holdback {
	struct hb_entry *q;
	size_t cap, head, len;
};

/* --- SPIs (alloc_spi.c) ---------------------------------------------------- */
/* One entry per SPI that is leased or held back; absent means free. */
struct spi_entry {
	uint32_t spi;
	uint32_t owner; /* 0 while held back */
	UT_hash_handle hh;
};

enum blk_state {
	BLK_SINGLES, /* nobody owns it; only tracks the SPI entries inside */
	BLK_OWNED,   /* one owner's alone (D13) */
	BLK_HELD,    /* returned, in hold-back: nobody may use any SPI in it */
};

/* One record per aligned block that is owned, held back, or holds at least
 * one SPI entry; a block without a record is entirely free. */
struct spi_block {
	uint32_t idx; /* spi >> shift */
	uint32_t owner;
	uint8_t state;			/* enum blk_state */
	uint32_t n_entries;		/* SPI entries (leased or held) inside */
	uint32_t n_live;		/* of those, leased (to the owner when BLK_OWNED) */
	struct spi_block *prev, *next;	/* the owner's list on this Nb (utlist) */
	uint32_t chk_entries, chk_live; /* scratch for alloc_selfcheck() */
	UT_hash_handle hh;
};

/* --- per public address ---------------------------------------------------- */
struct nb_state {
	struct in_addr addr;
	uint32_t whole_owner; /* RSA-IP lease, 0: none */
	bool whole_held;      /* a whole lease ended and is held back */
	uint32_t n_owners;    /* owners with a live port or SPI here */

	uint64_t port_used[PORT_WORDS];
	uint64_t port_held[PORT_WORDS];
	uint32_t *port_owner[PORT_CHUNKS]; /* allocated when first needed */
	uint32_t ports_used, ports_held;
	uint32_t port_cursor; /* next-fit start for "any" requests */

	struct spi_entry *spis;
	struct spi_block *blocks;
	uint32_t spis_live, spis_held;
	uint32_t blocks_owned, blocks_held;
	uint32_t full_records;	  /* records of blocks wholly inside the range */
	uint64_t entries_in_excl; /* SPI entries inside OWNED or HELD blocks */
};

/* --- owners ------------------------------------------------------------------ */
struct owner_nb {
	uint32_t ports, spis;
	uint32_t n_blocks;
	struct spi_block *blocks;     /* owned blocks on this Nb */
	uint32_t chk_ports, chk_spis; /* scratch for alloc_selfcheck() */
};

struct owner {
	uint32_t id;
	uint32_t ports, spis; /* totals over every Nb, for the per-client caps */
	/* Released and still held back: they count against the caps too, so
	 * ASSIGN/FREE in a loop cannot empty the pool (a held block counts as
	 * spi_block SPIs). */
	uint32_t held_ports, held_spis;
	UT_hash_handle hh;
	struct owner_nb nb[]; /* one per Nb */
};

/* --- IDs (alloc_id.c) ------------------------------------------------------- */
struct id_entry {
	uint32_t id; /* 0: an empty slot */
	bool held;
	uint64_t held_until; /* matches the queue entry that may free it */
};

/* Open addressing with linear probing, the entries in the slots: a look-up
 * is one or two cache lines, where a chained table with an allocation per
 * ID cost several misses (a 100k restart looks up every ID twice). */
struct id_set {
	struct id_entry *slots;
	uint32_t mask; /* slots - 1 (a power of two), 0 before the first add */
	uint32_t live, held;
	uint8_t kind; /* HB_CLIENT_ID or HB_BIND_ID */
};

/* --- transactions (txn.c) ---------------------------------------------- */
enum jop { J_PORT, J_SPI, J_BLOCK, J_ADDR, J_CURSOR };

struct jentry {
	uint8_t op; /* enum jop */
	uint16_t nb;
	uint32_t owner;
	uint32_t value; /* port, SPI, block index, old cursor */
};

struct alloc_txn {
	struct alloc *a;
	struct jentry *j;
	size_t n, cap;
};

/* --- the allocator -------------------------------------------------------------- */
/* How the lower layers (holdback.c, txn.c) reach the resource files without
 * calling them by name: alloc.c sets it. */
struct alloc_ops {
	void (*release)(struct alloc *a, const struct hb_entry *e); /* hold-back over */
	void (*undo)(struct alloc *a, const struct jentry *e);	    /* abort */
};

struct alloc {
	const struct alloc_ops *ops;
	struct alloc_cfg cfg; /* pointers replaced by our own copies */
	struct in_addr *addrs;
	uint16_t *reserved;
	uint16_t n_nb;
	struct nb_state *nbs;

	/* Ports never leased on any Nb: outside the range, 500, 4500, reserved. */
	uint64_t port_forbidden[PORT_WORDS];
	uint32_t ports_leasable; /* per Nb */

	uint32_t spi_block;
	uint8_t spi_shift;
	uint64_t spi_range;	      /* spi_hi - spi_lo + 1 */
	uint32_t blk_first, blk_last; /* blocks wholly inside the range */
	uint64_t blk_full;	      /* how many (0: none) */

	struct owner *owners;
	struct id_set client_ids, bind_ids;
	struct holdback hb;
	struct alloc_txn *txn; /* the open transaction, if any */
};

/* owners.c */
uint64_t alloc_now(struct alloc *a);
uint32_t alloc_rand32(struct alloc *a);
uint64_t alloc_rand_below(struct alloc *a, uint64_t n); /* [0, n), n <= 2^32 */
int alloc_nb_index(const struct alloc *a, struct in_addr nb);
struct owner *owner_get(struct alloc *a, uint32_t id);
struct owner *owner_find(const struct alloc *a, uint32_t id);
void owner_put(struct alloc *a, struct owner *o);
int owner_count(struct alloc *a, uint32_t id, uint16_t nb, int dports, int dspis);
/* Ports / SPIs an owner holds, live plus held back: what the caps bound. */
uint64_t owner_charged_ports(const struct alloc *a, uint32_t id);
uint64_t owner_charged_spis(const struct alloc *a, uint32_t id);

/* txn.c */
int txn_reserve(struct alloc_txn *t, size_t n);
void txn_push(struct alloc_txn *t, enum jop op, uint16_t nb, uint32_t owner, uint32_t value);
void txn_undo_to(struct alloc_txn *t, size_t mark);
int txn_check(struct alloc_txn *t, uint32_t owner);
int txn_check_nb(struct alloc_txn *t, uint32_t owner, struct in_addr nb, int *nbi);
/* Every call that takes ports or SPIs for an owner: room for n journal
 * entries and the owner's record (which charges it, hold-backs included)
 * before anything changes, *mark where its undo starts (0, or 104 out of
 * memory); on a failure txn_take_fail undoes what the call took, drops the
 * owner record if that left it empty, and returns err. */
int txn_take_begin(struct alloc_txn *t, uint32_t owner, size_t n, size_t *mark);
int txn_take_fail(struct alloc_txn *t, uint32_t owner, size_t mark, int err);

/* holdback.c */
/* owner: who released it (charged until it expires), 0 for IDs and whole
 * addresses. */
uint64_t holdback_push(struct alloc *a, enum hb_kind kind, uint16_t nb, uint32_t value,
		       uint32_t owner);
void holdback_free(struct holdback *hb);

/* Per-kind handlers: undo (abort, no trace) and expire (hold-back over). */
void port_undo(struct alloc *a, uint16_t nb, uint32_t owner, uint16_t port);
void port_expire(struct alloc *a, uint16_t nb, uint16_t port);
bool port_can_take(struct alloc *a, uint16_t nb, uint32_t n);
void port_nb_free(struct nb_state *n);
void spi_undo(struct alloc *a, uint16_t nb, uint32_t owner, uint32_t spi);
void block_undo(struct alloc *a, uint16_t nb, uint32_t owner, uint32_t idx);
void spi_expire(struct alloc *a, uint16_t nb, uint32_t spi);
void block_expire(struct alloc *a, uint16_t nb, uint32_t idx);
void spi_nb_free(struct nb_state *n);
bool spi_nb_clean(const struct nb_state *n);
bool spi_can_take(struct alloc *a, uint16_t nb, uint32_t owner, uint32_t k);
void addr_undo(struct alloc *a, uint16_t nb, uint32_t owner);
void addr_expire(struct alloc *a, uint16_t nb);
void id_expire(struct alloc *a, enum hb_kind kind, uint32_t id, uint64_t expire);
void id_set_free(struct id_set *s);
int id_selfcheck(const struct id_set *s);

/* Ports and SPIs refuse an Nb that is leased whole or held back as whole. */
static inline bool nb_whole_blocked(const struct nb_state *n)
{
	return n->whole_owner != 0 || n->whole_held;
}

static inline bool bit_test(const uint64_t *bm, uint32_t i)
{
	return (bm[i / 64] >> (i % 64)) & 1;
}

static inline void bit_set(uint64_t *bm, uint32_t i)
{
	bm[i / 64] |= (uint64_t)1 << (i % 64);
}

static inline void bit_clear(uint64_t *bm, uint32_t i)
{
	bm[i / 64] &= ~((uint64_t)1 << (i % 64));
}

#endif
