/* SPDX-License-Identifier: BSD-2-Clause */
/* dpx internals: the in-memory mirror of clients and bindings, entry sets
 * and the undo journal. Only user/rsipd/dpx_*.c include this. */
#ifndef RSIPD_DPX_INT_H
#define RSIPD_DPX_INT_H

#include <stddef.h>

#include <linux/bpf.h> /* BPF_ANY, BPF_NOEXIST, BPF_EXIST */

#include "bind_slots.h"
#include "maps.h"

/* The mirror's two tables (uthash), each keyed by one uint32_t: a client's
 * address, a Bind ID. A search tree (tsearch) visits ~17 nodes per look-up
 * at 100k clients, each a cache miss at a restart; a hash one or two, and it
 * allocates no node per entry. Hosts pick their addresses (inside --allow),
 * so the hash is seeded per process (uthash's Jenkins is not): nobody can
 * aim their entries at one bucket. uthash calls exit() when malloc fails
 * unless told otherwise: the hook raises dpx_hash_oom, which the adds read. */
extern bool dpx_hash_oom;
#define HASH_NONFATAL_OOM	 1
#define uthash_nonfatal_oom(obj) (dpx_hash_oom = true)
#include "hash32.h"

#define DPX_KEY_MAX 16
#define DPX_VAL_MAX 64

struct dpx_client;

struct dpx_bind {
	struct dpx_bind *next; /* the client's bindings, oldest first */
	struct dpx_client *c;
	struct binding_rec *r; /* our copy of the engine's record */
	uint32_t bind_id;      /* r->bind_id: the key of dpx.binds */
	uint32_t slot;	       /* rsip_bind_stats slot; 0: uncounted, or restoring */
	UT_hash_handle hh;
};

struct dpx_client {
	uint32_t client_id;
	struct in_addr xa;
	uint8_t mac[6];
	uint32_t ifindex;
	uint32_t cookie_cap;
	uint32_t slot; /* rsip_bind_stats slot of its traffic out; 0: uncounted, or restoring */
	struct dpx_bind *binds;
	/* Restore mode: set_link / set_cookie_cap were called (else the live
	 * entry's values). */
	bool link_known, cap_known;
	UT_hash_handle hh; /* dpx.clients, keyed by xa */
};

struct dpx {
	struct dpx_maps m;
	struct dpx_config cfg;
	const struct dpx_map_ops *ops;
	struct dpx_client *clients; /* by Xa */
	struct dpx_bind *binds;	    /* by Bind ID */
	size_t nclients;
	struct in_addr *pool;
	bool *pool_ports; /* pool place i has rsip_port_dir partition i (map_dir.c) */
	size_t npool, pool_cap;
	struct bind_slots slots;  /* rsip_bind_stats slots held by bindings */
	uint64_t slots_uncounted; /* bindings and clients given slot 0: none free */
	bool restoring;
};

/* One map entry: what a client's state asks for, or what the journal must
 * put back. cfg_len: the leading bytes that are configuration (compared;
 * the rest are counters the programs own). */
struct dpx_entry {
	int fd;
	uint8_t klen, vlen, cfg_len;
	bool had_old; /* journal: an entry existed before (old value in val) */
	uint8_t key[DPX_KEY_MAX];
	uint8_t val[DPX_VAL_MAX];
};

struct dpx_set {
	struct dpx_entry *e;
	size_t n, cap;
};

/* dpx_txn.c: map access through the ops, the journal, entry sets. */
int dpx_lookup(struct dpx *x, int fd, const void *key, void *val);
int dpx_next_key(struct dpx *x, int fd, const void *key, void *next);
int dpx_raw_update(struct dpx *x, int fd, const void *key, const void *val, uint64_t flags);
int dpx_raw_delete(struct dpx *x, int fd, const void *key);

struct dpx_txn {
	struct dpx *x;
	struct dpx_set undo;
};
void txn_begin(struct dpx_txn *t, struct dpx *x);
/* Writes key -> val unless the live entry's first cfg_len bytes equal val's;
 * a rewrite keeps the live counters (the bytes after cfg_len). */
int txn_put(struct dpx_txn *t, const struct dpx_entry *e);
/* Deletes key if present. */
int txn_del(struct dpx_txn *t, int fd, const void *key, unsigned int klen, unsigned int vlen);
void txn_abort(struct dpx_txn *t);
void txn_commit(struct dpx_txn *t);

struct dpx_entry *set_add(struct dpx_set *s, int fd, const void *key, unsigned int klen,
			  const void *val, unsigned int vlen, unsigned int cfg_len);
void set_sort(struct dpx_set *s);
const struct dpx_entry *set_find(const struct dpx_set *s, int fd, const void *key,
				 unsigned int klen);
void set_free(struct dpx_set *s);

/* map_batch.c: whole maps and many entries at once (bpf_map_*_batch when the
 * ops have them). dpx_dump appends every entry of fd to out (unsorted);
 * write_all / delete_all take a set sorted by map (set_sort). */
