// SPDX-License-Identifier: BSD-2-Clause
/*
 * The etcd client (user/rsipd/store/etcd_*.c) against a real etcd cluster
 * that tests/cluster/test_etcd_*.sh start (tests/cluster/etcd.sh):
 *
 *   etcd_check kv                 put/get, binary values, paged ranges,
 *                                 txn compare-and-swap, leases, errors
 *   etcd_check watch PID_OF_M1    full read, events, then m1 paused (a txn
 *                                 times out: outcome unknown; reads fail
 *                                 over), history written and compacted
 *                                 behind the watch's back, m1 killed: the
 *                                 watch resumes elsewhere, meets
 *                                 ErrCompacted and resyncs with a full read
 *   etcd_check tls                client certificates: accepted, refused
 *
 * Endpoints and TLS files come from the environment (ETCD_ENDPOINTS,
 * ETCD_CACERT, ETCD_CERT, ETCD_KEY, ETCD_BADCERT, ETCD_BADKEY). Each key is
 * under a prefix unique to the run. Exits 0 when every check held; each
 * failed check prints where and what.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "store/etcd_client.h"
#include "store/etcd_watch.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)
#define CHECK_RC(rc, e) CHECK((rc) == 0, "rc %d (%s): %s", (rc), strerror(-(rc)), etcd_error(e))

static char prefix[64];

static struct etcd *client(const char *endpoints, const char *cert, const char *key)
{
	char err[256];
	struct etcd_cfg cfg = {
	    .endpoints = endpoints,
	    .cacert = getenv("ETCD_CACERT"),
	    .cert = cert,
	    .key = key,
	};
	struct etcd *e = etcd_new(&cfg, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "etcd_new(%s): %s\n", endpoints, err);
		exit(1);
	}
	return e;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	if (!v) {
		fprintf(stderr, "%s not set (run from tests/cluster/test_etcd_*.sh)\n", name);
		exit(2);
	}
	return v;
}

static char *key(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *key(const char *fmt, ...)
{
	static char buf[4][256];
	static int n;
	char *k = buf[n++ % 4];
	va_list ap;
	int len = snprintf(k, 256, "%s", prefix);
	va_start(ap, fmt);
	vsnprintf(k + len, 256 - len, fmt, ap);
	va_end(ap);
	return k;
}

/* --- kv ------------------------------------------------------------------ */

struct got {
	int n;
	char last_key[256];
	char value[256];
	size_t value_len;
	int64_t mod_rev, version, lease;
	int ordered; /* keys came in increasing order */
};

static int collect(void *arg, const struct etcd_kv *kv)
{
	struct got *g = arg;
	if (g->n > 0 && strcmp(kv->key, g->last_key) <= 0)
		g->ordered = 0;
	snprintf(g->last_key, sizeof(g->last_key), "%s", kv->key);
	g->value_len = kv->value_len < sizeof(g->value) ? kv->value_len : sizeof(g->value);
	memcpy(g->value, kv->value, g->value_len);
	g->mod_rev = kv->mod_rev;
	g->version = kv->version;
	g->lease = kv->lease;
	g->n++;
	return 0;
}

/* collect(), and while the pages are read (the next one requested ahead
 * of the callback, etcd_readahead.c) write into the range through the same
 * client: the read must not see it (every page at the first's revision). */
struct meddle {
	struct got g;
	struct etcd *e;
	int rc;
};

static int collect_and_meddle(void *arg, const struct etcd_kv *kv)
{
	struct meddle *m = arg;
	int64_t deleted = 0;
	int rc = 0;
	if (m->g.n == 500) { /* page 1, page 2 on its way */
		rc = etcd_delete(m->e, key("page/02499"), NULL, &deleted, NULL);
		if (rc == 0)
			rc = etcd_put(m->e, key("page/02500"), "new", 3, 0, NULL);
	} else if (m->g.n == 1500) { /* page 2, page 3 on its way */
		rc = etcd_put(m->e, key("page/02400"), "new", 3, 0, NULL);
	}
	if (rc < 0 && m->rc == 0)
		m->rc = rc;
	if (m->g.n == 500 && rc == 0 && deleted != 1 && m->rc == 0)
		m->rc = -ENOENT;
	return collect(&m->g, kv);
}

