/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The lease store: what the engine must keep across a restart, one row per
 * registered host (its registration, bindings, leases and last reply, the
 * engine's own per-client record, engine/snapshot.c) in an embedded SQLite
 * database in WAL mode (docs/store.md says why SQLite and how to inspect and
 * back it up).
 *
 * Cost follows the change: the engine reports the hosts a message or a timer
 * changed; the rows of one event-loop iteration go into one transaction,
 * committed before that iteration's replies leave (group commit, the caller
 * holds them back). Durability: synchronous=NORMAL in WAL survives a kill -9
 * of rsipd (a commit is in the OS before a reply is sent); STORE_SYNC_FULL
 * also survives a power loss (an fsync per commit).
 */
#ifndef RSIPD_STORE_H
#define RSIPD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

enum store_sync { STORE_SYNC_NORMAL = 0, STORE_SYNC_FULL };

/* Open or create the store at path: its directory must be a directory
 * owned by root (or by us) that nobody else may write, the file is created
 * 0600, and neither is opened through a symlink. NULL with a message in err
 * saying what to do. */
struct store *store_open(const char *path, enum store_sync sync, char *err, size_t errlen);
void store_close(struct store *s);

/* True when the store holds no state yet (a first start: import). */
bool store_is_empty(struct store *s);

/* Every row, in Client ID order: cb gets the Client ID and the row's text
 * (the engine's JSON record); a cb that returns non-zero stops the walk.
 * Then the meta value spi_block_shift (-1 when absent). 0 or -EIO (err). */
typedef int (*store_row_cb)(void *arg, int64_t client_id, const char *doc, size_t len);
int store_load(struct store *s, store_row_cb cb, void *arg, int *spi_block_shift, char *err,
	       size_t errlen);

/* Group commit: begin opens the iteration's transaction (nothing when one
 * is open); put/del write one host's row; commit ends it. -EIO on a failed
 * write (logged by the caller; the transaction is rolled back). */
int store_begin(struct store *s);
int store_put(struct store *s, uint32_t client_id, const char *doc, size_t len);
int store_del(struct store *s, uint32_t client_id);
int store_del_all(struct store *s); /* before rewriting every row */
int store_set_meta(struct store *s, const char *key, int64_t value);
int store_commit(struct store *s);
/* Ends the open transaction without its writes (nothing when none is). */
void store_rollback(struct store *s);
bool store_in_txn(const struct store *s);

/* The WAL is checkpointed from here, never inside a commit (SQLite's
 * autocheckpoint is off: it ran in the commit, before the iteration's
 * replies left). Call it after the replies were sent. Once the WAL holds
 * STORE_CHECKPOINT_PAGES frames not yet copied, it asks the background
 * checkpointer (checkpointer.h) for a PASSIVE checkpoint and returns: the
 * copy and its syncs run on another thread while rsipd commits. Under a
 * steady stream of commits the WAL then never restarts by itself (a
 * checkpoint ends where the WAL was when it began, and more came since), so
 * at STORE_CHECKPOINT_MAX_PAGES rsipd's thread checkpoints what is left
 * itself, and the next commit writes the WAL from its start again: the WAL
 * stays under about STORE_CHECKPOINT_MAX_PAGES pages (4 KiB each). Without
 * the checkpointer (its thread or connection could not start) every
 * checkpoint runs here, at STORE_CHECKPOINT_PAGES. A reader holding old
 * frames (a backup) makes a checkpoint stop short; a later call tries
 * again. 1 when it checkpointed or asked for one, 0 when not needed, -EIO
 * on an error (also one of a background checkpoint). */
#define STORE_CHECKPOINT_PAGES	   1000
#define STORE_CHECKPOINT_MAX_PAGES 8000
int store_idle(struct store *s);
/* Checkpoints finished in the background and run on rsipd's thread. */
void store_checkpoints(const struct store *s, unsigned *background, unsigned *foreground);
int store_wal_frames(const struct store *s); /* frames in the WAL now */
/* Why the last operation that returned -EIO failed: the statement or
 * checkpoint and what SQLite said, with its extended result code. */
const char *store_error(const struct store *s);

#endif
