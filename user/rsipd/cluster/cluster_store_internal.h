/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of the cluster store (cluster_store.h), shared by
 * cluster_store.c (writes, role, status) and cluster_mirror.c (the watch
 * applied to the engine) only.
 */
#ifndef RSIPD_CLUSTER_STORE_INT_H
#define RSIPD_CLUSTER_STORE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "hash32.h"

struct json_tokener;

#include "cluster_store.h"
#include "commit_stats.h"
#include "store/etcd_client.h"
#include "store/etcd_watch.h"

/* A host's key as this gateway last wrote or applied it: an event with the
 * same mod revision is its own write coming back, or a full read of what
 * is already in place (neither touches the engine). */
struct cs_row {
	uint32_t id;
	int64_t rev;
	bool seen;	/* confirmed by the full read under way */
	bool unapplied; /* its last version could not be mirrored (cs->unapplied) */
	char *retry;	/* ... that version, tried again every second (cs_mirror_retry) */
	size_t retry_len;
	UT_hash_handle hh;
};

/* A live gateway: its PREFIX members/NAME key exists (under its lease). */
struct cs_member {
	char name[33];
	UT_hash_handle hh;
};

struct cs_learned;
struct cs_batch;
struct cs_txn;
struct etcd_async;
struct ev_loop;

#define CS_TXN_OPS 100 /* per transaction: etcd's --max-txn-ops is 128 */
/* The most transactions in flight --etcd-inflight allows (docs/cluster.md,
 * "Pipelined commits"); cs->max_inflight is the gateway's own. */
#define CS_MAX_INFLIGHT 16

struct cluster_store {
	struct engine *eng;
	struct cs_learned *learned; /* NULL: the data plane learns nothing */
	struct etcd *e;
	struct etcd_watch *w;
	char prefix[96];
	char bind_prefix[112]; /* PREFIX "bind/" */
	char member_key[160];  /* PREFIX "members/" NAME */
	char fence_key[112];   /* PREFIX "active" (cluster_fence.c) */
	char gateway[33];
	bool active; /* holds the fence and has applied everything before it */
	/* The fence (cluster_fence.c). */
	bool want;	     /* the role says MASTER (or there is no role file) */
	bool edge;	     /* want rose: take the fence even from a live holder */
	int64_t fence_rev;   /* mod revision of fence_key as this gateway wrote it; 0: none */
	char holder[33];     /* who holds it, as the watch says; "": nobody */
	int64_t holder_rev;  /* its mod revision */
	bool fenced;	     /* a write was refused, or the fence moved away */
	bool synced;	     /* the watch's full read is complete */
	bool granted;	     /* something was lent since the last commit that worked */
	bool fence_stale;    /* a write may land late: renew the fence before the next */
	size_t unapplied;    /* rows whose last version the mirror refused */
	bool said_unapplied; /* ... and that was logged as keeping this gateway standby */
	char said[33];	     /* the holder last logged as keeping this gateway standby */
	struct cs_member *members;
	uint64_t fence_refused, takeovers;
	bool applying;		  /* the mirror is changing the engine: not a change to write */
	struct json_tokener *tok; /* the mirror's, reset for every record (cluster_mirror.c) */
	struct cs_row *rows;
	uint32_t *dirty; /* Client IDs changed since the last commit */
	size_t n, cap;
	bool dirty_lost; /* out of memory: write every host next time */
	/* health */
	uint64_t commits, commit_failures, applied, apply_failures, dropped;
	int64_t last_commit_rev;
	uint64_t last_ok_ms; /* CLOCK_MONOTONIC of the last request that worked */
	bool last_ok;	     /* false: etcd away, allocations refused, back-off */
	uint64_t retry_at, backoff_ms;
	uint64_t refused; /* allocations refused while etcd was away */
	/* Pipelined commits (cluster_commit.c). */
	struct ev_loop *loop;
	struct etcd_async *async; /* NULL: no loop, every commit blocks */
	int timer_fd;
	struct cluster_store_replies replies;
	struct cs_batch *batches;	     /* replies waiting for their commit, in order */
	struct cs_txn *txn[CS_MAX_INFLIGHT]; /* in flight, in the order sent */
	size_t max_inflight;		     /* --etcd-inflight: at most this many */
	size_t n_txn;
	uint64_t started_seq, committed_seq; /* of the transactions sent / settled ok */
	bool settling;			     /* completions are only marked (re-entry) */
	size_t fail_streak;		     /* transactions failed in a row */
	size_t inflight_max;		     /* the most in flight at once */
	struct cs_commit_stats cstats;	     /* hosts, latencies, waits (status) */
	/* A write was refused by the fence: standby now, every host read
	 * again (cluster_store.c's demote, called from cluster_commit.c). */
	void (*demote_fenced)(struct cluster_store *cs);
	/* What was last logged of where requests and the watch go. */
	uint64_t said_failovers, said_reconnects;
	int64_t member_lease;
	bool member_stale; /* the member key must be written (new lease, new role) */
	uint64_t member_due_ms;
};

uint64_t cs_now_ms(void);  /* CLOCK_MONOTONIC ms */
uint64_t cs_now_us(void);  /* CLOCK_MONOTONIC us */
uint64_t cs_wall_ms(void); /* CLOCK_REALTIME ms: the records' times */
struct cs_row *cs_row_get(struct cluster_store *cs, uint32_t id, bool create);
/* A row's last version mirrored (value NULL) or not (value: that version,
 * kept to be tried again): a gateway that does not know every resource etcd
 * records must not take the fence (cs->unapplied). */
