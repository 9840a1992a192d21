// SPDX-License-Identifier: BSD-2-Clause
/*
 * The lease store on SQLite (store.h). One table of hosts keyed by Client
 * ID, one of meta values; prepared statements; WAL so readers (sqlite3 on
 * the command line, a backup) never block rsipd.
 */
#include "store.h"

#include "checkpointer.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_SCHEMA 1

struct store {
	sqlite3 *db;
	/* Prepared once: BEGIN and COMMIT through sqlite3_exec were parsed
	 * again for every loop iteration's transaction. */
	sqlite3_stmt *put, *del, *meta, *begin, *commit, *rollback;
	/* A read of the schema row left open between commits: it keeps the
	 * connection's read transaction (the file's shared lock and a WAL read
	 * mark), so a commit takes and drops only the WAL write lock (2 lock
	 * calls, not 6) and the page cache is not checked again for changes
	 * by others (rsipd is the only writer). Ended for a checkpoint. */
	sqlite3_stmt *reader;
	bool in_txn;
	/* Frames in the WAL after the last commit (the WAL hook): store_idle
	 * checkpoints once it reaches STORE_CHECKPOINT_PAGES. */
	int wal_frames;
	/* Counts the WAL's restarts (a commit that found it shorter than the
	 * last one): a background result from before one says nothing now. */
	unsigned wal_gen;
	/* Started by the first checkpoint store_idle needs, not at open:
	 * rsipd --daemon forks after opening the store, and a thread does not
	 * survive a fork. NULL once tried: every checkpoint on rsipd's thread. */
	struct checkpointer *ck;
	bool ck_tried;
	char *path;
	unsigned ck_gen; /* wal_gen when the running one was asked for */
	int ck_copied;	 /* frames of this WAL the background ones copied */
	unsigned n_background, n_foreground;
	/* What the last failed statement or checkpoint said (store_error):
	 * "Input/output error" alone told an operator nothing. */
	char last_err[200];
};

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The directory: created 0700 if missing; it must be a real directory
 * (not a symlink) owned by root or by us and writable by nobody else, or a
 * local user could swap the database under rsipd. */
static int check_dir(const char *path, char *err, size_t errlen)
{
	char copy[PATH_MAX], *dir;
	struct stat st;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy)) {
		errf(err, errlen, "path too long");
		return -ENAMETOOLONG;
	}
	dir = dirname(copy);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		errf(err, errlen, "cannot create the directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st) < 0) {
		errf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		errf(err, errlen,
		     "%s must be a directory owned by root that only its owner may write "
		     "(chown root %s; chmod go-w %s), not a symlink",
		     dir, dir, dir);
		return -EPERM;
	}
	return 0;
}

/* Create the file 0600 without following a symlink; an existing file must
 * be a regular file of ours. */
static int check_file(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		errf(err, errlen, "cannot open %s: %s%s", path, strerror(errno),
		     errno == ELOOP ? " (a symlink: rsipd never follows one here)" : "");
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 077)) {
		close(fd);
		errf(err, errlen, "%s must be a regular file owned by root, mode 0600", path);
		return -EPERM;
	}
	close(fd);
	return 0;
}