static struct got get(struct etcd *e, const char *k, const char *end)
{
	struct got g = {.ordered = 1};
	int rc = etcd_range(e, k, end, 0, collect, &g, NULL);
	CHECK_RC(rc, e);
	return g;
}

static void check_kv(void)
{
	struct etcd *e = client(env("ETCD_ENDPOINTS"), getenv("ETCD_CERT"), getenv("ETCD_KEY"));
	int64_t rev1, rev2;
	int rc;

	/* put / get, a value with every awkward byte */
	const char bin[] = {'a', 0, (char)0xff, '\n', '"', '\\', 'z'};
	rc = etcd_put(e, key("bin"), bin, sizeof(bin), 0, &rev1);
	CHECK_RC(rc, e);
	struct got g = get(e, key("bin"), NULL);
	CHECK(g.n == 1 && g.value_len == sizeof(bin) && !memcmp(g.value, bin, sizeof(bin)),
	      "binary value round trip: n=%d len=%zu", g.n, g.value_len);
	CHECK(g.mod_rev == rev1 && g.version == 1, "mod_rev %lld rev %lld version %lld",
	      (long long)g.mod_rev, (long long)rev1, (long long)g.version);
	g = get(e, key("absent"), NULL);
	CHECK(g.n == 0, "an absent key reads as nothing (n=%d)", g.n);

	/* a prefix of 2500 keys: paged (1000 a page) at one revision, in order */
	for (int t = 0; t < 25; t++) {
		struct etcd_op ops[100];
		char keys[100][128];
		for (int i = 0; i < 100; i++) {
			snprintf(keys[i], sizeof(keys[i]), "%spage/%05d", prefix, t * 100 + i);
			ops[i] = (struct etcd_op){.type = ETCD_OP_PUT,
						  .key = keys[i],
						  .value = keys[i],
						  .value_len = strlen(keys[i])};
		}
		bool ok = false;
		rc = etcd_txn(e, NULL, 0, ops, 100, NULL, 0, NULL, NULL, &ok, NULL);
		CHECK_RC(rc, e);
		CHECK(ok, "a txn without comparisons succeeds");
	}
	char end[256];
	etcd_prefix_end(key("page/"), end, sizeof(end));
	g = get(e, key("page/"), end);
	CHECK(g.n == 2500 && g.ordered, "paged range: %d keys, ordered %d", g.n, g.ordered);
	CHECK(!strcmp(g.last_key, key("page/02499")), "last key %s", g.last_key);
	struct meddle md = {.g = {.ordered = 1}, .e = e};
	int64_t snap = 0;
	rc = etcd_range(e, key("page/"), end, 0, collect_and_meddle, &md, &snap);
	CHECK_RC(rc, e);
	CHECK(md.rc == 0, "writes during the paged read: %s", strerror(-md.rc));
	CHECK(md.g.n == 2500 && md.g.ordered && !strcmp(md.g.last_key, key("page/02499")),
	      "a paged read written into meanwhile: %d keys, ordered %d, last %s (one snapshot)",
	      md.g.n, md.g.ordered, md.g.last_key);
	g = get(e, key("page/02400"), NULL);
	CHECK(g.n == 1 && g.value_len == 3 && g.mod_rev > snap,
	      "the write during the read landed after its revision");
	g = get(e, key("page/"), end);
	CHECK(g.n == 2500 && !strcmp(g.last_key, key("page/02500")), "read again: %d keys, last %s",
	      g.n, g.last_key);
	int64_t deleted = 0;
	rc = etcd_delete(e, key("page/"), end, &deleted, NULL);
	CHECK_RC(rc, e);
	CHECK(deleted == 2500, "deleted %lld", (long long)deleted);

	/* compare-and-swap: create if absent, exactly once */
	const char *ck = key("cas");
	for (int round = 0; round < 2; round++) {
		struct etcd_cmp absent = {
		    .key = ck, .target = ETCD_CMP_VERSION, .result = ETCD_CMP_EQUAL, .num = 0};
		char mine[16];
		snprintf(mine, sizeof(mine), "owner-%d", round);
		struct etcd_op put = {
		    .type = ETCD_OP_PUT, .key = ck, .value = mine, .value_len = strlen(mine)};
		struct etcd_op read = {.type = ETCD_OP_RANGE, .key = ck};
		struct got cur = {.ordered = 1};
		bool ok = false;
		rc = etcd_txn(e, &absent, 1, &put, 1, &read, 1, collect, &cur, &ok, &rev2);
		CHECK_RC(rc, e);
		if (round == 0) {
			CHECK(ok && cur.n == 0, "first create wins (ok %d, n %d)", ok, cur.n);
		} else {
			CHECK(!ok && cur.n == 1 && !strncmp(cur.value, "owner-0", 7),
			      "second create fails and reads the winner (ok %d n %d)", ok, cur.n);
		}
	}
	/* swap on the value: only the holder may change it */
	struct etcd_cmp is_wrong = {.key = ck,
				    .target = ETCD_CMP_VALUE,
				    .result = ETCD_CMP_EQUAL,
				    .value = "owner-1",
				    .value_len = 7};
	struct etcd_cmp is_holder = is_wrong;
	is_holder.value = "owner-0";
	struct etcd_op del = {.type = ETCD_OP_DELETE, .key = ck};
	bool ok = true;
	rc = etcd_txn(e, &is_wrong, 1, &del, 1, NULL, 0, NULL, NULL, &ok, NULL);
	CHECK(rc == 0 && !ok, "a swap with the wrong value fails (rc %d ok %d)", rc, ok);
	rc = etcd_txn(e, &is_holder, 1, &del, 1, NULL, 0, NULL, NULL, &ok, NULL);
	CHECK(rc == 0 && ok, "the holder's swap succeeds (rc %d ok %d)", rc, ok);
	CHECK(get(e, ck, NULL).n == 0, "deleted by the swap");

	/* a comparison over a range: no key in it yet */
	struct etcd_cmp none = {.key = key("rng/"),
				.range_end = NULL,
				.target = ETCD_CMP_VERSION,
				.result = ETCD_CMP_EQUAL,
				.num = 0};
	char rend[256];
	etcd_prefix_end(key("rng/"), rend, sizeof(rend));
	none.range_end = rend;
	rc = etcd_txn(e, &none, 1, NULL, 0, NULL, 0, NULL, NULL, &ok, NULL);
	CHECK(rc == 0 && ok, "empty range compares as version 0 (rc %d ok %d)", rc, ok);
	rc = etcd_put(e, key("rng/x"), "1", 1, 0, NULL);
	CHECK_RC(rc, e);
	rc = etcd_txn(e, &none, 1, NULL, 0, NULL, 0, NULL, NULL, &ok, NULL);
	CHECK(rc == 0 && !ok, "a key in the range fails it (rc %d ok %d)", rc, ok);

	/* leases */
	int64_t lease = 0, ttl = 0;
	rc = etcd_lease_grant(e, 30, &lease, &ttl);
	CHECK_RC(rc, e);
	CHECK(lease != 0 && ttl == 30, "lease %llx ttl %lld", (unsigned long long)lease,
	      (long long)ttl);
	rc = etcd_put(e, key("leased"), "v", 1, lease, NULL);
	CHECK_RC(rc, e);
	g = get(e, key("leased"), NULL);
	CHECK(g.n == 1 && g.lease == lease, "the key carries the lease");
	rc = etcd_lease_keepalive(e, lease, &ttl);
	CHECK(rc == 0 && ttl == 30, "keepalive: rc %d ttl %lld", rc, (long long)ttl);
	rc = etcd_lease_revoke(e, lease);
	CHECK_RC(rc, e);
	CHECK(get(e, key("leased"), NULL).n == 0, "revoking the lease deletes its keys");
	rc = etcd_lease_keepalive(e, lease, &ttl);
	CHECK(rc == -ENOENT, "keepalive of a revoked lease: -ENOENT, got %d (%s)", rc,
	      etcd_error(e));
	rc = etcd_put(e, key("leased"), "v", 1, lease, NULL);
	CHECK(rc == -ENOENT && strstr(etcd_error(e), "lease not found"),
	      "put with a revoked lease: rc %d, %s", rc, etcd_error(e));

	/* compaction: reading an old revision is refused with -ESTALE */
	rc = etcd_put(e, key("c"), "1", 1, 0, &rev1);
	CHECK_RC(rc, e);
	rc = etcd_put(e, key("c"), "2", 1, 0, &rev2);
	CHECK_RC(rc, e);
	rc = etcd_compact(e, rev2);
	CHECK_RC(rc, e);
	rc = etcd_range(e, key("c"), NULL, rev1, NULL, NULL, NULL);
	CHECK(rc == -ESTALE && strstr(etcd_error(e), "compacted"),
	      "range at a compacted revision: rc %d, %s", rc, etcd_error(e));

	/* bad configuration is refused with a reason */
	char err[256];
	struct etcd_cfg bad = {.endpoints = "ftp://x:1"};
	CHECK(!etcd_new(&bad, err, sizeof(err)) && strstr(err, "http"), "ftp refused: %s", err);
	bad.endpoints = "127.0.0.1";
	CHECK(!etcd_new(&bad, err, sizeof(err)) && strstr(err, "HOST:PORT"), "no port: %s", err);
	bad.endpoints = "127.0.0.1:1";
	bad.cert = "/x.pem";
	CHECK(!etcd_new(&bad, err, sizeof(err)) && strstr(err, "key"), "cert alone: %s", err);

	/* nothing listening anywhere: every endpoint tried, a clear error */
	struct etcd *dead = client("127.0.0.1:1,127.0.0.1:2", NULL, NULL);
	rc = etcd_put(dead, key("x"), "1", 1, 0, NULL);
	CHECK(rc == -ECONNREFUSED && strstr(etcd_error(dead), "no etcd endpoint answered"),
	      "no endpoint: rc %d, %s", rc, etcd_error(dead));
	printf("no endpoint: %s\n", etcd_error(dead));
	etcd_free(dead);

	rc = etcd_delete(e, prefix, end, NULL, NULL);
	etcd_prefix_end(prefix, end, sizeof(end));
	rc = etcd_delete(e, prefix, end, NULL, NULL);
	CHECK_RC(rc, e);
	etcd_free(e);
}

