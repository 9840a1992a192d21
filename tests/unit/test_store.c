// SPDX-License-Identifier: BSD-2-Clause
/*
 * The lease store (user/rsipd/store/): the SQLite schema and its checks on
 * open (mode 0600, no symlink, a directory nobody else may write, a newer
 * schema refused), rows in and out, the import of an old state.json, and
 * the validation of every field of a stored host record as wire input;
 * the cost of a commit (lock calls, counted by a VFS shim), the WAL bound
 * (checkpoints in store_idle, never in a commit) and a failed write (rolled
 * back, tried once more, then reported).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/engine.h"
#include "store/follow.h"
#include "store/statefile.h"
#include "store/store.h"
#include "../lib/engine_harness.h"

#define ARGS  "--listen 10.0.0.1 --public 192.0.2.1 --allow 10.0.0.0/24 --lease 600"
#define WALL0 1700000000000ull

struct tmp {
	char dir[64], db[128];
};

static void tmp_make(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/rsip-store-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->db, sizeof(t->db), "%s/rsipd.db", t->dir);
}

static void tmp_rm(struct tmp *t)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	assert_int_equal(system(cmd), 0);
}

struct rows {
	int64_t ids[8];
	char docs[8][64];
	int n;
};

static int collect(void *arg, int64_t id, const char *doc, size_t len)
{
	struct rows *r = arg;

	r->ids[r->n] = id;
	snprintf(r->docs[r->n], sizeof(r->docs[0]), "%.*s", (int)len, doc);
	r->n++;
	return 0;
}

static void test_schema_and_rows(void **state)
{
	struct tmp t;
	struct store *s;
	struct rows r = {0};
	struct stat st;
	char err[256];
	int shift;

	tmp_make(&t);
	s = store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(stat(t.db, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(store_is_empty(s));
	assert_int_equal(store_begin(s), 0);
	assert_true(store_in_txn(s));
	assert_int_equal(store_put(s, 7, "{\"a\":7}", strlen("{\"a\":7}")), 0);
	assert_int_equal(store_put(s, 3, "{\"a\":3}", strlen("{\"a\":3}")), 0);
	assert_int_equal(store_put(s, 9, "{\"a\":9}", strlen("{\"a\":9}")), 0);
	assert_int_equal(store_set_meta(s, "spi_block_shift", 8), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_del(s, 9), 0);
	assert_int_equal(store_put(s, 3, "{\"a\":33}", strlen("{\"a\":33}")), 0); /* a rewrite */
	assert_int_equal(store_commit(s), 0);
	store_close(s);

	s = store_open(t.db, STORE_SYNC_FULL, err, sizeof(err));
	assert_non_null(s);
	assert_false(store_is_empty(s));
	assert_int_equal(store_load(s, collect, &r, &shift, err, sizeof(err)), 0);
	assert_int_equal(shift, 8);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[0], 3); /* Client ID order */
	assert_string_equal(r.docs[0], "{\"a\":33}");
	assert_int_equal(r.ids[1], 7);
	store_close(s);
	tmp_rm(&t);
}

static void test_open_refuses(void **state)
{
	struct tmp t;
	char err[256], path[160];
	sqlite3 *db;

	tmp_make(&t);
	/* A symlink in place of the file is never followed. */
	snprintf(path, sizeof(path), "%s/target", t.dir);
	assert_int_equal(symlink(path, t.db), 0);
	assert_null(store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err)));
	assert_non_null(strstr(err, "symlink"));
	assert_int_equal(access(path, F_OK), -1);
	unlink(t.db);
	/* A directory others may write. */
	assert_int_equal(chmod(t.dir, 0777), 0);
	assert_null(store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err)));
	assert_non_null(strstr(err, "chmod go-w"));
	assert_int_equal(chmod(t.dir, 0700), 0);
	/* A file others may read (it holds the reply caches). */
	{
		FILE *f = fopen(t.db, "w");

		assert_non_null(f);
		fclose(f);
		assert_int_equal(chmod(t.db, 0644), 0);
		assert_null(store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err)));
		unlink(t.db);
	}
	/* Not a database: refused with SQLite's word for it. */
	{
		FILE *f = fopen(t.db, "w");

		assert_non_null(f);
		for (int i = 0; i < 200; i++)
			fputs("garbage!", f);
		fclose(f);
		assert_int_equal(chmod(t.db, 0600), 0);
		assert_null(store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err)));
		unlink(t.db);
	}
	/* A schema from a newer rsipd. */
	assert_int_equal(sqlite3_open(t.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER);"
				      "INSERT INTO meta VALUES ('schema', 99);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(chmod(t.db, 0600), 0);
	assert_null(store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err)));
	assert_non_null(strstr(err, "schema version 99"));
	tmp_rm(&t);
}

/* ---- a VFS shim: counts lock calls and fails writes on demand ---------------- */

/* Every file SQLite opens goes through the default VFS; this one wraps
 * "unix", counting xLock, xUnlock and xShmLock (the locks a commit takes)
 * and failing the next fail_writes xWrite calls with an I/O error. */
