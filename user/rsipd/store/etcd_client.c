// SPDX-License-Identifier: BSD-2-Clause
/*
 * etcd v3 over its JSON gateway: the transport (one kept-alive curl handle,
 * failover between endpoints) and the KV, txn and lease calls. The gateway
 * answers every error as {"error": "...", "message": "...", "code": gRPC};
 * the HTTP status follows the code, so the body is what we read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_internal.h"

#define DEFAULT_TIMEOUT_MS 2000
#define DEFAULT_CONNECT_MS 500
#define DEFAULT_WATCH_IDLE 2000
#define RANGE_PAGE	   1000 /* keys per answer of a paged range read */

/* gRPC status codes the gateway puts in "code". */
enum { GRPC_DEADLINE = 4, GRPC_NOT_FOUND = 5, GRPC_PERMISSION = 7, GRPC_OUT_OF_RANGE = 11 };
enum { GRPC_UNAVAILABLE = 14, GRPC_UNAUTHENTICATED = 16 };

int etcd_fail(struct etcd *e, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->err, sizeof(e->err), fmt, ap);
	va_end(ap);
	return rc;
}

const char *etcd_error(const struct etcd *e)
{
	return e->err[0] ? e->err : "no error";
}

const char *etcd_endpoint(const struct etcd *e)
{
	return e->ep[e->cur];
}

uint64_t etcd_failovers(const struct etcd *e)
{
	return e->failovers;
}

size_t etcd_n_endpoints(const struct etcd *e)
{
	return e->n_ep;
}

const char *etcd_endpoint_at(const struct etcd *e, size_t i)
{
	return i < e->n_ep ? e->ep[i] : NULL;
}

const struct etcd_cfg *etcd_config(const struct etcd *e)
{
	return &e->cfg;
}

void etcd_next_endpoint(struct etcd *e)
{
	if (e->n_ep > 1) {
		e->cur = (e->cur + 1) % e->n_ep;
		e->failovers++;
	}
}

