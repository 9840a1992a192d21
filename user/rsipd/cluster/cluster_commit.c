// SPDX-License-Identifier: BSD-2-Clause
/*
 * Pipelined commits of the active gateway (docs/cluster.md, "Pipelined
 * commits"): at the end of each event-loop iteration the hosts it changed
 * go into one etcd transaction sent without waiting (store/etcd_async.h,
 * driven by the loop's fds and a timerfd), and the iteration's replies
 * wait in a batch until that transaction - and every one before it - has
 * committed. Meanwhile the loop reads new requests and builds the next
 * transaction: up to --etcd-inflight (cs->max_inflight) at once.
 *
 * Order: two transactions in flight travel on two connections and etcd may
 * apply them in either order, so they never carry the same host: a host
 * changed again while its previous record is in flight waits (with every
 * host of that iteration, and its replies) until that transaction is
 * settled. Both compare the fence key's mod revision, which neither
 * changes, so each commits exactly when this gateway still holds the
 * fence.
 *
 * A transaction that fails: its hosts and those of every later one in
 * flight (cancelled; what etcd applied of them is written again, whole
 * records, harmless) are written again by the next transaction; the
 * batches waiting for any of them are dropped when they lent something
 * (the hosts retransmit and are answered from the reply cache once it is
 * written), sent otherwise - as the synchronous commit did. Refused by the
 * fence: every batch is dropped and the gateway is demoted.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cluster_store_internal.h"
#include "engine/engine.h"
#include "log.h"
#include "net/event.h"
#include "store/etcd_async.h"

struct cs_batch {
	struct cs_batch *next;
	void *replies;
	bool granted; /* it lends something: never sent before its commit */
	bool sealed;  /* its hosts are all in transactions up to seq */
	uint64_t seq;
};

struct cs_txn {
	struct cluster_store *cs;
	uint64_t seq;
	uint32_t *ids;
	bool *del;
	size_t n;
	bool done, ok;
	int rc;
	int64_t rev;
	uint64_t sent_us; /* CLOCK_MONOTONIC: its commit latency, for the status */
};

/* ---- the loop's side: curl's sockets and timer ------------------------------ */

static void on_fd(int fd, uint32_t events, void *arg)
{
	struct cluster_store *cs = arg;
	unsigned ev = 0;

	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		ev |= ETCD_ASYNC_IN;
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		ev |= ETCD_ASYNC_OUT;
	etcd_async_fd(cs->async, fd, ev);
}

static int watch_fd(void *arg, int fd, unsigned ev)
{
	struct cluster_store *cs = arg;
	uint32_t e = (ev & ETCD_ASYNC_IN ? EPOLLIN : 0) | (ev & ETCD_ASYNC_OUT ? EPOLLOUT : 0);
	int rc;

	if (!ev) {
		ev_del_fd(cs->loop, fd);
		return 0;
	}
	rc = ev_add_fd(cs->loop, fd, e, on_fd, cs);
	return rc == -EEXIST ? ev_mod_fd(cs->loop, fd, e) : rc;
}

static void set_timer(void *arg, long ms)
{
	struct cluster_store *cs = arg;
	struct itimerspec its = {0};

	if (ms >= 0) {
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (ms % 1000) * 1000000L;
		if (ms == 0)
			its.it_value.tv_nsec = 1; /* all zero would disarm it */
	}
	timerfd_settime(cs->timer_fd, 0, &its, NULL);
}

static void on_timer(int fd, uint32_t events, void *arg)
{
	struct cluster_store *cs = arg;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) == sizeof(n))
		etcd_async_timer(cs->async);
}

static const struct etcd_async_ops loop_ops = {.watch_fd = watch_fd, .timer = set_timer};

int cs_commit_open(struct cluster_store *cs, struct ev_loop *loop,
		   const struct cluster_store_replies *replies)
{
	cs->timer_fd = -1;
	if (!loop)
		return 0; /* no loop (tests of the synchronous path): commits block */
	cs->loop = loop;
	cs->replies = *replies;
	cs->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (cs->timer_fd < 0)
		return -errno;
	if (ev_add_fd(loop, cs->timer_fd, EPOLLIN, on_timer, cs) < 0)
		return -ENOMEM;
	cs->async = etcd_async_new(cs->e, &loop_ops, cs);
	return cs->async ? 0 : -ENOMEM;
}

