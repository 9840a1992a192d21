/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of the etcd client (etcd_client.h, etcd_watch.h), shared by
 * etcd_*.c only: the client object, the JSON/base64 helpers, and the curl
 * set-up the request and watch connections have in common.
 */
#ifndef RSIPD_ETCD_INTERNAL_H
#define RSIPD_ETCD_INTERNAL_H

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "etcd_client.h"

/* An answer being received (a curl write callback's buffer), NUL-terminated,
 * at most ETCD_MAX_ANSWER bytes. */
struct etcd_buf {
	char *p;
	size_t len, cap;
};
#define ETCD_MAX_ANSWER (64u << 20)

struct etcd {
	struct etcd_cfg cfg; /* string fields point into the copies below */
	char *endpoints_copy, *cacert, *cert, *key;
	char *ep[ETCD_MAX_ENDPOINTS]; /* base URLs, no trailing slash */
	size_t n_ep, cur;
	uint64_t failovers;
	CURL *h;	      /* the request connection (kept alive) */
	struct etcd_buf body; /* the answer being received */
	char err[320];
};

/* Record why a call failed (etcd_error) and return rc. */
int etcd_fail(struct etcd *e, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Options every connection to a member gets: TLS files, timeouts, no
 * signals (a daemon thread-safety rule of libcurl), JSON content type. */
int etcd_curl_common(const struct etcd *e, CURL *h, struct curl_slist **hdrs);

/* CURLOPT_WRITEFUNCTION appending to the struct etcd_buf in WRITEDATA;
 * fails the transfer (CURLE_WRITE_ERROR) past ETCD_MAX_ANSWER. */
size_t etcd_buf_write(char *p, size_t size, size_t n, void *buf);

/* A txn request's JSON (etcd_txn's comparisons and operations): 0 and
 * *req to be put, or -EINVAL / -ENOMEM with etcd_error set. */
int etcd_txn_request(struct etcd *e, const struct etcd_cmp *cmp, size_t ncmp,
		     const struct etcd_op *ok, size_t nok, const struct etcd_op *fail, size_t nfail,
		     json_object **req);
/* Which branch a txn answer ran, and the revision after it. */
void etcd_txn_outcome(json_object *resp, bool *succeeded, int64_t *rev);

/* How a failed transfer is treated: never reached the member (any request
 * may go to the next one), or reached it and the outcome is unknown. */
enum xfer { XFER_OK, XFER_NOT_SENT, XFER_UNKNOWN, XFER_LOCAL };
enum xfer etcd_classify(CURLcode rc, CURL *h);
/* A failed transfer as -errno (-ETIMEDOUT, -EACCES, -ENOMEM, -ECONNREFUSED). */
int etcd_xfer_errno(CURLcode rc);

/* Move to the next endpoint (counts a failover). */
void etcd_next_endpoint(struct etcd *e);

/* POST req (not consumed) to path on the current endpoint, failing over as
 * etcd_client.h describes. *resp: the answer object, to be put. */
int etcd_call(struct etcd *e, const char *path, json_object *req, bool idempotent,
	      json_object **resp);

/* An error object in an answer ({"error","message","code"} from the gateway,
 * or "error" inside a watch result) as -errno, with etcd_error set. 0 when
 * obj carries no error. *unavailable: the member cannot serve now (gRPC
 * code 14), so another one may. */
int etcd_answer_error(struct etcd *e, json_object *obj, bool *unavailable);

/* A paged range read's next page requested while the current one is
 * applied (etcd_readahead.c): etcd serves it meanwhile. Only an answer
 * without error is handed back; anything else is NULL and the page is
 * asked for again through etcd_call (which fails over, and words the
 * error). */
struct etcd_readahead;
struct etcd_readahead *etcd_readahead_new(struct etcd *e);
void etcd_readahead_free(struct etcd_readahead *ra);
/* POST req to path on the current endpoint, without waiting; false: not
 * started (no memory). */
bool etcd_readahead_start(struct etcd_readahead *ra, const char *path, json_object *req);
/* Let the transfer progress without blocking (between records). */
void etcd_readahead_pump(struct etcd_readahead *ra);
/* Wait for the answer (bounded by the request timeout): the answer object,
 * to be put, or NULL. */
json_object *etcd_readahead_take(struct etcd_readahead *ra);

/* base64 of bytes into a new json string object (NULL: no memory). */
json_object *etcd_b64_json(const void *p, size_t n);
/* Decode a base64 string: malloc'd, NUL-terminated, length in *n. NULL on
 * a bad encoding or no memory. s NULL decodes as empty. */
char *etcd_unb64(const char *s, size_t *n);
/* An int64 field that the gateway sends as a string (or a number);
 * absent (proto3 omits zero values): 0. */
int64_t etcd_json_i64(json_object *o, const char *field);
/* One mvccpb.KeyValue; key and value are malloc'd into *kbuf / *vbuf (free
 * them after use). -EPROTO or -ENOMEM. */
int etcd_json_kv(json_object *o, struct etcd_kv *kv, char **kbuf, char **vbuf);

#endif