static int parse_endpoints(struct etcd *e, char *err, size_t errlen)
{
	char *save = NULL;
	for (char *tok = strtok_r(e->endpoints_copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (!*tok)
			continue;
		if (e->n_ep == ETCD_MAX_ENDPOINTS) {
			snprintf(err, errlen, "more than %d etcd endpoints", ETCD_MAX_ENDPOINTS);
			return -EINVAL;
		}
		bool has_scheme = strstr(tok, "://") != NULL;
		if (has_scheme && strncmp(tok, "http://", 7) && strncmp(tok, "https://", 8)) {
			snprintf(err, errlen, "etcd endpoint '%s': only http:// and https://", tok);
			return -EINVAL;
		}
		const char *hostport = has_scheme ? strstr(tok, "://") + 3 : tok;
		if (!*hostport || !strchr(hostport, ':') || strchr(hostport, '/')) {
			snprintf(err, errlen, "etcd endpoint '%s': want [http[s]://]HOST:PORT",
				 tok);
			return -EINVAL;
		}
		if (asprintf(&e->ep[e->n_ep], "%s%s", has_scheme ? "" : "http://", tok) < 0) {
			e->ep[e->n_ep] = NULL;
			return -ENOMEM;
		}
		e->n_ep++;
	}
	if (e->n_ep == 0) {
		snprintf(err, errlen, "no etcd endpoint given");
		return -EINVAL;
	}
	return 0;
}

static char *dup_opt(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

struct etcd *etcd_new(const struct etcd_cfg *cfg, char *err, size_t errlen)
{
	snprintf(err, errlen, "out of memory");
	if (!cfg->endpoints) {
		snprintf(err, errlen, "no etcd endpoint given");
		return NULL;
	}
	if ((cfg->cert == NULL) != (cfg->key == NULL)) {
		snprintf(err, errlen,
			 "a client certificate needs its key and a key its certificate");
		return NULL;
	}
	/* Once per process; libcurl makes later calls cheap. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	struct etcd *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	bool oom = false;
	e->endpoints_copy = dup_opt(cfg->endpoints, &oom);
	e->cacert = dup_opt(cfg->cacert, &oom);
	e->cert = dup_opt(cfg->cert, &oom);
	e->key = dup_opt(cfg->key, &oom);
	e->cfg = (struct etcd_cfg){
	    .endpoints = cfg->endpoints,
	    .cacert = e->cacert,
	    .cert = e->cert,
	    .key = e->key,
	    .timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS,
	    .connect_timeout_ms =
		cfg->connect_timeout_ms ? cfg->connect_timeout_ms : DEFAULT_CONNECT_MS,
	    .watch_idle_ms = cfg->watch_idle_ms ? cfg->watch_idle_ms : DEFAULT_WATCH_IDLE,
	};
	if (oom || parse_endpoints(e, err, errlen) < 0 || !(e->h = curl_easy_init())) {
		etcd_free(e);
		return NULL;
	}
	e->cfg.endpoints = NULL; /* the caller's string may go; ep[] is the truth */
	return e;
}

void etcd_free(struct etcd *e)
{
	if (!e)
		return;
	if (e->h)
		curl_easy_cleanup(e->h);
	for (size_t i = 0; i < e->n_ep; i++)
		free(e->ep[i]);
	free(e->endpoints_copy);
	free(e->cacert);
	free(e->cert);
	free(e->key);
	free(e->body.p);
	free(e);
}

int etcd_answer_error(struct etcd *e, json_object *obj, bool *unavailable)
{
	json_object *err, *msg;
	*unavailable = false;
	if (!json_object_object_get_ex(obj, "error", &err))
		return 0;
	int code = (int)etcd_json_i64(obj, "code");
	const char *text = json_object_object_get_ex(obj, "message", &msg)
			       ? json_object_get_string(msg)
			       : json_object_get_string(err);
	etcd_fail(e, -EIO, "etcd %s: %s (code %d)", etcd_endpoint(e), text ? text : "?", code);
	switch (code) {
	case GRPC_UNAVAILABLE:
		*unavailable = true;
		return -EIO;
	case GRPC_DEADLINE:
		return -ETIMEDOUT;
	case GRPC_NOT_FOUND:
		return -ENOENT;
	case GRPC_OUT_OF_RANGE:
		return -ESTALE;
	case GRPC_PERMISSION:
	case GRPC_UNAUTHENTICATED:
		return -EACCES;
	default:
		return -EIO;
	}
}

enum xfer etcd_classify(CURLcode rc, CURL *h)
{
	long connected = 0;
	switch (rc) {
	case CURLE_OK:
		return XFER_OK;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		return XFER_NOT_SENT;
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_WRITE_ERROR:
		return XFER_LOCAL; /* the same on every endpoint */
	default:
		/* A timeout or a connection lost: if the request went out it
		 * may have been applied. CURLINFO_REQUEST_SIZE counts bytes
		 * sent; nothing sent means the member never saw it. */
		curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &connected);
		return connected > 0 ? XFER_UNKNOWN : XFER_NOT_SENT;
	}
}

int etcd_xfer_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return -EACCES;
	case CURLE_OUT_OF_MEMORY:
	case CURLE_WRITE_ERROR:
		return -ENOMEM;
	default:
		return -ECONNREFUSED;
	}
}

/* One POST to one endpoint. 0 with *resp, or -errno with *how. */
static int post_once(struct etcd *e, const char *path, const char *json, enum xfer *how,
		     json_object **resp)
{
	char url[512];
	struct curl_slist *hdrs = NULL;
	CURL *h = e->h;
	snprintf(url, sizeof(url), "%s%s", etcd_endpoint(e), path);
	curl_easy_reset(h);
	if (etcd_curl_common(e, h, &hdrs) < 0)
		return -ENOMEM;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)e->cfg.timeout_ms);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, etcd_buf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &e->body);
	e->body.len = 0;
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	*how = etcd_classify(rc, h);
	if (rc != CURLE_OK) {
		int err = etcd_xfer_errno(rc);
		return etcd_fail(e, err, "etcd %s: %s", etcd_endpoint(e), curl_easy_strerror(rc));
	}
	enum json_tokener_error jerr;
	*resp = e->body.len ? json_tokener_parse_verbose(e->body.p, &jerr) : NULL;
	if (!*resp || !json_object_is_type(*resp, json_type_object)) {
		long status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		json_object_put(*resp);
		*resp = NULL;
		*how = XFER_UNKNOWN;
		return etcd_fail(e, -EPROTO, "etcd %s%s: HTTP %ld, not a v3 JSON answer",
				 etcd_endpoint(e), path, status);
	}
	return 0;
}

