// SPDX-License-Identifier: BSD-2-Clause
/*
 * rsipd's use of the lease store: restore the engine from it at start (each
 * row validated on its own, an invalid one skipped with a warning naming
 * it), import a state.json left by an older rsipd, then follow the engine:
 * the hosts it reports changed are collected during an event-loop iteration
 * and written in one transaction at its end (store_follow_commit, before the
 * iteration's replies leave).
 */
#include "follow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "heap_thp.h"
#include "log.h"
#include "statefile.h"
#include "store.h"

struct store_follow {
	struct engine *e;
	struct store *s;
	char path[4096];
	uint32_t *dirty; /* Client IDs, duplicates allowed until the commit */
	size_t n, cap;
	/* Rewrite every row at the next commit: a dirty ID was lost, or a
	 * failed transaction's set outgrew STORE_FOLLOW_RETRY_MAX. */
	bool oom;
	/* spi_block_shift is in the store: written by the first commit only
	 * (it cannot change while rsipd runs), not a second page per commit. */
	bool meta_written;
	uint64_t commits, rows;
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_dirty(void *arg, uint32_t id)
{
	struct store_follow *f = arg;

	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 256;
		uint32_t *nd = realloc(f->dirty, ncap * sizeof(*nd));

		if (!nd) {
			f->oom = true;
			return;
		}
		f->dirty = nd;
		f->cap = ncap;
	}
	f->dirty[f->n++] = id;
}

static void mark_client(const struct engine_client_view *v, void *arg)
{
	on_dirty(arg, v->client_id);
}

/* ---- restore ---------------------------------------------------------------- */

struct load_ctx {
	struct store_follow *f;
	uint64_t wall;
	size_t skipped;
	int rc;
};

static int load_row(void *arg, int64_t client_id, const char *doc, size_t len)
{
	struct load_ctx *x = arg;
	char err[256] = "";
	int rc;

	rc = engine_state_restore_client_text(x->f->e, doc, len, x->wall, err, sizeof(err));
	heap_thp_follow(); /* the row's blocks may have grown the heap */
	if (rc == -ENOMEM) {
		x->rc = rc;
		return 1;
	}
	if (rc) {
		log_warnx("store %s: row client_id %lld: %s: skipped", x->f->path,
			  (long long)client_id, err);
		x->skipped++;
		/* Its row goes at the first commit: the store holds what runs. */
		if (client_id > 0 && client_id <= UINT32_MAX)
			on_dirty(x->f, (uint32_t)client_id);
	}
	return 0;
}

static int import_json(struct store_follow *f, const char *json_path)
{
	char done[4200];
	int rc;

	if (access(json_path, F_OK) < 0)
		return 0;
	log_info("store %s: first start: importing %s", f->path, json_path);
	rc = statefile_load_engine(f->e, json_path);
	if (rc < 0)
		return rc;
	engine_foreach_client(f->e, mark_client, f);
	rc = store_follow_commit(f);
	if (rc < 0)
		return rc;
	snprintf(done, sizeof(done), "%s.imported", json_path);
	if (rename(json_path, done) < 0)
		log_warn("store: renaming %s to %s", json_path, done);
	return 0;
}

/* What the metrics endpoint reports: the one store rsipd follows. */
static struct store_health health;

void store_follow_health(struct store_health *out)
{
	*out = health;
}

struct store_follow *store_follow_open(struct engine *e, const char *path, enum store_sync sync,
				       const char *import_path, int *rc)
{
	struct store_follow *f = calloc(1, sizeof(*f));
	struct load_ctx x = {.f = f, .wall = wall_ms()};
	char err[512];
	int shift;

	*rc = -ENOMEM;
	if (!f)
		return NULL;
	f->e = e;
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->s = store_open(path, sync, err, sizeof(err));
	if (!f->s) {
		log_warnx("store %s: %s (fix it, or move the file away to start afresh: every "
			  "client then registers again)",
			  path, err);
		*rc = -EIO;
		goto fail;
	}
	engine_set_dirty_hook(e, on_dirty, f);
	if (store_is_empty(f->s)) {
		*rc = import_path ? import_json(f, import_path) : 0;
		if (*rc < 0)
			goto fail;
	} else {
		*rc = store_load(f->s, load_row, &x, &shift, err, sizeof(err));
		if (*rc == 0)
			*rc = x.rc;
		if (*rc < 0) {
			log_warnx("store %s: %s (move the file away to start afresh: every client "
				  "then registers again)",
				  path, *rc == -ENOMEM ? "out of memory" : err);
			goto fail;
		}
		if (shift >= 0 && shift != engine_spi_block_shift(e)) {
			log_warnx("store %s: written with --spi-block %u, this rsipd runs with %u: "
				  "start with the old value, or move the store away (every client "
				  "then registers again)",
				  path, 1u << shift, 1u << engine_spi_block_shift(e));
			*rc = -EINVAL;
			goto fail;
		}
		log_info("store %s: %zu registration%s and %zu binding%s restored%s", path,
			 engine_n_clients(e), engine_n_clients(e) == 1 ? "" : "s",
			 engine_n_bindings(e), engine_n_bindings(e) == 1 ? "" : "s",
			 x.skipped ? " (invalid rows skipped: see above)" : "");
	}
	*rc = store_follow_commit(f);
	if (*rc < 0)
		goto fail;
	health.enabled = true;
	return f;
fail:
	store_follow_close(f);
	return NULL;
}