static struct {
	int locks;
	int fail_writes;
	int writes_failed;
	/* xSync on any thread but sync_fast_thread sleeps this long: a slow
	 * disk under the background checkpointer only. Set before the store
	 * opens, read on the checkpointer's thread. */
	useconds_t sync_sleep_us;
	pthread_t sync_fast_thread;
} shim;

struct shim_file {
	sqlite3_file base;
	sqlite3_file *real; /* right after this struct, szOsFile of "unix" */
};

static sqlite3_vfs *real_vfs, shim_vfs;
static bool shim_installed;
static sqlite3_io_methods shim_io;

#define REAL(f) (((struct shim_file *)(f))->real)

static int shim_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}
static int shim_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}
static int shim_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	if (shim.fail_writes > 0) {
		shim.fail_writes--;
		shim.writes_failed++;
		return SQLITE_IOERR_WRITE;
	}
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}
static int shim_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int shim_sync(sqlite3_file *f, int flags)
{
	if (shim.sync_sleep_us && !pthread_equal(pthread_self(), shim.sync_fast_thread))
		usleep(shim.sync_sleep_us);
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int shim_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int shim_lock(sqlite3_file *f, int level)
{
	shim.locks++;
	return REAL(f)->pMethods->xLock(REAL(f), level);
}
static int shim_unlock(sqlite3_file *f, int level)
{
	shim.locks++;
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}
static int shim_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int shim_fcntl(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int shim_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int shim_devchar(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int shim_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **p)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, p);
}
static int shim_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	shim.locks++;
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}
static void shim_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int shim_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
static int shim_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, p);
}
static int shim_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static int shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out)
{
	struct shim_file *f = (struct shim_file *)file;
	int rc;

	f->real = (sqlite3_file *)(f + 1);
	rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out);
	f->base.pMethods = f->real->pMethods ? &shim_io : NULL;
	return rc;
}

static void shim_install(void)
{
	memset(&shim, 0, sizeof(shim));
	real_vfs = sqlite3_vfs_find("unix");
	assert_non_null(real_vfs);
	shim_vfs = *real_vfs;
	shim_vfs.zName = "rsip-test-shim";
	shim_vfs.szOsFile = (int)sizeof(struct shim_file) + real_vfs->szOsFile;
	shim_vfs.xOpen = shim_open;
	shim_vfs.pNext = NULL;
	shim_io = (sqlite3_io_methods){
	    .iVersion = 3,
	    .xClose = shim_close,
	    .xRead = shim_read,
	    .xWrite = shim_write,
	    .xTruncate = shim_truncate,
	    .xSync = shim_sync,
	    .xFileSize = shim_size,
	    .xLock = shim_lock,
	    .xUnlock = shim_unlock,
	    .xCheckReservedLock = shim_reserved,
	    .xFileControl = shim_fcntl,
	    .xSectorSize = shim_sector,
	    .xDeviceCharacteristics = shim_devchar,
	    .xShmMap = shim_shm_map,
	    .xShmLock = shim_shm_lock,
	    .xShmBarrier = shim_shm_barrier,
	    .xShmUnmap = shim_shm_unmap,
	    .xFetch = shim_fetch,
	    .xUnfetch = shim_unfetch,
	};
	shim_installed = true;
	assert_int_equal(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK); /* the default */
}

static void shim_remove(void)
{
	if (!shim_installed)
		return;
	shim_installed = false;
	sqlite3_vfs_unregister(&shim_vfs);
	sqlite3_vfs_register(real_vfs, 1);
}

static void put_commit(struct store *s, uint32_t id, const char *doc)
{
	if (store_begin(s) || store_put(s, id, doc, strlen(doc)) || store_commit(s))
		fail_msg("writing row %u failed: %s", id, store_error(s));
}

/* A commit takes and drops the WAL write lock, nothing more: the read
 * transaction stays between commits (before: the file's shared lock, a WAL
 * read mark and the write lock, each taken and dropped: 6 lock calls). */
static void test_commit_locks(void **state)
{
	struct tmp t;
	struct store *s;
	char err[256];

	tmp_make(&t);
	shim_install();
	s = store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err));
	assert_non_null(s);
	put_commit(s, 1, "{\"a\":1}"); /* the first commit creates the WAL */
	for (uint32_t i = 2; i < 12; i++) {
		shim.locks = 0;
		put_commit(s, i, "{\"a\":2}");
		print_message("  commit %u: %d lock calls\n", i, shim.locks);
		assert_int_equal(shim.locks, 2);
	}
	/* A commit with a delete and a meta row: the same. */
	shim.locks = 0;
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_del(s, 3), 0);
	assert_int_equal(store_set_meta(s, "spi_block_shift", 8), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(shim.locks, 2);
	store_close(s);
	shim_remove();
	tmp_rm(&t);
}