int etcd_call(struct etcd *e, const char *path, json_object *req, bool idempotent,
	      json_object **resp)
{
	const char *json = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	int rc = -ECONNREFUSED;
	*resp = NULL;
	if (!json)
		return etcd_fail(e, -ENOMEM, "out of memory");
	for (size_t tries = 0; tries < e->n_ep; tries++) {
		enum xfer how = XFER_LOCAL;
		json_object *ans = NULL;
		rc = post_once(e, path, json, &how, &ans);
		if (rc == 0) {
			bool unavailable;
			rc = etcd_answer_error(e, ans, &unavailable);
			if (rc == 0) {
				*resp = ans;
				return 0;
			}
			json_object_put(ans);
			/* "no leader", "stopping": nothing was applied. */
			if (!unavailable)
				return rc;
		} else if (how == XFER_LOCAL) {
			return rc;
		} else if (how == XFER_UNKNOWN && !idempotent) {
			char why[sizeof(e->err)];
			snprintf(why, sizeof(why), "%s", e->err);
			etcd_next_endpoint(e);
			return etcd_fail(e, rc, "%s; the outcome of this write is unknown", why);
		}
		etcd_next_endpoint(e);
	}
	if (e->n_ep > 1 && rc != -EACCES) {
		char why[sizeof(e->err)];
		snprintf(why, sizeof(why), "%s", e->err);
		etcd_fail(e, rc, "no etcd endpoint answered (%zu tried; last: %s)", e->n_ep, why);
	}
	return rc;
}

/* --- requests ------------------------------------------------------------ */

/* Adds base64(s) under name; false when out of memory. */
static bool add_b64(json_object *o, const char *name, const void *p, size_t n)
{
	json_object *v = etcd_b64_json(p, n);
	return v && json_object_object_add(o, name, v) == 0;
}

static bool add_i64(json_object *o, const char *name, int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	json_object *s = json_object_new_string(buf);
	return s && json_object_object_add(o, name, s) == 0;
}

static bool add_key_range(json_object *o, const char *key, const char *range_end)
{
	return add_b64(o, "key", key, strlen(key)) &&
	       (!range_end || add_b64(o, "range_end", range_end, strlen(range_end)));
}

static int64_t header_rev(json_object *resp)
{
	json_object *h;
	return json_object_object_get_ex(resp, "header", &h) ? etcd_json_i64(h, "revision") : 0;
}

int etcd_put(struct etcd *e, const char *key, const void *val, size_t len, int64_t lease,
	     int64_t *rev)
{
	json_object *req = json_object_new_object(), *resp;
	int rc = -ENOMEM;
	if (req && add_key_range(req, key, NULL) && add_b64(req, "value", val, len) &&
	    (!lease || add_i64(req, "lease", lease))) {
		/* Putting the same value again is harmless: retried freely. */
		rc = etcd_call(e, "/v3/kv/put", req, true, &resp);
		if (rc == 0) {
			if (rev)
				*rev = header_rev(resp);
			json_object_put(resp);
		}
	}
	json_object_put(req);
	return rc;
}

int etcd_delete(struct etcd *e, const char *key, const char *range_end, int64_t *deleted,
		int64_t *rev)
{
	json_object *req = json_object_new_object(), *resp;
	int rc = -ENOMEM;
	if (req && add_key_range(req, key, range_end)) {
		rc = etcd_call(e, "/v3/kv/deleterange", req, true, &resp);
		if (rc == 0) {
			if (deleted)
				*deleted = etcd_json_i64(resp, "deleted");
			if (rev)
				*rev = header_rev(resp);
			json_object_put(resp);
		}
	}
	json_object_put(req);
	return rc;
}