/* --- watch ------------------------------------------------------------------ */

#define MIRROR_MAX 512

/* What the watch says the prefix holds. */
struct mirror {
	int n;
	char key[MIRROR_MAX][64];
	char val[MIRROR_MAX][64];
	int resets;
	int64_t last_rev;
	int order_errors; /* an event older than one applied before */
};

static int mirror_find(struct mirror *m, const char *k)
{
	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->key[i], k))
			return i;
	return -1;
}

static void m_reset(void *arg, int64_t rev)
{
	struct mirror *m = arg;
	m->n = 0;
	m->resets++;
	m->last_rev = 0;
}

static void m_put(void *arg, const struct etcd_kv *kv)
{
	struct mirror *m = arg;
	int i = mirror_find(m, kv->key);
	if (i < 0 && m->n < MIRROR_MAX)
		i = m->n++;
	if (i < 0)
		return;
	snprintf(m->key[i], sizeof(m->key[i]), "%s", kv->key);
	snprintf(m->val[i], sizeof(m->val[i]), "%s", kv->value);
}

static void m_del(void *arg, const struct etcd_kv *kv)
{
	struct mirror *m = arg;
	if (kv->mod_rev < m->last_rev)
		m->order_errors++;
	m->last_rev = kv->mod_rev;
	int i = mirror_find(m, kv->key);
	if (i < 0)
		return;
	m->n--;
	memmove(m->key[i], m->key[m->n], sizeof(m->key[i]));
	memmove(m->val[i], m->val[m->n], sizeof(m->val[i]));
}