static off_t wal_size(const struct tmp *t)
{
	char wal[160];
	struct stat st;

	snprintf(wal, sizeof(wal), "%s-wal", t->db);
	return stat(wal, &st) == 0 ? st.st_size : 0;
}

static int count_row(void *arg, int64_t id, const char *doc, size_t len)
{
	(void)id;
	(void)doc;
	(void)len;
	(*(int *)arg)++;
	return 0;
}

/* A test whose store holds a checkpointer thread: a failed assertion
 * unwinds without store_close, and with the thread left running the next
 * test's fork could hang (the child inherits the locks it holds, not the
 * thread; seen in a stress run, after test_wal_bounded failed). The test
 * sets *state to its open store and clears it after closing. */
static int close_store(void **state)
{
	store_close(*state);
	*state = NULL;
	shim.sync_sleep_us = 0;
	shim_remove();
	return 0;
}

/* store_idle until a checkpoint of the given kind finished (polling: the
 * background one runs on its own thread). */
static void idle_until(struct store *s, bool background, unsigned after)
{
	unsigned bg = 0, fg = 0;
	int i;

	for (i = 0; i < 10000; i++) {
		assert_true(store_idle(s) >= 0);
		store_checkpoints(s, &bg, &fg);
		if ((background ? bg : fg) > after)
			return;
		usleep(1000);
	}
	fail_msg("no %s checkpoint finished in 10 s (background %u, here %u)",
		 background ? "background" : "foreground", bg, fg);
}

/* No checkpoint inside a commit (autocheckpoint off), and none on the
 * committing thread while the background checkpointer keeps up: with
 * store_idle after each commit, as rsipd calls it after every iteration,
 * the background one copies the WAL, and rsipd's thread checkpoints only
 * what is left when the WAL reaches STORE_CHECKPOINT_MAX_PAGES (under
 * steady commits it never restarts by itself). Either way it stays
 * bounded and nothing is lost. */
static void test_wal_bounded(void **state)
{
	const off_t frame = 4096 + 24; /* page size (SQLite's default) + frame header */
	const off_t bound = 32 + (STORE_CHECKPOINT_MAX_PAGES + 16) * frame;
	char doc[600], err[256];
	struct store *s;
	struct tmp t;
	off_t most = 0;
	unsigned bg, fg, bg0, fg0;
	int shift, rows = 0;

	tmp_make(&t);
	s = store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err));
	assert_non_null(s);
	*state = s; /* close_store, if an assertion fails */
	memset(doc, 'x', sizeof(doc) - 1);
	doc[sizeof(doc) - 1] = '\0';
	for (uint32_t i = 0; i < 20000; i++) {
		off_t now;

		put_commit(s, 1 + (i * 7919) % 5000, doc);
		assert_true(store_idle(s) >= 0);
		now = wal_size(&t);
		if (now > most)
			most = now;
		if (now > bound)
			fail_msg("WAL %lld bytes after commit %u, bound %lld", (long long)now, i,
				 (long long)bound);
		assert_true(store_wal_frames(s) < STORE_CHECKPOINT_MAX_PAGES + 16);
	}
	idle_until(s, true, 0);
	store_checkpoints(s, &bg, &fg);
	print_message("  20000 commits: %u background checkpoints, %u on the committing thread, "
		      "WAL at most %lld bytes (%lld pages)\n",
		      bg, fg, (long long)most, (long long)(most / frame));
	/* Without store_idle nothing checkpoints (a commit never does): past
	 * the bound, the next call runs one here, whole, and the next commit
	 * writes the WAL from its start. */
	for (uint32_t i = 1; store_wal_frames(s) < STORE_CHECKPOINT_MAX_PAGES + 200; i++)
		put_commit(s, 1 + i % 5000, doc);
	assert_true(wal_size(&t) > bound);
	store_checkpoints(s, &bg0, &fg0);
	idle_until(s, false, fg0);
	assert_int_equal(store_wal_frames(s), 0);
	put_commit(s, 1, doc);
	assert_true(store_wal_frames(s) < 16);
	*state = NULL;
	store_close(s);

	/* Every row is there, from the database file and what the WAL holds. */
	s = store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err));
	assert_non_null(s);
	*state = s; /* close_store, if an assertion fails */
	assert_int_equal(store_load(s, count_row, &rows, &shift, err, sizeof(err)), 0);
	assert_int_equal(rows, 5000);
	*state = NULL;
	store_close(s);
	tmp_rm(&t);
}

/* The bound holds when the background checkpoint is slow: its syncs (a
 * busy disk) take 0.5 s each while commits go on. store_idle returned while
 * it ran, and the WAL grew past STORE_CHECKPOINT_MAX_PAGES for as long as
 * it did; now rsipd's thread waits for it at the bound, then checkpoints
 * the rest itself. */