/* ---- batches of replies ------------------------------------------------------ */

static void batch_out(struct cluster_store *cs, struct cs_batch *b, bool send)
{
	if (send)
		cs->replies.send(cs->replies.arg, b->replies);
	else
		cs->replies.drop(cs->replies.arg, b->replies);
	free(b);
}

static void batch_push(struct cluster_store *cs, void *replies, bool granted, bool sealed)
{
	struct cs_batch *b = calloc(1, sizeof(*b)), **p = &cs->batches;

	if (!b) { /* no memory to wait with it: drop, as a failed commit does */
		cs->replies.drop(cs->replies.arg, replies);
		return;
	}
	b->replies = replies;
	b->granted = granted;
	b->sealed = sealed;
	b->seq = cs->started_seq;
	while (*p)
		p = &(*p)->next;
	*p = b;
}

/* Every batch whose transactions have all committed leaves, in order. */
static void release_ready(struct cluster_store *cs)
{
	while (cs->batches && cs->batches->sealed && cs->batches->seq <= cs->committed_seq) {
		struct cs_batch *b = cs->batches;

		cs->batches = b->next;
		batch_out(cs, b, true);
	}
}

static void seal_all(struct cluster_store *cs)
{
	for (struct cs_batch *b = cs->batches; b; b = b->next)
		if (!b->sealed) {
			b->sealed = true;
			b->seq = cs->started_seq;
		}
}

void cs_batches_settle(struct cluster_store *cs, bool committed)
{
	while (cs->batches) {
		struct cs_batch *b = cs->batches;

		cs->batches = b->next;
		batch_out(cs, b, committed || !b->granted);
	}
}

void cs_batches_drop(struct cluster_store *cs)
{
	while (cs->batches) {
		struct cs_batch *b = cs->batches;

		cs->batches = b->next;
		batch_out(cs, b, false);
	}
}

bool cluster_store_replies_waiting(const struct cluster_store *cs)
{
	return cs && cs->batches;
}

void cluster_store_drop_replies(struct cluster_store *cs)
{
	if (cs)
		cs_batches_drop(cs);
}

/* ---- transactions in flight -------------------------------------------------- */

static void txn_free(struct cs_txn *t)
{
	free(t->ids);
	free(t->del);
	free(t);
}

static bool in_flight(const struct cluster_store *cs, uint32_t id)
{
	for (size_t i = 0; i < cs->n_txn; i++)
		for (size_t j = 0; j < cs->txn[i]->n; j++)
			if (cs->txn[i]->ids[j] == id)
				return true;
	return false;
}

/* The hosts of every transaction in flight back among the changed ones (to
 * be written again, or dropped by a demotion), the transactions ended. */
static void unwind(struct cluster_store *cs)
{
	cs->settling = true;
	etcd_async_cancel(cs->async);
	cs->settling = false;
	for (size_t i = 0; i < cs->n_txn; i++) {
		struct cs_txn *t = cs->txn[i];

		for (size_t j = 0; j < t->n; j++)
			cs_mark_dirty(cs, t->ids[j]);
		txn_free(t);
	}
	cs->n_txn = 0;
}

