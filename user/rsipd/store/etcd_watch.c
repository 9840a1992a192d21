// SPDX-License-Identifier: BSD-2-Clause
/*
 * The watch stream (etcd_watch.h): a curl multi handle so that a poll with a
 * timeout never blocks longer than asked, lines of JSON cut out of the
 * stream as they arrive, and a small state machine: SYNC (full read needed)
 * -> STREAM (events) -> back to SYNC on ErrCompacted, or a new stream from
 * the last revision when the stream ends - or when its member, probed after
 * a silence, does not answer (a hung member).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etcd_internal.h"
#include "etcd_watch.h"

#define MAX_LINE (16u << 20) /* one watch response; etcd caps them near 1.5 MiB */

struct etcd_watch {
	struct etcd *e;
	char *prefix, *end;
	struct etcd_watch_ops ops;
	void *arg;
	bool need_sync;
	int64_t rev;
	size_t ep; /* the stream's endpoint */
	CURLM *multi;
	CURL *h; /* non-NULL while a stream is open */
	struct curl_slist *hdrs;
	char *req; /* the create_request the stream was opened with */
	char *line;
	size_t line_len, line_cap;
	bool broken; /* the stream must end: compacted, bad data */
	int delivered;
	int64_t last_rx; /* CLOCK_MONOTONIC ms: the stream or a probe last said something */
	/* The probe of a silent stream's member (same multi handle). */
	CURL *probe;
	struct curl_slist *probe_hdrs;
	char *probe_req;
	struct etcd_buf probe_body;
	char ended[200];
	struct etcd_watch_stats st;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct etcd_watch *etcd_watch_new(struct etcd *e, const char *prefix,
				  const struct etcd_watch_ops *ops, void *arg)
{
	struct etcd_watch *w = calloc(1, sizeof(*w));
	size_t n = strlen(prefix) + 2;
	if (!w)
		return NULL;
	w->e = e;
	w->ops = *ops;
	w->arg = arg;
	w->need_sync = true;
	w->ep = e->cur;
	w->prefix = strdup(prefix);
	w->end = malloc(n);
	w->multi = curl_multi_init();
	if (!w->prefix || !w->end || !w->multi) {
		etcd_watch_free(w);
		return NULL;
	}
	etcd_prefix_end(prefix, w->end, n);
	return w;
}

/* End one request on the multi handle, the stream's or the probe's: its
 * easy handle (removed from multi if it was added), its headers and its
 * body, freed and forgotten. Whatever part of it exists, so a start that
 * failed halfway (a body but no handle) leaks nothing. */
static void request_end(CURLM *multi, CURL **h, struct curl_slist **hdrs, char **body)
{
	if (*h) {
		curl_multi_remove_handle(multi, *h);
		curl_easy_cleanup(*h);
	}
	curl_slist_free_all(*hdrs);
	free(*body);
	*h = NULL;
	*hdrs = NULL;
	*body = NULL;
}

static void probe_close(struct etcd_watch *w)
{
	request_end(w->multi, &w->probe, &w->probe_hdrs, &w->probe_req);
}

static void stream_close(struct etcd_watch *w)
{
	probe_close(w);
	if (!w->h)
		return;
	request_end(w->multi, &w->h, &w->hdrs, &w->req);
	w->line_len = 0;
	w->broken = false;
	w->st.streaming = false;
}

void etcd_watch_free(struct etcd_watch *w)
{
	if (!w)
		return;
	stream_close(w);
	if (w->multi)
		curl_multi_cleanup(w->multi);
	free(w->prefix);
	free(w->end);
	free(w->line);
	free(w->probe_body.p);
	free(w);
}

void etcd_watch_stats(const struct etcd_watch *w, struct etcd_watch_stats *st)
{
	*st = w->st;
	st->rev = w->rev;
	st->endpoint = w->e->ep[w->ep % w->e->n_ep];
	st->ended = w->ended;
}

/* --- full read ------------------------------------------------------------- */

static int sync_put(void *arg, const struct etcd_kv *kv)
{
	struct etcd_watch *w = arg;
	w->ops.put(w->arg, kv);
	w->delivered++;
	return 0;
}

/* reset(), then every key at one revision (etcd_range pages at the revision
 * of its first page). A read that fails half way leaves need_sync set: the
 * next poll starts again with reset(), so a half-read state is never taken
 * for a whole one. */
static int full_read(struct etcd_watch *w)
{
	int64_t rev = 0;
	/* The newest revision, from a read of one key. */
	int rc = etcd_range(w->e, w->prefix, NULL, 0, NULL, NULL, &rev);
	if (rc < 0)
		return rc;
	w->ops.reset(w->arg, rev);
	w->delivered++;
	rc = etcd_range(w->e, w->prefix, w->end, rev, sync_put, w, NULL);
	if (rc < 0)
		return rc;
	w->rev = rev;
	w->need_sync = false;
	w->st.full_reads++;
	if (w->ops.synced)
		w->ops.synced(w->arg, rev);
	return 0;
}

/* --- the stream ------------------------------------------------------------ */

static void on_result(struct etcd_watch *w, json_object *res)
{
	json_object *v, *events;
	if (json_object_object_get_ex(res, "canceled", &v) && json_object_get_boolean(v)) {
		int64_t compact = etcd_json_i64(res, "compact_revision");
		if (compact > 0) {
			/* ErrCompacted: history from w->rev + 1 is gone. */
			w->st.compacted++;
			w->need_sync = true;
		}
		w->broken = true;
		return;
	}
	if (!json_object_object_get_ex(res, "events", &events) ||
	    !json_object_is_type(events, json_type_array))
		return; /* created, or a progress notification */
	/* The events of one revision come in one response, in order; a
	 * resumed stream may repeat what was applied: skip up to base. */
	int64_t base = w->rev;
	size_t n = json_object_array_length(events);
	for (size_t i = 0; i < n; i++) {
		json_object *ev = json_object_array_get_idx(events, i), *kvo, *type;
		struct etcd_kv kv;
		char *k, *val;
		if (!json_object_object_get_ex(ev, "kv", &kvo) ||
		    etcd_json_kv(kvo, &kv, &k, &val) < 0) {
			/* Cannot apply it: start over rather than skip it. */
			w->need_sync = true;
			w->broken = true;
			return;
		}
		bool del = json_object_object_get_ex(ev, "type", &type) &&
			   strcmp(json_object_get_string(type), "DELETE") == 0;
		if (kv.mod_rev > base) {
			if (del)
				w->ops.del(w->arg, &kv);
			else
				w->ops.put(w->arg, &kv);
			w->delivered++;
			w->st.events++;
			if (kv.mod_rev > w->rev)
				w->rev = kv.mod_rev;
		}
		free(k);
		free(val);
	}
}

static void on_line(struct etcd_watch *w, const char *line)
{
	json_object *o = json_tokener_parse(line), *res;
	if (!o) {
		w->broken = true; /* a new stream resumes from w->rev */
		return;
	}
	if (json_object_object_get_ex(o, "result", &res))
		on_result(w, res);
	else
		w->broken = true; /* {"error": ...}: the member gave up on us */
	json_object_put(o);
}

static size_t on_stream(char *p, size_t size, size_t n, void *arg)
{
	struct etcd_watch *w = arg;
	size_t len = size * n;
	w->last_rx = now_ms(); /* events, a progress notification: the member lives */
	for (size_t i = 0; i < len && !w->broken; i++) {
		if (p[i] == '\n') {
			if (w->line_len) {
				w->line[w->line_len] = '\0';
				on_line(w, w->line);
			}
			w->line_len = 0;
			continue;
		}
		if (w->line_len + 2 > w->line_cap) {
			size_t cap = w->line_cap ? w->line_cap * 2 : 8192;
			char *l = cap <= MAX_LINE ? realloc(w->line, cap) : NULL;
			if (!l) {
				w->need_sync = true;
				w->broken = true;
				break;
			}
			w->line = l;
			w->line_cap = cap;
		}
		w->line[w->line_len++] = p[i];
	}
	/* Returning less than len ends the transfer. */
	return w->broken ? 0 : len;
}

static int stream_open(struct etcd_watch *w)
{
	json_object *req = json_object_new_object(), *create = json_object_new_object();
	json_object *k = etcd_b64_json(w->prefix, strlen(w->prefix));
	json_object *e = etcd_b64_json(w->end, strlen(w->end));
	char rev[24], url[512];
	int rc = -ENOMEM;
	snprintf(rev, sizeof(rev), "%lld", (long long)(w->rev + 1));
	if (req && create && k && e && json_object_object_add(create, "key", k) == 0 &&
	    (k = NULL, json_object_object_add(create, "range_end", e) == 0) &&
	    (e = NULL,
	     json_object_object_add(create, "start_revision", json_object_new_string(rev)) == 0) &&
	    json_object_object_add(create, "progress_notify", json_object_new_boolean(1)) == 0 &&
	    json_object_object_add(req, "create_request", create) == 0) {
		create = NULL;
		w->req = strdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
		w->h = curl_easy_init();
		if (w->req && w->h && etcd_curl_common(w->e, w->h, &w->hdrs) == 0)
			rc = 0;
	}
	json_object_put(k);
	json_object_put(e);
	json_object_put(create);
	json_object_put(req);
	if (rc < 0) {
		request_end(w->multi, &w->h, &w->hdrs, &w->req); /* never added */
		return rc;
	}
	snprintf(url, sizeof(url), "%s/v3/watch", w->e->ep[w->ep % w->e->n_ep]);
	curl_easy_setopt(w->h, CURLOPT_URL, url);
	curl_easy_setopt(w->h, CURLOPT_POSTFIELDS, w->req);
	curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(w->h, CURLOPT_WRITEDATA, w);
	/* No overall timeout: the stream lasts as long as the member. TCP
	 * keepalive notices a member whose machine is gone; a member process
	 * that hangs with its kernel still answering is found by the probe
	 * (probe_start). */
	curl_easy_setopt(w->h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(w->h, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_easy_setopt(w->h, CURLOPT_TCP_KEEPINTVL, 1L);
	if (curl_multi_add_handle(w->multi, w->h) != CURLM_OK) {
		stream_close(w);
		return -ENOMEM;
	}
	w->line_len = 0;
	w->broken = false;
	w->st.streaming = true;
	w->last_rx = now_ms();
	return 0;
}

/* The stream has been silent for watch_idle_ms: ask its member for one
 * key, serializable (answered by that member alone, leader or not), on a
 * connection of its own, within the request deadline. A member that
 * answers is alive and the stream merely quiet; one that does not is hung
 * (probe_done). */
static void probe_start(struct etcd_watch *w)
{
	json_object *req = json_object_new_object();
	json_object *k = etcd_b64_json(w->prefix, strlen(w->prefix));
	char url[512];
	bool ok = req && k && json_object_object_add(req, "key", k) == 0 &&
		  (k = NULL,
		   json_object_object_add(req, "serializable", json_object_new_boolean(1)) == 0) &&
		  json_object_object_add(req, "count_only", json_object_new_boolean(1)) == 0;
	if (ok)
		w->probe_req = strdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	json_object_put(k);
	json_object_put(req);
	w->probe = w->probe_req ? curl_easy_init() : NULL;
	if (!w->probe || etcd_curl_common(w->e, w->probe, &w->probe_hdrs) < 0) {
		probe_close(w); /* no memory: tried again at the next poll */
		return;
	}
	snprintf(url, sizeof(url), "%s/v3/kv/range", w->e->ep[w->ep % w->e->n_ep]);
	curl_easy_setopt(w->probe, CURLOPT_URL, url);
	curl_easy_setopt(w->probe, CURLOPT_POSTFIELDS, w->probe_req);
	curl_easy_setopt(w->probe, CURLOPT_TIMEOUT_MS, (long)w->e->cfg.timeout_ms);
	curl_easy_setopt(w->probe, CURLOPT_WRITEFUNCTION, etcd_buf_write);
	curl_easy_setopt(w->probe, CURLOPT_WRITEDATA, &w->probe_body);
	w->probe_body.len = 0;
	if (curl_multi_add_handle(w->multi, w->probe) != CURLM_OK) {
		probe_close(w);
		return;
	}
	w->st.probes++;
}

/* The stream ended or must end: next time, another endpoint. */
static void stream_ended(struct etcd_watch *w, const char *why)
{
	if (!w->need_sync) {
		w->st.reconnects++;
		snprintf(w->ended, sizeof(w->ended), "etcd watch on %s ended: %s",
			 w->e->ep[w->ep % w->e->n_ep], why);
		etcd_fail(w->e, -ECONNRESET, "%s", w->ended);
		w->ep = (w->ep + 1) % w->e->n_ep;
	}
	stream_close(w);
}

/* The probe's answer: any v3 answer (HTTP 200) shows the member alive. */
static void probe_done(struct etcd_watch *w, CURLcode rc)
{
	long status = 0;
	char why[160];
	curl_easy_getinfo(w->probe, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && status == 200) {
		probe_close(w);
		w->last_rx = now_ms();
		return;
	}
	w->st.hung++;
	if (rc == CURLE_OK)
		snprintf(why, sizeof(why), "silent for %u ms, and a probe got HTTP %ld",
			 w->e->cfg.watch_idle_ms, status);
	else
		snprintf(why, sizeof(why),
			 "silent for %u ms, and a probe got no answer: %s (a hung member?)",
			 w->e->cfg.watch_idle_ms, curl_easy_strerror(rc));
	stream_ended(w, why);
}

int etcd_watch_poll(struct etcd_watch *w, int timeout_ms)
{
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	w->delivered = 0;
	for (;;) {
		if (w->need_sync) {
			stream_close(w);
			int rc = full_read(w);
			if (rc < 0)
				return rc;
			w->ep = w->e->cur; /* where the read succeeded */
		}
		if (!w->h) {
			int rc = stream_open(w);
			if (rc < 0)
				return etcd_fail(w->e, rc, "etcd watch: out of memory");
		}
		int running = 0;
		curl_multi_perform(w->multi, &running);
		if (w->broken) {
			stream_ended(w, w->need_sync ? "compacted" : "canceled by the member");
		} else {
			int left;
			CURLMsg *m;
			while ((m = curl_multi_info_read(w->multi, &left))) {
				if (m->msg != CURLMSG_DONE || !w->h)
					continue;
				if (m->easy_handle == w->probe) {
					probe_done(w, m->data.result);
				} else if (m->easy_handle == w->h) {
					stream_ended(w, curl_easy_strerror(m->data.result));
					break;
				}
				if (!w->h)
					break;
			}
			if (w->h && !w->probe &&
			    now_ms() - w->last_rx >= (int64_t)w->e->cfg.watch_idle_ms)
				probe_start(w);
		}
		int64_t remaining = deadline - now_ms();
		if (w->delivered > 0 || remaining <= 0)
			return w->delivered;
		if (!w->h) {
			/* A stream that ended at once (member down): do not spin
			 * on the endpoints faster than one try per 50 ms. */
			struct timespec ts = {0, 50 * 1000000};
			if (remaining > 50)
				nanosleep(&ts, NULL);
			continue;
		}
		curl_multi_poll(w->multi, NULL, 0, (int)(remaining > 100 ? 100 : remaining), NULL);
	}
}