/* Hands every kv of a range answer (or txn response_range) to cb. */
static int each_kv(struct etcd *e, json_object *ans, etcd_kv_cb cb, void *arg)
{
	json_object *kvs;
	if (!json_object_object_get_ex(ans, "kvs", &kvs))
		return 0; /* proto3: no kvs field when there are none */
	if (!json_object_is_type(kvs, json_type_array))
		return etcd_fail(e, -EPROTO, "etcd: 'kvs' is not an array");
	size_t n = json_object_array_length(kvs);
	for (size_t i = 0; i < n; i++) {
		struct etcd_kv kv;
		char *k, *v;
		int rc = etcd_json_kv(json_object_array_get_idx(kvs, i), &kv, &k, &v);
		if (rc < 0)
			return etcd_fail(e, rc, "etcd: a key-value that does not decode");
		rc = cb ? cb(arg, &kv) : 0;
		free(v);
		free(k);
		if (rc)
			return rc;
	}
	return 0;
}

/* The request for the page of [from, range_end) at at_rev (0: newest). */
static json_object *range_req(const char *from, const char *range_end, int64_t at_rev)
{
	json_object *req = json_object_new_object();
	if (req && add_key_range(req, from, range_end) &&
	    (!range_end || add_i64(req, "limit", RANGE_PAGE)) &&
	    (!at_rev || add_i64(req, "revision", at_rev)))
		return req;
	json_object_put(req);
	return NULL;
}

/* The next page starts just after the last key of this one: the smallest
 * longer key a C string can be (keys here never hold a NUL byte). NULL
 * with rc set: no key to page from, or no memory. */
static char *next_from(struct etcd *e, json_object *page, int *rc)
{
	json_object *kvs, *k;
	char *last, *from = NULL;
	size_t n = 0, len;
	if (json_object_object_get_ex(page, "kvs", &kvs) &&
	    json_object_is_type(kvs, json_type_array))
		n = json_object_array_length(kvs);
	if (n == 0 ||
	    !json_object_object_get_ex(json_object_array_get_idx(kvs, n - 1), "key", &k) ||
	    !(last = etcd_unb64(json_object_get_string(k), &len))) {
		*rc = etcd_fail(e, -EPROTO, "etcd: 'more' without a key to page from");
		return NULL;
	}
	if (asprintf(&from, "%s\x01", last) < 0) {
		from = NULL;
		*rc = etcd_fail(e, -ENOMEM, "out of memory");
	}
	free(last);
	return from;
}

/* The caller's callback, with the read-ahead let on between records. */
struct range_apply {
	etcd_kv_cb cb;
	void *arg;
	struct etcd_readahead *ra;
	unsigned n;
};

static int range_apply_kv(void *arg, const struct etcd_kv *kv)
{
	struct range_apply *ap = arg;
	if (ap->ra && ++ap->n % 64 == 0)
		etcd_readahead_pump(ap->ra);
	return ap->cb ? ap->cb(ap->arg, kv) : 0;
}

/* Page after page at the revision of the first; from the second page on,
 * page n+1 is requested (etcd_readahead.c) before page n is handed to the
 * callback, so that etcd serves it while the records are applied. */
int etcd_range(struct etcd *e, const char *key, const char *range_end, int64_t at_rev,
	       etcd_kv_cb cb, void *arg, int64_t *rev)
{
	struct range_apply ap = {.cb = cb, .arg = arg};
	json_object *req = range_req(key, range_end, at_rev), *page = NULL, *m;
	int rc = req ? etcd_call(e, "/v3/kv/range", req, true, &page)
		     : etcd_fail(e, -ENOMEM, "out of memory");
	while (rc == 0) {
		json_object_put(req);
		req = NULL;
		if (!at_rev)
			at_rev = header_rev(page); /* later pages: the same snapshot */
		bool more =
		    json_object_object_get_ex(page, "more", &m) && json_object_get_boolean(m);
		if (more) {
			char *from = next_from(e, page, &rc);
			req = from ? range_req(from, range_end, at_rev) : NULL;
			free(from);
			if (from && !req)
				rc = etcd_fail(e, -ENOMEM, "out of memory");
			if (req && !ap.ra)
				ap.ra = etcd_readahead_new(e);
			if (req && ap.ra && !etcd_readahead_start(ap.ra, "/v3/kv/range", req)) {
				etcd_readahead_free(ap.ra); /* pages are read one by one */
				ap.ra = NULL;
			}
		}
		if (rc == 0)
			rc = each_kv(e, page, range_apply_kv, &ap);
		json_object_put(page);
		page = NULL;
		if (rc != 0 || !more)
			break;
		page = ap.ra ? etcd_readahead_take(ap.ra) : NULL;
		if (!page)
			rc = etcd_call(e, "/v3/kv/range", req, true, &page);
	}
	if (rc == 0 && rev)
		*rev = at_rev;
	json_object_put(page);
	json_object_put(req);
	etcd_readahead_free(ap.ra);
	return rc;
}

