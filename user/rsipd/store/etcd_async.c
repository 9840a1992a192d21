// SPDX-License-Identifier: BSD-2-Clause
/*
 * Non-blocking etcd transactions on a curl multi handle driven by the
 * caller's event loop (etcd_async.h): CURLMOPT_SOCKETFUNCTION and
 * CURLMOPT_TIMERFUNCTION hand the sockets and the timer to the caller,
 * curl_multi_socket_action runs when they fire, finished transfers are
 * read off curl_multi_info_read and reported.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etcd_async.h"
#include "etcd_internal.h"

#define MAX_INFLIGHT 16 /* the caller bounds it lower; this bounds the table */

struct async_txn {
	CURL *h;
	struct curl_slist *hdrs;
	char *body;
	struct etcd_buf answer;
	etcd_async_done done;
	void *arg;
	size_t ep; /* the endpoint it went to */
};

struct etcd_async {
	struct etcd *e;
	struct etcd_async_ops ops;
	void *arg;
	CURLM *multi;
	struct async_txn *t[MAX_INFLIGHT];
	size_t n;
};

static int on_socket(CURL *h, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct etcd_async *a = arg;
	unsigned ev = 0;

	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= ETCD_ASYNC_IN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= ETCD_ASYNC_OUT;
	/* CURL_POLL_REMOVE: ev 0, stop watching. */
	return a->ops.watch_fd(a->arg, fd, ev) < 0 && ev ? -1 : 0;
}

static int on_timer(CURLM *m, long ms, void *arg)
{
	struct etcd_async *a = arg;

	a->ops.timer(a->arg, ms);
	return 0;
}

struct etcd_async *etcd_async_new(struct etcd *e, const struct etcd_async_ops *ops, void *arg)
{
	struct etcd_async *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->e = e;
	a->ops = *ops;
	a->arg = arg;
	a->multi = curl_multi_init();
	if (!a->multi) {
		free(a);
		return NULL;
	}
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(a->multi, CURLMOPT_SOCKETDATA, a);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(a->multi, CURLMOPT_TIMERDATA, a);
	return a;
}

static void txn_free(struct etcd_async *a, struct async_txn *t)
{
	curl_multi_remove_handle(a->multi, t->h);
	curl_easy_cleanup(t->h);
	curl_slist_free_all(t->hdrs);
	free(t->body);
	free(t->answer.p);
	free(t);
}

/* Take t out of the table (order kept: the caller's callbacks may look). */
static void txn_remove(struct etcd_async *a, struct async_txn *t)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->t[i] == t) {
			memmove(&a->t[i], &a->t[i + 1], (a->n - i - 1) * sizeof(a->t[0]));
			a->n--;
			return;
		}
}

void etcd_async_cancel(struct etcd_async *a)
{
	while (a && a->n) {
		struct async_txn *t = a->t[0];

		txn_remove(a, t);
		etcd_fail(a->e, -ECANCELED, "etcd txn cancelled");
		t->done(t->arg, -ECANCELED, false, 0);
		txn_free(a, t);
	}
}

void etcd_async_free(struct etcd_async *a)
{
	if (!a)
		return;
	etcd_async_cancel(a);
	curl_multi_cleanup(a->multi);
	free(a);
}

size_t etcd_async_inflight(const struct etcd_async *a)
{
	return a ? a->n : 0;
}