int dpx_dump(struct dpx *x, int fd, unsigned int klen, unsigned int vlen, unsigned int cfg_len,
	     struct dpx_set *out);
int dpx_write_all(struct dpx *x, const struct dpx_set *s);
int dpx_delete_all(struct dpx *x, const struct dpx_set *s);

/* map_dir.c: the SPI directory (rsip/spi_dir.h). An array has no absent
 * keys: a slot with nb 0 is empty, and the calls above treat it as absent
 * (lookup -ENOENT, dump skips it, delete writes zeros). */
bool dir_on(const struct dpx *x);
bool dir_is(const struct dpx *x, int fd);
/* The slot of nb's owned block, when it is in nb's partition (nb's place in
 * the pool; dpx_nb_del leaves the places of the others as they are). */
bool dir_slot(const struct dpx *x, struct in_addr nb, uint32_t block, uint32_t *slot);
bool dir_empty(const void *val);
/* Leased ports by index: the rsip_port_dir key of nb's port, when nb has a
 * partition (x->pool_ports, given by dpx_nb_add in maps.c). */
bool port_dir_on(const struct dpx *x);
bool dir_port(const struct dpx *x, struct in_addr nb, uint16_t port, uint32_t *idx);

/* dpx_entries.c: the entries a client's bindings ask for (ports, SPIs, SPI
 * blocks, the whole-Nb target; not the client entry) and the client entry. */
int client_entries(struct dpx *x, const struct dpx_client *c, struct dpx_set *out);
void client_value(const struct dpx *x, const struct dpx_client *c, struct rsip_client *v);
void binding_target(const struct dpx_client *c, const struct dpx_bind *b, struct rsip_target *t);
bool nb_in_pool(const struct dpx *x, struct in_addr nb);
/* Moves the maps from `before` to `after` (both sorted): puts first, then
 * deletes, so traffic never sees a gap (e.g. an SPI block replaced by
 * single SPIs). A key of rsip_nb that goes away reverts to a shared Nb when
 * the Nb is in the pool. */
int apply_diff(struct dpx_txn *t, const struct dpx_set *before, const struct dpx_set *after);
/* Appends c's entries and its client entry to out (unsorted; client_entries
 * sorts only the small scratch set, so claiming every client stays linear). */
int client_claims(struct dpx *x, const struct dpx_client *c, struct dpx_set *scratch,
		  struct dpx_set *out);
/* Writes the client entry (restore mode: nothing, restore_end does). */
int put_client(struct dpx_txn *t, struct dpx_client *c);

/* map_sweep.c: adds to a client's learned count (rsip_client.cookies)
 * through the rsip_learned program (bpf/learned.h): a compare-and-swap in
 * the kernel, so an increment the LAN program makes meanwhile is never lost.
 * Each half (RSIP_LEARNED_*) stays within 0..RSIP_LEARNED_CAP_MAX; with cap,
 * an add over the client's cookie_cap is refused (-EDQUOT), the LAN rules'
 * own cap rule (rules/learned.h). No client entry: -ENOENT, nothing. */
int learned_count_add(struct dpx *x, __be32 xa, int d_cookies, int d_out, bool cap);
/* map_learned_ike.c: an rsip_ike entry from outside against its host's
 * rsip_client value: NULL when the LAN rules could have written it, else
 * what is wrong. */
const char *dpx_ike_misfit(const struct rsip_client *v, const struct dp_learned *l);

/* map_bind_stats.c: the counter slot of a binding or a client. slot_take
 * gives *slot a free slot with its per-CPU values zeroed, or slot 0 when
 * none is free (uncounted: counted in dpx.slots_uncounted, never an error
 * for the host; what and id name the holder in the log); 0, or -errno when
 * zeroing failed. slot_put gives it back and sets *slot to 0. (A restart's
 * bindings and clients take the slots their live entries carry:
 * map_restore.c.) */
int slot_take(struct dpx *x, uint32_t *slot, const char *what, uint32_t id);
/* slot_take for many at once: the slot is taken, its values are not zeroed
 * until the caller passes it to slots_zero (batched writes); slot 0 is
 * never zeroed. Always 0. */
int slot_take_unzeroed(struct dpx *x, uint32_t *slot, const char *what, uint32_t id);
int slots_zero(struct dpx *x, const uint32_t *slots, size_t n);
void slot_put(struct dpx *x, uint32_t *slot);
/* A slot's packets and bytes summed over the CPUs. */
int slot_read(struct dpx *x, uint32_t slot, uint64_t *pkts, uint64_t *bytes);

/* dpx.c */
struct dpx_client *find_client(struct dpx *x, struct in_addr xa);
/* Learned entries of c get its current link (after a MAC move). */
int learned_relink(struct dpx *x, struct dpx_client *c);
struct dpx_bind *find_bind(struct dpx *x, uint32_t bind_id);

#endif
