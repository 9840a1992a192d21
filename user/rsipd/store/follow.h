/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rsipd's use of the lease store (store.h): restore at start, import an old
 * state.json, then one transaction per event-loop iteration with the rows of
 * the hosts that changed in it.
 */
#ifndef RSIPD_STORE_FOLLOW_H
#define RSIPD_STORE_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct engine;
struct store_follow;

/* Open the store at path, restore the engine from it (or, when it is empty
 * and import_path names an existing state.json, import that and rename it
 * *.imported), and follow the engine from now on. NULL with *rc = -errno
 * after logging what is wrong and what to do (rsipd exits 1). */
struct store_follow *store_follow_open(struct engine *e, const char *path, enum store_sync sync,
				       const char *import_path, int *rc);
/* Write the rows of the hosts changed since the last commit, in one
 * transaction; a failed attempt is rolled back and tried once more. 0, or
 * -EIO (logged; the next commit writes the failed transaction's rows again
 * with its own, or every row past a bound): then the caller must not send
 * the iteration's replies (they describe what is not stored). */
int store_follow_commit(struct store_follow *f);
/* After the iteration's replies were sent: the WAL checkpoint, when due
 * (store_idle). */
int store_follow_idle(struct store_follow *f);
void store_follow_close(struct store_follow *f);

/* The followed store's health, for the metrics endpoint. */
struct store_health {
	bool enabled;	  /* a store is followed */
	bool last_ok;	  /* the last commit succeeded */
	uint64_t commits; /* transactions committed */
	uint64_t failures;
	uint64_t rows; /* rows written by the committed transactions */
};
void store_follow_health(struct store_health *out);

#endif