static void failed(struct cluster_store *cs, struct cs_txn *t)
{
	size_t n = t->n;
	int rc = t->rc; /* t goes with unwind */

	cs->commit_failures++;
	cs->txn[cs->n_txn++] = t; /* back at the head: unwind takes it with the others */
	memmove(&cs->txn[1], &cs->txn[0], (cs->n_txn - 1) * sizeof(cs->txn[0]));
	cs->txn[0] = t;
	if (rc == 0) { /* refused: another gateway holds the fence */
		cs->fence_refused++;
		log_warnx("cluster: etcd refused gateway %s's write of %zu host%s: %s is no longer "
			  "at revision %lld (another gateway took it); its replies are dropped",
			  cs->gateway, n, n == 1 ? "" : "s", cs->fence_key,
			  (long long)cs->fence_rev);
		unwind(cs);
		cs->committed_seq = cs->started_seq;
		cs_batches_drop(cs);
		cs->demote_fenced(cs);
		return;
	}
	unwind(cs);
	/* Nothing sent is pending any more: a batch sealed from now on waits
	 * only for transactions still to come. */
	cs->committed_seq = cs->started_seq;
	/* What was sent may land later: the next write renews the fence. */
	cs->fence_stale = true;
	/* Batches sealed to it or a later one: what lent waits for a write
	 * that did not happen. The unsealed ones wait for the next. */
	while (cs->batches && cs->batches->sealed) {
		struct cs_batch *b = cs->batches;

		cs->batches = b->next;
		if (b->granted) /* until written, nothing that may repeat it leaves */
			cs->granted = true;
		batch_out(cs, b, !b->granted);
	}
	log_warnx("cluster: %zu host%s not written to etcd (written again at once, on %s): %s", n,
		  n == 1 ? "" : "s", etcd_endpoint(cs->e),
		  rc == -ENOMEM ? "out of memory" : etcd_error(cs->e));
	/* Every member in turn has failed: etcd is away (back-off, RSIP 104
	 * for new allocations, cluster_store_poll probes it). */
	if (++cs->fail_streak >= etcd_n_endpoints(cs->e)) {
		cs->fail_streak = 0;
		cs_failed(cs);
	}
}

/* Transactions settle in the order they were sent. */
static void settle(struct cluster_store *cs)
{
	while (cs->n_txn && cs->txn[0]->done) {
		struct cs_txn *t = cs->txn[0];

		memmove(&cs->txn[0], &cs->txn[1], (cs->n_txn - 1) * sizeof(cs->txn[0]));
		cs->n_txn--;
		if (t->rc < 0 || !t->ok) {
			failed(cs, t);
			return;
		}
		for (size_t i = 0; i < t->n; i++) {
			struct cs_row *r;

			if (t->del[i]) {
				cs_row_del(cs, t->ids[i]);
				continue;
			}
			r = cs_row_get(cs, t->ids[i], true);
			if (r)
				r->rev = t->rev;
		}
		cs->last_commit_rev = t->rev;
		cs->committed_seq = t->seq;
		cs_commit_stats_add(&cs->cstats, t->n, cs_now_us() - t->sent_us);
		cs->commits++;
		cs->fail_streak = 0;
		cs_ok(cs);
		txn_free(t);
	}
	release_ready(cs);
}

static void txn_done(void *arg, int rc, bool succeeded, int64_t rev)
{
	struct cs_txn *t = arg;
	struct cluster_store *cs = t->cs;

	t->done = true;
	t->rc = rc;
	t->ok = succeeded;
	t->rev = rev;
	if (!cs->settling)
		settle(cs);
}

/* One transaction for dirty[from, to), sent; false: not sent (no memory). */
static bool send_chunk(struct cluster_store *cs, size_t from, size_t to, uint64_t wall)
{
	struct etcd_op ops[CS_TXN_OPS] = {0};
	struct etcd_cmp fence = cs_fence_cmp(cs);
	char keys[CS_TXN_OPS][128];
	char *docs[CS_TXN_OPS] = {0};
	struct cs_txn *t = calloc(1, sizeof(*t));
	size_t n = to - from;
	bool sent = false;

	if (!t || !(t->ids = calloc(n, sizeof(*t->ids))) || !(t->del = calloc(n, sizeof(bool))))
		goto out;
	t->cs = cs;
	t->n = n;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o;

		t->ids[i] = cs->dirty[from + i];
		o = engine_state_client(cs->eng, t->ids[i], wall);
		cs_key_of(cs, t->ids[i], keys[i], sizeof(keys[i]));
		ops[i] = (struct etcd_op){.key = keys[i], .type = ETCD_OP_DELETE};
		t->del[i] = !o;
		if (!o)
			continue;
		docs[i] = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		if (!docs[i])
			goto out;
		ops[i].type = ETCD_OP_PUT;
		ops[i].value = docs[i];
		ops[i].value_len = strlen(docs[i]);
	}
	t->seq = cs->started_seq + 1;
	t->sent_us = cs_now_us();
	if (etcd_async_txn(cs->async, &fence, 1, ops, n, txn_done, t) == 0) {
		cs->started_seq = t->seq;
		cs->txn[cs->n_txn++] = t;
		if (cs->n_txn > cs->inflight_max)
			cs->inflight_max = cs->n_txn;
		sent = true;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(docs[i]);
	if (!sent && t)
		txn_free(t);
	return sent;
}