static const struct etcd_watch_ops mirror_ops = {.reset = m_reset, .put = m_put, .del = m_del};

/* The mirror holds exactly what etcd holds under the prefix. */
struct cmp_state {
	struct mirror *m;
	int n, mismatches;
};

static int cmp_one(void *arg, const struct etcd_kv *kv)
{
	struct cmp_state *c = arg;
	int i = mirror_find(c->m, kv->key);
	c->n++;
	if (i < 0 || strcmp(c->m->val[i], kv->value))
		c->mismatches++;
	return 0;
}

static bool mirror_matches(struct etcd *e, struct mirror *m, int *n_etcd)
{
	char end[256];
	struct cmp_state c = {.m = m};
	etcd_prefix_end(prefix, end, sizeof(end));
	if (etcd_range(e, prefix, end, 0, cmp_one, &c, NULL) < 0)
		return false;
	*n_etcd = c.n;
	return c.mismatches == 0 && c.n == m->n;
}

/* Poll until the mirror matches etcd (bounded). */
static bool poll_until_synced(struct etcd_watch *w, struct etcd *e, struct mirror *m, int secs)
{
	int n = 0;
	for (int i = 0; i < secs * 10; i++) {
		int rc = etcd_watch_poll(w, 100);
		if (rc < 0)
			fprintf(stderr, "  watch poll: %s\n", etcd_error(e));
		if (rc == 0 && mirror_matches(e, m, &n))
			return true;
	}
	fprintf(stderr, "  mirror %d keys, etcd %d\n", m->n, n);
	return false;
}