static int exec(struct store *s, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		errf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

/* Remembers why an operation failed, with SQLite's extended code (which of
 * SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_FSYNC... it was). */
static void failed(struct store *s, const char *what, int rc, const char *msg)
{
	snprintf(s->last_err, sizeof(s->last_err), "%s: %s (SQLite code %d)", what,
		 msg ? msg : sqlite3_errstr(rc), rc);
}

static int step_reset(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	/* A rollback after a failure keeps the failure's reason. */
	if (rc != SQLITE_DONE && st != s->rollback)
		failed(s, sqlite3_sql(st), sqlite3_extended_errcode(s->db), sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int schema(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0, rc;

	if (exec(s,
		 "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
		 "CREATE TABLE IF NOT EXISTS clients (client_id INTEGER PRIMARY KEY, "
		 "doc TEXT NOT NULL);",
		 err, errlen))
		return -EIO;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'schema'", -1, &st,
			       NULL) != SQLITE_OK) {
		errf(err, errlen, "%s", sqlite3_errmsg(s->db));
		return -EIO;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		errf(err, errlen, "%s", sqlite3_errmsg(s->db));
		return -EIO;
	}
	if (version > STORE_SCHEMA) {
		errf(err, errlen, "schema version %d, this rsipd knows %d (a newer rsipd wrote it)",
		     version, STORE_SCHEMA);
		return -EINVAL;
	}
	return exec(s, "INSERT OR IGNORE INTO meta VALUES ('schema', 1);", err, errlen);
}

/* The WAL starts again from its first frame: what the background
 * checkpoints copied of the old one says nothing about the new one. */
static void wal_restarted(struct store *s)
{
	s->wal_gen++;
	s->ck_copied = 0;
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *s = arg;

	(void)db;
	(void)name;
	if (frames < s->wal_frames)
		wal_restarted(s);
	s->wal_frames = frames;
	return SQLITE_OK;
}

/* Keep the read transaction open (the reader statement stopped on its
 * row). A failed write may have aborted it (SQLite rolls back every
 * statement after an I/O error): then it is taken again. Without it the
 * store still works, at the old cost per commit. */
static void hold_read(struct store *s)
{
	if (sqlite3_stmt_busy(s->reader))
		return;
	sqlite3_reset(s->reader);
	if (sqlite3_step(s->reader) != SQLITE_ROW)
		sqlite3_reset(s->reader);
}

static void drop_read(struct store *s)
{
	sqlite3_reset(s->reader);
}

struct store *store_open(const char *path, enum store_sync sync, char *err, size_t errlen)
{
	struct store *s;

	if (check_dir(path, err, errlen) || check_file(path, err, errlen))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		errf(err, errlen, "%s", s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 2000); /* a backup holding a lock */
	if (exec(s, "PRAGMA journal_mode = WAL;", err, errlen) ||
	    exec(s,
		 sync == STORE_SYNC_FULL ? "PRAGMA synchronous = FULL;"
					 : "PRAGMA synchronous = NORMAL;",
		 err, errlen) ||
	    exec(s, "PRAGMA quick_check;", err, errlen) || schema(s, err, errlen))
		goto fail;
	if (sqlite3_prepare_v3(s->db, "INSERT OR REPLACE INTO clients VALUES (?, ?)", -1,
			       SQLITE_PREPARE_PERSISTENT, &s->put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "DELETE FROM clients WHERE client_id = ?", -1,
			       SQLITE_PREPARE_PERSISTENT, &s->del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "INSERT OR REPLACE INTO meta VALUES (?, ?)", -1,
			       SQLITE_PREPARE_PERSISTENT, &s->meta, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "BEGIN IMMEDIATE", -1, SQLITE_PREPARE_PERSISTENT, &s->begin,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &s->commit, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "ROLLBACK", -1, SQLITE_PREPARE_PERSISTENT, &s->rollback,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "SELECT value FROM meta WHERE key = 'schema'", -1,
			       SQLITE_PREPARE_PERSISTENT, &s->reader, NULL) != SQLITE_OK) {
		errf(err, errlen, "%s", sqlite3_errmsg(s->db));
		goto fail;
	}
	/* No checkpoint inside a commit (it would run before the iteration's
	 * replies leave): the hook only counts, store_idle checkpoints. */
	sqlite3_wal_autocheckpoint(s->db, 0);
	sqlite3_wal_hook(s->db, wal_hook, s);
	s->path = strdup(path);
	if (!s->path) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	return s;
fail:
	store_close(s);
	return NULL;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	checkpointer_stop(s->ck);
	if (s->in_txn && s->rollback)
		step_reset(s, s->rollback);
	sqlite3_finalize(s->reader);
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->del);
	sqlite3_finalize(s->meta);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->rollback);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

