/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The lease store's background checkpointer: a second SQLite connection to
 * the same file, on a thread of its own, that runs the PASSIVE checkpoints
 * store_idle asks for. A checkpoint copies the WAL's pages into the
 * database and, with synchronous=NORMAL, syncs both files (two fdatasync
 * of 0.3-12 ms each on the project VM); on rsipd's thread that stalled RSIP
 * for all hosts about sixty times a second at 30,000 transactions/s. A
 * PASSIVE checkpoint takes no lock a writer waits for, so rsipd's commits go
 * on meanwhile. Used by store.c only.
 */
#ifndef RSIPD_STORE_CHECKPOINTER_H
#define RSIPD_STORE_CHECKPOINTER_H

#include <stdbool.h>

struct checkpointer;

/* Opens the second connection (never through a symlink) and starts the
 * thread, with every signal blocked in it. NULL when either fails: the
 * caller then checkpoints on its own thread, as before. Call it after any
 * fork the process will make (rsipd --daemon): a thread does not survive
 * one. */
struct checkpointer *checkpointer_start(const char *path);

/* Asks for one checkpoint; false when one is still running (nothing is
 * queued then). */
bool checkpointer_request(struct checkpointer *c);

/* true while a requested checkpoint has not finished. */
bool checkpointer_busy(struct checkpointer *c);

/* Blocks until the requested checkpoint, if one runs, has finished. */
void checkpointer_wait(struct checkpointer *c);

/* The result of a checkpoint that finished since the last call: true, with
 * sqlite3_wal_checkpoint_v2's result (its extended code
 * when not SQLITE_OK) and its frame counts (frames in
 * the WAL, frames copied); false when none finished. */
bool checkpointer_result(struct checkpointer *c, int *rc, int *log, int *done);

/* Waits for a running checkpoint, ends the thread, closes the connection. */
void checkpointer_stop(struct checkpointer *c);

#endif
