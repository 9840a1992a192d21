/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An etcd v3 client: the JSON gateway that every etcd >= 3.4 member serves
 * (POST /v3/kv/range, put, deleterange, txn, /v3/lease/..., /v3/watch) over
 * libcurl, JSON by json-c, keys and values base64 on the wire (OpenSSL's
 * EVP_EncodeBlock). docs/cluster.md says why this and not gRPC.
 *
 * Several endpoints with failover: requests go to the current endpoint; when
 * it cannot be reached (connection refused, reset, TLS handshake failed, or
 * the member answers "unavailable": no leader, stopping) the next one is
 * tried, and it stays current for the next requests. A request that may
 * have been applied (a write that timed out after it was sent) is not
 * repeated: it fails with -ETIMEDOUT (outcome unknown) and the next request
 * starts on the next endpoint. Reads are always retried on every endpoint.
 *
 * Blocking, one request at a time per client (the watch has its own
 * connection, etcd_watch.h). Errors are negative errno values; etcd_error()
 * says what happened in words (for the log line):
 *   -ECONNREFUSED  no endpoint could be reached (each was tried)
 *   -ETIMEDOUT     no answer in time; for a write the outcome is unknown
 *   -ENOENT        lease not found or expired (lease calls)
 *   -ESTALE        the revision asked for was compacted
 *   -EACCES        TLS or authentication refused
 *   -EIO           etcd answered with an error (message in etcd_error)
 *   -EPROTO        an answer that is not what the v3 API sends
 *   -EINVAL, -ENOMEM
 */
#ifndef RSIPD_ETCD_CLIENT_H
#define RSIPD_ETCD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETCD_MAX_ENDPOINTS 16

struct etcd_cfg {
	/* "URL[,URL...]", URL = [http://|https://]HOST:PORT; no scheme: http. */
	const char *endpoints;
	const char *cacert;	     /* CA to verify members by (https); NULL: system CAs */
	const char *cert, *key;	     /* client certificate and its key (PEM), or NULL */
	uint32_t timeout_ms;	     /* one request on one endpoint; 0: 2000 */
	uint32_t connect_timeout_ms; /* 0: 500 */
	/* A watch stream silent this long has its member probed (etcd_watch.h);
	 * 0: 2000. */
	uint32_t watch_idle_ms;
};

struct etcd;

/* NULL on a bad configuration (reason in err) or no memory. Connects lazily:
 * an unreachable cluster is not an error here. */
struct etcd *etcd_new(const struct etcd_cfg *cfg, char *err, size_t errlen);
void etcd_free(struct etcd *e);

/* What the last failed call ran into, for a log line. */
const char *etcd_error(const struct etcd *e);
/* The endpoint requests go to now, and how many times that changed. */
const char *etcd_endpoint(const struct etcd *e);
uint64_t etcd_failovers(const struct etcd *e);
size_t etcd_n_endpoints(const struct etcd *e);
const char *etcd_endpoint_at(const struct etcd *e, size_t i);
const struct etcd_cfg *etcd_config(const struct etcd *e);

/* A key-value as etcd returns it; the pointers are valid during the callback
 * only. value is NUL-terminated for convenience (value_len excludes it). */
struct etcd_kv {
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
	int64_t create_rev, mod_rev, version, lease;
};
/* Return 0 to go on, non-zero to stop (etcd_range then returns that). */
typedef int (*etcd_kv_cb)(void *arg, const struct etcd_kv *kv);

/* The range_end that makes [prefix, end) every key starting with prefix. */
void etcd_prefix_end(const char *prefix, char *end, size_t endlen);

/* Keys are NUL-terminated strings; values are bytes. *rev (optional) gets
 * the revision of the store after the call. lease 0: none. */
int etcd_put(struct etcd *e, const char *key, const void *val, size_t len, int64_t lease,
	     int64_t *rev);
/* Deleted keys counted in *deleted (optional). range_end NULL: key alone. */
int etcd_delete(struct etcd *e, const char *key, const char *range_end, int64_t *deleted,
		int64_t *rev);
/* Every key in [key, range_end) (range_end NULL: key alone) at revision at_rev
 * (0: the newest), in key order, paged so that a large prefix never has to
 * fit in one answer; every page is read at the revision of the first, so the
 * callback sees one consistent snapshot. *rev gets that revision. */
int etcd_range(struct etcd *e, const char *key, const char *range_end, int64_t at_rev,
	       etcd_kv_cb cb, void *arg, int64_t *rev);

/* Transactions: if every comparison holds, the success operations run,
 * else the failure ones, atomically. */
enum etcd_cmp_target { ETCD_CMP_VERSION, ETCD_CMP_CREATE, ETCD_CMP_MOD, ETCD_CMP_VALUE };
enum etcd_cmp_result { ETCD_CMP_EQUAL, ETCD_CMP_NOT_EQUAL, ETCD_CMP_GREATER, ETCD_CMP_LESS };
struct etcd_cmp {
	const char *key;
	const char *range_end; /* NULL: key alone; else every key in the range */
	enum etcd_cmp_target target;
	enum etcd_cmp_result result;
	int64_t num; /* VERSION, CREATE, MOD */
	const void *value;
	size_t value_len; /* VALUE */
};
enum etcd_op_type { ETCD_OP_PUT, ETCD_OP_DELETE, ETCD_OP_RANGE };
struct etcd_op {
	enum etcd_op_type type;
	const char *key;
	const char *range_end; /* DELETE, RANGE; NULL: key alone */
	const void *value;
	size_t value_len; /* PUT */
	int64_t lease;	  /* PUT */
};
/* *succeeded says which branch ran; range operations of that branch hand
 * their key-values to cb (may be NULL). A txn that timed out may or may not
 * have been applied (-ETIMEDOUT): read the keys back to find out. */
int etcd_txn(struct etcd *e, const struct etcd_cmp *cmp, size_t ncmp, const struct etcd_op *ok,
	     size_t nok, const struct etcd_op *fail, size_t nfail, etcd_kv_cb cb, void *arg,
	     bool *succeeded, int64_t *rev);

/* Leases: granted for at least ttl_s seconds (*ttl_out the granted TTL);
 * keepalive renews and reports the new TTL, -ENOENT once it has expired. */
int etcd_lease_grant(struct etcd *e, int64_t ttl_s, int64_t *id, int64_t *ttl_out);
int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ttl_out);
int etcd_lease_revoke(struct etcd *e, int64_t id);

/* Compact the history up to rev (operators and tests). */
int etcd_compact(struct etcd *e, int64_t rev);

#endif