static void check_watch(pid_t m1)
{
	const char *eps = env("ETCD_ENDPOINTS");
	struct etcd *e = client(eps, getenv("ETCD_CERT"), getenv("ETCD_KEY"));
	/* A writer that never talks to m1. */
	const char *comma = strchr(eps, ',');
	struct etcd *other = client(comma + 1, getenv("ETCD_CERT"), getenv("ETCD_KEY"));
	static struct mirror m;
	int rc;

	for (int i = 0; i < 10; i++) {
		rc = etcd_put(e, key("k%02d", i), "before", 6, 0, NULL);
		CHECK_RC(rc, e);
	}
	struct etcd_watch *w = etcd_watch_new(e, prefix, &mirror_ops, &m);
	CHECK(w != NULL, "watch created");
	CHECK(poll_until_synced(w, e, &m, 10), "full read at start");
	CHECK(m.resets == 1 && m.n == 10, "one reset, 10 keys (resets %d n %d)", m.resets, m.n);
	struct etcd_watch_stats st;
	etcd_watch_stats(w, &st);
	CHECK(st.streaming && !strcmp(st.endpoint, etcd_endpoint_at(e, 0)),
	      "streaming from m1 (%s)", st.endpoint);

	/* live events, in order */
	rc = etcd_put(e, key("k00"), "after", 5, 0, NULL);
	CHECK_RC(rc, e);
	rc = etcd_delete(e, key("k01"), NULL, NULL, NULL);
	CHECK_RC(rc, e);
	rc = etcd_put(e, key("k10"), "new", 3, 0, NULL);
	CHECK_RC(rc, e);
	CHECK(poll_until_synced(w, e, &m, 10), "events applied");
	etcd_watch_stats(w, &st);
	CHECK(st.events == 3 && st.full_reads == 1 && m.resets == 1,
	      "3 events, no second full read (events %llu full %llu)",
	      (unsigned long long)st.events, (unsigned long long)st.full_reads);
	printf("watch: full read of 10 keys, then %llu events at revision %lld\n",
	       (unsigned long long)st.events, (long long)st.rev);

	/* m1 stops answering (SIGSTOP): a txn sent to it has an unknown
	 * outcome; a read fails over by itself. */
	kill(m1, SIGSTOP);
	struct etcd_op put = {
	    .type = ETCD_OP_PUT, .key = key("during"), .value = "1", .value_len = 1};
	bool ok;
	rc = etcd_txn(e, NULL, 0, &put, 1, NULL, 0, NULL, NULL, &ok, NULL);
	CHECK(rc == -ETIMEDOUT && strstr(etcd_error(e), "unknown"),
	      "txn to a silent member: rc %d, %s", rc, etcd_error(e));
	printf("silent member: %s\n", etcd_error(e));
	/* The next txns go to the other members. If m1 was the leader they
	 * time out too until the two elect a new one (election timeout 2.5 s
	 * in etcd.sh): retry, as a caller would, a bounded number of times. */
	int tries = 0;
	do {
		rc = etcd_txn(e, NULL, 0, &put, 1, NULL, 0, NULL, NULL, &ok, NULL);
		tries++;
		CHECK(rc == 0 || rc == -ETIMEDOUT, "txn while m1 is silent: rc %d, %s", rc,
		      etcd_error(e));
	} while (rc != 0 && tries < 10);
	CHECK(rc == 0 && ok && strcmp(etcd_endpoint(e), etcd_endpoint_at(e, 0)),
	      "a txn succeeds on another member: rc %d on %s after %d tries", rc, etcd_endpoint(e),
	      tries);
	printf("txn after failover: on %s after %d tries\n", etcd_endpoint(e), tries);
	uint64_t fo = etcd_failovers(e);
	CHECK(fo >= 1, "failovers counted (%llu)", (unsigned long long)fo);

	/* behind the watch's back: changes, then the history compacted */
	int64_t rev = 0;
	for (int i = 0; i < 20; i++) {
		rc = etcd_put(other, key("gap%02d", i), "g", 1, 0, &rev);
		CHECK_RC(rc, other);
	}
	for (int i = 2; i < 6; i++) {
		rc = etcd_delete(other, key("k%02d", i), NULL, NULL, &rev);
		CHECK_RC(rc, other);
	}
	rc = etcd_compact(other, rev);
	CHECK_RC(rc, other);
	/* The watch's member dies: its stream ends, the resume from the last
	 * revision seen is refused (compacted), and a full read follows. */
	kill(m1, SIGKILL);
	kill(m1, SIGCONT);
	CHECK(poll_until_synced(w, e, &m, 30), "mirror resynced after compaction");
	etcd_watch_stats(w, &st);
	CHECK(st.compacted >= 1 && st.full_reads == 2 && m.resets == 2 && st.reconnects >= 1,
	      "compacted %llu, full reads %llu, resets %d, reconnects %llu",
	      (unsigned long long)st.compacted, (unsigned long long)st.full_reads, m.resets,
	      (unsigned long long)st.reconnects);
	CHECK(strcmp(st.endpoint, etcd_endpoint_at(e, 0)), "stream moved off m1 (%s)", st.endpoint);
	CHECK(mirror_find(&m, key("k03")) < 0 && mirror_find(&m, key("gap19")) >= 0,
	      "deletions and puts of the gap are in the mirror");
	printf("after m1 killed: compacted %llu, full reads %llu, reconnects %llu, stream on "
	       "%s, mirror %d keys\n",
	       (unsigned long long)st.compacted, (unsigned long long)st.full_reads,
	       (unsigned long long)st.reconnects, st.endpoint, m.n);

	/* and events flow again on the new stream */
	rc = etcd_put(e, key("z"), "last", 4, 0, NULL);
	CHECK_RC(rc, e);
	CHECK(poll_until_synced(w, e, &m, 10), "events after the resync");
	CHECK(m.order_errors == 0, "deletions in revision order (%d errors)", m.order_errors);

	char end[256];
	etcd_prefix_end(prefix, end, sizeof(end));
	rc = etcd_delete(e, prefix, end, NULL, NULL);
	CHECK_RC(rc, e);
	etcd_watch_free(w);
	etcd_free(other);
	etcd_free(e);
}

