/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of the cluster claims (claims.h), shared by claims*.c only: the
 * object and the table of every claim known (this gateway's, from its own
 * commits; the others', from the watch and from conflicts).
 */
#ifndef RSIPD_CLUSTER_CLAIMS_INT_H
#define RSIPD_CLUSTER_CLAIMS_INT_H

#include <stdbool.h>
#include <stdint.h>

/* uthash exits when malloc fails unless told otherwise: a table that cannot
 * grow here only means a resource is learnt later (by a conflict). */
extern bool claims_hash_oom;
#define HASH_NONFATAL_OOM	 1
#define uthash_nonfatal_oom(obj) (claims_hash_oom = true)
#include "hash32.h"

#include "claims.h"
#include "store/etcd_watch.h"

#define CLAIM_GW_MAX  32
#define CLAIM_KEY_MAX 160
#define CLAIM_VAL_MAX (CLAIM_GW_MAX + 10)
#define CLAIM_RETRIES 8 /* allocations tried before giving up */

struct claim_rec {
	char key[CLAIM_KEY_MAX]; /* the whole etcd key */
	struct claim cl;
	bool mine;   /* claimed by this gateway */
	bool pinned; /* another gateway's, held in the local allocator */
	bool stale;  /* not (yet) confirmed by the full read under way */
	int64_t rev; /* mod revision (or own commit revision) */
	UT_hash_handle hh;
};

struct claims {
	struct etcd *e;
	char prefix[96];
	char gw[CLAIM_GW_MAX + 1];
	struct alloc *a;
	uint8_t shift; /* SPI block: spi >> shift */
	struct etcd_watch *w;
	struct claim_rec *recs;
	struct claim_list pending; /* own deletions waiting for etcd */
	/* The fence: every claim txn also compares the mod revision of
	 * PREFIX gw/GATEWAY/fence with fence_rev. After a txn whose outcome
	 * is unknown (timeout), the fence is rewritten before anything else,
	 * so that txn can no longer apply late; 0: rewrite it first. */
	char fence[CLAIM_KEY_MAX];
	int64_t fence_rev;
	struct claims_stats st;
};

/* "GATEWAY OWNER" */
void claims_value(const struct claims *c, uint32_t owner, char *buf, size_t len);
/* Parse a key under the claims prefix and its value; false if it is not
 * one of ours in form (ignored, logged at debug level). */
bool claims_parse(const struct claims *c, const char *key, const char *val, struct claim *cl,
		  char gw[CLAIM_GW_MAX + 1]);
struct claim_rec *claims_rec_find(struct claims *c, const char *key);

/* The mirror (claims_mirror.c): apply a key seen in etcd (watch, full read,
 * conflict) or its deletion. Must not run inside an allocator transaction. */
void claims_learn_put(struct claims *c, const char *key, const char *val, int64_t rev);
void claims_learn_del(struct claims *c, const char *key, int64_t rev);
/* Record this gateway's own claim / forget it. */
void claims_own_add(struct claims *c, const struct claim *cl, int64_t rev);
void claims_own_del(struct claims *c, const struct claim *cl);
extern const struct etcd_watch_ops claims_watch_ops;

#endif
