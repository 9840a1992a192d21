// SPDX-License-Identifier: BSD-2-Clause
/* The lease store's background checkpointer (checkpointer.h). */
#include "checkpointer.h"

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct checkpointer {
	sqlite3 *db;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* a request or stop, to the thread */
	pthread_cond_t done_cv; /* a checkpoint finished, to checkpointer_wait */
	/* under mu */
	bool want, busy, stop, finished;
	int rc, log, done;
};

static void *run(void *arg)
{
	struct checkpointer *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		int rc, log = 0, done = 0;

		while (!c->want && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->want = false;
		pthread_mutex_unlock(&c->mu);
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
		pthread_mutex_lock(&c->mu);
		/* The extended code says which I/O failed. */
		c->rc = rc == SQLITE_OK ? rc : sqlite3_extended_errcode(c->db);
		c->log = log;
		c->done = done;
		c->busy = false;
		c->finished = true;
		pthread_cond_signal(&c->done_cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* A connection knows the file is in WAL mode only once it has read it; until
 * then a checkpoint does nothing and reports -1 frames. */
static int is_wal(void *arg, int n, char **vals, char **names)
{
	(void)names;
	*(bool *)arg = n == 1 && vals[0] && !strcmp(vals[0], "wal");
	return 0;
}

struct checkpointer *checkpointer_start(const char *path)
{
	struct checkpointer *c = calloc(1, sizeof(*c));
	sigset_t all, old;
	bool wal = false;
	int rc;

	if (!c)
		return NULL;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
		SQLITE_OK ||
	    sqlite3_exec(c->db, "PRAGMA journal_mode;", is_wal, &wal, NULL) != SQLITE_OK || !wal) {
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	/* rsipd's own checkpoints are off (store.c): this connection's too. */
	sqlite3_wal_autocheckpoint(c->db, 0);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	pthread_cond_init(&c->done_cv, NULL);
	/* Signals stay with rsipd's thread (its signalfd). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&c->tid, NULL, run, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		pthread_cond_destroy(&c->cv);
		pthread_cond_destroy(&c->done_cv);
		pthread_mutex_destroy(&c->mu);
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	return c;
}

bool checkpointer_request(struct checkpointer *c)
{
	bool ok;

	pthread_mutex_lock(&c->mu);
	ok = !c->busy;
	if (ok) {
		c->want = true;
		c->busy = true;
		pthread_cond_signal(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return ok;
}

bool checkpointer_busy(struct checkpointer *c)
{
	bool busy;

	pthread_mutex_lock(&c->mu);
	busy = c->busy;
	pthread_mutex_unlock(&c->mu);
	return busy;
}

void checkpointer_wait(struct checkpointer *c)
{
	pthread_mutex_lock(&c->mu);
	while (c->busy)
		pthread_cond_wait(&c->done_cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

bool checkpointer_result(struct checkpointer *c, int *rc, int *log, int *done)
{
	bool finished;

	pthread_mutex_lock(&c->mu);
	finished = c->finished;
	if (finished) {
		c->finished = false;
		*rc = c->rc;
		*log = c->log;
		*done = c->done;
	}
	pthread_mutex_unlock(&c->mu);
	return finished;
}

void checkpointer_stop(struct checkpointer *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->tid, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_cond_destroy(&c->done_cv);
	pthread_mutex_destroy(&c->mu);
	sqlite3_close(c->db);
	free(c);
}