/* --- TLS ------------------------------------------------------------------- */

static void check_tls(void)
{
	const char *eps = env("ETCD_ENDPOINTS");
	CHECK(!strncmp(eps, "https://", 8), "TLS endpoints (%s)", eps);
	struct etcd *good = client(eps, env("ETCD_CERT"), env("ETCD_KEY"));
	int rc = etcd_put(good, key("tls"), "yes", 3, 0, NULL);
	CHECK_RC(rc, good);
	struct got g = get(good, key("tls"), NULL);
	CHECK(g.n == 1 && !strcmp(g.value, "yes"), "read back over TLS");
	etcd_free(good);

	struct etcd *anon = client(eps, NULL, NULL);
	rc = etcd_put(anon, key("tls"), "no", 2, 0, NULL);
	CHECK(rc < 0, "no client certificate: refused (rc %d)", rc);
	printf("no client certificate: %s\n", etcd_error(anon));
	etcd_free(anon);

	struct etcd *bad = client(eps, env("ETCD_BADCERT"), env("ETCD_BADKEY"));
	rc = etcd_put(bad, key("tls"), "no", 2, 0, NULL);
	CHECK(rc < 0, "certificate from another CA: refused (rc %d)", rc);
	printf("foreign client certificate: %s\n", etcd_error(bad));
	etcd_free(bad);

	/* the members' certificate checked against the CA we name */
	char err[256];
	struct etcd_cfg cfg = {.endpoints = eps,
			       .cacert = env("ETCD_BADCERT"),
			       .cert = env("ETCD_CERT"),
			       .key = env("ETCD_KEY")};
	struct etcd *wrongca = etcd_new(&cfg, err, sizeof(err));
	CHECK(wrongca != NULL, "%s", err);
	rc = etcd_put(wrongca, key("tls"), "no", 2, 0, NULL);
	CHECK(rc == -EACCES, "member certificate not from the CA we trust: rc %d", rc);
	printf("untrusted member: %s\n", etcd_error(wrongca));
	etcd_free(wrongca);

	good = client(eps, env("ETCD_CERT"), env("ETCD_KEY"));
	g = get(good, key("tls"), NULL);
	CHECK(g.n == 1 && !strcmp(g.value, "yes"), "refused clients changed nothing");
	char end[256];
	etcd_prefix_end(prefix, end, sizeof(end));
	rc = etcd_delete(good, prefix, end, NULL, NULL);
	CHECK_RC(rc, good);
	etcd_free(good);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s kv | watch PID_OF_M1 | tls\n", argv[0]);
		return 2;
	}
	snprintf(prefix, sizeof(prefix), "/rsip-test/%d-%ld/", (int)getpid(), (long)time(NULL));
	if (!strcmp(argv[1], "kv"))
		check_kv();
	else if (!strcmp(argv[1], "watch") && argc == 3)
		check_watch((pid_t)atoi(argv[2]));
	else if (!strcmp(argv[1], "tls"))
		check_tls();
	else {
		fprintf(stderr, "unknown check %s\n", argv[1]);
		return 2;
	}
	printf("%s: %s\n", argv[1], failures ? "FAILED" : "all checks passed");
	return failures ? 1 : 0;
}