static void test_wal_bounded_slow_checkpoint(void **state)
{
	char doc[600], err[256];
	unsigned bg, fg;
	struct store *s;
	struct tmp t;
	int most = 0;

	tmp_make(&t);
	shim_install();
	shim.sync_fast_thread = pthread_self();
	shim.sync_sleep_us = 500 * 1000;
	s = store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err));
	assert_non_null(s);
	*state = s; /* close_store, if an assertion fails */
	memset(doc, 'x', sizeof(doc) - 1);
	doc[sizeof(doc) - 1] = '\0';
	/* Enough commits to fill the WAL past the bound once, with a
	 * background checkpoint asked for at STORE_CHECKPOINT_PAGES and still
	 * syncing when the bound is reached. */
	for (uint32_t i = 0; i < 12000; i++) {
		put_commit(s, 1 + i % 5000, doc);
		assert_true(store_idle(s) >= 0);
		if (store_wal_frames(s) > most)
			most = store_wal_frames(s);
		if (store_wal_frames(s) >= STORE_CHECKPOINT_MAX_PAGES + 16)
			fail_msg("WAL %d frames after commit %u, bound %d", store_wal_frames(s), i,
				 STORE_CHECKPOINT_MAX_PAGES + 16);
	}
	store_checkpoints(s, &bg, &fg);
	print_message("  slow background checkpoints: %u, on the committing thread %u, WAL at "
		      "most %d frames\n",
		      bg, fg, most);
	assert_true(bg >= 1);
	assert_true(fg >= 1);
	*state = NULL;
	store_close(s);
	shim.sync_sleep_us = 0;
	shim_remove();
	tmp_rm(&t);
}

/* rsipd --daemon opens the store, then daemon() forks and the parent exits:
 * the checkpointer's thread must be started after that, in the child, or
 * the child would ask a thread it does not have and never checkpoint
 * again. Done the same way here: a helper process opens the store, forks
 * and exits; the grandchild commits past the bound, waits for background
 * checkpoints to finish and reports through a pipe. (No cmocka in either:
 * a failed assertion would unwind into a copy of the test runner.) */
static void test_checkpointer_after_fork(void **state)
{
	int fds[2], status;
	unsigned char verdict = 0;
	struct tmp t;
	pid_t pid;

	tmp_make(&t);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char doc[600], err[256];
		unsigned bg = 0, fg = 0;
		struct store *s = store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err));
		int i;

		close(fds[0]);
		if (!s)
			_exit(2);
		memset(doc, 'x', sizeof(doc) - 1);
		doc[sizeof(doc) - 1] = '\0';
		if (store_begin(s) || store_put(s, 1, doc, strlen(doc)) || store_commit(s))
			_exit(2);
		if (fork() != 0)
			_exit(0); /* daemon()'s parent */
		for (i = 0; i < 3000; i++) {
			if (store_begin(s) ||
			    store_put(s, 1 + (uint32_t)i % 500, doc, strlen(doc)) ||
			    store_commit(s) || store_idle(s) < 0)
				_exit(2);
		}
		for (i = 0; i < 10000 && !bg; i++) {
			if (store_idle(s) < 0)
				_exit(2);
			store_checkpoints(s, &bg, &fg);
			usleep(1000);
		}
		fprintf(stderr,
			"  after the fork: %u background checkpoints, %u on rsipd's thread, "
			"WAL %d frames\n",
			bg, fg, store_wal_frames(s));
		verdict = bg > 0 && fg == 0 ? 'y' : 'n';
		if (write(fds[1], &verdict, 1) != 1)
			_exit(2);
		store_close(s);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The grandchild writes once, then closes: EOF without it is a failure. */
	assert_int_equal(read(fds[0], &verdict, 1), 1);
	close(fds[0]);
	assert_int_equal(verdict, 'y');
	tmp_rm(&t);
}

/* A host with one binding, as its store row. */
static struct json_object *sample(struct harness *h, uint32_t *id)
{
	struct engine_src x = h_udp("10.0.0.2", 40000);

	*id = h_register(h, &x, 1);
	h_assign_ports(h, &x, *id, 2, 2);
	return engine_state_client(h->e, *id, WALL0);
}

static int restore_with(const char *args, struct json_object *rec, const char *key,
			struct json_object *val, size_t *nbindings)
{
	struct harness *h = h_new(args);
	struct json_object *copy = NULL;
	char err[256];
	int rc;

	assert_int_equal(json_object_deep_copy(rec, &copy, NULL), 0);
	if (key) {
		if (val)
			json_object_object_add(copy, key, val);
		else
			json_object_object_del(copy, key);
	}
	rc = engine_state_restore_client(h->e, copy, WALL0, err, sizeof(err));
	if (rc)
		print_message("  refused: %s\n", err);
	*nbindings = engine_n_bindings(h->e);
	assert_int_equal(engine_n_clients(h->e), rc ? 0 : 1);
	json_object_put(copy);
	h_free(h);
	return rc;
}

static struct json_object *binding_with(struct json_object *rec, const char *key,
					struct json_object *val)
{
	struct json_object *bs, *b, *copy = NULL, *nbs = json_object_new_array();