int etcd_async_txn(struct etcd_async *a, const struct etcd_cmp *cmp, size_t ncmp,
		   const struct etcd_op *ok, size_t nok, etcd_async_done done, void *done_arg)
{
	struct async_txn *t;
	json_object *req;
	char url[512];
	int rc;

	if (a->n == MAX_INFLIGHT)
		return etcd_fail(a->e, -EBUSY, "etcd: %d transactions in flight", MAX_INFLIGHT);
	rc = etcd_txn_request(a->e, cmp, ncmp, ok, nok, NULL, 0, &req);
	if (rc < 0)
		return rc;
	t = calloc(1, sizeof(*t));
	if (t)
		t->body = strdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	json_object_put(req);
	if (t && t->body)
		t->h = curl_easy_init();
	if (!t || !t->h || etcd_curl_common(a->e, t->h, &t->hdrs) < 0) {
		if (t) {
			curl_easy_cleanup(t->h);
			curl_slist_free_all(t->hdrs);
			free(t->body);
			free(t);
		}
		return etcd_fail(a->e, -ENOMEM, "out of memory");
	}
	t->done = done;
	t->arg = done_arg;
	t->ep = a->e->cur;
	snprintf(url, sizeof(url), "%s/v3/kv/txn", etcd_endpoint(a->e));
	curl_easy_setopt(t->h, CURLOPT_URL, url);
	curl_easy_setopt(t->h, CURLOPT_TIMEOUT_MS, (long)a->e->cfg.timeout_ms);
	curl_easy_setopt(t->h, CURLOPT_POSTFIELDS, t->body);
	curl_easy_setopt(t->h, CURLOPT_WRITEFUNCTION, etcd_buf_write);
	curl_easy_setopt(t->h, CURLOPT_WRITEDATA, &t->answer);
	curl_easy_setopt(t->h, CURLOPT_PRIVATE, t);
	if (curl_multi_add_handle(a->multi, t->h) != CURLM_OK) {
		curl_easy_cleanup(t->h);
		curl_slist_free_all(t->hdrs);
		free(t->body);
		free(t);
		return etcd_fail(a->e, -ENOMEM, "out of memory");
	}
	a->t[a->n++] = t;
	return 0;
}

/* One finished transfer: its outcome, the client moved on when the member
 * was the trouble (unless an earlier failure moved it already). */
static void finished(struct etcd_async *a, struct async_txn *t, CURLcode cc)
{
	bool succeeded = false, unavailable = false;
	int64_t rev = 0;
	int rc = 0;

	if (cc != CURLE_OK) {
		enum xfer how = etcd_classify(cc, t->h);

		rc = etcd_fail(a->e, etcd_xfer_errno(cc), "etcd %s: %s%s", a->e->ep[t->ep],
			       curl_easy_strerror(cc),
			       how == XFER_UNKNOWN ? "; the outcome of this write is unknown" : "");
		if (how != XFER_LOCAL)
			unavailable = true;
	} else {
		enum json_tokener_error jerr;
		json_object *resp =
		    t->answer.len ? json_tokener_parse_verbose(t->answer.p, &jerr) : NULL;

		if (!resp || !json_object_is_type(resp, json_type_object))
			rc = etcd_fail(a->e, -EPROTO, "etcd %s/v3/kv/txn: not a v3 JSON answer",
				       a->e->ep[t->ep]);
		else if ((rc = etcd_answer_error(a->e, resp, &unavailable)) == 0)
			etcd_txn_outcome(resp, &succeeded, &rev);
		json_object_put(resp);
	}
	if (unavailable && a->e->cur == t->ep)
		etcd_next_endpoint(a->e);
	txn_remove(a, t);
	t->done(t->arg, rc, succeeded, rev);
	txn_free(a, t);
}

static void read_finished(struct etcd_async *a)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(a->multi, &left))) {
		struct async_txn *t = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (t)
			finished(a, t, m->data.result);
	}
}

void etcd_async_fd(struct etcd_async *a, int fd, unsigned events)
{
	int running = 0, mask = 0;

	if (events & ETCD_ASYNC_IN)
		mask |= CURL_CSELECT_IN;
	if (events & ETCD_ASYNC_OUT)
		mask |= CURL_CSELECT_OUT;
	curl_multi_socket_action(a->multi, fd, mask, &running);
	read_finished(a);
}

void etcd_async_timer(struct etcd_async *a)
{
	int running = 0;

	curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	read_finished(a);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void etcd_async_wait(struct etcd_async *a, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;

	while (a && a->n) {
		int64_t left = deadline - mono_ms();
		int running = 0;

		if (left <= 0) {
			etcd_async_cancel(a);
			return;
		}
		/* curl_multi_poll waits on the transfers' own sockets, outside
		 * the caller's loop. */
		curl_multi_poll(a->multi, NULL, 0, (int)(left > 50 ? 50 : left), NULL);
		curl_multi_perform(a->multi, &running);
		read_finished(a);
	}
}