void cs_row_set_unapplied(struct cluster_store *cs, struct cs_row *r, const char *value,
			  size_t len);
/* Try the rows that could not be mirrored again (a standby, once a second):
 * what refused them may have passed - the hold-back of a resource the
 * active released a moment before this gateway heard of it and lent again
 * once its own hold-back ended. */
void cs_mirror_retry(struct cluster_store *cs);
void cs_row_del(struct cluster_store *cs, uint32_t id);
/* A request worked / etcd did not answer (logged once per outage; the
 * next probe waits 0.5 s, doubling to 4 s). cluster_rows.c. */
void cs_ok(struct cluster_store *cs);
void cs_failed(struct cluster_store *cs);
bool cs_is_dirty(const struct cluster_store *cs, uint32_t id);
/* Add id to the hosts to write; sort them, once each (cluster_rows.c). */
void cs_mark_dirty(struct cluster_store *cs, uint32_t id);
void cs_dirty_unique(struct cluster_store *cs);
/* PREFIX bind/HEX8 of a Client ID. */
void cs_key_of(const struct cluster_store *cs, uint32_t id, char *buf, size_t len);

/* Pipelined commits (cluster_commit.c). open: with a loop, commits are
 * sent without waiting (else every commit blocks). drain: let what is in
 * flight settle (bounded), before a synchronous commit. settle: every
 * waiting batch leaves (committed) or, when it lent, is dropped (not);
 * drop: every waiting batch dropped. */
int cs_commit_open(struct cluster_store *cs, struct ev_loop *loop,
		   const struct cluster_store_replies *replies);
void cs_commit_close(struct cluster_store *cs);
void cs_commit_drain(struct cluster_store *cs);
/* Fenced: every transaction in flight ended unanswered, its hosts marked
 * changed (to be dropped by the demotion). */
void cs_commit_abandon(struct cluster_store *cs);
void cs_batches_settle(struct cluster_store *cs, bool committed);
void cs_batches_drop(struct cluster_store *cs);
/* PREFIX bind/HEX8 -> the Client ID; 0 when the key is not one. cluster_rows.c. */
uint32_t cs_key_id(const struct cluster_store *cs, const char *key, size_t len);

/* The fence (cluster_fence.c): PREFIX "active" names the one gateway whose
 * writes etcd takes; every write transaction compares its mod revision. */
bool cs_fence_key(const struct cluster_store *cs, const char *key, size_t len);
/* The watch saw the fence key (put or deleted) / a members/ key. */
void cs_fence_seen(struct cluster_store *cs, const struct etcd_kv *kv, bool deleted);
bool cs_member_seen(struct cluster_store *cs, const struct etcd_kv *kv, bool deleted);
/* A full read starts: forget the holder and the members (it brings them). */
void cs_fence_reset(struct cluster_store *cs);
/* The comparison every write transaction carries. */
struct etcd_cmp cs_fence_cmp(const struct cluster_store *cs);
/* After a write whose outcome is unknown (a deadline passed, a transaction
 * cancelled): write the fence key again (same value, compared with its
 * revision), so that the old write, should it land later, is refused by
 * the comparison instead of putting older records over newer ones. 0;
 * -EPERM another gateway holds it (counted and logged); -errno etcd did
 * not answer (fence_stale stays set). Blocks. */
int cs_fence_renew(struct cluster_store *cs);
/* Whether the fence may be taken without a rise to MASTER: nobody holds
 * it, it names this gateway (a restart), or its holder's member key is gone. */
bool cs_fence_free_to_take(struct cluster_store *cs);
/* Take it (compare-and-swap on what the watch saw), then wait a bounded
 * time for the watch to apply everything up to it: 1 taken and applied
 * (promote now), 0 not taken, or taken and cs_fence_ready not yet. */
int cs_fence_take(struct cluster_store *cs);
/* Taken earlier: has the watch got there (and nobody taken it since)? */
bool cs_fence_ready(struct cluster_store *cs);
/* Log once per holder that the role says MASTER but another holds it. */
void cs_fence_standby_note(struct cluster_store *cs);
/* Why a gateway with rows it could not mirror stays standby, said once. */
void cs_fence_unapplied_note(struct cluster_store *cs);
/* Give the fence back (this gateway holds it and leaves the role). */
void cs_fence_release(struct cluster_store *cs);
void cs_fence_free(struct cluster_store *cs);

/* Learned entries (cluster_learned.c): PREFIX learned/... published by the
 * active gateway (rate-bounded), mirrored by the standbys. */
struct dataplane;
struct json_object;
struct cs_learned *cs_learned_new(struct dataplane *dp, const char *prefix, const char *gateway,
				  uint32_t rate);
void cs_learned_free(struct cs_learned *L);
bool cs_learned_key(const struct cluster_store *cs, const char *key, size_t len);
/* The watch saw a learned key (put or deleted): a standby writes it. */
void cs_learned_seen(struct cluster_store *cs, const struct etcd_kv *kv, bool deleted);
/* A full read starts / is complete (what it did not bring goes). */
void cs_learned_reset(struct cluster_store *cs);
void cs_learned_synced(struct cluster_store *cs);
/* Active: publish what changed, once an interval, within the rate;
 * standby: write what waited for the restore. Never blocks longer than its
 * transactions. */
void cs_learned_poll(struct cluster_store *cs);
struct json_object *cs_learned_status(const struct cluster_store *cs);

extern const struct etcd_watch_ops cs_watch_ops;

#endif