	assert_true(json_object_object_get_ex(rec, "bindings", &bs));
	assert_int_equal(json_object_deep_copy(json_object_array_get_idx(bs, 0), &copy, NULL), 0);
	b = copy;
	json_object_object_add(b, key, val);
	json_object_array_add(nbs, b);
	return nbs;
}

static void test_every_field_validated(void **state)
{
	struct harness *h = h_new(ARGS);
	struct json_object *rec;
	uint32_t id;
	size_t nb;

	rec = sample(h, &id);
	assert_non_null(rec);
	h_free(h);

	/* The record as written comes back whole. */
	assert_int_equal(restore_with(ARGS, rec, NULL, NULL, &nb), 0);
	assert_int_equal(nb, 1);
	/* IDs: non-zero, 32 bits. */
	assert_int_equal(restore_with(ARGS, rec, "client_id", json_object_new_int64(0), &nb),
			 -EINVAL);
	assert_int_equal(
	    restore_with(ARGS, rec, "client_id", json_object_new_int64(1ll << 32), &nb), -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "client_id", json_object_new_string("7"), &nb),
			 -EINVAL);
	/* Addresses: inside --allow, never 0.0.0.0 or broadcast. */
	assert_int_equal(restore_with(ARGS, rec, "xa", json_object_new_string("0.0.0.0"), &nb),
			 -EINVAL);
	assert_int_equal(
	    restore_with(ARGS, rec, "xa", json_object_new_string("255.255.255.255"), &nb), -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "xa", json_object_new_string("10.9.9.9"), &nb),
			 -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "xa", json_object_new_string("banana"), &nb),
			 -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "transport", json_object_new_string("sctp"), &nb),
			 -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "udp_port", json_object_new_int64(70000), &nb),
			 -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "flow_local", json_object_new_int64(-1), &nb),
			 -EINVAL);
	assert_int_equal(restore_with(ARGS, rec, "bindings", NULL, &nb), -EINVAL);
	/* Times: any int64 is safe (no overflow) and a lease is clamped. */
	assert_int_equal(
	    restore_with(ARGS, rec, "expires_ms", json_object_new_int64(INT64_MIN), &nb), 0);
	assert_int_equal(
	    restore_with(ARGS, rec, "expires_ms", json_object_new_int64(INT64_MAX), &nb), 0);
	assert_int_equal(
	    restore_with(ARGS, rec, "registered_ms", json_object_new_int64(INT64_MIN), &nb), 0);
	/* A bad binding is dropped alone: the host stays. */
	assert_int_equal(restore_with(ARGS, rec, "bindings",
				      binding_with(rec, "bind_id", json_object_new_int64(0)), &nb),
			 0);
	assert_int_equal(nb, 0);
	assert_int_equal(restore_with(ARGS, rec, "bindings",
				      binding_with(rec, "nb", json_object_new_string("192.0.2.99")),
				      &nb),
			 0);
	assert_int_equal(nb, 0);
	{
		struct json_object *ports = json_object_new_array();

		json_object_array_add(ports, json_object_new_int64(80)); /* outside --port-range */
		assert_int_equal(
		    restore_with(ARGS, rec, "bindings", binding_with(rec, "ports", ports), &nb), 0);
		assert_int_equal(nb, 0);
	}
	assert_int_equal(
	    restore_with(ARGS, rec, "bindings",
			 binding_with(rec, "expires_ms", json_object_new_int64(INT64_MIN)), &nb),
	    0);
	assert_int_equal(nb, 1);
	assert_int_equal(
	    restore_with(ARGS, rec, "bindings",
			 binding_with(rec, "lease_s", json_object_new_int64(UINT32_MAX)), &nb),
	    0);
	assert_int_equal(nb, 1);
	/* A smaller --lease afterwards: the stored expiry is clamped to it. */
	{
		struct harness *h2 = h_new(ARGS " --lease 60");
		struct json_object *o;
		char err[256];
		uint32_t id2;

		assert_int_equal(json_object_deep_copy(rec, &o, NULL), 0);
		json_object_object_add(o, "expires_ms", json_object_new_int64(WALL0 + 86400000));
		assert_int_equal(engine_state_restore_client(h2->e, o, WALL0, err, sizeof(err)), 0);
		id2 = (uint32_t)json_object_get_int64(json_object_object_get(o, "client_id"));
		json_object_put(o);
		o = engine_state_client(h2->e, id2, WALL0);
		assert_true(json_object_get_int64(json_object_object_get(o, "expires_ms")) <=
			    (int64_t)WALL0 + 60000);
		json_object_put(o);
		h_free(h2);
	}
	json_object_put(rec);
}

/* Two rows claiming the same ID, address or port: the second is refused
 * (ID, address) or loses the binding (port). */