/* ---- following -------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* A failed transaction's Client IDs are kept for the next commit (they
 * are what the store lacks); past this many the next commit rewrites every
 * row instead. Why a bound: while the disk stays broken, hosts that come
 * and go add IDs every iteration (a deregistered host's ID is kept: its row
 * must go), so the kept set would grow with what remote parties do; 65536
 * IDs are 256 KiB, and a set that large costs about what the full rewrite
 * does anyway. */
#define STORE_FOLLOW_RETRY_MAX 65536

/* Sorted dirty IDs without duplicates (one row each). */
static void sort_unique(struct store_follow *f)
{
	size_t k = 0;

	qsort(f->dirty, f->n, sizeof(*f->dirty), cmp_u32);
	for (size_t i = 0; i < f->n; i++)
		if (!k || f->dirty[i] != f->dirty[k - 1])
			f->dirty[k++] = f->dirty[i];
	f->n = k;
}

/* One attempt: the rows of every dirty host (every host when all) in one
 * transaction. 0, or -errno with the transaction rolled back. */
static int write_rows(struct store_follow *f, bool all, uint64_t wall)
{
	int rc = 0;

	if (store_begin(f->s) < 0)
		return -EIO;
	if (all)
		rc = store_del_all(f->s);
	if (!rc && (!f->meta_written || all))
		rc = store_set_meta(f->s, "spi_block_shift", engine_spi_block_shift(f->e));
	for (size_t i = 0; !rc && i < f->n; i++) {
		const char *text;
		size_t len;
		int got;

		got = engine_state_client_text(f->e, f->dirty[i], wall, &text, &len);
		if (got > 0)
			rc = store_put(f->s, f->dirty[i], text, len);
		else if (got == 0)
			rc = store_del(f->s, f->dirty[i]);
		else
			rc = got;
		f->rows++;
	}
	if (rc) {
		store_rollback(f->s);
		return rc;
	}
	return store_commit(f->s); /* rolls back when it fails */
}

int store_follow_commit(struct store_follow *f)
{
	uint64_t wall;
	bool all;
	int rc;

	if (!f || (!f->n && !f->oom))
		return 0;
	all = f->oom;

	if (all) { /* an ID was lost: every row again, from scratch */
		f->oom = false;
		f->n = 0;
		engine_foreach_client(f->e, mark_client, f);
	}
	wall = wall_ms();
	sort_unique(f);
	rc = write_rows(f, all, wall);
	if (rc < 0 && rc != -ENOMEM) {
		/* Once more (docs/store.md, "When a write fails"): a transient
		 * error (a backup's lock beyond the busy timeout, an EINTR
		 * turned into an I/O error) costs one iteration nothing. */
		log_warnx("store %s: cannot write (%s): trying once more", f->path,
			  rc == -EIO ? store_error(f->s) : strerror(-rc));
		health.failures++;
		rc = write_rows(f, all, wall);
	}
	if (rc < 0) {
		/* Nothing is lost from memory, and the store still holds what it
		 * held before this transaction: only the rows in it are stale.
		 * Keep their IDs (the next iteration's changes are appended) so
		 * the next commit writes those rows and its own, not every row
		 * (at 100,000 hosts a 100,000-row transaction on the event
		 * loop). A failed full rewrite stays one (its DELETE of every
		 * row was rolled back too: rows of hosts gone since are only
		 * found by rewriting all); past the bound, the full rewrite.
		 * The caller sends none of this iteration's replies: they would
		 * claim what is not stored. */
		if (all || f->n > STORE_FOLLOW_RETRY_MAX) {
			f->oom = true;
			f->n = 0;
		}
		health.failures++;
		health.last_ok = false;
		log_warnx("store %s: cannot write: %s: this iteration's replies are not sent",
			  f->path, rc == -EIO ? store_error(f->s) : strerror(-rc));
		return rc;
	}
	health.rows += f->n;
	f->n = 0;
	f->meta_written = true;
	f->commits++;
	health.commits++;
	health.last_ok = true;
	return 0;
}

int store_follow_idle(struct store_follow *f)
{
	int rc;

	if (!f)
		return 0;
	rc = store_idle(f->s);
	if (rc < 0)
		log_warnx("store %s: %s (the WAL keeps growing until a checkpoint succeeds)",
			  f->path, store_error(f->s));
	return rc;
}

void store_follow_close(struct store_follow *f)
{
	if (!f)
		return;
	if (f->e)
		engine_set_dirty_hook(f->e, NULL, NULL);
	health.enabled = false;
	store_close(f->s);
	free(f->dirty);
	free(f);
}
