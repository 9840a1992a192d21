/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Mirror a prefix of etcd: a full read, then a watch stream (POST /v3/watch
 * on the JSON gateway, one JSON object per line) from the revision after
 * it. Whenever the events cannot continue where they stopped - the revision
 * to resume from was compacted (the member answers canceled with
 * compact_revision, ErrCompacted) - the mirror starts again with a full
 * read, announced by reset(). A stream that ends (member stopped, connection
 * lost) resumes on the next endpoint from the last revision seen, so
 * nothing is missed and nothing is seen twice.
 *
 * A member that hangs (its process stopped, its kernel still holding the
 * connection open) ends nothing: a stream that has said nothing for
 * etcd_cfg.watch_idle_ms has its member probed - a serializable read of
 * one key on a second connection to that member, within the request
 * deadline (etcd_cfg.timeout_ms). No answer in time: the stream is ended
 * and resumed on the next endpoint, as if it had broken. The stream asks
 * for etcd's progress notifications too (progress_notify), so a member
 * run with --experimental-watch-progress-notify-interval shorter than the
 * idle time is never probed while it is well.
 *
 * Callbacks run inside etcd_watch_poll(); they must not call the watch.
 */
#ifndef RSIPD_ETCD_WATCH_H
#define RSIPD_ETCD_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "etcd_client.h"

struct etcd_watch_ops {
	/* Forget every key under the prefix: a full read at revision rev
	 * follows, as put() calls. */
	void (*reset)(void *arg, int64_t rev);
	/* A key was created or changed (full read or event). */
	void (*put)(void *arg, const struct etcd_kv *kv);
	/* A key was deleted; kv->mod_rev is the revision of the deletion and
	 * the value is empty. */
	void (*del)(void *arg, const struct etcd_kv *kv);
	/* Optional: a full read is complete (every put since reset() made);
	 * what reset() left unconfirmed is gone from etcd. */
	void (*synced)(void *arg, int64_t rev);
};

struct etcd_watch;

/* Uses e for the full reads (and its endpoints and TLS options for the
 * stream, on a connection of its own). Nothing is read before the first
 * poll. NULL: no memory. */
struct etcd_watch *etcd_watch_new(struct etcd *e, const char *prefix,
				  const struct etcd_watch_ops *ops, void *arg);
void etcd_watch_free(struct etcd_watch *w);

/* Do what is due for up to timeout_ms (a full read when needed, then
 * events as they arrive); returns once something was delivered or the time
 * is up: the number of callbacks made (>= 0), or -errno when etcd could
 * not be reached (etcd_error(e) says why; call again later: it retries
 * from the next endpoint). */
int etcd_watch_poll(struct etcd_watch *w, int timeout_ms);

struct etcd_watch_stats {
	int64_t rev;	     /* everything up to this revision is applied */
	uint64_t full_reads; /* the first one included */
	uint64_t compacted;  /* resumes refused because of a compaction */
	uint64_t reconnects; /* streams that ended and were opened again */
	uint64_t probes;     /* a silent stream's member asked whether it lives */
	uint64_t hung;	     /* ... which did not answer in time: stream moved */
	uint64_t events;
	bool streaming;
	const char *endpoint; /* where the stream goes now */
	const char *ended;    /* why the last stream ended ("": none yet) */
};
void etcd_watch_stats(const struct etcd_watch *w, struct etcd_watch_stats *st);

#endif