static void test_unique(void **state)
{
	struct harness *h = h_new(ARGS), *h2;
	struct json_object *rec, *dup = NULL;
	char err[256];
	uint32_t id;

	rec = sample(h, &id);
	h_free(h);
	h2 = h_new(ARGS);
	assert_int_equal(engine_state_restore_client(h2->e, rec, WALL0, err, sizeof(err)), 0);
	assert_int_equal(json_object_deep_copy(rec, &dup, NULL), 0);
	json_object_object_add(dup, "xa", json_object_new_string("10.0.0.3"));
	assert_int_equal(engine_state_restore_client(h2->e, dup, WALL0, err, sizeof(err)), -EINVAL);
	json_object_object_add(dup, "client_id", json_object_new_int64((int64_t)id + 1));
	json_object_object_add(dup, "xa", json_object_new_string("10.0.0.2"));
	assert_int_equal(engine_state_restore_client(h2->e, dup, WALL0, err, sizeof(err)), -EINVAL);
	/* Another host with the same binding (same Bind ID, ports): restored
	 * without it. */
	json_object_object_add(dup, "xa", json_object_new_string("10.0.0.3"));
	assert_int_equal(engine_state_restore_client(h2->e, dup, WALL0, err, sizeof(err)), 0);
	assert_int_equal(engine_n_clients(h2->e), 2);
	assert_int_equal(engine_n_bindings(h2->e), 1);
	json_object_put(dup);
	json_object_put(rec);
	h_free(h2);
}

/* An old rsipd's state.json is imported into an empty store, renamed, and
 * the next start reads the store. */
static void test_import_state_json(void **state)
{
	struct harness *h = h_new(ARGS), *h2, *h3;
	struct engine_src x = h_udp("10.0.0.2", 40000);
	struct store_follow *f;
	struct json_object *st;
	char json[160], done[180];
	struct tmp t;
	uint32_t id;
	int rc;

	tmp_make(&t);
	snprintf(json, sizeof(json), "%s/state.json", t.dir);
	snprintf(done, sizeof(done), "%s.imported", json);
	id = h_register(h, &x, 1);
	h_assign_ports(h, &x, id, 3, 2);
	st = engine_state_save(h->e, WALL0);
	assert_int_equal(statefile_write(json, st), 0);
	json_object_put(st);
	h_free(h);

	h2 = h_new(ARGS);
	f = store_follow_open(h2->e, t.db, STORE_SYNC_NORMAL, json, &rc);
	assert_non_null(f);
	assert_int_equal(engine_n_clients(h2->e), 1);
	assert_int_equal(engine_n_bindings(h2->e), 1);
	assert_int_equal(access(json, F_OK), -1);
	assert_int_equal(access(done, F_OK), 0);
	store_follow_close(f);
	h_free(h2);

	h3 = h_new(ARGS);
	f = store_follow_open(h3->e, t.db, STORE_SYNC_NORMAL, json, &rc);
	assert_non_null(f);
	assert_int_equal(engine_n_clients(h3->e), 1);
	assert_int_equal(engine_n_bindings(h3->e), 1);
	/* It follows: a de-registration deletes the row at the commit. */
	{
		struct raw r;

		raw_begin(&r, RSIP_DEREGISTER_REQUEST);
		raw_u32(&r, RSIP_P_CLIENT_ID, id);
		raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 9);
		h_send(h3, &x, &r);
	}
	assert_int_equal(engine_n_clients(h3->e), 0);
	assert_int_equal(store_follow_commit(f), 0);
	store_follow_close(f);
	h_free(h3);

	h3 = h_new(ARGS);
	f = store_follow_open(h3->e, t.db, STORE_SYNC_NORMAL, NULL, &rc);
	assert_non_null(f);
	assert_int_equal(engine_n_clients(h3->e), 0);
	store_follow_close(f);
	h_free(h3);
	tmp_rm(&t);
}

/* A failed write is rolled back and tried once more; when that fails too
 * the commit reports it (rsipd then sends none of the iteration's
 * replies), and the next commit writes the failed transaction's hosts
 * (here both). */
static void test_write_fails(void **state)
{
	struct engine_src x = h_udp("10.0.0.2", 40000), y = h_udp("10.0.0.3", 40000);
	struct harness *h = h_new(ARGS), *h2;
	struct store_health hl0, hl;
	struct store_follow *f;
	struct tmp t;
	int rc;

	tmp_make(&t);
	shim_install();
	f = store_follow_open(h->e, t.db, STORE_SYNC_NORMAL, NULL, &rc);
	assert_non_null(f);
	store_follow_health(&hl0);
	/* One write fails: the retry stores the host. */
	h_register(h, &x, 1);
	shim.fail_writes = 1;
	assert_int_equal(store_follow_commit(f), 0);
	assert_int_equal(shim.writes_failed, 1);
	store_follow_health(&hl);
	assert_true(hl.last_ok);
	assert_int_equal(hl.failures, hl0.failures + 1);
	/* Every write fails: reported, nothing half-written. */
	h_register(h, &y, 1);
	shim.fail_writes = 1000000;
	assert_int_equal(store_follow_commit(f), -EIO);
	store_follow_health(&hl);
	assert_false(hl.last_ok);
	assert_int_equal(hl.failures, hl0.failures + 3);
	shim.fail_writes = 0;
	{
		struct store *peek;
		struct rows r = {0};
		char err[256];
		int shift;

		peek = store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err));
		assert_non_null(peek);
		assert_int_equal(store_load(peek, collect, &r, &shift, err, sizeof(err)), 0);
		assert_int_equal(r.n, 1); /* x only */
		store_close(peek);
	}
	/* The disk is back: the next commit, with nothing new, writes both. */
	assert_int_equal(store_follow_commit(f), 0);
	store_follow_health(&hl);
	assert_true(hl.last_ok);
	store_follow_close(f);
	h_free(h);
	h2 = h_new(ARGS);
	f = store_follow_open(h2->e, t.db, STORE_SYNC_NORMAL, NULL, &rc);
	assert_non_null(f);
	assert_int_equal(engine_n_clients(h2->e), 2);
	store_follow_close(f);
	h_free(h2);
	shim_remove();
	tmp_rm(&t);
}