static const char *const cmp_targets[] = {"VERSION", "CREATE", "MOD", "VALUE"};
static const char *const cmp_results[] = {"EQUAL", "NOT_EQUAL", "GREATER", "LESS"};
static const char *const cmp_fields[] = {"version", "create_revision", "mod_revision", "value"};

static json_object *cmp_json(const struct etcd_cmp *c)
{
	json_object *o = json_object_new_object();
	bool ok = o && add_key_range(o, c->key, c->range_end) &&
		  json_object_object_add(o, "target",
					 json_object_new_string(cmp_targets[c->target])) == 0 &&
		  json_object_object_add(o, "result",
					 json_object_new_string(cmp_results[c->result])) == 0 &&
		  (c->target == ETCD_CMP_VALUE ? add_b64(o, "value", c->value, c->value_len)
					       : add_i64(o, cmp_fields[c->target], c->num));
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *op_json(const struct etcd_op *op)
{
	json_object *o = json_object_new_object(), *inner = json_object_new_object();
	bool ok = o && inner;
	const char *name = "request_range";
	switch (op->type) {
	case ETCD_OP_PUT:
		name = "request_put";
		ok = ok && add_key_range(inner, op->key, NULL) &&
		     add_b64(inner, "value", op->value, op->value_len) &&
		     (!op->lease || add_i64(inner, "lease", op->lease));
		break;
	case ETCD_OP_DELETE:
		name = "request_delete_range";
		ok = ok && add_key_range(inner, op->key, op->range_end);
		break;
	case ETCD_OP_RANGE:
		ok = ok && add_key_range(inner, op->key, op->range_end);
		break;
	}
	if (!ok || json_object_object_add(o, name, inner) != 0) {
		json_object_put(inner);
		json_object_put(o);
		return NULL;
	}
	return o;
}

static bool add_array(json_object *req, const char *name, size_t n,
		      json_object *(*mk)(const void *), const void *items, size_t item_size)
{
	json_object *arr = json_object_new_array();
	if (!arr || json_object_object_add(req, name, arr) != 0) {
		json_object_put(arr);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *o = mk((const char *)items + i * item_size);
		if (!o || json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			return false;
		}
	}
	return true;
}

static json_object *cmp_json_v(const void *p)
{
	return cmp_json(p);
}

static json_object *op_json_v(const void *p)
{
	return op_json(p);
}

int etcd_txn_request(struct etcd *e, const struct etcd_cmp *cmp, size_t ncmp,
		     const struct etcd_op *ok, size_t nok, const struct etcd_op *fail, size_t nfail,
		     json_object **req)
{
	*req = NULL;
	for (size_t i = 0; i < ncmp; i++)
		if ((unsigned)cmp[i].target > ETCD_CMP_VALUE ||
		    (unsigned)cmp[i].result > ETCD_CMP_LESS)
			return etcd_fail(e, -EINVAL, "etcd txn: bad comparison %zu", i);
	*req = json_object_new_object();
	if (*req && add_array(*req, "compare", ncmp, cmp_json_v, cmp, sizeof(*cmp)) &&
	    add_array(*req, "success", nok, op_json_v, ok, sizeof(*ok)) &&
	    add_array(*req, "failure", nfail, op_json_v, fail, sizeof(*fail)))
		return 0;
	json_object_put(*req);
	*req = NULL;
	return etcd_fail(e, -ENOMEM, "out of memory");
}

void etcd_txn_outcome(json_object *resp, bool *succeeded, int64_t *rev)
{
	json_object *s;
	*succeeded = json_object_object_get_ex(resp, "succeeded", &s) && json_object_get_boolean(s);
	if (rev)
		*rev = header_rev(resp);
}

int etcd_txn(struct etcd *e, const struct etcd_cmp *cmp, size_t ncmp, const struct etcd_op *ok,
	     size_t nok, const struct etcd_op *fail, size_t nfail, etcd_kv_cb cb, void *arg,
	     bool *succeeded, int64_t *rev)
{
	json_object *req, *resp = NULL;
	int rc = etcd_txn_request(e, cmp, ncmp, ok, nok, fail, nfail, &req);
	if (rc == 0)
		rc = etcd_call(e, "/v3/kv/txn", req, false, &resp);
	json_object_put(req);
	if (rc < 0)
		return rc;
	json_object *responses;
	etcd_txn_outcome(resp, succeeded, rev);
	if (cb && json_object_object_get_ex(resp, "responses", &responses) &&
	    json_object_is_type(responses, json_type_array)) {
		size_t n = json_object_array_length(responses);
		for (size_t i = 0; i < n && rc == 0; i++) {
			json_object *r, *rr = json_object_array_get_idx(responses, i);
			if (json_object_object_get_ex(rr, "response_range", &r))
				rc = each_kv(e, r, cb, arg);
		}
	}
	json_object_put(resp);
	return rc;
}

/* --- leases and maintenance ------------------------------------------------ */

int etcd_lease_grant(struct etcd *e, int64_t ttl_s, int64_t *id, int64_t *ttl_out)
{
	json_object *req = json_object_new_object(), *resp;
	int rc = -ENOMEM;
	if (ttl_s <= 0) {
		json_object_put(req);
		return etcd_fail(e, -EINVAL, "etcd lease: TTL must be positive");
	}
	if (req && add_i64(req, "TTL", ttl_s))
		rc = etcd_call(e, "/v3/lease/grant", req, false, &resp);
	json_object_put(req);
	if (rc < 0)
		return rc;
	*id = etcd_json_i64(resp, "ID");
	if (ttl_out)
		*ttl_out = etcd_json_i64(resp, "TTL");
	json_object_put(resp);
	return *id ? 0 : etcd_fail(e, -EPROTO, "etcd lease grant: no ID in the answer");
}

int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ttl_out)
{
	json_object *req = json_object_new_object(), *resp, *result;
	int rc = -ENOMEM;
	if (req && add_i64(req, "ID", id))
		rc = etcd_call(e, "/v3/lease/keepalive", req, true, &resp);
	json_object_put(req);
	if (rc < 0)
		return rc;
	/* A streaming RPC through the gateway: the answer is {"result":...}. */
	if (!json_object_object_get_ex(resp, "result", &result))
		result = resp;
	int64_t ttl = etcd_json_i64(result, "TTL");
	json_object_put(resp);
	if (ttl_out)
		*ttl_out = ttl;
	if (ttl <= 0)
		return etcd_fail(e, -ENOENT, "etcd lease %llx: expired or unknown",
				 (unsigned long long)id);
	return 0;
}

int etcd_lease_revoke(struct etcd *e, int64_t id)
{
	json_object *req = json_object_new_object(), *resp;
	int rc = -ENOMEM;
	if (req && add_i64(req, "ID", id))
		rc = etcd_call(e, "/v3/lease/revoke", req, true, &resp);
	json_object_put(req);
	if (rc == 0)
		json_object_put(resp);
	return rc;
}

int etcd_compact(struct etcd *e, int64_t rev)
{
	json_object *req = json_object_new_object(), *resp;
	int rc = -ENOMEM;
	if (req && add_i64(req, "revision", rev))
		rc = etcd_call(e, "/v3/kv/compaction", req, true, &resp);
	json_object_put(req);
	if (rc == 0)
		json_object_put(resp);
	return rc;
}