bool store_is_empty(struct store *s)
{
	sqlite3_stmt *st;
	bool empty = true;

	/* EXISTS stops at the first row; count(*) read every page of the
	 * table (51 MB at 100,000 hosts: 0.1 s of a restart, for a yes). */
	if (sqlite3_prepare_v2(s->db,
			       "SELECT EXISTS (SELECT 1 FROM clients) OR "
			       "EXISTS (SELECT 1 FROM meta WHERE key = 'spi_block_shift')",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW)
		empty = sqlite3_column_int64(st, 0) == 0;
	sqlite3_finalize(st);
	return empty;
}

int store_load(struct store *s, store_row_cb cb, void *arg, int *spi_block_shift, char *err,
	       size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	*spi_block_shift = -1;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'spi_block_shift'", -1,
			       &st, NULL) != SQLITE_OK)
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(st, 0);

		*spi_block_shift = v >= 0 && v <= 31 ? (int)v : -2;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail;
	if (sqlite3_prepare_v2(s->db, "SELECT client_id, doc FROM clients ORDER BY client_id", -1,
			       &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *doc = sqlite3_column_text(st, 1);
		int len = sqlite3_column_bytes(st, 1);

		if (cb(arg, sqlite3_column_int64(st, 0), doc ? (const char *)doc : "",
		       doc ? (size_t)len : 0))
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail;
	return 0;
fail:
	errf(err, errlen, "%s", sqlite3_errmsg(s->db));
	return -EIO;
}

int store_begin(struct store *s)
{
	if (s->in_txn)
		return 0;
	hold_read(s);
	/* IMMEDIATE: the WAL write lock now, not at the first write. Another
	 * connection may hold it for a moment (the checkpointer's, checking
	 * the WAL index header while a commit rewrote it; an operator's
	 * sqlite3), and SQLite waits for a lock (the busy timeout) only when
	 * the connection has no transaction open: with our read transaction
	 * held, the upgrade failed at once with "database is locked", or
	 * SQLITE_BUSY_SNAPSHOT after another writer. So on a busy lock, end
	 * the read transaction and ask again, waiting this time; the
	 * snapshot is then new too. */
	if (step_reset(s, s->begin) < 0) {
		if ((sqlite3_extended_errcode(s->db) & 0xff) != SQLITE_BUSY)
			return -EIO;
		drop_read(s);
		if (step_reset(s, s->begin) < 0)
			return -EIO;
		hold_read(s);
	}
	s->in_txn = true;
	return 0;
}

int store_put(struct store *s, uint32_t client_id, const char *doc, size_t len)
{
	if (len > INT_MAX)
		return -EFBIG;
	sqlite3_bind_int64(s->put, 1, client_id);
	sqlite3_bind_text(s->put, 2, doc, (int)len, SQLITE_STATIC);
	return step_reset(s, s->put);
}

int store_del(struct store *s, uint32_t client_id)
{
	sqlite3_bind_int64(s->del, 1, client_id);
	return step_reset(s, s->del);
}

int store_del_all(struct store *s)
{
	int rc = sqlite3_exec(s->db, "DELETE FROM clients", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return 0;
	failed(s, "DELETE FROM clients", sqlite3_extended_errcode(s->db), sqlite3_errmsg(s->db));
	return -EIO;
}

int store_set_meta(struct store *s, const char *key, int64_t value)
{
	sqlite3_bind_text(s->meta, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->meta, 2, value);
	return step_reset(s, s->meta);
}

int store_commit(struct store *s)
{
	if (!s->in_txn)
		return 0;
	s->in_txn = false;
	if (step_reset(s, s->commit) < 0) {
		/* After an I/O error SQLite may have rolled back already. */
		if (!sqlite3_get_autocommit(s->db))
			step_reset(s, s->rollback);
		/* And the read transaction goes too: the pager leaves its error
		 * state only when no transaction is left (store_begin takes a
		 * new one). */
		drop_read(s);
		return -EIO;
	}
	return 0;
}

void store_rollback(struct store *s)
{
	if (!s->in_txn)
		return;
	s->in_txn = false;
	if (!sqlite3_get_autocommit(s->db))
		step_reset(s, s->rollback);
	drop_read(s);
}

/* On rsipd's thread: what every checkpoint was before the checkpointer,
 * and what bounds the WAL when the background ones cannot catch up. */
static int checkpoint_here(struct store *s)
{
	int log = 0, done = 0, rc;

	/* Our own read mark would stop the checkpoint at the frame it was
	 * taken at, and the next writer could not restart the WAL from its
	 * start: end it, and take it again after (its mark then says "all
	 * backfilled", which lets the next commit restart the WAL). */
	drop_read(s);
	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		failed(s, "checkpoint", sqlite3_extended_errcode(s->db), sqlite3_errmsg(s->db));
	hold_read(s);
	/* BUSY: a reader (a backup) or the background checkpoint holds part of
	 * it; the next idle tries again. */
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return -EIO;
	s->n_foreground++;
	if (rc == SQLITE_OK && done >= log) {
		s->wal_frames = 0; /* the next commit restarts it */
		wal_restarted(s);
	}
	return 1;
}

/* The background checkpoint that finished, if one did: 1, or -EIO. */
static int background_done(struct store *s)
{
	int rc, log, done;

	if (!checkpointer_result(s->ck, &rc, &log, &done))
		return 0;
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY) {
		failed(s, "background checkpoint", rc, NULL);
		return -EIO;
	}
	s->n_background++;
	if (rc != SQLITE_OK || log < 0 || s->ck_gen != s->wal_gen)
		return 1;
	s->ck_copied = done;
	/* It copied the whole WAL as it was. Our read mark is older than that
	 * (taken when it was asked for): take it again, so that if no commit
	 * came since we read from the database file alone and the next commit
	 * writes the WAL from its start. */
	if (done >= log) {
		drop_read(s);
		hold_read(s);
	}
	return 1;
}

int store_idle(struct store *s)
{
	int rc = 0;

	if (s->in_txn)
		return 0;
	if (!s->ck) {
		if (s->wal_frames < STORE_CHECKPOINT_PAGES)
			return 0;
		if (!s->ck_tried) {
			s->ck_tried = true;
			s->ck = checkpointer_start(s->path);
		}
		if (!s->ck)
			return checkpoint_here(s);
	}
	rc = background_done(s);
	if (rc < 0)
		return rc;
	/* Under a steady stream of commits the WAL never ends where a
	 * background checkpoint stopped, so it never restarts by itself: past
	 * STORE_CHECKPOINT_MAX_PAGES rsipd's thread copies what is left (the
	 * background ones copied the rest) and the next commit restarts it.
	 * A background checkpoint still running then (its syncs slowed by a
	 * busy disk or CPU) is waited for: returning instead let the WAL grow
	 * past the bound for as long as it ran. */
	if (s->wal_frames >= STORE_CHECKPOINT_MAX_PAGES) {
		if (checkpointer_busy(s->ck)) {
			checkpointer_wait(s->ck);
			if (background_done(s) < 0)
				return -EIO;
		}
		return checkpoint_here(s);
	}
	if (checkpointer_busy(s->ck))
		return rc;
	if (s->wal_frames - s->ck_copied < STORE_CHECKPOINT_PAGES)
		return rc;
	/* Our read mark now, at the WAL's end: the checkpoint may copy all of
	 * it. */
	drop_read(s);
	hold_read(s);
	s->ck_gen = s->wal_gen;
	return checkpointer_request(s->ck) ? 1 : rc;
}

void store_checkpoints(const struct store *s, unsigned *background, unsigned *foreground)
{
	*background = s->n_background;
	*foreground = s->n_foreground;
}

const char *store_error(const struct store *s)
{
	return s->last_err[0] ? s->last_err : "no error";
}

int store_wal_frames(const struct store *s)
{
	return s->wal_frames;
}

bool store_in_txn(const struct store *s)
{
	return s->in_txn;
}