/* Another connection holds the WAL write lock for a moment (the
 * checkpointer's does while it checks the WAL index header; so does an
 * operator's sqlite3 in a transaction). rsipd's next transaction waits for
 * it (the busy timeout) instead of failing: with its read transaction
 * held, SQLite did not wait, and the first write failed at once with
 * "database is locked" (test_wal_bounded failed that way about once in
 * thirty runs beside a busy CPU). */
struct lock_holder {
	const char *path;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool held;
};

static void *hold_write_lock(void *arg)
{
	struct lock_holder *lh = arg;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(lh->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	pthread_mutex_lock(&lh->mu);
	lh->held = true;
	pthread_cond_signal(&lh->cv);
	pthread_mutex_unlock(&lh->mu);
	usleep(200 * 1000);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	return NULL;
}

static void test_write_lock_held_briefly(void **state)
{
	struct lock_holder lh = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	char err[256];
	struct store *s;
	struct tmp t;
	pthread_t tid;
	int rows = 0, shift;

	tmp_make(&t);
	s = store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err));
	assert_non_null(s);
	put_commit(s, 1, "{}"); /* the read transaction is held from here on */
	lh.path = t.db;
	assert_int_equal(pthread_create(&tid, NULL, hold_write_lock, &lh), 0);
	pthread_mutex_lock(&lh.mu);
	while (!lh.held)
		pthread_cond_wait(&lh.cv, &lh.mu);
	pthread_mutex_unlock(&lh.mu);
	put_commit(s, 2, "{}");
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_int_equal(store_load(s, count_row, &rows, &shift, err, sizeof(err)), 0);
	assert_int_equal(rows, 2);
	store_close(s);
	tmp_rm(&t);
}

/* rsipd's read transaction stays open between commits; another process
 * that writes the file meanwhile (an operator's sqlite3) makes that
 * snapshot old: BEGIN IMMEDIATE gets SQLITE_BUSY_SNAPSHOT, store_begin
 * ends the read transaction and begins again with a new snapshot, and the
 * host is stored without a failed write (before: one failure, then the
 * follow's retry). A reader (a backup) changes nothing. */
static void test_other_writer(void **state)
{
	struct engine_src x = h_udp("10.0.0.2", 40000), y = h_udp("10.0.0.3", 40000);
	struct harness *h = h_new(ARGS);
	struct store_follow *f;
	struct tmp t;
	sqlite3 *db;
	sqlite3_stmt *st;
	struct store_health hl0, hl;
	uint32_t idy;
	int rc;

	tmp_make(&t);
	f = store_follow_open(h->e, t.db, STORE_SYNC_NORMAL, NULL, &rc);
	assert_non_null(f);
	h_register(h, &x, 1);
	assert_int_equal(store_follow_commit(f), 0);
	assert_int_equal(sqlite3_open(t.db, &db), SQLITE_OK);
	/* A reader in the middle of a read: no effect on the commit. */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT client_id FROM clients", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	idy = h_register(h, &y, 1);
	assert_int_equal(store_follow_commit(f), 0);
	sqlite3_finalize(st);
	/* A writer. */
	assert_int_equal(
	    sqlite3_exec(db, "INSERT INTO meta VALUES ('operator', 1)", NULL, NULL, NULL),
	    SQLITE_OK);
	{
		struct raw r;

		raw_begin(&r, RSIP_DEREGISTER_REQUEST);
		raw_u32(&r, RSIP_P_CLIENT_ID, idy);
		raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 2);
		h_send(h, &y, &r);
	}
	assert_int_equal(engine_n_clients(h->e), 1);
	store_follow_health(&hl0);
	assert_int_equal(store_follow_commit(f), 0);
	store_follow_health(&hl);
	assert_int_equal(hl.failures, hl0.failures);
	assert_true(hl.last_ok);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM clients", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	store_follow_close(f);
	h_free(h);
	tmp_rm(&t);
}

/* ---- after a failed commit, only what changed is written again ---------------- */

static uint64_t test_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A stored row against the engine: the host is there and its row is the
 * engine's record as written at some wall-clock ms in [w0, w1] (the commit
 * took its time inside that window; timestamps are wall ms). */