/* Send what changed, if nothing of it is in flight, in as many transactions
 * as there is room for; the rest waits for the next free one. (Waiting until
 * every chunk fits at once never sends a change of more hosts than
 * --etcd-inflight transactions carry: 200 hosts at --etcd-inflight 1 hung.)
 * The iteration's replies are sealed once the last of its hosts is sent. */
static void pipeline_start(struct cluster_store *cs)
{
	size_t done = 0;
	uint64_t wall;

	cs_dirty_unique(cs);
	if (!cs->n) {
		seal_all(cs);
		return;
	}
	if (cs->fence_stale) {
		int rc;

		if (cs->n_txn)
			return; /* renewing now would fail what is in flight */
		rc = cs_fence_renew(cs);
		if (rc == -EPERM) {
			cs_batches_drop(cs);
			cs->demote_fenced(cs);
			return;
		}
		if (rc < 0) {
			cs_failed(cs);
			return;
		}
	}
	if (cs->n_txn >= cs->max_inflight) {
		cs->cstats.waits_full++;
		return;
	}
	for (size_t i = 0; i < cs->n; i++)
		if (in_flight(cs, cs->dirty[i])) {
			cs->cstats.waits_host++;
			return;
		}
	wall = cs_wall_ms();
	while (done < cs->n && cs->n_txn < cs->max_inflight) {
		size_t to = cs->n - done > CS_TXN_OPS ? done + CS_TXN_OPS : cs->n;

		if (!send_chunk(cs, done, to, wall))
			break;
		done = to;
	}
	memmove(cs->dirty, cs->dirty + done, (cs->n - done) * sizeof(*cs->dirty));
	cs->n -= done;
	if (!cs->n)
		seal_all(cs);
}

void cluster_store_end_iteration(struct cluster_store *cs, void *replies)
{
	bool granted = cs->granted;

	/* granted stays set while etcd is away after a failed write of what
	 * was lent: a retransmission answered from the reply cache could repeat
	 * a grant that is not written. */
	if (!cs->active || cs->last_ok)
		cs->granted = false;
	if (!cs->async || !cs->active || !cs->last_ok) {
		/* Nothing to commit now (standby; etcd away: written when it
		 * answers, cluster_store_poll): what lent is dropped, the rest
		 * leaves - after the batches before it. */
		if (granted) {
			cs->replies.drop(cs->replies.arg, replies);
		} else if (cs->batches) {
			batch_push(cs, replies, false, true);
		} else {
			cs->replies.send(cs->replies.arg, replies);
		}
		return;
	}
	if (replies)
		batch_push(cs, replies, granted, false);
	pipeline_start(cs);
	release_ready(cs);
}

/* The synchronous paths (a role change, the outage's catch-up, the end)
 * first let what is in flight settle. */
void cs_commit_drain(struct cluster_store *cs)
{
	if (!cs->async || !cs->n_txn)
		return;
	cs->settling = true;
	etcd_async_wait(cs->async, (int)(2 * etcd_config(cs->e)->timeout_ms));
	cs->settling = false;
	settle(cs);
}

/* Fenced: what is in flight can only be refused (etcd compares the fence
 * another gateway now holds). Its hosts go back among the changed ones, to
 * be dropped with them before the standby reads etcd again: left in the
 * engine, their unwritten grants would make it refuse the new active's
 * records that lend the same ports or SPIs. */
void cs_commit_abandon(struct cluster_store *cs)
{
	if (!cs->n_txn)
		return;
	unwind(cs);
	cs->committed_seq = cs->started_seq;
}

void cs_commit_close(struct cluster_store *cs)
{
	if (cs->async) {
		cs->settling = true;
		etcd_async_free(cs->async);
		cs->settling = false;
		cs->async = NULL;
	}
	for (size_t i = 0; i < cs->n_txn; i++)
		txn_free(cs->txn[i]);
	cs->n_txn = 0;
	if (cs->batches)
		cs_batches_drop(cs);
	if (cs->timer_fd >= 0) {
		if (cs->loop)
			ev_del_fd(cs->loop, cs->timer_fd);
		close(cs->timer_fd);
		cs->timer_fd = -1;
	}
}