struct match_ctx {
	struct engine *e;
	uint64_t w0, w1;
	int n, bad;
};

static int match_row(void *arg, int64_t id, const char *doc, size_t len)
{
	struct match_ctx *x = arg;
	bool same = false;

	for (uint64_t w = x->w0; !same && w <= x->w1; w++) {
		const char *text;
		size_t tlen;

		if (engine_state_client_text(x->e, (uint32_t)id, w, &text, &tlen) != 1)
			break; /* no such host in the engine */
		same = tlen == len && !memcmp(text, doc, len);
	}
	if (!same) {
		print_message("  row %lld is not what the engine holds: %.*s\n", (long long)id,
			      (int)len, doc);
		x->bad++;
	}
	x->n++;
	return 0;
}

static void deregister(struct harness *h, const struct engine_src *src, uint32_t id)
{
	struct raw r;

	raw_begin(&r, RSIP_DEREGISTER_REQUEST);
	raw_u32(&r, RSIP_P_CLIENT_ID, id);
	raw_u32(&r, RSIP_P_MESSAGE_COUNTER, 2);
	h_send(h, src, &r);
}

/* N hosts stored; an iteration registers two and deregisters one and its
 * commit fails (both attempts); the next iteration registers one more and
 * its commit writes those 3 + 1 rows, not all N + 2 (before, a failed
 * commit made the next one rewrite every row). After it every row is the
 * engine's record and the deregistered host's row is gone. */
#define RETRY_HOSTS 200
static void test_retry_writes_failed_rows(void **state)
{
	struct harness *h = h_new(ARGS " --register-rate 0");
	struct engine_src src[RETRY_HOSTS + 3];
	uint32_t ids[RETRY_HOSTS + 3];
	struct store_health hl0, hl;
	struct match_ctx x = {.e = h->e};
	struct store_follow *f;
	struct store *peek;
	char ip[32], err[256];
	struct tmp t;
	int rc, shift;

	(void)state;
	tmp_make(&t);
	shim_install();
	x.w0 = test_wall_ms();
	f = store_follow_open(h->e, t.db, STORE_SYNC_NORMAL, NULL, &rc);
	assert_non_null(f);
	for (int i = 0; i < RETRY_HOSTS + 3; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", 2 + i);
		src[i] = h_udp(ip, 40000);
	}
	for (int i = 0; i < RETRY_HOSTS; i++)
		ids[i] = h_register(h, &src[i], 1);
	assert_int_equal(store_follow_commit(f), 0);
	/* The failed iteration: two new hosts, one gone. */
	ids[RETRY_HOSTS] = h_register(h, &src[RETRY_HOSTS], 1);
	ids[RETRY_HOSTS + 1] = h_register(h, &src[RETRY_HOSTS + 1], 1);
	deregister(h, &src[3], ids[3]);
	assert_int_equal(engine_n_clients(h->e), RETRY_HOSTS + 1);
	shim.fail_writes = 1000000;
	assert_int_equal(store_follow_commit(f), -EIO);
	shim.fail_writes = 0;
	/* The next iteration: one more host; the disk is back. */
	ids[RETRY_HOSTS + 2] = h_register(h, &src[RETRY_HOSTS + 2], 1);
	store_follow_health(&hl0);
	assert_int_equal(store_follow_commit(f), 0);
	store_follow_health(&hl);
	x.w1 = test_wall_ms();
	print_message("  commit after the failed one: %llu rows (%d hosts)\n",
		      (unsigned long long)(hl.rows - hl0.rows), RETRY_HOSTS + 2);
	assert_true(hl.last_ok);
	assert_int_equal(hl.rows - hl0.rows, 3 + 1);
	/* What the store holds is what the engine holds. */
	peek = store_open(t.db, STORE_SYNC_NORMAL, err, sizeof(err));
	assert_non_null(peek);
	assert_int_equal(store_load(peek, match_row, &x, &shift, err, sizeof(err)), 0);
	store_close(peek);
	assert_int_equal(x.bad, 0);
	assert_int_equal(x.n, RETRY_HOSTS + 2);
	store_follow_close(f);
	h_free(h);
	shim_remove();
	tmp_rm(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema_and_rows),
	    cmocka_unit_test(test_open_refuses),
	    cmocka_unit_test(test_every_field_validated),
	    cmocka_unit_test(test_unique),
	    cmocka_unit_test(test_import_state_json),
	    cmocka_unit_test(test_commit_locks),
	    cmocka_unit_test_teardown(test_wal_bounded, close_store),
	    cmocka_unit_test_teardown(test_wal_bounded_slow_checkpoint, close_store),
	    cmocka_unit_test(test_checkpointer_after_fork),
	    cmocka_unit_test(test_write_fails),
	    cmocka_unit_test(test_write_lock_held_briefly),
	    cmocka_unit_test(test_other_writer),
	    cmocka_unit_test(test_retry_writes_failed_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
